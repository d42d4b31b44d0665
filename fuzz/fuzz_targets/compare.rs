//! `compare` of two single-file builds made from the input (split at a fuzzer-chosen point):
//! ELF section analysis, string and text diffs, cause analysis and both reports.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use repro_check::compare;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d =
            std::env::temp_dir().join(format!("repro-check-fuzz-compare-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let split = usize::from(u16::from_le_bytes([data[0], data[1]])) % data.len().max(1);
    let (a, b) = data[2..].split_at(split.min(data.len() - 2));
    let pa = dir().join("a");
    let pb = dir().join("b");
    std::fs::write(&pa, a).expect("write a");
    std::fs::write(&pb, b).expect("write b");
    if let Ok(result) = compare::compare_paths(&[pa, pb]) {
        let _ = serde_json::to_string(&result);
    }
});
