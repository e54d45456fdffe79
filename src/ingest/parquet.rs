//! Parquet exports (cargo feature `parquet`, read with polars).
//!
//! A `.parquet` file is any export kind the CSV readers know, detected by its column names
//! as a CSV header is. Its rows are then read one of two ways:
//!
//! - Shiny usage whose columns have the plain shape (GUIDs as text or as DuckDB's 16-byte
//!   UUIDs, times as Parquet timestamps with a zone, or naive ones when the input zone is
//!   UTC, or as text the fast CSV reader takes) is read straight from the columns, in
//!   parallel, into the same compact rows as the fast CSV reader ([`super::fast`]);
//! - everything else is turned into text records, row by row, and read by the general
//!   reader's per-kind parsers ([`super::records`]), so validation, `--lenient`, naive-time
//!   notes and every message are those of the same rows in CSV. Where the fast way meets
//!   anything else, this way reads the file from the start.
//!
//! As text, a timestamp with a zone is written as RFC 3339 in UTC and a naive one without
//! an offset (read in `--input-tz`, as a CSV's would be); a date is `YYYY-MM-DD`; an
//! integral float is written as an integer (pandas stores an integer column with gaps as
//! float64); a decimal of scale 0 (DuckDB's `DECIMAL(p,0)`) is an integer; a 16-byte binary
//! value is a GUID; a null is an empty field. pandas' row index
//! (`__index_level_N__`) is not a column of the export. A column of a type no export uses
//! (lists, structs, decimals with a fractional part, durations ...) is not loaded: its cells read as text naming
//! the type, which a parser that needs the column reports with the file, row and column.
//!
//! A row's "line" in messages is its 1-based row number in the file.

use std::fs::File;
use std::path::Path;

use csv::StringRecord;
use polars::prelude::*;
use rayon::prelude::*;

use super::detect::{detect, Header};
use super::fast::{self, NameCell, SessionBlock, SessionFile};
use super::reader::{parse_int, Next, Records};
use super::{Dataset, IngestOptions, Kind, Micros};
use crate::{Error, Result};

/// Rows per block of the fast Shiny usage path.
const BLOCK_ROWS: usize = 1 << 16;
/// Rows read from the file at a time by the fast Shiny usage path (fewer in unit tests,
/// so the fixtures take several slices).
const SLICE_ROWS: usize = if cfg!(test) { 700 } else { 1 << 21 };

/// Reads the Parquet export `path` into `ds` and appends its file summary.
///
/// On error `ds` may hold some of the file's records; discard it.
pub fn read_file(path: &Path, opts: &IngestOptions, ds: &mut Dataset) -> Result<()> {
    let layout = Layout::read(path)?;
    let header = Header::new(layout.names.iter().map(String::as_str));
    header.check(path)?;
    if detect(&header, path)? == Kind::ShinyUsage {
        let zone = opts.input_tz.zone_for(Kind::ShinyUsage);
        if let Some(file) = read_sessions(path, &layout, &header, zone)? {
            if file.store(path, opts, ds) {
                return Ok(());
            }
        }
    }
    let table = Table::load(path, &layout, None)?;
    super::records::read_source(table.records(path, header), opts, ds)
}

/// A Parquet file's columns as its schema gives them.
pub(super) struct Layout {
    /// Column names, pandas' index columns left out.
    names: Vec<String>,
    /// The type of each column not loaded, by name (for its cells' text).
    skipped: Vec<(String, String)>,
    /// Rows in the file.
    rows: usize,
}

/// The error for a file polars cannot read; the hint about a file cut short only when
/// the error is about its end (no `PAR1` magic, a footer too short or too long, the end
/// of the file reached early), not for a complete file polars refuses (duplicate columns).
fn unreadable(path: &Path, e: PolarsError) -> Error {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    let cut_short = ["par1", "footer", "end of file", "eof", "fill whole buffer"]
        .iter()
        .any(|s| lower.contains(s));
    let hint = if cut_short {
        "; if it was cut short, write or copy it again"
    } else {
        ""
    };
    let message = format!("not a readable Parquet file ({text}){hint}");
    Error::io(
        path,
        std::io::Error::new(std::io::ErrorKind::InvalidData, message),
    )
}

impl Layout {
    /// Reads the schema; an unreadable or truncated file is an error naming it.
    pub(super) fn read(path: &Path) -> Result<Layout> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut reader = ParquetReader::new(file);
        let schema = reader.schema().map_err(|e| unreadable(path, e))?;
        let rows = reader.num_rows().map_err(|e| unreadable(path, e))?;
        let mut names = Vec::new();
        let mut skipped = Vec::new();
        for (name, field) in schema.iter() {
            if name.starts_with("__index_level_") {
                continue;
            }
            names.push(name.to_string());
            if !supported(&field.dtype) {
                skipped.push((name.to_string(), type_name(&field.dtype)));
            }
        }
        Ok(Layout {
            names,
            skipped,
            rows,
        })
    }
}

/// A Parquet file's columns (or a slice of its rows), each as values it can write as text.
pub(super) struct Table {
    /// Column names, pandas' index columns left out.
    pub(super) names: Vec<String>,
    cols: Vec<Values>,
    rows: usize,
}

impl Table {
    /// Reads the whole file; an unreadable or truncated file is an error naming it.
    pub(super) fn open(path: &Path) -> Result<Table> {
        Table::load(path, &Layout::read(path)?, None)
    }

    /// Reads the columns of `layout` that can be loaded, all rows or `(offset, rows)`.
    fn load(path: &Path, layout: &Layout, slice: Option<(usize, usize)>) -> Result<Table> {
        let bad = |e: PolarsError| unreadable(path, e);
        let load: Vec<String> = layout
            .names
            .iter()
            .filter(|n| !layout.skipped.iter().any(|(s, _)| s == *n))
            .cloned()
            .collect();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let df = ParquetReader::new(file)
            .with_columns(Some(load))
            .with_slice(slice)
            .finish()
            .map_err(bad)?;
        let rows = df.height();
        let mut cols = Vec::with_capacity(layout.names.len());
        for name in &layout.names {
            let values = match layout.skipped.iter().find(|(n, _)| n == name) {
                Some((_, dtype)) => Values::Unsupported(dtype.clone()),
                None => Values::of(df.column(name).map_err(bad)?.as_materialized_series())
                    .map_err(bad)?,
            };
            cols.push(values);
        }
        let names = layout.names.clone();
        Ok(Table { names, cols, rows })
    }

    /// Number of rows.
    pub(super) fn rows(&self) -> usize {
        self.rows
    }

    /// Appends cell (`row`, `col`) as text, as [`read_file`] writes it for the parsers;
    /// nothing for a null.
    pub(super) fn write_cell(&self, col: usize, row: usize, out: &mut String) {
        self.cols[col].write(row, out);
    }

    /// The rows as text records for the general reader.
    fn records<'a>(&'a self, path: &'a Path, header: Header) -> TableRecords<'a> {
        TableRecords {
            table: self,
            path,
            header,
            row: 0,
            buf: String::new(),
        }
    }

    /// The column called `name`.
    fn column(&self, header: &Header, name: &str) -> Option<&Values> {
        header.index(name).map(|i| &self.cols[i])
    }

    /// What [`Table::cell_key`] gives for column `col`, when it is exact: cells of two
    /// columns of the same kind (or of a column of nulls) have equal keys exactly when they
    /// have equal text. `None` for kinds compared by their text (floats, binary ...).
    pub(super) fn key_kind(&self, col: usize) -> Option<&'static str> {
        Some(match &self.cols[col] {
            Values::Text(_) => "text",
            Values::Int(_) | Values::UInt(_) => "integer",
            Values::Time { zoned: true, .. } => "zoned time",
            Values::Time { zoned: false, .. } => "naive time",
            Values::Date(_) => "date",
            Values::Bool(_) => "boolean",
            Values::Null => "null",
            _ => return None,
        })
    }

    /// Cell (`row`, `col`) as a value to compare and hash without writing it as text, for
    /// a column [`Table::key_kind`] names (an empty text is a null, as both write `""`).
    pub(super) fn cell_key(&self, col: usize, row: usize) -> CellKey<'_> {
        let key = match &self.cols[col] {
            Values::Text(c) => c.get(row).filter(|s| !s.is_empty()).map(CellKey::Text),
            Values::Int(c) => c.get(row).map(CellKey::Int),
            Values::UInt(c) => c.get(row).map(|v| match i64::try_from(v) {
                Ok(v) => CellKey::Int(v),
                Err(_) => CellKey::UInt(v),
            }),
            Values::Time { micros, .. } => micros.get(row).map(CellKey::Int),
            Values::Date(c) => c.get(row).map(|d| CellKey::Int(d.into())),
            Values::Bool(c) => c.get(row).map(CellKey::Bool),
            _ => None,
        };
        key.unwrap_or(CellKey::Null)
    }
}

/// A cell as [`Table::cell_key`] gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum CellKey<'a> {
    Null,
    Text(&'a str),
    Int(i64),
    /// An unsigned value above `i64::MAX`.
    UInt(u64),
    Bool(bool),
}

/// Arrow types polars reads with this crate's features and an export could hold.
fn supported(dtype: &ArrowDataType) -> bool {
    use ArrowDataType as A;
    match dtype {
        A::Null | A::Boolean | A::Float32 | A::Float64 | A::Timestamp(..) | A::Date32 => true,
        A::Int8 | A::Int16 | A::Int32 | A::Int64 => true,
        A::UInt8 | A::UInt16 | A::UInt32 | A::UInt64 => true,
        A::Utf8 | A::LargeUtf8 | A::Utf8View => true,
        A::Binary | A::LargeBinary | A::BinaryView | A::FixedSizeBinary(16) => true,
        // Scale 0 (a DuckDB DECIMAL(p,0), a SUM): integers. Polars holds up to 128 bits.
        A::Decimal(_, 0) | A::Decimal32(_, 0) | A::Decimal64(_, 0) => true,
        A::Dictionary(_, values, _) => supported(values),
        A::Extension(ext) => supported(&ext.inner),
        _ => false,
    }
}

/// A type [`supported`] refuses, named for messages.
fn type_name(dtype: &ArrowDataType) -> String {
    use ArrowDataType as A;
    let name = match dtype {
        A::List(_) | A::LargeList(_) | A::FixedSizeList(..) => "lists",
        A::Struct(_) => "structs",
        A::Map(..) => "maps",
        A::Decimal(..) | A::Decimal32(..) | A::Decimal64(..) | A::Decimal256(..) => {
            "decimals with a fractional part (or over 38 digits)"
        }
        A::Duration(_) | A::Interval(_) => "durations",
        A::Time32(_) | A::Time64(_) => "times of day",
        A::Extension(ext) => return type_name(&ext.inner),
        other => return format!("values of Parquet type {other:?}, which no export uses"),
    };
    format!("{name}, which no export uses")
}

/// One column's values, in a form each row can be read from.
enum Values {
    Text(StringChunked),
    Int(Int64Chunked),
    UInt(UInt64Chunked),
    Float(Float64Chunked),
    Bool(BooleanChunked),
    /// Microseconds; `zoned` when the column carries a time zone (the values are UTC).
    Time {
        micros: Int64Chunked,
        zoned: bool,
    },
    /// Days since 1970-01-01.
    Date(Int32Chunked),
    Binary(BinaryChunked),
    /// Every value null (an all-null column pandas wrote with no type).
    Null,
    /// A column of a type not loaded: every cell reads as this text.
    Unsupported(String),
}

impl Values {
    /// The values of `s`, in one chunk (so reading row `i` is direct).
    fn of(s: &Series) -> PolarsResult<Values> {
        let s = s.rechunk();
        Ok(match s.dtype() {
            DataType::String => Values::Text(s.str()?.clone()),
            DataType::Categorical(..) | DataType::Enum(..) => {
                Values::Text(s.cast(&DataType::String)?.str()?.clone())
            }
            DataType::UInt64 => Values::UInt(s.u64()?.clone()),
            d if d.is_integer() => Values::Int(s.cast(&DataType::Int64)?.i64()?.clone()),
            d if d.is_float() => Values::Float(s.cast(&DataType::Float64)?.f64()?.clone()),
            DataType::Boolean => Values::Bool(s.bool()?.clone()),
            DataType::Datetime(unit, zone) => Values::Time {
                micros: to_micros(s.to_physical_repr().i64()?, *unit),
                zoned: zone.is_some(),
            },
            DataType::Date => Values::Date(s.to_physical_repr().i32()?.clone()),
            DataType::Decimal(_, 0) => decimal_integers(&s)?,
            DataType::Binary => Values::Binary(s.binary()?.clone()),
            DataType::Null => Values::Null,
            other => Values::Unsupported(format!("values of type {other}, which no export uses")),
        })
    }

    /// The column's type, for messages.
    fn describe(&self) -> String {
        match self {
            Values::Text(_) => "text".into(),
            Values::Int(_) | Values::UInt(_) => "integers".into(),
            Values::Float(_) => "floating-point numbers".into(),
            Values::Bool(_) => "booleans".into(),
            Values::Time { zoned: true, .. } => "timestamps with a time zone".into(),
            Values::Time { zoned: false, .. } => "timestamps without a time zone".into(),
            Values::Date(_) => "dates".into(),
            Values::Binary(_) => "binary values".into(),
            Values::Null => "only nulls".into(),
            Values::Unsupported(label) => label.clone(),
        }
    }

    /// Writes row `i` as the text a CSV export would hold; nothing for a null.
    fn write(&self, i: usize, out: &mut String) {
        use std::fmt::Write;
        match self {
            Values::Text(c) => out.push_str(c.get(i).unwrap_or("")),
            Values::Int(c) => c.get(i).iter().for_each(|v| write!(out, "{v}").unwrap()),
            Values::UInt(c) => c.get(i).iter().for_each(|v| write!(out, "{v}").unwrap()),
            Values::Float(c) => c.get(i).iter().for_each(|v| write_float(*v, out)),
            Values::Bool(c) => {
                out.push_str(c.get(i).map_or("", |b| if b { "true" } else { "false" }))
            }
            Values::Time { micros, zoned } => micros
                .get(i)
                .iter()
                .for_each(|m| write_time(*m, *zoned, out)),
            Values::Date(c) => c.get(i).iter().for_each(|d| write_date(*d, out)),
            Values::Binary(c) => c.get(i).iter().for_each(|b| write_binary(b, out)),
            Values::Null => {}
            Values::Unsupported(label) => write!(out, "<{label}>").unwrap(),
        }
    }
}

/// A decimal column of scale 0 as integers; as its exact text when a value does not fit
/// 64 bits (a parser that needs an integer then names the row and the value).
fn decimal_integers(s: &Series) -> PolarsResult<Values> {
    let ints = s.cast(&DataType::Int64)?;
    Ok(if ints.null_count() == s.null_count() {
        Values::Int(ints.i64()?.clone())
    } else {
        Values::Text(s.cast(&DataType::String)?.str()?.clone())
    })
}

/// Physical datetime values in microseconds (nanoseconds truncated, as the CSV parser
/// truncates fractions).
fn to_micros(values: &Int64Chunked, unit: TimeUnit) -> Int64Chunked {
    match unit {
        TimeUnit::Microseconds => values.clone(),
        TimeUnit::Nanoseconds => values.apply_values(|v| v.div_euclid(1000)),
        TimeUnit::Milliseconds => values.apply_values(|v| v.saturating_mul(1000)),
    }
}

/// A float as text: integral values as integers, others in Rust's shortest form.
fn write_float(v: f64, out: &mut String) {
    use std::fmt::Write;
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        write!(out, "{}", v as i64).unwrap();
    } else {
        write!(out, "{v}").unwrap();
    }
}

/// A timestamp as text: RFC 3339 in UTC when zoned, else naive (read in the input zone).
/// Out of chrono's range it is written as the number, which the parser then refuses.
fn write_time(micros: Micros, zoned: bool, out: &mut String) {
    use std::fmt::Write;
    match chrono::DateTime::from_timestamp_micros(micros) {
        Some(t) if zoned => write!(out, "{}", t.format("%Y-%m-%dT%H:%M:%S%.fZ")).unwrap(),
        Some(t) => write!(out, "{}", t.naive_utc().format("%Y-%m-%d %H:%M:%S%.f")).unwrap(),
        None => write!(out, "{micros}").unwrap(),
    }
}

/// A date as `YYYY-MM-DD`.
fn write_date(days: i32, out: &mut String) {
    use std::fmt::Write;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    match epoch.checked_add_signed(chrono::TimeDelta::days(i64::from(days))) {
        Some(d) => write!(out, "{}", d.format("%Y-%m-%d")).unwrap(),
        None => write!(out, "{days}").unwrap(),
    }
}

/// Binary as text: 16 bytes are a GUID (DuckDB's UUID), other bytes their UTF-8 text.
fn write_binary(b: &[u8], out: &mut String) {
    match <[u8; 16]>::try_from(b) {
        Ok(g) => out.push_str(&super::guid_text(u128::from_be_bytes(g))),
        Err(_) => out.push_str(&String::from_utf8_lossy(b)),
    }
}

/// A table's rows as text records.
struct TableRecords<'a> {
    table: &'a Table,
    path: &'a Path,
    header: Header,
    /// Rows handed out so far.
    row: usize,
    buf: String,
}

impl Records for TableRecords<'_> {
    fn path(&self) -> &Path {
        self.path
    }
    fn header(&mut self) -> Result<Header> {
        Ok(self.header.clone())
    }
    fn next_record(&mut self, rec: &mut StringRecord) -> Result<Next> {
        if self.row == self.table.rows {
            return Ok(Next::End);
        }
        rec.clear();
        for col in &self.table.cols {
            self.buf.clear();
            col.write(self.row, &mut self.buf);
            rec.push_field(&self.buf);
        }
        self.row += 1;
        Ok(Next::Row)
    }
    fn record_line(&mut self) -> u64 {
        self.row as u64
    }
    fn context(&self, column: &str) -> Option<String> {
        let i = self.header.index(column)?;
        Some(format!(
            "row {} of the Parquet file; the column holds {}",
            self.row,
            self.table.cols[i].describe()
        ))
    }
}

/// The columns of the fast Shiny usage path.
struct SessionCols<'a> {
    content: &'a Values,
    user: Option<&'a Values>,
    started: &'a Values,
    ended: &'a Values,
    data_version: Option<&'a Values>,
    zone: chrono_tz::Tz,
}

/// Shiny usage read straight from the columns, a slice of [`SLICE_ROWS`] rows at a time
/// (so the file's columns are never all held beside the rows they become); `None` when
/// a value is outside the plain shape (the general reader then reads the file).
fn read_sessions(
    path: &Path,
    layout: &Layout,
    header: &Header,
    zone: chrono_tz::Tz,
) -> Result<Option<SessionFile>> {
    let mut out = SessionFile::default();
    let mut line = 1;
    for offset in (0..layout.rows).step_by(SLICE_ROWS) {
        let table = Table::load(path, layout, Some((offset, SLICE_ROWS)))?;
        let Some(blocks) = session_blocks(&table, header, zone) else {
            return Ok(None);
        };
        if out.merge(blocks, &mut line).is_none() {
            return Ok(None);
        }
    }
    Ok(Some(out))
}

/// One slice's rows as blocks, parsed in parallel; `None` without the session columns.
fn session_blocks(
    table: &Table,
    header: &Header,
    zone: chrono_tz::Tz,
) -> Option<Vec<Option<SessionBlock>>> {
    let cols = SessionCols {
        content: table.column(header, "content_guid")?,
        user: table.column(header, "user_guid"),
        started: table.column(header, "started")?,
        ended: table.column(header, "ended")?,
        data_version: table.column(header, "data_version"),
        zone,
    };
    let starts: Vec<usize> = (0..table.rows).step_by(BLOCK_ROWS).collect();
    Some(
        starts
            .par_iter()
            .map(|&first| session_block(&cols, first, (first + BLOCK_ROWS).min(table.rows)))
            .collect(),
    )
}

/// Rows `first..end` as one block, lines (rows) numbered from 0 within it.
fn session_block(cols: &SessionCols, first: usize, end: usize) -> Option<SessionBlock> {
    let mut block = SessionBlock::new(end - first);
    let mut naive = false;
    for i in first..end {
        let content = name(cols.content, i)??;
        let user = match cols.user {
            Some(v) => name(v, i)?,
            None => None,
        };
        let started = time(cols.started, i, cols.zone, &mut naive)??;
        let ended = time(cols.ended, i, cols.zone, &mut naive)?;
        let data_version = match cols.data_version {
            Some(v) => data_version(v, i)?,
            None => 0,
        };
        let line = u32::try_from(i - first).ok()?;
        block.push((content, user), (started, ended), data_version, line)?;
    }
    block.mark_naive(naive);
    Some(block)
}

/// A `data_version` cell (0 when null); `None` outside the plain shape.
fn data_version(v: &Values, i: usize) -> Option<i32> {
    match v {
        Values::Int(c) => c.get(i).map_or(Some(0), |v| i32::try_from(v).ok()),
        Values::Text(c) => match c.get(i) {
            Some(s) if !fast::null(s.as_bytes()) => i32::try_from(parse_int(s).ok()?).ok(),
            _ => Some(0),
        },
        Values::Null => Some(0),
        _ => None,
    }
}

/// A GUID cell: `Some(None)` when null, `None` outside the plain shape.
fn name(v: &Values, i: usize) -> Option<Option<NameCell<'_>>> {
    match v {
        Values::Text(c) => match c.get(i) {
            Some(s) if !fast::null(s.as_bytes()) => Some(Some(NameCell::Text(s.as_bytes()))),
            _ => Some(None),
        },
        Values::Binary(c) => match c.get(i) {
            Some(b) => {
                let g = <[u8; 16]>::try_from(b).ok()?;
                Some(Some(NameCell::Guid(u128::from_be_bytes(g))))
            }
            None => Some(None),
        },
        Values::Null => Some(None),
        _ => None,
    }
}

/// A time cell: `Some(None)` when null, `None` outside the plain shape (a naive timestamp
/// in a zone other than UTC, which may need a DST note, takes the general reader).
fn time(v: &Values, i: usize, zone: chrono_tz::Tz, naive: &mut bool) -> Option<Option<Micros>> {
    match v {
        Values::Time { micros, zoned } => match micros.get(i) {
            None => Some(None),
            Some(m) if *zoned || zone == chrono_tz::UTC => {
                *naive |= !*zoned;
                let range = super::timestamp::MIN_MICROS..super::timestamp::MAX_MICROS;
                range.contains(&m).then_some(Some(m))
            }
            Some(_) => None,
        },
        Values::Text(c) => match c.get(i) {
            Some(s) => fast::time(s.as_bytes(), zone, naive),
            None => Some(None),
        },
        Values::Null => Some(None),
        _ => None,
    }
}

#[cfg(test)]
#[path = "parquet_tests.rs"]
mod tests;
