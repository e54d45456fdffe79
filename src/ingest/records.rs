//! From one file's rows to records: the per-file driver and the usage kinds.
//!
//! | kind | columns read | becomes |
//! |---|---|---|
//! | shiny usage | `content_guid`, `user_guid`, `started`, `ended`, `data_version` | [`SessionRow`] |
//! | unified usage | same; `ended` empty or `!= started` | [`SessionRow`] |
//! | unified usage | `started == ended` | [`VisitRow`] (`Unified`) |
//! | visits | `content_guid`, `user_guid`, `time`, `data_version`, `user_agent` | [`VisitRow`] (`Visits`) |
//! | hits | `content_guid`, `user_guid`, `timestamp`, `user_agent` (`data.user_agent`) | [`VisitRow`] (`Hits`) |
//! | dashboard | `content_guid`, `user_guid`, `timestamp` | [`VisitRow`] (`Dashboard`) |
//!
//! `content_guid` and the time column must hold a value; an empty `user_guid` is an
//! anonymous visitor; `ended` empty = no end recorded; `data_version` empty = 0. Jobs,
//! content and users are in [`super::catalog`]. A row is parsed completely before anything
//! is interned or pushed, so a skipped row leaves no trace.

use std::path::Path;

use csv::StringRecord;

use super::catalog::{ContentCols, JobCols, UserCols};
use super::detect::{detect, Header};
use super::reader;
use super::row::{Adjusted, Col, FieldError, FieldResult, Row};
use super::timestamp::LocalAdjust;
use super::{
    Dataset, FileSummary, IngestNotes, IngestOptions, Kind, Origin, RowProblem, SessionRow,
    VisitRow, VisitSource, MAX_LISTED,
};
use crate::{Error, Result};

/// Row counts at which a usage export was probably cut off by connectapi's `limit`.
const SUSPICIOUS_ROW_COUNTS: [u64; 2] = [500, 20];

/// Reads one file into `ds`; `file` is its index in `ds.files` (pushed by the caller).
pub fn read_file(
    path: &Path,
    file: u32,
    opts: &IngestOptions,
    ds: &mut Dataset,
) -> Result<FileSummary> {
    let mut src = reader::open(path)?;
    let header = src.header()?;
    let kind = detect(&header, path)?;
    let parser = Parser::new(kind, &header, path)?;
    let zone = opts.input_tz.zone_for(kind);
    let mut rec = StringRecord::new();
    let mut adjusted = Vec::new();
    let mut rows = 0u64;
    while src.next_record(&mut rec)? {
        rows += 1;
        let line = src.record_line(&rec);
        adjusted.clear();
        let mut row = Row::new(&rec, zone, &mut adjusted);
        match parser.apply(&mut row, Origin { file, line }, ds) {
            Ok(()) => note_adjusted(&mut ds.notes, path, line, &rec, &adjusted, zone),
            Err(e) => skip_or_fail(&mut ds.notes, path, line, e, opts.lenient)?,
        }
    }
    if kind.is_usage() && SUSPICIOUS_ROW_COUNTS.contains(&rows) {
        ds.notes.warnings.push(truncation_warning(path, rows));
    }
    Ok(FileSummary {
        path: path.to_path_buf(),
        kind,
        rows,
    })
}

fn truncation_warning(path: &Path, rows: u64) -> String {
    format!(
        "{}: exactly {rows} rows — connectapi's default row limit may have truncated this \
         export; re-export with limit = Inf",
        path.display()
    )
}

/// A bad row: an error, or under `--lenient` a counted (and maybe listed) skip.
fn skip_or_fail(
    notes: &mut IngestNotes,
    path: &Path,
    line: u64,
    e: FieldError,
    lenient: bool,
) -> Result<()> {
    if !lenient {
        let message = format!(
            "{}; fix the value or pass --lenient to skip bad rows",
            e.message
        );
        return Err(Error::data(path, line, e.column, message));
    }
    notes.skipped_rows += 1;
    if notes.skipped.len() < MAX_LISTED {
        notes.skipped.push(RowProblem {
            path: path.to_path_buf(),
            line,
            column: Some(e.column.to_string()),
            message: e.message,
        });
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
    Sessions { cols: SessionCols, unified: bool },
    Points(PointCols),
    Jobs(JobCols),
    Content(ContentCols),
    Users(UserCols),
}

impl Parser {
    fn new(kind: Kind, h: &Header, path: &Path) -> Result<Parser> {
        Ok(match kind {
            Kind::ShinyUsage | Kind::UnifiedUsage => Parser::Sessions {
                cols: SessionCols::new(h, path, kind)?,
                unified: kind == Kind::UnifiedUsage,
            },
            Kind::Visits => Parser::Points(PointCols::new(h, path, kind, VisitSource::Visits)?),
            Kind::Hits => Parser::Points(PointCols::new(h, path, kind, VisitSource::Hits)?),
            Kind::DashboardVisits => {
                Parser::Points(PointCols::new(h, path, kind, VisitSource::Dashboard)?)
            }
            Kind::Jobs => Parser::Jobs(JobCols::new(h, path)?),
            Kind::Content => Parser::Content(ContentCols::new(h, path)?),
            Kind::Users => Parser::Users(UserCols::new(h, path)?),
        })
    }

    fn apply(&self, row: &mut Row, origin: Origin, ds: &mut Dataset) -> FieldResult<()> {
        match self {
            Parser::Sessions { cols, unified } => cols.apply(row, origin, *unified, ds),
            Parser::Points(cols) => cols.apply(row, origin, ds),
            Parser::Jobs(cols) => cols.apply(row, origin, ds),
            Parser::Content(cols) => cols.apply(row, origin, ds),
            Parser::Users(cols) => cols.apply(row, origin, ds),
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
}

impl SessionCols {
    fn new(h: &Header, path: &Path, kind: Kind) -> Result<Self> {
        Ok(SessionCols {
            content: Col::require(h, "content_guid", path, kind)?,
            user: Col::find(h, "user_guid"),
            started: Col::require(h, "started", path, kind)?,
            ended: Col::require(h, "ended", path, kind)?,
            data_version: Col::find(h, "data_version"),
        })
    }

    fn apply(
        &self,
        row: &mut Row,
        origin: Origin,
        unified: bool,
        ds: &mut Dataset,
    ) -> FieldResult<()> {
        let content = row.required_text(self.content)?;
        let user = row.text(self.user);
        let started = row.required_time(self.started)?;
        let ended = row.time(Some(self.ended))?;
        let data_version = row.data_version(self.data_version)?;
        let content = ds.content_ids.intern(content);
        let user = user.map(|u| ds.user_ids.intern(u));
        if unified && ended == Some(started) {
            ds.visits.push(VisitRow {
                source: VisitSource::Unified,
                content,
                user,
                time: started,
                data_version,
                user_agent: None,
                origin,
            });
        } else {
            ds.sessions.push(SessionRow {
                content,
                user,
                started,
                ended,
                data_version,
                origin,
            });
        }
        Ok(())
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
