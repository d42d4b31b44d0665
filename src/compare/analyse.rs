//! The content analysis of one differing path: open one file per distinct version, tabulate its
//! sections across the builds, and explain each version against the most common one.

use super::regions::{self, FileFacts};
use super::{FileComparison, SectionRow, diagnose, letter, members, text};
use crate::Error;
use crate::elf::ReadAt;
use crate::input::Content;
use crate::manifest::Build;

/// Fill in sections, causes, first difference and line diff for a file whose contents differ.
pub(super) fn analyse(builds: &[Build], report: &mut FileComparison) -> Result<(), Error> {
    // One representative per distinct digest, most common digest first (ties: argument order).
    let mut variants: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, d) in report.digests.iter().enumerate() {
        let Some(d) = d else { continue };
        match variants.iter_mut().find(|(v, _)| v == d) {
            Some((_, members)) => members.push(i),
            None => variants.push((d.clone(), vec![i])),
        }
    }
    if variants.len() < 2 {
        return Ok(());
    }
    variants.sort_by_key(|(_, m)| std::cmp::Reverse(m.len()));
    let local = |i: usize| builds[i].content(&report.name).map(|c| (i, c));
    let mut opened: Vec<Opened> = Vec::new();
    // Containers are compared member by member: their bytes need not be scanned as one region.
    let name = report
        .path
        .rsplit('/')
        .next()
        .unwrap_or(&report.path)
        .to_string();
    let containers = (variants.iter()).all(|(_, members)| {
        members
            .iter()
            .find_map(|&i| local(i))
            .is_some_and(|(_, c)| crate::container::detect_content(&c, &name).is_some())
    });
    for (_, members) in &variants {
        match members.iter().find_map(|&i| local(i)) {
            Some((i, content)) => {
                let facts = if containers {
                    regions::unscanned(&content)?
                } else {
                    regions::read(&content)?
                };
                opened.push(Opened {
                    build: i,
                    members: members.clone(),
                    content,
                    facts,
                });
            }
            None => {
                let names: Vec<String> = members.iter().map(|&i| letter(i)).collect();
                report.notes.push(format!(
                    "the contents of {} are not on this machine (manifest): only digests compared",
                    names.join(", ")
                ));
            }
        }
    }
    report.sections = section_rows(&opened, report.digests.len());
    let Some((first, rest)) = opened.split_first() else {
        return Ok(());
    };
    for other in rest {
        if let Some(found) = members::compare(
            &first.content,
            &other.content,
            &name,
            [first.build, other.build],
        )? {
            report.causes.extend(found.causes);
            report.members.extend(found.members);
            report.members_compared = report.members_compared.max(found.total);
            report.notes.extend(found.notes);
            continue;
        }
        let found = diagnose::causes(&side(first), &side(other), &mut report.notes)?;
        let unexplained = found.is_empty() && !first.facts.is_elf && !other.facts.is_elf;
        report.causes.extend(found);
        if unexplained {
            report.causes.push(unexplained_cause(first, other)?);
        }
        if !first.facts.is_elf && report.first_difference.is_none() {
            let (sa, sb) = (first.facts.source(), other.facts.source());
            report.first_difference = regions::first_difference(first.content.path(), sa, sb)?;
            report.line_diff = text::line_diff(&first.content, &other.content)?;
        }
    }
    Ok(())
}

/// When no cause fits a file that is not ELF: the differing strings themselves as evidence.
fn unexplained_cause(a: &Opened, b: &Opened) -> Result<super::Cause, Error> {
    const MAX: u64 = 4 << 20;
    let evidence = if a.facts.len <= MAX && b.facts.len <= MAX {
        let read = |o: &Opened| {
            (o.facts.source().read_at(0, o.facts.len)).map_err(|e| Error::read(o.content.path(), e))
        };
        let (da, db) = (read(a)?, read(b)?);
        let lines = text::line_diff(&a.content, &b.content)?;
        members::strings_sample(&da, &db, &lines)
    } else {
        format!("{} vs {} bytes", a.facts.len, b.facts.len)
    };
    Ok(super::Cause {
        kind: super::CauseKind::Code,
        evidence,
        hint: "the contents differ and no known cause fits: compare the inputs and steps that produce this file".into(),
        sections: Vec::new(),
        builds: [a.build, b.build],
    })
}

/// One distinct version of the file, opened from the first build that has it on this machine.
struct Opened {
    /// That build.
    build: usize,
    /// Every build with this version.
    members: Vec<usize>,
    content: Content,
    facts: FileFacts,
}

fn side(o: &Opened) -> diagnose::Side<'_> {
    diagnose::Side {
        path: o.content.path(),
        facts: &o.facts,
        build: o.build,
    }
}

/// Per-section rows across the builds, in the first variant's section order.
fn section_rows(opened: &[Opened], n: usize) -> Vec<SectionRow> {
    if !opened.iter().any(|o| o.facts.is_elf) {
        return Vec::new();
    }
    let mut seen = std::collections::HashSet::new();
    let names: Vec<&str> = (opened.iter())
        .flat_map(|o| o.facts.regions.iter().map(|r| r.name.as_str()))
        .filter(|name| seen.insert(*name))
        .collect();
    names
        .into_iter()
        .map(|name| {
            let mut sizes = vec![None; n];
            let mut digests = vec![None; n];
            for o in opened {
                if let Some(r) = o.facts.region(name) {
                    for &m in &o.members {
                        sizes[m] = Some(r.size);
                        digests[m] = r.sha256.clone();
                    }
                }
            }
            let versions: Vec<_> = (opened.iter())
                .map(|o| o.facts.region(name).map(|r| (r.size, &r.sha256)))
                .collect();
            let identical = versions.iter().all(Option::is_some) && all_same(&versions);
            SectionRow {
                name: name.to_string(),
                identical,
                sizes,
                digests,
            }
        })
        .collect()
}

fn all_same<T: PartialEq>(v: &[T]) -> bool {
    v.windows(2).all(|w| w[0] == w[1])
}
