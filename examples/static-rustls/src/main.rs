//! `static-rustls`: prove that rustls and its crypto provider linked into this binary work.
//!
//! Prints the provider, then a verified TLS handshake with an in-process server whose CA is
//! generated now, then that a client trusting another CA is refused.
//!
//! Exit status: 0 both as expected, 1 otherwise.

use std::process::ExitCode;

use static_rustls::{Pki, handshake, provider};

fn main() -> ExitCode {
    println!("crypto provider: {}", provider().0);
    let (pki, other) = match (Pki::generate(), Pki::generate()) {
        (Ok(pki), Ok(other)) => (pki, other),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("static-rustls: cannot generate the test certificates: {e}");
            return ExitCode::FAILURE;
        }
    };
    match handshake(&pki, &pki.ca_cert) {
        Ok(done) => println!(
            "TLS handshake with the in-process server: ok ({}, {})",
            done.version, done.cipher
        ),
        Err(e) => {
            eprintln!("static-rustls: {e}");
            return ExitCode::FAILURE;
        }
    }
    match handshake(&pki, &other.ca_cert) {
        Ok(_) => {
            eprintln!("static-rustls: a client trusting another CA accepted the server");
            ExitCode::FAILURE
        }
        Err(e) => {
            println!("untrusted server refused: {e}");
            ExitCode::SUCCESS
        }
    }
}
