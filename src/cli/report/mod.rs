//! Rendering results for people (text, colour only on a terminal) and programs (JSON).

pub mod check;
pub mod compare;
pub mod progress;
pub mod rebuild;

use std::io::{self, IsTerminal, Write};

use repro_check::error::Error;

/// Whether to colour text written to standard output: only on a terminal, never with `NO_COLOR`
/// set (see no-color.org) or `TERM=dumb`.
pub fn use_colour() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    !no_color && !dumb && io::stdout().is_terminal()
}

/// ANSI styling that collapses to nothing when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    /// Styling on or off.
    pub fn new(on: bool) -> Self {
        Style { on }
    }
    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    /// Green bold.
    pub fn good(self, text: &str) -> String {
        self.wrap("1;32", text)
    }
    /// Red bold.
    pub fn bad(self, text: &str) -> String {
        self.wrap("1;31", text)
    }
    /// Yellow bold.
    pub fn warn(self, text: &str) -> String {
        self.wrap("1;33", text)
    }
    /// Dim.
    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
    /// Bold.
    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
}

/// Write `text` to standard output in one go.
///
/// A closed pipe (`repro-check … | head -1`) is not an error: the reader has what it wanted, and
/// the command still ends with the outcome it reached (a failed check stays exit 1).
pub fn print(text: &str) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::Output(e)),
        _ => Ok(()),
    }
}

/// Write a value as pretty JSON plus a newline to standard output.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| Error::Output(e.into()))?;
    text.push('\n');
    print(&text)
}

/// "1.9 MiB".
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
