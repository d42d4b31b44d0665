//! `repro-check hash`: `sha256sum -c` compatible listings, JSON manifests, and NAR hashes checked
//! against `nix hash path` on the same trees.

mod common;

use common::*;
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
    let out = common::nix_command("nix")
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
    std::fs::write(dir.path().join("SUMS"), &text).unwrap();
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "SUMS"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );
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

#[test]
fn manifest_stands_in_for_the_build() {
    let dir = tempdir();
    make_tree(&dir.path().join("tree"));
    let out = run_in(dir.path(), &["hash", "--json", "tree"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(dir.path().join("tree.json"), &out.stdout).unwrap();

    let same = run_in(dir.path(), &["compare", "tree.json", "tree"]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        stdout(&same),
        stderr(&same)
    );
    assert!(stdout(&same).contains("identical"));

    std::fs::write(dir.path().join("tree/pad/2"), "zz").unwrap();
    let changed = run_in(dir.path(), &["compare", "--json", "tree.json", "tree"]);
    assert_eq!(changed.status.code(), Some(1), "{}", stderr(&changed));
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
    let same = run_in(dir.path(), &["compare", "files.json", "out"]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        stdout(&same),
        stderr(&same)
    );
    // Two manifests compare with each other too, as CI jobs on two runners would.
    let out = run_in(dir.path(), &["hash", "--json", "out"]);
    std::fs::write(dir.path().join("tree.json"), &out.stdout).unwrap();
    let same = run_in(dir.path(), &["compare", "files.json", "tree.json"]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
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
