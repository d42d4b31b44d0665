//! Progress on standard error, for runs long enough to wonder about: a bar (indicatif) when
//! standard error is a terminal, nothing otherwise. Never on standard output, so `--json` and
//! piped reports stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether standard error is a terminal that can draw a bar (not `TERM=dumb`).
pub fn stderr_is_terminal() -> bool {
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    !dumb && std::io::stderr().is_terminal()
}

/// A bar counting `len` items ("checking 120/4000 [00:03] ====>"), drawn on a terminal only;
/// a hidden bar (every call a no-op) otherwise. Clear it with `finish_and_clear`.
pub fn bar(len: usize, what: &str) -> ProgressBar {
    if !stderr_is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} {pos}/{len} [{elapsed}] {wide_bar}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_string());
    bar
}

/// A spinner with the elapsed time and a message, drawn on a terminal only (hidden otherwise).
pub fn spinner(message: String) -> ProgressBar {
    if !stderr_is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
