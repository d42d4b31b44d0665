//! `repro-check rebuild` on real builds: shell, gcc and tar builds run in fresh copies under each
//! variation, and real Nix builds checked with Nix's own rebuild.

use crate::common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Output;

/// A source tree with `files`.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempdir();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// `repro-check rebuild ARGS` in `src`, with its temporary files under `work`.
fn rebuild(src: &Path, work: &Path, args: &[&str]) -> Output {
    let mut full = vec!["rebuild", "--work-dir", work.to_str().unwrap()];
    full.extend_from_slice(args);
    run_in(src, &full)
}

/// `rebuild ARGS -- sh build.sh`: the project's build script as the command.
fn rebuild_sh(src: &Path, work: &Path, args: &[&str]) -> Output {
    let mut full = args.to_vec();
    full.extend_from_slice(&["--", "sh", "build.sh"]);
    rebuild(src, work, &full)
}

fn run<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no run {name} in {report:#}"))
}

fn cause_kinds(difference: &Value) -> Vec<String> {
    difference["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Names of the runs whose outputs differ.
fn differing(report: &Value) -> Vec<String> {
    report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "differs")
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

fn leftovers(work: &Path) -> Vec<String> {
    fs::read_dir(work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

const ALL_RUNS: [&str; 10] = [
    "control-1",
    "control-2",
    "build-path",
    "tz",
    "locale",
    "umask",
    "home",
    "cargo-home",
    "jobs",
    "file-order",
];

#[test]
fn deterministic_gcc_build_reproduces_and_cleans_up() {
    if !have_tool("gcc") {
        return;
    }
    let src = project(&[
        ("hello.c", HELLO_C),
        ("build.sh", "mkdir -p out && gcc -O2 -o out/hello hello.c\n"),
        ("target/stale", "never copied"),
    ]);
    let work = tempdir();
    let out = rebuild_sh(src.path(), work.path(), &["--json", "--output", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["verdict"], "reproducible");
    let names: Vec<&str> = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ALL_RUNS);
    assert!(differing(&report).is_empty());
    assert_eq!(report["reference"][0]["path"], "out/hello");
    assert!(report.get("kept").is_none());
    assert!(
        leftovers(work.path()).is_empty(),
        "temporary files left behind"
    );
    assert!(
        !src.path().join("out").exists(),
        "the source tree was built in"
    );
}

#[test]
fn timestamp_is_caught_by_the_control_and_not_blamed_on_a_variation() {
    let src = project(&[(
        "build.sh",
        "mkdir -p out\necho stable > out/fixed.txt\n\
         echo \"built on $(date -u '+%Y-%m-%d %H:%M:%S')\" > out/version.txt\n",
    )]);
    let work = tempdir();
    let out = rebuild_sh(
        src.path(),
        work.path(),
        &["--json", "--variation", "tz", "-o", "out"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["verdict"], "not-reproducible");
    let control = &run(&report, "control-2")["differences"];
    assert_eq!(control.as_array().unwrap().len(), 1, "{report:#}");
    assert_eq!(control[0]["path"], "out/version.txt");
    assert_eq!(control[0]["blamed"], false);
    assert!(
        cause_kinds(&control[0]).contains(&"timestamp".to_string()),
        "{report:#}"
    );
    // The time differs under the tz run too, but the controls already disagree: not its fault.
    let tz = &run(&report, "tz")["differences"];
    assert_eq!(tz[0]["path"], "out/version.txt");
    assert_eq!(tz[0]["blamed"], false);

    // The text report says the same, and keeps the logs and outputs for a closer look.
    let kept = report["kept"].as_str().unwrap();
    assert!(Path::new(kept).join("logs/control-2.log").is_file());
    assert!(
        Path::new(kept)
            .join("outputs/control-2/out/version.txt")
            .is_file()
    );
    let text = stdout(&rebuild_sh(
        src.path(),
        work.path(),
        &["--variation", "tz", "-o", "out"],
    ));
    assert!(text.contains("NOT REPRODUCIBLE"), "{text}");
    assert!(
        text.contains("control-2 differs from control-1 with nothing varied"),
        "{text}"
    );
    assert!(text.contains("timestamp:"), "{text}");
    assert!(text.contains("(not blamed on tz)"), "{text}");
}

#[test]
fn build_directory_in_debug_info_is_blamed_on_build_path_only() {
    if !have_tool("gcc") {
        return;
    }
    let src = project(&[
        ("main.c", HELLO_C),
        ("build.sh", "mkdir -p out && gcc -g -O1 -o out/app main.c\n"),
    ]);
    let work = tempdir();
    let out = rebuild_sh(src.path(), work.path(), &["--json", "--output", "out/app"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(differing(&report), ["build-path"], "{report:#}");
    let diff = &run(&report, "build-path")["differences"][0];
    assert_eq!(diff["path"], "out/app");
    assert_eq!(diff["change"], "content");
    assert_eq!(diff["blamed"], true);
    assert!(
        cause_kinds(diff).contains(&"build-path".to_string()),
        "{report:#}"
    );
}

#[test]
fn umask_leaking_into_a_tarball_is_blamed_on_umask() {
    if !have_tool("tar") {
        return;
    }
    let src = project(&[(
        "build.sh",
        "mkdir -p pkg && echo data > pkg/file && \
         tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf app.tar pkg\n",
    )]);
    let work = tempdir();
    let out = rebuild_sh(src.path(), work.path(), &["--json", "--output", "app.tar"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(differing(&report), ["umask"], "{report:#}");
    let diff = &run(&report, "umask")["differences"][0];
    assert_eq!(diff["path"], "app.tar");
    assert_eq!(diff["blamed"], true);
    assert_ne!(diff["sha256"][0], diff["sha256"][1]);
}

#[test]
fn json_schema() {
    // Deterministic except for the build directory, which the script writes out: one blamed
    // difference, explained.
    let src = project(&[(
        "build.sh",
        "mkdir -p out/sub && echo same > out/sub/same.txt && echo \"built in $PWD\" > out/where.txt\n",
    )]);
    let work = tempdir();
    let out = rebuild_sh(
        src.path(),
        work.path(),
        &[
            "--json",
            "--variation",
            "build-path",
            "--variation",
            "home",
            "--output",
            "out",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    insta::assert_json_snapshot!("rebuild_json", report, {
        ".runs[].seconds" => "[seconds]",
        ".source_date_epoch" => "[epoch]",
        ".kept" => "[kept]",
        ".reference[1].sha256" => "[sha256]",
        ".runs[].differences[].sha256" => "[sha256s]",
        ".runs[].differences[].line_diff" => "[line diff]",
        ".runs[].differences[].first_difference" => "[offset]",
        ".runs[].differences[].causes[].evidence" => "[evidence]",
        ".runs[].differences[].causes[].hint" => "[hint]",
    });
}

#[test]
fn failing_command_exits_2_with_the_tail_of_its_log() {
    let src = project(&[(
        "build.sh",
        "echo compiling\necho 'error: no such crate `frob`' >&2\nexit 3\n",
    )]);
    let work = tempdir();
    let out = rebuild_sh(src.path(), work.path(), &["-o", "out"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.contains("FAILED: the build command failed in run control-1 with exit status 3"),
        "{text}"
    );
    assert!(text.contains("| compiling"), "{text}");
    assert!(text.contains("| error: no such crate `frob`"), "{text}");
    let kept = leftovers(work.path());
    assert_eq!(kept.len(), 1);
    let log = work.path().join(&kept[0]).join("logs/control-1.log");
    assert!(fs::read_to_string(log).unwrap().contains("frob"));
}

#[test]
fn missing_output_exits_2() {
    let src = project(&[("build.sh", "echo built > elsewhere\n")]);
    let work = tempdir();
    let out = rebuild_sh(src.path(), work.path(), &["-o", "out/app"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("succeeded in run control-1 but did not create out/app"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn bad_arguments_exit_2() {
    let src = project(&[("build.sh", "true\n")]);
    let work = tempdir();
    for args in [
        &["--variation", "moon-phase", "-o", "x", "--", "true"][..],
        &["-o", "../x", "--", "true"],
        &["--", "true"],
        &["-o", "x"],
    ] {
        let out = rebuild(src.path(), work.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn lists_and_selects_variations() {
    let out = run_in(Path::new("."), &["rebuild", "--list-variations"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for name in &ALL_RUNS[2..] {
        assert!(
            text.contains(&format!("{name}: ")),
            "{name} missing:\n{text}"
        );
    }
    let src = project(&[("build.sh", "echo x > o\n")]);
    let work = tempdir();
    let out = rebuild_sh(
        src.path(),
        work.path(),
        &[
            "--json",
            "--skip",
            "file-order",
            "--skip",
            "jobs",
            "-o",
            "o",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let names: Vec<String> = json(&out)["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ALL_RUNS[..8]);
}

/// Whether Nix can build in its sandbox here (`crate::common::nix_sandbox_works`).
fn nix_works() -> bool {
    nix_sandbox_works()
}

/// A derivation that needs no nixpkgs: the sandbox's /bin/sh runs `script` (shell builtins only).
/// The system is spelled out: flakes evaluate purely, without `builtins.currentSystem`.
fn derivation(name: &str, script: &str) -> String {
    format!(
        "derivation {{ name = \"{name}\"; system = \"{}-linux\"; builder = \"/bin/sh\"; \
         args = [ \"-c\" \"{script}\" ]; }}\n",
        std::env::consts::ARCH
    )
}

/// `repro-check ARGS` in `dir`; the Nix it runs has the tests' own configuration, and its
/// temporary build directories (kept by `--check -K` and `--keep-failed` when a rebuild differs)
/// are inside `dir`, so they go with it.
fn nix_in(dir: &Path, args: &[&str]) -> Output {
    crate::common::isolate_nix(&mut repro_check())
        .current_dir(dir)
        .env("TMPDIR", dir)
        .args(args)
        .output()
        .expect("failed to start repro-check")
}

/// `repro-check rebuild --json --nix INSTALLABLE` in `dir`, which must exit with `code`.
fn nix_rebuild(dir: &Path, installable: &str, code: i32) -> Value {
    let out = nix_in(dir, &["rebuild", "--json", "--nix", installable]);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    json(&out)
}

#[test]
fn nix_deterministic_derivation_reproduces() {
    if !nix_works() {
        return;
    }
    let dir = tempdir();
    let file = dir.path().join("det.nix");
    fs::write(
        &file,
        derivation("repro-check-det", "mkdir $out; echo hello > $out/greeting"),
    )
    .unwrap();
    let report = nix_rebuild(dir.path(), file.to_str().unwrap(), 0);
    assert_eq!(report["verdict"], "reproducible");
    assert_eq!(report["method"], "nix-build --check -K");
    assert_eq!(report["outputs"][0]["reproduced"], true);
}

#[test]
fn nix_randomness_is_caught_and_explained() {
    if !nix_works() {
        return;
    }
    let dir = tempdir();
    let file = dir.path().join("rnd.nix");
    fs::write(
        &file,
        derivation(
            "repro-check-random",
            "mkdir $out; echo fixed > $out/fixed; read u < /proc/sys/kernel/random/uuid; echo id=$u > $out/id",
        ),
    )
    .unwrap();
    let report = nix_rebuild(dir.path(), file.to_str().unwrap(), 1);
    assert_eq!(report["verdict"], "not-reproducible");
    let output = &report["outputs"][0];
    assert_eq!(output["reproduced"], false);
    let check = output["check_path"].as_str().unwrap();
    assert!(check.ends_with(".check") && Path::new(check).is_dir());
    let diffs = output["differences"].as_array().unwrap();
    assert_eq!(diffs.len(), 1, "{report:#}");
    assert_eq!(diffs[0]["path"], "id");
    // Explained down to the bytes: where they start to differ and the lines that differ.
    // (after "id=": the two UUIDs may share leading digits)
    let first = diffs[0]["first_difference"].as_u64().unwrap();
    assert!((3..=38).contains(&first), "{report:#}");
    let lines: Vec<&str> = diffs[0]["line_diff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        lines.len() == 2 && lines[0].starts_with("-id=") && lines[1].starts_with("+id="),
        "{report:#}"
    );

    let text = stdout(&nix_in(
        dir.path(),
        &["rebuild", "--nix", file.to_str().unwrap()],
    ));
    assert!(text.contains("NOT REPRODUCIBLE"), "{text}");
    assert!(text.contains("id: contents differ"), "{text}");
    assert!(text.contains("first difference at byte "), "{text}");
}

#[test]
fn nix_flake_is_checked_with_nix_build_rebuild() {
    if !nix_works() {
        return;
    }
    let dir = tempdir();
    fs::write(
        dir.path().join("flake.nix"),
        format!(
            "{{ outputs = {{ self }}: {{ packages.{}-linux.default = {}; }}; }}\n",
            std::env::consts::ARCH,
            derivation(
                "repro-check-flake",
                "read u < /proc/sys/kernel/random/uuid; echo $u > $out"
            )
            .trim_end()
        ),
    )
    .unwrap();
    let installable = format!("path:{}#default", dir.path().display());
    let report = nix_rebuild(dir.path(), &installable, 1);
    assert_eq!(report["method"], "nix build --rebuild --keep-failed");
    assert_eq!(report["outputs"][0]["differences"][0]["path"], ".");
}

/// `rebuild ARGS --variation VARIATION --attest ATT -o out -- sh build.sh`, and the statement
/// it wrote.
fn rebuild_attested(src: &Path, work: &Path, variation: &str, args: &[&str]) -> (Output, Value) {
    let att = work.join("att.json");
    let mut full = args.to_vec();
    full.extend_from_slice(&[
        "--variation",
        variation,
        "--attest",
        att.to_str().unwrap(),
        "-o",
        "out",
    ]);
    let out = rebuild_sh(src, work, &full);
    let statement = fs::read(&att)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    (out, statement)
}

#[test]
fn attest_writes_a_statement_that_verify_accepts() {
    let src = project(&[("build.sh", "mkdir -p out && echo hello > out/a.txt\n")]);
    let work = tempdir();
    let att = work.path().join("att.json");
    let (out, statement) = rebuild_attested(src.path(), work.path(), "tz", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("attestation written to"));
    assert_eq!(statement["subject"][0]["name"], "out/a.txt");
    assert_eq!(statement["predicate"]["result"], "IDENTICAL");
    let labels: Vec<&str> = statement["predicate"]["builds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["control-1", "control-2", "tz"]);
    // The file anyone rebuilds is checked against it offline.
    let file = work.path().join("a.txt");
    fs::write(&file, "hello\n").unwrap();
    let verify = run_in(
        work.path(),
        &["verify", att.to_str().unwrap(), file.to_str().unwrap()],
    );
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));

    // A build that differs is attested too, as different.
    let src = project(&[("build.sh", "mkdir -p out && umask > out/umask.txt\n")]);
    let (out, statement) = rebuild_attested(src.path(), work.path(), "umask", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(statement["predicate"]["result"], "DIFFERENT");
}

/// A crate with a registry dependency embeds `$CARGO_HOME/registry/src/…` paths (here in its
/// debug info): the cargo-home variation must catch that, and the remap `.ci/run` builds the
/// release binary with must make it reproduce. Offline: the dependency (memchr, one of this
/// project's own) is already in the cargo home that built these tests.
#[test]
fn cargo_home_variation_catches_dependency_paths_and_the_remap_fixes_them() {
    if !have_tool("cargo") {
        return;
    }
    let src = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"dep-paths\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nmemchr = \"2\"\n",
        ),
        (
            "src/main.rs",
            "fn main() {\n    let arg: Vec<u8> = std::env::args().next().unwrap_or_default().into();\n    \
             println!(\"{:?}\", memchr::memchr(b'/', &arg));\n}\n",
        ),
    ]);
    let work = tempdir();
    let args = [
        "--json",
        "--variation",
        "cargo-home",
        "--output",
        "target/debug/dep-paths",
        "--",
    ];
    let plain = [&args[..], &["cargo", "build", "--offline", "--quiet"]].concat();
    let out = rebuild(src.path(), work.path(), &plain);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        run(&report, "control-2")["status"],
        "reproduced",
        "{report:#}"
    );
    let varied = run(&report, "cargo-home");
    assert_eq!(varied["status"], "differs", "{report:#}");
    assert_eq!(varied["differences"][0]["blamed"], true, "{report:#}");
    let evidence = varied["differences"][0]["causes"].to_string();
    assert!(
        evidence.contains("cargo-home-varied/deeper/cargo ("),
        "{evidence}"
    );

    let remapped = [
        &args[..],
        &[
            "sh",
            "-c",
            "RUSTFLAGS=\"--remap-path-prefix=$CARGO_HOME/registry/src/=/cargo/registry/src/\" \
             exec cargo build --offline --quiet",
        ],
    ]
    .concat();
    let work = tempdir();
    let out = rebuild(src.path(), work.path(), &remapped);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        fs::read_dir(work.path()).unwrap().count(),
        0,
        "a reproducible rebuild leaves nothing behind"
    );
}

/// The verdict, `--attest` and `compare` on the kept outputs share one build model, so they agree
/// on modes: a group execute bit (0654 vs 0644) is not recorded (as in NAR and git), the owner's
/// (0744 vs 0644) is.
#[test]
fn verdict_attestation_and_compare_agree_on_modes() {
    for (mode, code, result) in [("0654", 0, "IDENTICAL"), ("0744", 1, "DIFFERENT")] {
        let script = format!(
            "mkdir -p out && echo hi > out/f && chmod 0644 out/f && \
             case \"$TZ\" in GMT*) chmod {mode} out/f ;; esac\n"
        );
        let src = project(&[("build.sh", &script)]);
        let work = tempdir();
        let (out, statement) =
            rebuild_attested(src.path(), work.path(), "tz", &["--json", "--keep"]);
        assert_eq!(out.status.code(), Some(code), "{mode}: {}", stderr(&out));
        let report = json(&out);
        assert_eq!(statement["predicate"]["result"], result, "{mode}");
        if code == 1 {
            let diff = &run(&report, "tz")["differences"][0];
            assert_eq!(diff["path"], "out/f", "{report:#}");
            assert_eq!(diff["change"], "executable", "{report:#}");
        }
        // `compare` on the kept outputs says the same.
        let kept = Path::new(report["kept"].as_str().unwrap()).join("outputs");
        let cmp = run_in(
            work.path(),
            &[
                "compare",
                kept.join("control-1").to_str().unwrap(),
                kept.join("tz").to_str().unwrap(),
            ],
        );
        assert_eq!(cmp.status.code(), Some(code), "{mode}: {}", stdout(&cmp));
    }
}
