//! repro-check: prove that a Linux binary is truly static and was built reproducibly.
//!
//! Data flows one way: bytes ([`input`]) → ELF facts ([`elf`], [`scan`]) → findings and a verdict
//! ([`check`]) → a report in text or JSON ([`report`]). Each subcommand lives in [`commands`].
#![forbid(unsafe_code)]

pub mod attestation;
pub mod check;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod container;
pub mod digest;
pub mod elf;
pub mod error;
pub mod input;
pub mod manifest;
pub mod nar;
pub mod rebuild;
pub mod report;
pub mod scan;
pub mod snapshot;

pub use error::Error;

use std::process::ExitCode;

/// What a finished run concluded. A failed check is a result, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every check passed (exit 0).
    Pass,
    /// At least one check failed (exit 1).
    Fail,
    /// The job could not be done for at least one input, but the others were reported (exit 2).
    Incomplete,
}

impl Outcome {
    /// The process exit code for this outcome.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Pass => ExitCode::SUCCESS,
            Outcome::Fail => ExitCode::from(1),
            Outcome::Incomplete => ExitCode::from(2),
        }
    }
}

/// Run one parsed command line.
pub fn run(cli: cli::Cli) -> Result<Outcome, Error> {
    match cli.command {
        cli::Command::Check(args) => commands::check::run(&args),
        cli::Command::Hash(args) => commands::hash::run(&args),
        cli::Command::Compare(args) => commands::compare::run(&args),
        cli::Command::Attest(args) => commands::attest::run(&args),
        cli::Command::Keygen(args) => commands::keygen::run(&args),
        cli::Command::Verify(args) => commands::verify::run(&args),
        cli::Command::Rebuild(args) => commands::rebuild::run(&args),
        cli::Command::Completions(args) => commands::completions::completions(&args),
        cli::Command::Man(args) => commands::completions::man(&args),
    }
}
