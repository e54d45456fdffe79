//! Timestamp parsing and input time zones.
//!
//! [`parse_timestamp`] turns one CSV field into microseconds since the epoch (UTC) without
//! allocating on success. Accepted forms (docs/inputs.md 2.7 rule 4):
//!
//! - RFC 3339: `2024-03-04T14:02:11Z`, `...+01:00`, `...+0100`, `...+01`, `T` or a space;
//!   pandas writes `2024-03-04 14:02:11+00:00`;
//! - naive `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS` (R `write.csv`), read in the input
//!   zone; seconds may be omitted;
//! - a bare date `YYYY-MM-DD` (R >= 4.3 prints midnight that way), midnight in the input zone;
//! - epoch seconds (legacy `/applications/{guid}/jobs`): a number with at least 9 integer
//!   digits and an optional fraction.
//!
//! Fractions may have up to 9 digits and are truncated to microseconds. Results must lie in
//! `[2000-01-01, 2100-01-01)` UTC (docs/metrics.md section 0).

use chrono::{NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::{Kind, Micros};

/// What had to be done to a naive local time to place it on the UTC line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalAdjust {
    /// The time was unambiguous (or carried an offset).
    None,
    /// The local time falls in a spring-forward gap; it was shifted forward by the gap.
    Nonexistent,
    /// The local time occurs twice (fall-back); the earlier offset was taken.
    Ambiguous,
}

/// A parsed timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    /// Microseconds since the Unix epoch, UTC.
    pub micros: Micros,
    /// How a naive local time was resolved.
    pub adjust: LocalAdjust,
    /// The text had no offset: it was read in the input zone.
    pub naive: bool,
}

/// First accepted instant: 2000-01-01T00:00:00Z.
pub const MIN_MICROS: Micros = 946_684_800_000_000;
/// First rejected instant: 2100-01-01T00:00:00Z.
pub const MAX_MICROS: Micros = 4_102_444_800_000_000;

const MICROS_PER_SEC: i64 = 1_000_000;

/// The common shape `YYYY-MM-DDTHH:MM:SSZ` (exactly 20 bytes) without the general
/// parser's dispatch; `None` for any other input, which [`parse_timestamp`] then reads.
/// Where it answers it gives what [`parse_timestamp`] gives (the same checks and
/// arithmetic, the same [2000, 2100) range).
pub fn parse_utc_seconds(b: &[u8]) -> Option<Micros> {
    if b.len() != 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let days = parse_date(&b[..10])?;
    let two = |i: usize| -> Option<i64> {
        let (x, y) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
        (x < 10 && y < 10).then(|| i64::from(x) * 10 + i64::from(y))
    };
    let (h, mi, s) = (two(11)?, two(14)?, two(17)?);
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let micros = (days * 86_400 + h * 3600 + mi * 60 + s) * MICROS_PER_SEC;
    (MIN_MICROS..MAX_MICROS).contains(&micros).then_some(micros)
}

/// Parses one timestamp field; naive values are read in `zone`.
pub fn parse_timestamp(s: &str, zone: Tz) -> Result<Parsed, String> {
    let t = s.trim();
    let parsed = if let Some(epoch) = parse_epoch(t.as_bytes()) {
        Some(Parsed {
            micros: epoch,
            adjust: LocalAdjust::None,
            naive: false,
        })
    } else {
        parse_calendar(t.as_bytes(), zone)
    };
    let parsed = parsed.ok_or_else(|| unparseable(s))?;
    if !(MIN_MICROS..MAX_MICROS).contains(&parsed.micros) {
        return Err(format!("timestamp {s} is outside [2000, 2100)"));
    }
    Ok(parsed)
}

fn unparseable(s: &str) -> String {
    format!(
        "cannot parse '{s}' as a timestamp; expected RFC 3339 (2024-03-04T09:02:11Z), \
         'YYYY-MM-DD HH:MM:SS' or epoch seconds"
    )
}

/// Epoch seconds: at least 9 integer digits, optional `.fraction`; `None` if not that form.
fn parse_epoch(b: &[u8]) -> Option<Micros> {
    let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(9..=12).contains(&int_len) {
        return None;
    }
    let secs = digits(&b[..int_len])?;
    let frac = match &b[int_len..] {
        [] => 0,
        [b'.', rest @ ..] if rest.iter().all(u8::is_ascii_digit) => fraction_micros(rest)?,
        _ => return None,
    };
    Some(secs * MICROS_PER_SEC + frac)
}

/// Value of an all-digit slice (at most 18 digits); `None` on anything else.
fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    b.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// Microseconds of a fraction's digits (1 to 9 of them), truncated.
fn fraction_micros(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let used = &b[..b.len().min(6)];
    let v = digits(used)?;
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v * 10i64.pow(6 - used.len() as u32))
}

/// The fields of a calendar timestamp, before zone resolution.
struct Civil {
    days: i64,
    secs_of_day: i64,
    micros: i64,
}

impl Civil {
    fn naive_seconds(&self) -> i64 {
        self.days * 86_400 + self.secs_of_day
    }
}

fn parse_calendar(b: &[u8], zone: Tz) -> Option<Parsed> {
    let days = parse_date(b.get(..10)?)?;
    let mut civil = Civil {
        days,
        secs_of_day: 0,
        micros: 0,
    };
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(resolve_naive(&civil, zone));
    }
    if !matches!(rest[0], b'T' | b't' | b' ') {
        return None;
    }
    let rest = parse_time(&rest[1..], &mut civil)?;
    match rest {
        [] => Some(resolve_naive(&civil, zone)),
        [b'Z' | b'z'] => Some(with_offset(&civil, 0)),
        [sign @ (b'+' | b'-'), off @ ..] => {
            let secs = parse_offset(off)?;
            Some(with_offset(
                &civil,
                if *sign == b'-' { -secs } else { secs },
            ))
        }
        _ => None,
    }
}

/// `YYYY-MM-DD` → days since the epoch.
fn parse_date(b: &[u8]) -> Option<i64> {
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&b[0..4])?;
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `HH:MM[:SS[.f]]`; fills `civil` and returns what follows.
fn parse_time<'a>(b: &'a [u8], civil: &mut Civil) -> Option<&'a [u8]> {
    if b.len() < 5 || b[2] != b':' {
        return None;
    }
    let h = digits(&b[0..2])?;
    let mi = digits(&b[3..5])?;
    let mut rest = &b[5..];
    let mut s = 0;
    if let [b':', s1, s2, tail @ ..] = rest {
        s = digits(&[*s1, *s2])?;
        rest = tail;
    }
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        civil.micros = fraction_micros(&tail[..n])?;
        rest = &tail[n..];
    }
    civil.secs_of_day = h * 3600 + mi * 60 + s;
    Some(rest)
}

/// `HH:MM`, `HHMM` or `HH` → seconds east of UTC (sign applied by the caller).
fn parse_offset(b: &[u8]) -> Option<i64> {
    let (h, m) = match b {
        [h1, h2] => (digits(&[*h1, *h2])?, 0),
        [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
        [h1, h2, b':', m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
        _ => return None,
    };
    (h <= 23 && m <= 59).then_some(h * 3600 + m * 60)
}

fn with_offset(civil: &Civil, offset_secs: i64) -> Parsed {
    Parsed {
        micros: (civil.naive_seconds() - offset_secs) * MICROS_PER_SEC + civil.micros,
        adjust: LocalAdjust::None,
        naive: false,
    }
}

/// Places a naive local time in `zone`: gap times shift forward, overlaps take the earlier
/// offset.
fn resolve_naive(civil: &Civil, zone: Tz) -> Parsed {
    let utc = || Parsed {
        naive: true,
        ..with_offset(civil, 0)
    };
    if zone == Tz::UTC {
        return utc();
    }
    let naive_secs = civil.naive_seconds();
    let Some(naive) = chrono::DateTime::from_timestamp(naive_secs, 0).map(|d| d.naive_utc()) else {
        return utc();
    };
    let (offset, adjust) = match zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(dt) => (offset_secs(&dt), LocalAdjust::None),
        chrono::LocalResult::Ambiguous(a, b) => {
            let earlier = offset_secs(&a).max(offset_secs(&b));
            (earlier, LocalAdjust::Ambiguous)
        }
        chrono::LocalResult::None => (offset_before_gap(zone, naive), LocalAdjust::Nonexistent),
    };
    let mut parsed = with_offset(civil, offset);
    parsed.adjust = adjust;
    parsed.naive = true;
    parsed
}

fn offset_secs(dt: &chrono::DateTime<Tz>) -> i64 {
    i64::from(dt.offset().fix().local_minus_utc())
}

/// The offset in force just before a gap at `naive`: reading the local time with it moves
/// the time forward by the gap (02:30 in a one-hour gap becomes 03:30).
fn offset_before_gap(zone: Tz, naive: NaiveDateTime) -> i64 {
    let before = naive - chrono::Duration::days(1);
    i64::from(
        zone.offset_from_utc_datetime(&before)
            .fix()
            .local_minus_utc(),
    )
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Zones for timestamps without an offset: one default, overridable per export kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputTz {
    zones: [Tz; Kind::ALL.len()],
    /// The kinds whose zone `--input-tz` set (the others are UTC by default).
    set: [bool; Kind::ALL.len()],
}

impl Default for InputTz {
    fn default() -> Self {
        InputTz {
            zones: [Tz::UTC; Kind::ALL.len()],
            set: [false; Kind::ALL.len()],
        }
    }
}

impl InputTz {
    /// Parses `--input-tz` values: `ZONE` (every kind) or `KIND=ZONE`; later values override
    /// earlier ones. Commas separate several values in one string.
    pub fn parse(specs: &[String]) -> Result<InputTz, String> {
        let mut tz = InputTz::default();
        for spec in specs.iter().flat_map(|s| s.split(',')) {
            let spec = spec.trim();
            if spec.is_empty() {
                continue;
            }
            match spec.split_once('=') {
                Some((kind, zone)) => {
                    let kind =
                        Kind::from_cli_name(kind.trim()).ok_or_else(|| unknown_kind(kind))?;
                    tz.zones[kind.index()] = parse_zone(zone.trim())?;
                    tz.set[kind.index()] = true;
                }
                None => {
                    tz.zones = [parse_zone(spec)?; Kind::ALL.len()];
                    tz.set = [true; Kind::ALL.len()];
                }
            }
        }
        Ok(tz)
    }

    /// The zone for naive timestamps of `kind` (UTC unless set).
    pub fn zone_for(&self, kind: Kind) -> Tz {
        self.zones[kind.index()]
    }

    /// True when `--input-tz` gave the zone of `kind` (for all kinds or for this one).
    pub fn is_set(&self, kind: Kind) -> bool {
        self.set[kind.index()]
    }
}

fn unknown_kind(kind: &str) -> String {
    let names: Vec<&str> = Kind::ALL.iter().map(|k| k.cli_name()).collect();
    format!(
        "unknown export kind '{}' in --input-tz; use one of {} (e.g. shiny=America/New_York)",
        kind.trim(),
        names.join(", ")
    )
}

/// An IANA zone name (`UTC` and `Z` accepted).
fn parse_zone(name: &str) -> Result<Tz, String> {
    if name.eq_ignore_ascii_case("utc") || name == "Z" {
        return Ok(Tz::UTC);
    }
    name.parse::<Tz>().map_err(|_| {
        format!("unknown time zone '{name}'; use an IANA name such as America/New_York, Europe/Berlin or UTC")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;
    use proptest::prelude::*;

    fn utc(s: &str) -> Micros {
        parse_timestamp(s, Tz::UTC).unwrap().micros
    }

    const T: Micros = 1_709_560_931_000_000; // 2024-03-04T14:02:11Z

    #[test]
    fn accepts_every_documented_form() {
        for s in [
            "2024-03-04T14:02:11Z",
            "2024-03-04t14:02:11z",
            "2024-03-04 14:02:11Z",
            "2024-03-04T15:02:11+01:00",
            "2024-03-04T15:02:11+0100",
            "2024-03-04T15:02:11+01",
            "2024-03-04T09:02:11-05:00",
            "2024-03-04 14:02:11+00:00",
            "2024-03-04 14:02:11",
            "2024-03-04T14:02:11",
            " 2024-03-04 14:02:11 ",
            "1709560931",
        ] {
            assert_eq!(utc(s), T, "{s}");
        }
        assert_eq!(utc("2024-03-04 14:02"), T - 11_000_000);
        assert_eq!(utc("2024-03-04"), T - (14 * 3600 + 2 * 60 + 11) * 1_000_000);
    }

    #[test]
    fn fractions_truncate_to_micros() {
        assert_eq!(utc("2025-04-30T12:49:16.269904Z") % 1_000_000, 269_904);
        assert_eq!(utc("2025-04-30T12:49:16.4Z") % 1_000_000, 400_000);
        assert_eq!(utc("2025-04-30 12:49:16.123456789") % 1_000_000, 123_456);
        assert_eq!(utc("1732573574.5"), 1_732_573_574_500_000);
        assert!(parse_timestamp("2025-04-30T12:49:16.1234567891Z", Tz::UTC).is_err());
        assert!(parse_timestamp("2025-04-30T12:49:16.Z", Tz::UTC).is_err());
    }

    #[test]
    fn naive_times_are_read_in_the_zone() {
        let p = parse_timestamp("2024-03-04 09:02:11", New_York).unwrap();
        assert_eq!(
            p,
            Parsed {
                micros: T,
                adjust: LocalAdjust::None,
                naive: true,
            }
        );
        // An explicit offset ignores the zone.
        assert_eq!(
            parse_timestamp("2024-03-04T14:02:11Z", New_York)
                .unwrap()
                .micros,
            T
        );
        let midnight = parse_timestamp("2024-03-05", New_York).unwrap().micros;
        assert_eq!(midnight, utc("2024-03-05T05:00:00Z"));
    }

    #[test]
    fn spring_forward_gap_shifts_forward() {
        let p = parse_timestamp("2024-03-10 02:30:00", New_York).unwrap();
        assert_eq!(p.adjust, LocalAdjust::Nonexistent);
        // 03:30 EDT = 07:30 UTC.
        assert_eq!(p.micros, utc("2024-03-10T07:30:00Z"));
        let after = parse_timestamp("2024-03-10 03:30:00", New_York).unwrap();
        assert_eq!(
            after,
            Parsed {
                micros: p.micros,
                adjust: LocalAdjust::None,
                naive: true,
            }
        );
    }

    #[test]
    fn fall_back_overlap_takes_earlier_offset() {
        let p = parse_timestamp("2024-11-03 01:30:00", New_York).unwrap();
        assert_eq!(p.adjust, LocalAdjust::Ambiguous);
        // 01:30 EDT (-04:00) = 05:30 UTC, the first of the two.
        assert_eq!(p.micros, utc("2024-11-03T05:30:00Z"));
        let later = parse_timestamp("2024-11-03 02:30:00", New_York).unwrap();
        assert_eq!(later.micros, utc("2024-11-03T07:30:00Z"));
        assert_eq!(later.adjust, LocalAdjust::None);
    }

    #[test]
    fn rejects_malformed_values_with_a_hint() {
        let err = parse_timestamp("3/4/2024 9:02", Tz::UTC).unwrap_err();
        assert_eq!(
            err,
            "cannot parse '3/4/2024 9:02' as a timestamp; expected RFC 3339 \
             (2024-03-04T09:02:11Z), 'YYYY-MM-DD HH:MM:SS' or epoch seconds"
        );
        for bad in [
            "",
            "2024-02-30",
            "2024-13-01",
            "2024-03-04 24:00:00",
            "2024-03-04T10:00:00+25:00",
            "2024-03-04T10:00:00 Z",
            "12345678",
            "2024-03-04T10:00:61Z",
            "abc",
            "2024-03-04x",
            "1709560931x",
            "2024-03-04T10:00:00+01:0",
        ] {
            assert!(parse_timestamp(bad, Tz::UTC).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rejects_out_of_range() {
        assert_eq!(
            parse_timestamp("1999-12-31T23:59:59Z", Tz::UTC).unwrap_err(),
            "timestamp 1999-12-31T23:59:59Z is outside [2000, 2100)"
        );
        assert!(parse_timestamp("2100-01-01", Tz::UTC).is_err());
        assert!(parse_timestamp("123456789", Tz::UTC).is_err());
        assert_eq!(utc("2000-01-01"), MIN_MICROS);
        assert_eq!(utc("2099-12-31T23:59:59.999999Z"), MAX_MICROS - 1);
    }

    #[test]
    fn input_tz_specs() {
        let specs =
            |v: &[&str]| InputTz::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let tz = specs(&["Europe/Berlin", "shiny=America/New_York"]).unwrap();
        assert_eq!(tz.zone_for(Kind::ShinyUsage), New_York);
        assert_eq!(tz.zone_for(Kind::Jobs), chrono_tz::Europe::Berlin);
        let tz = specs(&["shiny=America/New_York", "UTC"]).unwrap();
        assert_eq!(tz.zone_for(Kind::ShinyUsage), Tz::UTC);
        let tz = specs(&["dashboard=America/Chicago,users=Asia/Tokyo"]).unwrap();
        assert_eq!(
            tz.zone_for(Kind::DashboardVisits),
            chrono_tz::America::Chicago
        );
        assert_eq!(tz.zone_for(Kind::Users), chrono_tz::Asia::Tokyo);
        assert_eq!(InputTz::default().zone_for(Kind::Hits), Tz::UTC);
        let err = specs(&["Mars/Olympus"]).unwrap_err();
        assert!(
            err.contains("'Mars/Olympus'") && err.contains("America/New_York"),
            "{err}"
        );
        let err = specs(&["sessions=UTC"]).unwrap_err();
        assert!(err.contains("'sessions'") && err.contains("shiny"), "{err}");
    }

    fn fmt_offset(secs: i64) -> String {
        let sign = if secs < 0 { '-' } else { '+' };
        format!(
            "{sign}{:02}:{:02}",
            secs.abs() / 3600,
            secs.abs() % 3600 / 60
        )
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC{0,40}", t in "[0-9T:. +Zz-]{0,35}") {
            let _ = parse_timestamp(&s, New_York);
            let _ = parse_timestamp(&t, New_York);
        }

        #[test]
        fn formatted_instants_round_trip(
            micros in MIN_MICROS + 86_400_000_000..MAX_MICROS - 86_400_000_000,
            offset_min in -14 * 60i64..=14 * 60,
        ) {
            let dt = chrono::DateTime::from_timestamp_micros(micros).unwrap();
            let z = dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
            prop_assert_eq!(utc(&z), micros);
            let naive = dt.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
            prop_assert_eq!(utc(&naive), micros);
            let off = offset_min * 60;
            let local = (dt + chrono::Duration::seconds(off)).format("%Y-%m-%dT%H:%M:%S%.6f");
            let with_off = format!("{local}{}", fmt_offset(off));
            prop_assert_eq!(utc(&with_off), micros);
            let secs = micros.div_euclid(1_000_000);
            prop_assert_eq!(utc(&secs.to_string()), secs * 1_000_000);
            let frac = format!("{secs}.{:06}", micros.rem_euclid(1_000_000));
            prop_assert_eq!(utc(&frac), micros);
        }
    }
}
