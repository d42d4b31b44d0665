//! Printable strings that one region has and the other lacks (as multisets), found in bounded
//! memory: a first pass counts strings by a 64-bit hash, a second keeps only the strings whose
//! counts differ, up to [`MAX_KEPT`] of them.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use super::regions::for_each_chunk;
use crate::Error;
use crate::elf::ReadAt;

/// Shortest run of printable bytes counted as a string.
pub const MIN_LEN: usize = 4;
/// Longer runs are cut into pieces of this length.
const MAX_LEN: usize = 4096;
/// Bytes of one region examined; the rest of a larger region is not (the result says so).
pub const BUDGET: u64 = 128 << 20;
/// Differing strings kept per side.
pub const MAX_KEPT: usize = 20_000;

/// Strings only one side has, with how many more times it has them.
#[derive(Debug, Default, Clone)]
pub struct StringDiff {
    /// In A more often than in B.
    pub only_a: Vec<(String, u32)>,
    /// In B more often than in A.
    pub only_b: Vec<(String, u32)>,
    /// Whether a region was larger than [`BUDGET`] or more than [`MAX_KEPT`] strings differed.
    pub truncated: bool,
}

impl StringDiff {
    /// No string-level difference.
    pub fn is_empty(&self) -> bool {
        self.only_a.is_empty() && self.only_b.is_empty()
    }
}

/// A byte range of one file.
pub struct Span<'a> {
    /// The file, for error messages.
    pub path: &'a Path,
    /// Its bytes.
    pub src: &'a dyn ReadAt,
    /// Start.
    pub offset: u64,
    /// Length.
    pub size: u64,
}

/// The strings of `a` and `b` that do not pair up.
pub fn diff(a: &Span<'_>, b: &Span<'_>) -> Result<StringDiff, Error> {
    let mut counts: HashMap<u64, i64> = HashMap::new();
    let mut truncated = false;
    for (span, sign) in [(a, 1i64), (b, -1i64)] {
        truncated |= span.size > BUDGET;
        strings(span, |s| *counts.entry(key(s)).or_default() += sign)?;
    }
    counts.retain(|_, n| *n != 0);
    let mut kept: [HashMap<String, u32>; 2] = [HashMap::new(), HashMap::new()];
    for (side, span) in [a, b].into_iter().enumerate() {
        let kept = &mut kept[side];
        strings(span, |s| {
            if !counts.contains_key(&key(s)) {
                return;
            }
            let text = String::from_utf8_lossy(s);
            if let Some(have) = kept.get_mut(text.as_ref()) {
                *have = have.saturating_add(1);
            } else if kept.len() < MAX_KEPT {
                kept.insert(text.into_owned(), 1);
            } else {
                truncated = true;
            }
        })?;
    }
    // A string that occurs n times in A and m in B is "only in A" n - m times.
    let [ka, kb] = kept;
    let net = |mine: &HashMap<String, u32>, other: &HashMap<String, u32>| {
        let mut v: Vec<(String, u32)> = mine
            .iter()
            .filter_map(|(s, &n)| {
                let extra = n.saturating_sub(other.get(s).copied().unwrap_or(0));
                (extra > 0).then(|| (s.clone(), extra))
            })
            .collect();
        v.sort();
        v
    };
    Ok(StringDiff {
        only_a: net(&ka, &kb),
        only_b: net(&kb, &ka),
        truncated,
    })
}

fn key(s: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// Call `f` on every run of at least [`MIN_LEN`] printable ASCII bytes (tabs included) in the
/// first [`BUDGET`] bytes of `span`.
fn strings(span: &Span<'_>, mut f: impl FnMut(&[u8])) -> Result<(), Error> {
    let mut run: Vec<u8> = Vec::with_capacity(MAX_LEN);
    for_each_chunk(
        span.path,
        span.src,
        span.offset,
        span.size.min(BUDGET),
        |chunk| {
            for &b in chunk {
                if b == b'\t' || (0x20..0x7f).contains(&b) {
                    run.push(b);
                    if run.len() == MAX_LEN {
                        f(&run);
                        run.clear();
                    }
                } else {
                    if run.len() >= MIN_LEN {
                        f(&run);
                    }
                    run.clear();
                }
            }
        },
    )?;
    if run.len() >= MIN_LEN {
        f(&run);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiset_difference() {
        let mut f = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut f, b"\0/tmp/a/src\0same\0same\0x\0\0/tmp/b/src\0same\0")
            .unwrap();
        let src = crate::elf::FileSource::new(&f, 41);
        let span = |offset, size| Span {
            path: Path::new("x"),
            src: &src,
            offset,
            size,
        };
        let d = diff(&span(0, 24), &span(24, 17)).unwrap();
        assert_eq!(
            d.only_a,
            vec![("/tmp/a/src".to_string(), 1), ("same".to_string(), 1)]
        );
        assert_eq!(d.only_b, vec![("/tmp/b/src".to_string(), 1)]);
        assert!(!d.truncated);
    }
}
