//! The one error type: "could not do the job". Every variant names the path it is about, and its
//! message is a sentence that says what to do, with the path escaped for a terminal. A failed check
//! is not an error (see the command line's outcome).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::escape;

/// Why a job (or one input of it) could not be done.
#[derive(Debug)]
pub enum Error {
    /// Reading a file or directory failed.
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Writing an output file failed.
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The file is not an ELF file; `what` says what it looks like instead.
    NotElf {
        /// The file.
        path: PathBuf,
        /// A short description, e.g. "a shell script".
        what: String,
    },
    /// The file starts like an ELF file but its structure is broken.
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong, in words.
        reason: String,
    },
    /// The path is neither a regular file, a directory nor a symlink to one (a FIFO, a socket…).
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is, e.g. "a named pipe".
        what: &'static str,
    },
    /// The file changed while it was being read, so no result about it can be trusted.
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// A file's contents are not what the job needs (a bad manifest, key or attestation, a damaged
    /// archive…). The message is the path, then `problem`: the rest of the sentence, with its fix.
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do, e.g. "is not an Ed25519 public key in PEM form; pass …".
        problem: String,
    },
    /// The arguments or the environment ask for something that cannot be done; a full sentence
    /// that names the argument or variable and what to give instead.
    Usage(String),
    /// The machine could not do its part (start a program, make a temporary file, read the random
    /// source); a full sentence that names what failed and what to check.
    Environment(String),
    /// Writing the report to standard output failed.
    Output(io::Error),
}

impl Error {
    /// A read error for `path`.
    pub fn read(path: &Path, source: io::Error) -> Self {
        Error::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    /// An input error: `path`, then `problem` (the rest of the sentence).
    pub fn input(path: &Path, problem: impl Into<String>) -> Self {
        Error::Input {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }

    /// The file the error is about, if it is about one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Read { path, .. }
            | Error::Write { path, .. }
            | Error::NotElf { path, .. }
            | Error::Malformed { path, .. }
            | Error::NotRegular { path, .. }
            | Error::Changed { path }
            | Error::Input { path, .. } => Some(path),
            Error::Usage(_) | Error::Environment(_) | Error::Output(_) => None,
        }
    }

    /// True when the error is only a closed output pipe (`… | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read { path, source } => write!(
                f,
                "cannot read {}: {}; check that it exists and that you may read it",
                escape::path(path),
                io_reason(source)
            ),
            Error::Write { path, source } => write!(
                f,
                "cannot write {}: {}; check that its directory exists and is writable",
                escape::path(path),
                io_reason(source)
            ),
            Error::NotElf { path, what } => {
                write!(f, "{} is not an ELF file: it is {what}", escape::path(path))
            }
            Error::Malformed { path, reason } => write!(
                f,
                "{} is a corrupt ELF file: {}; rebuild it or check the copy is complete",
                escape::path(path),
                escape::text(reason)
            ),
            Error::NotRegular { path, what } => write!(
                f,
                "{} is {what}, not a regular file; name the file itself",
                escape::path(path)
            ),
            Error::Changed { path } => write!(
                f,
                "{} changed while it was being read; run again once nothing is writing to it",
                escape::path(path)
            ),
            Error::Input { path, problem } => write!(f, "{} {problem}", escape::path(path)),
            Error::Usage(sentence) | Error::Environment(sentence) => f.write_str(sentence),
            Error::Output(source) => write!(f, "cannot write the report: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Read { source, .. } | Error::Write { source, .. } | Error::Output(source) => {
                Some(source)
            }
            _ => None,
        }
    }
}

/// The OS reason without Rust's "(os error N)" suffix, lower-cased like the rest of the sentence
/// and escaped for a terminal.
fn io_reason(e: &io::Error) -> String {
    escape::text(&io_reason_raw(e)).into_owned()
}

/// The reason as the I/O error gives it (a parser's message may quote the input's bytes).
fn io_reason_raw(e: &io::Error) -> String {
    let text = match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parser_message_quoting_the_input_cannot_forge_a_line() {
        let err = Error::read(
            Path::new("a.tar"),
            io::Error::other("numeric field was not a number: 97\n898\x1b[2K"),
        );
        assert_eq!(
            err.to_string(),
            "cannot read a.tar: numeric field was not a number: 97\\n898\\u{1b}[2K; check that it exists and that you may read it"
        );
    }

    #[test]
    fn a_path_in_an_error_cannot_forge_a_line() {
        let err = Error::NotElf {
            path: PathBuf::from("x\nPASS y\x1b[2K"),
            what: "a text file".into(),
        };
        assert_eq!(
            err.to_string(),
            "x\\nPASS y\\u{1b}[2K is not an ELF file: it is a text file"
        );
    }
}
