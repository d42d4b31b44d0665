//! Comparing two versions of a container member by member: which members differ, in which
//! recorded fields (times, owners, modes, compression…) and contents, and why — each cause with
//! the fix that format needs, said once for all the members it explains.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::cause::{Cause, CauseKind, clip, list};
use super::{diagnose, letter, regions, text};
use crate::Error;
use crate::container::{self, Format, Limits, Listing, Member};
use crate::input::Content;

/// Members listed in full per file; the rest are counted.
pub const MAX_MEMBERS: usize = 200;

/// One member that differs between two builds.
#[derive(Debug, Clone, Serialize)]
pub struct MemberDiff {
    /// Its full name, levels joined by `!`.
    pub name: String,
    /// The two builds compared.
    pub builds: [usize; 2],
    /// `differs`, `missing in B` or `only in B`.
    pub change: String,
    /// Recorded fields that differ.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDiff>,
    /// Whether the bytes differ.
    pub content_differs: bool,
    /// A short line diff, for text members.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub line_diff: Vec<String>,
}

/// One recorded field of a member, in both builds.
#[derive(Debug, Clone, Serialize)]
pub struct FieldDiff {
    /// The field, e.g. `mtime`, `uid`, `gzip mtime`.
    pub field: String,
    /// Its value in the first build (None: absent).
    pub a: Option<String>,
    /// Its value in the second build.
    pub b: Option<String>,
}

/// What comparing two containers found.
pub struct Found {
    /// Differing members.
    pub members: Vec<MemberDiff>,
    /// Causes, one per kind and fix.
    pub causes: Vec<Cause>,
    /// Limits met.
    pub notes: Vec<String>,
    /// Members compared in all.
    pub total: usize,
}

const CONTENT_HINT: &str = "the member's own contents differ (evidence: the first differing lines or strings): compare the inputs and steps that produce it";

/// A cause found for one member, before the members are summed up.
struct Finding {
    kind: CauseKind,
    hint: String,
    /// What differs, e.g. `mtime 1700000000 (…) vs 1600000000 (…)`.
    what: String,
    member: String,
}

/// Compare `a` and `b` (the file called `name`) member by member; `None` when either is not a
/// container.
pub fn compare(
    a: &Content,
    b: &Content,
    name: &str,
    builds: [usize; 2],
) -> Result<Option<Found>, Error> {
    let limits = Limits::default();
    // An uncompressed top-level container (tar, ar, an OCI layout) is listed one level deep
    // first, which only hashes its members. When some of them are containers, those that are
    // the same bytes in both builds are not unpacked (an unchanged image layer is never
    // decompressed) and the rest are listed in full; otherwise the first listing is the whole.
    let shallow = matches!(
        container::detect_content(a, name),
        Some(Format::Tar | Format::Ar | Format::Layout)
    );
    let first = if shallow {
        Limits { depth: 1, ..limits }
    } else {
        limits
    };
    let Some(mut la) = container::list(a, name, first, &|_, _| false, &container::every)? else {
        return Ok(None);
    };
    let Some(mut lb) = list_b(b, name, first, &la, &[], &container::every)? else {
        return Ok(None);
    };
    let relist = shallow && (la.cut || lb.cut);
    let same = if relist {
        identical_members(&la, &lb, builds)
    } else {
        Default::default()
    };
    let descend_a = |n: &str| !same.0.contains(n);
    let descend_b = |n: &str| !same.1.contains(n);
    if relist {
        la = container::list(a, name, limits, &|_, _| false, &descend_a)?.unwrap_or(la);
        lb = list_b(b, name, limits, &la, &[], &descend_b)?.unwrap_or(lb);
    }
    let (moved, renames) = pair_layers(&la, &lb, builds);
    if !renames.is_empty() {
        // B's members were kept by their names before pairing: list B again, keeping the bytes
        // of the members that differ from the A layers they pair with.
        lb = list_b(b, name, limits, &la, &renames, &descend_b)?.unwrap_or(lb);
        for m in &mut lb.members {
            m.name = renamed(&renames, &m.name);
            m.parent = renamed(&renames, &m.parent);
        }
    }
    let held: HashSet<&str> = (lb.members.iter())
        .filter(|m| m.data.is_some())
        .map(|m| m.name.as_str())
        .collect();
    // A second pass over A keeps the bytes of exactly the members B kept.
    let la = if held.is_empty() {
        la
    } else {
        container::list(a, name, limits, &|n, _| held.contains(n), &descend_a)?.unwrap_or(la)
    };
    let mut found = diff(&la, &lb, name, builds)?;
    if let Some(cause) = moved {
        // First of its kind: it explains the layers added or removed.
        found.causes.insert(0, cause);
        found.causes.sort_by_key(|c| c.kind);
    }
    Ok(Some(found))
}

/// List B, keeping the bytes of the members that differ from the A members they pair with
/// (named as in A after `renames`).
fn list_b(
    b: &Content,
    name: &str,
    limits: Limits,
    la: &Listing,
    renames: &[(String, String)],
    descend: container::Descend<'_>,
) -> Result<Option<Listing>, Error> {
    let by_name_a: HashMap<&str, &str> = (la.members.iter())
        .map(|m| (m.name.as_str(), m.sha256.as_str()))
        .collect();
    let hold = |n: &str, sha: &str| {
        let n = renamed(renames, n);
        by_name_a.get(n.as_str()).is_some_and(|a| *a != sha)
    };
    container::list(b, name, limits, &hold, descend)
}

/// The top-level members that are the same bytes in both builds, by their names in A and in B
/// (image layers paired as [`pair_layers`] pairs them), from listings one level deep.
fn identical_members(
    la: &Listing,
    lb: &Listing,
    builds: [usize; 2],
) -> (HashSet<String>, HashSet<String>) {
    let (_, renames) = pair_layers(la, lb, builds);
    let in_a: HashMap<&str, &str> = (la.members.iter().skip(1))
        .map(|m| (m.name.as_str(), m.sha256.as_str()))
        .collect();
    let mut same = (HashSet::new(), HashSet::new());
    for m in lb.members.iter().skip(1) {
        let paired = renamed(&renames, &m.name);
        if in_a.get(paired.as_str()) == Some(&m.sha256.as_str()) {
            same.0.insert(paired);
            same.1.insert(m.name.clone());
        }
    }
    same
}

/// Pair the image layers of `la` and `lb` by position and `diff_id`: a layer pairs with the one
/// at its position when their `diff_id`s agree, else with the layer that has its `diff_id`
/// (never by blob name), else by position among the rest. `lb`'s layers are renamed after the
/// layers of `la` they pair with (the renames returned); a cause says where position and
/// `diff_id` disagree.
fn pair_layers(
    la: &Listing,
    lb: &Listing,
    builds: [usize; 2],
) -> (Option<Cause>, Vec<(String, String)>) {
    let (a, b) = (&la.layers, &lb.layers);
    if a.is_empty() || b.is_empty() {
        return (None, Vec::new());
    }
    let mut of_b: Vec<Option<usize>> = vec![None; b.len()];
    let mut taken = vec![false; a.len()];
    let same = |i: usize, j: usize| a[i].1.is_some() && a[i].1 == b[j].1;
    for i in 0..a.len().min(b.len()) {
        if same(i, i) {
            (of_b[i], taken[i]) = (Some(i), true);
        }
    }
    let mut moved = Vec::new();
    for (i, done) in taken.iter_mut().enumerate() {
        if *done {
            continue;
        }
        if let Some(j) = (0..b.len()).find(|&j| of_b[j].is_none() && same(i, j)) {
            (of_b[j], *done) = (Some(i), true);
            moved.push((i, j));
        }
    }
    for i in 0..a.len().min(b.len()) {
        if !taken[i] && of_b[i].is_none() {
            (of_b[i], taken[i]) = (Some(i), true);
        }
    }
    let (an, bn) = (letter(builds[0]), letter(builds[1]));
    let renames: Vec<(String, String)> = (b.iter().zip(&of_b))
        .map(|((name, _), pair)| {
            let new = match pair {
                Some(i) => a[*i].0.clone(),
                None => format!("{name} ({bn})"),
            };
            (name.clone(), new)
        })
        .filter(|(old, new)| old != new)
        .collect();
    if moved.is_empty() {
        return (None, renames);
    }
    let layer = |n: &str| n.rsplit('!').next().unwrap_or(n).to_string();
    let (i, j) = moved[0];
    let digest = a[i].1.as_deref().unwrap_or_default();
    let mut evidence = format!(
        "{an}'s {} is {bn}'s {} (diff_id {})",
        layer(&a[i].0),
        layer(&b[j].0),
        clip(digest, 19)
    );
    if moved.len() > 1 {
        evidence.push_str(&format!(" and {} more layers moved", moved.len() - 1));
    }
    let all_by_id = (0..b.len()).all(|j| of_b[j].is_some_and(|i| same(i, j)));
    let kind = if a.len() == b.len() && all_by_id {
        CauseKind::Ordering
    } else {
        CauseKind::Layout
    };
    let cause = Cause {
        kind,
        evidence,
        hint: "the image's layers pair by diff_id at other positions: layers were reordered, added or removed; compare the build steps that make them (Dockerfile, the image's layer list)".into(),
        sections: moved.iter().map(|&(i, _)| a[i].0.clone()).collect(),
        builds,
    };
    (Some(cause), renames)
}

fn diff(la: &Listing, lb: &Listing, top: &str, builds: [usize; 2]) -> Result<Found, Error> {
    let (an, bn) = (letter(builds[0]), letter(builds[1]));
    let map = |l: &'_ Listing| -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for (i, x) in l.members.iter().enumerate() {
            m.entry(x.name.clone()).or_insert(i);
        }
        m
    };
    let (ma, mb) = (map(la), map(lb));
    let mut members = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut content_causes: Vec<(String, Cause)> = Vec::new();
    let mut notes: Vec<String> = la.notes.iter().chain(&lb.notes).cloned().collect();
    notes.dedup();
    let mut only_a = Vec::new();
    let mut only_b = Vec::new();
    for (i, x) in la.members.iter().enumerate() {
        if ma.get(&x.name) != Some(&i) {
            continue; // a repeated name: the first is compared
        }
        let Some(&j) = mb.get(&x.name) else {
            only_a.push(x.name.clone());
            continue;
        };
        let y = &lb.members[j];
        let fields = field_diffs(x, y);
        let content = x.sha256 != y.sha256;
        if fields.is_empty() && !content {
            continue;
        }
        let parent_kind = parent_kind(la, x);
        for f in &fields {
            findings.push(classify(top, x, &parent_kind, f));
        }
        let mut line_diff = Vec::new();
        if content && !x.container {
            if is_image_metadata(&x.name) {
                // index and manifest digests follow from the config and layers.
            } else if x.name.ends_with(SYMBOL_TABLE)
                && let (Some(da), Some(db)) = (&x.data, &y.data)
            {
                let parent_moved = reordered(la, lb).iter().any(|(p, _, _)| *p == x.parent);
                findings.extend(symbol_table_diff(&x.name, da, db, parent_moved));
            } else if x.name.ends_with("!config")
                && let (Some(da), Some(db)) = (&x.data, &y.data)
            {
                findings.extend(config_diff(&x.name, da, db));
            } else if let (Some(da), Some(db)) = (&x.data, &y.data) {
                let (causes, lines) = content_analysis(&x.name, da, db, builds, &mut notes)?;
                if causes.is_empty() {
                    findings.push(Finding {
                        kind: CauseKind::Code,
                        hint: CONTENT_HINT.to_string(),
                        what: strings_sample(da, db, &lines),
                        member: x.name.clone(),
                    });
                }
                content_causes.extend(causes.into_iter().map(|c| (x.name.clone(), c)));
                line_diff = lines;
            } else {
                findings.push(Finding {
                    kind: CauseKind::Code,
                    hint: CauseKind::Code.hint().to_string(),
                    what: format!(
                        "contents differ ({} vs {} bytes; too large to hold, compared by digest)",
                        x.size, y.size
                    ),
                    member: x.name.clone(),
                });
            }
        } else if content && x.container && x.content.is_some() && x.content == y.content {
            // Same decompressed bytes: a header field (gzip MTIME) or the compressor explains it.
            let header = fields.iter().any(|f| f.field.starts_with("gzip"));
            if !header {
                findings.push(Finding {
                    kind: CauseKind::Compression,
                    hint: compression_hint(&x.kind),
                    what: format!(
                        "the same {} content compressed differently ({} vs {} bytes)",
                        x.kind, x.size, y.size
                    ),
                    member: x.name.clone(),
                });
            }
        }
        // A container whose bytes differ only because its members do is shown by them.
        let shown_by_members =
            x.container && fields.is_empty() && (x.content.is_none() || x.content != y.content);
        if members.len() < MAX_MEMBERS && !shown_by_members {
            members.push(MemberDiff {
                name: x.name.clone(),
                builds,
                change: "differs".into(),
                fields,
                content_differs: content,
                line_diff,
            });
        }
    }
    for y in &lb.members {
        if !ma.contains_key(&y.name) && !only_b.contains(&y.name) {
            only_b.push(y.name.clone());
        }
    }
    for (names, change) in [
        (&only_a, format!("missing in {bn}")),
        (&only_b, format!("only in {bn}")),
    ] {
        for n in names.iter().take(MAX_MEMBERS.saturating_sub(members.len())) {
            members.push(MemberDiff {
                name: n.clone(),
                builds,
                change: change.clone(),
                fields: Vec::new(),
                content_differs: true,
                line_diff: Vec::new(),
            });
        }
    }
    let mut out: Vec<Cause> = Vec::new();
    let cause = |kind: CauseKind, evidence: String, hint: String, sections: Vec<String>| Cause {
        kind,
        evidence,
        hint,
        sections,
        builds,
    };
    if !only_a.is_empty() || !only_b.is_empty() {
        let mut parts = Vec::new();
        if !only_a.is_empty() {
            parts.push(format!("only {an} has {}", list(&only_a, 3)));
        }
        if !only_b.is_empty() {
            parts.push(format!("only {bn} has {}", list(&only_b, 3)));
        }
        let sections = only_a.iter().chain(&only_b).take(50).cloned().collect();
        let index_only = only_a
            .iter()
            .chain(&only_b)
            .all(|n| n.ends_with(SYMBOL_TABLE));
        let hint = if index_only {
            "one build indexes the archive and the other does not: run ar s (or ranlib) the same way on every build"
        } else {
            "members were added or removed: compare the inputs and the packing step's file list"
        };
        out.push(cause(
            CauseKind::Layout,
            parts.join("; "),
            hint.into(),
            sections,
        ));
    }
    for (parent, kind, example) in reordered(la, lb) {
        out.push(cause(
            CauseKind::Ordering,
            format!("{parent} holds its members in another order, e.g. {example}"),
            ordering_hint(&kind),
            vec![parent.clone()],
        ));
    }
    // One cause per kind and fix, for all the members it explains.
    let mut grouped: Vec<(CauseKind, String, Vec<&Finding>)> = Vec::new();
    for f in &findings {
        match grouped
            .iter_mut()
            .find(|(k, h, _)| *k == f.kind && *h == f.hint)
        {
            Some((_, _, v)) => v.push(f),
            None => grouped.push((f.kind, f.hint.clone(), vec![f])),
        }
    }
    for (kind, hint, v) in grouped {
        let mut names: Vec<String> = v.iter().map(|f| f.member.clone()).collect();
        names.dedup();
        let evidence = if names.len() == 1 {
            format!("{}: {}", short(&names[0]), v[0].what)
        } else {
            format!(
                "{} members, e.g. {}: {}",
                names.len(),
                short(&names[0]),
                v[0].what
            )
        };
        names.truncate(50);
        out.push(cause(kind, evidence, hint, names));
    }
    type Named = Vec<(String, Cause)>;
    let mut grouped: Vec<(CauseKind, String, Named)> = Vec::new();
    for (m, c) in content_causes {
        match grouped
            .iter_mut()
            .find(|(k, h, _)| *k == c.kind && *h == c.hint)
        {
            Some((_, _, v)) => v.push((m, c)),
            None => grouped.push((c.kind, c.hint.clone(), vec![(m, c)])),
        }
    }
    for (kind, hint, v) in grouped {
        let n = v.len();
        let (m, c) = &v[0];
        let more = if n > 1 {
            format!(" (and {} more members)", n - 1)
        } else {
            String::new()
        };
        let names = v.iter().take(50).map(|(m, _)| m.clone()).collect();
        out.push(cause(
            kind,
            format!("{}: {}{more}", short(m), c.evidence),
            hint,
            names,
        ));
    }
    out.sort_by_key(|c| c.kind);
    // Addresses that moved with an explained cause are not a cause of their own.
    if out.iter().any(|c| c.kind < CauseKind::Layout) {
        out.retain(|c| {
            !(c.kind == CauseKind::Layout && c.evidence.contains("likely addresses shifted"))
        });
    }
    let total = la.members.len().max(lb.members.len());
    Ok(Found {
        members,
        causes: out,
        notes,
        total,
    })
}

/// A member name without the outer file's name, for evidence (`data.tar.xz!./usr/bin/app`).
fn short(name: &str) -> &str {
    name.split_once('!').map_or(name, |(_, rest)| rest)
}

fn field_diffs(x: &Member, y: &Member) -> Vec<FieldDiff> {
    let keys: std::collections::BTreeSet<&String> =
        x.fields.keys().chain(y.fields.keys()).collect();
    keys.into_iter()
        .filter(|k| x.fields.get(*k) != y.fields.get(*k))
        .map(|k| FieldDiff {
            field: k.clone(),
            a: x.fields.get(k).cloned(),
            b: y.fields.get(k).cloned(),
        })
        .collect()
}

fn parent_kind(l: &Listing, m: &Member) -> String {
    l.get(&m.parent).map(|p| p.kind.clone()).unwrap_or_default()
}

fn is_image_metadata(name: &str) -> bool {
    let last = name.rsplit('!').next().unwrap_or(name);
    last == "manifest"
        || last.starts_with("index ")
        || last.ends_with(" manifest")
        || last == "index.json"
        || last == "manifest.json"
}

/// The cause one differing field points to, with the fix its format needs.
fn classify(top: &str, m: &Member, parent: &str, f: &FieldDiff) -> Finding {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    let what = format!(
        "{} {} vs {}",
        f.field,
        clip(&show(&f.a), 60),
        clip(&show(&f.b), 60)
    );
    let deb = top.ends_with(".deb") && m.parent == top;
    let (kind, hint): (CauseKind, String) = match f.field.as_str() {
        "gzip mtime" | "gzip name" => (
            CauseKind::Timestamp,
            "gzip records the input's name and time: gzip -n (or GZIP=-n, pigz -n; tar's --use-compress-program='gzip -n')".into(),
        ),
        "gzip level flag" | "gzip os" | "method" => (CauseKind::Compression, compression_hint(parent)),
        "pyc source mtime" | "pyc invalidation" | "pyc source hash" => (
            CauseKind::Timestamp,
            "the .pyc header records the source file's mtime: compile with SOURCE_DATE_EPOCH set, or python -m compileall --invalidation-mode checked-hash (py_compile.PycInvalidationMode.CHECKED_HASH)".into(),
        ),
        "pyc source size" => (CauseKind::Code, "the source files differ in size: compare the sources".into()),
        "mtime" | "dos time" | "extended mtime" | "pax mtime" | "pax atime" | "pax ctime" => {
            (CauseKind::Timestamp, time_hint(parent, deb))
        }
        "uid" | "gid" | "uname" | "gname" | "pax uid" | "pax gid" | "pax uname" | "pax gname" => {
            let hint = if parent.contains("ar") && !parent.contains("tar") {
                "ar records the builder's uid and gid: ar D (deterministic mode: zero owner, date and mode)".into()
            } else {
                CauseKind::Ownership.hint().to_string()
            };
            (CauseKind::Ownership, hint)
        }
        "mode" | "external attributes" | "executable" => {
            let hint = if parent.contains("zip") {
                "zip records each file's permission bits: set umask 022 (or chmod the inputs) before zipping, or strip-nondeterminism".into()
            } else {
                CauseKind::Permissions.hint().to_string()
            };
            (CauseKind::Permissions, hint)
        }
        "zip comment" | "comment" => (
            CauseKind::VersionInfo,
            "the zip comment differs: drop it (zip -z) or write the same one on every build".into(),
        ),
        _ => (
            CauseKind::Layout,
            format!("the {} field {} differs: compare how the archive is packed", parent, f.field),
        ),
    };
    Finding {
        kind,
        hint,
        what,
        member: m.name.clone(),
    }
}

fn time_hint(parent: &str, deb: bool) -> String {
    if deb {
        return "dpkg-deb dates the .deb's members at SOURCE_DATE_EPOCH: export SOURCE_DATE_EPOCH (dpkg-buildpackage does it from debian/changelog)".into();
    }
    if parent.contains("tar") {
        "tar records each file's mtime: tar --mtime=@$SOURCE_DATE_EPOCH --clamp-mtime (GNU tar), or touch the files to $SOURCE_DATE_EPOCH first".into()
    } else if parent.contains("zip") {
        "zip records each file's time: touch the inputs to $SOURCE_DATE_EPOCH and zip -X, or strip-nondeterminism; jar --date=$(date -u -d @$SOURCE_DATE_EPOCH +%FT%TZ); Python zipfile: ZipInfo with a fixed date_time".into()
    } else if parent.contains("ar") {
        "ar records each member's date: ar D (deterministic mode; also ranlib -D), the default of binutils built with --enable-deterministic-archives".into()
    } else {
        CauseKind::Timestamp.hint().to_string()
    }
}

fn compression_hint(kind: &str) -> String {
    let k = kind.split('+').next().unwrap_or(kind);
    match k {
        "gzip" => "the same content, compressed differently: use the same gzip (or pigz) and level, with -n, on every builder".into(),
        "xz" => "the same content, compressed differently: use the same xz version, preset and thread count (xz -T1, or a fixed -T: blocks depend on it)".into(),
        "zstd" => "the same content, compressed differently: use the same zstd version, level and --threads on every builder".into(),
        "zip" => "entries are stored with other compression methods or levels: use the same zip tool and level (zip -X -9, jar, Python zipfile with one compression) on every builder".into(),
        _ => CauseKind::Compression.hint().to_string(),
    }
}

fn ordering_hint(kind: &str) -> String {
    if kind.contains("tar") {
        "tar adds files in directory order: tar --sort=name (GNU tar ≥ 1.28), or give it a sorted list (find . -print0 | LC_ALL=C sort -z | tar --null -T -)".into()
    } else if kind.contains("zip") {
        "zip adds files in the order given: pass a sorted list (find . | LC_ALL=C sort | zip -X -@ out.zip)".into()
    } else if kind.contains("ar") {
        "ar adds members in the order given: pass the objects sorted (LC_ALL=C sort)".into()
    } else {
        "members come in another order: sort the inputs (LC_ALL=C sort) before packing".into()
    }
}

/// Containers (present in both) whose common members come in another order.
fn reordered(la: &Listing, lb: &Listing) -> Vec<(String, String, String)> {
    let (ca, cb) = (children(la), children(lb));
    let mut out = Vec::new();
    for (parent, va) in &ca {
        let Some(vb) = cb.get(parent) else { continue };
        // Image blobs are stored in digest order, which is no choice of the build.
        let image = va.iter().any(|n| {
            let last = n.rsplit('!').next().unwrap_or(n);
            last == "config" || last.starts_with("layer ")
        });
        if image {
            continue;
        }
        let sb: HashSet<&str> = vb.iter().copied().collect();
        let sa: HashSet<&str> = va.iter().copied().collect();
        let oa: Vec<&str> = va.iter().copied().filter(|n| sb.contains(n)).collect();
        let ob: Vec<&str> = vb.iter().copied().filter(|n| sa.contains(n)).collect();
        if oa != ob
            && let Some(k) = oa.iter().zip(&ob).position(|(x, y)| x != y)
        {
            let kind = la.get(parent).map(|p| p.kind.clone()).unwrap_or_default();
            let example = format!("{} before {}", short(oa[k]), short(ob[k]));
            out.push((parent.to_string(), kind, example));
        }
    }
    out
}

fn children(l: &Listing) -> BTreeMap<&str, Vec<&str>> {
    let mut m: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for x in &l.members {
        if !x.parent.is_empty() {
            m.entry(x.parent.as_str())
                .or_default()
                .push(x.name.as_str());
        }
    }
    m
}

/// `n` with the layer it is in renamed as `renames` says (`x!layer 3!f` → `x!layer 2!f`).
fn renamed(renames: &[(String, String)], n: &str) -> String {
    (renames.iter())
        .find(|(old, _)| {
            n.strip_prefix(old.as_str())
                .is_some_and(|r| r.is_empty() || r.starts_with('!'))
        })
        .map_or_else(
            || n.to_string(),
            |(old, new)| format!("{new}{}", &n[old.len()..]),
        )
}

/// The name an ar archive's symbol table is listed under.
const SYMBOL_TABLE: &str = "!(symbol table)";

/// Two ar symbol tables (one symbol a line): the same symbols in another order, or other symbols.
/// An order that follows from the members' own order is said by that ordering cause.
fn symbol_table_diff(member: &str, a: &[u8], b: &[u8], parent_moved: bool) -> Vec<Finding> {
    let lines = |d: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(d)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let (la, lb) = (lines(a), lines(b));
    let (mut sa, mut sb) = (la.clone(), lb.clone());
    sa.sort();
    sb.sort();
    if sa == sb {
        if parent_moved {
            return Vec::new();
        }
        let k = la.iter().zip(&lb).position(|(x, y)| x != y).unwrap_or(0);
        return vec![Finding {
            kind: CauseKind::Ordering,
            hint: "the symbol table lists the same symbols in another order: build it the same way (one ar/ranlib, objects in a sorted order)".into(),
            what: format!("symbol table has {} before {}", clip(&la[k], 40), clip(&lb[k], 40)),
            member: member.to_string(),
        }];
    }
    let set = |v: &[String]| v.iter().cloned().collect::<HashSet<String>>();
    let (ha, hb) = (set(&la), set(&lb));
    let only = |x: &HashSet<String>, y: &HashSet<String>| -> Vec<String> {
        let mut v: Vec<String> = x.difference(y).cloned().collect();
        v.sort();
        v
    };
    let (oa, ob) = (only(&ha, &hb), only(&hb, &ha));
    let show = |v: &[String]| {
        if v.is_empty() {
            "(none)".to_string()
        } else {
            list(v, 3)
        }
    };
    vec![Finding {
        kind: CauseKind::Layout,
        hint: "the archive's objects define other symbols: see the members that differ".into(),
        what: format!("symbols only in one build: {} vs {}", show(&oa), show(&ob)),
        member: member.to_string(),
    }]
}

/// What differs inside an image config: its `created` time and history, mostly.
fn config_diff(member: &str, a: &[u8], b: &[u8]) -> Vec<Finding> {
    let (Ok(va), Ok(vb)) = (
        serde_json::from_slice::<serde_json::Value>(a),
        serde_json::from_slice::<serde_json::Value>(b),
    ) else {
        return Vec::new();
    };
    let mut leaves_a = BTreeMap::new();
    let mut leaves_b = BTreeMap::new();
    flatten(&va, String::new(), &mut leaves_a);
    flatten(&vb, String::new(), &mut leaves_b);
    let keys: std::collections::BTreeSet<&String> =
        leaves_a.keys().chain(leaves_b.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let (x, y) = (leaves_a.get(k), leaves_b.get(k));
        if x == y {
            continue;
        }
        let show = |v: Option<&String>| v.map_or("(none)".to_string(), |s| clip(s, 40));
        let what = format!("config {k} {} vs {}", show(x), show(y));
        // An entry only one side has (a history step added) is no time difference.
        let (kind, hint) = if k.contains("created")
            && !k.contains("created_by")
            && x.is_some()
            && y.is_some()
        {
            (
                CauseKind::Timestamp,
                "the image config records when it was made: set it from SOURCE_DATE_EPOCH (buildah/podman --timestamp, docker buildx with SOURCE_DATE_EPOCH and rewrite-timestamp=true, Nix dockerTools created = \"1970-01-01T00:00:01Z\")".to_string(),
            )
        } else if k.contains("diff_ids") {
            continue; // follows from the layers, which are compared themselves
        } else if k.to_lowercase().contains("hostname") || k.contains("author") {
            (CauseKind::HostInfo, CauseKind::HostInfo.hint().to_string())
        } else {
            (
                CauseKind::Layout,
                "the image configs differ: compare the build's settings (env, labels, entrypoint, history)".to_string(),
            )
        };
        out.push(Finding {
            kind,
            hint,
            what,
            member: member.to_string(),
        });
    }
    out
}

fn flatten(v: &serde_json::Value, at: String, out: &mut BTreeMap<String, String>) {
    if out.len() > 500 {
        return;
    }
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let key = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                flatten(x, key, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(x, format!("{at}[{i}]"), out);
            }
        }
        other => {
            out.insert(at, other.to_string());
        }
    }
}

/// Explain two versions of a member the way files are explained (sections, strings, paths,
/// times, toolchains), from the bytes held in memory.
fn content_analysis(
    name: &str,
    a: &[u8],
    b: &[u8],
    builds: [usize; 2],
    notes: &mut Vec<String>,
) -> Result<(Vec<Cause>, Vec<String>), Error> {
    let memory = |bytes: &[u8]| Content::Memory {
        name: name.into(),
        bytes: bytes.into(),
    };
    let (ca, cb) = (memory(a), memory(b));
    let (fa, fb) = (regions::read(&ca)?, regions::read(&cb)?);
    let side = |path, facts, build| diagnose::Side { path, facts, build };
    let found = diagnose::causes(
        &side(ca.path(), &fa, builds[0]),
        &side(cb.path(), &fb, builds[1]),
        notes,
    )?;
    let lines = if fa.is_elf {
        Vec::new()
    } else {
        text::line_diff(&ca, &cb)?
    };
    Ok((found, lines))
}

/// The first differing lines or strings, as evidence when no cause fits.
pub fn strings_sample(a: &[u8], b: &[u8], lines: &[String]) -> String {
    let minus = lines.iter().find(|l| l.starts_with('-'));
    let plus = lines.iter().find(|l| l.starts_with('+'));
    if let (Some(x), Some(y)) = (minus, plus) {
        return format!("{:?} vs {:?}", clip(&x[1..], 50), clip(&y[1..], 50));
    }
    let words = |s: &[u8]| -> Vec<String> {
        s.split(|c| !(0x20..0x7f).contains(c))
            .filter(|w| w.len() >= 4)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect()
    };
    let (wa, wb) = (words(a), words(b));
    let sb: HashSet<&String> = wb.iter().collect();
    let sa: HashSet<&String> = wa.iter().collect();
    match (
        wa.iter().find(|w| !sb.contains(w)),
        wb.iter().find(|w| !sa.contains(w)),
    ) {
        (Some(x), Some(y)) => format!("strings {:?} vs {:?}", clip(x, 50), clip(y, 50)),
        _ => {
            let at = a
                .iter()
                .zip(b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            format!(
                "bytes differ from offset {at} ({} vs {} bytes)",
                a.len(),
                b.len()
            )
        }
    }
}
