//! Corruption sweep: real binaries built here (static, static-pie, dynamic, 32-bit, aarch64,
//! big-endian), truncated at many offsets and with bits flipped and fields overwritten in the ELF
//! header, the program headers, the dynamic segment, the string tables, the notes and the section
//! headers — a deterministic sample: every field of each kind of entry and each structure's
//! first and last bytes, not every bit of every byte. Every variant goes through the library
//! in-process (inspect + scan + verdict + report) and a sample goes through the real binary.
//! Each must end within a second, without a panic and within a fixed memory bound, with a
//! verdict or one sentence saying the file is corrupt.
// The counting allocator below must implement `GlobalAlloc`, an unsafe trait; it only forwards to
// the system allocator. The crate itself forbids unsafe code; this test binary is the exception.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use goblin::elf::Elf;
use goblin::elf::program_header::{PT_DYNAMIC, PT_INTERP, PT_NOTE};
use repro_check::check::{self, Policy};
use repro_check::elf::{self, InspectError};
use repro_check::scan;

use crate::common::*;

// ---- memory: live heap bytes of the current thread, and their peak ----

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note_alloc(size: usize) {
    // `try_with`: the thread-locals are const-initialised and have no destructor, so this never
    // allocates; during thread teardown it does nothing.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + size as isize;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn note_free(size: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get() - size as isize));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_free(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_free(layout.size());
        note_alloc(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak heap bytes allocated (beyond what was live before) while `f` runs on this thread.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let out = f();
    let peak = PEAK.with(Cell::get) - before;
    (out, peak.max(0) as usize)
}

/// The fixed bound on heap use for one file: the scanner's fixed buffers and caps, plus a small
/// multiple of the file size (the file itself is already in memory in-process).
fn memory_bound(len: usize) -> usize {
    8 * 1024 * 1024 + 4 * len
}

// ---- fixtures ----

struct Fixture {
    name: &'static str,
    bytes: Vec<u8>,
}

fn fixtures(dir: &Path) -> Vec<Fixture> {
    let specs: &[(&str, &str, &[&str])] = &[
        ("static", "musl-gcc", &["-static", "-O1"]),
        ("static-pie", "gcc", &["-static-pie", "-fPIE", "-O1"]),
        ("dynamic", "gcc", &["-O1"]),
        ("i686", "i686-linux-gnu-gcc", &["-O1"]),
        ("aarch64", "aarch64-linux-gnu-gcc", &["-O1"]),
        ("ppc64-be", "powerpc64-linux-gnu-gcc", &["-O1"]),
    ];
    let mut out = Vec::new();
    for (name, compiler, flags) in specs {
        if !have_tool(compiler) {
            continue;
        }
        let path = compile_c(compiler, dir, name, HELLO_C, flags);
        out.push(Fixture {
            name,
            bytes: std::fs::read(path).unwrap(),
        });
    }
    out
}

/// The fields of one entry of a structure: its fields' widths in bytes, and which field tells
/// the entry's kind (`p_type`, `sh_type`, `d_tag`), so one entry of each kind is corrupted.
struct Fields {
    fields: &'static [usize],
    kind_field: usize,
}

const HEADER_64: Fields = Fields {
    fields: &[4, 1, 1, 1, 1, 1, 7, 2, 2, 4, 8, 8, 8, 4, 2, 2, 2, 2, 2, 2],
    kind_field: 0,
};
const HEADER_32: Fields = Fields {
    fields: &[4, 1, 1, 1, 1, 1, 7, 2, 2, 4, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2],
    kind_field: 0,
};
const PHDR_64: Fields = Fields {
    fields: &[4, 4, 8, 8, 8, 8, 8, 8],
    kind_field: 0,
};
const PHDR_32: Fields = Fields {
    fields: &[4; 8],
    kind_field: 0,
};
const SHDR_64: Fields = Fields {
    fields: &[4, 4, 8, 8, 8, 8, 4, 4, 8, 8],
    kind_field: 1,
};
const SHDR_32: Fields = Fields {
    fields: &[4; 10],
    kind_field: 1,
};
const DYN_64: Fields = Fields {
    fields: &[8, 8],
    kind_field: 0,
};
const DYN_32: Fields = Fields {
    fields: &[4, 4],
    kind_field: 0,
};

/// A structure worth corrupting: its name, byte range, and layout (none for bytes: strings,
/// notes, the interpreter path).
struct Region {
    name: &'static str,
    start: usize,
    len: usize,
    layout: Option<&'static Fields>,
}

/// The structures of the intact file, found with goblin.
fn regions(bytes: &[u8]) -> Vec<Region> {
    let elf = Elf::parse(bytes).expect("the fixture parses");
    let h = &elf.header;
    let wide = elf.is_64;
    let pick = |l64: &'static Fields, l32: &'static Fields| Some(if wide { l64 } else { l32 });
    let region = |name, start: u64, len: u64, layout| Region {
        name,
        start: start as usize,
        len: len as usize,
        layout,
    };
    let mut r = vec![region(
        "header",
        0,
        h.e_ehsize.into(),
        pick(&HEADER_64, &HEADER_32),
    )];
    let ph_len = u64::from(h.e_phnum) * u64::from(h.e_phentsize);
    r.push(region(
        "program headers",
        h.e_phoff,
        ph_len,
        pick(&PHDR_64, &PHDR_32),
    ));
    for p in &elf.program_headers {
        let (name, layout) = match p.p_type {
            PT_INTERP => ("interpreter", None),
            PT_DYNAMIC => ("dynamic", pick(&DYN_64, &DYN_32)),
            PT_NOTE => ("notes", None),
            _ => continue,
        };
        r.push(region(name, p.p_offset, p.p_filesz, layout));
    }
    if let Some(d) = &elf.dynamic {
        r.push(region(
            "dynamic strings",
            d.info.strtab as u64,
            d.info.strsz as u64,
            None,
        ));
    }
    let sh_len = u64::from(h.e_shnum) * u64::from(h.e_shentsize);
    r.push(region(
        "section headers",
        h.e_shoff,
        sh_len,
        pick(&SHDR_64, &SHDR_32),
    ));
    if let Some(s) = elf.section_headers.get(usize::from(h.e_shstrndx)) {
        r.push(region("section names", s.sh_offset, s.sh_size, None));
    }
    r.retain(|g| g.len > 0 && g.start + g.len <= bytes.len());
    r
}

/// About `n` offsets spread evenly over `0..len`, always with the first and last.
fn spread(len: usize, n: usize) -> Vec<usize> {
    let mut at: Vec<usize> = (0..len).step_by((len / n).max(1)).collect();
    at.push(len - 1);
    at.dedup();
    at
}

/// The fields to corrupt in a region, as (offset, width, every way): in a table, every field of
/// the first entry of each kind and of the last entry, every way only in the table's first entry;
/// in bytes (strings, notes), single bytes spread over it with its first and last.
fn fields(bytes: &[u8], region: &Region) -> Vec<(usize, usize, bool)> {
    let Some(layout) = region.layout else {
        return spread(region.len, 12)
            .into_iter()
            .map(|i| (region.start + i, 1, true))
            .collect();
    };
    let size: usize = layout.fields.iter().sum();
    let offsets: Vec<usize> = layout
        .fields
        .iter()
        .scan(0, |at, w| {
            *at += w;
            Some(*at - w)
        })
        .collect();
    let entries = region.len / size;
    let (kind_at, kind_len) = (offsets[layout.kind_field], layout.fields[layout.kind_field]);
    let mut kinds = std::collections::HashSet::new();
    let mut out = Vec::new();
    for e in 0..entries {
        let entry = region.start + e * size;
        let kind = &bytes[entry + kind_at..entry + kind_at + kind_len];
        if kinds.insert(kind) || e + 1 == entries {
            let every_way = e == 0;
            out.extend(
                offsets
                    .iter()
                    .zip(layout.fields)
                    .map(|(&o, &w)| (entry + o, w, every_way)),
            );
        }
    }
    out
}

/// Sampled variants of one fixture: (description, bytes). Every structure is corrupted — the
/// first and last bytes of each, every field of each kind of entry — but not every bit of every
/// byte: the parser's answer to a field does not depend on which entry holds it.
fn variants(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let len = bytes.len();
    let big_endian = bytes[5] == 2;
    let regions = regions(bytes);
    // Truncations: inside the header at every byte, then a spread, then around every structure.
    let mut cuts: Vec<usize> = (0..64).chain((64..256).step_by(16)).collect();
    cuts.extend(spread(len, 16));
    for g in &regions {
        for at in [g.start, g.start + g.len] {
            cuts.extend([at.saturating_sub(1), at, at + 1, g.start + g.len / 2]);
        }
    }
    cuts.retain(|&c| c < len);
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<(String, Vec<u8>)> = cuts
        .into_iter()
        .map(|c| (format!("truncated to {c} bytes"), bytes[..c].to_vec()))
        .collect();

    let specials = [
        0,
        u64::MAX,
        0x7fff_ffff,
        0x8000_0000,
        len as u64,
        len as u64 + 1,
    ];
    let mut count = 0;
    for g in &regions {
        for (at, width, every_way) in fields(bytes, g) {
            count += 1;
            let name = g.name;
            // Bit flips: bits 0 and 7 of the field's first byte; a rotating bit of its last.
            let mut ways: Vec<(String, Vec<u8>)> = [(at, 0), (at, 7), (at + width - 1, count % 8)]
                .into_iter()
                .take(if width > 1 { 3 } else { 2 })
                .map(|(byte, bit)| {
                    let mut v = bytes.to_vec();
                    v[byte] ^= 1 << bit;
                    (format!("{name}: bit {bit} of byte {byte:#x} flipped"), v)
                })
                .collect();
            // Field stomps, in the file's byte order: every value that breaks sizes and offsets
            // in the header's fields, two rotating ones in a table's.
            let values = match (g.layout.is_some() && width > 1, name) {
                (false, _) => vec![],
                (true, "header") => specials.to_vec(),
                (true, _) => vec![specials[count % 6], specials[(count + 3) % 6]],
            };
            ways.extend(values.into_iter().map(|value| {
                let mut v = bytes.to_vec();
                let word = if big_endian {
                    value.to_be_bytes()[8 - width..].to_vec()
                } else {
                    value.to_le_bytes()[..width].to_vec()
                };
                v[at..at + width].copy_from_slice(&word);
                (format!("{name}: field at {at:#x} set to {value:#x}"), v)
            }));
            // Fields of later entries: one way each, rotating through them.
            if !every_way {
                let one = ways.swap_remove(count % ways.len());
                ways = vec![one];
            }
            out.extend(ways);
        }
    }
    out
}

// ---- the in-process run ----

/// Inspect, scan, judge and serialise one file's bytes, as `check` does for a file on disk.
/// `scanned` is the string scan of the bytes when already known (a header flip does not change
/// it); it is the slowest step in an unoptimised test build. Returns Ok(pass) or Err(the reason it
/// is not a checkable ELF file).
fn check_bytes(bytes: &[u8], scanned: Option<&scan::ScanResult>) -> Result<bool, String> {
    let facts = match elf::inspect(&bytes) {
        Ok(f) => f,
        Err(InspectError::NotElf) => return Err("not ELF".into()),
        Err(InspectError::Malformed(reason)) => return Err(reason),
    };
    let scanned = match scanned {
        Some(s) => s.clone(),
        None => scan::scan_bytes(bytes),
    };
    let name = Path::new("f");
    let report = check::judge(
        name,
        &bytes,
        &facts,
        scanned,
        "0".repeat(64),
        &Policy::default(),
    );
    serde_json::to_string(&report).map_err(|e| e.to_string())?;
    Ok(report.pass)
}

/// Outcome of one variant in-process.
struct Outcome {
    what: String,
    result: std::thread::Result<Result<bool, String>>,
    elapsed: Duration,
    peak: usize,
    len: usize,
}

#[test]
fn corrupted_binaries_give_a_verdict_or_a_sentence_in_process() {
    let dir = tempdir();
    let fixtures = fixtures(dir.path());
    let mut total = 0;
    for fixture in fixtures {
        let name = fixture.name;
        let variants = variants(&fixture.bytes);
        let count = variants.len();
        let pristine_scan = scan::scan_bytes(&fixture.bytes);
        let pristine_pass = check_bytes(&fixture.bytes, None).expect("the fixture checks");
        // A worker thread runs the variants; this thread notices a hang (no result within a
        // second) and fails instead of waiting forever.
        let (tx, rx) = mpsc::channel();
        let pristine_len = fixture.bytes.len();
        std::thread::spawn(move || {
            for (i, (what, bytes)) in variants.into_iter().enumerate() {
                // Truncations and every 16th other variant are scanned afresh, when small (the
                // scan is the slow step in a test build, and is fuzzed on its own).
                let fresh = (bytes.len() != pristine_len || i % 16 == 0) && bytes.len() < 1 << 17;
                let known = (!fresh).then_some(&pristine_scan);
                let start = Instant::now();
                let (result, peak) =
                    peak_during(|| std::panic::catch_unwind(|| check_bytes(&bytes, known)));
                let outcome = Outcome {
                    what,
                    result,
                    elapsed: start.elapsed(),
                    peak,
                    len: bytes.len(),
                };
                if tx.send(outcome).is_err() {
                    return;
                }
            }
        });
        let (mut passed, mut failed, mut corrupt) = (0, 0, 0);
        for i in 0..count {
            let o = rx
                .recv_timeout(Duration::from_secs(5))
                .unwrap_or_else(|_| panic!("{name}: variant {i} did not finish within 5 s (hang)"));
            let what = &o.what;
            match &o.result {
                Err(_) => panic!("{name}, {what}: the checker panicked"),
                Ok(Ok(true)) => {
                    // Corruption may leave a passing file passing (a flipped bit in padding),
                    // but must never make a failing one pass.
                    assert!(pristine_pass, "{name}, {what}: the corrupt file passes");
                    passed += 1
                }
                Ok(Ok(false)) => failed += 1,
                Ok(Err(reason)) => {
                    assert!(!reason.trim().is_empty(), "{name}, {what}: empty reason");
                    corrupt += 1;
                }
            }
            assert!(
                o.elapsed < Duration::from_secs(1),
                "{name}, {what}: took {:?}",
                o.elapsed
            );
            assert!(
                o.peak <= memory_bound(o.len),
                "{name}, {what}: {} bytes of heap for a {}-byte file",
                o.peak,
                o.len
            );
        }
        eprintln!(
            "{name}: {count} variants of {} bytes: {passed} pass, {failed} fail, {corrupt} corrupt/not ELF",
            fixture.bytes.len()
        );
        assert!(
            corrupt > 0 && passed + failed > 0,
            "{name}: the sweep hit nothing"
        );
        total += count;
    }
    eprintln!("{total} variants checked in-process");
}

// ---- a sample through the real binary, under an address-space limit ----

/// The address-space limit for one run of the binary (its two worker threads' stacks and
/// allocator arenas included); a corrupt size field that made it allocate more would abort it.
const AS_LIMIT: u64 = 512 << 20;

#[test]
fn corrupted_binaries_through_the_command_end_in_time_with_a_sentence() {
    if !have_tool("prlimit") {
        return;
    }
    let dir = tempdir();
    let fixtures = fixtures(dir.path());
    let file = dir.path().join("variant");
    let mut runs = 0;
    for fixture in &fixtures {
        let pristine = run_binary(&file, &fixture.bytes);
        assert!(
            matches!(pristine.0, Some(0 | 1)),
            "{}: {:?}",
            fixture.name,
            pristine
        );
        let mut kinds = std::collections::HashSet::new();
        for (i, (what, bytes)) in variants(&fixture.bytes).into_iter().enumerate() {
            // Four truncations of the ELF header, the first variant of each kind (a bit flip and
            // a field stomp in each structure), then a spread of the others.
            let kind: String = what.chars().take_while(|c| !c.is_ascii_digit()).collect();
            let first_of_kind = !kind.starts_with("truncated") && kinds.insert(kind);
            if !(bytes.len() < 64 && i % 16 == 0 || first_of_kind || i % 97 == 0) {
                continue;
            }
            let (code, stdout, stderr) = run_binary(&file, &bytes);
            let name = fixture.name;
            assert!(!stderr.contains("panicked"), "{name}, {what}: {stderr}");
            match code {
                Some(0) => {
                    // Allowed only where the corruption changed nothing that matters and the
                    // intact file passes too.
                    assert_eq!(
                        pristine.0,
                        Some(0),
                        "{name}, {what}: corrupt file passed:\n{stdout}"
                    );
                    assert!(stdout.starts_with("PASS"), "{name}, {what}: {stdout}");
                }
                Some(1) => assert!(stdout.contains("FAIL"), "{name}, {what}: {stdout}{stderr}"),
                Some(2) => {
                    let line = stderr.trim_end();
                    assert!(
                        line.starts_with("error: ")
                            && line.contains("variant")
                            && !line.contains('\n'),
                        "{name}, {what}: not one sentence naming the file: {stderr}"
                    );
                }
                other => {
                    panic!("{name}, {what}: exit {other:?} (signal, hang or crash):\n{stderr}")
                }
            }
            runs += 1;
        }
    }
    eprintln!("{runs} corrupted files run through the binary");
}

/// Write `bytes` to `file` and run `repro-check check file` under the address-space limit,
/// killing it after a second. Returns (exit code, stdout, stderr); the code is None on a signal
/// or a kill.
fn run_binary(file: &Path, bytes: &[u8]) -> (Option<i32>, String, String) {
    run_binary_within(file, bytes, Duration::from_secs(1))
}

/// [`run_binary`] with another time limit.
fn run_binary_within(file: &Path, bytes: &[u8], limit: Duration) -> (Option<i32>, String, String) {
    std::fs::write(file, bytes).unwrap();
    let mut child = Command::new("prlimit")
        .arg(format!("--as={AS_LIMIT}"))
        .arg("--")
        .arg(bin())
        .arg("check")
        .arg(file)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start prlimit");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return (out.status.code(), stdout(&out), stderr(&out));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{} did not finish within {limit:?} (hang):\n{}",
                file.display(),
                stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Found by the sweep: a flipped bit in `e_phoff` (or `e_phnum`) made the checker read a shifted
/// or shortened program header table without `PT_INTERP` and `PT_DYNAMIC`, and report a dynamic
/// glibc program as a passing static-pie executable.
#[test]
fn a_corrupt_program_header_offset_is_an_error_not_a_pass() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let path = compile_c("gcc", dir.path(), "dynamic", HELLO_C, &["-O1"]);
    let mut bytes = std::fs::read(&path).unwrap();
    let count = u16::from_le_bytes([bytes[0x38], bytes[0x39]]);
    for (at, bit, what) in [(0x20, 0, "offset"), (0x20, 5, "offset"), (0x38, 3, "count")] {
        let original = bytes[at];
        bytes[at] ^= 1 << bit;
        std::fs::write(&path, &bytes).unwrap();
        let out = run_in(dir.path(), &["check", "dynamic"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {}{err}", stdout(&out));
        assert!(
            err.contains("dynamic is a corrupt ELF file")
                && (err.contains("entry point") || err.contains("PT_PHDR")),
            "{what} (phnum {count}): {err}"
        );
        bytes[at] = original;
    }
}

/// The entry-point check must not call kernel-style images corrupt: vmlinux and firmware give a
/// physical entry point, inside a segment's physical (not virtual) range.
#[test]
fn an_image_with_a_physical_entry_point_is_not_corrupt() {
    if !have_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let script = dir.path().join("image.ld");
    std::fs::write(
        &script,
        "ENTRY(phys_start)\nSECTIONS {\n  . = 0xffffffff81000000;\n  .text : AT(0x1000000) { *(.text*) }\n  \
         /DISCARD/ : { *(.note*) *(.comment) *(.eh_frame*) }\n}\n\
         phys_start = _start - 0xffffffff81000000 + 0x1000000;\n",
    )
    .unwrap();
    let script_arg = format!("-Wl,-T,{}", script.display());
    let flags = [
        "-O1",
        "-static",
        "-nostdlib",
        "-ffreestanding",
        "-fno-pie",
        "-no-pie",
        "-mcmodel=kernel",
        &script_arg,
    ];
    compile_c(
        "gcc",
        dir.path(),
        "image",
        "void _start(void) { for (;;) {} }\n",
        &flags,
    );
    let out = run_in(dir.path(), &["check", "image"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).starts_with("PASS image: static executable"),
        "{}",
        stdout(&out)
    );
}

/// A packed dynamic program has no `PT_INTERP` of its own: the packer hides it. Erasing any of
/// UPX's marks (its loader info after the program headers, its pack header, its notice) must not
/// make it pass; each variant keeps at least one mark, and must fail as packed.
#[test]
fn a_packed_dynamic_program_fails_whichever_upx_mark_is_erased() {
    if !have_tool("gcc") || !have_tool("upx") {
        return;
    }
    let dir = tempdir();
    let src = "#include <stdio.h>\n#include <string.h>\nchar big[300000] = {1};\n\
               int main(int c, char **v) { memset(big, c, sizeof big); puts(v[0]); return 0; }\n";
    let path = compile_c("gcc", dir.path(), "packed", src, &["-O1"]);
    let out = Command::new("upx")
        .args(["-q", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "upx failed: {}", stderr(&out));
    let packed = std::fs::read(&path).unwrap();
    let find_all = |needle: &[u8]| -> Vec<usize> {
        packed
            .windows(needle.len())
            .enumerate()
            .filter(|(_, w)| *w == needle)
            .map(|(i, _)| i)
            .collect()
    };
    let magics = find_all(b"UPX!");
    let notice = find_all(b"This file is packed with the UPX");
    let phnum = usize::from(u16::from_le_bytes([packed[0x38], packed[0x39]]));
    let loader_info = 64 + phnum * 56 + 4;
    assert!(magics.contains(&loader_info), "{magics:?}");
    assert!(!notice.is_empty());
    let erase = |at: &[usize]| {
        let mut b = packed.clone();
        for &i in at {
            b[i..i + 4].copy_from_slice(b"XXXX");
        }
        b
    };
    let others: Vec<usize> = magics
        .iter()
        .copied()
        .filter(|&m| m != loader_info)
        .collect();
    let variants = [
        ("loader info erased", erase(&[loader_info])),
        ("pack headers erased", erase(&others)),
        ("notice erased", erase(&notice)),
        ("only the notice left", erase(&magics)),
        ("only the loader info left", {
            let mut all = others.clone();
            all.extend(&notice);
            erase(&all)
        }),
        ("only the pack headers left", {
            let mut all = vec![loader_info];
            all.extend(&notice);
            erase(&all)
        }),
    ];
    for (what, bytes) in variants {
        std::fs::write(&path, &bytes).unwrap();
        let out = run_in(dir.path(), &["check", "packed"]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{what}: {text}{}", stderr(&out));
        assert!(text.contains("error[packed]"), "{what}: {text}");
    }
}

// ---- hostile files: small files whose structures all point at one long string ----

/// One program header: type, file offset, virtual address, size in the file (and in memory).
type Phdr = (u32, u64, u64, u64);

/// A little-endian ELF64 x86_64 file: header, program headers at 64, then `body` (whose first
/// byte is at file offset `64 + 56 * phdrs.len()`). Section headers, when given, are
/// `(e_shoff, e_shnum, e_shstrndx)`; `phnum` overrides e_phnum (PN_XNUM).
fn elf64(
    e_type: u16,
    entry: u64,
    phdrs: &[Phdr],
    phnum: Option<u16>,
    sections: (u64, u16, u16),
    body: &[u8],
) -> Vec<u8> {
    let mut b = Vec::with_capacity(64 + 56 * phdrs.len() + body.len());
    b.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    b.extend_from_slice(&e_type.to_le_bytes());
    b.extend_from_slice(&62u16.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&entry.to_le_bytes());
    b.extend_from_slice(&64u64.to_le_bytes());
    b.extend_from_slice(&sections.0.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    for half in [
        64,
        56,
        phnum.unwrap_or(phdrs.len() as u16),
        64,
        sections.1,
        sections.2,
    ] {
        b.extend_from_slice(&u16::to_le_bytes(half));
    }
    for &(kind, offset, vaddr, size) in phdrs {
        b.extend_from_slice(&kind.to_le_bytes());
        b.extend_from_slice(&4u32.to_le_bytes()); // PF_R
        for word in [offset, vaddr, vaddr, size, size, 8] {
            b.extend_from_slice(&word.to_le_bytes());
        }
    }
    b.extend_from_slice(body);
    b
}

/// One ELF64 section header.
fn shdr(name: u32, kind: u32, offset: u64, size: u64, info: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(64);
    b.extend_from_slice(&name.to_le_bytes());
    b.extend_from_slice(&kind.to_le_bytes());
    for word in [0u64, 0, offset, size] {
        b.extend_from_slice(&word.to_le_bytes());
    }
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&info.to_le_bytes());
    b.extend_from_slice(&[0; 16]);
    b
}

const MIB: usize = 1 << 20;

/// The hostile files: (name, bytes, expected exit code of `check`).
fn hostile_files() -> Vec<(&'static str, Vec<u8>, i32)> {
    let long = [vec![b'A'; MIB], vec![0]].concat();
    let mut out = Vec::new();

    // 16,384 section headers, every name the same 1 MiB string.
    let start = 64 + 56;
    let shoff = (start + long.len()).next_multiple_of(8);
    let mut body = long.clone();
    body.resize(shoff - start, 0);
    body.extend(shdr(0, 0, 0, 0, 0));
    body.extend(shdr(0, 3, start as u64, long.len() as u64, 0));
    for _ in 2..16_384 {
        body.extend(shdr(0, 1, start as u64, 16, 0));
    }
    let total = (start + body.len()) as u64;
    let load = (1, 0, 0, total);
    out.push((
        "section-names",
        elf64(3, 0x40, &[load], None, (shoff as u64, 16_384, 1), &body),
        0,
    ));

    // 65,536 DT_NEEDED entries naming one 1 MiB string.
    let start = 64 + 2 * 56;
    let entries = 65_536 + 3;
    let strtab = start + 16 * entries;
    let mut body = Vec::new();
    for _ in 0..65_536 {
        body.extend([1u64, 0].iter().flat_map(|w| w.to_le_bytes()));
    }
    for (tag, val) in [(5u64, strtab as u64), (10, long.len() as u64), (0, 0)] {
        body.extend([tag, val].iter().flat_map(|w| w.to_le_bytes()));
    }
    body.extend(&long);
    let total = (start + body.len()) as u64;
    let phdrs = [
        (1, 0, 0, total),
        (2, start as u64, start as u64, 16 * entries as u64),
    ];
    out.push(("needed", elf64(3, 0x40, &phdrs, None, (0, 0, 0), &body), 1));

    // 16,384 PT_INTERP and as many PT_NOTE headers over one 1 MiB string.
    let count = 16_384;
    let start = 64 + 56 * (1 + 2 * count);
    let total = (start + long.len()) as u64;
    let mut phdrs = vec![(1, 0, 0, total)];
    phdrs.extend((0..count).map(|_| (3, start as u64, 0, long.len() as u64)));
    phdrs.extend((0..count).map(|_| (4, start as u64, 0, long.len() as u64)));
    out.push((
        "interpreters",
        elf64(3, 0x40, &phdrs, None, (0, 0, 0), &long),
        1,
    ));

    // PN_XNUM: e_phnum 0xffff, the real count (2) in section 0's sh_info; an interpreter.
    let start = 64 + 2 * 56;
    let interp = b"/lib64/ld-linux-x86-64.so.2\0";
    let mut body = interp.to_vec();
    let shoff = start + body.len();
    body.extend(shdr(0, 0, 0, 0, 2));
    let total = (start + body.len()) as u64;
    let phdrs = [(1, 0, 0, total), (3, start as u64, 0, interp.len() as u64)];
    out.push((
        "pn-xnum",
        elf64(3, 0x40, &phdrs, Some(0xffff), (shoff as u64, 1, 0), &body),
        1,
    ));
    out
}

/// Each hostile file ends in a verdict within a fixed memory, in-process (a counting allocator)
/// and through the binary (under an address-space limit). Before the budget, the first three made
/// `check` allocate tens of gigabytes and abort.
#[test]
fn hostile_files_that_amplify_one_string_stay_within_a_fixed_memory() {
    let dir = tempdir();
    let file = dir.path().join("hostile");
    // REPRO_CHECK_WRITE_SEEDS=DIR writes them as fuzz seeds (fuzz/seeds/elf), so that libFuzzer
    // sees inputs this large.
    let seeds = std::env::var_os("REPRO_CHECK_WRITE_SEEDS");
    for (name, bytes, expected) in hostile_files() {
        if let Some(seeds) = &seeds {
            std::fs::write(Path::new(seeds).join(format!("hostile-{name}")), &bytes).unwrap();
        }
        let scanned = scan::scan_bytes(&bytes);
        let (result, peak) = peak_during(|| check_bytes(&bytes, Some(&scanned)));
        assert_eq!(result, Ok(expected == 0), "{name}");
        assert!(
            peak <= 16 * MIB,
            "{name}: {peak} bytes of heap for a {}-byte file",
            bytes.len()
        );
        if have_tool("prlimit") {
            // Megabytes scanned by an unoptimised build on a shared machine: memory is the point
            // here, so the time limit only catches a hang.
            let (code, out, err) = run_binary_within(&file, &bytes, Duration::from_secs(10));
            assert_eq!(code, Some(expected), "{name}: {out}{err}");
        }
    }
}

/// A structure larger than the cap on one read is reported as too large, not as lying past the
/// end of the file. The file is sparse: 80 MiB long, with a 70 MiB dynamic segment.
#[test]
fn a_structure_over_the_cap_is_called_too_large_not_truncated() {
    let dir = tempdir();
    let file = dir.path().join("huge");
    let start = 64 + 2 * 56;
    let total = 80 * MIB as u64;
    let phdrs = [
        (1, 0, 0, total),
        (2, start as u64, start as u64, 70 * MIB as u64),
    ];
    let bytes = elf64(3, 0x40, &phdrs, None, (0, 0, 0), &[]);
    std::fs::write(&file, &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(total)
        .unwrap();
    let out = run_in(dir.path(), &["check", "huge"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{}{err}", stdout(&out));
    assert!(
        err.contains("huge is a corrupt ELF file")
            && err.contains("more than the 64 MiB")
            && !err.contains("past the end"),
        "{err}"
    );
}
