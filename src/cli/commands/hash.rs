//! `repro-check hash`: SHA-256 of every file of each path, as `sha256sum` prints it, or as a JSON
//! manifest that `compare` and `attest` read on another machine.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::{Outcome, report};
use repro_check::Error;
use repro_check::manifest::{self, Manifest, Root};
use repro_check::snapshot::{self, Snapshot};

/// Hash build outputs: SHA-256 of every file in `sha256sum -c` format, a JSON manifest, NAR hashes.
///
/// Directories are walked (symlinks inside them are not followed), sorted, and listed by path, so
/// `repro-check hash DIR > SUMS` then `sha256sum -c SUMS` checks them. A PATH that is a symlink to a
/// directory (a `result` link) is walked.
#[derive(Debug, Args)]
pub struct HashArgs {
    /// Print a JSON manifest (schema `repro-check.manifest/v2`) instead; `compare` accepts it in
    /// place of a build, so builds on different machines compare without moving binaries.
    #[arg(long)]
    pub json: bool,

    /// Also give the Nix NAR hash of each PATH (`sha256-<base64>`, what `nix hash path PATH`
    /// prints and what a store path's `narHash` is). In text output it is a `# nar` comment line,
    /// which `sha256sum -c` ignores.
    #[arg(long)]
    pub nar: bool,

    /// Files or directories to hash.
    #[arg(required = true, value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,
}

/// Run `hash`.
pub fn run(args: &HashArgs) -> Result<Outcome, Error> {
    let counter = repro_check::progress::Counter::default();
    let snapshots = report::progress::counting("hashing", &counter, || {
        (args.paths.iter())
            .map(|p| snapshot::take_counted(p, args.nar, &counter))
            .collect::<Result<Vec<_>, _>>()
    })?;
    if args.json {
        let manifest = Manifest {
            schema: manifest::SCHEMA.to_string(),
            roots: (args.paths.iter())
                .zip(&snapshots)
                .map(|(p, s)| Root::new(p, s))
                .collect(),
        };
        return report::print_json(&manifest).map(|()| Outcome::Pass);
    }
    let terminal = std::io::stdout().is_terminal();
    let roots: Vec<(&Path, &Snapshot)> = args
        .paths
        .iter()
        .map(PathBuf::as_path)
        .zip(&snapshots)
        .collect();
    report::to_stdout(|out| report::hash::write_sums(out, &roots, terminal))?;
    Ok(Outcome::Pass)
}
