//! Text reports of `rebuild` and `rebuild --nix`.

use std::fmt::Write;

use super::Style;
use repro_check::rebuild::nix::NixRebuild;
use repro_check::rebuild::{Difference, Failure, Rebuild, RunReport, RunStatus, Verdict};

/// The first line of a `rebuild` report: how many runs of what, comparing what.
pub fn header(
    runs: usize,
    command: &[String],
    outputs: &[String],
    source_date_epoch: u64,
) -> String {
    format!(
        "rebuild: {} run{} of `{}`, comparing {}; SOURCE_DATE_EPOCH={}",
        runs,
        if runs == 1 { "" } else { "s" },
        repro_check::escape::text(&command.join(" ")),
        repro_check::escape::text(&outputs.join(", ")),
        source_date_epoch
    )
}

/// One run's line (and its note), its setting padded to `width`.
pub fn run_line(run: &RunReport, width: usize, style: Style) -> String {
    let status = match run.status {
        RunStatus::Reference => style.dim("reference"),
        RunStatus::Reproduced => style.good("reproduced"),
        RunStatus::Differs => style.bad("DIFFERS"),
        RunStatus::Failed => style.bad("FAILED"),
    };
    let mut out = format!(
        "  {:<11} {:<width$}  {:>6.1} s  {status}",
        run.name, run.setting, run.seconds
    );
    if let Some(note) = &run.note {
        let _ = write!(out, "\n      note: {note}");
    }
    out
}

/// The text report of a `rebuild`.
pub fn text(r: &Rebuild, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        header(r.runs.len(), &r.command, &r.outputs, r.source_date_epoch)
    );
    let width = r.runs.iter().map(|x| x.setting.len()).max().unwrap_or(0);
    for run in &r.runs {
        let _ = writeln!(out, "{}", run_line(run, width, style));
    }
    out.push('\n');
    match r.verdict {
        Verdict::Reproducible => {
            let _ = writeln!(
                out,
                "{}: every run built identical outputs",
                style.good("REPRODUCIBLE")
            );
            for d in &r.reference {
                let _ = writeln!(out, "  {}  {}", d.sha256, d.path);
            }
        }
        Verdict::NotReproducible => {
            let _ = writeln!(
                out,
                "{} (in the evidence below, A is control-1 and B the run named)",
                style.bad("NOT REPRODUCIBLE")
            );
            for run in r.runs.iter().filter(|x| !x.differences.is_empty()) {
                explain_run(&mut out, run, style);
            }
        }
        Verdict::Failed => {
            if let Some(f) = &r.failure {
                failure(&mut out, f, style);
            }
        }
    }
    if let Some(path) = &r.attestation {
        let _ = writeln!(out, "attestation written to {}", path.display());
    }
    if let Some(kept) = &r.kept {
        let _ = writeln!(
            out,
            "logs (logs/RUN.log) and outputs (outputs/RUN/) kept in {}",
            kept.display()
        );
    }
    out
}

fn explain_run(out: &mut String, run: &RunReport, style: Style) {
    let blamed: Vec<&Difference> = run.differences.iter().filter(|d| d.blamed).collect();
    let unblamed: Vec<&Difference> = run.differences.iter().filter(|d| !d.blamed).collect();
    if run.variation.is_none() {
        let _ = writeln!(
            out,
            "{} differs from control-1 with nothing varied: the build is nondeterministic",
            style.bold(&run.name)
        );
        differences(out, &unblamed, style, "");
        return;
    }
    if !blamed.is_empty() {
        let _ = writeln!(
            out,
            "{} ({}) changes the outputs:",
            style.bold(&run.name),
            run.setting
        );
        differences(out, &blamed, style, "");
    }
    if !unblamed.is_empty() {
        let names: Vec<&str> = unblamed.iter().map(|d| d.path.as_str()).collect();
        let _ = writeln!(
            out,
            "{}: {} also differ{}, as between the controls (not blamed on {})",
            style.bold(&run.name),
            names.join(", "),
            if names.len() == 1 { "s" } else { "" },
            run.name
        );
    }
}

fn differences(out: &mut String, diffs: &[&Difference], style: Style, indent: &str) {
    for d in diffs {
        let _ = writeln!(out, "{indent}  {}: {}", d.path, d.change.describe());
        if let [Some(a), Some(b)] = &d.sha256 {
            let _ = writeln!(out, "{indent}    sha256 {} -> {}", short(a), short(b));
        }
        let e = &d.explanation;
        for c in &e.causes {
            let _ = writeln!(
                out,
                "{indent}    {}: {}",
                style.warn(c.kind.name()),
                c.evidence
            );
            let _ = writeln!(out, "{indent}      hint: {}", c.hint);
        }
        if let Some(offset) = e.first_difference {
            let _ = writeln!(
                out,
                "{indent}    first difference at byte {offset} (0x{offset:x})"
            );
        }
        for line in &e.line_diff {
            let _ = writeln!(out, "{indent}      {line}");
        }
        for note in &e.notes {
            let _ = writeln!(out, "{indent}    note: {note}");
        }
    }
}

fn short(hex: &str) -> &str {
    hex.get(..16).unwrap_or(hex)
}

fn failure(out: &mut String, f: &Failure, style: Style) {
    let _ = writeln!(out, "{}: {}", style.bad("FAILED"), f.reason);
    if !f.log_tail.is_empty() {
        let _ = writeln!(out, "last lines of its output:");
        for line in f.log_tail.lines() {
            let _ = writeln!(out, "  | {line}");
        }
    }
}

/// The text report of a `rebuild --nix`.
pub fn nix_text(r: &NixRebuild, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rebuild --nix {}: built, then checked with `{}` (Nix {})",
        r.installable, r.method, r.nix_version
    );
    for o in &r.outputs {
        let status = if o.reproduced {
            style.good("reproduced")
        } else {
            style.bad("DIFFERS")
        };
        let _ = writeln!(out, "  {}  {status}", o.path);
        if !o.differences.is_empty() {
            let _ = writeln!(
                out,
                "    (in the evidence, A is the first build and B Nix's rebuild)"
            );
        }
        if let Some(check) = &o.check_path {
            let _ = writeln!(out, "    rebuilt copy: {check}");
        }
        let diffs: Vec<&Difference> = o.differences.iter().collect();
        differences(&mut out, &diffs, style, "  ");
    }
    out.push('\n');
    match r.verdict {
        Verdict::Reproducible => {
            let _ = writeln!(
                out,
                "{}: Nix rebuilt every output bit for bit",
                style.good("REPRODUCIBLE")
            );
        }
        Verdict::NotReproducible => {
            let _ = writeln!(
                out,
                "{}: Nix's rebuild differs from the first build",
                style.bad("NOT REPRODUCIBLE")
            );
            if let Some(dir) = &r.kept_build_dir {
                let _ = writeln!(out, "the rebuild's build directory is kept in {dir}");
            }
        }
        Verdict::Failed => {
            if let Some(f) = &r.failure {
                failure(&mut out, f, style);
            }
        }
    }
    out
}
