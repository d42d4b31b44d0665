//! The section header table: names, file ranges and types, for attribution and comparison only.

use goblin::container::Ctx;
use goblin::elf::header::Header;
use goblin::elf::section_header::{SHT_NOBITS, SHT_SYMTAB, SectionHeader};
use goblin::elf::sym::Sym;

use super::Segment;
use super::source::{MAX_STRUCTURE, Names, ReadAt, c_string, unreadable};
use super::symbols::StackChk;
use super::{InspectError, malformed};

/// One section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Its name (`.text`, `.rodata`, …); empty when the name table is unreadable.
    pub name: String,
    /// `sh_type`.
    pub kind: u32,
    /// File offset.
    pub offset: u64,
    /// Size in bytes (in the file, unless `SHT_NOBITS`).
    pub size: u64,
    /// Alignment.
    pub align: u64,
    /// `sh_flags` (e.g. `SHF_COMPRESSED`, 0x800).
    pub flags: u64,
}

impl Section {
    /// Whether the section has bytes in the file.
    pub fn occupies_file(&self) -> bool {
        self.kind != SHT_NOBITS && self.kind != 0 && self.size > 0
    }
}

/// What an unstripped file's symbol table says.
#[derive(Debug, Clone, Default)]
pub(super) struct SymtabFacts {
    /// The fortified functions (`__*_chk`) it names.
    pub(super) fortified: Vec<String>,
    /// `__stack_chk_fail` and its callers.
    pub(super) stack_chk: StackChk,
}

/// Section names longer than this are cut: real ones are short, and every header naming one long
/// string would otherwise copy it.
const MAX_SECTION_NAME: usize = 256;

/// Read the section headers and their names. A file without a table gives an empty list; a table
/// that lies past the end of the file means the file is truncated.
/// Section 0, which holds the real counts under extended numbering; `None` when there is no
/// section header table or it cannot be read.
pub(super) fn zeroth(src: &dyn ReadAt, hdr: &Header, ctx: Ctx) -> Option<SectionHeader> {
    let entsize = SectionHeader::size(ctx) as u64;
    if hdr.e_shoff == 0 || u64::from(hdr.e_shentsize) != entsize {
        return None;
    }
    let first = src.read_at(hdr.e_shoff, entsize).ok()?;
    SectionHeader::parse_from(&first, 0, 1, ctx)
        .ok()?
        .into_iter()
        .next()
}

pub(super) fn read(
    src: &dyn ReadAt,
    hdr: &Header,
    ctx: Ctx,
    loads: &[Segment],
    kept: &mut Names,
) -> Result<(Vec<Section>, Option<SymtabFacts>), InspectError> {
    if hdr.e_shoff == 0 {
        return Ok((Vec::new(), None));
    }
    let entsize = SectionHeader::size(ctx) as u64;
    if u64::from(hdr.e_shentsize) != entsize {
        return Err(malformed(format!(
            "its section header entries are {} bytes, not the {entsize} its class requires",
            hdr.e_shentsize
        )));
    }
    let past_end = || {
        malformed(format!(
            "its section header table (offset {:#x}) lies past the end of the file ({} bytes): the file is truncated",
            hdr.e_shoff,
            src.len()
        ))
    };
    let first = src.read_at(hdr.e_shoff, entsize).map_err(|_| past_end())?;
    let zeroth = SectionHeader::parse_from(&first, 0, 1, ctx).map_err(|_| past_end())?;
    // Extended numbering: with 0xff00 or more sections, e_shnum is 0 and section 0 holds the count.
    let count = match hdr.e_shnum {
        0 => zeroth.first().map_or(0, |s| s.sh_size),
        n => u64::from(n),
    };
    let table_len = count.saturating_mul(entsize);
    let table = src.read_at(hdr.e_shoff, table_len).map_err(|_| {
        malformed(unreadable(
            &format!("its section header table ({count} entries)"),
            hdr.e_shoff,
            table_len,
            src.len(),
        ))
    })?;
    let headers = SectionHeader::parse_from(&table, 0, count as usize, ctx)
        .map_err(|e| malformed(format!("its section header table cannot be parsed ({e})")))?;

    let shstrndx = match u32::from(hdr.e_shstrndx) {
        0xffff => zeroth.first().map_or(0, |s| s.sh_link),
        n => n,
    };
    let names = headers
        .get(shstrndx as usize)
        .filter(|s| s.sh_type != SHT_NOBITS)
        .and_then(|s| src.read_at(s.sh_offset, s.sh_size.min(MAX_STRUCTURE)).ok())
        .unwrap_or_default();
    let mut name_at = |offset: usize| -> String {
        names
            .get(offset..)
            .and_then(|rest| c_string(rest, MAX_SECTION_NAME))
            .map(|n| kept.keep(n))
            .unwrap_or_default()
    };

    // The symbol table and its names (its linked string table): the fortified functions and the
    // stack protector, nothing else.
    let symtab = headers.iter().find(|s| s.sh_type == SHT_SYMTAB).map(|sym| {
        let strtab = headers
            .get(sym.sh_link as usize)
            .filter(|s| s.sh_type != SHT_NOBITS)
            .and_then(|s| src.read_at(s.sh_offset, s.sh_size.min(MAX_STRUCTURE)).ok())
            .unwrap_or_default();
        let entsize = Sym::size(ctx.container) as u64;
        let count = (sym.sh_size / entsize).min(MAX_STRUCTURE / entsize);
        let stack_chk = src
            .read_at(sym.sh_offset, count * entsize)
            .map(|syms| {
                super::symbols::stack_chk(
                    src,
                    &syms,
                    count as usize,
                    &strtab,
                    ctx,
                    hdr.e_machine,
                    loads,
                )
            })
            .unwrap_or_default();
        SymtabFacts {
            fortified: super::dynamic::fortified(&strtab),
            stack_chk,
        }
    });
    let sections = headers
        .iter()
        .map(|s| Section {
            name: name_at(s.sh_name),
            kind: s.sh_type,
            offset: s.sh_offset,
            size: s.sh_size,
            align: s.sh_addralign,
            flags: s.sh_flags,
        })
        .collect();
    Ok((sections, symtab))
}
