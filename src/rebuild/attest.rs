//! `rebuild --attest FILE`: the in-toto reproducibility statement `repro-check attest` writes, with
//! every run of this rebuild as one build (labelled by run name) and its collected outputs as what
//! it produced. The same library code as `attest`; no time is recorded unless SOURCE_DATE_EPOCH
//! was set by the caller.

use std::path::{Path, PathBuf};

use crate::attestation::{builds, files, predicate, time};
use crate::error::Error;

/// Write the statement for the runs whose outputs are in `stores` (labelled `labels`) to `path`,
/// replacing it whole.
pub fn write(
    path: &Path,
    stores: &[PathBuf],
    labels: &[String],
    caller_sde: Option<&str>,
) -> Result<(), Error> {
    let when = time::time_verified(caller_sde, false)?;
    let (outputs, differences) = builds::examine(stores, labels)?;
    let statement = predicate::statement(&outputs, &differences, Vec::new(), when);
    let mut bytes = serde_json::to_vec_pretty(&statement).map_err(|e| Error::Output(e.into()))?;
    bytes.push(b'\n');
    files::write_replace(path, &bytes)
}
