//! The help text is the documentation users read first: lock it, with status, stdout and stderr.

use crate::common::*;

fn snapshot(args: &[&str]) -> String {
    let out = repro_check()
        .args(args)
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    format!(
        "success: {}\nexit_code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        out.status.success(),
        out.status.code().unwrap_or(-1),
        stdout(&out),
        stderr(&out)
    )
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!("help", snapshot(&["--help"]));
}

#[test]
fn every_subcommand_has_help() {
    let subs = subcommands();
    assert!(subs.len() >= 9, "{subs:?}");
    for sub in &subs {
        let out = repro_check().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub} --help failed");
        let text = stdout(&out);
        assert!(
            text.contains(&format!("Usage: repro-check {sub}")),
            "{sub}: {text}"
        );
        assert!(
            text.lines().next().is_some_and(|l| l.len() > 20),
            "{sub} has no summary line: {text}"
        );
    }
}

/// Each subcommand's help text, locked: `help__<name>_help.snap`.
#[test]
fn subcommand_help_is_locked() {
    for sub in subcommands() {
        insta::assert_snapshot!(format!("{sub}_help"), snapshot(&[&sub, "--help"]));
    }
}

#[test]
fn usage_errors_exit_2() {
    let text = snapshot(&["compare", "only-one"]);
    assert!(text.contains("exit_code: 2"), "{text}");
    let text = snapshot(&["check", "--deny", "no-such-code", "x"]);
    assert!(
        text.contains("exit_code: 2") && text.contains("invalid value 'no-such-code'"),
        "{text}"
    );
}
