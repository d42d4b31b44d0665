//! The rustls example used by the Nix flake (`packages.static-rustls`, `static-rustls-ring`).
//!
//! It uses rustls for real rather than only linking it: it generates a small PKI (a CA and a
//! server certificate for `localhost`) with the crate's crypto provider, serves it from a thread
//! on loopback, and completes a verified TLS handshake with a client that trusts only that CA; a
//! client trusting another CA (of the same name) must be refused with rustls' own certificate error. Which provider
//! does the work is a cargo feature: `aws-lc-rs` (the default; C and assembly built by aws-lc-sys)
//! or `ring`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

#[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
compile_error!("enable one crypto provider: feature `aws-lc-rs` or `ring`");

/// Why the example could not do its job: one sentence.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn error(context: &str, e: impl std::fmt::Display) -> Error {
    Error(format!("{context}: {e}"))
}

/// The crypto provider this build uses, and its name (`aws-lc-rs` or `ring`).
pub fn provider() -> (&'static str, Arc<rustls::crypto::CryptoProvider>) {
    #[cfg(feature = "aws-lc-rs")]
    let chosen = ("aws-lc-rs", rustls::crypto::aws_lc_rs::default_provider());
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    let chosen = ("ring", rustls::crypto::ring::default_provider());
    (chosen.0, Arc::new(chosen.1))
}

/// A CA and a server certificate for `localhost` signed by it, generated now.
pub struct Pki {
    /// The CA certificate (DER).
    pub ca_cert: CertificateDer<'static>,
    /// The server certificate (DER).
    pub server_cert: CertificateDer<'static>,
    /// The server's private key (PKCS#8 DER).
    pub server_key: Vec<u8>,
}

impl Pki {
    /// A fresh PKI.
    pub fn generate() -> Result<Pki, Error> {
        let ca_key = KeyPair::generate().map_err(|e| error("cannot generate the CA key", e))?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())
            .map_err(|e| error("bad CA parameters", e))?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "static-rustls test CA");
        let ca_cert = ca_params
            .self_signed(&ca_key)
            .map_err(|e| error("cannot sign the CA certificate", e))?;
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key =
            KeyPair::generate().map_err(|e| error("cannot generate the server key", e))?;
        let server_cert = CertificateParams::new(vec!["localhost".to_string()])
            .and_then(|params| params.signed_by(&server_key, &issuer))
            .map_err(|e| error("cannot sign the server certificate", e))?;
        Ok(Pki {
            ca_cert: ca_cert.der().clone(),
            server_cert: server_cert.der().clone(),
            server_key: server_key.serialize_der(),
        })
    }
}

/// What a completed handshake negotiated.
#[derive(Debug)]
pub struct Handshake {
    /// e.g. `TLSv1_3`.
    pub version: String,
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
}

/// Serve `pki`'s certificate on a loopback port in a thread and connect to it with a client
/// that trusts only `trusted`; exchange one message each way. An error names what failed (for an
/// untrusted server: rustls' `invalid peer certificate: …`).
pub fn handshake(pki: &Pki, trusted: &CertificateDer<'static>) -> Result<Handshake, Error> {
    let (_, provider) = provider();
    let server_config = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| error("bad server configuration", e))?
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.server_cert.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone())),
        )
        .map_err(|e| error("the server rejects its certificate", e))?;
    let mut roots = RootCertStore::empty();
    roots
        .add(trusted.clone())
        .map_err(|e| error("cannot trust the CA", e))?;
    let client_config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| error("bad client configuration", e))?
        .with_root_certificates(roots)
        .with_no_client_auth();

    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| error("cannot listen", e))?;
    let address = listener
        .local_addr()
        .map_err(|e| error("no local address", e))?;
    let server = thread::spawn(move || -> Result<(), Error> {
        let (socket, _) = listener.accept().map_err(|e| error("accept", e))?;
        let connection = ServerConnection::new(Arc::new(server_config))
            .map_err(|e| error("server connection", e))?;
        let mut tls = rustls::StreamOwned::new(connection, socket);
        let mut hello = [0u8; 5];
        tls.read_exact(&mut hello)
            .map_err(|e| error("server read", e))?;
        tls.write_all(b"world")
            .map_err(|e| error("server write", e))?;
        tls.flush().map_err(|e| error("server flush", e))
    });

    let socket = TcpStream::connect(address).map_err(|e| error("cannot connect", e))?;
    let name = ServerName::try_from("localhost").expect("a valid DNS name");
    let connection = ClientConnection::new(Arc::new(client_config), name)
        .map_err(|e| error("client connection", e))?;
    let mut tls = rustls::StreamOwned::new(connection, socket);
    let client = (|| -> Result<Handshake, Error> {
        tls.write_all(b"hello")
            .map_err(|e| error("the handshake failed", e))?;
        let mut reply = [0u8; 5];
        tls.read_exact(&mut reply)
            .map_err(|e| error("the handshake failed", e))?;
        if &reply != b"world" {
            return Err(Error("the server sent something else".into()));
        }
        Ok(Handshake {
            version: format!("{:?}", tls.conn.protocol_version().expect("negotiated")),
            cipher: format!(
                "{:?}",
                tls.conn
                    .negotiated_cipher_suite()
                    .expect("negotiated")
                    .suite()
            ),
        })
    })();
    drop(tls); // the server's read ends when the client is gone, whatever happened
    let served = server.join().expect("the server thread panicked");
    let done = client?;
    served?;
    Ok(done)
}
