//! Ed25519 keys for signing attestations, stored as standard PEM files (RFC 8410): the secret key
//! as unencrypted PKCS#8 (`-----BEGIN PRIVATE KEY-----`), the public key as SubjectPublicKeyInfo
//! (`-----BEGIN PUBLIC KEY-----`). OpenSSL, Python's `cryptography` and most signing tools read
//! and write the same files, so a key can be made or checked without this program.

use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::spki::{DecodePublicKey, EncodePublicKey};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, KeypairBytes};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::files;
use crate::Error;
use crate::digest::hex;

/// A secret key read from a file, with the key id of its public half.
pub struct SecretKey {
    key: SigningKey,
    /// The key id recorded next to each signature (see [`key_id`]).
    pub keyid: String,
}

/// A public key read from a file.
#[derive(Clone)]
pub struct PublicKey {
    key: VerifyingKey,
    /// The file it was read from, for messages.
    pub path: PathBuf,
    /// Its key id (see [`key_id`]).
    pub keyid: String,
}

/// The key id: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo, i.e. of the bytes inside the
/// `.pub` file's PEM armour (`openssl pkey -pubin -in K.pub -outform DER | sha256sum`).
pub fn key_id(key: &VerifyingKey) -> String {
    let der = key
        .to_public_key_der()
        .map(|doc| doc.as_bytes().to_vec())
        // Encoding a valid 32-byte Ed25519 key cannot fail; fall back to the raw key to stay total.
        .unwrap_or_else(|_| key.to_bytes().to_vec());
    hex(&Sha256::digest(der))
}

impl SecretKey {
    /// Read a PKCS#8 PEM Ed25519 secret key.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
        let key = SigningKey::from_pkcs8_pem(&text).map_err(|_| {
            Error::input(
                path,
                "is not an Ed25519 secret key in PKCS#8 PEM form; make one with `repro-check keygen`",
            )
        })?;
        let keyid = key_id(&key.verifying_key());
        Ok(SecretKey { key, keyid })
    }

    /// Sign `message`; Ed25519 signatures are deterministic, so the same message gives the same bytes.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// Whether `signature` is a valid signature of `message` by this key (made here or elsewhere).
    pub fn made(&self, message: &[u8], signature: &[u8]) -> bool {
        verifies(&self.key.verifying_key(), message, signature)
    }
}

impl PublicKey {
    /// Read a SubjectPublicKeyInfo PEM Ed25519 public key.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
        let key = VerifyingKey::from_public_key_pem(&text).map_err(|_| {
            Error::input(
                path,
                "is not an Ed25519 public key in PEM form; pass the .pub file `repro-check keygen` wrote",
            )
        })?;
        Ok(PublicKey {
            keyid: key_id(&key),
            key,
            path: path.to_path_buf(),
        })
    }

    /// Whether `signature` is this key's valid (strict RFC 8032) signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        verifies(&self.key, message, signature)
    }
}

/// Whether `signature` is `key`'s valid signature of `message`, by RFC 8032's strict rules.
fn verifies(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };
    key.verify_strict(message, &signature).is_ok()
}

/// Where `keygen` wrote a key pair.
pub struct Written {
    /// The secret key file (mode 0600).
    pub secret: PathBuf,
    /// The public key file.
    pub public: PathBuf,
    /// The key id.
    pub keyid: String,
}

/// Make a new key pair from the operating system's random source and write `PREFIX.key` (mode
/// 0600) and `PREFIX.pub`. Existing files are never overwritten.
pub fn generate(prefix: &Path) -> Result<Written, Error> {
    let secret = with_suffix(prefix, "key");
    let public = with_suffix(prefix, "pub");
    for path in [&secret, &public] {
        if path.symlink_metadata().is_ok() {
            return Err(Error::input(
                path,
                "already exists and keys are never overwritten; choose another --out PREFIX or remove it yourself",
            ));
        }
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice()).map_err(|e| {
        Error::Environment(format!(
            "cannot read the operating system's random source ({e}); no key was written"
        ))
    })?;
    let key = SigningKey::from_bytes(&seed);
    let pem = |e: &dyn std::fmt::Display| {
        Error::Environment(format!(
            "cannot encode the new key as PEM ({e}); no key was written"
        ))
    };
    // PKCS#8 v1 (no embedded public key): the form OpenSSL 3.0 and every other reader accept.
    let v1 = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    let secret_pem = v1.to_pkcs8_pem(LineEnding::LF).map_err(|e| pem(&e))?;
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| pem(&e))?;
    files::write_new(&secret, secret_pem.as_bytes(), 0o600)?;
    if let Err(e) = files::write_new(&public, public_pem.as_bytes(), 0o644) {
        let _ = std::fs::remove_file(&secret);
        return Err(e);
    }
    Ok(Written {
        keyid: key_id(&key.verifying_key()),
        secret,
        public,
    })
}

/// `prefix` with `.suffix` appended to its file name (`a/b` → `a/b.key`).
fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_is_appended_to_the_file_name() {
        assert_eq!(
            with_suffix(Path::new("a/repro-check"), "key"),
            PathBuf::from("a/repro-check.key")
        );
        assert_eq!(
            with_suffix(Path::new("x.y"), "pub"),
            PathBuf::from("x.y.pub")
        );
    }

    #[test]
    fn rfc8032_test_vector_1() {
        // RFC 8032 §7.1 TEST 1: empty message.
        let seed: [u8; 32] =
            unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = SigningKey::from_bytes(&seed);
        let sig = key.sign(b"").to_bytes();
        assert_eq!(
            hex(&sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    fn unhex<const N: usize>(s: &str) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
