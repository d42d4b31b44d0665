//! The content analysis of one differing path: open one file per distinct version, tabulate its
//! sections across the builds, and explain each version against the most common one.

use std::path::PathBuf;

use super::regions::{self, FileFacts};
use super::{FileReport, SectionRow, causes, letter, text};
use crate::Error;
use crate::manifest::Build;

/// Fill in sections, causes, first difference and line diff for a file whose contents differ.
pub(super) fn analyse(builds: &[Build], report: &mut FileReport) -> Result<(), Error> {
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
    let local = |i: usize| builds[i].local_path(&report.name).map(|p| (i, p));
    let mut opened: Vec<Opened> = Vec::new();
    for (_, members) in &variants {
        match members.iter().find_map(|&i| local(i)) {
            Some((i, path)) => {
                let facts = regions::read(&path)?;
                opened.push(Opened {
                    build: i,
                    members: members.clone(),
                    path,
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
        report.causes.extend(causes::explain(
            &side(first),
            &side(other),
            &mut report.notes,
        )?);
        if !first.facts.is_elf && report.first_difference.is_none() {
            let (sa, sb) = (first.facts.source(), other.facts.source());
            report.first_difference = regions::first_difference(&first.path, &sa, &sb)?;
            report.line_diff = text::line_diff(&first.path, &other.path)?;
        }
    }
    Ok(())
}

/// One distinct version of the file, opened from the first build that has it on this machine.
struct Opened {
    /// That build.
    build: usize,
    /// Every build with this version.
    members: Vec<usize>,
    path: PathBuf,
    facts: FileFacts,
}

fn side(o: &Opened) -> causes::Side<'_> {
    causes::Side {
        path: &o.path,
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
