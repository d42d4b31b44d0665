//! Directory walks and awkward paths: symlink loops, FIFOs, sockets, devices, unreadable files and
//! directories, and files that grow or shrink while they are read. Each must be reported (skipped
//! and counted, or an error naming the path); none may hang, and none may be reported as checked.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Wait for `child` at most `secs` seconds (a hang fails the test instead of stalling it).
fn wait_at_most(mut child: Child, secs: u64, what: &str) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("{what}: repro-check did not finish within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

/// Run `repro-check ARGS` in `dir`, failing the test if it takes more than 10 seconds.
fn run_bounded(dir: &Path, args: &[&str]) -> Output {
    let child = repro_check()
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_at_most(child, 10, &args.join(" "))
}

/// A small real program (the test binaries themselves are tens of megabytes in a debug build),
/// built with gcc into `dir/hello`. The callers check `have_tool("gcc")` first.
fn program(dir: &Path) -> std::path::PathBuf {
    compile_c("gcc", dir, "hello", HELLO_C, &["-O1"])
}

/// A directory with one real program in it, so a walk has something to check.
fn tree_with_program() -> tempfile::TempDir {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("tree")).unwrap();
    let prog = program(dir.path());
    std::fs::copy(&prog, dir.path().join("tree/prog")).unwrap();
    dir
}

#[test]
fn symlink_loops_are_skipped_in_a_tree_and_an_error_when_named() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tree_with_program();
    let tree = dir.path().join("tree");
    std::os::unix::fs::symlink("b", tree.join("a")).unwrap();
    std::os::unix::fs::symlink("a", tree.join("b")).unwrap();
    std::os::unix::fs::symlink(".", tree.join("self")).unwrap();
    std::os::unix::fs::symlink("..", tree.join("parent")).unwrap();
    std::os::unix::fs::symlink("prog", tree.join("prog-link")).unwrap();

    let out = run_bounded(dir.path(), &["check", "--json", "tree"]);
    let doc = json(&out);
    assert_eq!(doc["summary"]["skipped_symlinks"], 5, "{doc}");
    assert_eq!(doc["summary"]["checked"], 1, "{doc}");
    assert_eq!(doc["files"].as_array().unwrap().len(), 1, "{doc}");

    // Named directly, a looping link cannot be resolved: one sentence, exit 2.
    let out = run_bounded(dir.path(), &["check", "tree/a"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot read tree/a") && err.contains("symbolic links"),
        "{err}"
    );
    // A link to a directory that contains the link is walked once, not forever.
    let out = run_bounded(dir.path(), &["check", "--json", "tree/self"]);
    assert_eq!(json(&out)["summary"]["checked"], 1);
}

#[test]
fn fifos_sockets_and_devices_are_never_opened() {
    if !have_tool("gcc") {
        return;
    }
    if !have_tool("mkfifo") {
        return;
    }
    let dir = tree_with_program();
    let tree = dir.path().join("tree");
    let status = Command::new("mkfifo")
        .arg(tree.join("fifo"))
        .status()
        .unwrap();
    assert!(status.success());
    let _socket = std::os::unix::net::UnixListener::bind(tree.join("socket")).unwrap();

    // Opening the FIFO for reading would block forever (nobody writes to it): a hang here
    // fails the test.
    let out = run_bounded(dir.path(), &["check", "--json", "tree"]);
    let doc = json(&out);
    assert_eq!(doc["summary"]["skipped_special"], 2, "{doc}");
    assert_eq!(doc["summary"]["checked"], 1, "{doc}");

    for (name, what) in [
        ("tree/fifo", "a named pipe"),
        ("tree/socket", "a socket"),
        ("/dev/null", "a device"),
    ] {
        let out = run_bounded(dir.path(), &["check", name]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("{name} is {what}, not a regular file")),
            "{name}: {}",
            stderr(&out)
        );
    }
}

/// Run `repro-check ARGS` in `dir` as an unprivileged user: directly when the tests do not run
/// as root, through `setpriv` (util-linux) as `nobody` when they do, since root reads any file
/// whatever its mode. `None` when neither is possible.
fn run_unprivileged(dir: &Path, args: &[&str]) -> Option<Output> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    let mut cmd = if stdout(&uid).trim() == "0" {
        if !have_tool("setpriv") {
            return None;
        }
        // The binary may sit in a directory nobody cannot enter: run a copy.
        let copy = dir.join("repro-check");
        std::fs::copy(bin(), &copy).unwrap();
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(copy);
        cmd
    } else {
        Command::new(bin())
    };
    let child = cmd
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Some(wait_at_most(child, 10, &args.join(" ")))
}

#[test]
fn unreadable_files_and_directories_are_reported_by_name() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tree_with_program();
    let root = dir.path();
    let tree = root.join("tree");
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&tree, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::copy(tree.join("prog"), tree.join("secret")).unwrap();
    std::fs::set_permissions(tree.join("secret"), std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::create_dir(tree.join("locked")).unwrap();
    std::fs::copy(tree.join("prog"), tree.join("locked/inner")).unwrap();
    std::fs::set_permissions(tree.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();

    let Some(out) = run_unprivileged(root, &["check", "--json", "tree"]) else {
        return;
    };
    // Inside a directory an unreadable entry is an error about that entry (exit 1), the rest is
    // still checked.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot read tree/secret: permission denied"),
        "{err}"
    );
    assert!(
        err.contains("cannot read tree/locked: permission denied"),
        "{err}"
    );
    let doc = json(&out);
    assert_eq!(doc["summary"]["errors"], 2, "{doc}");
    assert_eq!(doc["summary"]["checked"], 1, "{doc}");

    // Named directly: exit 2 and the same sentence.
    let out = run_unprivileged(root, &["check", "tree/secret"]).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read tree/secret: permission denied"),
        "{}",
        stderr(&out)
    );
}

/// A real program padded to `size` bytes with a sparse tail, so reading it takes a while.
fn big_program(path: &Path, size: u64) {
    let build = tempdir();
    let prog = program(build.path());
    std::fs::copy(&prog, path).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(size)
        .unwrap();
}

fn start_check(dir: &Path, args: &[&str]) -> Child {
    repro_check()
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_file_that_grows_while_it_is_read_is_an_error() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let path = dir.path().join("growing");
    big_program(&path, 64 << 20);
    let child = start_check(dir.path(), &["check", "growing"]);
    // Append for as long as the check runs, so the length at the end cannot match the start.
    let (done, writer) = keep_growing(&path);
    let out = wait_at_most(child, 60, "growing file");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert_changed_while_read(&out, "growing");
    assert!(!stdout(&out).contains("PASS") && !stdout(&out).contains("FAIL"));
}

#[test]
fn a_file_that_shrinks_while_it_is_read_is_an_error_inside_a_tree_too() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("tree")).unwrap();
    let path = dir.path().join("tree/shrinking");
    big_program(&path, 256 << 20);
    let child = start_check(dir.path(), &["check", "--json", "tree"]);
    // Truncate it while it is being read: no timing guess, the process is stopped there.
    stop_while_reading(child.id(), &path, 256 << 20);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    signal(child.id(), "CONT");
    let out = wait_at_most(child, 60, "shrinking file");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{}{err}", stdout(&out));
    assert!(
        err.contains("tree/shrinking changed while it was being read"),
        "{err}"
    );
    let doc = json(&out);
    assert_eq!(doc["summary"]["errors"], 1, "{doc}");
    assert_eq!(doc["summary"]["checked"], 0, "{doc}");
}

/// Send `signal` (`STOP`, `CONT`) to process `pid` (the shell's built-in `kill`: /bin/kill is not
/// on every machine).
fn signal(pid: u32, signal: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -{signal} {pid}"))
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// How far process `pid` has read the open file `path` (its descriptor's offset, from
/// /proc/PID/fdinfo), if it has it open.
fn read_offset(pid: u32, path: &Path) -> Option<u64> {
    let path = std::fs::canonicalize(path).ok()?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    fds.flatten()
        .filter(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == path))
        .find_map(|fd| {
            let info =
                std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", fd.file_name().display()))
                    .ok()?;
            info.lines()
                .find_map(|l| l.strip_prefix("pos:"))
                .and_then(|pos| pos.trim().parse().ok())
        })
}

/// Step process `pid` (stop it, look, let it run a millisecond) until it is stopped part-way
/// through reading `path` of `len` bytes, and leave it stopped there. Whatever the machine's
/// speed, what happens to the file next happens while it is being read.
fn stop_while_reading(pid: u32, path: &Path, len: u64) {
    let start = Instant::now();
    loop {
        signal(pid, "STOP");
        match read_offset(pid, path) {
            Some(pos) if pos > 0 && pos < len => return,
            _ => {}
        }
        signal(pid, "CONT");
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "repro-check never read {} part-way",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The run ended with exit 2 and the sentence saying `name` changed while it was read.
fn assert_changed_while_read(out: &Output, name: &str) {
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(out), stderr(out));
    let expected = format!("{name} changed while it was being read");
    assert!(stderr(out).contains(&expected), "{}", stderr(out));
}

/// Append to `path` every millisecond until the returned flag is set.
fn keep_growing(
    path: &Path,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    std::thread::JoinHandle<()>,
) {
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    let path = path.to_path_buf();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            f.write_all(&[0x55; 4096]).unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    (done, writer)
}

#[test]
fn hash_gives_no_digest_for_a_file_that_grows_while_it_is_read() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let path = dir.path().join("growing");
    big_program(&path, 64 << 20);
    let child = start_check(dir.path(), &["hash", "growing"]);
    let (done, writer) = keep_growing(&path);
    let out = wait_at_most(child, 60, "hash of a growing file");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert_changed_while_read(&out, "growing");
    assert!(!stdout(&out).contains("growing"), "{}", stdout(&out));
}

#[test]
fn compare_never_calls_trees_identical_while_a_file_in_them_changes() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    for side in ["a", "b"] {
        std::fs::create_dir(dir.path().join(side)).unwrap();
        big_program(&dir.path().join(side).join("prog"), 64 << 20);
    }
    // Same bytes on both sides until the writer starts appending to b/prog.
    let child = start_check(dir.path(), &["compare", "a", "b"]);
    let (done, writer) = keep_growing(&dir.path().join("b/prog"));
    let out = wait_at_most(child, 60, "compare with a growing file");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(matches!(out.status.code(), Some(1 | 2)), "{text}");
    assert!(!text.to_lowercase().contains("identical"), "{text}");
}

#[test]
fn hash_and_compare_walk_trees_with_loops_fifos_and_sockets_without_hanging() {
    if !have_tool("gcc") {
        return;
    }
    if !have_tool("mkfifo") {
        return;
    }
    let dir = tree_with_program();
    let tree = dir.path().join("tree");
    std::os::unix::fs::symlink("loop-b", tree.join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", tree.join("loop-b")).unwrap();
    std::os::unix::fs::symlink("..", tree.join("up")).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(tree.join("fifo"))
            .status()
            .unwrap()
            .success()
    );
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    std::fs::copy(tree.join("prog"), plain.join("prog")).unwrap();
    for link in ["loop-a", "loop-b", "up"] {
        let target = std::fs::read_link(tree.join(link)).unwrap();
        std::os::unix::fs::symlink(target, plain.join(link)).unwrap();
    }

    // The listing names the one regular file; links are recorded by target, never followed.
    let out = run_bounded(dir.path(), &["hash", "tree"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
    let out = run_bounded(dir.path(), &["hash", "--json", "tree"]);
    assert_eq!(
        stdout(&out).matches("\"symlink\"").count(),
        3,
        "{}",
        stdout(&out)
    );
    // A Nix archive cannot hold a FIFO.
    let out = run_bounded(dir.path(), &["hash", "--nar", "tree"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // The trees differ only by the FIFO: compare must not call them identical. Found by this
    // test: the FIFO was left out of both listings, and the trees came out identical.
    for args in [
        &["compare", "tree", "plain"][..],
        &["compare", "plain", "tree"],
    ] {
        let out = run_bounded(dir.path(), args);
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(
            stderr(&out).contains("tree/fifo is a named pipe, whose contents cannot be read"),
            "{args:?}: {text}"
        );
        assert!(!text.contains("identical"), "{args:?}: {text}");
    }
    let out = run_bounded(dir.path(), &["compare", "plain", "plain"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
