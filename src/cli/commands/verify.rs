//! `repro-check verify`: check files against a reproducibility attestation, offline.

use std::path::PathBuf;

use clap::ValueHint;
use serde::Serialize;

use crate::cli::Outcome;
use crate::cli::report::{self, Style};
use repro_check::attestation::builds::sha256_file;
use repro_check::attestation::files::read_attestation;
use repro_check::attestation::keys::PublicKey;
use repro_check::attestation::statement::is_uri;
use repro_check::attestation::verify::{self, File, Form, Trust};
use repro_check::error::Error;
use repro_check::escape;

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
    /// bundle from `actions/attest` (its Sigstore signature is not checked here: use
    /// `gh attestation verify`), or JSON Lines of them.
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

    /// Trust SLSA verification summaries made by this verifier (its `verifier.id` URI) besides
    /// repro-check's own. Repeat for several.
    #[arg(long = "verifier-id", value_name = "URI")]
    pub verifier_ids: Vec<String>,

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

/// Run `verify`.
pub fn run(args: &VerifyArgs) -> Result<Outcome, Error> {
    let threshold = match (args.threshold, args.keys.len()) {
        (Some(_), 0) => {
            return Err(Error::Usage(
                "--threshold counts signatures by --key keys; name the trusted keys with --key"
                    .into(),
            ));
        }
        (Some(k), n) if k == 0 || k > n => {
            return Err(Error::Usage(format!(
                "--threshold {k} must be between 1 and the number of --key keys ({n})"
            )));
        }
        (Some(k), _) => k,
        (None, n) => n,
    };
    if let Some(id) = args.verifier_ids.iter().find(|id| !is_uri(id)) {
        return Err(Error::Usage(format!(
            "--verifier-id \"{}\" is not a URI; give the verifier.id of the summaries you trust, e.g. https://example.org/verifier",
            escape::text(id)
        )));
    }
    let keys = args
        .keys
        .iter()
        .map(|p| PublicKey::load(p))
        .collect::<Result<Vec<_>, Error>>()?;
    // A threshold counts distinct keys: the same key named twice must not count as two signers.
    for (i, key) in keys.iter().enumerate() {
        if let Some(first) = keys[..i].iter().find(|k| k.keyid == key.keyid) {
            return Err(Error::Usage(format!(
                "--key {} and --key {} are the same key; name each trusted key once",
                escape::path(&first.path),
                escape::path(&key.path)
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
    let bytes = read_attestation(&args.attestation)?;
    let trust = Trust {
        keys: &keys,
        threshold,
        verifiers: &args.verifier_ids,
    };
    let report = verify::verify_with(&bytes, &files, &trust)
        .map_err(|why| Error::input(&args.attestation, escape::text(&why).into_owned()))?;
    let verified = report.failures.is_empty();
    let key_path = |i: usize| keys[i].path.display().to_string();
    if args.json {
        let subject_of = |name: &str| {
            report
                .matched
                .iter()
                .find(|(f, _, _)| f == name)
                .map(|(_, s, _)| s.as_str())
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
            signatures_checked: report.signatures_checked,
            threshold,
            attestations: report
                .documents
                .iter()
                .map(|d| JsonDocument {
                    line: d.line,
                    form: d.form.name(),
                    predicate_type: d.predicate_type.as_deref(),
                    agreement: d
                        .agreement
                        .map(|(agreeing, total)| JsonAgreement { agreeing, total }),
                    signatures: d.signatures.len(),
                    signers: d.signers.iter().map(|&i| key_path(i)).collect(),
                    unchecked_signatures: d
                        .signatures
                        .iter()
                        .filter(|s| s.signer.is_none())
                        .map(|s| JsonSignature { keyid: &s.keyid })
                        .collect(),
                })
                .collect(),
            skipped_lines: report.skipped,
        })?;
    } else {
        report::print(&text(args, &report, &files, &keys, threshold))?;
    }
    Ok(if verified {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

/// The text report. Every string that came from an input (paths, subject names, anything quoted
/// in a failure) is escaped, so an attestation cannot forge a line.
fn text(
    args: &VerifyArgs,
    report: &verify::Report,
    files: &[File],
    keys: &[PublicKey],
    threshold: usize,
) -> String {
    let style = Style::new(report::use_colour());
    let mut out = String::new();
    if !report.failures.is_empty() {
        out.push_str(&format!(
            "{} {}\n",
            style.bad("not verified:"),
            escape::path(&args.attestation)
        ));
        for failure in &report.failures {
            out.push_str(&format!("  - {}\n", escape::text(&failure.to_string())));
        }
        return out;
    }
    for (name, subject, d) in &report.matched {
        let doc = &report.documents[*d];
        let sha256 = files
            .iter()
            .find(|f| f.name == *name)
            .map_or("", |f| f.sha256.as_str());
        let line = doc
            .line
            .map_or_else(String::new, |l| format!(" on line {l}"));
        let agreement = doc.agreement.map_or_else(String::new, |(k, n)| {
            format!(" ({k} of {n} builds identical)")
        });
        out.push_str(&format!(
            "{} {} (sha256 {sha256}) is subject {} of a reproducibility attestation{line}{agreement}\n",
            style.good("verified:"),
            escape::text(name),
            escape::text(subject),
        ));
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
                "signed by {} of {} given key(s), threshold {threshold}: {}",
                doc.signers.len(),
                keys.len(),
                doc.signers
                    .iter()
                    .map(|&i| escape::path(&keys[i].path).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push_str(&format!(
            "  {}\n",
            style.dim(&format!("{line}{signatures}"))
        ));
        if doc.form == Form::SigstoreBundle {
            out.push_str(&format!(
                "  {}\n",
                style.dim(&format!("{line}Sigstore bundle: its certificate, Sigstore signature and transparency-log entry were not checked here; check them with `gh attestation verify`"))
            ));
        }
    }
    if report.skipped > 0 {
        out.push_str(&format!(
            "  {}\n",
            style.dim(&format!(
                "{} other line(s) skipped: not repro-check statements or verification summaries",
                report.skipped
            ))
        ));
    }
    out
}
