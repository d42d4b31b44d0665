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
pub(crate) mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::path::Path;

    /// The NAR of `path` built whole in memory, written straight from the format's description
    /// (not from [`Nar`]): an independent oracle for the streamed hash.
    pub(crate) fn reference_nar(path: &Path) -> Vec<u8> {
        fn str(out: &mut Vec<u8>, b: &[u8]) {
            out.extend_from_slice(&(b.len() as u64).to_le_bytes());
            out.extend_from_slice(b);
            out.resize(out.len().next_multiple_of(8), 0);
        }
        fn node(out: &mut Vec<u8>, path: &Path) {
            let meta = std::fs::symlink_metadata(path).unwrap();
            str(out, b"(");
            str(out, b"type");
            if meta.is_symlink() {
                str(out, b"symlink");
                str(out, b"target");
                str(
                    out,
                    std::fs::read_link(path).unwrap().as_os_str().as_bytes(),
                );
            } else if meta.is_dir() {
                str(out, b"directory");
                let mut names: Vec<_> = std::fs::read_dir(path)
                    .unwrap()
                    .map(|e| e.unwrap().file_name())
                    .collect();
                names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                for name in names {
                    for token in [&b"entry"[..], b"(", b"name", name.as_bytes(), b"node"] {
                        str(out, token);
                    }
                    node(out, &path.join(name));
                    str(out, b")");
                }
            } else {
                str(out, b"regular");
                if meta.permissions().mode() & 0o100 != 0 {
                    str(out, b"executable");
                    str(out, b"");
                }
                str(out, b"contents");
                str(out, &std::fs::read(path).unwrap());
            }
            str(out, b")");
        }
        let mut out = Vec::new();
        str(&mut out, b"nix-archive-1");
        node(&mut out, path);
        out
    }

    /// `sha256-<base64>` of bytes.
    pub(crate) fn sri(bytes: &[u8]) -> String {
        let mut h = Hasher::new();
        h.update(bytes);
        format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(h.finish())
        )
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// A tree with nested and empty directories, an executable, an empty file, a file of exactly
    /// eight bytes (no padding), a symlink, a name that is not UTF-8, `a-b` next to `a/`
    /// (bytewise order), and group/other bits that Nix ignores.
    pub(crate) fn known_tree(t: &Path) {
        for d in ["bin", "sub/deeper", "e"] {
            std::fs::create_dir_all(t.join(d)).unwrap();
        }
        std::fs::write(t.join("bin/tool"), "#!/bin/sh\n").unwrap();
        chmod(&t.join("bin/tool"), 0o755);
        std::fs::write(t.join("empty"), "").unwrap();
        symlink("bin/tool", t.join("link")).unwrap();
        std::fs::write(t.join("sub/deeper/x"), "12345678").unwrap();
        std::fs::write(t.join("a-b"), "a-b").unwrap();
        chmod(&t.join("a-b"), 0o640);
        std::fs::write(t.join(std::ffi::OsStr::from_bytes(b"n\xff")), "bytes").unwrap();
    }

    // Every hash below was printed by `nix --extra-experimental-features nix-command hash path`
    // (Nix 2.8.0) on the same input, built by the same steps in a shell.

    #[test]
    fn single_file_matches_nix() {
        // `printf 'hi\n' > f; nix hash path f`.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "hi\n").unwrap();
        assert_eq!(
            nar_hash(&f).unwrap(),
            "sha256-EFUdrtf6Rn0LWIJufrmg8q99aT3jGfLvd1//zaJEufY="
        );
        // Only the owner's execute bit counts: 0611 is not executable, 0744 is.
        chmod(&f, 0o611);
        assert_eq!(
            nar_hash(&f).unwrap(),
            "sha256-EFUdrtf6Rn0LWIJufrmg8q99aT3jGfLvd1//zaJEufY="
        );
        chmod(&f, 0o744);
        assert_eq!(
            nar_hash(&f).unwrap(),
            "sha256-tVvOGrOHiHZTZEkRVN8MV1pJWcJHq80NLSSm26SxDac="
        );
    }

    #[test]
    fn a_known_tree_matches_nix() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t");
        known_tree(&t);
        let want = "sha256-CleSZh/M0F07fEyE+l9YvbhRxtJoDWtbnc5LuatyNz4=";
        assert_eq!(nar_hash(&t).unwrap(), want);
        assert_eq!(sri(&reference_nar(&t)), want);
        // A symlink named as the path is archived as the link (`nix hash path s/result`).
        std::fs::create_dir(dir.path().join("s")).unwrap();
        symlink("../t", dir.path().join("s/result")).unwrap();
        assert_eq!(
            nar_hash(&dir.path().join("s/result")).unwrap(),
            "sha256-8DAqjyHCCumH0G+S1xtwCCHt/21cNOCL+1DbGQwU3zA="
        );
        // Any change the format records changes the hash: content, the owner's execute bit.
        std::fs::write(t.join("sub/deeper/x"), "12345679").unwrap();
        assert_ne!(nar_hash(&t).unwrap(), want);
        std::fs::write(t.join("sub/deeper/x"), "12345678").unwrap();
        assert_eq!(nar_hash(&t).unwrap(), want);
        chmod(&t.join("a-b"), 0o740);
        assert_ne!(nar_hash(&t).unwrap(), want);
    }

    #[test]
    fn empty_directory_empty_file_and_bare_symlink_match_nix() {
        let dir = tempfile::tempdir().unwrap();
        let e = dir.path().join("emptydir");
        std::fs::create_dir(&e).unwrap();
        assert_eq!(
            nar_hash(&e).unwrap(),
            "sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo="
        );
        let f = dir.path().join("emptyfile");
        std::fs::write(&f, "").unwrap();
        assert_eq!(
            nar_hash(&f).unwrap(),
            "sha256-d6xi4mKdjkX2JFicDIv5niSzpyI0m/Hnm8GGAIU04kY="
        );
        // `ln -s some/target lnk; nix hash path lnk` (the target need not exist).
        assert_eq!(
            Nar::root_symlink(b"some/target").finish(),
            "sha256-v6+f2NZ0FQwdZKs6Mv/LH6Ix/olqyvlsukkCo68LcR4="
        );
    }

    #[test]
    fn how_the_data_is_split_does_not_matter() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let whole = {
            let mut n = Nar::root_file(false, data.len() as u64);
            n.piece(Piece::Data(&data));
            n.finish()
        };
        let mut n = Nar::root_file(false, data.len() as u64);
        for chunk in data.chunks(3) {
            n.piece(Piece::Data(chunk));
        }
        assert_eq!(n.finish(), whole);
        let mut in_memory = Vec::new();
        for t in [
            &b"nix-archive-1"[..],
            b"(",
            b"type",
            b"regular",
            b"contents",
        ] {
            in_memory.extend_from_slice(&(t.len() as u64).to_le_bytes());
            in_memory.extend_from_slice(t);
            in_memory.resize(in_memory.len().next_multiple_of(8), 0);
        }
        in_memory.extend_from_slice(&1000u64.to_le_bytes());
        in_memory.extend_from_slice(&data);
        in_memory.resize(in_memory.len().next_multiple_of(8), 0);
        in_memory.extend_from_slice(&1u64.to_le_bytes());
        in_memory.extend_from_slice(b")\0\0\0\0\0\0\0");
        assert_eq!(whole, sri(&in_memory));
    }

    #[test]
    fn pieces_close_every_directory_they_leave() {
        // root/ { a/ { b/ { f } } , z } — leaving two levels at once before `z`.
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path();
        std::fs::create_dir_all(t.join("a/b")).unwrap();
        std::fs::write(t.join("a/b/f"), "f").unwrap();
        std::fs::write(t.join("z"), "zz").unwrap();
        let mut n = Nar::root_directory();
        n.piece(Piece::Directory {
            depth: 0,
            name: b"a",
        });
        n.piece(Piece::Directory {
            depth: 1,
            name: b"b",
        });
        for (depth, name, data) in [(2, &b"f"[..], &b"f"[..]), (0, b"z", b"zz")] {
            let size = data.len() as u64;
            n.piece(Piece::File {
                depth,
                name,
                executable: false,
                size,
            });
            n.piece(Piece::Data(data));
        }
        assert_eq!(n.finish(), sri(&reference_nar(t)));
    }
}
