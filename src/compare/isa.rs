//! Which x86 instruction-set extensions a build's machine code uses, decoded with iced-x86. Two
//! builds of the same source by the same compiler whose code uses different extensions (one
//! AVX2, BMI2 and FMA, the other none) were built for different target CPUs; the same extensions
//! and other code point at the optimisation level instead.

use std::collections::BTreeMap;

use iced_x86::{CpuidFeature, Decoder, DecoderOptions, Instruction};

use super::regions::{CHUNK, Region};
use crate::elf::ReadAt;

/// Code decoded per section at most (the rest is not looked at).
const MAX_CODE: u64 = 64 << 20;

/// The longest x86 instruction: a chunk is read this much past its end, so that an instruction
/// that starts in it decodes whole.
const MAX_INSTRUCTION: u64 = 15;

/// `e_machine` values decoded, with their bitness.
fn bitness(e_machine: u16) -> Option<u32> {
    match e_machine {
        62 => Some(64), // EM_X86_64
        3 => Some(32),  // EM_386
        _ => None,
    }
}

/// The extensions a target CPU may add (beyond each ABI's baseline), by iced-x86's names: these
/// are what `-C target-cpu` / `-march` switch on.
fn selectable(f: CpuidFeature) -> bool {
    use CpuidFeature as F;
    matches!(
        f,
        F::SSE3
            | F::SSSE3
            | F::SSE4_1
            | F::SSE4_2
            | F::POPCNT
            | F::AVX
            | F::AVX2
            | F::FMA
            | F::F16C
            | F::BMI1
            | F::BMI2
            | F::LZCNT
            | F::MOVBE
            | F::ADX
            | F::PCLMULQDQ
            | F::AES
            | F::VAES
            | F::VPCLMULQDQ
            | F::SHA
            | F::GFNI
            | F::AVX_VNNI
    ) || format!("{f:?}").starts_with("AVX512")
}

/// How many instructions of the code in `region` need each selectable extension; `None` when the
/// machine is not x86 or the code cannot be read.
pub fn extensions(
    src: &dyn ReadAt,
    region: &Region,
    e_machine: u16,
) -> Option<BTreeMap<String, u64>> {
    let bitness = bitness(e_machine)?;
    let size = region.size.min(MAX_CODE);
    let mut counts: BTreeMap<CpuidFeature, u64> = BTreeMap::new();
    let mut instruction = Instruction::default();
    let mut at = 0u64;
    while at < size {
        let want = CHUNK.min(size - at);
        let read = (want + MAX_INSTRUCTION).min(size - at);
        let bytes = src.read_at(region.offset + at, read).ok()?;
        let mut decoder = Decoder::with_ip(bitness, &bytes, at, DecoderOptions::NONE);
        // Instructions that start in this chunk; the last one may end in the next.
        while decoder.can_decode() && (decoder.position() as u64) < want {
            decoder.decode_out(&mut instruction);
            if instruction.is_invalid() {
                continue;
            }
            for &f in instruction.cpuid_features() {
                *counts.entry(f).or_default() += 1;
            }
        }
        at += (decoder.position() as u64).max(1);
    }
    // Filtered once per extension, not once per instruction.
    Some(
        (counts.into_iter())
            .filter(|&(f, _)| selectable(f))
            .map(|(f, n)| (format!("{f:?}"), n))
            .collect(),
    )
}

/// The extensions one side uses and the other does not at all, as `AVX2 (812)`, for A then B.
pub fn only(a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>) -> (Vec<String>, Vec<String>) {
    let side = |x: &BTreeMap<String, u64>, y: &BTreeMap<String, u64>| {
        (x.iter())
            .filter(|(f, _)| !y.contains_key(*f))
            .map(|(f, n)| format!("{f} ({n})"))
            .collect()
    };
    (side(a, b), side(b, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(size: u64) -> Region {
        Region {
            name: ".text".into(),
            offset: 0,
            size,
            sha256: None,
            histogram: Box::new([0; 256]),
            compressed: None,
        }
    }

    #[test]
    fn counts_the_extensions_instructions_need() {
        // vaddps ymm0, ymm1, ymm2 (AVX); andn eax, ebx, ecx (BMI1); add eax, ebx (baseline).
        let code: &[u8] = &[
            0xc5, 0xf4, 0x58, 0xc2, 0xc4, 0xe2, 0x60, 0xf2, 0xc1, 0x01, 0xd8,
        ];
        let got = extensions(&code, &region(code.len() as u64), 62).unwrap();
        assert_eq!(
            got,
            BTreeMap::from([("AVX".to_string(), 1), ("BMI1".to_string(), 1)])
        );
        assert!(extensions(&code, &region(code.len() as u64), 183).is_none()); // aarch64
    }

    #[test]
    fn an_instruction_across_a_chunk_boundary_decodes_whole() {
        // CHUNK - 1 one-byte nops, then a 4-byte AVX instruction that crosses the boundary.
        let mut code = vec![0x90u8; CHUNK as usize - 1];
        code.extend_from_slice(&[0xc5, 0xf4, 0x58, 0xc2]);
        let got = extensions(&code.as_slice(), &region(code.len() as u64), 62).unwrap();
        assert_eq!(got, BTreeMap::from([("AVX".to_string(), 1)]));
    }

    #[test]
    fn only_names_what_one_side_lacks() {
        let a = BTreeMap::from([("AVX".to_string(), 3), ("POPCNT".to_string(), 1)]);
        let b = BTreeMap::from([("POPCNT".to_string(), 2)]);
        assert_eq!(only(&a, &b), (vec!["AVX (3)".to_string()], vec![]));
    }
}
