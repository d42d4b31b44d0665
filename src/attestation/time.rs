//! The one clock rule: no time is recorded unless asked for. `SOURCE_DATE_EPOCH` (the
//! reproducible-builds.org convention) is a request with a fixed answer; `--timestamp` asks for the
//! clock when it is unset.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Error;

/// The time to record as RFC 3339 UTC (`2026-11-24T06:00:00Z`): `SOURCE_DATE_EPOCH` when set,
/// else the clock when `clock` is true, else none.
pub fn time_verified(
    source_date_epoch: Option<&str>,
    clock: bool,
) -> Result<Option<String>, Error> {
    let when = match source_date_epoch {
        Some(text) => {
            let secs: u64 = text.trim().parse().map_err(|_| {
                Error::Invalid(format!(
                    "SOURCE_DATE_EPOCH is {text:?}, not a whole number of seconds since 1970; set it to e.g. $(git log -1 --format=%ct)"
                ))
            })?;
            UNIX_EPOCH + Duration::from_secs(secs)
        }
        None if clock => SystemTime::now(),
        None => return Ok(None),
    };
    Ok(Some(humantime::format_rfc3339_seconds(when).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_wins_and_is_formatted_in_utc() {
        assert_eq!(
            time_verified(Some("1700000000"), true).unwrap().as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(time_verified(None, false).unwrap(), None);
        assert!(time_verified(None, true).unwrap().is_some());
        assert!(time_verified(Some("yesterday"), false).is_err());
    }
}
