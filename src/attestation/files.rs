//! Output files are written whole or not at all: a temporary file in the same directory, then a
//! rename. Nothing half-written is ever left under the final name. Attestations are read with a
//! size limit.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::json::MAX_BYTES;
use crate::Error;

/// Read an attestation, refusing one larger than [`MAX_BYTES`] without reading further.
pub fn read_attestation(path: &Path) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::read(path, e))?;
    if bytes.len() > MAX_BYTES {
        return Err(Error::input(
            path,
            format!(
                "is larger than {} MiB, the most an attestation may be; pass the statement, envelope or bundle file itself",
                MAX_BYTES >> 20
            ),
        ));
    }
    Ok(bytes)
}

/// Write `bytes` to `path`, replacing it if it exists.
pub fn write_replace(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let file = temp_with(path, bytes, 0o644)?;
    file.persist(path).map_err(|e| write_error(path, e.error))?;
    Ok(())
}

/// Write `bytes` to `path` with permission `mode`; fail if `path` already exists.
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    let file = temp_with(path, bytes, mode)?;
    file.persist_noclobber(path)
        .map_err(|e| write_error(path, e.error))?;
    Ok(())
}

/// A synced temporary file next to `path` holding `bytes`, with permission `mode`.
fn temp_with(path: &Path, bytes: &[u8], mode: u32) -> Result<tempfile::NamedTempFile, Error> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".repro-check-")
        .permissions(std::fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(|e| write_error(path, e))?;
    file.write_all(bytes).map_err(|e| write_error(path, e))?;
    file.as_file()
        .sync_all()
        .map_err(|e| write_error(path, e))?;
    Ok(file)
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}
