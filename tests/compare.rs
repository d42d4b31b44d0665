//! `repro-check compare` on builds made during the test: a Rust crate built in two directories, C
//! built at two SOURCE_DATE_EPOCHs, a build script leaking HashMap order, stripped vs unstripped,
//! and trees that differ in files, modes and links.

use crate::common::*;
use serde_json::Value;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cause kinds reported for the file at `index`, in rank order.
fn cause_kinds(v: &Value, index: usize) -> Vec<String> {
    v["files"][index]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Write a Cargo package `name` into `dir` (Cargo.toml + the given files) and build it with
/// `cargo build --release`, isolated from the caller's flags; returns the binary.
fn cargo_package(dir: &Path, name: &str, profile: &str, files: &[(&str, &str)]) -> PathBuf {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[profile.release]\n{profile}\n"
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    for (path, text) in files {
        std::fs::write(dir.join(path), text).unwrap();
    }
    let out = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--offline"])
        .current_dir(dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env("CARGO_INCREMENTAL", "0")
        .output()
        .expect("cannot run cargo");
    assert!(
        out.status.success(),
        "cargo build failed:\n{}",
        stderr(&out)
    );
    dir.join("target/release").join(name)
}

const SUM_MAIN: &str = "fn main() {\n    let n: usize = std::env::args().map(|a| a.len()).sum();\n    println!(\"{n}\");\n}\n";

#[test]
fn rust_debug_build_in_two_directories_is_build_path() {
    if !have_tool("cargo") {
        return;
    }
    let dir = tempdir();
    let (one, two) = (dir.path().join("first"), dir.path().join("second"));
    let files = [("src/main.rs", SUM_MAIN)];
    cargo_package(&one, "sum", "debug = true", &files);
    cargo_package(&two, "sum", "debug = true", &files);
    let (a, b) = ("first/target/release/sum", "second/target/release/sum");

    let out = run_in(dir.path(), &["compare", "--json", a, b]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["identical"], false);
    let kinds = cause_kinds(&v, 0);
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("build-path"),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"debug-only".to_string()), "{kinds:?}");
    let evidence = v["files"][0]["causes"][0]["evidence"].as_str().unwrap();
    let (da, db) = (one.display().to_string(), two.display().to_string());
    assert!(evidence.contains(&format!("embeds {da} (")), "{evidence}");
    assert!(evidence.contains(&format!("embeds {db} (")), "{evidence}");
    let sections = v["files"][0]["sections"].as_array().unwrap();
    let row = |name: &str| {
        sections
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(row(".text")["identical"], true);
    assert_eq!(row(".debug_str")["identical"], false);

    let text = run_in(dir.path(), &["compare", a, b]);
    let report = stdout(&text);
    assert!(
        report.contains("build-path") && report.contains(&da) && report.contains(&db),
        "{report}"
    );
    assert!(report.contains("--remap-path-prefix"), "{report}");
    assert!(report.lines().count() < 20, "{report}");
}

/// Rewrites each zlib `SHF_COMPRESSED` section of an ELF64 little-endian file in place as an
/// `ELFCOMPRESS_ZSTD` one, compressed by the `zstd` tool (Debian's binutils 2.40 and gcc 12 cannot
/// write zstd sections; newer toolchains do with `-gz=zstd`). The frame is padded to the
/// section's old size; prints how many sections it rewrote.
const ZSTD_SECTIONS_PY: &str = r#"
import struct, subprocess, sys, zlib
path = sys.argv[1]
data = bytearray(open(path, 'rb').read())
shoff, = struct.unpack_from('<Q', data, 0x28)
shentsize, shnum = struct.unpack_from('<HH', data, 0x3a)
done = 0
for i in range(shnum):
    flags, _, off, size = struct.unpack_from('<QQQQ', data, shoff + i * shentsize + 8)
    if not flags & 0x800 or struct.unpack_from('<I', data, off)[0] != 1:
        continue
    raw = zlib.decompress(bytes(data[off + 24:off + size]))
    z = subprocess.run(['zstd', '-19', '-q', '-c'], input=raw, capture_output=True, check=True).stdout
    if 24 + len(z) > size:
        continue
    struct.pack_into('<I', data, off, 2)
    data[off + 24:off + size] = z + bytes(size - 24 - len(z))
    done += 1
open(path, 'wb').write(data)
print(done)
"#;

/// `-g3 -gdwarf-4` puts the build directory (`DW_AT_comp_dir`) into `.debug_str`, large enough
/// (the macros) for `-gz` to compress it: the path is only found after decompression, whether
/// the sections are zlib (`-gz`), GNU `.zdebug_*` (`-gz=zlib-gnu`) or zstd (rewritten by
/// [`ZSTD_SECTIONS_PY`]).
#[test]
fn c_with_compressed_debug_sections_in_two_directories_is_build_path() {
    if !have_tool("gcc") {
        return;
    }
    for gz in ["-gz", "-gz=zlib-gnu", "zstd"] {
        let zstd = gz == "zstd";
        if zstd && !(have_tool("zstd") && have_tool("python3")) {
            continue;
        }
        let dir = tempdir();
        std::fs::write(dir.path().join("zstd.py"), ZSTD_SECTIONS_PY).unwrap();
        for d in ["one", "two"] {
            let at = dir.path().join(d);
            std::fs::create_dir(&at).unwrap();
            compile_c(
                "gcc",
                &at,
                "hello",
                "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
                &["-O2", "-g3", "-gdwarf-4", if zstd { "-gz" } else { gz }],
            );
            if zstd {
                let out = Command::new("python3")
                    .args(["zstd.py", &format!("{d}/hello")])
                    .current_dir(dir.path())
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{}", stderr(&out));
                let rewritten: u32 = stdout(&out).trim().parse().unwrap();
                assert!(rewritten >= 1, "no section rewritten as zstd");
            }
        }
        let out = run_in(dir.path(), &["compare", "--json", "one/hello", "two/hello"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let v = json(&out);
        let kinds = cause_kinds(&v, 0);
        assert_eq!(
            kinds.first().map(String::as_str),
            Some("build-path"),
            "{gz}: {kinds:?}"
        );
        let evidence = v["files"][0]["causes"][0]["evidence"].as_str().unwrap();
        let (da, db) = (dir.path().join("one"), dir.path().join("two"));
        assert!(
            evidence.contains(&format!("embeds {}", da.display()))
                && evidence.contains(&format!("embeds {}", db.display()))
                && evidence.contains("debug_str"),
            "{gz}: {evidence}"
        );
        assert!(kinds.contains(&"debug-only".to_string()), "{gz}: {kinds:?}");
    }
}

/// A build step that honours SOURCE_DATE_EPOCH but formats it in the builder's time zone (POSIX
/// `TZ` strings: no time zone database needed): `TZ=UTC`, not SOURCE_DATE_EPOCH, is the fix.
#[test]
fn dates_in_two_time_zones_hint_tz_utc() {
    if !have_tool("date") {
        return;
    }
    let dir = tempdir();
    let stamp = |name: &str, tz: &str, epoch: &str| {
        let out = Command::new("date")
            .args(["-d", &format!("@{epoch}")])
            .env("TZ", tz)
            .env("LC_ALL", "C")
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = format!("version 1.0\nbuilt on {}", stdout(&out));
        std::fs::write(dir.path().join(name), text).unwrap();
    };
    stamp("utc.txt", "UTC0", "1700000000");
    stamp("est.txt", "EST5", "1700000000");
    stamp("later.txt", "UTC0", "1700003600");
    stamp("again.txt", "UTC0", "1700000000");
    let out = run_in(dir.path(), &["compare", "--json", "utc.txt", "est.txt"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(cause_kinds(&v, 0), ["timestamp"]);
    let cause = &v["files"][0]["causes"][0];
    assert!(
        cause["hint"].as_str().unwrap().contains("TZ=UTC"),
        "{cause}"
    );
    assert!(
        cause["evidence"]
            .as_str()
            .unwrap()
            .contains("\"22:13:20\" vs \"17:13:20\""),
        "{cause}"
    );
    // Another instant is another SOURCE_DATE_EPOCH, not another zone.
    let out = run_in(dir.path(), &["compare", "--json", "utc.txt", "later.txt"]);
    let v = json(&out);
    let hint = v["files"][0]["causes"][0]["hint"].as_str().unwrap();
    assert!(
        hint.contains("SOURCE_DATE_EPOCH") && !hint.contains("TZ=UTC"),
        "{hint}"
    );
    let same = run_in(dir.path(), &["compare", "utc.txt", "again.txt"]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
}

const FLAGS_RS: &str = "fn main() {\n    let v: Vec<u64> = std::env::args().map(|a| a.len() as u64).collect();\n    let s: u64 = v.iter().map(|x| x * x + 3).sum();\n    let mut acc = 0f64;\n    for i in 0..(s as usize * 1000) {\n        acc += (i as f64).sqrt();\n    }\n    println!(\"{s} {acc}\");\n}\n";

/// rustc records no `-C` flags: one file built with other codegen units (the same symbols, in
/// another order), another opt-level (other code sizes) or another target CPU (instructions from
/// extensions only one build uses) is `flags`, and the hint names which.
#[test]
fn rust_codegen_flags_are_flags() {
    if !have_tool("rustc") {
        return;
    }
    let dir = tempdir();
    std::fs::write(dir.path().join("m.rs"), FLAGS_RS).unwrap();
    // The four builds run at once.
    let builds: Vec<_> = [
        ("o3", &["-C", "opt-level=3"][..]),
        ("again", &["-C", "opt-level=3"]),
        ("cgu1", &["-C", "opt-level=3", "-C", "codegen-units=1"]),
        ("o1", &["-C", "opt-level=1"]),
        ("v3", &["-C", "opt-level=3", "-C", "target-cpu=x86-64-v3"]),
    ]
    .into_iter()
    .map(|(out, flags)| {
        Command::new("rustc")
            .args(flags)
            .args(["m.rs", "-o", out])
            .current_dir(dir.path())
            .env_remove("RUSTFLAGS")
            .spawn()
            .unwrap()
    })
    .collect();
    for mut child in builds {
        assert!(child.wait().unwrap().success());
    }
    let same = run_in(dir.path(), &["compare", "o3", "again"]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    let mut cases = vec![
        ("cgu1", "(codegen-units most likely"),
        (
            "o1",
            "(opt-level most likely: both use the same instruction-set extensions",
        ),
    ];
    // x86-64-v3 adds AVX2, BMI2, FMA…: the code says which target CPU it was built for.
    if cfg!(target_arch = "x86_64") {
        cases.push(("v3", "(target-cpu or target-feature"));
    }
    for (other, which) in cases {
        let out = run_in(dir.path(), &["compare", "--json", "o3", other]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let v = json(&out);
        let kinds = cause_kinds(&v, 0);
        assert_eq!(
            kinds.first().map(String::as_str),
            Some("flags"),
            "{other}: {kinds:?}"
        );
        let hint = v["files"][0]["causes"][0]["hint"].as_str().unwrap();
        assert!(hint.contains(which), "{other}: {hint}");
    }
}

const STAMP_C: &str = "#include <stdio.h>\nint main(void) { printf(\"built %s %s\\n\", __DATE__, __TIME__); return 0; }\n";

fn gcc_at_epoch(dir: &Path, name: &str, epoch: &str) {
    std::fs::write(dir.join("stamp.c"), STAMP_C).unwrap();
    let ok = Command::new("gcc")
        .args(["-O2", "-o", name, "stamp.c"])
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", epoch)
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn c_built_at_two_times_is_timestamp() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    gcc_at_epoch(dir.path(), "old", "1600000000"); // 2020-09-13 12:26:40 UTC
    gcc_at_epoch(dir.path(), "new", "1700000000"); // 2023-11-14 22:13:20 UTC

    let out = run_in(dir.path(), &["compare", "old", "new"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.lines().count() < 20,
        "a one-cause pair takes under 20 lines:\n{text}"
    );
    // Section counts and sizes depend on the compiler version; the rest is fixed.
    insta::with_settings!({filters => vec![(r"\d+ of \d+ sections", "[N] of [M] sections"), (r"\d+ bytes", "[N] bytes")]}, {
        insta::assert_snapshot!("compare_timestamp_text", text);
    });

    let v = json(&run_in(dir.path(), &["compare", "--json", "old", "new"]));
    assert_eq!(cause_kinds(&v, 0), ["timestamp"]);
    let evidence = v["files"][0]["causes"][0]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("Sep 13 2020") && evidence.contains("Nov 14 2023"),
        "{evidence}"
    );
    assert!(
        v["files"][0]["causes"][0]["hint"]
            .as_str()
            .unwrap()
            .contains("SOURCE_DATE_EPOCH")
    );

    // The same epoch reproduces the binary exactly.
    gcc_at_epoch(dir.path(), "again", "1600000000");
    let same = run_in(dir.path(), &["compare", "old", "again"]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
}

#[test]
fn build_script_hashmap_order_is_ordering() {
    if !have_tool("cargo") {
        return;
    }
    let build_rs = "use std::collections::HashMap;\n\
        fn main() {\n\
            let m: HashMap<String, u32> = (0..40).map(|i| (format!(\"key{i:02}\"), i)).collect();\n\
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();\n\
            let out = std::env::var(\"OUT_DIR\").unwrap();\n\
            std::fs::write(format!(\"{out}/order.rs\"), format!(\"pub const ORDER: &str = {:?};\", keys.join(\",\"))).unwrap();\n\
        }\n";
    let main_rs = "include!(concat!(env!(\"OUT_DIR\"), \"/order.rs\"));\nfn main() { println!(\"{ORDER}\"); }\n";
    let dir = tempdir();
    let files = [("build.rs", build_rs), ("src/main.rs", main_rs)];
    cargo_package(&dir.path().join("one"), "order", "", &files);
    cargo_package(&dir.path().join("two"), "order", "", &files);

    let (a, b) = ("one/target/release/order", "two/target/release/order");
    let v = json(&run_in(dir.path(), &["compare", "--json", a, b]));
    assert_eq!(
        v["identical"], false,
        "40 keys came out in the same order twice"
    );
    assert_eq!(cause_kinds(&v, 0), ["ordering"]);
    let cause = &v["files"][0]["causes"][0];
    assert_eq!(cause["sections"], serde_json::json!([".rodata"]));
    assert!(cause["hint"].as_str().unwrap().contains("BTreeMap"));
}

#[test]
fn stripped_vs_unstripped_is_debug_only() {
    if !have_tool("gcc") || !have_tool("strip") {
        return;
    }
    let dir = tempdir();
    compile_c("gcc", dir.path(), "full", HELLO_C, &["-g", "-O2"]);
    let ok = Command::new("strip")
        .args(["--strip-debug", "-o", "stripped", "full"])
        .current_dir(dir.path())
        .status();
    assert!(ok.unwrap().success());

    let v = json(&run_in(
        dir.path(),
        &["compare", "--json", "full", "stripped"],
    ));
    assert_eq!(cause_kinds(&v, 0), ["debug-only"]);
    let evidence = v["files"][0]["causes"][0]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("only A has") && evidence.contains(".debug_info"),
        "{evidence}"
    );
    let sections = v["files"][0]["sections"].as_array().unwrap();
    let text_row = sections.iter().find(|s| s["name"] == ".text").unwrap();
    assert_eq!(text_row["identical"], true);
    let info = sections
        .iter()
        .find(|s| s["name"] == ".debug_info")
        .unwrap();
    assert!(info["sizes"][0].is_u64() && info["sizes"][1].is_null());
}

/// Two small trees: B has an extra file, a file that became executable, a retargeted link, a
/// file that became a directory, a changed text file, and lacks one file.
fn two_trees(root: &Path) {
    for side in ["a", "b"] {
        let t = root.join(side);
        std::fs::create_dir_all(t.join("bin")).unwrap();
        std::fs::write(t.join("bin/run"), "#!/bin/sh\nexec tool\n").unwrap();
        std::fs::write(t.join("same.txt"), "same\n").unwrap();
        let config = if side == "a" {
            "name = demo\nlevel = 1\nmode = fast\n"
        } else {
            "name = demo\nlevel = 2\nmode = fast\n"
        };
        std::fs::write(t.join("config"), config).unwrap();
        symlink(
            if side == "a" { "bin/run" } else { "same.txt" },
            t.join("link"),
        )
        .unwrap();
    }
    std::fs::write(root.join("a/gone"), "only in a\n").unwrap();
    std::fs::write(root.join("b/extra"), "only in b\n").unwrap();
    std::fs::set_permissions(
        root.join("b/bin/run"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(root.join("a/shape"), "file\n").unwrap();
    std::fs::create_dir(root.join("b/shape")).unwrap();
}

#[test]
fn trees_report_missing_extra_mode_link_and_type_changes() {
    let dir = tempdir();
    two_trees(dir.path());
    let out = run_in(dir.path(), &["compare", "--json", "a", "b"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    insta::assert_snapshot!("compare_trees_json", stdout(&out));
    let text = stdout(&run_in(dir.path(), &["compare", "a", "b"]));
    insta::assert_snapshot!("compare_trees_text", text);
}

#[test]
fn three_builds_name_majority_and_outlier() {
    let dir = tempdir();
    two_trees(dir.path());
    let copy = Command::new("cp")
        .args(["-a", "a", "c"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(copy.success());
    // A `result`-style symlink to a tree is followed.
    symlink("c", dir.path().join("result")).unwrap();
    let v = json(&run_in(
        dir.path(),
        &["compare", "--json", "a", "b", "result"],
    ));
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["role"], "majority");
    assert_eq!(groups[0]["builds"], serde_json::json!([0, 2]));
    assert_eq!(groups[1]["role"], "outlier");
    assert_eq!(groups[1]["builds"], serde_json::json!([1]));
    let text = stdout(&run_in(dir.path(), &["compare", "a", "b", "result"]));
    assert!(text.contains("groups: majority A, C"), "{text}");
    assert!(text.contains("outlier B"), "{text}");

    let same = run_in(dir.path(), &["compare", "a", "result"]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
}

#[test]
fn errors_exit_2_and_never_say_identical() {
    let dir = tempdir();
    std::fs::write(dir.path().join("f"), "x").unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    let out = run_in(dir.path(), &["compare", "f", "missing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read missing"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());

    let out = run_in(dir.path(), &["compare", "f", "d"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("f is a single file but d is a directory tree"),
        "{}",
        stderr(&out)
    );

    let out = run_in(dir.path(), &["compare", "f"]);
    assert_eq!(out.status.code(), Some(2), "one build is a usage error");

    std::fs::write(
        dir.path().join("bad.json"),
        "{\"schema\": \"repro-check.manifest/v9\", \"roots\": []}",
    )
    .unwrap();
    let out = run_in(dir.path(), &["compare", "bad.json", "f"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("repro-check.manifest/v1"),
        "{}",
        stderr(&out)
    );
}

/// `#ident` puts a compiler identification into `.comment`, as a different compiler would.
const IDENT_C: &str =
    "#include <stdio.h>\n#ident IDENT\nint main(void) { puts(GREETING); return 0; }\n";

fn gcc_ident(dir: &Path, name: &str, ident: &str, greeting: &str, extra: &[&str]) {
    // One source file name for all: it is recorded in the symbol table.
    std::fs::write(dir.join("ident.c"), IDENT_C).unwrap();
    let ok = Command::new("gcc")
        .args([
            "-O2",
            &format!("-DIDENT=\"{ident}\""),
            &format!("-DGREETING=\"{greeting}\""),
        ])
        .args(extra)
        .args(["-o", name, "ident.c"])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn compiler_identification_build_id_and_code_differences() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    gcc_ident(d, "gcc12", "GCC: (GNU) 12.2.0", "hello", &[]);
    gcc_ident(d, "gcc13", "GCC: (GNU) 13.1.0", "hello", &[]);
    let v = json(&run_in(d, &["compare", "--json", "gcc12", "gcc13"]));
    assert_eq!(cause_kinds(&v, 0), ["toolchain"]);
    let evidence = v["files"][0]["causes"][0]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("12.2.0") && evidence.contains("13.1.0") && evidence.contains(".comment"),
        "{evidence}"
    );

    // A random build-id (--build-id=uuid) is the only difference between two links.
    gcc_ident(d, "uuid1", "x", "hello", &["-Wl,--build-id=uuid"]);
    gcc_ident(d, "uuid2", "x", "hello", &["-Wl,--build-id=uuid"]);
    let v = json(&run_in(d, &["compare", "--json", "uuid1", "uuid2"]));
    assert_eq!(cause_kinds(&v, 0), ["build-id-only"]);

    // Different source: nothing explains it but the program itself.
    gcc_ident(d, "hello", "x", "hello", &[]);
    gcc_ident(d, "world", "x", "world", &[]);
    let v = json(&run_in(d, &["compare", "--json", "hello", "world"]));
    let kinds = cause_kinds(&v, 0);
    assert_eq!(kinds.first().map(String::as_str), Some("code"), "{kinds:?}");
    let evidence = v["files"][0]["causes"][0]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains(".rodata") && evidence.contains("\"hello\" vs \"world\""),
        "{evidence}"
    );
}

#[test]
fn three_elf_builds_explain_the_outlier_against_the_majority() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    gcc_at_epoch(dir.path(), "first", "1600000000");
    gcc_at_epoch(dir.path(), "second", "1600000000");
    gcc_at_epoch(dir.path(), "third", "1700000000");
    let out = run_in(
        dir.path(),
        &["compare", "--json", "third", "first", "second"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["groups"][0]["role"], "majority");
    assert_eq!(v["groups"][0]["builds"], serde_json::json!([1, 2]));
    assert_eq!(v["groups"][1]["builds"], serde_json::json!([0]));
    let cause = &v["files"][0]["causes"][0];
    assert_eq!(cause["kind"], "timestamp");
    assert_eq!(
        cause["builds"],
        serde_json::json!([1, 0]),
        "the outlier A is explained against B"
    );
    let text = stdout(&run_in(
        dir.path(),
        &["compare", "third", "first", "second"],
    ));
    assert!(text.contains("groups: majority B, C"), "{text}");
    assert!(text.contains("timestamp [B vs A]"), "{text}");
}

#[test]
fn c_file_macro_in_two_directories_is_build_path_with_shifted_code() {
    if !have_tool("gcc") {
        return;
    }
    let source = "#include <stdio.h>\nint main(int c, char **v) { printf(\"%s %d\\n\", __FILE__, c); puts(\"tail\"); return 0; }\n";
    let dir = tempdir();
    for side in ["a", "longer-dir"] {
        let d = dir.path().join(side);
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("f.c"), source).unwrap();
        // An absolute source path, as build systems pass it: __FILE__ embeds the directory.
        let ok = Command::new("gcc")
            .args(["-O2", "-o"])
            .arg(d.join("f"))
            .arg(d.join("f.c"))
            .status();
        assert!(ok.unwrap().success());
    }
    let v = json(&run_in(
        dir.path(),
        &["compare", "--json", "a/f", "longer-dir/f"],
    ));
    let kinds = cause_kinds(&v, 0);
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("build-path"),
        "{kinds:?}"
    );
    let causes = v["files"][0]["causes"].as_array().unwrap();
    let evidence = causes[0]["evidence"].as_str().unwrap();
    let a = dir.path().join("a").display().to_string();
    let b = dir.path().join("longer-dir").display().to_string();
    assert!(
        evidence.contains(&format!("A embeds {a} ("))
            && evidence.contains(&format!("B embeds {b} (")),
        "{evidence}"
    );
    // Everything else that differs only follows from the longer string.
    for cause in &causes[1..] {
        assert!(
            cause["evidence"].as_str().unwrap().contains("shifted"),
            "{cause}"
        );
    }
}

/// A build that embeds who built it and where (`-DBUILDER="$USER@$(hostname)"`, a jar's
/// `Built-By:`): `host-info`, with both values as evidence.
#[test]
fn embedded_user_and_host_are_host_info() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let source = "#include <stdio.h>\nint main(void) { puts(\"built by \" BUILDER); return 0; }\n";
    for (d, who) in [("a", "alice@build-7"), ("b", "bob@ci-runner-3")] {
        let at = dir.path().join(d);
        std::fs::create_dir(&at).unwrap();
        compile_c(
            "gcc",
            &at,
            "hello",
            source,
            &["-O2", &format!("-DBUILDER=\"{who}\"")],
        );
        std::fs::write(
            at.join("MANIFEST.MF"),
            format!(
                "Manifest-Version: 1.0\nBuilt-By: {}\n",
                &who[..who.find('@').unwrap()]
            ),
        )
        .unwrap();
    }
    let out = run_in(dir.path(), &["compare", "--json", "a", "b"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    let all = v["files"].as_array().unwrap();
    let differing: Vec<usize> = (0..all.len())
        .filter(|&i| all[i]["identical"] == false)
        .collect();
    assert_eq!(differing.len(), 2, "{v:#}");
    let files: Vec<&Value> = differing.iter().map(|&i| &all[i]).collect();
    for (&i, f) in differing.iter().zip(&files) {
        let kinds = cause_kinds(&v, i);
        assert_eq!(
            kinds.first().map(String::as_str),
            Some("host-info"),
            "{}: {kinds:?}",
            f["path"]
        );
    }
    let evidence: Vec<&str> = files
        .iter()
        .map(|f| f["causes"][0]["evidence"].as_str().unwrap())
        .collect();
    assert!(
        evidence.iter().any(|e| e.contains("alice@build-7")
            && e.contains("bob@ci-runner-3")
            && e.contains(".rodata")),
        "{evidence:?}"
    );
    assert!(
        evidence
            .iter()
            .any(|e| e.contains("Built-By: alice") && e.contains("Built-By: bob")),
        "{evidence:?}"
    );
    // The text file: nothing else is left unexplained.
    let text = run_in(dir.path(), &["compare", "a", "b"]);
    assert!(stdout(&text).lines().count() <= 20, "{}", stdout(&text));
}
