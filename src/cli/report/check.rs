//! The report of `repro-check check`: one entry per file, in text or as the JSON document
//! `{"files": [...], "summary": {...}}` (schema in the README, locked by a snapshot test).

use std::io::{self, Write};

use serde::Serialize;

use super::{Style, human_size};
use repro_check::check::{FileReport, Libc, Linkage, Role, Severity};
use repro_check::escape;

/// A file that could not be checked.
#[derive(Debug, Clone, Serialize)]
pub struct FileError {
    /// The path.
    pub path: String,
    /// One sentence.
    pub error: String,
}

/// One entry of the `files` array.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FileResult {
    /// Checked.
    Checked(Box<FileReport>),
    /// Could not be checked.
    Failed(FileError),
}

/// Counts over the whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// ELF files checked.
    pub checked: usize,
    /// Of those, passing.
    pub passed: usize,
    /// Of those, failing.
    pub failed: usize,
    /// Files that could not be checked.
    pub errors: usize,
    /// Non-ELF files skipped inside directories.
    pub skipped_not_elf: usize,
    /// Symbolic links skipped inside directories.
    pub skipped_symlinks: usize,
    /// FIFOs, sockets and devices skipped inside directories.
    pub skipped_special: usize,
}

/// The whole JSON document.
#[derive(Debug, Clone, Serialize)]
pub struct CheckOutput {
    /// One entry per ELF file, in the order the paths were given (directories sorted).
    pub files: Vec<FileResult>,
    /// Counts.
    pub summary: Summary,
}

/// The `--json` document when the job could not be done: the usual fields, and the error.
#[derive(Debug, Serialize)]
pub struct NoElf<'a> {
    /// Always empty.
    pub files: [FileResult; 0],
    /// The counts so far.
    pub summary: &'a Summary,
    /// One sentence.
    pub error: String,
}

/// Write the text report.
pub fn write_text(
    out: &mut impl Write,
    doc: &CheckOutput,
    style: Style,
    verbose: bool,
) -> io::Result<()> {
    for entry in &doc.files {
        match entry {
            FileResult::Checked(r) => write_file(out, r, style, verbose)?,
            FileResult::Failed(e) => writeln!(
                out,
                "{} {}: {}",
                style.bad("ERROR"),
                escape::text(&e.path),
                escape::text(&e.error)
            )?,
        }
    }
    write_summary(out, &doc.summary)
}

fn write_file(out: &mut impl Write, r: &FileReport, style: Style, verbose: bool) -> io::Result<()> {
    let status = if r.pass {
        style.good("PASS")
    } else {
        style.bad("FAIL")
    };
    let what = match r.linkage {
        Linkage::None => role_name(r.role).to_string(),
        linkage => format!("{} {}", linkage.as_str(), role_name(r.role)),
    };
    writeln!(
        out,
        "{status} {}: {what}, {}, {}, {}",
        style.bold(&escape::text(&r.path)),
        r.machine,
        libc_name(r.libc),
        human_size(r.size)
    )?;
    if verbose {
        let none = || "-".to_string();
        let list = |v: &[String]| if v.is_empty() { none() } else { v.join(" ") };
        let facts = [
            ("sha256", r.sha256.clone()),
            ("class", format!("ELF{} {}-endian", r.class, r.endian)),
            ("interpreter", r.interpreter.clone().unwrap_or_else(none)),
            ("needed", list(&r.needed)),
            ("rpath", list(&r.rpath)),
            ("runpath", list(&r.runpath)),
            ("soname", r.soname.clone().unwrap_or_else(none)),
            ("pie", r.pie.to_string()),
            ("build-id", r.build_id.clone().unwrap_or_else(none)),
            ("stripped", r.stripped.to_string()),
            ("debug info", r.debug_info.to_string()),
            (
                "libc evidence",
                if r.libc_evidence.is_empty() {
                    none()
                } else {
                    r.libc_evidence.join("; ")
                },
            ),
        ];
        let fact = |f: &repro_check::check::host::Fact| {
            let detail = f.detail.as_ref().map(|d| format!(" ({d})"));
            let evidence = (!f.evidence.is_empty()).then(|| format!(": {}", f.evidence.join("; ")));
            format!(
                "{}{}{}",
                f.value,
                detail.unwrap_or_default(),
                evidence.unwrap_or_default()
            )
        };
        let h = &r.host.hardening;
        let mut hardening = vec![
            format!("NX stack {}", yes(h.nx_stack)),
            format!("RELRO {}", h.relro),
            format!("PIE {}", yes(h.pie)),
            format!("stack protector {}", h.stack_protector),
            format!("FORTIFY {}", h.fortify),
        ];
        for (name, v) in [
            ("IBT", h.ibt),
            ("SHSTK", h.shstk),
            ("BTI", h.bti),
            ("PAC", h.pac),
        ] {
            if let Some(v) = v {
                hardening.push(format!("{name} {}", yes(v)));
            }
        }
        let facts = facts.into_iter().chain([
            ("tls", fact(&r.host.tls)),
            ("trust roots", fact(&r.host.trust_roots)),
            ("allocator", fact(&r.host.allocator)),
            (
                "hardening",
                format!("{}: {}", hardening.join(", "), h.evidence.join("; ")),
            ),
        ]);
        for (k, v) in facts {
            let v = escape::text(&v);
            writeln!(out, "  {}", style.dim(&format!("{k:<13} {v}")))?;
        }
    }
    for f in &r.findings {
        let label = format!("{}[{}]", f.severity.as_str(), f.code.as_str());
        let label = match f.severity {
            Severity::Error => style.bad(&label),
            Severity::Warning => style.warn(&label),
            Severity::Info => style.dim(&label),
        };
        writeln!(out, "  {label}: {}", escape::text(&f.message))?;
        if let Some(hint) = &f.hint {
            writeln!(out, "    hint: {}", escape::text(hint))?;
        }
    }
    Ok(())
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Executable => "executable",
        Role::DynamicLoader => "dynamic loader",
        Role::SharedLibrary => "shared library",
        Role::Object => "object file",
        Role::Core => "core dump",
        Role::Other => "ELF file",
    }
}

fn libc_name(libc: Libc) -> &'static str {
    match libc {
        Libc::Musl => "musl",
        Libc::Glibc => "glibc",
        Libc::None => "no libc",
        Libc::Unknown => "libc unknown",
    }
}

fn write_summary(out: &mut impl Write, s: &Summary) -> io::Result<()> {
    let mut parts = vec![format!(
        "{} checked: {} passed, {} failed",
        plural(s.checked, "ELF file", "ELF files"),
        s.passed,
        s.failed
    )];
    if s.errors > 0 {
        parts.push(format!("{} not checked", s.errors));
    }
    let mut skipped = Vec::new();
    if s.skipped_not_elf > 0 {
        skipped.push(plural(s.skipped_not_elf, "non-ELF file", "non-ELF files"));
    }
    if s.skipped_symlinks > 0 {
        skipped.push(plural(s.skipped_symlinks, "symlink", "symlinks"));
    }
    if s.skipped_special > 0 {
        skipped.push(plural(s.skipped_special, "special file", "special files"));
    }
    if !skipped.is_empty() {
        parts.push(format!("skipped {}", skipped.join(", ")));
    }
    writeln!(out, "{}", parts.join("; "))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
