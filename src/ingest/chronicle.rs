//! Posit Chronicle storage folders (cargo feature `parquet`; docs/inputs.md, "Posit
//! Chronicle").
//!
//! A Chronicle data root holds raw daily metrics at `daily/v2/<metric>/YYYY/MM/DD/*.parquet`
//! and curated daily datasets at `curated/v2/connect/<dataset>/date=YYYY-MM-DD/*.parquet`.
//! Each raw metric's files are read with [`super::parquet::Table`] and kept as columns
//! ([`super::chronicle_events`]); each curated dataset's, and the snapshots once filtered,
//! become one text table ([`super::chronicle_frame`]). The `environment` kept is chosen
//! (`--environment`), and the rows are handed to the CSV parsers under the column names
//! of the matching export:
//!
//! - `connect_content_visits` are visits (`timestamp` read as `time`); rows with the same
//!   `timestamp`, `content_guid` and `user_guid` are read once, whatever their host or other
//!   columns (so a visit reported by several hosts of a cluster counts once; so, too, do
//!   anonymous visits, with no `user_guid`, of one item at the same instant);
//! - `connect_users` snapshots are the users export: per user (`id`), the latest snapshot at
//!   or before the window end; a role `admin` is `administrator`; a snapshot without a
//!   usable `timestamp` is dated by its `YYYY/MM/DD` folder, and rows left out are counted
//!   in a warning;
//! - `connect_contents` snapshots (latest per `guid`) and the curated `content_list`
//!   (latest day; its `app_mode`, else a `type` that is a Connect app mode, and its
//!   scheduler settings) are the content list;
//! - any other raw metric whose columns make a known export kind is read as that kind;
//!   others are listed, not read;
//! - curated `user_totals` gives the licence figures and `shiny_usage_totals_by_user` the
//!   daily session totals ([`ChronicleSummary`]).
//!
//! A metric's rows are one input in the report, named by its folder; a message about a
//! row names its Parquet file, its 1-based row there and the column as the file names it
//! ([`super::chronicle_frame`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::catalog::{FLOAT_SETTINGS, INT_SETTINGS};
use super::chronicle_events::{EventRecords, Events};
use super::chronicle_frame::{utc_micros, Frame, FrameRecords, SourceFile, Undated};
use super::detect::{detect_kind, Header};
use super::discover::{find_files, find_guid, is_parquet_name};
use super::parquet::Table;
use super::reader::parse_float;
use super::{ChronicleSummary, DailySessions, Dataset, IngestOptions, Micros};
use crate::{Error, Result};

/// Connect's `app_mode` values: a curated `type` that is one of them is read as the mode.
const APP_MODES: [&str; 17] = [
    "api",
    "jupyter-static",
    "jupyter-voila",
    "python-api",
    "python-bokeh",
    "python-dash",
    "python-fastapi",
    "python-gradio",
    "python-shiny",
    "python-streamlit",
    "quarto-shiny",
    "quarto-static",
    "rmd-shiny",
    "rmd-static",
    "shiny",
    "static",
    "tensorflow-saved-model",
];

/// Curated `content_list` columns carried into the content list, besides the scheduler
/// settings the content parser reads ([`INT_SETTINGS`], [`FLOAT_SETTINGS`]).
const CONTENT_COLUMNS: [&str; 5] = [
    "title",
    "name",
    "app_mode",
    "content_category",
    "owner_guid",
];

/// A setting not carried from the curated content list: the unit of its memory limits is
/// unpublished (Connect's content list gives bytes).
const NOT_CARRIED: &str = "memory_limit";

/// Seconds in a UTC day.
const DAY_SECONDS: f64 = 86_400.0;

/// One curated dataset (or a reshaped snapshot): its name, folder and rows as text.
struct Metric {
    name: String,
    dir: PathBuf,
    frame: Frame,
}

/// One raw metric: its name, folder and its files' columns ([`Events`]).
struct RawMetric {
    name: String,
    dir: PathBuf,
    events: Events,
}

impl RawMetric {
    /// The metric's rows as text, for a snapshot to reshape.
    fn into_metric(self) -> Metric {
        Metric {
            name: self.name,
            dir: self.dir,
            frame: self.events.into_frame(),
        }
    }
}

/// The folders under `dir` (one per metric or dataset), sorted; none when it is missing.
fn metric_dirs(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && !hidden(p))
        .collect();
    dirs.sort();
    Ok(dirs
        .into_iter()
        .map(|d| {
            let name = d
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            (name, d)
        })
        .collect())
}

/// The Parquet files under a metric's folder, sorted.
fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let files = find_files(&[dir.to_path_buf()])?;
    Ok(files.into_iter().filter(|f| is_parquet_name(f)).collect())
}

/// The raw metrics under `dir` (`daily/v2`), each file's day from its `YYYY/MM/DD`.
fn raw_metrics(dir: &Path) -> Result<Vec<RawMetric>> {
    let mut out = Vec::new();
    for (name, dir) in metric_dirs(dir)? {
        let mut events = Events::default();
        for file in parquet_files(&dir)? {
            let day = raw_day(&dir, &file);
            let table = Table::open(&file)?;
            events.append(table, SourceFile { path: file, day });
        }
        out.push(RawMetric { name, dir, events });
    }
    Ok(out)
}

/// The curated datasets under `dir` (`curated/v2/connect`), each row with its file's
/// hive `date`.
fn curated_metrics(dir: &Path) -> Result<Vec<Metric>> {
    let mut out = Vec::new();
    for (name, dir) in metric_dirs(dir)? {
        let mut frame = Frame::default();
        for file in parquet_files(&dir)? {
            let hive = hive_date(&file);
            let table = Table::open(&file)?;
            let source = SourceFile {
                path: file,
                day: hive.clone(),
            };
            frame.append(&table, source, hive.as_deref());
        }
        out.push(Metric { name, dir, frame });
    }
    Ok(out)
}

/// True for a name starting with `.`.
fn hidden(p: &Path) -> bool {
    p.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// The day of a hive partition `date=YYYY-MM-DD` in the file's folders.
fn hive_date(file: &Path) -> Option<String> {
    file.ancestors()
        .filter_map(|a| a.file_name()?.to_str()?.strip_prefix("date="))
        .find(|d| d.len() == 10)
        .map(str::to_string)
}

/// The day of a raw metric's file from its folders, `<metric>/YYYY/MM/DD/...`.
fn raw_day(metric: &Path, file: &Path) -> Option<String> {
    let parts: Vec<&str> = file
        .strip_prefix(metric)
        .ok()?
        .iter()
        .map(|c| c.to_str())
        .collect::<Option<_>>()?;
    let numeric = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match parts[..] {
        [y, m, d, _, ..] if numeric(y, 4) && numeric(m, 2) && numeric(d, 2) => {
            Some(format!("{y}-{m}-{d}"))
        }
        _ => None,
    }
}

/// The environments found in the raw metrics and curated datasets, sorted, and the one
/// to keep: `--environment`, or the only one. Several and no choice, or a choice not
/// found, is a usage error.
fn environment(
    root: &Path,
    (raw, curated): (&[RawMetric], &[Metric]),
    chosen: Option<&str>,
) -> Result<(Vec<String>, Option<String>)> {
    let mut found = BTreeSet::new();
    for m in raw {
        found.extend(m.events.values("environment"));
    }
    for m in curated {
        if let Some(e) = m.frame.col("environment") {
            found.extend(m.frame.rows.iter().map(|r| r[e].clone()));
        }
    }
    found.remove("");
    let found: Vec<String> = found.into_iter().collect();
    let listed = found.join(", ");
    match chosen {
        Some(c) if found.iter().any(|f| f == c) => Ok((found, Some(c.to_string()))),
        Some(c) => Err(Error::Usage(format!(
            "--environment {c}: not in the Posit Chronicle data at {} (environments found: {})",
            root.display(),
            if found.is_empty() { "none" } else { &listed }
        ))),
        None if found.len() > 1 => Err(Error::Usage(format!(
            "the Posit Chronicle data at {} holds several environments ({listed}); pick one \
             with --environment NAME",
            root.display()
        ))),
        None => {
            let only = found.first().cloned();
            Ok((found, only))
        }
    }
}

/// Reads the Chronicle data root `root` into `ds`.
pub fn read_root(root: &Path, opts: &IngestOptions, ds: &mut Dataset) -> Result<()> {
    let mut raw = raw_metrics(&root.join("daily/v2"))?;
    let mut curated = curated_metrics(&root.join("curated/v2/connect"))?;
    let (environments, kept) = environment(root, (&raw, &curated), opts.environment.as_deref())?;
    if let Some(k) = &kept {
        raw.iter_mut()
            .for_each(|m| m.events.retain_value("environment", k));
        for m in &mut curated {
            if let Some(e) = m.frame.col("environment") {
                m.frame.retain(|_, r| r[e].is_empty() || &r[e] == k);
            }
        }
    }
    let mut summary = ChronicleSummary {
        root: root.to_path_buf(),
        environments,
        environment: kept,
        raw_days: raw_days(&raw),
        ..ChronicleSummary::default()
    };
    // Events first: without --as-of or --to, each user is their snapshot at the end of
    // the window the events make (metrics.md 1.7). Content and the licence figures are
    // the latest (at or before --as-of / --to when given).
    let (snapshots, events): (Vec<RawMetric>, Vec<RawMetric>) = raw
        .into_iter()
        .partition(|m| matches!(m.name.as_str(), "connect_users" | "connect_contents"));
    for mut m in events {
        if m.name == "connect_content_visits" {
            // One visit per (timestamp, content, user), whatever the host: a visit several
            // hosts report counts once. The key has nothing else, so anonymous visits
            // (empty user_guid) of one item at the same instant also count once, as do
            // repeated rows of one host.
            m.events.dedupe(&["timestamp", "content_guid", "user_guid"]);
            m.events.rename("timestamp", "time");
            read_events(&m, opts, ds)?;
        } else {
            read_other(&m, opts, ds, &mut summary)?;
        }
    }
    let mut content = read_snapshots(snapshots, opts, ds)?;
    read_curated(curated, &mut content, opts.snapshot_end, &mut summary);
    // Raw `connect_contents` alone (no curated content list) has no `name` or `app_mode`:
    // empty ones make its columns the content list's (modes unknown).
    content.col_or_add("name");
    content.col_or_add("app_mode");
    if !content.rows.is_empty() {
        let dir = root.join("daily/v2/connect_contents");
        read_frame(&content, &dir, opts, ds)?;
    }
    summary.sessionless = sessionless(ds);
    if summary.raw_days > 0 {
        ds.notes.warnings.push(retention_note(summary.raw_days));
    }
    ds.chronicle = Some(summary);
    Ok(())
}

/// Reads the user snapshots (each user's latest at or before the window end) into `ds`
/// and returns the content snapshots (each item's latest) for the curated list to fill.
fn read_snapshots(
    snapshots: Vec<RawMetric>,
    opts: &IngestOptions,
    ds: &mut Dataset,
) -> Result<Frame> {
    let end = opts.snapshot_end.or_else(|| events_end(ds));
    let mut content = Frame::default();
    for m in snapshots {
        let mut m = m.into_metric();
        match m.name.as_str() {
            "connect_users" => {
                let undated = m.frame.latest_per("id", "timestamp", end);
                note_undated(&m.name, "id", undated, ds);
                m.frame.rename("id", "guid");
                m.frame.rename("created_at", "created_time");
                m.frame.rename("last_active_at", "active_time");
                rewrite(&mut m.frame, "user_role", |r| {
                    (r == "admin").then(|| "administrator".into())
                });
                read_frame(&m.frame, &m.dir, opts, ds)?;
            }
            _ => {
                let undated = m.frame.latest_per("guid", "timestamp", opts.snapshot_end);
                note_undated(&m.name, "guid", undated, ds);
                content = m.frame;
            }
        }
    }
    Ok(content)
}

/// The end of the window the events read so far make (metrics.md 1.7): the latest
/// session start or end, else the latest visit; `None` without either.
fn events_end(ds: &Dataset) -> Option<Micros> {
    let sessions = ds
        .session_rows()
        .map(|s| s.ended.map_or(s.started, |e| e.max(s.started)))
        .max();
    sessions.or_else(|| ds.visits.iter().map(|v| v.time).max())
}

/// The report's warnings for the snapshot rows of `metric` not dated by their own
/// `timestamp` (docs/inputs.md 7.1): never a silent drop.
fn note_undated(metric: &str, key: &str, u: Undated, ds: &mut Dataset) {
    let rows = |n: u64| match n {
        1 => "1 row".to_string(),
        n => format!("{} rows", crate::format::count(n)),
    };
    if u.by_folder > 0 {
        ds.notes.warnings.push(format!(
            "Posit Chronicle {metric}: {} without a usable `timestamp` dated by the day of \
             their YYYY/MM/DD folder (00:00 UTC) to choose each latest snapshot",
            rows(u.by_folder)
        ));
    }
    if u.no_key + u.no_date > 0 {
        ds.notes.warnings.push(format!(
            "Posit Chronicle {metric}: {} left out ({} without `{key}`, {} without a usable \
             `timestamp` or a YYYY/MM/DD folder)",
            rows(u.no_key + u.no_date),
            u.no_key,
            u.no_date
        ));
    }
}

/// Replaces each cell of column `name` for which `f` gives a new value.
fn rewrite(frame: &mut Frame, name: &str, f: impl Fn(&str) -> Option<String>) {
    if let Some(c) = frame.col(name) {
        for row in &mut frame.rows {
            if let Some(v) = f(&row[c]) {
                row[c] = v;
            }
        }
    }
}

/// A raw metric of no Chronicle name: read as the export kind its columns make, else
/// listed as not read.
fn read_other(
    m: &RawMetric,
    opts: &IngestOptions,
    ds: &mut Dataset,
    summary: &mut ChronicleSummary,
) -> Result<()> {
    let header = Header::new(m.events.names.iter().map(String::as_str));
    if detect_kind(&header).is_some() {
        return read_events(m, opts, ds);
    }
    // Listed once, in the Chronicle inputs (not as a CSV that is no export).
    summary.unread.push(format!("daily/v2/{}", m.name));
    Ok(())
}

/// Reads the curated datasets: `content_list` into `content`, the licence figures and the
/// daily session totals into `summary`; other datasets are listed as not read.
fn read_curated(
    curated: Vec<Metric>,
    content: &mut Frame,
    end: Option<Micros>,
    summary: &mut ChronicleSummary,
) {
    for mut m in curated {
        match m.name.as_str() {
            "content_list" => merge_content_list(content, &mut m.frame),
            "user_totals" => licence(&mut m.frame, end, summary),
            "shiny_usage_totals_by_user" => {
                summary.daily_average_sessions = daily_sessions(&m.frame);
            }
            _ => summary
                .unread
                .push(format!("curated/v2/connect/{}", m.name)),
        }
    }
}

/// Fills `content` (raw `connect_contents`, latest per GUID) from the curated content list
/// of its latest day: the GUID is `guid`, else an `id` that is a GUID; the mode is
/// `app_mode`, else a `type` that is a Connect app mode; settings where present.
fn merge_content_list(content: &mut Frame, list: &mut Frame) {
    if list.col("guid").is_none() {
        rewrite(list, "id", |v| find_guid(v).is_none().then(String::new));
        list.rename("id", "guid");
    }
    if list.col("app_mode").is_none() {
        rewrite(list, "type", |v| {
            (!APP_MODES.contains(&v)).then(String::new)
        });
        list.rename("type", "app_mode");
    }
    let latest = list
        .col("date")
        .and_then(|d| list.rows.iter().map(|r| r[d].clone()).max());
    let Some(g) = list.col("guid") else {
        return;
    };
    let guid = content.col_or_add("guid");
    let mut at: HashMap<String, usize> = content
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r[guid].clone(), i))
        .collect();
    let cols: Vec<(usize, usize)> = CONTENT_COLUMNS
        .iter()
        .chain(&INT_SETTINGS)
        .chain(&FLOAT_SETTINGS)
        .filter(|c| **c != NOT_CARRIED)
        .filter_map(|c| Some((list.col(c)?, content.col_or_add(c))))
        .collect();
    let date = list.col("date");
    for (r, row) in list.rows.iter().enumerate() {
        if row[g].is_empty() || date.is_some_and(|d| Some(&row[d]) != latest.as_ref()) {
            continue;
        }
        let i = *at.entry(row[g].clone()).or_insert_with(|| {
            let mut cells = vec![String::new(); content.names.len()];
            cells[guid] = row[g].clone();
            content.push_from(list, r, cells);
            content.rows.len() - 1
        });
        for &(from, to) in &cols {
            if !row[from].is_empty() {
                content.rows[i][to] = row[from].clone();
            }
        }
    }
}

/// The licence figures of `user_totals`: its latest day that starts before `end` (the
/// window's exclusive end, or `--as-of`), so `--to 2026-03-02` takes 2026-03-02, not the
/// day after.
fn licence(frame: &mut Frame, end: Option<Micros>, summary: &mut ChronicleSummary) {
    let Some(d) = frame.col("date") else {
        return;
    };
    let day = frame
        .rows
        .iter()
        .map(|r| r[d].clone())
        .filter(|day| end.is_none_or(|e| utc_micros(day).is_some_and(|t| t < e)))
        .max();
    let Some(day) = day else {
        return;
    };
    let sum = |name: &str| -> Option<u64> {
        let c = frame.col(name)?;
        let values: Vec<u64> = frame
            .rows
            .iter()
            .filter(|r| r[d] == day)
            .filter_map(|r| parse_float(&r[c]).ok().map(|v| v.max(0.0) as u64))
            .collect();
        (!values.is_empty()).then(|| values.iter().sum())
    };
    summary.named_users = sum("named_users");
    summary.active_users_1day = sum("active_users_1day");
    summary.active_users_30days = sum("active_users_30days");
    summary.licensed_user_seats = sum("licensed_user_seats");
    summary.licence_date = Some(day);
}

/// Per day of `shiny_usage_totals_by_user`: sessions (`num_sessions`), session-seconds
/// (`duration`) and their daily average concurrency.
fn daily_sessions(frame: &Frame) -> Vec<DailySessions> {
    let (Some(d), Some(n), Some(s)) = (
        frame.col("date"),
        frame.col("num_sessions"),
        frame.col("duration"),
    ) else {
        return Vec::new();
    };
    let mut days: BTreeMap<&str, (u64, f64)> = BTreeMap::new();
    for row in &frame.rows {
        let day = days.entry(&row[d]).or_default();
        day.0 += parse_float(&row[n]).map_or(0, |v| v.max(0.0) as u64);
        day.1 += parse_float(&row[s]).unwrap_or(0.0).max(0.0);
    }
    days.into_iter()
        .filter(|(day, _)| !day.is_empty())
        .map(|(day, (sessions, seconds))| DailySessions {
            date: day.to_string(),
            sessions,
            session_seconds: seconds,
            average: seconds / DAY_SECONDS,
        })
        .collect()
}

/// Distinct days of the raw metrics, from their `YYYY/MM/DD` folders.
fn raw_days(raw: &[RawMetric]) -> u64 {
    let days: BTreeSet<&str> = raw
        .iter()
        .flat_map(|m| m.events.files())
        .filter_map(|f| f.day.as_deref())
        .collect();
    days.len() as u64
}

/// The note on raw data retention and where a longer history comes from.
fn retention_note(days: u64) -> String {
    format!(
        "Posit Chronicle keeps raw daily data 30 days by default ({days} UTC days read here), \
         too short for a growth fit; for months of history run connect-capacity on a \
         schedule with --history DIR (cron) and report with `trend`"
    )
}

/// Content whose mode is unknown (no content row, or none with an `app_mode`) and that has
/// no session rows.
fn sessionless(ds: &Dataset) -> BTreeSet<u32> {
    let with_mode: HashSet<u32> = ds
        .content
        .iter()
        .filter(|c| c.app_mode.is_some())
        .map(|c| c.content)
        .collect();
    let with_sessions: HashSet<u32> = ds.session_rows().map(|s| s.content).collect();
    (0..ds.content_ids.len() as u32)
        .filter(|id| !with_mode.contains(id) && !with_sessions.contains(id))
        .collect()
}

/// Reads a text table's rows through the CSV parsers, as one input named by `dir`.
fn read_frame(frame: &Frame, dir: &Path, opts: &IngestOptions, ds: &mut Dataset) -> Result<()> {
    super::records::read_source(FrameRecords::new(frame, dir), opts, ds)
}

/// Reads a raw metric's rows through the CSV parsers, as one input named by its folder.
fn read_events(m: &RawMetric, opts: &IngestOptions, ds: &mut Dataset) -> Result<()> {
    super::records::read_source(EventRecords::new(&m.events, &m.dir), opts, ds)
}
