//! The outputs of one run: moved out of the build tree before it is removed, taken as one
//! [`Snapshot`] (each file read once), and compared with another run's in memory. Like Nix and
//! git, only contents, the owner's executable bit, symlink targets and the set of names count
//! ([`snapshot::changes`]): other mode bits and times are the packager's to normalise (otherwise
//! every build would "differ" under a different umask).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::explain::Explanation;
use crate::compare;
use crate::error::Error;
use crate::manifest::Build;
pub use crate::snapshot::Change;
use crate::snapshot::{self, Name, Node};

/// Move each output `rel` from `tree` into `store` (same relative path). `Ok(Some(rel))` names the
/// first output the build did not produce.
pub fn collect(tree: &Path, outputs: &[PathBuf], store: &Path) -> Result<Option<PathBuf>, Error> {
    for rel in outputs {
        let from = tree.join(rel);
        if fs::symlink_metadata(&from).is_err() {
            return Ok(Some(rel.clone()));
        }
        let to = store.join(rel);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::Write {
                path: parent.to_path_buf(),
                source: e,
            })?;
        }
        fs::rename(&from, &to).map_err(|e| Error::Write {
            path: to.clone(),
            source: e,
        })?;
    }
    Ok(None)
}

/// The outputs stored under `store` as a build labelled `label`: one walk, each file read once.
pub fn take(store: &Path, label: &str) -> Result<Build, Error> {
    let snapshot = snapshot::take(store, false)?;
    Ok(Build::local(label.to_string(), store, snapshot))
}

/// One path whose entry differs between two builds.
#[derive(Debug, Clone)]
pub struct Diff {
    /// Its name (`.` when both builds are single files).
    pub name: Name,
    /// The change reported: the first of contents, executable bit, link target, type, missing,
    /// extra that applies.
    pub change: Change,
    /// Its SHA-256 in each build (none where it is not a regular file).
    pub sha256: [Option<String>; 2],
    /// What the compare engine found, for differing contents.
    pub explanation: Explanation,
}

/// Every path whose entry differs between `reference` and `other`, in name order, with the
/// compare engine's explanation of differing contents: both in memory, nothing is walked or
/// hashed again (only differing files are opened, to be analysed). Two single files are compared
/// whatever their names.
pub fn diff(reference: &Build, other: &Build) -> Vec<Diff> {
    let (a, b) = (reference.entries(), other.entries());
    let pairs: Vec<(Name, Option<&Node>, Option<&Node>)> =
        if reference.single_file() && other.single_file() {
            vec![(Name::from("."), a.values().next(), b.values().next())]
        } else {
            let names: BTreeSet<&Name> = a.keys().chain(b.keys()).collect();
            names
                .into_iter()
                .map(|n| (n.clone(), a.get(n), b.get(n)))
                .collect()
        };
    let mut diffs: Vec<Diff> = pairs
        .into_iter()
        .filter_map(|(name, x, y)| {
            let change = snapshot::changes(x, y).into_iter().min()?;
            let sha = |n: Option<&Node>| n.and_then(Node::sha256).map(str::to_string);
            Some(Diff {
                name,
                change,
                sha256: [sha(x), sha(y)],
                explanation: Explanation::default(),
            })
        })
        .collect();
    if !diffs.iter().any(|d| d.change == Change::Content) {
        return diffs;
    }
    let explained = compare::compare(&[reference.clone(), other.clone()]);
    for d in diffs.iter_mut().filter(|d| d.change == Change::Content) {
        d.explanation = match &explained {
            Err(e) => Explanation {
                notes: vec![format!("not analysed: {e}")],
                ..Explanation::default()
            },
            Ok(c) => c
                .files
                .iter()
                .find(|f| !f.identical && (f.name == d.name || reference.single_file()))
                .map(Explanation::from_report)
                .unwrap_or_default(),
        };
    }
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(sha: &str, x: bool) -> Node {
        Node::File {
            sha256: sha.into(),
            size: 1,
            executable: x,
        }
    }

    fn build(entries: &[(&str, Node)]) -> Build {
        Build {
            label: "x".into(),
            source: crate::manifest::Origin::Manifest,
            snapshot: snapshot::Snapshot {
                entries: entries
                    .iter()
                    .map(|(n, node)| (Name::from(*n), node.clone()))
                    .collect(),
                ..Default::default()
            },
            local: None,
            memory: None,
        }
    }

    #[test]
    fn diff_names_each_change() {
        let link = |t: &str| Node::Symlink { target: t.into() };
        let a = build(&[
            ("d", Node::Directory),
            ("d/same", file("1", false)),
            ("d/content", file("1", false)),
            ("d/exec", file("1", false)),
            ("d/gone", file("1", false)),
            ("d/link", link("x")),
        ]);
        let b = build(&[
            ("d", Node::Directory),
            ("d/same", file("1", false)),
            ("d/content", file("2", true)),
            ("d/exec", file("1", true)),
            ("d/new", file("1", false)),
            ("d/link", link("y")),
        ]);
        let d = diff(&a, &b);
        let names: Vec<(&str, Change)> = d
            .iter()
            .map(|d| (d.name.to_str().unwrap(), d.change))
            .collect();
        assert_eq!(
            names,
            [
                ("d/content", Change::Content),
                ("d/exec", Change::Executable),
                ("d/gone", Change::Missing),
                ("d/link", Change::Target),
                ("d/new", Change::Extra),
            ]
        );
        assert!(diff(&a, &a).is_empty());
    }
}
