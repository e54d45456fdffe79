//! Ingest: the only layer that reads files. It finds export files (recursively), detects
//! each file's kind from its header, parses every row into typed records and interns GUIDs
//! into small integer ids. Its output, [`Dataset`], is the model layer's only input.
//!
//! Times are `i64` microseconds since the Unix epoch, UTC (docs/metrics.md section 0).

pub mod catalog;
#[cfg(feature = "parquet")]
pub mod chronicle;
#[cfg(feature = "parquet")]
mod chronicle_events;
#[cfg(feature = "parquet")]
mod chronicle_frame;
pub mod compact;
pub mod detect;
pub mod discover;
pub mod encoding;
pub mod fast;
pub mod metrics;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod progress;
pub mod reader;
pub mod records;
pub mod row;
pub mod timestamp;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

pub use detect::Kind;
pub use discover::read_inputs;
pub use encoding::{InputEncoding, TextEncoding};
pub use records::{read_bytes, read_file};
pub use timestamp::InputTz;

/// Microseconds since the Unix epoch, UTC.
pub type Micros = i64;

/// Where a record came from: index into [`Dataset::files`] and 1-based physical line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Origin {
    /// Index into `Dataset::files` (files are sorted by path).
    pub file: u32,
    /// 1-based line number of the record's first line in the file.
    pub line: u64,
}

/// The canonical text of a GUID held as an integer: lowercase `8-4-4-4-12` hex digits.
pub fn guid_text(g: u128) -> String {
    let hex = format!("{g:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Interns strings (GUIDs) to dense `u32` ids, in first-seen order.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    /// Rank of each id among the names as first interned, kept across [`Interner::rename`]
    /// so that the model's canonical order (by GUID) survives `--anonymize`.
    ranks: Option<Vec<u32>>,
}

impl Interner {
    /// Returns the id of `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.into());
        self.ids.insert(s.into(), id);
        // A name added after a rename has no original rank: order by the names again.
        self.ranks = None;
        id
    }
    /// The id of `s`, if it was interned.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
    /// The string behind an id.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.names.len()
    }
    /// True when nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    /// Each id's rank in the sorted names (the names as interned, before any rename).
    pub fn ranks(&self) -> Vec<u32> {
        if let Some(r) = &self.ranks {
            return r.clone();
        }
        let mut order: Vec<u32> = (0..self.names.len() as u32).collect();
        order.sort_unstable_by(|a, b| self.names[*a as usize].cmp(&self.names[*b as usize]));
        let mut rank = vec![0; order.len()];
        for (r, id) in order.into_iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        rank
    }
    /// A sort key for names: the original name's rank ([`Interner::ranks`]), so lists
    /// ordered by GUID keep their order under `--anonymize`; names never interned sort
    /// last, by text.
    pub fn order_key(&self) -> impl Fn(&str) -> (u32, String) + '_ {
        let ranks = self.ranks();
        move |name| match self.get(name) {
            Some(id) => (ranks[id as usize], String::new()),
            None => (u32::MAX, name.to_string()),
        }
    }
    /// Replaces every string by `f(string)`, keeping ids and their order (`--anonymize`)
    /// and the ranks of the original names ([`Interner::ranks`]).
    /// `f` must map distinct strings to distinct strings, or lookups by name find only one.
    pub fn rename(&mut self, mut f: impl FnMut(&str) -> String) {
        self.ranks = Some(self.ranks());
        for name in &mut self.names {
            *name = f(name).into_boxed_str();
        }
        self.ids = (0..self.names.len() as u32)
            .map(|id| (self.names[id as usize].clone(), id))
            .collect();
    }
}

/// One file that was read.
#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    /// Path as given or found.
    pub path: PathBuf,
    /// Detected export kind.
    pub kind: Kind,
    /// Data rows read (header excluded), including skipped ones.
    pub rows: u64,
}

/// A session row (Shiny usage, or a session row of the unified usage export).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRow {
    /// Content id (`Dataset::content_ids`).
    pub content: u32,
    /// User id (`Dataset::user_ids`); `None` = anonymous.
    pub user: Option<u32>,
    pub started: Micros,
    /// `None` = no end recorded (open at export time).
    pub ended: Option<Micros>,
    /// `data_version`, 0 when absent.
    pub data_version: i32,
    pub origin: Origin,
}

/// Where a point event (visit) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitSource {
    /// `/v1/instrumentation/content/visits` (connectapi `get_usage_static`).
    Visits,
    /// Visit rows (a value in `variant_key`, `rendering_id`, `bundle_id` or `path`) of
    /// posit-sdk-py's unified `metrics.usage`.
    Unified,
    /// `/v1/instrumentation/content/hits`.
    Hits,
    /// Usage Metrics Dashboard "Export Raw Visits".
    Dashboard,
}

/// A point event: a visit or a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRow {
    pub source: VisitSource,
    pub content: u32,
    pub user: Option<u32>,
    pub time: Micros,
    pub data_version: i32,
    /// User agent when the export has it.
    pub user_agent: Option<Box<str>>,
    pub origin: Origin,
}

/// A job (process) from a jobs export.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    /// Content id; `None` until a job listed without a content GUID is matched to content
    /// by its `app_id` or its file name ([`attribute_jobs`](discover::attribute_jobs)),
    /// and after that when nothing matched.
    pub content: Option<u32>,
    /// Connect's numeric content id (`app_id`, else `content_id`), kept to join the
    /// content list's `id` when the job has no content GUID.
    pub app_id: Option<Box<str>>,
    pub key: Option<Box<str>>,
    pub start: Micros,
    pub end: Option<Micros>,
    pub tag: Box<str>,
    /// 0 active, 1 finished, 2 finalized, 3 skipped; legacy `finalized=false` maps to 0.
    pub status: Option<i64>,
    pub hostname: Option<Box<str>>,
    pub cluster: Option<Box<str>>,
    pub origin: Origin,
}

/// One sample of a job metrics export (connect-exports.md 3.3): what one process held
/// and used at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSample {
    /// Content id (`Dataset::content_ids`).
    pub content: u32,
    /// Job id (`Dataset::job_keys`, the interned job key).
    pub job: u32,
    /// When it was taken (µs, UTC).
    pub time: Micros,
    /// Cores in use (`cpu_fraction`, read as cores: 1.0 = one core fully busy).
    pub cpu: f64,
    /// Memory of the process, bytes.
    pub memory: u64,
    /// Open connections; `None` when the sample does not say.
    pub connections: Option<u32>,
    pub origin: Origin,
}

impl MetricSample {
    /// The order [`read_inputs`] leaves samples in: by process (content, job), then time,
    /// then origin (input order), so the first copy of an instant comes first.
    pub fn key(&self) -> (u32, u32, Micros, Origin) {
        (self.content, self.job, self.time, self.origin)
    }
}

/// A content item from a content export.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentRow {
    pub content: u32,
    /// Connect's numeric id of the item (the content list's `id`), which jobs without a
    /// content GUID name as `app_id`.
    pub id: Option<Box<str>>,
    pub name: Option<Box<str>>,
    pub title: Option<Box<str>>,
    pub app_mode: Option<Box<str>>,
    pub content_category: Option<Box<str>>,
    pub owner: Option<u32>,
    /// Scheduler settings and limits as the export gives them (validated here: counts are
    /// 0 or more, `load_factor` within 0 to 1, `idle_timeout` 0 or more; a `cpu_limit` or
    /// `memory_limit` of 0, meaning "no limit", is unset).
    pub settings: crate::settings::ProcessSettings,
    pub r_version: Option<Box<str>>,
    pub py_version: Option<Box<str>>,
    pub created_time: Option<Micros>,
    pub origin: Origin,
}

/// A user from a users export.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub user: u32,
    pub username: Option<Box<str>>,
    pub email: Option<Box<str>>,
    pub first_name: Option<Box<str>>,
    pub last_name: Option<Box<str>>,
    /// `administrator`, `publisher` or `viewer`.
    pub user_role: Option<Box<str>>,
    pub locked: Option<bool>,
    pub created_time: Option<Micros>,
    pub active_time: Option<Micros>,
    pub origin: Origin,
}

/// A row skipped under `--lenient`, or another data problem worth listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub path: PathBuf,
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

/// What ingest noticed but did not fail on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestNotes {
    /// Rows skipped under `--lenient` (all of them are counted in `skipped_rows`).
    pub skipped_rows: u64,
    /// The first skipped rows (at most [`MAX_LISTED`]).
    pub skipped: Vec<RowProblem>,
    /// Naive local times inside a spring-forward gap, shifted forward.
    pub nonexistent_local_times: u64,
    /// Naive local times in a fall-back overlap; the earlier offset was taken.
    pub ambiguous_local_times: u64,
    /// The first such times (at most [`MAX_LISTED`]).
    pub local_time_problems: Vec<RowProblem>,
    /// Human-readable warnings (truncated exports, overlapping visit sources ...).
    pub warnings: Vec<String>,
    /// Files with rows skipped under `--lenient` because they are not valid UTF-8 (the
    /// report suggests `--encoding` for each).
    pub encoding_skips: Vec<EncodingSkip>,
    /// Files with timestamps written without an offset, and the zone that read them.
    pub naive_zones: Vec<NaiveZone>,
    /// CSV files found in an input folder that are not Connect exports, skipped (absent
    /// from the JSON when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_files: Vec<SkippedFile>,
}

/// A CSV in an input folder whose header matches no Connect export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFile {
    /// The file.
    pub path: PathBuf,
    /// Its header as read (with a hint when it looks like another separator).
    pub header: String,
}

/// A file whose timestamps without an offset were read in an input zone (docs/metrics.md 1.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NaiveZone {
    /// The file.
    pub path: PathBuf,
    /// Its kind (for the `--input-tz KIND=ZONE` hint).
    pub kind: Kind,
    /// The zone that read them.
    pub zone: String,
    /// True when no `--input-tz` named it: UTC was assumed.
    pub assumed: bool,
}

/// Rows of one file skipped because they are not valid UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncodingSkip {
    /// The file.
    pub path: PathBuf,
    /// Its kind (for the `--encoding KIND=...` hint).
    pub kind: Kind,
    /// Rows skipped.
    pub rows: u64,
    /// Line of the first one.
    pub first_line: u64,
}

/// How many problem rows are listed individually.
pub const MAX_LISTED: usize = 20;

/// Everything read from the inputs.
#[derive(Debug, Default)]
pub struct Dataset {
    /// The inputs read, one each (a Posit Chronicle metric's files count as one).
    pub files: Vec<FileSummary>,
    /// The file each row's [`Origin::file`] names: one per file read, and one per Parquet
    /// file of a Chronicle metric, so that a message names the file the row is in.
    pub row_files: Vec<std::path::PathBuf>,
    /// Content GUID interner (ids in `SessionRow::content` etc.).
    pub content_ids: Interner,
    /// User GUID interner.
    pub user_ids: Interner,
    /// Session rows read by the general reader.
    pub sessions: Vec<SessionRow>,
    /// Session rows of large Shiny usage files, read by the fast reader and kept in 32
    /// bytes each. [`Dataset::session_rows`] reads these and `sessions` together.
    pub compact: compact::CompactSessions,
    pub visits: Vec<VisitRow>,
    pub jobs: Vec<JobRow>,
    pub content: Vec<ContentRow>,
    pub users: Vec<UserRow>,
    /// Job metrics samples: in file and line order as read; [`read_inputs`] sorts them by
    /// [`MetricSample::key`] once every file is read.
    pub job_metrics: Vec<MetricSample>,
    /// Job key interner of the samples (`MetricSample::job`).
    pub job_keys: Interner,
    pub notes: IngestNotes,
    /// What a Posit Chronicle folder gave besides export rows; `None` without one.
    pub chronicle: Option<ChronicleSummary>,
}

/// Session rows taken out of a [`Dataset`] ([`Dataset::take_session_rows`]).
#[derive(Debug, Default)]
pub struct SessionRowSet {
    /// The general reader's rows.
    pub general: Vec<SessionRow>,
    /// The fast reader's rows.
    pub compact: compact::CompactSessions,
}

impl SessionRowSet {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.general.len() + self.compact.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every row in parallel, with its origin.
    pub fn par_iter(&self) -> impl ParallelIterator<Item = SessionRow> + '_ {
        self.general
            .par_iter()
            .copied()
            .chain(self.compact.par_iter())
    }
}

/// What a Posit Chronicle storage folder gave besides the rows of known kinds
/// (docs/inputs.md, "Posit Chronicle"): its environments, the licence figures and daily
/// session totals of its curated datasets, and the metrics it holds that no reader knows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChronicleSummary {
    /// The data root read.
    pub root: PathBuf,
    /// Every `environment` value found, sorted.
    pub environments: Vec<String>,
    /// The environment kept (`--environment`, or the only one); `None` when the data names
    /// none.
    pub environment: Option<String>,
    /// UTC day of the licence figures (the latest `user_totals` day at or before the
    /// window end); `None` without them.
    pub licence_date: Option<String>,
    /// Named users (`user_totals.named_users`).
    pub named_users: Option<u64>,
    /// Users active that day (`user_totals.active_users_1day`).
    pub active_users_1day: Option<u64>,
    /// Users active in the 30 days to that day (`user_totals.active_users_30days`).
    pub active_users_30days: Option<u64>,
    /// Seats of the licence (`user_totals.licensed_user_seats`).
    pub licensed_user_seats: Option<u64>,
    /// Per UTC day of `shiny_usage_totals_by_user` that the analysed window touches (every
    /// day without a window): sessions, session-seconds and their daily average
    /// concurrency, by day.
    pub daily_average_sessions: Vec<DailySessions>,
    /// Raw metrics (folders under `daily/v2`) and curated datasets whose columns make no
    /// known kind: listed, not read.
    pub unread: Vec<String>,
    /// Distinct UTC days of raw daily data read.
    pub raw_days: u64,
    /// Content whose `app_mode` stayed unknown and that has no session rows: for Chronicle
    /// input it holds no processes (its visits alone would size it as an app).
    #[serde(skip)]
    pub sessionless: BTreeSet<u32>,
}

/// One UTC day of Chronicle's Shiny session totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailySessions {
    /// The UTC day, `YYYY-MM-DD`.
    pub date: String,
    /// Sessions that day (`num_sessions` summed).
    pub sessions: u64,
    /// Session time that day, seconds (`duration` summed).
    pub session_seconds: f64,
    /// Daily average concurrent sessions: session-seconds / 86,400.
    pub average: f64,
}

/// The first instant (00:00 UTC) of the day `YYYY-MM-DD`.
pub fn utc_day_start(date: &str) -> Option<Micros> {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros())
}

/// How to read the inputs.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Zone(s) for timestamps without an offset.
    pub input_tz: InputTz,
    /// Skip and count bad rows instead of failing.
    pub lenient: bool,
    /// Text encoding(s) of files without a byte-order mark.
    pub encoding: InputEncoding,
    /// The environment of a Posit Chronicle folder to keep (`--environment`).
    pub environment: Option<String>,
    /// The latest Chronicle user and content snapshots read are those at or before this
    /// (`--as-of`, else `--to`); `None`: the latest of each.
    pub snapshot_end: Option<Micros>,
}

impl Dataset {
    /// Whether content `id`, of `app_mode`, runs processes on demand: the mode's rule
    /// ([`crate::vocab::holds_processes`]), except that Chronicle content of unknown mode
    /// without session rows does not ([`ChronicleSummary::sessionless`]).
    pub fn holds_processes(&self, id: u32, app_mode: Option<&str>) -> bool {
        crate::vocab::holds_processes(app_mode)
            && !self
                .chronicle
                .as_ref()
                .is_some_and(|c| c.sessionless.contains(&id))
    }

    /// Session rows read, from both readers.
    pub fn session_count(&self) -> usize {
        self.sessions.len() + self.compact.len()
    }

    /// Every session row: the general reader's, then the fast reader's.
    pub fn session_rows(&self) -> impl Iterator<Item = SessionRow> + '_ {
        self.sessions.iter().copied().chain(self.compact.iter())
    }

    /// Every session row in parallel, as [`Dataset::session_rows`] gives them.
    pub fn par_session_rows(&self) -> impl ParallelIterator<Item = SessionRow> + '_ {
        self.sessions
            .par_iter()
            .copied()
            .chain(self.compact.par_iter())
    }

    /// Moves the session rows out (the dataset keeps none), so that a caller that needs
    /// them once can reuse their memory: [`crate::model::analyze_owned`] turns them into
    /// its de-duplication rows in place.
    pub fn take_session_rows(&mut self) -> SessionRowSet {
        SessionRowSet {
            general: std::mem::take(&mut self.sessions),
            compact: std::mem::take(&mut self.compact),
        }
    }

    /// The path of file `origin.file`; `<unknown file>` for an origin from another dataset
    /// (a bug, but an error message should still print).
    pub fn path_of(&self, origin: Origin) -> &std::path::Path {
        self.row_files
            .get(origin.file as usize)
            .map_or(std::path::Path::new("<unknown file>"), |p| p)
    }

    /// The [`Origin::file`] the next file registered by [`Dataset::add_row_file`] gets;
    /// `None` past 4 billion files.
    pub fn next_row_file(&self) -> Option<u32> {
        u32::try_from(self.row_files.len()).ok()
    }

    /// Registers `path` as a file rows come from; its [`Origin::file`].
    pub fn add_row_file(&mut self, path: &std::path::Path) -> Option<u32> {
        let index = self.next_row_file()?;
        self.row_files.push(path.to_path_buf());
        Some(index)
    }
}
