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
mod symbols;

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{self, Header};
use goblin::elf::program_header::{self as ph, ProgramHeader};
use serde::Serialize;

pub use dynamic::DynamicFacts;
pub use sections::Section;
pub use source::{FileSource, Names, ReadAt};
pub use symbols::StackChk;

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
    /// What the symbol table says about the stack protector; `None` without a symbol table.
    pub symtab_stack_chk: Option<StackChk>,
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
    let (sections, symtab) = sections::read(src, &hdr, ctx, &loads, &mut names)?;
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
        has_symtab: symtab.is_some(),
        symtab_stack_chk: symtab.as_ref().map(|s| s.stack_chk),
        symtab_fortified: symtab.map(|s| s.fortified),
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

#[cfg(test)]
impl ElfFacts {
    /// The facts of a plain x86_64 file of `file_type` with no headers to speak of, for tests that
    /// judge facts without building a file.
    pub(crate) fn synthetic(file_type: FileType) -> Self {
        ElfFacts {
            class: 64,
            little_endian: true,
            e_machine: header::EM_X86_64,
            machine: "x86_64".into(),
            file_type,
            entry: 0x40_1000,
            interpreters: Vec::new(),
            interpreter_count: 0,
            dynamic_segments: 0,
            dynamic: None,
            loads: Vec::new(),
            exec_stack: false,
            gnu_stack: true,
            relro: false,
            x86_features: None,
            aarch64_features: None,
            build_id: None,
            gnu_abi_tag: None,
            go_build_id: false,
            sections: Vec::new(),
            has_symtab: false,
            symtab_fortified: None,
            symtab_stack_chk: None,
            upx_loader_info: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VADDR: u64 = 0x40_0000;

    /// One program header: type, flags, offset, virtual address, file size, memory size.
    type Phdr = (u32, u32, u64, u64, u64, u64);

    /// A 64-bit little-endian x86_64 ELF file: header, program headers, then `tail`.
    fn elf64(e_type: u16, entry: u64, phdrs: &[Phdr], tail: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        b.extend_from_slice(&e_type.to_le_bytes());
        b.extend_from_slice(&header::EM_X86_64.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&entry.to_le_bytes());
        b.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
        b.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
        b.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        for half in [64u16, 56, phdrs.len() as u16, 64, 0, 0] {
            b.extend_from_slice(&half.to_le_bytes());
        }
        assert_eq!(b.len(), 64);
        for &(p_type, flags, offset, vaddr, filesz, memsz) in phdrs {
            b.extend_from_slice(&p_type.to_le_bytes());
            b.extend_from_slice(&flags.to_le_bytes());
            for v in [offset, vaddr, vaddr, filesz, memsz, 0x1000] {
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        b.extend_from_slice(tail);
        b
    }

    /// The end of the header and `n` program headers: where the tail starts.
    fn tail_at(n: u64) -> u64 {
        64 + 56 * n
    }

    /// A static program: one loadable segment over the whole file, a non-executable stack.
    fn static_program(extra: &[Phdr], tail: &[u8]) -> Vec<u8> {
        let n = 2 + extra.len() as u64;
        let len = tail_at(n) + tail.len() as u64;
        let mut phdrs = vec![
            (ph::PT_LOAD, ph::PF_R | ph::PF_X, 0, VADDR, len, len),
            (ph::PT_GNU_STACK, ph::PF_R | ph::PF_W, 0, 0, 0, 0),
        ];
        phdrs.extend_from_slice(extra);
        elf64(header::ET_EXEC, VADDR + 64, &phdrs, tail)
    }

    fn reason(bytes: &[u8]) -> String {
        match inspect(&bytes) {
            Err(InspectError::Malformed(why)) => why,
            other => panic!("expected a malformed file, got {other:?}"),
        }
    }

    #[test]
    fn a_file_without_the_magic_is_not_elf() {
        assert_eq!(
            inspect(&b"#!/bin/sh\n".as_slice()).unwrap_err(),
            InspectError::NotElf
        );
        assert_eq!(
            inspect(&b"\x7fEL".as_slice()).unwrap_err(),
            InspectError::NotElf
        );
    }

    #[test]
    fn a_bare_magic_is_too_short_for_a_header() {
        assert!(reason(b"\x7fELF\x02\x01").contains("too short for an ELF header"));
    }

    #[test]
    fn a_static_program_has_no_interpreter_and_a_non_executable_stack() {
        let facts = inspect(&static_program(&[], &[]).as_slice()).unwrap();
        assert_eq!(facts.file_type, FileType::Executable);
        assert_eq!(facts.machine, "x86_64");
        assert_eq!((facts.class, facts.little_endian), (64, true));
        assert!(facts.interpreters.is_empty());
        assert_eq!(facts.interpreter_count, 0);
        assert!(facts.dynamic.is_none());
        assert_eq!(facts.loads.len(), 1);
        assert!(facts.gnu_stack && !facts.exec_stack && !facts.relro);
        assert!(!crate::check::is_pie(&facts));
        assert!(facts.upx_loader_info.is_none());
    }

    #[test]
    fn the_interpreter_path_is_read_up_to_its_nul() {
        let path = b"/lib64/ld-linux-x86-64.so.2\0junk";
        let at = tail_at(3);
        let interp = (
            ph::PT_INTERP,
            ph::PF_R,
            at,
            VADDR + at,
            path.len() as u64,
            0,
        );
        let facts = inspect(&static_program(&[interp], path).as_slice()).unwrap();
        assert_eq!(facts.interpreters, ["/lib64/ld-linux-x86-64.so.2"]);
        assert_eq!(facts.interpreter_count, 1);
    }

    #[test]
    fn an_interpreter_past_the_end_is_malformed() {
        let interp = (ph::PT_INTERP, ph::PF_R, 0x10_0000, 0, 16, 16);
        let why = reason(&static_program(&[interp], b""));
        assert!(why.contains("interpreter path (PT_INTERP)"), "{why}");
    }

    #[test]
    fn an_executable_stack_and_relro_are_seen() {
        let stack = (ph::PT_GNU_STACK, ph::PF_R | ph::PF_W | ph::PF_X, 0, 0, 0, 0);
        let relro = (ph::PT_GNU_RELRO, ph::PF_R, 0, VADDR, 0, 0);
        let facts = inspect(&static_program(&[stack, relro], b"").as_slice()).unwrap();
        assert!(facts.exec_stack && facts.relro);
    }

    #[test]
    fn an_entry_point_outside_every_segment_means_the_table_is_not_real() {
        let mut bytes = static_program(&[], b"");
        bytes[24..32].copy_from_slice(&0x90_0000u64.to_le_bytes());
        assert!(
            reason(&bytes).contains("entry point 0x900000 lies in none of its 1 loadable segments")
        );
    }

    #[test]
    fn a_pt_phdr_that_disagrees_with_the_header_is_malformed() {
        let phdr = (ph::PT_PHDR, ph::PF_R, 0x80, VADDR + 0x80, 56, 56);
        assert!(reason(&static_program(&[phdr], b"")).contains("its PT_PHDR entry says"));
    }

    #[test]
    fn a_segment_past_the_end_means_the_file_is_truncated() {
        let mut bytes = static_program(&[], b"0123456789");
        bytes.truncate(bytes.len() - 4);
        let why = reason(&bytes);
        assert!(
            why.contains("loadable segment 0") && why.contains("truncated"),
            "{why}"
        );
    }

    #[test]
    fn pn_xnum_without_a_section_zero_is_explained() {
        let mut bytes = static_program(&[], b"");
        bytes[56..58].copy_from_slice(&0xffffu16.to_le_bytes());
        assert!(reason(&bytes).contains("PN_XNUM"));
    }

    #[test]
    fn upx_loader_info_right_after_the_program_headers_is_found() {
        let facts = inspect(&static_program(&[], b"\0\0\0\0UPX!....").as_slice()).unwrap();
        assert_eq!(facts.upx_loader_info, Some(tail_at(2) + 4));
        let facts = inspect(&static_program(&[], b"\0\0\0\0UPX?....").as_slice()).unwrap();
        assert_eq!(facts.upx_loader_info, None);
    }

    #[test]
    fn a_position_independent_program_is_pie_and_a_library_is_not() {
        let mut facts = ElfFacts::synthetic(FileType::SharedObject);
        assert!(
            crate::check::is_pie(&facts),
            "ET_DYN with an entry point and no soname"
        );
        facts.dynamic = Some(DynamicFacts {
            soname: Some("libz.so.1".into()),
            ..DynamicFacts::default()
        });
        assert!(!crate::check::is_pie(&facts), "a soname makes it a library");
        facts.dynamic.as_mut().unwrap().flags_1 = DF_1_PIE;
        assert!(crate::check::is_pie(&facts), "DF_1_PIE wins");
        assert!(!crate::check::is_pie(&ElfFacts::synthetic(
            FileType::Executable
        )));
    }

    #[test]
    fn section_at_names_only_sections_with_file_bytes() {
        let mut facts = ElfFacts::synthetic(FileType::Executable);
        let section = |name: &str, kind, offset, size| Section {
            name: name.into(),
            kind,
            offset,
            size,
            align: 1,
            flags: 0,
        };
        facts.sections = vec![
            section(
                ".bss",
                goblin::elf::section_header::SHT_NOBITS,
                0x100,
                0x100,
            ),
            section(
                ".rodata",
                goblin::elf::section_header::SHT_PROGBITS,
                0x100,
                0x10,
            ),
        ];
        assert_eq!(facts.section_at(0x100), Some(".rodata"));
        assert_eq!(facts.section_at(0x10f), Some(".rodata"));
        assert_eq!(facts.section_at(0x110), None);
        assert!(!facts.has_debug_info());
    }
}
