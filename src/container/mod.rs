//! Looking inside containers: compressed streams (gzip, xz, zstd, bzip2), tar, zip (jar, wheel),
//! ar (`.a`, `.deb`), Python `.pyc` headers, Nix NAR and OCI / docker image archives, nested to
//! any depth. A container is flattened into a list of [`Member`]s, each with its full name
//! (`app.deb!data.tar.xz!./usr/bin/app`), the metadata its format records (times, owners, modes,
//! compression…), its position among its siblings and its SHA-256.
//!
//! Everything is streamed: a member is hashed as it is read and its bytes are kept only when the
//! caller asks for them and they fit the budget ([`Limits`]). Decompression is bounded by an
//! expansion ratio and a total, depth and member count are bounded, so a bomb is an error that
//! names the member, never memory exhaustion.

mod formats;
mod oci;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::rc::Rc;

use crate::Error;
use crate::digest::Hasher;
use crate::input::Content;

/// Bounds on what unpacking may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Containers nested deeper than this are compared by digest only.
    pub depth: usize,
    /// Members in one file, all levels together.
    pub members: usize,
    /// Decompressed bytes, all streams together.
    pub total: u64,
    /// A compressed stream may expand to this many times its compressed size (after `slack`).
    pub ratio: u64,
    /// Bytes any stream may expand to before the ratio applies.
    pub slack: u64,
    /// Largest member whose bytes are kept for analysis.
    pub hold: u64,
    /// Bytes kept for analysis, all members together.
    pub held: u64,
    /// Largest nested zip read into memory to be opened (zip needs random access).
    pub zip_in_memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            depth: 12,
            members: 100_000,
            total: 32 << 30,
            ratio: 1000,
            slack: 16 << 20,
            hold: 8 << 20,
            held: 24 << 20,
            zip_in_memory: 16 << 20,
        }
    }
}

/// What a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// gzip stream.
    Gzip,
    /// xz stream.
    Xz,
    /// zstd stream.
    Zstd,
    /// bzip2 stream.
    Bzip2,
    /// tar archive.
    Tar,
    /// zip archive (jar, wheel, apk…).
    Zip,
    /// Unix ar archive (`.a`, `.deb`).
    Ar,
    /// Python bytecode.
    Pyc,
    /// Nix archive.
    Nar,
    /// An OCI image layout directory, entered through its `index.json`.
    Layout,
}

impl Format {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Gzip => "gzip",
            Format::Xz => "xz",
            Format::Zstd => "zstd",
            Format::Bzip2 => "bzip2",
            Format::Tar => "tar",
            Format::Zip => "zip",
            Format::Ar => "ar",
            Format::Pyc => "pyc",
            Format::Nar => "nar",
            Format::Layout => "oci-layout",
        }
    }

    fn compressed(self) -> bool {
        matches!(
            self,
            Format::Gzip | Format::Xz | Format::Zstd | Format::Bzip2
        )
    }
}

/// The container format `head` (a member's first bytes) starts with; `name` tells `.pyc`.
pub fn detect(head: &[u8], name: &str) -> Option<Format> {
    let at = |i: usize, m: &[u8]| head.get(i..i + m.len()) == Some(m);
    if at(0, b"\x1f\x8b") {
        Some(Format::Gzip)
    } else if at(0, b"\xfd7zXZ\0") {
        Some(Format::Xz)
    } else if at(0, b"\x28\xb5\x2f\xfd") {
        Some(Format::Zstd)
    } else if at(0, b"BZh") && at(4, b"\x31\x41\x59\x26\x53\x59") {
        Some(Format::Bzip2)
    } else if at(0, b"!<arch>\n") {
        Some(Format::Ar)
    } else if at(0, b"PK\x03\x04") || at(0, b"PK\x05\x06") {
        Some(Format::Zip)
    } else if at(257, b"ustar") {
        Some(Format::Tar)
    } else if at(0, b"\x0d\0\0\0\0\0\0\0nix-archive-1") {
        Some(Format::Nar)
    } else if name.ends_with(".pyc") && at(2, b"\r\n") && head.len() >= 16 {
        Some(Format::Pyc)
    } else {
        None
    }
}

/// One member of a container (or a container layer itself).
#[derive(Debug, Clone)]
pub struct Member {
    /// Full name, levels joined by `!`.
    pub name: String,
    /// The name of the container it is in (empty for the file itself).
    pub parent: String,
    /// Its position among its siblings.
    pub index: usize,
    /// What it is: `file`, `dir`, `symlink`…, or a container format (`gzip+tar`).
    pub kind: String,
    /// The metadata its container records: field name → value.
    pub fields: BTreeMap<String, String>,
    /// Bytes (as stored: compressed for a compressed stream).
    pub size: u64,
    /// SHA-256 of those bytes.
    pub sha256: String,
    /// SHA-256 of the decompressed stream, for a compressed layer.
    pub content: Option<String>,
    /// The bytes, when asked for and within budget.
    pub data: Option<Vec<u8>>,
    /// Whether it is a container whose members are listed too.
    pub container: bool,
}

/// A container, flattened.
#[derive(Debug, Default)]
pub struct Listing {
    /// The file itself first, then every member depth-first, in archive order.
    pub members: Vec<Member>,
    /// Limits that stopped the analysis short (each a sentence).
    pub notes: Vec<String>,
    /// The image layers' member names with the `diff_id` their config gives, in order.
    pub layers: Vec<(String, Option<String>)>,
    /// Whether the depth limit left a container member unlisted.
    pub cut: bool,
}

impl Listing {
    /// The member called `name`.
    pub fn get(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// Which members' bytes to keep: called with a member's name and SHA-256.
pub type Hold<'a> = &'a dyn Fn(&str, &str) -> bool;

/// Which of the top-level container's members to unpack when they are containers themselves:
/// called with the member's name. A member not unpacked is compared by its digest.
pub type Descend<'a> = &'a dyn Fn(&str) -> bool;

/// Unpack every member.
pub fn every(_: &str) -> bool {
    true
}

/// The container format of `content` (shown as `name`), from its first bytes; an `index.json`
/// beside an `oci-layout` file stands for its image layout directory.
pub fn detect_content(content: &Content, name: &str) -> Option<Format> {
    if layout_dir(content).is_some() {
        return Some(Format::Layout);
    }
    let mut head = Vec::new();
    content
        .reader()
        .ok()?
        .take(1024)
        .read_to_end(&mut head)
        .ok()?;
    detect(&head, name)
}

/// The OCI image layout directory whose `index.json` is `content` (a file on disk).
fn layout_dir(content: &Content) -> Option<&Path> {
    let Content::File(path) = content else {
        return None;
    };
    let dir = path.parent()?;
    (path.file_name()? == "index.json" && dir.join("oci-layout").is_file()).then_some(dir)
}

/// Flatten `content` (shown as `name`) when it is a container; `None` when it is not. An
/// `index.json` in an OCI image layout directory stands for the image.
pub fn list(
    content: &Content,
    name: &str,
    limits: Limits,
    hold: Hold<'_>,
    descend: Descend<'_>,
) -> Result<Option<Listing>, Error> {
    let path = content.path();
    if let Some(dir) = layout_dir(content) {
        return list_layout(dir, path, name, limits, hold, descend);
    }
    let mut head = Vec::new();
    content
        .reader()?
        .take(1024)
        .read_to_end(&mut head)
        .map_err(|e| Error::read(path, e))?;
    let Some(format) = detect(&head, name) else {
        return Ok(None);
    };
    let mut w = Walker {
        path,
        limits,
        hold,
        descend,
        out: Listing::default(),
        expanded: Rc::new(Cell::new(0)),
        held: 0,
        aliases: BTreeMap::new(),
        buf: Vec::new(),
    };
    let result = match format {
        // Random access: open the file itself (seekable) rather than streaming it.
        Format::Zip => {
            let mut sha = crate::digest::Hasher::new();
            let len =
                io::copy(&mut content.reader()?, &mut sha).map_err(|e| Error::read(path, e))?;
            let mut top = member(name, "", 0, "zip", len, sha.finish_hex());
            top.container = true;
            w.push(top);
            formats::zip(&mut w, content.reader()?, name, 0, 1)
        }
        Format::Tar => {
            let image = oci::aliases(content.reader()?);
            w.aliases = image.aliases;
            w.out.layers = (image.layers.into_iter())
                .map(|(l, d)| (format!("{name}!{l}"), d))
                .collect();
            w.stream(&mut content.reader()?, name, "", 0, 0, BTreeMap::new())
        }
        _ => w.stream(&mut content.reader()?, name, "", 0, 0, BTreeMap::new()),
    };
    result?;
    Ok(Some(w.out))
}

/// Flatten the image in the OCI layout directory `dir`: its blobs by role (`manifest`, `config`,
/// `layer 1`…) under the member `name` (its `index.json`, at `index`).
fn list_layout(
    dir: &Path,
    index: &Path,
    name: &str,
    limits: Limits,
    hold: Hold<'_>,
    descend: Descend<'_>,
) -> Result<Option<Listing>, Error> {
    let image = oci::layout(dir);
    let mut w = Walker {
        path: dir,
        limits,
        hold,
        descend,
        out: Listing::default(),
        expanded: Rc::new(Cell::new(0)),
        held: 0,
        aliases: BTreeMap::new(),
        buf: Vec::new(),
    };
    let (sha, len) = crate::digest::sha256_file(index)?;
    let mut top = member(name, "", 0, Format::Layout.name(), len, sha);
    top.container = true;
    w.push(top);
    // Layers in order after the other blobs; names (not digests) decide the order.
    let mut blobs: Vec<(&String, &String)> = (image.aliases.iter())
        .filter(|(_, role)| !image.layers.iter().any(|(l, _)| l == *role))
        .collect();
    blobs.sort_by_key(|(_, role)| *role);
    for (layer, _) in &image.layers {
        blobs.extend(image.aliases.iter().filter(|(_, role)| *role == layer));
    }
    w.out.layers = (image.layers.iter())
        .map(|(l, d)| (format!("{name}!{l}"), d.clone()))
        .collect();
    for (i, (path, role)) in blobs.into_iter().enumerate() {
        let file = dir.join(path);
        let member = format!("{name}!{role}");
        // A blob is a regular file inside the layout: never a link to a device or elsewhere.
        let regular = std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file());
        if !regular {
            w.out.notes.push(format!(
                "{member} ({path}) is missing or not a regular file: the layout is incomplete"
            ));
            continue;
        }
        let mut reader = file_reader(&file)?;
        w.stream(&mut reader, &member, name, i + 1, 1, BTreeMap::new())?;
    }
    Ok(Some(w.out))
}

fn file_reader(path: &Path) -> Result<io::BufReader<File>, Error> {
    let file = File::open(path).map_err(|e| Error::read(path, e))?;
    Ok(io::BufReader::with_capacity(1 << 16, file))
}

fn member(name: &str, parent: &str, index: usize, kind: &str, size: u64, sha256: String) -> Member {
    Member {
        name: name.to_string(),
        parent: parent.to_string(),
        index,
        kind: kind.to_string(),
        fields: BTreeMap::new(),
        size,
        sha256,
        content: None,
        data: None,
        container: false,
    }
}

/// The state of one flattening.
struct Walker<'a> {
    /// The file, for messages.
    path: &'a Path,
    limits: Limits,
    hold: Hold<'a>,
    descend: Descend<'a>,
    out: Listing,
    /// Decompressed bytes so far, all streams.
    expanded: Rc<Cell<u64>>,
    /// Bytes kept so far.
    held: u64,
    /// Member paths of an image archive renamed for pairing (`blobs/sha256/…` → `layer 1`).
    aliases: BTreeMap<String, String>,
    /// The read buffer, reused for every member.
    buf: Vec<u8>,
}

/// A member of a container failed: name it.
fn member_error(path: &Path, name: &str, e: impl std::fmt::Display) -> Error {
    Error::input(
        path,
        format!(
            "cannot be unpacked at {}: {}; the archive is damaged, truncated or built to exhaust memory",
            crate::escape::text(name),
            crate::escape::text(&e.to_string())
        ),
    )
}

impl Walker<'_> {
    fn push(&mut self, m: Member) -> usize {
        self.out.members.push(m);
        self.out.members.len() - 1
    }

    fn count(&self, name: &str) -> Result<(), Error> {
        if self.out.members.len() >= self.limits.members {
            return Err(member_error(
                self.path,
                name,
                format!("more than {} members", self.limits.members),
            ));
        }
        Ok(())
    }

    fn err(&self, name: &str, e: impl std::fmt::Display) -> Error {
        member_error(self.path, name, e)
    }

    /// Read one member from `r` to its end: hash it, keep it when asked, and when it is a
    /// container list its members too.
    fn stream(
        &mut self,
        r: &mut dyn Read,
        name: &str,
        parent: &str,
        index: usize,
        depth: usize,
        fields: BTreeMap<String, String>,
    ) -> Result<(), Error> {
        self.count(name)?;
        let mut raw = Tee::new(r);
        let mut head = Vec::with_capacity(1024);
        (&mut raw)
            .take(1024)
            .read_to_end(&mut head)
            .map_err(|e| self.err(name, e))?;
        let detected = detect(&head, name);
        let mut digest_only = None;
        let format = match detected {
            Some(_) if depth >= self.limits.depth => {
                self.out.cut = true;
                self.out.notes.push(format!(
                    "{name} is nested more than {} levels deep: compared by digest only",
                    self.limits.depth
                ));
                None
            }
            Some(f) if depth == 1 && !(self.descend)(name) => {
                digest_only = Some(f);
                None
            }
            f => f,
        };
        let kind = digest_only.map_or("file", Format::name);
        let mut m = member(name, parent, index, kind, 0, String::new());
        m.fields = fields;
        let slot = self.push(m);
        let mut kept = Some(Vec::new());
        {
            let mut src = io::Cursor::new(head).chain(&mut raw);
            match format {
                None => {
                    // One read buffer for the whole walk: zeroing 64 KiB per member cost more
                    // than reading a small member.
                    let mut buf = std::mem::take(&mut self.buf);
                    buf.resize(1 << 16, 0);
                    loop {
                        let n = match src.read(&mut buf) {
                            Ok(n) => n,
                            Err(e) => return Err(self.err(name, e)),
                        };
                        if n == 0 {
                            break;
                        }
                        if let Some(k) = &mut kept {
                            if (k.len() + n) as u64 <= self.limits.hold {
                                k.extend_from_slice(&buf[..n]);
                            } else {
                                kept = None;
                            }
                        }
                    }
                    self.buf = buf;
                }
                Some(f) => {
                    kept = None;
                    if f == Format::Gzip {
                        let fields = formats::gzip_header(src.get_ref().0.get_ref());
                        self.out.members[slot].fields.extend(fields);
                    }
                    self.out.members[slot].container = true;
                    self.out.members[slot].kind = f.name().to_string();
                    self.open(f, &mut src, slot, depth + 1)?;
                    io::copy(&mut src, &mut io::sink()).map_err(|e| self.err(name, e))?;
                }
            }
        }
        let (sha, size) = raw.finish();
        let m = &mut self.out.members[slot];
        m.size = size;
        m.sha256 = sha;
        if let Some(k) = kept
            && k.len() as u64 == size
            && self.held + size <= self.limits.held
            && (self.hold)(&m.name, &m.sha256)
        {
            self.held += size;
            m.data = Some(k);
        }
        Ok(())
    }

    /// List the members of the container `src` (member `slot`) in format `f`.
    fn open(
        &mut self,
        f: Format,
        src: &mut dyn Read,
        slot: usize,
        depth: usize,
    ) -> Result<(), Error> {
        let name = self.out.members[slot].name.clone();
        if f.compressed() {
            return formats::decompress(self, f, src, slot, depth);
        }
        match f {
            Format::Tar => formats::tar(self, src, &name, depth),
            Format::Ar => formats::ar(self, src, &name, depth),
            Format::Pyc => formats::pyc(self, src, slot, depth),
            Format::Nar => formats::nar(self, src, &name, depth),
            Format::Zip => {
                let mut bytes = Vec::new();
                let limit = self.limits.zip_in_memory;
                src.take(limit + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| self.err(&name, e))?;
                if bytes.len() as u64 > limit {
                    self.out.notes.push(format!(
                        "{name} is a zip larger than {} MiB inside another container: compared by digest only",
                        limit >> 20
                    ));
                    return Ok(());
                }
                formats::zip(self, io::Cursor::new(bytes), &name, slot, depth)
            }
            _ => Ok(()),
        }
    }
}

/// A reader that hashes and counts what passes through it.
struct Tee<'r> {
    inner: &'r mut dyn Read,
    hasher: Hasher,
    count: u64,
}

impl<'r> Tee<'r> {
    fn new(inner: &'r mut dyn Read) -> Self {
        Tee {
            inner,
            hasher: Hasher::new(),
            count: 0,
        }
    }

    fn finish(self) -> (String, u64) {
        (self.hasher.finish_hex(), self.count)
    }
}

impl Read for Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// A reader that counts the bytes read through it into a shared cell.
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// A decompressed stream, stopped with an error when it expands past the limits.
struct Bounded<R> {
    inner: R,
    /// Compressed bytes consumed so far.
    input: Rc<Cell<u64>>,
    /// Decompressed bytes of this stream.
    output: u64,
    /// Decompressed bytes of every stream.
    total: Rc<Cell<u64>>,
    limits: Limits,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.output += n as u64;
        self.total.set(self.total.get() + n as u64);
        let allowed = self
            .limits
            .slack
            .saturating_add(self.input.get().saturating_mul(self.limits.ratio));
        if self.output > allowed {
            return Err(io::Error::other(format!(
                "it expands more than {}× ({} bytes from {} compressed)",
                self.limits.ratio,
                self.output,
                self.input.get()
            )));
        }
        if self.total.get() > self.limits.total {
            return Err(io::Error::other(format!(
                "more than {} GiB decompressed in all",
                self.limits.total >> 30
            )));
        }
        Ok(n)
    }
}
