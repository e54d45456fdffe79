//! Measured processes from a jobs export (docs/metrics.md section 5).
//!
//! Each job becomes a half-open interval `[start_time, end_time)` clipped to the analysis
//! window, by these rules, in this order:
//! - `status` 3 (skipped) never ran: dropped and counted;
//! - a missing end with `status` 0 (active, a live process) runs to the window end,
//!   without the open cap;
//! - any other missing end is capped as sessions are (docs/metrics.md 1.6): the end is
//!   `min(window_end, start + open_cap)`, or the window end when there is no cap;
//! - a recorded end at or before the start is an empty interval and never counts;
//! - jobs off the Connect host (`cluster` set and not `Local`, compared without case)
//!   are kept apart and never count toward host figures.
//!
//! Jobs are classed by `tag` ([`classify`]). Concurrency (peak, average, p95) is computed
//! exactly with [`step_series`] and [`stats`]; per-day render figures use the calendar
//! days of [`buckets`]. Everything here is pure: the output never depends on input order.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::Serialize;

use crate::ingest::{JobRow, Micros};
use crate::model::usage::buckets::{buckets, BucketKind};
use crate::model::usage::sweep::{stats, step_series, Interval, StepSeries};
use crate::model::usage::time::{Timestamp, DAY, HOUR};

/// What a job does, from its `tag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobClass {
    /// A process serving an app or API (the processes the scheduler model estimates).
    Interactive,
    /// A report, site or notebook executed when published or on a schedule.
    Render,
    /// Restoring or validating an R or Python environment.
    EnvironmentBuild,
    /// Every other tag (`unknown`, `testing`, `git`, tags newer than the spec).
    Other,
}

impl JobClass {
    /// Every class, in report order.
    pub const ALL: [JobClass; 4] = [
        JobClass::Interactive,
        JobClass::Render,
        JobClass::EnvironmentBuild,
        JobClass::Other,
    ];

    /// The class's key in JSON maps (the same text serde writes).
    pub fn key(self) -> &'static str {
        match self {
            JobClass::Interactive => "interactive",
            JobClass::Render => "render",
            JobClass::EnvironmentBuild => "environment-build",
            JobClass::Other => "other",
        }
    }
}

// Tags of interactive jobs (docs/metrics.md section 5), shared with `fetch`.
use crate::vocab::INTERACTIVE_TAGS;
/// Tags of render jobs.
const RENDER_TAGS: [&str; 4] = [
    "build_report",
    "build_site",
    "build_jupyter",
    "configure_report",
];
/// Tags of environment builds.
const ENVIRONMENT_TAGS: [&str; 5] = [
    "packrat_restore",
    "python_restore",
    "val_py_ext_pkg",
    "val_r_ext_pkg",
    "val_r_install",
];

/// The class of a job `tag`. Surrounding blanks and letter case are ignored, so a
/// hand-edited export still classifies; anything unlisted is [`JobClass::Other`].
pub fn classify(tag: &str) -> JobClass {
    let tag = tag.trim();
    let is_in = |list: &[&str]| list.iter().any(|t| t.eq_ignore_ascii_case(tag));
    if is_in(&INTERACTIVE_TAGS) {
        JobClass::Interactive
    } else if is_in(&RENDER_TAGS) {
        JobClass::Render
    } else if is_in(&ENVIRONMENT_TAGS) {
        JobClass::EnvironmentBuild
    } else {
        JobClass::Other
    }
}

/// Whether a job ran off the Connect host: `cluster` holds a name other than `Local`
/// (case-insensitive). A missing or blank `cluster` is the Connect host.
pub fn is_off_host(cluster: Option<&str>) -> bool {
    cluster
        .map(str::trim)
        .is_some_and(|c| !c.is_empty() && !c.eq_ignore_ascii_case("local"))
}

/// One job as an interval inside the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInterval {
    /// Content id (index into `Dataset::content_ids`); `None` for a job listed without a
    /// content GUID that nothing attributed (it counts server-wide and per host only).
    pub content: Option<u32>,
    /// Class from the tag.
    pub class: JobClass,
    /// Node that ran it, when the export says.
    pub hostname: Option<Box<str>>,
    /// Start, clipped to the window.
    pub start: Micros,
    /// End (exclusive), resolved by the rules above and clipped to the window.
    pub end: Micros,
    /// The recorded `start_time` before clipping (renders are counted on this day).
    pub started: Micros,
}

/// Jobs as intervals after the section 5 rules, split by on-host and off-host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobIntervals {
    /// Jobs on the Connect host(s) overlapping the window, sorted.
    pub on_host: Vec<JobInterval>,
    /// Jobs off the host (Kubernetes, Slurm ...) overlapping the window, sorted.
    pub off_host: Vec<JobInterval>,
    /// Rows with `status` 3 (skipped), dropped.
    pub dropped_skipped: u64,
    /// Kept jobs with `status` 0 and no end, run to the window end.
    pub open_active: u64,
    /// Kept jobs with no end and another (or no) status; `capped` of them hit the cap.
    pub open_other: u64,
    /// Kept jobs whose end was set by the open cap.
    pub capped: u64,
    /// Jobs (not skipped) with no overlap with the window.
    pub outside_window: u64,
    /// Jobs whose recorded end is at or before their start (never count).
    pub empty: u64,
}

/// The interval of `job` before clipping, and how its end was found.
enum Resolved {
    /// A recorded end.
    Recorded(Micros),
    /// Active with no end: the window end.
    Active(Micros),
    /// No end, not active: the end and whether the cap set it.
    Open(Micros, bool),
}

impl Resolved {
    fn end(&self) -> Micros {
        match *self {
            Resolved::Recorded(e) | Resolved::Active(e) | Resolved::Open(e, _) => e,
        }
    }
}

/// The end of `job` by the section 5 rules (`status` 3 is handled by the caller).
fn resolve_end(job: &JobRow, window_end: Micros, open_cap: Option<Micros>) -> Resolved {
    match (job.end, job.status) {
        (Some(e), _) => Resolved::Recorded(e),
        (None, Some(0)) => Resolved::Active(window_end),
        (None, _) => match open_cap {
            Some(cap) if job.start.saturating_add(cap) < window_end => {
                Resolved::Open(job.start + cap, true)
            }
            _ => Resolved::Open(window_end, false),
        },
    }
}

/// Turns jobs into clipped intervals by the section 5 rules (see the module docs).
///
/// `open_cap` has the meaning of `model::Options::open_cap` (`None` = until the window
/// end). Counters other than `dropped_skipped`, `outside_window` and `empty` count kept
/// jobs only. Both lists are sorted, so the result never depends on input order.
pub fn job_intervals(
    jobs: &[JobRow],
    window: (Micros, Micros),
    open_cap: Option<Micros>,
) -> JobIntervals {
    let (w0, w1) = window;
    let mut out = JobIntervals::default();
    for job in jobs {
        if job.status == Some(3) {
            out.dropped_skipped += 1;
            continue;
        }
        let resolved = resolve_end(job, w1, open_cap);
        if matches!(resolved, Resolved::Recorded(e) if e <= job.start) {
            out.empty += 1;
            continue;
        }
        let (start, end) = (job.start.max(w0), resolved.end().min(w1));
        if start >= end {
            out.outside_window += 1;
            continue;
        }
        match resolved {
            Resolved::Active(_) => out.open_active += 1,
            Resolved::Open(_, capped) => {
                out.open_other += 1;
                out.capped += u64::from(capped);
            }
            Resolved::Recorded(_) => {}
        }
        let interval = JobInterval {
            content: job.content,
            class: classify(&job.tag),
            hostname: job.hostname.clone(),
            start,
            end,
            started: job.start,
        };
        if is_off_host(job.cluster.as_deref()) {
            out.off_host.push(interval);
        } else {
            out.on_host.push(interval);
        }
    }
    out.on_host.sort_unstable_by(order);
    out.off_host.sort_unstable_by(order);
    out
}

/// Total order on intervals (time first), so sorted output is unique.
fn order(a: &JobInterval, b: &JobInterval) -> std::cmp::Ordering {
    let key = |j: &JobInterval| (j.start, j.end, j.started, j.content, j.class);
    key(a)
        .cmp(&key(b))
        .then_with(|| a.hostname.cmp(&b.hostname))
}

/// Concurrency of one group of jobs over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassStats {
    /// Jobs in the group overlapping the window.
    pub jobs: u64,
    /// Most jobs running at one instant.
    pub peak: u32,
    /// First instant of the peak (the window start when nothing ran); `None` for an empty
    /// window.
    pub peak_at: Option<Timestamp>,
    /// Time-weighted average number of running jobs; `None` for an empty window.
    pub average: Option<f64>,
    /// Level not exceeded 95 % of the time; `None` for an empty window.
    pub p95: Option<u32>,
    /// Job-hours inside the window (integral of the running count).
    pub job_hours: f64,
}

/// Concurrency figures of `intervals` over `window`.
pub fn class_stats(intervals: &[Interval], window: (Micros, Micros)) -> ClassStats {
    let series = step_series(intervals, window);
    let st = stats(&series);
    ClassStats {
        jobs: intervals.len() as u64,
        peak: st.peak,
        peak_at: st.peak_at.map(Timestamp),
        average: st.average,
        p95: st.p95,
        job_hours: integral(&series) as f64 / HOUR as f64,
    }
}

/// Integral of a series over its window, in level-microseconds.
fn integral(series: &StepSeries) -> i128 {
    series
        .steps()
        .map(|(a, b, level)| i128::from(level) * (b as i128 - a as i128))
        .sum()
}

/// Renders on one calendar day of the reporting zone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderDay {
    /// Local date, `YYYY-MM-DD`.
    pub day: String,
    /// Start of the day's overlap with the window.
    pub start: Timestamp,
    /// End (exclusive) of the day's overlap with the window.
    pub end: Timestamp,
    /// Render jobs whose recorded start falls on this day (a render is counted once, on
    /// the day it started; one started before the window is not counted).
    pub renders: u64,
    /// Hours of render jobs running inside this day: a render across midnight adds its
    /// hours before midnight to one day and the rest to the next.
    pub render_hours: f64,
    /// Most renders running at one instant of this day.
    pub peak: u32,
}

/// The measured-processes section of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measured {
    /// On-host jobs overlapping the window.
    pub jobs: u64,
    /// Off-host jobs overlapping the window (reported apart, not in host figures).
    pub off_host_jobs: u64,
    /// Skipped jobs (`status` 3), dropped.
    pub dropped_skipped: u64,
    /// Jobs still active (`status` 0, no end), run to the window end.
    pub open_active: u64,
    /// Other jobs without an end.
    pub open_other: u64,
    /// Jobs without an end whose end was set by the open cap.
    pub capped: u64,
    /// Jobs outside the window.
    pub outside_window: u64,
    /// Jobs with an end at or before their start.
    pub empty: u64,
    /// Concurrent on-host interactive jobs (app and API processes).
    pub interactive: ClassStats,
    /// Concurrent on-host jobs per class; every class is present.
    pub by_class: BTreeMap<String, ClassStats>,
    /// Concurrent on-host jobs of every class per `hostname` (HA node); `(unknown)` when
    /// the export has no hostname.
    pub by_host: BTreeMap<String, ClassStats>,
    /// Concurrent off-host jobs of every class; `None` when there are none.
    pub off_host: Option<ClassStats>,
    /// On-host renders per calendar day of the reporting zone (every day of the window).
    pub renders_per_day: Vec<RenderDay>,
    /// Most on-host renders running at one instant.
    pub render_peak: u32,
    /// On-host render hours per 24 hours of window (total render hours divided by the
    /// window length in days, so partial first and last days do not skew it); `None` for
    /// an empty window.
    pub render_hours_per_day_avg: Option<f64>,
}

/// Label of a job's host in `by_host`.
pub const UNKNOWN_HOST: &str = "(unknown)";

/// Computes the measured-processes section from [`job_intervals`]' output.
pub fn measured(jobs: &JobIntervals, window: (Micros, Micros), tz: Tz) -> Measured {
    let of = |pred: &dyn Fn(&JobInterval) -> bool| -> Vec<Interval> {
        jobs.on_host
            .iter()
            .filter(|j| pred(j))
            .map(|j| (j.start, j.end))
            .collect()
    };
    let by_class: BTreeMap<String, ClassStats> = JobClass::ALL
        .iter()
        .map(|&c| {
            (
                c.key().to_string(),
                class_stats(&of(&|j| j.class == c), window),
            )
        })
        .collect();
    let mut hosts: BTreeMap<String, Vec<Interval>> = BTreeMap::new();
    for j in &jobs.on_host {
        let host = j.hostname.as_deref().unwrap_or(UNKNOWN_HOST).to_string();
        hosts.entry(host).or_default().push((j.start, j.end));
    }
    let by_host = hosts
        .into_iter()
        .map(|(h, iv)| (h, class_stats(&iv, window)))
        .collect();
    let off: Vec<Interval> = jobs.off_host.iter().map(|j| (j.start, j.end)).collect();
    let renders = of(&|j| j.class == JobClass::Render);
    let render_series = step_series(&renders, window);
    let days = (window.1 as i128 - window.0 as i128) as f64 / DAY as f64;
    Measured {
        jobs: jobs.on_host.len() as u64,
        off_host_jobs: jobs.off_host.len() as u64,
        dropped_skipped: jobs.dropped_skipped,
        open_active: jobs.open_active,
        open_other: jobs.open_other,
        capped: jobs.capped,
        outside_window: jobs.outside_window,
        empty: jobs.empty,
        interactive: class_stats(&of(&|j| j.class == JobClass::Interactive), window),
        by_class,
        by_host,
        off_host: (!off.is_empty()).then(|| class_stats(&off, window)),
        renders_per_day: render_days(jobs, &render_series, tz),
        render_peak: render_series.peak().0,
        render_hours_per_day_avg: (days > 0.0)
            .then(|| integral(&render_series) as f64 / HOUR as f64 / days),
    }
}

/// Per-day render counts, hours and peaks over the calendar days of the window.
fn render_days(jobs: &JobIntervals, series: &StepSeries, tz: Tz) -> Vec<RenderDay> {
    let mut starts: Vec<Micros> = jobs
        .on_host
        .iter()
        .filter(|j| j.class == JobClass::Render)
        .map(|j| j.started)
        .collect();
    starts.sort_unstable();
    let mut walker = series.walker();
    buckets(series, tz, BucketKind::Day)
        .into_iter()
        .map(|b| {
            let span = walker.span(b.start, b.end);
            let count =
                starts.partition_point(|&t| t < b.end) - starts.partition_point(|&t| t < b.start);
            RenderDay {
                day: b.label,
                start: Timestamp(b.start),
                end: Timestamp(b.end),
                renders: count as u64,
                render_hours: span.integral as f64 / HOUR as f64,
                peak: b.peak,
            }
        })
        .collect()
}

/// On-host interactive job intervals per content, each list sorted.
pub fn interactive_by_content(jobs: &JobIntervals) -> BTreeMap<u32, Vec<Interval>> {
    let mut out: BTreeMap<u32, Vec<Interval>> = BTreeMap::new();
    for j in jobs
        .on_host
        .iter()
        .filter(|j| j.class == JobClass::Interactive)
    {
        if let Some(content) = j.content {
            out.entry(content).or_default().push((j.start, j.end));
        }
    }
    for list in out.values_mut() {
        list.sort_unstable();
    }
    out
}

/// Modelled against measured interactive processes, for one content item or overall.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Peak processes of the scheduler model.
    pub modelled_peak: u32,
    /// p95 processes of the scheduler model.
    pub modelled_p95: Option<u32>,
    /// Peak concurrent interactive jobs on the host.
    pub measured_peak: u32,
    /// p95 concurrent interactive jobs on the host.
    pub measured_p95: Option<u32>,
    /// `measured_peak / modelled_peak`; `None` when the modelled peak is 0.
    pub factor: Option<f64>,
}

impl Comparison {
    fn new(modelled: (u32, Option<u32>), measured: &ClassStats) -> Self {
        Comparison {
            modelled_peak: modelled.0,
            modelled_p95: modelled.1,
            measured_peak: measured.peak,
            measured_p95: measured.p95,
            factor: ratio(measured.peak, modelled.0),
        }
    }
}

/// `measured / modelled`, `None` when `modelled` is 0.
fn ratio(measured: u32, modelled: u32) -> Option<f64> {
    (modelled > 0).then(|| f64::from(measured) / f64::from(modelled))
}

/// One content item's comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentComparison {
    /// Content id (not in JSON; the GUID is).
    #[serde(skip)]
    pub content: u32,
    /// Content GUID.
    pub guid: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: Comparison,
}

/// Model against measurement, per content and overall.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelVsMeasured {
    /// Server-wide: modelled processes against concurrent on-host interactive jobs.
    pub overall: Comparison,
    /// Per content item with modelled processes or measured interactive jobs, by GUID.
    pub per_content: Vec<ContentComparison>,
    /// Overall `measured peak / modelled peak`: multiply modelled processes by it to
    /// calibrate the model to this server; `None` when the modelled peak is 0.
    pub calibration_factor: Option<f64>,
}

/// Compares modelled `(peak, p95)` processes with measured interactive jobs.
///
/// Rows cover the union of the modelled contents and the contents with measured
/// interactive jobs; a content missing from `modelled_per_content` had no modelled
/// process (`(0, None)`), one without jobs measures 0. Rows are sorted by `name` (the
/// GUID), then content id.
pub fn compare(
    modelled_overall: (u32, Option<u32>),
    modelled_per_content: &BTreeMap<u32, (u32, Option<u32>)>,
    measured: &JobIntervals,
    window: (Micros, Micros),
    name: impl Fn(u32) -> String,
) -> ModelVsMeasured {
    let by_content = interactive_by_content(measured);
    let all: Vec<Interval> = by_content.values().flatten().copied().collect();
    let overall = Comparison::new(modelled_overall, &class_stats(&all, window));
    let mut ids: Vec<u32> = modelled_per_content.keys().copied().collect();
    ids.extend(by_content.keys().copied());
    ids.sort_unstable();
    ids.dedup();
    let mut per_content: Vec<ContentComparison> = ids
        .into_iter()
        .map(|id| {
            let iv = by_content.get(&id).map_or(&[][..], Vec::as_slice);
            let modelled = modelled_per_content.get(&id).copied().unwrap_or((0, None));
            ContentComparison {
                content: id,
                guid: name(id),
                figures: Comparison::new(modelled, &class_stats(iv, window)),
            }
        })
        .collect();
    per_content.sort_by(|a, b| a.guid.cmp(&b.guid).then(a.content.cmp(&b.content)));
    ModelVsMeasured {
        calibration_factor: overall.factor,
        overall,
        per_content,
    }
}

#[cfg(test)]
#[path = "jobs_tests.rs"]
mod tests;
