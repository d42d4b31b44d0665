//! Nix archive (NAR) hashes, computed the way `nix hash path` computes them: SHA-256 over the NAR
//! serialisation of a file, symlink or directory tree, printed as `sha256-<base64>` (the `narHash`
//! of a store path).
//!
//! The serialisation (Eelco Dolstra's thesis, §5.2.1, and Nix's `archive.cc`): every string is a
//! little-endian `u64` length, the bytes, and zero padding to a multiple of 8. A node is
//! `( type regular [executable ""] contents <bytes> )`, `( type symlink target <target> )` or
//! `( type directory entry ( name <name> node <node> ) … )` with entries sorted bytewise by name.
//! Only the executable bit is recorded: no owners, no times, no other mode bits.

use base64::Engine;

use crate::Error;
use crate::digest::Hasher;
use crate::snapshot;

/// The NAR hash of `path` as `nix hash path PATH` prints it.
///
/// Like Nix, a symlink named on the command line is hashed as a symlink (`result/` hashes the
/// tree it points to, as it does for Nix). Named pipes, sockets and devices cannot be archived:
/// Nix refuses them, and so does this function. The walk is [`snapshot::take`]'s, which also
/// gives every file's SHA-256 from the same read.
pub fn nar_hash(path: &std::path::Path) -> Result<String, Error> {
    snapshot::take(path, true)?.nar_hash.ok_or_else(|| {
        Error::input(
            path,
            "has no NAR hash: none was computed for it; hash it with --nar",
        )
    })
}

/// One step of a NAR serialisation, in archive order: an entry of a directory (at `depth`
/// components below the root, named by its last component), or the next bytes of the file whose
/// header came last.
#[derive(Debug, Clone, Copy)]
pub enum Piece<'a> {
    /// A directory entry that is a directory; its entries follow.
    Directory {
        /// Components above it (0 for the root's children).
        depth: usize,
        /// Its name.
        name: &'a [u8],
    },
    /// A directory entry that is a symlink.
    Symlink {
        /// Components above it.
        depth: usize,
        /// Its name.
        name: &'a [u8],
        /// Its target.
        target: &'a [u8],
    },
    /// A directory entry that is a regular file; `size` bytes of [`Piece::Data`] follow.
    File {
        /// Components above it.
        depth: usize,
        /// Its name.
        name: &'a [u8],
        /// Whether the owner may execute it.
        executable: bool,
        /// Its size.
        size: u64,
    },
    /// The next bytes of the current file.
    Data(&'a [u8]),
}

/// A NAR serialisation fed piece by piece straight into its SHA-256; the archive itself is never
/// held in memory.
pub struct Nar {
    nar: NarWriter,
    /// Directories open below the root.
    depth: usize,
    /// Bytes of the current file still to come, and whether it is a directory entry.
    file: Option<(u64, u64, bool)>,
    root_directory: bool,
}

impl Nar {
    fn start() -> Self {
        let mut nar = NarWriter::default();
        nar.str(b"nix-archive-1");
        Nar {
            nar,
            depth: 0,
            file: None,
            root_directory: false,
        }
    }

    /// An archive whose root is a directory: feed its entries with [`Nar::piece`].
    pub fn root_directory() -> Self {
        let mut n = Self::start();
        n.nar.open_directory();
        n.root_directory = true;
        n
    }

    /// An archive whose root is a regular file of `size` bytes: feed them as [`Piece::Data`].
    pub fn root_file(executable: bool, size: u64) -> Self {
        let mut n = Self::start();
        n.file_header(executable, size, false);
        n
    }

    /// An archive whose root is a symlink.
    pub fn root_symlink(target: &[u8]) -> Self {
        let mut n = Self::start();
        n.nar.symlink(target);
        n
    }

    /// Add the next piece.
    pub fn piece(&mut self, piece: Piece<'_>) {
        match piece {
            Piece::Data(bytes) => {
                self.nar.hasher.update(bytes);
                if let Some((size, left, entry)) = self.file.as_mut() {
                    *left = left.saturating_sub(bytes.len() as u64);
                    if *left == 0 {
                        let (size, entry) = (*size, *entry);
                        self.end_file(size, entry);
                    }
                }
            }
            Piece::Directory { depth, name } => {
                self.enter(depth, name);
                self.nar.open_directory();
                self.depth += 1;
            }
            Piece::Symlink {
                depth,
                name,
                target,
            } => {
                self.enter(depth, name);
                self.nar.symlink(target);
                self.nar.str(b")");
            }
            Piece::File {
                depth,
                name,
                executable,
                size,
            } => {
                self.enter(depth, name);
                self.file_header(executable, size, true);
            }
        }
    }

    /// The hash, as `sha256-<base64>`.
    pub fn finish(mut self) -> String {
        while self.depth > 0 {
            self.nar.close_directory_entry();
            self.depth -= 1;
        }
        if self.root_directory {
            self.nar.str(b")");
        }
        format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(self.nar.hasher.finish())
        )
    }

    /// Close the directories deeper than `depth` and open the entry `name`.
    fn enter(&mut self, depth: usize, name: &[u8]) {
        while self.depth > depth {
            self.nar.close_directory_entry();
            self.depth -= 1;
        }
        self.nar.str(b"entry");
        self.nar.str(b"(");
        self.nar.str(b"name");
        self.nar.str(name);
        self.nar.str(b"node");
    }

    fn file_header(&mut self, executable: bool, size: u64, entry: bool) {
        self.nar.str(b"(");
        self.nar.str(b"type");
        self.nar.str(b"regular");
        if executable {
            self.nar.str(b"executable");
            self.nar.str(b"");
        }
        self.nar.str(b"contents");
        self.nar.hasher.update(&size.to_le_bytes());
        if size == 0 {
            self.end_file(0, entry);
        } else {
            self.file = Some((size, size, entry));
        }
    }

    fn end_file(&mut self, size: u64, entry: bool) {
        self.file = None;
        self.nar.pad(size);
        self.nar.str(b")");
        if entry {
            self.nar.str(b")");
        }
    }
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

    fn symlink(&mut self, target: &[u8]) {
        for token in [&b"("[..], b"type", b"symlink", b"target"] {
            self.str(token);
        }
        self.str(target);
        self.str(b")");
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
