//! Parsers for option values shared by every command: zones, durations, instants and
//! periods. Each error names the flag and shows a value that works.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;

use crate::error::{Error, Result};
use crate::ingest::Micros;

/// Parses an IANA zone name.
pub fn parse_zone(s: &str) -> Result<Tz> {
    s.parse::<Tz>().map_err(|_| {
        Error::Usage(format!(
            "unknown time zone '{s}'; use an IANA name such as UTC, Europe/Berlin or America/New_York"
        ))
    })
}

/// Parses a humantime duration into microseconds.
pub fn parse_duration(flag: &str, s: &str) -> Result<Micros> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        Error::Usage(format!(
            "{flag}: cannot read '{s}' as a duration ({e}); examples: 90s, 15m, 24h"
        ))
    })?;
    i64::try_from(d.as_micros()).map_err(|_| Error::Usage(format!("{flag}: '{s}' is too long")))
}

/// Parses `--from`/`--to`/`--as-of`: RFC 3339; a local date and time without an offset
/// (`2024-03-31 12:00`, seconds optional, `T` or a space) in `tz`, the earlier one when
/// the clock repeats it; or a bare date at midnight in `tz` (`end_of_day`: the following
/// midnight, so the named day is included).
pub fn parse_time(flag: &str, s: &str, tz: Tz, end_of_day: bool) -> Result<Micros> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros());
    }
    if let Some(local) = local_date_time(s) {
        return tz
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.timestamp_micros())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{flag}: '{s}' does not exist in {tz} (the clocks skip it); give an \
                     offset, e.g. 2024-03-31T12:00:00+02:00"
                ))
            });
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        Error::Usage(format!(
            "{flag}: cannot read '{s}'; use a date (2024-03-31), a local time \
             (2024-03-31 12:00) or RFC 3339 (2024-03-31T12:00:00Z)"
        ))
    })?;
    let date = if end_of_day {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    local_midnight(date, tz)
        .ok_or_else(|| Error::Usage(format!("{flag}: '{s}' has no midnight in {tz}")))
}

/// `YYYY-MM-DD HH:MM[:SS]`, with a space or `T`, without an offset.
fn local_date_time(s: &str) -> Option<chrono::NaiveDateTime> {
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
}

/// The first instant of `date` in `tz` (midnight, or the first valid time after a gap).
fn local_midnight(date: NaiveDate, tz: Tz) -> Option<Micros> {
    let mut t = date.and_hms_opt(0, 0, 0)?;
    for _ in 0..4 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return Some(dt.timestamp_micros());
        }
        t += chrono::Duration::minutes(30);
    }
    None
}

/// Parses `FROM..TO` into `[from, to)` (a date TO includes that day).
pub fn parse_period(flag: &str, s: &str, tz: Tz) -> Result<(Micros, Micros)> {
    let (a, b) = s.split_once("..").ok_or_else(|| {
        Error::Usage(format!(
            "{flag} '{s}': write FROM..TO, e.g. 2024-01-01..2024-03-31"
        ))
    })?;
    let from = parse_time(flag, a, tz, false)?;
    let to = parse_time(flag, b, tz, true)?;
    if from >= to {
        return Err(Error::Usage(format!(
            "{flag} '{s}': FROM must be before TO"
        )));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    #[test]
    fn local_times_are_read_in_the_zone_the_earlier_when_repeated() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 10:00 CET is 09:00Z.
        let t = parse_time("--from", "2024-03-01 10:00", berlin, false).unwrap();
        assert_eq!(t, 1_709_283_600 * S);
        assert_eq!(
            parse_time("--from", "2024-03-01T10:00", berlin, true).unwrap(),
            t
        );
        // Seconds, in UTC; a time is never moved to the end of its day.
        let t = parse_time("--to", "2024-03-01 10:00:30", Tz::UTC, true).unwrap();
        assert_eq!(t, 1_709_287_230 * S);
        // 02:30 happens twice on 27 October: the first, in CEST (+02:00), is 00:30Z.
        let t = parse_time("--from", "2024-10-27 02:30", berlin, false).unwrap();
        assert_eq!(t, 1_729_989_000 * S);
        // 02:30 on 31 March never happens: an error asking for an offset.
        let e = parse_time("--from", "2024-03-31 02:30", berlin, false).unwrap_err();
        assert!(
            e.to_string().contains("does not exist in Europe/Berlin"),
            "{e}"
        );
        let e = parse_time("--from", "31/03/2024", berlin, false).unwrap_err();
        assert!(
            e.to_string().contains("a local time (2024-03-31 12:00)"),
            "{e}"
        );
    }
}
