//! Verifying an attestation against files: signatures and threshold, the envelope's payload type,
//! the in-toto Statement v1 field rules, the predicate's own consistency, its result, and that every
//! file is a subject. Each failed check is one [`Failure`]; every check that can run does.
//!
//! The attestation is one JSON document (a statement, a DSSE envelope, or a Sigstore bundle), or
//! JSON Lines of them as `gh attestation download` writes. Every line about a file is checked, so
//! the order of the lines decides nothing.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::dsse::{self, Envelope, IN_TOTO_PAYLOAD_TYPE};
use super::json::{self, MAX_BYTES};
use super::keys::PublicKey;
use super::predicate::{self, Match, Predicate};
use super::statement::{self, Statement};
use super::vsa::{self, Vsa};

/// The most signatures checked in one attestation file. Each costs one Ed25519 verification per
/// key; real envelopes carry a handful.
pub const MAX_SIGNATURES: usize = 1000;

/// A file to check, with its SHA-256.
pub struct File {
    /// How to name it in messages (the path as given).
    pub name: String,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `--key` was given but the attestation is not a signed envelope.
    Unsigned,
    /// Too few of the given keys made a valid signature.
    Signatures {
        /// Keys with a valid signature.
        valid: usize,
        /// Keys required.
        needed: usize,
        /// Keys given.
        keys: usize,
    },
    /// The envelope's payload is not base64.
    PayloadEncoding,
    /// The envelope does not carry an in-toto statement.
    PayloadType(String),
    /// The payload or statement is not valid JSON of the expected shape.
    Unreadable(String),
    /// An in-toto Statement v1 field rule is broken.
    FieldRule(String),
    /// The predicate is not one this program writes.
    UnknownPredicate(String),
    /// A verification summary about some other policy than reproducibility.
    ForeignPolicy(String),
    /// The predicate contradicts itself or the subject.
    Contradiction(String),
    /// The attestation records that the builds differ.
    NotIdentical {
        /// "k of n", when the predicate says.
        agreement: Option<(usize, usize)>,
    },
    /// A verification summary made by a verifier that is not trusted.
    Verifier(String),
    /// A verification summary breaks the SLSA VSA v1 field rules.
    VsaRule(String),
    /// Lines of a JSON Lines file about the same file record different results.
    Conflict {
        /// The file.
        file: String,
        /// The lines (1-based) that say the builds were identical.
        passed: Vec<usize>,
        /// The lines that say they differ.
        failed: Vec<usize>,
    },
    /// A failure of one line of a JSON Lines file.
    Line(usize, Box<Failure>),
    /// A file's digest is not among the subjects.
    NotSubject {
        /// The file.
        file: String,
        /// Its SHA-256.
        sha256: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Unsigned => write!(
                f,
                "the attestation carries no signature, so it cannot be checked against the --key given"
            ),
            Failure::Signatures {
                valid,
                needed,
                keys,
            } => write!(
                f,
                "{valid} of the {keys} given key(s) made a valid signature over this attestation, and {needed} are required: it was altered or signed by someone else"
            ),
            Failure::PayloadEncoding => write!(
                f,
                "the envelope's payload is not base64, so the attestation was altered or truncated"
            ),
            Failure::PayloadType(t) => write!(
                f,
                "the envelope's payloadType is {t:?}, not {IN_TOTO_PAYLOAD_TYPE:?}, so it does not carry an in-toto statement"
            ),
            Failure::Unreadable(why) => write!(f, "the attested statement cannot be read: {why}"),
            Failure::FieldRule(why) => write!(
                f,
                "the statement breaks the in-toto Statement v1 rules: {why}"
            ),
            Failure::UnknownPredicate(t) => write!(
                f,
                "the predicateType {t:?} is neither repro-check's reproducibility predicate nor a SLSA verification summary, so it says nothing about reproducibility"
            ),
            Failure::ForeignPolicy(uri) => write!(
                f,
                "the verification summary checked the policy {uri:?}, not repro-check's bit-identical builds, so it says nothing about reproducibility"
            ),
            Failure::Contradiction(why) => write!(f, "the attestation contradicts itself: {why}"),
            Failure::NotIdentical {
                agreement: Some((k, n)),
            } => {
                write!(
                    f,
                    "the attestation records that the builds differ ({k} of {n} agree), so it vouches for no file"
                )
            }
            Failure::NotIdentical { agreement: None } => {
                write!(
                    f,
                    "the attestation records a FAILED verification, so it vouches for no file"
                )
            }
            Failure::Verifier(id) => write!(
                f,
                "the verification summary was made by the verifier {id:?}, which is neither repro-check ({:?}) nor one named with --verifier-id; pass --verifier-id {id:?} if you trust it",
                predicate::VERIFIER_ID
            ),
            Failure::VsaRule(why) => write!(
                f,
                "the verification summary breaks the SLSA VSA v1 rules: {why}"
            ),
            Failure::Conflict {
                file,
                passed,
                failed,
            } => write!(
                f,
                "{file} is a subject of line(s) {} that record identical builds and of line(s) {} that record builds that differ, so the attestation contradicts itself",
                list(passed),
                list(failed)
            ),
            Failure::Line(line, failure) => write!(f, "line {line}: {failure}"),
            Failure::NotSubject { file, sha256 } => write!(
                f,
                "{file} (sha256 {sha256}) is not a subject of the attestation: it is not the output the builds agreed on"
            ),
        }
    }
}

/// `1, 4, 7`.
fn list(lines: &[usize]) -> String {
    lines
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whom to trust: keys, how many of them must have signed, and which verifiers' summaries count.
#[derive(Default)]
pub struct Trust<'a> {
    /// The public keys given (`--key`); without any, signatures are not checked.
    pub keys: &'a [PublicKey],
    /// How many of them must have signed.
    pub threshold: usize,
    /// `verifier.id`s of SLSA verification summaries trusted besides repro-check's own.
    pub verifiers: &'a [String],
}

/// What form an attestation document has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A bare in-toto statement: nothing signed it.
    Statement,
    /// A DSSE envelope.
    Envelope,
    /// A Sigstore bundle (recognised by its `mediaType`, with verification material) holding a
    /// DSSE envelope; its Sigstore signature is not checked here.
    SigstoreBundle,
}

impl Form {
    /// The name used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Form::Statement => "statement",
            Form::Envelope => "dsse-envelope",
            Form::SigstoreBundle => "sigstore-bundle",
        }
    }
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Its keyid hint, as written (may be empty).
    pub keyid: String,
    /// The given key (index into [`Trust::keys`]) that made it, if any.
    pub signer: Option<usize>,
}

/// What was found about one attestation document.
#[derive(Debug)]
pub struct Document {
    /// Its line in a JSON Lines file (1-based); `None` for a file holding one document.
    pub line: Option<usize>,
    /// Its form.
    pub form: Form,
    /// Its signatures (none for a bare statement).
    pub signatures: Vec<Signature>,
    /// The keys (indexes into [`Trust::keys`]) that made a valid signature, each once.
    pub signers: Vec<usize>,
    /// The predicate type, when the statement could be read.
    pub predicate_type: Option<String>,
    /// "k of n" agreement, when the predicate says.
    pub agreement: Option<(usize, usize)>,
    /// Whether it says the builds were identical (`None` when it could not be read that far).
    pub passed: Option<bool>,
    /// Every check of the document itself that failed (not about the files).
    pub failures: Vec<Failure>,
    /// Subject SHA-256 → subject name (`_` when it has none).
    subjects: HashMap<String, String>,
}

/// What verification found.
#[derive(Debug, Default)]
pub struct Report {
    /// Every failed check; empty means verified.
    pub failures: Vec<Failure>,
    /// The documents checked: every one about one of the files (all the repro-check ones when none
    /// is), in file order.
    pub documents: Vec<Document>,
    /// Whether keys were given, so signatures were checked.
    pub signatures_checked: bool,
    /// Lines of a JSON Lines file skipped: not JSON, not a statement, envelope or bundle, or
    /// about another predicate type.
    pub skipped: usize,
    /// For each file, the subject name it matched and the document (index into `documents`).
    pub matched: Vec<(String, String, usize)>,
}

/// Verify `attestation` (the file's bytes) against `files`, trusting no verifier but repro-check.
pub fn verify(
    attestation: &[u8],
    files: &[File],
    keys: &[PublicKey],
    threshold: usize,
) -> Result<Report, String> {
    verify_with(
        attestation,
        files,
        &Trust {
            keys,
            threshold,
            verifiers: &[],
        },
    )
}

/// Verify `attestation` (the file's bytes) against `files`. `Err` means it is not an attestation at
/// all (a sentence, to be prefixed with the file's name); check failures are in the report.
pub fn verify_with(attestation: &[u8], files: &[File], trust: &Trust) -> Result<Report, String> {
    if attestation.len() > MAX_BYTES {
        return Err(too_large(attestation.len()));
    }
    let mut report = Report {
        signatures_checked: !trust.keys.is_empty(),
        ..Report::default()
    };
    let documents = match document(attestation, None) {
        Ok(doc) => vec![doc],
        // One JSON value that is not an attestation; else perhaps JSON Lines whose first line is
        // broken (a line with a key twice, say), which are skipped like any other such line.
        Err(Unreadable::Document(why))
            if serde_json::from_slice::<IgnoredAny>(attestation).is_ok() =>
        {
            return Err(why);
        }
        Err(Unreadable::Document(whole) | Unreadable::NotJson(whole)) => {
            let (lines, skipped) = json_lines(attestation).ok_or(whole)?;
            if lines.is_empty() {
                return Err(format!(
                    "holds {skipped} lines and none is a repro-check reproducibility statement or verification summary; download them with --predicate-type {}",
                    predicate::PREDICATE_TYPE
                ));
            }
            report.skipped = skipped;
            lines
        }
    };
    signature_budget(&documents)?;
    let checked: Vec<Document> = documents.into_iter().map(|d| d.check(trust)).collect();
    // The documents about each file; every document when a file names none (to say why).
    let mut about: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, doc) in checked.iter().enumerate() {
        for sha in doc.subjects.keys() {
            about.entry(sha.clone()).or_default().push(i);
        }
    }
    let mut wanted: Vec<usize> = files
        .iter()
        .flat_map(|f| about.get(f.sha256.as_str()).into_iter().flatten().copied())
        .collect();
    if wanted.is_empty() {
        wanted = (0..checked.len()).collect();
    }
    wanted.sort_unstable();
    wanted.dedup();
    let mut index = vec![None; checked.len()];
    let mut documents: Vec<Document> = Vec::new();
    for (i, doc) in checked.into_iter().enumerate() {
        if wanted.binary_search(&i).is_ok() {
            index[i] = Some(documents.len());
            documents.push(doc);
        }
    }
    for doc in &documents {
        report
            .failures
            .extend(doc.failures.iter().map(|f| match doc.line {
                Some(line) => Failure::Line(line, Box::new(f.clone())),
                None => f.clone(),
            }));
    }
    for file in files {
        let docs: Vec<usize> = about
            .get(file.sha256.as_str())
            .into_iter()
            .flatten()
            .filter_map(|&i| index[i])
            .collect();
        if docs.is_empty() {
            report.failures.push(Failure::NotSubject {
                file: file.name.clone(),
                sha256: file.sha256.clone(),
            });
        }
        let lines = |passed: bool| -> Vec<usize> {
            docs.iter()
                .filter(|&&d| documents[d].passed == Some(passed))
                .filter_map(|&d| documents[d].line)
                .collect()
        };
        let (passed, failed) = (lines(true), lines(false));
        if !passed.is_empty() && !failed.is_empty() {
            report.failures.push(Failure::Conflict {
                file: file.name.clone(),
                passed,
                failed,
            });
        }
        for d in docs {
            let subject = documents[d].subjects[file.sha256.as_str()].clone();
            report.matched.push((file.name.clone(), subject, d));
        }
    }
    report.documents = documents;
    Ok(report)
}

/// Check the one document of `attestation` (a statement or envelope file, as `attest --sign` takes
/// to add a signature) on its own, with no files and no keys.
pub fn check_document(attestation: &[u8], trust: &Trust) -> Result<Document, String> {
    if attestation.len() > MAX_BYTES {
        return Err(too_large(attestation.len()));
    }
    let doc = document(attestation, None).map_err(Unreadable::into_sentence)?;
    signature_budget(std::slice::from_ref(&doc))?;
    Ok(doc.check(trust))
}

/// Refuse a file with more than [`MAX_SIGNATURES`] signatures in all.
fn signature_budget(documents: &[Unchecked]) -> Result<(), String> {
    let signatures: usize = documents
        .iter()
        .map(|d| d.envelope().map_or(0, |e| e.signatures.len()))
        .sum();
    if signatures > MAX_SIGNATURES {
        return Err(format!(
            "carries {signatures} signatures, more than the {MAX_SIGNATURES} repro-check checks in one file, so it is not an attestation it can verify"
        ));
    }
    Ok(())
}

/// Why a document could not be read.
enum Unreadable {
    /// It is not one JSON value (perhaps JSON Lines).
    NotJson(String),
    /// It is JSON, but not an attestation document.
    Document(String),
}

impl Unreadable {
    fn into_sentence(self) -> String {
        match self {
            Unreadable::NotJson(why) | Unreadable::Document(why) => why,
        }
    }
}

fn too_large(len: usize) -> String {
    format!(
        "is {len} bytes, more than the {} MiB an attestation may be, so it is not one repro-check reads",
        MAX_BYTES >> 20
    )
}

/// One document as read, before any check.
enum Parsed {
    Statement(Vec<u8>),
    Envelope(Envelope, Form),
}

/// A parsed document and its line.
struct Unchecked {
    line: Option<usize>,
    parsed: Parsed,
}

/// A Sigstore bundle, as far as it is read here.
#[derive(Deserialize)]
struct Bundle {
    #[serde(rename = "mediaType")]
    media_type: String,
    #[serde(rename = "verificationMaterial")]
    material: Option<Material>,
    #[serde(rename = "dsseEnvelope")]
    envelope: Option<Envelope>,
}

/// A bundle's verification material: one of these says who signed.
#[derive(Deserialize)]
struct Material {
    certificate: Option<IgnoredAny>,
    #[serde(rename = "x509CertificateChain")]
    chain: Option<IgnoredAny>,
    #[serde(rename = "publicKey")]
    public_key: Option<IgnoredAny>,
}

/// Which top-level keys a document has, to tell the forms apart.
#[derive(Deserialize)]
struct Shape {
    #[serde(rename = "payloadType")]
    payload_type: Option<IgnoredAny>,
    #[serde(rename = "mediaType")]
    media_type: Option<IgnoredAny>,
    #[serde(rename = "_type")]
    type_: Option<IgnoredAny>,
}

/// Whether `media_type` is a Sigstore bundle's (`application/vnd.dev.sigstore.bundle+json;version=0.1`
/// … or `application/vnd.dev.sigstore.bundle.v0.3+json`).
fn is_bundle_media_type(media_type: &str) -> bool {
    media_type
        .strip_prefix("application/vnd.dev.sigstore.bundle")
        .is_some_and(|rest| {
            rest == "+json"
                || rest.starts_with("+json;version=")
                || rest
                    .strip_prefix(".v")
                    .is_some_and(|v| v.ends_with("+json"))
        })
}

/// Read one JSON document: a statement, an envelope or a bundle.
fn document(bytes: &[u8], line: Option<usize>) -> Result<Unchecked, Unreadable> {
    json::unique_keys(bytes).map_err(|e| {
        if e.is_data() {
            Unreadable::Document(format!("is not valid in-toto JSON: {e}"))
        } else {
            Unreadable::NotJson(format!("is not JSON ({e}), so it is not an attestation"))
        }
    })?;
    document_shape(bytes, line).map_err(Unreadable::Document)
}

/// Tell a statement, an envelope and a bundle apart, and read it.
fn document_shape(bytes: &[u8], line: Option<usize>) -> Result<Unchecked, String> {
    let not_ours = "is neither an in-toto statement, a DSSE envelope nor a Sigstore bundle; pass the file `repro-check attest` wrote";
    let shape: Shape = serde_json::from_slice(bytes).map_err(|_| not_ours.to_string())?;
    let parsed = if shape.payload_type.is_some() {
        let envelope = serde_json::from_slice(bytes).map_err(|e| {
            format!("is not a valid DSSE envelope ({e}); pass the file `repro-check attest` wrote")
        })?;
        Parsed::Envelope(envelope, Form::Envelope)
    } else if shape.media_type.is_some() {
        let bundle: Bundle = serde_json::from_slice(bytes)
            .map_err(|e| format!("is not a valid Sigstore bundle ({e})"))?;
        if !is_bundle_media_type(&bundle.media_type) {
            return Err(format!(
                "has the mediaType {:?}, which is not a Sigstore bundle's, so it is not an attestation",
                bundle.media_type
            ));
        }
        let material = bundle.material.is_some_and(|m| {
            m.certificate.is_some() || m.chain.is_some() || m.public_key.is_some()
        });
        if !material {
            return Err(
                "has a Sigstore bundle's mediaType but no verification material (certificate or public key), so it is not a bundle".to_string(),
            );
        }
        let Some(envelope) = bundle.envelope else {
            return Err(
                "is a Sigstore bundle without a DSSE envelope (a signature over a file, not an attestation); download the attestation bundle".to_string(),
            );
        };
        Parsed::Envelope(envelope, Form::SigstoreBundle)
    } else if shape.type_.is_some() {
        Parsed::Statement(bytes.to_vec())
    } else {
        return Err(not_ours.to_string());
    };
    Ok(Unchecked { line, parsed })
}

/// JSON Lines (`gh attestation download`): the lines that are statements, envelopes or bundles
/// of a repro-check predicate or a VSA, and how many other lines were skipped, as in-toto's bundle
/// rules say. `None` when there are fewer than two lines (then it is one broken document).
fn json_lines(bytes: &[u8]) -> Option<(Vec<Unchecked>, usize)> {
    let lines: Vec<(usize, &[u8])> = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.trim_ascii().is_empty())
        .collect();
    if lines.len() < 2 {
        return None;
    }
    let mut skipped = 0;
    let mut ours = Vec::new();
    for (i, line) in lines {
        match document(line, Some(i + 1)) {
            Ok(doc)
                if doc
                    .predicate_type()
                    .is_some_and(|t| t == predicate::PREDICATE_TYPE || t == vsa::VSA_TYPE) =>
            {
                ours.push(doc)
            }
            _ => skipped += 1,
        }
    }
    Some((ours, skipped))
}

/// Just the predicate type of a statement, read without checking anything.
#[derive(Deserialize)]
struct TypeOnly {
    #[serde(rename = "predicateType")]
    predicate_type: String,
}

impl Unchecked {
    fn envelope(&self) -> Option<&Envelope> {
        match &self.parsed {
            Parsed::Envelope(e, _) => Some(e),
            Parsed::Statement(_) => None,
        }
    }

    /// The predicate type, without checking anything.
    fn predicate_type(&self) -> Option<String> {
        let body = match &self.parsed {
            Parsed::Statement(bytes) => bytes.clone(),
            Parsed::Envelope(e, _) => e.body()?,
        };
        Some(
            serde_json::from_slice::<TypeOnly>(&body)
                .ok()?
                .predicate_type,
        )
    }

    /// Every check of the document on its own.
    fn check(self, trust: &Trust) -> Document {
        let mut doc = Document {
            line: self.line,
            form: Form::Statement,
            signatures: Vec::new(),
            signers: Vec::new(),
            predicate_type: None,
            agreement: None,
            passed: None,
            failures: Vec::new(),
            subjects: HashMap::new(),
        };
        let (payload, keys_checked) = match self.parsed {
            Parsed::Statement(bytes) => {
                if !trust.keys.is_empty() {
                    doc.failures.push(Failure::Unsigned);
                }
                (bytes, true)
            }
            Parsed::Envelope(env, form) => {
                doc.form = form;
                let checked = env.check(trust.keys);
                doc.signers = dsse::signers(&checked);
                doc.signatures = env
                    .signatures
                    .iter()
                    .zip(checked)
                    .map(|(s, signer)| Signature {
                        keyid: s.keyid.clone(),
                        signer,
                    })
                    .collect();
                if !trust.keys.is_empty() && doc.signers.len() < trust.threshold {
                    doc.failures.push(Failure::Signatures {
                        valid: doc.signers.len(),
                        needed: trust.threshold,
                        keys: trust.keys.len(),
                    });
                }
                if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
                    doc.failures
                        .push(Failure::PayloadType(env.payload_type.clone()));
                }
                match env.body() {
                    Some(body) => (body, false),
                    None => {
                        doc.failures.push(Failure::PayloadEncoding);
                        return doc;
                    }
                }
            }
        };
        check_statement(&payload, keys_checked, trust, &mut doc);
        doc
    }
}

/// The statement-level checks. `keys_checked`: [`json::unique_keys`] already passed over these
/// bytes (a bare statement, read as the document itself).
fn check_statement(payload: &[u8], keys_checked: bool, trust: &Trust, doc: &mut Document) {
    if !keys_checked && let Err(e) = json::unique_keys(payload) {
        doc.failures.push(Failure::Unreadable(format!(
            "it is not valid in-toto JSON ({e})"
        )));
        return;
    }
    let statement: Statement<IgnoredAny> = match serde_json::from_slice(payload) {
        Ok(s) => s,
        Err(e) => {
            doc.failures.push(Failure::Unreadable(format!(
                "it is not an in-toto statement ({e})"
            )));
            return;
        }
    };
    doc.predicate_type = Some(statement.predicate_type.clone());
    doc.failures.extend(
        statement::field_rule_violations(&statement)
            .into_iter()
            .map(Failure::FieldRule),
    );
    let (contradictions, passed, agreement) = match statement.predicate_type.as_str() {
        predicate::PREDICATE_TYPE => {
            match serde_json::from_slice::<Statement<Predicate>>(payload) {
                Ok(s) => {
                    let p = &s.predicate;
                    (
                        predicate::contradictions(&s),
                        p.result == Match::Identical,
                        Some((p.agreement.agreeing, p.agreement.total)),
                    )
                }
                Err(e) => {
                    doc.failures.push(Failure::Unreadable(format!(
                        "its predicate is not a repro-check predicate v1 ({e})"
                    )));
                    return;
                }
            }
        }
        vsa::VSA_TYPE => match serde_json::from_slice::<Statement<Vsa>>(payload) {
            Ok(s) => {
                let v = &s.predicate;
                if v.policy.uri != predicate::POLICY_URI {
                    doc.failures
                        .push(Failure::ForeignPolicy(v.policy.uri.clone()));
                }
                let own = v.verifier.id == predicate::VERIFIER_ID;
                if !own && !trust.verifiers.contains(&v.verifier.id) {
                    doc.failures.push(Failure::Verifier(v.verifier.id.clone()));
                }
                doc.failures.extend(
                    vsa::field_rule_violations(v)
                        .into_iter()
                        .map(Failure::VsaRule),
                );
                let mut contradictions = vsa::contradictions(&s);
                if own && v.reproducibility.is_none() {
                    contradictions.push(format!(
                        "it names repro-check as its verifier but does not carry the reproducibility predicate ({}) repro-check always writes in it",
                        predicate::PREDICATE_TYPE
                    ));
                }
                (
                    contradictions,
                    v.verification_result == "PASSED",
                    v.reproducibility
                        .as_ref()
                        .map(|p| (p.agreement.agreeing, p.agreement.total)),
                )
            }
            Err(e) => {
                doc.failures.push(Failure::Unreadable(format!(
                    "its predicate is not a SLSA verification summary v1 ({e})"
                )));
                return;
            }
        },
        other => {
            doc.failures
                .push(Failure::UnknownPredicate(other.to_string()));
            return;
        }
    };
    doc.agreement = agreement;
    doc.passed = Some(passed);
    doc.failures
        .extend(contradictions.into_iter().map(Failure::Contradiction));
    if !passed {
        doc.failures.push(Failure::NotIdentical { agreement });
    }
    // Subjects are matched purely by digest (in-toto Statement v1).
    for s in &statement.subject {
        if let Some(sha) = s.sha256_hex() {
            doc.subjects
                .entry(sha.to_string())
                .or_insert_with(|| s.name.clone().unwrap_or_else(|| "_".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigstore_bundle_media_types() {
        for good in [
            "application/vnd.dev.sigstore.bundle+json",
            "application/vnd.dev.sigstore.bundle+json;version=0.1",
            "application/vnd.dev.sigstore.bundle+json;version=0.2",
            "application/vnd.dev.sigstore.bundle.v0.3+json",
        ] {
            assert!(is_bundle_media_type(good), "{good}");
        }
        for bad in [
            "",
            "application/json",
            "application/vnd.dev.sigstore.bundle",
            "application/vnd.dev.sigstore.bundle+jsonx",
            "application/vnd.dev.sigstore.bundle.v0.3",
            "application/vnd.dev.sigstore.bundlex+json",
            "application/vnd.in-toto+json",
        ] {
            assert!(!is_bundle_media_type(bad), "{bad}");
        }
    }

    /// A bare statement (of some other predicate type) padded with spaces to `len` bytes.
    fn padded(len: usize) -> Vec<u8> {
        let mut bytes = br#"{"_type":"https://in-toto.io/Statement/v1"}"#.to_vec();
        bytes.resize(len, b' ');
        bytes
    }

    #[test]
    fn the_size_cap_is_exact() {
        assert!(verify(&padded(MAX_BYTES), &[], &[], 0).is_ok());
        assert!(check_document(&padded(MAX_BYTES), &Trust::default()).is_ok());
        let err = verify(&padded(MAX_BYTES + 1), &[], &[], 0).unwrap_err();
        assert_eq!(
            err,
            format!(
                "is {} bytes, more than the 32 MiB an attestation may be, so it is not one repro-check reads",
                MAX_BYTES + 1
            )
        );
        assert_eq!(
            check_document(&padded(MAX_BYTES + 1), &Trust::default()).unwrap_err(),
            err
        );
    }

    /// An envelope (payload `{}`) with `n` signatures.
    fn with_signatures(n: usize) -> Vec<u8> {
        let sigs = vec![r#"{"sig":"AA=="}"#; n].join(",");
        format!(r#"{{"payload":"e30=","payloadType":"t","signatures":[{sigs}]}}"#).into_bytes()
    }

    #[test]
    fn at_most_a_thousand_signatures_are_checked() {
        let ok = verify(&with_signatures(MAX_SIGNATURES), &[], &[], 0).unwrap();
        assert_eq!(ok.documents[0].signatures.len(), MAX_SIGNATURES);
        assert!(check_document(&with_signatures(MAX_SIGNATURES), &Trust::default()).is_ok());
        let want = "carries 1001 signatures, more than the 1000 repro-check checks in one file, so it is not an attestation it can verify";
        assert_eq!(
            verify(&with_signatures(MAX_SIGNATURES + 1), &[], &[], 0).unwrap_err(),
            want
        );
        assert_eq!(
            check_document(&with_signatures(MAX_SIGNATURES + 1), &Trust::default()).unwrap_err(),
            want
        );
        // Counted over every line of a JSON Lines file.
        let line = |n| {
            let sigs = vec![r#"{"sig":"AA=="}"#; n].join(",");
            let payload =
                "eyJwcmVkaWNhdGVUeXBlIjoiaHR0cHM6Ly9zbHNhLmRldi92ZXJpZmljYXRpb25fc3VtbWFyeS92MSJ9";
            format!(r#"{{"payload":"{payload}","payloadType":"t","signatures":[{sigs}]}}"#)
        };
        let two = format!("{}\n{}\n", line(500), line(501));
        assert_eq!(verify(two.as_bytes(), &[], &[], 0).unwrap_err(), want);
        let two = format!("{}\n{}\n", line(500), line(500));
        assert!(verify(two.as_bytes(), &[], &[], 0).is_ok());
    }

    #[test]
    fn forms_and_their_names() {
        let forms = [Form::Statement, Form::Envelope, Form::SigstoreBundle];
        let names: Vec<&str> = forms.iter().map(|f| f.name()).collect();
        assert_eq!(names, ["statement", "dsse-envelope", "sigstore-bundle"]);
        let doc = check_document(&with_signatures(1), &Trust::default()).unwrap();
        assert_eq!(doc.form, Form::Envelope);
        assert_eq!(
            doc.failures[0],
            Failure::PayloadType("t".into()),
            "{:?}",
            doc.failures
        );
    }

    use super::super::builds::BuildOutput;
    use super::super::dsse::Envelope;
    use super::super::keys::{self, SecretKey};
    use crate::snapshot::Name;

    fn sha(c: char) -> String {
        c.to_string().repeat(64)
    }

    /// The statement for two builds whose file `f` is `a` then `b` (the same when `a == b`).
    fn statement_bytes(a: char, b: char) -> Vec<u8> {
        let build = |label: &str, d: char| BuildOutput {
            label: label.into(),
            digest: sha(d),
            files: [(Name::from("f"), sha(d))].into(),
        };
        let s = predicate::statement(&[build("x", a), build("y", b)], &[], vec![], None);
        serde_json::to_vec(&s).unwrap()
    }

    fn file(c: char) -> File {
        File {
            name: format!("file-{c}"),
            sha256: sha(c),
        }
    }

    fn key_pair(dir: &std::path::Path, name: &str) -> (SecretKey, PublicKey) {
        let written = keys::generate(&dir.join(name)).unwrap();
        (
            SecretKey::load(&written.secret).unwrap(),
            PublicKey::load(&written.public).unwrap(),
        )
    }

    fn signed(body: &[u8], by: &[&SecretKey]) -> Vec<u8> {
        let mut env = Envelope::new(IN_TOTO_PAYLOAD_TYPE, body);
        for key in by {
            assert!(env.sign(key));
        }
        serde_json::to_vec(&env).unwrap()
    }

    #[test]
    fn a_statement_vouches_for_its_subject_and_nothing_else() {
        let ok = verify(&statement_bytes('a', 'a'), &[file('a')], &[], 0).unwrap();
        assert_eq!(ok.failures, []);
        assert_eq!(ok.matched, [("file-a".to_string(), "f".to_string(), 0)]);
        let doc = &ok.documents[0];
        assert_eq!(
            (doc.form, doc.passed, doc.agreement),
            (Form::Statement, Some(true), Some((2, 2)))
        );
        assert_eq!(
            doc.predicate_type.as_deref(),
            Some(predicate::PREDICATE_TYPE)
        );
        assert!(!ok.signatures_checked);

        let other = verify(&statement_bytes('a', 'a'), &[file('a'), file('z')], &[], 0).unwrap();
        assert_eq!(
            other.failures,
            [Failure::NotSubject {
                file: "file-z".into(),
                sha256: sha('z')
            }]
        );
    }

    #[test]
    fn builds_that_differ_vouch_for_nothing() {
        let r = verify(&statement_bytes('a', 'b'), &[file('a')], &[], 0).unwrap();
        assert_eq!(
            r.failures,
            [Failure::NotIdentical {
                agreement: Some((1, 2))
            }]
        );
        assert_eq!(r.documents[0].passed, Some(false));
        // Edited to claim success, it contradicts itself.
        let text = String::from_utf8(statement_bytes('a', 'b')).unwrap();
        let forged = text.replace("\"DIFFERENT\"", "\"IDENTICAL\"");
        let r = verify(forged.as_bytes(), &[file('a')], &[], 0).unwrap();
        assert_eq!(
            r.failures,
            [
                Failure::Contradiction(
                    "its result is IDENTICAL but its builds fall into several groups".into()
                ),
                Failure::Contradiction(
                    "its result is IDENTICAL but its builds record different files".into()
                )
            ]
        );
    }

    #[test]
    fn signatures_are_counted_against_the_threshold_and_tampering_breaks_them() {
        let dir = tempfile::tempdir().unwrap();
        let (alice, alice_pub) = key_pair(dir.path(), "alice");
        let (_, bob_pub) = key_pair(dir.path(), "bob");
        let body = statement_bytes('a', 'a');
        let env = signed(&body, &[&alice]);
        let keys = [alice_pub, bob_pub];

        let r = verify(&env, &[file('a')], &keys[..1], 1).unwrap();
        assert_eq!(r.failures, []);
        assert!(r.signatures_checked);
        assert_eq!(r.documents[0].form, Form::Envelope);
        assert_eq!(r.documents[0].signers, [0]);
        assert_eq!(r.documents[0].signatures[0].signer, Some(0));

        let r = verify(&env, &[file('a')], &keys, 2).unwrap();
        let two = Failure::Signatures {
            valid: 1,
            needed: 2,
            keys: 2,
        };
        assert_eq!(r.failures, std::slice::from_ref(&two));
        assert!(
            two.to_string()
                .starts_with("1 of the 2 given key(s) made a valid signature")
        );

        // Another statement under alice's signature: no valid signature, whatever it says.
        let mut e: Envelope = serde_json::from_slice(&env).unwrap();
        let other = statement_bytes('b', 'b');
        e.payload = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &other);
        let r = verify(
            &serde_json::to_vec(&e).unwrap(),
            &[file('b')],
            &keys[..1],
            1,
        )
        .unwrap();
        assert_eq!(
            r.failures,
            [Failure::Signatures {
                valid: 0,
                needed: 1,
                keys: 1
            }]
        );
        // A payload that is not base64 cannot be read at all.
        e.payload = "***".into();
        let r = verify(&serde_json::to_vec(&e).unwrap(), &[file('a')], &[], 0).unwrap();
        assert!(
            r.failures.contains(&Failure::PayloadEncoding),
            "{:?}",
            r.failures
        );
        // A bare statement cannot satisfy a key.
        let r = verify(&body, &[file('a')], &keys[..1], 1).unwrap();
        assert_eq!(r.failures, [Failure::Unsigned]);
    }

    #[test]
    fn json_lines_that_disagree_about_a_file_conflict() {
        let mut lines = statement_bytes('a', 'a');
        lines.extend_from_slice(b"\nnot json at all\n");
        lines.extend(statement_bytes('a', 'b'));
        lines.push(b'\n');
        let r = verify(&lines, &[file('a')], &[], 0).unwrap();
        assert_eq!(r.skipped, 1);
        assert_eq!(r.documents.len(), 2);
        assert_eq!(r.documents[1].line, Some(3));
        assert_eq!(
            r.failures,
            [
                Failure::Line(
                    3,
                    Box::new(Failure::NotIdentical {
                        agreement: Some((1, 2))
                    })
                ),
                Failure::Conflict {
                    file: "file-a".into(),
                    passed: vec![1],
                    failed: vec![3]
                }
            ]
        );
        // Lines of other predicates only: nothing to verify.
        let foreign = "{\"_type\":\"x\",\"predicateType\":\"y\"}\n{\"_type\":\"x\",\"predicateType\":\"z\"}\n";
        let e = verify(foreign.as_bytes(), &[], &[], 0).unwrap_err();
        assert!(e.starts_with("holds 2 lines and none is"), "{e}");
    }

    #[test]
    fn documents_that_are_not_attestations_are_errors() {
        let err = |bytes: &[u8]| verify(bytes, &[], &[], 0).unwrap_err();
        assert!(err(b"{\"a\":1}").starts_with("is neither an in-toto statement"));
        assert!(err(b"not json").starts_with("is not JSON"));
        let twice = br#"{"_type":"a","_type":"b","subject":[],"predicateType":"x","predicate":{}}"#;
        assert!(
            err(twice).contains("is not valid in-toto JSON"),
            "{}",
            err(twice)
        );
        let bundle = |material: &str| {
            format!(
                r#"{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"{material},"dsseEnvelope":{}}}"#,
                String::from_utf8(signed(&statement_bytes('a', 'a'), &[])).unwrap()
            )
        };
        assert!(err(bundle("").as_bytes()).contains("no verification material"));
        let r = verify(
            bundle(r#","verificationMaterial":{"publicKey":{"hint":"k"}}"#).as_bytes(),
            &[file('a')],
            &[],
            0,
        )
        .unwrap();
        assert_eq!(
            (r.documents[0].form, &r.failures[..]),
            (Form::SigstoreBundle, &[][..])
        );
        let unknown = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"00"}}],"predicateType":"https://example.com/p","predicate":{}}"#;
        let r = verify(unknown, &[], &[], 0).unwrap();
        assert!(
            r.failures
                .contains(&Failure::UnknownPredicate("https://example.com/p".into()))
        );
    }

    #[test]
    fn verification_summaries_need_a_trusted_verifier_and_our_policy() {
        let s: Statement<Predicate> = serde_json::from_slice(&statement_bytes('a', 'a')).unwrap();
        let vsa = vsa::from_statement(
            s,
            "2026-12-02T00:00:00Z".into(),
            "https://example.com/f".into(),
        );
        let ok = serde_json::to_vec(&vsa).unwrap();
        let r = verify(&ok, &[file('a')], &[], 0).unwrap();
        assert_eq!(r.failures, []);
        assert_eq!(r.documents[0].agreement, Some((2, 2)));

        let mut foreign = vsa.clone();
        foreign.predicate.verifier.id = "https://example.com/v".into();
        foreign.predicate.reproducibility = None;
        let bytes = serde_json::to_vec(&foreign).unwrap();
        let r = verify(&bytes, &[file('a')], &[], 0).unwrap();
        assert_eq!(
            r.failures,
            [Failure::Verifier("https://example.com/v".into())]
        );
        let trusted = ["https://example.com/v".to_string()];
        let trust = Trust {
            verifiers: &trusted,
            ..Trust::default()
        };
        assert_eq!(
            verify_with(&bytes, &[file('a')], &trust).unwrap().failures,
            []
        );

        let mut policy = vsa;
        policy.predicate.policy.uri = "https://example.com/policy".into();
        let r = verify(&serde_json::to_vec(&policy).unwrap(), &[file('a')], &[], 0).unwrap();
        assert_eq!(
            r.failures,
            [Failure::ForeignPolicy("https://example.com/policy".into())]
        );
    }
}
