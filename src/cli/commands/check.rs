//! `repro-check check`: is each ELF file truly static, and if not, why not?

use clap::ValueHint;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

use crate::cli::Outcome;
use crate::cli::report::{self, Style, check::*};
use repro_check::check::{Code, FileProblem, FileReport, Policy, check_file, check_open};
use repro_check::error::Error;
use repro_check::input::{self, Item, SkipReason};

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
    /// in them that are not ELF are counted and skipped. `-` reads one file from standard input
    /// (`curl -sL URL | repro-check check -`), named `-` in the report.
    #[arg(required = true, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Print one JSON document (`{"files": [...], "summary": {...}}`) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Fail files not built for this machine, named as `uname -m` names it (x86_64, aarch64, …);
    /// the usual other names are accepted too (amd64, x64, x86-64, arm64, i386, armhf, ppc64el…).
    #[arg(long, value_name = "MACHINE", value_parser = parse_machine)]
    pub machine: Option<String>,

    /// Fail on findings with this code even where they are only warnings, e.g. `build-path`,
    /// `nix-store-ref`, `glibc-nss`. Repeat for several codes.
    #[arg(long, value_name = "CODE", hide_possible_values = true, value_parser = crate::cli::names::<Code>())]
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

/// The machine names `check` reports (`uname -m`'s, as `elf::names::machine_name` gives them),
/// each with the other names people use for it.
const MACHINES: &[(&str, &[&str])] = &[
    ("x86_64", &["amd64", "x86-64", "x64", "x86_64h"]),
    ("aarch64", &["arm64", "armv8", "aarch64_be"]),
    ("i686", &["i386", "i486", "i586", "x86", "ia32"]),
    ("x32", &[]),
    (
        "arm",
        &["armv7l", "armv7", "armv6l", "armhf", "armel", "aarch32"],
    ),
    ("riscv64", &["riscv64gc", "rv64"]),
    ("riscv32", &["rv32"]),
    ("ppc64le", &["powerpc64le", "ppc64el"]),
    ("ppc64", &["powerpc64"]),
    ("ppc", &["powerpc"]),
    ("s390x", &[]),
    ("s390", &[]),
    ("mips64", &["mips64el"]),
    ("mips", &["mipsel"]),
    ("loongarch64", &["loong64"]),
    ("sparc64", &[]),
    ("sparc", &[]),
    ("m68k", &[]),
    ("sh", &["sh4"]),
    ("parisc", &["hppa"]),
    ("ia64", &[]),
    ("alpha", &[]),
];

/// `--machine`: any name of [`MACHINES`], case-insensitively, as the name `check` reports; an
/// unknown name is a usage error listing the accepted ones (never a silent FAIL of every file).
fn parse_machine(name: &str) -> Result<String, String> {
    let wanted = name.trim().to_ascii_lowercase();
    MACHINES
        .iter()
        .find(|(canonical, aliases)| *canonical == wanted || aliases.contains(&wanted.as_str()))
        .map(|(canonical, _)| canonical.to_string())
        .ok_or_else(|| {
            let accepted: Vec<String> = MACHINES
                .iter()
                .map(|(canonical, aliases)| {
                    if aliases.is_empty() {
                        canonical.to_string()
                    } else {
                        format!("{canonical} ({})", aliases.join(", "))
                    }
                })
                .collect();
            format!("unknown machine name; use one of: {}", accepted.join("; "))
        })
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
    let mut summary = Summary::default();
    let inputs = match expand(&args.paths) {
        Ok(inputs) => inputs,
        Err(error) => return fail_job(args.json, &summary, error),
    };
    let mut explicit_error = false;
    let progress = report::progress::bar(inputs.len(), "checking");
    let results: Vec<Option<(FileResult, bool)>> = inputs
        .par_iter()
        .map(|input| {
            let result = match input {
                Input::Stdin => Some(match check_stdin(&policy, digest) {
                    Ok(report) => (FileResult::Checked(Box::new(report)), true),
                    Err(FileProblem::NotElf(e) | FileProblem::Error(e)) => {
                        (failed(Path::new(STDIN_NAME), &e), true)
                    }
                }),
                Input::Item(item) => check_item(item, &policy, digest),
            };
            progress.inc();
            result
        })
        .collect();
    progress.finish();

    let mut files = Vec::new();
    for (input, result) in inputs.iter().zip(results) {
        match (input, result) {
            (
                Input::Item(Item::Skipped {
                    reason: SkipReason::Symlink,
                    ..
                }),
                _,
            ) => summary.skipped_symlinks += 1,
            (
                Input::Item(Item::Skipped {
                    reason: SkipReason::Special,
                    ..
                }),
                _,
            ) => summary.skipped_special += 1,
            (_, None) => summary.skipped_not_elf += 1,
            (_, Some((entry, explicit))) => {
                match &entry {
                    FileResult::Checked(r) => {
                        summary.checked += 1;
                        if r.pass {
                            summary.passed += 1
                        } else {
                            summary.failed += 1
                        }
                    }
                    FileResult::Failed(e) => {
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
        let error = Error::Usage(format!(
            "found no ELF files in {} ({} other files skipped); name a binary or the directory that holds it",
            args.paths
                .iter()
                .map(|p| repro_check::escape::path(p).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
            summary.skipped_not_elf + summary.skipped_symlinks + summary.skipped_special,
        ));
        return fail_job(args.json, &summary, error);
    }

    let doc = CheckOutput { files, summary };
    if args.json {
        report::print_json(&doc)?;
    } else {
        let style = Style::new(report::use_colour());
        report::to_stdout(|out| write_text(out, &doc, style, args.verbose))?;
    }
    Ok(if explicit_error {
        Outcome::Incomplete
    } else if doc.summary.failed > 0 || doc.summary.errors > 0 {
        Outcome::Fail
    } else {
        Outcome::Pass
    })
}

/// The job could not be done: the error, and with `--json` still one document, with no files
/// and the error in it (exit 2 either way).
fn fail_job(json: bool, summary: &Summary, error: Error) -> Result<Outcome, Error> {
    if !json {
        return Err(error);
    }
    eprintln!("error: {error}");
    report::print_json(&NoElf {
        files: [],
        summary,
        error: error.to_string(),
    })?;
    Ok(Outcome::Incomplete)
}

/// What `check` looks at: the paths' files, or standard input for `-`.
enum Input {
    Item(Item),
    Stdin,
}

/// How standard input is named in reports.
pub const STDIN_NAME: &str = "-";

/// The most `-` reads from standard input (it is spooled to an unnamed temporary file).
pub const STDIN_CAP: u64 = 4 << 30;

/// Expand the paths in order; `-` (at most once) stands for standard input.
fn expand(paths: &[PathBuf]) -> Result<Vec<Input>, Error> {
    let dashes = paths.iter().filter(|p| p.as_os_str() == STDIN_NAME).count();
    if dashes > 1 {
        return Err(Error::Usage(
            "`-` (standard input) is named more than once; standard input holds one file".into(),
        ));
    }
    let mut inputs = Vec::new();
    for (i, group) in paths.split(|p| p.as_os_str() == STDIN_NAME).enumerate() {
        if i > 0 {
            inputs.push(Input::Stdin);
        }
        inputs.extend(input::expand(group).into_iter().map(Input::Item));
    }
    Ok(inputs)
}

fn check_item(item: &Item, policy: &Policy, digest: bool) -> Option<(FileResult, bool)> {
    match item {
        Item::File { path, explicit } => match check_file(path, policy, digest) {
            Ok(report) => Some((FileResult::Checked(Box::new(report)), *explicit)),
            Err(FileProblem::NotElf(_)) if !explicit => None,
            Err(FileProblem::NotElf(e) | FileProblem::Error(e)) => {
                Some((failed(path, &e), *explicit))
            }
        },
        Item::Failed { error, explicit } => Some((failed(error_path(error), error), *explicit)),
        Item::Skipped { .. } => None,
    }
}

/// Check the file on standard input: spooled to an unnamed temporary file (a pipe cannot be read
/// at offsets), then checked like any file and named `-`.
fn check_stdin(policy: &Policy, digest: bool) -> Result<FileReport, FileProblem> {
    use std::io::IsTerminal;
    let name = Path::new(STDIN_NAME);
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(FileProblem::Error(Error::Usage(
            "`-` reads a file from standard input, but standard input is a terminal; pipe the \
             file in (`curl -sL URL | repro-check check -`) or name it"
                .into(),
        )));
    }
    let (file, len) = spool(stdin.lock(), STDIN_CAP).map_err(FileProblem::Error)?;
    check_open(name, &file, len, policy, digest)
}

/// Copy at most `cap` bytes of `reader` into an unnamed temporary file (removed when closed),
/// rewound; more than `cap` bytes is an error.
fn spool(reader: impl std::io::Read, cap: u64) -> Result<(std::fs::File, u64), Error> {
    use std::io::Seek;
    let name = Path::new(STDIN_NAME);
    let mut file = tempfile::tempfile().map_err(|e| Error::Write {
        path: std::env::temp_dir(),
        source: e,
    })?;
    let len =
        std::io::copy(&mut reader.take(cap + 1), &mut file).map_err(|e| Error::read(name, e))?;
    if len > cap {
        return Err(Error::Usage(format!(
            "standard input (`-`) holds more than {}; save it to a file and check that file",
            report::human_size(cap)
        )));
    }
    file.rewind().map_err(|e| Error::read(name, e))?;
    Ok((file, len))
}

fn failed(path: &Path, error: &Error) -> FileResult {
    FileResult::Failed(FileError {
        path: path.display().to_string(),
        error: error.to_string(),
    })
}

fn error_path(error: &Error) -> &Path {
    error.path().unwrap_or(Path::new(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_aliases() {
        for (alias, canonical) in [
            ("amd64", "x86_64"),
            ("x86-64", "x86_64"),
            ("X64", "x86_64"),
            ("x86_64", "x86_64"),
            ("arm64", "aarch64"),
            ("i386", "i686"),
            ("ppc64el", "ppc64le"),
        ] {
            assert_eq!(parse_machine(alias).as_deref(), Ok(canonical), "{alias}");
        }
        let err = parse_machine("x86")
            .map(|_| ())
            .and(parse_machine("pdp11"))
            .unwrap_err();
        assert!(err.contains("x86_64 (amd64, x86-64, x64"), "{err}");
    }

    #[test]
    fn stdin_is_spooled_up_to_a_cap() {
        use std::io::Read;
        let (mut file, len) = spool(&b"\x7fELF..."[..], 8).unwrap();
        let mut back = Vec::new();
        file.read_to_end(&mut back).unwrap();
        assert_eq!((len, back.as_slice()), (7, &b"\x7fELF..."[..]));
        let err = spool(&b"123456789"[..], 8).unwrap_err().to_string();
        assert!(
            err.contains("standard input (`-`) holds more than 8 B"),
            "{err}"
        );
    }

    #[test]
    fn machine_names_are_the_ones_reported() {
        // Every canonical name is one `machine_name` produces for some header.
        let reported: std::collections::BTreeSet<String> = (0..=u16::MAX)
            .filter(|m| *m < 300 || *m == 0x9026)
            .flat_map(|m| {
                [(true, true), (true, false), (false, true), (false, false)]
                    .map(|(is_64, le)| repro_check::elf::names::machine_name(m, is_64, le))
            })
            .collect();
        for (canonical, _) in MACHINES {
            assert!(reported.contains(*canonical), "{canonical}");
        }
    }
}
