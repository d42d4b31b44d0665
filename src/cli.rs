//! The command line. Doc comments on the types below are the `--help` text.

use clap::{Parser, Subcommand};
use std::ffi::OsString;

use crate::commands;

/// Prove a Linux binary is truly static, and that it was built reproducibly.
///
/// `repro-check PATH...` is short for `repro-check check PATH...`.
///
/// Exit status: 0 every check passed, 1 a check failed, 2 the job could not be done
/// (bad arguments, an unreadable or malformed input).
#[derive(Debug, Parser)]
#[command(name = "repro-check", version, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands. Each one's help text is the doc comment of its arguments struct in
/// `src/commands/`, so variants carry no doc comment of their own (it would replace that text).
#[derive(Debug, Subcommand)]
#[allow(missing_docs)]
pub enum Command {
    Check(commands::check::CheckArgs),
    Hash(commands::hash::HashArgs),
    Compare(commands::compare::CompareArgs),
    Attest(commands::attest::AttestArgs),
    Keygen(commands::keygen::KeygenArgs),
    Verify(commands::verify::VerifyArgs),
    Rebuild(commands::rebuild::RebuildArgs),
}

/// Parse the process arguments, treating `repro-check PATH...` as `repro-check check PATH...`.
///
/// Exits the process (status 2, or 0 for `--help`/`--version`) when clap rejects the arguments.
pub fn parse_args<I: IntoIterator<Item = OsString>>(args: I) -> Cli {
    Cli::parse_from(with_default_subcommand(args.into_iter().collect()))
}

/// Insert `check` when the first argument is neither a subcommand nor a top-level flag.
fn with_default_subcommand(mut args: Vec<OsString>) -> Vec<OsString> {
    use clap::CommandFactory;
    let Some(first) = args.get(1) else {
        return args;
    };
    let first = first.to_string_lossy();
    let top_level_flag = matches!(first.as_ref(), "-h" | "--help" | "-V" | "--version");
    let is_subcommand = Cli::command()
        .get_subcommands()
        .any(|sub| sub.get_name() == first || sub.get_all_aliases().any(|a| a == first))
        || first == "help";
    if !top_level_flag && !is_subcommand {
        args.insert(1, OsString::from("check"));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Vec<String> {
        with_default_subcommand(args.iter().map(OsString::from).collect())
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn bare_paths_mean_check() {
        assert_eq!(parse(&["rc", "a.out"]), ["rc", "check", "a.out"]);
        assert_eq!(
            parse(&["rc", "--json", "a"]),
            ["rc", "check", "--json", "a"]
        );
        assert_eq!(parse(&["rc", "check", "a"]), ["rc", "check", "a"]);
        assert_eq!(parse(&["rc", "--help"]), ["rc", "--help"]);
        assert_eq!(parse(&["rc"]), ["rc"]);
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
