//! `repro-check verify`: check files against a reproducibility attestation, offline.

use std::path::PathBuf;

use clap::ValueHint;
use serde::Serialize;

use crate::Outcome;
use crate::attestation::builds::sha256_file;
use crate::attestation::keys::PublicKey;
use crate::attestation::verify::{self, File};
use crate::error::Error;
use crate::report::{self, Style};

/// Check files against a reproducibility attestation, offline.
///
/// Each file's SHA-256 must be a subject, the attestation must say the builds were identical and
/// must not contradict itself, and with --key, enough of the given keys must have signed it.
///
/// Exit status: 0 verified, 1 a check failed (one sentence per failed check), 2 the job could not
/// be done (an unreadable file, something that is not an attestation, a bad key).
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The attestation: a statement or DSSE envelope written by `repro-check attest`, or a Sigstore
    /// bundle from `actions/attest` (its Sigstore signature is checked by `gh attestation verify`).
    #[arg(value_name = "ATTESTATION", value_hint = ValueHint::FilePath)]
    pub attestation: PathBuf,

    /// The files to check, e.g. the binary you were handed.
    #[arg(required = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub files: Vec<PathBuf>,

    /// Trust this Ed25519 public key (PREFIX.pub from `repro-check keygen`). Repeat for several
    /// builders' keys. Without --key, signatures are not checked.
    #[arg(long = "key", value_name = "PUB", value_hint = ValueHint::FilePath)]
    pub keys: Vec<PathBuf>,

    /// How many of the --key keys must have signed [default: all of them].
    #[arg(long, value_name = "K")]
    pub threshold: Option<usize>,

    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    verified: bool,
    attestation: String,
    failures: Vec<String>,
    files: Vec<JsonFile<'a>>,
    #[serde(rename = "predicateType")]
    predicate_type: Option<&'a str>,
    agreement: Option<JsonAgreement>,
    signatures: usize,
    signers: Vec<String>,
    threshold: usize,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    sha256: &'a str,
    subject: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonAgreement {
    agreeing: usize,
    total: usize,
}

/// Run `verify`.
pub fn run(args: &VerifyArgs) -> Result<Outcome, Error> {
    let threshold = match (args.threshold, args.keys.len()) {
        (Some(_), 0) => {
            return Err(Error::Invalid(
                "--threshold counts signatures by --key keys; name the trusted keys with --key"
                    .into(),
            ));
        }
        (Some(k), n) if k == 0 || k > n => {
            return Err(Error::Invalid(format!(
                "--threshold {k} must be between 1 and the number of --key keys ({n})"
            )));
        }
        (Some(k), _) => k,
        (None, n) => n,
    };
    let keys = args
        .keys
        .iter()
        .map(|p| PublicKey::load(p))
        .collect::<Result<Vec<_>, Error>>()?;
    // A threshold counts distinct keys: the same key named twice must not count as two signers.
    for (i, key) in keys.iter().enumerate() {
        if let Some(first) = keys[..i].iter().find(|k| k.keyid == key.keyid) {
            return Err(Error::Invalid(format!(
                "--key {} and --key {} are the same key; name each trusted key once",
                first.path.display(),
                key.path.display()
            )));
        }
    }
    let files = args
        .files
        .iter()
        .map(|p| {
            Ok(File {
                name: p.display().to_string(),
                sha256: sha256_file(p)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let bytes = std::fs::read(&args.attestation).map_err(|e| Error::read(&args.attestation, e))?;
    let report = verify::verify(&bytes, &files, &keys, threshold)
        .map_err(|why| Error::Invalid(format!("{} {why}", args.attestation.display())))?;
    let verified = report.failures.is_empty();
    let signers: Vec<String> = report
        .signers
        .iter()
        .map(|&i| keys[i].path.display().to_string())
        .collect();
    if args.json {
        let subject_of = |name: &str| {
            report
                .matched
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, s)| s.as_str())
        };
        report::print_json(&JsonReport {
            verified,
            attestation: args.attestation.display().to_string(),
            failures: report.failures.iter().map(ToString::to_string).collect(),
            files: files
                .iter()
                .map(|f| JsonFile {
                    path: &f.name,
                    sha256: &f.sha256,
                    subject: subject_of(&f.name),
                })
                .collect(),
            predicate_type: report.predicate_type.as_deref(),
            agreement: report
                .agreement
                .map(|(agreeing, total)| JsonAgreement { agreeing, total }),
            signatures: report.signatures,
            signers,
            threshold,
        })?;
    } else {
        report::print(&text(args, &report, &files, &signers, threshold))?;
    }
    Ok(if verified {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

fn text(
    args: &VerifyArgs,
    report: &verify::Report,
    files: &[File],
    signers: &[String],
    threshold: usize,
) -> String {
    let style = Style::new(report::use_colour());
    let mut out = String::new();
    if !report.failures.is_empty() {
        out.push_str(&format!(
            "{} {}\n",
            style.bad("not verified:"),
            args.attestation.display()
        ));
        for failure in &report.failures {
            out.push_str(&format!("  - {failure}\n"));
        }
        return out;
    }
    let agreement = report.agreement.map_or_else(String::new, |(k, n)| {
        format!(" ({k} of {n} builds identical)")
    });
    for file in files {
        let subject = report
            .matched
            .iter()
            .find(|(f, _)| *f == file.name)
            .map_or("_", |(_, s)| s.as_str());
        out.push_str(&format!(
            "{} {} (sha256 {}) is subject {subject} of a reproducibility attestation{agreement}\n",
            style.good("verified:"),
            file.name,
            file.sha256
        ));
    }
    let signatures = if !report.enveloped {
        "unsigned statement: it shows the files match what the builds produced, not who said so"
            .to_string()
    } else if report.sigstore && args.keys.is_empty() {
        "Sigstore bundle: its signature is GitHub's, checked by `gh attestation verify`, not here"
            .to_string()
    } else if args.keys.is_empty() {
        format!(
            "{} signature(s) not checked (no --key given): it shows the files match what the builds produced, not who said so",
            report.signatures
        )
    } else {
        format!(
            "signed by {} of {} given key(s), threshold {threshold}: {}",
            signers.len(),
            args.keys.len(),
            signers.join(", ")
        )
    };
    out.push_str(&format!("  {}\n", style.dim(&signatures)));
    out
}
