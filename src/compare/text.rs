//! For differing files that are text: a short line diff.

use similar::{ChangeTag, TextDiff};

use crate::Error;
use crate::input::Content;

/// Larger files are not diffed line by line.
const MAX_TEXT: u64 = 1 << 20;
/// Lines of diff shown.
const MAX_LINES: usize = 8;

/// Up to [`MAX_LINES`] changed lines (`-old` / `+new`) when both files are small UTF-8 text.
pub fn line_diff(a: &Content, b: &Content) -> Result<Vec<String>, Error> {
    let read = |c: &Content| -> Result<Option<String>, Error> {
        let Some(bytes) = c.read_up_to(MAX_TEXT)? else {
            return Ok(None);
        };
        if memchr::memchr(0, &bytes).is_some() {
            return Ok(None);
        }
        Ok(String::from_utf8(bytes).ok())
    };
    let (Some(ta), Some(tb)) = (read(a)?, read(b)?) else {
        return Ok(Vec::new());
    };
    // A deadline keeps pathological inputs fast; past it the diff is coarser, not wrong.
    let diff = TextDiff::configure()
        .timeout(std::time::Duration::from_millis(250))
        .diff_lines(&ta, &tb);
    let mut lines = Vec::new();
    let mut more = 0usize;
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            ChangeTag::Delete => '-',
            ChangeTag::Insert => '+',
            ChangeTag::Equal => continue,
        };
        if lines.len() < MAX_LINES {
            let text = change.value().trim_end_matches(['\n', '\r']);
            let shown: String = text.chars().take(100).collect();
            lines.push(format!("{sign}{shown}"));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        lines.push(format!(
            "… {more} more changed line{}",
            if more == 1 { "" } else { "s" }
        ));
    }
    Ok(lines)
}
