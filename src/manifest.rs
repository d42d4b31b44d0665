//! Build manifests: what a build produced, file by file, as `hash --json` writes it, and the
//! in-memory [`Build`] that `compare` and `attest` work on, whether it came from a file, a tree
//! or a manifest written on another machine.
//!
//! The manifest is a versioned JSON document ([`SCHEMA`]):
//!
//! ```json
//! {"schema": "repro-check.manifest/v1",
//!  "roots": [{"path": "result", "kind": "tree", "nar_hash": "sha256-…",
//!             "entries": [{"path": "bin", "type": "directory"},
//!                         {"path": "bin/tool", "type": "file", "sha256": "…", "size": 1234, "executable": true},
//!                         {"path": "lib/libx.so", "type": "symlink", "target": "libx.so.1"}]}]}
//! ```

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::digest;
use crate::input::{self, TreeKind};

/// The `schema` value of manifests this version writes and reads.
pub const SCHEMA: &str = "repro-check.manifest/v1";

/// A manifest: one root per path given to `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// One per path given to `hash`, in the order given.
    pub roots: Vec<Root>,
}

/// One hashed path: a single file or a tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// The path as given on the command line.
    pub path: String,
    /// Whether it is a single file or a directory tree.
    pub kind: RootKind,
    /// The Nix NAR hash (`sha256-<base64>`), when `--nar` was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nar_hash: Option<String>,
    /// Every entry, sorted by path. A single file has one entry named after the file.
    pub entries: Vec<Entry>,
}

/// Whether a root is one file or a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RootKind {
    /// A single regular file.
    File,
    /// A directory, walked recursively.
    Tree,
}

/// One file, symlink or directory of a root, by path relative to the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// `/`-separated path relative to the root (the file name for a single file).
    pub path: String,
    /// What is there.
    #[serde(flatten)]
    pub node: Node,
}

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Node {
    /// A regular file.
    File {
        /// SHA-256 of the contents, lowercase hex.
        sha256: String,
        /// Size in bytes.
        size: u64,
        /// Whether the owner may execute it (the only mode bit builds are compared on).
        executable: bool,
    },
    /// A symbolic link (never followed inside a tree).
    Symlink {
        /// The link target, as stored.
        target: String,
    },
    /// A directory.
    Directory,
}

impl Node {
    /// A one-word name for the kind of node.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Node::File { .. } => "file",
            Node::Symlink { .. } => "symlink",
            Node::Directory => "directory",
        }
    }
}

/// Hash one path: a file, or a tree walked without following symlinks inside it. A symlink given
/// as the path itself (a `result` link) is followed.
pub fn hash_root(path: &Path, nar: bool) -> Result<Root, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::read(path, e))?;
    let display = path.to_string_lossy().into_owned();
    let nar_hash = if nar {
        Some(crate::nar::nar_hash(path)?)
    } else {
        None
    };
    if meta.is_file() {
        let name = path
            .file_name()
            .map_or_else(|| display.clone(), |n| n.to_string_lossy().into_owned());
        let node = file_node(path, input::is_executable(&meta))?;
        return Ok(Root {
            path: display,
            kind: RootKind::File,
            nar_hash,
            entries: vec![Entry { path: name, node }],
        });
    }
    if !meta.is_dir() {
        return Err(Error::NotRegular {
            path: path.to_path_buf(),
            what: input::special_kind(&meta.file_type()),
        });
    }
    let walked: Vec<input::TreeEntry> = input::tree(path)?
        .into_iter()
        .filter(|e| !matches!(e.kind, TreeKind::Special { .. }))
        .collect();
    let entries = walked
        .par_iter()
        .map(|e| {
            let node = match &e.kind {
                TreeKind::File { executable } => file_node(&e.path, *executable)?,
                TreeKind::Symlink { target } => Node::Symlink {
                    target: target.to_string_lossy().into_owned(),
                },
                _ => Node::Directory,
            };
            Ok(Entry {
                path: slash_path(&e.rel),
                node,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Root {
        path: display,
        kind: RootKind::Tree,
        nar_hash,
        entries,
    })
}

fn file_node(path: &Path, executable: bool) -> Result<Node, Error> {
    let (sha256, size) = digest::sha256_file(path)?;
    Ok(Node::File {
        sha256,
        size,
        executable,
    })
}

fn slash_path(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Where a [`Build`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A single file on this machine.
    File,
    /// A directory tree on this machine.
    Tree,
    /// A manifest written by `hash --json` (contents not available here).
    Manifest,
}

/// One build, as `compare` and `attest` see it: entries by relative path.
#[derive(Debug, Clone)]
pub struct Build {
    /// The argument it was loaded from, as given.
    pub label: String,
    /// Where it came from.
    pub source: Source,
    /// True when the build is a single file (matched against other single files whatever its name).
    pub single_file: bool,
    /// The NAR hash, when known (from a manifest written with `--nar`).
    pub nar_hash: Option<String>,
    /// Entries by relative path.
    pub entries: BTreeMap<String, Node>,
    /// The local file (single file) or directory (tree) to read contents from; none for a manifest.
    pub local: Option<PathBuf>,
}

impl Build {
    /// The file on this machine holding entry `path`, when the contents are available here.
    pub fn local_path(&self, path: &str) -> Option<PathBuf> {
        let local = self.local.as_ref()?;
        Some(if self.single_file {
            local.clone()
        } else {
            local.join(path)
        })
    }

    /// One digest for the whole build: the file's SHA-256 for a single file; for a tree, the
    /// SHA-256 of its sorted listing (`type "path" sha256|"target" executable` lines), so two trees
    /// share it exactly when every path, type, content, link target and executable bit agree.
    pub fn digest(&self) -> String {
        if self.single_file
            && let Some(Node::File { sha256, .. }) = self.entries.values().next()
        {
            return sha256.clone();
        }
        // Names are JSON-quoted so that no name can imitate another line.
        let quote = |s: &str| serde_json::Value::from(s).to_string();
        let mut h = digest::Hasher::new();
        for (path, node) in &self.entries {
            let path = quote(path);
            let line = match node {
                Node::File {
                    sha256, executable, ..
                } => format!("file {path} {sha256} {executable}\n"),
                Node::Symlink { target } => format!("symlink {path} {}\n", quote(target)),
                Node::Directory => format!("directory {path}\n"),
            };
            h.update(line.as_bytes());
        }
        h.finish_hex()
    }
}

/// Manifests larger than this are not plausible (a million entries is ~200 MB) and are read as
/// plain files instead.
const MAX_MANIFEST: u64 = 256 << 20;

/// Load a build from `path`: a directory tree (a `result` symlink is followed), a manifest written
/// by `hash --json`, or any other file as a single-file build.
pub fn load(path: &Path) -> Result<Build, Error> {
    let label = path.to_string_lossy().into_owned();
    let meta = std::fs::metadata(path).map_err(|e| Error::read(path, e))?;
    if meta.is_file()
        && meta.len() <= MAX_MANIFEST
        && let Some(manifest) = read_manifest(path)?
    {
        return from_manifest(label, manifest, path);
    }
    let root = hash_root(path, false)?;
    let single_file = root.kind == RootKind::File;
    Ok(Build {
        label,
        source: if single_file {
            Source::File
        } else {
            Source::Tree
        },
        single_file,
        nar_hash: None,
        entries: root.entries.into_iter().map(|e| (e.path, e.node)).collect(),
        local: Some(path.to_path_buf()),
    })
}

/// Parse `path` as a manifest when it looks like one (JSON naming a `repro-check.manifest/`
/// schema near its start); `None` when it is some other file.
fn read_manifest(path: &Path) -> Result<Option<Manifest>, Error> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let mut head = [0u8; 512];
    let mut filled = 0;
    while filled < head.len() {
        let n = file
            .read(&mut head[filled..])
            .map_err(|e| Error::read(path, e))?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    let head = &head[..filled];
    let starts_json = head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !starts_json || memchr::memmem::find(head, b"repro-check.manifest/").is_none() {
        return Ok(None);
    }
    let schema_error = |schema: &str| {
        Error::Invalid(format!(
            "{} is a manifest with schema {schema:?}, but this repro-check reads {SCHEMA:?}; write it again with this version's `repro-check hash --json`",
            path.display()
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    match serde_json::from_reader::<_, Manifest>(std::io::BufReader::new(file)) {
        Ok(m) if m.schema == SCHEMA => Ok(Some(m)),
        Ok(m) => Err(schema_error(&m.schema)),
        Err(e) => match head_schema(head) {
            Some(schema) if schema != SCHEMA => Err(schema_error(schema)),
            _ => Err(Error::Invalid(format!(
                "{} is not a valid {SCHEMA} manifest ({e}); write it again with `repro-check hash --json`",
                path.display()
            ))),
        },
    }
}

/// The value of the `"schema"` key near the start of a manifest.
fn head_schema(head: &[u8]) -> Option<&str> {
    let at = memchr::memmem::find(head, b"\"schema\"")? + 8;
    let rest = std::str::from_utf8(head.get(at..)?).ok()?;
    let rest = rest
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    rest.split('"').next()
}

/// A manifest with one root is that root; with several, each root's entries are prefixed by the
/// root's file name, as if the roots sat side by side in one directory.
fn from_manifest(label: String, manifest: Manifest, path: &Path) -> Result<Build, Error> {
    let mut entries = BTreeMap::new();
    let single = manifest.roots.len() == 1;
    let single_file = single && manifest.roots[0].kind == RootKind::File;
    if manifest.roots.is_empty() {
        return Err(Error::Invalid(format!(
            "{} is a manifest of no paths; hash at least one path",
            path.display()
        )));
    }
    let nar_hash = if single {
        manifest.roots[0].nar_hash.clone()
    } else {
        None
    };
    for root in manifest.roots {
        let prefix = Path::new(&root.path)
            .file_name()
            .map_or_else(|| root.path.clone(), |n| n.to_string_lossy().into_owned());
        for entry in root.entries {
            let key = if single || root.kind == RootKind::File {
                if single { entry.path } else { prefix.clone() }
            } else {
                format!("{prefix}/{}", entry.path)
            };
            if entries.insert(key.clone(), entry.node).is_some() {
                return Err(Error::Invalid(format!(
                    "{} lists {key} twice; write it again with `repro-check hash --json`",
                    path.display()
                )));
            }
        }
    }
    Ok(Build {
        label,
        source: Source::Manifest,
        single_file,
        nar_hash,
        entries,
        local: None,
    })
}
