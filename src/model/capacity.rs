//! Processes, sizing and the architecture recommendation, put together (metrics.md
//! sections 4-5, sizing.md): the scheduler model per content item, measured processes
//! from jobs, three demand scenarios (now, projected, scaled), their sizes, and the
//! decision with its reasons.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono_tz::Tz;
use serde::Serialize;

use super::architecture::{
    decide, outgrow_month, pros_cons, settings_to_review, ContentDemand, DecisionInput, Limits,
    OptionAssessment, Recommendation, ReviewLine,
};
use super::buckets::{buckets, BucketKind};
use super::jobs::{self, JobClass, JobIntervals, Measured, ModelVsMeasured};
use super::normalize::Normalized;
use super::percentile::quantile_type7;
use super::processes::{
    conns, guid_ranks, peak_per_minute, process_stats, resolve_settings, run_all,
    warm_idle_fraction, ItemRun, ProcessStats, Resolved, SchedulerOverride, SettingsSource,
};
use super::scheduler::{scale, weighted_series, Conn, Settings};
use super::sizing::{
    self, buffer, population_cv, Buffer, BufferInputs, Constants, Demand, Resource,
    ResourceOverride, Size,
};
use super::sweep::{step_series, Interval, Micros};
use super::time::Timestamp;
use crate::error::Result;
use crate::ingest::{ContentRow, Dataset};

/// Which peak the sizes are designed for (`--design-peak`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesignPeak {
    /// The absolute peak of the window.
    #[default]
    Max,
    /// The 95th percentile of daily peaks.
    DailyP95,
}

/// Capacity options (flags and config file, resolved).
#[derive(Debug, Clone, Default)]
pub struct CapacityOptions {
    /// Server default scheduler settings.
    pub defaults: Settings,
    /// Per-content scheduler overrides by GUID.
    pub overrides: BTreeMap<String, SchedulerOverride>,
    /// Per-content resource overrides by GUID.
    pub resources: BTreeMap<String, ResourceOverride>,
    /// Nodes of the existing server.
    pub nodes: u32,
    /// Which peak to size for.
    pub design_peak: DesignPeak,
    /// Months ahead for the projected scenario.
    pub horizon_months: f64,
    /// Factor of the scaled scenario.
    pub scale: f64,
    /// Organisation limits.
    pub limits: Limits,
    /// Sizing constants.
    pub constants: Constants,
}

impl CapacityOptions {
    /// The built-in defaults: Connect's scheduler defaults, one node, 12 months, K = 2.
    pub fn standard() -> Self {
        CapacityOptions {
            nodes: 1,
            horizon_months: 12.0,
            scale: 2.0,
            ..Default::default()
        }
    }
}

/// How the scheduler is modelled, stated in every report.
pub const MODEL_NOTE: &str = "Connect does not publish its process spawn rule; these \
process counts come from a model of it. Per content item, sessions are replayed in time \
order: a session joins the least-loaded running process below the load-factor threshold \
(ceil(load_factor x max_conns_per_process)), else a new process starts if fewer than \
max_processes run, else it joins the least-loaded process below max_conns_per_process, \
else it is rejected. Processes exit idle_timeout after their last connection closes; \
min_processes stay warm all the time. Static and rendered content holds no process; APIs \
record requests, not sessions, so without jobs an API holds only its min_processes.";

/// Estimated and measured processes.
#[derive(Debug, Clone, Serialize)]
pub struct Processes {
    /// How the scheduler is modelled.
    pub model: String,
    /// Estimated by the scheduler model.
    pub estimated: Estimated,
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
    /// Settings used (whole server: per-node limits times `--nodes`).
    pub settings: Settings,
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
    /// jobs (or a modelled peak of 0).
    pub calibration_factor: Option<f64>,
    /// Per-process figures by `app_mode` in this data, and where they came from.
    pub resources: Vec<ResourceLine>,
    /// The window as it was.
    pub now: Scenario,
    /// At `--horizon` months of fitted growth; `None` without a growth fit.
    pub projected: Option<Scenario>,
    /// Every session `--scale` times, each copy its own user.
    pub scaled: Scenario,
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
}

/// One scenario's demand and size.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// Scenario name: `now`, `projected` or `scaled`.
    pub name: String,
    /// Session multiplier K replayed.
    pub k: f64,
    /// For `projected`: months ahead.
    pub horizon_months: Option<f64>,
    /// For `projected`: fitted growth rate per month used.
    pub rate_per_month: Option<f64>,
    /// Sessions replayed.
    pub sessions: u64,
    /// Sessions the current limits would reject.
    pub rejected: u64,
    /// Peak concurrent sessions.
    pub peak_sessions: u32,
    /// Peak alive processes before calibration.
    pub modelled_peak_processes: u32,
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
    pub scaled: Recommendation,
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
}

/// Inputs shared by every scenario.
struct Prepared<'a> {
    data: &'a Dataset,
    window: (Micros, Micros),
    tz: Tz,
    opts: &'a CapacityOptions,
    settings: HashMap<u32, Resolved>,
    rows: HashMap<u32, &'a ContentRow>,
    resources: HashMap<u32, Resource>,
    /// Content id per canonical content key (GUID rank).
    rank_to_id: Vec<u32>,
    /// Scheduler input of the window, keyed by content rank.
    base: Vec<(u32, Conn)>,
    /// Measured render jobs (on-host) as intervals; empty without jobs.
    renders: Vec<Interval>,
}

impl Prepared<'_> {
    fn holds(&self, id: u32) -> bool {
        let mode = self.rows.get(&id).and_then(|r| r.app_mode.as_deref());
        sizing::holds_processes(mode)
    }

    fn resource(&self, id: u32) -> Resource {
        self.resources
            .get(&id)
            .copied()
            .unwrap_or_else(|| sizing::default_resource(None))
    }
}

/// One scenario's replay and demand.
struct Run {
    runs: Vec<ItemRun>,
    sessions: u64,
    rejected: u64,
    peak_sessions: u32,
    alive: Vec<Interval>,
    active: Vec<Interval>,
    demand: Demand,
}

/// Computes processes, sizes and the recommendation.
pub fn capacity(
    data: &Dataset,
    norm: &Normalized,
    window: (Micros, Micros),
    tz: Tz,
    opts: &CapacityOptions,
    growth_rate: Option<f64>,
    open_cap: Option<Micros>,
) -> Result<CapacityReport> {
    let nodes = opts.nodes.max(1);
    let settings = resolve_settings(data, &opts.defaults, &opts.overrides, nodes)?;
    let rows: HashMap<u32, &ContentRow> = data.content.iter().map(|c| (c.content, c)).collect();
    let content_rank = guid_ranks(&data.content_ids);
    let mut rank_to_id = vec![0; content_rank.len()];
    for (id, r) in content_rank.iter().enumerate() {
        rank_to_id[*r as usize] = id as u32;
    }
    let user_rank = guid_ranks(&data.user_ids);
    let base: Vec<(u32, Conn)> = conns(&norm.sessions, &user_rank)
        .into_iter()
        .map(|(c, conn)| (content_rank[c as usize], conn))
        .collect();
    let mut resources = HashMap::new();
    for id in 0..data.content_ids.len() as u32 {
        let row = rows.get(&id);
        let guid = data.content_ids.name(id);
        resources.insert(
            id,
            sizing::resource(
                row.and_then(|r| r.app_mode.as_deref()),
                opts.resources.get(guid),
                row.and_then(|r| r.settings.cpu_limit),
                row.and_then(|r| r.settings.memory_limit),
            ),
        );
    }
    let job_iv: Option<JobIntervals> =
        (!data.jobs.is_empty()).then(|| jobs::job_intervals(&data.jobs, window, open_cap));
    let renders: Vec<Interval> = job_iv
        .iter()
        .flat_map(|j| j.on_host.iter())
        .filter(|j| j.class == JobClass::Render)
        .map(|j| (j.start, j.end))
        .collect();
    let p = Prepared {
        data,
        window,
        tz,
        opts,
        settings,
        rows,
        resources,
        rank_to_id,
        base,
        renders,
    };

    let now = run(&p, 1.0);
    let estimated = estimated(&p, &now);
    let (measured, model_vs_measured) = match &job_iv {
        Some(j) => {
            let m = jobs::measured(j, window, tz);
            let per_content: BTreeMap<u32, (u32, Option<u32>)> = estimated_by_id(&p, &now);
            let cmp = jobs::compare(
                (estimated.peak, estimated.p95),
                &per_content,
                j,
                window,
                |id| data.content_ids.name(id).to_string(),
            );
            let section = MeasuredProcesses {
                peak: m.interactive.peak,
                peak_at: m.interactive.peak_at,
                average: m.interactive.average,
                p95: m.interactive.p95,
                detail: m,
            };
            (Some(section), Some(cmp))
        }
        None => (None, None),
    };
    let calibration = model_vs_measured
        .as_ref()
        .and_then(|c| c.calibration_factor);

    let weekly: Vec<f64> = {
        let sessions = step_series(
            &norm
                .sessions
                .iter()
                .map(|s| (s.start, s.end))
                .collect::<Vec<_>>(),
            window,
        );
        buckets(&sessions, tz, BucketKind::Week)
            .iter()
            .filter(|b| b.full)
            .map(|b| f64::from(b.peak))
            .collect()
    };
    let weekly_cv = population_cv(&weekly);
    let buf = buffer(
        &BufferInputs {
            growth_rate_per_month: growth_rate,
            weekly_peak_cv: weekly_cv,
            uptime: opts.limits.uptime,
        },
        &opts.constants,
    );
    let scenario = |name: &str, k: f64, r: &Run, rate: Option<f64>| {
        let f = calibration.unwrap_or(1.0);
        let d = Demand {
            design_processes: r.demand.design_processes * f,
            design_active_processes: r.demand.design_active_processes * f,
            active_millicores: r.demand.active_millicores * f,
            alive_mib: r.demand.alive_mib * f,
        };
        Scenario {
            name: name.into(),
            k,
            horizon_months: rate.map(|_| opts.horizon_months),
            rate_per_month: rate,
            sessions: r.sessions,
            rejected: r.rejected,
            peak_sessions: r.peak_sessions,
            modelled_peak_processes: step_series(&r.alive, window).peak().0,
            size: sizing::size(&d, &buf, &opts.constants),
        }
    };
    let now_s = scenario("now", 1.0, &now, None);
    let projected = growth_rate.map(|r| {
        let k = (1.0 + r).powf(opts.horizon_months);
        let run_k = run(&p, k);
        scenario("projected", k, &run_k, Some(r))
    });
    let scaled_run = run(&p, opts.scale);
    let scaled_s = scenario("scaled", opts.scale, &scaled_run, None);

    let (r_versions, py_versions) = runtime_versions(&p, norm);
    let demands_now = content_demands(&p, &now);
    let demands_scaled = content_demands(&p, &scaled_run);
    let input = |size: &'_ Size, content: &'_ [ContentDemand]| -> Recommendation {
        decide(&DecisionInput {
            size,
            limits: &opts.limits,
            constants: &opts.constants,
            content,
            growth_rate_per_month: growth_rate,
            r_versions: &r_versions,
            py_versions: &py_versions,
        })
    };
    let decision = input(&now_s.size, &demands_now);
    let options = pros_cons(
        &DecisionInput {
            size: &now_s.size,
            limits: &opts.limits,
            constants: &opts.constants,
            content: &demands_now,
            growth_rate_per_month: growth_rate,
            r_versions: &r_versions,
            py_versions: &py_versions,
        },
        &decision,
    );
    let scaled_decision = input(&scaled_s.size, &demands_scaled);
    let review = settings_to_review(&demands_now, &opts.constants);
    let _ = outgrow_month; // the decision carries the month already
    let storage = decision.storage_and_database.clone();

    Ok(CapacityReport {
        processes: Processes {
            model: MODEL_NOTE.to_string(),
            estimated,
            measured,
            model_vs_measured,
        },
        sizing: Sizing {
            constants: opts.constants.clone(),
            design_peak: opts.design_peak,
            buffer_terms: buf,
            weekly_peak_cv: weekly_cv,
            calibration_factor: calibration,
            resources: resource_lines(&p, &now),
            now: now_s,
            projected,
            scaled: scaled_s,
            storage_and_database: storage,
        },
        recommendation: RecommendationSection {
            decision,
            options,
            scaled: scaled_decision,
            settings_to_review: review,
        },
    })
}

/// Replays the window's sessions `k` times and measures the scenario's demand.
fn run(p: &Prepared, k: f64) -> Run {
    let scaled: Vec<(u32, Conn)> = if k == 1.0 {
        p.base.clone()
    } else {
        scale(&p.base, k)
    };
    let by_id: Vec<(u32, Conn)> = scaled
        .iter()
        .map(|(rank, c)| (p.rank_to_id[*rank as usize], *c))
        .collect();
    let peak_sessions = step_series(
        &by_id
            .iter()
            .map(|(_, c)| (c.start, c.end))
            .collect::<Vec<_>>(),
        p.window,
    )
    .peak()
    .0;
    let runs = run_all(
        &by_id,
        &p.settings,
        &p.opts.defaults,
        p.opts.nodes.max(1),
        |id| p.holds(id),
        p.window,
    );
    let mut alive = Vec::new();
    let mut active = Vec::new();
    let mut alive_w = Vec::new();
    let mut active_w = Vec::new();
    let (mut sessions, mut rejected) = (0, 0);
    for r in &runs {
        let res = p.resource(r.content);
        sessions += r.replay.connected + r.replay.rejected;
        rejected += r.replay.rejected;
        for iv in &r.replay.alive {
            alive.push(*iv);
            alive_w.push((*iv, res.mib));
        }
        for iv in &r.replay.active {
            active.push(*iv);
            active_w.push((*iv, res.millicores));
        }
    }
    // Render jobs hold a process and a core while they run.
    let mut alive_all = alive.clone();
    let mut active_all = active.clone();
    for iv in &p.renders {
        alive_all.push(*iv);
        active_all.push(*iv);
        alive_w.push((*iv, sizing::RENDER.mib));
        active_w.push((*iv, sizing::RENDER.millicores));
    }
    let design = |peak: u64, daily: Vec<u64>| -> f64 {
        match p.opts.design_peak {
            DesignPeak::Max => peak as f64,
            DesignPeak::DailyP95 => {
                let mut d: Vec<f64> = daily.into_iter().map(|v| v as f64).collect();
                d.sort_by(f64::total_cmp);
                quantile_type7(&d, 0.95).unwrap_or(0.0)
            }
        }
    };
    let count_design = |iv: &[Interval]| {
        let s = step_series(iv, p.window);
        let daily = buckets(&s, p.tz, BucketKind::Day)
            .iter()
            .map(|b| u64::from(b.peak))
            .collect();
        design(u64::from(s.peak().0), daily)
    };
    let weighted_design = |items: &[(Interval, u64)]| {
        let s = weighted_series(items, p.window);
        design(s.peak().0, s.daily_peaks(p.tz))
    };
    let demand = Demand {
        design_processes: count_design(&alive_all),
        design_active_processes: count_design(&active_all),
        active_millicores: weighted_design(&active_w),
        alive_mib: weighted_design(&alive_w),
    };
    Run {
        runs,
        sessions,
        rejected,
        peak_sessions,
        alive,
        active,
        demand,
    }
}

/// Server-wide and per-content estimated processes of the window.
fn estimated(p: &Prepared, now: &Run) -> Estimated {
    let alive = process_stats(&now.alive, p.window);
    let active = process_stats(&now.active, p.window);
    let mut content: Vec<ContentProcesses> = now
        .runs
        .iter()
        .map(|r| {
            let row = p.rows.get(&r.content);
            let st = process_stats(&r.replay.alive, p.window);
            let mode = row.and_then(|r| r.app_mode.clone().map(String::from));
            let is_api = sizing::is_api(mode.as_deref());
            ContentProcesses {
                guid: p.data.content_ids.name(r.content).to_string(),
                title: row.and_then(|r| r.title.as_deref()).map(str::to_string),
                settings: r.settings,
                threshold: r.settings.threshold(),
                settings_source: p
                    .settings
                    .get(&r.content)
                    .map_or(SettingsSource::ServerDefault, |s| s.source),
                resource: p.resource(r.content),
                peak: st.peak,
                peak_at: st.peak_at,
                p95: st.p95,
                average: st.average,
                peak_active: step_series(&r.replay.active, p.window).peak().0,
                connected: r.replay.connected,
                rejected: r.replay.rejected,
                spawned: r.replay.spawned,
                warm_idle_fraction: warm_idle_fraction(r, p.window),
                api_peak_requests_per_minute: is_api
                    .then(|| peak_per_minute(&p.data.visits, r.content)),
                app_mode: mode,
            }
        })
        .collect();
    content.sort_by(|a, b| b.peak.cmp(&a.peak).then_with(|| a.guid.cmp(&b.guid)));
    let warm: Vec<(u64, u64)> = now
        .runs
        .iter()
        .map(|r| {
            (
                u64::from(r.settings.min_processes),
                p.resource(r.content).mib,
            )
        })
        .collect();
    Estimated {
        peak: alive.peak,
        peak_at: alive.peak_at,
        average: alive.average,
        p95: alive.p95,
        rejected: now.rejected,
        connected: now.sessions - now.rejected,
        active,
        warm_processes: warm.iter().map(|(n, _)| n).sum(),
        warm_memory_gib: warm.iter().map(|(n, mib)| (n * mib) as f64).sum::<f64>() / 1024.0,
        content,
        daily: daily_processes(&now.alive, p.window, p.tz),
    }
}

/// Alive processes per calendar day of `tz`.
fn daily_processes(alive: &[Interval], window: (Micros, Micros), tz: Tz) -> Vec<DailyProcesses> {
    buckets(&step_series(alive, window), tz, BucketKind::Day)
        .into_iter()
        .map(|b| DailyProcesses {
            day: b.label,
            peak: b.peak,
            average: b.average,
        })
        .collect()
}

/// Modelled (peak, p95) of alive processes per content id.
fn estimated_by_id(p: &Prepared, now: &Run) -> BTreeMap<u32, (u32, Option<u32>)> {
    now.runs
        .iter()
        .map(|r| {
            let s = process_stats(&r.replay.alive, p.window);
            (r.content, (s.peak, s.p95))
        })
        .collect()
}

/// Per-content demand of one scenario, for the decision and the review table.
fn content_demands(p: &Prepared, r: &Run) -> Vec<ContentDemand> {
    r.runs
        .iter()
        .map(|run| {
            let row = p.rows.get(&run.content);
            ContentDemand {
                guid: p.data.content_ids.name(run.content).to_string(),
                title: row.and_then(|r| r.title.as_deref()).map(str::to_string),
                app_mode: row.and_then(|r| r.app_mode.as_deref()).map(str::to_string),
                peak_processes: step_series(&run.replay.alive, p.window).peak().0,
                resource: p.resource(run.content),
                min_processes: run.settings.min_processes,
                max_processes: run.settings.max_processes,
                max_conns: run.settings.max_conns_per_process,
                rejected: run.replay.rejected,
                warm_idle_fraction: warm_idle_fraction(run, p.window),
            }
        })
        .collect()
}

/// Distinct R and Python versions of content active in the window.
fn runtime_versions(p: &Prepared, norm: &Normalized) -> (Vec<String>, Vec<String>) {
    let active: BTreeSet<u32> = norm
        .sessions
        .iter()
        .map(|s| s.content)
        .chain(norm.visits.iter().map(|v| v.content))
        .collect();
    let mut r = BTreeSet::new();
    let mut py = BTreeSet::new();
    for id in active {
        if let Some(row) = p.rows.get(&id) {
            if let Some(v) = row.r_version.as_deref() {
                r.insert(v.to_string());
            }
            if let Some(v) = row.py_version.as_deref() {
                py.insert(v.to_string());
            }
        }
    }
    (r.into_iter().collect(), py.into_iter().collect())
}

/// Per-process figures per `app_mode` among items that hold processes, plus renders.
fn resource_lines(p: &Prepared, now: &Run) -> Vec<ResourceLine> {
    let mut by_mode: BTreeMap<String, Vec<Resource>> = BTreeMap::new();
    for r in &now.runs {
        let mode = p
            .rows
            .get(&r.content)
            .and_then(|row| row.app_mode.as_deref())
            .unwrap_or("unknown")
            .to_string();
        by_mode.entry(mode).or_default().push(p.resource(r.content));
    }
    let mut out: Vec<ResourceLine> = by_mode
        .into_iter()
        .map(|(mode, list)| {
            let mut counts: BTreeMap<(u64, u64), usize> = BTreeMap::new();
            for r in &list {
                *counts.entry((r.millicores, r.mib)).or_default() += 1;
            }
            let ((mc, mib), _) = counts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(k, v)| (*k, *v))
                .unwrap_or(((0, 0), 0));
            let sources: BTreeSet<&str> = list
                .iter()
                .flat_map(|r| [r.cpu_source.as_str(), r.memory_source.as_str()])
                .collect();
            ResourceLine {
                app_mode: mode,
                content: list.len() as u64,
                cpu: mc as f64 / 1000.0,
                memory_gib: mib as f64 / 1024.0,
                source: sources.into_iter().collect::<Vec<_>>().join(", "),
            }
        })
        .collect();
    if !p.renders.is_empty() {
        out.push(ResourceLine {
            app_mode: "render jobs".into(),
            content: 0,
            cpu: sizing::RENDER.millicores as f64 / 1000.0,
            memory_gib: sizing::RENDER.mib as f64 / 1024.0,
            source: sizing::RENDER.cpu_source.as_str().to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::{DAY, HOUR};
    use approx::assert_relative_eq;

    #[test]
    fn daily_processes_cover_every_day_with_peak_and_average() {
        // Window: two UTC days. Day 1: process A 00:00-12:00 and B 06:00-18:00 overlap
        // 06:00-12:00, so the peak is 2; alive time 12 h + 12 h = 24 process-hours over
        // 24 h gives an average of 1.0. Day 2: nothing alive, peak 0, average 0.
        let alive = vec![(0, 12 * HOUR), (6 * HOUR, 18 * HOUR)];
        let d = daily_processes(&alive, (0, 2 * DAY), Tz::UTC);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].day, "1970-01-01");
        assert_eq!(d[0].peak, 2);
        assert_relative_eq!(d[0].average, 1.0, epsilon = 1e-12);
        assert_eq!(d[1].day, "1970-01-02");
        assert_eq!(d[1].peak, 0);
        assert_relative_eq!(d[1].average, 0.0, epsilon = 1e-12);
    }

    #[test]
    fn daily_processes_split_a_process_across_midnight() {
        // One process 18:00 day 1 to 06:00 day 2: each day sees peak 1 and 6 h of 24 h
        // alive, an average of 0.25.
        let alive = vec![(18 * HOUR, DAY + 6 * HOUR)];
        let d = daily_processes(&alive, (0, 2 * DAY), Tz::UTC);
        assert_eq!(d.iter().map(|x| x.peak).collect::<Vec<_>>(), vec![1, 1]);
        assert_relative_eq!(d[0].average, 0.25, epsilon = 1e-12);
        assert_relative_eq!(d[1].average, 0.25, epsilon = 1e-12);
    }
}
