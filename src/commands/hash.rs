//! `repro-check hash`: SHA-256 of every file of each path, as `sha256sum` prints it, or as a JSON
//! manifest that `compare` and `attest` read on another machine.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::manifest::{self, Manifest, Node, Root, RootKind};
use crate::{Error, Outcome, report};

/// Hash build outputs: SHA-256 of every file in `sha256sum -c` format, a JSON manifest, NAR hashes.
///
/// Directories are walked (symlinks inside them are not followed), sorted, and listed by path, so
/// `repro-check hash DIR > SUMS` then `sha256sum -c SUMS` checks them. A PATH that is a symlink to a
/// directory (a `result` link) is walked.
#[derive(Debug, Args)]
pub struct HashArgs {
    /// Print a JSON manifest (schema `repro-check.manifest/v1`) instead; `compare` accepts it in
    /// place of a build, so builds on different machines compare without moving binaries.
    #[arg(long)]
    pub json: bool,

    /// Also give the Nix NAR hash of each PATH (`sha256-<base64>`, what `nix hash path PATH`
    /// prints and what a store path's `narHash` is). In text output it is a `# nar` comment line,
    /// which `sha256sum -c` ignores.
    #[arg(long)]
    pub nar: bool,

    /// Files or directories to hash.
    #[arg(required = true, value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,
}

/// Run `hash`.
pub fn run(args: &HashArgs) -> Result<Outcome, Error> {
    let progress = report::progress::spinner(String::new());
    let roots = args
        .paths
        .iter()
        .map(|p| {
            progress.set_message(format!("hashing {}", report::escape::path(p)));
            manifest::hash_root(p, args.nar)
        })
        .collect::<Result<Vec<_>, _>>();
    progress.finish_and_clear();
    let roots = roots?;
    let manifest = Manifest {
        schema: manifest::SCHEMA.to_string(),
        roots,
    };
    if args.json {
        return report::print_json(&manifest).map(|()| Outcome::Pass);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write_sums(&mut out, &manifest.roots).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)?;
    Ok(Outcome::Pass)
}

/// Write `sha256sum` lines for every regular file, then a `# nar` comment per root.
pub fn write_sums(out: &mut impl Write, roots: &[Root]) -> std::io::Result<()> {
    for root in roots {
        for entry in &root.entries {
            let Node::File { sha256, .. } = &entry.node else {
                continue;
            };
            let path = match root.kind {
                RootKind::File => root.path.clone(),
                RootKind::Tree => format!("{}/{}", root.path.trim_end_matches('/'), entry.path),
            };
            writeln!(out, "{}", sum_line(sha256, &path))?;
        }
    }
    for root in roots {
        if let Some(nar) = &root.nar_hash {
            writeln!(out, "# nar {nar}  {}", root.path)?;
        }
    }
    Ok(())
}

/// One `sha256sum` line; names with a backslash or line break are escaped and the line starts
/// with `\`, as GNU coreutils does.
fn sum_line(sha256: &str, path: &str) -> String {
    if path.contains(['\\', '\n', '\r']) {
        let escaped = path
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        format!("\\{sha256}  {escaped}")
    } else {
        format!("{sha256}  {path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_coreutils() {
        assert_eq!(sum_line("ab", "x"), "ab  x");
        assert_eq!(sum_line("ab", "a\nb\\c"), "\\ab  a\\nb\\\\c");
    }
}
