//! Numbers and instants as people read them: the one place that turns a figure into text,
//! for every renderer in [`crate::report`] and for the sentences the model writes (the
//! recommendation's reasons, the answers to the six questions). It depends on nothing but
//! std, chrono and chrono-tz, so the model can use it without importing the report.
//!
//! Conventions, the same everywhere:
//! - whole counts group thousands with `,` (`20,097`), signed ones carry `+` (`+1,234`);
//! - decimals round as Rust's `{:.N}` does (to the nearest, ties to even on the exact
//!   binary value) and group their integer part (`1,234.5`);
//! - percentages take a fraction (`0.106` → `10.6 %`), with a space before `%`;
//! - a missing figure is `-` ([`MISSING`]);
//! - instants are RFC 3339 in UTC with `Z` in data, and `YYYY-MM-DD HH:MM` in the
//!   reporting zone in prose and tables.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

/// What a missing figure prints as.
pub const MISSING: &str = "-";

/// `f(x)`, or [`MISSING`] when there is no figure.
pub fn or_dash<T>(x: Option<T>, f: impl FnOnce(T) -> String) -> String {
    x.map_or_else(|| MISSING.to_string(), f)
}

/// Inserts `,` every three digits of the integer part of a formatted number, after an
/// optional sign: `-1234.50` → `-1,234.50`. Text that is not a number (`NaN`, `inf`) is
/// returned as it is.
fn group(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix(['-', '+']) {
        Some(rest) => (&s[..1], rest),
        None => ("", s),
    };
    let end = rest.find('.').unwrap_or(rest.len());
    let (digits, fraction) = rest.split_at(end);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + digits.len() / 3);
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(fraction);
    out
}

/// The unsigned integer types [`count`] takes (`usize` included: lengths are counts too).
pub trait Unsigned: Copy {
    /// The value as `u64` (lossless on every platform Rust targets with 64-bit or smaller
    /// pointers).
    fn widen(self) -> u64;
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Unsigned for $t {
            fn widen(self) -> u64 {
                self as u64
            }
        }
    )*};
}
unsigned!(u8, u16, u32, u64, usize);

/// A count with thousands separators: `0`, `999`, `1,000`, `20,097`.
pub fn count(n: impl Unsigned) -> String {
    group(&n.widen().to_string())
}

/// `one` for 1, else `many`: the noun (or verb) agreeing with a count.
pub fn plural(n: impl Unsigned, one: &'static str, many: &'static str) -> &'static str {
    if n.widen() == 1 {
        one
    } else {
        many
    }
}

/// A count and its noun: `1 export file`, `6 export files`, `20,097 sessions`.
pub fn counted(n: impl Unsigned, one: &str, many: &str) -> String {
    let noun = if n.widen() == 1 { one } else { many };
    format!("{} {noun}", count(n))
}

/// A number of days rounded to `places` (as [`short`]), and `day` or `days` as the
/// rounded text reads: `1 day`, `0.5 days`, `243 days`.
pub fn days(d: f64, places: usize) -> String {
    let text = short(d, places);
    let noun = if text == "1" { "day" } else { "days" };
    format!("{text} {noun}")
}

/// A length of time in words, in the largest unit that divides it exactly (days only from
/// two on, so the default open-session cap reads as typed, `24 hours`), else in seconds:
/// `45 seconds`, `30 minutes`, `1 hour`, `36 hours`, `2 days`, `0.5 seconds`.
pub fn span(seconds: f64) -> String {
    const UNITS: [(f64, &str, &str); 3] = [
        (86_400.0, "day", "days"),
        (3_600.0, "hour", "hours"),
        (60.0, "minute", "minutes"),
    ];
    let (value, one, many) = UNITS
        .iter()
        .map(|&(unit, one, many)| (seconds / unit, one, many))
        .find(|&(v, one, _)| v.fract() == 0.0 && v >= if one == "day" { 2.0 } else { 1.0 })
        .unwrap_or((seconds, "second", "seconds"));
    let noun = if value == 1.0 { one } else { many };
    format!("{} {noun}", short(value, 3))
}

/// A signed count: `+1,234`, `-3`, and `0` without a sign.
pub fn signed_count(n: impl Into<i64>) -> String {
    let n = n.into();
    let text = group(&n.to_string());
    if n > 0 {
        format!("+{text}")
    } else {
        text
    }
}

/// A number with exactly `places` decimals, thousands grouped: `fixed(1234.56, 1)` =
/// `1,234.6`.
pub fn fixed(x: f64, places: usize) -> String {
    group(&format!("{x:.places$}"))
}

/// A number with at most `places` decimals, trailing zeros dropped, thousands grouped:
/// `7.2`, `12`, `0.35` for two places; `-0` prints as `0` and a value that is not finite
/// as `n/a`.
pub fn short(x: f64, places: usize) -> String {
    if !x.is_finite() {
        return "n/a".to_string();
    }
    let s = format!("{x:.places$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        group(s)
    }
}

/// A figure that may be whole or not: whole values as counts (`20,097`, `-1`), the rest
/// with two decimals (`73.88`).
pub fn figure(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        fixed(x, 0)
    } else {
        fixed(x, 2)
    }
}

/// A signed [`figure`]: `+805`, `+8.85`, `-1`, and `0` without a sign.
pub fn signed_figure(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", figure(x))
    } else {
        figure(x)
    }
}

/// A fraction as a percentage with `places` decimals: `percent(0.4321, 1)` = `43.2 %`.
pub fn percent(fraction: f64, places: usize) -> String {
    format!("{} %", fixed(fraction * 100.0, places))
}

/// A fraction as a signed percentage: `+10.6 %`, `-2.0 %`, `+0.0 %`.
pub fn signed_percent(fraction: f64, places: usize) -> String {
    let x = fraction * 100.0;
    format!("{} %", group(&format!("{x:+.places$}")))
}

/// A fraction as a percentage with at most two decimals, trailing zeros dropped: `35 %`,
/// `2.5 %`.
pub fn percent_short(fraction: f64) -> String {
    percent_points(fraction * 100.0)
}

/// A value already in percent (an availability target), at most two decimals: `99 %`,
/// `99.95 %`.
pub fn percent_points(percent: f64) -> String {
    format!("{} %", short(percent, 2))
}

/// CPU cores: `1 core`, `26 cores`, `0.5 cores`, `1,024 cores`.
pub fn cores(n: f64) -> String {
    if n == 1.0 {
        "1 core".to_string()
    } else {
        format!("{} cores", short(n, 2))
    }
}

/// Memory in GiB, at most two decimals: `38 GiB`, `0.5 GiB`, `1,024 GiB`.
pub fn gib(gib: f64) -> String {
    format!("{} GiB", short(gib, 2))
}

/// Memory given in MiB, written in GiB: `gib_of_mib(512.0)` = `0.5 GiB`.
pub fn gib_of_mib(mib: f64) -> String {
    gib(mib / 1024.0)
}

/// Bytes as whole MiB, rounded up: the rule of [`bytes_binary`] and of the sizes' memory
/// per process, for figures that stay numbers (the derived tables' `*_mib` columns).
pub fn mib_rounded_up(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

/// Memory given in bytes: MiB below a GiB (`300 MiB`, rounded up), GiB from there
/// (`2.35 GiB`, at most two decimals).
pub fn bytes_binary(bytes: f64) -> String {
    let mib = bytes / 1_048_576.0;
    if mib < 1024.0 {
        format!("{} MiB", short(mib.ceil(), 0))
    } else {
        gib_of_mib(mib)
    }
}

/// A duration in seconds, as `42s` (under 90 s), `13m` (under 90 min) or `1.6h`.
pub fn duration(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{seconds:.0}s")
    } else if seconds < 5400.0 {
        format!("{:.0}m", seconds / 60.0)
    } else {
        format!("{}h", fixed(seconds / 3600.0, 1))
    }
}

/// An instant as RFC 3339 in UTC with `Z`, fractions only when present (`.250`, to the
/// nanosecond at most): `2024-03-04T14:02:11Z`.
pub fn rfc3339_utc(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Microseconds since the epoch as [`rfc3339_utc`] text; `None` outside chrono's range.
pub fn rfc3339(micros: i64) -> Option<String> {
    DateTime::from_timestamp_micros(micros).map(|t| rfc3339_utc(&t))
}

/// Microseconds since the epoch in zone `tz`, written with `pattern` (chrono's syntax).
fn in_zone(micros: i64, tz: Tz, pattern: &str) -> String {
    DateTime::from_timestamp_micros(micros).map_or_else(
        || MISSING.to_string(),
        |t| t.with_timezone(&tz).format(pattern).to_string(),
    )
}

/// An instant in zone `tz` to the minute: `2024-03-04 14:02`.
pub fn minute(micros: i64, tz: Tz) -> String {
    in_zone(micros, tz, "%Y-%m-%d %H:%M")
}

/// An instant in the reporting zone to the minute with the zone's abbreviation, as the
/// report shows it (`2024-03-04 15:02 CET`), or [`MISSING`].
pub fn local_time<T: Into<i64>>(t: Option<T>, tz: Tz) -> String {
    or_dash(t, |t| in_zone(t.into(), tz, "%Y-%m-%d %H:%M %Z"))
}

#[cfg(test)]
mod tests {

    #[test]
    fn plurals_days_and_spans_read_as_words() {
        assert_eq!(
            counted(1_u64, "export file", "export files"),
            "1 export file"
        );
        assert_eq!(
            counted(6_usize, "export file", "export files"),
            "6 export files"
        );
        assert_eq!(counted(0_u32, "session", "sessions"), "0 sessions");
        assert_eq!(plural(1_u64, "holds", "hold"), "holds");
        assert_eq!(days(1.0, 0), "1 day");
        assert_eq!(days(1.2, 0), "1 day");
        assert_eq!(days(0.5, 1), "0.5 days");
        assert_eq!(days(243.0, 0), "243 days");
        assert_eq!(days(0.0, 0), "0 days");
        assert_eq!(span(45.0), "45 seconds");
        assert_eq!(span(1.0), "1 second");
        assert_eq!(span(0.5), "0.5 seconds");
        assert_eq!(span(0.0), "0 seconds");
        assert_eq!(span(1200.0), "20 minutes");
        assert_eq!(span(1800.0), "30 minutes");
        assert_eq!(span(3600.0), "1 hour");
        assert_eq!(span(5400.0), "90 minutes");
        assert_eq!(span(86_400.0), "24 hours");
        assert_eq!(span(129_600.0), "36 hours");
        assert_eq!(span(172_800.0), "2 days");
        assert_eq!(span(3661.0), "3,661 seconds");
    }

    use super::*;

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(0u64), "0");
        assert_eq!(count(999u32), "999");
        assert_eq!(count(1000u64), "1,000");
        assert_eq!(count(20_097u64), "20,097");
        assert_eq!(count(1_234_567u64), "1,234,567");
        assert_eq!(count(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(count(12_345usize), "12,345");
    }

    #[test]
    fn signed_counts_carry_their_sign_except_zero() {
        assert_eq!(signed_count(0), "0");
        assert_eq!(signed_count(1234), "+1,234");
        assert_eq!(signed_count(-3), "-3");
        assert_eq!(signed_count(-999), "-999");
        assert_eq!(signed_count(-1000), "-1,000");
        assert_eq!(signed_count(-1_234_567), "-1,234,567");
        assert_eq!(signed_count(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn fixed_rounds_like_std_and_groups_the_integer_part() {
        assert_eq!(fixed(0.0, 1), "0.0");
        assert_eq!(fixed(999.94, 1), "999.9");
        assert_eq!(fixed(999.96, 1), "1,000.0");
        assert_eq!(fixed(1234567.891, 2), "1,234,567.89");
        assert_eq!(fixed(-1234.5, 0), "-1,234");
        assert_eq!(fixed(2.5, 0), "2");
        assert_eq!(fixed(0.125, 2), "0.12");
        assert_eq!(fixed(f64::NAN, 1), "NaN");
        assert_eq!(fixed(f64::INFINITY, 1), "inf");
    }

    #[test]
    fn short_drops_trailing_zeros() {
        assert_eq!(short(7.199999999, 2), "7.2");
        assert_eq!(short(12.0, 2), "12");
        assert_eq!(short(100.0, 2), "100");
        assert_eq!(short(100.0, 0), "100");
        assert_eq!(short(0.354, 2), "0.35");
        assert_eq!(short(-0.001, 2), "0");
        assert_eq!(short(-0.04, 1), "0");
        assert_eq!(short(-2.5, 1), "-2.5");
        assert_eq!(short(1.04, 1), "1");
        assert_eq!(short(1.06, 1), "1.1");
        assert_eq!(short(12345.0, 2), "12,345");
        assert_eq!(short(f64::NAN, 2), "n/a");
        assert_eq!(short(f64::NEG_INFINITY, 2), "n/a");
    }

    #[test]
    fn figures_are_whole_or_two_decimals() {
        assert_eq!(figure(0.0), "0");
        assert_eq!(figure(4500.0), "4,500");
        assert_eq!(figure(20_097.0), "20,097");
        assert_eq!(figure(-1.0), "-1");
        assert_eq!(figure(73.875), "73.88");
        assert_eq!(figure(1234.5), "1,234.50");
        assert_eq!(signed_figure(805.0), "+805");
        assert_eq!(signed_figure(1234.0), "+1,234");
        assert_eq!(signed_figure(8.85), "+8.85");
        assert_eq!(signed_figure(0.0), "0");
        assert_eq!(signed_figure(-1000.0), "-1,000");
    }

    #[test]
    fn percentages_take_a_fraction_and_round() {
        assert_eq!(percent(0.4321, 1), "43.2 %");
        assert_eq!(percent(0.0, 1), "0.0 %");
        assert_eq!(percent(1.0, 0), "100 %");
        assert_eq!(percent(0.99949, 1), "99.9 %");
        assert_eq!(percent(0.99951, 1), "100.0 %");
        assert_eq!(percent(0.355, 0), "36 %");
        assert_eq!(percent(12.345, 0), "1,234 %");
        assert_eq!(signed_percent(0.10621, 1), "+10.6 %");
        assert_eq!(signed_percent(-0.02, 1), "-2.0 %");
        assert_eq!(signed_percent(0.0, 1), "+0.0 %");
        assert_eq!(signed_percent(-1.0, 1), "-100.0 %");
        assert_eq!(signed_percent(20.0, 1), "+2,000.0 %");
        assert_eq!(percent_short(0.35), "35 %");
        assert_eq!(percent_short(0.025), "2.5 %");
        assert_eq!(percent_short(0.5), "50 %");
        assert_eq!(percent_points(99.0), "99 %");
        assert_eq!(percent_points(99.95), "99.95 %");
    }

    #[test]
    fn sizes_name_their_unit() {
        assert_eq!(cores(1.0), "1 core");
        assert_eq!(cores(0.5), "0.5 cores");
        assert_eq!(cores(26.0), "26 cores");
        assert_eq!(cores(1024.0), "1,024 cores");
        assert_eq!(gib(38.0), "38 GiB");
        assert_eq!(gib(0.333), "0.33 GiB");
        assert_eq!(gib(2048.0), "2,048 GiB");
        assert_eq!(gib_of_mib(512.0), "0.5 GiB");
        assert_eq!(gib_of_mib(8192.0), "8 GiB");
    }

    #[test]
    fn durations_pick_a_unit_for_people() {
        assert_eq!(duration(0.0), "0s");
        assert_eq!(duration(42.4), "42s");
        assert_eq!(duration(89.0), "89s");
        assert_eq!(duration(90.0), "2m");
        assert_eq!(duration(752.0), "13m");
        assert_eq!(duration(5399.0), "90m");
        assert_eq!(duration(5600.0), "1.6h");
        assert_eq!(duration(3600.0 * 1500.0), "1,500.0h");
    }

    #[test]
    fn instants_in_utc_and_in_the_reporting_zone() {
        let t = 1_709_560_931_000_000;
        assert_eq!(rfc3339(t).as_deref(), Some("2024-03-04T14:02:11Z"));
        assert_eq!(
            rfc3339(1_709_560_931_250_000).as_deref(),
            Some("2024-03-04T14:02:11.250Z")
        );
        assert_eq!(
            rfc3339(1_709_560_931_000_001).as_deref(),
            Some("2024-03-04T14:02:11.000001Z")
        );
        assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(rfc3339(i64::MAX), None);
        assert_eq!(minute(t, Tz::UTC), "2024-03-04 14:02");
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(minute(t, berlin), "2024-03-04 15:02");
        assert_eq!(local_time(Some(t), berlin), "2024-03-04 15:02 CET");
        assert_eq!(local_time(Some(t), Tz::UTC), "2024-03-04 14:02 UTC");
        assert_eq!(local_time(None::<i64>, Tz::UTC), "-");
        assert_eq!(minute(i64::MAX, Tz::UTC), "-");
    }

    #[test]
    fn missing_figures_print_a_dash() {
        assert_eq!(or_dash(None::<u32>, count), "-");
        assert_eq!(or_dash(Some(1500u32), count), "1,500");
        assert_eq!(or_dash(Some(1.25), |v| fixed(v, 1)), "1.2");
    }
}
