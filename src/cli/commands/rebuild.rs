//! `repro-check rebuild`: build the source several times under varied environments (or with Nix's
//! own check) and say what makes the outputs differ.

use clap::ValueHint;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use crate::cli::Outcome;
use crate::cli::report::{self, Style};
use repro_check::error::Error;
use repro_check::rebuild::{self, Verdict, variation::Variation};

/// Build the source several times under varied environments and say what makes the outputs
/// differ.
///
/// Each run builds a fresh copy of the source tree (what git would see: .gitignore rules
/// honoured, `.git` and `target/` left out) with COMMAND, one after another. Two control runs
/// use the same environment: a difference between them is plain nondeterminism. Then one run per
/// variation changes one thing: build-path, tz, locale, umask, home, cargo-home, jobs, file-order
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
    #[arg(long = "variation", value_name = "NAME", hide_possible_values = true, value_parser = crate::cli::names::<Variation>())]
    pub variations: Vec<Variation>,

    /// Do not run this variation (repeatable).
    #[arg(long = "skip", value_name = "NAME", hide_possible_values = true, value_parser = crate::cli::names::<Variation>())]
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
        let jobs = rebuild::variation::job_counts();
        return report::to_stdout(|out| report::rebuild::write_variations(out, jobs, args.json))
            .map(|()| Outcome::Pass);
    }
    if let Some(installable) = &args.nix {
        let result = rebuild::nix::rebuild(installable)?;
        if args.json {
            report::print_json(&result)?;
        } else {
            report::to_stdout(|out| report::rebuild::write_nix_text(out, &result, style))?;
        }
        return Ok(outcome(result.verdict));
    }
    check_command_line(args)?;
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
        env: crate::cli::env::rebuild_environment()?,
    };
    let mut progress = Progress::default();
    let result = rebuild::rebuild_with_progress(&opts, &mut progress.callback());
    // The bar goes before the report comes.
    let unsaid = progress.failed.take();
    drop(progress);
    let result = result?;
    if let Some(error) = unsaid {
        return Err(error);
    }
    if args.json {
        report::print_json(&result)?;
    } else {
        report::to_stdout(|out| report::rebuild::write_text(out, &result, style))?;
    }
    Ok(outcome(result.verdict))
}

/// Progress on standard error: the header at once, then each run's line as it ends; on a
/// terminal also a bar with the elapsed time and "run n of N".
#[derive(Default)]
struct Progress {
    width: usize,
    total: usize,
    names: Vec<String>,
    bar: Option<indicatif::ProgressBar>,
    /// The first failure to write a line (a closed pipe is none).
    failed: Option<Error>,
}

impl Progress {
    /// Write lines to standard error, above the bar if there is one.
    fn say(
        &mut self,
        render: impl FnOnce(&mut std::io::StderrLock<'static>) -> std::io::Result<()>,
    ) {
        let write = || report::to_stderr(render);
        let result = match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        };
        if let Err(error) = result {
            self.failed.get_or_insert(error);
        }
    }

    fn callback(&mut self) -> impl FnMut(rebuild::Event<'_>) + '_ {
        move |event| match event {
            rebuild::Event::Start {
                runs,
                command,
                outputs,
                source_date_epoch,
            } => {
                self.total = runs.len();
                self.width = runs.iter().map(|(_, s)| s.len()).max().unwrap_or(0);
                self.names = runs.iter().map(|(n, _)| n.clone()).collect();
                if report::progress::stderr_is_terminal() {
                    let bar = report::progress::spinner(String::new());
                    bar.set_length(runs.len() as u64);
                    bar.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{spinner} [{elapsed}] {msg} {wide_bar} {pos}/{len} done",
                        )
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                    );
                    self.bar = Some(bar);
                }
                let total = self.total;
                self.say(|err| {
                    report::rebuild::write_header(err, total, command, outputs, source_date_epoch)
                });
            }
            rebuild::Event::RunStart { index } => {
                if let Some(bar) = &self.bar {
                    let name = self.names.get(index).map_or("", String::as_str);
                    bar.set_message(format!("run {} of {}: {name}", index + 1, self.total));
                }
            }
            rebuild::Event::RunEnd { run, .. } => {
                let width = self.width;
                self.say(|err| report::rebuild::write_run(err, run, width, Style::new(false)));
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A forgotten `--` shows up as a COMMAND that starts with an option (clap's tip "use `--
/// --release`" leads there) or as an `--output` that names a program (`--output` takes every word
/// up to the next option): say how to write the line instead of running it.
fn check_command_line(args: &RebuildArgs) -> Result<(), Error> {
    let example = "repro-check rebuild --output target/release/app -- cargo build --release";
    if let Some(first) = args
        .command
        .first()
        .filter(|a| a.to_string_lossy().starts_with('-'))
    {
        let program: Vec<String> = args
            .outputs
            .iter()
            .filter(|o| looks_like_program(o))
            .map(|o| o.display().to_string())
            .collect();
        let moved = if program.is_empty() {
            String::new()
        } else {
            format!(
                " ({} went to --output: --output takes every word up to the next option)",
                repro_check::escape::text(&program.join(" "))
            )
        };
        return Err(Error::Usage(format!(
            "the build command starts with `{}`, an option, not a program{moved}; write the \
             outputs, then `--`, then the whole command, e.g. `{example}`",
            repro_check::escape::text(&first.to_string_lossy())
        )));
    }
    if let Some(program) = args.outputs.iter().find(|o| looks_like_program(o)) {
        return Err(Error::Usage(format!(
            "--output {} names a program, not an output path: --output takes every word up to \
             the next option, so end the outputs with `--` before the command, e.g. `{example}`",
            repro_check::escape::path(program)
        )));
    }
    Ok(())
}

/// A bare word (no `/`, no `.`) that is a program on `PATH` and no file in the current
/// directory: `cargo`, `make`, `sh`.
fn looks_like_program(path: &Path) -> bool {
    let Some(word) = path.to_str() else {
        return false;
    };
    if word.contains(['/', '.']) || path.exists() {
        return false;
    }
    std::env::var_os("PATH")
        .is_some_and(|dirs| std::env::split_paths(&dirs).any(|dir| dir.join(word).is_file()))
}

fn outcome(verdict: Verdict) -> Outcome {
    match verdict {
        Verdict::Reproducible => Outcome::Pass,
        Verdict::NotReproducible => Outcome::Fail,
        Verdict::Failed => Outcome::Incomplete,
    }
}

/// An output path relative to the source root, without `..`.
fn relative_output(source: &Path, path: &Path) -> Result<PathBuf, Error> {
    let rel = if path.is_absolute() {
        let root = std::fs::canonicalize(source).map_err(|e| Error::read(source, e))?;
        path.strip_prefix(&root)
            .map(Path::to_path_buf)
            .map_err(|_| {
                Error::Usage(format!(
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
        Err(Error::Usage(format!(
            "--output {} must name a path inside the source tree, relative to its root (no `..`)",
            path.display()
        )))
    }
}
