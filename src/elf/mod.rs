//! ELF facts, read from the program headers the way the kernel and the dynamic loader read them.
//!
//! Section headers are read too (for names, symbols and debug info), but nothing that decides
//! whether a file is static depends on them: they may be missing (`sstrip`, UPX) or lie.
//! This layer only describes the file; [`crate::check`] judges it.

mod dynamic;
pub mod names;
mod notes;
mod sections;
pub mod source;

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{self, Header};
use goblin::elf::program_header::{self as ph, ProgramHeader};
use serde::Serialize;

pub use dynamic::DynamicFacts;
pub use sections::Section;
pub use source::{FileSource, Names, ReadAt};

use source::unreadable;

/// The four magic bytes every ELF file starts with.
pub const MAGIC: &[u8; 4] = b"\x7fELF";

/// The ELF file type (`e_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileType {
    /// `ET_EXEC`: a fixed-address executable.
    Executable,
    /// `ET_DYN`: a position-independent executable or a shared library.
    SharedObject,
    /// `ET_REL`: an object file (`.o`), not linked yet.
    Relocatable,
    /// `ET_CORE`: a core dump.
    Core,
    /// Anything else.
    Other,
}

/// One loadable segment (`PT_LOAD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// File offset.
    pub offset: u64,
    /// Bytes in the file.
    pub filesz: u64,
    /// Virtual address.
    pub vaddr: u64,
    /// Bytes in memory.
    pub memsz: u64,
    /// Alignment.
    pub align: u64,
}

impl Segment {
    /// The file offset of virtual address `addr`, when it lies in this segment's file bytes.
    pub fn file_offset_of(&self, addr: u64) -> Option<u64> {
        let delta = addr.checked_sub(self.vaddr)?;
        (delta < self.filesz).then(|| self.offset + delta)
    }
}

/// Everything repro-check knows about one ELF file.
#[derive(Debug, Clone)]
pub struct ElfFacts {
    /// 32 or 64.
    pub class: u8,
    /// True for little-endian.
    pub little_endian: bool,
    /// The raw `e_machine`.
    pub e_machine: u16,
    /// The machine as `uname -m` names it.
    pub machine: String,
    /// The file type.
    pub file_type: FileType,
    /// The entry point (`e_entry`).
    pub entry: u64,
    /// The `PT_INTERP` paths, in order (the kernel uses the first); lossy UTF-8, empty when empty.
    /// At most [`MAX_LISTED`] are kept; [`ElfFacts::interpreter_count`] counts them all.
    pub interpreters: Vec<String>,
    /// How many `PT_INTERP` headers there are.
    pub interpreter_count: usize,
    /// How many `PT_DYNAMIC` segments there are (more than one is malformed).
    pub dynamic_segments: usize,
    /// What the first `PT_DYNAMIC` segment says, when there is one.
    pub dynamic: Option<DynamicFacts>,
    /// The `PT_LOAD` segments.
    pub loads: Vec<Segment>,
    /// Whether a `PT_GNU_STACK` asks for an executable stack.
    pub exec_stack: bool,
    /// Whether there is a `PT_GNU_STACK` at all (without one, some kernels make the stack
    /// executable).
    pub gnu_stack: bool,
    /// Whether there is a `PT_GNU_RELRO` (relocated data made read-only after start-up).
    pub relro: bool,
    /// The x86 feature bits of the GNU property note (`GNU_PROPERTY_X86_FEATURE_1_AND`: 1 IBT,
    /// 2 SHSTK).
    pub x86_features: Option<u32>,
    /// The aarch64 feature bits of the GNU property note (1 BTI, 2 PAC).
    pub aarch64_features: Option<u32>,
    /// The GNU build-id, hex.
    pub build_id: Option<String>,
    /// The `NT_GNU_ABI_TAG` note ("for GNU/Linux x.y.z"), which glibc's start files carry.
    pub gnu_abi_tag: Option<[u32; 3]>,
    /// Whether a Go build-id note is present.
    pub go_build_id: bool,
    /// The section headers, when the file has a readable table.
    pub sections: Vec<Section>,
    /// Whether a symbol table (`SHT_SYMTAB`) is present, i.e. the file is not stripped.
    pub has_symtab: bool,
    /// The fortified functions (`__*_chk`) its symbol table names; `None` without a symbol table.
    pub symtab_fortified: Option<Vec<String>>,
    /// The file offset of UPX's loader info (`l_info`, with its `UPX!` magic), which UPX puts right
    /// after the program header table of a file it packs.
    pub upx_loader_info: Option<u64>,
}

impl ElfFacts {
    /// Whether the file carries DWARF debug information.
    pub fn has_debug_info(&self) -> bool {
        self.sections.iter().any(|s| s.name == ".debug_info")
    }

    /// The `DT_SONAME`, if any.
    pub fn soname(&self) -> Option<&str> {
        self.dynamic.as_ref()?.soname.as_deref()
    }

    /// The name of the section that holds file offset `offset`, if any.
    pub fn section_at(&self, offset: u64) -> Option<&str> {
        self.sections
            .iter()
            .find(|s| s.occupies_file() && offset >= s.offset && offset - s.offset < s.size)
            .map(|s| s.name.as_str())
    }
}

/// The most entries of one list (interpreters, libraries, search paths) kept from a file; a hostile
/// file lists tens of thousands. Counts stay exact.
pub const MAX_LISTED: usize = 256;

/// `DF_1_PIE` in `DT_FLAGS_1`.
pub const DF_1_PIE: u64 = 0x0800_0000;

/// Why a file could not be described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InspectError {
    /// It does not start with the ELF magic.
    NotElf,
    /// It does, but its structure is broken; the text says how, as a clause.
    Malformed(String),
}

fn malformed(reason: impl Into<String>) -> InspectError {
    InspectError::Malformed(reason.into())
}

/// Read the ELF facts of `src`.
pub fn inspect(src: &dyn ReadAt) -> Result<ElfFacts, InspectError> {
    let len = src.len();
    if len < 4 || src.read_at(0, 4).ok().as_deref() != Some(MAGIC.as_slice()) {
        return Err(InspectError::NotElf);
    }
    let head = src
        .read_at(0, len.min(64))
        .map_err(|e| malformed(format!("its ELF header cannot be read ({e})")))?;
    let hdr = goblin::elf::Elf::parse_header(&head).map_err(|_| {
        malformed(format!(
            "it is only {len} bytes long, too short for an ELF header"
        ))
    })?;
    let container = hdr.container().map_err(|_| {
        malformed(format!(
            "its class byte {} is neither 32- nor 64-bit",
            hdr.e_ident[4]
        ))
    })?;
    let endian = hdr
        .endianness()
        .map_err(|_| malformed(format!("its byte-order byte {} is invalid", hdr.e_ident[5])))?;
    let ctx = Ctx::new(container, endian);
    let is_64 = container == Container::Big;
    let little_endian = endian == Endian::Little;

    let phdrs = program_headers(src, &hdr, ctx)?;
    let loads: Vec<Segment> = phdrs
        .iter()
        .filter(|p| p.p_type == ph::PT_LOAD)
        .map(|p| Segment {
            offset: p.p_offset,
            filesz: p.p_filesz,
            vaddr: p.p_vaddr,
            memsz: p.p_memsz,
            align: p.p_align,
        })
        .collect();
    for (i, seg) in loads.iter().enumerate() {
        if seg
            .offset
            .checked_add(seg.filesz)
            .is_none_or(|end| end > len)
        {
            return Err(malformed(format!(
                "loadable segment {i} (offset {:#x}, {} bytes) runs past the end of the file ({len} bytes): the file is truncated",
                seg.offset, seg.filesz
            )));
        }
    }

    check_table_is_real(&hdr, &phdrs)?;

    let mut names = Names::default();
    let mut interpreters = Vec::new();
    let interps: Vec<&ProgramHeader> = phdrs.iter().filter(|p| p.p_type == ph::PT_INTERP).collect();
    for p in &interps {
        if p.p_offset
            .checked_add(p.p_filesz)
            .is_none_or(|end| end > len)
        {
            return Err(malformed(unreadable(
                "its interpreter path (PT_INTERP)",
                p.p_offset,
                p.p_filesz,
                len,
            )));
        }
    }
    for p in interps.iter().take(MAX_LISTED) {
        // Only the path up to its NUL matters, and no path is longer than MAX_NAME.
        let head = p.p_filesz.min(source::MAX_NAME as u64 + 1);
        let bytes = src.read_at(p.p_offset, head).map_err(|_| {
            malformed(unreadable(
                "its interpreter path (PT_INTERP)",
                p.p_offset,
                head,
                len,
            ))
        })?;
        let path = bytes.split(|&b| b == 0).next().unwrap_or_default();
        interpreters.push(names.keep(path));
    }

    let dynamics: Vec<&ProgramHeader> = phdrs
        .iter()
        .filter(|p| p.p_type == ph::PT_DYNAMIC)
        .collect();
    let dynamic = match dynamics.first() {
        Some(p) => Some(dynamic::read(src, p, &loads, ctx, &mut names)?),
        None => None,
    };

    let exec_stack = phdrs
        .iter()
        .any(|p| p.p_type == ph::PT_GNU_STACK && p.p_flags & ph::PF_X != 0);

    let gnu_stack = phdrs.iter().any(|p| p.p_type == ph::PT_GNU_STACK);
    let relro = phdrs.iter().any(|p| p.p_type == ph::PT_GNU_RELRO);
    let (sections, symtab_fortified) = sections::read(src, &hdr, ctx, &mut names)?;
    let upx_loader_info = (!phdrs.is_empty())
        .then(|| hdr.e_phoff + phdrs.len() as u64 * u64::from(hdr.e_phentsize) + 4)
        .filter(|&at| src.read_at(at, 4).is_ok_and(|m| m == b"UPX!"));
    let note_facts = notes::read(src, &phdrs, &sections, little_endian);

    Ok(ElfFacts {
        class: if is_64 { 64 } else { 32 },
        little_endian,
        e_machine: hdr.e_machine,
        machine: names::machine_name(hdr.e_machine, is_64, little_endian),
        file_type: match hdr.e_type {
            header::ET_EXEC => FileType::Executable,
            header::ET_DYN => FileType::SharedObject,
            header::ET_REL => FileType::Relocatable,
            header::ET_CORE => FileType::Core,
            _ => FileType::Other,
        },
        entry: hdr.e_entry,
        interpreters,
        interpreter_count: interps.len(),
        dynamic_segments: dynamics.len(),
        dynamic,
        loads,
        exec_stack,
        gnu_stack,
        relro,
        x86_features: note_facts.x86_features,
        aarch64_features: note_facts.aarch64_features,
        build_id: note_facts.build_id,
        gnu_abi_tag: note_facts.gnu_abi_tag,
        go_build_id: note_facts.go_build_id,
        sections,
        has_symtab: symtab_fortified.is_some(),
        symtab_fortified,
        upx_loader_info,
    })
}

fn program_headers(
    src: &dyn ReadAt,
    hdr: &Header,
    ctx: Ctx,
) -> Result<Vec<ProgramHeader>, InspectError> {
    if hdr.e_phnum == 0 {
        return Ok(Vec::new());
    }
    let entsize = ProgramHeader::size(ctx);
    if usize::from(hdr.e_phentsize) != entsize {
        return Err(malformed(format!(
            "its program header entries are {} bytes, not the {entsize} its class requires",
            hdr.e_phentsize
        )));
    }
    // Extended numbering (PN_XNUM): with 0xffff or more program headers, e_phnum is 0xffff and
    // section 0's sh_info holds the count (cores of processes with many mappings).
    let count = match hdr.e_phnum {
        PN_XNUM => match sections::zeroth(src, hdr, ctx) {
            Some(zeroth) => u64::from(zeroth.sh_info),
            None => {
                return Err(malformed(
                    "its program header count is 0xffff (PN_XNUM), which says the real count is in section 0, but it has no readable section 0",
                ));
            }
        },
        n => u64::from(n),
    };
    let table_len = count * entsize as u64;
    let table = src.read_at(hdr.e_phoff, table_len).map_err(|_| {
        malformed(unreadable(
            &format!("its program header table ({count} entries)"),
            hdr.e_phoff,
            table_len,
            src.len(),
        ))
    })?;
    ProgramHeader::parse(&table, 0, count as usize, ctx)
        .map_err(|e| malformed(format!("its program header table cannot be parsed ({e})")))
}

/// `e_phnum` when the real count is in section 0.
const PN_XNUM: u16 = 0xffff;

/// Reject program headers that cannot be the ones the file was linked with. A corrupt `e_phoff`
/// or `e_phnum` makes the table start in the wrong place or end early: the entries read are then
/// garbage or incomplete, typically without `PT_INTERP` and `PT_DYNAMIC`, which would make a
/// dynamic program look static. Two facts every linker guarantees catch this: a `PT_PHDR` entry
/// describes the table itself, and a program's entry point lies in one of its loadable segments.
fn check_table_is_real(hdr: &Header, phdrs: &[ProgramHeader]) -> Result<(), InspectError> {
    let table_len = phdrs.len() as u64 * u64::from(hdr.e_phentsize);
    if let Some(p) = phdrs.iter().find(|p| p.p_type == ph::PT_PHDR)
        && (p.p_offset != hdr.e_phoff || p.p_filesz != table_len)
    {
        return Err(malformed(format!(
            "its PT_PHDR entry says the program header table is {} bytes at offset {:#x}, but the ELF header says {table_len} bytes at {:#x}: one of them is corrupt",
            p.p_filesz, p.p_offset, hdr.e_phoff
        )));
    }
    // Kernel and firmware images give a physical entry point (vmlinux: e_entry 0x1000000, code at
    // 0xffffffff81000000 virtual, 0x1000000 physical), so the physical address counts too.
    let in_segment = |p: &ProgramHeader| {
        [p.p_vaddr, p.p_paddr].into_iter().any(|start| {
            hdr.e_entry
                .checked_sub(start)
                .is_some_and(|delta| delta < p.p_memsz)
        })
    };
    let loads = phdrs.iter().filter(|p| p.p_type == ph::PT_LOAD);
    let is_program = matches!(hdr.e_type, header::ET_EXEC | header::ET_DYN) && hdr.e_entry != 0;
    if is_program && !loads.clone().any(in_segment) {
        return Err(malformed(format!(
            "its entry point {:#x} lies in none of its {} loadable segments, so its program headers (offset {:#x}, {} entries) are not the ones it was linked with",
            hdr.e_entry,
            loads.count(),
            hdr.e_phoff,
            phdrs.len()
        )));
    }
    Ok(())
}
