//! `rebuild --attest FILE`: the in-toto reproducibility statement `repro-check attest` writes, with
//! every run of this rebuild as one build (labelled by run name) and its collected outputs as what
//! it produced. The same library code as `attest`; no time is recorded unless the caller's
//! environment set SOURCE_DATE_EPOCH.

use std::path::Path;

use crate::attestation::{builds, files, predicate, time};
use crate::compare;
use crate::error::Error;
use crate::manifest::Build;

/// Write the statement for the runs `runs` (each labelled by its run name, its outputs already
/// taken in memory) to `path`, replacing it whole. The builds are the very snapshots `rebuild`'s
/// verdict came from, so the two cannot disagree.
pub fn write(path: &Path, runs: &[Build], source_date_epoch: Option<u64>) -> Result<(), Error> {
    let when = time::time_verified(source_date_epoch, false);
    let comparison = compare::compare(runs)?;
    let (outputs, differences) = builds::reshape(runs, &comparison);
    let statement = predicate::statement(&outputs, &differences, Vec::new(), when);
    let mut bytes = serde_json::to_vec_pretty(&statement).map_err(|e| Error::Output(e.into()))?;
    bytes.push(b'\n');
    files::write_replace(path, &bytes)
}
