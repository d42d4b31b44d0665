//! `rebuild`: build the same source several times and find out what makes the outputs differ.
//!
//! Every run builds a fresh copy of the source tree, one after another. Two control runs use the
//! same environment and the same build directory: a difference between them is plain
//! nondeterminism (the clock, randomness, thread scheduling) that no variation can be blamed for.
//! Each further run changes exactly one thing ([`variation`]); a difference that appears there but
//! not between the controls is blamed on that variation. `SOURCE_DATE_EPOCH` is the same in
//! every run.

pub mod attest;
pub mod exec;
pub mod explain;
pub mod nix;
pub mod outputs;
pub mod plan;
pub mod tree;
pub mod variation;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::Error;
pub use explain::Explanation;
use outputs::Change;

use crate::manifest::Build;
use crate::snapshot::Name;
use plan::{Context, RunSpec};
use variation::Variation;

/// What to rebuild and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The source tree to copy for each run.
    pub source: PathBuf,
    /// The build command and its arguments.
    pub command: Vec<OsString>,
    /// Outputs to collect, relative to the source tree's root.
    pub outputs: Vec<PathBuf>,
    /// The variations to run, in order.
    pub variations: Vec<Variation>,
    /// Where to create the temporary directory (default: the system's temporary directory).
    pub work_dir: Option<PathBuf>,
    /// Keep the temporary directory (logs and outputs) even when the build reproduces.
    pub keep: bool,
    /// Write an attestation of the runs here.
    pub attest: Option<PathBuf>,
    /// What the caller's environment says; the library never reads the environment itself.
    pub env: Environment,
}

/// The caller's environment, as far as `rebuild` needs it (the binary reads it; tests give it).
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `SOURCE_DATE_EPOCH`, parsed (see [`crate::attestation::time::parse_source_date_epoch`]):
    /// every run gets it, and `--attest` records it. Unset: the source's newest mtime for the
    /// runs, and no time in the attestation.
    pub source_date_epoch: Option<u64>,
    /// `HOME`: every run but the home variation's keeps it.
    pub home: Option<OsString>,
    /// `CARGO_HOME`; unset: `$HOME/.cargo` when that is a directory. Pinned for every run so
    /// that tools keep finding their data when HOME varies.
    pub cargo_home: Option<OsString>,
    /// `RUSTUP_HOME`; unset: `$HOME/.rustup` when that is a directory. Pinned like CARGO_HOME.
    pub rustup_home: Option<OsString>,
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every run produced identical outputs.
    Reproducible,
    /// At least one run's outputs differ.
    NotReproducible,
    /// A run failed, so nothing could be concluded.
    Failed,
}

/// One run, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// `control-1`, `control-2`, or the variation's name.
    pub name: String,
    /// The variation it applies (none for the controls).
    pub variation: Option<Variation>,
    /// The setting it ran with, e.g. `TZ=GMT-14`.
    pub setting: String,
    /// How long the command ran, in seconds.
    pub seconds: f64,
    /// `reference`, `reproduced`, `differs`, or `failed`.
    pub status: RunStatus,
    /// Paths that differ from the reference run, with their causes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
    /// Anything that limits what the run shows (e.g. a variation that had no effect here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How a run compares with the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// The first control run: everything is compared with it.
    Reference,
    /// Identical outputs.
    Reproduced,
    /// Some output differs.
    Differs,
    /// The command failed or did not produce an output.
    Failed,
}

/// One path that differs between the reference run and another.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// Relative to the source tree's root (its printed form when it is not UTF-8).
    pub path: String,
    /// The path's exact bytes in base64, only when it is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_base64: Option<String>,
    /// What differs.
    pub change: Change,
    /// SHA-256 in the reference run and in this run (null when not a regular file there).
    pub sha256: [Option<String>; 2],
    /// True when the path blamed is this run's variation: it also reproduced between the controls.
    /// False for the control run itself and for paths the controls already disagree on.
    pub blamed: bool,
    /// What the compare engine found (for differing contents).
    #[serde(flatten)]
    pub explanation: Explanation,
}

/// A run that could not be done.
#[derive(Debug, Clone, Serialize)]
pub struct RunFailure {
    /// The run's name.
    pub run: String,
    /// What went wrong, as a sentence.
    pub reason: String,
    /// The last lines of the command's output.
    pub log_tail: String,
}

/// The result of `rebuild`.
#[derive(Debug, Clone, Serialize)]
pub struct Rebuild {
    /// The verdict.
    pub verdict: Verdict,
    /// The build command.
    pub command: Vec<String>,
    /// The outputs compared.
    pub outputs: Vec<String>,
    /// The `SOURCE_DATE_EPOCH` every run had.
    pub source_date_epoch: u64,
    /// Every run done, in order.
    pub runs: Vec<RunReport>,
    /// Each output file's SHA-256 in the reference run.
    pub reference: Vec<OutputDigest>,
    /// The run that failed, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<RunFailure>,
    /// The attestation written, if `--attest` asked for one and every run finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<PathBuf>,
    /// Where logs and outputs were kept (only when kept: on failure, difference or `--keep`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<PathBuf>,
}

/// An output file and its digest.
#[derive(Debug, Clone, Serialize)]
pub struct OutputDigest {
    /// Relative to the source tree's root (its printed form when it is not UTF-8).
    pub path: String,
    /// The path's exact bytes in base64, only when it is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_base64: Option<String>,
    /// SHA-256, hex.
    pub sha256: String,
}

/// Pause so the second control starts at least this long after the first one ended: a
/// timestamp with one-second resolution then always differs between them.
const CONTROL_GAP: Duration = Duration::from_millis(1100);

/// Lines of log shown when a run fails.
pub const TAIL_LINES: usize = 25;

/// What `rebuild` says while it runs, for progress output (a build can take many minutes).
#[derive(Debug)]
pub enum Event<'a> {
    /// Before the first run: every planned run's name and setting, and `SOURCE_DATE_EPOCH`.
    Start {
        /// `(name, setting)` of each run, in order.
        runs: &'a [(String, String)],
        /// The build command, as reported.
        command: &'a [String],
        /// The outputs compared, as reported.
        outputs: &'a [String],
        /// The `SOURCE_DATE_EPOCH` every run has.
        source_date_epoch: u64,
    },
    /// Run `index` (0-based) starts.
    RunStart {
        /// Its position.
        index: usize,
    },
    /// Run `index` ended; its status against the reference run (`Reference` for the first,
    /// `Failed` when it failed). Blame is decided only once every run is done.
    RunEnd {
        /// Its position.
        index: usize,
        /// The run, with its status so far.
        run: &'a RunReport,
    },
}

/// Build the source once per run and compare the outputs.
pub fn rebuild(opts: &Options) -> Result<Rebuild, Error> {
    rebuild_with_progress(opts, &mut |_| {})
}

/// [`rebuild`], telling `progress` about each run as it starts and ends.
pub fn rebuild_with_progress(
    opts: &Options,
    progress: &mut dyn FnMut(Event<'_>),
) -> Result<Rebuild, Error> {
    let source = tree::Source::scan(&opts.source)?;
    let ctx = Context::new(opts, &source)?;
    let specs = plan::runs(&opts.variations);
    let planned: Vec<(String, String)> = specs
        .iter()
        .map(|s| (s.name.clone(), ctx.setting(s)))
        .collect();
    let command: Vec<String> = opts
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let output_names: Vec<String> = opts
        .outputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    progress(Event::Start {
        runs: &planned,
        command: &command,
        outputs: &output_names,
        source_date_epoch: ctx.source_date_epoch,
    });
    let mut runs: Vec<RunReport> = Vec::new();
    let mut listings: Vec<Build> = Vec::new();
    let mut reference_order: Option<Vec<PathBuf>> = None;
    let mut last_end: Option<Instant> = None;
    let mut failure = None;

    for (index, spec) in specs.iter().enumerate() {
        if let (Some(end), "control-2") = (last_end, spec.name.as_str()) {
            std::thread::sleep(CONTROL_GAP.saturating_sub(end.elapsed()));
        }
        progress(Event::RunStart { index });
        let tree_dir = ctx.tree_dir(spec);
        source.copy_to(&tree_dir, spec.variation == Some(Variation::FileOrder))?;
        let mut note = None;
        let order = tree::listing_order(&tree_dir);
        match (&reference_order, spec.variation) {
            (None, _) => reference_order = Some(order),
            (Some(reference), Some(Variation::FileOrder)) if *reference == order => {
                note = Some(
                    "no effect here: this filesystem lists the copy in the same order either way \
                     (use --work-dir on a tmpfs to vary it)"
                        .to_string(),
                );
            }
            (_, Some(Variation::Locale)) if variation::locale_installed() == Some(false) => {
                note = Some(format!(
                    "no effect here: {} is not installed (`locale -a`), so the C library falls \
                     back to the C locale (Debian: install locales-all)",
                    variation::LOCALE[1].0
                ));
            }
            _ => note = ctx.cargo_home_note(spec),
        }
        let log = ctx.log_path(spec);
        let exit = exec::run(
            &opts.command,
            &tree_dir,
            &ctx.env_set(spec, &tree_dir),
            &ctx.env_remove(),
            ctx.umask(spec),
            &log,
        )?;
        last_end = Some(Instant::now());
        let store = ctx.store_dir(spec);
        let report = RunReport {
            name: spec.name.clone(),
            variation: spec.variation,
            setting: ctx.setting(spec),
            seconds: (exit.elapsed.as_secs_f64() * 10.0).round() / 10.0,
            status: RunStatus::Failed,
            differences: Vec::new(),
            note,
        };
        let reason = if !exit.success {
            Some(format!(
                "the build command failed in run {} with {}",
                spec.name, exit.status
            ))
        } else {
            outputs::collect(&tree_dir, &opts.outputs, &store)?.map(|missing| {
                format!(
                    "the build command succeeded in run {} but did not create {}; check --output",
                    spec.name,
                    missing.display()
                )
            })
        };
        ctx.remove_tree(spec);
        if let Some(reason) = reason {
            failure = Some(RunFailure {
                run: spec.name.clone(),
                reason,
                log_tail: exec::tail(&log, TAIL_LINES),
            });
            progress(Event::RunEnd {
                index,
                run: &report,
            });
            runs.push(report);
            break;
        }
        let build = outputs::take(&store, &spec.name)?;
        let mut report = report;
        report.status = match listings.first() {
            None => RunStatus::Reference,
            Some(reference) if outputs::diff(reference, &build).is_empty() => RunStatus::Reproduced,
            Some(_) => RunStatus::Differs,
        };
        progress(Event::RunEnd {
            index,
            run: &report,
        });
        listings.push(build);
        runs.push(report);
    }

    let reference = listings
        .first()
        .map(|l| {
            l.entries()
                .iter()
                .filter_map(|(name, node)| {
                    Some(OutputDigest {
                        path: name.json_text().into_owned(),
                        path_base64: name.base64(),
                        sha256: node.sha256()?.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    attribute(&specs, &listings, &mut runs);

    let verdict = if failure.is_some() {
        Verdict::Failed
    } else if runs.iter().any(|r| r.status == RunStatus::Differs) {
        Verdict::NotReproducible
    } else {
        Verdict::Reproducible
    };
    let mut attestation = None;
    if let (Some(path), None) = (&opts.attest, &failure) {
        attest::write(path, &listings, opts.env.source_date_epoch)?;
        attestation = Some(path.clone());
    }
    let source_date_epoch = ctx.source_date_epoch;
    let kept = ctx.finish(verdict != Verdict::Reproducible || opts.keep)?;
    Ok(Rebuild {
        verdict,
        command,
        outputs: output_names,
        source_date_epoch,
        runs,
        reference,
        failure,
        attestation,
        kept,
    })
}

/// Compare every finished run with the reference run, in memory, explain differing files, and
/// decide blame: a path that differs between the controls is never blamed on a variation.
fn attribute(specs: &[RunSpec], builds: &[Build], runs: &mut [RunReport]) {
    let Some(reference) = builds.first() else {
        return;
    };
    let mut control_paths: BTreeSet<Name> = BTreeSet::new();
    for (i, build) in builds.iter().enumerate() {
        if i == 0 {
            runs[i].status = RunStatus::Reference;
            continue;
        }
        let is_control = specs[i].variation.is_none();
        let mut differences = Vec::new();
        for d in outputs::diff(reference, build) {
            let blamed = !is_control && !control_paths.contains(&d.name);
            if is_control {
                control_paths.insert(d.name.clone());
            }
            differences.push(Difference::new(d, blamed));
        }
        runs[i].status = if differences.is_empty() {
            RunStatus::Reproduced
        } else {
            RunStatus::Differs
        };
        runs[i].differences = differences;
    }
}

impl Difference {
    /// The report of one differing path.
    pub fn new(d: outputs::Diff, blamed: bool) -> Difference {
        Difference {
            path: d.name.json_text().into_owned(),
            path_base64: d.name.base64(),
            change: d.change,
            sha256: d.sha256,
            blamed,
            explanation: d.explanation,
        }
    }
}
