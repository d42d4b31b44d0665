//! The JSON Schemas in `docs/schema/` (draft 2020-12) hold for what the binary really prints and
//! writes: `check`, `hash` (the manifest), `compare`, `rebuild`, `attest` (statement, VSA and DSSE
//! envelope) and `verify`, each run here on inputs built for the test. Documents that break a
//! schema are rejected, so a schema that accepts anything fails here too.

use std::path::Path;
use std::process::Output;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use boon::{Compiler, SchemaIndex, Schemas};
use serde_json::Value;

use crate::common::*;

/// Every schema file; each is compiled (so checked against the 2020-12 metaschema) by
/// [`every_schema_compiles_and_rejects_an_empty_object`].
const SCHEMAS: [&str; 8] = [
    "attestation",
    "check",
    "common",
    "compare",
    "manifest",
    "predicate",
    "rebuild",
    "verify",
];

/// The compiled schema `docs/schema/<name>.schema.json`, with its references to the other files
/// resolved from disk, and `contentSchema` (a signed envelope's payload) asserted.
fn schema(name: &str) -> (Schemas, SchemaIndex) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schema")
        .join(format!("{name}.schema.json"));
    let mut schemas = Schemas::new();
    let mut compiler = Compiler::new();
    compiler.enable_content_assertions();
    let index = compiler
        .compile(path.to_str().unwrap(), &mut schemas)
        .unwrap_or_else(|e| panic!("{name}.schema.json does not compile: {e:#}"));
    (schemas, index)
}

/// Whether `doc` holds to schema `name`: the validator's full report when it does not.
fn validate(name: &str, doc: &Value) -> Result<(), String> {
    let (schemas, index) = schema(name);
    schemas.validate(doc, index).map_err(|e| format!("{e:#}"))
}

/// Panic, showing the document and every violation, unless `doc` holds to schema `name`.
fn assert_valid(name: &str, doc: &Value) {
    if let Err(e) = validate(name, doc) {
        panic!("{name}.schema.json rejects real output:\n{e}\n{doc:#}");
    }
}

/// Panic unless schema `name` rejects `doc`; `what` says how it was broken.
fn assert_rejected(name: &str, doc: &Value, what: &str) {
    assert!(
        validate(name, doc).is_err(),
        "{name}.schema.json accepts a document with {what}:\n{doc:#}"
    );
}

/// Panic unless schema `name` rejects `doc` with the value at JSON pointer `at` set to `value`
/// (a member added when it is not there); `what` says what that breaks.
fn assert_rejects_edit(name: &str, doc: &Value, at: &str, value: Value, what: &str) {
    let mut edited = doc.clone();
    let (parent, key) = at.rsplit_once('/').unwrap();
    match edited.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key.to_string(), value);
        }
        Some(Value::Array(items)) => items[key.parse::<usize>().unwrap()] = value,
        _ => panic!("{at} is not in {doc:#}"),
    }
    assert_rejected(name, &edited, what);
}

/// The command's JSON, after checking its exit code.
fn json_exit(out: &Output, code: i32) -> Value {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}{}",
        stdout(out),
        stderr(out)
    );
    json(out)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read(path).unwrap();
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A tree with a file, an executable, a symlink, a directory and a name that is not UTF-8.
fn tree(root: &Path, text: &str) {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(root.join("sub/empty")).unwrap();
    std::fs::write(root.join("readme.txt"), format!("one\ntwo\n{text}\n")).unwrap();
    let tool = root.join("sub/tool");
    std::fs::write(&tool, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink(format!("readme-{text}"), root.join("link")).unwrap();
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9");
    std::fs::write(root.join(odd), text).unwrap();
}

#[test]
fn every_schema_compiles_and_rejects_an_empty_object() {
    for name in SCHEMAS {
        let (schemas, index) = schema(name);
        if name != "common" {
            assert!(
                schemas.validate(&serde_json::json!({}), index).is_err(),
                "{name}.schema.json accepts {{}}"
            );
        }
    }
}

#[test]
fn check_json_holds_to_its_schema() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    std::fs::create_dir(d.join("tree")).unwrap();
    compile_c("gcc", &d.join("tree"), "dynamic", HELLO_C, &["-O1"]);
    compile_c("gcc", &d.join("tree"), "pie", HELLO_C, &["-static-pie"]);
    std::fs::write(d.join("tree/notes.txt"), "not ELF").unwrap();
    let bytes = std::fs::read(d.join("tree/dynamic")).unwrap();
    std::fs::write(d.join("tree/truncated"), &bytes[..200]).unwrap();
    let doc = json_exit(&run_in(d, &["check", "--json", "tree"]), 1);
    assert_valid("check", &doc);
    // Both kinds of entry, and findings with hints, were checked against the schema.
    let files = doc["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f.get("error").is_some()), "{doc:#}");
    assert!(files.iter().any(|f| f["pass"] == true), "{doc:#}");
    assert!(
        files
            .iter()
            .flat_map(|f| f["findings"].as_array().into_iter().flatten())
            .any(|f| f.get("hint").is_some()),
        "{doc:#}"
    );

    // The job could not be done (no ELF file at all): still one document, with the error.
    std::fs::create_dir(d.join("text")).unwrap();
    std::fs::write(d.join("text/notes.txt"), "not ELF").unwrap();
    let doc = json_exit(&run_in(d, &["check", "--json", "text"]), 2);
    assert!(doc["error"].is_string(), "{doc:#}");
    assert_valid("check", &doc);
}

/// Schemas that could accept anything would pass every test above: each broken document must be
/// rejected, each for one reason.
#[test]
fn documents_that_break_the_schema_are_rejected() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    compile_c("gcc", dir.path(), "hello", HELLO_C, &["-O1"]);
    let doc = json_exit(&run_in(dir.path(), &["check", "--json", "hello"]), 1);
    assert_valid("check", &doc);
    let cases: [(&str, Value, &str); 7] = [
        ("/files/0/colour", "red".into(), "an unknown field"),
        (
            "/files/0/linkage",
            "semi-static".into(),
            "a linkage that does not exist",
        ),
        (
            "/files/0/findings/0/code",
            "no-such-code".into(),
            "a finding code that does not exist",
        ),
        (
            "/files/0/sha256",
            "Z".repeat(64).into(),
            "a digest that is not hex",
        ),
        (
            "/files/0/class",
            16.into(),
            "an ELF class that does not exist",
        ),
        ("/summary/checked", "1".into(), "a count that is a string"),
        (
            "/files/0/error",
            "unreadable".into(),
            "an error entry with a verdict",
        ),
    ];
    for (at, value, what) in cases {
        assert_rejects_edit("check", &doc, at, value, what);
    }
    let mut missing = doc.clone();
    missing["files"][0]
        .as_object_mut()
        .unwrap()
        .remove("linkage");
    assert_rejected("check", &missing, "a required field missing");
}

#[test]
fn hash_json_manifests_hold_to_their_schema() {
    let dir = tempdir();
    let d = dir.path();
    tree(&d.join("t"), "a");
    std::fs::write(d.join("single"), "one file").unwrap();
    let doc = json_exit(&run_in(d, &["hash", "--json", "--nar", "t", "single"]), 0);
    assert_valid("manifest", &doc);
    let entries = doc["roots"][0]["entries"].as_array().unwrap();
    for kind in ["file", "symlink", "directory"] {
        assert!(entries.iter().any(|e| e["type"] == kind), "{kind}: {doc:#}");
    }
    assert!(
        entries.iter().any(|e| e.get("path_base64").is_some()),
        "{doc:#}"
    );
    assert_rejects_edit(
        "manifest",
        &doc,
        "/roots/0/entries/0/type",
        "socket".into(),
        "an entry type that does not exist",
    );
    assert_rejects_edit(
        "manifest",
        &doc,
        "/schema",
        "repro-check.manifest/v3".into(),
        "another schema version",
    );
}

#[test]
fn compare_json_holds_to_its_schema() {
    if !have_tool("gcc") || !have_tool("tar") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    // Three builds: two agree, the third differs in every way a tree can.
    for (name, text) in [("a", "a"), ("b", "a"), ("c", "c")] {
        let root = d.join(name);
        tree(&root, text);
        // gcc -g records the compilation directory: the ELF files differ by build path.
        let build = d.join(format!("build-{text}"));
        std::fs::create_dir_all(&build).unwrap();
        let src = build.join("hello.c");
        std::fs::write(&src, HELLO_C).unwrap();
        let out = std::process::Command::new("gcc")
            .args(["-g", "-O1", "-o"])
            .arg(root.join("hello"))
            .arg("hello.c")
            .current_dir(&build)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let out = std::process::Command::new("tar")
            .arg("-czf")
            .arg(root.join("data.tar.gz"))
            .arg(format!("--mtime=@{}", if text == "a" { 0 } else { 86400 }))
            .args(["-C", root.to_str().unwrap(), "readme.txt"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    std::fs::remove_file(d.join("c/sub/tool")).unwrap();
    std::fs::write(d.join("c/extra"), "only in C").unwrap();
    let doc = json_exit(&run_in(d, &["compare", "--json", "a", "b", "c"]), 1);
    assert_valid("compare", &doc);
    let files = doc["files"].as_array().unwrap();
    let has = |key: &str| files.iter().any(|f| f.get(key).is_some());
    for key in ["changes", "line_diff", "members", "first_difference"] {
        assert!(has(key), "no file has {key}: {doc:#}");
    }
    assert!(
        files
            .iter()
            .any(|f| !f["sections"].as_array().unwrap().is_empty()),
        "{doc:#}"
    );

    // A manifest as a build, and identical builds.
    let manifest = run_in(d, &["hash", "--json", "a"]);
    std::fs::write(d.join("a.json"), &manifest.stdout).unwrap();
    let doc = json_exit(&run_in(d, &["compare", "--json", "a.json", "b"]), 0);
    assert_valid("compare", &doc);
    assert_eq!(doc["builds"][0]["source"], "manifest");

    assert_rejects_edit(
        "compare",
        &doc,
        "/groups/0/role",
        "minority".into(),
        "a group role that does not exist",
    );
}

#[test]
fn rebuild_json_holds_to_its_schema() {
    let dir = tempdir();
    let src = dir.path().join("src");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    // The output records the time zone: the tz run differs, with a line diff.
    std::fs::write(
        src.join("build.sh"),
        "mkdir -p out; date -d @0 +%Z > out/zone; echo same > out/same\n",
    )
    .unwrap();
    let out = run_in(
        &src,
        &[
            "rebuild",
            "--json",
            "--work-dir",
            work.to_str().unwrap(),
            "--variation",
            "tz",
            "-o",
            "out",
            "--",
            "sh",
            "build.sh",
        ],
    );
    let doc = json_exit(&out, 1);
    assert_valid("rebuild", &doc);
    assert_eq!(doc["verdict"], "not-reproducible", "{doc:#}");
    assert!(
        doc["runs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.get("differences").is_some()),
        "{doc:#}"
    );

    let doc = json_exit(
        &run_in(&src, &["rebuild", "--list-variations", "--json"]),
        0,
    );
    assert_valid("rebuild", &doc);
    assert_rejects_edit(
        "rebuild",
        &doc,
        "/variations/0/name",
        "moon-phase".into(),
        "a variation that does not exist",
    );
}

/// The statement, the VSA and the signed envelope `attest` writes, for identical and for
/// differing builds, and what `verify --json` says about them.
#[test]
fn attest_and_verify_json_hold_to_their_schemas() {
    let dir = tempdir();
    let d = dir.path();
    for (name, text) in [("a", "same"), ("b", "same"), ("c", "other")] {
        std::fs::create_dir(d.join(name)).unwrap();
        std::fs::write(d.join(name).join("out.txt"), format!("line\n{text}\n")).unwrap();
    }
    std::fs::write(d.join("Cargo.lock"), "# lock").unwrap();
    assert_eq!(run_in(d, &["keygen", "--out", "k"]).status.code(), Some(0));
    let attest = |args: &[&str], code: i32| {
        let mut cmd = repro_check();
        cmd.current_dir(d).env("SOURCE_DATE_EPOCH", "1700000000");
        let out = cmd.arg("attest").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
    };
    attest(
        &[
            "-o",
            "same.json",
            "--input",
            "Cargo.lock",
            "--input-digest",
            &format!("source=gitCommit:{}", "a".repeat(40)),
            "a",
            "b",
        ],
        0,
    );
    attest(&["-o", "differ.json", "a", "b", "c"], 1);
    attest(
        &[
            "--format",
            "vsa",
            "--resource-uri",
            "https://example.org/a.tar",
            "-o",
            "vsa.json",
            "a",
            "b",
        ],
        0,
    );
    attest(&["--sign", "k.key", "-o", "env.json", "a", "b"], 0);

    for name in ["same", "differ", "vsa", "env"] {
        assert_valid("attestation", &read_json(&d.join(format!("{name}.json"))));
    }
    let same = read_json(&d.join("same.json"));
    assert_valid("predicate", &same["predicate"]);
    assert_eq!(same["predicate"]["inputs"].as_array().unwrap().len(), 2);
    let differ = read_json(&d.join("differ.json"));
    assert!(
        !differ["predicate"]["differences"][0]["causes"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{differ:#}"
    );

    // The envelope's payload is checked too (contentSchema): a payload that is a statement of
    // another predicate type is rejected.
    let envelope = read_json(&d.join("env.json"));
    let payload: Value = serde_json::from_slice(
        &STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_valid("attestation", &payload);
    let mut other = payload.clone();
    other["predicateType"] = "https://example.org/other/v1".into();
    let encoded = STANDARD.encode(serde_json::to_vec(&other).unwrap());
    let what = "a payload of another predicate type";
    assert_rejects_edit("attestation", &envelope, "/payload", encoded.into(), what);
    assert_rejects_edit(
        "attestation",
        &same,
        "/predicate/result",
        "MOSTLY".into(),
        "a result that does not exist",
    );

    // verify --json: verified with a key, and not verified.
    let out = run_in(
        d,
        &[
            "verify",
            "--json",
            "env.json",
            "a/out.txt",
            "--key",
            "k.pub",
        ],
    );
    let doc = json_exit(&out, 0);
    assert_valid("verify", &doc);
    assert_eq!(
        doc["attestations"][0]["signers"],
        serde_json::json!(["k.pub"])
    );
    assert_eq!(doc["attestations"][0]["form"], "dsse-envelope");
    let doc = json_exit(
        &run_in(d, &["verify", "--json", "differ.json", "c/out.txt"]),
        1,
    );
    assert_valid("verify", &doc);
    assert!(!doc["failures"].as_array().unwrap().is_empty(), "{doc:#}");
    assert_rejects_edit(
        "verify",
        &doc,
        "/attestations/0/form",
        "email".into(),
        "a form that does not exist",
    );
}
