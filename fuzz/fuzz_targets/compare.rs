//! `compare` of two single-file builds made from the input (split at a fuzzer-chosen point),
//! handed to the library as bytes in memory: ELF section analysis, containers, string and text
//! diffs, cause analysis and the JSON report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use repro_check::compare;
use repro_check::manifest::Build;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let split = usize::from(u16::from_le_bytes([data[0], data[1]])) % data.len().max(1);
    let (a, b) = data[2..].split_at(split.min(data.len() - 2));
    let builds = [Build::memory("a", a), Build::memory("b", b)];
    if let Ok(result) = compare::compare(&builds) {
        let _ = serde_json::to_string(&result);
    }
});
