//! Shared helpers for the integration tests: the binary under test, tool requirements, and fixture
//! builders that compile real programs at test time.

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
        let _ = nix_command("nix-instantiate")
            .args(["--eval", "--expr", "1"])
            .output();
    });
}

/// The only Nix settings the tests run with, whatever the machine's `/etc/nix/nix.conf` or the
/// user's `~/.config/nix/nix.conf` say: single-user without build users (root, no daemon), the
/// build sandbox on with a static busybox as its only `/bin/sh` (its applets — mkdir, sed, rm —
/// are all a builder gets), no binary cache (the tests are offline), and the flake commands (they
/// are experimental in Nix 2.8).
pub const NIX_SETTINGS: &str = "build-users-group =\n\
                                sandbox = true\n\
                                sandbox-paths = /bin/sh=/bin/busybox\n\
                                substituters =\n\
                                experimental-features = nix-command flakes\n";

/// A directory holding `nix.conf` with [`NIX_SETTINGS`], written once per test binary into cargo's
/// scratch directory for integration tests (atomically: other test binaries may write it too).
pub fn nix_conf_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nix-conf");
        std::fs::create_dir_all(&dir)
            .expect("cannot create the tests' Nix configuration directory");
        let staged = dir.join(format!("nix.conf.{}", std::process::id()));
        std::fs::write(&staged, NIX_SETTINGS).expect("cannot write the tests' nix.conf");
        std::fs::rename(&staged, dir.join("nix.conf")).expect("cannot install the tests' nix.conf");
        dir
    })
}

/// Give `cmd` — a Nix program, or a program that runs Nix, like `repro-check rebuild --nix` — the
/// tests' own Nix configuration: `NIX_CONF_DIR` replaces the system one (`/etc/nix`),
/// `NIX_USER_CONF_FILES` the user's, and `NIX_CONFIG` from the caller's environment is dropped.
pub fn isolate_nix(cmd: &mut Command) -> &mut Command {
    let dir = nix_conf_dir();
    cmd.env("NIX_CONF_DIR", dir)
        .env("NIX_USER_CONF_FILES", dir.join("nix.conf"))
        .env_remove("NIX_CONFIG")
}

/// Whether `nix-build` can build a derivation here with the tests' own configuration (sandbox on,
/// busybox as `/bin/sh`), doing what the tests' builders do: mkdir, write, sed, read the kernel's
/// random UUID. Skips visibly (or fails under `REPRO_CHECK_REQUIRE_TOOLS=1`) when it cannot.
pub fn nix_sandbox_works() -> bool {
    if !have_tool("nix-build") {
        return false;
    }
    static WORKS: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let result = WORKS.get_or_init(|| {
        let dir = tempdir();
        let file = dir.path().join("probe.nix");
        let script = "mkdir $out; echo ok > $out/probe; sed -i s/ok/yes/ $out/probe; \
                      read u < /proc/sys/kernel/random/uuid; echo $u > $out/id";
        let expr = format!(
            "derivation {{ name = \"repro-check-probe\"; system = \"{}-linux\"; \
             builder = \"/bin/sh\"; args = [ \"-c\" \"{script}\" ]; }}\n",
            std::env::consts::ARCH
        );
        std::fs::write(&file, expr).unwrap();
        match nix_command("nix-build")
            .arg(&file)
            .arg("--no-out-link")
            .output()
        {
            Ok(out) if out.status.success() => Ok(()),
            Ok(out) => Err(stderr(&out)),
            Err(e) => Err(e.to_string()),
        }
    });
    if let Err(why) = result {
        skip_or_fail(&format!(
            "nix-build cannot build in its sandbox here (it needs /bin/busybox: Debian's \
             busybox-static): {why}"
        ));
    }
    result.is_ok()
}

/// A `Command` for the Nix program `program` (`nix`, `nix-build`, `nix-instantiate`, …) with the
/// tests' own configuration (see [`isolate_nix`]).
pub fn nix_command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    isolate_nix(&mut cmd);
    cmd
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
    skip(reason);
}

/// Print the `SKIPPED:` line of [`skip_or_fail`], even under `REPRO_CHECK_REQUIRE_TOOLS=1`: for
/// what CI cannot install (another machine, another release of a Debian package), not for a
/// missing tool.
pub fn skip(reason: &str) {
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

/// The JSON document a command printed on standard output; a test failure shows both streams.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\nstderr:\n{}", stdout(out), stderr(out)))
}

/// Every subcommand, as the binary's own `--help` lists them (from its clap definitions, so a new
/// one cannot go untested); `help` itself is left out.
pub fn subcommands() -> Vec<String> {
    let out = repro_check().arg("--help").output().unwrap();
    let help = stdout(&out);
    let commands = help
        .split("\nCommands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap_or_else(|| panic!("no Commands: section in --help:\n{help}"));
    commands
        .lines()
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}
