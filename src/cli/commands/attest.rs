//! `repro-check attest`: write a reproducibility attestation for two or more builds, or add a
//! signature to an existing one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{ValueEnum, ValueHint};

use crate::cli::Outcome;
use crate::cli::report;
use repro_check::attestation::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use repro_check::attestation::keys::SecretKey;
use repro_check::attestation::predicate::{self, Match};
use repro_check::attestation::statement::{self, ResourceDescriptor, is_uri};
use repro_check::attestation::verify::{self, Failure, Form, Trust};
use repro_check::attestation::{builds, files, time, vsa};
use repro_check::error::Error;
use repro_check::escape;

/// Write a reproducibility attestation for two or more builds of the same source.
///
/// It is an in-toto Statement v1 saying whether the builds produced bit-identical output, which
/// builds agree, and why the others differ. The subject is the output the builds agreed on (file name + SHA-256). Output is deterministic:
/// no time is recorded unless SOURCE_DATE_EPOCH is set or --timestamp is given. With --sign the
/// statement is wrapped in a DSSE envelope with an Ed25519 signature; give --sign and a single
/// existing ATTESTATION instead of builds to add a signature to it (several builders co-signing).
///
/// Exit status: 0 the builds are identical, 1 they differ (the attestation is still written and
/// records it), 2 the job could not be done.
#[derive(Debug, clap::Args)]
pub struct AttestArgs {
    /// The builds: each a file, a directory tree, or a `repro-check hash --json` manifest written
    /// on another machine. Or, with --sign, one existing attestation to add a signature to.
    #[arg(required = true, value_name = "BUILD", value_hint = ValueHint::AnyPath)]
    pub builds: Vec<PathBuf>,

    /// A label for each BUILD, in order: repeat once per BUILD [default: build-1, build-2, …].
    #[arg(long = "builder", value_name = "ID")]
    pub builders: Vec<String>,

    /// Write the attestation to FILE (replaced whole, never half-written) instead of stdout.
    #[arg(short, long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub out: Option<PathBuf>,

    /// What to write.
    #[arg(long, value_enum, default_value_t = Format::Statement)]
    pub format: Format,

    /// Sign with this Ed25519 secret key (PREFIX.key from `repro-check keygen`) and write a DSSE
    /// envelope. Repeat to sign with several keys.
    #[arg(long, value_name = "KEY", value_hint = ValueHint::FilePath)]
    pub sign: Vec<PathBuf>,

    /// Record the SHA-256 of a file the builds were made from, e.g. flake.lock or Cargo.lock. The
    /// path is recorded as given. Repeat for several.
    #[arg(long = "input", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub inputs: Vec<PathBuf>,

    /// Record an input by digest, e.g. `source=gitCommit:$GITHUB_SHA` (ALG is an in-toto digest
    /// name: sha256, sha512, gitCommit, …; HEX in lowercase). Repeat for several.
    #[arg(long = "input-digest", value_name = "NAME=ALG:HEX")]
    pub input_digests: Vec<String>,

    /// Record the current time when SOURCE_DATE_EPOCH is unset (when set, it is always recorded).
    #[arg(long)]
    pub timestamp: bool,

    /// Where the artifact is published: the resourceUri that --format vsa requires.
    #[arg(long, value_name = "URI")]
    pub resource_uri: Option<String>,
}

/// The attestation formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// repro-check's reproducibility predicate (see docs/attestation.md).
    Statement,
    /// A SLSA Verification Summary v1 (needs --resource-uri and a time), with the full
    /// reproducibility predicate as an extension field.
    Vsa,
}

/// Run `attest`.
pub fn run(args: &AttestArgs) -> Result<Outcome, Error> {
    let keys = args
        .sign
        .iter()
        .map(|p| SecretKey::load(p))
        .collect::<Result<Vec<_>, Error>>()?;
    if let [single] = args.builds.as_slice() {
        if keys.is_empty() {
            return Err(Error::Usage(format!(
                "attest needs at least two builds to compare, and got only {}; to add a signature to an existing attestation, also pass --sign KEY",
                escape::path(single)
            )));
        }
        return cosign(single, &keys, args.out.as_deref());
    }
    let labels = labels(args)?;
    let inputs = inputs(args)?;
    let when = time::time_verified(crate::cli::env::source_date_epoch()?, args.timestamp);
    if let Some(uri) = args.resource_uri.as_deref().filter(|uri| !is_uri(uri)) {
        return Err(Error::Usage(format!(
            "--resource-uri \"{}\" is not a URI; give where the artifact is published, e.g. https://example.org/releases/app",
            escape::text(uri)
        )));
    }
    let (outputs, differences) = builds::examine(&args.builds, &labels)?;
    refuse_unprintable_names(&outputs)?;
    let statement = predicate::statement(&outputs, &differences, inputs, when.clone());
    let verdict = statement.predicate.result;
    // Said after the attestation is written, when the statement has been used up.
    let (predicate, subjects) = (statement.predicate.clone(), statement.subject.len());
    let json = match args.format {
        Format::Statement => to_json(&statement, keys.is_empty()),
        Format::Vsa => {
            let Some(when) = when else {
                return Err(Error::Usage(
                    "a SLSA verification summary must say when it was made; set SOURCE_DATE_EPOCH or pass --timestamp".into(),
                ));
            };
            let Some(uri) = args.resource_uri.clone() else {
                return Err(Error::Usage(
                    "a SLSA verification summary must name where the artifact is published; pass --resource-uri URI".into(),
                ));
            };
            to_json(&vsa::from_statement(statement, when, uri), keys.is_empty())
        }
    }?;
    let bytes = if keys.is_empty() {
        json
    } else {
        sign_new(&json, &keys)?
    };
    emit(&bytes, args.out.as_deref())?;
    report::to_stderr(|err| report::attest::write_summary(err, &predicate, subjects))?;
    Ok(if verdict == Match::Identical {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

/// Refuse a build whose file names hold control characters (a line break, ESC) or bidirectional
/// overrides: they would become subject names, which no one could read or print safely.
fn refuse_unprintable_names(outputs: &[builds::BuildOutput]) -> Result<(), Error> {
    // escape::text changes exactly the characters that are unsafe to print, and the backslash.
    let unprintable = |name: &str| {
        name.chars().any(|c| {
            let mut buf = [0; 4];
            let c = &*c.encode_utf8(&mut buf);
            c != "\\" && escape::text(c) != c
        })
    };
    for output in outputs {
        if let Some(name) = output.files.keys().find(|n| unprintable(&n.json_text())) {
            return Err(Error::Usage(format!(
                "build {} has a file named \"{}\", with control or bidirectional-override characters, which cannot be a subject name; rename it",
                escape::text(&output.label),
                name.display()
            )));
        }
    }
    Ok(())
}

/// `build-1`, `build-2`, … or the `--builder` labels, which must be one per build and distinct.
fn labels(args: &AttestArgs) -> Result<Vec<String>, Error> {
    if args.builders.is_empty() {
        return Ok((1..=args.builds.len())
            .map(|i| format!("build-{i}"))
            .collect());
    }
    if args.builders.len() != args.builds.len() {
        return Err(Error::Usage(format!(
            "{} --builder labels were given for {} builds; give one per BUILD, in the same order",
            args.builders.len(),
            args.builds.len()
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = args.builders.iter().find(|l| !seen.insert(l.as_str())) {
        return Err(Error::Usage(format!(
            "--builder {} is given twice; each build needs its own label",
            escape::text(dup)
        )));
    }
    Ok(args.builders.clone())
}

/// The `--input` files (hashed) and `--input-digest` values (checked), in that order.
fn inputs(args: &AttestArgs) -> Result<Vec<ResourceDescriptor>, Error> {
    let mut out = Vec::new();
    for path in &args.inputs {
        out.push(ResourceDescriptor::sha256(
            &path.display().to_string(),
            &builds::sha256_file(path)?,
        ));
    }
    for spec in &args.input_digests {
        let bad = || {
            Error::Usage(format!(
                "--input-digest \"{}\" is not NAME=ALG:HEX with HEX in lowercase and as long as ALG needs, e.g. source=gitCommit:<40 hex digits>",
                escape::text(spec)
            ))
        };
        let (name, digest) = spec.split_once('=').ok_or_else(bad)?;
        let (alg, hex) = digest.split_once(':').ok_or_else(bad)?;
        if name.is_empty() || alg.is_empty() || !statement::digest_ok(alg, hex) {
            return Err(bad());
        }
        out.push(ResourceDescriptor {
            name: Some(name.to_string()),
            uri: None,
            digest: BTreeMap::from([(alg.to_string(), hex.to_string())]),
        });
    }
    Ok(out)
}

/// Pretty JSON for a file people read; compact for a payload that will be signed.
fn to_json<T: serde::Serialize>(value: &T, pretty: bool) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    if pretty {
        report::json(&mut bytes, value)
    } else {
        serde_json::to_writer(&mut bytes, value).map_err(Into::into)
    }
    .map_err(Error::Output)?;
    Ok(bytes)
}

/// A DSSE envelope around `payload`, signed by every key.
fn sign_new(payload: &[u8], keys: &[SecretKey]) -> Result<Vec<u8>, Error> {
    let mut envelope = Envelope::new(IN_TOTO_PAYLOAD_TYPE, payload);
    for key in keys {
        envelope.sign(key);
    }
    to_json(&envelope, true)
}

/// Add signatures to an existing attestation (a statement or an envelope), leaving its payload
/// byte for byte as it is so earlier signatures stay valid. Refuses anything `verify` would reject
/// for what it is (anything but a record that the builds differ): a signature vouches for what it
/// signs.
fn cosign(path: &Path, keys: &[SecretKey], out: Option<&Path>) -> Result<Outcome, Error> {
    let bytes = files::read_attestation(path)?;
    let doc = verify::check_document(&bytes, &Trust::default())
        .map_err(|why| Error::input(path, escape::text(&why).into_owned()))?;
    if let Some(failure) = doc
        .failures
        .iter()
        .find(|f| !matches!(f, Failure::NotIdentical { .. }))
    {
        return Err(Error::input(
            path,
            format!(
                "was not signed because {}",
                escape::text(&failure.to_string())
            ),
        ));
    }
    let mut envelope: Envelope = match doc.form {
        Form::Envelope => serde_json::from_slice(&bytes).map_err(|e| {
            Error::input(path, format!("is not a DSSE envelope repro-check can extend ({e}); sign the file `attest` wrote"))
        })?,
        Form::Statement => Envelope::new(IN_TOTO_PAYLOAD_TYPE, &bytes),
        Form::SigstoreBundle => {
            return Err(Error::input(
                path,
                "is a Sigstore bundle, whose envelope is signed through Sigstore; sign the statement itself (the file `attest` wrote)",
            ));
        }
    };
    let before = envelope.signatures.len();
    for key in keys {
        envelope.sign(key);
    }
    emit(&to_json(&envelope, true)?, out)?;
    let total = envelope.signatures.len();
    report::to_stderr(|err| report::attest::write_cosigned(err, out, total, total - before))?;
    Ok(if doc.failures.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

fn emit(bytes: &[u8], out: Option<&Path>) -> Result<(), Error> {
    match out {
        Some(path) => files::write_replace(path, bytes),
        None => report::to_stdout(|stdout| stdout.write_all(bytes)),
    }
}
