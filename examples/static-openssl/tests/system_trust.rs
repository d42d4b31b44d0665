//! The built binary, run as a user would: `SSL_CERT_FILE` decides which CA the client trusts.

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str], cert_file: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_static-openssl"));
    // nixpkgs' OpenSSL reads NIX_SSL_CERT_FILE before SSL_CERT_FILE, and stdenv sets it to a
    // non-existent file inside Nix builds, where these tests also run.
    cmd.args(args)
        .env_remove("SSL_CERT_DIR")
        .env_remove("NIX_SSL_CERT_FILE");
    match cert_file {
        Some(file) => cmd.env("SSL_CERT_FILE", file),
        None => cmd.env_remove("SSL_CERT_FILE"),
    };
    cmd.output().expect("cannot run static-openssl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn default_mode_prints_the_version_and_completes_a_handshake() {
    let out = run(&[], None);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("OpenSSL "), "{stdout}");
    assert!(
        stdout.contains("TLS handshake with the in-process server: ok (TLSv1."),
        "{stdout}"
    );
}

#[test]
fn system_trust_follows_ssl_cert_file() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let written = run(&["write-pki", pki.to_str().unwrap()], None);
    assert!(written.status.success(), "{}", text(&written.stderr));
    let (cert, key) = (pki.join("server.pem"), pki.join("server.key"));
    let args = [
        "system-trust",
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
    ];

    // Trusting the generated CA through SSL_CERT_FILE: the handshake succeeds.
    let trusted = run(&args, Some(&pki.join("ca.pem")));
    assert!(trusted.status.success(), "{}", text(&trusted.stderr));

    // A CA file without that CA: verification fails, exit 1, and the reason is given.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let untrusted = run(&args, Some(&empty));
    assert_eq!(
        untrusted.status.code(),
        Some(1),
        "{}",
        text(&untrusted.stderr)
    );
    assert!(text(&untrusted.stderr).contains("certificate verify failed"));
}

#[test]
fn bad_arguments_exit_2() {
    let out = run(
        &[
            "system-trust",
            "/nonexistent/cert.pem",
            "/nonexistent/key.pem",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read /nonexistent/cert.pem"));
}
