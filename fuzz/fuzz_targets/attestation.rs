//! Attestation parsing and verification: arbitrary bytes as the attestation `verify` reads
//! (statement, VSA, DSSE envelope, Sigstore bundle, JSON Lines), checked against one file and one
//! public key (the key that signed `seeds/attestation/signed.json`). A report or one error, never
//! a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use repro_check::attestation::keys::PublicKey;
use repro_check::attestation::verify::{self, File};

const PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAoaPFLaDHjewkWlyYZTJ2PtPvGRRdZLqFqvS1rIOQILc=
-----END PUBLIC KEY-----
";

fn key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let path =
            std::env::temp_dir().join(format!("repro-check-fuzz-{}.pub", std::process::id()));
        std::fs::write(&path, PUBLIC_KEY).expect("write key");
        PublicKey::load(&path).expect("the fuzz key loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let files = [File {
        name: "a1".into(),
        sha256: "98752d68b0903d192c6d39fc896ccf2d9bba367dc06595c7f656ffc2d808b9e0".into(),
    }];
    let keys = std::slice::from_ref(key());
    for threshold in [0, 1] {
        if let Ok(report) = verify::verify(data, &files, keys, threshold) {
            for failure in &report.failures {
                let _ = failure.to_string();
            }
        }
    }
    let _ = verify::verify(data, &files, &[], 0);
});
