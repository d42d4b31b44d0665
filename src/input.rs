//! Inputs: which files a list of paths names, and their bytes, streamed in bounded memory.
//!
//! Explicit paths are followed through symlinks (a Nix `result` link is what users pass). Inside a
//! directory nothing is followed: symlinks are counted and skipped (their targets inside the tree are
//! visited anyway; targets outside it are not the user's tree), so link loops cannot happen, and
//! FIFOs, sockets and devices are never opened.

use std::fs::{self, File};
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::elf::{FileSource, ReadAt};
use crate::error::Error;

/// The bytes of one file to compare: a regular file, or bytes held in memory. Either is read the
/// same way (positioned reads for ELF sections, a seekable stream for containers), so the library
/// compares bytes it was handed without writing them to disk.
#[derive(Debug, Clone)]
pub enum Content {
    /// A regular file.
    File(PathBuf),
    /// Bytes in memory, called `name` in messages.
    Memory {
        /// The name messages give it.
        name: PathBuf,
        /// The bytes.
        bytes: Arc<[u8]>,
    },
}

/// Something to read in order and to seek in.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

impl Content {
    /// The path (or name) that messages give it.
    pub fn path(&self) -> &Path {
        match self {
            Content::File(path) => path,
            Content::Memory { name, .. } => name,
        }
    }

    /// Open it for reading: a regular file is opened once and keeps the length it had then.
    pub fn open(&self) -> Result<Open, Error> {
        Ok(match self {
            Content::File(path) => {
                let (file, len) = open_regular(path)?;
                Open::File(file, len)
            }
            Content::Memory { bytes, .. } => Open::Memory(bytes.clone()),
        })
    }

    /// A seekable stream over its bytes.
    pub fn reader(&self) -> Result<Box<dyn ReadSeek + '_>, Error> {
        Ok(match self {
            Content::File(path) => {
                let file = File::open(path).map_err(|e| Error::read(path, e))?;
                Box::new(std::io::BufReader::with_capacity(1 << 16, file))
            }
            Content::Memory { bytes, .. } => Box::new(std::io::Cursor::new(&bytes[..])),
        })
    }

    /// All of its bytes when there are at most `max`; `None` when there are more.
    pub fn read_up_to(&self, max: u64) -> Result<Option<Vec<u8>>, Error> {
        match self {
            Content::File(path) => {
                let len = fs::metadata(path).map_err(|e| Error::read(path, e))?.len();
                if len > max {
                    return Ok(None);
                }
                fs::read(path).map(Some).map_err(|e| Error::read(path, e))
            }
            Content::Memory { bytes, .. } => {
                Ok((bytes.len() as u64 <= max).then(|| bytes.to_vec()))
            }
        }
    }
}

/// An opened [`Content`]: positioned reads within the length it had when opened.
#[derive(Debug)]
pub enum Open {
    /// An open regular file and its length when opened.
    File(File, u64),
    /// Bytes in memory.
    Memory(Arc<[u8]>),
}

impl Open {
    /// Its length now: a file may have changed since it was opened.
    pub fn size_now(&self, path: &Path) -> Result<u64, Error> {
        match self {
            Open::File(file, _) => Ok(file.metadata().map_err(|e| Error::read(path, e))?.len()),
            Open::Memory(bytes) => Ok(bytes.len() as u64),
        }
    }
}

impl ReadAt for Open {
    /// Its length when opened.
    fn len(&self) -> u64 {
        match self {
            Open::File(_, len) => *len,
            Open::Memory(bytes) => bytes.len() as u64,
        }
    }
    fn read_at(&self, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
        match self {
            Open::File(file, size) => FileSource::new(file, *size).read_at(offset, len),
            Open::Memory(bytes) => bytes[..].read_at(offset, len),
        }
    }
}

/// Bytes read per chunk when streaming a file.
pub const CHUNK: usize = 1 << 20;

/// One path produced by expanding the command-line paths.
#[derive(Debug)]
pub enum Item {
    /// A regular file to examine.
    File {
        /// Its path, as given or as found under a given directory.
        path: PathBuf,
        /// Whether the user named it directly (then problems are errors, not findings).
        explicit: bool,
    },
    /// Something inside a directory that was not examined.
    Skipped {
        /// Its path.
        path: PathBuf,
        /// Why.
        reason: SkipReason,
    },
    /// A path that could not be examined.
    Failed {
        /// What went wrong.
        error: Error,
        /// Whether the user named it directly.
        explicit: bool,
    },
}

/// Why a directory entry was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A symbolic link (not followed inside a tree).
    Symlink,
    /// A FIFO, socket or device.
    Special,
}

/// Expand command-line paths into files: directories are walked in sorted order.
pub fn expand(paths: &[PathBuf]) -> Vec<Item> {
    let mut items = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Err(e) => items.push(Item::Failed {
                error: Error::read(path, e),
                explicit: true,
            }),
            Ok(meta) if meta.is_dir() => walk(path, &mut items),
            Ok(meta) if meta.is_file() => items.push(Item::File {
                path: path.clone(),
                explicit: true,
            }),
            Ok(meta) => items.push(Item::Failed {
                error: Error::NotRegular {
                    path: path.clone(),
                    what: special_kind(&meta.file_type()),
                },
                explicit: true,
            }),
        }
    }
    items
}

fn walk(root: &Path, items: &mut Vec<Item>) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        match entry {
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                let source = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("walk failed"));
                items.push(Item::Failed {
                    error: Error::read(&path, source),
                    explicit: false,
                });
            }
            Ok(entry) => {
                let kind = entry.file_type();
                let path = entry.into_path();
                if kind.is_dir() {
                    continue;
                } else if kind.is_file() {
                    items.push(Item::File {
                        path,
                        explicit: false,
                    });
                } else if kind.is_symlink() {
                    items.push(Item::Skipped {
                        path,
                        reason: SkipReason::Symlink,
                    });
                } else {
                    items.push(Item::Skipped {
                        path,
                        reason: SkipReason::Special,
                    });
                }
            }
        }
    }
}

/// What a non-regular, non-directory file type is, in words: "a named pipe", "a socket"….
pub fn special_kind(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// Open a regular file for reading and return it with its current length.
pub fn open_regular(path: &Path) -> Result<(File, u64), Error> {
    let meta = fs::metadata(path).map_err(|e| Error::read(path, e))?;
    if meta.is_dir() {
        return Err(Error::NotRegular {
            path: path.to_path_buf(),
            what: "a directory",
        });
    }
    if !meta.is_file() {
        return Err(Error::NotRegular {
            path: path.to_path_buf(),
            what: special_kind(&meta.file_type()),
        });
    }
    let file = File::open(path).map_err(|e| Error::read(path, e))?;
    let len = file.metadata().map_err(|e| Error::read(path, e))?.len();
    Ok((file, len))
}

/// Stream the regular file at `path` through `consume` in chunks; returns its size.
pub fn stream_file(path: &Path, consume: impl FnMut(&[u8])) -> Result<u64, Error> {
    let (file, len) = open_regular(path)?;
    stream_open(path, &file, len, consume)
}

/// Stream an already opened file whose length was `len` when opened. A file that grows or shrinks
/// while it is read is an error: no digest or verdict about it could be trusted.
pub fn stream_open(
    path: &Path,
    mut file: &File,
    len: u64,
    mut consume: impl FnMut(&[u8]),
) -> Result<u64, Error> {
    let mut buf = vec![0u8; CHUNK.min(usize::try_from(len).unwrap_or(CHUNK).max(1))];
    let mut total = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::read(path, e)),
        };
        total += n as u64;
        if total > len {
            return Err(Error::Changed {
                path: path.to_path_buf(),
            });
        }
        consume(&buf[..n]);
    }
    let now = file.metadata().map_err(|e| Error::read(path, e))?.len();
    if total != len || now != len {
        return Err(Error::Changed {
            path: path.to_path_buf(),
        });
    }
    Ok(total)
}

/// Read an already opened file whose length was `len` when opened, whole, straight into one
/// buffer of that size (no staging buffer, no copy), usually in one system call. Like
/// [`stream_open`], a file that grows or shrinks while it is read is an error.
pub fn read_whole(path: &Path, file: &File, len: u64) -> Result<Vec<u8>, Error> {
    let changed = || Error::Changed {
        path: path.to_path_buf(),
    };
    let size = usize::try_from(len).map_err(|_| changed())?;
    // Asking for one byte more than expected: a read of a regular file falls short only at its
    // end, so one system call usually reads the whole file and shows that it did not grow (a
    // probe read after it would double the calls on a tree of small files).
    let mut bytes = vec![0u8; size.checked_add(1).ok_or_else(changed)?];
    let mut got = 0;
    loop {
        match (&mut &*file).read(&mut bytes[got..]) {
            Ok(0) => break,
            Ok(n) => {
                got += n;
                if got > size {
                    return Err(changed());
                }
                if got == size {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::read(path, e)),
        }
    }
    if got != size {
        return Err(changed());
    }
    bytes.truncate(size);
    Ok(bytes)
}

/// Say what a non-ELF file looks like, from its first bytes: "a shell script", "empty", ….
pub fn describe_non_elf(head: &[u8]) -> String {
    let what = match head {
        [] => "empty",
        [b'#', b'!', ..] => return describe_script(head),
        [b'!', b'<', b'a', b'r', b'c', b'h', b'>', ..] => {
            "an ar archive (a static library?), not a linked program"
        }
        [0x1f, 0x8b, ..] => "gzip-compressed data",
        [b'P', b'K', 3, 4, ..] => "a zip archive",
        // A bzImage starts with "MZ" too (its EFI stub); its setup header says "HdrS" at 0x202.
        _ if head.get(0x202..0x206) == Some(b"HdrS") => {
            "a Linux kernel image (bzImage); the kernel runs programs, check those"
        }
        [b'M', b'Z', ..] => "a Windows (PE) executable",
        [0xfe, 0xed, 0xfa, ..] | [0xcf, 0xfa, 0xed, 0xfe, ..] | [0xca, 0xfe, 0xba, 0xbe, ..] => {
            "a Mach-O (macOS) binary"
        }
        [0, b'a', b's', b'm', ..] => "a WebAssembly module",
        _ if head.iter().all(|&b| {
            b == b'\n' || b == b'\t' || b == b'\r' || (0x20..0x7f).contains(&b) || b >= 0x80
        }) =>
        {
            "a text file"
        }
        _ => "data of an unknown format",
    };
    what.to_string()
}

fn describe_script(head: &[u8]) -> String {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(&line[2..]);
    let mut words = line.split_whitespace();
    let interp = words.next().unwrap_or("");
    let name = interp.rsplit('/').next().unwrap_or(interp);
    let name = if name == "env" {
        words.next().unwrap_or(name)
    } else {
        name
    };
    match name {
        "sh" | "bash" | "dash" | "zsh" | "ksh" => "a shell script".to_string(),
        "" => "a script".to_string(),
        other => format!("a {other} script"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_common_non_elf_files() {
        assert_eq!(describe_non_elf(b"#!/bin/sh\necho hi\n"), "a shell script");
        assert_eq!(
            describe_non_elf(b"#!/usr/bin/env python3\n"),
            "a python3 script"
        );
        assert_eq!(describe_non_elf(b""), "empty");
        assert_eq!(describe_non_elf(b"hello world\n"), "a text file");
        assert_eq!(describe_non_elf(&[0, 1, 2, 3]), "data of an unknown format");
    }

    use std::os::unix::fs::symlink;

    #[test]
    fn describes_other_formats_by_their_magic() {
        assert_eq!(
            describe_non_elf(b"!<arch>\nx"),
            "an ar archive (a static library?), not a linked program"
        );
        assert_eq!(describe_non_elf(&[0x1f, 0x8b, 8]), "gzip-compressed data");
        assert_eq!(describe_non_elf(b"PK\x03\x04"), "a zip archive");
        assert_eq!(describe_non_elf(b"MZ\x90\0"), "a Windows (PE) executable");
        let mut bz = b"MZ".to_vec();
        bz.resize(0x202, 0);
        bz.extend_from_slice(b"HdrS");
        assert!(describe_non_elf(&bz).starts_with("a Linux kernel image"));
        assert_eq!(
            describe_non_elf(&[0xcf, 0xfa, 0xed, 0xfe]),
            "a Mach-O (macOS) binary"
        );
        assert_eq!(describe_non_elf(b"\0asm\x01\0\0\0"), "a WebAssembly module");
        assert_eq!(describe_non_elf("näive\n".as_bytes()), "a text file");
        assert_eq!(describe_non_elf(b"#!"), "a script");
        assert_eq!(describe_non_elf(b"#! /bin/bash -e\n"), "a shell script");
        assert_eq!(
            describe_non_elf(b"#!/usr/bin/env  perl -w\n"),
            "a perl script"
        );
    }

    #[test]
    fn paths_expand_to_files_in_sorted_order_skipping_links_and_specials() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("t/sub")).unwrap();
        fs::write(d.join("t/b"), "").unwrap();
        fs::write(d.join("t/sub/a"), "").unwrap();
        fs::write(d.join("t/A"), "").unwrap();
        symlink("b", d.join("t/link")).unwrap();
        let _sock = std::os::unix::net::UnixListener::bind(d.join("t/sock")).unwrap();
        fs::write(d.join("f"), "").unwrap();
        symlink("f", d.join("named-link")).unwrap();
        let paths = ["t", "f", "named-link", "missing", "t/sock"].map(|p| d.join(p));
        let shown: Vec<String> = expand(&paths)
            .into_iter()
            .map(|item| match item {
                Item::File { path, explicit } => {
                    let rel = path.strip_prefix(d).unwrap().display().to_string();
                    format!("file {rel} {explicit}")
                }
                Item::Skipped { path, reason } => {
                    let rel = path.strip_prefix(d).unwrap().display().to_string();
                    format!("skip {rel} {reason:?}")
                }
                Item::Failed { error, explicit } => {
                    let kind = match error {
                        Error::Read { .. } => "read",
                        Error::NotRegular { what, .. } => what,
                        _ => "other",
                    };
                    format!("fail {kind} {explicit}")
                }
            })
            .collect();
        assert_eq!(
            shown,
            [
                "file t/A false",
                "file t/b false",
                "skip t/link Symlink",
                "skip t/sock Special",
                "file t/sub/a false",
                "file f true",
                "file named-link true",
                "fail read true",
                "fail a socket true",
            ]
        );
    }

    #[test]
    fn a_file_whose_length_is_not_what_was_opened_is_changed() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        fs::write(&f, "hello").unwrap();
        for len in [4, 6] {
            let file = File::open(&f).unwrap();
            let streamed = stream_open(&f, &file, len, |_| {});
            assert!(matches!(streamed, Err(Error::Changed { .. })), "{len}");
            let file = File::open(&f).unwrap();
            assert!(matches!(
                read_whole(&f, &file, len),
                Err(Error::Changed { .. })
            ));
        }
        let file = File::open(&f).unwrap();
        assert_eq!(read_whole(&f, &file, 5).unwrap(), b"hello");
        let mut seen = Vec::new();
        assert_eq!(stream_file(&f, |c| seen.extend_from_slice(c)).unwrap(), 5);
        assert_eq!(seen, b"hello");
        // An empty file streams nothing; a directory is not a file.
        fs::write(&f, "").unwrap();
        assert_eq!(stream_file(&f, |_| panic!("no bytes")).unwrap(), 0);
        let e = open_regular(dir.path()).unwrap_err();
        assert!(
            matches!(
                e,
                Error::NotRegular {
                    what: "a directory",
                    ..
                }
            ),
            "{e}"
        );
    }
}
