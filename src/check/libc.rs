//! Which C library a binary was built against, and the evidence for it.
//!
//! Evidence is ranked by how structural it is; a weaker kind counts only when no stronger kind
//! says anything:
//! 1. structure the loader and linker act on: the interpreter (`ld-musl-*` ⇒ musl; `ld-linux*`,
//!    `ld64.so.*` ⇒ glibc), `DT_NEEDED` (`libc.so.6` ⇒ glibc; `libc.musl-*` or Debian's musl
//!    `libc.so` ⇒ musl), the soname, musl's loader symbols (`__dls3`) in the dynamic string table,
//!    and the `NT_GNU_ABI_TAG` note that glibc's start files put in every glibc program;
//! 2. musl's strings: its `strerror(0)` text "No error information" and its internal symbol
//!    `__init_libc`;
//! 3. glibc's strings: `GLIBC_2.x`/`GLIBC_PRIVATE` and `glibc.malloc` tunables. A bare `GLIBC_2.`
//!    constant (the Zig compiler, embedded `.symver` text) is common in musl programs, so these
//!    count only when musl's strings are absent, and never for a linked program without the ABI
//!    tag note (every program glibc's start files went into has one: its absence disagrees);
//! 4. Go: its build-id note, build info, pclntab header (found in the loaded segments, so also
//!    without sections) or Go sections, with no libc evidence ⇒ `none` (Go's own runtime).
//!
//! A tiny stripped musl C program carries none of these, so `unknown` is an honest answer.

use serde::Serialize;

use crate::elf::{ElfFacts, FileType};
use crate::scan::{Marker, ScanResult};

/// The C library a binary uses.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "lowercase")]
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
        self.into()
    }
}

/// Decide the libc and say why.
pub fn detect(facts: &ElfFacts, scan: &ScanResult) -> (Libc, Vec<String>) {
    if let Some(found) = structural(facts) {
        return found;
    }
    let at = |m: Marker| scan.markers.get(&m).copied();
    let mut musl = Vec::new();
    if let Some(off) = at(Marker::MuslStrerror) {
        musl.push(format!(
            "musl's strerror text \"{}\" (offset {off:#x})",
            Marker::MuslStrerror.text()
        ));
    }
    if let Some(off) = at(Marker::MuslSymbol) {
        musl.push(format!(
            "musl's internal symbol {} (offset {off:#x})",
            Marker::MuslSymbol.text()
        ));
    }
    if !musl.is_empty() {
        return (Libc::Musl, musl);
    }
    let mut glibc = Vec::new();
    if let Some(off) = at(Marker::GlibcVersion) {
        glibc.push(format!(
            "{}x version strings (offset {off:#x})",
            Marker::GlibcVersion.text()
        ));
    }
    if let Some(off) = at(Marker::GlibcTunables) {
        glibc.push(format!(
            "{} tunables (offset {off:#x})",
            Marker::GlibcTunables.text()
        ));
    }
    // glibc's start files put the ABI-tag note in every program linked with glibc: a linked
    // program without it is not a glibc program, whatever strings it carries.
    let linked_without_tag = matches!(
        facts.file_type,
        FileType::Executable | FileType::SharedObject
    );
    if !glibc.is_empty() && !linked_without_tag {
        return (Libc::Glibc, glibc);
    }
    let go = go_evidence(facts, scan);
    if !go.is_empty() {
        let mut evidence = go;
        evidence.push("no libc evidence".into());
        return (Libc::None, evidence);
    }
    (Libc::Unknown, Vec::new())
}

/// What the loader and linker act on: interpreter, `DT_NEEDED`, soname, the loader's own
/// symbols, and glibc's ABI-tag note.
fn structural(facts: &ElfFacts) -> Option<(Libc, Vec<String>)> {
    let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let one = |libc, why: String| Some((libc, vec![why]));
    if let Some(interp) = facts.interpreters.first() {
        let name = base(interp);
        if name.starts_with("ld-musl-") {
            return one(Libc::Musl, format!("interpreter {interp}"));
        }
        if name.starts_with("ld-linux") || name.starts_with("ld64.so") {
            return one(Libc::Glibc, format!("interpreter {interp}"));
        }
    }
    let dynamic = facts.dynamic.as_ref();
    for lib in dynamic.map(|d| d.needed.as_slice()).unwrap_or_default() {
        if lib == "libc.so.6" {
            return one(Libc::Glibc, "needs libc.so.6".into());
        }
        if lib.starts_with("libc.musl-") {
            return one(Libc::Musl, format!("needs {lib}"));
        }
        // glibc's libc.so is a linker script that names libc.so.6, so a library linked against
        // it needs libc.so.6; only musl's libc.so (Debian's musl-gcc) is itself the library.
        if lib == "libc.so" {
            return one(
                Libc::Musl,
                "needs libc.so (musl's C library and loader; glibc's is libc.so.6)".into(),
            );
        }
    }
    if let Some(soname) = facts.soname() {
        if soname.starts_with("ld-linux") || soname.starts_with("ld64.so") || soname == "libc.so.6"
        {
            return one(Libc::Glibc, format!("soname {soname}"));
        }
        if soname.starts_with("ld-musl-") || soname.starts_with("libc.musl-") {
            return one(Libc::Musl, format!("soname {soname}"));
        }
    }
    if dynamic.is_some_and(|d| d.musl_loader) {
        return one(
            Libc::Musl,
            "musl's loader entry points (__dls3) in its dynamic symbols".into(),
        );
    }
    if let Some([major, minor, patch]) = facts.gnu_abi_tag {
        return one(
            Libc::Glibc,
            format!(
                "GNU ABI tag note of glibc's start files (for GNU/Linux {major}.{minor}.{patch})"
            ),
        );
    }
    None
}

/// Evidence that a Go toolchain built the file.
fn go_evidence(facts: &ElfFacts, scan: &ScanResult) -> Vec<String> {
    let mut out = Vec::new();
    if facts.go_build_id {
        out.push("Go build-id note".into());
    }
    if let Some(off) = scan.markers.get(&Marker::GoBuildInfo) {
        out.push(format!("Go build info (offset {off:#x})"));
    }
    if let Some(&off) = scan.markers.get(&Marker::GoPclntab)
        && facts
            .loads
            .iter()
            .any(|s| off >= s.offset && off - s.offset < s.filesz)
    {
        out.push(format!(
            "Go pclntab header in a loaded segment (offset {off:#x})"
        ));
    }
    for name in [".gopclntab", ".go.buildinfo", ".go.module"] {
        if facts.sections.iter().any(|s| s.name == name) {
            out.push(format!("section {name}"));
        }
    }
    // runtime.buildVersion ("go1.x"): in every Go program, with or without build info; only read
    // once the file is known to be Go (the text alone proves nothing).
    if !out.is_empty()
        && let (Some(version), Some(off)) = (
            scan.texts.get(&Marker::GoVersion),
            scan.markers.get(&Marker::GoVersion),
        )
    {
        out.push(format!("Go version {version} (offset {off:#x})"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::{DynamicFacts, Segment};

    fn program() -> ElfFacts {
        ElfFacts::synthetic(FileType::Executable)
    }

    fn with_markers(markers: &[Marker]) -> ScanResult {
        let mut scan = ScanResult::default();
        for m in markers {
            scan.markers.insert(*m, 0x40);
        }
        scan
    }

    fn needing(lib: &str) -> ElfFacts {
        let mut facts = program();
        facts.dynamic = Some(DynamicFacts {
            needed: vec![lib.into()],
            needed_count: 1,
            ..DynamicFacts::default()
        });
        facts
    }

    fn libc_of(facts: &ElfFacts, scan: &ScanResult) -> Libc {
        detect(facts, scan).0
    }

    #[test]
    fn the_interpreter_decides_first() {
        let mut facts = program();
        facts.interpreters = vec!["/lib/ld-musl-aarch64.so.1".into()];
        let glibc_strings = with_markers(&[Marker::GlibcVersion]);
        assert_eq!(
            detect(&facts, &glibc_strings),
            (
                Libc::Musl,
                vec!["interpreter /lib/ld-musl-aarch64.so.1".to_string()]
            )
        );
        facts.interpreters = vec!["/lib64/ld-linux-x86-64.so.2".into()];
        assert_eq!(
            libc_of(&facts, &with_markers(&[Marker::MuslStrerror])),
            Libc::Glibc
        );
    }

    #[test]
    fn needed_libraries_name_the_libc() {
        let none = ScanResult::default();
        assert_eq!(libc_of(&needing("libc.so.6"), &none), Libc::Glibc);
        assert_eq!(
            libc_of(&needing("libc.musl-x86_64.so.1"), &none),
            Libc::Musl
        );
        assert_eq!(libc_of(&needing("libc.so"), &none), Libc::Musl);
        assert_eq!(libc_of(&needing("libz.so.1"), &none), Libc::Unknown);
    }

    #[test]
    fn the_soname_and_musl_s_loader_symbols_name_the_libc() {
        let mut facts = ElfFacts::synthetic(FileType::SharedObject);
        facts.dynamic = Some(DynamicFacts {
            soname: Some("ld-linux-aarch64.so.1".into()),
            ..DynamicFacts::default()
        });
        assert_eq!(libc_of(&facts, &ScanResult::default()), Libc::Glibc);
        facts.dynamic = Some(DynamicFacts {
            musl_loader: true,
            ..DynamicFacts::default()
        });
        let (libc, why) = detect(&facts, &ScanResult::default());
        assert_eq!(libc, Libc::Musl);
        assert!(why[0].contains("__dls3"));
    }

    #[test]
    fn the_abi_tag_note_outranks_musl_s_strings() {
        let mut facts = program();
        facts.gnu_abi_tag = Some([3, 2, 0]);
        let (libc, why) = detect(&facts, &with_markers(&[Marker::MuslStrerror]));
        assert_eq!(libc, Libc::Glibc);
        assert_eq!(
            why,
            ["GNU ABI tag note of glibc's start files (for GNU/Linux 3.2.0)"]
        );
    }

    #[test]
    fn musl_s_strings_outrank_glibc_s_strings() {
        let scan = with_markers(&[
            Marker::GlibcVersion,
            Marker::MuslStrerror,
            Marker::MuslSymbol,
        ]);
        let (libc, why) = detect(&program(), &scan);
        assert_eq!(libc, Libc::Musl);
        assert_eq!(why.len(), 2);
    }

    #[test]
    fn glibc_s_strings_count_only_where_the_abi_tag_could_not_be() {
        let scan = with_markers(&[Marker::GlibcVersion, Marker::GlibcTunables]);
        // A linked program without glibc's ABI-tag note is not a glibc program.
        assert_eq!(libc_of(&program(), &scan), Libc::Unknown);
        assert_eq!(
            libc_of(&ElfFacts::synthetic(FileType::SharedObject), &scan),
            Libc::Unknown
        );
        let (libc, why) = detect(&ElfFacts::synthetic(FileType::Relocatable), &scan);
        assert_eq!(libc, Libc::Glibc);
        assert_eq!(why.len(), 2);
    }

    #[test]
    fn go_without_libc_evidence_is_none() {
        let mut facts = program();
        facts.go_build_id = true;
        let mut scan = with_markers(&[Marker::GoVersion]);
        scan.texts.insert(Marker::GoVersion, "go1.22.5".into());
        let (libc, why) = detect(&facts, &scan);
        assert_eq!(libc, Libc::None);
        assert_eq!(
            why,
            [
                "Go build-id note",
                "Go version go1.22.5 (offset 0x40)",
                "no libc evidence"
            ]
        );
    }

    #[test]
    fn a_pclntab_header_counts_only_inside_a_loaded_segment() {
        let mut facts = program();
        let scan = with_markers(&[Marker::GoPclntab]);
        assert_eq!(libc_of(&facts, &scan), Libc::Unknown, "no segment holds it");
        facts.loads = vec![Segment {
            offset: 0,
            filesz: 0x41,
            vaddr: 0x40_0000,
            memsz: 0x41,
            align: 0x1000,
        }];
        assert_eq!(libc_of(&facts, &scan), Libc::None);
        facts.loads[0].filesz = 0x40;
        assert_eq!(
            libc_of(&facts, &scan),
            Libc::Unknown,
            "one byte past its end"
        );
    }

    #[test]
    fn a_go_version_string_alone_proves_nothing() {
        let mut scan = with_markers(&[Marker::GoVersion]);
        scan.texts.insert(Marker::GoVersion, "go1.22.5".into());
        assert_eq!(detect(&program(), &scan), (Libc::Unknown, Vec::new()));
    }
}
