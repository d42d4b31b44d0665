//! One file through the whole check: ELF facts from its headers, one streaming pass that scans
//! (and hashes) every byte, the verdict, and the [`FileReport`] that the command line renders.

use serde::Serialize;
use std::fs::File;
use std::path::Path;

use super::host::HostFacts;
use super::{Assessment, Finding, Libc, Linkage, Policy, Role};
use crate::digest::Hasher;
use crate::elf::{self, ElfFacts, FileSource, FileType, InspectError, ReadAt};
use crate::error::Error;
use crate::input;
use crate::scan::{self, Marker, ScanResult, Scanner};

/// One checked ELF file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The path as given or found.
    pub path: String,
    /// SHA-256 of the whole file, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// 32 or 64.
    pub class: u8,
    /// "little" or "big".
    pub endian: &'static str,
    /// As `uname -m` names it.
    pub machine: String,
    /// The ELF file type.
    #[serde(rename = "type")]
    pub file_type: FileType,
    /// What the file is for.
    pub role: Role,
    /// How it is linked.
    pub linkage: Linkage,
    /// Whether it starts on a bare kernel with nothing else installed.
    #[serde(rename = "static")]
    pub is_static: bool,
    /// Whether it passes the policy.
    pub pass: bool,
    /// Position-independent executable.
    pub pie: bool,
    /// The requested interpreter.
    pub interpreter: Option<String>,
    /// `DT_NEEDED` libraries.
    pub needed: Vec<String>,
    /// `DT_RPATH` values.
    pub rpath: Vec<String>,
    /// `DT_RUNPATH` values.
    pub runpath: Vec<String>,
    /// `DT_SONAME`.
    pub soname: Option<String>,
    /// GNU build-id, hex.
    pub build_id: Option<String>,
    /// No symbol table.
    pub stripped: bool,
    /// Carries DWARF debug information.
    pub debug_info: bool,
    /// The C library.
    pub libc: Libc,
    /// Why that libc.
    pub libc_evidence: Vec<String>,
    /// TLS stack, trust roots, allocator and hardening, with evidence.
    pub host: HostFacts,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
}

impl FileReport {
    /// Assemble the report of one file.
    pub fn new(
        path: String,
        sha256: String,
        size: u64,
        facts: &ElfFacts,
        verdict: Assessment,
    ) -> Self {
        let dynamic = facts.dynamic.clone().unwrap_or_default();
        FileReport {
            path,
            sha256,
            size,
            class: facts.class,
            endian: if facts.little_endian { "little" } else { "big" },
            machine: facts.machine.clone(),
            file_type: facts.file_type,
            role: verdict.role,
            linkage: verdict.linkage,
            is_static: verdict.is_static,
            pass: verdict.pass,
            pie: super::is_pie(facts),
            interpreter: facts.interpreters.first().cloned(),
            needed: dynamic.needed,
            rpath: dynamic.rpath,
            runpath: dynamic.runpath,
            soname: dynamic.soname,
            build_id: facts.build_id.clone(),
            stripped: !facts.has_symtab,
            debug_info: facts.has_debug_info(),
            libc: verdict.libc,
            libc_evidence: verdict.libc_evidence,
            host: verdict.host,
            findings: verdict.findings,
        }
    }
}

/// Why one file produced no report.
#[derive(Debug)]
pub enum FileProblem {
    /// It is not an ELF file (skipped inside directories, an error when named).
    NotElf(Error),
    /// It could not be read or parsed.
    Error(Error),
}

/// Check one regular file: ELF facts from its headers, then one streaming pass that scans it (and
/// hashes it when `digest` is set; otherwise the report's digest is empty), then the verdict. A
/// panic in a parser becomes an error about this file.
pub fn check_file(path: &Path, policy: &Policy, digest: bool) -> Result<FileReport, FileProblem> {
    let (file, len) = input::open_regular(path).map_err(FileProblem::Error)?;
    check_open(path, &file, len, policy, digest)
}

/// Check an open file of length `len`, read from its current position; `path` names it in the
/// report and in errors. A file that changes while it is read is an error.
pub fn check_open(
    path: &Path,
    file: &File,
    len: u64,
    policy: &Policy,
    digest: bool,
) -> Result<FileReport, FileProblem> {
    let src = FileSource::new(file, len);
    check_source(path, &src, policy, digest, &mut |consume| {
        input::stream_open(path, file, len, consume).map(drop)
    })
}

/// Check a file held in memory: the same pipeline as [`check_file`], for tests and fuzz targets.
pub fn check_bytes(
    name: &Path,
    bytes: &[u8],
    policy: &Policy,
    digest: bool,
) -> Result<FileReport, FileProblem> {
    check_source(name, &bytes, policy, digest, &mut |consume| {
        bytes.chunks(input::CHUNK).for_each(consume);
        Ok(())
    })
}

/// Feeds every byte of a file, in order, to the consumer it is given.
type Stream<'a> = dyn FnMut(&mut dyn FnMut(&[u8])) -> Result<(), Error> + 'a;

/// The pipeline: ELF facts from the headers of `src`, then one streaming pass (`stream` feeds every
/// byte, in order) that scans it and hashes it when `digest` is set, then the verdict.
fn check_source(
    path: &Path,
    src: &dyn ReadAt,
    policy: &Policy,
    digest: bool,
    stream: &mut Stream<'_>,
) -> Result<FileReport, FileProblem> {
    let len = src.len();
    // `src` is only read: a panic leaves nothing half-changed, only an error about this file.
    let inspected = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| elf::inspect(src)));
    let inspected = inspected.unwrap_or_else(|_| {
        Err(InspectError::Malformed(
            "its structure made the ELF parser fail".to_string(),
        ))
    });
    let facts = match inspected {
        Ok(facts) => facts,
        Err(InspectError::NotElf) => {
            let head = src.read_at(0, len.min(1024)).unwrap_or_default();
            return Err(FileProblem::NotElf(Error::NotElf {
                path: path.to_path_buf(),
                what: input::describe_non_elf(&head),
            }));
        }
        Err(InspectError::Malformed(reason)) => {
            return Err(FileProblem::Error(Error::Malformed {
                path: path.to_path_buf(),
                reason,
            }));
        }
    };

    let mut hasher = digest.then(Hasher::new);
    let mut scanner = Scanner::new();
    stream(&mut |chunk| {
        if let Some(h) = hasher.as_mut() {
            h.update(chunk);
        }
        scanner.feed(chunk);
    })
    .map_err(FileProblem::Error)?;
    let scan = scanner.finish();
    let sha256 = hasher.map(Hasher::finish_hex).unwrap_or_default();
    Ok(judge(path, src, &facts, scan, sha256, policy))
}

/// The end of the pipeline, for callers that already hold the file's facts and scan: Go's pclntab
/// where nothing names a C library, the verdict, and the report. `sha256` may be empty.
pub fn judge(
    path: &Path,
    src: &dyn ReadAt,
    facts: &ElfFacts,
    mut scan: ScanResult,
    sha256: String,
    policy: &Policy,
) -> FileReport {
    // Go's pclntab header is looked for only where nothing names a C library (see scan.rs).
    let no_libc = facts.interpreters.is_empty()
        && facts.gnu_abi_tag.is_none()
        && facts.dynamic.as_ref().is_none_or(|d| d.needed_count == 0)
        && ![Marker::MuslStrerror, Marker::MuslSymbol]
            .iter()
            .any(|m| scan.markers.contains_key(m));
    if no_libc && let Some(off) = scan::go_pclntab(src, &facts.loads) {
        scan.markers.insert(Marker::GoPclntab, off);
    }
    let verdict = super::evaluate(facts, &scan, policy);
    FileReport::new(
        path.display().to_string(),
        sha256,
        src.len(),
        facts,
        verdict,
    )
}
