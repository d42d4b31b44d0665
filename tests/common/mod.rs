//! Shared helpers for the integration tests: the binary under test, tool requirements, and fixture
//! builders that compile real programs at test time.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `repro-check` binary cargo built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_repro-check"))
}

/// A `repro-check` command with a clean, deterministic environment (no colour, no terminal).
pub fn repro_check() -> Command {
    let mut cmd = Command::new(bin());
    cmd.env_remove("SOURCE_DATE_EPOCH").env("NO_COLOR", "1");
    cmd
}

/// Run `repro-check ARGS` in `dir` and return its output.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    repro_check()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("failed to start repro-check")
}

/// True when CI demands that every tool-dependent test really runs.
pub fn tools_required() -> bool {
    std::env::var_os("REPRO_CHECK_REQUIRE_TOOLS").is_some_and(|v| v == "1")
}

/// Whether `tool` can be run. When it cannot: print why the test skips, or panic under
/// `REPRO_CHECK_REQUIRE_TOOLS=1` (CI), so a missing install step cannot hide a skipped test.
pub fn have_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        skip_or_fail(&format!("`{tool}` is not installed"));
    } else if tool.starts_with("nix") {
        nix_store_ready();
    }
    found
}

/// On a machine where Nix has never run, the first commands create `/nix/var`, the store database
/// and the gc roots; Nix 2.8 does that racily ("creating symlink … File exists"), so parallel tests
/// would fail at random. One command, once per test binary, before any test uses Nix.
fn nix_store_ready() {
    static READY: std::sync::Once = std::sync::Once::new();
    READY.call_once(|| {
        let _ = Command::new("nix-instantiate")
            .args(["--eval", "--expr", "1"])
            .output();
    });
}

/// Print a skip reason, or panic when tools are required.
///
/// The line `SKIPPED: <test>: <reason>` goes straight to standard error, past the test harness's
/// capture (which only takes `print!`/`eprint!`), so it shows in `cargo test`'s output even when
/// the test passes; `.ci/run`'s closing line counts these lines.
pub fn skip_or_fail(reason: &str) {
    if tools_required() {
        panic!("REPRO_CHECK_REQUIRE_TOOLS=1 but {reason}");
    }
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {test}: {reason}");
}

/// A fresh temporary directory for one test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("repro-check-test-")
        .tempdir()
        .expect("cannot create a temporary directory")
}

/// Compile the C `source` with `compiler` and `flags` into `dir/name`; panic with the compiler's
/// output when it fails (a fixture that does not build is a broken test, not a skip).
pub fn compile_c(compiler: &str, dir: &Path, name: &str, source: &str, flags: &[&str]) -> PathBuf {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).unwrap();
    let out = dir.join(name);
    // Flags after the source, so that libraries named in them resolve its symbols.
    let result = Command::new(compiler)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .args(flags)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {compiler}: {e}"));
    assert!(
        result.status.success(),
        "{compiler} {flags:?} failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

/// Compile the Rust `source` with `rustc` and `flags` into `dir/name`.
pub fn compile_rust(dir: &Path, name: &str, source: &str, flags: &[&str]) -> PathBuf {
    let src = dir.join(format!("{name}.rs"));
    std::fs::write(&src, source).unwrap();
    let out = dir.join(name);
    let result = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .output()
        .expect("cannot run rustc");
    assert!(
        result.status.success(),
        "rustc {flags:?} failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

/// A minimal C program.
pub const HELLO_C: &str = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n";

/// The process's stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The process's stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
