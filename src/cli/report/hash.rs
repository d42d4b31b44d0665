//! The text of `repro-check hash`: `sha256sum` lines that `sha256sum -c` reads, whatever bytes
//! the file names have, and a `# nar` comment per root.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use repro_check::escape;
use repro_check::snapshot::Snapshot;

/// Write `sha256sum` lines for every regular file, then a `# nar` comment per root. Names are
/// written as their bytes, escaped as GNU coreutils does (`\` and line breaks; such a line
/// starts with `\`), so `sha256sum -c` finds every file, whatever bytes its name has. On a
/// `terminal`, names are shown through [`escape::bytes`] instead, so no name can act on it.
pub fn write_sums(
    out: &mut impl Write,
    roots: &[(&Path, &Snapshot)],
    terminal: bool,
) -> std::io::Result<()> {
    for (path, snapshot) in roots {
        let given = path.as_os_str().as_bytes();
        for (name, node) in &snapshot.entries {
            let Some(sha256) = node.sha256() else {
                continue;
            };
            let mut full = given.to_vec();
            if !snapshot.single_file {
                while full.ends_with(b"/") {
                    full.pop();
                }
                full.push(b'/');
                full.extend_from_slice(name.as_bytes());
            }
            sum_line(out, sha256, &full, terminal)?;
        }
    }
    for (path, snapshot) in roots {
        if let Some(nar) = &snapshot.nar_hash {
            writeln!(out, "# nar {nar}  {}", escape::path(path))?;
        }
    }
    Ok(())
}

/// One `sha256sum` line.
fn sum_line(
    out: &mut impl Write,
    sha256: &str,
    name: &[u8],
    terminal: bool,
) -> std::io::Result<()> {
    if terminal {
        let shown = escape::bytes(name);
        let flag = if shown != String::from_utf8_lossy(name) {
            "\\"
        } else {
            ""
        };
        return writeln!(out, "{flag}{sha256}  {shown}");
    }
    if !name.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r')) {
        write!(out, "{sha256}  ")?;
        out.write_all(name)?;
        return out.write_all(b"\n");
    }
    let mut escaped = Vec::with_capacity(name.len() + 8);
    for &b in name {
        match b {
            b'\\' => escaped.extend_from_slice(b"\\\\"),
            b'\n' => escaped.extend_from_slice(b"\\n"),
            b'\r' => escaped.extend_from_slice(b"\\r"),
            b => escaped.push(b),
        }
    }
    write!(out, "\\{sha256}  ")?;
    out.write_all(&escaped)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &[u8], terminal: bool) -> Vec<u8> {
        let mut out = Vec::new();
        sum_line(&mut out, "ab", name, terminal).unwrap();
        out
    }

    #[test]
    fn escapes_like_coreutils() {
        assert_eq!(line(b"x", false), b"ab  x\n");
        assert_eq!(line(b"a\nb\\c", false), b"\\ab  a\\nb\\\\c\n");
        // Bytes that are not UTF-8 are written as they are, so `sha256sum -c` opens the file.
        assert_eq!(line(b"x\xfe", false), b"ab  x\xfe\n");
        assert_ne!(line(b"x\xfe", false), line(b"x\xff", false));
    }

    #[test]
    fn a_terminal_sees_escaped_names() {
        assert_eq!(line(b"x\xfe\x1b[2K", true), b"\\ab  x\\xFE\\u{1b}[2K\n");
        assert_eq!(line(b"plain", true), b"ab  plain\n");
    }
}
