//! The report's JSON contract: the top-level [`Report`] and its usage sections. Filled
//! by [`crate::model::analyze`].

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::ingest::{ChronicleSummary, FileSummary, IngestNotes, RowProblem};
use crate::model::capacity::measured::{FootprintCheck, FootprintLine, JobMetricCounts};
use crate::model::capacity::questions::Answer;
use crate::model::capacity::{Processes, RecommendationSection, Sizing};
use crate::model::over_time::trend::Utilisation;
use crate::model::usage::buckets::{Bucket, BucketSummary};
use crate::model::usage::content::ContentStats;
use crate::model::usage::growth::{GrowthFit, Month};
use crate::model::usage::normalize::SessionCounts;
use crate::model::usage::people::{ContentType, People};
use crate::model::usage::profile::HourOfWeek;
use crate::model::usage::sweep::ConcurrencyStats;
use crate::model::usage::time::Timestamp;

/// Version of the JSON contract; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

/// The complete analysis.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// JSON contract version.
    pub schema_version: u32,
    /// Tool name and version.
    pub tool: Tool,
    /// Every setting that shaped the numbers.
    pub assumptions: Assumptions,
    /// Files read and what ingest noticed.
    pub inputs: Inputs,
    /// The analysed window; `None` when there was nothing to analyse.
    pub window: Option<Window>,
    /// Session counters.
    pub sessions: SessionCounts,
    /// Visit (point event) counters.
    pub visits: VisitCounts,
    /// Job counters; `None` without a jobs export.
    pub jobs: Option<JobCounts>,
    /// Job metrics sample counters; `None` without a job metrics export.
    pub job_metrics: Option<JobMetricCounts>,
    /// Concurrency; `None` without sessions.
    pub concurrency: Option<Concurrency>,
    /// Daily peaks and averages of concurrent sessions.
    pub daily: Option<PeriodSummary>,
    /// Weekly (ISO week) peaks and averages of concurrent sessions.
    pub weekly: Option<PeriodSummary>,
    /// Monthly peaks and averages of concurrent sessions.
    pub monthly: Option<PeriodSummary>,
    /// Daily peaks and averages of concurrent users.
    pub daily_users: Option<PeriodSummary>,
    /// Weekly peaks and averages of concurrent users.
    pub weekly_users: Option<PeriodSummary>,
    /// Monthly peaks and averages of concurrent users.
    pub monthly_users: Option<PeriodSummary>,
    /// Hour-of-week profiles in the reporting zone.
    pub hour_of_week: Option<Profiles>,
    /// Per-content figures, by peak sessions descending, then GUID.
    pub content: Vec<ContentStats>,
    /// Users, publishers, consumers.
    pub people: People,
    /// Content, sessions and visits per app_mode.
    pub content_types: Vec<ContentType>,
    /// Calendar months of the window.
    pub months: Vec<Month>,
    /// Growth fits over full months.
    pub growth: Growth,
    /// Estimated (scheduler model) and measured (jobs) processes; `None` without a window.
    pub processes: Option<Processes>,
    /// CPU and RAM for now, projected and scaled; `None` without a window.
    pub sizing: Option<Sizing>,
    /// Per content item with demand or samples, by GUID: the per-process figures sizing
    /// used, their sources, and the measured footprint (docs/sizing.md 2.4).
    pub footprints: Vec<FootprintLine>,
    /// The model checked against the samples (docs/sizing.md 2.3); `None` without samples.
    pub footprint_check: Option<FootprintCheck>,
    /// The six questions of Posit's scaling guidance, answered from the data.
    pub questions: Vec<Answer>,
    /// The recommended architecture; `None` without a window.
    pub recommendation: Option<RecommendationSection>,
    /// How full today's server is (`--capacity-cores`/`--capacity-ram`); `None` without
    /// them or without a window.
    pub utilisation: Option<Utilisation>,
    /// Options that matched nothing (a GUID or username typo, a window off the data).
    pub warnings: Vec<String>,
    /// Data problems kept but worth a look (e.g. `ended` before `started`).
    pub data_problems: Vec<RowProblem>,
    /// What a Posit Chronicle input gave besides rows (licence figures, daily session
    /// totals, environments); absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chronicle: Option<ChronicleSummary>,
}

impl Report {
    /// Whether the demand is the measured processes: the inputs hold jobs but no usage, so
    /// the scheduler model did not run (docs/sizing.md 1).
    pub fn without_usage(&self) -> bool {
        self.processes
            .as_ref()
            .is_some_and(|p| p.estimated.is_none())
    }
}

/// Tool identity.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// Always `connect-capacity`.
    pub name: String,
    /// Crate version.
    pub version: String,
}

/// The settings behind the numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Assumptions {
    /// Reporting time zone.
    pub tz: String,
    /// Cap for sessions without an end, seconds; `None` = until the window end.
    pub open_cap_s: Option<f64>,
    /// Subtracted from recorded ends, seconds.
    pub reconnect_timeout_s: f64,
    /// Shorter sessions were dropped, seconds.
    pub min_session_s: Option<f64>,
    /// `--from`, when given.
    pub from: Option<Timestamp>,
    /// `--to`, when given.
    pub to: Option<Timestamp>,
    /// "Now" for the licence view.
    pub as_of: Option<Timestamp>,
    /// Excluded users as given.
    pub exclude_users: Vec<String>,
    /// Excluded user-agent texts as given (lower-cased).
    pub exclude_user_agents: Vec<String>,
}

/// Files and ingest notes.
#[derive(Debug, Clone, Serialize)]
pub struct Inputs {
    /// Files read, in path order.
    pub files: Vec<FileSummary>,
    /// Rows skipped under `--lenient`, local-time adjustments, warnings.
    #[serde(flatten)]
    pub notes: IngestNotes,
}

/// The analysed window `[start, end)`.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    /// First instant.
    pub start: Timestamp,
    /// End (exclusive).
    pub end: Timestamp,
    /// Length in days.
    pub days: f64,
}

/// Job counters (docs/metrics.md 1.7); the measured figures are in `processes.measured`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct JobCounts {
    /// Job rows read.
    pub rows: u64,
    /// Jobs wholly outside the window (0 when there is no window: nothing is analysed).
    pub outside_window: u64,
}

/// Visit counters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VisitCounts {
    /// Visit rows read.
    pub rows: u64,
    /// Visits kept (deduplicated, excluded, in the window).
    pub count: u64,
    /// Rows dropped as duplicates.
    pub duplicates: u64,
    /// Rows dropped by user or user-agent exclusions.
    pub excluded: u64,
    /// Visits (after duplicates and exclusions) wholly outside the window.
    pub outside_window: u64,
    /// Kept visits per source (visits, unified, hits, dashboard).
    pub by_source: BTreeMap<String, u64>,
    /// Average visits per day of the window; `None` for a window shorter than one day.
    pub per_day: Option<f64>,
    /// The most visits on one day (reporting zone).
    pub peak_day: u64,
}

/// Concurrency statistics with RFC 3339 `peak_at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Highest number at any instant.
    pub peak: u32,
    /// First instant of the peak.
    pub peak_at: Option<Timestamp>,
    /// Time-weighted average over the window.
    pub average: Option<f64>,
    /// Level not exceeded 50 % of the time.
    pub p50: Option<u32>,
    /// Level not exceeded 95 % of the time.
    pub p95: Option<u32>,
    /// Level not exceeded 99 % of the time.
    pub p99: Option<u32>,
}

impl From<ConcurrencyStats> for Stats {
    fn from(s: ConcurrencyStats) -> Self {
        Stats {
            peak: s.peak,
            peak_at: s.peak_at.map(Timestamp),
            average: s.average,
            p50: s.p50,
            p95: s.p95,
            p99: s.p99,
        }
    }
}

/// Concurrent sessions and concurrent distinct users.
#[derive(Debug, Clone, Serialize)]
pub struct Concurrency {
    /// Concurrent sessions.
    pub sessions: Stats,
    /// Concurrent distinct users (each anonymous session its own user).
    pub users: Stats,
}

/// Hour-of-week profiles.
#[derive(Debug, Clone, Serialize)]
pub struct Profiles {
    /// Of concurrent sessions.
    pub sessions: HourOfWeek,
    /// Of concurrent users.
    pub users: HourOfWeek,
}

/// Growth fits.
#[derive(Debug, Clone, Serialize)]
pub struct Growth {
    /// Fit of monthly p95 concurrent sessions.
    pub sessions_p95: GrowthFit,
    /// Fit of monthly active users.
    pub active_users: GrowthFit,
}

/// Summary of one bucket size, serialised with unit-named keys: `days`, `peak_p50`, ...,
/// `days_at_or_above_90pct_of_peak`, `ninety_pct_of_peak`, `peak_histogram`, `series` (and `weeks`/`months` likewise).
#[derive(Debug, Clone)]
pub struct PeriodSummary {
    /// `days`, `weeks` or `months`.
    pub unit: &'static str,
    /// The distribution over buckets.
    pub summary: BucketSummary,
    /// Every bucket.
    pub series: Vec<Bucket>,
    /// Per day (the daily session summary only, else empty): the figures the `days` table
    /// adds to each bucket, in the order of `series`.
    pub detail: Vec<DayDetail>,
}

/// What a day of `daily.series[]` (and a row of the `days` table) holds beyond its bucket:
/// metrics.md section 3.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayDetail {
    /// Sessions that started in the day.
    pub sessions_started: u64,
    /// Visits in the day.
    pub visits: u64,
    /// Peak concurrent distinct users in the day.
    pub peak_users: u32,
    /// Time-weighted 95th percentile of concurrent sessions within the day (metrics.md
    /// section 0); `None` for an empty overlap.
    pub p95_sessions: Option<u32>,
}

impl Serialize for PeriodSummary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let b = &self.summary;
        let mut m = s.serialize_map(Some(11))?;
        m.serialize_entry(self.unit, &b.count)?;
        m.serialize_entry("peak_p50", &b.peak_p50)?;
        m.serialize_entry("peak_p95", &b.peak_p95)?;
        m.serialize_entry("peak_max", &b.peak_max)?;
        m.serialize_entry("average_p50", &b.average_p50)?;
        m.serialize_entry("average_p95", &b.average_p95)?;
        m.serialize_entry("average_max", &b.average_max)?;
        let key = format!("{}_at_or_above_90pct_of_peak", self.unit);
        m.serialize_entry(&key, &b.at_or_above_90pct_of_peak)?;
        m.serialize_entry("ninety_pct_of_peak", &b.ninety_pct_of_peak)?;
        m.serialize_entry("peak_histogram", &b.peak_histogram)?;
        let series: Vec<BucketOut> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, b)| BucketOut {
                detail: self.detail.get(i),
                ..BucketOut::from(b)
            })
            .collect();
        m.serialize_entry("series", &series)?;
        m.end()
    }
}

/// A bucket as printed in JSON.
#[derive(Serialize)]
struct BucketOut<'a> {
    label: &'a str,
    start: Timestamp,
    end: Timestamp,
    full: bool,
    peak: u32,
    average: f64,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    detail: Option<&'a DayDetail>,
}

impl<'a> From<&'a Bucket> for BucketOut<'a> {
    fn from(b: &'a Bucket) -> Self {
        BucketOut {
            label: &b.label,
            start: Timestamp(b.start),
            end: Timestamp(b.end),
            full: b.full,
            peak: b.peak,
            average: b.average,
            detail: None,
        }
    }
}
