//! Why two versions of an output file differ, in the form `rebuild` reports it: the compare
//! engine's findings for the pair (build A is the reference, B the other).

use serde::Serialize;

use crate::compare::{Cause, FileComparison};

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

impl Explanation {
    /// What `compare` found about one differing path.
    pub fn from_report(file: &FileComparison) -> Explanation {
        Explanation {
            causes: file.causes.clone(),
            first_difference: file.first_difference,
            line_diff: file.line_diff.clone(),
            notes: file.notes.clone(),
        }
    }
}
