//! Recognisers for what differing strings are: build directories (a prefix substitution that
//! turns A's strings into B's), dates and times, and compiler identifications.

use std::collections::HashMap;

/// How many differing strings of each side are paired up when looking for a path substitution.
const PAIRING_LIMIT: usize = 300;

/// A directory that one build embeds where the other embeds another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    /// A's directory.
    pub a: String,
    /// B's directory.
    pub b: String,
}

impl Substitution {
    /// Rewrite A's text the way B would have it.
    pub fn apply(&self, s: &str) -> String {
        s.replace(&self.a, &self.b)
    }
}

/// Find the absolute directory substitution that explains most pairs of differing strings, e.g.
/// `/tmp/x/a/src/main.rs` vs `/tmp/x/b/src/main.rs` → `/tmp/x/a` → `/tmp/x/b`.
pub fn find_substitution(only_a: &[&str], only_b: &[&str]) -> Option<Substitution> {
    let with_slash = |v: &[&str]| -> Vec<String> {
        v.iter()
            .filter(|s| s.contains('/'))
            .take(PAIRING_LIMIT)
            .map(|s| s.to_string())
            .collect()
    };
    let (a, b) = (with_slash(only_a), with_slash(only_b));
    let mut votes: HashMap<(String, String), usize> = HashMap::new();
    for sa in &a {
        // Pair each A string with the B string sharing the most of its start and end, and of
        // those the closest in length (`/x/one` pairs with `/x/two`, not `/x/two/main.c`).
        let best = b
            .iter()
            .map(|sb| {
                let score = common_prefix(sa, sb) + common_suffix(sa, sb);
                ((score, std::cmp::Reverse(sa.len().abs_diff(sb.len()))), sb)
            })
            .max_by_key(|(score, _)| *score);
        if let Some((_, sb)) = best
            && let Some(sub) = directory_pair(sa, sb)
        {
            *votes.entry((sub.a, sub.b)).or_default() += 1;
        }
    }
    let ((a, b), _) = votes.into_iter().max_by(|x, y| {
        // Most pairs explained, then the longer (more specific) directory, then a fixed order.
        let len = |k: &(String, String)| k.0.len() + k.1.len();
        (x.1.cmp(&y.1))
            .then_with(|| len(&x.0).cmp(&len(&y.0)))
            .then_with(|| y.0.cmp(&x.0))
    })?;
    Some(Substitution { a, b })
}

/// The directories that differ between two strings: the differing middle, widened to the start
/// of the absolute path it sits in and to the end of its path component.
fn directory_pair(sa: &str, sb: &str) -> Option<Substitution> {
    let (ba, bb) = (sa.as_bytes(), sb.as_bytes());
    let prefix = common_prefix(sa, sb);
    let suffix = common_suffix(sa, sb)
        .min(ba.len() - prefix)
        .min(bb.len() - prefix);
    // Start: back to the path's first '/', within the run of path characters.
    let mut start = prefix;
    while start > 0 && is_path_byte(ba[start - 1]) {
        start -= 1;
    }
    let slash = ba[start..].iter().position(|&c| c == b'/')?;
    let start = start + slash;
    if start > prefix {
        return None; // the strings differ before the path begins
    }
    // End: forward to the end of the component on each side.
    let end_of = |bytes: &[u8], from: usize| {
        from + bytes[from..]
            .iter()
            .position(|&c| c == b'/' || !is_path_byte(c))
            .unwrap_or(bytes.len() - from)
    };
    let end_a = end_of(ba, ba.len() - suffix);
    let end_b = end_of(bb, bb.len() - suffix);
    let (da, db) = (sa.get(start..end_a)?, sb.get(start..end_b)?);
    // A directory worth naming: absolute, at least `/xyz`, with a letter in it (not `/6`, which
    // is a shifted offset inside binary data that happens to follow a slash).
    let plausible = |d: &str| {
        d.len() >= 4 && d.starts_with('/') && d.contains(|c: char| c.is_ascii_alphabetic())
    };
    // The rest of the string must agree: a shared tail after the directory, or two bare paths.
    let bare = |s: &str| s.bytes().all(is_path_byte);
    let rest_agrees =
        ba.len() - end_a >= 2 || (end_a == ba.len() && end_b == bb.len() && bare(sa) && bare(sb));
    // A content digest (OCI blob names, store hashes) is not a directory of the build.
    let digest = |d: &str| d.split(['/', ':', '-', '.']).any(is_digest);
    (da != db && plausible(da) && plausible(db) && rest_agrees && !digest(da) && !digest(db)).then(
        || Substitution {
            a: da.to_string(),
            b: db.to_string(),
        },
    )
}

/// A run of 32 or more hex digits (or Nix base-32 hashes of 32 characters): a digest, not a name.
fn is_digest(part: &str) -> bool {
    part.len() >= 32
        && (part.bytes().all(|c| c.is_ascii_hexdigit())
            || (part.len() == 32
                && part
                    .bytes()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())))
}

fn is_path_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'/' | b'.' | b'-' | b'_' | b'+' | b'~' | b'@' | b'=' | b','
        )
}

fn common_prefix(a: &str, b: &str) -> usize {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    floor_char_boundary(a, n)
}

fn common_suffix(a: &str, b: &str) -> usize {
    let n = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    // Keep it on a char boundary of `a` counted from the end.
    (0..=n)
        .rev()
        .find(|&k| a.is_char_boundary(a.len() - k))
        .unwrap_or(0)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Replace every date and time token (`12:34:56`, `Nov 24 2026`, `2026-11-24`, 10-digit epoch
/// seconds) with `#`, so strings that differ only in them compare equal.
pub fn mask_times(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if let Some(n) = time_token_at(b, i) {
            out.push('#');
            i += n;
        } else {
            let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
            out.push(ch);
            i += ch.len_utf8().max(1);
        }
    }
    out
}

/// The date- and time-like tokens in `s`.
pub fn time_tokens(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match time_token_at(b, i) {
            Some(n) => {
                found.push(&s[i..i + n]);
                i += n;
            }
            None => i += 1,
        }
    }
    found
}

/// The length of a date or time token starting at `i`, if one does.
fn time_token_at(b: &[u8], i: usize) -> Option<usize> {
    let digit = |k: usize| b.get(i + k).is_some_and(u8::is_ascii_digit);
    let at = |k: usize, c: u8| b.get(i + k) == Some(&c);
    let prev = i.checked_sub(1).map(|k| b[k]);
    // HH:MM:SS (also right after the `T` of an ISO 8601 date)
    if !prev.is_some_and(|c| c.is_ascii_digit())
        && digit(0)
        && digit(1)
        && at(2, b':')
        && digit(3)
        && digit(4)
        && at(5, b':')
        && digit(6)
        && digit(7)
    {
        return Some(8);
    }
    if prev.is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    // YYYY-MM-DD
    if (0..4).all(digit)
        && at(4, b'-')
        && digit(5)
        && digit(6)
        && at(7, b'-')
        && digit(8)
        && digit(9)
    {
        return Some(10);
    }
    // Mon DD YYYY (`__DATE__` pads the day with a space)
    if MONTHS.iter().any(|m| b[i..].starts_with(m.as_bytes()))
        && at(3, b' ')
        && (digit(4) || at(4, b' '))
        && digit(5)
        && at(6, b' ')
        && (7..11).all(digit)
    {
        return Some(11);
    }
    // Epoch seconds 2001…2033: ten digits starting with 1, not part of a longer number.
    if at(0, b'1') && (0..10).all(digit) && !digit(10) {
        return Some(10);
    }
    None
}

/// The compiler identifications in `s`: `.comment` entries (`GCC: (…) 12.2.0`, `rustc version
/// 1.95.0 (…)`, `clang version …`, `Linker: …`, each to the end of the string) and rustc's
/// `/rustc/<commit>` source paths.
pub fn toolchain_tokens(s: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for marker in ["GCC: (", "rustc version ", "clang version ", "Linker: "] {
        if let Some(i) = s.find(marker) {
            found.push(&s[i..]);
        }
    }
    let mut rest = s;
    while let Some(i) = rest.find("/rustc/") {
        let token = rest
            .get(i..i + 47)
            .filter(|t| t[7..].bytes().all(|c| c.is_ascii_hexdigit()));
        found.extend(token);
        rest = &rest[i + 7..];
    }
    found
}

/// Version-control facts in `s`: Go's `vcs.revision=…`, `vcs.time=…`, `vcs.modified=…` build
/// settings (to the end of the line), and `git describe` suffixes (`-12-gdeadbee`).
pub fn version_tokens(s: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for marker in ["vcs.revision=", "vcs.time=", "vcs.modified="] {
        let mut from = 0;
        while let Some(i) = s[from..].find(marker) {
            let start = from + i;
            let end = s[start..].find(['\n', '\t']).map_or(s.len(), |e| start + e);
            found.push(&s[start..end]);
            from = end;
        }
    }
    let b = s.as_bytes();
    for (i, w) in b.windows(2).enumerate() {
        if w == b"-g" {
            let hex = b[i + 2..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            let digits_before = b[..i]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if (7..=40).contains(&hex)
                && digits_before > 0
                && i > digits_before
                && b.get(i - digits_before - 1).is_some_and(|&c| c == b'-')
            {
                found.push(&s[i - digits_before - 1..i + 2 + hex]);
            }
        }
    }
    found
}

/// Key-value markers after which a build writes the user or host it ran on (to the end of the
/// value: the line, a quote or a space-free word).
const HOST_MARKERS: [&str; 8] = [
    "Built-By:",
    "Built by ",
    "built by ",
    "hostname=",
    "HOSTNAME=",
    "BUILD_HOST=",
    "BUILD_USER=",
    "LOGNAME=",
];

/// User and host names in `s`: `user@host` (a lower-case user, a host that is no version such as
/// `@v1.2` and no symbol version such as `@GLIBC_2.2.5`), and values after markers such as
/// `Built-By:` (a jar manifest) or `hostname=`.
pub fn host_tokens(s: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for marker in HOST_MARKERS {
        let mut from = 0;
        while let Some(i) = s[from..].find(marker) {
            let start = from + i;
            let value = start + marker.len();
            let rest = &s[value..];
            let rest = rest.trim_start_matches(' ');
            let skip = s.len() - value - rest.len();
            let len = rest
                .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',')
                .unwrap_or(rest.len());
            if len > 0 {
                found.push(&s[start..value + skip + len]);
            }
            from = value + skip + len.max(1).min(rest.len());
            if from >= s.len() {
                break;
            }
        }
    }
    let b = s.as_bytes();
    let user_byte = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || b"_.-".contains(&c);
    let host_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'-';
    for (at, _) in s.match_indices('@') {
        let user = b[..at].iter().rev().take_while(|&&c| user_byte(c)).count();
        let host = b[at + 1..].iter().take_while(|&&c| host_byte(c)).count();
        let (u, h) = (&s[at - user..at], &s[at + 1..at + 1 + host]);
        let starts_lower = u.bytes().next().is_some_and(|c| c.is_ascii_lowercase());
        let version = h.len() > 1 && h.starts_with('v') && h.as_bytes()[1].is_ascii_digit();
        let symbol_version = h
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'.');
        let boundary = at - user == 0 || !b[at - user - 1].is_ascii_alphanumeric();
        if starts_lower
            && host >= 2
            && !version
            && !symbol_version
            && boundary
            && h.bytes().any(|c| c.is_ascii_alphabetic())
        {
            found.push(&s[at - user..at + 1 + host]);
        }
    }
    found
}

/// `s` with its user and host names replaced by `#`.
pub fn mask_host(s: &str) -> String {
    host_tokens(s)
        .iter()
        .fold(s.to_string(), |acc, t| acc.replace(t, "#"))
}

/// `s` with its version-control facts replaced by `#`.
pub fn mask_version(s: &str) -> String {
    version_tokens(s)
        .iter()
        .fold(s.to_string(), |acc, t| acc.replace(t, "#"))
}

/// `s` with its compiler identifications replaced by `#`.
pub fn mask_toolchain(s: &str) -> String {
    toolchain_tokens(s)
        .iter()
        .fold(s.to_string(), |acc, t| acc.replace(t, "#"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_tokens_are_users_and_hosts_not_versions() {
        assert_eq!(host_tokens("built alice@build-7 today"), ["alice@build-7"]);
        assert_eq!(host_tokens("Built-By: alice\n"), ["Built-By: alice"]);
        assert_eq!(
            host_tokens("x hostname=ci-runner-3 y"),
            ["hostname=ci-runner-3"]
        );
        // Module versions, symbol versions and a bare @ are no hosts.
        assert!(host_tokens("golang.org/x/sys@v0.1.0").is_empty());
        assert!(host_tokens("memcpy@GLIBC_2.2.5 memcpy@@GLIBC_2.14").is_empty());
        assert!(host_tokens("a @ b, @home, Alice@Host").is_empty());
        assert_eq!(mask_host("by bob@h2 on"), "by # on");
    }

    #[test]
    fn finds_the_differing_directory() {
        let a = ["/tmp/x/a/src/main.rs", "/tmp/x/a", "other"];
        let b = ["/tmp/x/b/src/main.rs", "/tmp/x/b"];
        let sub = find_substitution(&a, &b).unwrap();
        assert_eq!((sub.a.as_str(), sub.b.as_str()), ("/tmp/x/a", "/tmp/x/b"));
        let sub = find_substitution(
            &["at /tmp/build1/target/x.rs:3"],
            &["at /tmp/build22/target/x.rs:3"],
        )
        .unwrap();
        assert_eq!(
            (sub.a.as_str(), sub.b.as_str()),
            ("/tmp/build1", "/tmp/build22")
        );
        assert_eq!(find_substitution(&["12:00:01"], &["12:00:02"]), None);
        assert_eq!(find_substitution(&["x\u{1}/6a"], &["x\u{1}/7a"]), None);
        // Layer digests are not build directories.
        let (da, db) = ("a".repeat(64), "b".repeat(64));
        assert_eq!(
            find_substitution(
                &[&format!("blobs/sha256/{da}/layer.tar")],
                &[&format!("blobs/sha256/{db}/layer.tar")]
            ),
            None
        );
        assert_eq!(
            find_substitution(
                &[&format!("/nix/store/{}-x/bin", "a".repeat(32))],
                &[&format!("/nix/store/{}-x/bin", "c".repeat(32))]
            ),
            None
        );
        // Strings that share nothing after the directory are not paired.
        assert_eq!(find_substitution(&["see /tmp/a: x=1"], &["/tmp/b"]), None);
    }

    #[test]
    fn masks_dates_and_times() {
        assert_eq!(mask_times("built Nov  4 2026 at 06:58:14"), "built # at #");
        assert_eq!(mask_times("2026-11-24T00:00:00Z"), "#T#Z");
        assert_eq!(mask_times("v1700000000"), "v1700000000");
        assert_eq!(mask_times("t=1700000000"), "t=#");
        assert_eq!(
            time_tokens("Jan 01 2020 00:00:00"),
            vec!["Jan 01 2020", "00:00:00"]
        );
    }

    #[test]
    fn recognises_version_info() {
        assert_eq!(
            version_tokens("build\tvcs.revision=abc123\nbuild\tvcs.time=2024"),
            ["vcs.revision=abc123", "vcs.time=2024"]
        );
        assert_eq!(version_tokens("v1.2.0-14-g1a2b3c4d"), ["-14-g1a2b3c4d"]);
        assert!(version_tokens("x-gcc -g").is_empty());
    }

    #[test]
    fn recognises_toolchains() {
        let gcc = "GCC: (Debian 12.2.0-14) 12.2.0";
        assert_eq!(toolchain_tokens(gcc), [gcc]);
        let path = "x/rustc/59807616e1a2b3c4d5e6f708192a3b4c5d6e7f80/library/core";
        let commit = "/rustc/59807616e1a2b3c4d5e6f708192a3b4c5d6e7f80";
        assert_eq!(toolchain_tokens(path), [commit]);
        assert_eq!(mask_toolchain(path), "x#/library/core");
        assert!(toolchain_tokens("/rustc/short").is_empty());
    }
}
