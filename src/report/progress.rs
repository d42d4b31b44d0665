//! Progress on standard error, for runs long enough to wonder about: a bar (indicatif) when
//! standard error is a terminal, nothing otherwise. Never on standard output, so `--json` and
//! piped reports stay clean.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether standard error is a terminal that can draw a bar (not `TERM=dumb`).
pub fn stderr_is_terminal() -> bool {
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    !dumb && std::io::stderr().is_terminal()
}

/// How long a run goes before its bar appears: short runs draw nothing at all.
const DELAY: Duration = Duration::from_millis(500);

/// A bar counting items ("checking 120/4000 [3s] ====="), drawn on a terminal only and only once
/// the run has taken [`DELAY`]. Shared between threads; clear it with [`Bar::finish`].
pub struct Bar {
    bar: ProgressBar,
    start: Instant,
    terminal: bool,
    shown: AtomicBool,
}

/// A [`Bar`] for `len` items, labelled `what`.
pub fn bar(len: usize, what: &str) -> Bar {
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{msg} {pos}/{len} [{elapsed}] {wide_bar}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_string());
    Bar {
        bar,
        start: Instant::now(),
        terminal: stderr_is_terminal(),
        shown: AtomicBool::new(false),
    }
}

impl Bar {
    /// One more item done.
    pub fn inc(&self) {
        self.bar.inc(1);
        if self.terminal
            && !self.shown.load(Ordering::Relaxed)
            && self.start.elapsed() >= DELAY
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Remove the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
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
