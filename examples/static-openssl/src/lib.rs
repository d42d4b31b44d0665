//! The OpenSSL example used by the Nix flake (`packages.static-openssl`).
//!
//! It exercises OpenSSL for real rather than only linking it: it generates a small PKI (a CA and a
//! server certificate for `localhost`) at run time, serves it from a thread on 127.0.0.1, and
//! completes a verified TLS handshake against it. When built by the flake the binary is static
//! musl with `pkgsStatic.openssl` inside; `system-trust` mode shows that such a binary still finds CA
//! certificates at run time through `SSL_CERT_FILE` or `/etc/ssl/certs/ca-certificates.crt`.

use std::fmt;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::thread;

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslAcceptor, SslConnector, SslMethod, SslStream};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509NameBuilder};

/// Why the example could not do its job: one sentence from OpenSSL or the operating system.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<openssl::error::ErrorStack> for Error {
    fn from(e: openssl::error::ErrorStack) -> Self {
        Error(format!("OpenSSL: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error(e.to_string())
    }
}

/// The OpenSSL library this binary runs with, e.g. `OpenSSL 3.0.19 27 Jan 2026`.
pub fn openssl_version() -> &'static str {
    openssl::version::version()
}

/// A throw-away PKI: a CA and a server certificate for `localhost` / 127.0.0.1 signed by it.
pub struct Pki {
    /// The self-signed CA certificate.
    pub ca_cert: X509,
    /// The server certificate, signed by the CA.
    pub server_cert: X509,
    /// The server's private key.
    pub server_key: PKey<Private>,
}

fn new_key() -> Result<PKey<Private>, Error> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    Ok(PKey::from_ec_key(EcKey::generate(&group)?)?)
}

fn certificate(
    common_name: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
) -> Result<X509, Error> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COMMONNAME, common_name)?;
    let name = name.build();

    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;

    let serial = serial.to_asn1_integer()?;
    let not_before = Asn1Time::days_from_now(0)?;
    let not_after = Asn1Time::days_from_now(1)?;

    let mut cert = X509::builder()?;
    cert.set_version(2)?;
    cert.set_serial_number(&serial)?;
    cert.set_subject_name(&name)?;
    cert.set_pubkey(key)?;
    cert.set_not_before(&not_before)?;
    cert.set_not_after(&not_after)?;
    match issuer {
        None => {
            cert.set_issuer_name(&name)?;
            cert.append_extension(BasicConstraints::new().critical().ca().build()?)?;
            cert.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()?,
            )?;
            cert.sign(key, MessageDigest::sha256())?;
        }
        Some((ca_cert, ca_key)) => {
            cert.set_issuer_name(ca_cert.subject_name())?;
            cert.append_extension(BasicConstraints::new().critical().build()?)?;
            cert.append_extension(ExtendedKeyUsage::new().server_auth().build()?)?;
            let san = SubjectAlternativeName::new()
                .dns("localhost")
                .ip("127.0.0.1")
                .build(&cert.x509v3_context(Some(ca_cert), None))?;
            cert.append_extension(san)?;
            cert.sign(ca_key, MessageDigest::sha256())?;
        }
    }
    Ok(cert.build())
}

impl Pki {
    /// Generate a fresh CA and server certificate (P-256 keys, valid for one day).
    pub fn generate() -> Result<Pki, Error> {
        let ca_key = new_key()?;
        let ca_cert = certificate("static-openssl test CA", &ca_key, None)?;
        let server_key = new_key()?;
        let server_cert = certificate("localhost", &server_key, Some((&ca_cert, &ca_key)))?;
        Ok(Pki {
            ca_cert,
            server_cert,
            server_key,
        })
    }

    /// Write `ca.pem`, `server.pem` and `server.key` into `dir` (created if missing).
    pub fn write_to(&self, dir: &Path) -> Result<(), Error> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("ca.pem"), self.ca_cert.to_pem()?)?;
        std::fs::write(dir.join("server.pem"), self.server_cert.to_pem()?)?;
        std::fs::write(
            dir.join("server.key"),
            self.server_key.private_key_to_pem_pkcs8()?,
        )?;
        Ok(())
    }

    /// Read a server certificate and key written by [`Pki::write_to`].
    pub fn load_server(cert: &Path, key: &Path) -> Result<(X509, PKey<Private>), Error> {
        let cert = X509::from_pem(&std::fs::read(cert)?)?;
        let key = PKey::private_key_from_pem(&std::fs::read(key)?)?;
        Ok((cert, key))
    }
}

/// Which CA certificates the client trusts.
pub enum Trust<'a> {
    /// This CA, in addition to the default locations.
    Explicit(&'a X509),
    /// Only OpenSSL's default locations: `SSL_CERT_FILE` / `SSL_CERT_DIR` when set, otherwise the
    /// compiled-in defaults (nixpkgs patches the file to `/etc/ssl/certs/ca-certificates.crt`).
    System,
}

/// A completed handshake.
#[derive(Debug)]
pub struct Handshake {
    /// The negotiated protocol, e.g. `TLSv1.3`.
    pub version: String,
    /// The negotiated cipher suite.
    pub cipher: String,
}

const REQUEST: &[u8] = b"ping";
const RESPONSE: &[u8] = b"pong";

fn serve(listener: &TcpListener, cert: &X509, key: &PKey<Private>) -> Result<(), Error> {
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())?;
    acceptor.set_certificate(cert)?;
    acceptor.set_private_key(key)?;
    acceptor.check_private_key()?;
    let acceptor = acceptor.build();
    let (tcp, _) = listener.accept()?;
    let mut tls = acceptor
        .accept(tcp)
        .map_err(|e| Error(format!("server side: {e}")))?;
    let mut request = [0u8; REQUEST.len()];
    tls.read_exact(&mut request)?;
    if request != REQUEST {
        return Err(Error("server side: unexpected request".into()));
    }
    tls.write_all(RESPONSE)?;
    tls.shutdown().ok();
    Ok(())
}

fn connect(port: u16, trust: &Trust<'_>) -> Result<SslStream<TcpStream>, Error> {
    // `SslConnector::builder` loads OpenSSL's default verify paths and enables peer and
    // host-name verification.
    let mut connector = SslConnector::builder(SslMethod::tls())?;
    if let Trust::Explicit(ca) = trust {
        connector.cert_store_mut().add_cert((*ca).clone())?;
    }
    let tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    connector
        .build()
        .connect("localhost", tcp)
        .map_err(|e| Error(e.to_string()))
}

/// Serve `cert`/`key` from a thread on 127.0.0.1 and complete a verified TLS handshake with it,
/// exchanging one request and response.
pub fn handshake(cert: &X509, key: &PKey<Private>, trust: &Trust<'_>) -> Result<Handshake, Error> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let port = listener.local_addr()?.port();
    let (cert, key) = (cert.clone(), key.clone());
    let server = thread::spawn(move || serve(&listener, &cert, &key));

    let client = connect(port, trust).and_then(|mut tls| {
        tls.write_all(REQUEST)?;
        let mut response = [0u8; RESPONSE.len()];
        tls.read_exact(&mut response)?;
        if response != RESPONSE {
            return Err(Error("client side: unexpected response".into()));
        }
        Ok(Handshake {
            version: tls.ssl().version_str().to_string(),
            cipher: tls
                .ssl()
                .current_cipher()
                .map_or_else(|| "no cipher".to_string(), |c| c.name().to_string()),
        })
    });
    let served = server
        .join()
        .map_err(|_| Error("the server thread panicked".into()))?;
    // The client's error says why verification failed; the server's is only the alert it received.
    let done = client?;
    served?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_openssl() {
        assert!(
            openssl_version().starts_with("OpenSSL "),
            "{}",
            openssl_version()
        );
    }

    #[test]
    fn handshake_with_the_generated_ca_succeeds() {
        let pki = Pki::generate().unwrap();
        let done = handshake(
            &pki.server_cert,
            &pki.server_key,
            &Trust::Explicit(&pki.ca_cert),
        )
        .unwrap();
        assert!(done.version.starts_with("TLSv1."), "{done:?}");
        assert!(!done.cipher.is_empty());
    }

    #[test]
    fn handshake_with_another_ca_is_rejected() {
        let pki = Pki::generate().unwrap();
        let other = Pki::generate().unwrap();
        let err = handshake(
            &pki.server_cert,
            &pki.server_key,
            &Trust::Explicit(&other.ca_cert),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("certificate verify failed"),
            "{err}"
        );
    }

    #[test]
    fn server_certificate_is_for_localhost_and_signed_by_the_ca() {
        let pki = Pki::generate().unwrap();
        let ca_key = pki.ca_cert.public_key().unwrap();
        assert!(pki.server_cert.verify(&ca_key).unwrap());
        let names = pki.server_cert.subject_alt_names().unwrap();
        assert!(names.iter().any(|n| n.dnsname() == Some("localhost")));
    }
}
