//! ELF analysis on arbitrary bytes: inspect (through the `[u8]` ReadAt impl), scan, verdict,
//! and both reports. Any panic, hang, or allocation over libFuzzer's limit is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use repro_check::check::{self, Policy};
use repro_check::elf;
use repro_check::report::{self, check::*};
use repro_check::scan;

fuzz_target!(|data: &[u8]| {
    let scanned = scan::scan_bytes(data);
    let Ok(facts) = elf::inspect(&data) else {
        return;
    };
    let policy = Policy {
        machine: Some("aarch64".into()),
        ..Policy::default()
    };
    let verdict = check::evaluate(&facts, &scanned, &policy);
    let doc = Document {
        files: vec![Entry::Checked(Box::new(FileReport::new(
            "f".into(),
            String::new(),
            data.len() as u64,
            &facts,
            verdict,
        )))],
        summary: Summary::default(),
    };
    let _ = report::check::text(&doc, report::Style::new(true), true);
    serde_json::to_string(&doc).expect("a report always serialises");
});
