//! The streaming scanner is independent of how the file is cut into chunks: scanning in chunks of
//! a fuzzer-chosen size must find exactly what scanning the whole buffer finds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use repro_check::scan::{self, Scanner};

fuzz_target!(|data: &[u8]| {
    let Some((&size, rest)) = data.split_first() else {
        return;
    };
    // Chunk sizes from 1 byte to ~8 KiB, around the scanner's 2 KiB carry and 4 KiB seam.
    let size = 1 + usize::from(size) * 32;
    let whole = scan::scan_bytes(rest);
    let mut scanner = Scanner::new();
    for chunk in rest.chunks(size) {
        scanner.feed(chunk);
    }
    let chunked = scanner.finish();
    assert_eq!(
        format!("{whole:?}"),
        format!("{chunked:?}"),
        "chunks of {size}"
    );
});
