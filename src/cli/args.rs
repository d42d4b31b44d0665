//! The command line. Doc comments on the types below are the `--help` text.

use clap::{Parser, Subcommand};
use std::ffi::OsString;

use crate::cli::commands;

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
    Completions(commands::completions::CompletionsArgs),
    Man(commands::completions::ManArgs),
}

/// Parse the process arguments, treating `repro-check PATH...` as `repro-check check PATH...`.
///
/// Exits the process (status 2, or 0 for `--help`/`--version`) when clap rejects the arguments,
/// or when the word that would be read as the first PATH is a mistyped subcommand (see
/// [`misplaced_subcommand`]): then nothing is checked.
pub fn parse_args<I: IntoIterator<Item = OsString>>(args: I) -> Cli {
    use clap::CommandFactory;
    let mut args: Vec<OsString> = args.into_iter().collect();
    if needs_default_subcommand(&args) {
        args.insert(1, OsString::from("check"));
        if let Some(message) = misplaced_subcommand(&args, |p| std::fs::symlink_metadata(p).is_ok())
        {
            Cli::command()
                .error(clap::error::ErrorKind::InvalidSubcommand, message)
                .exit();
        }
    }
    Cli::parse_from(args)
}

/// The subcommand names (clap's `help` included).
fn subcommand_names() -> Vec<String> {
    use clap::CommandFactory;
    let mut names: Vec<String> = Cli::command()
        .get_subcommands()
        .flat_map(|sub| {
            std::iter::once(sub.get_name().to_string())
                .chain(sub.get_all_aliases().map(str::to_string))
        })
        .collect();
    names.push("help".to_string());
    names
}

/// Whether `check` must be inserted: the first argument is neither a subcommand nor a top-level
/// flag.
fn needs_default_subcommand(args: &[OsString]) -> bool {
    let Some(first) = args.get(1) else {
        return false;
    };
    let first = first.to_string_lossy();
    let top_level_flag = matches!(first.as_ref(), "-h" | "--help" | "-V" | "--version");
    !top_level_flag && !subcommand_names().iter().any(|n| *n == first)
}

/// After `check` was inserted as `args[1]`, the first word `check` would read as a PATH: a usage
/// error when it is not an existing path but is, or is close to, a subcommand name
/// (`repro-check chekc BIN`, `repro-check --json check BIN`). The message says what was probably
/// meant.
fn misplaced_subcommand(
    args: &[OsString],
    exists: impl Fn(&std::path::Path) -> bool,
) -> Option<String> {
    // The first word after `check` that is not an option or an option's value.
    let with_value = check_options_with_value();
    let mut words = args.iter().enumerate().skip(2);
    let (index, word) = loop {
        let (i, arg) = words.next()?;
        let text = arg.to_str()?;
        if text == "--" {
            let (i, arg) = words.next()?;
            break (i, arg.to_str()?);
        }
        if text.starts_with('-') && text != "-" {
            if with_value.iter().any(|o| o == text) {
                words.next();
            }
            continue;
        }
        break (i, text);
    };
    if word.contains('/') || exists(std::path::Path::new(word)) {
        return None;
    }
    let names = subcommand_names();
    let exact = names.iter().any(|n| n == word);
    let closest = names
        .iter()
        .filter(|n| *n != "help")
        .map(|n| (strsim::jaro(word, n), n))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n.clone());
    let meant = if exact {
        Some(word.to_string())
    } else {
        closest
    }?;
    // What the user probably meant: the subcommand first, the rest in their order.
    let mut line: Vec<String> = vec!["repro-check".to_string(), meant.clone()];
    line.extend(
        args.iter()
            .enumerate()
            .skip(2)
            .filter(|(i, _)| *i != index)
            .map(|(_, a)| repro_check::escape::text(&a.to_string_lossy()).into_owned()),
    );
    let word = repro_check::escape::text(word);
    Some(if exact {
        format!(
            "'{word}' is a subcommand, not a file, and no file named '{word}' exists; \
             put the subcommand first: `{}`",
            line.join(" ")
        )
    } else {
        format!(
            "unrecognized subcommand '{word}' (and no file named '{word}' exists); \
             did you mean '{meant}'? `{}`",
            line.join(" ")
        )
    })
}

/// `check`'s options that take a value (`--machine`, `--deny`…), from its clap definition.
fn check_options_with_value() -> Vec<String> {
    use clap::CommandFactory;
    let cli = Cli::command();
    let Some(check) = cli.find_subcommand("check") else {
        return Vec::new();
    };
    check
        .get_arguments()
        .filter(|a| !a.is_positional() && a.get_action().takes_values())
        .flat_map(|a| {
            let longs = a.get_long_and_visible_aliases().unwrap_or_default();
            longs
                .into_iter()
                .map(|l| format!("--{l}"))
                .chain(a.get_short().map(|c| format!("-{c}")))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        if needs_default_subcommand(&args.iter().map(OsString::from).collect::<Vec<_>>()) {
            args.insert(1, "check".to_string());
        }
        args
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
        assert_eq!(parse(&["rc", "man"]), ["rc", "man"]);
        assert_eq!(parse(&["rc"]), ["rc"]);
    }

    fn misplaced(args: &[&str], existing: &[&str]) -> Option<String> {
        let args: Vec<OsString> = parse(args).iter().map(OsString::from).collect();
        misplaced_subcommand(&args, |p| {
            existing.iter().any(|e| std::path::Path::new(e) == p)
        })
    }

    #[test]
    fn options_with_values_come_from_clap() {
        let mut options = check_options_with_value();
        options.sort();
        assert_eq!(options, ["--allow-store-ref", "--deny", "--machine"]);
    }

    #[test]
    fn mistyped_subcommands_are_usage_errors() {
        let m = misplaced(&["rc", "chekc", "/bin/ls"], &[]).unwrap();
        assert!(
            m.contains("did you mean 'check'?") && m.contains("`repro-check check /bin/ls`"),
            "{m}"
        );
        let m = misplaced(&["rc", "--json", "check", "x"], &[]).unwrap();
        assert!(m.contains("`repro-check check --json x`"), "{m}");
        let m = misplaced(&["rc", "--machine", "x86_64", "hsah", "x"], &[]).unwrap();
        assert!(m.contains("did you mean 'hash'?"), "{m}");
        // An existing file, a path with a slash, or a word far from every name is a PATH.
        assert_eq!(misplaced(&["rc", "chekc"], &["chekc"]), None);
        assert_eq!(misplaced(&["rc", "./chekc"], &[]), None);
        assert_eq!(misplaced(&["rc", "a.out"], &[]), None);
        assert_eq!(misplaced(&["rc", "-"], &[]), None);
        // Only the first PATH is looked at.
        assert_eq!(misplaced(&["rc", "a.out", "chekc"], &[]), None);
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
