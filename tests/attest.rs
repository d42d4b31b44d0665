//! `attest`, `keygen` and `verify` on real builds: a C program compiled twice, its attestation
//! verified, then a sample of the bytes that matter flipped; DSSE signatures checked against
//! OpenSSL; the statement's JSON locked by a snapshot and held to the in-toto Statement v1 field
//! rules.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use repro_check::attestation::keys::PublicKey;
use repro_check::attestation::verify::{self, Failure, File};
use repro_check::digest::Hasher;
use serde_json::Value;

const PREDICATE_TYPE: &str = "urn:oid:2.25.78584362944983966257465031028596119771.1.1";

fn sha256(bytes: &[u8]) -> String {
    let mut h = Hasher::new();
    h.update(bytes);
    h.finish_hex()
}

/// Two independent builds of the same C program (separate directories, same command), which
/// gcc makes bit-identical. `None` when gcc is missing (the test skips).
fn two_identical_builds(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    if !have_tool("gcc") {
        return None;
    }
    let mut outs = Vec::new();
    for side in ["a", "b"] {
        let d = dir.join(side);
        std::fs::create_dir(&d).unwrap();
        outs.push(compile_c("gcc", &d, "hello", HELLO_C, &["-O2"]));
    }
    let (a, b) = (outs.remove(0), outs.remove(0));
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "gcc builds differ"
    );
    Some((a, b))
}

/// [`two_identical_builds`], attested to `att.json` in `dir`.
fn attested_builds(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let builds = two_identical_builds(dir)?;
    let out = run(dir, &["attest", "-o", "att.json", "a/hello", "b/hello"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("identical: 2 of 2 builds"),
        "{}",
        stderr(&out)
    );
    Some(builds)
}

/// A temporary directory holding two single-file "builds" with the same bytes, `x1` and `x2`.
fn two_files() -> tempfile::TempDir {
    let tmp = tempdir();
    std::fs::write(tmp.path().join("x1"), "artifact").unwrap();
    std::fs::write(tmp.path().join("x2"), "artifact").unwrap();
    tmp
}

/// Write `attestation` to `dir/name`, verify `extra` (files, flags) against it, expect exit 1, and
/// return what verify printed.
fn rejected(dir: &Path, name: &str, attestation: &[u8], extra: &[&str]) -> String {
    std::fs::write(dir.join(name), attestation).unwrap();
    let mut args = vec!["verify", name];
    args.extend_from_slice(extra);
    let out = run(dir, &args);
    assert_eq!(code(&out), 1, "{args:?}: {}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

/// About `n` positions spread evenly over `0..len`, always including the first and last. The
/// sweeps below test our wiring — that every byte of the file, the payload, the signature and the
/// key reaches SHA-256 or Ed25519 — not the algorithms, which catch a flip in any byte alike: so
/// they flip a deterministic sample covering each structure's first and last bytes and each of
/// its fields, not every byte.
fn sample(len: usize, n: usize) -> Vec<usize> {
    let step = (len / n).max(1);
    let mut at: Vec<usize> = (0..len).step_by(step).collect();
    if len > 0 && at.last() != Some(&(len - 1)) {
        at.push(len - 1);
    }
    at
}

/// Where each field's value starts in the JSON `text` (the byte after each `":`), and its first
/// and last bytes: one flip per field of a signed payload.
fn value_starts(text: &[u8]) -> Vec<usize> {
    let mut at: Vec<usize> = text
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == b"\":")
        .map(|(i, _)| i + 2)
        .collect();
    at.extend([0, text.len() - 1]);
    at.sort_unstable();
    at.dedup();
    at
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_in(dir, args)
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn json_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Verify in-process (the same code the CLI runs): the failures for `attestation` and `file`.
fn failures(attestation: &[u8], file: &[u8], keys: &[PublicKey], threshold: usize) -> Vec<Failure> {
    let files = [File {
        name: "f".into(),
        sha256: sha256(file),
    }];
    verify::verify(attestation, &files, keys, threshold)
        .expect("not an attestation")
        .failures
}

#[test]
fn round_trip_two_identical_builds_verify() {
    let tmp = tempdir();
    let Some((a, b)) = attested_builds(tmp.path()) else {
        return;
    };
    for file in [&a, &b] {
        let out = run(tmp.path(), &["verify", "att.json", file.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).starts_with("verified: "), "{}", stdout(&out));
        assert!(stdout(&out).contains("(2 of 2 builds identical)"));
    }
}

#[test]
fn flipping_a_byte_of_the_file_fails_verification() {
    let tmp = tempdir();
    let Some((a, _)) = attested_builds(tmp.path()) else {
        return;
    };
    let attestation = std::fs::read(tmp.path().join("att.json")).unwrap();
    let original = std::fs::read(&a).unwrap();
    assert!(failures(&attestation, &original, &[], 0).is_empty());
    // Bytes all over the binary, in-process (the CLI below runs the same function).
    let mut file = original.clone();
    for i in sample(file.len(), 32) {
        file[i] ^= 0x01;
        let found = failures(&attestation, &file, &[], 0);
        assert!(
            matches!(found.as_slice(), [Failure::NotSubject { .. }]),
            "byte {i}: {found:?}"
        );
        file[i] ^= 0x01;
    }
    // And through the command line, with the sentence a user sees.
    let mut flipped = original.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x80;
    std::fs::write(tmp.path().join("tampered"), &flipped).unwrap();
    let out = run(tmp.path(), &["verify", "att.json", "tampered"]);
    assert_eq!(code(&out), 1);
    let want = format!(
        "  - tampered (sha256 {}) is not a subject of the attestation: it is not the output the builds agreed on\n",
        sha256(&flipped)
    );
    assert_eq!(stdout(&out), format!("not verified: att.json\n{want}"));
}

#[test]
fn flipping_any_subject_digest_digit_fails_verification() {
    let tmp = tempdir();
    let Some((a, _)) = attested_builds(tmp.path()) else {
        return;
    };
    let text = std::fs::read_to_string(tmp.path().join("att.json")).unwrap();
    let digest = sha256(&std::fs::read(&a).unwrap());
    let binary = std::fs::read(&a).unwrap();
    for i in sample(64, 8) {
        let mut statement = json_text(&text);
        let mut changed: Vec<u8> = digest.clone().into_bytes();
        changed[i] = if changed[i] == b'0' { b'1' } else { b'0' };
        let changed = String::from_utf8(changed).unwrap();
        statement["subject"][0]["digest"]["sha256"] = Value::String(changed.clone());
        let bytes = serde_json::to_vec(&statement).unwrap();
        let found = failures(&bytes, &binary, &[], 0);
        assert!(
            found
                .iter()
                .any(|f| matches!(f, Failure::NotSubject { .. })),
            "digit {i}: {found:?}"
        );
        assert!(
            found.iter().any(|f| f.to_string().contains(&format!(
                "the attestation contradicts itself: subject hello (sha256 {changed}) is not a file of build build-1"
            ))),
            "digit {i}: {found:?}"
        );
    }
    // The CLI says both.
    let mut statement = json_text(&text);
    statement["subject"][0]["digest"]["sha256"] = Value::String("0".repeat(64));
    let bytes = serde_json::to_vec(&statement).unwrap();
    let text = rejected(tmp.path(), "edited.json", &bytes, &["a/hello"]);
    assert!(
        text.contains("  - the attestation contradicts itself: subject hello (sha256 0000"),
        "{text}"
    );
    assert!(
        text.contains(&format!("  - a/hello (sha256 {digest}) is not a subject")),
        "{text}"
    );
}

/// A statement edited to contradict itself, each way; verify rejects each with the reason, and
/// `attest --sign` refuses to sign it.
#[test]
fn a_statement_that_contradicts_itself_is_rejected() {
    let tmp = tempdir();
    let dir = tmp.path();
    for (name, body) in [("x1", "same"), ("x2", "same"), ("y", "other")] {
        std::fs::write(dir.join(name), body).unwrap();
    }
    let out = run(dir, &["attest", "-o", "same.json", "x1", "x2"]);
    assert_eq!(code(&out), 0);
    let out = run(dir, &["attest", "-o", "differ.json", "x1", "y"]);
    assert_eq!(code(&out), 1, "builds that differ are a failed check");
    let same = json_text(&std::fs::read_to_string(dir.join("same.json")).unwrap());
    let differ = json_text(&std::fs::read_to_string(dir.join("differ.json")).unwrap());
    assert_eq!(differ["predicate"]["result"], "DIFFERENT");
    let y_digest = sha256(b"other");
    assert_eq!(code(&run(dir, &["keygen", "--out", "k"])), 0);

    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Value, Edit, &str)> = vec![
        (
            "result-says-identical",
            differ.clone(),
            Box::new(|s| s["predicate"]["result"] = "IDENTICAL".into()),
            "its result is IDENTICAL but its builds fall into several groups",
        ),
        (
            "result-says-different",
            same.clone(),
            Box::new(|s| s["predicate"]["result"] = "DIFFERENT".into()),
            "its result is DIFFERENT but all its builds agree",
        ),
        (
            "build-digest-changed",
            same.clone(),
            Box::new(move |s| {
                s["predicate"]["builds"][1]["digest"]["sha256"] = y_digest.clone().into()
            }),
            "builds build-1, build-2 are grouped as identical but record different digests",
        ),
        (
            "agreement-count",
            same.clone(),
            Box::new(|s| s["predicate"]["agreement"]["agreeing"] = 3.into()),
            "it says 3 of 2 builds agree, but its groups say 2 of 2",
        ),
        (
            "subject-not-built",
            same.clone(),
            Box::new(|s| s["subject"][0]["name"] = "other-name".into()),
            "subject other-name (sha256",
        ),
        (
            "one-build",
            same.clone(),
            Box::new(|s| {
                s["predicate"]["builds"].as_array_mut().unwrap().pop();
                s["predicate"]["agreement"]["groups"][0]["builds"]
                    .as_array_mut()
                    .unwrap()
                    .pop();
                s["predicate"]["agreement"]["agreeing"] = 1.into();
                s["predicate"]["agreement"]["total"] = 1.into();
            }),
            "it records 1 build(s), and reproducibility needs at least two",
        ),
    ];
    for (name, mut statement, edit, reason) in cases {
        edit(&mut statement);
        let path = format!("{name}.json");
        let bytes = serde_json::to_vec_pretty(&statement).unwrap();
        let text = rejected(dir, &path, &bytes, &["x1"]);
        let want = format!("  - the attestation contradicts itself: {reason}");
        assert!(text.contains(&want), "{name}: want {want:?} in\n{text}");
        // Nobody signs it.
        let out = run(dir, &["attest", "--sign", "k.key", &path]);
        assert_eq!(code(&out), 2, "{name}: {}", stderr(&out));
        let want =
            format!("error: {path} was not signed because the attestation contradicts itself: ");
        assert!(stderr(&out).starts_with(&want), "{name}: {}", stderr(&out));
    }
}

#[test]
fn builds_that_differ_are_recorded_and_do_not_verify() {
    let tmp = tempdir();
    let dir = tmp.path();
    for (name, body) in [("a", "one"), ("b", "one"), ("c", "two")] {
        std::fs::write(dir.join(name), body).unwrap();
    }
    let out = run(
        dir,
        &[
            "attest",
            "--builder",
            "r1",
            "--builder",
            "r2",
            "--builder",
            "r3",
            "a",
            "b",
            "c",
        ],
    );
    assert_eq!(code(&out), 1);
    assert_eq!(
        stderr(&out),
        "different: only 2 of 3 builds agree; 1 file(s) differ (recorded in the attestation)\n"
    );
    let statement = json_text(&stdout(&out));
    let p = &statement["predicate"];
    assert_eq!(p["result"], "DIFFERENT");
    assert_eq!(
        p["agreement"]["groups"],
        json_text(r#"[{"builds":["r1","r2"]},{"builds":["r3"]}]"#)
    );
    assert_eq!(
        (
            p["agreement"]["agreeing"].as_u64(),
            p["agreement"]["total"].as_u64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(
        p["differences"][0]["variants"][1]["builds"],
        json_text(r#"["r3"]"#)
    );
    std::fs::write(dir.join("att.json"), stdout(&out)).unwrap();
    let out = run(dir, &["verify", "att.json", "a"]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        stdout(&out),
        "not verified: att.json\n  - the attestation records that the builds differ (2 of 3 agree), so it vouches for no file\n"
    );
}

#[test]
fn signed_envelope_flipped_payload_or_signature_bytes_fail() {
    let tmp = two_files();
    let dir = tmp.path();
    assert_eq!(code(&run(dir, &["keygen", "--out", "alice"])), 0);
    let out = run(
        dir,
        &[
            "attest",
            "--sign",
            "alice.key",
            "-o",
            "env.json",
            "x1",
            "x2",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let key = PublicKey::load(&dir.join("alice.pub")).unwrap();
    let envelope = json_text(&std::fs::read_to_string(dir.join("env.json")).unwrap());
    let bytes = serde_json::to_vec(&envelope).unwrap();
    assert!(failures(&bytes, b"artifact", std::slice::from_ref(&key), 1).is_empty());

    let payload = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let sig = STANDARD
        .decode(envelope["signatures"][0]["sig"].as_str().unwrap())
        .unwrap();
    assert_eq!(sig.len(), 64);
    let with = |payload: &[u8], sig: &[u8]| {
        let mut e = envelope.clone();
        e["payload"] = STANDARD.encode(payload).into();
        e["signatures"][0]["sig"] = STANDARD.encode(sig).into();
        serde_json::to_vec(&e).unwrap()
    };
    let signature_failure = Failure::Signatures {
        valid: 0,
        needed: 1,
        keys: 1,
    };
    // The payload: its first and last bytes and the first byte of every field's value.
    for i in value_starts(&payload) {
        let mut p = payload.clone();
        p[i] ^= 0x20;
        let found = failures(&with(&p, &sig), b"artifact", std::slice::from_ref(&key), 1);
        assert_eq!(found.first(), Some(&signature_failure), "payload byte {i}");
    }
    // The signature: both halves (R, then S), first and last bytes.
    for i in sample(sig.len(), 8) {
        let mut s = sig.clone();
        s[i] ^= 0x01;
        let found = failures(
            &with(&payload, &s),
            b"artifact",
            std::slice::from_ref(&key),
            1,
        );
        assert_eq!(
            found,
            std::slice::from_ref(&signature_failure),
            "signature byte {i}"
        );
    }
    // The key: the raw Ed25519 key's first, middle and last bytes (after the 12-byte SPKI
    // prefix). A flipped key is refused when it is not a curve point, else it verifies nothing.
    let pem = std::fs::read_to_string(dir.join("alice.pub")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(&body).unwrap();
    assert_eq!(der.len(), 44);
    for i in [12, 27, 43] {
        let mut d = der.clone();
        d[i] ^= 0x01;
        let flipped = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(&d)
        );
        std::fs::write(dir.join("flipped.pub"), flipped).unwrap();
        let Ok(other) = PublicKey::load(&dir.join("flipped.pub")) else {
            continue;
        };
        let found = failures(&bytes, b"artifact", std::slice::from_ref(&other), 1);
        assert_eq!(
            found,
            std::slice::from_ref(&signature_failure),
            "key byte {i}"
        );
    }
    // A payload that is not base64, and one of another type, are named as such.
    let mut e = envelope.clone();
    e["payload"] = "not base64!".into();
    let found = failures(&serde_json::to_vec(&e).unwrap(), b"artifact", &[], 0);
    assert!(
        matches!(
            found.as_slice(),
            [Failure::PayloadEncoding, Failure::NotSubject { .. }]
        ),
        "{found:?}"
    );
    let mut e = envelope.clone();
    e["payloadType"] = "text/plain".into();
    let found = failures(&serde_json::to_vec(&e).unwrap(), b"artifact", &[], 0);
    assert_eq!(found, [Failure::PayloadType("text/plain".into())]);
    // Through the CLI: one flipped payload byte.
    let mut p = payload.clone();
    p[10] ^= 0x20;
    let text = rejected(
        dir,
        "bad.json",
        &with(&p, &sig),
        &["x1", "--key", "alice.pub"],
    );
    assert!(text.starts_with(
        "not verified: bad.json\n  - 0 of the 1 given key(s) made a valid signature over this attestation, and 1 are required"
    ));
}

#[test]
fn several_builders_sign_one_envelope_and_the_threshold_counts_them() {
    let tmp = two_files();
    let dir = tmp.path();
    for who in ["alice", "bob", "carol"] {
        assert_eq!(code(&run(dir, &["keygen", "--out", who])), 0);
    }
    run(dir, &["attest", "-o", "att.json", "x1", "x2"]);
    // Alice wraps the statement byte for byte; Bob adds his signature to her envelope.
    let out = run(
        dir,
        &[
            "attest",
            "--sign",
            "alice.key",
            "-o",
            "env.json",
            "att.json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let envelope = json_text(&std::fs::read_to_string(dir.join("env.json")).unwrap());
    let payload = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    assert_eq!(payload, std::fs::read(dir.join("att.json")).unwrap());
    let out = run(
        dir,
        &["attest", "--sign", "bob.key", "-o", "env.json", "env.json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "env.json now carries 2 signature(s) (1 added)\n"
    );
    // Signing again with the same key adds nothing.
    let out = run(
        dir,
        &["attest", "--sign", "bob.key", "-o", "env.json", "env.json"],
    );
    assert_eq!(
        stderr(&out),
        "env.json now carries 2 signature(s) (0 added)\n"
    );

    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", "env.json", "x2"];
        args.extend_from_slice(extra);
        run(dir, &args)
    };
    let out = verify(&["--key", "alice.pub", "--key", "bob.pub"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("signed by 2 of 2 given key(s), threshold 2: alice.pub, bob.pub")
    );
    // Carol did not sign: all three are required by default, two of three is enough with --threshold 2.
    let out = verify(&[
        "--key",
        "alice.pub",
        "--key",
        "bob.pub",
        "--key",
        "carol.pub",
    ]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains(
        "2 of the 3 given key(s) made a valid signature over this attestation, and 3 are required"
    ));
    let out = verify(&[
        "--key",
        "alice.pub",
        "--key",
        "bob.pub",
        "--key",
        "carol.pub",
        "--threshold",
        "2",
    ]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = verify(&["--key", "carol.pub", "--threshold", "2"]);
    assert_eq!(
        code(&out),
        2,
        "a threshold above the number of keys is a usage error"
    );
    // One key named twice (under another name) is one signer, not two.
    std::fs::copy(dir.join("alice.pub"), dir.join("alice-again.pub")).unwrap();
    let out = verify(&["--key", "alice.pub", "--key", "alice-again.pub"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out),
        "error: --key alice.pub and --key alice-again.pub are the same key; name each trusted key once\n"
    );
    // A bare statement cannot satisfy --key.
    let out = run(dir, &["verify", "att.json", "x1", "--key", "alice.pub"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("the attestation carries no signature"));
}

/// The PAE bytes, built here from the DSSE spec's definition, not by the crate.
fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = b"DSSEv1 ".to_vec();
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(body);
    out
}

fn openssl(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("cannot run openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", stderr(&out));
    out
}

#[test]
fn dsse_signature_matches_openssl_and_openssl_keys_work() {
    if !have_tool("openssl") {
        return;
    }
    let tmp = two_files();
    let dir = tmp.path();
    // Our key, our envelope.
    assert_eq!(code(&run(dir, &["keygen", "--out", "ours"])), 0);
    let out = run(
        dir,
        &["attest", "--sign", "ours.key", "-o", "env.json", "x1", "x2"],
    );
    assert_eq!(code(&out), 0);
    let envelope = json_text(&std::fs::read_to_string(dir.join("env.json")).unwrap());
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    let payload = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let sig = STANDARD
        .decode(envelope["signatures"][0]["sig"].as_str().unwrap())
        .unwrap();
    std::fs::write(
        dir.join("pae.bin"),
        pae("application/vnd.in-toto+json", &payload),
    )
    .unwrap();
    std::fs::write(dir.join("sig.bin"), &sig).unwrap();
    // OpenSSL signs the independently built PAE with our key file: Ed25519 is deterministic, so the
    // bytes must be equal; and OpenSSL accepts our signature with our public key file.
    let theirs = openssl(
        dir,
        &[
            "pkeyutl", "-sign", "-rawin", "-inkey", "ours.key", "-in", "pae.bin",
        ],
    )
    .stdout;
    assert_eq!(
        theirs, sig,
        "OpenSSL's Ed25519 signature of the PAE differs from the envelope's"
    );
    let ok = openssl(
        dir,
        &[
            "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", "ours.pub", "-in", "pae.bin",
            "-sigfile", "sig.bin",
        ],
    );
    assert!(
        stdout(&ok).contains("Signature Verified Successfully"),
        "{}",
        stdout(&ok)
    );
    // The keyid is the SHA-256 of the public key's DER.
    let der = openssl(
        dir,
        &["pkey", "-pubin", "-in", "ours.pub", "-outform", "DER"],
    )
    .stdout;
    assert_eq!(envelope["signatures"][0]["keyid"], sha256(&der).as_str());

    // A key pair made by OpenSSL signs and verifies here too.
    openssl(
        dir,
        &["genpkey", "-algorithm", "ed25519", "-out", "ossl.key"],
    );
    openssl(
        dir,
        &["pkey", "-in", "ossl.key", "-pubout", "-out", "ossl.pub"],
    );
    let out = run(
        dir,
        &[
            "attest",
            "--sign",
            "ossl.key",
            "-o",
            "env2.json",
            "env.json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(
        dir,
        &[
            "verify",
            "env2.json",
            "x1",
            "--key",
            "ours.pub",
            "--key",
            "ossl.pub",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let envelope2 = json_text(&std::fs::read_to_string(dir.join("env2.json")).unwrap());
    let sig2 = STANDARD
        .decode(envelope2["signatures"][1]["sig"].as_str().unwrap())
        .unwrap();
    std::fs::write(dir.join("sig2.bin"), &sig2).unwrap();
    openssl(
        dir,
        &[
            "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", "ossl.pub", "-in", "pae.bin",
            "-sigfile", "sig2.bin",
        ],
    );
}

/// The in-toto Statement v1 field rules, checked here independently of the crate.
fn assert_statement_v1(text: &str) {
    let s = &json_text(text);
    let obj = s.as_object().expect("a statement is a JSON object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    // The order they are written in (the pretty output puts the top-level keys first).
    keys.sort_by_key(|k| text.find(&format!("\"{k}\"")));
    assert_eq!(
        keys,
        ["_type", "subject", "predicateType", "predicate"],
        "fields and their order"
    );
    assert_eq!(s["_type"], "https://in-toto.io/Statement/v1");
    let subjects = s["subject"].as_array().expect("subject is an array");
    assert!(!subjects.is_empty(), "subject must not be empty");
    let mut names = std::collections::BTreeSet::new();
    for subject in subjects {
        let digest = subject["digest"]
            .as_object()
            .expect("each subject has a digest set");
        assert!(!digest.is_empty());
        let sha = digest["sha256"].as_str().expect("sha256 is recommended");
        assert!(
            sha.len() == 64
                && sha
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        if let Some(name) = subject["name"].as_str() {
            assert!(
                names.insert(name.to_string()),
                "subject names should be unique"
            );
        }
    }
    let predicate_type = s["predicateType"]
        .as_str()
        .expect("predicateType is a string");
    let (scheme, rest) = predicate_type
        .split_once(':')
        .expect("predicateType is a URI");
    assert!(
        !rest.is_empty() && scheme.chars().all(|c| c.is_ascii_lowercase()),
        "lowercase scheme"
    );
    assert!(
        !predicate_type.contains('@'),
        "GitHub's attestation query API rejects '@'"
    );
    assert!(s["predicate"].is_object(), "predicate is an object");
}

#[test]
fn statement_json_snapshot_and_field_rules() {
    let tmp = tempdir();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("r1/bin")).unwrap();
    std::fs::create_dir_all(dir.join("r2/bin")).unwrap();
    for r in ["r1", "r2"] {
        std::fs::write(dir.join(r).join("bin/tool"), "tool bytes\n").unwrap();
        std::fs::write(dir.join(r).join("README"), "docs\n").unwrap();
    }
    std::fs::write(dir.join("flake.lock"), "{}\n").unwrap();
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let args = [
        "attest",
        "--builder",
        "x86_64-linux/a",
        "--builder",
        "x86_64-linux/b",
        "--input",
        "flake.lock",
        "--input-digest",
        &format!("source=gitCommit:{commit}"),
        "r1",
        "r2",
    ];
    let out = run(dir, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_statement_v1(&stdout(&out));
    let statement = json_text(&stdout(&out));
    assert_eq!(statement["predicateType"], PREDICATE_TYPE);
    assert!(
        statement["predicate"].get("timeVerified").is_none(),
        "no clock unless asked"
    );
    // Deterministic: the same bytes again.
    assert_eq!(run(dir, &args).stdout, out.stdout);
    insta::with_settings!({ filters => vec![(r#""version": "[^"]+""#, r#""version": "[VERSION]""#)] }, {
        insta::assert_snapshot!("attest_statement", stdout(&out));
    });
    // SOURCE_DATE_EPOCH is recorded as the time.
    let out = repro_check()
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        json_text(&stdout(&out))["predicate"]["timeVerified"],
        "2023-11-14T22:13:20Z"
    );
}

#[test]
fn vsa_format_verifies_and_needs_a_time_and_a_uri() {
    let tmp = two_files();
    let dir = tmp.path();
    let out = run(
        dir,
        &[
            "attest",
            "--format",
            "vsa",
            "--resource-uri",
            "https://example.org/x",
            "x1",
            "x2",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("set SOURCE_DATE_EPOCH or pass --timestamp"),
        "{}",
        stderr(&out)
    );
    let args = [
        "attest",
        "--format",
        "vsa",
        "--resource-uri",
        "https://example.org/x",
        "-o",
        "vsa.json",
        "x1",
        "x2",
    ];
    let out = repro_check()
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.join("vsa.json")).unwrap();
    assert_statement_v1(&text);
    let vsa = json_text(&text);
    insta::with_settings!({ filters => vec![(r#""repro-check": "[^"]+""#, r#""repro-check": "[VERSION]""#), (r#""version": "[^"]+""#, r#""version": "[VERSION]""#)] }, {
        insta::assert_snapshot!("attest_vsa", text);
    });
    let out = run(dir, &["verify", "vsa.json", "x1"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    // A VSA edited to PASSED over a DIFFERENT predicate contradicts itself.
    let mut edited = vsa.clone();
    edited["predicate"][PREDICATE_TYPE]["result"] = "DIFFERENT".into();
    let text = rejected(
        dir,
        "edited.json",
        &serde_json::to_vec(&edited).unwrap(),
        &["x1"],
    );
    assert!(text.contains(
        "its verificationResult is PASSED but its reproducibility predicate's result is DIFFERENT"
    ));
}

#[test]
fn keygen_writes_a_private_key_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempdir();
    let dir = tmp.path();
    let out = run(dir, &["keygen"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let key = dir.join("repro-check.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the secret key must be private");
    let secret = std::fs::read_to_string(&key).unwrap();
    assert!(secret.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let public = std::fs::read_to_string(dir.join("repro-check.pub")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let out = run(dir, &["keygen"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out),
        "error: repro-check.key already exists and keys are never overwritten; choose another --out PREFIX or remove it yourself\n"
    );
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        secret,
        "the key was not touched"
    );
    // A stray public key also stops it, so a pair is never mixed.
    std::fs::write(dir.join("other.pub"), "x").unwrap();
    assert_eq!(code(&run(dir, &["keygen", "--out", "other"])), 2);
    assert!(!dir.join("other.key").exists());
}

#[test]
fn bad_inputs_are_one_sentence_and_exit_2() {
    let tmp = tempdir();
    let dir = tmp.path();
    std::fs::write(dir.join("x"), "artifact").unwrap();
    std::fs::write(dir.join("notes.txt"), "hello").unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["attest", "x"],
            "error: attest needs at least two builds to compare, and got only x; to add a signature to an existing attestation, also pass --sign KEY\n",
        ),
        (
            &["attest", "x", "missing"],
            "error: cannot read missing: no such file or directory; check that it exists and that you may read it\n",
        ),
        (
            &["verify", "notes.txt", "x"],
            "error: notes.txt is not JSON (expected value at line 1 column 1), so it is not an attestation\n",
        ),
        (
            &["verify", "x", "x", "--threshold", "1"],
            "error: --threshold counts signatures by --key keys; name the trusted keys with --key\n",
        ),
        (
            &["attest", "--input-digest", "src=gitCommit:abc", "x", "x"],
            "error: --input-digest \"src=gitCommit:abc\" is not NAME=ALG:HEX with HEX in lowercase and as long as ALG needs, e.g. source=gitCommit:<40 hex digits>\n",
        ),
    ];
    for (args, want) in cases {
        let out = run(dir, args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert_eq!(stderr(&out), want, "{args:?}");
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
}

#[test]
fn sigstore_bundles_from_gh_attestation_download_are_read() {
    let tmp = two_files();
    let dir = tmp.path();
    assert_eq!(
        code(&run(dir, &["attest", "-o", "att.json", "x1", "x2"])),
        0
    );
    let statement = std::fs::read(dir.join("att.json")).unwrap();
    let bundle = |payload: &[u8]| {
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": { "certificate": { "rawBytes": "MIIB" } },
            "dsseEnvelope": {
                "payload": STANDARD.encode(payload),
                "payloadType": "application/vnd.in-toto+json",
                "signatures": [{ "sig": STANDARD.encode([7u8; 64]) }]
            }
        })
        .to_string()
    };
    let provenance = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}"#;
    // JSON Lines, as `gh attestation download` writes: the repro-check statement is picked out.
    let jsonl = format!("{}\n{}\n", bundle(provenance), bundle(&statement));
    std::fs::write(dir.join("bundles.jsonl"), &jsonl).unwrap();
    let out = run(dir, &["verify", "bundles.jsonl", "x1"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "verified: x1 (sha256 {}) is subject x1 of a reproducibility attestation on line 2 (2 of 2 builds identical)\n  \
             line 2: 1 signature(s) not checked (no --key given): it shows the files match what the builds produced, not who said so\n  \
             line 2: Sigstore bundle: its certificate, Sigstore signature and transparency-log entry were not checked here; check them with `gh attestation verify`\n  \
             1 other line(s) skipped: not repro-check statements or verification summaries\n",
            sha256(b"artifact")
        )
    );
    // The file must still be a subject, and a repro-check key cannot vouch for GitHub's signature.
    std::fs::write(dir.join("other"), "other").unwrap();
    let text = rejected(dir, "b2.jsonl", jsonl.as_bytes(), &["other"]);
    assert!(text.contains("other (sha256 "), "{text}");
    run(dir, &["keygen", "--out", "k"]);
    let text = rejected(dir, "b3.jsonl", jsonl.as_bytes(), &["x1", "--key", "k.pub"]);
    assert!(
        text.contains("0 of the 1 given key(s) made a valid signature"),
        "{text}"
    );
    // Only other predicates: exit 2 with a hint.
    std::fs::write(
        dir.join("prov.jsonl"),
        format!("{}\n{}\n", bundle(provenance), bundle(provenance)),
    )
    .unwrap();
    let out = run(dir, &["verify", "prov.jsonl", "x1"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("holds 2 lines and none is a repro-check reproducibility statement")
    );
}

#[test]
fn verify_json_schema_snapshot() {
    let tmp = two_files();
    let dir = tmp.path();
    run(dir, &["keygen", "--out", "k"]);
    run(
        dir,
        &["attest", "--sign", "k.key", "-o", "env.json", "x1", "x2"],
    );
    std::fs::write(dir.join("y"), "not the artifact").unwrap();
    let out = run(
        dir,
        &["verify", "--json", "env.json", "x1", "y", "--key", "k.pub"],
    );
    assert_eq!(code(&out), 1);
    let doc = json_text(&stdout(&out));
    insta::assert_json_snapshot!("verify_json", doc);
    assert!(
        doc["failures"][0]
            .as_str()
            .unwrap()
            .starts_with("y (sha256 ")
    );
}

#[test]
fn a_verification_summary_about_another_policy_is_not_reproducibility() {
    let tmp = two_files();
    let dir = tmp.path();
    let digest = sha256(b"artifact");
    // A SLSA build-level VSA from some other verifier, for the same file.
    let vsa = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": "x1", "digest": { "sha256": digest } }],
        "predicateType": "https://slsa.dev/verification_summary/v1",
        "predicate": {
            "verifier": { "id": "https://example.org/verifier" },
            "timeVerified": "2026-01-01T00:00:00Z",
            "resourceUri": "https://example.org/x1",
            "policy": { "uri": "https://example.org/policy" },
            "verificationResult": "PASSED",
            "verifiedLevels": ["SLSA_BUILD_LEVEL_3"]
        }
    });
    let text = rejected(dir, "vsa.json", vsa.to_string().as_bytes(), &["x1"]);
    assert!(
        text.contains("the verification summary checked the policy \"https://example.org/policy\", not repro-check's bit-identical builds"),
        "{text}"
    );
}

#[test]
fn manifests_from_other_machines_attest_like_the_trees_they_describe() {
    let tmp = tempdir();
    let dir = tmp.path();
    for r in ["r1", "r2"] {
        std::fs::create_dir_all(dir.join(r).join("bin")).unwrap();
        std::fs::write(dir.join(r).join("bin/tool"), "tool bytes\n").unwrap();
    }
    for r in ["r1", "r2"] {
        let out = run(dir, &["hash", "--json", r]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        std::fs::write(dir.join(format!("{r}.json")), out.stdout).unwrap();
    }
    let trees = run(dir, &["attest", "r1", "r2"]);
    let manifests = run(dir, &["attest", "r1.json", "r2.json"]);
    assert_eq!(code(&manifests), 0, "{}", stderr(&manifests));
    assert_eq!(
        stdout(&manifests),
        stdout(&trees),
        "a manifest is the tree it describes"
    );
    assert_eq!(
        json_text(&stdout(&manifests))["subject"][0]["name"],
        "bin/tool"
    );
}

#[test]
fn differing_builds_record_the_causes_compare_finds() {
    if !have_tool("gcc") {
        return;
    }
    let tmp = tempdir();
    let dir = tmp.path();
    // The same program built with debug info in two directories: the build path leaks.
    for side in ["first-builder", "second-builder-dir"] {
        let d = dir.join(side);
        std::fs::create_dir(&d).unwrap();
        compile_c("gcc", &d, "hello", HELLO_C, &["-g", "-O2"]);
    }
    let out = run(
        dir,
        &["attest", "first-builder/hello", "second-builder-dir/hello"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let statement = json_text(&stdout(&out));
    let difference = &statement["predicate"]["differences"][0];
    assert_eq!(difference["name"], "hello");
    let kinds: Vec<&str> = difference["causes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"build-path"), "causes: {kinds:?}");
    // It is still a consistent statement: verify says the builds differ, nothing else.
    std::fs::write(dir.join("att.json"), stdout(&out)).unwrap();
    let out = run(dir, &["verify", "att.json", "first-builder/hello"]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        stdout(&out),
        "not verified: att.json\n  - the attestation records that the builds differ (1 of 2 agree), so it vouches for no file\n"
    );
}

// ---- Hostile attestations (issue 13): each built from real `attest` output, edited the way the
// attack did.

/// `repro-check` with `env` set, in `dir`.
fn run_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = repro_check();
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// `same.json` (x1 and x2 agree) and `differ.json` (x1 and y differ; its subject is x1 too),
/// written by `attest` in `dir`, as JSON values.
fn same_and_differ(dir: &Path) -> (Value, Value) {
    for (name, body) in [("x1", "artifact"), ("x2", "artifact"), ("y", "other")] {
        std::fs::write(dir.join(name), body).unwrap();
    }
    assert_eq!(
        code(&run(dir, &["attest", "-o", "same.json", "x1", "x2"])),
        0
    );
    assert_eq!(
        code(&run(dir, &["attest", "-o", "differ.json", "x1", "y"])),
        1
    );
    let read = |n: &str| json_text(&std::fs::read_to_string(dir.join(n)).unwrap());
    (read("same.json"), read("differ.json"))
}

/// Rename every occurrence of the file name `from` (subject and build files) to `to`, so the
/// statement stays consistent.
fn rename_file(statement: &mut Value, to: &str) {
    statement["subject"][0]["name"] = to.into();
    for build in statement["predicate"]["builds"].as_array_mut().unwrap() {
        build["files"][0]["name"] = to.into();
    }
}

#[test]
fn names_cannot_forge_verify_output_and_attest_refuses_them() {
    let tmp = tempdir();
    let dir = tmp.path();
    let (mut same, _) = same_and_differ(dir);
    // The attack: a subject name that ends the line, erases it and prints a fake signature line.
    let evil = "x1\n  signed by 2 of 2 given key(s), threshold 2: a.pub, b.pub\x1b[2K\r\u{202e}";
    rename_file(&mut same, evil);
    std::fs::write(dir.join("evil.json"), serde_json::to_vec(&same).unwrap()).unwrap();
    let out = run(dir, &["verify", "evil.json", "x1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text,
        format!(
            "verified: x1 (sha256 {}) is subject x1\\n  signed by 2 of 2 given key(s), threshold 2: a.pub, b.pub\\u{{1b}}[2K\\r\\u{{202e}} of a reproducibility attestation (2 of 2 builds identical)\n  \
             unsigned statement: it shows the files match what the builds produced, not who said so\n",
            sha256(b"artifact")
        )
    );
    // A failure that quotes input (a file name given to verify) is escaped too.
    let bad_name = "y\n  - forged\x1b[1A";
    std::fs::write(dir.join(bad_name), "other").unwrap();
    let text = rejected(
        dir,
        "evil2.json",
        &serde_json::to_vec(&same).unwrap(),
        &[bad_name],
    );
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.contains("  - y\\n  - forged\\u{1b}[1A (sha256 "),
        "{text}"
    );
    assert!(!text.contains('\x1b'));
    // The JSON report keeps the raw name (serde escapes it).
    let out = run(dir, &["verify", "--json", "evil.json", "x1"]);
    assert_eq!(json_text(&stdout(&out))["files"][0]["subject"], evil);
    // attest refuses builds whose files have such names, before writing anything.
    for side in ["t1", "t2"] {
        std::fs::create_dir(dir.join(side)).unwrap();
        std::fs::write(dir.join(side).join("ok\x1b[2Kname"), "x").unwrap();
    }
    let out = run(dir, &["attest", "-o", "t.json", "t1", "t2"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out),
        "error: build build-1 has a file named \"ok\\u{1b}[2Kname\", with control or bidirectional-override characters, which cannot be a subject name; rename it\n"
    );
    assert!(!dir.join("t.json").exists());
}

#[test]
fn json_lines_every_line_about_the_file_counts_whatever_the_order() {
    let tmp = tempdir();
    let dir = tmp.path();
    let (same, differ) = same_and_differ(dir);
    let line = |v: &Value| serde_json::to_string(v).unwrap();
    // IDENTICAL then DIFFERENT, and DIFFERENT then IDENTICAL: both fail, for the same reason.
    for (name, first, second, passed, failed) in [
        ("sd.jsonl", &same, &differ, "1", "2"),
        ("ds.jsonl", &differ, &same, "2", "1"),
    ] {
        let text = rejected(
            dir,
            name,
            format!("{}\n{}\n", line(first), line(second)).as_bytes(),
            &["x1"],
        );
        assert!(
            text.contains(&format!(
                "  - x1 is a subject of line(s) {passed} that record identical builds and of line(s) {failed} that record builds that differ, so the attestation contradicts itself\n"
            )),
            "{name}: {text}"
        );
        assert!(
            text.contains(&format!(
                "  - line {failed}: the attestation records that the builds differ (1 of 2 agree)"
            )),
            "{name}: {text}"
        );
    }
    // Lines that are not statements or envelopes are skipped; a bare statement line is read.
    let mixed = format!(
        "not json at all\n{{\"hello\":1}}\n{{\"dsseEnvelope\":{{}}}}\n{}\n",
        line(&same)
    );
    std::fs::write(dir.join("mixed.jsonl"), &mixed).unwrap();
    let out = run(dir, &["verify", "mixed.jsonl", "x1"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("is subject x1 of a reproducibility attestation on line 4 (2 of 2"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("3 other line(s) skipped"));
    // Two lines that agree verify; a line about another file is not considered.
    let mut other = same.clone();
    other["subject"][0]["digest"]["sha256"] = sha256(b"elsewhere").into();
    // The same result twice agrees; a first line with a key twice is skipped like any broken line.
    let dup = line(&same).replacen('{', "{\"_type\":\"x\",", 1);
    let agree = format!("{dup}\n{}\n{}\n", line(&same), line(&same));
    std::fs::write(dir.join("agree.jsonl"), &agree).unwrap();
    let out = run(dir, &["verify", "agree.jsonl", "x1"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("on line 2 (2 of 2"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("on line 3 (2 of 2"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("  1 other line(s) skipped"));
    // With --key, every line about the file must be signed, and says which line is not.
    run(dir, &["keygen", "--out", "k"]);
    let text = rejected(
        dir,
        "agree2.jsonl",
        agree.as_bytes(),
        &["x1", "--key", "k.pub"],
    );
    assert_eq!(
        text,
        "not verified: agree2.jsonl\n  \
         - line 2: the attestation carries no signature, so it cannot be checked against the --key given\n  \
         - line 3: the attestation carries no signature, so it cannot be checked against the --key given\n"
    );
    let two = format!("{}\n{}\n", line(&same), line(&other));
    std::fs::write(dir.join("two.jsonl"), &two).unwrap();
    let out = run(dir, &["verify", "--json", "two.jsonl", "x1"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let doc = json_text(&stdout(&out));
    assert_eq!(doc["attestations"].as_array().unwrap().len(), 1);
    assert_eq!(doc["attestations"][0]["line"], 1);
}

#[test]
fn a_sigstore_bundle_is_recognised_by_its_media_type_and_claims_nothing_unchecked() {
    let tmp = two_files();
    let dir = tmp.path();
    assert_eq!(
        code(&run(dir, &["attest", "-o", "att.json", "x1", "x2"])),
        0
    );
    let statement = std::fs::read(dir.join("att.json")).unwrap();
    let envelope = serde_json::json!({
        "payload": STANDARD.encode(&statement),
        "payloadType": "application/vnd.in-toto+json",
        "signatures": []
    });
    let cases = [
        (
            "no-media-type.json",
            serde_json::json!({ "dsseEnvelope": envelope }),
            "is neither an in-toto statement, a DSSE envelope nor a Sigstore bundle",
        ),
        (
            "no-material.json",
            serde_json::json!({
                "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                "dsseEnvelope": envelope
            }),
            "has a Sigstore bundle's mediaType but no verification material",
        ),
        (
            "empty-material.json",
            serde_json::json!({
                "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.2",
                "verificationMaterial": { "certificate": null },
                "dsseEnvelope": envelope
            }),
            "has a Sigstore bundle's mediaType but no verification material",
        ),
        (
            "other-media-type.json",
            serde_json::json!({
                "mediaType": "application/json",
                "verificationMaterial": { "publicKey": {} },
                "dsseEnvelope": envelope
            }),
            "has the mediaType \"application/json\", which is not a Sigstore bundle's",
        ),
        (
            "no-envelope.json",
            serde_json::json!({
                "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                "verificationMaterial": { "publicKey": {} },
                "messageSignature": {}
            }),
            "is a Sigstore bundle without a DSSE envelope",
        ),
    ];
    for (name, doc, want) in cases {
        std::fs::write(dir.join(name), doc.to_string()).unwrap();
        let out = run(dir, &["verify", name, "x1"]);
        assert_eq!(code(&out), 2, "{name}: {}", stdout(&out));
        assert!(stderr(&out).contains(want), "{name}: {}", stderr(&out));
        assert!(!stdout(&out).contains("GitHub"), "{name}");
    }
    // A real bundle shape: recognised, and the output says what was not checked.
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": { "x509CertificateChain": { "certificates": [] } },
        "dsseEnvelope": envelope
    });
    std::fs::write(dir.join("bundle.json"), bundle.to_string()).unwrap();
    let out = run(dir, &["verify", "bundle.json", "x1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).ends_with(
        "  0 signature(s) not checked (no --key given): it shows the files match what the builds produced, not who said so\n  \
         Sigstore bundle: its certificate, Sigstore signature and transparency-log entry were not checked here; check them with `gh attestation verify`\n"
    ), "{}", stdout(&out));
    let out = run(dir, &["verify", "--json", "bundle.json", "x1"]);
    assert_eq!(
        json_text(&stdout(&out))["attestations"][0]["form"],
        "sigstore-bundle"
    );
    // Nobody adds a repro-check signature to a Sigstore bundle.
    run(dir, &["keygen", "--out", "k"]);
    let out = run(dir, &["attest", "--sign", "k.key", "bundle.json"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("is a Sigstore bundle"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn vsa_verifier_time_uri_and_levels_are_checked_and_attest_refuses_to_sign() {
    let tmp = two_files();
    let dir = tmp.path();
    let sde = [("SOURCE_DATE_EPOCH", "1700000000")];
    let vsa_args = [
        "attest",
        "--format",
        "vsa",
        "--resource-uri",
        "https://example.org/x",
        "-o",
        "vsa.json",
        "x1",
        "x2",
    ];
    assert_eq!(code(&run_env(dir, &sde, &vsa_args)), 0);
    let vsa = json_text(&std::fs::read_to_string(dir.join("vsa.json")).unwrap());
    assert_eq!(code(&run(dir, &["keygen", "--out", "k"])), 0);
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "evil-verifier",
            Box::new(|v| {
                v["predicate"]["verifier"]["id"] = "https://evil.example".into();
                v["predicate"]
                    .as_object_mut()
                    .unwrap()
                    .remove(PREDICATE_TYPE);
            }),
            "the verification summary was made by the verifier \"https://evil.example\", which is neither repro-check",
        ),
        (
            "no-predicate",
            Box::new(|v| {
                v["predicate"]
                    .as_object_mut()
                    .unwrap()
                    .remove(PREDICATE_TYPE);
            }),
            "the attestation contradicts itself: it names repro-check as its verifier but does not carry the reproducibility predicate",
        ),
        (
            "time",
            Box::new(|v| v["predicate"]["timeVerified"] = "yesterday".into()),
            "the verification summary breaks the SLSA VSA v1 rules: its timeVerified \"yesterday\" is not an RFC 3339 time",
        ),
        (
            "uri",
            Box::new(|v| v["predicate"]["resourceUri"] = "my laptop".into()),
            "the verification summary breaks the SLSA VSA v1 rules: its resourceUri \"my laptop\" is not a URI",
        ),
        (
            "passed-and-failed",
            Box::new(|v| {
                v["predicate"]["verifiedLevels"] =
                    serde_json::json!(["REPRODUCIBLE_BIT_IDENTICAL", "FAILED"])
            }),
            "its verificationResult is PASSED but its verifiedLevels are",
        ),
        (
            "two-build-levels",
            Box::new(|v| {
                v["predicate"]["verifiedLevels"] = serde_json::json!([
                    "REPRODUCIBLE_BIT_IDENTICAL",
                    "SLSA_BUILD_LEVEL_1",
                    "SLSA_BUILD_LEVEL_3"
                ])
            }),
            "its verifiedLevels name \"SLSA_BUILD_LEVEL_1\" and \"SLSA_BUILD_LEVEL_3\", which contradict each other",
        ),
    ];
    for (name, edit, want) in cases {
        let mut edited = vsa.clone();
        edit(&mut edited);
        let path = format!("{name}.json");
        let text = rejected(dir, &path, &serde_json::to_vec(&edited).unwrap(), &["x1"]);
        assert!(text.contains(want), "{name}: want {want:?} in\n{text}");
        let out = run(
            dir,
            &["attest", "--sign", "k.key", "-o", "signed.json", &path],
        );
        assert_eq!(code(&out), 2, "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with(&format!("error: {path} was not signed because ")),
            "{name}: {}",
            stderr(&out)
        );
        assert!(!dir.join("signed.json").exists(), "{name}");
    }
    // A verifier the user names is trusted; a name that is not a URI is a usage error.
    let mut other = vsa.clone();
    other["predicate"]["verifier"]["id"] = "https://verifier.example".into();
    std::fs::write(dir.join("other.json"), serde_json::to_vec(&other).unwrap()).unwrap();
    let out = run(
        dir,
        &[
            "verify",
            "other.json",
            "x1",
            "--verifier-id",
            "https://verifier.example",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = run(
        dir,
        &["verify", "other.json", "x1", "--verifier-id", "not a uri"],
    );
    assert_eq!(code(&out), 2);
    // The real one, and the same levels plus a SLSA level of one track, verify.
    let mut extra = vsa.clone();
    extra["predicate"]["verifiedLevels"] =
        serde_json::json!(["REPRODUCIBLE_BIT_IDENTICAL", "SLSA_BUILD_LEVEL_3"]);
    std::fs::write(dir.join("extra.json"), serde_json::to_vec(&extra).unwrap()).unwrap();
    assert_eq!(code(&run(dir, &["verify", "extra.json", "x1"])), 0);
    // attest --resource-uri refuses what is not a URI.
    let mut args = vsa_args;
    args[4] = "/srv/releases/x";
    let out = run_env(dir, &sde, &args);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out),
        "error: --resource-uri \"/srv/releases/x\" is not a URI; give where the artifact is published, e.g. https://example.org/releases/app\n"
    );
}

#[test]
fn source_date_epoch_after_the_year_9999_is_an_error_not_a_panic() {
    let tmp = two_files();
    let dir = tmp.path();
    for (value, want) in [
        (
            "253402300800",
            "error: SOURCE_DATE_EPOCH is 253402300800, after the end of the year 9999, which an RFC 3339 time cannot express; set it to e.g. $(git log -1 --format=%ct)\n",
        ),
        (
            "18446744073709551615",
            "error: SOURCE_DATE_EPOCH is 18446744073709551615, after the end of the year 9999, which an RFC 3339 time cannot express; set it to e.g. $(git log -1 --format=%ct)\n",
        ),
        (
            "18446744073709551616",
            "error: SOURCE_DATE_EPOCH is \"18446744073709551616\", not a whole number of seconds since 1970; set it to e.g. $(git log -1 --format=%ct)\n",
        ),
    ] {
        let out = run_env(
            dir,
            &[("SOURCE_DATE_EPOCH", value)],
            &["attest", "x1", "x2"],
        );
        assert_eq!(code(&out), 2, "{value}: {}", stderr(&out));
        assert_eq!(stderr(&out), want);
        assert!(stdout(&out).is_empty());
    }
    let out = run_env(
        dir,
        &[("SOURCE_DATE_EPOCH", "253402300799")],
        &["attest", "x1", "x2"],
    );
    assert_eq!(code(&out), 0);
    assert_eq!(
        json_text(&stdout(&out))["predicate"]["timeVerified"],
        "9999-12-31T23:59:59Z"
    );
}

#[test]
fn verify_json_says_whether_signatures_were_checked_and_lists_the_unchecked() {
    let tmp = two_files();
    let dir = tmp.path();
    for who in ["k", "m"] {
        run(dir, &["keygen", "--out", who]);
    }
    run(
        dir,
        &["attest", "--sign", "k.key", "-o", "env.json", "x1", "x2"],
    );
    let keyid = json_text(&std::fs::read_to_string(dir.join("env.json")).unwrap())["signatures"][0]
        ["keyid"]
        .clone();
    let out = run(dir, &["verify", "--json", "env.json", "x1"]);
    assert_eq!(code(&out), 0);
    let doc = json_text(&stdout(&out));
    assert_eq!(doc["verified"], true);
    assert_eq!(doc["signatures_checked"], false);
    assert_eq!(
        doc["attestations"][0]["unchecked_signatures"],
        serde_json::json!([{ "keyid": keyid }])
    );
    let out = run(
        dir,
        &["verify", "--json", "env.json", "x1", "--key", "k.pub"],
    );
    let doc = json_text(&stdout(&out));
    assert_eq!(doc["signatures_checked"], true);
    assert_eq!(
        doc["attestations"][0]["unchecked_signatures"],
        serde_json::json!([])
    );
    assert_eq!(
        doc["attestations"][0]["signers"],
        serde_json::json!(["k.pub"])
    );
    // Signed by a key not given: listed, and the check fails.
    let out = run(
        dir,
        &["verify", "--json", "env.json", "x1", "--key", "m.pub"],
    );
    assert_eq!(code(&out), 1);
    let doc = json_text(&stdout(&out));
    assert_eq!(
        doc["attestations"][0]["unchecked_signatures"],
        serde_json::json!([{ "keyid": keyid }])
    );
}

#[test]
fn duplicate_json_keys_are_rejected_and_re_signing_adds_nothing() {
    let tmp = two_files();
    let dir = tmp.path();
    assert_eq!(
        code(&run(dir, &["attest", "-o", "att.json", "x1", "x2"])),
        0
    );
    run(dir, &["keygen", "--out", "k"]);
    let text = std::fs::read_to_string(dir.join("att.json")).unwrap();
    // The attack: a second "result" that serde_json would keep and protobuf parsers reject.
    let dup = text.replace(
        "\"result\": \"IDENTICAL\"",
        "\"result\": \"DIFFERENT\",\n    \"result\": \"IDENTICAL\"",
    );
    assert_ne!(dup, text);
    std::fs::write(dir.join("dup.json"), &dup).unwrap();
    let out = run(dir, &["verify", "dup.json", "x1"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).starts_with("error: dup.json is not valid in-toto JSON: the key \"result\" appears twice in one object"),
        "{}",
        stderr(&out)
    );
    let out = run(
        dir,
        &["attest", "--sign", "k.key", "-o", "env.json", "dup.json"],
    );
    assert_eq!(code(&out), 2, "nobody co-signs it");
    assert!(
        stderr(&out).starts_with(
            "error: dup.json is not valid in-toto JSON: the key \"result\" appears twice in one object"
        ),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("env.json").exists());
    // Inside a signed envelope: the payload is read the same way.
    let out = run(
        dir,
        &["attest", "--sign", "k.key", "-o", "env.json", "att.json"],
    );
    assert_eq!(code(&out), 0);
    let env = json_text(&std::fs::read_to_string(dir.join("env.json")).unwrap());
    let mut bad = env.clone();
    bad["payload"] = STANDARD.encode(dup.as_bytes()).into();
    let text = rejected(dir, "bad.json", &serde_json::to_vec(&bad).unwrap(), &["x1"]);
    assert!(
        text.contains("  - the attested statement cannot be read: it is not valid in-toto JSON (the key \"result\" appears twice"),
        "{text}"
    );
    // In the envelope itself (a key written twice, even spelled with an escape).
    let env_text = serde_json::to_string(&env).unwrap();
    let twice = env_text.replacen("{", "{\"payloadT\\u0079pe\":\"text/plain\",", 1);
    std::fs::write(dir.join("twice.json"), twice).unwrap();
    let out = run(dir, &["verify", "twice.json", "x1"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("the key \"payloadType\" appears twice"),
        "{}",
        stderr(&out)
    );
    // Signing again with the same key adds nothing, whatever base64 form its signature is in.
    let sig = STANDARD
        .decode(env["signatures"][0]["sig"].as_str().unwrap())
        .unwrap();
    let mut url_safe = env.clone();
    url_safe["signatures"][0]["sig"] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(&sig)
        .into();
    url_safe["signatures"][0]["keyid"] = "".into();
    std::fs::write(dir.join("url.json"), serde_json::to_vec(&url_safe).unwrap()).unwrap();
    let out = run(
        dir,
        &["attest", "--sign", "k.key", "-o", "url.json", "url.json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "url.json now carries 1 signature(s) (0 added)\n"
    );
    let out = run(dir, &["verify", "url.json", "x1", "--key", "k.pub"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn large_inputs_are_capped_and_checked_in_linear_time() {
    let tmp = two_files();
    let dir = tmp.path();
    assert_eq!(
        code(&run(dir, &["attest", "-o", "att.json", "x1", "x2"])),
        0
    );
    let statement = json_text(&std::fs::read_to_string(dir.join("att.json")).unwrap());
    // More than the cap: refused with one sentence, before it is parsed.
    let big = vec![b' '; (32 << 20) + 1];
    std::fs::write(dir.join("big.json"), &big).unwrap();
    let out = run(dir, &["verify", "big.json", "x1"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out),
        "error: big.json is larger than 32 MiB, the most an attestation may be; pass the statement, envelope or bundle file itself\n"
    );
    // An unknown field full of `{}` is skipped, not built (4 MiB here to keep the test fast; the
    // README gives the memory for 32 MiB).
    let mut padded = serde_json::to_string(&statement).unwrap();
    padded.pop();
    padded.push_str(",\"x\":[");
    padded.push_str(&"{},".repeat((4 << 20) / 3));
    padded.push_str("{}]}");
    let found = failures(padded.as_bytes(), b"artifact", &[], 0);
    assert!(found.is_empty(), "{found:?}");
    // 40,000 builds that agree: every pass is linear, so this takes seconds, not minutes.
    let mut many = statement.clone();
    let build = many["predicate"]["builds"][0].clone();
    let n = 40_000;
    let (builds, labels): (Vec<Value>, Vec<Value>) = (0..n)
        .map(|i| {
            let mut b = build.clone();
            b["label"] = format!("build-{i}").into();
            (b, format!("build-{i}").into())
        })
        .unzip();
    many["predicate"]["builds"] = builds.into();
    many["predicate"]["agreement"] = serde_json::json!({
        "groups": [{ "builds": labels }], "agreeing": n, "total": n
    });
    let bytes = serde_json::to_vec(&many).unwrap();
    let started = std::time::Instant::now();
    let found = failures(&bytes, b"artifact", &[], 0);
    let took = started.elapsed();
    assert!(found.is_empty(), "{found:?}");
    eprintln!("40,000 builds ({} bytes): {took:?}", bytes.len());
    assert!(took.as_secs() < 20, "40,000 builds took {took:?}");
}
