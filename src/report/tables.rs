//! The derived tables of `analyze --tables DIR` (README, "Derived tables"): `days`,
//! `content`, `hour_of_week`, `months` and `scenarios`, built from the report's wire types
//! and written as Parquet (feature `parquet`, [`super::tables_parquet`]) or CSV.
//!
//! Columns are typed: dates as dates, instants as UTC timestamps (microseconds), counts as
//! integers, figures as floats, flags as booleans. The five files are written to
//! temporary files first and renamed into place only when all are written. In CSV, a text cell starting with `=`, `+`, `-`
//! or `@` gets a leading `'` so a spreadsheet does not run it as a formula; numbers,
//! dates and every other cell are written as they are.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::model::capacity::footprints::Footprint;
use crate::model::capacity::measured::FootprintLine;
use crate::model::usage::content::ContentStats;
use crate::model::usage::profile::HourOfWeek;
use crate::model::wire::capacity::Scenario;
use crate::model::wire::{Profiles, Report};
use crate::{Error, Result};

/// File format of the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Apache Parquet (needs the `parquet` feature).
    Parquet,
    /// CSV with a header row.
    Csv,
}

impl TableFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Parquet => "parquet",
            TableFormat::Csv => "csv",
        }
    }
}

/// One typed column; `None` is a null.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Date(Vec<Option<NaiveDate>>),
    /// Microseconds since the epoch, UTC.
    Timestamp(Vec<Option<i64>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Date(v) => v.len(),
            Values::Timestamp(v) | Values::Int(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Text(v) => v.len(),
        }
    }

    /// Row `i` as a CSV cell.
    fn cell(&self, i: usize) -> String {
        let or_empty = |v: Option<String>| v.unwrap_or_default();
        match self {
            Values::Date(v) => or_empty(v[i].map(|d| d.format("%Y-%m-%d").to_string())),
            Values::Timestamp(v) => or_empty(v[i].and_then(crate::format::rfc3339)),
            Values::Int(v) => or_empty(v[i].map(|x| x.to_string())),
            Values::Float(v) => or_empty(v[i].map(|x| x.to_string())),
            Values::Bool(v) => or_empty(v[i].map(|x| x.to_string())),
            Values::Text(v) => or_empty(v[i].as_deref().map(guard)),
        }
    }
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: &'static str,
    pub values: Values,
}

/// A named table of equal-length columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<Column>,
}

impl Table {
    /// Rows (0 without columns).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }
}

/// A text cell that would start a formula, with a leading `'`.
fn guard(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// Every table of `report`, in a fixed order.
pub fn tables(report: &Report) -> Vec<Table> {
    vec![
        days(report),
        content(report),
        hour_of_week(report),
        months(report),
        scenarios(report),
    ]
}

fn ints<T>(rows: &[T], f: impl Fn(&T) -> Option<i64>) -> Values {
    Values::Int(rows.iter().map(f).collect())
}
fn floats<T>(rows: &[T], f: impl Fn(&T) -> Option<f64>) -> Values {
    Values::Float(rows.iter().map(f).collect())
}
fn texts<T>(rows: &[T], f: impl Fn(&T) -> Option<String>) -> Values {
    Values::Text(rows.iter().map(f).collect())
}
fn bools<T>(rows: &[T], f: impl Fn(&T) -> bool) -> Values {
    Values::Bool(rows.iter().map(|r| Some(f(r))).collect())
}
fn column(name: &'static str, values: Values) -> Column {
    Column { name, values }
}

/// One row per day of the window in the reporting zone (metrics.md section 3).
fn days(report: &Report) -> Table {
    let (series, detail) = report
        .daily
        .as_ref()
        .map_or((&[][..], &[][..]), |d| (&d.series[..], &d.detail[..]));
    let rows: Vec<_> = series.iter().zip(detail).collect();
    let date = |label: &str| NaiveDate::parse_from_str(label, "%Y-%m-%d").ok();
    Table {
        name: "days",
        columns: vec![
            column(
                "date",
                Values::Date(rows.iter().map(|(b, _)| date(&b.label)).collect()),
            ),
            column("full", bools(&rows, |(b, _)| b.full)),
            column(
                "sessions_started",
                ints(&rows, |(_, d)| Some(d.sessions_started as i64)),
            ),
            column("visits", ints(&rows, |(_, d)| Some(d.visits as i64))),
            column(
                "peak_sessions",
                ints(&rows, |(b, _)| Some(i64::from(b.peak))),
            ),
            column(
                "peak_users",
                ints(&rows, |(_, d)| Some(i64::from(d.peak_users))),
            ),
            column("average_sessions", floats(&rows, |(b, _)| Some(b.average))),
            column(
                "p95_sessions",
                ints(&rows, |(_, d)| d.p95_sessions.map(i64::from)),
            ),
        ],
    }
}

/// The per-content table, with each item's per-process figures and their sources, and
/// its measured footprint where it has job metrics (null otherwise).
fn content(report: &Report) -> Table {
    type Row<'a> = (
        &'a ContentStats,
        Option<&'a FootprintLine>,
        Option<&'a Footprint>,
    );
    // Each item's (first) footprint line by GUID: one lookup per item, not a scan each.
    let mut lines: HashMap<&str, &FootprintLine> = HashMap::new();
    for f in &report.footprints {
        lines.entry(f.guid.as_str()).or_insert(f);
    }
    let rows: Vec<Row> = report
        .content
        .iter()
        .map(|c| {
            let line = lines.get(c.guid.as_str()).copied();
            let measured = line.and_then(|f| f.measured.as_ref()).map(|m| &m.footprint);
            (c, line, measured)
        })
        .collect();
    let count = |x: u64| Some(x as i64);
    // Rounded up to a MiB, as the report shows them and as `memory_mib` is.
    let mib = |b: u64| Some(crate::format::mib_rounded_up(b) as i64);
    let mut columns = vec![
        column("guid", texts(&rows, |r| Some(r.0.guid.clone()))),
        column("title", texts(&rows, |r| r.0.title.clone())),
        column("app_mode", texts(&rows, |r| r.0.app_mode.clone())),
        column("deleted", bools(&rows, |r| r.0.deleted)),
        column("sessions", ints(&rows, |r| count(r.0.sessions))),
        column("users", ints(&rows, |r| count(r.0.users))),
        column(
            "anonymous_sessions",
            ints(&rows, |r| count(r.0.anonymous_sessions)),
        ),
        column(
            "peak_sessions",
            ints(&rows, |r| Some(i64::from(r.0.peak_sessions))),
        ),
        column(
            "peak_at",
            Values::Timestamp(rows.iter().map(|r| r.0.peak_at.map(|t| t.0)).collect()),
        ),
        column("average_sessions", floats(&rows, |r| r.0.average_sessions)),
        column(
            "duration_median_s",
            floats(&rows, |r| r.0.duration_median_s),
        ),
        column("visits", ints(&rows, |r| count(r.0.visits))),
        column("visits_per_day", floats(&rows, |r| r.0.visits_per_day)),
        column(
            "visits_peak_day",
            ints(&rows, |r| count(r.0.visits_peak_day)),
        ),
        column(
            "memory_mib",
            ints(&rows, |r| r.1.and_then(|f| count(f.memory_mib))),
        ),
        column(
            "memory_source",
            texts(&rows, |r| r.1.map(|f| f.memory_source.as_str().into())),
        ),
        column("cpu", floats(&rows, |r| r.1.map(|f| f.cpu))),
        column(
            "cpu_source",
            texts(&rows, |r| r.1.map(|f| f.cpu_source.as_str().into())),
        ),
    ];
    columns.extend([
        column(
            "processes_sampled",
            ints(&rows, |r| r.2.and_then(|m| count(m.processes_sampled))),
        ),
        column(
            "memory_p50_mib",
            ints(&rows, |r| r.2.and_then(|m| mib(m.memory_bytes_p50))),
        ),
        column(
            "memory_p95_mib",
            ints(&rows, |r| r.2.and_then(|m| mib(m.memory_bytes_p95))),
        ),
        column(
            "memory_max_mib",
            ints(&rows, |r| r.2.and_then(|m| mib(m.memory_bytes_max))),
        ),
        column("cpu_p95", floats(&rows, |r| r.2.and_then(|m| m.cpu_p95))),
        column("cpu_max", floats(&rows, |r| r.2.and_then(|m| m.cpu_max))),
        column(
            "parallel",
            Values::Bool(rows.iter().map(|r| r.2.map(|m| m.parallel)).collect()),
        ),
    ]);
    Table {
        name: "content",
        columns,
    }
}

/// 168 rows: ISO weekday 1-7 and local hour 0-23, the mean hourly peak of sessions and of
/// users over the slot's occurrences (null for a slot the window never reaches).
fn hour_of_week(report: &Report) -> Table {
    let slots: Vec<(usize, usize)> = (0..7).flat_map(|d| (0..24).map(move |h| (d, h))).collect();
    let mean = |which: fn(&Profiles) -> &HourOfWeek| {
        floats(&slots, |&(d, h)| {
            report
                .hour_of_week
                .as_ref()
                .and_then(|p| which(p).means[d][h])
        })
    };
    Table {
        name: "hour_of_week",
        columns: vec![
            column("weekday", ints(&slots, |&(d, _)| Some(d as i64 + 1))),
            column("hour", ints(&slots, |&(_, h)| Some(h as i64))),
            column("mean_sessions", mean(|p| &p.sessions)),
            column("mean_users", mean(|p| &p.users)),
        ],
    }
}

/// One row per calendar month of the window (metrics.md section 6).
fn months(report: &Report) -> Table {
    let rows = &report.months;
    let first_day = |m: &str| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok();
    Table {
        name: "months",
        columns: vec![
            column(
                "month",
                Values::Date(rows.iter().map(|m| first_day(&m.month)).collect()),
            ),
            column("full", bools(rows, |m| m.full)),
            column("sessions", ints(rows, |m| Some(m.sessions as i64))),
            column("visits", ints(rows, |m| Some(m.visits as i64))),
            column("active_users", ints(rows, |m| Some(m.active_users as i64))),
            column("peak_sessions", ints(rows, |m| Some(i64::from(m.peak)))),
            column("p95_sessions", ints(rows, |m| m.p95.map(i64::from))),
            column("average_sessions", floats(rows, |m| Some(m.average))),
        ],
    }
}

/// One row per sizing scenario (`now`, `projected`, `scaled`) the report has.
fn scenarios(report: &Report) -> Table {
    let rows: Vec<&Scenario> = report
        .sizing
        .iter()
        .flat_map(|s| [Some(&s.now), s.projected.as_ref(), s.scaled.as_ref()])
        .flatten()
        .collect();
    let u = |x: u64| Some(x as i64);
    Table {
        name: "scenarios",
        columns: vec![
            column("scenario", texts(&rows, |s| Some(s.name.clone()))),
            column("k", floats(&rows, |s| Some(s.k))),
            column("horizon_months", floats(&rows, |s| s.horizon_months)),
            column("rate_per_month", floats(&rows, |s| s.rate_per_month)),
            // Null when the demand is the measured processes (no usage export).
            column("sessions", ints(&rows, |s| s.sessions.and_then(u))),
            column("rejected", ints(&rows, |s| s.rejected.and_then(u))),
            column(
                "peak_sessions",
                ints(&rows, |s| s.peak_sessions.map(i64::from)),
            ),
            column(
                "modelled_peak_processes",
                ints(&rows, |s| s.modelled_peak_processes.map(i64::from)),
            ),
            column(
                "design_processes",
                floats(&rows, |s| Some(s.size.design_processes)),
            ),
            column("active_cores", floats(&rows, |s| Some(s.size.active_cores))),
            column("alive_gib", floats(&rows, |s| Some(s.size.alive_gib))),
            column("buffer", floats(&rows, |s| Some(s.size.buffer))),
            column("cores", ints(&rows, |s| u(s.size.cores))),
            column("ram_gib", ints(&rows, |s| u(s.size.ram_gib))),
            column("node_cores", ints(&rows, |s| u(s.size.node.cores))),
            column("node_ram_gib", ints(&rows, |s| u(s.size.node.ram_gib))),
        ],
    }
}

/// Writes `table` as CSV.
pub fn write_csv(table: &Table, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(table.columns.iter().map(|c| c.name))?;
    for i in 0..table.rows() {
        w.write_record(table.columns.iter().map(|c| c.values.cell(i)))?;
    }
    w.flush()
}

/// Writes every table of `report` into `dir` (created when missing) as `NAME.EXT`; returns
/// the paths written. All the tables are written to temporary files in `dir` first and
/// renamed into place only when every one is written, so a failure while writing (a full
/// disk, a folder where a table goes) leaves `dir` as it was.
pub fn write_tables(report: &Report, dir: &Path, format: TableFormat) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut staged = Vec::new();
    for table in tables(report) {
        let path = dir.join(format!("{}.{}", table.name, format.extension()));
        if path.is_dir() {
            return Err(Error::io(
                &path,
                std::io::Error::other(
                    "a folder where this table goes; move it, or choose another --tables folder",
                ),
            ));
        }
        let result = match format {
            TableFormat::Csv => crate::atomic::stage_shared(&path, |out| write_csv(&table, out)),
            TableFormat::Parquet => stage_parquet(&table, &path),
        };
        staged.push(result.map_err(|e| Error::io(&e.path, e.error))?);
    }
    let mut written = Vec::new();
    for file in staged {
        written.push(file.path().to_path_buf());
        file.commit().map_err(|e| Error::io(&e.path, e.error))?;
    }
    Ok(written)
}

#[cfg(feature = "parquet")]
fn stage_parquet(
    table: &Table,
    path: &Path,
) -> std::result::Result<crate::atomic::Staged, crate::atomic::WriteError> {
    crate::atomic::stage_shared(path, |out| super::tables_parquet::write(table, out))
}

#[cfg(not(feature = "parquet"))]
fn stage_parquet(
    _: &Table,
    path: &Path,
) -> std::result::Result<crate::atomic::Staged, crate::atomic::WriteError> {
    Err(crate::atomic::WriteError {
        path: path.to_path_buf(),
        error: std::io::Error::other(parquet_needs_feature()),
    })
}

/// Why this build cannot write Parquet tables, and what to do.
pub fn parquet_needs_feature() -> String {
    format!(
        "Parquet tables need the `parquet` cargo feature: install with `{}` from the source \
         folder (the packages have it), or pass `--tables-format csv`",
        crate::error::INSTALL_PARQUET
    )
}

#[cfg(test)]
#[path = "tables_tests.rs"]
mod tests;
