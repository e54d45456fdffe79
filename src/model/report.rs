//! The report: every figure the renderers print, as one serialisable tree (the JSON
//! contract, `schema_version` 1), and [`analyze`], which computes it.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::capacity::questions::{answers, Answer};
use super::capacity::{capacity, Processes, RecommendationSection, Sizing, Swept};
use super::over_time::trend::{utilisation, Utilisation};
use super::usage::buckets::{buckets, summarize, Bucket, BucketKind, BucketSummary};
use super::usage::content::{per_content, ContentStats};
use super::usage::growth::{fit, monthly, GrowthFit, Month};
use super::usage::normalize::{normalize, Normalized, SessionCounts};
use super::usage::people::{content_types, people, ContentType, People};
use super::usage::profile::{hour_of_week, HourOfWeek};
use super::usage::sweep::{stats, step_series_of, users_series, ConcurrencyStats, StepSeries};
use super::usage::time::{Timestamp, DAY, SECOND};
use super::Options;
use crate::error::Result;
use crate::ingest::{Dataset, FileSummary, IngestNotes, Micros, RowProblem, VisitSource};

/// Version of the JSON contract; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

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
    /// Kept visits per source (visits, unified, hits, dashboard).
    pub by_source: BTreeMap<String, u64>,
    /// Average visits per day of the window.
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
        let series: Vec<BucketOut> = self.series.iter().map(BucketOut::from).collect();
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
        }
    }
}

/// Computes the report from a dataset.
///
/// Fails only on invalid scheduler settings (a content export value, or the defaults).
pub fn analyze(data: &Dataset, opts: &Options) -> Result<Report> {
    let norm = normalize(data, opts);
    let as_of = opts.as_of.or(norm.window.map(|w| w.1)).unwrap_or(0);
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        assumptions: assumptions(opts),
        inputs: Inputs {
            files: data.files.clone(),
            notes: data.notes.clone(),
        },
        window: norm.window.map(|(a, b)| Window {
            start: Timestamp(a),
            end: Timestamp(b),
            days: (b - a) as f64 / DAY as f64,
        }),
        sessions: norm.counts.clone(),
        visits: visit_counts(data, &norm, opts),
        concurrency: None,
        daily: None,
        weekly: None,
        monthly: None,
        daily_users: None,
        weekly_users: None,
        monthly_users: None,
        hour_of_week: None,
        content: Vec::new(),
        people: people(data, &norm.sessions, &norm.visits, as_of),
        content_types: content_types(data, &norm.sessions, &norm.visits),
        months: Vec::new(),
        growth: Growth {
            sessions_p95: fit("p95 concurrent sessions", &[], 0, |_| 0.0),
            active_users: fit("active users", &[], 0, |_| 0.0),
        },
        processes: None,
        sizing: None,
        questions: Vec::new(),
        recommendation: None,
        utilisation: None,
        warnings: super::usage::warnings::option_warnings(data, opts, &norm),
        data_problems: norm.problems.clone(),
    };
    if let Some(window) = norm.window {
        let swept = fill_series(&mut report, data, &norm, window, opts);
        let c = capacity(
            data,
            &norm,
            window,
            opts.tz,
            &opts.capacity,
            &swept,
            opts.open_cap,
        )?;
        report.utilisation = utilisation(&c.sizing.now.size, &opts.capacity.server);
        report.processes = Some(c.processes);
        report.sizing = Some(c.sizing);
        report.recommendation = Some(c.recommendation);
    }
    report.questions = answers(&report);
    Ok(report)
}

/// Concurrency, periods, profiles, per-content figures and growth for a window.
///
/// One series at a time (sessions, then users), each dropped once everything it feeds
/// is computed, so at most one full series is held. Returns what the capacity model
/// needs from these sweeps.
fn fill_series(
    report: &mut Report,
    data: &Dataset,
    norm: &Normalized,
    window: (Micros, Micros),
    opts: &Options,
) -> Swept {
    let tz = opts.tz;
    let period = |s: &StepSeries, kind, unit| {
        let b = buckets(s, tz, kind);
        let peak = s.peak().0;
        Some(PeriodSummary {
            unit,
            summary: summarize(&b, peak),
            series: b,
        })
    };
    let sessions = step_series_of(&norm.sessions, |s| (s.start, s.end), window);
    let month_buckets = buckets(&sessions, tz, BucketKind::Month);
    report.months = monthly(&month_buckets, &sessions, &norm.sessions, &norm.visits);
    let ahead = opts
        .capacity
        .horizon_months
        .max(0.0)
        .ceil()
        .min(f64::from(u32::MAX)) as u32;
    report.growth = Growth {
        sessions_p95: fit("p95 concurrent sessions", &report.months, ahead, |m| {
            f64::from(m.p95.unwrap_or(0))
        }),
        active_users: fit("active users", &report.months, ahead, |m| {
            m.active_users as f64
        }),
    };
    let week_peaks = |b: &[Bucket]| {
        b.iter()
            .filter(|b| b.full)
            .map(|b| f64::from(b.peak))
            .collect()
    };
    let mut swept = Swept {
        growth_rate: report.growth.sessions_p95.rate_per_month,
        peak_sessions: sessions.peak().0,
        ..Swept::default()
    };
    if norm.sessions.is_empty() {
        swept.full_week_peaks = week_peaks(&buckets(&sessions, tz, BucketKind::Week));
        drop(sessions);
    } else {
        let session_stats = stats(&sessions).into();
        report.daily = period(&sessions, BucketKind::Day, "days");
        report.weekly = period(&sessions, BucketKind::Week, "weeks");
        if let Some(w) = &report.weekly {
            swept.full_week_peaks = week_peaks(&w.series);
        }
        report.monthly = period(&sessions, BucketKind::Month, "months");
        let session_profile = hour_of_week(&sessions, tz);
        drop(sessions);
        let users = users_series(&norm.sessions, |s| (s.user, s.start, s.end), window);
        report.concurrency = Some(Concurrency {
            sessions: session_stats,
            users: stats(&users).into(),
        });
        report.daily_users = period(&users, BucketKind::Day, "days");
        report.weekly_users = period(&users, BucketKind::Week, "weeks");
        report.monthly_users = period(&users, BucketKind::Month, "months");
        report.hour_of_week = Some(Profiles {
            sessions: session_profile,
            users: hour_of_week(&users, tz),
        });
    }
    report.content = per_content(data, &norm.sessions, &norm.visits, window, tz);
    swept.content_peaks = report
        .content
        .iter()
        .filter_map(|c| Some((data.content_ids.get(&c.guid)?, c.peak_sessions)))
        .collect();
    swept
}

/// Visit counters from the normalised visits.
fn visit_counts(data: &Dataset, norm: &Normalized, opts: &Options) -> VisitCounts {
    let mut by_source = BTreeMap::new();
    for v in &norm.visits {
        *by_source
            .entry(source_name(v.source).to_string())
            .or_insert(0) += 1;
    }
    let days = norm
        .window
        .map(|(a, b)| (b - a) as f64 / DAY as f64)
        .filter(|d| *d > 0.0);
    let times: Vec<Micros> = norm.visits.iter().map(|v| v.time).collect();
    VisitCounts {
        rows: data.visits.len() as u64,
        count: norm.visits.len() as u64,
        duplicates: norm.visit_duplicates,
        excluded: norm.visits_excluded,
        by_source,
        per_day: days.map(|d| norm.visits.len() as f64 / d),
        peak_day: super::usage::content::peak_day_count(&times, opts.tz),
    }
}

/// JSON name of a visit source.
fn source_name(s: VisitSource) -> &'static str {
    match s {
        VisitSource::Visits => "visits",
        VisitSource::Unified => "unified",
        VisitSource::Hits => "hits",
        VisitSource::Dashboard => "dashboard",
    }
}

/// The assumptions block from the options.
fn assumptions(opts: &Options) -> Assumptions {
    let secs = |m: Micros| m as f64 / SECOND as f64;
    Assumptions {
        tz: opts.tz.name().to_string(),
        open_cap_s: opts.open_cap.map(secs),
        reconnect_timeout_s: secs(opts.reconnect_timeout),
        min_session_s: opts.min_session.map(secs),
        from: opts.from.map(Timestamp),
        to: opts.to.map(Timestamp),
        as_of: opts.as_of.map(Timestamp),
        exclude_users: opts.exclude_users.clone(),
        exclude_user_agents: opts.exclude_user_agents.clone(),
    }
}
