//! The text report of `compare`: the verdict first, then each differing path with its differing
//! sections and ranked causes. A one-cause pair fits in well under 20 lines.

use std::io::{self, Write};

use super::Style;
use repro_check::compare::{Comparison, FileComparison, Standing, letter};
use repro_check::escape;

/// Differing files shown in full; the rest are counted (the JSON has them all).
const MAX_FILES: usize = 50;
/// Differing sections listed per file.
const MAX_SECTIONS: usize = 6;
/// Differing members listed per file.
const MAX_MEMBERS: usize = 6;

/// Write the report.
pub fn write_text(out: &mut impl Write, c: &Comparison, colour: bool) -> io::Result<()> {
    let paint = Style::new(colour);
    for b in &c.builds {
        writeln!(out, "{}  {}", b.name, b.label)?;
    }
    let regular = c
        .files
        .iter()
        .filter(|f| f.digests.iter().any(Option::is_some))
        .count();
    let differing: Vec<&FileComparison> = c.files.iter().filter(|f| !f.identical).collect();
    if c.identical {
        let digest = c.groups.first().map_or("", |g| g.digest.as_str());
        writeln!(
            out,
            "{}: {} build{}, {regular} file{}, digest {}",
            paint.good("identical"),
            c.builds.len(),
            plural(c.builds.len()),
            plural(regular),
            short(digest)
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{}: {} of {} file{} differ{}",
        paint.bad("different"),
        differing.len(),
        c.files.len(),
        plural(c.files.len()),
        if differing.len() == 1 { "s" } else { "" }
    )?;
    if c.builds.len() > 2 {
        let groups: Vec<String> = c
            .groups
            .iter()
            .map(|g| {
                let role = match g.role {
                    Standing::All => "all",
                    Standing::Majority => "majority",
                    Standing::Outlier => "outlier",
                    Standing::Split => "group",
                };
                let names: Vec<String> = g.builds.iter().map(|&i| letter(i)).collect();
                format!("{role} {} ({})", names.join(", "), short(&g.digest))
            })
            .collect();
        writeln!(out, "groups: {}", groups.join("; "))?;
    }
    // Files that differ for the same reasons are said once: the first in full, then their names.
    let mut said: Vec<Vec<(&str, &str)>> = Vec::new();
    for f in differing.iter().take(MAX_FILES) {
        let sig = signature(f);
        if !sig.is_empty() && said.contains(&sig) {
            continue;
        }
        write_file(out, f, &paint)?;
        let same: Vec<String> = (differing.iter().take(MAX_FILES))
            .filter(|g| !std::ptr::eq(**g, *f) && !sig.is_empty() && signature(g) == sig)
            .map(|g| escape::text(&g.path).into_owned())
            .collect();
        if !same.is_empty() {
            let shown: Vec<&str> = same.iter().take(4).map(String::as_str).collect();
            let more = same.len().saturating_sub(shown.len());
            writeln!(
                out,
                "  … and {} more file{} for the same reason{}: {}{}",
                same.len(),
                plural(same.len()),
                plural(sig.len()),
                shown.join(", "),
                if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                }
            )?;
        }
        said.push(sig);
    }
    if differing.len() > MAX_FILES {
        writeln!(
            out,
            "… and {} more differing paths (--json lists them all)",
            differing.len() - MAX_FILES
        )?;
    }
    Ok(())
}

fn write_file(out: &mut impl Write, f: &FileComparison, paint: &Style) -> io::Result<()> {
    let changes: Vec<&str> = f.changes.iter().map(|c| c.detail.as_str()).collect();
    let differing: Vec<_> = f.sections.iter().filter(|s| !s.identical).collect();
    let what = if !f.members.is_empty() {
        let differing = f.members.len();
        format!(
            "{} ({differing} of {} members differ)",
            changes.join("; "),
            f.members_compared
        )
    } else if f.sections.is_empty() {
        changes.join("; ")
    } else {
        format!(
            "{} (ELF: {} of {} sections differ)",
            changes.join("; "),
            differing.len(),
            f.sections.len()
        )
    };
    writeln!(out, "{}: {what}", paint.bold(&f.name.display()))?;
    for m in f.members.iter().take(MAX_MEMBERS) {
        let name = m.name.split_once('!').map_or(m.name.as_str(), |(_, r)| r);
        let detail = match m.fields.first() {
            _ if m.change != "differs" => m.change.clone(),
            Some(d) => {
                let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "(none)".into());
                let more = match m.fields.len() {
                    1 => String::new(),
                    n => format!(" (+{} more fields)", n - 1),
                };
                let contents = if m.content_differs {
                    "; contents differ"
                } else {
                    ""
                };
                format!("{} {} vs {}{more}{contents}", d.field, v(&d.a), v(&d.b))
            }
            None => "contents differ".to_string(),
        };
        writeln!(out, "  {}: {}", escape::text(name), escape::text(&detail))?;
    }
    if f.members.len() > MAX_MEMBERS {
        writeln!(
            out,
            "  … {} more differing members (--json lists them)",
            f.members.len() - MAX_MEMBERS
        )?;
    }
    for s in differing.iter().take(MAX_SECTIONS) {
        let sizes = if s.sizes.windows(2).all(|w| w[0] == w[1]) {
            match s.sizes.first().copied().flatten() {
                Some(size) => format!("{size} bytes in each, contents differ"),
                None => "contents differ".to_string(),
            }
        } else if s.sizes.iter().all(Option::is_some) {
            let v: Vec<String> = s.sizes.iter().flatten().map(u64::to_string).collect();
            format!("{} bytes", v.join(" vs "))
        } else {
            let v: Vec<String> = s
                .sizes
                .iter()
                .enumerate()
                .map(|(i, z)| match z {
                    Some(z) => format!("{z} bytes in {}", letter(i)),
                    None => format!("absent in {}", letter(i)),
                })
                .collect();
            v.join(", ")
        };
        writeln!(out, "  {:<22} {sizes}", s.name)?;
    }
    if differing.len() > MAX_SECTIONS {
        writeln!(
            out,
            "  … {} more differing sections",
            differing.len() - MAX_SECTIONS
        )?;
    }
    if let Some(at) = f.first_difference {
        writeln!(out, "  first difference at byte {at} ({at:#x})")?;
    }
    for line in &f.line_diff {
        writeln!(out, "    {}", escape::text(line))?;
    }
    for (k, cause) in f.causes.iter().enumerate() {
        let builds = if f.digests.len() > 2 {
            format!(
                " [{} vs {}]",
                letter(cause.builds[0]),
                letter(cause.builds[1])
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {}. {}{builds}: {}",
            k + 1,
            paint.warn(cause.kind.name()),
            escape::text(&cause.evidence)
        )?;
        writeln!(out, "     fix: {}", cause.hint)?;
    }
    for note in &f.notes {
        writeln!(out, "  note: {}", escape::text(note))?;
    }
    Ok(())
}

/// What a file's causes are, for saying once the causes many files share.
fn signature(f: &FileComparison) -> Vec<(&str, &str)> {
    f.causes
        .iter()
        .map(|c| (c.kind.name(), c.hint.as_str()))
        .collect()
}

fn short(digest: &str) -> &str {
    digest.get(..16).unwrap_or(digest)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
