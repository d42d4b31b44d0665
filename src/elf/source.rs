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
