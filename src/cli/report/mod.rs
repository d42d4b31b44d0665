//! Rendering results for people (text, colour only on a terminal) and programs (JSON).

pub mod attest;
pub mod check;
pub mod compare;
pub mod hash;
pub mod progress;
pub mod rebuild;
pub mod verify;

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

/// Standard output as every report is written to it: locked once, buffered.
pub type Stdout = io::BufWriter<io::StdoutLock<'static>>;

/// Render a report onto standard output (locked and buffered) and flush it.
///
/// A closed pipe (`repro-check … | head -1`) is not an error: the reader has what it wanted, and
/// the command still ends with the outcome it reached (a failed check stays exit 1).
pub fn to_stdout(render: impl FnOnce(&mut Stdout) -> io::Result<()>) -> Result<(), Error> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    written(render(&mut out).and_then(|()| out.flush()))
}

/// Render a message onto standard error (locked; unbuffered, as standard error is), like
/// [`to_stdout`]: for what a command says beside a result that goes to standard output.
pub fn to_stderr(
    render: impl FnOnce(&mut io::StderrLock<'static>) -> io::Result<()>,
) -> Result<(), Error> {
    written(render(&mut io::stderr().lock()))
}

/// A closed pipe is not an error; any other failure to write is.
fn written(result: io::Result<()>) -> Result<(), Error> {
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::Output(e)),
        _ => Ok(()),
    }
}

/// Write a value as pretty JSON plus a newline.
pub fn json<T: serde::Serialize + ?Sized>(out: &mut impl Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// Write a value as pretty JSON plus a newline to standard output (see [`to_stdout`]).
pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<(), Error> {
    to_stdout(|out| json(out, value))
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
