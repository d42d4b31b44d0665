//! Random access to the bytes of a file without holding the whole file in memory.
//!
//! The ELF layer reads only the small structures it needs (headers, program headers, the dynamic
//! segment and its string table, notes, section headers) through [`ReadAt`], so its memory use is
//! bounded by [`MAX_STRUCTURE`] whatever the file's size.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// The largest single structure read from a file (a string table, the section header table…).
/// Real binaries stay far below it; anything larger is treated as corrupt.
pub const MAX_STRUCTURE: u64 = 64 << 20;

/// The longest name kept from a file (a section name, a library, an interpreter path): `PATH_MAX`.
/// Longer ones are cut, with `…` at the end.
pub const MAX_NAME: usize = 4096;

/// The bytes of names kept from one file in all (section names, dynamic strings, interpreters).
/// Hostile files point thousands of entries at one long string; past this budget a name is kept
/// as [`OVER_BUDGET`], so the analysis of any file stays within a fixed memory.
pub const NAME_BUDGET: usize = 8 << 20;

/// The stand-in for a name past the [`NAME_BUDGET`].
pub const OVER_BUDGET: &str = "<name budget exhausted>";

/// Names kept from one file, within the [`NAME_BUDGET`].
#[derive(Debug)]
pub struct Names {
    left: usize,
}

impl Default for Names {
    fn default() -> Self {
        Names { left: NAME_BUDGET }
    }
}

impl Names {
    /// `bytes` as a (lossy UTF-8) name, cut at [`MAX_NAME`], or [`OVER_BUDGET`].
    pub fn keep(&mut self, bytes: &[u8]) -> String {
        let cut = bytes.len() > MAX_NAME;
        let bytes = &bytes[..bytes.len().min(MAX_NAME)];
        if bytes.len() > self.left {
            self.left = 0;
            return OVER_BUDGET.to_string();
        }
        self.left -= bytes.len();
        let mut name = String::from_utf8_lossy(bytes).into_owned();
        if cut {
            name.push('…');
        }
        name
    }
}

/// The NUL-terminated string at the start of `bytes`, looked for only within `max` bytes (a
/// hostile file points thousands of entries at one long string: each search must stay short).
/// Cut at `max` when no NUL comes by then; `None` when `bytes` end before a NUL and before `max`.
pub fn c_string(bytes: &[u8], max: usize) -> Option<&[u8]> {
    let window = &bytes[..bytes.len().min(max)];
    match memchr::memchr(0, window) {
        Some(end) => Some(&window[..end]),
        None if window.len() == max => Some(window),
        None => None,
    }
}

/// Why a structure of `len` bytes at `offset` cannot be read from a file of `file_len` bytes, as
/// a clause: it runs past the end of the file, or it is larger than [`MAX_STRUCTURE`].
pub fn unreadable(what: &str, offset: u64, len: u64, file_len: u64) -> String {
    if offset.checked_add(len).is_none_or(|end| end > file_len) {
        format!(
            "{what} (offset {offset:#x}, {len} bytes) runs past the end of the file ({file_len} bytes): the file is truncated or the size is corrupt"
        )
    } else {
        format!(
            "{what} (offset {offset:#x}) would be {len} bytes, more than the {} MiB repro-check reads for one structure: its size is corrupt",
            MAX_STRUCTURE >> 20
        )
    }
}

/// Positioned reads from something with a known length.
pub trait ReadAt {
    /// Length in bytes.
    fn len(&self) -> u64;
    /// True when there are no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Read exactly `len` bytes at `offset`; an error when the range is not inside the source.
    fn read_at(&self, offset: u64, len: u64) -> io::Result<Vec<u8>>;
}

fn out_of_range() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "range lies past the end of the file",
    )
}

fn checked_len(total: u64, offset: u64, len: u64) -> io::Result<usize> {
    let end = offset.checked_add(len).ok_or_else(out_of_range)?;
    if end > total {
        return Err(out_of_range());
    }
    if len > MAX_STRUCTURE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "structure is implausibly large",
        ));
    }
    usize::try_from(len).map_err(|_| out_of_range())
}

impl ReadAt for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, offset: u64, len: u64) -> io::Result<Vec<u8>> {
        let n = checked_len(ReadAt::len(self), offset, len)?;
        let start = offset as usize;
        Ok(self[start..start + n].to_vec())
    }
}

/// A reference reads like what it points to. This is what makes in-memory bytes usable where a
/// `&dyn ReadAt` is wanted: `[u8]` is unsized, so `&[u8]` cannot become `&dyn ReadAt`, but
/// `&&[u8]` can (`elf::inspect(&bytes)` with `bytes: &[u8]`).
impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn len(&self) -> u64 {
        (**self).len()
    }
    fn read_at(&self, offset: u64, len: u64) -> io::Result<Vec<u8>> {
        (**self).read_at(offset, len)
    }
}

/// A file together with the length it had when it was opened.
#[derive(Debug)]
pub struct FileSource<'a> {
    file: &'a File,
    len: u64,
}

impl<'a> FileSource<'a> {
    /// Wrap an open file whose length is `len`.
    pub fn new(file: &'a File, len: u64) -> Self {
        FileSource { file, len }
    }
}

impl ReadAt for FileSource<'_> {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, len: u64) -> io::Result<Vec<u8>> {
        let n = checked_len(self.len, offset, len)?;
        let mut buf = vec![0; n];
        self.file.read_exact_at(&mut buf, offset)?;
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_slices_read_in_range_only() {
        let bytes: &[u8] = b"\x7fELF and more";
        let src: &dyn ReadAt = &bytes;
        assert_eq!(src.len(), 13);
        assert_eq!(src.read_at(1, 3).unwrap(), b"ELF");
        assert!(src.read_at(10, 5).is_err());
        assert!(src.read_at(u64::MAX, 2).is_err());
    }
}
