//! `repro-check hash`: `sha256sum -c` compatible listings, JSON manifests, and NAR hashes checked
//! against `nix hash path` on the same trees.

use crate::common::*;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

/// A tree with nested and empty directories, executables, relative, absolute and dangling
/// symlinks, an empty file and files whose sizes exercise every NAR padding length.
fn make_tree(root: &Path) {
    let w = |rel: &str, bytes: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    w("bin/tool", b"#!/bin/sh\necho tool\n");
    std::fs::set_permissions(
        root.join("bin/tool"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    w("share/doc/README", b"read me\n");
    w("share/empty-file", b"");
    for n in 1..=9 {
        w(&format!("pad/{n}"), &vec![b'x'; n]);
    }
    w("with space.txt", b"spaces\n");
    std::fs::create_dir_all(root.join("lib/empty-dir")).unwrap();
    symlink("../share/doc/README", root.join("bin/readme-link")).unwrap();
    symlink("/nonexistent/target", root.join("lib/dangling")).unwrap();
    symlink("doc", root.join("share/doc-link")).unwrap();
}

fn nix_hash_path(dir: &Path, path: &str) -> String {
    let out = crate::common::nix_command("nix")
        .args([
            "--extra-experimental-features",
            "nix-command",
            "hash",
            "path",
            path,
        ])
        .current_dir(dir)
        .output()
        .expect("cannot run nix");
    assert!(
        out.status.success(),
        "nix hash path {path} failed: {}",
        stderr(&out)
    );
    stdout(&out).trim().to_string()
}

#[test]
fn nar_hashes_equal_nix_hash_path() {
    if !have_tool("nix") {
        return;
    }
    let dir = tempdir();
    make_tree(&dir.path().join("tree"));
    symlink("tree", dir.path().join("result")).unwrap();
    // The tree, a nested directory, an executable, a plain file, an empty file, a symlink, and a
    // `result` link followed by a trailing slash (as Nix does).
    let paths = [
        "tree",
        "tree/share",
        "tree/bin/tool",
        "tree/pad/7",
        "tree/share/empty-file",
        "tree/bin/readme-link",
        "result/",
        "result",
    ];
    let mut args = vec!["hash", "--nar"];
    args.extend(paths);
    let out = run_in(dir.path(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for path in paths {
        let want = format!("# nar {}  {path}", nix_hash_path(dir.path(), path));
        assert!(
            text.lines().any(|l| l == want),
            "missing {want:?} in:\n{text}"
        );
    }
}

/// `sha256sum --check --strict` of `sums` (written to `dir/SUMS`) in `dir`, which must pass.
fn sha256sum_check(dir: &Path, sums: &[u8]) -> std::process::Output {
    std::fs::write(dir.join("SUMS"), sums).unwrap();
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "SUMS"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );
    check
}

#[test]
fn text_output_passes_sha256sum_check() {
    if !have_tool("sha256sum") {
        return;
    }
    let dir = tempdir();
    make_tree(&dir.path().join("tree"));
    let out = run_in(dir.path(), &["hash", "--nar", "tree", "tree/bin/tool"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // Regular files only, sorted by path; symlinks and directories are not files to check.
    let listed: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| &l[66..])
        .collect();
    assert_eq!(listed[0], "tree/bin/tool");
    assert_eq!(listed[1], "tree/pad/1");
    assert!(listed.contains(&"tree/with space.txt"));
    assert!(
        !listed
            .iter()
            .any(|p| p.contains("link") || p.contains("dangling"))
    );
    assert_eq!(
        listed.last(),
        Some(&"tree/bin/tool"),
        "the file given by itself comes last"
    );
    let check = sha256sum_check(dir.path(), text.as_bytes());
    assert_eq!(stdout(&check).lines().count(), listed.len());
    // And it fails once a file changes.
    std::fs::write(dir.path().join("tree/pad/3"), "yyy").unwrap();
    let check = Command::new("sha256sum")
        .args(["-c", "SUMS"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!check.status.success());
    assert!(stdout(&check).contains("tree/pad/3: FAILED"));
}

#[test]
fn json_manifest_schema() {
    let dir = tempdir();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("bin")).unwrap();
    std::fs::write(tree.join("bin/tool"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(
        tree.join("bin/tool"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(tree.join("data"), "data\n").unwrap();
    symlink("bin/tool", tree.join("link")).unwrap();
    let out = run_in(
        dir.path(),
        &["hash", "--json", "--nar", "tree", "tree/data"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("hash_json", stdout(&out));
}

/// `repro-check compare BUILDS` in `dir`, which must exit with `code`.
fn compare_expect(dir: &Path, builds: &[&str], code: i32) -> std::process::Output {
    let mut args = vec!["compare"];
    args.extend_from_slice(builds);
    let out = run_in(dir, &args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

#[test]
fn manifest_stands_in_for_the_build() {
    let dir = tempdir();
    make_tree(&dir.path().join("tree"));
    let out = run_in(dir.path(), &["hash", "--json", "tree"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(dir.path().join("tree.json"), &out.stdout).unwrap();

    let same = compare_expect(dir.path(), &["tree.json", "tree"], 0);
    assert!(stdout(&same).contains("identical"));

    std::fs::write(dir.path().join("tree/pad/2"), "zz").unwrap();
    let changed = compare_expect(dir.path(), &["--json", "tree.json", "tree"], 1);
    let json: serde_json::Value = serde_json::from_slice(&changed.stdout).unwrap();
    let files = json["files"].as_array().unwrap();
    let differing: Vec<&str> = files
        .iter()
        .filter(|f| f["identical"] == false)
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(differing, ["pad/2"]);
    let pad2 = files.iter().find(|f| f["path"] == "pad/2").unwrap();
    assert_eq!(pad2["changes"][0]["kind"], "content");
    assert!(
        pad2["notes"][0]
            .as_str()
            .unwrap()
            .contains("not on this machine")
    );
}

#[test]
fn manifest_of_several_files_compares_with_their_directory() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/x"), "1\n").unwrap();
    std::fs::write(dir.path().join("out/y"), "2\n").unwrap();
    let out = run_in(dir.path(), &["hash", "--json", "out/x", "out/y"]);
    std::fs::write(dir.path().join("files.json"), &out.stdout).unwrap();
    compare_expect(dir.path(), &["files.json", "out"], 0);
    // Two manifests compare with each other too, as CI jobs on two runners would.
    let out = run_in(dir.path(), &["hash", "--json", "out"]);
    std::fs::write(dir.path().join("tree.json"), &out.stdout).unwrap();
    compare_expect(dir.path(), &["files.json", "tree.json"], 0);
}

#[test]
fn unreadable_inputs_are_errors() {
    let dir = tempdir();
    let out = run_in(dir.path(), &["hash", "missing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read missing"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "nothing half-written");

    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let out = run_in(dir.path(), &["hash", "fifo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("fifo is a named pipe"),
        "{}",
        stderr(&out)
    );

    // Inside a tree a FIFO is never opened: skipped by the listing, refused by --nar (as Nix does).
    std::fs::create_dir(dir.path().join("tree")).unwrap();
    std::fs::write(dir.path().join("tree/file"), "x").unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(dir.path().join("tree/pipe"))
            .status()
            .unwrap()
            .success()
    );
    let out = run_in(dir.path(), &["hash", "tree"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1);
    let out = run_in(dir.path(), &["hash", "--nar", "tree"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("a Nix archive cannot hold"),
        "{}",
        stderr(&out)
    );
}

/// A tree holding `x\xfe` and `x\xff` (names that are not UTF-8, which a lossy conversion would
/// make one name) with different contents, plus a link to one of them.
fn make_non_utf8_tree(root: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let name = |b: &[u8]| root.join(std::ffi::OsStr::from_bytes(b));
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(name(b"x\xfe"), "fe\n").unwrap();
    std::fs::write(name(b"x\xff"), "ff\n").unwrap();
    symlink(std::ffi::OsStr::from_bytes(b"x\xfe"), name(b"link")).unwrap();
}

#[test]
fn names_that_are_not_utf8_stay_distinct_in_hash_and_sha256sum_checks_them() {
    let dir = tempdir();
    make_non_utf8_tree(&dir.path().join("tree"));
    let out = run_in(dir.path(), &["hash", "tree"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Names are written as their bytes (stdout is not a terminal here): two lines, two names.
    let lines: Vec<&[u8]> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 2, "{}", stdout(&out));
    assert!(lines[0].ends_with(b"  tree/x\xfe"));
    assert!(lines[1].ends_with(b"  tree/x\xff"));
    if have_tool("sha256sum") {
        sha256sum_check(dir.path(), &out.stdout);
    }
}

#[test]
fn names_that_are_not_utf8_round_trip_through_manifests_and_compare() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempdir();
    let tree = dir.path().join("tree");
    make_non_utf8_tree(&tree);
    let out = run_in(dir.path(), &["hash", "--json", "tree"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = manifest["roots"][0]["entries"].as_array().unwrap();
    let by = |b64: &str| entries.iter().find(|e| e["path_base64"] == b64);
    // The exact bytes in base64, beside the printed form.
    let fe = by("eP4=").unwrap_or_else(|| panic!("{manifest:#}"));
    assert_eq!(fe["path"], "x\\xFE");
    assert_eq!(by("eP8=").unwrap()["path"], "x\\xFF");
    let link = entries.iter().find(|e| e["path"] == "link").unwrap();
    assert_eq!(link["target_base64"], "eP4=");
    std::fs::write(dir.path().join("tree.json"), &out.stdout).unwrap();

    // The manifest reads back as the same build.
    compare_expect(dir.path(), &["tree.json", "tree"], 0);

    // A change to one of the two files is seen, against the manifest and against a copy.
    let copy = dir.path().join("copy");
    make_non_utf8_tree(&copy);
    std::fs::write(
        copy.join(std::ffi::OsStr::from_bytes(b"x\xff")),
        "changed\n",
    )
    .unwrap();
    for reference in ["tree.json", "tree"] {
        let changed = compare_expect(dir.path(), &["--json", reference, "copy"], 1);
        let json: serde_json::Value = serde_json::from_slice(&changed.stdout).unwrap();
        let files = json["files"].as_array().unwrap();
        let differing: Vec<&serde_json::Value> =
            files.iter().filter(|f| f["identical"] == false).collect();
        assert_eq!(differing.len(), 1, "{json:#}");
        assert_eq!(differing[0]["path_base64"], "eP8=");
        assert_eq!(files.len(), 2, "both files are listed: {json:#}");
    }
    // The text report prints the name escaped.
    let text = compare_expect(dir.path(), &["tree", "copy"], 1);
    assert!(stdout(&text).contains("x\\xFF"), "{}", stdout(&text));

    // `attest` keeps the two names apart too, and sees the difference.
    let att = run_in(dir.path(), &["attest", "-o", "att.json", "tree", "copy"]);
    assert_eq!(att.status.code(), Some(1), "{}", stderr(&att));
    let statement: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("att.json")).unwrap()).unwrap();
    let p = &statement["predicate"];
    assert_eq!(p["result"], "DIFFERENT", "{statement:#}");
    let names: Vec<&str> = p["builds"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["x\\xFE", "x\\xFF"]);
    assert_eq!(p["differences"][0]["name"], "x\\xFF");

    // A manifest written by an earlier version (schema v1, no base64 fields) is still read.
    let v1 = String::from_utf8(std::fs::read(dir.path().join("tree.json")).unwrap())
        .unwrap()
        .replace("manifest/v2", "manifest/v1");
    std::fs::write(dir.path().join("v1.json"), v1).unwrap();
    compare_expect(dir.path(), &["v1.json", "tree.json"], 0);
}

#[test]
fn nar_hash_of_large_files_and_byte_names_equals_nix_hash_path() {
    if !have_tool("nix") {
        return;
    }
    let dir = tempdir();
    let tree = dir.path().join("tree");
    make_non_utf8_tree(&tree);
    // Files streamed in chunks (larger than what is read whole), many small ones, nesting.
    let big: Vec<u8> = (0..(9u32 << 20) + 5).map(|i| (i % 251) as u8).collect();
    std::fs::create_dir_all(tree.join("d/e")).unwrap();
    std::fs::write(tree.join("d/big"), &big).unwrap();
    std::fs::write(tree.join("d/e/big2"), &big[..(5 << 20) + 3]).unwrap();
    std::fs::set_permissions(
        tree.join("d/e/big2"),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    for i in 0..300 {
        std::fs::write(tree.join(format!("d/small-{i}")), vec![b'a'; i * 1000]).unwrap();
    }
    std::fs::write(tree.join("d-after"), "sorted after d/").unwrap();
    let out = run_in(dir.path(), &["hash", "--nar", "tree"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let want = format!("# nar {}  tree", nix_hash_path(dir.path(), "tree"));
    assert!(stdout(&out).lines().any(|l| l == want), "want {want}");
}
