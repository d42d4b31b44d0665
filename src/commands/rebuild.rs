//! `repro-check rebuild`: build the source several times under varied environments (or with Nix's
//! own check) and say what makes the outputs differ.

use clap::ValueHint;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use crate::Outcome;
use crate::error::Error;
use crate::rebuild::{self, Verdict, variation::Variation};
use crate::report::{self, Style};

/// Build the source several times under varied environments and say what makes the outputs
/// differ.
///
/// Each run builds a fresh copy of the source tree (what git would see: .gitignore rules
/// honoured, `.git` and `target/` left out) with COMMAND, one after another. Two control runs
/// use the same environment: a difference between them is plain nondeterminism. Then one run per
/// variation changes one thing: build-path, tz, locale, umask, home, jobs, file-order
/// (`--list-variations` explains each). A difference that appears only under a variation is
/// blamed on it. SOURCE_DATE_EPOCH is the same in every run (yours, or the source's newest
/// mtime). Outputs are compared by contents, executable bit and symlink target.
///
/// With `--nix INSTALLABLE` Nix builds it and checks it instead (`nix-build --check -K` for a
/// .nix file, `nix build --rebuild --keep-failed` for a flake reference), and a mismatch is
/// explained from the output and its `.check` copy.
///
/// Exit status: 0 reproducible, 1 not reproducible, 2 the job could not be done (the command
/// failed, an output is missing, bad arguments).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  repro-check rebuild --output target/release/app -- cargo build --release --locked
  repro-check rebuild --variation build-path --output out -- make
  repro-check rebuild --nix .#default")]
pub struct RebuildArgs {
    /// The build command and its arguments, after `--`. It runs with /bin/sh setting the umask.
    #[arg(
        last = true,
        value_name = "COMMAND",
        required_unless_present_any = ["nix", "list_variations"]
    )]
    pub command: Vec<OsString>,

    /// Outputs to compare, relative to the source tree's root: files or directories.
    #[arg(
        short,
        long = "output",
        value_name = "PATH",
        num_args = 1..,
        required_unless_present_any = ["nix", "list_variations"],
        value_hint = ValueHint::AnyPath
    )]
    pub outputs: Vec<PathBuf>,

    /// The source tree to copy for each run.
    #[arg(long, value_name = "DIR", default_value = ".", value_hint = ValueHint::DirPath)]
    pub source: PathBuf,

    /// Run only this variation (repeatable). The two controls always run.
    #[arg(long = "variation", value_name = "NAME", hide_possible_values = true)]
    pub variations: Vec<Variation>,

    /// Do not run this variation (repeatable).
    #[arg(long = "skip", value_name = "NAME", hide_possible_values = true)]
    pub skip: Vec<Variation>,

    /// List the variations and what each changes, then exit.
    #[arg(long)]
    pub list_variations: bool,

    /// Build this with Nix and check it with Nix's own rebuild: a .nix file or a flake
    /// reference such as `.#default`.
    #[arg(long, value_name = "INSTALLABLE", conflicts_with_all = ["command", "outputs", "attest"])]
    pub nix: Option<String>,

    /// Create the temporary directory here instead of the system's temporary directory (e.g. on
    /// a tmpfs, where the file-order variation takes effect).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub work_dir: Option<PathBuf>,

    /// Also write an in-toto reproducibility attestation of the runs to FILE (the statement
    /// `repro-check attest` writes; each run is one build, labelled by its name). Written whenever
    /// every run finished, reproducible or not.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub attest: Option<PathBuf>,

    /// Keep the logs and outputs of every run even when the build reproduces.
    #[arg(long)]
    pub keep: bool,

    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Run `rebuild`.
pub fn run(args: &RebuildArgs) -> Result<Outcome, Error> {
    let style = Style::new(!args.json && report::use_colour());
    if args.list_variations {
        return list(args.json).map(|()| Outcome::Pass);
    }
    if let Some(installable) = &args.nix {
        let result = rebuild::nix::rebuild(installable)?;
        if args.json {
            report::print_json(&result)?;
        } else {
            report::print(&report::rebuild::nix_text(&result, style))?;
        }
        return Ok(outcome(result.verdict));
    }
    let variations = rebuild::variation::select(&args.variations, &args.skip);
    let outputs = args
        .outputs
        .iter()
        .map(|p| relative_output(&args.source, p))
        .collect::<Result<Vec<_>, _>>()?;
    let opts = rebuild::Options {
        source: args.source.clone(),
        command: args.command.clone(),
        outputs,
        variations,
        work_dir: args.work_dir.clone(),
        keep: args.keep,
        attest: args.attest.clone(),
    };
    let result = rebuild::rebuild(&opts)?;
    if args.json {
        report::print_json(&result)?;
    } else {
        report::print(&report::rebuild::text(&result, style))?;
    }
    Ok(outcome(result.verdict))
}

fn outcome(verdict: Verdict) -> Outcome {
    match verdict {
        Verdict::Reproducible => Outcome::Pass,
        Verdict::NotReproducible => Outcome::Fail,
        Verdict::Failed => Outcome::Incomplete,
    }
}

fn list(json: bool) -> Result<(), Error> {
    let jobs = rebuild::variation::job_counts();
    if json {
        let items: Vec<serde_json::Value> = rebuild::variation::ALL
            .iter()
            .map(|v| {
                let [reference, varied] = v.settings(jobs);
                serde_json::json!({
                    "name": v.name(), "varies": v.what(),
                    "reference": reference, "varied": varied,
                })
            })
            .collect();
        return report::print_json(&serde_json::json!({ "variations": items }));
    }
    let mut text = String::from("control (two runs, always): the same environment twice\n");
    for v in rebuild::variation::ALL {
        let [reference, varied] = v.settings(jobs);
        text.push_str(&format!(
            "{}: {}\n    {reference} -> {varied}\n",
            v.name(),
            v.what()
        ));
    }
    report::print(&text)
}

/// An output path relative to the source root, without `..`.
fn relative_output(source: &Path, path: &Path) -> Result<PathBuf, Error> {
    let rel = if path.is_absolute() {
        let root = std::fs::canonicalize(source).map_err(|e| Error::read(source, e))?;
        path.strip_prefix(&root)
            .map(Path::to_path_buf)
            .map_err(|_| {
                Error::Invalid(format!(
                    "--output {} is outside the source tree {}; name outputs relative to it",
                    path.display(),
                    source.display()
                ))
            })?
    } else {
        path.to_path_buf()
    };
    let ok = rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        && rel.components().any(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(rel.components().collect())
    } else {
        Err(Error::Invalid(format!(
            "--output {} must name a path inside the source tree, relative to its root (no `..`)",
            path.display()
        )))
    }
}
