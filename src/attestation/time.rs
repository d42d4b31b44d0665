//! The one clock rule: no time is recorded unless asked for. `SOURCE_DATE_EPOCH` (the
//! reproducible-builds.org convention) is a request with a fixed answer; `--timestamp` asks for the
//! clock when it is unset.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Error;

/// 9999-12-31T23:59:59Z, the last second RFC 3339 can write (its year has four digits).
const LAST_SECOND: u64 = 253_402_300_799;

/// Parse a `SOURCE_DATE_EPOCH` value: whole seconds since 1970, up to the end of the year 9999
/// (the last time RFC 3339 can write). The one parser and the one message for it.
pub fn parse_source_date_epoch(text: &str) -> Result<u64, Error> {
    let secs: u64 = text.trim().parse().map_err(|_| {
        Error::Usage(format!(
            "SOURCE_DATE_EPOCH is \"{}\", not a whole number of seconds since 1970; set it to e.g. $(git log -1 --format=%ct)",
            crate::escape::text(text)
        ))
    })?;
    if secs > LAST_SECOND {
        return Err(Error::Usage(format!(
            "SOURCE_DATE_EPOCH is {secs}, after the end of the year 9999, which an RFC 3339 time cannot express; set it to e.g. $(git log -1 --format=%ct)"
        )));
    }
    Ok(secs)
}

/// The time to record as RFC 3339 UTC (`2026-11-24T06:00:00Z`): `source_date_epoch` (already
/// parsed by [`parse_source_date_epoch`]) when set, else the clock when `clock` is true, else none.
pub fn time_verified(source_date_epoch: Option<u64>, clock: bool) -> Option<String> {
    let when = match source_date_epoch {
        Some(secs) => UNIX_EPOCH + Duration::from_secs(secs.min(LAST_SECOND)),
        None if clock => SystemTime::now(),
        None => return None,
    };
    Some(humantime::format_rfc3339_seconds(when).to_string())
}

/// Whether `text` is an RFC 3339 date and time (`2026-11-24T06:00:00Z`, optionally with a
/// fraction of a second, or an offset such as `+01:00` instead of `Z`), as a VSA's `timeVerified`
/// must be.
pub fn is_rfc3339(text: &str) -> bool {
    if text.len() < 20 || !text.is_ascii() {
        return false;
    }
    let (date_time, mut zone) = text.split_at(19);
    if let Some(fraction) = zone.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        zone = &fraction[digits..];
    }
    let two = |b: &[u8], max: u8| {
        b[0].is_ascii_digit() && b[1].is_ascii_digit() && (b[0] - b'0') * 10 + (b[1] - b'0') <= max
    };
    let zone_ok = match zone.as_bytes() {
        b"Z" => true,
        [b'+' | b'-', h @ .., b':', m0, m1] if h.len() == 2 => two(h, 23) && two(&[*m0, *m1], 59),
        _ => false,
    };
    // humantime checks the date and time themselves (separators, digits, days in the month).
    zone_ok && humantime::parse_rfc3339(&format!("{date_time}Z")).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_wins_and_is_formatted_in_utc() {
        let sde = parse_source_date_epoch(" 1700000000\n").unwrap();
        assert_eq!(
            time_verified(Some(sde), true).as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(time_verified(None, false), None);
        assert!(time_verified(None, true).is_some());
        let err = parse_source_date_epoch("yesterday")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a whole number of seconds"), "{err}");
    }

    #[test]
    fn the_year_10000_is_refused_not_a_panic() {
        let last = parse_source_date_epoch("253402300799").unwrap();
        assert_eq!(
            time_verified(Some(last), false).as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
        for late in ["253402300800", "18446744073709551615"] {
            let err = parse_source_date_epoch(late).unwrap_err().to_string();
            assert!(err.contains("after the end of the year 9999"), "{err}");
        }
    }

    #[test]
    fn rfc3339_times() {
        for good in [
            "2026-11-24T06:00:00Z",
            "2026-11-24T06:00:00.123Z",
            "2026-11-24T06:00:00+01:00",
            "2026-11-24T06:00:00-23:59",
        ] {
            assert!(is_rfc3339(good), "{good}");
        }
        for bad in [
            "",
            "yesterday",
            "2026-11-24",
            "2026-11-24 06:00:00Z",
            "2026-13-24T06:00:00Z",
            "2026-11-24T06:00:00",
            "2026-11-24T06:00:00+24:00",
            "2026-11-24T06:00:00+01:60",
            "2026-11-24T06:00:00+01-00",
            "2026-11-24T06:00:00+0a:00",
            "2026-11-24T06:00:00Z+01:00",
            "2026-11-24T06:00:00ZZ",
            "2026-11-24T06:00:00Zx",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
