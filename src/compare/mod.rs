//! Comparing builds: which files differ between two or more builds, how the builds group by
//! digest, and for each differing file, which sections differ and why.
//!
//! [`compare_paths`] is the library entry point; the `compare` command loads and compares with
//! [`manifest::load_counted`] and [`compare_counted`] to draw its bar. The result is plain data
//! ([`Comparison`]) that serialises to the documented JSON.

mod analyse;
mod cause;
mod diagnose;
mod isa;
mod members;
mod patterns;
mod regions;
mod strings;
mod text;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

pub use cause::{Cause, CauseKind};
pub use members::{FieldDiff, MemberDiff};

use crate::Error;
use crate::manifest::{self, Build, Origin};
use crate::progress::Counter;
pub use crate::snapshot::Change;
use crate::snapshot::{self, Name, Node};

/// The `schema` value of `compare --json` output.
pub const SCHEMA: &str = "repro-check.compare/v1";

/// The result of comparing builds.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// True when every build has the same files with the same contents, links and exec bits.
    pub identical: bool,
    /// The builds, in the order given (A, B, C…).
    pub builds: Vec<BuildInfo>,
    /// Builds grouped by digest, largest group first.
    pub groups: Vec<Group>,
    /// Every regular file, and every other path that differs, sorted by path.
    pub files: Vec<FileComparison>,
}

/// One build.
#[derive(Debug, Clone, Serialize)]
pub struct BuildInfo {
    /// The letter it is called by in reports: A, B, C…
    pub name: String,
    /// The path given.
    pub label: String,
    /// A file, a tree or a manifest.
    pub source: Origin,
    /// The build's digest: the file's SHA-256, or for a tree the SHA-256 of its listing.
    pub digest: String,
    /// How many regular files it has.
    pub files: usize,
}

/// Builds that share a digest.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The shared digest.
    pub digest: String,
    /// Indices into `builds`.
    pub builds: Vec<usize>,
    /// `all` when every build agrees; else `majority` for a group larger than all others and
    /// `outlier` for the rest, or `split` when no group is larger than every other.
    pub role: Standing,
}

/// A group's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    /// Every build is in this group.
    All,
    /// More builds than any other group.
    Majority,
    /// Disagrees with the majority.
    Outlier,
    /// No majority exists.
    Split,
}

/// One path of the builds.
#[derive(Debug, Clone, Serialize)]
pub struct FileComparison {
    /// Path relative to each build's root (a single file's name); its printed form
    /// ([`Name::json_text`]) when it is not UTF-8.
    pub path: String,
    /// The path's exact bytes in base64, only when it is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_base64: Option<String>,
    /// The path, exactly.
    #[serde(skip)]
    pub name: Name,
    /// True when every build has it, identically.
    pub identical: bool,
    /// SHA-256 per build (null where it is missing or not a regular file).
    pub digests: Vec<Option<String>>,
    /// How each build differs from the reference build (the first of the largest group).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<EntryChange>,
    /// Per-section sizes and digests, for ELF files that differ.
    pub sections: Vec<SectionRow>,
    /// Ranked causes of the difference.
    pub causes: Vec<Cause>,
    /// First differing byte offset, for files that are not ELF.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_difference: Option<u64>,
    /// A short line diff, for text files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub line_diff: Vec<String>,
    /// For containers (archives, compressed files, images): the members that differ.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberDiff>,
    /// For containers: how many members were compared (all levels).
    #[serde(skip_serializing_if = "is_zero")]
    pub members_compared: usize,
    /// Anything that limited the analysis.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How one build's entry differs from the reference build's.
#[derive(Debug, Clone, Serialize)]
pub struct EntryChange {
    /// What changed.
    pub kind: Change,
    /// The build (index into `builds`) that differs from the reference.
    pub build: usize,
    /// In words.
    pub detail: String,
}

/// One section across the builds.
#[derive(Debug, Clone, Serialize)]
pub struct SectionRow {
    /// Section name.
    pub name: String,
    /// True when every build has it with the same bytes.
    pub identical: bool,
    /// Size per build (null where absent or unknown).
    pub sizes: Vec<Option<u64>>,
    /// SHA-256 per build (null where absent, unknown or without bytes in the file).
    pub digests: Vec<Option<String>>,
}

/// The letter a build is called by: A, B, … Z, then 27, 28…
pub fn letter(i: usize) -> String {
    if i < 26 {
        char::from(b'A' + i as u8).to_string()
    } else {
        (i + 1).to_string()
    }
}

/// Load each path ([`manifest::load`]: a file, a tree or a manifest) and compare them.
pub fn compare_paths(paths: &[PathBuf]) -> Result<Comparison, Error> {
    let builds = paths
        .iter()
        .map(|p| manifest::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    compare(&builds)
}

/// Compare loaded builds.
pub fn compare(builds: &[Build]) -> Result<Comparison, Error> {
    compare_counted(builds, &Counter::default())
}

/// [`compare`], counting in `counter` the files (rows) found and each one as it is compared.
pub fn compare_counted(builds: &[Build], counter: &Counter) -> Result<Comparison, Error> {
    if builds.len() < 2 {
        return Err(Error::Usage(
            "compare needs at least two builds; name two or more files, trees or manifests".into(),
        ));
    }
    let single = builds.iter().filter(|b| b.single_file()).count();
    if single != 0 && single != builds.len() {
        let (file, tree) = (
            builds.iter().find(|b| b.single_file()),
            builds.iter().find(|b| !b.single_file()),
        );
        if let (Some(f), Some(t)) = (file, tree) {
            return Err(Error::Usage(format!(
                "{} is a single file but {} is a directory tree; compare files with files and trees with trees",
                f.label, t.label
            )));
        }
    }
    let digests: Vec<String> = builds.iter().map(Build::digest).collect();
    let groups = group(&digests);
    let reference = groups
        .first()
        .and_then(|g| g.builds.first())
        .copied()
        .unwrap_or(0);

    // Rows: name → node per build. Single files are matched whatever their names.
    let mut rows: BTreeMap<&Name, Vec<Option<&Node>>> = BTreeMap::new();
    let single_name = builds[reference].entries().keys().next();
    for (i, build) in builds.iter().enumerate() {
        for (name, node) in build.entries() {
            let key = match (build.single_file(), single_name) {
                (true, Some(first)) => first,
                _ => name,
            };
            rows.entry(key).or_insert_with(|| vec![None; builds.len()])[i] = Some(node);
        }
    }
    // The blobs of an OCI image layout directory are named by digest, so two builds' blobs never
    // share a name: the image is compared through its index.json, and its blobs are not rows.
    let layouts: Vec<Vec<u8>> = (rows.keys())
        .filter_map(|n| n.as_bytes().strip_suffix(b"oci-layout"))
        .filter(|p| p.is_empty() || p.ends_with(b"/"))
        .map(|p| [p, b"blobs/"].concat())
        .collect();
    rows.retain(|name, nodes| {
        all_equal(nodes) || !layouts.iter().any(|p| name.as_bytes().starts_with(p))
    });
    counter.found(rows.len() as u64, 0);
    let files = rows
        .into_par_iter()
        .filter_map(|(name, nodes)| {
            let wanted =
                nodes.iter().any(|n| matches!(n, Some(Node::File { .. }))) || !all_equal(&nodes);
            let report = wanted.then(|| file_report(builds, reference, name, &nodes));
            counter.done(0);
            report
        })
        .collect::<Result<Vec<_>, Error>>()?;

    let info = builds
        .iter()
        .zip(digests)
        .enumerate()
        .map(|(i, (b, digest))| BuildInfo {
            name: letter(i),
            label: b.label.clone(),
            source: b.source,
            digest,
            files: b.snapshot.files(),
        })
        .collect();
    Ok(Comparison {
        schema: SCHEMA,
        identical: groups.len() == 1,
        builds: info,
        groups,
        files,
    })
}

/// Builds grouped by digest ([`snapshot::group`]), with each group's standing.
fn group(digests: &[String]) -> Vec<Group> {
    let groups = snapshot::group(digests);
    let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
    let has_majority = sizes.len() > 1 && sizes[0] > sizes[1];
    groups
        .into_iter()
        .enumerate()
        .map(|(k, builds)| Group {
            digest: digests[builds[0]].clone(),
            builds,
            role: match (sizes.len(), has_majority, k) {
                (1, _, _) => Standing::All,
                (_, true, 0) => Standing::Majority,
                (_, true, _) => Standing::Outlier,
                _ => Standing::Split,
            },
        })
        .collect()
}

fn all_equal(nodes: &[Option<&Node>]) -> bool {
    nodes.windows(2).all(|w| w[0] == w[1])
}

fn file_report(
    builds: &[Build],
    reference: usize,
    name: &Name,
    nodes: &[Option<&Node>],
) -> Result<FileComparison, Error> {
    let digests: Vec<Option<String>> = nodes
        .iter()
        .map(|n| n.and_then(Node::sha256).map(str::to_string))
        .collect();
    // Sizes and other metadata are not compared: only what [`snapshot::changes`] names.
    let identical = nodes
        .iter()
        .all(|n| n.is_some() && snapshot::changes(nodes[0], *n).is_empty());
    let mut report = FileComparison {
        path: name.json_text().into_owned(),
        path_base64: name.base64(),
        name: name.clone(),
        identical,
        digests,
        changes: Vec::new(),
        sections: Vec::new(),
        causes: Vec::new(),
        first_difference: None,
        line_diff: Vec::new(),
        members: Vec::new(),
        members_compared: 0,
        notes: Vec::new(),
    };
    if identical {
        return Ok(report);
    }
    for (i, node) in nodes.iter().enumerate().filter(|(i, _)| *i != reference) {
        report
            .changes
            .extend(changes(nodes[reference], *node, i, reference));
    }
    analyse::analyse(builds, &mut report)?;
    Ok(report)
}

/// How build `build`'s entry differs from the reference build's ([`snapshot::changes`]), in
/// words.
fn changes(r: Option<&Node>, n: Option<&Node>, build: usize, reference: usize) -> Vec<EntryChange> {
    let (name, rname) = (letter(build), letter(reference));
    snapshot::changes(r, n)
        .into_iter()
        .map(|kind| {
            let detail = match (kind, r, n) {
                (Change::Missing, ..) => format!("missing in {name}"),
                (Change::Extra, _, Some(x)) => {
                    format!("{name} alone has this {}", x.kind_name())
                }
                (Change::Type, Some(x), Some(y)) => format!(
                    "a {} in {rname}, a {} in {name}",
                    x.kind_name(),
                    y.kind_name()
                ),
                (
                    Change::Target,
                    Some(Node::Symlink { target: a }),
                    Some(Node::Symlink { target: b }),
                ) => format!(
                    "links to {} in {rname}, to {} in {name}",
                    a.display(),
                    b.display()
                ),
                (
                    Change::Executable,
                    Some(Node::File { executable: xa, .. }),
                    Some(Node::File { executable: xb, .. }),
                ) => {
                    let mode = |x: &bool| if *x { "executable" } else { "not executable" };
                    format!("{} in {rname}, {} in {name}", mode(xa), mode(xb))
                }
                _ => format!("contents differ in {name}"),
            };
            EntryChange {
                kind,
                build,
                detail,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Snapshot;

    fn file(sha: &str, executable: bool) -> Node {
        Node::File {
            sha256: sha.repeat(64 / sha.len()),
            size: 1,
            executable,
        }
    }

    fn link(target: &str) -> Node {
        Node::Symlink {
            target: Name::from(target),
        }
    }

    /// A build known only by its listing (as from a manifest: no contents here).
    fn build(label: &str, single_file: bool, entries: Vec<(&str, Node)>) -> Build {
        Build {
            label: label.into(),
            source: Origin::Manifest,
            snapshot: Snapshot {
                single_file,
                entries: entries
                    .into_iter()
                    .map(|(n, node)| (Name::from(n), node))
                    .collect(),
                ..Snapshot::default()
            },
            local: None,
            memory: None,
        }
    }

    fn tree(label: &str, entries: Vec<(&str, Node)>) -> Build {
        build(label, false, entries)
    }

    fn roles(digests: &[&str]) -> Vec<(Vec<usize>, Standing)> {
        let digests: Vec<String> = digests.iter().map(|d| d.to_string()).collect();
        group(&digests)
            .into_iter()
            .map(|g| (g.builds, g.role))
            .collect()
    }

    #[test]
    fn groups_have_a_standing() {
        assert_eq!(roles(&["a", "a"]), [(vec![0, 1], Standing::All)]);
        assert_eq!(
            roles(&["b", "a", "a"]),
            [
                (vec![1, 2], Standing::Majority),
                (vec![0], Standing::Outlier)
            ]
        );
        assert_eq!(
            roles(&["a", "b"]),
            [(vec![0], Standing::Split), (vec![1], Standing::Split)]
        );
        // Two groups of two: no majority, whatever the third one.
        assert_eq!(
            roles(&["a", "b", "a", "b", "c"]),
            [
                (vec![0, 2], Standing::Split),
                (vec![1, 3], Standing::Split),
                (vec![4], Standing::Split)
            ]
        );
        assert_eq!([letter(0), letter(25), letter(26)], ["A", "Z", "27"]);
    }

    #[test]
    fn fewer_than_two_builds_or_files_with_trees_are_refused() {
        let one = compare(&[tree("t", vec![])]).unwrap_err().to_string();
        assert!(one.contains("needs at least two builds"), "{one}");
        let mixed = compare(&[
            tree("dir", vec![]),
            build("prog", true, vec![("prog", file("1", false))]),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            mixed.contains("prog is a single file but dir is a directory tree"),
            "{mixed}"
        );
    }

    #[test]
    fn rows_say_how_each_build_differs_from_the_majority() {
        let same = vec![
            ("bin", Node::Directory),
            ("bin/x", file("1", true)),
            ("lib", Node::Directory),
            ("lib/l", link("a")),
            ("share", Node::Directory),
        ];
        let odd = vec![
            ("bin", Node::Directory),
            ("bin/x", file("2", false)),
            ("lib", Node::Directory),
            ("lib/l", link("b")),
            ("share", file("3", false)),
            ("extra", Node::Directory),
        ];
        // A is the outlier: the reference is B, the first of the largest group.
        let c = compare(&[tree("A", odd), tree("B", same.clone()), tree("C", same)]).unwrap();
        assert!(!c.identical);
        assert_eq!(c.groups[0].builds, [1, 2]);
        assert_eq!(c.builds[0].source, Origin::Manifest);
        assert_eq!((c.builds[0].files, c.builds[1].files), (2, 1));
        let rows: Vec<(&str, bool)> = c
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.identical))
            .collect();
        // Equal directories and links are left out; every regular file is listed.
        assert_eq!(
            rows,
            [
                ("bin/x", false),
                ("extra", false),
                ("lib/l", false),
                ("share", false)
            ]
        );
        let details = |path: &str| -> Vec<(Change, usize, String)> {
            let row = c.files.iter().find(|f| f.path == path).unwrap();
            row.changes
                .iter()
                .map(|ch| (ch.kind, ch.build, ch.detail.clone()))
                .collect()
        };
        assert_eq!(
            details("bin/x"),
            [
                (
                    Change::Executable,
                    0,
                    "executable in B, not executable in A".into()
                ),
                (Change::Content, 0, "contents differ in A".into())
            ]
        );
        assert_eq!(
            details("lib/l"),
            [(Change::Target, 0, "links to a in B, to b in A".into())]
        );
        assert_eq!(
            details("share"),
            [(Change::Type, 0, "a directory in B, a file in A".into())]
        );
        assert_eq!(
            details("extra"),
            [(Change::Extra, 0, "A alone has this directory".into())]
        );
        let x = c.files.iter().find(|f| f.path == "bin/x").unwrap();
        assert_eq!(x.digests[1], x.digests[2]);
        assert_ne!(x.digests[0], x.digests[1]);
        // The contents are not here: said, not guessed.
        assert!(
            x.notes.iter().any(|n| n.contains("not on this machine")),
            "{:?}",
            x.notes
        );
        assert!(x.causes.is_empty());
    }

    #[test]
    fn a_file_missing_from_one_build_is_one_change() {
        let c = compare(&[
            tree("A", vec![("f", file("1", false)), ("g", file("2", false))]),
            tree("B", vec![("f", file("1", false))]),
        ])
        .unwrap();
        let g = c.files.iter().find(|f| f.path == "g").unwrap();
        assert!(!g.identical);
        assert_eq!(g.digests[1], None);
        assert_eq!(g.changes.len(), 1);
        assert_eq!(
            (g.changes[0].kind, g.changes[0].detail.as_str()),
            (Change::Missing, "missing in B")
        );
        assert!(c.files.iter().find(|f| f.path == "f").unwrap().identical);
        assert_eq!(c.groups.len(), 2);
        assert!(c.groups.iter().all(|g| g.role == Standing::Split));
    }

    #[test]
    fn single_files_are_matched_whatever_their_names() {
        let c = compare(&[
            build("a/prog", true, vec![("prog", file("1", true))]),
            build("b/prog.new", true, vec![("prog.new", file("1", true))]),
        ])
        .unwrap();
        assert!(c.identical);
        assert_eq!(c.files.len(), 1);
        assert_eq!(c.files[0].path, "prog");
        assert!(c.files[0].identical);
        assert_eq!(c.groups[0].role, Standing::All);
        // JSON leaves out what is empty.
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["schema"], SCHEMA);
        assert!(json["files"][0].get("changes").is_none());
        assert!(json["files"][0].get("path_base64").is_none());
    }

    #[test]
    fn names_that_are_not_utf8_keep_their_bytes() {
        let odd = Name::new(b"x\xfe".to_vec());
        let mk = |label: &str, sha: &str| Build {
            label: label.into(),
            source: Origin::Manifest,
            snapshot: Snapshot {
                entries: [(odd.clone(), file(sha, false))].into(),
                ..Snapshot::default()
            },
            local: None,
            memory: None,
        };
        let c = compare(&[mk("A", "1"), mk("B", "2")]).unwrap();
        assert_eq!(c.files[0].name, odd);
        assert_eq!(c.files[0].path, "x\\xFE");
        assert_eq!(c.files[0].path_base64.as_deref(), Some("eP4="));
    }

    #[test]
    fn paths_load_as_trees_or_manifests_and_compare_alike() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t");
        std::fs::create_dir(&t).unwrap();
        std::fs::write(t.join(std::ffi::OsStr::from_bytes(b"x\xfe")), "x").unwrap();
        std::fs::write(t.join("y"), "y").unwrap();
        let manifest = crate::manifest::Manifest {
            schema: crate::manifest::SCHEMA.into(),
            roots: vec![crate::manifest::Root::new(
                &t,
                &snapshot::take(&t, false).unwrap(),
            )],
        };
        let m = dir.path().join("t.json");
        std::fs::write(&m, serde_json::to_vec(&manifest).unwrap()).unwrap();
        let c = compare_paths(&[t.clone(), m.clone()]).unwrap();
        assert!(c.identical);
        let sources: Vec<Origin> = c.builds.iter().map(|b| b.source).collect();
        assert_eq!(sources, [Origin::Tree, Origin::Manifest]);
        assert_eq!(c.builds[0].digest, c.builds[1].digest);
        assert_eq!(c.builds[1].label, m.to_string_lossy());
        // The tree changes; the manifest still says what it was.
        std::fs::write(t.join("y"), "z").unwrap();
        let c = compare_paths(&[t, m]).unwrap();
        assert!(!c.identical);
        let y = c.files.iter().find(|f| f.path == "y").unwrap();
        assert_eq!(y.changes[0].kind, Change::Content);
        assert!(
            c.files
                .iter()
                .find(|f| f.path == "x\\xFE")
                .unwrap()
                .identical
        );
        let missing = compare_paths(&[dir.path().join("nope"), dir.path().join("t.json")]);
        assert!(missing.unwrap_err().to_string().contains("nope"));
    }
}
