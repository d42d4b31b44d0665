//! Text reports of `rebuild` and `rebuild --nix`.

use std::io::{self, Write};

use super::Style;
use repro_check::rebuild::nix::NixRebuild;
use repro_check::rebuild::{
    Difference, Rebuild, RunFailure, RunReport, RunStatus, Verdict, variation,
};

/// Write the first line of a `rebuild` report: how many runs of what, comparing what.
pub fn write_header(
    out: &mut impl Write,
    runs: usize,
    command: &[String],
    outputs: &[String],
    source_date_epoch: u64,
) -> io::Result<()> {
    writeln!(
        out,
        "rebuild: {} run{} of `{}`, comparing {}; SOURCE_DATE_EPOCH={}",
        runs,
        if runs == 1 { "" } else { "s" },
        repro_check::escape::text(&command.join(" ")),
        repro_check::escape::text(&outputs.join(", ")),
        source_date_epoch
    )
}

/// Write one run's line (and its note), its setting padded to `width`.
pub fn write_run(
    out: &mut impl Write,
    run: &RunReport,
    width: usize,
    style: Style,
) -> io::Result<()> {
    let status = match run.status {
        RunStatus::Reference => style.dim("reference"),
        RunStatus::Reproduced => style.good("reproduced"),
        RunStatus::Differs => style.bad("DIFFERS"),
        RunStatus::Failed => style.bad("FAILED"),
    };
    writeln!(
        out,
        "  {:<11} {:<width$}  {:>6.1} s  {status}",
        run.name, run.setting, run.seconds
    )?;
    match &run.note {
        Some(note) => writeln!(out, "      note: {note}"),
        None => Ok(()),
    }
}

/// Write the text report of a `rebuild`.
pub fn write_text(out: &mut impl Write, r: &Rebuild, style: Style) -> io::Result<()> {
    write_header(
        out,
        r.runs.len(),
        &r.command,
        &r.outputs,
        r.source_date_epoch,
    )?;
    let width = r.runs.iter().map(|x| x.setting.len()).max().unwrap_or(0);
    for run in &r.runs {
        write_run(out, run, width, style)?;
    }
    writeln!(out)?;
    match r.verdict {
        Verdict::Reproducible => {
            writeln!(
                out,
                "{}: every run built identical outputs",
                style.good("REPRODUCIBLE")
            )?;
            for d in &r.reference {
                writeln!(out, "  {}  {}", d.sha256, d.path)?;
            }
        }
        Verdict::NotReproducible => {
            writeln!(
                out,
                "{} (in the evidence below, A is control-1 and B the run named)",
                style.bad("NOT REPRODUCIBLE")
            )?;
            for run in r.runs.iter().filter(|x| !x.differences.is_empty()) {
                explain_run(out, run, style)?;
            }
        }
        Verdict::Failed => {
            if let Some(f) = &r.failure {
                failure(out, f, style)?;
            }
        }
    }
    if let Some(path) = &r.attestation {
        writeln!(out, "attestation written to {}", path.display())?;
    }
    if let Some(kept) = &r.kept {
        writeln!(
            out,
            "logs (logs/RUN.log) and outputs (outputs/RUN/) kept in {}",
            kept.display()
        )?;
    }
    Ok(())
}

fn explain_run(out: &mut impl Write, run: &RunReport, style: Style) -> io::Result<()> {
    let blamed: Vec<&Difference> = run.differences.iter().filter(|d| d.blamed).collect();
    let unblamed: Vec<&Difference> = run.differences.iter().filter(|d| !d.blamed).collect();
    if run.variation.is_none() {
        writeln!(
            out,
            "{} differs from control-1 with nothing varied: the build is nondeterministic",
            style.bold(&run.name)
        )?;
        differences(out, &unblamed, style, "")?;
        return Ok(());
    }
    if !blamed.is_empty() {
        writeln!(
            out,
            "{} ({}) changes the outputs:",
            style.bold(&run.name),
            run.setting
        )?;
        differences(out, &blamed, style, "")?;
    }
    if !unblamed.is_empty() {
        let names: Vec<&str> = unblamed.iter().map(|d| d.path.as_str()).collect();
        writeln!(
            out,
            "{}: {} also differ{}, as between the controls (not blamed on {})",
            style.bold(&run.name),
            names.join(", "),
            if names.len() == 1 { "s" } else { "" },
            run.name
        )?;
    }
    Ok(())
}

fn differences(
    out: &mut impl Write,
    diffs: &[&Difference],
    style: Style,
    indent: &str,
) -> io::Result<()> {
    for d in diffs {
        writeln!(out, "{indent}  {}: {}", d.path, d.change.describe())?;
        if let [Some(a), Some(b)] = &d.sha256 {
            writeln!(out, "{indent}    sha256 {} -> {}", short(a), short(b))?;
        }
        let e = &d.explanation;
        for c in &e.causes {
            writeln!(
                out,
                "{indent}    {}: {}",
                style.warn(c.kind.name()),
                c.evidence
            )?;
            writeln!(out, "{indent}      hint: {}", c.hint)?;
        }
        if let Some(offset) = e.first_difference {
            writeln!(
                out,
                "{indent}    first difference at byte {offset} (0x{offset:x})"
            )?;
        }
        for line in &e.line_diff {
            writeln!(out, "{indent}      {line}")?;
        }
        for note in &e.notes {
            writeln!(out, "{indent}    note: {note}")?;
        }
    }
    Ok(())
}

fn short(hex: &str) -> &str {
    hex.get(..16).unwrap_or(hex)
}

fn failure(out: &mut impl Write, f: &RunFailure, style: Style) -> io::Result<()> {
    writeln!(out, "{}: {}", style.bad("FAILED"), f.reason)?;
    if !f.log_tail.is_empty() {
        writeln!(out, "last lines of its output:")?;
        for line in f.log_tail.lines() {
            writeln!(out, "  | {line}")?;
        }
    }
    Ok(())
}

/// Write the text report of a `rebuild --nix`.
pub fn write_nix_text(out: &mut impl Write, r: &NixRebuild, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "rebuild --nix {}: built, then checked with `{}` (Nix {})",
        r.installable, r.method, r.nix_version
    )?;
    for o in &r.outputs {
        let status = if o.reproduced {
            style.good("reproduced")
        } else {
            style.bad("DIFFERS")
        };
        writeln!(out, "  {}  {status}", o.path)?;
        if !o.differences.is_empty() {
            writeln!(
                out,
                "    (in the evidence, A is the first build and B Nix's rebuild)"
            )?;
        }
        if let Some(check) = &o.check_path {
            writeln!(out, "    rebuilt copy: {check}")?;
        }
        let diffs: Vec<&Difference> = o.differences.iter().collect();
        differences(out, &diffs, style, "  ")?;
    }
    writeln!(out)?;
    match r.verdict {
        Verdict::Reproducible => {
            writeln!(
                out,
                "{}: Nix rebuilt every output bit for bit",
                style.good("REPRODUCIBLE")
            )?;
        }
        Verdict::NotReproducible => {
            writeln!(
                out,
                "{}: Nix's rebuild differs from the first build",
                style.bad("NOT REPRODUCIBLE")
            )?;
            if let Some(dir) = &r.kept_build_dir {
                writeln!(out, "the rebuild's build directory is kept in {dir}")?;
            }
        }
        Verdict::Failed => {
            if let Some(f) = &r.failure {
                failure(out, f, style)?;
            }
        }
    }
    Ok(())
}

/// Write what `rebuild --list-variations` lists: each variation, what it varies, and the
/// reference and varied settings (`jobs` is the reference and varied job counts).
pub fn write_variations(out: &mut impl Write, jobs: [usize; 2], json: bool) -> io::Result<()> {
    if json {
        let items: Vec<serde_json::Value> = variation::ALL
            .iter()
            .map(|v| {
                let [reference, varied] = v.settings(jobs);
                serde_json::json!({
                    "name": v.name(), "varies": v.what(),
                    "reference": reference, "varied": varied,
                })
            })
            .collect();
        return super::json(out, &serde_json::json!({ "variations": items }));
    }
    writeln!(
        out,
        "control (two runs, always): the same environment twice"
    )?;
    for v in variation::ALL {
        let [reference, varied] = v.settings(jobs);
        writeln!(
            out,
            "{}: {}\n    {reference} -> {varied}",
            v.name(),
            v.what()
        )?;
    }
    Ok(())
}
