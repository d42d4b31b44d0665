//! The outputs of one run: moved out of the build tree before it is removed, listed with their
//! SHA-256, and compared with another run's. Like Nix and git, only contents, the executable bit,
//! symlink targets and the set of names count: other mode bits and times are the packager's to
//! normalise (otherwise every build would "differ" under a different umask).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::digest;
use crate::error::Error;

/// One entry of a run's outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A directory.
    Dir,
    /// A regular file.
    File {
        /// Its SHA-256, hex.
        sha256: String,
        /// Whether any execute bit is set.
        executable: bool,
    },
    /// A symbolic link and its target.
    Symlink(PathBuf),
}

/// Every entry of a run's outputs, by path relative to the build tree's root.
pub type Listing = BTreeMap<PathBuf, Node>;

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

/// List the outputs `outputs` stored under `store`.
pub fn list(store: &Path, outputs: &[PathBuf]) -> Result<Listing, Error> {
    let mut listing = Listing::new();
    for rel in outputs {
        let walker = walkdir::WalkDir::new(store.join(rel))
            .follow_links(false)
            .sort_by_file_name();
        for entry in walker {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(store).to_path_buf();
                Error::read(&path, e.into())
            })?;
            let path = entry.path();
            let key = path.strip_prefix(store).unwrap_or(path).to_path_buf();
            let ft = entry.file_type();
            let node = if ft.is_dir() {
                Node::Dir
            } else if ft.is_symlink() {
                Node::Symlink(fs::read_link(path).map_err(|e| Error::read(path, e))?)
            } else if ft.is_file() {
                let meta = entry.metadata().map_err(|e| Error::read(path, e.into()))?;
                let (sha256, _) = digest::sha256_file(path)?;
                Node::File {
                    sha256,
                    executable: meta.permissions().mode() & 0o111 != 0,
                }
            } else {
                continue;
            };
            listing.insert(key, node);
        }
    }
    Ok(listing)
}

/// How one path differs between two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// The file's bytes differ.
    Content,
    /// The executable bit differs.
    Executable,
    /// The symlink points elsewhere.
    LinkTarget,
    /// A file in one, a directory or symlink in the other.
    Type,
    /// Only the reference run has it.
    Missing,
    /// Only the other run has it.
    Extra,
}

impl Change {
    /// In words, for text reports.
    pub fn describe(self) -> &'static str {
        match self {
            Change::Content => "contents differ",
            Change::Executable => "executable bit differs",
            Change::LinkTarget => "symlink target differs",
            Change::Type => "file type differs",
            Change::Missing => "missing from this run",
            Change::Extra => "only in this run",
        }
    }
}

/// The paths whose entries differ between `reference` and `other`, in path order.
pub fn diff(reference: &Listing, other: &Listing) -> Vec<(PathBuf, Change)> {
    let mut out = Vec::new();
    for (path, a) in reference {
        let change = match (a, other.get(path)) {
            (_, None) => Some(Change::Missing),
            (Node::Dir, Some(Node::Dir)) => None,
            (
                Node::File {
                    sha256: x,
                    executable: ex,
                },
                Some(Node::File {
                    sha256: y,
                    executable: ey,
                }),
            ) => {
                if x != y {
                    Some(Change::Content)
                } else if ex != ey {
                    Some(Change::Executable)
                } else {
                    None
                }
            }
            (Node::Symlink(x), Some(Node::Symlink(y))) => (x != y).then_some(Change::LinkTarget),
            _ => Some(Change::Type),
        };
        if let Some(change) = change {
            out.push((path.clone(), change));
        }
    }
    for path in other.keys() {
        if !reference.contains_key(path) {
            out.push((path.clone(), Change::Extra));
        }
    }
    out.sort();
    out
}

/// The SHA-256 of a file entry, if it is one.
pub fn sha256(listing: &Listing, path: &Path) -> Option<String> {
    match listing.get(path) {
        Some(Node::File { sha256, .. }) => Some(sha256.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(sha: &str, x: bool) -> Node {
        Node::File {
            sha256: sha.into(),
            executable: x,
        }
    }

    #[test]
    fn diff_names_each_change() {
        let a: Listing = [
            ("d".into(), Node::Dir),
            ("d/same".into(), file("1", false)),
            ("d/content".into(), file("1", false)),
            ("d/exec".into(), file("1", false)),
            ("d/gone".into(), file("1", false)),
            ("d/link".into(), Node::Symlink("x".into())),
        ]
        .into_iter()
        .collect();
        let b: Listing = [
            ("d".into(), Node::Dir),
            ("d/same".into(), file("1", false)),
            ("d/content".into(), file("2", false)),
            ("d/exec".into(), file("1", true)),
            ("d/new".into(), file("1", false)),
            ("d/link".into(), Node::Symlink("y".into())),
        ]
        .into_iter()
        .collect();
        let d = diff(&a, &b);
        let names: Vec<(&str, Change)> = d.iter().map(|(p, c)| (p.to_str().unwrap(), *c)).collect();
        assert_eq!(
            names,
            [
                ("d/content", Change::Content),
                ("d/exec", Change::Executable),
                ("d/gone", Change::Missing),
                ("d/link", Change::LinkTarget),
                ("d/new", Change::Extra),
            ]
        );
        assert!(diff(&a, &a).is_empty());
    }
}
