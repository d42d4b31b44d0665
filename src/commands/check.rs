//! `repro-check check`: is each ELF file truly static, and if not, why not?

use clap::ValueHint;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

use crate::Outcome;
use crate::check::{self, Code, Policy};
use crate::digest::Hasher;
use crate::elf::{self, FileSource, InspectError, ReadAt};
use crate::error::Error;
use crate::input::{self, Item, SkipReason};
use crate::report::{self, Style, check::*};
use crate::scan::{self, Marker, Scanner};

/// Check that ELF files are truly static — they start on a bare Linux kernel with no loader, no
/// libc and no shared libraries — and say why not.
///
/// The verdict comes from the program headers, as the kernel and the dynamic loader read them:
/// a PT_INTERP or any DT_NEEDED makes a file dynamic; otherwise it is static (ET_EXEC) or
/// static-pie (ET_DYN). Findings add what the headers do not show: static glibc's run-time
/// dlopen of NSS modules, embedded /nix/store paths, leaked build paths.
///
/// Exit status: 0 every file passes, 1 a file fails a check (or a file inside a directory could
/// not be read), 2 a named PATH is unreadable, not ELF, or corrupt.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Finding codes: interpreter, needed, rpath, runpath, glibc-nss, glibc-dlopen, nix-store-ref, \
build-path, shared-library, dynamic-loader, not-a-program, machine, malformed, packed, tls, trust-roots, allocator."
)]
pub struct CheckArgs {
    /// Files or directories to check. Directories are walked without following symlinks; files
    /// in them that are not ELF are counted and skipped.
    #[arg(required = true, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Print one JSON document (`{"files": [...], "summary": {...}}`) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Fail files not built for this machine, named as `uname -m` names it (x86_64, aarch64, …).
    #[arg(long, value_name = "MACHINE")]
    pub machine: Option<String>,

    /// Fail on findings with this code even where they are only warnings, e.g. `build-path`,
    /// `nix-store-ref`, `glibc-nss`. Repeat for several codes.
    #[arg(long, value_name = "CODE", hide_possible_values = true)]
    pub deny: Vec<Code>,

    /// Fail on every warning (as if each warning's code were given to --deny).
    #[arg(long)]
    pub strict: bool,

    /// Accept embedded references to store paths that start with this prefix, e.g. a store path
    /// you ship alongside the binary. Repeat for several.
    #[arg(long, value_name = "STORE_PATH")]
    pub allow_store_ref: Vec<String>,

    /// Also print every fact about each file: SHA-256, build-id, interpreter, NEEDED, RPATH…
    #[arg(short, long)]
    pub verbose: bool,
}

const WARNING_CODES: [Code; 5] = [
    Code::Rpath,
    Code::Runpath,
    Code::GlibcNss,
    Code::NixStoreRef,
    Code::BuildPath,
];

/// Run `check`.
pub fn run(args: &CheckArgs) -> Result<Outcome, Error> {
    let mut policy = Policy {
        machine: args.machine.clone(),
        deny: args.deny.iter().copied().collect(),
        allow_store_refs: args.allow_store_ref.clone(),
    };
    if args.strict {
        policy.deny.extend(WARNING_CODES);
    }

    // Only -v and --json print the digest; plain text skips SHA-256 (the scan still reads every byte).
    let digest = args.json || args.verbose;
    let items = input::expand(&args.paths);
    let mut summary = Summary::default();
    let mut explicit_error = false;
    let results: Vec<Option<(Entry, bool)>> = items
        .par_iter()
        .map(|item| match item {
            Item::File { path, explicit } => match check_file(path, &policy, digest) {
                Ok(report) => Some((Entry::Checked(Box::new(report)), *explicit)),
                Err(FileProblem::NotElf(_)) if !explicit => None,
                Err(FileProblem::NotElf(e) | FileProblem::Error(e)) => {
                    Some((failed(path, &e), *explicit))
                }
            },
            Item::Failed { error, explicit } => Some((failed(error_path(error), error), *explicit)),
            Item::Skipped { .. } => None,
        })
        .collect();

    let mut files = Vec::new();
    for (item, result) in items.iter().zip(results) {
        match (item, result) {
            (
                Item::Skipped {
                    reason: SkipReason::Symlink,
                    ..
                },
                _,
            ) => summary.skipped_symlinks += 1,
            (
                Item::Skipped {
                    reason: SkipReason::Special,
                    ..
                },
                _,
            ) => summary.skipped_special += 1,
            (_, None) => summary.skipped_not_elf += 1,
            (_, Some((entry, explicit))) => {
                match &entry {
                    Entry::Checked(r) => {
                        summary.checked += 1;
                        if r.pass {
                            summary.passed += 1
                        } else {
                            summary.failed += 1
                        }
                    }
                    Entry::Failed(e) => {
                        summary.errors += 1;
                        explicit_error |= explicit;
                        eprintln!("error: {}", e.error);
                    }
                }
                files.push(entry);
            }
        }
    }

    if files.is_empty() {
        return Err(Error::Invalid(format!(
            "found no ELF files in {} ({} other files skipped); name a binary or the directory that holds it",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            summary.skipped_not_elf + summary.skipped_symlinks + summary.skipped_special,
        )));
    }

    let doc = Document { files, summary };
    if args.json {
        report::print_json(&doc)?;
    } else {
        report::print(&text(&doc, Style::new(report::use_colour()), args.verbose))?;
    }
    Ok(if explicit_error {
        Outcome::Incomplete
    } else if doc.summary.failed > 0 || doc.summary.errors > 0 {
        Outcome::Fail
    } else {
        Outcome::Pass
    })
}

fn failed(path: &Path, error: &Error) -> Entry {
    Entry::Failed(FileError {
        path: path.display().to_string(),
        error: error.to_string(),
    })
}

fn error_path(error: &Error) -> &Path {
    match error {
        Error::Read { path, .. }
        | Error::NotElf { path, .. }
        | Error::Malformed { path, .. }
        | Error::NotRegular { path, .. }
        | Error::Changed { path }
        | Error::Write { path, .. } => path,
        Error::Invalid(_) | Error::Output(_) => Path::new(""),
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
    let src = FileSource::new(&file, len);
    let inspected = std::panic::catch_unwind(|| elf::inspect(&src)).unwrap_or_else(|_| {
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
    input::stream_open(path, &file, len, |chunk| {
        if let Some(h) = hasher.as_mut() {
            h.update(chunk);
        }
        scanner.feed(chunk);
    })
    .map_err(FileProblem::Error)?;
    let mut scan = scanner.finish();
    // Go's pclntab header is looked for only where nothing names a C library (see scan.rs).
    let no_libc = facts.interpreters.is_empty()
        && facts.gnu_abi_tag.is_none()
        && facts.dynamic.as_ref().is_none_or(|d| d.needed_count == 0)
        && ![Marker::MuslStrerror, Marker::MuslSymbol]
            .iter()
            .any(|m| scan.markers.contains_key(m));
    if no_libc && let Some(off) = scan::go_pclntab(&src, &facts.loads) {
        scan.markers.insert(Marker::GoPclntab, off);
    }
    let verdict = check::evaluate(&facts, &scan, policy);
    Ok(FileReport::new(
        path.display().to_string(),
        hasher.map(Hasher::finish_hex).unwrap_or_default(),
        len,
        &facts,
        verdict,
    ))
}
