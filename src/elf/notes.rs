//! ELF notes: the GNU build-id, the GNU ABI tag (glibc start files), and Go's build-id.
//!
//! Notes are read from `PT_NOTE` segments, falling back to `SHT_NOTE` sections when a file has no
//! note segment (object files). Malformed notes end the walk of that note area; they never loop.

use goblin::elf::program_header::{PT_NOTE, ProgramHeader};

use super::sections::Section;
use super::source::ReadAt;

const NOTE_AREA_LIMIT: u64 = 1 << 20;
const NOTES_TOTAL_LIMIT: u64 = 4 << 20;
const NT_GNU_ABI_TAG: u32 = 1;
const NT_GNU_BUILD_ID: u32 = 3;
const NT_GO_BUILD_ID: u32 = 4;
const SHT_NOTE: u32 = 7;
const NT_GNU_PROPERTY_TYPE_0: u32 = 5;
const GNU_PROPERTY_X86_FEATURE_1_AND: u32 = 0xc000_0002;
const GNU_PROPERTY_AARCH64_FEATURE_1_AND: u32 = 0xc000_0000;

#[derive(Debug, Default)]
pub(super) struct NoteFacts {
    pub build_id: Option<String>,
    pub gnu_abi_tag: Option<[u32; 3]>,
    pub go_build_id: bool,
    pub x86_features: Option<u32>,
    pub aarch64_features: Option<u32>,
}

pub(super) fn read(
    src: &dyn ReadAt,
    phdrs: &[ProgramHeader],
    sections: &[Section],
    le: bool,
) -> NoteFacts {
    let mut areas: Vec<(u64, u64, u64)> = phdrs
        .iter()
        .filter(|p| p.p_type == PT_NOTE)
        .map(|p| (p.p_offset, p.p_filesz, p.p_align))
        .collect();
    if areas.is_empty() {
        areas = sections
            .iter()
            .filter(|s| s.kind == SHT_NOTE)
            .map(|s| (s.offset, s.size, s.align))
            .collect();
    }
    // Many headers may describe one area: each is read once, and all within a fixed total.
    areas.sort_unstable();
    areas.dedup();
    let mut facts = NoteFacts::default();
    let mut left = NOTES_TOTAL_LIMIT;
    for (offset, size, align) in areas {
        let size = size.min(NOTE_AREA_LIMIT).min(left);
        if size == 0 {
            break;
        }
        let Ok(bytes) = src.read_at(offset, size) else {
            continue;
        };
        left -= size;
        walk(&bytes, if align == 8 { 8 } else { 4 }, le, &mut facts);
    }
    facts
}

fn walk(bytes: &[u8], align: usize, le: bool, facts: &mut NoteFacts) {
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let pad = |n: usize| n.checked_add(align - 1).map(|v| v & !(align - 1));
    let mut at = 0usize;
    while let (Some(namesz), Some(descsz), Some(kind)) =
        (u32_at(at), u32_at(at + 4), u32_at(at + 8))
    {
        let name_start = at + 12;
        // Offsets, not sizes, are padded: with 8-byte alignment (GNU properties) the 4-byte name
        // "GNU" ends at 16, where the descriptor starts.
        let Some(desc_start) = name_start.checked_add(namesz as usize).and_then(pad) else {
            return;
        };
        let Some(next) = desc_start.checked_add(descsz as usize).and_then(pad) else {
            return;
        };
        let (Some(name), Some(desc)) = (
            bytes.get(name_start..name_start + namesz as usize),
            bytes.get(desc_start..desc_start + descsz as usize),
        ) else {
            return;
        };
        let name = name.strip_suffix(b"\0").unwrap_or(name);
        match (name, kind) {
            (b"GNU", NT_GNU_BUILD_ID) if facts.build_id.is_none() && !desc.is_empty() => {
                facts.build_id = Some(desc.iter().map(|b| format!("{b:02x}")).collect());
            }
            (b"GNU", NT_GNU_ABI_TAG) if desc.len() >= 16 => {
                let word = |i: usize| {
                    let b: [u8; 4] = desc[i..i + 4].try_into().unwrap_or_default();
                    if le {
                        u32::from_le_bytes(b)
                    } else {
                        u32::from_be_bytes(b)
                    }
                };
                facts.gnu_abi_tag = Some([word(4), word(8), word(12)]);
            }
            (b"Go", NT_GO_BUILD_ID) => facts.go_build_id = true,
            (b"GNU", NT_GNU_PROPERTY_TYPE_0) => properties(desc, align, le, facts),
            _ => {}
        }
        if next <= at {
            return;
        }
        at = next;
    }
}

/// The GNU properties (`.note.gnu.property`): an array of (type, size, data padded to the note's
/// alignment). Only the x86 and aarch64 feature bits are kept.
fn properties(desc: &[u8], align: usize, le: bool, facts: &mut NoteFacts) {
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = desc.get(at..at + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let mut at = 0usize;
    while let (Some(kind), Some(size)) = (u32_at(at), u32_at(at + 4)) {
        let data = at + 8;
        if size >= 4 {
            match kind {
                GNU_PROPERTY_X86_FEATURE_1_AND => facts.x86_features = u32_at(data),
                GNU_PROPERTY_AARCH64_FEATURE_1_AND => facts.aarch64_features = u32_at(data),
                _ => {}
            }
        }
        let Some(next) = (size as usize)
            .checked_add(align - 1)
            .map(|n| n & !(align - 1))
            .and_then(|n| data.checked_add(n))
        else {
            return;
        };
        at = next;
    }
}
