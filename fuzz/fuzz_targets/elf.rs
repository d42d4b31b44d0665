//! ELF analysis on arbitrary bytes: the whole `check` pipeline of the library (inspect through the
//! `[u8]` ReadAt impl, scan, verdict, report) and the report's JSON. Any panic, hang, or
//! allocation over libFuzzer's limit is a bug.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use repro_check::check::{self, Policy};

fuzz_target!(|data: &[u8]| {
    let policy = Policy {
        machine: Some("aarch64".into()),
        ..Policy::default()
    };
    if let Ok(report) = check::check_bytes(Path::new("f"), data, &policy, true) {
        serde_json::to_string(&report).expect("a report always serialises");
    }
});
