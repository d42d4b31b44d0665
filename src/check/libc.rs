//! Which C library a binary was built against, and the evidence for it.
//!
//! Evidence, strongest first:
//! 1. the interpreter (`ld-musl-*` ⇒ musl; `ld-linux*`, `ld64.so.*` ⇒ glibc) and `DT_NEEDED`
//!    (`libc.so.6` ⇒ glibc; `libc.musl-*` ⇒ musl) — what a dynamic binary will load;
//! 2. glibc's fingerprints, which survive `strip`: the `NT_GNU_ABI_TAG` note of its start files,
//!    `GLIBC_2.x`/`GLIBC_PRIVATE` version strings and `glibc.malloc` tunables;
//! 3. musl's `strerror(0)` text "No error information", or its internal symbol `__init_libc`
//!    (unstripped programs);
//! 4. Go's build-id note or build info, with no libc evidence ⇒ `none` (Go's own runtime).
//!
//! A tiny stripped musl C program carries none of these, so `unknown` is an honest answer.

use serde::Serialize;

use crate::elf::ElfFacts;
use crate::scan::{Marker, ScanResult};

/// The C library a binary uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Libc {
    /// musl.
    Musl,
    /// GNU libc.
    Glibc,
    /// No C library (e.g. a pure Go program).
    None,
    /// No evidence either way.
    Unknown,
}

impl Libc {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Libc::Musl => "musl",
            Libc::Glibc => "glibc",
            Libc::None => "none",
            Libc::Unknown => "unknown",
        }
    }
}

/// Decide the libc and say why.
pub fn detect(facts: &ElfFacts, scan: &ScanResult) -> (Libc, Vec<String>) {
    let mut evidence = Vec::new();
    let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();

    for interp in facts.interpreters.iter().take(1) {
        let name = base(interp);
        if name.starts_with("ld-musl-") {
            evidence.push(format!("interpreter {interp}"));
            return (Libc::Musl, evidence);
        }
        if name.starts_with("ld-linux") || name.starts_with("ld64.so") {
            evidence.push(format!("interpreter {interp}"));
            return (Libc::Glibc, evidence);
        }
    }
    let dynamic = facts.dynamic.as_ref();
    for lib in dynamic.map(|d| d.needed.as_slice()).unwrap_or_default() {
        if lib == "libc.so.6" {
            evidence.push("needs libc.so.6".to_string());
            return (Libc::Glibc, evidence);
        }
        if lib.starts_with("libc.musl-") {
            evidence.push(format!("needs {lib}"));
            return (Libc::Musl, evidence);
        }
    }
    if let Some(soname) = facts.soname() {
        if soname.starts_with("ld-linux") || soname.starts_with("ld64.so") || soname == "libc.so.6"
        {
            evidence.push(format!("soname {soname}"));
            return (Libc::Glibc, evidence);
        }
        if soname.starts_with("ld-musl-") || soname.starts_with("libc.musl-") {
            evidence.push(format!("soname {soname}"));
            return (Libc::Musl, evidence);
        }
    }

    if let Some([major, minor, patch]) = facts.gnu_abi_tag {
        evidence.push(format!(
            "GNU ABI tag note (for GNU/Linux {major}.{minor}.{patch})"
        ));
    }
    let at = |m: Marker| scan.markers.get(&m).copied();
    if let Some(off) = at(Marker::GlibcVersion) {
        evidence.push(format!(
            "{}x version strings (offset {off:#x})",
            Marker::GlibcVersion.text()
        ));
    }
    if let Some(off) = at(Marker::GlibcTunables) {
        evidence.push(format!(
            "{} tunables (offset {off:#x})",
            Marker::GlibcTunables.text()
        ));
    }
    if !evidence.is_empty() {
        return (Libc::Glibc, evidence);
    }
    if let Some(off) = at(Marker::MuslStrerror) {
        evidence.push(format!(
            "musl's strerror text \"{}\" (offset {off:#x})",
            Marker::MuslStrerror.text()
        ));
    }
    if let Some(off) = at(Marker::MuslSymbol) {
        evidence.push(format!(
            "musl's internal symbol {} (offset {off:#x})",
            Marker::MuslSymbol.text()
        ));
    }
    if !evidence.is_empty() {
        return (Libc::Musl, evidence);
    }
    if facts.go_build_id || at(Marker::GoBuildInfo).is_some() {
        evidence.push("Go build id / build info, and no libc evidence".to_string());
        return (Libc::None, evidence);
    }
    (Libc::Unknown, evidence)
}
