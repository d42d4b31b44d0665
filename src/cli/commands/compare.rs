//! `repro-check compare`: are these builds identical, and if not, why not?

use std::path::PathBuf;

use clap::Args;

use crate::cli::report::progress;
use crate::cli::{Outcome, report};
use repro_check::progress::Counter;
use repro_check::{Error, compare, manifest};

/// Compare two or more builds and explain why they differ.
///
/// Each BUILD is a file, a directory tree (a `result` symlink is followed) or a manifest written by
/// `repro-check hash --json` on another machine. Trees are matched by relative path. Three or more
/// builds are grouped by digest into a majority and outliers. For each differing ELF file, the
/// differing sections and the ranked causes (build-path, timestamp, debug-only, build-id-only,
/// toolchain, ordering, layout, code) are shown with evidence and a fix.
///
/// Exit status: 0 identical, 1 different, 2 a build could not be read.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Print one JSON document (schema `repro-check.compare/v1`) instead of text.
    #[arg(long)]
    pub json: bool,

    /// The builds: files, directories or manifests (at least two).
    #[arg(required = true, num_args = 2.., value_name = "BUILD", value_hint = clap::ValueHint::AnyPath)]
    pub builds: Vec<PathBuf>,
}

/// Run `compare`.
pub fn run(args: &CompareArgs) -> Result<Outcome, Error> {
    // Two bars on a terminal: files hashed while the builds load, then files compared.
    let hashed = Counter::default();
    let builds = progress::counting("hashing", &hashed, || {
        (args.builds.iter())
            .map(|p| manifest::load_counted(p, &hashed))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let compared = Counter::default();
    let comparison = progress::counting("comparing", &compared, || {
        compare::compare_counted(&builds, &compared)
    })?;
    if args.json {
        report::print_json(&comparison)?;
    } else {
        let colour = report::use_colour();
        report::to_stdout(|out| report::compare::write_text(out, &comparison, colour))?;
    }
    Ok(if comparison.identical {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}
