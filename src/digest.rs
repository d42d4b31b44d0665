//! SHA-256 of files, streamed in fixed-size chunks (memory does not grow with file size). The
//! `sha2` crate picks the CPU's SHA extensions (SHA-NI, ARMv8 SHA2) at run time when present.

use sha2::{Digest, Sha256};
use std::path::Path;

use crate::error::Error;
use crate::input;

/// A running SHA-256.
#[derive(Clone, Default)]
pub struct Hasher(Sha256);

impl Hasher {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }
    /// Feed bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    /// The digest as lower-case hex.
    pub fn finish_hex(self) -> String {
        hex(&self.finish())
    }
    /// The digest's 32 bytes (for encodings other than hex, e.g. Nix's base64).
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// Bytes written are hashed (`io::copy` into a hasher).
impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The SHA-256 (hex) and size of the regular file at `path`.
pub fn sha256_file(path: &Path) -> Result<(String, u64), Error> {
    let mut hasher = Hasher::new();
    let size = input::stream_file(path, |chunk| hasher.update(chunk))?;
    Ok((hasher.finish_hex(), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        let mut h = Hasher::new();
        h.update(b"abc");
        assert_eq!(
            h.finish_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn files_longer_than_a_chunk_hash_as_a_whole() {
        // `head -c 2097155 /dev/zero | tr '\0' a | sha256sum`: two chunks and three bytes.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, vec![b'a'; 2 * input::CHUNK + 3]).unwrap();
        assert_eq!(
            sha256_file(&f).unwrap(),
            (
                "94444f79251aaf2956ac6d46ef04f4e1cb8aa188d97f21fecd00e068e2b235b2".to_string(),
                2 * input::CHUNK as u64 + 3
            )
        );
        std::fs::write(&f, "").unwrap();
        assert_eq!(
            sha256_file(&f).unwrap().0,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(sha256_file(dir.path()).is_err());
    }

    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex(&[0, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
        let mut split = Hasher::new();
        split.update(b"a");
        split.update(b"bc");
        assert_eq!(split.finish(), {
            let mut h = Hasher::new();
            h.update(b"abc");
            h.finish()
        });
    }
}
