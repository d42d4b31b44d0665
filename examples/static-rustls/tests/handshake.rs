//! The example does its job when built by plain cargo (glibc here; the flake builds it static).

use static_rustls::{Pki, handshake, provider};

#[test]
fn verified_handshake_over_loopback_and_an_untrusted_ca_is_refused() {
    let pki = Pki::generate().unwrap();
    let done = handshake(&pki, &pki.ca_cert).unwrap();
    assert!(done.version.starts_with("TLSv1_"), "{done:?}");
    assert!(done.cipher.starts_with("TLS"), "{done:?}");

    let other = Pki::generate().unwrap();
    let refused = handshake(&pki, &other.ca_cert).unwrap_err().to_string();
    assert!(refused.contains("invalid peer certificate"), "{refused}");
    assert!(["aws-lc-rs", "ring"].contains(&provider().0));
}
