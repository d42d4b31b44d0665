//! Why two versions of an output file differ, in the form `rebuild` reports it.

use std::path::Path;

use serde::Serialize;

/// One cause of a difference, as `rebuild` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CauseView {
    /// The kind: `build-path`, `timestamp`, `ordering`, …
    pub kind: String,
    /// What in the files shows it.
    pub evidence: String,
    /// What to do about it.
    pub hint: String,
}

/// Explain why the files `a` (reference) and `b` differ; empty when nothing can be said.
pub fn explain(_a: &Path, _b: &Path) -> Vec<CauseView> {
    Vec::new()
}
