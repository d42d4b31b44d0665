//! The command line: argument definitions ([`args`]), one module per subcommand ([`commands`]),
//! and rendering of the library's results as text or JSON on standard output ([`report`]). Exit
//! codes and the environment are read here, never in the library.

pub mod args;
pub mod commands;
pub mod env;
pub mod report;

use std::process::ExitCode;

use repro_check::Error;

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
pub fn run(cli: args::Cli) -> Result<Outcome, Error> {
    use args::Command;
    match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Hash(args) => commands::hash::run(&args),
        Command::Compare(args) => commands::compare::run(&args),
        Command::Attest(args) => commands::attest::run(&args),
        Command::Keygen(args) => commands::keygen::run(&args),
        Command::Verify(args) => commands::verify::run(&args),
        Command::Rebuild(args) => commands::rebuild::run(&args),
        Command::Completions(args) => commands::completions::completions(&args),
        Command::Man(args) => commands::completions::man(&args),
    }
}

/// The value parser of an argument that names a value of a library enum: its names (strum's, the
/// one mapping that serde and the reports use too) are the possible values, so a mistyped name is a
/// usage error that lists them.
pub fn names<T>() -> impl clap::builder::TypedValueParser<Value = T>
where
    T: strum::VariantNames
        + std::str::FromStr<Err = strum::ParseError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(T::VARIANTS).try_map(|name| name.parse::<T>())
}
