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
}
