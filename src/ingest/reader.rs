//! Opening export files and turning CSV text into fields.
//!
//! - Files are plain text, or gzip when the name ends `.gz` or the bytes start with the gzip
//!   magic (`1f 8b`); concatenated gzip members are read as one stream.
//! - Text is UTF-8 unless a byte-order mark or `--encoding` says otherwise
//!   ([`super::encoding`]); other encodings are decoded to UTF-8 before parsing. A UTF-8
//!   row that is not valid UTF-8 is reported as [`Next::BadUtf8`] (the caller fails or
//!   skips it); a header that is not is an error.
//! - CSV is parsed strictly: a header row, the same number of fields on every row (a
//!   different count is an error naming the line). Line numbers are 1-based physical lines where the record starts (a line
//!   ends at `\r\n`, `\n` or a lone `\r`, blank lines count), so a quoted field spanning
//!   lines or mixed line endings do not shift them.
//! - Value syntax shared by every kind: null tokens (empty, `NA`, `null`, `NULL`, `None`,
//!   `NaN`), integers (`3` or an integral float `3.0` as pandas writes them), floats and
//!   booleans (`TRUE`/`FALSE`, `True`/`False`, `true`/`false`, `1`/`0`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use csv::StringRecord;
use flate2::read::MultiGzDecoder;

use super::detect::Header;
use super::encoding::{self, InputEncoding, TextEncoding};
use super::progress::{Counted, Progress};
use crate::{Error, Result};

/// An open CSV export (a file, or bytes held in memory for the lifetime `'a`).
pub struct CsvSource<'a> {
    path: PathBuf,
    gz: bool,
    encoding: TextEncoding,
    reader: csv::Reader<LineMap<Box<dyn Read + 'a>>>,
    /// The record read last, as bytes (kept to reuse its buffers).
    bytes: csv::ByteRecord,
}

/// What [`CsvSource::next_record`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A record, in the caller's `StringRecord`.
    Row,
    /// A record whose field (0-based raw index) is not valid UTF-8; the caller's record
    /// holds it with the bad bytes replaced by U+FFFD.
    BadUtf8 { field: usize },
    /// The end of the file.
    End,
}

/// Passes bytes through to the CSV parser and remembers where the line breaks are, so a
/// record's byte offset can be turned into its physical line.
///
/// csv-core's own line count is wrong for CRLF, blank and CR-only lines: it ends a record at
/// the first terminator byte and reports the next record at the rest of the terminator
/// (`\n` of `\r\n`, or the blank lines it then skips), counting only `\n`. Here a line
/// break is `\r\n`, `\n` or a lone `\r` (the terminators the parser accepts), and a
/// record starts after the run of terminator bytes at its reported offset.
///
/// Memory: one entry per run of consecutive terminator bytes the parser has read ahead of
/// the last record asked about (runs are dropped once a record after them is asked about).
struct LineMap<R> {
    inner: R,
    /// Bytes passed through so far.
    offset: u64,
    /// The previous byte was a `\r` (not yet known to be part of `\r\n`).
    prev_cr: bool,
    /// The run of terminator bytes being read, if the last byte was one.
    open: Option<Run>,
    /// Finished runs not yet dropped, in order.
    runs: VecDeque<Run>,
    /// Line breaks in the runs already dropped.
    breaks_before: u64,
    /// The input ended.
    eof: bool,
}

/// Consecutive terminator bytes `start..end` holding `breaks` line breaks.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: u64,
    end: u64,
    breaks: u64,
}

impl<R> LineMap<R> {
    fn new(inner: R) -> Self {
        LineMap {
            inner,
            offset: 0,
            prev_cr: false,
            open: None,
            runs: VecDeque::new(),
            breaks_before: 0,
            eof: false,
        }
    }

    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let terminator = b == b'\n' || b == b'\r';
            // A `\r` followed by anything but `\n` was a lone CR: a line break.
            let lone_cr = self.prev_cr && b != b'\n';
            if terminator {
                let run = self.open.get_or_insert(Run {
                    start: self.offset,
                    end: self.offset,
                    breaks: 0,
                });
                run.breaks += u64::from(lone_cr) + u64::from(b == b'\n');
            } else if let Some(mut run) = self.open.take() {
                run.breaks += u64::from(lone_cr);
                run.end = self.offset;
                self.runs.push_back(run);
            }
            self.prev_cr = b == b'\r';
            self.offset += 1;
        }
    }

    fn finish(&mut self) {
        if let Some(mut run) = self.open.take() {
            run.breaks += u64::from(self.prev_cr);
            run.end = self.offset;
            self.runs.push_back(run);
        }
        self.prev_cr = false;
        self.eof = true;
    }

    /// The 1-based line of the record the parser reports at byte `pos`: the line breaks
    /// before `pos`, plus those in the run of terminators at `pos` that the record follows.
    /// Calls must not go backwards (runs before `pos` are dropped).
    fn line_at(&mut self, pos: u64) -> u64 {
        while let Some(run) = self.runs.front() {
            if run.start > pos {
                break;
            }
            self.breaks_before += run.breaks;
            self.runs.pop_front();
        }
        self.breaks_before + 1
    }
}

impl<R: Read> Read for LineMap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.finish();
        } else {
            self.scan(&buf[..n]);
        }
        Ok(n)
    }
}

/// Opens `path`, decompressing gzip when the name or the magic bytes say so, in the
/// encoding its byte-order mark or `enc` gives.
pub fn open(path: &Path, enc: &InputEncoding) -> Result<CsvSource<'static>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    from_buf_read(path, BufReader::with_capacity(256 * 1024, file), enc)
}

/// [`open`], telling `progress` the bytes read from the file.
pub fn open_counted<'a>(
    path: &Path,
    progress: &'a Progress,
    enc: &InputEncoding,
) -> Result<CsvSource<'a>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let counted = Counted::new(file, progress);
    from_buf_read(path, BufReader::with_capacity(256 * 1024, counted), enc)
}

/// Reads an export held in memory as if it were the file `path` (gzip by the name's `.gz`
/// or the magic bytes, and the encoding, exactly as [`open`]); nothing is read from disk.
pub fn from_bytes<'a>(path: &Path, bytes: &'a [u8], enc: &InputEncoding) -> Result<CsvSource<'a>> {
    from_buf_read(path, bytes, enc)
}

/// The shared part of [`open`] and [`from_bytes`].
fn from_buf_read<'a, R: BufRead + 'a>(
    path: &Path,
    mut buf: R,
    enc: &InputEncoding,
) -> Result<CsvSource<'a>> {
    let magic = buf.fill_buf().map_err(|e| Error::io(path, e))?;
    let gz = magic.starts_with(&[0x1f, 0x8b]) || has_gz_extension(path);
    let input: Box<dyn Read + 'a> = if gz {
        Box::new(MultiGzDecoder::new(buf))
    } else {
        Box::new(buf)
    };
    let (prefix, input) = encoding::peek_first_line(input).map_err(|e| {
        let message = if gz {
            format!("cannot decompress ({e}); the gzip file looks truncated or corrupt")
        } else {
            format!("read error: {e}")
        };
        Error::Csv {
            path: path.to_path_buf(),
            line: 1,
            message,
        }
    })?;
    let encoding = enc.choose(&prefix);
    let input: Box<dyn Read + 'a> = Box::new(encoding::to_utf8(input, encoding));
    let reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(256 * 1024)
        .from_reader(LineMap::new(input));
    Ok(CsvSource {
        path: path.to_path_buf(),
        gz,
        encoding,
        reader,
        bytes: csv::ByteRecord::new(),
    })
}

fn has_gz_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Rows to read as text records: a CSV file, or a Parquet table's rows (feature
/// `parquet`). The per-kind parsers, `--lenient` and every note work on this, so a Parquet
/// export is validated exactly as the same rows in CSV.
pub trait Records {
    /// The file, for messages.
    fn path(&self) -> &Path;
    /// The column names.
    fn header(&mut self) -> Result<Header>;
    /// Reads the next record into `rec`.
    fn next_record(&mut self, rec: &mut StringRecord) -> Result<Next>;
    /// Where the record read last is, 1-based: its physical line in a CSV file, its row in
    /// a Parquet file.
    fn record_line(&mut self) -> u64;
    /// A value of the record read last could not be read: what to add to the message
    /// (a Parquet file says the row and the column's type).
    fn context(&self, _column: &str) -> Option<String> {
        None
    }
    /// The file the record read last came from, for messages: [`Records::path`], unless
    /// the source joins several files (a Posit Chronicle metric).
    fn record_path(&self) -> &Path {
        self.path()
    }
    /// The source's own name of the column the parsers read as `column`, for messages (a
    /// source that renamed a column names it as its file does).
    fn column_name<'a>(&'a self, column: &'a str) -> &'a str {
        column
    }
}

impl Records for CsvSource<'_> {
    fn path(&self) -> &Path {
        CsvSource::path(self)
    }
    fn header(&mut self) -> Result<Header> {
        CsvSource::header(self)
    }
    fn next_record(&mut self, rec: &mut StringRecord) -> Result<Next> {
        CsvSource::next_record(self, rec)
    }
    fn record_line(&mut self) -> u64 {
        CsvSource::record_line(self)
    }
}

impl CsvSource<'_> {
    /// The path this source reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The encoding the file is read in.
    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    /// The 1-based physical line where the record read last by
    /// [`CsvSource::next_record`] starts.
    pub fn record_line(&mut self) -> u64 {
        let pos = self
            .bytes
            .position()
            .map_or(self.reader.position().byte(), |p| p.byte());
        self.reader.get_mut().line_at(pos)
    }

    /// Reads and normalises the header row; an empty file has an empty header.
    pub fn header(&mut self) -> Result<Header> {
        let rec = match self.reader.headers() {
            Ok(rec) => rec.clone(),
            Err(e) => return Err(self.csv_error(e)),
        };
        Ok(Header::new(rec.iter()))
    }

    /// Reads the next data record into `rec`.
    pub fn next_record(&mut self, rec: &mut StringRecord) -> Result<Next> {
        match self.reader.read_byte_record(&mut self.bytes) {
            Ok(true) => {}
            Ok(false) => return Ok(Next::End),
            Err(e) => return Err(self.csv_error(e)),
        }
        // Reuse the buffers of `rec` for the next read: swap them in and out.
        let bytes = std::mem::replace(&mut self.bytes, std::mem::take(rec).into_byte_record());
        let position = bytes.position().cloned();
        match StringRecord::from_byte_record(bytes) {
            Ok(text) => {
                *rec = text;
                self.bytes.set_position(position);
                Ok(Next::Row)
            }
            Err(e) => {
                let field = e.utf8_error().field();
                *rec = StringRecord::from_byte_record_lossy(e.into_byte_record());
                self.bytes.set_position(position);
                Ok(Next::BadUtf8 { field })
            }
        }
    }

    /// Converts a csv error into [`Error::Csv`] with the file and line.
    fn csv_error(&mut self, err: csv::Error) -> Error {
        let here = self.reader.position().byte();
        let (pos, message) = match err.kind() {
            csv::ErrorKind::Utf8 { pos, err } => (
                pos.as_ref().map_or(here, |p| p.byte()),
                format!(
                    "the header's field {} is not valid UTF-8; {}",
                    err.field() + 1,
                    ENCODING_HINT
                ),
            ),
            csv::ErrorKind::UnequalLengths {
                pos,
                expected_len,
                len,
            } => (
                pos.as_ref().map_or(here, |p| p.byte()),
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
        let line = self.reader.get_mut().line_at(pos);
        Error::Csv {
            path: self.path.clone(),
            line,
            message,
        }
    }
}

/// What to do about bytes that are not UTF-8 (the usual cause: a file re-saved by Excel on
/// Windows, which writes Windows-1252).
pub const ENCODING_HINT: &str = "the file is probably in another encoding (Excel on Windows \
     saves Windows-1252): pass --encoding windows-1252 (or --encoding KIND=windows-1252 for \
     one kind of export), or re-save it as UTF-8";

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

    /// The first field and line of every record of `text`.
    fn lines(text: &str) -> Vec<(String, u64)> {
        let enc = InputEncoding::default();
        let mut src = from_bytes(Path::new("t.csv"), text.as_bytes(), &enc).unwrap();
        src.header().unwrap();
        let mut rec = StringRecord::new();
        let mut out = Vec::new();
        while src.next_record(&mut rec).unwrap() == Next::Row {
            out.push((rec[0].to_string(), src.record_line()));
        }
        out
    }

    fn at(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
        pairs.iter().map(|&(f, l)| (f.to_string(), l)).collect()
    }

    #[test]
    fn record_lines_are_physical_lines_whatever_the_line_ends() {
        // Counted by hand: the line of each record's first byte in the text.
        // Mixed CRLF and LF (a fuzz find: csv-core put `c` and `e` both on line 3).
        assert_eq!(
            lines("h1,h2\r\na,b\nc,d\r\ne,f\r\n"),
            at(&[("a", 2), ("c", 3), ("e", 4)])
        );
        // Blank lines (LF and CRLF) are skipped but counted.
        assert_eq!(
            lines("h1,h2\n\na,b\r\n\r\nc,d\n"),
            at(&[("a", 3), ("c", 5)])
        );
        // CR-only (classic Mac) line ends, and a final lone CR.
        assert_eq!(lines("h1,h2\ra,b\rc,d\r"), at(&[("a", 2), ("c", 3)]));
        // A quoted field spanning lines, with a bare CR inside it.
        assert_eq!(
            lines("h1,h2\n\"x\ny\rz\",b\r\nc,d"),
            at(&[("x\ny\rz", 2), ("c", 5)])
        );
        // Leading blank lines before the header, and a BOM.
        assert_eq!(lines("\n\r\nh1,h2\na,b\n"), at(&[("a", 4)]));
        assert_eq!(lines("\u{feff}h1,h2\r\na,b\r\n"), at(&[("a", 2)]));
    }

    #[test]
    fn csv_errors_name_the_physical_line() {
        let read_all = |text: &[u8]| -> Result<String> {
            let enc = InputEncoding::default();
            let mut src = from_bytes(Path::new("t.csv"), text, &enc).unwrap();
            src.header()?;
            let mut rec = StringRecord::new();
            loop {
                match src.next_record(&mut rec)? {
                    Next::Row => {}
                    Next::End => return Ok(String::new()),
                    Next::BadUtf8 { field } => {
                        return Ok(format!("{}:{field}:{}", src.record_line(), &rec[field]))
                    }
                }
            }
        };
        let err = |text: &[u8]| read_all(text).unwrap_err().to_string();
        // The short row is on line 5 (after a CRLF line, a LF line and a blank line).
        let e = err(b"h1,h2\r\na,b\nc,d\n\nshort\n");
        assert!(e.starts_with("t.csv:5: found 1 fields"), "{e}");
        // A row that is not UTF-8 is handed back (line 3, field 0, bytes replaced).
        assert_eq!(read_all(b"h1,h2\ra,b\r\xff,b\r").unwrap(), "3:0:\u{fffd}");
        // A header that is not UTF-8 is an error with the --encoding hint.
        let e = err(b"h1,h\xe9\na,b\n");
        assert!(
            e.starts_with("t.csv:1: the header's field 2 is not valid UTF-8")
                && e.contains("--encoding windows-1252"),
            "{e}"
        );
    }

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
