//! `repro-check verify`: check files against a reproducibility attestation, offline.

use std::path::PathBuf;

use clap::ValueHint;

use crate::cli::Outcome;
use crate::cli::report::{self, Style};
use repro_check::attestation::builds::sha256_file;
use repro_check::attestation::files::read_attestation;
use repro_check::attestation::keys::PublicKey;
use repro_check::attestation::statement::is_uri;
use repro_check::attestation::verify::{self, File, Trust};
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
    let shown = report::verify::Verified {
        attestation: &args.attestation,
        report: &report,
        files: &files,
        keys: &keys,
        threshold,
    };
    if args.json {
        report::to_stdout(|out| report::verify::write_json(out, &shown))?;
    } else {
        let style = Style::new(report::use_colour());
        report::to_stdout(|out| report::verify::write_text(out, &shown, style))?;
    }
    Ok(if verified {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}
