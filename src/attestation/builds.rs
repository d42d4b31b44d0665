//! The builds an attestation is about: what each produced (file name → SHA-256), which agree, and
//! why the others differ. Loading is [`manifest::load`] (a file, a tree, or a `hash --json`
//! manifest) and comparing is [`compare::compare`], the same code `repro-check compare` runs; this
//! module only reshapes their results for the predicate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::compare::{self, Cause, Comparison};
use crate::digest;
use crate::manifest::{self, Build};
use crate::snapshot::{self, Name};

/// What one build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOutput {
    /// The label recorded for it (`--builder`, or `build-N`).
    pub label: String,
    /// One SHA-256 for the whole output: the file's own for a single file, else the digest of the
    /// sorted listing (paths, types, contents, link targets, executable bits). Builds agree
    /// exactly when these are equal.
    pub digest: String,
    /// Regular files by `/`-separated relative name (the file name for a single-file build).
    pub files: BTreeMap<Name, String>,
}

/// Why one path differs between builds.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDifference {
    /// The path's relative name.
    pub name: Name,
    /// Each distinct version (SHA-256, or `None` when absent or not a regular file) and the
    /// builds that have it.
    pub variants: Vec<(Option<String>, Vec<String>)>,
    /// The causes `compare` found (empty when it could not look inside).
    pub causes: Vec<Cause>,
}

/// Load every build, label it, and compare them.
pub fn examine(
    paths: &[PathBuf],
    labels: &[String],
) -> Result<(Vec<BuildOutput>, Vec<FileDifference>), Error> {
    let mut builds = paths
        .iter()
        .map(|p| manifest::load(p))
        .collect::<Result<Vec<_>, Error>>()?;
    for (build, label) in builds.iter_mut().zip(labels) {
        build.label = label.clone();
    }
    let comparison = compare::compare(&builds)?;
    Ok(reshape(&builds, &comparison))
}

/// What each of `builds` produced, and why they differ, from their `comparison`.
pub fn reshape(
    builds: &[Build],
    comparison: &Comparison,
) -> (Vec<BuildOutput>, Vec<FileDifference>) {
    let outputs = builds
        .iter()
        .map(|b| BuildOutput {
            label: b.label.clone(),
            digest: b.digest(),
            files: b
                .entries()
                .iter()
                .filter_map(|(name, node)| Some((name.clone(), node.sha256()?.to_string())))
                .collect(),
        })
        .collect();
    let differences = comparison
        .files
        .iter()
        .filter(|f| !f.identical)
        .map(|f| FileDifference {
            name: f.name.clone(),
            variants: snapshot::group(&f.digests)
                .into_iter()
                .map(|members| {
                    let labels = members.iter().map(|&i| builds[i].label.clone()).collect();
                    (f.digests[members[0]].clone(), labels)
                })
                .collect(),
            causes: f.causes.clone(),
        })
        .collect();
    (outputs, differences)
}

/// The SHA-256 of one file on this machine.
pub fn sha256_file(path: &Path) -> Result<String, Error> {
    Ok(digest::sha256_file(path)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_are_loaded_labelled_and_reshaped_for_the_predicate() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (tree, x) in [("a", "same"), ("b", "other"), ("c", "same")] {
            std::fs::create_dir_all(d.join(tree).join("bin")).unwrap();
            std::fs::write(d.join(tree).join("bin/x"), x).unwrap();
        }
        std::fs::write(d.join("a/only-a"), "").unwrap();
        std::fs::write(d.join("c/only-a"), "").unwrap();
        let paths = ["a", "b", "c"].map(|t| d.join(t));
        let labels = ["one", "two", "three"].map(String::from);
        let (outputs, differences) = examine(&paths, &labels).unwrap();
        let sha = |text: &str| {
            let mut h = digest::Hasher::new();
            h.update(text.as_bytes());
            h.finish_hex()
        };
        assert_eq!(outputs[1].label, "two");
        // Regular files only; directories are in the digest but not in `files`.
        assert_eq!(
            outputs[0].files,
            BTreeMap::from([
                (Name::from("bin/x"), sha("same")),
                (Name::from("only-a"), sha(""))
            ])
        );
        assert_eq!(outputs[0].digest, outputs[2].digest);
        assert_ne!(outputs[0].digest, outputs[1].digest);
        let names: Vec<_> = differences
            .iter()
            .map(|f| f.name.display().into_owned())
            .collect();
        assert_eq!(names, ["bin/x", "only-a"]);
        assert_eq!(
            differences[0].variants,
            [
                (
                    Some(sha("same")),
                    vec!["one".to_string(), "three".to_string()]
                ),
                (Some(sha("other")), vec!["two".to_string()])
            ]
        );
        // A file missing from a build is a version without digest.
        assert_eq!(differences[1].variants[1], (None, vec!["two".to_string()]));
        assert_eq!(sha256_file(&d.join("b/bin/x")).unwrap(), sha("other"));
    }
}
