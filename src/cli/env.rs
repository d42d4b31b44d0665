//! The environment variables the library's jobs depend on, read in one place: the library never
//! reads the environment, it is given these values.

use std::ffi::OsString;

use repro_check::Error;
use repro_check::attestation::time::parse_source_date_epoch;
use repro_check::rebuild::Environment;

/// `SOURCE_DATE_EPOCH`, parsed; unset or empty is none.
pub fn source_date_epoch() -> Result<Option<u64>, Error> {
    match std::env::var_os("SOURCE_DATE_EPOCH") {
        Some(value) if !value.is_empty() => {
            parse_source_date_epoch(&value.to_string_lossy()).map(Some)
        }
        _ => Ok(None),
    }
}

/// What `rebuild` needs to know of the environment.
pub fn rebuild_environment() -> Result<Environment, Error> {
    let var = |name: &str| std::env::var_os(name).filter(|v: &OsString| !v.is_empty());
    Ok(Environment {
        source_date_epoch: source_date_epoch()?,
        home: var("HOME"),
        cargo_home: var("CARGO_HOME"),
        rustup_home: var("RUSTUP_HOME"),
    })
}
