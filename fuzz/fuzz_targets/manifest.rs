//! Manifest parsing: `compare` reads any file that looks like a `hash --json` manifest as one;
//! arbitrary bytes must give a build or one error, never a panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use repro_check::manifest;

fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!(
            "repro-check-fuzz-manifest-{}.json",
            std::process::id()
        ))
    })
}

fuzz_target!(|data: &[u8]| {
    std::fs::write(path(), data).expect("write");
    if let Ok(build) = manifest::load(path()) {
        let _ = build.digest();
    }
});
