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

#[cfg(test)]
mod tests {
    use super::*;

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn outputs_are_written_whole_with_their_mode_and_never_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.key");
        write_new(&key, b"secret", 0o600).unwrap();
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // An existing file is left as it was, and no temporary file is left behind.
        let e = write_new(&key, b"other", 0o600).unwrap_err();
        assert!(matches!(e, Error::Write { .. }), "{e}");
        assert_eq!(std::fs::read(&key).unwrap(), b"secret");
        let out = dir.path().join("a.json");
        write_replace(&out, b"1").unwrap();
        write_replace(&out, b"22").unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"22");
        assert_eq!(names(dir.path()), ["a.json", "k.key"]);
        // A directory that does not exist: an error naming the file.
        let e = write_replace(&dir.path().join("no/such.json"), b"").unwrap_err();
        assert!(matches!(e, Error::Write { ref path, .. } if path.ends_with("no/such.json")));
    }

    #[test]
    fn attestations_are_read_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.json");
        let file = std::fs::File::create(&f).unwrap();
        // Sparse: the size costs no disk.
        file.set_len(MAX_BYTES as u64 + 1).unwrap();
        let e = read_attestation(&f).unwrap_err().to_string();
        assert!(e.contains("is larger than 32 MiB"), "{e}");
        file.set_len(3).unwrap();
        assert_eq!(read_attestation(&f).unwrap(), [0, 0, 0]);
    }
}
