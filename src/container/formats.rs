//! One reader per container format, each listing its members into the [`Walker`] with the
//! metadata that format records.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, Read, Seek};
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use super::{Bounded, Counted, Format, Tee, Walker, detect};
use crate::Error;

type Fields = BTreeMap<String, String>;

/// `1704067200 (2024-01-01T00:00:00Z)`: epoch seconds and their UTC date.
pub fn epoch(secs: u64) -> String {
    // RFC 3339 has four-digit years: a later date (a hostile header) is shown as seconds only.
    const LAST: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    match SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs)) {
        Some(t) if secs <= LAST => format!("{secs} ({})", humantime::format_rfc3339_seconds(t)),
        _ => secs.to_string(),
    }
}

/// The header fields of a gzip stream, from its first bytes (RFC 1952 §2.3).
pub fn gzip_header(head: &[u8]) -> Fields {
    let mut f = Fields::new();
    if head.len() < 10 {
        return f;
    }
    let mtime = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    f.insert("gzip mtime".into(), epoch(u64::from(mtime)));
    f.insert("gzip level flag".into(), head[8].to_string());
    f.insert("gzip os".into(), head[9].to_string());
    let flags = head[3];
    let mut at = 10usize;
    if flags & 4 != 0 {
        let n = head
            .get(10..12)
            .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
        at += 2 + usize::from(n);
    }
    if flags & 8 != 0
        && let Some(rest) = head.get(at..)
        && let Some(end) = memchr::memchr(0, rest)
    {
        f.insert(
            "gzip name".into(),
            String::from_utf8_lossy(&rest[..end]).into_owned(),
        );
    }
    f
}

/// Decompress `src` (member `slot`, format `f`) and list what it holds: a container's members
/// directly under this member's name, or the decompressed file as one member.
pub(super) fn decompress(
    w: &mut Walker<'_>,
    f: Format,
    src: &mut dyn Read,
    slot: usize,
    depth: usize,
) -> Result<(), Error> {
    let name = w.out.members[slot].name.clone();
    let input = Rc::new(Cell::new(0));
    let counted = Counted {
        inner: src,
        count: input.clone(),
    };
    let decoder: Box<dyn Read + '_> = match f {
        Format::Gzip => Box::new(flate2::read::MultiGzDecoder::new(counted)),
        // The memory limit covers xz -9's 64 MiB dictionary and refuses larger ones.
        Format::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            counted,
            true,
            96 * 1024,
        )),
        Format::Zstd => {
            Box::new(ruzstd::decoding::StreamingDecoder::new(counted).map_err(|e| w.err(&name, e))?)
        }
        Format::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(counted)),
        _ => return Ok(()),
    };
    let mut bounded = Bounded {
        inner: decoder,
        input,
        output: 0,
        total: w.expanded.clone(),
        limits: w.limits,
    };
    let mut content = Tee::new(&mut bounded);
    let mut head = Vec::with_capacity(1024);
    (&mut content)
        .take(1024)
        .read_to_end(&mut head)
        .map_err(|e| w.err(&name, e))?;
    let inner_name = w.out.members[slot]
        .fields
        .get("gzip name")
        .cloned()
        .unwrap_or_else(|| {
            let base = name.rsplit(['!', '/']).next().unwrap_or(&name);
            let stem = base.rsplit_once('.').map_or(base, |(s, _)| s).to_string();
            if stem.is_empty() {
                "content".into()
            } else {
                stem
            }
        });
    let inner = detect(&head, &inner_name).filter(|_| depth < w.limits.depth);
    {
        let mut src = io::Cursor::new(head).chain(&mut content);
        match inner {
            Some(g) => {
                w.out.members[slot].kind = format!("{}+{}", f.name(), g.name());
                w.open(g, &mut src, slot, depth + 1)?;
                io::copy(&mut src, &mut io::sink()).map_err(|e| w.err(&name, e))?;
            }
            None => {
                let child = format!("{name}!{inner_name}");
                w.stream(&mut src, &child, &name, 0, depth, Fields::new())?;
            }
        }
    }
    let (sha, _) = content.finish();
    w.out.members[slot].content = Some(sha);
    Ok(())
}

/// A tar archive: per member its time, owner, mode, type, link target and PAX records.
pub(super) fn tar(
    w: &mut Walker<'_>,
    src: &mut dyn Read,
    name: &str,
    depth: usize,
) -> Result<(), Error> {
    let mut archive = tar::Archive::new(src);
    let entries = archive.entries().map_err(|e| w.err(name, e))?;
    for (i, entry) in entries.enumerate() {
        let mut e = entry.map_err(|e| w.err(name, e))?;
        let path = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let mut f = Fields::new();
        if let Ok(Some(exts)) = e.pax_extensions() {
            for ext in exts.flatten() {
                let key = String::from_utf8_lossy(ext.key_bytes()).into_owned();
                if !matches!(key.as_str(), "path" | "linkpath" | "size") {
                    let value = String::from_utf8_lossy(ext.value_bytes()).into_owned();
                    f.insert(format!("pax {key}"), value);
                }
            }
        }
        let h = e.header();
        if let Ok(t) = h.mtime() {
            f.insert("mtime".into(), epoch(t));
        }
        for (key, value) in [("uid", h.uid()), ("gid", h.gid())] {
            if let Ok(v) = value {
                f.insert(key.into(), v.to_string());
            }
        }
        for (key, value) in [
            ("uname", h.username_bytes()),
            ("gname", h.groupname_bytes()),
        ] {
            if let Some(v) = value {
                f.insert(key.into(), String::from_utf8_lossy(v).into_owned());
            }
        }
        if let Ok(m) = h.mode() {
            f.insert("mode".into(), format!("{:04o}", m & 0o7777));
        }
        let kind = match h.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => "file",
            tar::EntryType::Directory => "dir",
            tar::EntryType::Symlink => "symlink",
            tar::EntryType::Link => "hardlink",
            tar::EntryType::Char => "char device",
            tar::EntryType::Block => "block device",
            tar::EntryType::Fifo => "fifo",
            tar::EntryType::XGlobalHeader => "pax global header",
            _ => "other",
        };
        f.insert("type".into(), kind.into());
        if let Some(link) = e.link_name_bytes() {
            f.insert("link".into(), String::from_utf8_lossy(&link).into_owned());
        }
        let key = path.trim_start_matches("./");
        let shown = match (depth, w.aliases.get(key)) {
            (1, Some(alias)) => alias.clone(),
            _ => path,
        };
        w.stream(&mut e, &format!("{name}!{shown}"), name, i, depth, f)?;
    }
    Ok(())
}

/// An ar archive (`.a`, `.deb`): per member its date, owner and mode.
pub(super) fn ar(
    w: &mut Walker<'_>,
    src: &mut dyn Read,
    name: &str,
    depth: usize,
) -> Result<(), Error> {
    // The ar crate skips the symbol table; the archive's first bytes are kept to read it.
    let mut head = Recorder {
        inner: src,
        kept: Vec::new(),
        limit: MAX_SYMBOL_TABLE,
    };
    let mut archive = ar::Archive::new(&mut head);
    let mut i = 0;
    while let Some(entry) = archive.next_entry() {
        let mut e = entry.map_err(|e| w.err(name, e))?;
        let h = e.header();
        let id = String::from_utf8_lossy(h.identifier()).into_owned();
        let mut f = Fields::new();
        f.insert("mtime".into(), epoch(h.mtime()));
        f.insert("uid".into(), h.uid().to_string());
        f.insert("gid".into(), h.gid().to_string());
        f.insert("mode".into(), format!("{:04o}", h.mode() & 0o7777));
        w.stream(&mut e, &format!("{name}!{id}"), name, i, depth, f)?;
        i += 1;
    }
    drop(archive);
    symbol_table(w, &head.kept, name, i, depth)
}

/// The symbol table (`/` or `__.SYMDEF`, the archive's first member) as a member of its own:
/// its date and mode, and its symbols in order, one a line.
fn symbol_table(
    w: &mut Walker<'_>,
    bytes: &[u8],
    name: &str,
    index: usize,
    depth: usize,
) -> Result<(), Error> {
    use goblin::archive::{Index, Member, SIZEOF_HEADER};
    let mut at = 8;
    let Ok(m) = Member::parse(bytes, &mut at) else {
        return Ok(());
    };
    let id = m.header.name.trim_end();
    let bsd = id.starts_with("__.SYMDEF");
    if id != "/" && !bsd {
        return Ok(());
    }
    let start = m.offset as usize;
    let Some(data) = bytes.get(start..start + m.header.size) else {
        w.out.notes.push(format!(
            "{name}: its symbol table is larger than {} MiB: not compared",
            MAX_SYMBOL_TABLE >> 20
        ));
        return Ok(());
    };
    let index_of = if bsd {
        Index::parse_bsd_symdef(data)
    } else {
        Index::parse_sysv_index(data)
    };
    let symbols = index_of.map_err(|e| w.err(&format!("{name}!{id}"), e))?;
    // Padding after the last name reads as empty names.
    let mut text = String::new();
    for s in symbols.strtab.iter().map(|s| s.trim_matches('\0')) {
        if !s.is_empty() {
            text.push_str(s);
            text.push('\n');
        }
    }
    // The fixed-width header fields, as `ar` writes them (decimal date, octal mode).
    let field = |from: usize, len: usize| {
        let h = &bytes[8..8 + SIZEOF_HEADER];
        String::from_utf8_lossy(&h[from..from + len])
            .trim()
            .to_string()
    };
    let mut f = Fields::new();
    if let Ok(t) = field(16, 12).parse::<u64>() {
        f.insert("mtime".into(), epoch(t));
    }
    if let Ok(mode) = u32::from_str_radix(&field(40, 8), 8) {
        f.insert("mode".into(), format!("{:04o}", mode & 0o7777));
    }
    let member = format!("{name}!(symbol table)");
    w.stream(&mut text.as_bytes(), &member, name, index, depth, f)
}

/// Bytes of an ar archive kept to read its symbol table.
const MAX_SYMBOL_TABLE: usize = 16 << 20;

/// A reader that keeps the first [`MAX_SYMBOL_TABLE`] bytes read through it.
struct Recorder<'r> {
    inner: &'r mut dyn Read,
    kept: Vec<u8>,
    /// Bytes to keep: [`MAX_SYMBOL_TABLE`] until the first header is read.
    limit: usize,
}

impl Read for Recorder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = self.limit.saturating_sub(self.kept.len()).min(n);
        self.kept.extend_from_slice(&buf[..room]);
        // Once the first header is in: keep its member only when it is a symbol table.
        if self.limit == MAX_SYMBOL_TABLE && self.kept.len() >= 68 {
            let h = &self.kept[8..68];
            let size = String::from_utf8_lossy(&h[48..58]).trim().parse::<usize>();
            self.limit = match size {
                Ok(size) if h.starts_with(b"/ ") || h.starts_with(b"__.SYMDEF") => {
                    // BSD names follow the header (`#1/20`); allow for one.
                    (68 + size + 256).min(MAX_SYMBOL_TABLE - 1)
                }
                _ => 0,
            };
        }
        Ok(n)
    }
}

/// A `.pyc` file: the 16-byte header (PEP 552), then the code object as one member.
pub(super) fn pyc(
    w: &mut Walker<'_>,
    src: &mut dyn Read,
    slot: usize,
    depth: usize,
) -> Result<(), Error> {
    let name = w.out.members[slot].name.clone();
    let mut h = [0u8; 16];
    src.read_exact(&mut h).map_err(|e| w.err(&name, e))?;
    let word = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    let flags = word(4);
    let f = &mut w.out.members[slot].fields;
    f.insert("pyc magic".into(), crate::digest::hex(&h[..4]));
    let mode = match flags & 3 {
        0 => "timestamp",
        1 => "unchecked-hash",
        _ => "checked-hash",
    };
    f.insert("pyc invalidation".into(), mode.into());
    if flags & 1 == 0 {
        f.insert("pyc source mtime".into(), epoch(u64::from(word(8))));
        f.insert("pyc source size".into(), word(12).to_string());
    } else {
        f.insert("pyc source hash".into(), crate::digest::hex(&h[8..16]));
    }
    w.stream(src, &format!("{name}!code"), &name, 0, depth, Fields::new())
}

/// A Nix archive: per entry its type, executable bit and link target (NAR entries carry no
/// times, owners or order of their own).
pub(super) fn nar(
    w: &mut Walker<'_>,
    src: &mut dyn Read,
    name: &str,
    depth: usize,
) -> Result<(), Error> {
    let mut r = Nar { src, name };
    r.expect(w, "nix-archive-1")?;
    let mut index = 0;
    nar_node(w, &mut r, "", &mut index, depth, 0)
}

struct Nar<'r, 'n> {
    src: &'r mut dyn Read,
    name: &'n str,
}

impl Nar<'_, '_> {
    fn len(&mut self, w: &Walker<'_>) -> Result<u64, Error> {
        let mut b = [0u8; 8];
        self.src
            .read_exact(&mut b)
            .map_err(|e| w.err(self.name, e))?;
        Ok(u64::from_le_bytes(b))
    }

    fn pad(&mut self, w: &Walker<'_>, n: u64) -> Result<(), Error> {
        let pad = (8 - n % 8) % 8;
        io::copy(&mut (&mut self.src).take(pad), &mut io::sink())
            .map_err(|e| w.err(self.name, e))?;
        Ok(())
    }

    fn string(&mut self, w: &Walker<'_>) -> Result<String, Error> {
        let n = self.len(w)?;
        if n > 4096 {
            return Err(w.err(self.name, "a NAR string longer than 4096 bytes"));
        }
        let mut b = vec![0u8; n as usize];
        self.src
            .read_exact(&mut b)
            .map_err(|e| w.err(self.name, e))?;
        self.pad(w, n)?;
        Ok(String::from_utf8_lossy(&b).into_owned())
    }

    fn expect(&mut self, w: &Walker<'_>, want: &str) -> Result<(), Error> {
        let got = self.string(w)?;
        if got != want {
            return Err(w.err(
                self.name,
                format!("not a NAR: expected {want:?}, found {got:?}"),
            ));
        }
        Ok(())
    }
}

fn nar_node(
    w: &mut Walker<'_>,
    r: &mut Nar<'_, '_>,
    path: &str,
    index: &mut usize,
    depth: usize,
    level: usize,
) -> Result<(), Error> {
    if level > 256 {
        return Err(w.err(r.name, "directories nested more than 256 deep"));
    }
    r.expect(w, "(")?;
    r.expect(w, "type")?;
    let kind = r.string(w)?;
    let shown = if path.is_empty() {
        "/".to_string()
    } else {
        path.to_string()
    };
    let member = format!("{}!{shown}", r.name);
    let mut f = Fields::new();
    match kind.as_str() {
        "regular" => {
            let mut tag = r.string(w)?;
            let executable = tag == "executable";
            if executable {
                r.expect(w, "")?;
                tag = r.string(w)?;
            }
            if tag != "contents" {
                return Err(w.err(r.name, format!("unexpected NAR field {tag:?}")));
            }
            f.insert("type".into(), "file".into());
            f.insert("executable".into(), executable.to_string());
            let n = r.len(w)?;
            let mut body = (&mut r.src).take(n);
            w.stream(&mut body, &member, r.name, *index, depth, f)?;
            if body.limit() != 0 {
                return Err(w.err(r.name, "the NAR ends inside a file"));
            }
            r.pad(w, n)?;
            r.expect(w, ")")?;
        }
        "symlink" => {
            r.expect(w, "target")?;
            f.insert("type".into(), "symlink".into());
            f.insert("link".into(), r.string(w)?);
            w.stream(&mut io::empty(), &member, r.name, *index, depth, f)?;
            r.expect(w, ")")?;
        }
        "directory" => {
            f.insert("type".into(), "dir".into());
            w.stream(&mut io::empty(), &member, r.name, *index, depth, f)?;
            loop {
                match r.string(w)?.as_str() {
                    ")" => break,
                    "entry" => {
                        r.expect(w, "(")?;
                        r.expect(w, "name")?;
                        let entry = r.string(w)?;
                        r.expect(w, "node")?;
                        *index += 1;
                        nar_node(w, r, &format!("{path}/{entry}"), index, depth, level + 1)?;
                        r.expect(w, ")")?;
                    }
                    other => return Err(w.err(r.name, format!("unexpected NAR field {other:?}"))),
                }
            }
        }
        other => return Err(w.err(r.name, format!("unknown NAR node type {other:?}"))),
    }
    *index += 1;
    Ok(())
}

/// A zip archive (jar, wheel): per entry its DOS and extended times, external attributes,
/// compression method and comment, and the archive's comment.
pub(super) fn zip<R: Read + Seek>(
    w: &mut Walker<'_>,
    r: R,
    name: &str,
    slot: usize,
    depth: usize,
) -> Result<(), Error> {
    let mut z = zip::ZipArchive::new(r).map_err(|e| w.err(name, e))?;
    if !z.comment().is_empty() {
        let c = String::from_utf8_lossy(z.comment()).into_owned();
        w.out.members[slot].fields.insert("zip comment".into(), c);
    }
    for i in 0..z.len() {
        w.count(name)?;
        let raw = z.by_index_raw(i).map_err(|e| w.err(name, e))?;
        let entry = String::from_utf8_lossy(raw.name_raw()).into_owned();
        let mut f = Fields::new();
        if let Some(t) = raw.last_modified() {
            f.insert(
                "dos time".into(),
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                ),
            );
        }
        for field in raw.extra_data_fields() {
            if let zip::ExtraField::ExtendedTimestamp(ts) = field
                && let Some(t) = ts.mod_time()
            {
                f.insert("extended mtime".into(), epoch(u64::from(t)));
            }
        }
        f.insert(
            "external attributes".into(),
            format!("{:#010x}", raw.external_attributes()),
        );
        if let Some(mode) = raw.unix_mode() {
            f.insert("mode".into(), format!("{:04o}", mode & 0o7777));
        }
        f.insert("method".into(), format!("{:?}", raw.compression()));
        if !raw.comment().is_empty() {
            f.insert("comment".into(), raw.comment().to_string());
        }
        let compressed = raw.compressed_size();
        drop(raw);
        let member = format!("{name}!{entry}");
        // A method this build cannot decompress: compare the stored bytes.
        let readable = z.by_index(i).is_ok();
        let mut file = if readable {
            z.by_index(i)
        } else {
            z.by_index_raw(i)
        }
        .map_err(|e| w.err(name, e))?;
        let mut bounded = Bounded {
            inner: &mut file,
            input: Rc::new(Cell::new(compressed.max(1))),
            output: 0,
            total: w.expanded.clone(),
            limits: w.limits,
        };
        w.stream(&mut bounded, &member, name, i, depth, f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_past_year_9999_is_seconds_only() {
        assert_eq!(epoch(0), "0 (1970-01-01T00:00:00Z)");
        assert_eq!(
            epoch(253_402_300_799),
            "253402300799 (9999-12-31T23:59:59Z)"
        );
        // Found by the archive fuzz target: an ar member dated in the year 36812 panicked.
        assert_eq!(epoch(1 << 40), "1099511627776");
        assert_eq!(epoch(u64::MAX), u64::MAX.to_string());
    }
}
