//! The builds an attestation is about: what each produced (file name → SHA-256), which agree, and
//! why the others differ. This is the one place that knows how builds are loaded and compared, so
//! the attestation code does not depend on how.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::digest;
use crate::input::{self, Item};

/// What one build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOutput {
    /// The label recorded for it (`--builder`, or `build-N`).
    pub label: String,
    /// One SHA-256 for the whole output: the file's own for a single file, else a digest of the
    /// sorted listing. Two builds agree exactly when these are equal.
    pub digest: String,
    /// Regular files by `/`-separated relative name (the file name for a single-file build).
    pub files: BTreeMap<String, String>,
}

/// Why one file differs between builds.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDifference {
    /// The file's relative name.
    pub name: String,
    /// Each distinct version (SHA-256, or `None` when absent) and the builds that have it.
    pub variants: Vec<(Option<String>, Vec<String>)>,
    /// The causes `compare` found, as its JSON objects (empty when it could not look inside).
    pub causes: Vec<serde_json::Value>,
}

/// Load every build and compare them.
pub fn examine(
    paths: &[PathBuf],
    labels: &[String],
) -> Result<(Vec<BuildOutput>, Vec<FileDifference>), Error> {
    let builds = paths
        .iter()
        .zip(labels)
        .map(|(path, label)| load(path, label))
        .collect::<Result<Vec<_>, Error>>()?;
    let differences = differences(&builds);
    Ok((builds, differences))
}

/// The SHA-256 of one file on this machine.
pub fn sha256_file(path: &Path) -> Result<String, Error> {
    Ok(digest::sha256_file(path)?.0)
}

/// Load a single file or a directory tree.
fn load(path: &Path, label: &str) -> Result<BuildOutput, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::read(path, e))?;
    let mut files = BTreeMap::new();
    let single = meta.is_file();
    for item in input::expand(&[path.to_path_buf()]) {
        match item {
            Item::File { path: file, .. } => {
                let name = if single {
                    file.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                } else {
                    relative_name(path, &file)
                };
                files.insert(name, sha256_file(&file)?);
            }
            Item::Failed { error, .. } => return Err(error),
            Item::Skipped { .. } => {}
        }
    }
    if files.is_empty() {
        return Err(Error::Invalid(format!(
            "{} holds no regular file to attest; name the build's output file or directory",
            path.display()
        )));
    }
    let digest = match (single, files.values().next()) {
        (true, Some(sha)) => sha.clone(),
        _ => {
            let mut h = digest::Hasher::new();
            for (name, sha) in &files {
                h.update(format!("file {name} {sha}\n").as_bytes());
            }
            h.finish_hex()
        }
    };
    Ok(BuildOutput {
        label: label.to_string(),
        digest,
        files,
    })
}

fn relative_name(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every file name whose versions are not the same in all builds. Single-file builds are compared
/// whatever their names.
fn differences(builds: &[BuildOutput]) -> Vec<FileDifference> {
    let single = builds.iter().all(|b| b.files.len() == 1);
    let mut names: Vec<String> = builds
        .iter()
        .flat_map(|b| b.files.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    if single {
        names.truncate(1);
    }
    let mut out = Vec::new();
    for name in names {
        let mut variants: Vec<(Option<String>, Vec<String>)> = Vec::new();
        for build in builds {
            let sha = if single {
                build.files.values().next().cloned()
            } else {
                build.files.get(&name).cloned()
            };
            match variants.iter_mut().find(|(s, _)| *s == sha) {
                Some((_, labels)) => labels.push(build.label.clone()),
                None => variants.push((sha, vec![build.label.clone()])),
            }
        }
        if variants.len() > 1 {
            out.push(FileDifference {
                name,
                variants,
                causes: Vec::new(),
            });
        }
    }
    out
}
