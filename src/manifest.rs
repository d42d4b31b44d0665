//! Build manifests: what a build produced, file by file, as `hash --json` writes it, and the
//! in-memory [`Build`] that `compare` and `attest` work on, whether it came from a file, a tree
//! or a manifest written on another machine. Both are a [`Snapshot`]; this module only gives it
//! a JSON form and a label.
//!
//! The manifest is a versioned JSON document ([`SCHEMA`]):
//!
//! ```json
//! {"schema": "repro-check.manifest/v2",
//!  "roots": [{"path": "result", "kind": "tree", "nar_hash": "sha256-…",
//!             "entries": [{"path": "bin", "type": "directory"},
//!                         {"path": "bin/tool", "type": "file", "sha256": "…", "size": 1234, "executable": true},
//!                         {"path": "x\\xFE", "path_base64": "eP4=", "type": "file", …},
//!                         {"path": "lib/libx.so", "type": "symlink", "target": "libx.so.1"}]}]}
//! ```
//!
//! v2 adds `path_base64` (and `target_base64`) holding the exact bytes of a name that is not
//! UTF-8; `path` then holds its printed form. v1 manifests (which have no such names) are read.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::input::Content;
use crate::progress::Counter;
pub use crate::snapshot::{Name, Node, Snapshot};

/// The `schema` value of manifests this version writes.
pub const SCHEMA: &str = "repro-check.manifest/v2";
/// The schemas this version reads.
pub const READS: [&str; 2] = ["repro-check.manifest/v1", SCHEMA];

/// A manifest: one root per path given to `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`SCHEMA`] (or v1, when read).
    pub schema: String,
    /// One per path given to `hash`, in the order given.
    pub roots: Vec<Root>,
}

/// One hashed path: a single file or a tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// The path as given on the command line (its printed form when it is not UTF-8).
    pub path: String,
    /// The path's exact bytes, only when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_base64: Option<String>,
    /// Whether it is a single file or a directory tree.
    pub kind: RootKind,
    /// The Nix NAR hash (`sha256-<base64>`), when `--nar` was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nar_hash: Option<String>,
    /// Every entry, in Nix archive order (depth first, siblings sorted bytewise). A single file
    /// has one entry named after the file.
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
    /// `/`-separated path relative to the root (the file name for a single file); its printed
    /// form when it is not UTF-8.
    pub path: String,
    /// The path's exact bytes, only when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_base64: Option<String>,
    /// What is there.
    #[serde(flatten)]
    pub node: EntryNode,
}

/// What an entry is, as JSON holds it ([`Node`] with names in JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EntryNode {
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
        /// The link target, as stored (its printed form when it is not UTF-8).
        target: String,
        /// The target's exact bytes, only when it is not UTF-8.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_base64: Option<String>,
    },
    /// A directory.
    Directory,
}

impl Root {
    /// The manifest form of `snapshot`, taken of `path`.
    pub fn new(path: &Path, snapshot: &Snapshot) -> Root {
        let given = Name::new(path.as_os_str().as_bytes());
        Root {
            path: given.json_text().into_owned(),
            path_base64: given.base64(),
            kind: if snapshot.single_file {
                RootKind::File
            } else {
                RootKind::Tree
            },
            nar_hash: snapshot.nar_hash.clone(),
            entries: snapshot
                .entries
                .iter()
                .map(|(name, node)| Entry {
                    path: name.json_text().into_owned(),
                    path_base64: name.base64(),
                    node: match node {
                        Node::File {
                            sha256,
                            size,
                            executable,
                        } => EntryNode::File {
                            sha256: sha256.clone(),
                            size: *size,
                            executable: *executable,
                        },
                        Node::Symlink { target } => EntryNode::Symlink {
                            target: target.json_text().into_owned(),
                            target_base64: target.base64(),
                        },
                        Node::Directory => EntryNode::Directory,
                    },
                })
                .collect(),
        }
    }

    /// The path as given, exactly.
    pub fn name(&self) -> Result<Name, String> {
        Name::from_json(&self.path, self.path_base64.as_deref())
    }
}

impl Entry {
    /// The entry's name and node, exactly.
    pub fn decode(&self) -> Result<(Name, Node), String> {
        let name = Name::from_json(&self.path, self.path_base64.as_deref())?;
        let node = match &self.node {
            EntryNode::File {
                sha256,
                size,
                executable,
            } => Node::File {
                sha256: sha256.clone(),
                size: *size,
                executable: *executable,
            },
            EntryNode::Symlink {
                target,
                target_base64,
            } => Node::Symlink {
                target: Name::from_json(target, target_base64.as_deref())?,
            },
            EntryNode::Directory => Node::Directory,
        };
        Ok((name, node))
    }
}

/// Where a [`Build`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A single file on this machine.
    File,
    /// A directory tree on this machine.
    Tree,
    /// A manifest written by `hash --json` (contents not available here).
    Manifest,
    /// Bytes handed to the library (a single file, not on disk).
    Memory,
}

/// One build, as `compare`, `attest` and `rebuild` see it: a [`Snapshot`] with a label.
#[derive(Debug, Clone)]
pub struct Build {
    /// The argument it was loaded from, as given (or the run's name in `rebuild`).
    pub label: String,
    /// Where it came from.
    pub source: Origin,
    /// Its entries.
    pub snapshot: Snapshot,
    /// The local file (single file) or directory (tree) to read contents from; none for a manifest.
    pub local: Option<PathBuf>,
    /// The bytes of a single-file build held in memory (then `local` is none).
    pub memory: Option<Arc<[u8]>>,
}

impl Build {
    /// A build of the snapshot `snapshot` taken of `local`.
    pub fn local(label: String, local: &Path, snapshot: Snapshot) -> Build {
        Build {
            label,
            source: if snapshot.single_file {
                Origin::File
            } else {
                Origin::Tree
            },
            snapshot,
            local: Some(local.to_path_buf()),
            memory: None,
        }
    }

    /// A single-file build of `bytes` held in memory, called `label` (in messages too): compare
    /// these to compare bytes without writing them to disk.
    pub fn memory(label: &str, bytes: impl Into<Arc<[u8]>>) -> Build {
        let bytes = bytes.into();
        Build {
            label: label.to_string(),
            source: Origin::Memory,
            // Named, like a single file on disk, by the last component of its label.
            snapshot: Snapshot::of_bytes(label.rsplit('/').next().unwrap_or(label), &bytes),
            local: None,
            memory: Some(bytes),
        }
    }

    /// The contents of its entry `name`, when they are here (on disk or in memory).
    pub fn content(&self, name: &Name) -> Option<Content> {
        if let Some(bytes) = &self.memory {
            return Some(Content::Memory {
                name: PathBuf::from(&self.label),
                bytes: bytes.clone(),
            });
        }
        self.local_path(name).map(Content::File)
    }

    /// True when the build is a single file.
    pub fn single_file(&self) -> bool {
        self.snapshot.single_file
    }

    /// Its entries by name.
    pub fn entries(&self) -> &BTreeMap<Name, Node> {
        &self.snapshot.entries
    }

    /// The file on this machine holding entry `name`, when the contents are available here.
    pub fn local_path(&self, name: &Name) -> Option<PathBuf> {
        let local = self.local.as_ref()?;
        Some(if self.snapshot.single_file {
            local.clone()
        } else {
            name.under(local)
        })
    }

    /// One digest for the whole build ([`Snapshot::digest`]).
    pub fn digest(&self) -> String {
        self.snapshot.digest()
    }
}

/// Manifests larger than this are not plausible (a million entries is ~200 MB) and are read as
/// plain files instead.
const MAX_MANIFEST: u64 = 256 << 20;

/// Load a build from `path`: a directory tree (a `result` symlink is followed), a manifest written
/// by `hash --json`, or any other file as a single-file build.
pub fn load(path: &Path) -> Result<Build, Error> {
    load_counted(path, &Counter::default())
}

/// [`load`], counting the files of a tree or file in `counter` as they are hashed.
pub fn load_counted(path: &Path, counter: &Counter) -> Result<Build, Error> {
    let label = path.to_string_lossy().into_owned();
    let meta = std::fs::metadata(path).map_err(|e| Error::read(path, e))?;
    if meta.is_file()
        && meta.len() <= MAX_MANIFEST
        && let Some(manifest) = read_manifest(path)?
    {
        return from_manifest(label, manifest, path);
    }
    let snapshot = crate::snapshot::take_counted(path, false, counter)?;
    // `hash` leaves FIFOs, sockets and devices out of its listing; a comparison must not, or a
    // tree with one would be "identical" to a tree without it. Their contents cannot be read, so
    // the job cannot be done.
    if let Some((special, what)) = snapshot.specials.first() {
        return Err(Error::input(
            special,
            format!(
                "is {what}, whose contents cannot be read or compared; remove it from the build output"
            ),
        ));
    }
    Ok(Build::local(label, path, snapshot))
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
        Error::input(
            path,
            format!(
                "is a manifest with schema {schema:?}, but this repro-check reads {:?} and {SCHEMA:?}; write it again with this version's `repro-check hash --json`",
                READS[0]
            ),
        )
    };
    let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    match serde_json::from_reader::<_, Manifest>(std::io::BufReader::new(file)) {
        Ok(m) if READS.contains(&m.schema.as_str()) => Ok(Some(m)),
        Ok(m) => Err(schema_error(&m.schema)),
        Err(e) => match head_schema(head) {
            Some(schema) if !READS.contains(&schema) => Err(schema_error(schema)),
            _ => Err(Error::input(
                path,
                format!(
                    "is not a valid {SCHEMA} manifest ({e}); write it again with `repro-check hash --json`"
                ),
            )),
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
    let invalid = |what: String| {
        Error::input(
            path,
            format!("{what}; write it again with `repro-check hash --json`"),
        )
    };
    if manifest.roots.is_empty() {
        return Err(Error::input(
            path,
            "is a manifest of no paths; hash at least one path",
        ));
    }
    let single = manifest.roots.len() == 1;
    let mut snapshot = Snapshot {
        single_file: single && manifest.roots[0].kind == RootKind::File,
        nar_hash: if single {
            manifest.roots[0].nar_hash.clone()
        } else {
            None
        },
        ..Snapshot::default()
    };
    for root in &manifest.roots {
        let given = root
            .name()
            .map_err(|e| invalid(format!("has a root path that is not exact: {e}")))?;
        let prefix = Path::new(std::ffi::OsStr::from_bytes(given.as_bytes()))
            .file_name()
            .map_or(given.clone(), |n| Name::new(n.as_bytes()));
        for entry in &root.entries {
            let (name, node) = entry
                .decode()
                .map_err(|e| invalid(format!("has an entry name that is not exact: {e}")))?;
            let key = match (single, root.kind) {
                (true, _) => name,
                (false, RootKind::File) => prefix.clone(),
                (false, RootKind::Tree) => prefix.join(&name),
            };
            if snapshot.entries.contains_key(&key) {
                return Err(invalid(format!("lists {} twice", key.display())));
            }
            snapshot.entries.insert(key, node);
        }
    }
    Ok(Build {
        label,
        source: Origin::Manifest,
        snapshot,
        local: None,
        memory: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    /// A tree with every kind of entry: an executable, a plain and an empty file, an empty
    /// directory, a symlink, and a file name and a link target that are not UTF-8.
    fn tree(root: &Path) {
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("empty-dir")).unwrap();
        std::fs::write(root.join("bin/tool"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            root.join("bin/tool"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::fs::write(root.join("empty"), "").unwrap();
        let odd = std::ffi::OsStr::from_bytes(b"x\xfe");
        std::fs::write(root.join(odd), "bytes").unwrap();
        symlink("bin/tool", root.join("link")).unwrap();
        symlink(
            std::ffi::OsStr::from_bytes(b"to\xff"),
            root.join("odd-link"),
        )
        .unwrap();
    }

    fn manifest(roots: Vec<Root>) -> Manifest {
        Manifest {
            schema: SCHEMA.into(),
            roots,
        }
    }

    fn write_json(dir: &Path, name: &str, value: &impl Serialize) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
        path
    }

    fn file_entry(path: &str, sha: &str) -> Entry {
        Entry {
            path: path.into(),
            path_base64: None,
            node: EntryNode::File {
                sha256: sha.into(),
                size: 1,
                executable: false,
            },
        }
    }

    fn root(path: &str, kind: RootKind, entries: Vec<Entry>) -> Root {
        Root {
            path: path.into(),
            path_base64: None,
            kind,
            nar_hash: None,
            entries,
        }
    }

    fn error(result: Result<Build, Error>) -> String {
        match result {
            Ok(b) => panic!("loaded {:?}", b.snapshot),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_v2_manifest_stands_for_its_tree_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t");
        tree(&t);
        let snapshot = crate::snapshot::take(&t, true).unwrap();
        let written = manifest(vec![Root::new(&t, &snapshot)]);
        let json = serde_json::to_value(&written).unwrap();
        let entries = json["roots"][0]["entries"].as_array().unwrap();
        let by_path = |p: &str| entries.iter().find(|e| e["path"] == p).unwrap().clone();
        // Exact bytes ride in base64 only where the name is not UTF-8.
        assert_eq!(by_path("x\\xFE")["path_base64"], "eP4=");
        assert_eq!(by_path("odd-link")["target"], "to\\xFF");
        assert_eq!(by_path("odd-link")["target_base64"], "dG//");
        assert!(by_path("link").get("target_base64").is_none());
        assert!(by_path("bin/tool").get("path_base64").is_none());
        assert_eq!(by_path("bin/tool")["executable"], true);
        assert_eq!(by_path("empty-dir")["type"], "directory");
        assert_eq!(json["roots"][0]["kind"], "tree");

        let path = write_json(dir.path(), "m.json", &written);
        let build = load(&path).unwrap();
        assert_eq!(build.source, Origin::Manifest);
        assert_eq!(build.local, None);
        assert_eq!(build.local_path(&Name::from("bin/tool")), None);
        assert!(!build.single_file());
        assert_eq!(build.entries(), &snapshot.entries);
        assert_eq!(build.snapshot.nar_hash, snapshot.nar_hash);
        assert_eq!(build.digest(), snapshot.digest());
        // And the tree itself loads to the same digest.
        let local = load(&t).unwrap();
        assert_eq!(local.source, Origin::Tree);
        assert_eq!(local.digest(), build.digest());
        assert_eq!(
            local.local_path(&Name::new(b"x\xfe".to_vec())),
            Some(t.join(std::ffi::OsStr::from_bytes(b"x\xfe")))
        );
    }

    #[test]
    fn a_single_file_manifest_is_a_single_file_build() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("prog");
        std::fs::write(&f, "hi\n").unwrap();
        let snapshot = crate::snapshot::take(&f, true).unwrap();
        let path = write_json(
            dir.path(),
            "m.json",
            &manifest(vec![Root::new(&f, &snapshot)]),
        );
        let build = load(&path).unwrap();
        assert!(build.single_file());
        assert_eq!(build.snapshot.nar_hash, snapshot.nar_hash);
        assert_eq!(build.digest(), snapshot.digest());
        let local = load(&f).unwrap();
        assert_eq!(local.source, Origin::File);
        assert_eq!(local.local_path(&Name::from("anything")), Some(f.clone()));
        // A file's digest is its SHA-256.
        assert_eq!(
            local.digest(),
            "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4"
        );
    }

    #[test]
    fn several_roots_sit_side_by_side_under_their_file_names() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest(vec![
            root("out/a", RootKind::File, vec![file_entry("a", "1")]),
            root(
                "/x/t",
                RootKind::Tree,
                vec![file_entry("f", "2"), file_entry("d/g", "3")],
            ),
        ]);
        let build = load(&write_json(dir.path(), "m.json", &m)).unwrap();
        let names: Vec<String> = build
            .entries()
            .keys()
            .map(|n| n.display().into_owned())
            .collect();
        assert_eq!(names, ["a", "t/d/g", "t/f"]);
        assert!(!build.single_file());
        assert_eq!(build.snapshot.nar_hash, None);

        // Two roots with one file name would put two entries at one place.
        let twice = manifest(vec![
            root("one/a", RootKind::File, vec![file_entry("a", "1")]),
            root("two/a", RootKind::File, vec![file_entry("a", "2")]),
        ]);
        let msg = error(load(&write_json(dir.path(), "twice.json", &twice)));
        assert!(msg.contains("lists a twice"), "{msg}");
        assert!(msg.contains("twice.json"), "{msg}");
    }

    #[test]
    fn version_1_is_read_and_unknown_versions_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let v1 = r#"{"schema":"repro-check.manifest/v1","roots":[{"path":"f","kind":"file",
            "entries":[{"path":"f","type":"file","sha256":"ab","size":2,"executable":false}]}]}"#;
        let path = dir.path().join("v1.json");
        std::fs::write(&path, v1).unwrap();
        let build = load(&path).unwrap();
        assert_eq!(build.source, Origin::Manifest);
        assert_eq!(build.digest(), "ab");

        // Valid JSON of a later schema, and broken JSON that names one near its start.
        for (name, text) in [
            (
                "v9.json",
                r#"{"schema":"repro-check.manifest/v9","roots":[]}"#,
            ),
            (
                "v9-broken.json",
                "{\"schema\" : \"repro-check.manifest/v9\", \"roots\": [",
            ),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let msg = error(load(&path));
            assert!(msg.contains("\"repro-check.manifest/v9\""), "{msg}");
            assert!(msg.contains(name), "{msg}");
        }
        let path = dir.path().join("broken.json");
        std::fs::write(&path, format!("{{\"schema\":\"{SCHEMA}\",\"roots\":[")).unwrap();
        let msg = error(load(&path));
        assert!(
            msg.contains("is not a valid repro-check.manifest/v2 manifest"),
            "{msg}"
        );
    }

    #[test]
    fn bad_manifests_are_errors_that_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = write_json(dir.path(), "none.json", &manifest(vec![]));
        assert!(error(load(&empty)).contains("is a manifest of no paths"));
        let mut entry = file_entry("x", "1");
        entry.path_base64 = Some("not base64!".into());
        let bad = write_json(
            dir.path(),
            "bad.json",
            &manifest(vec![root("x", RootKind::File, vec![entry])]),
        );
        let msg = error(load(&bad));
        assert!(
            msg.contains("bad.json has an entry name that is not exact"),
            "{msg}"
        );
        let mut r = root("x", RootKind::File, vec![file_entry("x", "1")]);
        r.path_base64 = Some("%%".into());
        let bad = write_json(dir.path(), "root.json", &manifest(vec![r]));
        assert!(error(load(&bad)).contains("has a root path that is not exact"));
    }

    #[test]
    fn other_files_are_single_file_builds_even_when_json() {
        let dir = tempfile::tempdir().unwrap();
        // JSON that never names the schema, and a manifest marker past the first 512 bytes.
        let plain = dir.path().join("data.json");
        std::fs::write(&plain, r#"{"roots": []}"#).unwrap();
        let late = dir.path().join("late.json");
        let pad = " ".repeat(600);
        std::fs::write(
            &late,
            format!("{{{pad}\"schema\":\"{SCHEMA}\",\"roots\":[]}}"),
        )
        .unwrap();
        let not_object = dir.path().join("list.json");
        std::fs::write(&not_object, format!("[\"{SCHEMA}\"]")).unwrap();
        for path in [&plain, &late, &not_object] {
            let build = load(path).unwrap();
            assert_eq!(build.source, Origin::File, "{}", path.display());
        }
        // Leading white space does not hide a manifest.
        let spaced = dir.path().join("spaced.json");
        let m = serde_json::to_string(&manifest(vec![root(
            "x",
            RootKind::File,
            vec![file_entry("x", "1")],
        )]))
        .unwrap();
        std::fs::write(&spaced, format!("\n\t {m}")).unwrap();
        assert_eq!(load(&spaced).unwrap().source, Origin::Manifest);
    }

    #[test]
    fn the_schema_is_found_in_a_broken_head() {
        assert_eq!(head_schema(br#"{"schema" :  "a/b", "#), Some("a/b"));
        assert_eq!(head_schema(br#"{"schema":"a"#), Some("a"));
        assert_eq!(head_schema(br#"{"schema" 1"#), None);
        assert_eq!(head_schema(br#"{"roots":[]}"#), None);
    }

    #[test]
    fn a_tree_holding_a_socket_cannot_be_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t");
        std::fs::create_dir(&t).unwrap();
        let _socket = std::os::unix::net::UnixListener::bind(t.join("sock")).unwrap();
        let msg = error(load(&t));
        assert!(msg.contains("sock is a socket"), "{msg}");
        assert!(msg.contains("remove it from the build output"), "{msg}");
    }
}
