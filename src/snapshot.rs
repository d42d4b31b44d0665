//! The one model of a build's output that `hash`, `compare`, `rebuild` and `attest` share: every
//! file (SHA-256, size, executable bit), directory and symlink (target) by its exact name, made by
//! one walk that reads each file once — and, when asked, computes the Nix archive hash in the
//! same pass.
//!
//! One fact, one definition:
//! - a name is bytes ([`Name`]), never converted lossily, ordered as Nix archives order entries
//!   (siblings bytewise, a directory's contents right after it);
//! - a file is executable when its owner may execute it ([`is_executable`]), the one mode bit NAR
//!   and git record;
//! - how one entry differs from another is a [`Change`];
//! - builds (or versions of a file) that share a digest are grouped by [`group`].

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use base64::Engine;
use rayon::prelude::*;
use serde::Serialize;

use crate::Error;
use crate::digest::Hasher;
use crate::escape;
use crate::input;
use crate::nar::{Nar, Piece};
use crate::progress::Counter;

/// A `/`-separated path relative to a build's root, as the bytes the file system stores.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Name(Vec<u8>);

impl Name {
    /// A name from its bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Name(bytes.into())
    }

    /// A relative path's components joined by `/`.
    pub fn from_path(rel: &Path) -> Self {
        let mut out = Vec::new();
        for c in rel.components() {
            if !out.is_empty() {
                out.push(b'/');
            }
            out.extend_from_slice(c.as_os_str().as_bytes());
        }
        Name(out)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The name as text, when it is valid UTF-8.
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The name as it may be printed on a terminal ([`escape::bytes`]).
    pub fn display(&self) -> Cow<'_, str> {
        escape::bytes(&self.0)
    }

    /// The name as JSON carries it: the text itself when it is UTF-8, else its printed form
    /// ([`escape::bytes`], which keeps two different names apart); [`Name::base64`] then holds
    /// the exact bytes.
    pub fn json_text(&self) -> Cow<'_, str> {
        match self.to_str() {
            Some(s) => Cow::Borrowed(s),
            None => escape::bytes(&self.0),
        }
    }

    /// The exact bytes in standard base64, only for a name that is not UTF-8.
    pub fn base64(&self) -> Option<String> {
        self.to_str()
            .is_none()
            .then(|| base64::engine::general_purpose::STANDARD.encode(&self.0))
    }

    /// The name written as `text` (and `base64`, when it is not UTF-8) by [`Name::json_text`] and
    /// [`Name::base64`].
    pub fn from_json(text: &str, base64: Option<&str>) -> Result<Self, String> {
        match base64 {
            None => Ok(Name(text.as_bytes().to_vec())),
            Some(b) => base64::engine::general_purpose::STANDARD
                .decode(b)
                .map(Name)
                .map_err(|e| format!("{b:?} is not base64 ({e})")),
        }
    }

    /// `self/other`.
    pub fn join(&self, other: &Name) -> Name {
        let mut out = self.0.clone();
        out.push(b'/');
        out.extend_from_slice(&other.0);
        Name(out)
    }

    /// The file this name stands for under `root`.
    pub fn under(&self, root: &Path) -> PathBuf {
        root.join(std::ffi::OsStr::from_bytes(&self.0))
    }
}

impl Ord for Name {
    /// Nix archive order: component by component, bytewise (`a` < `a/b` < `a-b`), which is the
    /// order of a depth-first walk with siblings sorted by name.
    fn cmp(&self, other: &Self) -> Ordering {
        let key = |b: &u8| if *b == b'/' { 0 } else { *b };
        self.0.iter().map(key).cmp(other.0.iter().map(key))
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.display())
    }
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.json_text())
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name(s.as_bytes().to_vec())
    }
}

/// One entry of a build.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    /// A regular file.
    File {
        /// SHA-256 of the contents, lowercase hex.
        sha256: String,
        /// Size in bytes.
        size: u64,
        /// Whether the owner may execute it ([`is_executable`]).
        executable: bool,
    },
    /// A symbolic link (never followed inside a tree).
    Symlink {
        /// The link target, as stored.
        target: Name,
    },
    /// A directory.
    Directory,
}

/// What an entry is, without its contents: the kind of a [`Node`] (what `rebuild` copies from a
/// source tree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A symbolic link.
    Symlink,
    /// A directory.
    Directory,
}

impl Kind {
    /// The kind of a file type; `None` for a FIFO, socket or device.
    pub fn of(ft: &fs::FileType) -> Option<Kind> {
        if ft.is_dir() {
            Some(Kind::Directory)
        } else if ft.is_symlink() {
            Some(Kind::Symlink)
        } else if ft.is_file() {
            Some(Kind::File)
        } else {
            None
        }
    }

    /// A one-word name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Symlink => "symlink",
            Kind::Directory => "directory",
        }
    }
}

impl Node {
    /// The kind of node.
    pub fn kind(&self) -> Kind {
        match self {
            Node::File { .. } => Kind::File,
            Node::Symlink { .. } => Kind::Symlink,
            Node::Directory => Kind::Directory,
        }
    }

    /// A one-word name for the kind of node.
    pub fn kind_name(&self) -> &'static str {
        self.kind().name()
    }

    /// The SHA-256 of a regular file.
    pub fn sha256(&self) -> Option<&str> {
        match self {
            Node::File { sha256, .. } => Some(sha256),
            _ => None,
        }
    }
}

/// Whether the owner may execute the file: the one mode bit Nix archives and git record, and so
/// the only one builds are compared on.
pub fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o100 != 0
}

/// How one entry differs from the reference's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// The contents differ.
    Content,
    /// The executable bit differs.
    Executable,
    /// The symlink points elsewhere.
    Target,
    /// A file in one, a directory or symlink in the other.
    Type,
    /// The reference has it, the other does not.
    Missing,
    /// The other has it, the reference does not.
    Extra,
}

impl Change {
    /// In words, for text reports.
    pub fn describe(self) -> &'static str {
        match self {
            Change::Content => "contents differ",
            Change::Executable => "executable bit differs",
            Change::Target => "symlink target differs",
            Change::Type => "file type differs",
            Change::Missing => "missing from this run",
            Change::Extra => "only in this run",
        }
    }
}

/// Every way `other` differs from `reference` (none when they agree): a file can differ in its
/// executable bit and its contents at once.
pub fn changes(reference: Option<&Node>, other: Option<&Node>) -> Vec<Change> {
    match (reference, other) {
        (None, None) => Vec::new(),
        (Some(_), None) => vec![Change::Missing],
        (None, Some(_)) => vec![Change::Extra],
        (
            Some(Node::File {
                sha256: a,
                executable: xa,
                ..
            }),
            Some(Node::File {
                sha256: b,
                executable: xb,
                ..
            }),
        ) => {
            let mut out = Vec::new();
            if xa != xb {
                out.push(Change::Executable);
            }
            if a != b {
                out.push(Change::Content);
            }
            out
        }
        (Some(Node::Symlink { target: a }), Some(Node::Symlink { target: b })) => {
            if a == b {
                Vec::new()
            } else {
                vec![Change::Target]
            }
        }
        (Some(Node::Directory), Some(Node::Directory)) => Vec::new(),
        _ => vec![Change::Type],
    }
}

/// Indices of `digests` grouped by equal value: largest group first, ties in order of first
/// appearance. The one grouping of builds (and of versions of a file) by digest.
pub fn group<T: PartialEq>(digests: &[T]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, d) in digests.iter().enumerate() {
        match groups.iter_mut().find(|g| digests[g[0]] == *d) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.len())); // stable
    groups
}

/// What a build produced: a single file, or every entry of a tree.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// True for a single file (matched against other single files whatever its name).
    pub single_file: bool,
    /// Every entry by name; a single file has one entry named after the file.
    pub entries: BTreeMap<Name, Node>,
    /// The Nix archive hash (`sha256-<base64>`), when asked for or read from a manifest.
    pub nar_hash: Option<String>,
    /// FIFOs, sockets and devices found in the tree (left out of `entries`), with what each is.
    pub specials: Vec<(PathBuf, &'static str)>,
}

impl Snapshot {
    /// A single file of `bytes` (not executable) called `name`.
    pub fn of_bytes(name: &str, bytes: &[u8]) -> Snapshot {
        let mut sha = Hasher::new();
        sha.update(bytes);
        let node = Node::File {
            sha256: sha.finish_hex(),
            size: bytes.len() as u64,
            executable: false,
        };
        Snapshot {
            single_file: true,
            entries: BTreeMap::from([(Name::from(name), node)]),
            nar_hash: None,
            specials: Vec::new(),
        }
    }

    /// How many regular files it has.
    pub fn files(&self) -> usize {
        self.entries
            .values()
            .filter(|n| matches!(n, Node::File { .. }))
            .count()
    }

    /// One digest for the whole build: the file's SHA-256 for a single file; for a tree, the
    /// SHA-256 of its sorted listing (`type "name" sha256|"target" executable` lines), so two
    /// trees share it exactly when every name, type, content, link target and executable bit
    /// agree.
    pub fn digest(&self) -> String {
        if self.single_file
            && let Some(Node::File { sha256, .. }) = self.entries.values().next()
        {
            return sha256.clone();
        }
        // UTF-8 names are JSON-quoted so that no name can imitate another line; other names are
        // `base64:` and their bytes, which no quoted name can look like.
        let quote = |n: &Name| match n.base64() {
            None => serde_json::Value::from(n.json_text()).to_string(),
            Some(b) => format!("base64:{b}"),
        };
        let mut h = Hasher::new();
        for (name, node) in &self.entries {
            let name = quote(name);
            let line = match node {
                Node::File {
                    sha256, executable, ..
                } => format!("file {name} {sha256} {executable}\n"),
                Node::Symlink { target } => format!("symlink {name} {}\n", quote(target)),
                Node::Directory => format!("directory {name}\n"),
            };
            h.update(line.as_bytes());
        }
        h.finish_hex()
    }
}

/// Snapshot `path`: a file, or a tree walked without following symlinks inside it (a symlink
/// named as `path` itself, a `result` link, is followed for the listing). With `nar`, also the
/// Nix archive hash of `path` as `nix hash path` computes it (a symlink named as `path` is
/// archived as the link, as Nix does), from the same single read of every file.
pub fn take(path: &Path, nar: bool) -> Result<Snapshot, Error> {
    take_counted(path, nar, &Counter::default())
}

/// [`take`], counting in `counter` the files found and each file as it is hashed (for a bar).
pub fn take_counted(path: &Path, nar: bool, counter: &Counter) -> Result<Snapshot, Error> {
    let meta = fs::metadata(path).map_err(|e| Error::read(path, e))?;
    let link = fs::symlink_metadata(path)
        .map_err(|e| Error::read(path, e))?
        .file_type()
        .is_symlink();
    // A named symlink's NAR is the link itself; the listing is what it points to.
    let (link_nar, nar) = if nar && link {
        let target = fs::read_link(path).map_err(|e| Error::read(path, e))?;
        let n = Nar::root_symlink(target.as_os_str().as_bytes());
        (Some(n.finish()), false)
    } else {
        (None, nar)
    };
    let mut snapshot = if meta.is_file() {
        let name = path.file_name().unwrap_or(path.as_os_str()).as_bytes();
        counter.found(1, meta.len());
        let (node, nar_hash) = file_once(path, is_executable(&meta), nar)?;
        counter.done(meta.len());
        Snapshot {
            single_file: true,
            entries: BTreeMap::from([(Name::new(name), node)]),
            nar_hash,
            specials: Vec::new(),
        }
    } else if meta.is_dir() {
        tree(path, nar, counter)?
    } else {
        return Err(Error::NotRegular {
            path: path.to_path_buf(),
            what: input::special_kind(&meta.file_type()),
        });
    };
    if link_nar.is_some() {
        snapshot.nar_hash = link_nar;
    }
    Ok(snapshot)
}

/// One file, read once into its SHA-256 and (for `nar`) the NAR hash of it as the root.
fn file_once(path: &Path, executable: bool, nar: bool) -> Result<(Node, Option<String>), Error> {
    let (file, len) = input::open_regular(path)?;
    let mut sha = Hasher::new();
    let mut archive = nar.then(|| Nar::root_file(executable, len));
    let size = input::stream_open(path, &file, len, |chunk| {
        sha.update(chunk);
        if let Some(a) = archive.as_mut() {
            a.piece(Piece::Data(chunk));
        }
    })?;
    let node = Node::File {
        sha256: sha.finish_hex(),
        size,
        executable,
    };
    Ok((node, archive.map(Nar::finish)))
}

/// One entry found by the walk, before any file is read.
struct Walked {
    name: Name,
    path: PathBuf,
    /// Components above it (0 for the root's children).
    depth: usize,
    kind: WalkedKind,
}

enum WalkedKind {
    Directory,
    Symlink(Name),
    File { executable: bool, size: u64 },
}

/// Files up to this size are read whole by the workers; larger ones are streamed in chunks.
const WHOLE: u64 = 4 << 20;
/// Bytes of small files read per batch while the NAR hash runs on the previous batch (at most
/// three batches are in memory at once).
const BATCH: u64 = 8 << 20;

/// The walk of a tree, entry by entry in NAR order (bytewise by name), without following links;
/// sockets and devices are set aside in `specials`, or refused when the walk is for a NAR.
struct Walk<'a> {
    root: &'a Path,
    inner: walkdir::IntoIter,
    nar: bool,
    specials: Vec<(PathBuf, &'static str)>,
}

impl<'a> Walk<'a> {
    fn new(root: &'a Path, nar: bool) -> Self {
        let inner = walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name() // bytewise on Unix: NAR order
            .min_depth(1)
            .into_iter();
        Walk {
            root,
            inner,
            nar,
            specials: Vec::new(),
        }
    }

    fn entry(&mut self, entry: walkdir::DirEntry) -> Result<Option<Walked>, Error> {
        let path = entry.path().to_path_buf();
        let ft = entry.file_type();
        let kind = match Kind::of(&ft) {
            Some(Kind::Directory) => WalkedKind::Directory,
            Some(Kind::Symlink) => {
                let target = fs::read_link(&path).map_err(|e| Error::read(&path, e))?;
                WalkedKind::Symlink(Name::new(target.as_os_str().as_bytes()))
            }
            Some(Kind::File) => {
                let meta = entry.metadata().map_err(|e| Error::read(&path, e.into()))?;
                WalkedKind::File {
                    executable: is_executable(&meta),
                    size: meta.len(),
                }
            }
            None => {
                let what = input::special_kind(&ft);
                if self.nar {
                    return Err(Error::input(
                        &path,
                        format!(
                            "is {what}, which a Nix archive cannot hold; remove it or hash a tree without it"
                        ),
                    ));
                }
                self.specials.push((path, what));
                return Ok(None);
            }
        };
        let rel = path.strip_prefix(self.root).unwrap_or(&path);
        Ok(Some(Walked {
            name: Name::from_path(rel),
            depth: entry.depth() - 1,
            path,
            kind,
        }))
    }
}

impl Iterator for Walk<'_> {
    type Item = Result<Walked, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let entry = match self.inner.next()? {
                Ok(entry) => entry,
                Err(e) => {
                    let path = e.path().unwrap_or(self.root).to_path_buf();
                    let source = e
                        .into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("walk failed"));
                    return Some(Err(Error::read(&path, source)));
                }
            };
            match self.entry(entry) {
                Ok(Some(w)) => return Some(Ok(w)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// The files among `walked` and their bytes.
fn file_sizes(walked: &[Walked]) -> (u64, u64) {
    (walked.iter())
        .filter_map(|w| match w.kind {
            WalkedKind::File { size, .. } => Some(size),
            _ => None,
        })
        .fold((0, 0), |(n, b), size| (n + 1, b + size))
}

fn tree(root: &Path, nar: bool, counter: &Counter) -> Result<Snapshot, Error> {
    let mut walk = Walk::new(root, nar);
    let (walked, digests, nar_hash) = if nar {
        // Read while walking: the walk's batches alternate with reading them, and the NAR hash
        // runs on its own thread throughout.
        let ((walked, digests), nar_hash) = read_with_nar(&mut walk, counter)?;
        (walked, digests, Some(nar_hash))
    } else {
        let walked = (&mut walk).collect::<Result<Vec<_>, Error>>()?;
        let (files, bytes) = file_sizes(&walked);
        counter.found(files, bytes);
        let digests = walked
            .par_iter()
            .map(|w| match w.kind {
                WalkedKind::File { size, .. } => {
                    let read = read_file(&w.path, size, false)?;
                    counter.done(size);
                    Ok(Some(read))
                }
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, Error>>()?;
        (walked, digests, None)
    };
    let specials = walk.specials;
    let entries = walked
        .into_iter()
        .zip(digests)
        .map(|(w, read)| {
            let node = match (w.kind, read) {
                (WalkedKind::Directory, _) => Node::Directory,
                (WalkedKind::Symlink(target), _) => Node::Symlink { target },
                (WalkedKind::File { executable, size }, read) => Node::File {
                    sha256: read.map(|r| r.sha256).unwrap_or_default(),
                    size,
                    executable,
                },
            };
            (w.name, node)
        })
        .collect();
    Ok(Snapshot {
        single_file: false,
        entries,
        nar_hash,
        specials,
    })
}

/// A file read: its SHA-256 and, when kept, its bytes.
struct Read {
    sha256: String,
    bytes: Vec<u8>,
}

/// Read the file at `path` (which the walk found `size` bytes long) once: its SHA-256, and the
/// bytes themselves when `keep`. A file whose size changed meanwhile is an error.
fn read_file(path: &Path, size: u64, keep: bool) -> Result<Read, Error> {
    let file = File::open(path).map_err(|e| Error::read(path, e))?;
    let mut sha = Hasher::new();
    if keep {
        let bytes = input::read_whole(path, &file, size)?;
        sha.update(&bytes);
        return Ok(Read {
            sha256: sha.finish_hex(),
            bytes,
        });
    }
    input::stream_open(path, &file, size, |chunk| sha.update(chunk))?;
    Ok(Read {
        sha256: sha.finish_hex(),
        bytes: Vec::new(),
    })
}

/// The entries walked and, for each file, its read.
type Reads = (Vec<Walked>, Vec<Option<Read>>);

/// Read every file once, in walk (= NAR) order, walking as it goes: workers hash a batch of
/// files while a second thread feeds the previous batch into the NAR hash; a large file is
/// streamed, each chunk going to its own SHA-256 here and to the NAR hash there.
fn read_with_nar(walk: &mut Walk<'_>, counter: &Counter) -> Result<(Reads, String), Error> {
    let (tx, rx) = mpsc::sync_channel::<Vec<OwnedPiece>>(1);
    let archiver = std::thread::spawn(move || {
        let mut nar = Nar::root_directory();
        for batch in rx {
            for piece in &batch {
                nar.piece(piece.borrow());
            }
        }
        nar.finish()
    });
    let result = feed(walk, &tx, counter);
    drop(tx);
    let nar_hash = archiver
        .join()
        .map_err(|_| Error::Environment("the NAR hash thread failed".into()))?;
    result.map(|reads| (reads, nar_hash))
}

fn feed(
    walk: &mut Walk<'_>,
    tx: &mpsc::SyncSender<Vec<OwnedPiece>>,
    counter: &Counter,
) -> Result<Reads, Error> {
    let send = |batch: Vec<OwnedPiece>| {
        tx.send(batch)
            .map_err(|_| Error::Environment("the NAR hash thread stopped".into()))
    };
    let mut walked: Vec<Walked> = Vec::new();
    let mut out: Vec<Option<Read>> = Vec::new();
    loop {
        // The next batch: small files up to BATCH bytes, ended early by a large file.
        let start = walked.len();
        let mut bytes = 0;
        let mut large = None;
        let mut ended = false;
        while bytes < BATCH {
            let Some(w) = walk.next().transpose()? else {
                ended = true;
                break;
            };
            match w.kind {
                WalkedKind::File { size, .. } if size > WHOLE => {
                    large = Some(w);
                    break;
                }
                WalkedKind::File { size, .. } => bytes += size,
                _ => {}
            }
            walked.push(w);
        }
        let (files, found) = file_sizes(&walked[start..]);
        counter.found(files, found);
        let reads = walked[start..]
            .par_iter()
            .map(|w| match w.kind {
                WalkedKind::File { size, .. } => {
                    let read = read_file(&w.path, size, true)?;
                    counter.done(size);
                    Ok(Some(read))
                }
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut batch = Vec::with_capacity(2 * reads.len());
        for (w, read) in walked[start..].iter().zip(reads) {
            batch.push(match &w.kind {
                WalkedKind::Directory => OwnedPiece::Directory {
                    depth: w.depth,
                    name: last(&w.name),
                },
                WalkedKind::Symlink(target) => OwnedPiece::Symlink {
                    depth: w.depth,
                    name: last(&w.name),
                    target: target.as_bytes().to_vec(),
                },
                WalkedKind::File { executable, size } => header(w, *executable, *size),
            });
            out.push(read.map(|mut r| {
                if !r.bytes.is_empty() {
                    batch.push(OwnedPiece::Data(std::mem::take(&mut r.bytes)));
                }
                r
            }));
        }
        if !batch.is_empty() {
            send(batch)?;
        }
        if let Some(w) = large
            && let WalkedKind::File { executable, size } = w.kind
        {
            counter.found(1, size);
            send(vec![header(&w, executable, size)])?;
            let file = File::open(&w.path).map_err(|e| Error::read(&w.path, e))?;
            let mut sha = Hasher::new();
            let mut failed = None;
            input::stream_open(&w.path, &file, size, |chunk| {
                sha.update(chunk);
                if failed.is_none() {
                    failed = tx.send(vec![OwnedPiece::Data(chunk.to_vec())]).err();
                }
            })?;
            if failed.is_some() {
                return Err(Error::Environment("the NAR hash thread stopped".into()));
            }
            counter.done(size);
            out.push(Some(Read {
                sha256: sha.finish_hex(),
                bytes: Vec::new(),
            }));
            walked.push(w);
        }
        if ended {
            return Ok((walked, out));
        }
    }
}

fn header(w: &Walked, executable: bool, size: u64) -> OwnedPiece {
    OwnedPiece::File {
        depth: w.depth,
        name: last(&w.name),
        executable,
        size,
    }
}

/// The last component of a name.
fn last(name: &Name) -> Vec<u8> {
    let b = name.as_bytes();
    b.rsplit(|&c| c == b'/').next().unwrap_or(b).to_vec()
}

/// A [`Piece`] that owns its bytes, to cross to the NAR thread.
enum OwnedPiece {
    Directory {
        depth: usize,
        name: Vec<u8>,
    },
    Symlink {
        depth: usize,
        name: Vec<u8>,
        target: Vec<u8>,
    },
    File {
        depth: usize,
        name: Vec<u8>,
        executable: bool,
        size: u64,
    },
    Data(Vec<u8>),
}

impl OwnedPiece {
    fn borrow(&self) -> Piece<'_> {
        match self {
            OwnedPiece::Directory { depth, name } => Piece::Directory {
                depth: *depth,
                name,
            },
            OwnedPiece::Symlink {
                depth,
                name,
                target,
            } => Piece::Symlink {
                depth: *depth,
                name,
                target,
            },
            OwnedPiece::File {
                depth,
                name,
                executable,
                size,
            } => Piece::File {
                depth: *depth,
                name,
                executable: *executable,
                size: *size,
            },
            OwnedPiece::Data(b) => Piece::Data(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_in_nar_order_and_stay_distinct() {
        let mut names = [
            Name::from("a-b"),
            Name::from("a/c"),
            Name::from("a"),
            Name::new(b"x\xff".to_vec()),
            Name::new(b"x\xfe".to_vec()),
        ];
        names.sort();
        let shown: Vec<String> = names.iter().map(|n| n.display().into_owned()).collect();
        assert_eq!(shown, ["a", "a/c", "a-b", "x\\xFE", "x\\xFF"]);
        let n = Name::new(b"x\xfe".to_vec());
        let back = Name::from_json(&n.json_text(), n.base64().as_deref()).unwrap();
        assert_eq!(back, n);
        assert_eq!(Name::from("ok").base64(), None);
    }

    #[test]
    fn one_change_kind_and_one_grouping() {
        let f = |s: &str, x: bool| Node::File {
            sha256: s.into(),
            size: 1,
            executable: x,
        };
        assert_eq!(
            changes(Some(&f("1", false)), Some(&f("2", true))),
            [Change::Executable, Change::Content]
        );
        assert_eq!(changes(Some(&f("1", true)), Some(&f("1", true))), []);
        assert_eq!(changes(Some(&Node::Directory), None), [Change::Missing]);
        assert_eq!(changes(None, Some(&Node::Directory)), [Change::Extra]);
        assert_eq!(
            changes(Some(&Node::Directory), Some(&f("1", true))),
            [Change::Type]
        );
        assert_eq!(group(&["b", "a", "a", "c"]), [vec![1, 2], vec![0], vec![3]]);
    }

    use std::os::unix::fs::{PermissionsExt, symlink};

    fn chmod(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn listing(s: &Snapshot) -> Vec<String> {
        s.entries
            .iter()
            .map(|(n, node)| format!("{} {}", node.kind_name(), n.display()))
            .collect()
    }

    #[test]
    fn a_tree_is_listed_exactly_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir_all(outside.join("deep")).unwrap();
        fs::write(outside.join("deep/secret"), "x").unwrap();
        let t = dir.path().join("t");
        fs::create_dir_all(t.join("d")).unwrap();
        fs::write(t.join("d/owner-x"), "1").unwrap();
        chmod(&t.join("d/owner-x"), 0o744);
        fs::write(t.join("d/others-x"), "22").unwrap();
        chmod(&t.join("d/others-x"), 0o611);
        fs::write(t.join(std::ffi::OsStr::from_bytes(b"n\xff")), "").unwrap();
        symlink(&outside, t.join("out-link")).unwrap();
        let s = take(&t, false).unwrap();
        assert_eq!(
            listing(&s),
            [
                "directory d",
                "file d/others-x",
                "file d/owner-x",
                "file n\\xFF",
                "symlink out-link"
            ]
        );
        assert!(!s.single_file);
        assert_eq!(s.nar_hash, None);
        assert_eq!(s.files(), 3);
        let node = |n: &[u8]| s.entries[&Name::new(n.to_vec())].clone();
        assert_eq!(
            node(b"d/owner-x"),
            Node::File {
                sha256: "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b".into(),
                size: 1,
                executable: true
            }
        );
        // Group and other execute bits do not make a file executable.
        assert!(matches!(
            node(b"d/others-x"),
            Node::File {
                size: 2,
                executable: false,
                ..
            }
        ));
        assert_eq!(
            node(b"out-link"),
            Node::Symlink {
                target: Name::new(outside.as_os_str().as_bytes())
            }
        );
        assert!(node(b"n\xff").sha256().unwrap().starts_with("e3b0c442"));
    }

    #[test]
    fn an_empty_tree_has_no_entries_and_the_digest_of_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = take(dir.path(), true).unwrap();
        assert!(s.entries.is_empty());
        assert_eq!(s.files(), 0);
        assert_eq!(
            s.digest(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // `nix hash path` of an empty directory.
        assert_eq!(
            s.nar_hash.as_deref(),
            Some("sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo=")
        );
    }

    #[test]
    fn the_digest_sees_names_types_contents_targets_and_the_executable_bit_only() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t");
        fs::create_dir(&t).unwrap();
        fs::write(t.join("f"), "f").unwrap();
        chmod(&t.join("f"), 0o644);
        symlink("f", t.join("l")).unwrap();
        let base = take(&t, false).unwrap().digest();
        // The same tree elsewhere, with other group/other bits and times: the same digest.
        let u = dir.path().join("u");
        fs::create_dir(&u).unwrap();
        fs::write(u.join("f"), "f").unwrap();
        chmod(&u.join("f"), 0o600);
        symlink("f", u.join("l")).unwrap();
        assert_eq!(take(&u, false).unwrap().digest(), base);
        let mut seen = vec![base.clone()];
        let mut changed = |what: &str| {
            let d = take(&t, false).unwrap().digest();
            assert!(!seen.contains(&d), "{what} left the digest as it was");
            seen.push(d);
        };
        chmod(&t.join("f"), 0o744);
        changed("the executable bit");
        fs::write(t.join("f"), "g").unwrap();
        changed("the contents");
        fs::remove_file(t.join("l")).unwrap();
        symlink("g", t.join("l")).unwrap();
        changed("the link target");
        fs::remove_file(t.join("l")).unwrap();
        fs::create_dir(t.join("l")).unwrap();
        changed("a link becoming a directory");
        fs::rename(t.join("f"), t.join("f2")).unwrap();
        changed("a name");
    }

    #[test]
    fn a_name_that_is_not_utf8_never_equals_its_printed_form() {
        let dir = tempfile::tempdir().unwrap();
        let (raw, printed) = (dir.path().join("raw"), dir.path().join("printed"));
        fs::create_dir(&raw).unwrap();
        fs::create_dir(&printed).unwrap();
        fs::write(raw.join(std::ffi::OsStr::from_bytes(b"x\xfe")), "same").unwrap();
        fs::write(printed.join("x\\xFE"), "same").unwrap();
        let (a, b) = (take(&raw, false).unwrap(), take(&printed, false).unwrap());
        let (na, nb) = (
            a.entries.keys().next().unwrap(),
            b.entries.keys().next().unwrap(),
        );
        assert_eq!(na.json_text(), nb.json_text());
        assert_ne!(na, nb);
        assert_eq!(na.base64().as_deref(), Some("eP4="));
        assert_eq!(nb.base64(), None);
        assert_ne!(a.digest(), b.digest());
    }

    #[test]
    fn a_single_file_is_one_entry_named_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("prog");
        fs::write(&f, "abc").unwrap();
        let link = dir.path().join("result");
        symlink("prog", &link).unwrap();
        for path in [&f, &link] {
            let s = take(path, false).unwrap();
            assert!(s.single_file);
            let (name, node) = s.entries.iter().next().unwrap();
            assert_eq!(
                name,
                &Name::from(path.file_name().unwrap().to_str().unwrap())
            );
            let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
            assert_eq!(node.sha256(), Some(sha));
            assert_eq!(s.digest(), sha);
        }
    }

    #[test]
    fn large_files_stream_into_the_same_nar_hash() {
        // A file larger than WHOLE between small ones: streamed while the others are batched.
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t");
        fs::create_dir_all(t.join("a")).unwrap();
        fs::write(t.join("a/small"), "s").unwrap();
        let big: Vec<u8> = (0..WHOLE + 3).map(|i| (i % 251) as u8).collect();
        fs::write(t.join("a/big"), &big).unwrap();
        chmod(&t.join("a/big"), 0o755);
        fs::write(t.join("b"), "after").unwrap();
        let s = take(&t, true).unwrap();
        // `nix hash path` and `sha256sum` of the same tree, written by the same steps.
        assert_eq!(
            s.nar_hash.as_deref(),
            Some("sha256-P3G7IQD1jS1/IhJnTbABSHk3pkVkdg0AWAXs97JwbT8=")
        );
        assert_eq!(
            s.entries[&Name::from("a/big")].sha256(),
            Some("895f5c8bffde3e96961ff7f1ba6f5fe37eb2efb049cbf5f86a4305c0a1689c3d")
        );
        assert_eq!(
            listing(&s),
            ["directory a", "file a/big", "file a/small", "file b"]
        );
    }

    #[test]
    fn sockets_are_set_aside_or_refused_for_a_nar() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t");
        fs::create_dir(&t).unwrap();
        fs::write(t.join("f"), "f").unwrap();
        let _l = std::os::unix::net::UnixListener::bind(t.join("sock")).unwrap();
        let s = take(&t, false).unwrap();
        assert_eq!(listing(&s), ["file f"]);
        assert_eq!(s.specials, [(t.join("sock"), "a socket")]);
        let e = take(&t, true).unwrap_err().to_string();
        assert!(e.contains("which a Nix archive cannot hold"), "{e}");
        let e = take(&t.join("sock"), false).unwrap_err();
        assert!(
            matches!(
                e,
                Error::NotRegular {
                    what: "a socket",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn names_join_split_and_map_to_paths() {
        let n = Name::from_path(Path::new("a/b/c"));
        assert_eq!(n, Name::from("a/b/c"));
        assert_eq!(last(&n), b"c");
        assert_eq!(last(&Name::from("top")), b"top");
        assert_eq!(Name::from("a").join(&Name::from("b")), Name::from("a/b"));
        assert_eq!(n.under(Path::new("/r")), Path::new("/r/a/b/c"));
        // Printed and debugged without the raw escape byte.
        let esc = Name::new(b"\x1b[1m".to_vec());
        assert!(!esc.display().contains('\x1b') && !format!("{esc:?}").contains('\x1b'));
        assert!(Name::from_json("x", Some("***")).is_err());
        assert_eq!(
            Name::from_json("printed", None).unwrap(),
            Name::from("printed")
        );
    }

    #[test]
    fn changes_of_links_and_kinds() {
        let link = |t: &str| Node::Symlink {
            target: Name::from(t),
        };
        assert_eq!(
            changes(Some(&link("a")), Some(&link("b"))),
            [Change::Target]
        );
        assert_eq!(changes(Some(&link("a")), Some(&link("a"))), []);
        assert_eq!(
            changes(Some(&link("a")), Some(&Node::Directory)),
            [Change::Type]
        );
        assert_eq!(changes(None, None), []);
        assert_eq!(group::<u8>(&[]), Vec::<Vec<usize>>::new());
        assert_eq!(group(&[2, 1]), [vec![0], vec![1]]);
        assert_eq!(group(&[1, 2, 2, 1, 3]), [vec![0, 3], vec![1, 2], vec![4]]);
    }
}
