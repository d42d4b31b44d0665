//! The same result as a SLSA Verification Summary Attestation v1
//! (`https://slsa.dev/verification_summary/v1`), for tools that read only standard predicates.
//! The full reproducibility predicate rides along as an extension field named by its type URI,
//! which the VSA's parsing rules allow and which consumers that do not know it ignore.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::predicate::{self, Match, Predicate};
use super::statement::{STATEMENT_TYPE, Statement, is_uri};

/// The VSA's predicate type.
pub const VSA_TYPE: &str = "https://slsa.dev/verification_summary/v1";

/// The `verifiedLevels` entry for a pass. Custom levels are allowed; they must not start `SLSA_`.
pub const LEVEL: &str = "REPRODUCIBLE_BIT_IDENTICAL";

/// A VSA v1 predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vsa {
    /// Who verified.
    pub verifier: VsaVerifier,
    /// When (required by the VSA).
    pub time_verified: String,
    /// The artifact's published location.
    pub resource_uri: String,
    /// The policy checked: "every build's output is bit-identical".
    pub policy: VerificationPolicy,
    /// `PASSED` or `FAILED`.
    pub verification_result: String,
    /// `[REPRODUCIBLE_BIT_IDENTICAL]` or `[FAILED]`.
    pub verified_levels: Vec<String>,
    /// The SLSA version the summary follows (optional in the VSA).
    #[serde(default)]
    pub slsa_version: String,
    /// The full reproducibility predicate (extension field named by its type URI).
    #[serde(
        rename = "urn:oid:2.25.78584362944983966257465031028596119771.1.1",
        default
    )]
    pub reproducibility: Option<Predicate>,
}

/// The VSA's `verifier`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VsaVerifier {
    /// A URI naming the verifier.
    pub id: String,
    /// Component versions (a field VSA v1.1 adds; v1.0 readers ignore it).
    #[serde(default)]
    pub version: BTreeMap<String, String>,
}

/// The VSA's `policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationPolicy {
    /// The policy's URI.
    pub uri: String,
}

/// Re-express a reproducibility statement as a VSA with the same subject.
pub fn from_statement(
    statement: Statement<Predicate>,
    time_verified: String,
    resource_uri: String,
) -> Statement<Vsa> {
    let passed = statement.predicate.result == Match::Identical;
    let version = BTreeMap::from([(
        "repro-check".to_string(),
        statement.predicate.verifier.version.clone(),
    )]);
    Statement {
        type_: STATEMENT_TYPE.into(),
        subject: statement.subject,
        predicate_type: VSA_TYPE.into(),
        predicate: Vsa {
            verifier: VsaVerifier {
                id: predicate::VERIFIER_ID.into(),
                version,
            },
            time_verified,
            resource_uri,
            policy: VerificationPolicy {
                uri: predicate::POLICY_URI.into(),
            },
            verification_result: if passed { "PASSED" } else { "FAILED" }.into(),
            verified_levels: vec![if passed { LEVEL } else { "FAILED" }.into()],
            slsa_version: "1.0".into(),
            reproducibility: Some(statement.predicate),
        },
    }
}

/// Every way a VSA breaks the SLSA VSA v1 field rules: `verifier.id`, `resourceUri` and
/// `policy.uri` are URIs, `timeVerified` is an RFC 3339 time.
pub fn field_rule_violations(v: &Vsa) -> Vec<String> {
    let mut found = Vec::new();
    for (field, value) in [
        ("verifier.id", &v.verifier.id),
        ("resourceUri", &v.resource_uri),
        ("policy.uri", &v.policy.uri),
    ] {
        if !is_uri(value) {
            found.push(format!("its {field} {value:?} is not a URI"));
        }
    }
    if !super::time::is_rfc3339(&v.time_verified) {
        found.push(format!(
            "its timeVerified {:?} is not an RFC 3339 time such as 2026-11-24T06:00:00Z",
            v.time_verified
        ));
    }
    found
}

/// Every way a VSA contradicts itself or its embedded reproducibility predicate.
pub fn contradictions(statement: &Statement<Vsa>) -> Vec<String> {
    let v = &statement.predicate;
    let mut found = Vec::new();
    let passed = match v.verification_result.as_str() {
        "PASSED" => true,
        "FAILED" => false,
        other => {
            found.push(format!(
                "its verificationResult is {other:?}, not PASSED or FAILED"
            ));
            return found;
        }
    };
    let level_ok = if passed {
        v.verified_levels.iter().any(|l| l == LEVEL)
            && !v.verified_levels.iter().any(|l| l == "FAILED")
    } else {
        v.verified_levels == ["FAILED"]
    };
    if !level_ok {
        found.push(format!(
            "its verificationResult is {} but its verifiedLevels are {:?}",
            v.verification_result, v.verified_levels
        ));
    }
    // SLSA: at most one level per track (`SLSA_<TRACK>_LEVEL_<n>`), and each level once.
    let mut tracks = BTreeMap::new();
    for level in &v.verified_levels {
        let track = level
            .strip_prefix("SLSA_")
            .and_then(|l| l.rsplit_once("_LEVEL_"))
            .map_or(level.as_str(), |(track, _)| track);
        if let Some(other) = tracks.insert(track, level) {
            found.push(format!(
                "its verifiedLevels name {other:?} and {level:?}, which contradict each other (one level per track)"
            ));
        }
    }
    if let Some(inner) = &v.reproducibility {
        if (inner.result == Match::Identical) != passed {
            found.push(format!(
                "its verificationResult is {} but its reproducibility predicate's result is {}",
                v.verification_result,
                inner.result.name()
            ));
        }
        let embedded = Statement {
            type_: statement.type_.clone(),
            subject: statement.subject.clone(),
            predicate_type: predicate::PREDICATE_TYPE.into(),
            predicate: inner.clone(),
        };
        found.extend(predicate::contradictions(&embedded));
    }
    found
}

#[cfg(test)]
mod tests {
    #[test]
    fn extension_field_is_named_by_the_predicate_type() {
        let json = serde_json::to_value(super::Vsa {
            verifier: super::VsaVerifier {
                id: String::new(),
                version: Default::default(),
            },
            time_verified: String::new(),
            resource_uri: String::new(),
            policy: super::VerificationPolicy { uri: String::new() },
            verification_result: String::new(),
            verified_levels: vec![],
            slsa_version: String::new(),
            reproducibility: None,
        })
        .unwrap();
        assert!(json.get(super::predicate::PREDICATE_TYPE).is_some());
    }
}
