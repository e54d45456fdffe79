//! Byte-level formatting shared by the sample writers: GUIDs, timestamps in the two
//! dialects (readr RFC 3339 `Z`, R `write.csv` naive UTC) and `write.csv` quoting.
//!
//! Hand-rolled instead of chrono formatting because the streaming writer formats two
//! timestamps per row for 10^7 rows.

use rand::Rng;
use std::io::{self, Write};

/// Seconds since the Unix epoch, UTC. The generator works in whole seconds.
pub type Secs = i64;

/// A random GUID in the 8-4-4-4-12 lowercase hex form (version 4 bits set, like Connect).
pub fn guid<R: Rng>(rng: &mut R) -> String {
    let hi: u64 = rng.gen();
    let lo: u64 = rng.gen();
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    crate::ingest::guid_text(u128::from(hi) << 64 | u128::from(lo))
}

/// A random alphanumeric key of `len` characters (job keys, variant keys).
pub fn key<R: Rng>(rng: &mut R, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Civil date (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD?HH:MM:SS` into 19 bytes, `sep` between date and time.
fn format_into(t: Secs, sep: u8, out: &mut [u8; 20]) {
    let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
    let sod = t.rem_euclid(86_400);
    let two = |v: i64, at: &mut [u8]| {
        at[0] = b'0' + (v / 10) as u8;
        at[1] = b'0' + (v % 10) as u8;
    };
    two(y / 100, &mut out[0..2]);
    two(y % 100, &mut out[2..4]);
    out[4] = b'-';
    two(i64::from(mo), &mut out[5..7]);
    out[7] = b'-';
    two(i64::from(d), &mut out[8..10]);
    out[10] = sep;
    two(sod / 3600, &mut out[11..13]);
    out[13] = b':';
    two(sod / 60 % 60, &mut out[14..16]);
    out[16] = b':';
    two(sod % 60, &mut out[17..19]);
    out[19] = b'Z';
}

/// Writes `2024-03-04T14:02:11Z` (readr::write_csv, any time zone).
pub fn write_rfc3339<W: Write>(w: &mut W, t: Secs) -> io::Result<()> {
    let mut buf = [0u8; 20];
    format_into(t, b'T', &mut buf);
    w.write_all(&buf)
}

/// Writes `2024-03-04 14:02:11` (write.csv of a UTC POSIXct on R < 4.3: naive, unquoted).
pub fn write_naive<W: Write>(w: &mut W, t: Secs) -> io::Result<()> {
    let mut buf = [0u8; 20];
    format_into(t, b' ', &mut buf);
    w.write_all(&buf[..19])
}

/// A naive timestamp, or unquoted `NA`.
pub fn write_naive_opt<W: Write>(w: &mut W, t: Option<Secs>) -> io::Result<()> {
    match t {
        Some(t) => write_naive(w, t),
        None => w.write_all(b"NA"),
    }
}

/// A write.csv character field: quoted, inner quotes doubled (`qmethod = "double"`).
pub fn write_quoted<W: Write>(w: &mut W, s: &str) -> io::Result<()> {
    w.write_all(b"\"")?;
    for (i, part) in s.split('"').enumerate() {
        if i > 0 {
            w.write_all(b"\"\"")?;
        }
        w.write_all(part.as_bytes())?;
    }
    w.write_all(b"\"")
}

/// A write.csv character field that may be missing (`NA`, unquoted).
pub fn write_quoted_opt<W: Write>(w: &mut W, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => write_quoted(w, s),
        None => w.write_all(b"NA"),
    }
}

/// A write.csv numeric field that may be missing.
pub fn write_num_opt<W: Write, T: std::fmt::Display>(w: &mut W, v: Option<T>) -> io::Result<()> {
    match v {
        Some(v) => write!(w, "{v}"),
        None => w.write_all(b"NA"),
    }
}

/// A write.csv header: every name quoted.
pub fn write_header<W: Write>(w: &mut W, names: &[&str]) -> io::Result<()> {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write_quoted(w, name)?;
    }
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn text(f: impl Fn(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut v = Vec::new();
        f(&mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn sample_timestamps_match_chrono() {
        for t in [0, 951_782_400, 1_709_560_931, 1_722_470_399, 4_102_444_799] {
            let want = chrono::DateTime::from_timestamp(t, 0).unwrap();
            let z = want.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            assert_eq!(text(|w| write_rfc3339(w, t)), z);
            let naive = want.format("%Y-%m-%d %H:%M:%S").to_string();
            assert_eq!(text(|w| write_naive(w, t)), naive);
        }
    }

    #[test]
    fn sample_quotes_like_write_csv() {
        let got = text(|w| write_quoted(w, r#"Q3 "Board" Pack, final"#));
        assert_eq!(got, r#""Q3 ""Board"" Pack, final""#);
        assert_eq!(text(|w| write_quoted_opt(w, None)), "NA");
    }

    #[test]
    fn sample_guid_shape() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let g = guid(&mut rng);
        let lens: Vec<usize> = g.split('-').map(str::len).collect();
        assert_eq!(lens, [8, 4, 4, 4, 12]);
        assert!(g
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_lowercase()));
    }
}
