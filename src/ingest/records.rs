//! From one file's rows to records: the per-file driver and the usage kinds.
//!
//! | kind | columns read | becomes |
//! |---|---|---|
//! | shiny usage | `content_guid`, `user_guid`, `started`, `ended`, `data_version` | [`SessionRow`] |
//! | unified usage | same; `variant_key`, `rendering_id`, `bundle_id`, `path` all empty | [`SessionRow`] |
//! | unified usage | any of those four holds a value | [`VisitRow`] (`Unified`) at `started` |
//! | visits | `content_guid`, `user_guid`, `time`, `data_version`, `user_agent` | [`VisitRow`] (`Visits`) |
//! | hits | `content_guid`, `user_guid`, `timestamp`, `user_agent` (`data.user_agent`) | [`VisitRow`] (`Hits`) |
//! | dashboard | `content_guid`, `user_guid`, `timestamp` | [`VisitRow`] (`Dashboard`) |
//!
//! `content_guid` and the time column must hold a value; an empty `user_guid` is an
//! anonymous visitor; `ended` empty = no end recorded; `data_version` empty = 0. Jobs,
//! content and users are in [`super::catalog`], job metrics in [`super::metrics`]. A row
//! is parsed completely before anything is interned or pushed, so a skipped row leaves no
//! trace.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::catalog::{ContentCols, JobCols, UserCols};
use super::detect::{detect, Header, VISIT_ONLY_COLUMNS};
use super::progress::Progress;
use super::reader::{self, is_null, Next};
use super::row::{Adjusted, Col, FieldResult, Row};
use super::timestamp::LocalAdjust;
use super::{
    Dataset, EncodingSkip, FileSummary, IngestNotes, IngestOptions, Kind, NaiveZone, Origin,
    RowProblem, SessionRow, VisitRow, VisitSource, MAX_LISTED,
};
use crate::{Error, Result};

/// Row counts at which a usage export was probably cut off by connectapi's `limit`.
///
/// The limit applies per API endpoint, so a unified usage file (visits and Shiny sessions of
/// two endpoints in one table) is checked per part: it warns when its session rows or its
/// visit rows number exactly 500 or 20, not when the two together do. A unified row is a
/// visit row when one of its visit-only columns (`variant_key`, `rendering_id`,
/// `bundle_id`, `path`) holds a value, read from the raw text, so a row skipped under
/// `--lenient` is classed the same way and the two parts always add up to the file's rows
/// (docs/metrics.md 1.2). Other usage kinds count all their data rows
/// (skipped ones included); jobs, content and users never warn.
const SUSPICIOUS_ROW_COUNTS: [u64; 2] = [500, 20];

/// Reads the export file `path` into `ds` and appends its [`FileSummary`] to `ds.files`
/// (the file's records carry `Origin::file` = its index there).
///
/// On error `ds` may hold some of the file's records; discard it.
pub fn read_file(path: &Path, opts: &IngestOptions, ds: &mut Dataset) -> Result<()> {
    read_file_with_progress(path, opts, ds, &Progress::hidden())
}

/// [`read_file`], telling `progress` the bytes read.
pub fn read_file_with_progress(
    path: &Path,
    opts: &IngestOptions,
    ds: &mut Dataset,
    progress: &Progress,
) -> Result<()> {
    #[cfg(feature = "parquet")]
    if super::discover::is_parquet_name(path) {
        super::parquet::read_file(path, opts, ds)?;
        progress.add(std::fs::metadata(path).map_or(0, |m| m.len()));
        return Ok(());
    }
    let before = progress.position();
    if super::fast::try_file(path, opts, ds, &mut |n| progress.add(n)) {
        return Ok(());
    }
    // The fast reader gave up (maybe part way): the general reader starts over.
    progress.set_position(before);
    read_source(
        reader::open_counted(path, progress, &opts.encoding)?,
        opts,
        ds,
    )
}

/// Reads an export held in memory into `ds` exactly as [`read_file`] reads a file called
/// `name`: the same header detection, row parsing, `--lenient` handling, notes and
/// warnings; gzip when `name` ends `.gz` or the bytes start with the gzip magic. Errors
/// name `name` as the path.
///
/// On error `ds` may hold some of the bytes' records; discard it.
pub fn read_bytes(name: &str, bytes: &[u8], opts: &IngestOptions, ds: &mut Dataset) -> Result<()> {
    let path = Path::new(name);
    let plain = !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if plain
        && bytes.len() as u64 >= super::fast::MIN_BYTES
        && super::fast::read_decoded(path, bytes, opts, ds, &mut |_| {})
    {
        return Ok(());
    }
    read_source(reader::from_bytes(path, bytes, &opts.encoding)?, opts, ds)
}

/// [`read_bytes`] with the general reader only, whatever the size (to compare the two
/// readers in benchmarks and tests).
pub fn read_bytes_general(
    name: &str,
    bytes: &[u8],
    opts: &IngestOptions,
    ds: &mut Dataset,
) -> Result<()> {
    read_source(
        reader::from_bytes(Path::new(name), bytes, &opts.encoding)?,
        opts,
        ds,
    )
}

/// The shared body of [`read_file`] and [`read_bytes`] (and of Parquet files read row by
/// row).
pub(super) fn read_source(
    mut src: impl reader::Records,
    opts: &IngestOptions,
    ds: &mut Dataset,
) -> Result<()> {
    let path = src.path().to_path_buf();
    let path = path.as_path();
    let mut row_file = RowFile::default();
    let header = src.header()?;
    header.check(path)?;
    let kind = detect(&header, path)?;
    let parser = Parser::new(kind, &header, path)?;
    let zone = opts.input_tz.zone_for(kind);
    let mut rec = StringRecord::new();
    let mut adjusted = Vec::new();
    let mut counts = RowCounts::default();
    let mut naive = false;
    loop {
        let next = src.next_record(&mut rec)?;
        if next == Next::End {
            break;
        }
        counts.all += 1;
        let line = src.record_line();
        if let Next::BadUtf8 { field } = next {
            let column = src.column_name(header.name_at(field));
            let at = src.record_path();
            not_utf8(&mut ds.notes, at, kind, line, column, opts.lenient)?;
            counts.add(parser.raw_class(&rec));
            continue;
        }
        adjusted.clear();
        let mut row = Row::new(&rec, zone, &mut adjusted);
        let file = row_file.of(src.record_path(), ds)?;
        let class = match parser.apply(&mut row, Origin { file, line }, ds) {
            Ok(class) => {
                naive |= !adjusted.is_empty();
                let at = src.record_path();
                note_adjusted(&mut ds.notes, at, line, &rec, &adjusted, zone);
                class
            }
            Err(mut e) => {
                if let Some(context) = src.context(e.column) {
                    e.message = format!("{} ({context})", e.message);
                }
                let (at, column) = (src.record_path(), src.column_name(e.column));
                skip_or_fail(&mut ds.notes, (at, line, column), e.message, opts.lenient)?;
                parser.raw_class(&rec)
            }
        };
        counts.add(class);
    }
    truncation_warnings(kind, path, &counts, &mut ds.notes.warnings);
    if naive {
        note_naive_zone(&mut ds.notes, path, kind, opts);
    }
    ds.files.push(FileSummary {
        path: path.to_path_buf(),
        kind,
        rows: counts.all,
    });
    Ok(())
}

/// The [`Origin::file`] of each record: the file it came from (the source's own, or one
/// of the files a Posit Chronicle metric joins), registered in the dataset when first met.
#[derive(Default)]
struct RowFile {
    /// The index of the record before's file.
    last: Option<u32>,
    seen: HashMap<PathBuf, u32>,
}

impl RowFile {
    fn of(&mut self, at: &Path, ds: &mut Dataset) -> Result<u32> {
        let same = |i: u32| ds.row_files[i as usize].as_os_str() == at.as_os_str();
        if let Some(index) = self.last.filter(|&i| same(i)) {
            return Ok(index);
        }
        let index = match self.seen.get(at) {
            Some(&index) => index,
            None => {
                let index = ds.add_row_file(at).ok_or_else(|| {
                    Error::Usage("too many input files (more than 4 billion)".to_string())
                })?;
                self.seen.insert(at.to_path_buf(), index);
                index
            }
        };
        self.last = Some(index);
        Ok(index)
    }
}

/// What one row became (for the per-part truncation check of unified usage files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowClass {
    /// A Shiny session row.
    Session,
    /// A visit (point event) row.
    Visit,
    /// A job, content or user row.
    Other,
}

/// Data rows of one file: all of them, and sessions and visits among them.
#[derive(Debug, Default)]
struct RowCounts {
    all: u64,
    sessions: u64,
    visits: u64,
}

impl RowCounts {
    fn add(&mut self, class: RowClass) {
        match class {
            RowClass::Session => self.sessions += 1,
            RowClass::Visit => self.visits += 1,
            RowClass::Other => {}
        }
    }
}

/// [`truncation_warnings`] for a file of `rows` rows of one kind that is not unified usage.
pub(super) fn warn_truncated(kind: Kind, path: &Path, rows: u64, warnings: &mut Vec<String>) {
    let counts = RowCounts {
        all: rows,
        sessions: rows,
        visits: 0,
    };
    truncation_warnings(kind, path, &counts, warnings);
}

/// Warns when a usage file (or a part of a unified one) holds exactly 500 or 20 rows.
fn truncation_warnings(kind: Kind, path: &Path, counts: &RowCounts, warnings: &mut Vec<String>) {
    let parts: &[(u64, &str)] = match kind {
        Kind::UnifiedUsage => &[
            (counts.sessions, "Shiny session rows"),
            (counts.visits, "visit rows"),
        ],
        k if k.is_usage() => &[(counts.all, "rows")],
        _ => &[],
    };
    for &(n, what) in parts {
        if SUSPICIOUS_ROW_COUNTS.contains(&n) {
            warnings.push(format!(
                "{}: exactly {n} {what} — connectapi's default row limit may have truncated \
                 this export; re-export with limit = Inf",
                path.display()
            ));
        }
    }
}

/// A bad row: an error, or under `--lenient` a counted (and maybe listed) skip.
fn skip_or_fail(
    notes: &mut IngestNotes,
    (path, line, column): (&Path, u64, &str),
    message: String,
    lenient: bool,
) -> Result<()> {
    if !lenient {
        let message = format!("{message}; fix the value or pass --lenient to skip bad rows");
        return Err(Error::data(path, line, column, message));
    }
    notes.skipped_rows += 1;
    if notes.skipped.len() < MAX_LISTED {
        notes.skipped.push(RowProblem {
            path: path.to_path_buf(),
            line,
            column: Some(column.to_string()),
            message,
        });
    }
    Ok(())
}

/// Notes that `path` held timestamps without an offset and which zone read them (said
/// once per file; the report warns when the zone is UTC by default, docs/metrics.md 1.9).
pub(super) fn note_naive_zone(
    notes: &mut IngestNotes,
    path: &Path,
    kind: Kind,
    opts: &IngestOptions,
) {
    notes.naive_zones.push(NaiveZone {
        path: path.to_path_buf(),
        kind,
        zone: opts.input_tz.zone_for(kind).name().to_string(),
        assumed: !opts.input_tz.is_set(kind),
    });
}

/// A row that is not valid UTF-8: an error suggesting `--encoding`, or under `--lenient`
/// a counted skip (and the file noted, for the `--encoding` hint in the report).
fn not_utf8(
    notes: &mut IngestNotes,
    path: &Path,
    kind: Kind,
    line: u64,
    column: &str,
    lenient: bool,
) -> Result<()> {
    if !lenient {
        let message = format!(
            "the value is not valid UTF-8; {}; or pass --lenient to skip such rows",
            reader::ENCODING_HINT
        );
        return Err(Error::data(path, line, column, message));
    }
    notes.skipped_rows += 1;
    if notes.skipped.len() < MAX_LISTED {
        notes.skipped.push(RowProblem {
            path: path.to_path_buf(),
            line,
            column: Some(column.to_string()),
            message: "not valid UTF-8 (see the --encoding warning)".into(),
        });
    }
    match notes.encoding_skips.last_mut() {
        Some(last) if last.path == path => last.rows += 1,
        _ => notes.encoding_skips.push(EncodingSkip {
            path: path.to_path_buf(),
            kind,
            rows: 1,
            first_line: line,
        }),
    }
    Ok(())
}

/// Counts (and lists the first) DST-adjusted local times of a kept row.
fn note_adjusted(
    notes: &mut IngestNotes,
    path: &Path,
    line: u64,
    rec: &StringRecord,
    adjusted: &[Adjusted],
    zone: chrono_tz::Tz,
) {
    for a in adjusted {
        let what = match a.adjust {
            LocalAdjust::Nonexistent => {
                notes.nonexistent_local_times += 1;
                "does not exist (spring-forward gap); shifted forward by the gap"
            }
            LocalAdjust::Ambiguous => {
                notes.ambiguous_local_times += 1;
                "occurs twice (fall-back); took the earlier offset"
            }
            LocalAdjust::None => continue,
        };
        if notes.local_time_problems.len() < MAX_LISTED {
            let value = rec.get(a.col.idx).unwrap_or("");
            notes.local_time_problems.push(RowProblem {
                path: path.to_path_buf(),
                line,
                column: Some(a.col.name.to_string()),
                message: format!("local time '{value}' in {zone} {what}"),
            });
        }
    }
}

/// The column mapping of one file, by kind.
enum Parser {
    Sessions(SessionCols),
    Points(PointCols),
    Jobs(JobCols),
    Content(ContentCols),
    Users(UserCols),
    Metrics(super::metrics::MetricCols),
}

impl Parser {
    fn new(kind: Kind, h: &Header, path: &Path) -> Result<Parser> {
        Ok(match kind {
            Kind::ShinyUsage | Kind::UnifiedUsage => {
                Parser::Sessions(SessionCols::new(h, path, kind)?)
            }
            Kind::Visits => Parser::Points(PointCols::new(h, path, kind, VisitSource::Visits)?),
            Kind::Hits => Parser::Points(PointCols::new(h, path, kind, VisitSource::Hits)?),
            Kind::DashboardVisits => {
                Parser::Points(PointCols::new(h, path, kind, VisitSource::Dashboard)?)
            }
            Kind::Jobs => Parser::Jobs(JobCols::new(h, path)?),
            Kind::Content => Parser::Content(ContentCols::new(h, path)?),
            Kind::Users => Parser::Users(UserCols::new(h, path)?),
            Kind::JobMetrics => Parser::Metrics(super::metrics::MetricCols::new(h, path)?),
        })
    }

    /// Parses one row into `ds`; says what the row became.
    fn apply(&self, row: &mut Row, origin: Origin, ds: &mut Dataset) -> FieldResult<RowClass> {
        match self {
            Parser::Sessions(cols) => cols.apply(row, origin, ds),
            Parser::Points(cols) => cols.apply(row, origin, ds).map(|()| RowClass::Visit),
            Parser::Jobs(cols) => cols.apply(row, origin, ds).map(|()| RowClass::Other),
            Parser::Content(cols) => cols.apply(row, origin, ds).map(|()| RowClass::Other),
            Parser::Users(cols) => cols.apply(row, origin, ds).map(|()| RowClass::Other),
            Parser::Metrics(cols) => cols.apply(row, origin, ds).map(|()| RowClass::Other),
        }
    }

    /// What a row that could not be parsed would have been, from its raw text.
    fn raw_class(&self, rec: &StringRecord) -> RowClass {
        match self {
            Parser::Sessions(cols) => {
                let filled = |c: &Col| !is_null(rec.get(c.idx).unwrap_or(""));
                if cols.visit_only.iter().any(filled) {
                    RowClass::Visit
                } else {
                    RowClass::Session
                }
            }
            Parser::Points(_) => RowClass::Visit,
            Parser::Jobs(_) | Parser::Content(_) | Parser::Users(_) | Parser::Metrics(_) => {
                RowClass::Other
            }
        }
    }
}

/// Shiny usage and unified usage columns.
struct SessionCols {
    content: Col,
    user: Option<Col>,
    started: Col,
    ended: Col,
    data_version: Option<Col>,
    /// The visit-only columns the header has (none in a Shiny usage file): a row with a
    /// value in any of them is a visit, every other row a session.
    visit_only: Vec<Col>,
}

impl SessionCols {
    fn new(h: &Header, path: &Path, kind: Kind) -> Result<Self> {
        let visit_only = match kind {
            Kind::UnifiedUsage => VISIT_ONLY_COLUMNS
                .iter()
                .filter_map(|name| Col::find(h, name))
                .collect(),
            _ => Vec::new(),
        };
        Ok(SessionCols {
            content: Col::require(h, "content_guid", path, kind)?,
            user: Col::find(h, "user_guid"),
            started: Col::require(h, "started", path, kind)?,
            ended: Col::require(h, "ended", path, kind)?,
            data_version: Col::find(h, "data_version"),
            visit_only,
        })
    }

    fn apply(&self, row: &mut Row, origin: Origin, ds: &mut Dataset) -> FieldResult<RowClass> {
        let content = row.required_text(self.content)?;
        let user = row.text(self.user);
        let started = row.required_time(self.started)?;
        let ended = row.time(Some(self.ended))?;
        let data_version = row.data_version(self.data_version)?;
        let visit = self.visit_only.iter().any(|&c| row.text(Some(c)).is_some());
        let content = ds.content_ids.intern(content);
        let user = user.map(|u| ds.user_ids.intern(u));
        if visit {
            ds.visits.push(VisitRow {
                source: VisitSource::Unified,
                content,
                user,
                time: started,
                data_version,
                user_agent: None,
                origin,
            });
            Ok(RowClass::Visit)
        } else {
            ds.sessions.push(SessionRow {
                content,
                user,
                started,
                ended,
                data_version,
                origin,
            });
            Ok(RowClass::Session)
        }
    }
}

/// Visits, hits and dashboard raw visits: point events.
struct PointCols {
    source: VisitSource,
    content: Col,
    user: Option<Col>,
    time: Col,
    data_version: Option<Col>,
    user_agent: Option<Col>,
}

impl PointCols {
    fn new(h: &Header, path: &Path, kind: Kind, source: VisitSource) -> Result<Self> {
        let time = if source == VisitSource::Visits {
            "time"
        } else {
            "timestamp"
        };
        Ok(PointCols {
            source,
            content: Col::require(h, "content_guid", path, kind)?,
            user: Col::find(h, "user_guid"),
            time: Col::require(h, time, path, kind)?,
            data_version: Col::find(h, "data_version"),
            user_agent: Col::find(h, "user_agent"),
        })
    }

    fn apply(&self, row: &mut Row, origin: Origin, ds: &mut Dataset) -> FieldResult<()> {
        let content = row.required_text(self.content)?;
        let user = row.text(self.user);
        let time = row.required_time(self.time)?;
        let data_version = row.data_version(self.data_version)?;
        let content = ds.content_ids.intern(content);
        let user = user.map(|u| ds.user_ids.intern(u));
        ds.visits.push(VisitRow {
            source: self.source,
            content,
            user,
            time,
            data_version,
            user_agent: row.boxed(self.user_agent),
            origin,
        });
        Ok(())
    }
}

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
