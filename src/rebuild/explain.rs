//! Why two versions of an output file differ, in the form `rebuild` reports it: the compare
//! engine's findings for the pair (build A is the reference, B the other).

use std::path::Path;

use serde::Serialize;

use crate::compare::{self, Cause};

/// What the compare engine says about a pair of differing files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// Ranked causes, as `compare` reports them (empty when the bytes show no known pattern).
    pub causes: Vec<Cause>,
    /// The first differing byte, for files that are not ELF.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_difference: Option<u64>,
    /// A short line diff (`-` reference, `+` the other), for text files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub line_diff: Vec<String>,
    /// Anything that limited the analysis, or why there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Explain why the files `a` (reference) and `b` differ.
pub fn explain(a: &Path, b: &Path) -> Explanation {
    let comparison = match compare::compare_paths(&[a.to_path_buf(), b.to_path_buf()]) {
        Ok(c) => c,
        Err(e) => {
            return Explanation {
                notes: vec![format!("not analysed: {e}")],
                ..Explanation::default()
            };
        }
    };
    let mut out = Explanation::default();
    for file in comparison.files.into_iter().filter(|f| !f.identical) {
        out.causes.extend(file.causes);
        out.first_difference = out.first_difference.or(file.first_difference);
        out.line_diff.extend(file.line_diff);
        out.notes.extend(file.notes);
    }
    out
}
