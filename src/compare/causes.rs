//! Why two versions of one file differ: the differing regions are classified, their differing
//! strings explained by path substitutions, timestamps and toolchain strings, and the rest
//! attributed to ordering, layout or code. Causes come out ranked, each with evidence and a hint.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use super::letter;
use super::patterns::{self, Substitution};
use super::regions::FileFacts;
use super::strings::{self, Span, StringDiff};
use crate::Error;

/// A kind of cause, in rank order (most specific first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CauseKind {
    /// Nothing but the build-id differs.
    BuildIdOnly,
    /// Compiler identification differs.
    Toolchain,
    /// The builds embed different absolute directories.
    BuildPath,
    /// Date- or time-like values differ.
    Timestamp,
    /// Same bytes in a different order.
    Ordering,
    /// Only debug information (and the build-id) differs.
    DebugOnly,
    /// Section sets or sizes differ.
    Layout,
    /// Code or data differ with nothing above explaining it.
    Code,
}

impl CauseKind {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            CauseKind::BuildIdOnly => "build-id-only",
            CauseKind::Toolchain => "toolchain",
            CauseKind::BuildPath => "build-path",
            CauseKind::Timestamp => "timestamp",
            CauseKind::Ordering => "ordering",
            CauseKind::DebugOnly => "debug-only",
            CauseKind::Layout => "layout",
            CauseKind::Code => "code",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            CauseKind::BuildIdOnly => {
                "the build-id is a hash of the rest, so something rewrote it: look for --build-id=uuid/random in the linker flags or a tool that edits the file after linking"
            }
            CauseKind::Toolchain => {
                "pin the toolchain: the same rustc (rust-toolchain.toml), C compiler and linker on every builder; Nix pins them for you"
            }
            CauseKind::BuildPath => {
                "build in the same directory everywhere, or map it away on each builder: RUSTFLAGS=\"--remap-path-prefix=$PWD=/build\" for Rust, CFLAGS=-ffile-prefix-map=$PWD=/build for C"
            }
            CauseKind::Timestamp => {
                "set SOURCE_DATE_EPOCH to a fixed time (e.g. $(git log -1 --format=%ct)) and make build scripts use it instead of the clock; avoid __DATE__/__TIME__"
            }
            CauseKind::Ordering => {
                "something writes entries in arbitrary order (HashMap/HashSet iteration or directory listing in a build script or proc-macro): use BTreeMap or sort before writing"
            }
            CauseKind::DebugOnly => {
                "the code is identical: strip debug info the same way on every build (profile strip = \"debuginfo\", strip --strip-debug) if you do not ship it"
            }
            CauseKind::Layout => {
                "sections were added, removed or resized: compare the builds' flags and profiles (debug, strip, opt-level, features, linker)"
            }
            CauseKind::Code => {
                "the compiled program differs: check both builds use the same source, Cargo.lock, features, target CPU and codegen settings (codegen-units, LTO)"
            }
        }
    }
}

/// One cause of a difference between two builds of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// What kind of cause.
    pub kind: CauseKind,
    /// What in the files shows it.
    pub evidence: String,
    /// What to do about it.
    pub hint: String,
    /// The regions it explains.
    pub sections: Vec<String>,
    /// The two builds compared (indices into the comparison's builds).
    pub builds: [usize; 2],
}

const BUILD_ID: &str = ".note.gnu.build-id";

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

/// Explain why `a` and `b` differ. They are known to differ. Limits hit on the way (a section
/// too large for string analysis) are added to `notes`.
pub fn explain(a: &Side<'_>, b: &Side<'_>, notes: &mut Vec<String>) -> Result<Vec<Cause>, Error> {
    let builds = [a.build, b.build];
    let cause = |kind: CauseKind, evidence: String, sections: Vec<String>| Cause {
        kind,
        evidence,
        hint: kind.hint().to_string(),
        sections,
        builds,
    };
    let names_a: BTreeSet<&str> = a.facts.regions.iter().map(|r| r.name.as_str()).collect();
    let names_b: BTreeSet<&str> = b.facts.regions.iter().map(|r| r.name.as_str()).collect();
    let only_a: Vec<&str> = names_a.difference(&names_b).copied().collect();
    let only_b: Vec<&str> = names_b.difference(&names_a).copied().collect();
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
    let differing: Vec<&str> = changed
        .iter()
        .chain(&only_a)
        .chain(&only_b)
        .copied()
        .collect();

    if differing.is_empty() {
        let (sa, sb) = (a.facts.source(), b.facts.source());
        let at = super::regions::first_difference(a.path, &sa, &sb)?.unwrap_or(0);
        return Ok(vec![cause(
            CauseKind::Layout,
            format!(
                "every section is identical; bytes outside them differ (headers or padding), first at offset {at:#x}"
            ),
            Vec::new(),
        )]);
    }
    if differing == [BUILD_ID] {
        return Ok(vec![cause(
            CauseKind::BuildIdOnly,
            format!("only {BUILD_ID} differs; every other section is identical"),
            vec![BUILD_ID.to_string()],
        )]);
    }

    // String-level differences of every changed region except the build-id.
    let mut diffs: Vec<(&str, StringDiff)> = Vec::new();
    let (src_a, src_b) = (a.facts.source(), b.facts.source());
    for &name in changed.iter().filter(|&&n| n != BUILD_ID) {
        let (Some(ra), Some(rb)) = (a.facts.region(name), b.facts.region(name)) else {
            continue;
        };
        let span = |path, src, r: &super::regions::Region| Span {
            path,
            src,
            offset: r.offset,
            size: r.size,
        };
        let d = strings::diff(&span(a.path, &src_a, ra), &span(b.path, &src_b, rb))?;
        if d.truncated {
            notes.push(format!(
                "{name} is too large to compare all its strings: only the first {} MiB, and up to {} differing strings, were examined",
                strings::BUDGET >> 20,
                strings::MAX_KEPT
            ));
        }
        diffs.push((name, d));
    }

    let mut causes = Vec::new();
    let mut explained: BTreeSet<&str> = BTreeSet::new();

    // Build paths: up to three directory substitutions, each found among what the last left over.
    let mut subs: Vec<Substitution> = Vec::new();
    let all_a = || diffs.iter().flat_map(|(_, d)| d.only_a.iter());
    let all_b = || diffs.iter().flat_map(|(_, d)| d.only_b.iter());
    for _ in 0..3 {
        let rewrite = |s: &str| subs.iter().fold(s.to_string(), |acc, sub| sub.apply(&acc));
        let b_set: BTreeSet<&str> = all_b().map(|(s, _)| s.as_str()).collect();
        let left_a: Vec<String> = all_a()
            .map(|(s, _)| rewrite(s))
            .filter(|s| !b_set.contains(s.as_str()))
            .collect();
        let left_a: Vec<&str> = left_a.iter().map(String::as_str).collect();
        let left_b: Vec<&str> = b_set.iter().copied().collect();
        match patterns::find_substitution(&left_a, &left_b) {
            Some(sub) if !subs.contains(&sub) => subs.push(sub),
            _ => break,
        }
    }
    for sub in &subs {
        let count = |side: &mut dyn Iterator<Item = &(String, u32)>, dir: &str| -> u64 {
            side.map(|(s, n)| s.matches(dir).count() as u64 * u64::from(*n))
                .sum()
        };
        let in_sections: Vec<String> = diffs
            .iter()
            .filter(|(_, d)| d.only_a.iter().any(|(s, _)| s.contains(&sub.a)))
            .map(|(n, _)| n.to_string())
            .collect();
        let (na, nb) = (count(&mut all_a(), &sub.a), count(&mut all_b(), &sub.b));
        causes.push(cause(
            CauseKind::BuildPath,
            format!(
                "{} embeds {} ({na}×) where {} embeds {} ({nb}×), in {}",
                letter(a.build),
                sub.a,
                letter(b.build),
                sub.b,
                list(&in_sections, 4)
            ),
            in_sections,
        ));
    }

    // Timestamps: date/time tokens among the strings the substitutions left unexplained.
    let normal_a = |s: &str| subs.iter().fold(s.to_string(), |acc, sub| sub.apply(&acc));
    let mut stamp_pairs: Vec<(String, String)> = Vec::new();
    let mut stamp_sections = Vec::new();
    for (name, d) in &diffs {
        let ta: Vec<&str> = d
            .only_a
            .iter()
            .flat_map(|(s, _)| patterns::time_tokens(s))
            .collect();
        let tb: Vec<&str> = d
            .only_b
            .iter()
            .flat_map(|(s, _)| patterns::time_tokens(s))
            .collect();
        if !ta.is_empty() && !tb.is_empty() && ta != tb {
            stamp_sections.push(name.to_string());
            for (x, y) in ta.iter().zip(&tb).filter(|(x, y)| x != y) {
                if stamp_pairs.len() < 3 {
                    stamp_pairs.push((x.to_string(), y.to_string()));
                }
            }
        }
    }
    if !stamp_pairs.is_empty() {
        let shown: Vec<String> = stamp_pairs
            .iter()
            .map(|(x, y)| format!("{x:?} vs {y:?}"))
            .collect();
        causes.push(cause(
            CauseKind::Timestamp,
            format!("{} in {}", shown.join(", "), list(&stamp_sections, 4)),
            stamp_sections,
        ));
    }

    // Toolchain: compiler identifications that one side has and the other lacks.
    let tokens = |side: &mut dyn Iterator<Item = &(String, u32)>| -> BTreeSet<String> {
        side.flat_map(|(s, _)| patterns::toolchain_tokens(s))
            .map(str::to_string)
            .collect()
    };
    let (set_a, set_b) = (tokens(&mut all_a()), tokens(&mut all_b()));
    let tool_a: Vec<&String> = set_a.difference(&set_b).collect();
    let tool_b: Vec<&String> = set_b.difference(&set_a).collect();
    if !tool_a.is_empty() || !tool_b.is_empty() {
        let sections: Vec<String> = diffs
            .iter()
            .filter(|(_, d)| {
                d.only_a.iter().chain(&d.only_b).any(|(s, _)| {
                    patterns::toolchain_tokens(s)
                        .iter()
                        .any(|t| tool_a.iter().chain(&tool_b).any(|x| x == t))
                })
            })
            .map(|(n, _)| n.to_string())
            .collect();
        let first = |v: &[&String]| {
            v.first()
                .map_or_else(|| "(none)".to_string(), |s| format!("{:?}", clip(s, 60)))
        };
        causes.push(cause(
            CauseKind::Toolchain,
            format!(
                "{} vs {} in {}",
                first(&tool_a),
                first(&tool_b),
                list(&sections, 4)
            ),
            sections,
        ));
    }

    // Which regions are fully explained at the string level by the causes so far.
    for (name, d) in &diffs {
        if d.is_empty() || d.truncated {
            continue;
        }
        let norm_a: Vec<String> = d
            .only_a
            .iter()
            .flat_map(|(s, n)| {
                std::iter::repeat_n(
                    patterns::mask_times(&patterns::mask_toolchain(&normal_a(s))),
                    *n as usize,
                )
            })
            .collect();
        let mut norm_b: Vec<String> = d
            .only_b
            .iter()
            .flat_map(|(s, n)| {
                std::iter::repeat_n(
                    patterns::mask_times(&patterns::mask_toolchain(s)),
                    *n as usize,
                )
            })
            .collect();
        let mut norm_a = norm_a;
        norm_a.sort();
        norm_b.sort();
        if norm_a == norm_b && !causes.is_empty() {
            explained.insert(name);
        }
    }

    // Ordering: same size, same bytes (histogram), different order, not explained above.
    let mut reordered = Vec::new();
    for &name in &changed {
        if name == BUILD_ID || explained.contains(name) {
            continue;
        }
        let (Some(ra), Some(rb)) = (a.facts.region(name), b.facts.region(name)) else {
            continue;
        };
        if ra.size == rb.size && ra.size > 0 && ra.histogram == rb.histogram {
            reordered.push(name.to_string());
        }
    }
    if !reordered.is_empty() {
        causes.push(cause(
            CauseKind::Ordering,
            format!(
                "{} hold{} the same bytes in a different order (equal size and byte counts){}",
                list(&reordered, 4),
                plural_s(reordered.len()),
                diffs
                    .iter()
                    .filter(|(n, _)| reordered.iter().any(|r| r == n))
                    .find_map(|(_, d)| Some((d.only_a.first()?, d.only_b.first()?)))
                    .map(|((x, _), (y, _))| format!(
                        ", e.g. {:?} vs {:?}",
                        clip(x, 30),
                        clip(y, 30)
                    ))
                    .unwrap_or_default()
            ),
            reordered.clone(),
        ));
        for name in &changed {
            if reordered.iter().any(|r| r == name) {
                explained.insert(name);
            }
        }
    }

    // Debug-only: every differing region is debug information, symbols or the build-id.
    let debug: Vec<&str> = differing.iter().copied().filter(|n| is_debug(n)).collect();
    if !debug.is_empty() && differing.iter().all(|n| is_debug(n) || *n == BUILD_ID) {
        let mut parts = Vec::new();
        for (only, build) in [(&only_a, a.build), (&only_b, b.build)] {
            if !only.is_empty() {
                parts.push(format!("only {} has {}", letter(build), list_str(only, 3)));
            }
        }
        let both: Vec<&str> = changed
            .iter()
            .copied()
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
        let evidence = parts.join("; ");
        causes.push(cause(
            CauseKind::DebugOnly,
            evidence,
            debug.iter().map(|s| s.to_string()).collect(),
        ));
        explained.extend(debug.iter().copied());
    }

    // What is left: regions nothing explains, or whose differences are only shifted offsets.
    // Outside ELF there are no sections to speak of: the report shows the first differing byte
    // and a line diff instead.
    if !a.facts.is_elf || !b.facts.is_elf {
        causes.sort_by_key(|c| c.kind);
        return Ok(causes);
    }
    let primary = !causes.is_empty();
    let residual: Vec<&str> = differing
        .iter()
        .copied()
        .filter(|n| *n != BUILD_ID && !explained.contains(n) && !(primary && is_debug(n)))
        .collect();
    let string_clean = |n: &str| diffs.iter().any(|(m, d)| *m == n && d.is_empty());
    let one_sided: Vec<&str> = residual
        .iter()
        .copied()
        .filter(|n| only_a.contains(n) || only_b.contains(n))
        .collect();
    let resized: Vec<&str> = residual
        .iter()
        .copied()
        .filter(|n| matches!((a.facts.region(n), b.facts.region(n)), (Some(x), Some(y)) if x.size != y.size))
        .collect();
    if !one_sided.is_empty() || !resized.is_empty() {
        let mut parts = Vec::new();
        if !only_a.is_empty() {
            parts.push(format!(
                "only {} has {}",
                letter(a.build),
                list_str(&only_a, 4)
            ));
        }
        if !only_b.is_empty() {
            parts.push(format!(
                "only {} has {}",
                letter(b.build),
                list_str(&only_b, 4)
            ));
        }
        for n in resized.iter().take(3) {
            if let (Some(x), Some(y)) = (a.facts.region(n), b.facts.region(n)) {
                parts.push(format!("{n} is {} vs {} bytes", x.size, y.size));
            }
        }
        let sections = one_sided
            .iter()
            .chain(&resized)
            .map(|s| s.to_string())
            .collect();
        causes.push(cause(CauseKind::Layout, parts.join("; "), sections));
    }
    let code: Vec<&str> = residual
        .iter()
        .copied()
        .filter(|n| !one_sided.contains(n) && !resized.contains(n))
        .collect();
    if !code.is_empty() {
        let shifted = primary && code.iter().all(|n| string_clean(n));
        let evidence = if shifted {
            format!(
                "{} differ{} without any differing strings: likely addresses shifted by the causes above",
                list_str(&code, 4),
                plural_s(code.len())
            )
        } else {
            let sample = diffs
                .iter()
                .filter(|(n, _)| code.contains(n))
                .find_map(|(_, d)| {
                    Some((d.only_a.first()?.0.clone(), d.only_b.first()?.0.clone()))
                });
            match sample {
                Some((x, y)) => format!(
                    "{} differ{}, e.g. {:?} vs {:?}",
                    list_str(&code, 4),
                    plural_s(code.len()),
                    clip(&x, 40),
                    clip(&y, 40)
                ),
                None => format!(
                    "{} differ{} with none of the above explaining it",
                    list_str(&code, 4),
                    plural_s(code.len())
                ),
            }
        };
        let touches_code = code.iter().any(|n| is_code(n));
        let kind = if touches_code || !shifted {
            CauseKind::Code
        } else {
            CauseKind::Layout
        };
        causes.push(cause(
            kind,
            evidence,
            code.iter().map(|s| s.to_string()).collect(),
        ));
    }
    causes.sort_by_key(|c| c.kind);
    Ok(causes)
}

fn plural_s(n: usize) -> &'static str {
    if n == 1 { "s" } else { "" }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

fn list(items: &[String], max: usize) -> String {
    let v: Vec<&str> = items.iter().map(String::as_str).collect();
    list_str(&v, max)
}

/// `a, b, c (+2 more)`.
pub fn list_str(items: &[&str], max: usize) -> String {
    let mut s = items
        .iter()
        .take(max)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        s.push_str(&format!(" (+{} more)", items.len() - max));
    }
    s
}
