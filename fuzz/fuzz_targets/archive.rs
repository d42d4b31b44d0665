//! Container unpacking on hostile bytes: the input is written as one file (named `x.pyc` when its
//! first byte is odd, so the `.pyc` reader is reached too) and flattened with small limits; it
//! must end in a listing or an error, never a panic, a hang or unbounded memory.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use repro_check::container::{self, Limits};

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d =
            std::env::temp_dir().join(format!("repro-check-fuzz-archive-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let name = if data.first().is_some_and(|b| b & 1 == 1) { "x.pyc" } else { "x" };
    let path = dir().join(name);
    std::fs::write(&path, data).expect("write input");
    let limits = Limits {
        members: 2_000,
        total: 64 << 20,
        slack: 1 << 20,
        ..Limits::default()
    };
    let _ = container::list(&path, name, limits, &|_, _| true);
});
