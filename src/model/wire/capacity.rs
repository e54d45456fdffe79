//! The capacity part of the JSON contract: processes (estimated and measured), the sizes
//! per scenario and the recommendation. Computed in [`crate::model::capacity`].

use serde::Serialize;

use crate::model::capacity::architecture::{OptionAssessment, Recommendation, ReviewLine};
use crate::model::capacity::jobs::{Measured, ModelVsMeasured};
use crate::model::capacity::measured::{FootprintCheck, FootprintLine, JobMetricCounts};
use crate::model::capacity::processes::{ProcessStats, SettingsSource};
use crate::model::capacity::scheduler::Settings;
use crate::model::capacity::sizing::{Buffer, Constants, Resource, Size};
use crate::model::capacity::DesignPeak;
use crate::model::usage::time::Timestamp;

/// Estimated and measured processes.
#[derive(Debug, Clone, Serialize)]
pub struct Processes {
    /// How the scheduler is modelled.
    pub model: String,
    /// Estimated by the scheduler model; `None` when the inputs hold jobs but no usage
    /// (the model has no sessions to replay: the measured processes are the demand).
    pub estimated: Option<Estimated>,
    /// Measured from the jobs export; `None` without jobs.
    pub measured: Option<MeasuredProcesses>,
    /// Model vs measured interactive processes (peak and p95) overall and per content;
    /// `None` without jobs.
    pub model_vs_measured: Option<ModelVsMeasured>,
}

/// Server-wide estimated processes (time-aligned sum over content).
#[derive(Debug, Clone, Serialize)]
pub struct Estimated {
    /// Most processes alive at one instant (warm and idle ones included).
    pub peak: u32,
    /// First instant of the peak.
    pub peak_at: Option<Timestamp>,
    /// Time-weighted average of alive processes.
    pub average: Option<f64>,
    /// Alive processes not exceeded 95 % of the time.
    pub p95: Option<u32>,
    /// Sessions turned away because `max_processes x max_conns_per_process` was full.
    pub rejected: u64,
    /// Sessions that joined a process.
    pub connected: u64,
    /// Processes serving at least one connection.
    pub active: ProcessStats,
    /// Processes kept warm by `min_processes` (server-wide, all nodes).
    pub warm_processes: u64,
    /// Items that run processes on demand (apps and APIs in the content export, plus
    /// items with sessions that it does not list).
    pub on_demand_items: u64,
    /// APIs whose processes come from the jobs export (they record requests, not
    /// sessions); without jobs they hold only `min_processes`.
    pub apis_from_jobs: u64,
    /// Memory warm processes hold all the time, GiB.
    pub warm_memory_gib: f64,
    /// Per content item that holds processes, by peak processes descending, then GUID.
    pub content: Vec<ContentProcesses>,
    /// Alive processes (server-wide, renders excluded) per calendar day of the reporting
    /// zone, every day of the window in order.
    pub daily: Vec<DailyProcesses>,
}

/// One calendar day of modelled processes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyProcesses {
    /// `YYYY-MM-DD` in the reporting zone.
    pub day: String,
    /// Most processes alive at one instant of the day (its part inside the window).
    pub peak: u32,
    /// Time-weighted average of alive processes over the day's part inside the window.
    pub average: f64,
}

/// One content item's estimated processes.
#[derive(Debug, Clone, Serialize)]
pub struct ContentProcesses {
    /// Content GUID.
    pub guid: String,
    /// Title, when a content export was given.
    pub title: Option<String>,
    /// `app_mode`, when known.
    pub app_mode: Option<String>,
    /// Settings per node, as Connect shows them.
    pub settings: Settings,
    /// Nodes the settings apply to (`--nodes`): the server runs up to `nodes x
    /// max_processes` processes of this item.
    pub nodes: u32,
    /// Load-factor threshold: connections at which a new process is preferred.
    pub threshold: u32,
    /// Where the settings came from.
    pub settings_source: SettingsSource,
    /// CPU and memory per process and their sources.
    pub resource: Resource,
    /// Most processes alive at one instant.
    pub peak: u32,
    /// First instant of the peak.
    pub peak_at: Option<Timestamp>,
    /// Alive processes not exceeded 95 % of the time.
    pub p95: Option<u32>,
    /// Time-weighted average of alive processes.
    pub average: Option<f64>,
    /// Most processes serving a connection at one instant.
    pub peak_active: u32,
    /// Sessions that joined a process.
    pub connected: u64,
    /// Sessions turned away.
    pub rejected: u64,
    /// Processes started on demand.
    pub spawned: u64,
    /// Share of the window its warm processes had no connection; `None` without any.
    pub warm_idle_fraction: Option<f64>,
    /// For APIs: the most requests in one clock minute (visits or hits).
    pub api_peak_requests_per_minute: Option<u64>,
}

/// Measured processes: on-host interactive jobs up front, the full breakdown beside.
#[derive(Debug, Clone, Serialize)]
pub struct MeasuredProcesses {
    /// Most concurrent on-host interactive jobs (processes serving content).
    pub peak: u32,
    /// First instant of that peak.
    pub peak_at: Option<Timestamp>,
    /// Time-weighted average of concurrent interactive jobs.
    pub average: Option<f64>,
    /// Interactive jobs not exceeded 95 % of the time.
    pub p95: Option<u32>,
    /// Per class, per host, off-host, renders per day.
    pub detail: Measured,
}

/// Sizes of the three scenarios and everything they rest on.
#[derive(Debug, Clone, Serialize)]
pub struct Sizing {
    /// Constants in force.
    pub constants: Constants,
    /// Which peak the sizes are designed for.
    pub design_peak: DesignPeak,
    /// The buffer, term by term (the same for every scenario).
    pub buffer_terms: Buffer,
    /// Population coefficient of variation of weekly session peaks (full ISO weeks).
    pub weekly_peak_cv: Option<f64>,
    /// Measured / modelled interactive peak, applied to every scenario; `None` without
    /// jobs (or a modelled peak of 0), and without usage (no model to calibrate).
    pub calibration_factor: Option<f64>,
    /// Per-process figures by `app_mode` in this data, and where they came from.
    pub resources: Vec<ResourceLine>,
    /// The window as it was.
    pub now: Scenario,
    /// At `--horizon` months of fitted growth; `None` without a growth fit or when it
    /// would replay more than 50 million sessions (see `notes`).
    pub projected: Option<Scenario>,
    /// Every session `--scale` times, each copy its own user; `None` only beyond 50
    /// million replayed sessions.
    pub scaled: Option<Scenario>,
    /// Why a scenario is missing, or what limits it.
    pub notes: Vec<String>,
    /// Storage and database sizing are not estimated.
    pub storage_and_database: String,
}

/// Per-process CPU and memory of one `app_mode` (or render jobs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceLine {
    /// `app_mode` (`render jobs` for measured renders).
    pub app_mode: String,
    /// Content items of this mode that hold processes.
    pub content: u64,
    /// Cores per process (the most common figure when overrides differ).
    pub cpu: f64,
    /// Memory per process, GiB.
    pub memory_gib: f64,
    /// Where the figures came from.
    pub source: String,
    /// The items, when the figures are not the `app_mode` default (overrides show by name).
    pub items: Vec<String>,
}

/// One scenario's demand and size.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// Scenario name: `now`, `projected` or `scaled`.
    pub name: String,
    /// Session multiplier K replayed (without usage: the factor on the measured processes).
    pub k: f64,
    /// For `projected`: months ahead.
    pub horizon_months: Option<f64>,
    /// For `projected`: fitted growth rate per month used.
    pub rate_per_month: Option<f64>,
    /// Sessions replayed; `None` without usage (jobs only: nothing is replayed).
    pub sessions: Option<u64>,
    /// Sessions today's `max_processes x max_conns_per_process` would turn away; the size
    /// below serves them all (`max_processes` lifted). `None` without usage.
    pub rejected: Option<u64>,
    /// Peak concurrent sessions; `None` without usage.
    pub peak_sessions: Option<u32>,
    /// Peak alive processes before calibration (limits lifted); `None` without usage.
    pub modelled_peak_processes: Option<u32>,
    /// Design processes relative to now (1 for now): below `k` where apps share processes.
    pub processes_vs_now: Option<f64>,
    /// The daily-p95 design beside the absolute one, when a design series' absolute peak
    /// is rare (docs/sizing.md section 1); `None` otherwise.
    pub daily_p95: Option<crate::model::capacity::rare_peaks::DailyP95>,
    /// Cores, RAM, buffer, node and the terms behind them.
    #[serde(flatten)]
    pub size: Size,
}

/// The architecture decision and everything printed with it.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendationSection {
    /// The decision for now.
    #[serde(flatten)]
    pub decision: Recommendation,
    /// Pros and cons of all three options for this team.
    pub options: Vec<OptionAssessment>,
    /// The decision again for the scaled scenario.
    pub scaled: Option<Recommendation>,
    /// Scheduler settings worth a look, each citing its number.
    pub settings_to_review: Vec<ReviewLine>,
}

/// Everything this module adds to the report.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityReport {
    /// Estimated and measured processes.
    pub processes: Processes,
    /// Sizes.
    pub sizing: Sizing,
    /// The recommendation.
    pub recommendation: RecommendationSection,
    /// Per item with demand or samples: the figures sizing used and the measured
    /// footprint (docs/sizing.md 2.4).
    pub footprints: Vec<FootprintLine>,
    /// The model checked against the samples; `None` without samples.
    pub footprint_check: Option<FootprintCheck>,
    /// Job metrics counters; `None` without a job metrics export.
    pub job_metrics: Option<JobMetricCounts>,
    /// Conflicting duplicate samples, for `data_problems`.
    pub footprint_problems: Vec<crate::ingest::RowProblem>,
}
