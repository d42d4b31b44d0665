//! Facts about one file for comparison: its regions (the ELF sections, or the whole file when it
//! is not ELF), each with size, SHA-256 and byte histogram. Files are read in bounded chunks; only
//! the section header table is held in memory.

use std::collections::HashMap;
use std::path::Path;

use crate::Error;
use crate::digest::Hasher;
use crate::elf::{self, ReadAt};
use crate::input::{Content, Open};

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
    /// How the section is compressed (`SHF_COMPRESSED` or a GNU `.zdebug_` section), if it is.
    pub compressed: Option<Compressed>,
}

/// A compressed section: its compressor and where the compressed stream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compressed {
    /// `ELFCOMPRESS_ZLIB` or `ELFCOMPRESS_ZSTD` (or zlib for `.zdebug_`).
    pub zstd: bool,
    /// Bytes of header before the stream.
    pub header: u64,
    /// The size its header says it expands to.
    pub size: u64,
}

/// Decompressed bytes of one compressed section held for string analysis (both sides: twice).
pub const MAX_EXPANDED: u64 = 32 << 20;

/// `sh_flags` bit of a section whose bytes start with a compression header.
const SHF_COMPRESSED: u64 = 0x800;
const ELFCOMPRESS_ZLIB: u32 = 1;
const ELFCOMPRESS_ZSTD: u32 = 2;

/// An open file (or bytes in memory) and its regions.
pub struct FileFacts {
    /// The open file, for later reads of differing regions.
    pub open: Open,
    /// Its length when opened.
    pub len: u64,
    /// Whether it is an ELF file with a section header table.
    pub is_elf: bool,
    /// Its ELF `e_machine` (0 when it is not ELF).
    pub e_machine: u16,
    /// The sections in file order, or one `(file)` region.
    pub regions: Vec<Region>,
    /// Region index by name (object files can have thousands of sections).
    by_name: HashMap<String, usize>,
}

impl FileFacts {
    /// Positioned reads on the file.
    pub fn source(&self) -> &Open {
        &self.open
    }

    /// The region called `name`.
    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.get(*self.by_name.get(name)?)
    }
}

/// Read the regions of `content`. A file that is not ELF, or whose ELF structure is broken (even
/// one that makes the parser panic), is compared as one plain region.
pub fn read(content: &Content) -> Result<FileFacts, Error> {
    let path = content.path();
    let open = content.open()?;
    let (src, len) = (&open, open.len());
    let inspected = std::panic::catch_unwind(|| elf::inspect(&src));
    let (sections, class64, little, e_machine) = match inspected {
        Ok(Ok(facts)) if !facts.sections.is_empty() => (
            Some(facts.sections),
            facts.class == 64,
            facts.little_endian,
            facts.e_machine,
        ),
        _ => (None, true, true, 0),
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
                let mut region = measure(path, &src, name, s.offset, size, in_file)?;
                if in_file {
                    region.compressed = compression(&src, s, class64, little);
                }
                regions.push(region);
            }
        }
        None => regions.push(measure(path, &src, "(file)".to_string(), 0, len, true)?),
    }
    if open.size_now(path)? != len {
        return Err(Error::Changed {
            path: path.to_path_buf(),
        });
    }
    let by_name = (regions.iter().enumerate())
        .map(|(i, r)| (r.name.clone(), i))
        .collect();
    Ok(FileFacts {
        open,
        len,
        is_elf,
        e_machine,
        regions,
        by_name,
    })
}

/// Open `content` without reading its bytes: one `(file)` region without digest or byte counts,
/// for a container that is compared member by member.
pub fn unscanned(content: &Content) -> Result<FileFacts, Error> {
    let open = content.open()?;
    let len = open.len();
    let region = Region {
        name: "(file)".to_string(),
        offset: 0,
        size: len,
        sha256: None,
        histogram: Box::new([0u64; 256]),
        compressed: None,
    };
    Ok(FileFacts {
        open,
        len,
        is_elf: false,
        e_machine: 0,
        by_name: HashMap::from([(region.name.clone(), 0)]),
        regions: vec![region],
    })
}

fn measure(
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
        compressed: None,
    })
}

/// The compression header of section `s`, when it has one: `SHF_COMPRESSED` (an `Elf32_Chdr` /
/// `Elf64_Chdr`) or a GNU `.zdebug_*` section (`ZLIB` and a big-endian 64-bit size).
fn compression(
    src: &dyn ReadAt,
    s: &elf::Section,
    class64: bool,
    little: bool,
) -> Option<Compressed> {
    if s.flags & SHF_COMPRESSED != 0 {
        let len = if class64 { 24 } else { 12 };
        let h = src.read_at(s.offset, len).ok()?;
        let u32_at = |i: usize| {
            let b: [u8; 4] = h[i..i + 4].try_into().ok()?;
            Some(if little {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            })
        };
        let u64_at = |i: usize| {
            let b: [u8; 8] = h[i..i + 8].try_into().ok()?;
            Some(if little {
                u64::from_le_bytes(b)
            } else {
                u64::from_be_bytes(b)
            })
        };
        let kind = u32_at(0)?;
        let size = if class64 {
            u64_at(8)?
        } else {
            u64::from(u32_at(4)?)
        };
        let zstd = match kind {
            ELFCOMPRESS_ZLIB => false,
            ELFCOMPRESS_ZSTD => true,
            _ => return None,
        };
        return Some(Compressed {
            zstd,
            header: len,
            size,
        });
    }
    if s.name.starts_with(".zdebug_") {
        let h = src.read_at(s.offset, 12).ok()?;
        if &h[..4] == b"ZLIB" {
            let size = u64::from_be_bytes(h[4..12].try_into().ok()?);
            return Some(Compressed {
                zstd: false,
                header: 12,
                size,
            });
        }
    }
    None
}

/// The decompressed bytes of a compressed region, at most `max` of them (the rest is cut: the
/// caller notes that the region was too large). `None` when the stream is damaged.
pub fn expand(src: &dyn ReadAt, r: &Region, max: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let c = r.compressed?;
    let raw = src
        .read_at(r.offset + c.header, r.size.checked_sub(c.header)?)
        .ok()?;
    let reader: Box<dyn Read + '_> = if c.zstd {
        Box::new(ruzstd::decoding::StreamingDecoder::new(raw.as_slice()).ok()?)
    } else {
        Box::new(flate2::read::ZlibDecoder::new(raw.as_slice()))
    };
    // The header's size bounds the output too: a stream that claims little and gives much stops.
    let mut out = Vec::with_capacity(c.size.min(max).min(1 << 20) as usize);
    reader.take(c.size.min(max)).read_to_end(&mut out).ok()?;
    Some(out)
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
