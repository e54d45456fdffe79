//! Opening export files and turning CSV text into fields.
//!
//! - Files are plain text, or gzip when the name ends `.gz` or the bytes start with the gzip
//!   magic (`1f 8b`); concatenated gzip members are read as one stream.
//! - CSV is parsed strictly: a header row, the same number of fields on every row (a
//!   different count is an error naming the line), UTF-8 (other bytes are an error naming
//!   the line). Line numbers are 1-based physical lines where the record starts, so a quoted
//!   field spanning lines does not shift them.
//! - Value syntax shared by every kind: null tokens (empty, `NA`, `null`, `NULL`, `None`,
//!   `NaN`), integers (`3` or an integral float `3.0` as pandas writes them), floats and
//!   booleans (`TRUE`/`FALSE`, `True`/`False`, `true`/`false`, `1`/`0`).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use csv::StringRecord;
use flate2::read::MultiGzDecoder;

use super::detect::Header;
use crate::{Error, Result};

/// An open CSV export (a file, or bytes held in memory for the lifetime `'a`).
pub struct CsvSource<'a> {
    path: PathBuf,
    gz: bool,
    reader: csv::Reader<Sniff<Box<dyn Read + 'a>>>,
}

/// Notes whether the first line ends with CRLF.
///
/// csv-core reports a record's line one too low when lines end with `\r\n` (it ends the
/// record at `\r` and counts the `\n` as part of the next one), so CRLF files get +1.
struct Sniff<R> {
    inner: R,
    last: u8,
    crlf: Option<bool>,
}

impl<R: Read> Read for Sniff<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.crlf.is_none() {
            if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
                let before = if i == 0 { self.last } else { buf[i - 1] };
                self.crlf = Some(before == b'\r');
            } else if n > 0 {
                self.last = buf[n - 1];
            }
        }
        Ok(n)
    }
}

/// Opens `path`, decompressing gzip when the name or the magic bytes say so.
pub fn open(path: &Path) -> Result<CsvSource<'static>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    from_buf_read(path, BufReader::with_capacity(256 * 1024, file))
}

/// Reads an export held in memory as if it were the file `path` (gzip by the name's `.gz`
/// or the magic bytes, exactly as [`open`]); nothing is read from disk.
pub fn from_bytes<'a>(path: &Path, bytes: &'a [u8]) -> Result<CsvSource<'a>> {
    from_buf_read(path, bytes)
}

/// The shared part of [`open`] and [`from_bytes`].
fn from_buf_read<'a, R: BufRead + 'a>(path: &Path, mut buf: R) -> Result<CsvSource<'a>> {
    let magic = buf.fill_buf().map_err(|e| Error::io(path, e))?;
    let gz = magic.starts_with(&[0x1f, 0x8b]) || has_gz_extension(path);
    let input: Box<dyn Read + 'a> = if gz {
        Box::new(MultiGzDecoder::new(buf))
    } else {
        Box::new(buf)
    };
    let reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(256 * 1024)
        .from_reader(Sniff {
            inner: input,
            last: 0,
            crlf: None,
        });
    Ok(CsvSource {
        path: path.to_path_buf(),
        gz,
        reader,
    })
}

fn has_gz_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

impl CsvSource<'_> {
    /// The path this source reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The 1-based line where a record read by [`CsvSource::next_record`] starts.
    pub fn record_line(&self, rec: &StringRecord) -> u64 {
        let line = rec
            .position()
            .map_or(self.reader.position().line(), |p| p.line());
        self.fix_line(line)
    }

    fn fix_line(&self, line: u64) -> u64 {
        line + u64::from(self.reader.get_ref().crlf == Some(true))
    }

    /// Reads and normalises the header row; an empty file has an empty header.
    pub fn header(&mut self) -> Result<Header> {
        let rec = match self.reader.headers() {
            Ok(rec) => rec.clone(),
            Err(e) => return Err(self.csv_error(e)),
        };
        Ok(Header::new(rec.iter()))
    }

    /// Reads the next data record into `rec`; `false` at the end of the file.
    pub fn next_record(&mut self, rec: &mut StringRecord) -> Result<bool> {
        self.reader.read_record(rec).map_err(|e| self.csv_error(e))
    }

    /// Converts a csv error into [`Error::Csv`] with the file and line.
    fn csv_error(&self, err: csv::Error) -> Error {
        let here = self.reader.position().line();
        let (line, message) = match err.kind() {
            csv::ErrorKind::Utf8 { pos, err } => (
                pos.as_ref().map_or(here, |p| p.line()),
                format!(
                    "field {} is not valid UTF-8; re-save the file as UTF-8",
                    err.field() + 1
                ),
            ),
            csv::ErrorKind::UnequalLengths {
                pos,
                expected_len,
                len,
            } => (
                pos.as_ref().map_or(here, |p| p.line()),
                format!(
                    "found {len} fields where the header has {expected_len}; \
                     check for unquoted commas or a cut-off line"
                ),
            ),
            csv::ErrorKind::Io(e) if self.gz => (
                here,
                format!("cannot decompress ({e}); the gzip file looks truncated or corrupt"),
            ),
            csv::ErrorKind::Io(e) => (here, format!("read error: {e}")),
            _ => (here, err.to_string()),
        };
        Error::Csv {
            path: self.path.clone(),
            line: self.fix_line(line),
            message,
        }
    }
}

/// True for the tokens that mean "no value": empty, `NA`, `null`, `NULL`, `None`, `NaN`.
///
/// R writes a quoted `"NA"` only for the literal string "NA"; the csv crate cannot tell
/// quoted from unquoted, so both are null.
pub fn is_null(s: &str) -> bool {
    matches!(s.trim(), "" | "NA" | "null" | "NULL" | "None" | "NaN")
}

/// An integer, also written as an integral float (`3.0`).
pub fn parse_int(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Ok(v);
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(format!("expected an integer, found '{s}'")),
    }
}

/// A finite floating-point number.
pub fn parse_float(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(f),
        _ => Err(format!("expected a number, found '{s}'")),
    }
}

/// A boolean as R, pandas, polars or a 0/1 column writes it.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim() {
        "TRUE" | "True" | "true" | "1" => Ok(true),
        "FALSE" | "False" | "false" | "0" => Ok(false),
        _ => Err(format!("expected TRUE or FALSE, found '{s}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_tokens() {
        for s in ["", " ", "NA", "null", "NULL", "None", "NaN"] {
            assert!(is_null(s), "{s:?}");
        }
        for s in ["na", "0", "N/A", "x"] {
            assert!(!is_null(s), "{s:?}");
        }
    }

    #[test]
    fn integers_accept_integral_floats() {
        assert_eq!(parse_int("7"), Ok(7));
        assert_eq!(parse_int("7.0"), Ok(7));
        assert_eq!(parse_int(" -3 "), Ok(-3));
        assert_eq!(parse_int("2147483648"), Ok(2_147_483_648));
        assert_eq!(
            parse_int("3.5").unwrap_err(),
            "expected an integer, found '3.5'"
        );
        assert!(parse_int("inf").is_err());
        assert!(parse_int("seven").is_err());
    }

    #[test]
    fn floats_and_bools() {
        assert_eq!(parse_float("0.8"), Ok(0.8));
        assert!(parse_float("inf").is_err());
        assert!(parse_float("x").is_err());
        for s in ["TRUE", "True", "true", "1"] {
            assert_eq!(parse_bool(s), Ok(true));
        }
        for s in ["FALSE", "False", "false", "0"] {
            assert_eq!(parse_bool(s), Ok(false));
        }
        assert!(parse_bool("yes").is_err());
    }
}
