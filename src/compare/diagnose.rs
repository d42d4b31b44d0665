//! Why two versions of one file differ: the differing regions are classified, their differing
//! strings explained by path substitutions, timestamps and toolchain strings, and the rest
//! attributed to ordering, debug information, layout or code. Causes come out ranked, each with
//! evidence and a hint.

use std::collections::BTreeSet;
use std::path::Path;

use super::cause::{Cause, CauseKind, clip, list, list_str, plural_s};
use super::patterns::{self, Substitution};
use super::regions::{self, FileFacts, Region};
use super::strings::{self, Span, StringDiff};
use super::{isa, letter};
use crate::Error;
use crate::elf::ReadAt;

const BUILD_ID: &str = ".note.gnu.build-id";
/// Go's own build ID note (a hash of the inputs, like the GNU one).
const GO_BUILD_ID: &str = ".note.go.buildid";

fn is_build_id(name: &str) -> bool {
    name == BUILD_ID || name == GO_BUILD_ID
}

fn is_debug(name: &str) -> bool {
    name.starts_with(".debug_")
        || name.starts_with(".zdebug_")
        || matches!(
            name,
            ".symtab" | ".strtab" | ".gnu_debuglink" | ".gnu_debugdata" | ".shstrtab"
        )
}

fn is_code(name: &str) -> bool {
    let base = name.split('#').next().unwrap_or(name);
    matches!(
        base,
        ".text" | ".init" | ".fini" | ".plt" | ".plt.got" | ".plt.sec"
    ) || base.starts_with(".text.")
}

/// One file, opened, as one side of a pair.
pub struct Side<'a> {
    /// Its path, for messages.
    pub path: &'a Path,
    /// Its facts.
    pub facts: &'a FileFacts,
    /// Its index among the builds.
    pub build: usize,
}

/// What is known about a differing pair while it is being explained.
struct Pair<'a> {
    a: &'a Side<'a>,
    b: &'a Side<'a>,
    /// Regions only A / only B has.
    only_a: Vec<&'a str>,
    only_b: Vec<&'a str>,
    /// Regions both have, with different bytes.
    changed: Vec<&'a str>,
    /// All of the above.
    differing: Vec<&'a str>,
    /// String-level differences of each changed region but the build-id.
    diffs: Vec<(&'a str, StringDiff)>,
    /// Regions fully accounted for by the causes found so far.
    explained: BTreeSet<&'a str>,
    causes: Vec<Cause>,
}

impl<'a> Pair<'a> {
    fn cause(&mut self, kind: CauseKind, evidence: String, sections: Vec<String>) {
        self.causes.push(Cause {
            kind,
            evidence,
            hint: kind.hint().to_string(),
            sections,
            builds: [self.a.build, self.b.build],
        });
    }

    fn regions(&self, name: &str) -> Option<(&'a Region, &'a Region)> {
        Some((self.a.facts.region(name)?, self.b.facts.region(name)?))
    }

    fn all_a(&self) -> impl Iterator<Item = &(String, u32)> {
        self.diffs.iter().flat_map(|(_, d)| d.only_a.iter())
    }

    fn all_b(&self) -> impl Iterator<Item = &(String, u32)> {
        self.diffs.iter().flat_map(|(_, d)| d.only_b.iter())
    }

    /// The sections whose differing strings (either side) satisfy `f`.
    fn sections_where(&self, f: impl Fn(&str) -> bool) -> Vec<String> {
        self.diffs
            .iter()
            .filter(|(_, d)| d.only_a.iter().chain(&d.only_b).any(|(s, _)| f(s)))
            .map(|(n, _)| n.to_string())
            .collect()
    }
}

/// Explain why `a` and `b` differ. They are known to differ. Limits hit on the way (a section
/// too large for string analysis) are added to `notes`.
pub fn causes(a: &Side<'_>, b: &Side<'_>, notes: &mut Vec<String>) -> Result<Vec<Cause>, Error> {
    let names_a: BTreeSet<&str> = a.facts.regions.iter().map(|r| r.name.as_str()).collect();
    let names_b: BTreeSet<&str> = b.facts.regions.iter().map(|r| r.name.as_str()).collect();
    let changed: Vec<&str> = a
        .facts
        .regions
        .iter()
        .filter(|r| {
            b.facts
                .region(&r.name)
                .is_some_and(|o| o.sha256 != r.sha256 || o.size != r.size)
        })
        .map(|r| r.name.as_str())
        .collect();
    let mut pair = Pair {
        a,
        b,
        only_a: names_a.difference(&names_b).copied().collect(),
        only_b: names_b.difference(&names_a).copied().collect(),
        changed,
        differing: Vec::new(),
        diffs: Vec::new(),
        explained: BTreeSet::new(),
        causes: Vec::new(),
    };
    pair.differing = (pair.changed.iter().chain(&pair.only_a).chain(&pair.only_b))
        .copied()
        .collect();

    if a.facts.is_elf != b.facts.is_elf {
        let (elf, other) = if a.facts.is_elf { (a, b) } else { (b, a) };
        pair.cause(
            CauseKind::Layout,
            format!(
                "{} is an ELF file with sections, {} is not",
                letter(elf.build),
                letter(other.build)
            ),
            Vec::new(),
        );
        return Ok(pair.causes);
    }
    if pair.differing.is_empty() {
        let at = regions::first_difference(a.path, &a.facts.source(), &b.facts.source())?;
        pair.cause(
            CauseKind::Layout,
            format!(
                "every section is identical; bytes outside them differ (headers or padding), first at offset {:#x}",
                at.unwrap_or(0)
            ),
            Vec::new(),
        );
        return Ok(pair.causes);
    }
    if pair.differing.iter().all(|n| is_build_id(n)) {
        let ids: Vec<String> = pair.differing.iter().map(|s| s.to_string()).collect();
        pair.cause(
            CauseKind::BuildIdOnly,
            format!(
                "only {} differ{}; every other section is identical",
                list(&ids, 2),
                plural_s(ids.len())
            ),
            ids,
        );
        return Ok(pair.causes);
    }

    string_diffs(&mut pair, notes)?;
    let subs = build_paths(&mut pair);
    timestamps(&mut pair);
    toolchain(&mut pair);
    embedded(&mut pair, CauseKind::VersionInfo, patterns::version_tokens);
    embedded(&mut pair, CauseKind::HostInfo, patterns::host_tokens);
    flags(&mut pair);
    rust_flags(&mut pair)?;
    mark_explained_by_strings(&mut pair, &subs);
    ordering(&mut pair);
    debug_only(&mut pair);
    // Outside ELF there are no sections to attribute the rest to: the report shows the first
    // differing byte and a line diff instead.
    if a.facts.is_elf && b.facts.is_elf {
        residual(&mut pair);
    }
    pair.causes.sort_by_key(|c| c.kind);
    Ok(pair.causes)
}

fn string_diffs(pair: &mut Pair<'_>, notes: &mut Vec<String>) -> Result<(), Error> {
    let (a, b) = (pair.a, pair.b);
    let (src_a, src_b) = (a.facts.source(), b.facts.source());
    for &name in pair.changed.iter().filter(|&&n| !is_build_id(n)) {
        let Some((ra, rb)) = pair.regions(name) else {
            continue;
        };
        // Compressed debug sections (`-gz`, `--compress-debug-sections`) are read expanded.
        let (xa, xb) = (
            regions::expand(&src_a, ra, regions::MAX_EXPANDED),
            regions::expand(&src_b, rb, regions::MAX_EXPANDED),
        );
        let cut = |r: &Region| r.compressed.is_some_and(|c| c.size > regions::MAX_EXPANDED);
        if cut(ra) || cut(rb) {
            notes.push(format!(
                "{name} is compressed and expands past {} MiB: only its first {} MiB were examined",
                regions::MAX_EXPANDED >> 20,
                regions::MAX_EXPANDED >> 20
            ));
        }
        let (sa, sb) = (xa.as_deref(), xb.as_deref());
        // A section is compressed only when that makes it smaller, so one side may be plain.
        let d = strings::diff(
            &view(a.path, &sa, &src_a, ra),
            &view(b.path, &sb, &src_b, rb),
        )?;
        if d.truncated {
            let what = if name == "(file)" {
                "the file".to_string()
            } else {
                name.to_string()
            };
            notes.push(format!(
                "{what} is too large to compare all its strings: only the first {} MiB, and up to {} differing strings, were examined",
                strings::BUDGET >> 20,
                strings::MAX_KEPT
            ));
        }
        pair.diffs.push((name, d));
    }
    Ok(())
}

/// Region `r` of `src`, or its decompressed bytes when there are any.
fn view<'s>(
    path: &'s Path,
    expanded: &'s Option<&'s [u8]>,
    src: &'s dyn ReadAt,
    r: &Region,
) -> Span<'s> {
    match expanded {
        Some(x) => Span {
            path,
            src: x,
            offset: 0,
            size: x.len(),
        },
        None => Span {
            path,
            src,
            offset: r.offset,
            size: r.size,
        },
    }
}

/// Up to three directory substitutions, each found among the strings the previous ones left
/// unexplained (e.g. the project directory, then `$CARGO_HOME`).
fn build_paths(pair: &mut Pair<'_>) -> Vec<Substitution> {
    let mut subs: Vec<Substitution> = Vec::new();
    let b_set: BTreeSet<&str> = pair.all_b().map(|(s, _)| s.as_str()).collect();
    for _ in 0..3 {
        let rewritten: Vec<String> = pair
            .all_a()
            .map(|(s, _)| rewrite(&subs, s))
            .filter(|s| !b_set.contains(s.as_str()))
            .collect();
        let left_a: Vec<&str> = rewritten.iter().map(String::as_str).collect();
        let left_b: Vec<&str> = b_set.iter().copied().collect();
        match patterns::find_substitution(&left_a, &left_b) {
            Some(sub) if !subs.contains(&sub) => subs.push(sub),
            _ => break,
        }
    }
    let occurrences = |side: &mut dyn Iterator<Item = &(String, u32)>, dir: &str| -> u64 {
        side.map(|(s, n)| s.matches(dir).count() as u64 * u64::from(*n))
            .sum()
    };
    for sub in &subs {
        let sections = pair.sections_where(|s| s.contains(&sub.a));
        let na = occurrences(&mut pair.all_a(), &sub.a);
        let nb = occurrences(&mut pair.all_b(), &sub.b);
        let times = |n: u64| {
            if n > 0 {
                format!(" ({n}×)")
            } else {
                String::new()
            }
        };
        let evidence = format!(
            "{} embeds {}{} where {} embeds {}{}{}",
            letter(pair.a.build),
            sub.a,
            times(na),
            letter(pair.b.build),
            sub.b,
            times(nb),
            within(&sections)
        );
        pair.cause(CauseKind::BuildPath, evidence, sections);
    }
    subs
}

/// ` in .rodata, .debug_str`, or nothing for a file without sections.
fn within(sections: &[String]) -> String {
    let named: Vec<String> = sections
        .iter()
        .filter(|s| *s != "(file)")
        .cloned()
        .collect();
    if named.is_empty() {
        String::new()
    } else {
        format!(" in {}", list(&named, 4))
    }
}

fn rewrite(subs: &[Substitution], s: &str) -> String {
    subs.iter().fold(s.to_string(), |acc, sub| sub.apply(&acc))
}

/// Date and time tokens that differ between the sides' differing strings.
fn timestamps(pair: &mut Pair<'_>) {
    let mut shown: Vec<String> = Vec::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let (mut zones_a, mut zones_b) = (Vec::new(), Vec::new());
    let mut sections = Vec::new();
    for (name, d) in &pair.diffs {
        let tokens = |side: &[(String, u32)]| -> Vec<String> {
            // A VCS commit time is version information, said by `version_info`.
            side.iter()
                .flat_map(|(s, _)| {
                    let masked = patterns::mask_version(s);
                    patterns::time_tokens(&masked)
                        .into_iter()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let (ta, tb) = (tokens(&d.only_a), tokens(&d.only_b));
        if ta.is_empty() || tb.is_empty() || ta == tb {
            continue;
        }
        let zones = |side: &[(String, u32)]| -> Vec<String> {
            side.iter().flat_map(|(s, _)| time_zones(s)).collect()
        };
        zones_a.extend(zones(&d.only_a));
        zones_b.extend(zones(&d.only_b));
        sections.push(name.to_string());
        for (x, y) in ta.iter().zip(&tb).filter(|(x, y)| x != y) {
            pairs.push((x.clone(), y.clone()));
            if shown.len() < 3 {
                shown.push(format!("{x:?} vs {y:?}"));
            }
        }
    }
    if !shown.is_empty() {
        let evidence = format!("{}{}", shown.join(", "), within(&sections));
        let zoned = !zones_a.is_empty()
            && !zones_b.is_empty()
            && zones_a != zones_b
            && other_time_zone(&pairs);
        pair.cause(CauseKind::Timestamp, evidence, sections);
        if zoned && let Some(c) = pair.causes.last_mut() {
            c.evidence.push_str(
                ": the same minutes and seconds, hours apart — one instant in two time zones",
            );
            c.hint = "SOURCE_DATE_EPOCH is apparently honoured, but the time is shown in the builder's time zone: build with TZ=UTC (and format dates with date -u / gmtime)".to_string();
        }
    }
}

/// The zone written after each `HH:MM:SS` in `s`: `UTC`, `EST`, `+0100`, `Z`.
fn time_zones(s: &str) -> Vec<String> {
    patterns::time_tokens(s)
        .into_iter()
        .filter(|t| t.len() == 8 && t.as_bytes()[2] == b':')
        .filter_map(|t| {
            let end = t.as_ptr() as usize - s.as_ptr() as usize + t.len();
            let rest = s[end..].strip_prefix(' ').unwrap_or(&s[end..]);
            let n = rest
                .bytes()
                .take_while(|c| {
                    c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, b'+' | b'-' | b':')
                })
                .count();
            let zone = &rest[..n];
            (zone.starts_with(|c: char| c.is_ascii_uppercase() || c == '+' || c == '-'))
                .then(|| zone.to_string())
        })
        .collect()
}

/// Whether every differing time pair agrees in minutes and seconds but not in hours: the same
/// instant shown in two time zones (`22:13:20 UTC` vs `17:13:20 EST`).
fn other_time_zone(pairs: &[(String, String)]) -> bool {
    let hms = |t: &str| -> Option<(u32, u32)> {
        let mut it = t.split(':').map(|p| p.parse::<u32>().ok());
        let (h, m, s) = (it.next()??, it.next()??, it.next()??);
        Some((h, m * 60 + s))
    };
    let times: Vec<_> = pairs
        .iter()
        .filter_map(|(x, y)| Some((hms(x)?, hms(y)?)))
        .collect();
    !times.is_empty()
        && times
            .iter()
            .all(|((ha, ra), (hb, rb))| ra == rb && ha != hb)
}

/// Compiler identifications that one side has and the other lacks.
fn toolchain(pair: &mut Pair<'_>) {
    let tokens = |side: &mut dyn Iterator<Item = &(String, u32)>| -> BTreeSet<String> {
        side.flat_map(|(s, _)| patterns::toolchain_tokens(s))
            .map(str::to_string)
            .collect()
    };
    let (set_a, set_b) = (tokens(&mut pair.all_a()), tokens(&mut pair.all_b()));
    let only_a: Vec<&String> = set_a.difference(&set_b).collect();
    let only_b: Vec<&String> = set_b.difference(&set_a).collect();
    if only_a.is_empty() && only_b.is_empty() {
        return;
    }
    let sections = pair.sections_where(|s| {
        patterns::toolchain_tokens(s)
            .iter()
            .any(|t| only_a.iter().chain(&only_b).any(|x| x == t))
    });
    let first = |v: &[&String]| {
        v.first()
            .map_or_else(|| "(none)".to_string(), |s| format!("{:?}", clip(s, 60)))
    };
    let evidence = format!(
        "{} vs {}{}",
        first(&only_a),
        first(&only_b),
        within(&sections)
    );
    pair.cause(CauseKind::Toolchain, evidence, sections);
}

/// The same compiler run with other flags, as DWARF's producer strings record them
/// (`GNU C17 12.2.0 -mtune=generic -march=x86-64 -O2`).
fn flags(pair: &mut Pair<'_>) {
    let producers = |side: &mut dyn Iterator<Item = &(String, u32)>| -> BTreeSet<String> {
        side.filter(|(s, _)| s.starts_with("GNU ") && s.contains(" -"))
            .map(|(s, _)| s.clone())
            .collect()
    };
    let (pa, pb) = (producers(&mut pair.all_a()), producers(&mut pair.all_b()));
    let (Some(a), Some(b)) = (pa.first(), pb.first()) else {
        return;
    };
    let split = |s: &str| -> (String, BTreeSet<String>) {
        let (version, rest) = s.split_once(" -").unwrap_or((s, ""));
        let flags = format!("-{rest}")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        (version.to_string(), flags)
    };
    let ((va, fa), (vb, fb)) = (split(a), split(b));
    if va != vb || fa == fb {
        return;
    }
    let only = |x: &BTreeSet<String>, y: &BTreeSet<String>| -> String {
        let v: Vec<String> = x.difference(y).cloned().collect();
        if v.is_empty() {
            "(none)".to_string()
        } else {
            v.join(" ")
        }
    };
    let evidence = format!(
        "{va} compiled with {} vs {} (DWARF producer)",
        only(&fa, &fb),
        only(&fb, &fa)
    );
    let sections = pair.sections_where(|s| s.starts_with("GNU ") && s.contains(" -"));
    pair.cause(CauseKind::Flags, evidence, sections);
    // The code follows from the flags.
    let code: Vec<&str> = pair
        .changed
        .iter()
        .copied()
        .filter(|n| is_code(n))
        .collect();
    pair.explained.extend(code);
}

/// The same rustc (its `.comment` identical), nothing embedded that differs (no path, time,
/// toolchain or version), and other machine code: rustc ran with other `-C` flags, which it does
/// not record. Which one is inferred: the same symbols in another order is a different split into
/// codegen units; other symbols or sizes, another opt-level or target CPU.
fn rust_flags(pair: &mut Pair<'_>) -> Result<(), Error> {
    if !pair.causes.is_empty() || !pair.changed.iter().any(|n| is_code(n)) {
        return Ok(());
    }
    let Some((ca, cb)) = pair.regions(".comment") else {
        return Ok(());
    };
    if ca.sha256 != cb.sha256 || ca.size > 4096 {
        return Ok(());
    }
    let comment = pair
        .a
        .facts
        .source()
        .read_at(ca.offset, ca.size)
        .map_err(|e| Error::read(pair.a.path, e))?;
    let comment = String::from_utf8_lossy(&comment);
    let Some(rustc) = patterns::toolchain_tokens(&comment)
        .into_iter()
        .find(|t| t.starts_with("rustc version"))
        .map(str::to_string)
    else {
        return Ok(());
    };
    let reordered = |name: &str| {
        pair.regions(name).is_some_and(|(x, y)| {
            x.sha256 != y.sha256 && x.size == y.size && x.histogram == y.histogram
        })
    };
    let text = pair.regions(".text").map(|(x, y)| (x.size, y.size));
    let cgu = reordered(".strtab") || reordered(".symtab");
    // Code of the same size is more likely an edit to the source (a constant) than other flags.
    if !cgu && text.is_none_or(|(x, y)| x == y) {
        return Ok(());
    }
    let (which, evidence) = if cgu {
        (
            "codegen-units most likely",
            "the same symbols in another order (.strtab): the crate was split into other codegen units".to_string(),
        )
    } else {
        let sizes = text.map_or(String::new(), |(x, y)| {
            format!(": .text is {x} vs {y} bytes")
        });
        // Instructions from extensions only one build uses: another target CPU.
        let used = |side: &Side<'_>| {
            let r = side.facts.region(".text")?;
            isa::extensions(&side.facts.source(), r, side.facts.e_machine)
        };
        let (an, bn) = (letter(pair.a.build), letter(pair.b.build));
        match (used(pair.a), used(pair.b)) {
            (Some(ea), Some(eb)) if ea != eb && ea.keys().ne(eb.keys()) => {
                let (oa, ob) = isa::only(&ea, &eb);
                let mut said = Vec::new();
                if !oa.is_empty() {
                    said.push(format!("only {an}'s code uses {}", list(&oa, 4)));
                }
                if !ob.is_empty() {
                    said.push(format!("only {bn}'s code uses {}", list(&ob, 4)));
                }
                (
                    "target-cpu or target-feature: the instruction-set extensions differ",
                    format!("{}{sizes}", said.join("; ")),
                )
            }
            (Some(_), Some(_)) => (
                "opt-level most likely: both use the same instruction-set extensions",
                format!(
                    "other symbols or code sizes{sizes}, with the same instruction-set extensions: another optimisation level"
                ),
            ),
            _ => (
                "opt-level or target-cpu",
                format!("other symbols or code sizes{sizes}: other optimisation or target CPU"),
            ),
        }
    };
    let sections: Vec<String> = (pair.differing.iter())
        .filter(|n| !is_build_id(n))
        .map(|n| n.to_string())
        .collect();
    pair.causes.push(Cause {
        kind: CauseKind::Flags,
        evidence: format!(
            "the same {} and nothing embedded differs, yet the code does; {evidence}",
            clip(&rustc, 40)
        ),
        hint: format!(
            "rustc ran with other code-generation flags ({which}; rustc does not record them): use the same -C opt-level, -C codegen-units and -C target-cpu on every builder (RUSTFLAGS, [profile.*] in Cargo.toml, .cargo/config.toml)"
        ),
        sections,
        builds: [pair.a.build, pair.b.build],
    });
    // The same symbols reordered leave nothing to attribute; other code sizes might also be an
    // edit to the source, so the `code` cause stays beside it.
    if cgu {
        let all: Vec<&str> = pair.differing.clone();
        pair.explained.extend(all);
    }
    Ok(())
}

/// Facts a build embeds, found in the differing strings by `tokens`: a cause of `kind` when the
/// two builds embed different ones. Version-control revisions and times (Go's `vcs.*` build
/// settings, `git describe` output) are `version-info`; the user or host the build ran on
/// (`alice@build-7`, `Built-By: alice`) is `host-info`.
fn embedded(pair: &mut Pair<'_>, kind: CauseKind, tokens: fn(&str) -> Vec<&str>) {
    let found = |side: &mut dyn Iterator<Item = &(String, u32)>| -> Vec<String> {
        side.flat_map(|(s, _)| tokens(s))
            .map(str::to_string)
            .collect()
    };
    let (ta, tb) = (found(&mut pair.all_a()), found(&mut pair.all_b()));
    if ta.is_empty() || tb.is_empty() || ta == tb {
        return;
    }
    let sections = pair.sections_where(|s| !tokens(s).is_empty());
    let evidence = format!(
        "{:?} vs {:?}{}",
        clip(&ta[0], 60),
        clip(&tb[0], 60),
        within(&sections)
    );
    pair.cause(kind, evidence, sections);
}

/// Regions whose differing strings all match once A's directories are replaced by B's and dates,
/// times, compiler identifications, revisions and user and host names are masked on both sides.
fn mark_explained_by_strings<'a>(pair: &mut Pair<'a>, subs: &[Substitution]) {
    if pair.causes.is_empty() {
        return;
    }
    let normalised = |side: &[(String, u32)], subs: &[Substitution]| -> Vec<String> {
        let mut v: Vec<String> = side
            .iter()
            .flat_map(|(s, n)| {
                let masked = patterns::mask_host(&patterns::mask_times(&patterns::mask_version(
                    &patterns::mask_toolchain(&rewrite(subs, s)),
                )));
                std::iter::repeat_n(masked, *n as usize)
            })
            .collect();
        v.sort();
        v
    };
    let explained: Vec<&'a str> = pair
        .diffs
        .iter()
        .filter(|(_, d)| !d.is_empty() && !d.truncated)
        .filter(|(_, d)| normalised(&d.only_a, subs) == normalised(&d.only_b, &[]))
        .map(|(name, _)| *name)
        .collect();
    pair.explained.extend(explained);
}

/// Same size, same byte counts, different order, and not explained above.
fn ordering(pair: &mut Pair<'_>) {
    let reordered: Vec<&str> = pair
        .changed
        .iter()
        .copied()
        .filter(|n| !is_build_id(n) && !pair.explained.contains(n))
        .filter(|n| {
            pair.regions(n).is_some_and(|(ra, rb)| {
                ra.size == rb.size && ra.size > 0 && ra.histogram == rb.histogram
            })
        })
        .collect();
    if reordered.is_empty() {
        return;
    }
    let sample = pair
        .diffs
        .iter()
        .filter(|(n, _)| reordered.contains(n))
        .find_map(|(_, d)| Some((&d.only_a.first()?.0, &d.only_b.first()?.0)))
        .map(|(x, y)| format!(", e.g. {:?} vs {:?}", clip(x, 30), clip(y, 30)))
        .unwrap_or_default();
    let evidence = format!(
        "{} hold{} the same bytes in a different order (equal size and byte counts){sample}",
        list_str(&reordered, 4),
        plural_s(reordered.len()),
    );
    pair.cause(
        CauseKind::Ordering,
        evidence,
        reordered.iter().map(|s| s.to_string()).collect(),
    );
    pair.explained.extend(reordered);
}

/// Every differing region is debug information, symbols or the build-id.
fn debug_only(pair: &mut Pair<'_>) {
    let debug: Vec<&str> = pair
        .differing
        .iter()
        .copied()
        .filter(|n| is_debug(n))
        .collect();
    if debug.is_empty() || !pair.differing.iter().all(|n| is_debug(n) || is_build_id(n)) {
        return;
    }
    let mut parts = Vec::new();
    for (only, build) in [(&pair.only_a, pair.a.build), (&pair.only_b, pair.b.build)] {
        if !only.is_empty() {
            parts.push(format!("only {} has {}", letter(build), list_str(only, 3)));
        }
    }
    // `.shstrtab` only changes because the section set did; name it only when nothing else.
    let both: Vec<&str> = (pair.changed.iter().copied())
        .filter(|n| is_debug(n) && (*n != ".shstrtab" || parts.is_empty()))
        .collect();
    if !both.is_empty() {
        parts.push(format!(
            "{} differ{}",
            list_str(&both, 4),
            plural_s(both.len())
        ));
    }
    parts.push("every loaded section is identical".to_string());
    let sections = debug.iter().map(|s| s.to_string()).collect();
    pair.cause(CauseKind::DebugOnly, parts.join("; "), sections);
    pair.explained.extend(debug);
}

/// What is left: sections added, removed or resized (layout), and sections whose bytes differ
/// with nothing explaining them (code) — or, when other causes were found and the section has no
/// differing strings, probably just addresses shifted by those causes.
fn residual(pair: &mut Pair<'_>) {
    let primary = !pair.causes.is_empty();
    let residual: Vec<&str> = (pair.differing.iter().copied())
        .filter(|n| !(is_build_id(n) || pair.explained.contains(n) || (primary && is_debug(n))))
        .collect();
    let one_sided: Vec<&str> = (residual.iter().copied())
        .filter(|n| pair.only_a.contains(n) || pair.only_b.contains(n))
        .collect();
    let resized: Vec<&str> = (residual.iter().copied())
        .filter(|n| pair.regions(n).is_some_and(|(x, y)| x.size != y.size))
        .collect();
    if !one_sided.is_empty() || !resized.is_empty() {
        let mut parts = Vec::new();
        for (only, build) in [(&pair.only_a, pair.a.build), (&pair.only_b, pair.b.build)] {
            if !only.is_empty() {
                parts.push(format!("only {} has {}", letter(build), list_str(only, 4)));
            }
        }
        for n in resized.iter().take(3) {
            if let Some((x, y)) = pair.regions(n) {
                parts.push(format!("{n} is {} vs {} bytes", x.size, y.size));
            }
        }
        let sections = one_sided
            .iter()
            .chain(&resized)
            .map(|s| s.to_string())
            .collect();
        pair.cause(CauseKind::Layout, parts.join("; "), sections);
    }
    let code: Vec<&str> = (residual.iter().copied())
        .filter(|n| !one_sided.contains(n) && !resized.contains(n))
        .collect();
    if code.is_empty() {
        return;
    }
    let no_strings = |n: &str| pair.diffs.iter().any(|(m, d)| *m == n && d.is_empty());
    let shifted = primary && code.iter().all(|n| no_strings(n));
    let named = format!("{} differ{}", list_str(&code, 4), plural_s(code.len()));
    let evidence = if shifted {
        format!(
            "{named} without any differing strings: likely addresses shifted by the causes above"
        )
    } else {
        let sample = (pair.diffs.iter())
            .filter(|(n, _)| code.contains(n))
            .find_map(|(_, d)| Some((&d.only_a.first()?.0, &d.only_b.first()?.0)));
        match sample {
            Some((x, y)) => format!("{named}, e.g. {:?} vs {:?}", clip(x, 40), clip(y, 40)),
            None => format!("{named} with none of the above explaining it"),
        }
    };
    let kind = if shifted && !code.iter().any(|n| is_code(n)) {
        CauseKind::Layout
    } else {
        CauseKind::Code
    };
    pair.cause(kind, evidence, code.iter().map(|s| s.to_string()).collect());
    if shifted && let Some(last) = pair.causes.last_mut() {
        last.hint = "nothing of its own: code and tables that point into resized sections change with them, so this goes once the causes above are fixed".to_string();
    }
}
