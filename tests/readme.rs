//! The README's option tables name exactly the options each subcommand's `--help` shows, so
//! neither can gain or lose an option alone. The help comes from running the binary: it is
//! what users see.
//!
//! A table is one whose header's first cell is `option` (the command is then the nearest
//! heading's first word: `## check`, `### hash`) or `` `CMD` option ``. Its first column names
//! options in backticks: `` `-o`, `--out FILE` ``, `` `--variation NAME` / `--skip NAME` ``.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;

/// The options of the README's tables, by subcommand.
fn readme_tables(readme: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut heading = String::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        if let Some(title) = line.strip_prefix('#') {
            heading = title
                .trim_start_matches('#')
                .split_whitespace()
                .next()
                .unwrap_or("")
                .into();
            current = None;
            continue;
        }
        let Some(row) = line.strip_prefix('|') else {
            current = None;
            continue;
        };
        let first = row.split('|').next().unwrap_or("").trim();
        if let Some(command) = current.as_ref() {
            if !first.starts_with("---") {
                let options = tables.get_mut(command).unwrap();
                options.extend(options_in(first));
            }
        } else if first == "option" || first.ends_with("` option") {
            let command = match first.strip_suffix(" option") {
                Some(named) => named.trim_matches('`').to_string(),
                None => heading.clone(),
            };
            assert!(
                tables.insert(command.clone(), BTreeSet::new()).is_none(),
                "the README has two option tables for {command}"
            );
            current = Some(command);
        }
    }
    tables
}

/// The options a cell names: every word starting with `-` inside backticks.
fn options_in(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .flat_map(str::split_whitespace)
        .filter(|w| is_option(w))
        .map(String::from)
        .collect()
}

/// `-o` or `--out`, not `-` or `- statement`.
fn is_option(word: &str) -> bool {
    let name = word.trim_start_matches('-');
    word.starts_with('-')
        && word.len() - name.len() <= 2
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
}

/// The subcommands the top-level help lists (not `help`).
fn subcommands() -> Vec<String> {
    let out = repro_check().arg("--help").output().unwrap();
    let text = stdout(&out);
    let list = text
        .split("Commands:\n")
        .nth(1)
        .expect("the help lists its commands");
    list.lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|&c| c != "help")
        .map(String::from)
        .collect()
}

/// The options `repro-check COMMAND --help` shows, without `-h`/`--help`.
fn help_options(command: &str) -> BTreeSet<String> {
    let out = repro_check().args([command, "--help"]).output().unwrap();
    assert!(out.status.success(), "{command} --help: {}", stderr(&out));
    let text = stdout(&out);
    let options = text
        .split("\nOptions:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{command} --help has no options section:\n{text}"));
    options
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .flat_map(|l| {
            // `-o, --out <FILE>`: the names before the value.
            l.split_whitespace()
                .take_while(|w| !w.starts_with('<'))
                .map(|w| w.trim_end_matches(','))
                .filter(|w| is_option(w))
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|o| o != "-h" && o != "--help")
        .collect()
}

#[test]
fn every_option_table_matches_the_help() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let tables = readme_tables(&readme);
    let commands = subcommands();
    assert!(commands.len() >= 9, "{commands:?}");
    for command in &commands {
        let help = help_options(command);
        match tables.get(command) {
            Some(table) => assert_eq!(
                table, &help,
                "the README's table of {command} options (left) and `{command} --help` (right) differ"
            ),
            None => assert!(
                help.is_empty(),
                "{command} has options {help:?} but no README table (`| \\`{command}\\` option | meaning |`)"
            ),
        }
    }
    for command in tables.keys() {
        assert!(
            commands.contains(command),
            "the README has an option table for {command}, which is not a subcommand"
        );
    }
}

/// The parsers see every option of a table row and of a help text (short and long names, flags
/// with and without values), so the comparison above compares real sets.
#[test]
fn the_parsers_see_every_option_of_a_row_and_of_a_help() {
    let readme = "## check\n\n| option | meaning |\n|---|---|\n| `-v`, `--verbose` | more |\n\
                  | `--variation NAME` / `--skip NAME` | runs |\n\n\
                  | `keygen` option | meaning |\n|---|---|\n| `--out PREFIX` | where |\n";
    let tables = readme_tables(readme);
    let want = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        tables["check"],
        want(&["-v", "--verbose", "--variation", "--skip"])
    );
    assert_eq!(tables["keygen"], want(&["--out"]));
    assert_eq!(help_options("keygen"), want(&["--out"]));
    let check = help_options("check");
    for option in [
        "-v",
        "--verbose",
        "--strict",
        "--machine",
        "--allow-store-ref",
    ] {
        assert!(check.contains(option), "{option}: {check:?}");
    }
}
