//! The symbol table (`SHT_SYMTAB`) of an unstripped file: what it says about FORTIFY and the stack
//! protector. Only names and a few functions' bytes are read, each under the structure cap.

use goblin::container::Ctx;
use goblin::elf::header::{EM_386, EM_AARCH64, EM_X86_64};
use goblin::elf::sym::{STT_FUNC, Symtab};

use super::Segment;
use super::source::{MAX_NAME, MAX_STRUCTURE, ReadAt, c_string};

/// What the symbol table says about the stack protector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StackChk {
    /// Whether `__stack_chk_fail` is defined in the file: without it, no code in a static program
    /// can check its stack (a failed check has nothing to call).
    pub linked: bool,
    /// Whether `main` calls `__stack_chk_fail` (x86 and aarch64 direct calls): the program's own
    /// code, not only its C library's, was built with the stack protector.
    pub main_calls: bool,
}

/// The bytes of `main` read to look for the call; real ones are far smaller.
const MAX_MAIN: u64 = 1 << 20;

/// Read the stack-protector facts from the symbol table `syms` (`count` entries) and its string
/// table `strtab`; `loads` map `main`'s address to file bytes.
pub(super) fn stack_chk(
    src: &dyn ReadAt,
    syms: &[u8],
    count: usize,
    strtab: &[u8],
    ctx: Ctx,
    e_machine: u16,
    loads: &[Segment],
) -> StackChk {
    let Ok(table) = Symtab::parse(syms, 0, count, ctx) else {
        return StackChk::default();
    };
    let name_is = |st_name: usize, want: &[u8]| {
        strtab
            .get(st_name..)
            .and_then(|rest| c_string(rest, MAX_NAME))
            .is_some_and(|n| n == want)
    };
    let mut targets = Vec::new();
    let mut main = None;
    for sym in table.iter() {
        if sym.st_shndx == 0 || sym.st_value == 0 {
            continue;
        }
        if name_is(sym.st_name, b"__stack_chk_fail")
            || name_is(sym.st_name, b"__stack_chk_fail_local")
        {
            targets.push(sym.st_value);
        } else if sym.st_type() == STT_FUNC && main.is_none() && name_is(sym.st_name, b"main") {
            main = Some((sym.st_value, sym.st_size));
        }
    }
    let main_calls = match main {
        Some((addr, size)) if !targets.is_empty() => loads
            .iter()
            .find_map(|s| s.file_offset_of(addr))
            .and_then(|at| src.read_at(at, size.min(MAX_MAIN).min(MAX_STRUCTURE)).ok())
            .is_some_and(|code| {
                calls_any(&code, addr, &targets, e_machine, ctx.is_little_endian())
            }),
        _ => false,
    };
    StackChk {
        linked: !targets.is_empty(),
        main_calls,
    }
}

/// Whether `code`, loaded at `addr`, holds a direct call to one of `targets`: x86's `call rel32`
/// (`e8`), aarch64's `bl`. Other machines: `false`.
fn calls_any(code: &[u8], addr: u64, targets: &[u64], e_machine: u16, little_endian: bool) -> bool {
    match e_machine {
        EM_X86_64 | EM_386 => code.windows(5).enumerate().any(|(i, w)| {
            let rel = i32::from_le_bytes([w[1], w[2], w[3], w[4]]);
            let next = addr.wrapping_add(i as u64 + 5);
            w[0] == 0xe8 && targets.contains(&next.wrapping_add_signed(i64::from(rel)))
        }),
        EM_AARCH64 if little_endian => code.chunks_exact(4).enumerate().any(|(i, w)| {
            let word = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            // BL: 100101 imm26, a signed word offset.
            let offset = (((word & 0x03ff_ffff) << 6) as i32 >> 6) as i64 * 4;
            word & 0xfc00_0000 == 0x9400_0000
                && targets.contains(&addr.wrapping_add(i as u64 * 4).wrapping_add_signed(offset))
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_x86_call_is_found_by_its_target() {
        // mov %fs:0x28,%rax; ...; call <target>: e8 with rel32 from the next instruction.
        let mut code = vec![0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0, 0x90];
        let addr = 0x40_1000;
        let next = addr + code.len() as u64 + 5;
        let target = 0x40_2000u64;
        code.push(0xe8);
        code.extend_from_slice(&((target as i64 - next as i64) as i32).to_le_bytes());
        assert!(calls_any(&code, addr, &[target], EM_X86_64, true));
        assert!(!calls_any(&code, addr, &[target + 1], EM_X86_64, true));
        assert!(!calls_any(&code, addr + 1, &[target], EM_X86_64, true));
        assert!(!calls_any(
            &code[..code.len() - 1],
            addr,
            &[target],
            EM_X86_64,
            true
        ));
    }

    #[test]
    fn an_aarch64_bl_is_found_backwards_and_forwards() {
        let addr = 0x1_0000u64;
        let bl = |from: u64, to: u64| {
            let words = ((to as i64 - from as i64) / 4) as u32 & 0x03ff_ffff;
            (0x9400_0000 | words).to_le_bytes()
        };
        let mut code = Vec::new();
        code.extend_from_slice(&0xd503_201fu32.to_le_bytes()); // nop
        code.extend_from_slice(&bl(addr + 4, 0x8000));
        assert!(calls_any(&code, addr, &[0x8000], EM_AARCH64, true));
        code[4..8].copy_from_slice(&bl(addr + 4, 0x2_0000));
        assert!(calls_any(&code, addr, &[0x2_0000], EM_AARCH64, true));
        assert!(!calls_any(&code, addr, &[0x8000], EM_AARCH64, true));
        assert!(!calls_any(&code, addr, &[0x2_0000], EM_AARCH64, false));
    }

    #[test]
    fn other_machines_say_nothing() {
        assert!(!calls_any(&[0xe8, 0, 0, 0, 0], 0, &[5], 0xf3, true));
    }
}
