//! A single streaming pass over a file's bytes that finds what the ELF structures do not say:
//! embedded `/nix/store` paths, leaked build paths, and libc/toolchain markers.
//!
//! The scanner is fed the file in chunks (the same chunks that are hashed), so memory stays bounded;
//! a small carry-over window keeps matches that straddle two chunks whole.

use aho_corasick::{AhoCorasick, Input, MatchKind};
use std::collections::BTreeMap;

/// A string found in the file, with how often and where it first occurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The string (lossy UTF-8).
    pub text: String,
    /// File offset of its first occurrence.
    pub offset: u64,
    /// Number of occurrences.
    pub count: usize,
}

/// Markers whose presence tells which libc or toolchain produced a binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Marker {
    /// `GLIBC_PRIVATE` or `GLIBC_2.x` version strings.
    GlibcVersion,
    /// `glibc.malloc` tunables.
    GlibcTunables,
    /// musl's `strerror(0)` text, "No error information".
    MuslStrerror,
    /// `__init_libc`, a musl-internal symbol name (unstripped static musl programs).
    MuslSymbol,
    /// `libnss_`: glibc NSS modules loaded at run time.
    LibNss,
    /// `nsswitch.conf`.
    NsswitchConf,
    /// `gconv-modules` / `GCONV_PATH`: glibc iconv modules loaded with dlopen.
    Gconv,
    /// Go build info.
    GoBuildInfo,
    /// The header of Go's pclntab (magic `f1 ff ff ff` in Go 1.20+, `f0`/`fa`/`fb` before, then
    /// two zero bytes, the instruction quantum and the pointer size): every Go program has one,
    /// even without build info and with its sections stripped.
    GoPclntab,
    /// OpenSSL's version text, "OpenSSL 3.0.17 1 Jul 2025" (captured: see [`ScanResult::texts`]).
    OpenSslVersion,
    /// The Go toolchain's version, "go1.19.8" (runtime.buildVersion, also in the build info;
    /// captured: see [`ScanResult::texts`]). Only read as evidence in files that show Go.
    GoVersion,
    /// The rustls crate (its source paths, kept in panic locations).
    Rustls,
    /// The ring crate: rustls's crypto provider, or used on its own.
    Ring,
    /// AWS-LC (the aws-lc-rs / aws-lc-sys crates): rustls's default crypto provider since 0.23.
    AwsLc,
    /// The native-tls crate (OpenSSL on Linux).
    NativeTls,
    /// The webpki-roots crate: Mozilla's trust roots compiled into the program.
    WebpkiRoots,
    /// "ISRG Root X1", a subject name in every copy of Mozilla's root list (with
    /// [`Marker::DigiCertRoot`]: trust roots compiled into the program).
    IsrgRoot,
    /// "DigiCert Global Root G2", another subject name from Mozilla's root list.
    DigiCertRoot,
    /// rustls-native-certs or rustls-platform-verifier: trust roots read from the host.
    NativeCerts,
    /// The host's CA bundle path, `/etc/ssl/certs/…` or `/etc/pki/tls/…`.
    CaBundlePath,
    /// `SSL_CERT_FILE`: a CA bundle path taken from the environment.
    SslCertFile,
    /// jemalloc (`<jemalloc>` message prefix).
    Jemalloc,
    /// mimalloc (`mimalloc: ` message prefix, `MIMALLOC_` settings).
    Mimalloc,
    /// UPX's notice, "This file is packed with the UPX executable packer".
    Upx,
    /// UPX's `UPX!` magic followed by a plausible header (version, format, method): the packed
    /// program's header, which UPX keeps even when the notice is removed.
    UpxHeader,
}

/// What one pass over a file found.
#[derive(Debug, Clone, Default)]
pub struct ScanResult {
    /// Distinct `/nix/store/<hash>-<name>` paths.
    pub store_refs: Vec<Hit>,
    /// Distinct strings that look like absolute build paths.
    pub build_paths: Vec<Hit>,
    /// Distinct paths under scratch directories (`/tmp`): build paths only if they name source
    /// or sit in debug information, which the caller decides with [`names_source`].
    pub scratch_paths: Vec<Hit>,
    /// Markers seen, with the file offset of the first.
    pub markers: BTreeMap<Marker, u64>,
    /// The text of markers whose string says more than their presence (OpenSSL's version).
    pub texts: BTreeMap<Marker, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Store,
    /// A build path that must start a string (the byte before it is not part of a path). A scratch
    /// root (`/tmp`) also holds run-time files, so its paths count only when they name source or
    /// sit in debug information.
    BuildRoot {
        scratch: bool,
    },
    /// A build path fragment that may sit inside a longer path.
    BuildInner,
    Marker(Marker),
    /// `UPX!`: a marker only when the bytes after it look like one of UPX's headers.
    UpxMagic,
    /// A marker whose text is kept: printable bytes up to the end of the string, when the first
    /// one after the pattern is a digit (a version).
    Capture(Marker),
}

/// The patterns, each with a `|` that is removed before use. The split keeps the patterns out of
/// repro-check's own binary as whole strings, so checking repro-check itself finds no markers.
const PATTERNS: &[(&[u8], Kind)] = &[
    (b"/nix/|store/", Kind::Store),
    (b"/bu|ild/", Kind::BuildRoot { scratch: false }),
    (b"/nix/var/nix/bu|ilds/", Kind::BuildRoot { scratch: false }),
    (b"/ho|me/", Kind::BuildRoot { scratch: false }),
    (b"/ro|ot/", Kind::BuildRoot { scratch: false }),
    (b"/t|mp/", Kind::BuildRoot { scratch: true }),
    (b"/var/t|mp/", Kind::BuildRoot { scratch: true }),
    (b"/Us|ers/", Kind::BuildRoot { scratch: false }),
    (b".cargo/regi|stry/src/", Kind::BuildInner),
    (b".cargo/git/chec|kouts/", Kind::BuildInner),
    (b"GLIBC_|2.", Kind::Marker(Marker::GlibcVersion)),
    (b"GLIBC_|PRIVATE", Kind::Marker(Marker::GlibcVersion)),
    (b"glibc|.malloc", Kind::Marker(Marker::GlibcTunables)),
    (b"No error| information", Kind::Marker(Marker::MuslStrerror)),
    (b"__init_|libc\0", Kind::Marker(Marker::MuslSymbol)),
    (b"lib|nss_", Kind::Marker(Marker::LibNss)),
    (b"nsswitch|.conf", Kind::Marker(Marker::NsswitchConf)),
    (b"gconv|-modules", Kind::Marker(Marker::Gconv)),
    (b"GCONV|_PATH", Kind::Marker(Marker::Gconv)),
    (b"\xff Go build|inf:", Kind::Marker(Marker::GoBuildInfo)),
    (b"go1|.", Kind::Capture(Marker::GoVersion)),
    (
        b"This file is packed with| the UPX",
        Kind::Marker(Marker::Upx),
    ),
    (b"UP|X!", Kind::UpxMagic),
    (b"OpenSSL |", Kind::Capture(Marker::OpenSslVersion)),
    (b"/rustls|-0.", Kind::Marker(Marker::Rustls)),
    (b"/ring|-0.", Kind::Marker(Marker::Ring)),
    (b"/aws-lc|-rs-", Kind::Marker(Marker::AwsLc)),
    (b"/aws-lc|-sys-", Kind::Marker(Marker::AwsLc)),
    (b"/native|-tls-0.", Kind::Marker(Marker::NativeTls)),
    (b"/webpki|-roots-", Kind::Marker(Marker::WebpkiRoots)),
    (b"ISRG Roo|t X1", Kind::Marker(Marker::IsrgRoot)),
    (
        b"DigiCert Glob|al Root G2",
        Kind::Marker(Marker::DigiCertRoot),
    ),
    (b"/rustls-native|-certs-", Kind::Marker(Marker::NativeCerts)),
    (
        b"/rustls-platform|-verifier-",
        Kind::Marker(Marker::NativeCerts),
    ),
    (b"/etc/ssl/ce|rts", Kind::Marker(Marker::CaBundlePath)),
    (b"/etc/pki/t|ls/", Kind::Marker(Marker::CaBundlePath)),
    (b"SSL_CE|RT_FILE", Kind::Marker(Marker::SslCertFile)),
    (b"<jema|lloc>", Kind::Marker(Marker::Jemalloc)),
    (b"mimal|loc: ", Kind::Marker(Marker::Mimalloc)),
    (b"MIMAL|LOC_", Kind::Marker(Marker::Mimalloc)),
];

fn unmask(pattern: &[u8]) -> Vec<u8> {
    pattern.iter().copied().filter(|&b| b != b'|').collect()
}

impl Marker {
    /// The text of the first pattern that finds this marker, for evidence lines.
    pub fn text(self) -> String {
        PATTERNS
            .iter()
            .find(|(_, kind)| *kind == Kind::Marker(self))
            .map(|(p, _)| {
                String::from_utf8_lossy(&unmask(p))
                    .trim_end_matches('\0')
                    .to_string()
            })
            .unwrap_or_default()
    }
}

/// How far back and forward a found string may extend.
const CONTEXT: usize = 1024;
/// Bytes kept from one chunk to the next (a match and its context always fit).
const CARRY: usize = 2 * CONTEXT;
/// At most this many distinct strings are kept per kind (a file full of paths is reported, not hoarded).
const MAX_DISTINCT: usize = 1000;
/// The longest text kept for a [`Kind::Capture`] marker.
const MAX_CAPTURE: usize = 80;
/// Store path names are at most this long (Nix's limit).
const MAX_STORE_NAME: usize = 211;

/// The length of the Go version at the start of `rest` ("go1.21.3", "go1.22rc1"): Go packs its
/// strings without separators, so only the version's own characters are taken.
fn go_version_len(rest: &[u8]) -> usize {
    let digits = |from: usize| {
        from + rest[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .count()
    };
    let mut end = digits(4);
    for pre in [&b"rc"[..], b"beta"] {
        if rest[end..].starts_with(pre) && rest.get(end + pre.len()).is_some_and(u8::is_ascii_digit)
        {
            end = digits(end + pre.len());
        }
    }
    while rest[..end].ends_with(b".") {
        end -= 1;
    }
    end
}

/// Go's pclntab headers, built here rather than written out, so that repro-check's own binary
/// does not hold them: the magics of Go 1.20+, 1.18, 1.16 and 1.2, each followed by two zero
/// bytes, an instruction quantum of 1, 2 or 4 and a pointer size of 4 or 8. They start with
/// bytes common in binaries (`ff ff ff`), which would slow the main scan down by half, so they
/// are looked for only in files that show no libc at all ([`go_pclntab`]).
fn go_pclntab_headers() -> &'static AhoCorasick {
    static AC: std::sync::OnceLock<AhoCorasick> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        let mut headers = Vec::new();
        for magic in [0xf1u8, 0xf0, 0xfa, 0xfb] {
            for quantum in [1u8, 2, 4] {
                for ptr in [4u8, 8] {
                    headers.push(vec![magic, 0xff, 0xff, 0xff, 0, 0, quantum, ptr]);
                }
            }
        }
        AhoCorasick::new(headers).expect("the pattern set is valid")
    })
}

/// The file offset of the first Go pclntab header in the file bytes of the loaded segments, read
/// through `src` in chunks (each at most [`crate::input::CHUNK`] plus an overlap).
pub fn go_pclntab(src: &dyn crate::elf::ReadAt, loads: &[crate::elf::Segment]) -> Option<u64> {
    const OVERLAP: u64 = 7;
    let ac = go_pclntab_headers();
    for seg in loads {
        let end = seg.offset.saturating_add(seg.filesz).min(src.len());
        let mut at = seg.offset;
        while at < end {
            let len = (crate::input::CHUNK as u64 + OVERLAP).min(end - at);
            let bytes = src.read_at(at, len).ok()?;
            if let Some(m) = ac.find(&bytes) {
                return Some(at + m.start() as u64);
            }
            at += len.saturating_sub(OVERLAP).max(1);
        }
    }
    None
}

/// Common starts under which patterns are searched for together (masked like [`PATTERNS`]).
const ANCHORS: &[&[u8]] = &[
    b"/ni|x/",
    b".car|go/",
    b"GLI|BC_",
    b"/rus|tls-",
    b"/aws|-lc-",
    b"/et|c/",
];

/// What the automaton searches for, and which patterns each search string stands for. Patterns
/// that start alike are searched for by their common start (an [`ANCHORS`] entry), and a pattern
/// that ends with another of the same kind (`/var/tmp/`, `/tmp/`) through that one; each hit is
/// then told apart by comparing the patterns themselves. With 32 search strings or fewer,
/// aho-corasick uses its slim Teddy prefilter, which scans about a quarter faster than the fat
/// one it needs for more; what is found is the same.
struct Search {
    ac: AhoCorasick,
    /// Per search string: the [`PATTERNS`] it stands for, each with how many of its bytes come
    /// before the search string; those reaching back first, then the others in pattern order.
    groups: Vec<Vec<(usize, usize)>>,
    /// [`PATTERNS`], unmasked.
    patterns: Vec<Vec<u8>>,
    /// The search strings.
    #[cfg(test)]
    keys: Vec<Vec<u8>>,
}

fn search() -> &'static Search {
    static SEARCH: std::sync::OnceLock<Search> = std::sync::OnceLock::new();
    SEARCH.get_or_init(|| {
        let patterns: Vec<Vec<u8>> = PATTERNS.iter().map(|(p, _)| unmask(p)).collect();
        let anchors: Vec<Vec<u8>> = ANCHORS.iter().map(|a| unmask(a)).collect();
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let mut groups: Vec<Vec<(usize, usize)>> = Vec::new();
        for (i, full) in patterns.iter().enumerate() {
            let kind = PATTERNS[i].1;
            let inner = (0..patterns.len()).find(|&j| {
                j != i
                    && PATTERNS[j].1 == kind
                    && full.len() > patterns[j].len()
                    && full.ends_with(&patterns[j])
            });
            let (key, before) = match (anchors.iter().find(|a| full.starts_with(a)), inner) {
                (Some(anchor), _) => (anchor.clone(), 0),
                (None, Some(j)) => (patterns[j].clone(), full.len() - patterns[j].len()),
                (None, None) => (full.clone(), 0),
            };
            let k = match keys.iter().position(|k| *k == key) {
                Some(k) => k,
                None => {
                    keys.push(key);
                    groups.push(Vec::new());
                    keys.len() - 1
                }
            };
            groups[k].push((i, before));
        }
        for group in &mut groups {
            group.sort_by_key(|&(_, before)| std::cmp::Reverse(before));
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&keys)
            .expect("the pattern set is valid");
        Search {
            ac,
            groups,
            patterns,
            #[cfg(test)]
            keys,
        }
    })
}

/// A streaming scanner: [`Scanner::feed`] chunks in order, then [`Scanner::finish`].
#[derive(Debug, Default)]
pub struct Scanner {
    /// The last bytes fed (at most [`CARRY`]), so matches straddling two chunks are seen whole.
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    base: u64,
    found: Found,
}

/// What the scan found so far, and how far it got.
#[derive(Debug, Default)]
struct Found {
    /// Matches starting before this file offset were handled already.
    done_upto: u64,
    store: Distinct,
    build: Distinct,
    scratch: Distinct,
    markers: BTreeMap<Marker, u64>,
    texts: BTreeMap<Marker, String>,
}

impl Scanner {
    /// A scanner at offset 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Scan the next chunk of the file.
    ///
    /// A large chunk is scanned where it lies: only the seam (the carried tail of the previous
    /// chunk and the head of this one) is copied, so the scan adds no copy of the file's bytes.
    pub fn feed(&mut self, chunk: &[u8]) {
        let chunk_base = self.base + self.buf.len() as u64;
        if chunk.len() < 2 * CARRY {
            self.buf.extend_from_slice(chunk);
            self.found.process(&self.buf, self.base, false);
        } else {
            // The seam: matches starting up to CONTEXT bytes into the chunk.
            self.buf.extend_from_slice(&chunk[..CARRY]);
            self.found.process(&self.buf, self.base, false);
            // The rest of the chunk, in place; every match there has CONTEXT bytes before it.
            self.found.process(chunk, chunk_base, false);
            self.buf.clear();
            self.buf.extend_from_slice(&chunk[chunk.len() - CARRY..]);
            self.base = chunk_base + (chunk.len() - CARRY) as u64;
            return;
        }
        if self.buf.len() > CARRY {
            let drop = self.buf.len() - CARRY;
            self.buf.drain(..drop);
            self.base += drop as u64;
        }
    }

    /// Scan what is left and return the findings.
    pub fn finish(mut self) -> ScanResult {
        self.found.process(&self.buf, self.base, true);
        let found = self.found;
        ScanResult {
            store_refs: found.store.into_hits(),
            build_paths: found.build.into_hits(),
            scratch_paths: found.scratch.into_hits(),
            markers: found.markers,
            texts: found.texts,
        }
    }
}

impl Found {
    /// Handle the matches in `buf` (file offset `base`) from `done_upto` on.
    fn process(&mut self, buf: &[u8], base: u64, at_end: bool) {
        // Matches that start in the last CONTEXT bytes wait for more data, unless this is the end.
        let limit = if at_end {
            buf.len()
        } else {
            buf.len().saturating_sub(CONTEXT)
        };
        let start = usize::try_from(self.done_upto.saturating_sub(base)).unwrap_or(usize::MAX);
        if start >= limit {
            return;
        }
        // Every match start is tried, overlapping ones included: the search resumes one byte after
        // each match's start, not after its end. Otherwise which of two overlapping strings is
        // found (`/nix/store/nix/store/<hash>-x`) would depend on where chunks happen to end.
        let search = search();
        let mut pos = start;
        while pos < limit {
            let Some(m) = search.ac.find(Input::new(buf).span(pos..buf.len())) else {
                break;
            };
            let at = m.start();
            if at >= limit {
                break;
            }
            pos = at + 1;
            // The patterns this hit stands for: those reaching back, then the first that starts
            // here (as the leftmost-first search over the patterns themselves would find them).
            let mut here = false;
            for &(p, before) in &search.groups[m.pattern().as_usize()] {
                let pattern = &search.patterns[p];
                let Some(from) = at.checked_sub(before) else {
                    continue;
                };
                if (before == 0 && here) || !buf[from..].starts_with(pattern) {
                    continue;
                }
                here |= before == 0;
                self.handle(buf, base, from, pattern.len(), PATTERNS[p].1);
            }
        }
        self.done_upto = base + limit as u64;
    }

    /// Handle the pattern of `kind` (`len` bytes) found at `buf[at..]` (file offset `base + at`).
    fn handle(&mut self, buf: &[u8], base: u64, at: usize, len: usize, kind: Kind) {
        let offset = base + at as u64;
        match kind {
            Kind::Marker(marker) => {
                self.markers.entry(marker).or_insert(offset);
            }
            Kind::Capture(marker) => {
                let rest = &buf[at..buf.len().min(at + MAX_CAPTURE)];
                if rest.get(len).is_some_and(u8::is_ascii_digit)
                    && !self.texts.contains_key(&marker)
                {
                    let end = if marker == Marker::GoVersion {
                        go_version_len(rest)
                    } else {
                        rest.iter()
                            .position(|&b| !(0x20..0x7f).contains(&b))
                            .unwrap_or(rest.len())
                    };
                    self.markers.entry(marker).or_insert(offset);
                    self.texts.insert(
                        marker,
                        String::from_utf8_lossy(&rest[..end]).trim_end().to_string(),
                    );
                }
            }
            Kind::UpxMagic => {
                if buf.get(at + 4..at + 8).is_some_and(is_upx_header) {
                    self.markers.entry(Marker::UpxHeader).or_insert(offset);
                }
            }
            Kind::Store => {
                if let Some(path) = store_path(&buf[at..]) {
                    self.store.add(path, offset);
                }
            }
            Kind::BuildRoot { scratch } => {
                if at == 0 || !is_path_byte(buf[at - 1]) || after_source_name(buf, at) {
                    let (s, e) = string_around(buf, at, len);
                    if looks_like_build_path(buf, s, e, len) {
                        let target = if scratch {
                            &mut self.scratch
                        } else {
                            &mut self.build
                        };
                        target.add(&buf[s..e], base + s as u64);
                    }
                }
            }
            Kind::BuildInner => {
                let (s, e) = string_around(buf, at, len);
                if buf[s] == b'/' {
                    self.build.add(&buf[s..e], base + s as u64);
                }
            }
        }
    }
}

/// Whether the four bytes after a `UPX!` magic look like one of UPX's headers. Its loader info
/// (`l_info`, right after the program headers) has a 16-bit size, then the version and format;
/// its pack header (near the end of the file) has version, format, method and level. UPX 3 and 4
/// write version 13 or 14, older ones 10 to 12; formats are small numbers (big-endian ones have
/// the top bit set); methods are 2 to 15 and levels 1 to 10.
fn is_upx_header(next: &[u8]) -> bool {
    let version = |v: u8| (10..=14).contains(&v);
    let format = |f: u8| (1..=60).contains(&(f & 0x7f));
    let pack_header = version(next[0])
        && format(next[1])
        && (2..=15).contains(&next[2])
        && (1..=10).contains(&next[3]);
    let loader_info = version(next[2]) && format(next[3]) && next[0..2] != [0, 0];
    pack_header || loader_info
}

/// Bytes that may appear inside a path as compilers embed it.
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'/' | b'.' | b'_' | b'-' | b'+' | b'~' | b'@' | b'%' | b',' | b'='
        )
}

/// Whether the string `buf[s..e]`, which starts with a build-ish root (`/tmp/`, `/home/`…) of
/// `root_len` bytes, is a build path rather than:
/// - a run-time template (`/tmp/tmpfile_XXXXXX`, `/home/%s`) or a bare root;
/// - a suffix a program appends at run time (`/build/commands`, `/build/targets/` in cmake): a
///   build path names at least two components below its root;
/// - a piece of a longer string cut at a space or quote (`"/home/my user/bin/x"` gives
///   `/home/my`): a quote before it, or a space followed by more path after it.
fn looks_like_build_path(buf: &[u8], s: usize, e: usize, root_len: usize) -> bool {
    let text = &buf[s..e];
    let below = &text[root_len.min(text.len())..];
    let two_components = below
        .iter()
        .position(|&b| b == b'/')
        .is_some_and(|slash| slash > 0 && slash + 1 < below.len());
    let quoted = s > 0 && matches!(buf[s - 1], b'"' | b'\'');
    let cut_at_space =
        buf.get(e) == Some(&b' ') && buf.get(e + 1).is_some_and(|&b| is_path_byte(b));
    two_components
        && !quoted
        && !cut_at_space
        && !text.contains(&b'%')
        && memchr::memmem::find(text, b"XXX").is_none()
}

/// Whether the match at `at` follows a Rust source file name directly: Rust stores panic
/// locations without a terminator, so paths sit back to back (`…/a.rs/build/b.rs`).
fn after_source_name(buf: &[u8], at: usize) -> bool {
    at >= 3 && &buf[at - 3..at] == b".rs"
}

/// The printable path string containing the match at `at` (of `len` bytes). A path ends after
/// its `.rs` file name, where Rust's unterminated panic locations run on into the next string
/// (`…/api.rsassertion failed`, `…/a.rs/build/b.rs`).
fn string_around(buf: &[u8], at: usize, len: usize) -> (usize, usize) {
    let mut s = at;
    while s > 0 && at - s < CONTEXT / 2 && is_path_byte(buf[s - 1]) && !after_source_name(buf, s) {
        s -= 1;
    }
    let mut e = (at + len).min(buf.len());
    while e < buf.len() && e - at < CONTEXT / 2 && is_path_byte(buf[e]) {
        if after_source_name(buf, e) && e > at + len && is_source_end(buf, e) {
            break;
        }
        e += 1;
    }
    (s, e)
}

/// Whether a `.rs` just before `e` ends a file name: the path goes on with a letter (the next
/// string, as in `api.rsassertion`) or a new absolute path, not with more of a name (`.rs.bk`,
/// `.rs-1`) or a directory below it.
fn is_source_end(buf: &[u8], e: usize) -> bool {
    let last_component = buf[..e]
        .iter()
        .rposition(|&b| b == b'/')
        .is_some_and(|slash| !buf[slash + 1..e - 3].is_empty());
    last_component && (buf[e].is_ascii_alphabetic() || buf[e] == b'/')
}

/// Whether a path names a source file or a source tree (`…/src/…`, `….rs`, `….c`, …).
pub fn names_source(text: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        ".rs", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".S", ".s", ".go", ".zig", ".f90",
        ".o",
    ];
    text.contains("/src/")
        || text.contains("/target/")
        || EXTENSIONS.iter().any(|e| text.ends_with(e))
}

/// `/nix/store/<32 nix-base32 chars>-<name>` at the start of `bytes`, if it is one. The scrubbed
/// form `/nix/store/eeee…` (what `remove-references-to` leaves) has `e`s, which are not in Nix's
/// base-32 alphabet, so it never matches.
pub fn store_path(bytes: &[u8]) -> Option<&[u8]> {
    const PREFIX: usize = "/nix/store/".len();
    let hash = bytes.get(PREFIX..PREFIX + 32)?;
    if !hash.iter().all(|&c| is_nix_base32(c)) || bytes.get(PREFIX + 32) != Some(&b'-') {
        return None;
    }
    let name_start = PREFIX + 33;
    let name_len = bytes[name_start..]
        .iter()
        .take(MAX_STORE_NAME)
        .take_while(|&&c| c.is_ascii_alphanumeric() || b"+-._?=".contains(&c))
        .count();
    (name_len > 0).then(|| &bytes[..name_start + name_len])
}

fn is_nix_base32(c: u8) -> bool {
    matches!(c, b'0'..=b'9' | b'a'..=b'd' | b'f'..=b'n' | b'p'..=b's' | b'v'..=b'z')
}

/// Distinct strings with counts, capped.
#[derive(Debug, Default)]
struct Distinct {
    seen: BTreeMap<Vec<u8>, (u64, usize)>,
    last_offset: Option<u64>,
}

impl Distinct {
    fn add(&mut self, text: &[u8], offset: u64) {
        // The same string is reached once per pattern it contains; count it once.
        if self.last_offset == Some(offset) {
            return;
        }
        self.last_offset = Some(offset);
        if let Some(entry) = self.seen.get_mut(text) {
            entry.1 += 1;
        } else if self.seen.len() < MAX_DISTINCT {
            self.seen.insert(text.to_vec(), (offset, 1));
        }
    }

    fn into_hits(self) -> Vec<Hit> {
        let mut hits: Vec<Hit> = self
            .seen
            .into_iter()
            .map(|(text, (offset, count))| Hit {
                text: String::from_utf8_lossy(&text).into_owned(),
                offset,
                count,
            })
            .collect();
        hits.sort_by_key(|h| h.offset);
        hits
    }
}

/// Scan a whole in-memory buffer (tests, fuzzing).
pub fn scan_bytes(bytes: &[u8]) -> ScanResult {
    let mut scanner = Scanner::new();
    for chunk in bytes.chunks(crate::input::CHUNK) {
        scanner.feed(chunk);
    }
    scanner.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0123456789abcdfghijklmnpqrsvwxyz";

    #[test]
    fn go_version_stops_at_the_next_packed_string() {
        let len = |s: &[u8]| go_version_len(s);
        assert_eq!(len(b"go1.19.8\0\0"), 8);
        assert_eq!(len(b"go1.21.3GODEBUG"), 8);
        assert_eq!(len(b"go1.22rc1x"), 9);
        assert_eq!(len(b"go1.20beta2."), 11);
        assert_eq!(len(b"go1.5."), 5);
    }

    #[test]
    fn finds_store_paths_but_not_scrubbed_ones() {
        let data = format!(
            "\0/nix/store/{HASH}-openssl-3.0.7/etc/ssl\0/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x\0"
        );
        let r = scan_bytes(data.as_bytes());
        assert_eq!(r.store_refs.len(), 1);
        assert_eq!(
            r.store_refs[0].text,
            format!("/nix/store/{HASH}-openssl-3.0.7")
        );
        assert_eq!(r.store_refs[0].offset, 1);
    }

    #[test]
    fn finds_build_paths_at_string_starts_only() {
        let data = b"\0/build/source/src/main.rs\0/nix/store/x-source/build/foo\0/home/u/.cargo/registry/src/a/lib.rs\0";
        let r = scan_bytes(data);
        let texts: Vec<&str> = r.build_paths.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "/build/source/src/main.rs",
                "/home/u/.cargo/registry/src/a/lib.rs"
            ]
        );
        let r = scan_bytes(b"\0/tmp/x/main.c\0/tmp/.X11-unix/X%u\0/tmp/\0/home/%s\0");
        assert_eq!(r.scratch_paths.len(), 1, "{:?}", r.scratch_paths);
        assert!(r.build_paths.is_empty(), "{:?}", r.build_paths);
    }

    #[test]
    fn matches_across_chunk_boundaries_are_found_once() {
        let mut scanner = Scanner::new();
        let text = format!("xx/nix/store/{HASH}-glibc-2.40/lib\0");
        let (a, b) = text.as_bytes().split_at(9);
        let filler = vec![b'q'; 5000];
        scanner.feed(&filler);
        scanner.feed(a);
        scanner.feed(b);
        scanner.feed(&filler);
        let r = scanner.finish();
        assert_eq!(r.store_refs.len(), 1, "{:?}", r.store_refs);
        assert_eq!(r.store_refs[0].count, 1);
        assert_eq!(r.store_refs[0].offset, 5002);
    }

    #[test]
    fn chunking_does_not_change_the_result() {
        // Strings placed around every seam of large chunks, scanned whole, in large chunks (the
        // in-place path) and in small ones (the copying path), must give the same findings.
        let mut data = vec![b'q'; 6 * CARRY + 300];
        let path = format!("/nix/store/{HASH}-zlib-1.3/lib\0/build/src/a.c\0GLIBC_2.34");
        for at in (0..data.len() - path.len()).step_by(397) {
            data[at] = 0;
            data[at + 1..at + 1 + path.len()].copy_from_slice(path.as_bytes());
        }
        let reference = format!("{:?}", {
            let mut s = Scanner::new();
            data.iter().for_each(|b| s.feed(std::slice::from_ref(b)));
            s.finish()
        });
        for size in [2 * CARRY, 2 * CARRY + 1, 3 * CARRY - 7, 5000, data.len()] {
            let mut s = Scanner::new();
            data.chunks(size).for_each(|c| s.feed(c));
            assert_eq!(format!("{:?}", s.finish()), reference, "chunks of {size}");
        }
        assert!(reference.contains("zlib-1.3"), "{reference}");
    }

    #[test]
    fn overlapping_matches_are_found_however_the_file_is_chunked() {
        // Found by the `scan` fuzz target: the second store path shares its leading `/` with the
        // end of the first match, and was found only when the bytes came in small chunks.
        let data = format!("\0/nix/store/nix/store/{HASH}-nixb\0");
        let whole = scan_bytes(data.as_bytes());
        let mut s = Scanner::new();
        data.as_bytes()
            .iter()
            .for_each(|b| s.feed(std::slice::from_ref(b)));
        let bytewise = s.finish();
        assert_eq!(format!("{whole:?}"), format!("{bytewise:?}"));
        assert_eq!(whole.store_refs.len(), 1, "{whole:?}");
        assert_eq!(whole.store_refs[0].offset, 11);
    }

    #[test]
    fn strings_that_only_look_like_build_paths_are_not_found() {
        let data = b"\0\"/home/my user/bin/tool\"\0/build/commands\0/build/targets/\0\
            /home/u/.cargo/registry/src/idx/serde-1.0/src/api.rsassertion failed\0\
            \0/build/src/a.rs/build/src/b.rs\0/home/dev/proj/src/lib.rs.bk\0";
        let r = scan_bytes(data);
        let texts: Vec<&str> = r.build_paths.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "/home/u/.cargo/registry/src/idx/serde-1.0/src/api.rs",
                "/build/src/a.rs",
                "/build/src/b.rs",
                "/home/dev/proj/src/lib.rs.bk",
            ]
        );
    }

    #[test]
    fn the_search_strings_are_few_and_none_starts_another() {
        let search = search();
        // At most 32: aho-corasick's slim Teddy prefilter (see `Search`).
        assert!(search.keys.len() <= 32, "{}", search.keys.len());
        assert_eq!(search.ac.patterns_len(), search.keys.len());
        // Every pattern is in exactly one group, and contains its search string where it says.
        let mut all = Vec::new();
        for (key, group) in search.keys.iter().zip(&search.groups) {
            for &(p, before) in group {
                assert!(search.patterns[p][before..].starts_with(key));
                all.push(p);
            }
        }
        all.sort_unstable();
        assert_eq!(all, (0..PATTERNS.len()).collect::<Vec<_>>());
        // One search string matching at a position means no other does there, so the patterns
        // found there are those of its group only.
        for (i, a) in search.keys.iter().enumerate() {
            for (j, b) in search.keys.iter().enumerate() {
                assert!(i == j || !b.starts_with(a), "{a:?} starts {b:?}");
            }
        }
    }

    #[test]
    fn var_tmp_is_found_through_tmp() {
        let r = scan_bytes(b"\0/var/tmp/build-1/src/main.c\0/tmp/x/y.rs\0");
        let found: Vec<&str> = r.scratch_paths.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(found, ["/var/tmp/build-1/src/main.c", "/tmp/x/y.rs"]);
        assert_eq!(r.scratch_paths[0].offset, 1);
    }

    #[test]
    fn markers() {
        let r = scan_bytes(b"..GLIBC_2.34..libnss_files..No error information");
        assert!(r.markers.contains_key(&Marker::GlibcVersion));
        assert!(r.markers.contains_key(&Marker::LibNss));
        assert!(r.markers.contains_key(&Marker::MuslStrerror));
    }
}
