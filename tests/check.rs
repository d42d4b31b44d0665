//! `repro-check check` on real binaries built during the test: gcc, musl-gcc, cross compilers,
//! rustc, and the host's own programs.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Fixtures are compiled once per test run into one directory and referred to by relative name,
/// so reports contain no temporary paths.
struct Fixtures {
    dir: PathBuf,
    /// The absolute source path compiled into `abs-file` (its directory is gone).
    abs_src: String,
}

fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        // One directory under cargo's target/tmp, emptied at the start of each run, instead of a
        // temporary directory that a static never drops (it was left in /tmp on every run).
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-fixtures");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let nss = "#include <netdb.h>\n#include <stdio.h>\nint main(int c, char **v) {\n  struct addrinfo *r;\n  \
                   return getaddrinfo(c > 1 ? v[1] : \"localhost\", 0, 0, &r);\n}\n";
        let store = "#include <stdio.h>\nint main(void) {\n  \
                     puts(\"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-openssl-3.0.7/etc/ssl\");\n  \
                     puts(\"/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-scrubbed/lib\");\n  return 0;\n}\n";
        compile_c("gcc", &dir, "gcc-dynamic", HELLO_C, &[]);
        compile_c("gcc", &dir, "gcc-static", HELLO_C, &["-static"]);
        compile_c("gcc", &dir, "gcc-static-pie", HELLO_C, &["-static-pie"]);
        compile_c("gcc", &dir, "glibc-nss", nss, &["-static", "-w"]);
        compile_c("gcc", &dir, "store-ref", store, &["-static", "-s"]);
        compile_c("gcc", &dir, "libhello.so", HELLO_C, &["-shared", "-fPIC"]);
        // __FILE__ is the absolute path the compiler was given: a temporary (build-like)
        // directory's, removed once compiled.
        let src_dir = tempdir();
        let abs_src = src_dir.path().join("abs-file.c");
        std::fs::write(&abs_src, "#include <stdio.h>\nint main(void) { puts(__FILE__); return 0; }\n").unwrap();
        let ok = std::process::Command::new("gcc")
            .args(["-static", "-s", "-o"])
            .arg(dir.join("abs-file"))
            .arg(&abs_src)
            .status()
            .unwrap();
        assert!(ok.success());
        // DT_NEEDED without PT_INTERP: a PIE linked against a library but told there is no loader.
        compile_c("gcc", &dir, "libfoo.so", "int foo(void) { return 1; }\n", &["-shared", "-fPIC", "-Wl,-soname,libfoo.so"]);
        let lib = dir.join("libfoo.so").display().to_string();
        compile_c(
            "gcc",
            &dir,
            "needed-no-interp",
            "extern int foo(void);\nvoid _start(void) { foo(); for (;;); }\n",
            &["-nostdlib", "-fPIE", "-pie", "-Wl,--no-dynamic-linker", &lib],
        );
        std::fs::write(dir.join("script.sh"), "#!/bin/sh\necho hello\n").unwrap();
        Fixtures {
            dir,
            abs_src: abs_src.display().to_string(),
        }
    })
}

impl Fixtures {
    fn run(&self, args: &[&str]) -> std::process::Output {
        run_in(&self.dir, args)
    }
    fn json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["check", "--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("bad JSON ({e}):\n{}\n{}", stdout(&out), stderr(&out)));
        (out.status.code().unwrap(), doc)
    }
    /// The single file entry of `check --json FILE`.
    fn entry(&self, file: &str) -> (i32, Value) {
        let (code, doc) = self.json(&[file]);
        (code, doc["files"][0].clone())
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn codes(entry: &Value) -> Vec<String> {
    entry["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn finding<'a>(entry: &'a Value, code: &str) -> &'a Value {
    entry["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} finding in {entry:#}"))
}

#[test]
fn gcc_dynamic_is_dynamic_with_interpreter_and_needed() {
    let (code, e) = fixtures().entry("gcc-dynamic");
    assert_eq!(code, 1);
    assert_eq!(e["linkage"], "dynamic");
    assert_eq!(e["static"], false);
    assert_eq!(e["pass"], false);
    assert_eq!(e["interpreter"], "/lib64/ld-linux-x86-64.so.2");
    assert_eq!(e["needed"], serde_json::json!(["libc.so.6"]));
    assert_eq!(e["libc"], "glibc");
    assert_eq!(e["machine"], "x86_64");
    assert_eq!(e["pie"], true);
    assert_eq!(codes(&e)[..2], ["interpreter", "needed"]);
    assert_eq!(finding(&e, "interpreter")["severity"], "error");
}

#[test]
fn gcc_static_is_static_glibc_with_dlopen_info() {
    let (code, e) = fixtures().entry("gcc-static");
    assert_eq!(code, 0);
    assert_eq!(e["linkage"], "static");
    assert_eq!(e["type"], "executable");
    assert_eq!(e["static"], true);
    assert_eq!(e["pie"], false);
    assert_eq!(e["interpreter"], Value::Null);
    assert_eq!(e["libc"], "glibc");
    assert_eq!(codes(&e), ["glibc-dlopen"]);
    assert_eq!(finding(&e, "glibc-dlopen")["severity"], "info");
}

#[test]
fn gcc_static_pie_counts_as_static() {
    let (code, e) = fixtures().entry("gcc-static-pie");
    assert_eq!(code, 0);
    assert_eq!(e["linkage"], "static-pie");
    assert_eq!(e["type"], "shared-object");
    assert_eq!(e["role"], "executable");
    assert_eq!(e["static"], true);
    assert_eq!(e["pie"], true);
}

#[test]
fn static_glibc_calling_getaddrinfo_is_flagged_for_nss() {
    let (code, e) = fixtures().entry("glibc-nss");
    assert_eq!(code, 0, "a warning does not fail by default");
    let nss = finding(&e, "glibc-nss");
    assert_eq!(nss["severity"], "warning");
    assert!(
        nss["message"].as_str().unwrap().contains("nsswitch.conf"),
        "{nss}"
    );
    assert!(nss["hint"].as_str().unwrap().contains("musl"));
    // --deny promotes it to a failure.
    let (code, doc) = fixtures().json(&["--deny", "glibc-nss", "glibc-nss"]);
    assert_eq!(code, 1);
    assert_eq!(doc["files"][0]["pass"], false);
    // …and the plain static program does not have it.
    assert!(!codes(&fixtures().entry("gcc-static").1).contains(&"glibc-nss".to_string()));
}

#[test]
fn shared_library_is_explained_and_fails() {
    let (code, e) = fixtures().entry("libhello.so");
    assert_eq!(code, 1);
    assert_eq!(e["role"], "shared-library");
    assert_eq!(e["static"], false);
    assert!(codes(&e).contains(&"shared-library".to_string()));
}

#[test]
fn needed_without_interpreter_is_called_malformed() {
    let (code, e) = fixtures().entry("needed-no-interp");
    assert_eq!(code, 1);
    assert_eq!(e["linkage"], "dynamic");
    assert_eq!(e["interpreter"], Value::Null);
    assert_eq!(e["needed"], serde_json::json!(["libfoo.so"]));
    let msg = finding(&e, "needed")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("no interpreter") && msg.contains("malformed"),
        "{msg}"
    );
}

#[test]
fn absolute_file_path_is_a_build_path() {
    let f = fixtures();
    let (_, e) = f.entry("abs-file");
    let bp = finding(&e, "build-path");
    assert_eq!(bp["evidence"], serde_json::json!([f.abs_src]));
    assert_eq!(bp["severity"], "warning");
    assert_eq!(f.json(&["--deny", "build-path", "abs-file"]).0, 1);
    assert_eq!(f.json(&["--strict", "abs-file"]).0, 1);
}

#[test]
fn nix_store_reference_is_listed_and_scrubbed_form_ignored() {
    let f = fixtures();
    let (code, e) = f.entry("store-ref");
    assert_eq!(code, 0);
    let refs = finding(&e, "nix-store-ref");
    assert_eq!(
        refs["evidence"],
        serde_json::json!(["/nix/store/0123456789abcdfghijklmnpqrsvwxyz-openssl-3.0.7"])
    );
    assert_eq!(f.json(&["--deny", "nix-store-ref", "store-ref"]).0, 1);
    let (code, doc) = f.json(&[
        "--deny",
        "nix-store-ref",
        "--allow-store-ref",
        "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-openssl",
        "store-ref",
    ]);
    assert_eq!(code, 0);
    assert!(!codes(&doc["files"][0]).contains(&"nix-store-ref".to_string()));
}

#[test]
fn musl_static_passes_and_musl_gcc_static_pie_is_caught() {
    if !have_tool("musl-gcc") {
        return;
    }
    let dir = tempdir();
    compile_c("musl-gcc", dir.path(), "musl-static", HELLO_C, &["-static"]);
    compile_c(
        "musl-gcc",
        dir.path(),
        "musl-static-pie",
        HELLO_C,
        &["-static-pie"],
    );
    let out = run_in(dir.path(), &["--json", "musl-static", "musl-static-pie"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (good, trap) = (&doc["files"][0], &doc["files"][1]);
    assert_eq!(good["linkage"], "static");
    assert_eq!(good["libc"], "musl");
    assert_eq!(good["pass"], true);
    // Debian's libc.a carries musl's debug info, with Debian's /build/musl-… directory in it.
    let debug = finding(good, "build-path");
    assert!(
        debug["message"]
            .as_str()
            .unwrap()
            .contains("C library's build directory"),
        "{debug:#}"
    );
    assert!(
        debug["hint"]
            .as_str()
            .unwrap()
            .contains("strip --strip-debug"),
        "{debug:#}"
    );
    // Debian's musl-gcc quietly gives -static-pie an interpreter and NEEDED libc.so.
    assert_eq!(trap["linkage"], "dynamic");
    assert_eq!(trap["interpreter"], "/lib/ld-musl-x86_64.so.1");
    assert_eq!(trap["needed"], serde_json::json!(["libc.so"]));
    assert_eq!(trap["libc"], "musl");
    assert!(
        finding(trap, "interpreter")["hint"]
            .as_str()
            .unwrap()
            .contains("musl-gcc -static")
    );
}

#[test]
fn rust_crt_static_is_static_pie() {
    let dir = tempdir();
    compile_rust(
        dir.path(),
        "rs",
        "fn main() { println!(\"hi\"); }\n",
        &["-C", "target-feature=+crt-static"],
    );
    let out = run_in(dir.path(), &["--json", "rs"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"][0]["linkage"], "static-pie");
    assert_eq!(doc["files"][0]["libc"], "glibc");
}

#[test]
fn host_ls_is_dynamic_and_host_loader_is_a_static_pie_loader() {
    let loader = Path::new("/lib64/ld-linux-x86-64.so.2");
    if !loader.exists() {
        skip_or_fail("the host has no /lib64/ld-linux-x86-64.so.2");
        return;
    }
    let out = repro_check()
        .args(["--json", "/bin/ls", "/lib64/ld-linux-x86-64.so.2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"][0]["linkage"], "dynamic");
    let ld = &doc["files"][1];
    assert_eq!(ld["linkage"], "static-pie");
    assert_eq!(ld["role"], "dynamic-loader");
    assert_eq!(ld["static"], true);
    assert_eq!(ld["soname"], "ld-linux-x86-64.so.2");
    assert_eq!(ld["libc"], "glibc");
    assert!(codes(ld).contains(&"dynamic-loader".to_string()));
}

#[test]
fn foreign_machines_32_bit_and_big_endian() {
    let cases = [
        ("aarch64-linux-gnu-gcc", "aarch64", 64, "little"),
        ("i686-linux-gnu-gcc", "i686", 32, "little"),
        ("powerpc64-linux-gnu-gcc", "ppc64", 64, "big"),
    ];
    for (cc, machine, class, endian) in cases {
        if !have_tool(cc) {
            continue;
        }
        let dir = tempdir();
        compile_c(cc, dir.path(), "dyn", HELLO_C, &[]);
        compile_c(cc, dir.path(), "static", HELLO_C, &["-static"]);
        let out = run_in(dir.path(), &["--json", "dyn", "static"]);
        assert_eq!(out.status.code(), Some(1), "{cc}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        for (i, linkage) in [(0, "dynamic"), (1, "static")] {
            let e = &doc["files"][i];
            assert_eq!(e["machine"], machine, "{cc}");
            assert_eq!(e["class"], class, "{cc}");
            assert_eq!(e["endian"], endian, "{cc}");
            assert_eq!(e["linkage"], linkage, "{cc}");
            assert_eq!(e["libc"], "glibc", "{cc}");
        }
        assert!(
            doc["files"][0]["interpreter"]
                .as_str()
                .unwrap()
                .starts_with("/lib"),
            "{cc}"
        );
        // --machine turns a foreign binary into a failure.
        let out = run_in(dir.path(), &["--json", "--machine", "x86_64", "static"]);
        assert_eq!(out.status.code(), Some(1), "{cc}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(finding(&doc["files"][0], "machine")["severity"], "error");
    }
}

#[test]
fn require_machine_accepts_the_right_one() {
    assert_eq!(fixtures().json(&["--machine", "x86_64", "gcc-static"]).0, 0);
}

#[test]
fn shell_script_is_an_error_naming_the_file() {
    let out = fixtures().run(&["script.sh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("script.sh is not an ELF file: it is a shell script"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn truncated_elf_is_an_error_naming_the_file() {
    let f = fixtures();
    let bytes = std::fs::read(f.path("gcc-static")).unwrap();
    let dir = tempdir();
    std::fs::write(dir.path().join("truncated"), &bytes[..3000]).unwrap();
    let out = run_in(dir.path(), &["truncated"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("truncated is a corrupt ELF file") && err.contains("the file is truncated"),
        "{err}"
    );
    // The JSON document still lists it, with its error.
    let out = run_in(dir.path(), &["--json", "truncated"]);
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"][0]["path"], "truncated");
    assert!(
        doc["files"][0]["error"]
            .as_str()
            .unwrap()
            .contains("corrupt ELF")
    );
}

#[test]
fn missing_path_is_an_error() {
    let out = fixtures().run(&["no-such-file"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read no-such-file: no such file or directory"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn directory_walk_checks_elf_files_and_skips_the_rest() {
    let f = fixtures();
    let dir = tempdir();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("bin")).unwrap();
    std::fs::copy(f.path("gcc-static"), tree.join("bin/app")).unwrap();
    std::fs::write(tree.join("README"), "hello\n").unwrap();
    std::fs::write(tree.join("bin/run.sh"), "#!/bin/sh\n").unwrap();
    // A symlink out of the tree (to a dynamic binary) is not followed.
    std::os::unix::fs::symlink("/bin/ls", tree.join("bin/ls")).unwrap();
    let out = run_in(dir.path(), &["--json", "tree"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"].as_array().unwrap().len(), 1);
    assert_eq!(doc["files"][0]["path"], "tree/bin/app");
    assert_eq!(doc["summary"]["skipped_not_elf"], 2);
    assert_eq!(doc["summary"]["skipped_symlinks"], 1);
    // A corrupt ELF inside a walked directory fails the run (exit 1) without stopping it.
    let bytes = std::fs::read(f.path("gcc-static")).unwrap();
    std::fs::write(tree.join("bin/broken"), &bytes[..200]).unwrap();
    let out = run_in(dir.path(), &["--json", "tree"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"].as_array().unwrap().len(), 2);
    assert!(
        doc["files"][1]["error"]
            .as_str()
            .unwrap()
            .contains("bin/broken is a corrupt ELF file")
    );
    // A directory with no ELF file at all is an error, not a silent pass.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let out = run_in(dir.path(), &["empty"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("found no ELF files in empty"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_subcommand_and_bare_paths_are_the_same() {
    let f = fixtures();
    let a = f.run(&["check", "gcc-static"]);
    let b = f.run(&["gcc-static"]);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.status.code(), b.status.code());
}

#[test]
fn own_binary_carries_no_libc_markers() {
    // The scanner's patterns and the findings' texts are kept out of repro-check's own binary, so
    // a static musl repro-check checking itself is not mistaken for glibc or a NSS user.
    let scan = repro_check::scan::scan_bytes(&std::fs::read(bin()).unwrap());
    use repro_check::scan::Marker::*;
    for marker in [
        GlibcTunables,
        MuslStrerror,
        MuslSymbol,
        LibNss,
        NsswitchConf,
        Gconv,
        GoBuildInfo,
        Upx,
    ] {
        assert!(
            !scan.markers.contains_key(&marker),
            "{marker:?} found in our own binary"
        );
    }
    assert!(scan.store_refs.is_empty(), "{:?}", scan.store_refs);
}

/// Volatile parts of reports: digests, sizes, offsets, compiler-dependent counts.
fn redact(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut words = Vec::new();
        for w in line.split(' ') {
            let w = if w.len() >= 40 && w.chars().all(|c| c.is_ascii_hexdigit()) {
                "[hex]".to_string()
            } else if w.starts_with("0x") {
                "[offset]".to_string()
            } else {
                w.to_string()
            };
            words.push(w);
        }
        out.push_str(&size_redacted(&words.join(" ")));
        out.push('\n');
    }
    out
}

fn size_redacted(line: &str) -> String {
    for unit in [" KiB", " MiB", " B"] {
        if let Some(i) = line.find(unit) {
            let start = line[..i].rfind(' ').map_or(0, |s| s + 1);
            if line[start..i]
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.')
                && start < i
            {
                return format!("{}[size]{}", &line[..start], &line[i + unit.len()..]);
            }
        }
    }
    line.to_string()
}

#[test]
fn text_report_snapshot() {
    let out = fixtures().run(&[
        "gcc-dynamic",
        "gcc-static-pie",
        "needed-no-interp",
        "libhello.so",
    ]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(
        "check_text",
        format!("exit: {:?}\n{}", out.status.code(), redact(&stdout(&out)))
    );
}

#[test]
fn json_schema_snapshot() {
    // Locks the JSON schema: every key, its type and its order, for a dynamic and a static file
    // and an error entry.
    let (code, doc) = fixtures().json(&["gcc-dynamic", "gcc-static", "script.sh"]);
    assert_eq!(code, 2);
    insta::assert_json_snapshot!("check_json", doc, {
        ".files[].sha256" => "[sha256]",
        ".files[].size" => "[size]",
        ".files[].build_id" => "[build-id]",
        ".files[].libc_evidence" => "[evidence]",
        ".files[].findings[].message" => "[message]",
    });
}

/// Pack `name` in `dir` with UPX (Debian's upx-ucl provides `upx`); false when it is not installed.
fn upx_pack(dir: &Path, name: &str) -> bool {
    if !have_tool("upx") {
        return false;
    }
    let out = std::process::Command::new("upx")
        .args(["-q", "-f", name])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "upx failed: {}", stderr(&out));
    true
}

#[test]
fn upx_packed_programs_fail_as_unverifiable_static_and_dynamic() {
    let dir = tempdir();
    // Big enough for UPX to pack (it refuses tiny files); the notice lands far past 64 KiB in
    // the static one.
    let src = "#include <stdio.h>\n#include <string.h>\nchar big[300000] = {1};\n\
               int main(int c, char **v) { memset(big, c, sizeof big); puts(v[0]); return 0; }\n";
    compile_c("gcc", dir.path(), "packed-dynamic", src, &["-O1"]);
    compile_c("gcc", dir.path(), "packed-static", src, &["-O1", "-static"]);
    if !upx_pack(dir.path(), "packed-dynamic") || !upx_pack(dir.path(), "packed-static") {
        return;
    }
    let packed = std::fs::read(dir.path().join("packed-static")).unwrap();
    let notice = packed.windows(19).position(|w| w == b"This file is packed");
    assert!(notice.is_some_and(|at| at > 0x1_0000), "{notice:?}");
    let out = run_in(dir.path(), &["--json", "packed-dynamic", "packed-static"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    for e in doc["files"].as_array().unwrap() {
        assert_eq!(e["pass"], false, "{e:#}");
        let f = finding(e, "packed");
        assert_eq!(f["severity"], "error");
        assert!(f["hint"].as_str().unwrap().contains("upx -d"), "{f:#}");
        assert_eq!(f["evidence"].as_array().unwrap().len(), 3, "{f:#}");
    }
}

/// Evidence ranking: a `GLIBC_2.` string constant in a static musl program (as in the Zig
/// compiler) does not outrank musl's own strerror table; with no musl string at all, the missing
/// ABI-tag note (every glibc program has one) still keeps it from being called glibc.
#[test]
fn a_glibc_version_string_does_not_make_a_musl_program_glibc() {
    if !have_tool("musl-gcc") {
        return;
    }
    let dir = tempdir();
    let with_strerror = "#include <stdio.h>\n#include <string.h>\n\
        int main(int c, char **v) { puts(\"GLIBC_2.2.5\"); puts(strerror(c)); return 0; }\n";
    let bare = "#include <stdio.h>\nint main(void) { puts(\"GLIBC_2.2.5\"); return 0; }\n";
    compile_c(
        "musl-gcc",
        dir.path(),
        "musl-glibc-string",
        with_strerror,
        &["-static", "-s"],
    );
    compile_c(
        "musl-gcc",
        dir.path(),
        "musl-bare",
        bare,
        &["-static", "-s"],
    );
    let out = run_in(dir.path(), &["--json", "musl-glibc-string", "musl-bare"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (ranked, bare) = (&doc["files"][0], &doc["files"][1]);
    assert_eq!(ranked["libc"], "musl", "{ranked:#}");
    assert!(
        ranked["libc_evidence"][0]
            .as_str()
            .unwrap()
            .contains("strerror")
    );
    assert_eq!(bare["libc"], "unknown", "{bare:#}");
}

/// A Go program without build id and build info (`-s -w -buildid=`, build info erased as
/// esbuild ships) and without section headers: its pclntab header in a loaded segment says Go.
#[test]
fn go_without_build_info_or_sections_has_no_libc() {
    if !have_tool("go") {
        return;
    }
    let dir = tempdir();
    std::fs::write(
        dir.path().join("main.go"),
        "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"hi\") }\n",
    )
    .unwrap();
    let out = std::process::Command::new("go")
        .args([
            "build",
            "-ldflags=-s -w -buildid=",
            "-o",
            "go-bare",
            "main.go",
        ])
        .env("CGO_ENABLED", "0")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "go build: {}", stderr(&out));
    let path = dir.path().join("go-bare");
    let mut bytes = std::fs::read(&path).unwrap();
    let magic = b"\xff Go buildinf:";
    if let Some(at) = bytes.windows(magic.len()).position(|w| w == magic) {
        bytes[at..at + magic.len()].fill(b'X');
    }
    bytes[0x28..0x30].fill(0); // e_shoff
    bytes[0x3c..0x40].fill(0); // e_shnum, e_shstrndx
    std::fs::write(&path, &bytes).unwrap();
    let out = run_in(dir.path(), &["--json", "go-bare"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &doc["files"][0];
    assert_eq!(out.status.code(), Some(0), "{e:#}");
    assert_eq!(e["linkage"], "static");
    assert_eq!(e["libc"], "none", "{e:#}");
    assert!(
        e["libc_evidence"][0].as_str().unwrap().contains("pclntab"),
        "{e:#}"
    );
    // runtime.buildVersion survives -s -w and the erased build info: the toolchain's version.
    let go = std::process::Command::new("go")
        .args(["env", "GOVERSION"])
        .output()
        .unwrap();
    let version = String::from_utf8(go.stdout).unwrap();
    let want = format!("Go version {} (offset ", version.trim());
    assert!(
        e["libc_evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v.as_str().unwrap().starts_with(&want)),
        "{want}: {e:#}"
    );
}

/// musl's libc.so is also its loader (Debian installs it as ld-musl-*.so.1); a musl shared
/// object whose only clue is `NEEDED libc.so` is musl.
#[test]
fn musl_loader_and_musl_shared_object_are_named() {
    if !have_tool("musl-gcc") {
        return;
    }
    let dir = tempdir();
    compile_c(
        "musl-gcc",
        dir.path(),
        "libmusl.so",
        "#include <stdio.h>\nint f(void) { return puts(\"x\"); }\n",
        &["-shared", "-fPIC", "-s"],
    );
    // The loader is the interpreter a dynamic musl-gcc program requests.
    compile_c("musl-gcc", dir.path(), "musl-dynamic", HELLO_C, &[]);
    let out = run_in(dir.path(), &["--json", "musl-dynamic"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let loader = doc["files"][0]["interpreter"].as_str().unwrap().to_string();
    std::fs::copy(&loader, dir.path().join("ld-musl")).unwrap();
    let out = run_in(dir.path(), &["--json", "libmusl.so", "ld-musl"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (lib, ld) = (&doc["files"][0], &doc["files"][1]);
    assert_eq!(lib["libc"], "musl", "{lib:#}");
    assert_eq!(lib["role"], "shared-library");
    assert_eq!(ld["role"], "dynamic-loader", "{ld:#}");
    assert_eq!(ld["libc"], "musl");
    assert_eq!(ld["pass"], true);
}

/// A core dump holds a process's memory (its environment, the host's vDSO), not a program: no
/// store-path or build-path findings from it, only that it is not a program.
#[test]
fn core_dumps_get_no_string_findings() {
    if !have_tool("gcore") {
        return;
    }
    let dir = tempdir();
    let src = "#include <unistd.h>\nint main(void) { pause(); return 0; }\n";
    compile_c("gcc", dir.path(), "sleeper-static", src, &["-static"]);
    compile_c("gcc", dir.path(), "sleeper-dynamic", src, &[]);
    for name in ["sleeper-static", "sleeper-dynamic"] {
        let mut child = std::process::Command::new(dir.path().join(name))
            .env(
                "STORE",
                "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-openssl-3.0.7/lib",
            )
            .env("SOURCE", "/home/dev/project/src/main.rs")
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let core = format!("core-{name}");
        let out = std::process::Command::new("gcore")
            .arg("-o")
            .arg(dir.path().join(&core))
            .arg(child.id().to_string())
            .output()
            .unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert!(out.status.success(), "gcore: {}", stderr(&out));
        let core = format!("{core}.{}", child.id());
        let bytes = std::fs::read(dir.path().join(&core)).unwrap();
        assert!(
            bytes.windows(10).any(|w| w == b"/nix/store"),
            "the core holds the environment"
        );
        let (code, e) = {
            let out = run_in(dir.path(), &["--json", &core]);
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            (out.status.code(), doc["files"][0].clone())
        };
        assert_eq!(code, Some(1));
        assert_eq!(e["role"], "core", "{e:#}");
        assert_eq!(codes(&e), ["not-a-program"], "{e:#}");
    }
}

/// Strings that look like build paths but are not: a quoted test fixture with a space, run-time
/// suffixes a program appends to its own directories. None is a build path.
#[test]
fn strings_that_only_look_like_build_paths_are_not_findings() {
    let dir = tempdir();
    let src = "#include <stdio.h>\nint main(void) {\n  puts(\"\\\"/home/my user/bin/tool\\\"\");\n  \
               puts(\"/build/commands\");\n  puts(\"/build/targets/\");\n  return 0;\n}\n";
    compile_c("gcc", dir.path(), "lookalikes", src, &["-static", "-s"]);
    let bytes = std::fs::read(dir.path().join("lookalikes")).unwrap();
    assert!(bytes.windows(17).any(|w| w == b"\"/home/my user/bi"));
    let out = run_in(dir.path(), &["--json", "lookalikes"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &doc["files"][0];
    assert!(!codes(e).contains(&"build-path".to_string()), "{e:#}");
}

/// A bzImage starts with "MZ" (its EFI stub) but is a Linux kernel, not a Windows program.
#[test]
fn a_kernel_image_is_not_called_a_windows_program() {
    let dir = tempdir();
    let mut image = vec![0u8; 4096];
    image[..2].copy_from_slice(b"MZ");
    image[0x202..0x206].copy_from_slice(b"HdrS");
    std::fs::write(dir.path().join("bzImage"), &image).unwrap();
    let out = run_in(dir.path(), &["bzImage"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("Linux kernel image") && !err.contains("Windows"),
        "{err}"
    );
}

/// Hardening, each property built with and without: PIE (static-pie vs static), stack protector,
/// FORTIFY, NX stack, x86 CET and aarch64 BTI/PAC (from the GNU property note).
#[test]
fn hardening_is_reported_with_and_without_each_property() {
    let dir = tempdir();
    let f = "#include <stdio.h>\n#include <string.h>\n\
             int main(int c, char **v) { char b[16]; strcpy(b, v[0]); printf(\"%s %d\\n\", b, c); return 0; }\n";
    let bare = "void _start(void) { for (;;) {} }\n";
    compile_c("gcc", dir.path(), "pie-static", HELLO_C, &["-static-pie"]);
    compile_c("gcc", dir.path(), "nopie-static", HELLO_C, &["-static"]);
    let hard = ["-O2", "-fstack-protector-all", "-D_FORTIFY_SOURCE=2"];
    compile_c("gcc", dir.path(), "hard", f, &hard);
    let soft = [
        "-O2",
        "-fno-stack-protector",
        "-U_FORTIFY_SOURCE",
        "-z",
        "execstack",
    ];
    compile_c("gcc", dir.path(), "soft", f, &soft);
    // Debian's start files carry no CET property, so only a program without them can have one.
    let cet = ["-O1", "-nostdlib", "-static", "-fcf-protection=full"];
    compile_c("gcc", dir.path(), "cet", bare, &cet);
    let nocet = ["-O1", "-nostdlib", "-static", "-fcf-protection=none"];
    compile_c("gcc", dir.path(), "nocet", bare, &nocet);
    let h = |name: &str| {
        let out = run_in(dir.path(), &["--json", name]);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["files"][0]["host"]["hardening"].clone()
    };
    assert_eq!(h("pie-static")["pie"], true);
    assert_eq!(h("nopie-static")["pie"], false);
    let (hard, soft) = (h("hard"), h("soft"));
    assert_eq!(hard["stack_protector"], "yes", "{hard:#}");
    assert_eq!(hard["fortify"], "yes", "{hard:#}");
    assert_eq!(hard["nx_stack"], true);
    assert_eq!(soft["stack_protector"], "no", "{soft:#}");
    assert_eq!(soft["fortify"], "no", "{soft:#}");
    assert_eq!(soft["nx_stack"], false);
    assert_eq!(h("cet")["ibt"], true);
    assert_eq!(h("cet")["shstk"], true);
    assert_eq!(h("nocet")["ibt"], false);
    if have_tool("aarch64-linux-gnu-gcc") {
        let bti = [
            "-O1",
            "-nostdlib",
            "-static",
            "-mbranch-protection=standard",
        ];
        compile_c("aarch64-linux-gnu-gcc", dir.path(), "bti", bare, &bti);
        let nobti = ["-O1", "-nostdlib", "-static", "-mbranch-protection=none"];
        compile_c("aarch64-linux-gnu-gcc", dir.path(), "nobti", bare, &nobti);
        assert_eq!(h("bti")["bti"], true, "{:#}", h("bti"));
        assert_eq!(h("bti")["pac"], true);
        assert_eq!(h("nobti")["bti"], false);
        assert_eq!(h("bti")["ibt"], Value::Null);
    }
    // Static: the symbol table tells FORTIFY (glibc links `__*_chk` only when called); the
    // stack protector of a program whose main does not check its stack stays unknown (the C
    // library brings `__stack_chk_fail` anyway); stripped, or musl (no `__*_chk` of its own),
    // FORTIFY is unknown too.
    let fortified = ["-O2", "-static", "-D_FORTIFY_SOURCE=2"];
    compile_c("gcc", dir.path(), "static-fortify", f, &fortified);
    let plain = ["-O2", "-static", "-U_FORTIFY_SOURCE"];
    compile_c("gcc", dir.path(), "static-plain", f, &plain);
    let stripped = ["-O2", "-static", "-D_FORTIFY_SOURCE=2", "-s"];
    compile_c("gcc", dir.path(), "static-stripped", f, &stripped);
    let (yes, no) = (h("static-fortify"), h("static-plain"));
    assert_eq!(yes["fortify"], "yes", "{yes:#}");
    assert!(
        yes["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("__strcpy_chk")),
        "{yes:#}"
    );
    assert_eq!(yes["stack_protector"], "unknown");
    assert_eq!(no["fortify"], "no", "{no:#}");
    assert_eq!(h("static-stripped")["fortify"], "unknown");
    if have_tool("musl-gcc") {
        compile_c("musl-gcc", dir.path(), "musl-fortify", f, &fortified);
        assert_eq!(h("musl-fortify")["fortify"], "unknown");
    }
    // Text -v shows them too.
    let out = run_in(dir.path(), &["-v", "hard"]);
    assert!(
        stdout(&out).contains("stack protector yes, FORTIFY yes"),
        "{}",
        stdout(&out)
    );
}

/// The stack protector of static programs, from the symbol table: `main` calling
/// `__stack_chk_fail` is yes; no `__stack_chk_fail` linked at all is no; linked (the C library's
/// own code uses it) but not called from `main`, or stripped, is unknown. gcc and musl-gcc,
/// static and static-pie (Debian's musl-gcc -static-pie is dynamic: its dynamic symbols tell).
#[test]
fn static_stack_protector_is_told_from_the_symbol_table() {
    let dir = tempdir();
    let src = "#include <string.h>\n#include <unistd.h>\n\
               int main(int c, char **v) { char b[64]; strcpy(b, c > 1 ? v[1] : \"x\"); \
               return write(1, b, strlen(b)) < 0; }\n";
    let h = |name: &str| {
        let out = run_in(dir.path(), &["--json", name]);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["files"][0]["host"]["hardening"].clone()
    };
    let mut cases = vec![
        ("gcc", "-static", "yes", "unknown"),
        ("gcc", "-static-pie", "yes", "unknown"),
    ];
    if have_tool("musl-gcc") {
        cases.push(("musl-gcc", "-static", "yes", "no"));
        cases.push(("musl-gcc", "-static-pie", "yes", "no"));
    }
    for (cc, link, with, without) in cases {
        for (flag, want) in [
            ("-fstack-protector-strong", with),
            ("-fno-stack-protector", without),
        ] {
            let name = format!("{cc}{link}{flag}");
            compile_c(cc, dir.path(), &name, src, &["-O2", link, flag]);
            let got = h(&name);
            assert_eq!(got["stack_protector"], want, "{name}: {got:#}");
        }
    }
    let name = "stripped";
    compile_c(
        "gcc",
        dir.path(),
        name,
        src,
        &["-O2", "-static", "-s", "-fstack-protector-strong"],
    );
    assert_eq!(
        h(name)["stack_protector"],
        "unknown",
        "no symbols, no evidence"
    );
}

/// The TLS stack, trust roots and allocator: a static OpenSSL program (Debian's libssl.a) names
/// OpenSSL's version and reads the host's CA bundle; a plain one has no TLS; musl's allocator
/// gets a hint.
#[test]
fn tls_trust_roots_and_allocator_are_reported() {
    let dir = tempdir();
    let tls = "#include <openssl/ssl.h>\n#include <stdio.h>\nint main(void) {\n  \
               SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());\n  SSL_CTX_set_default_verify_paths(ctx);\n  \
               puts(OpenSSL_version(OPENSSL_VERSION));\n  return 0;\n}\n";
    compile_c(
        "gcc",
        dir.path(),
        "openssl-static",
        tls,
        &["-static", "-w", "-lssl", "-lcrypto", "-lpthread"],
    );
    compile_c("gcc", dir.path(), "plain-static", HELLO_C, &["-static"]);
    let out = run_in(dir.path(), &["--json", "openssl-static", "plain-static"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (ssl, plain) = (&doc["files"][0], &doc["files"][1]);
    let version = std::process::Command::new(dir.path().join("openssl-static"))
        .output()
        .unwrap();
    let version = String::from_utf8(version.stdout).unwrap();
    assert_eq!(ssl["host"]["tls"]["value"], "openssl", "{ssl:#}");
    assert_eq!(ssl["host"]["tls"]["detail"], version.trim());
    assert_eq!(ssl["host"]["trust_roots"]["value"], "host");
    assert_eq!(ssl["host"]["allocator"]["value"], "glibc");
    assert!(
        codes(ssl).contains(&"tls".to_string()) && codes(ssl).contains(&"trust-roots".to_string())
    );
    assert_eq!(plain["host"]["tls"]["value"], "none", "{plain:#}");
    assert_eq!(plain["host"]["trust_roots"]["value"], "none");
    assert!(!codes(plain).contains(&"tls".to_string()));
    if have_tool("musl-gcc") {
        compile_c("musl-gcc", dir.path(), "musl-alloc", HELLO_C, &["-static"]);
        let (_, e) = {
            let out = run_in(dir.path(), &["--json", "musl-alloc"]);
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            (out.status.code(), doc["files"][0].clone())
        };
        assert_eq!(e["host"]["allocator"]["value"], "musl", "{e:#}");
        let f = finding(&e, "allocator");
        assert_eq!(f["severity"], "info");
        assert!(f["hint"].as_str().unwrap().contains("mimalloc"));
    }
}

/// jemalloc (Debian's libjemalloc-dev), linked in statically (its `<jemalloc>` messages are in
/// the program) and against its shared library (`NEEDED libjemalloc.so.2`); the same program
/// without it keeps glibc's malloc.
#[test]
fn jemalloc_static_and_shared_are_named_and_glibc_malloc_is_not() {
    // gcc prints the bare name back when the library is not on its search path.
    let lib = std::process::Command::new("gcc")
        .arg("-print-file-name=libjemalloc.a")
        .output()
        .unwrap();
    if !Path::new(String::from_utf8_lossy(&lib.stdout).trim()).is_absolute() {
        skip_or_fail("libjemalloc-dev is not installed");
        return;
    }
    let dir = tempdir();
    // The pointer escapes (printed), so the compiler cannot drop the malloc/free pair.
    let prog = "#include <stdio.h>\n#include <stdlib.h>\nint main(int c, char **v) {\n  \
                char *p = malloc(100 + c);\n  p[0] = v[0][0];\n  printf(\"%p\\n\", (void *)p);\n  \
                free(p);\n  return 0;\n}\n";
    let static_je = ["-O1", "-static", "-ljemalloc", "-lpthread", "-lm"];
    compile_c("gcc", dir.path(), "je-static", prog, &static_je);
    compile_c("gcc", dir.path(), "je-shared", prog, &["-O1", "-ljemalloc"]);
    compile_c("gcc", dir.path(), "glibc-malloc", prog, &["-O1", "-static"]);
    let out = run_in(
        dir.path(),
        &["--json", "je-static", "je-shared", "glibc-malloc"],
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let alloc = |i: usize| doc["files"][i]["host"]["allocator"].clone();
    let evidence = |i: usize| alloc(i)["evidence"][0].as_str().unwrap().to_string();
    assert_eq!(alloc(0)["value"], "jemalloc", "{:#}", alloc(0));
    assert!(
        evidence(0).starts_with("jemalloc's messages"),
        "{:#}",
        alloc(0)
    );
    assert_eq!(alloc(1)["value"], "jemalloc", "{:#}", alloc(1));
    assert_eq!(evidence(1), "needs libjemalloc.so.2");
    assert_eq!(alloc(2)["value"], "glibc", "{:#}", alloc(2));
}

/// rustls with ring, webpki-roots and mimalloc: a real (tiny) crate, built once with cargo. The
/// TLS stack, its provider, the embedded roots and the allocator are each named.
#[test]
fn rustls_with_embedded_roots_and_mimalloc_are_named() {
    if !have_tool("cargo") || !have_tool("cc") {
        return;
    }
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"tlsprobe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         mimalloc = { version = \"0.1\", default-features = false }\n\
         rustls = { version = \"0.23\", default-features = false, features = [\"ring\", \"std\"] }\n\
         webpki-roots = \"1\"\n\n[profile.dev]\ndebug = false\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        "#[global_allocator]\nstatic GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;\n\n\
         fn main() {\n    let mut roots = rustls::RootCertStore::empty();\n    \
         roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());\n    \
         let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());\n    \
         let config = rustls::ClientConfig::builder_with_provider(provider)\n        \
         .with_safe_default_protocol_versions()\n        .expect(\"versions\")\n        \
         .with_root_certificates(roots)\n        .with_no_client_auth();\n    \
         println!(\"{}\", config.alpn_protocols.len());\n}\n",
    )
    .unwrap();
    let out = std::process::Command::new("cargo")
        .args(["build", "--quiet"])
        .env_remove("RUSTFLAGS")
        .env("CARGO_TARGET_DIR", dir.path().join("target"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo build: {}", stderr(&out));
    let out = run_in(dir.path(), &["--json", "target/debug/tlsprobe"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let host = &doc["files"][0]["host"];
    assert_eq!(host["tls"]["value"], "rustls", "{host:#}");
    assert_eq!(host["tls"]["detail"], "ring", "{host:#}");
    assert_eq!(host["trust_roots"]["value"], "embedded", "{host:#}");
    assert_eq!(host["allocator"]["value"], "mimalloc", "{host:#}");
}
