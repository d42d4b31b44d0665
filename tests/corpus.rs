//! The checked-in corpus, `tests/fixtures/corpus/`: small binaries for four machines, build pairs,
//! archives and attestations built once by `scripts/make-fixtures` (which says exactly how), each
//! with the output `check`, `compare`, `attest` or `verify` gave on it next to it. These tests
//! need no compiler and no tool, so they run on any Linux host, aarch64 included.
//!
//! `REPRO_CHECK_BLESS=1 cargo test --test integration corpus::` rewrites the expected outputs
//! (review the diff: it is a change of behaviour). The last test rebuilds the corpus with the
//! script, where the compilers are installed, and asserts it gives the checked-in bytes.

use crate::common::*;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The corpus directory in the source tree.
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

/// One run of the binary: in `dir` (under the corpus), `args`, the exit status it must give, and
/// the file (in `dir`) holding the standard output it must print.
struct Case {
    dir: &'static str,
    args: Vec<&'static str>,
    code: i32,
    expected: String,
}

/// The ELF files under `check/` and the exit status `check` gives each.
const CHECKED: &[(&str, i32)] = &[
    ("aarch64-dynamic", 1),
    ("aarch64-glibc-static-nss", 0),
    ("aarch64-static", 0),
    ("build-path", 0),
    ("glibc-dynamic", 1),
    ("i686-dynamic", 1),
    ("libhello.so", 1),
    ("musl-gcc-static-pie", 1),
    ("musl-static", 0),
    ("musl-static-pie", 0),
    ("ppc64-dynamic", 1),
];

/// Runs of `check` with options, on files under `check/`: name, exit status, arguments.
const CHECKS_WITH_OPTIONS: &[(&str, i32, &[&str])] = &[
    // The x86_64 file fails a check for aarch64; the aarch64 one passes it.
    (
        "machine-aarch64",
        1,
        &["--machine", "aarch64", "aarch64-static", "musl-static"],
    ),
    // --strict fails the build-path warning.
    ("strict", 1, &["--strict", "build-path", "musl-static"]),
];

/// The build pairs under `compare/`: the pair's name and its two builds.
const PAIRS: &[(&str, &str, &str)] = &[
    (
        "archive",
        "archive/a/hello.tar.gz",
        "archive/b/hello.tar.gz",
    ),
    (
        "build-path",
        "build-path/first/hello",
        "build-path/second/hello",
    ),
    ("timestamp", "timestamp/a/stamp", "timestamp/b/stamp"),
];

/// The verifications under `attest/`: name, exit status, arguments after `verify`.
const VERIFICATIONS: &[(&str, i32, &[&str])] = &[
    // Two identical builds, signed with the test key: verified.
    (
        "identical",
        0,
        &["--key", "test.pub", "identical.dsse.json", "build-1/hello"],
    ),
    // The same attestation, but a file that is not its subject.
    (
        "wrong-file",
        1,
        &[
            "--key",
            "test.pub",
            "identical.dsse.json",
            "../check/musl-static-pie",
        ],
    ),
    // The same attestation and file, but a key that did not sign it.
    (
        "wrong-key",
        1,
        &["--key", "other.pub", "identical.dsse.json", "build-1/hello"],
    ),
    // An attestation that records builds that differ: a file from it does not verify.
    (
        "differ",
        1,
        &["differ.statement.json", "../compare/timestamp/a/stamp"],
    ),
];

/// Runs of `attest` (which prints JSON only) in `attest/`: name, exit status, arguments.
const ATTESTATIONS: &[(&str, i32, &[&str])] = &[
    (
        "identical",
        0,
        &[
            "--builder",
            "ci",
            "--builder",
            "laptop",
            "build-1/hello",
            "build-2/hello",
        ],
    ),
    // Differing builds: the attestation records them and the causes compare finds.
    (
        "differ",
        1,
        &[
            "../compare/timestamp/a/stamp",
            "../compare/timestamp/b/stamp",
        ],
    ),
];

/// Every case, each run twice: with `--json` into `NAME.COMMAND.json` and as text (with the
/// flags in `text`) into `NAME.COMMAND.txt`.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut both =
        |dir, command, text: &[&'static str], name: &str, code, args: &[&'static str]| {
            for (flags, ext) in [(&["--json"][..], "json"), (text, "txt")] {
                cases.push(Case {
                    dir,
                    args: [&[command][..], flags, args].concat(),
                    code,
                    expected: format!("{name}.{command}.{ext}"),
                });
            }
        };
    for &(name, code) in CHECKED {
        both("check", "check", &["-v"], name, code, &[name]);
    }
    for &(name, code, args) in CHECKS_WITH_OPTIONS {
        both("check", "check", &[], name, code, args);
    }
    for &(name, a, b) in PAIRS {
        both("compare", "compare", &[], name, 1, &[a, b]);
    }
    for &(name, code, args) in VERIFICATIONS {
        both("attest", "verify", &[], name, code, args);
    }
    for &(name, code, args) in ATTESTATIONS {
        cases.push(Case {
            dir: "attest",
            args: [&["attest"][..], args].concat(),
            code,
            expected: format!("{name}.attest.json"),
        });
    }
    cases
}

/// Whether a corpus file is an expected output (`NAME.check.json`, `NAME.verify.txt`, …) rather
/// than an input the script builds.
fn is_expected_output(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    ["attest", "check", "compare", "verify"]
        .iter()
        .any(|command| {
            name.ends_with(&format!(".{command}.json"))
                || name.ends_with(&format!(".{command}.txt"))
        })
}

/// Every regular file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(root: &Path, dir: &Path, found: &mut BTreeSet<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                found.insert(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut found = BTreeSet::new();
    walk(dir, dir, &mut found);
    found
}

/// Whether `REPRO_CHECK_BLESS=1` asks to rewrite the expected outputs.
fn blessing() -> bool {
    std::env::var_os("REPRO_CHECK_BLESS").is_some_and(|v| v == "1")
}

/// Run every case in `dir`; with `REPRO_CHECK_BLESS=1` write the outputs, otherwise collect each
/// output that differs from its file and fail with all of them.
fn run_cases(dir: &str) {
    let bless = blessing();
    let mut wrong = Vec::new();
    for case in cases().into_iter().filter(|c| c.dir == dir) {
        let here = corpus().join(case.dir);
        let out = run_in(&here, &case.args);
        assert_eq!(
            out.status.code(),
            Some(case.code),
            "repro-check {:?} in the corpus's {dir}/:\n{}{}",
            case.args,
            stdout(&out),
            stderr(&out)
        );
        let file = here.join(&case.expected);
        // An attestation records the version of repro-check that wrote it: the one output that
        // changes with the version (as in tests/attest.rs's snapshots, it is redacted).
        let version = concat!("\"version\": \"", env!("CARGO_PKG_VERSION"), "\"");
        let got = stdout(&out).replace(version, "\"version\": \"[VERSION]\"");
        if bless {
            std::fs::write(&file, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&file).unwrap_or_default();
        if got != want {
            // The first line that differs (the whole output is one REPRO_CHECK_BLESS=1 and one
            // `git diff` away).
            let line = got.lines().zip(want.lines()).position(|(g, w)| g != w);
            let line = line.unwrap_or(got.lines().count().min(want.lines().count()));
            let at = |text: &str| {
                text.lines()
                    .nth(line)
                    .unwrap_or("(end of output)")
                    .to_string()
            };
            wrong.push(format!(
                "repro-check {} (in {dir}/) no longer prints {dir}/{}: line {} is\n  {}\nnot\n  {}",
                case.args.join(" "),
                case.expected,
                line + 1,
                at(&got),
                at(&want)
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}\n{} output(s) changed; if intended, rewrite them with REPRO_CHECK_BLESS=1 and \
         review the diff",
        wrong.join("\n"),
        wrong.len()
    );
}

#[test]
fn check_on_the_corpus_prints_the_expected_reports() {
    run_cases("check");
}

#[test]
fn compare_on_the_corpus_pairs_prints_the_expected_explanations() {
    run_cases("compare");
}

/// The library compares bytes it is handed as it compares files: each corpus pair, loaded into
/// memory, gives the same explanation (files, sections, causes, members) as the pair on disk.
#[test]
fn compare_of_bytes_in_memory_explains_like_compare_of_the_files() {
    use repro_check::compare;
    use repro_check::manifest::Build;
    let dir = corpus().join("compare");
    for &(name, a, b) in PAIRS {
        let (pa, pb) = (dir.join(a), dir.join(b));
        let on_disk = compare::compare_paths(&[pa.clone(), pb.clone()]).unwrap();
        let read = |p: &Path| std::fs::read(p).unwrap();
        let in_memory = compare::compare(&[
            Build::memory(&pa.to_string_lossy(), read(&pa)),
            Build::memory(&pb.to_string_lossy(), read(&pb)),
        ])
        .unwrap();
        assert!(!in_memory.identical, "{name}");
        let files = |c: &compare::Comparison| serde_json::to_value(&c.files).unwrap();
        let (expected, got) = (files(&on_disk), files(&in_memory));
        assert!(!got[0]["causes"].as_array().unwrap().is_empty(), "{name}");
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn attest_and_verify_on_the_corpus_print_the_expected_attestations_and_verdicts() {
    run_cases("attest");
}

/// Every expected output belongs to a case and every ELF file under `check/` has one, so a
/// fixture cannot be added without its expectation nor an expectation outlive its case.
#[test]
fn every_corpus_file_has_a_case() {
    if blessing() {
        // The other tests are writing the files this one lists; the next run checks them.
        return;
    }
    let cases = cases();
    let expected: BTreeSet<PathBuf> = cases
        .iter()
        .map(|c| Path::new(c.dir).join(&c.expected))
        .collect();
    let on_disk: BTreeSet<PathBuf> = files_under(&corpus())
        .into_iter()
        .filter(|p| is_expected_output(p))
        .collect();
    assert_eq!(on_disk, expected, "expected outputs on disk vs the cases");
    let inputs: BTreeSet<String> = files_under(&corpus().join("check"))
        .into_iter()
        .filter(|p| !is_expected_output(p))
        .map(|p| p.display().to_string())
        .collect();
    let checked: BTreeSet<String> = CHECKED.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(inputs, checked, "files under check/ vs CHECKED");
}

/// `scripts/make-fixtures`, run into a temporary directory with the compilers it names, rebuilds
/// the checked-in inputs byte for byte (and with the same executable bits), so the corpus cannot
/// drift from the script that documents it.
#[test]
fn make_fixtures_reproduces_the_checked_in_corpus() {
    let tools = [
        "gcc",
        "musl-gcc",
        "aarch64-linux-gnu-gcc",
        "i686-linux-gnu-gcc",
        "powerpc64-linux-gnu-gcc",
        "tar",
        "gzip",
        "openssl",
        "dpkg-query",
    ];
    // The script builds the x86_64 fixtures with the native gcc: elsewhere it cannot.
    if std::env::consts::ARCH != "x86_64" {
        skip("scripts/make-fixtures runs on x86_64 only");
        return;
    }
    if !tools.iter().all(|t| have_tool(t)) {
        return;
    }
    // The bytes depend on the exact Debian package versions, which the script records. Other
    // versions (a Debian point release) are not a missing tool: skip, even under
    // REPRO_CHECK_REQUIRE_TOOLS, rather than fail CI on an upstream update.
    let recorded = std::fs::read_to_string(corpus().join("PACKAGES")).unwrap();
    let packages: Vec<&str> = recorded
        .lines()
        .filter_map(|l| l.split(' ').next())
        .collect();
    let installed = std::process::Command::new("dpkg-query")
        .args(["-W", "-f", "${Package} ${Version}\n"])
        .args(&packages)
        .output()
        .unwrap();
    let installed = stdout(&installed);
    let other: Vec<&str> = installed
        .lines()
        .filter(|l| !recorded.lines().any(|r| r == *l))
        .collect();
    if !other.is_empty() || installed.lines().count() != packages.len() {
        let other = if other.is_empty() {
            "fewer of them".to_string()
        } else {
            other.join(", ")
        };
        skip(&format!(
            "the corpus was made with the packages in tests/fixtures/corpus/PACKAGES, and this \
             host has {other} (regenerate the corpus with scripts/make-fixtures to move to them)"
        ));
        return;
    }

    let dir = tempdir();
    let out = std::process::Command::new("sh")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-fixtures"))
        .arg(dir.path())
        .env("REPRO_CHECK", bin())
        .output()
        .expect("cannot run sh");
    assert!(
        out.status.success(),
        "make-fixtures failed:\n{}",
        stderr(&out)
    );

    let built = files_under(dir.path());
    let checked_in: BTreeSet<PathBuf> = files_under(&corpus())
        .into_iter()
        .filter(|p| !is_expected_output(p))
        .collect();
    assert_eq!(
        built, checked_in,
        "files the script builds vs the corpus's inputs"
    );
    // The attestations record the version of repro-check that wrote them; made by an earlier
    // version, they stay as they are (verify must keep accepting them) and are not compared.
    let statement = std::fs::read(corpus().join("attest/differ.statement.json")).unwrap();
    let statement: serde_json::Value = serde_json::from_slice(&statement).unwrap();
    let same_version = statement["predicate"]["verifier"]["version"] == env!("CARGO_PKG_VERSION");
    let mut differ = Vec::new();
    for path in &built {
        let attestation =
            path.starts_with("attest") && path.extension().is_some_and(|e| e == "json");
        if attestation && !same_version {
            continue;
        }
        let (new, old) = (dir.path().join(path), corpus().join(path));
        let exec = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o111 != 0;
        if std::fs::read(&new).unwrap() != std::fs::read(&old).unwrap() || exec(&new) != exec(&old)
        {
            differ.push(path.display().to_string());
        }
    }
    assert!(
        differ.is_empty(),
        "scripts/make-fixtures builds these differently from the checked-in corpus: {differ:?}"
    );
}
