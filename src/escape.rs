//! Escaping strings that came from an input (file and subject names, builders, paths, evidence)
//! before they reach a terminal or a line-oriented text report.
//!
//! A name is attacker-controlled: with a line break it can forge a report line, with ESC it can
//! move the cursor or erase what was printed, and with a bidirectional override it can make text
//! read in another order than it is stored. Every text report passes such strings through
//! [`text`] (or [`bytes`] for names that need not be UTF-8) so what is printed is exactly one
//! line that shows what is there. JSON output needs none of this: serde escapes control
//! characters, and the raw value is what a program wants.
//!
//! The escapes are Rust's: `\n`, `\r`, `\t`, `\\`, `\u{1b}`, `\u{202e}`, and `\xFE` for a byte that
//! is not part of valid UTF-8. Printable text, including non-ASCII letters, is left alone.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for the characters that are escaped: control characters (C0, DEL, C1), the backslash
/// (so an escape in a name cannot pass for one of ours), the Unicode line and paragraph
/// separators, and the bidirectional formatting characters (LRM, RLM, ALM, the embeddings,
/// overrides and isolates).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || c == '\\'
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}' | '\u{202A}'
                ..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\\' => out.push_str("\\\\"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `s` as it may be printed on one line of a terminal: unchanged when nothing needs escaping.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes (a Unix file name, which need not be UTF-8) as they may be printed: valid UTF-8 runs as
/// [`text`] prints them, every other byte as `\xHH`, so two different names never print alike.
pub fn bytes(b: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(b) {
        return text(s);
    }
    let mut out = String::with_capacity(b.len() + 8);
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            if needs_escape(c) {
                push_escaped(&mut out, c);
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02X}");
        }
    }
    Cow::Owned(out)
}

/// A path as it may be printed (its bytes on Unix).
pub fn path(p: &std::path::Path) -> Cow<'_, str> {
    use std::os::unix::ffi::OsStrExt;
    bytes(p.as_os_str().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            text("bin/app-1.0 é"),
            Cow::Borrowed("bin/app-1.0 é")
        ));
    }

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(
            text("a\nsigned by 2 of 2\x1b[2K\r\t\u{202e}txt.exe\\"),
            "a\\nsigned by 2 of 2\\u{1b}[2K\\r\\t\\u{202e}txt.exe\\\\"
        );
        assert_eq!(
            text("\u{7f}\u{85}\u{2066}\u{2029}"),
            "\\u{7f}\\u{85}\\u{2066}\\u{2029}"
        );
    }

    #[test]
    fn invalid_utf8_bytes_stay_distinct() {
        assert_eq!(bytes(b"x\xfe"), "x\\xFE");
        assert_eq!(bytes(b"x\xff\n"), "x\\xFF\\n");
        assert_ne!(bytes(b"x\xfe"), bytes(b"x\xff"));
        assert_eq!(bytes("ok".as_bytes()), "ok");
    }

    #[test]
    fn an_escape_in_a_name_cannot_imitate_an_escaped_byte() {
        // The literal text `\xFE` and the byte 0xFE print differently.
        assert_ne!(bytes(b"\\xFE"), bytes(b"\xfe"));
    }
}
