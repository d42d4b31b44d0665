//! Progress counting shared between the library's workers, which count, and whoever draws it
//! (the command line draws a bar on a terminal). The library never prints.

use std::sync::atomic::{AtomicU64, Ordering};

/// Files (and their bytes) found and done so far, shared between the library's workers, which
/// count, and the command line, which draws: the library never prints. Updated once per file.
#[derive(Debug, Default)]
pub struct Counter {
    total_files: AtomicU64,
    total_bytes: AtomicU64,
    files: AtomicU64,
    bytes: AtomicU64,
}

impl Counter {
    /// `files` more to do, of `bytes` in all.
    pub fn found(&self, files: u64, bytes: u64) {
        self.total_files.fetch_add(files, Ordering::Relaxed);
        self.total_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// One more file done, of `bytes`.
    pub fn done(&self, bytes: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// (files done, files found, bytes done, bytes found).
    pub fn read(&self) -> (u64, u64, u64, u64) {
        (
            self.files.load(Ordering::Relaxed),
            self.total_files.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
            self.total_bytes.load(Ordering::Relaxed),
        )
    }
}
