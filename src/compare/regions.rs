//! Facts about one file for comparison: its regions (the ELF sections, or the whole file when it
//! is not ELF), each with size, SHA-256 and byte histogram. Files are read in bounded chunks; only
//! the section header table is held in memory.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use crate::Error;
use crate::digest::Hasher;
use crate::elf::{self, FileSource, ReadAt};
use crate::input;

/// Bytes read per positioned read.
pub const CHUNK: u64 = 1 << 20;

/// One region of a file.
#[derive(Debug, Clone)]
pub struct Region {
    /// The section name (made unique with `#2`, `#3`… when repeated), or `(file)`.
    pub name: String,
    /// File offset.
    pub offset: u64,
    /// Bytes in the file (0 for `SHT_NOBITS`).
    pub size: u64,
    /// SHA-256 of those bytes; `None` when the section has no bytes in the file.
    pub sha256: Option<String>,
    /// How often each byte value occurs: equal histograms with different bytes mean reordering.
    pub histogram: Box<[u64; 256]>,
}

/// An open file and its regions.
pub struct FileFacts {
    /// The open file, for later reads of differing regions.
    pub file: File,
    /// Its length when opened.
    pub len: u64,
    /// Whether it is an ELF file with a section header table.
    pub is_elf: bool,
    /// The sections in file order, or one `(file)` region.
    pub regions: Vec<Region>,
    /// Region index by name (object files can have thousands of sections).
    by_name: HashMap<String, usize>,
}

impl FileFacts {
    /// Positioned reads on the file.
    pub fn source(&self) -> FileSource<'_> {
        FileSource::new(&self.file, self.len)
    }

    /// The region called `name`.
    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.get(*self.by_name.get(name)?)
    }
}

/// Read the regions of `path`. A file that is not ELF, or whose ELF structure is broken (even
/// one that makes the parser panic), is compared as one plain region.
pub fn read(path: &Path) -> Result<FileFacts, Error> {
    let (file, len) = input::open_regular(path)?;
    let src = FileSource::new(&file, len);
    let inspected = std::panic::catch_unwind(|| elf::inspect(&src));
    let sections = match inspected {
        Ok(Ok(facts)) if !facts.sections.is_empty() => Some(facts.sections),
        _ => None,
    };
    let mut regions = Vec::new();
    let is_elf = sections.is_some();
    match sections {
        Some(sections) => {
            let mut seen = HashMap::<String, usize>::new();
            for s in sections
                .iter()
                .filter(|s| s.kind != 0 || !s.name.is_empty())
            {
                let n = seen.entry(s.name.clone()).or_default();
                *n += 1;
                let name = if *n == 1 {
                    s.name.clone()
                } else {
                    format!("{}#{n}", s.name)
                };
                let in_file =
                    s.occupies_file() && s.offset.checked_add(s.size).is_some_and(|end| end <= len);
                let size = if in_file { s.size } else { 0 };
                regions.push(scan(path, &src, name, s.offset, size, in_file)?);
            }
        }
        None => regions.push(scan(path, &src, "(file)".to_string(), 0, len, true)?),
    }
    let now = file.metadata().map_err(|e| Error::read(path, e))?.len();
    if now != len {
        return Err(Error::Changed {
            path: path.to_path_buf(),
        });
    }
    let by_name = (regions.iter().enumerate())
        .map(|(i, r)| (r.name.clone(), i))
        .collect();
    Ok(FileFacts {
        file,
        len,
        is_elf,
        regions,
        by_name,
    })
}

/// Open `path` without reading its bytes: one `(file)` region without digest or byte counts,
/// for a container that is compared member by member.
pub fn unscanned(path: &Path) -> Result<FileFacts, Error> {
    let (file, len) = input::open_regular(path)?;
    let region = Region {
        name: "(file)".to_string(),
        offset: 0,
        size: len,
        sha256: None,
        histogram: Box::new([0u64; 256]),
    };
    Ok(FileFacts {
        file,
        len,
        is_elf: false,
        by_name: HashMap::from([(region.name.clone(), 0)]),
        regions: vec![region],
    })
}

fn scan(
    path: &Path,
    src: &dyn ReadAt,
    name: String,
    offset: u64,
    size: u64,
    in_file: bool,
) -> Result<Region, Error> {
    let mut histogram = Box::new([0u64; 256]);
    let mut hasher = Hasher::new();
    for_each_chunk(path, src, offset, size, |chunk| {
        hasher.update(chunk);
        for &b in chunk {
            histogram[usize::from(b)] += 1;
        }
    })?;
    let sha256 = in_file.then(|| hasher.finish_hex());
    Ok(Region {
        name,
        offset,
        size,
        sha256,
        histogram,
    })
}

/// Call `f` on the bytes `offset..offset + size` of `src`, [`CHUNK`] bytes at a time.
pub fn for_each_chunk(
    path: &Path,
    src: &dyn ReadAt,
    offset: u64,
    size: u64,
    mut f: impl FnMut(&[u8]),
) -> Result<(), Error> {
    let mut done = 0;
    while done < size {
        let n = CHUNK.min(size - done);
        let chunk = src.read_at(offset + done, n).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::Changed {
                    path: path.to_path_buf(),
                }
            } else {
                Error::read(path, e)
            }
        })?;
        f(&chunk);
        done += n;
    }
    Ok(())
}

/// The offset of the first byte that differs between `a` and `b` (the shorter length when one is
/// a prefix of the other), or `None` when they are equal.
pub fn first_difference(path: &Path, a: &dyn ReadAt, b: &dyn ReadAt) -> Result<Option<u64>, Error> {
    let common = a.len().min(b.len());
    let mut at = 0;
    while at < common {
        let n = CHUNK.min(common - at);
        let read = |src: &dyn ReadAt| src.read_at(at, n).map_err(|e| Error::read(path, e));
        let (x, y) = (read(a)?, read(b)?);
        if let Some(i) = x.iter().zip(&y).position(|(p, q)| p != q) {
            return Ok(Some(at + i as u64));
        }
        at += n;
    }
    Ok((a.len() != b.len()).then_some(common))
}
