//! The report of `repro-check verify`: one line per verified file and what vouches for it, or one
//! line per failed check; or one JSON document.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::Style;
use repro_check::attestation::keys::PublicKey;
use repro_check::attestation::verify::{File, Form, Report};
use repro_check::escape;

/// What `verify` found, with what it was asked.
pub struct Verified<'a> {
    /// The attestation, as named on the command line.
    pub attestation: &'a Path,
    /// The checks' result.
    pub report: &'a Report,
    /// The files checked, with their SHA-256.
    pub files: &'a [File],
    /// The trusted keys (`--key`), in order.
    pub keys: &'a [PublicKey],
    /// How many of them must have signed.
    pub threshold: usize,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    verified: bool,
    attestation: String,
    failures: Vec<String>,
    files: Vec<JsonFile<'a>>,
    /// Whether keys were given, so signatures were checked.
    signatures_checked: bool,
    threshold: usize,
    attestations: Vec<JsonDocument<'a>>,
    skipped_lines: usize,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    sha256: &'a str,
    subject: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonDocument<'a> {
    line: Option<usize>,
    form: &'static str,
    #[serde(rename = "predicateType")]
    predicate_type: Option<&'a str>,
    agreement: Option<JsonAgreement>,
    signatures: usize,
    signers: Vec<String>,
    /// Signatures no given key made: every signature when no key was given.
    unchecked_signatures: Vec<JsonSignature<'a>>,
}

#[derive(Serialize)]
struct JsonSignature<'a> {
    keyid: &'a str,
}

#[derive(Serialize)]
struct JsonAgreement {
    agreeing: usize,
    total: usize,
}

/// Write the JSON document.
pub fn write_json(out: &mut impl Write, v: &Verified) -> io::Result<()> {
    let report = v.report;
    let key_path = |i: usize| v.keys[i].path.display().to_string();
    let subject_of = |name: &str| {
        report
            .matched
            .iter()
            .find(|(f, _, _)| f == name)
            .map(|(_, s, _)| s.as_str())
    };
    super::json(
        out,
        &JsonReport {
            verified: report.failures.is_empty(),
            attestation: v.attestation.display().to_string(),
            failures: report.failures.iter().map(ToString::to_string).collect(),
            files: (v.files.iter())
                .map(|f| JsonFile {
                    path: &f.name,
                    sha256: &f.sha256,
                    subject: subject_of(&f.name),
                })
                .collect(),
            signatures_checked: report.signatures_checked,
            threshold: v.threshold,
            attestations: (report.documents.iter())
                .map(|d| JsonDocument {
                    line: d.line,
                    form: d.form.name(),
                    predicate_type: d.predicate_type.as_deref(),
                    agreement: d
                        .agreement
                        .map(|(agreeing, total)| JsonAgreement { agreeing, total }),
                    signatures: d.signatures.len(),
                    signers: d.signers.iter().map(|&i| key_path(i)).collect(),
                    unchecked_signatures: (d.signatures.iter())
                        .filter(|s| s.signer.is_none())
                        .map(|s| JsonSignature { keyid: &s.keyid })
                        .collect(),
                })
                .collect(),
            skipped_lines: report.skipped,
        },
    )
}

/// Write the text report. Every string that came from an input (paths, subject names, anything
/// quoted in a failure) is escaped, so an attestation cannot forge a line.
pub fn write_text(out: &mut impl Write, v: &Verified, style: Style) -> io::Result<()> {
    let (report, keys) = (v.report, v.keys);
    if !report.failures.is_empty() {
        writeln!(
            out,
            "{} {}",
            style.bad("not verified:"),
            escape::path(v.attestation)
        )?;
        for failure in &report.failures {
            writeln!(out, "  - {}", escape::text(&failure.to_string()))?;
        }
        return Ok(());
    }
    for (name, subject, d) in &report.matched {
        let doc = &report.documents[*d];
        let sha256 = (v.files.iter())
            .find(|f| f.name == *name)
            .map_or("", |f| f.sha256.as_str());
        let line = doc
            .line
            .map_or_else(String::new, |l| format!(" on line {l}"));
        let agreement = doc.agreement.map_or_else(String::new, |(k, n)| {
            format!(" ({k} of {n} builds identical)")
        });
        writeln!(
            out,
            "{} {} (sha256 {sha256}) is subject {} of a reproducibility attestation{line}{agreement}",
            style.good("verified:"),
            escape::text(name),
            escape::text(subject),
        )?;
    }
    for doc in &report.documents {
        let line = doc.line.map_or_else(String::new, |l| format!("line {l}: "));
        let n = doc.signatures.len();
        let signatures = match doc.form {
            Form::Statement => "unsigned statement: it shows the files match what the builds produced, not who said so".to_string(),
            _ if keys.is_empty() => format!(
                "{n} signature(s) not checked (no --key given): it shows the files match what the builds produced, not who said so"
            ),
            _ => format!(
                "signed by {} of {} given key(s), threshold {}: {}",
                doc.signers.len(),
                keys.len(),
                v.threshold,
                doc.signers
                    .iter()
                    .map(|&i| escape::path(&keys[i].path).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        writeln!(out, "  {}", style.dim(&format!("{line}{signatures}")))?;
        if doc.form == Form::SigstoreBundle {
            writeln!(
                out,
                "  {}",
                style.dim(&format!("{line}Sigstore bundle: its certificate, Sigstore signature and transparency-log entry were not checked here; check them with `gh attestation verify`"))
            )?;
        }
    }
    if report.skipped > 0 {
        writeln!(
            out,
            "  {}",
            style.dim(&format!(
                "{} other line(s) skipped: not repro-check statements or verification summaries",
                report.skipped
            ))
        )?;
    }
    Ok(())
}
