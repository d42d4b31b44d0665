//! Nix archive (NAR) hashes, computed the way `nix hash path` computes them: SHA-256 over the NAR
//! serialisation of a file, symlink or directory tree, printed as `sha256-<base64>` (the `narHash`
//! of a store path).
//!
//! The serialisation (Eelco Dolstra's thesis, §5.2.1, and Nix's `archive.cc`): every string is a
//! little-endian `u64` length, the bytes, and zero padding to a multiple of 8. A node is
//! `( type regular [executable ""] contents <bytes> )`, `( type symlink target <target> )` or
//! `( type directory entry ( name <name> node <node> ) … )` with entries sorted bytewise by name.
//! Only the executable bit is recorded: no owners, no times, no other mode bits.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

use base64::Engine;

use crate::Error;
use crate::digest::Hasher;
use crate::input::{self, TreeKind};

/// The NAR hash of `path` as `nix hash path PATH` prints it.
///
/// Like Nix, a symlink named on the command line is hashed as a symlink (`result/` hashes the
/// tree it points to, as it does for Nix). Named pipes, sockets and devices cannot be archived:
/// Nix refuses them, and so does this function.
pub fn nar_hash(path: &Path) -> Result<String, Error> {
    let mut nar = NarWriter::default();
    nar.str(b"nix-archive-1");
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::read(path, e))?;
    let ft = meta.file_type();
    if ft.is_dir() {
        tree(&mut nar, path)?;
    } else if ft.is_symlink() {
        let target = std::fs::read_link(path).map_err(|e| Error::read(path, e))?;
        nar.symlink(target.as_os_str());
    } else if ft.is_file() {
        nar.regular(path, input::is_executable(&meta))?;
    } else {
        return Err(Error::NotRegular {
            path: path.to_path_buf(),
            what: input::special_kind(&ft),
        });
    }
    Ok(format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(nar.hasher.finish())
    ))
}

/// Serialise a directory: the walk lists entries depth-first with siblings sorted bytewise, which
/// is exactly NAR order, so a stack of open directories is all the state needed.
fn tree(nar: &mut NarWriter, root: &Path) -> Result<(), Error> {
    nar.open_directory();
    let mut depth = 0usize;
    for entry in input::tree(root)? {
        let names: Vec<&OsStr> = entry
            .rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n),
                _ => None,
            })
            .collect();
        let Some(name) = names.last() else { continue };
        let entry_depth = names.len() - 1;
        while depth > entry_depth {
            nar.close_directory_entry();
            depth -= 1;
        }
        nar.str(b"entry");
        nar.str(b"(");
        nar.str(b"name");
        nar.str(name.as_bytes());
        nar.str(b"node");
        match &entry.kind {
            TreeKind::Directory => {
                nar.open_directory();
                depth += 1;
                continue;
            }
            TreeKind::Symlink { target } => nar.symlink(target.as_os_str()),
            TreeKind::File { executable } => nar.regular(&entry.path, *executable)?,
            TreeKind::Special { what } => {
                return Err(Error::Invalid(format!(
                    "{} is {what}, which a Nix archive cannot hold; remove it or hash a tree without it",
                    entry.path.display()
                )));
            }
        }
        nar.str(b")");
    }
    while depth > 0 {
        nar.close_directory_entry();
        depth -= 1;
    }
    nar.str(b")");
    Ok(())
}

/// Writes NAR tokens straight into the hash; the archive itself is never held in memory.
#[derive(Default)]
struct NarWriter {
    hasher: Hasher,
}

impl NarWriter {
    fn str(&mut self, bytes: &[u8]) {
        self.hasher.update(&(bytes.len() as u64).to_le_bytes());
        self.hasher.update(bytes);
        self.pad(bytes.len() as u64);
    }

    fn pad(&mut self, len: u64) {
        let pad = (8 - len % 8) % 8;
        self.hasher.update(&[0u8; 8][..pad as usize]);
    }

    fn open_directory(&mut self) {
        self.str(b"(");
        self.str(b"type");
        self.str(b"directory");
    }

    /// Close a directory node and the `entry (` that holds it.
    fn close_directory_entry(&mut self) {
        self.str(b")");
        self.str(b")");
    }

    fn symlink(&mut self, target: &OsStr) {
        for token in [&b"("[..], b"type", b"symlink", b"target"] {
            self.str(token);
        }
        self.str(target.as_bytes());
        self.str(b")");
    }

    fn regular(&mut self, path: &Path, executable: bool) -> Result<(), Error> {
        let (file, size) = input::open_regular(path)?;
        self.str(b"(");
        self.str(b"type");
        self.str(b"regular");
        if executable {
            self.str(b"executable");
            self.str(b"");
        }
        self.str(b"contents");
        self.hasher.update(&size.to_le_bytes());
        let hasher = &mut self.hasher;
        input::stream_open(path, &file, size, |chunk| hasher.update(chunk))?;
        self.pad(size);
        self.str(b")");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_file_matches_nix() {
        // `printf hi > f; nix hash path f` (Nix 2.8).
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "hi\n").unwrap();
        assert_eq!(
            nar_hash(&f).unwrap(),
            "sha256-EFUdrtf6Rn0LWIJufrmg8q99aT3jGfLvd1//zaJEufY="
        );
    }
}
