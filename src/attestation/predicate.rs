//! The reproducibility predicate, version 1: which builds were compared, which agree, what they
//! produced, and why they differ. `docs/attestation.md` documents every field.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::builds::{BuildOutput, FileDifference};
use super::statement::{ResourceDescriptor, STATEMENT_TYPE, Statement};
use crate::compare::Cause;
use crate::snapshot;

/// The arc all of this program's identifiers live under: `2.25.N`, N being a random UUID as an
/// integer (3b1ecc3b-0621-497c-bf79-9a3e072598db). ITU-T X.667 lets anyone who makes a UUID use
/// its arc without registration, so the identifiers claim no domain and cannot collide.
macro_rules! arc {
    ($rest:literal) => {
        concat!("urn:oid:2.25.78584362944983966257465031028596119771", $rest)
    };
}

/// `predicateType` of this predicate: arc `.1` (the reproducibility predicate), version `.1`.
pub const PREDICATE_TYPE: &str = arc!(".1.1");
/// repro-check as a verifier (a VSA's `verifier.id`).
pub const VERIFIER_ID: &str = arc!(".2");
/// The policy "every build's output is bit-identical", version 1 (a VSA's `policy.uri`).
pub const POLICY_URI: &str = arc!(".3.1");

/// The predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Predicate {
    /// The program that compared the builds.
    pub verifier: Verifier,
    /// When, only if asked for (`SOURCE_DATE_EPOCH` or `--timestamp`): RFC 3339, UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_verified: Option<String>,
    /// What the builds were made from, as the caller named them (lock files, the git commit).
    #[serde(default)]
    pub inputs: Vec<ResourceDescriptor>,
    /// Each build, in the order given.
    pub builds: Vec<BuildRecord>,
    /// `IDENTICAL` when every build produced the same output, else `DIFFERENT`.
    pub result: Match,
    /// Which builds agree.
    pub agreement: Agreement,
    /// Each file that is not the same in every build, with the causes found (empty when identical).
    #[serde(default)]
    pub differences: Vec<Difference>,
}

/// Who compared the builds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verifier {
    /// Always `repro-check`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// One build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildRecord {
    /// Its label (`--builder`, or `build-N`).
    pub label: String,
    /// One digest of its whole output; builds agree exactly when these are equal.
    pub digest: BTreeMap<String, String>,
    /// Its regular files, sorted by name.
    pub files: Vec<ResourceDescriptor>,
}

/// The overall result.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(into = "&'static str", try_from = "String")]
#[strum(serialize_all = "UPPERCASE")]
pub enum Match {
    /// Every build's output is bit-identical.
    Identical,
    /// At least one build differs.
    Different,
}

impl Match {
    /// The name written in the JSON.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl TryFrom<String> for Match {
    type Error = strum::ParseError;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse()
    }
}

/// Which builds agree: groups of identical builds, largest first, and "k of n".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// Builds with identical output, by label; largest group first, ties in order of first build.
    pub groups: Vec<IdenticalBuilds>,
    /// k: the size of the largest group.
    pub agreeing: usize,
    /// n: the number of builds.
    pub total: usize,
}

/// Builds with identical output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdenticalBuilds {
    /// Their labels, in the order given.
    pub builds: Vec<String>,
}

/// One file that is not the same in every build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// Its relative name.
    pub name: String,
    /// Each version and the builds that produced it; a version without digest means "missing".
    pub variants: Vec<Variant>,
    /// Causes, as `repro-check compare --json` reports them (absent when the contents were not
    /// available, e.g. builds given as manifests).
    #[serde(default)]
    pub causes: Vec<Cause>,
}

/// One version of a differing file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// Its digest; empty when these builds do not have the file.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
    /// The builds that produced it.
    pub builds: Vec<String>,
}

fn sha256_set(hex: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("sha256".to_string(), hex.to_string())])
}

/// Builds grouped by identical output ([`snapshot::group`]): largest group first, ties in order
/// of first appearance.
fn groups(builds: &[BuildOutput]) -> Vec<IdenticalBuilds> {
    let digests: Vec<&str> = builds.iter().map(|b| b.digest.as_str()).collect();
    snapshot::group(&digests)
        .into_iter()
        .map(|members| IdenticalBuilds {
            builds: members.iter().map(|&i| builds[i].label.clone()).collect(),
        })
        .collect()
}

/// The statement for these builds: the subject is the output of the largest group (every build's,
/// when they agree).
pub fn statement(
    builds: &[BuildOutput],
    differences: &[FileDifference],
    inputs: Vec<ResourceDescriptor>,
    time_verified: Option<String>,
) -> Statement<Predicate> {
    let groups = groups(builds);
    let agreeing = groups.first().map_or(0, |g| g.builds.len());
    let records: Vec<BuildRecord> = builds
        .iter()
        .map(|b| BuildRecord {
            label: b.label.clone(),
            digest: sha256_set(&b.digest),
            files: b
                .files
                .iter()
                .map(|(name, sha)| ResourceDescriptor::sha256(&name.json_text(), sha))
                .collect(),
        })
        .collect();
    let subject = groups
        .first()
        .and_then(|g| g.builds.first())
        .and_then(|label| records.iter().find(|r| &r.label == label))
        .map(|r| r.files.clone())
        .unwrap_or_default();
    let predicate = Predicate {
        verifier: Verifier {
            name: "repro-check".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        time_verified,
        inputs,
        result: if groups.len() == 1 {
            Match::Identical
        } else {
            Match::Different
        },
        agreement: Agreement {
            agreeing,
            total: builds.len(),
            groups,
        },
        builds: records,
        differences: differences
            .iter()
            .map(|d| Difference {
                name: d.name.json_text().into_owned(),
                variants: d
                    .variants
                    .iter()
                    .map(|(sha, labels)| Variant {
                        digest: sha.as_deref().map(sha256_set).unwrap_or_default(),
                        builds: labels.clone(),
                    })
                    .collect(),
                causes: d.causes.clone(),
            })
            .collect(),
    };
    Statement {
        type_: STATEMENT_TYPE.into(),
        subject,
        predicate_type: PREDICATE_TYPE.into(),
        predicate,
    }
}

/// Every way the statement contradicts itself (its builds' digests vs its groups vs its result vs
/// its subject), each as a phrase. Empty for a statement [`statement`] wrote.
pub fn contradictions(statement: &Statement<Predicate>) -> Vec<String> {
    let p = &statement.predicate;
    let mut found = Vec::new();
    if p.builds.len() < 2 {
        found.push(format!(
            "it records {} build(s), and reproducibility needs at least two",
            p.builds.len()
        ));
    }
    let labels: Vec<&str> = p.builds.iter().map(|b| b.label.as_str()).collect();
    let unique: BTreeSet<&str> = labels.iter().copied().collect();
    if unique.len() != labels.len() {
        found.push("two builds share a label".to_string());
    }
    let grouped: Vec<&str> = p
        .agreement
        .groups
        .iter()
        .flat_map(|g| g.builds.iter().map(String::as_str))
        .collect();
    let grouped_set: BTreeSet<&str> = grouped.iter().copied().collect();
    if grouped.len() != grouped_set.len()
        || grouped_set != unique
        || p.agreement.groups.iter().any(|g| g.builds.is_empty())
    {
        found.push("its agreement groups do not list each build exactly once".to_string());
    }
    // One lookup table, so checking n builds stays linear (a search per label made it quadratic).
    let digests: BTreeMap<&str, &BTreeMap<String, String>> = p
        .builds
        .iter()
        .rev()
        .map(|b| (b.label.as_str(), &b.digest))
        .collect();
    let digest_of = |label: &str| digests.get(label).copied();
    for group in &p.agreement.groups {
        let digests: BTreeSet<_> = group.builds.iter().filter_map(|l| digest_of(l)).collect();
        if digests.len() > 1 {
            found.push(format!(
                "builds {} are grouped as identical but record different digests",
                group.builds.join(", ")
            ));
        }
    }
    let group_digests: Vec<_> = p
        .agreement
        .groups
        .iter()
        .filter_map(|g| g.builds.first().and_then(|l| digest_of(l)))
        .collect();
    if group_digests.iter().collect::<BTreeSet<_>>().len() != group_digests.len() {
        found.push(
            "two agreement groups record the same digest, so they are not different".to_string(),
        );
    }
    let largest = p
        .agreement
        .groups
        .iter()
        .map(|g| g.builds.len())
        .max()
        .unwrap_or(0);
    if p.agreement.agreeing != largest || p.agreement.total != p.builds.len() {
        found.push(format!(
            "it says {} of {} builds agree, but its groups say {largest} of {}",
            p.agreement.agreeing,
            p.agreement.total,
            p.builds.len()
        ));
    }
    let all_agree = p.agreement.groups.len() == 1;
    match (p.result, all_agree) {
        (Match::Identical, false) => {
            found.push("its result is IDENTICAL but its builds fall into several groups".into())
        }
        (Match::Different, true) => {
            found.push("its result is DIFFERENT but all its builds agree".into())
        }
        _ => {}
    }
    if p.result == Match::Identical && !p.differences.is_empty() {
        found.push("its result is IDENTICAL but it lists differences".into());
    }
    if p.result == Match::Identical {
        // Single-file builds are compared whatever their names; trees by name and content.
        let single = p.builds.iter().all(|b| b.files.len() == 1);
        fn content(b: &BuildRecord, single: bool) -> Vec<(Option<&str>, Option<&str>)> {
            b.files
                .iter()
                .map(|f| {
                    (
                        if single { None } else { f.name.as_deref() },
                        f.sha256_hex(),
                    )
                })
                .collect()
        }
        let first = p.builds.first().map(|b| content(b, single));
        if p.builds.iter().any(|b| Some(content(b, single)) != first) {
            found.push("its result is IDENTICAL but its builds record different files".into());
        }
    }
    let expected = p
        .agreement
        .groups
        .first()
        .and_then(|g| g.builds.first())
        .and_then(|l| p.builds.iter().find(|b| &b.label == l));
    if let Some(build) = expected {
        let want: BTreeSet<_> = build.files.iter().collect();
        let have: BTreeSet<_> = statement.subject.iter().collect();
        for s in have.difference(&want) {
            found.push(format!(
                "subject {} (sha256 {}) is not a file of build {}",
                s.name.as_deref().unwrap_or("_"),
                s.sha256_hex().unwrap_or("none"),
                build.label
            ));
        }
        for f in want.difference(&have) {
            found.push(format!(
                "file {} of build {} is missing from the subject",
                f.name.as_deref().unwrap_or("_"),
                build.label
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::CauseKind;
    use crate::snapshot::Name;

    fn sha(c: char) -> String {
        c.to_string().repeat(64)
    }

    fn build(label: &str, digest: char, files: &[(&str, char)]) -> BuildOutput {
        BuildOutput {
            label: label.into(),
            digest: sha(digest),
            files: files
                .iter()
                .map(|&(n, d)| (Name::from(n), sha(d)))
                .collect(),
        }
    }

    /// Three builds of a tree: `a` and `c` agree, `b` has another `bin/x` and lacks `lib/y`.
    fn three() -> Statement<Predicate> {
        let builds = [
            build("a", '1', &[("bin/x", 'a'), ("lib/y", 'b')]),
            build("b", '2', &[("bin/x", 'c')]),
            build("c", '1', &[("bin/x", 'a'), ("lib/y", 'b')]),
        ];
        let cause = Cause {
            kind: CauseKind::Timestamp,
            evidence: "2026-12-02 in .rodata".into(),
            hint: CauseKind::Timestamp.hint().into(),
            sections: vec![".rodata".into()],
            builds: [0, 1],
        };
        let differences = [
            FileDifference {
                name: Name::from("bin/x"),
                variants: vec![
                    (Some(sha('a')), vec!["a".into(), "c".into()]),
                    (Some(sha('c')), vec!["b".into()]),
                ],
                causes: vec![cause],
            },
            FileDifference {
                name: Name::from("lib/y"),
                variants: vec![
                    (Some(sha('b')), vec!["a".into(), "c".into()]),
                    (None, vec!["b".into()]),
                ],
                causes: vec![],
            },
        ];
        statement(&builds, &differences, vec![], None)
    }

    fn two_identical() -> Statement<Predicate> {
        let files = [("f", 'a')];
        statement(
            &[build("x", '1', &files), build("y", '1', &files)],
            &[],
            vec![ResourceDescriptor::sha256("Cargo.lock", &sha('e'))],
            Some("2026-12-02T00:00:00Z".into()),
        )
    }

    #[test]
    fn builds_that_differ_make_a_consistent_different_statement() {
        let s = three();
        let p = &s.predicate;
        assert_eq!(s.type_, STATEMENT_TYPE);
        assert_eq!(s.predicate_type, PREDICATE_TYPE);
        assert_eq!(p.result, Match::Different);
        assert_eq!((p.agreement.agreeing, p.agreement.total), (2, 3));
        let groups: Vec<&[String]> = p.agreement.groups.iter().map(|g| &g.builds[..]).collect();
        assert_eq!(groups, [&["a", "c"][..], &["b"][..]]);
        // The subject is what the largest group built.
        let subject: Vec<_> = s.subject.iter().map(|r| r.name.as_deref()).collect();
        assert_eq!(subject, [Some("bin/x"), Some("lib/y")]);
        assert_eq!(p.builds[1].files.len(), 1);
        assert_eq!(p.builds[1].digest["sha256"], sha('2'));
        assert_eq!(p.differences[0].causes[0].kind, CauseKind::Timestamp);
        assert!(contradictions(&s).is_empty(), "{:?}", contradictions(&s));

        let json = serde_json::to_value(&s).unwrap();
        let d = &json["predicate"]["differences"];
        assert_eq!(d[0]["causes"][0]["kind"], "timestamp");
        assert_eq!(d[0]["causes"][0]["sections"][0], ".rodata");
        assert_eq!(d[0]["variants"][1]["digest"]["sha256"], sha('c'));
        // A missing file is a variant without a digest.
        assert!(d[1]["variants"][1].get("digest").is_none());
        assert_eq!(d[1]["variants"][1]["builds"][0], "b");
        assert_eq!(json["predicate"]["result"], "DIFFERENT");
        assert!(json["predicate"].get("timeVerified").is_none());
        let back: Statement<Predicate> = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn builds_that_agree_make_an_identical_statement() {
        let s = two_identical();
        let p = &s.predicate;
        assert_eq!(p.result, Match::Identical);
        assert_eq!((p.agreement.agreeing, p.agreement.total), (2, 2));
        assert_eq!(p.verifier.name, "repro-check");
        assert_eq!(s.subject, [ResourceDescriptor::sha256("f", &sha('a'))]);
        assert!(contradictions(&s).is_empty(), "{:?}", contradictions(&s));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["predicate"]["timeVerified"], "2026-12-02T00:00:00Z");
        assert_eq!(json["predicate"]["inputs"][0]["name"], "Cargo.lock");
        assert_eq!(json["predicate"]["result"], Match::Identical.name());
        assert_eq!(
            json["predicate"]["agreement"]["groups"][0]["builds"][1],
            "y"
        );
        assert!(crate::attestation::statement::is_type_uri(PREDICATE_TYPE));
        assert!(PREDICATE_TYPE.ends_with(".1.1") && POLICY_URI.ends_with(".3.1"));
    }

    /// What `contradictions` says after `edit`, as one string.
    fn after(mut s: Statement<Predicate>, edit: impl FnOnce(&mut Statement<Predicate>)) -> String {
        edit(&mut s);
        contradictions(&s).join(" | ")
    }

    #[test]
    fn every_kind_of_contradiction_is_found() {
        let has = |found: String, want: &str| {
            assert!(found.contains(want), "want {want:?} in {found:?}");
        };
        has(
            after(two_identical(), |s| {
                s.predicate.builds[1].label = "x".into();
                s.predicate.agreement.groups[0].builds[1] = "x".into();
            }),
            "two builds share a label",
        );
        has(
            after(two_identical(), |s| {
                s.predicate.agreement.groups[0].builds.pop();
            }),
            "its agreement groups do not list each build exactly once",
        );
        has(
            after(three(), |s| {
                s.predicate
                    .agreement
                    .groups
                    .push(IdenticalBuilds { builds: vec![] })
            }),
            "its agreement groups do not list each build exactly once",
        );
        // Two groups whose builds record one digest are one group.
        has(
            after(three(), |s| {
                s.predicate.builds[1].digest = s.predicate.builds[0].digest.clone()
            }),
            "two agreement groups record the same digest, so they are not different",
        );
        has(
            after(three(), |s| s.predicate.agreement.total = 4),
            "it says 2 of 4 builds agree, but its groups say 2 of 3",
        );
        has(
            after(two_identical(), |s| {
                s.predicate
                    .differences
                    .push(three().predicate.differences[0].clone())
            }),
            "its result is IDENTICAL but it lists differences",
        );
        // Same digests recorded, yet different files: the files are checked too.
        has(
            after(two_identical(), |s| {
                s.predicate.builds[1].files[0] = ResourceDescriptor::sha256("f", &sha('b'))
            }),
            "its result is IDENTICAL but its builds record different files",
        );
        has(
            after(three(), |s| {
                s.subject.pop();
            }),
            "file lib/y of build a is missing from the subject",
        );
        has(
            after(three(), |s| {
                s.subject[0] = ResourceDescriptor::sha256("bin/x", &sha('c'))
            }),
            &format!(
                "subject bin/x (sha256 {}) is not a file of build a",
                sha('c')
            ),
        );
    }

    #[test]
    fn identical_single_files_may_have_different_names() {
        let s = statement(
            &[
                build("x", '1', &[("prog", 'a')]),
                build("y", '1', &[("prog.orig", 'a')]),
            ],
            &[],
            vec![],
            None,
        );
        assert_eq!(s.predicate.result, Match::Identical);
        assert!(contradictions(&s).is_empty(), "{:?}", contradictions(&s));
        // Trees are compared by name as well.
        let t = statement(
            &[
                build("x", '1', &[("a", 'a'), ("b", 'b')]),
                build("y", '1', &[("a", 'a'), ("c", 'b')]),
            ],
            &[],
            vec![],
            None,
        );
        assert_eq!(
            contradictions(&t),
            ["its result is IDENTICAL but its builds record different files"]
        );
    }
}
