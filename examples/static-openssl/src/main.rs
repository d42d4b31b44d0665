//! `static-openssl`: prove that OpenSSL linked into this binary works.
//!
//! ```text
//! static-openssl                          # print the OpenSSL version, then a TLS handshake with an
//!                                         # in-process server whose CA is generated now and trusted
//!                                         # explicitly
//! static-openssl write-pki DIR            # write ca.pem, server.pem, server.key (a fresh test PKI)
//! static-openssl system-trust CERT KEY    # serve CERT/KEY in-process; the client trusts only the
//!                                         # default CA locations (SSL_CERT_FILE, else
//!                                         # /etc/ssl/certs/ca-certificates.crt)
//! ```
//!
//! Exit status: 0 the handshake succeeded, 1 it failed, 2 bad arguments or files.

use std::path::Path;
use std::process::ExitCode;

use static_openssl::{Pki, Trust, handshake, openssl_version};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    match argv.as_slice() {
        [] => {
            println!("{}", openssl_version());
            let pki = match Pki::generate() {
                Ok(pki) => pki,
                Err(e) => return fail(2, &format!("cannot generate the test certificates: {e}")),
            };
            report(handshake(
                &pki.server_cert,
                &pki.server_key,
                &Trust::Explicit(&pki.ca_cert),
            ))
        }
        ["write-pki", dir] => match Pki::generate().and_then(|pki| pki.write_to(Path::new(dir))) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(
                2,
                &format!("cannot write the test certificates to {dir}: {e}"),
            ),
        },
        ["system-trust", cert, key] => match Pki::load_server(Path::new(cert), Path::new(key)) {
            Ok((cert, key)) => report(handshake(&cert, &key, &Trust::System)),
            Err(e) => fail(2, &format!("cannot read {cert} and {key}: {e}")),
        },
        _ => fail(
            2,
            "usage: static-openssl [write-pki DIR | system-trust CERT KEY]",
        ),
    }
}

fn report(result: Result<static_openssl::Handshake, static_openssl::Error>) -> ExitCode {
    match result {
        Ok(done) => {
            println!(
                "TLS handshake with the in-process server: ok ({}, {})",
                done.version, done.cipher
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, &format!("TLS handshake failed: {e}")),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("static-openssl: {message}");
    ExitCode::from(code)
}
