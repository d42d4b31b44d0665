//! `rebuild --nix`: build with Nix, rebuild with Nix's own check, and on a mismatch explain the
//! difference between the output and the `.check` copy Nix keeps.
//!
//! A `.nix` file is built with `nix-build` and checked with `nix-build --check -K` (stable on every
//! Nix version; exit 104 means "not deterministic"). A flake reference needs `nix build`
//! (Nix ≥ 2.4, with the `nix-command flakes` features turned on for the call) and is checked with
//! `nix build --rebuild --keep-failed` (exit 1 plus "may not be deterministic").

use std::path::Path;
use std::process::{Command, Output};

use serde::Serialize;

use super::outputs;
use super::{Difference, RunFailure, TAIL_LINES, Verdict};
use crate::error::Error;

/// The result of `rebuild --nix`.
#[derive(Debug, Clone, Serialize)]
pub struct NixRebuild {
    /// The verdict.
    pub verdict: Verdict,
    /// The installable, as given.
    pub installable: String,
    /// `nix --version`'s version number.
    pub nix_version: String,
    /// The check command used: `nix-build --check -K` or `nix build --rebuild --keep-failed`.
    pub method: String,
    /// Each output of the derivation.
    pub outputs: Vec<NixOutput>,
    /// The build directory Nix kept from the failed check, if it said so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_build_dir: Option<String>,
    /// Why the job could not be done, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<RunFailure>,
}

/// One output of the derivation.
#[derive(Debug, Clone, Serialize)]
pub struct NixOutput {
    /// Its store path.
    pub path: String,
    /// The copy the check built, when it differed and Nix kept it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_path: Option<String>,
    /// Whether the check reproduced it.
    pub reproduced: bool,
    /// What differs, with causes (paths relative to the output; `.` for a single-file output).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
}

/// Is `installable` a Nix file (rather than a flake reference)?
fn is_file(installable: &str) -> bool {
    !installable.contains('#')
        && (installable.ends_with(".nix") || Path::new(installable).is_file())
}

/// The version `nix --version` reports, e.g. (2, 8, "2.8.0").
fn nix_version() -> Result<((u32, u32), String), Error> {
    let out = Command::new("nix").arg("--version").output().map_err(|e| {
        Error::Environment(format!(
            "cannot run nix ({e}); install Nix (Debian: apt install nix-bin) or leave out --nix"
        ))
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().last().unwrap_or("").to_string();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    Ok(((major, minor), version))
}

fn run(cmd: &mut Command, what: &str) -> Result<Output, Error> {
    cmd.output().map_err(|e| {
        Error::Environment(format!(
            "cannot run {what}: {e}; check that Nix is installed and on PATH"
        ))
    })
}

fn tail(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// The store paths `nix build --json` printed.
fn json_out_paths(stdout: &[u8]) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(stdout) else {
        return Vec::new();
    };
    let mut paths = Vec::new();
    for item in value.as_array().into_iter().flatten() {
        if let Some(outs) = item.get("outputs").and_then(|o| o.as_object()) {
            paths.extend(outs.values().filter_map(|v| v.as_str().map(String::from)));
        }
    }
    paths
}

/// Build `installable`, check it with Nix, and explain any difference.
pub fn rebuild(installable: &str) -> Result<NixRebuild, Error> {
    let ((major, minor), version) = nix_version()?;
    let file = is_file(installable);
    if !file && (major, minor) < (2, 4) {
        return Err(Error::Usage(format!(
            "{installable} is a flake reference, which needs Nix 2.4 or newer (this is Nix {version}); give a .nix file instead"
        )));
    }
    let command = |check: bool| -> Command {
        if file {
            let mut cmd = Command::new("nix-build");
            cmd.arg(installable).arg("--no-out-link");
            if check {
                cmd.args(["--check", "-K"]);
            }
            cmd
        } else {
            let mut cmd = Command::new("nix");
            cmd.args([
                "--extra-experimental-features",
                "nix-command flakes",
                "build",
                "--no-link",
                "--json",
            ])
            .arg(installable);
            if check {
                cmd.args(["--rebuild", "--keep-failed"]);
            }
            cmd
        }
    };
    let method = if file {
        "nix-build --check -K"
    } else {
        "nix build --rebuild --keep-failed"
    };
    let mut result = NixRebuild {
        verdict: Verdict::Failed,
        installable: installable.to_string(),
        nix_version: version,
        method: method.to_string(),
        outputs: Vec::new(),
        kept_build_dir: None,
        failure: None,
    };

    let first = run(&mut command(false), method)?;
    if !first.status.success() {
        result.failure = Some(RunFailure {
            run: "build".into(),
            reason: format!("nix could not build {installable} ({})", first.status),
            log_tail: tail(&first.stderr),
        });
        return Ok(result);
    }
    let paths = if file {
        String::from_utf8_lossy(&first.stdout)
            .lines()
            .filter(|l| l.starts_with('/'))
            .map(String::from)
            .collect()
    } else {
        json_out_paths(&first.stdout)
    };
    if paths.is_empty() {
        result.failure = Some(RunFailure {
            run: "build".into(),
            reason: format!("nix built {installable} but printed no output path"),
            log_tail: tail(&first.stderr),
        });
        return Ok(result);
    }

    let check = run(&mut command(true), method)?;
    let stderr = String::from_utf8_lossy(&check.stderr);
    let mismatch = stderr.contains("may not be deterministic");
    result.kept_build_dir = stderr
        .lines()
        .find_map(|l| l.split("keeping build directory '").nth(1))
        .and_then(|rest| rest.split('\'').next())
        .map(String::from);
    if !check.status.success() && !mismatch {
        result.failure = Some(RunFailure {
            run: "check".into(),
            reason: format!("nix could not rebuild {installable} ({})", check.status),
            log_tail: tail(&check.stderr),
        });
        return Ok(result);
    }
    for path in paths {
        let check_path = format!("{path}.check");
        let differs = mismatch && Path::new(&check_path).exists();
        let differences = if differs {
            compare(Path::new(&path), Path::new(&check_path))?
        } else {
            Vec::new()
        };
        result.outputs.push(NixOutput {
            reproduced: !differs,
            check_path: differs.then_some(check_path),
            path,
            differences,
        });
    }
    result.verdict = if mismatch {
        Verdict::NotReproducible
    } else {
        Verdict::Reproducible
    };
    Ok(result)
}

/// Compare an output with its `.check` copy (a file or a tree), in memory.
fn compare(out: &Path, check: &Path) -> Result<Vec<Difference>, Error> {
    let (a, b) = (
        outputs::take(out, "output")?,
        outputs::take(check, "check")?,
    );
    Ok(outputs::diff(&a, &b)
        .into_iter()
        .map(|d| Difference::new(d, false))
        .collect())
}
