//! Command-line conventions: mistyped subcommands, closed pipes, standard input, `--json` with no
//! ELF file, `--machine` names, rebuild's progress and its forgotten `--`, completions and the man
//! page. The binary checked is a small C program compiled here with gcc, dynamically linked: it
//! fails `check`.

use crate::common::*;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn status(out: &std::process::Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// A dynamically linked C program in `dir` (a real ELF file that fails `check`). Every test that
/// calls it needs gcc, which cargo needs as its linker anyway.
fn failing_binary(dir: &Path) -> std::path::PathBuf {
    assert!(
        have_tool("gcc"),
        "gcc links Rust programs here; it must exist"
    );
    compile_c("gcc", dir, "dynamic-app", HELLO_C, &[])
}

#[test]
fn mistyped_subcommand_is_a_usage_error_and_checks_nothing() {
    let dir = tempdir();
    let app = failing_binary(dir.path());
    let out = run_in(dir.path(), &["chekc", app.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(status(&out), 2, "{err}");
    assert_eq!(stdout(&out), "", "nothing may be checked");
    assert!(
        err.contains("unrecognized subcommand 'chekc'") && err.contains("did you mean 'check'?"),
        "{err}"
    );
    assert_eq!(err.matches("error:").count(), 1, "one error, once: {err}");

    // A subcommand after a flag: say to put it first.
    let out = run_in(dir.path(), &["--json", "check", "dynamic-app"]);
    let err = stderr(&out);
    assert_eq!((status(&out), stdout(&out).as_str()), (2, ""), "{err}");
    assert!(
        err.contains("put the subcommand first: `repro-check check --json dynamic-app`"),
        "{err}"
    );

    // A file that exists under that name is a file: checked (and it fails, exit 1).
    std::fs::copy(&app, dir.path().join("chekc")).unwrap();
    let out = run_in(dir.path(), &["chekc"]);
    assert_eq!(status(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("FAIL chekc:"), "{}", stdout(&out));
}

#[test]
fn closed_pipe_keeps_a_failed_check_failed() {
    let dir = tempdir();
    let app = failing_binary(dir.path());
    // Standard output is a pipe whose reader is already gone: every write fails with EPIPE.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = repro_check()
        .arg(&app)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(status(&out), 1, "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "a closed pipe is not an error to report");

    // The same with --json, and for compare (two different files: exit 1).
    let other = dir.path().join("other");
    std::fs::write(&other, b"not the same").unwrap();
    for args in [
        vec![
            "check".into(),
            "--json".into(),
            app.clone().into_os_string(),
        ],
        vec![
            "compare".into(),
            app.clone().into_os_string(),
            other.into_os_string(),
        ],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = repro_check().args(&args).stdout(writer).output().unwrap();
        assert_eq!(status(&out), 1, "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn dash_reads_one_file_from_standard_input() {
    let dir = tempdir();
    let app = failing_binary(dir.path());
    let bytes = std::fs::read(&app).unwrap();
    for json in [false, true] {
        let mut child = repro_check()
            .args(["check", "-"])
            .args(json.then_some("--json"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A pipe, written in pieces while repro-check reads: it cannot seek.
        let mut stdin = child.stdin.take().unwrap();
        for chunk in bytes.chunks(1000) {
            stdin.write_all(chunk).unwrap();
        }
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        let text = stdout(&out);
        assert_eq!(status(&out), 1, "{}", stderr(&out));
        if json {
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(doc["files"][0]["path"], "-", "{text}");
            assert_eq!(doc["files"][0]["size"], bytes.len() as u64, "{text}");
            assert_eq!(doc["files"][0]["pass"], false, "{text}");
        } else {
            assert!(text.starts_with("FAIL -: dynamic"), "{text}");
        }
    }

    // With other paths, in order; `-` twice is an error; a non-ELF stdin is an error about `-`.
    let out = repro_check()
        .args(["check", app.to_str().unwrap(), "-"])
        .stdin(std::fs::File::open(&app).unwrap())
        .output()
        .unwrap();
    let text = stdout(&out);
    let (first, second) = (text.find("FAIL ").unwrap(), text.find("FAIL -:").unwrap());
    assert!(first < second, "{text}");
    assert!(text.contains("2 ELF files checked"), "{text}");
    let out = repro_check()
        .args(["check", "-", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(status(&out), 2);
    assert!(
        stderr(&out).contains("named more than once"),
        "{}",
        stderr(&out)
    );
    let out = repro_check()
        .args(["check", "--json", "-", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(status(&out), 2);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        doc["error"]
            .as_str()
            .unwrap()
            .contains("named more than once"),
        "{doc}"
    );
    let script = dir.path().join("script");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let out = repro_check()
        .args(["check", "-"])
        .stdin(std::fs::File::open(script).unwrap())
        .output()
        .unwrap();
    assert_eq!(status(&out), 2);
    assert!(
        stderr(&out).contains("error: - is not an ELF file: it is a shell script"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn json_is_one_document_even_when_no_elf_file_is_found() {
    let dir = tempdir();
    std::fs::write(dir.path().join("README"), "text\n").unwrap();
    let out = run_in(dir.path(), &["check", "--json", "."]);
    assert_eq!(status(&out), 2, "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["files"], serde_json::json!([]));
    assert_eq!(doc["summary"]["skipped_not_elf"], 1);
    let error = doc["error"].as_str().unwrap();
    assert!(error.starts_with("found no ELF files in ."), "{error}");
    // Without --json: the error alone, exit 2, nothing on stdout.
    let out = run_in(dir.path(), &["check", "."]);
    assert_eq!((status(&out), stdout(&out).as_str()), (2, ""));
    assert!(stderr(&out).contains("found no ELF files in ."));
}

#[test]
fn machine_accepts_the_names_people_use() {
    let dir = tempdir();
    let app = failing_binary(dir.path());
    let app = app.to_str().unwrap();
    let (host, host_alias, other, other_alias) = match std::env::consts::ARCH {
        "x86_64" => ("x86_64", "amd64", "aarch64", "arm64"),
        "aarch64" => ("aarch64", "arm64", "x86_64", "x64"),
        arch => return skip_or_fail(&format!("no aliases listed here for {arch}")),
    };
    let machine_finding = |name: &str| {
        let out = run_in(dir.path(), &["check", "--json", "--machine", name, app]);
        assert_eq!(status(&out), 1, "{}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        doc["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "machine")
            .map(|f| f["message"].as_str().unwrap().to_string())
    };
    for name in [host, host_alias, &host_alias.to_uppercase()] {
        assert_eq!(machine_finding(name), None, "{name}");
    }
    if host == "x86_64" {
        for name in ["x86-64", "x64"] {
            assert_eq!(machine_finding(name), None, "{name}");
        }
    }
    for name in [other, other_alias] {
        let message = machine_finding(name).unwrap();
        assert!(
            message.contains(&format!("but {other} is required")),
            "{message}"
        );
    }
    let out = run_in(dir.path(), &["check", "--machine", "pdp11", app]);
    let err = stderr(&out);
    assert_eq!((status(&out), stdout(&out).as_str()), (2, ""), "{err}");
    assert!(
        err.contains("invalid value 'pdp11' for '--machine <MACHINE>'")
            && err.contains("x86_64 (amd64, x86-64, x64")
            && err.contains("aarch64 (arm64"),
        "{err}"
    );
}

#[test]
fn rebuild_prints_each_run_as_it_ends() {
    let dir = tempdir();
    let source = dir.path().join("src");
    std::fs::create_dir(&source).unwrap();
    let gate = dir.path().join("gate");
    // The last run (tz) waits for the gate, which the test opens only after reading the earlier
    // runs' lines: they must have been printed while the rebuild was still running.
    std::fs::write(
        source.join("build.sh"),
        "mkdir -p out && echo same > out/a\n\
         if [ \"$TZ\" = GMT-14 ]; then while [ ! -e \"$GATE\" ]; do sleep 0.05; done; fi\n",
    )
    .unwrap();
    let mut child = repro_check()
        .current_dir(&source)
        .args(["rebuild", "--variation", "tz", "--output", "out/a", "--"])
        .args(["sh", "build.sh"])
        .env("GATE", &gate)
        .env("TMPDIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A watchdog opens the gate anyway after a minute, so a failure cannot hang the test.
    let watchdog_gate = gate.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        let _ = std::fs::write(watchdog_gate, "");
    });
    let start = Instant::now();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.trim_start().starts_with("control-2");
        seen.push(line);
        if done {
            break;
        }
    }
    assert!(
        child.try_wait().unwrap().is_none() && !gate.exists(),
        "the lines must come while the last run still waits: {seen:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(60), "{seen:?}");
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen[0].starts_with("rebuild: 3 runs of `sh build.sh`, comparing out/a;"),
        "{seen:?}"
    );
    assert!(
        seen[1].contains("control-1") && seen[1].ends_with("reference"),
        "{seen:?}"
    );
    assert!(seen[2].ends_with("reproduced"), "{seen:?}");
    std::fs::write(&gate, "").unwrap();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let out = child.wait_with_output().unwrap();
    assert_eq!(status(&out), 0, "{rest:?}");
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert!(rest[0].trim_start().starts_with("tz ") && rest[0].ends_with("reproduced"));
    // Not a terminal: plain lines, no bar, no escape sequences; the report is on stdout.
    assert!(!seen.iter().chain(&rest).any(|l| l.contains(['\r', '\x1b'])));
    assert!(stdout(&out).contains("REPRODUCIBLE: every run built identical outputs"));
}

#[test]
fn rebuild_says_how_to_write_a_forgotten_double_dash() {
    let dir = tempdir();
    // What clap's tip leads to: `--output out cargo build -- --release`.
    let out = run_in(
        dir.path(),
        &[
            "rebuild",
            "--output",
            "out",
            "sh",
            "build",
            "--",
            "--release",
        ],
    );
    let err = stderr(&out);
    assert_eq!(status(&out), 2, "{err}");
    assert!(
        err.contains("the build command starts with `--release`, an option, not a program (sh went to --output")
            && err.contains("-- cargo build --release`"),
        "{err}"
    );
    let out = run_in(
        dir.path(),
        &["rebuild", "--output", "out", "sh", "--", "x.sh"],
    );
    let err = stderr(&out);
    assert_eq!(status(&out), 2, "{err}");
    assert!(
        err.contains("--output sh names a program, not an output path"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing may be built"
    );
}

#[test]
fn completions_and_man_page_come_from_the_clap_definitions() {
    let subcommands = subcommands();
    assert!(subcommands.len() >= 9, "{subcommands:?}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = repro_check().args(["completions", shell]).output().unwrap();
        assert_eq!(status(&out), 0, "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        for sub in &subcommands {
            assert!(script.contains(sub.as_str()), "{shell} lacks {sub}");
        }
        // Options of a subcommand too, e.g. rebuild's --list-variations.
        assert!(script.contains("list-variations"), "{shell}");
        if shell == "bash" {
            let dir = tempdir();
            let file = dir.path().join("repro-check.bash");
            std::fs::write(&file, &script).unwrap();
            let check = Command::new("bash").arg("-n").arg(&file).output().unwrap();
            assert!(check.status.success(), "{}", stderr(&check));
        }
    }
    let out = repro_check()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(status(&out), 2);

    let out = repro_check().arg("man").output().unwrap();
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH repro-check 1"),
        "{page}"
    );
    for sub in &subcommands {
        assert!(
            page.contains(&format!("repro\\-check\\-{sub}(1)")),
            "man page lacks {sub}"
        );
    }
    let dir = tempdir();
    let out = repro_check()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    for sub in &subcommands {
        let sub_page = std::fs::read_to_string(dir.path().join(format!("repro-check-{sub}.1")))
            .unwrap_or_else(|e| panic!("no page for {sub}: {e}"));
        assert!(
            sub_page.contains(&format!(".TH repro-check-{sub} 1")),
            "{sub_page}"
        );
    }
    let check_page = std::fs::read_to_string(dir.path().join("repro-check-check.1")).unwrap();
    assert!(check_page.contains("\\-\\-machine"), "{check_page}");
    if have_tool("groff") {
        let out = Command::new("groff")
            .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
            .arg(dir.path().join("repro-check-check.1"))
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn rebuild_draws_a_bar_on_a_terminal_and_keeps_json_clean() {
    if !have_tool("script") {
        return;
    }
    let dir = tempdir();
    let source = dir.path().join("src");
    std::fs::create_dir(&source).unwrap();
    std::fs::write(
        source.join("build.sh"),
        "mkdir -p out && echo same > out/a && sleep 1\n",
    )
    .unwrap();
    // `script` gives repro-check a terminal for standard error; standard output goes to a file.
    let json = dir.path().join("report.json");
    let line = format!(
        "'{}' rebuild --json --variation tz --output out/a -- sh build.sh > '{}'",
        bin().display(),
        json.display()
    );
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(&source)
        .env("TMPDIR", dir.path())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let terminal = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{terminal}");
    assert!(terminal.contains("run 1 of 3: control-1"), "{terminal}");
    assert!(terminal.contains("run 3 of 3: tz"), "{terminal}");
    assert!(
        terminal.contains("control-2   same environment"),
        "{terminal}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["verdict"], "reproducible");
}

#[test]
fn hash_and_compare_draw_a_bar_on_a_terminal_and_keep_stdout_clean() {
    if !have_tool("script") {
        return;
    }
    let dir = tempdir();
    for build in ["a", "b"] {
        for sub in 0..20 {
            let d = dir.path().join(build).join(format!("d{sub}"));
            std::fs::create_dir_all(&d).unwrap();
            for f in 0..100 {
                std::fs::write(d.join(format!("f{f}")), format!("{sub} {f}\n")).unwrap();
            }
        }
    }
    std::fs::write(dir.path().join("b/d7/f3"), "changed\n").unwrap();
    for (args, json) in [
        ("hash a", false),
        ("hash --json a", true),
        ("compare a b", false),
        ("compare --json a b", true),
    ] {
        // `script` gives repro-check a terminal for standard error; standard output goes to a file.
        let line = format!("'{}' {args} > stdout", bin().display());
        let out = Command::new("script")
            .args(["-q", "-c", &line, "/dev/null"])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("TERM", "xterm")
            .env("REPRO_CHECK_PROGRESS_DELAY_MS", "0")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let terminal = String::from_utf8_lossy(&out.stdout);
        assert!(terminal.contains("hashing "), "{args}: {terminal}");
        // Files hashed of all found (both builds for compare), then files compared.
        if args.starts_with("compare") {
            assert!(terminal.contains("/4000 files"), "{args}: {terminal}");
            assert!(terminal.contains("comparing "), "{args}: {terminal}");
        } else {
            assert!(terminal.contains("/2000 files"), "{args}: {terminal}");
        }
        let stdout = std::fs::read_to_string(dir.path().join("stdout")).unwrap();
        assert!(
            !stdout.contains("hashing") && !stdout.contains('\r') && !stdout.contains('\x1b'),
            "{args}: {stdout}"
        );
        if json {
            let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert!(doc["schema"].is_string(), "{args}: {stdout}");
        } else if args.starts_with("hash") {
            assert_eq!(stdout.lines().count(), 2000, "{args}");
        } else {
            assert!(stdout.contains("d7/f3"), "{args}: {stdout}");
        }
    }
}
