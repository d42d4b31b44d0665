//! The dynamic segment (`PT_DYNAMIC`), read through the program headers only.
//!
//! String-valued entries (`DT_NEEDED`, `DT_RPATH`, `DT_RUNPATH`, `DT_SONAME`) are resolved through
//! `DT_STRTAB`, whose virtual address is mapped to a file offset through the `PT_LOAD` segments —
//! exactly what the dynamic loader does — so missing or lying section headers change nothing.

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::dynamic as dt;
use goblin::elf::program_header::ProgramHeader;

use super::source::{MAX_NAME, MAX_STRUCTURE, Names, ReadAt, c_string, unreadable};
use super::{InspectError, MAX_LISTED, Segment, malformed};

/// What the dynamic segment says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DynamicFacts {
    /// `DT_NEEDED` libraries, in order; an unresolvable name appears as `<unresolvable>`. At most
    /// [`MAX_LISTED`] are kept; `needed_count` counts them all.
    pub needed: Vec<String>,
    /// How many `DT_NEEDED` entries there are.
    pub needed_count: usize,
    /// `DT_RPATH` entries (colon-separated lists, as stored).
    pub rpath: Vec<String>,
    /// `DT_RUNPATH` entries.
    pub runpath: Vec<String>,
    /// `DT_SONAME`.
    pub soname: Option<String>,
    /// `DT_FLAGS`.
    pub flags: u64,
    /// `DT_FLAGS_1`.
    pub flags_1: u64,
    /// Whether `DT_TEXTREL` is present (text relocations).
    pub textrel: bool,
    /// Whether the dynamic string table names musl's loader entry points (`__dls3`): the file is
    /// musl's `libc.so`, which is also its dynamic loader (`ld-musl-*.so.1` links to it).
    pub musl_loader: bool,
    /// Whether the dynamic symbols name `__stack_chk_fail` (code built with a stack protector).
    pub stack_chk: bool,
    /// Fortified functions (`__memcpy_chk`, `__printf_chk`…) among the dynamic symbols: code
    /// built with `_FORTIFY_SOURCE`. At most a few are kept.
    pub fortified: Vec<String>,
}

/// How many fortified function names are kept as evidence.
const FORTIFIED_KEPT: usize = 4;

/// Placeholder for a string-valued entry whose string cannot be found.
pub const UNRESOLVABLE: &str = "<unresolvable>";

pub(super) fn read(
    src: &dyn ReadAt,
    phdr: &ProgramHeader,
    loads: &[Segment],
    ctx: Ctx,
    names: &mut Names,
) -> Result<DynamicFacts, InspectError> {
    let bytes = src.read_at(phdr.p_offset, phdr.p_filesz).map_err(|_| {
        malformed(unreadable(
            "its dynamic segment (PT_DYNAMIC)",
            phdr.p_offset,
            phdr.p_filesz,
            src.len(),
        ))
    })?;
    let word = if ctx.container == Container::Big {
        8
    } else {
        4
    };
    let le = ctx.le == Endian::Little;
    let read_word = |b: &[u8]| -> u64 {
        if word == 8 {
            let a: [u8; 8] = b.try_into().unwrap_or_default();
            if le {
                u64::from_le_bytes(a)
            } else {
                u64::from_be_bytes(a)
            }
        } else {
            let a: [u8; 4] = b.try_into().unwrap_or_default();
            u64::from(if le {
                u32::from_le_bytes(a)
            } else {
                u32::from_be_bytes(a)
            })
        }
    };

    let mut entries = Vec::new();
    for entry in bytes.chunks_exact(2 * word) {
        let tag = read_word(&entry[..word]);
        let val = read_word(&entry[word..]);
        if tag == dt::DT_NULL {
            break;
        }
        entries.push((tag, val));
    }

    let find = |tag: u64| entries.iter().find(|(t, _)| *t == tag).map(|(_, v)| *v);
    let strtab = match find(dt::DT_STRTAB) {
        Some(addr) => read_strtab(src, loads, addr, find(dt::DT_STRSZ)),
        None => None,
    };
    // The string table is read once; each name kept is cut and charged to the file's budget.
    let mut string = |offset: u64| -> String {
        strtab
            .as_deref()
            .and_then(|tab| {
                let start = usize::try_from(offset).ok()?;
                let name = c_string(tab.get(start..)?, MAX_NAME + 1)?;
                Some(names.keep(name))
            })
            .unwrap_or_else(|| UNRESOLVABLE.to_string())
    };
    let mut push = |list: &mut Vec<String>, val: u64, one: bool| {
        if list.len() < if one { 1 } else { MAX_LISTED } {
            list.push(string(val));
        }
    };
    let mut soname = Vec::new();

    let mut facts = DynamicFacts::default();
    for &(tag, val) in &entries {
        match tag {
            dt::DT_NEEDED => {
                facts.needed_count += 1;
                push(&mut facts.needed, val, false);
            }
            dt::DT_RPATH => push(&mut facts.rpath, val, false),
            dt::DT_RUNPATH => push(&mut facts.runpath, val, false),
            dt::DT_SONAME => push(&mut soname, val, true),
            dt::DT_FLAGS => facts.flags |= val,
            dt::DT_FLAGS_1 => facts.flags_1 |= val,
            dt::DT_TEXTREL => facts.textrel = true,
            _ => {}
        }
    }
    facts.soname = soname.pop();
    let tab = strtab.as_deref().unwrap_or_default();
    facts.musl_loader = memchr::memmem::find(tab, b"\0__dls3\0").is_some();
    facts.stack_chk = tab.split(|&b| b == 0).any(|n| n == b"__stack_chk_fail");
    facts.fortified = fortified(tab);
    Ok(facts)
}

/// The fortified functions (`__memcpy_chk`, `__printf_chk`…, not `__stack_chk_*`) named in a
/// string table, at most [`FORTIFIED_KEPT`] of them. glibc's internal aliases (`___printf_chk`)
/// stand for the public names, which the linker stores as their tails (string-table suffix
/// sharing), so they are read as the public name.
pub(super) fn fortified(tab: &[u8]) -> Vec<String> {
    let mut names: Vec<&[u8]> = Vec::new();
    for n in tab.split(|&b| b == 0) {
        let n = n
            .strip_prefix(b"_")
            .filter(|r| r.starts_with(b"__"))
            .unwrap_or(n);
        if n.starts_with(b"__")
            && n.ends_with(b"_chk")
            && !n.starts_with(b"__stack_chk")
            && !names.contains(&n)
        {
            names.push(n);
            if names.len() == FORTIFIED_KEPT {
                break;
            }
        }
    }
    names
        .into_iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect()
}

/// The dynamic string table: `DT_STRTAB` mapped through `PT_LOAD` (by file size), bounded by
/// `DT_STRSZ` and the segment. `None` when it maps to no file bytes.
fn read_strtab(
    src: &dyn ReadAt,
    loads: &[Segment],
    addr: u64,
    size: Option<u64>,
) -> Option<Vec<u8>> {
    let seg = loads.iter().find(|s| s.file_offset_of(addr).is_some())?;
    let offset = seg.file_offset_of(addr)?;
    let available = seg.offset + seg.filesz - offset;
    let len = size.unwrap_or(available).min(available).min(MAX_STRUCTURE);
    src.read_at(offset, len).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortified_names_read_glibc_aliases_as_the_public_name() {
        let tab = b"\0___printf_chk\0__strcpy_chk\0__stack_chk_fail\0__printf_chk\0memcpy\0";
        assert_eq!(fortified(tab), ["__printf_chk", "__strcpy_chk"]);
        let many = b"\0__a_chk\0__b_chk\0__c_chk\0__d_chk\0__e_chk\0";
        assert_eq!(fortified(many).len(), FORTIFIED_KEPT);
    }
}
