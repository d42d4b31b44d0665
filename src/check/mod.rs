//! Policy: from ELF facts and scan results to a linkage verdict and findings.
//!
//! The linkage is decided from the program headers only, as the kernel and the loader see them:
//! any `PT_INTERP` ⇒ dynamic; any `DT_NEEDED` ⇒ dynamic (without an interpreter it is malformed);
//! otherwise `ET_DYN` ⇒ static-pie (with or without `DF_1_PIE`) and `ET_EXEC` ⇒ static.

mod file;
mod findings;
pub mod host;
pub mod libc;

use serde::Serialize;
use std::collections::BTreeSet;

use crate::elf::{ElfFacts, FileType};
use crate::scan::ScanResult;
pub use file::{FileProblem, FileReport, check_bytes, check_file, check_open, judge};
pub use findings::{Code, Finding, Severity};
pub use libc::Libc;

/// How the file is linked.
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
#[strum(serialize_all = "kebab-case")]
pub enum Linkage {
    /// No interpreter, no dynamic section: the kernel maps it and jumps to it.
    Static,
    /// Position-independent, relocates itself; no interpreter, no `DT_NEEDED`.
    StaticPie,
    /// Needs the dynamic loader or shared libraries.
    Dynamic,
    /// Not a linked image (object file, core dump).
    None,
}

impl Linkage {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What the file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A program the kernel can start.
    Executable,
    /// A dynamic loader (`ld-linux…`, `ld-musl…`): self-contained, runnable, loads other programs.
    DynamicLoader,
    /// A shared library: loaded by programs, not started on its own.
    SharedLibrary,
    /// An object file (`ET_REL`).
    Object,
    /// A core dump.
    Core,
    /// An unknown `e_type`.
    Other,
}

/// The user's policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Require this machine (as `uname -m` names it).
    pub machine: Option<String>,
    /// Finding codes that fail the check even when they are only warnings or information.
    pub deny: BTreeSet<Code>,
    /// Store paths (or prefixes of them) that may be referenced.
    pub allow_store_refs: Vec<String>,
}

/// The judgement on one file.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// How it is linked.
    pub linkage: Linkage,
    /// What it is for.
    pub role: Role,
    /// Whether it will start on a bare kernel with nothing else installed.
    pub is_static: bool,
    /// Its C library.
    pub libc: Libc,
    /// Why that libc.
    pub libc_evidence: Vec<String>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Whether it passes the policy.
    pub pass: bool,
    /// What a hardened host needs to know: TLS, trust roots, allocator, hardening.
    pub host: host::HostFacts,
}

/// Judge one file.
pub fn evaluate(facts: &ElfFacts, scan: &ScanResult, policy: &Policy) -> Assessment {
    let needed = facts
        .dynamic
        .as_ref()
        .map(|d| d.needed.as_slice())
        .unwrap_or_default();
    let linkage = match facts.file_type {
        FileType::Relocatable | FileType::Core | FileType::Other => Linkage::None,
        _ if !facts.interpreters.is_empty() || !needed.is_empty() => Linkage::Dynamic,
        FileType::SharedObject => Linkage::StaticPie,
        _ => Linkage::Static,
    };
    let role = role(facts);
    let is_static = matches!(linkage, Linkage::Static | Linkage::StaticPie)
        && matches!(role, Role::Executable | Role::DynamicLoader);
    let (libc, libc_evidence) = libc::detect(facts, scan);

    let host = host::describe(facts, scan, linkage, libc);
    let mut findings = findings::collect(facts, scan, policy, role, libc, &host);
    for f in &mut findings {
        if policy.deny.contains(&f.code) {
            f.severity = Severity::Error;
        }
    }
    findings.sort_by_key(|f| f.severity);
    let pass = is_static && !findings.iter().any(|f| f.severity == Severity::Error);
    Assessment {
        linkage,
        role,
        is_static,
        libc,
        libc_evidence,
        findings,
        pass,
        host,
    }
}

/// Position-independent program (PIE or static-pie): an `ET_DYN` file the kernel starts as a
/// program (role executable or dynamic loader), so it can load it anywhere (ASLR). The one rule
/// for the report's `pie` and the hardening fact.
pub fn is_pie(facts: &ElfFacts) -> bool {
    facts.file_type == FileType::SharedObject
        && matches!(role(facts), Role::Executable | Role::DynamicLoader)
}

fn role(facts: &ElfFacts) -> Role {
    match facts.file_type {
        FileType::Executable => Role::Executable,
        FileType::Relocatable => Role::Object,
        FileType::Core => Role::Core,
        FileType::Other => Role::Other,
        FileType::SharedObject => {
            let dynamic = facts.dynamic.as_ref();
            let needed = dynamic.is_some_and(|d| !d.needed.is_empty());
            let pie_flag = dynamic.is_some_and(|d| d.flags_1 & crate::elf::DF_1_PIE != 0);
            // musl's libc.so is its loader too (ld-musl-*.so.1 links to it); it has no soname.
            let musl_loader = dynamic.is_some_and(|d| d.musl_loader);
            match facts.soname() {
                _ if pie_flag => Role::Executable,
                _ if musl_loader
                    && facts.interpreters.is_empty()
                    && !needed
                    && facts.entry != 0 =>
                {
                    Role::DynamicLoader
                }
                Some(s)
                    if is_loader_name(s)
                        && facts.interpreters.is_empty()
                        && !needed
                        && facts.entry != 0 =>
                {
                    Role::DynamicLoader
                }
                Some(_) => Role::SharedLibrary,
                None if facts.entry != 0 || !facts.interpreters.is_empty() => Role::Executable,
                None => Role::SharedLibrary,
            }
        }
    }
}

fn is_loader_name(soname: &str) -> bool {
    soname.starts_with("ld-") || soname.starts_with("ld64.so") || soname.starts_with("ld.so")
}
