//! Verifying an attestation against files: signatures and threshold, the envelope's payload type,
//! the in-toto Statement v1 field rules, the predicate's own consistency, its result, and that every
//! file is a subject. Each failed check is one [`Failure`]; every check that can run does.

use std::fmt;

use super::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use super::keys::PublicKey;
use super::predicate::{self, Predicate, Verdict};
use super::statement::{self, Statement};
use super::vsa::{self, Vsa};

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
            Failure::NotSubject { file, sha256 } => write!(
                f,
                "{file} (sha256 {sha256}) is not a subject of the attestation: it is not the output the builds agreed on"
            ),
        }
    }
}

/// What verification found.
#[derive(Debug, Default)]
pub struct Report {
    /// Every failed check; empty means verified.
    pub failures: Vec<Failure>,
    /// Whether the attestation is a DSSE envelope (else a bare statement).
    pub enveloped: bool,
    /// Whether it came in a Sigstore bundle (whose signature `gh attestation verify` checks).
    pub sigstore: bool,
    /// Signatures in the envelope.
    pub signatures: usize,
    /// The keys (by index into the keys given) that made a valid signature.
    pub signers: Vec<usize>,
    /// The predicate type.
    pub predicate_type: Option<String>,
    /// "k of n" agreement.
    pub agreement: Option<(usize, usize)>,
    /// For each file, the subject name it matched.
    pub matched: Vec<(String, String)>,
}

/// Verify `attestation` (the file's bytes). `Err` means it is not an attestation at all (a
/// sentence, to be prefixed with the file's name); check failures are in the report.
pub fn verify(
    attestation: &[u8],
    files: &[File],
    keys: &[PublicKey],
    threshold: usize,
) -> Result<Report, String> {
    let value = document(attestation)?;
    let mut report = Report::default();
    let envelope = if value.get("payloadType").is_some() {
        Some(value.clone())
    } else {
        // A Sigstore bundle (what `actions/attest` and `gh attestation download` give) holds one.
        report.sigstore = value.get("dsseEnvelope").is_some();
        value.get("dsseEnvelope").cloned()
    };
    let payload: Vec<u8> = match envelope {
        Some(env) => {
            let env: Envelope = serde_json::from_value(env).map_err(|e| {
                format!(
                    "is not a valid DSSE envelope ({e}); pass the file `repro-check attest` wrote"
                )
            })?;
            report.enveloped = true;
            report.signatures = env.signatures.len();
            report.signers = env.signers(keys);
            if !keys.is_empty() && report.signers.len() < threshold {
                report.failures.push(Failure::Signatures {
                    valid: report.signers.len(),
                    needed: threshold,
                    keys: keys.len(),
                });
            }
            if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
                report
                    .failures
                    .push(Failure::PayloadType(env.payload_type.clone()));
            }
            match env.body() {
                Some(body) => body,
                None => {
                    report.failures.push(Failure::PayloadEncoding);
                    return Ok(report);
                }
            }
        }
        None if value.get("_type").is_some() => {
            if !keys.is_empty() {
                report.failures.push(Failure::Unsigned);
            }
            attestation.to_vec()
        }
        None => {
            return Err(
                "is neither an in-toto statement nor a DSSE envelope; pass the file `repro-check attest` wrote".to_string()
            );
        }
    };
    check_statement(&payload, files, &mut report);
    Ok(report)
}

/// The attestation document: the file's one JSON value, or from JSON Lines (a bundle file as `gh
/// attestation download` writes it) the first line carrying a repro-check or VSA statement.
fn document(attestation: &[u8]) -> Result<serde_json::Value, String> {
    let whole = match serde_json::from_slice(attestation) {
        Ok(value) => return Ok(value),
        Err(e) => format!("is not JSON ({e}), so it is not an attestation"),
    };
    let text = std::str::from_utf8(attestation).map_err(|_| whole.clone())?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() < 2 {
        return Err(whole);
    }
    let docs = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str::<serde_json::Value>(line).map_err(|e| {
                format!(
                    "line {} is not JSON ({e}), so it is not an attestation",
                    i + 1
                )
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let ours = |doc: &&serde_json::Value| {
        predicate_type_of(doc).is_some_and(|t| t == predicate::PREDICATE_TYPE || t == vsa::VSA_TYPE)
    };
    docs.iter().find(ours).cloned().ok_or_else(|| {
        format!(
            "holds {} attestations and none is a repro-check reproducibility statement; download them with --predicate-type {}",
            docs.len(),
            predicate::PREDICATE_TYPE
        )
    })
}

/// The predicate type of a statement, DSSE envelope or Sigstore bundle, without checking anything.
fn predicate_type_of(doc: &serde_json::Value) -> Option<String> {
    let statement = match doc
        .get("payloadType")
        .map(|_| doc)
        .or_else(|| doc.get("dsseEnvelope"))
    {
        Some(env) => {
            let body = super::dsse::decode_base64(env.get("payload")?.as_str()?)?;
            serde_json::from_slice::<serde_json::Value>(&body).ok()?
        }
        None => doc.clone(),
    };
    Some(statement.get("predicateType")?.as_str()?.to_string())
}

/// The statement-level checks.
fn check_statement(payload: &[u8], files: &[File], report: &mut Report) {
    let statement: Statement<serde_json::Value> = match serde_json::from_slice(payload) {
        Ok(s) => s,
        Err(e) => {
            report.failures.push(Failure::Unreadable(format!(
                "it is not an in-toto statement ({e})"
            )));
            return;
        }
    };
    report.predicate_type = Some(statement.predicate_type.clone());
    report.failures.extend(
        statement::field_rule_violations(&statement)
            .into_iter()
            .map(Failure::FieldRule),
    );
    fn retyped<P>(statement: &Statement<serde_json::Value>, predicate: P) -> Statement<P> {
        Statement {
            type_: statement.type_.clone(),
            subject: statement.subject.clone(),
            predicate_type: statement.predicate_type.clone(),
            predicate,
        }
    }
    let (contradictions, passed, agreement) = match statement.predicate_type.as_str() {
        predicate::PREDICATE_TYPE => {
            match serde_json::from_value::<Predicate>(statement.predicate.clone()) {
                Ok(p) => {
                    let agreement = Some((p.agreement.agreeing, p.agreement.total));
                    let passed = p.result == Verdict::Identical;
                    (
                        predicate::contradictions(&retyped(&statement, p)),
                        passed,
                        agreement,
                    )
                }
                Err(e) => {
                    report.failures.push(Failure::Unreadable(format!(
                        "its predicate is not a repro-check predicate v1 ({e})"
                    )));
                    return;
                }
            }
        }
        vsa::VSA_TYPE => match serde_json::from_value::<Vsa>(statement.predicate.clone()) {
            Ok(v) => {
                if v.policy.uri != predicate::POLICY_URI {
                    report
                        .failures
                        .push(Failure::ForeignPolicy(v.policy.uri.clone()));
                }
                let agreement = v
                    .reproducibility
                    .as_ref()
                    .map(|p| (p.agreement.agreeing, p.agreement.total));
                let passed = v.verification_result == "PASSED";
                (
                    vsa::contradictions(&retyped(&statement, v)),
                    passed,
                    agreement,
                )
            }
            Err(e) => {
                report.failures.push(Failure::Unreadable(format!(
                    "its predicate is not a SLSA verification summary v1 ({e})"
                )));
                return;
            }
        },
        other => {
            report
                .failures
                .push(Failure::UnknownPredicate(other.to_string()));
            return;
        }
    };
    report.agreement = agreement;
    report
        .failures
        .extend(contradictions.into_iter().map(Failure::Contradiction));
    if !passed {
        report.failures.push(Failure::NotIdentical { agreement });
    }
    for file in files {
        // Subjects are matched purely by digest (in-toto Statement v1).
        match statement
            .subject
            .iter()
            .find(|s| s.sha256_hex() == Some(file.sha256.as_str()))
        {
            Some(s) => report.matched.push((
                file.name.clone(),
                s.name.clone().unwrap_or_else(|| "_".into()),
            )),
            None => report.failures.push(Failure::NotSubject {
                file: file.name.clone(),
                sha256: file.sha256.clone(),
            }),
        }
    }
}
