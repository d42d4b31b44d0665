//! `repro-check compare`: are these builds identical, and if not, why not?

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::{Error, Outcome, compare, report};

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
    let comparison = compare::compare_paths(&args.builds)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &comparison).map_err(|e| Error::Output(e.into()))?;
        writeln!(out).map_err(Error::Output)?;
    } else {
        let colour = report::compare::use_colour();
        report::compare::write_text(&mut out, &comparison, colour).map_err(Error::Output)?;
    }
    out.flush().map_err(Error::Output)?;
    Ok(if comparison.identical { Outcome::Pass } else { Outcome::Fail })
}
