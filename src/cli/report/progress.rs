//! Progress on standard error, for runs long enough to wonder about: a bar (indicatif) when
//! standard error is a terminal, nothing otherwise. Never on standard output, so `--json` and
//! piped reports stay clean.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use repro_check::progress::Counter;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether standard error is a terminal that can draw a bar (not `TERM=dumb`).
pub fn stderr_is_terminal() -> bool {
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    !dumb && std::io::stderr().is_terminal()
}

/// How long a run goes before its bar appears: short runs draw nothing at all. Tests shorten it
/// with `REPRO_CHECK_PROGRESS_DELAY_MS`.
fn delay() -> Duration {
    let ms = std::env::var("REPRO_CHECK_PROGRESS_DELAY_MS").ok();
    Duration::from_millis(ms.and_then(|m| m.parse().ok()).unwrap_or(500))
}

/// Run `job` while a bar labelled `what` shows `counter` ("hashing 120/4000 files 3 MiB/80 MiB
/// [3s] ====="), on a terminal only and only once the job has taken the delay; cleared at the end.
pub fn counting<T>(what: &str, counter: &Counter, job: impl FnOnce() -> T) -> T {
    if !stderr_is_terminal() {
        return job();
    }
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} {pos}/{len} files {msg} [{elapsed}] {wide_bar}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_prefix(what.to_string());
            let (start, delay) = (Instant::now(), delay());
            // Shown once the walk has found something and the delay has passed; the last
            // state is drawn too (then cleared), so a run that ends between polls still shows it.
            let (mut shown, mut stopping) = (false, false);
            loop {
                let (files, total_files, bytes, total_bytes) = counter.read();
                bar.set_length(total_files);
                bar.set_position(files);
                if total_bytes > 0 {
                    bar.set_message(format!("{}/{}", HumanBytes(bytes), HumanBytes(total_bytes)));
                }
                if !shown && total_files > 0 && start.elapsed() >= delay {
                    shown = true;
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    bar.tick();
                }
                if stopping {
                    break;
                }
                let tick = stopped.recv_timeout(Duration::from_millis(100));
                stopping = tick != Err(mpsc::RecvTimeoutError::Timeout);
            }
            bar.finish_and_clear();
        });
        let result = job();
        drop(stop);
        result
    })
}

/// A bar counting items ("checking 120/4000 [3s] ====="), drawn on a terminal only and only once
/// the run has taken the delay. Shared between threads; clear it with [`Bar::finish`].
pub struct Bar {
    bar: ProgressBar,
    start: Instant,
    delay: Duration,
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
        delay: delay(),
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
            && self.start.elapsed() >= self.delay
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
