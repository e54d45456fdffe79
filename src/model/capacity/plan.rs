//! Processes, sizing and the architecture recommendation, put together (metrics.md
//! sections 4-5, sizing.md): the scheduler model per content item, measured processes
//! from jobs, three demand scenarios (now, projected, scaled), their sizes, and the
//! decision with its reasons.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono_tz::Tz;
use serde::Serialize;

use super::architecture::{
    decide, pros_cons, settings_to_review, ContentDemand, DecisionInput, Limits, OptionAssessment,
    Recommendation, ReviewLine,
};
use super::demand::{
    content_demands, demand, replayable, resource_lines, run, runtime_versions, Base,
    Limits as ReplayLimits, Prepared, Run,
};
use super::jobs::{self, JobClass, JobIntervals, Measured, ModelVsMeasured};
use super::processes::{
    guid_ranks, peak_per_minute, process_stats, resolve_settings, warm_idle_fraction, ProcessStats,
    SchedulerOverride, SettingsSource,
};
use super::scheduler::{Copies, Settings};
use super::sizing::{
    self, buffer, population_cv, Buffer, BufferInputs, Constants, Resource, ResourceOverride, Size,
};
use crate::error::Result;
use crate::ingest::{ContentRow, Dataset};
use crate::model::usage::buckets::{buckets, BucketKind};
use crate::model::usage::normalize::Normalized;
use crate::model::usage::sweep::{step_series, Interval, Micros};
use crate::model::usage::time::Timestamp;

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
    /// Today's server and the alert threshold (`--capacity-cores/--capacity-ram/--alert-at`).
    pub server: crate::model::over_time::trend::ServerCapacity,
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
    /// jobs (or a modelled peak of 0).
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
    /// Session multiplier K replayed.
    pub k: f64,
    /// For `projected`: months ahead.
    pub horizon_months: Option<f64>,
    /// For `projected`: fitted growth rate per month used.
    pub rate_per_month: Option<f64>,
    /// Sessions replayed.
    pub sessions: u64,
    /// Sessions today's `max_processes x max_conns_per_process` would turn away; the size
    /// below serves them all (`max_processes` lifted).
    pub rejected: u64,
    /// Peak concurrent sessions.
    pub peak_sessions: u32,
    /// Peak alive processes before calibration (limits lifted).
    pub modelled_peak_processes: u32,
    /// Design processes relative to now (1 for now): below `k` where apps share processes.
    pub processes_vs_now: Option<f64>,
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
}

/// Figures the report has already swept from the same sessions over the same window,
/// handed over so that the capacity model does not sweep every session again for them.
#[derive(Debug, Clone, Default)]
pub struct Swept {
    /// Monthly growth rate of the p95 concurrent sessions, when fitted.
    pub growth_rate: Option<f64>,
    /// Peak concurrent sessions of the window.
    pub peak_sessions: u32,
    /// Peak concurrent sessions of each full week (reporting zone), in order.
    pub full_week_peaks: Vec<f64>,
    /// Peak concurrent sessions per content id (items with sessions).
    pub content_peaks: HashMap<u32, u32>,
}

/// Computes processes, sizes and the recommendation.
pub fn capacity(
    data: &Dataset,
    norm: &Normalized,
    window: (Micros, Micros),
    tz: Tz,
    opts: &CapacityOptions,
    swept: &Swept,
    open_cap: Option<Micros>,
) -> Result<CapacityReport> {
    let growth_rate = swept.growth_rate;
    let nodes = opts.nodes.max(1);
    let rows: HashMap<u32, &ContentRow> = data.content.iter().map(|c| (c.content, c)).collect();
    let modes: HashMap<u32, Option<&str>> = rows
        .iter()
        .map(|(id, r)| (*id, r.app_mode.as_deref()))
        .collect();
    let holds = move |id: u32| sizing::holds_processes(modes.get(&id).copied().flatten());
    let settings = resolve_settings(data, &opts.defaults, &opts.overrides, nodes, &holds)?;
    let content_rank = guid_ranks(&data.content_ids);
    let mut rank_to_id = vec![0; content_rank.len()];
    for (id, r) in content_rank.iter().enumerate() {
        rank_to_id[*r as usize] = id as u32;
    }
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
    let api_jobs: BTreeMap<u32, Vec<Interval>> = job_iv
        .as_ref()
        .map(jobs::interactive_by_content)
        .unwrap_or_default()
        .into_iter()
        .filter(|(id, _)| sizing::is_api(rows.get(id).and_then(|r| r.app_mode.as_deref())))
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
        base: Base::from_sessions(&norm.sessions, &content_rank, window)
            .knowing_peak(swept.peak_sessions),
        renders,
        api_jobs,
    };
    let mut notes = Vec::new();

    // What the server does with today's settings.
    let now = run(&p, 1.0, &p.settings, ReplayLimits::Current);
    let estimated = estimated(&p, &now);
    let (measured, model_vs_measured) = match &job_iv {
        Some(j) => {
            let m = jobs::measured(j, window, tz);
            // Calibrate against the settings in force during the window: per-content
            // overrides (what-if settings) are left out.
            let base_run;
            let calib_run = if opts.overrides.is_empty() {
                &now
            } else {
                let plain =
                    resolve_settings(data, &opts.defaults, &BTreeMap::new(), nodes, &holds)?;
                base_run = run(&p, 1.0, &plain, ReplayLimits::Current);
                &base_run
            };
            let per_content = peaks_by_id(&p, calib_run);
            let overall = process_stats(&calib_run.alive, window);
            let cmp = jobs::compare((overall.peak, overall.p95), &per_content, j, window, |id| {
                data.content_ids.name(id).to_string()
            });
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
        .filter(|c| c.overall.measured_peak > 0 && c.overall.modelled_peak > 0)
        .and_then(|c| c.calibration_factor);
    if let Some(c) = &model_vs_measured {
        if calibration.is_none() {
            notes.push(format!(
                "not calibrated: the jobs show {} interactive processes at peak and the model {}; \
                 a factor needs both above 0 (jobs from another period, or no Shiny usage export?)",
                c.overall.measured_peak, c.overall.modelled_peak
            ));
        }
    }

    let weekly_cv = population_cv(&swept.full_week_peaks);
    let buf = buffer(
        &BufferInputs {
            growth_rate_per_month: growth_rate,
            weekly_peak_cv: weekly_cv,
            uptime: opts.limits.uptime,
        },
        &opts.constants,
    );
    let peaks = &swept.content_peaks;
    let (r_versions, py_versions) = runtime_versions(&p, norm);
    let decision_for = |size: &Size,
                        content: &[ContentDemand],
                        size_growth: Option<(f64, f64)>|
     -> (Recommendation, Vec<OptionAssessment>) {
        let input = DecisionInput {
            size,
            limits: &opts.limits,
            constants: &opts.constants,
            content,
            growth_rate_per_month: growth_rate,
            size_growth_per_month: size_growth,
            r_versions: &r_versions,
            py_versions: &py_versions,
        };
        let d = decide(&input);
        let o = pros_cons(&input, &d);
        (d, o)
    };
    let f = calibration.unwrap_or(1.0);
    let now_lifted = run(&p, 1.0, &p.settings, ReplayLimits::Lifted);
    let now_design = demand(&p, &now_lifted, 1.0).design_processes;
    // One scenario: rejections under today's limits, the size with them lifted, the node
    // shape from that scenario's decision.
    let scenario = |name: &str,
                    k: f64,
                    rate: Option<f64>|
     -> (
        Scenario,
        Recommendation,
        Vec<ContentDemand>,
        Vec<ContentDemand>,
    ) {
        let (current, lifted) = if k == 1.0 {
            (None, None)
        } else {
            // Both replays share the scenario's session peak: sweep it once, then run
            // them side by side (the busiest item's replay keeps one core busy alone).
            p.base.peak(Copies::of_k(k));
            let (current, lifted) = rayon::join(
                || run(&p, k, &p.settings, ReplayLimits::Current),
                || run(&p, k, &p.settings, ReplayLimits::Lifted),
            );
            (Some(current), Some(lifted))
        };
        let current = current.as_ref().unwrap_or(&now);
        let lifted = lifted.as_ref().unwrap_or(&now_lifted);
        let raw = demand(&p, lifted, 1.0);
        let d = demand(&p, lifted, f);
        let mut size = sizing::size(&d, &buf, &opts.constants);
        let content = content_demands(&p, lifted, peaks);
        let (decision, _) = decision_for(&size, &content, None);
        size.node = decision.node;
        let s = Scenario {
            name: name.into(),
            k,
            horizon_months: rate.map(|_| opts.horizon_months),
            rate_per_month: rate,
            sessions: current.sessions,
            rejected: current.rejected,
            peak_sessions: current.peak_sessions,
            modelled_peak_processes: step_series(&lifted.alive, window).peak().0,
            processes_vs_now: (now_design > 0.0).then(|| raw.design_processes / now_design),
            size,
        };
        (s, decision, content_demands(&p, current, peaks), content)
    };
    let (now_s, _, demands_now, lifted_now) = scenario("now", 1.0, None);
    let projected = match growth_rate {
        Some(r) => {
            let k = (1.0 + r).powf(opts.horizon_months);
            if replayable(&p, k) {
                Some(scenario("projected", k, Some(r)).0)
            } else {
                notes.push(format!(
                    "projected: not available; {} growth a month over {} months multiplies \
                     sessions by {}, beyond what the model replays (50 million sessions)",
                    crate::format::percent(r, 1),
                    opts.horizon_months,
                    crate::format::fixed(k, 0)
                ));
                None
            }
        }
        None => {
            notes.push("projected: not available without a growth fit (3 full months)".into());
            None
        }
    };
    let (scaled, scaled_decision) = if replayable(&p, opts.scale) {
        let (s, d, _, _) = scenario("scaled", opts.scale, None);
        (Some(s), Some(d))
    } else {
        notes.push(format!(
            "scaled: not available; {} x {} sessions is beyond what the model replays (50 million)",
            opts.scale,
            crate::format::count(p.base.len())
        ));
        (None, None)
    };
    // When the size outgrows a max node follows the replayed growth of the size (cores
    // and RAM from now to the projection), not the sessions': processes grow slower
    // where apps share them.
    let size_growth = projected.as_ref().and_then(|pr| {
        let h = pr.horizon_months.filter(|h| *h > 0.0)?;
        let rate = |a: u64, b: u64| (b as f64 / a.max(1) as f64).powf(1.0 / h) - 1.0;
        Some((
            rate(now_s.size.cores, pr.size.cores),
            rate(now_s.size.ram_gib, pr.size.ram_gib),
        ))
    });
    let (decision, options) = decision_for(&now_s.size, &lifted_now, size_growth);
    let review = settings_to_review(&demands_now, &opts.constants);
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
            scaled,
            notes,
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

/// Server-wide and per-content estimated processes of the window.
fn estimated(p: &Prepared, now: &Run) -> Estimated {
    let alive = process_stats(&now.alive, p.window);
    let active = process_stats(&now.active, p.window);
    let nodes = p.opts.nodes.max(1);
    let mut content: Vec<ContentProcesses> = now
        .runs
        .iter()
        .map(|r| {
            let row = p.rows.get(&r.content);
            let st = process_stats(&r.replay.alive, p.window);
            let mode = p.app_mode(r.content).map(str::to_string);
            let is_api = sizing::is_api(mode.as_deref());
            let resolved = p.settings.get(&r.content);
            let per_node = resolved.map_or(p.opts.defaults, |s| s.per_node);
            ContentProcesses {
                guid: p.data.content_ids.name(r.content).to_string(),
                title: row.and_then(|r| r.title.as_deref()).map(str::to_string),
                settings: per_node,
                nodes,
                threshold: per_node.threshold(),
                settings_source: resolved.map_or(SettingsSource::ServerDefault, |s| s.source),
                resource: p.resource(r.content),
                peak: st.peak,
                peak_at: st.peak_at,
                p95: st.p95,
                average: st.average,
                peak_active: step_series(&r.replay.active, p.window).peak().0,
                connected: r.replay.connected,
                rejected: r.replay.rejected,
                spawned: r.replay.spawned,
                warm_idle_fraction: if is_api {
                    None
                } else {
                    warm_idle_fraction(r, p.window)
                },
                api_peak_requests_per_minute: is_api
                    .then(|| peak_per_minute(&p.data.visits, r.content)),
                app_mode: mode,
            }
        })
        .collect();
    let key = p.data.content_ids.order_key();
    content.sort_by(|a, b| {
        b.peak
            .cmp(&a.peak)
            .then_with(|| key(&a.guid).cmp(&key(&b.guid)))
    });
    let warm: Vec<(u64, u64)> = now
        .runs
        .iter()
        .filter(|r| !p.api_jobs.contains_key(&r.content))
        .map(|r| {
            (
                u64::from(r.settings.min_processes),
                p.resource(r.content).mib,
            )
        })
        .collect();
    let mut on_demand: BTreeSet<u32> = p
        .rows
        .values()
        .filter(|r| sizing::holds_processes(r.app_mode.as_deref()))
        .map(|r| r.content)
        .collect();
    on_demand.extend(now.runs.iter().map(|r| r.content));
    Estimated {
        peak: alive.peak,
        peak_at: alive.peak_at,
        average: alive.average,
        p95: alive.p95,
        rejected: now.rejected,
        connected: now.runs.iter().map(|r| r.replay.connected).sum(),
        active,
        warm_processes: warm.iter().map(|(n, _)| n).sum(),
        on_demand_items: on_demand.len() as u64,
        apis_from_jobs: p.api_jobs.len() as u64,
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
fn peaks_by_id(p: &Prepared, run: &Run) -> BTreeMap<u32, (u32, Option<u32>)> {
    run.runs
        .iter()
        .map(|r| {
            let s = process_stats(&r.replay.alive, p.window);
            (r.content, (s.peak, s.p95))
        })
        .collect()
}
