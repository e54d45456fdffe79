//! Processes, sizing and the architecture recommendation, put together (docs/metrics.md
//! sections 4-5, docs/sizing.md): the scheduler model per content item, measured processes
//! from jobs, three demand scenarios (now, projected, scaled), their sizes, and the
//! decision with its reasons.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono_tz::Tz;
use serde::Serialize;

use super::architecture::{
    decide, pros_cons, settings_to_review, ContentDemand, DecisionInput, Limits, OptionAssessment,
    Recommendation,
};
use super::demand::{
    content_demands, demand, replay_scenario, replayable, resource_lines, runtime_versions,
    ReplayLimits, ReplaySessions, ScenarioInputs, ScenarioReplay,
};
use super::jobs::{self, JobClass, JobIntervals, ModelVsMeasured};
use super::measured::{self, Measurements};
use super::processes::{
    guid_ranks, peak_per_minute, process_stats, resolve_settings, warm_idle_fraction,
    SettingsSource,
};
use super::resources::{footprint_lines, modelled_items, parallel_reason, size_items};
use super::scheduler::{Copies, Settings};
use super::sizing::{self, buffer, population_cv, Buffer, BufferInputs, Constants, Size};
use crate::error::Result;
use crate::ingest::{ContentRow, Dataset};
use crate::model::usage::buckets::{buckets, BucketKind};
use crate::model::usage::normalize::Normalized;
use crate::model::usage::sweep::{step_series, Interval, Micros};
use crate::model::wire::capacity::*;
use crate::settings::ProcessSettings;

/// Which peak the sizes are designed for (`--design-peak`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesignPeak {
    /// The absolute peak of the window.
    #[default]
    Max,
    /// The 95th percentile of daily peaks.
    DailyP95,
}

/// Capacity options (flags and config file, resolved). Serialised for the options
/// fingerprint.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CapacityOptions {
    /// Server default scheduler settings.
    pub defaults: Settings,
    /// Per-content settings from the config file and `--content-setting`, by GUID.
    pub content: BTreeMap<String, ProcessSettings>,
    /// Server-wide per-process resources (`[scheduler] cpu_cores`, `memory_gib`).
    pub server_resources: ProcessSettings,
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
    /// Today's server and the alert threshold (`--capacity-cores/--capacity-ram/--alert-at`);
    /// it does not shape the figures, so the fingerprint leaves it out.
    #[serde(skip)]
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

/// Why a report without usage has no estimated processes, calibration or rejected
/// sessions, stated in every format (docs/sizing.md 1).
pub const JOBS_ONLY_NOTE: &str = "No usage export: demand is the measured processes from \
the jobs export; the scheduler model was not run, so there are no estimated processes, no \
calibration factor and no rejected sessions, and the projected and scaled scenarios multiply \
the measured processes by their K";

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

/// Computes processes, sizes and the recommendation in four named steps: prepare the
/// replay inputs, calibrate the model against measured jobs, replay the scenarios, decide.
pub fn capacity(
    data: &Dataset,
    norm: &Normalized,
    window: (Micros, Micros),
    tz: Tz,
    opts: &CapacityOptions,
    swept: &Swept,
    open_cap: Option<Micros>,
) -> Result<CapacityReport> {
    let job_iv: Option<JobIntervals> =
        (!data.jobs.is_empty()).then(|| jobs::job_intervals(&data.jobs, window, open_cap));
    let m = Measurements::of(data, window, &opts.constants);
    let mut p = prepare(data, norm, window, tz, opts, swept, job_iv.as_ref())?;
    size_items(&mut p, &m);
    let mut notes = Vec::new();
    // What the server does with today's settings.
    let now = replay_scenario(&p, 1.0, &p.settings, ReplayLimits::Current);
    let cal = calibrate(&p, &now, job_iv.as_ref(), &mut notes)?;
    let planner = Planner::new(&p, norm, swept, &now, cal.factor);
    let sc = planner.scenarios(swept.growth_rate, &mut notes);
    let (mut decision, options) =
        planner.decide(&sc.now.scenario.size, &sc.now.lifted, sc.size_growth());
    let interactive_jobs = cal
        .measured
        .as_ref()
        .map_or(0, |m| m.detail.interactive.jobs);
    let evidence = Evidence {
        days: (window.1 - window.0) as f64 / crate::model::usage::time::DAY as f64,
        sessions: norm.counts.count,
        interactive_jobs,
    };
    if let Some(text) = evidence.insufficient(&opts.constants) {
        decision.reasons.insert(0, text.clone());
        decision.insufficient_data = Some(text);
    }
    let mut review = settings_to_review(&sc.now.current, &opts.constants);
    review.extend(measured::review(data, &m));
    let storage = decision.storage_and_database.clone();
    let factor = cal.factor.unwrap_or(1.0);
    // Without usage there is no model to check against the samples.
    let footprint_check = (!p.jobs_only)
        .then(|| m.check(&modelled_items(&p, &now, factor), &opts.constants))
        .flatten();
    let footprints = footprint_lines(&p, &now, &m);
    decision.reasons.extend(parallel_reason(&footprints));
    if let Some(d) = &sc.now.scenario.daily_p95 {
        decision
            .reasons
            .push(d.reason(opts.design_peak, opts.constants.rare_peak_share));
    }
    Ok(CapacityReport {
        processes: Processes {
            model: if p.jobs_only {
                JOBS_ONLY_NOTE
            } else {
                MODEL_NOTE
            }
            .to_string(),
            estimated: (!p.jobs_only).then(|| estimated(&p, &now)),
            measured: cal.measured,
            model_vs_measured: cal.model_vs_measured,
        },
        sizing: Sizing {
            constants: opts.constants.clone(),
            design_peak: opts.design_peak,
            buffer_terms: planner.buffer,
            weekly_peak_cv: planner.weekly_cv,
            calibration_factor: cal.factor,
            resources: resource_lines(&p, &now),
            now: sc.now.scenario,
            projected: sc.projected,
            scaled: sc.scaled.as_ref().map(|s| s.scenario.clone()),
            notes,
            storage_and_database: storage,
        },
        recommendation: RecommendationSection {
            decision,
            options,
            scaled: sc.scaled.map(|s| s.decision),
            settings_to_review: review,
        },
        footprints,
        footprint_check,
        job_metrics: m.any().then(|| m.counts.clone()),
        footprint_problems: m.problems(data),
    })
}

/// What the data holds to size from.
struct Evidence {
    /// Window length in days.
    days: f64,
    /// Sessions analysed.
    sessions: u64,
    /// Measured on-host interactive jobs in the window.
    interactive_jobs: u64,
}

impl Evidence {
    /// Why the data cannot support a size yet, and what to export; `None` when it can
    /// (docs/sizing.md section 3: `min_window_days`, `min_sessions_and_jobs`).
    fn insufficient(&self, k: &Constants) -> Option<String> {
        let mut why = Vec::new();
        if self.days < k.min_window_days {
            why.push(format!(
                "the window is {} long (under {})",
                crate::format::days(self.days, 2),
                crate::format::short(k.min_window_days, 2)
            ));
        }
        let seen = self.sessions.saturating_add(self.interactive_jobs);
        if seen < k.min_sessions_and_jobs {
            why.push(format!(
                "it holds {} and {} ({} together, under {})",
                crate::format::counted(self.sessions, "session", "sessions"),
                crate::format::counted(
                    self.interactive_jobs,
                    "measured interactive job",
                    "measured interactive jobs"
                ),
                crate::format::count(seen),
                crate::format::count(k.min_sessions_and_jobs)
            ));
        }
        if why.is_empty() {
            return None;
        }
        Some(format!(
            "The data cannot support a size yet: {}. The size below only replays these rows. \
             Export at least {} days of Shiny usage (connectapi get_usage_shiny(limit = Inf), \
             or connect-capacity fetch) and the jobs (connectapi get_jobs(), or \
             connect-capacity fetch), then analyse again.",
            why.join(", and "),
            crate::format::short(k.min_window_days, 2)
        ))
    }
}

/// Step 1: every replay's inputs, gathered once: settings and resources per item, the
/// sessions by content, and the measured render and API jobs.
fn prepare<'a>(
    data: &'a Dataset,
    norm: &Normalized,
    window: (Micros, Micros),
    tz: Tz,
    opts: &'a CapacityOptions,
    swept: &Swept,
    job_iv: Option<&JobIntervals>,
) -> Result<ScenarioInputs<'a>> {
    let rows: HashMap<u32, &ContentRow> = data.content.iter().map(|c| (c.content, c)).collect();
    let mode = |id: u32| rows.get(&id).and_then(|r| r.app_mode.as_deref());
    let holds = |id: u32| data.holds_processes(id, mode(id));
    let settings = resolve_settings(
        data,
        &opts.defaults,
        &opts.content,
        opts.nodes.max(1),
        &holds,
    )?;
    let content_rank = guid_ranks(&data.content_ids);
    let mut rank_to_id = vec![0; content_rank.len()];
    for (id, r) in content_rank.iter().enumerate() {
        rank_to_id[*r as usize] = id as u32;
    }
    let renders: Vec<Interval> = job_iv
        .iter()
        .flat_map(|j| j.on_host.iter())
        .filter(|j| j.class == JobClass::Render)
        .map(|j| (j.start, j.end))
        .collect();
    let measured_jobs: BTreeMap<u32, Vec<Interval>> = job_iv
        .map(jobs::interactive_by_content)
        .unwrap_or_default()
        .into_iter()
        .filter(|(id, _)| norm.jobs_only || sizing::is_api(mode(*id)))
        .collect();
    Ok(ScenarioInputs {
        data,
        window,
        tz,
        opts,
        settings,
        rows,
        rank_to_id,
        sessions: ReplaySessions::from_sessions(&norm.sessions, &content_rank, window)
            .knowing_peak(swept.peak_sessions),
        renders,
        measured_jobs,
        jobs_only: norm.jobs_only,
        resources: HashMap::new(),
        memory_max: HashMap::new(),
    })
}

/// What the jobs say of the model: measured processes, the comparison, and the factor
/// that scales modelled processes to measured ones (when both peaks are above 0).
struct Calibration {
    measured: Option<MeasuredProcesses>,
    model_vs_measured: Option<ModelVsMeasured>,
    factor: Option<f64>,
}

/// Step 2: compare the model with the measured jobs, against the settings in force during
/// the window (per-content overrides are what-if settings, so they are left out).
fn calibrate(
    p: &ScenarioInputs,
    now: &ScenarioReplay,
    job_iv: Option<&JobIntervals>,
    notes: &mut Vec<String>,
) -> Result<Calibration> {
    let Some(j) = job_iv else {
        return Ok(Calibration {
            measured: None,
            model_vs_measured: None,
            factor: None,
        });
    };
    let m = jobs::measured(j, p.window, p.tz);
    let measured = MeasuredProcesses {
        peak: m.interactive.peak,
        peak_at: m.interactive.peak_at,
        average: m.interactive.average,
        p95: m.interactive.p95,
        detail: m,
    };
    if p.jobs_only {
        notes.push(JOBS_ONLY_NOTE.to_string());
        return Ok(Calibration {
            measured: Some(measured),
            model_vs_measured: None,
            factor: None,
        });
    }
    let plain_run;
    // Before the settings were merged by layer this asked whether any per-content entry
    // existed; an entry that sets no scheduler field (resources only, or nothing) resolves
    // every item to the settings without it, so `now` is that replay already: same
    // figures, one replay fewer.
    let calib_run = if p.opts.content.values().any(ProcessSettings::has_scheduler) {
        let nodes = p.opts.nodes.max(1);
        let holds = |id: u32| p.holds(id);
        let plain = resolve_settings(p.data, &p.opts.defaults, &BTreeMap::new(), nodes, &holds)?;
        plain_run = replay_scenario(p, 1.0, &plain, ReplayLimits::Current);
        &plain_run
    } else {
        now
    };
    let per_content = peaks_by_id(p, calib_run);
    let overall = process_stats(&calib_run.alive(), p.window);
    let cmp = jobs::compare(
        (overall.peak, overall.p95),
        &per_content,
        j,
        p.window,
        |id| p.data.content_ids.name(id).to_string(),
    );
    let factor = Some(&cmp)
        .filter(|c| c.overall.measured_peak > 0 && c.overall.modelled_peak > 0)
        .and_then(|c| c.calibration_factor);
    if factor.is_none() {
        notes.push(format!(
            "not calibrated: the jobs show {} interactive processes at peak and the model {}; \
             a factor needs both above 0 (jobs from another period, or no Shiny usage export?)",
            cmp.overall.measured_peak, cmp.overall.modelled_peak
        ));
    }
    Ok(Calibration {
        measured: Some(measured),
        model_vs_measured: Some(cmp),
        factor,
    })
}

/// One scenario replayed and decided.
struct ScenarioOutcome {
    scenario: Scenario,
    decision: Recommendation,
    /// Per-content demand under today's process limits.
    current: Vec<ContentDemand>,
    /// Per-content demand with `max_processes` lifted (what a size must serve).
    lifted: Vec<ContentDemand>,
}

/// The scenarios of a report.
struct Scenarios {
    now: ScenarioOutcome,
    projected: Option<Scenario>,
    scaled: Option<ScenarioOutcome>,
}

impl Scenarios {
    /// Monthly growth of cores and RAM from now to the projection: when the size outgrows
    /// a max node follows the replayed size, not the sessions (processes grow slower where
    /// apps share them).
    fn size_growth(&self) -> Option<(f64, f64)> {
        let pr = self.projected.as_ref()?;
        let h = pr.horizon_months.filter(|h| *h > 0.0)?;
        let rate = |a: u64, b: u64| (b as f64 / a.max(1) as f64).powf(1.0 / h) - 1.0;
        let now = &self.now.scenario.size;
        Some((
            rate(now.cores, pr.size.cores),
            rate(now.ram_gib, pr.size.ram_gib),
        ))
    }
}

/// Steps 3 and 4: what every scenario shares (the buffer, the calibration, today's
/// replays) and the decision rules applied to a size.
struct Planner<'a> {
    p: &'a ScenarioInputs<'a>,
    buffer: Buffer,
    weekly_cv: Option<f64>,
    factor: f64,
    now: &'a ScenarioReplay,
    now_lifted: ScenarioReplay,
    now_design: f64,
    peaks: &'a HashMap<u32, u32>,
    growth_rate: Option<f64>,
    r_versions: Vec<String>,
    py_versions: Vec<String>,
}

impl<'a> Planner<'a> {
    fn new(
        p: &'a ScenarioInputs<'a>,
        norm: &Normalized,
        swept: &'a Swept,
        now: &'a ScenarioReplay,
        factor: Option<f64>,
    ) -> Self {
        let opts = p.opts;
        let weekly_cv = population_cv(&swept.full_week_peaks);
        let buffer = buffer(
            &BufferInputs {
                growth_rate_per_month: swept.growth_rate,
                weekly_peak_cv: weekly_cv,
                uptime: opts.limits.uptime,
            },
            &opts.constants,
        );
        let now_lifted = replay_scenario(p, 1.0, &p.settings, ReplayLimits::Lifted);
        let now_design = demand(p, &now_lifted, 1.0).design_processes;
        let (r_versions, py_versions) = runtime_versions(p, norm);
        Planner {
            p,
            buffer,
            weekly_cv,
            factor: factor.unwrap_or(1.0),
            now,
            now_lifted,
            now_design,
            peaks: &swept.content_peaks,
            growth_rate: swept.growth_rate,
            r_versions,
            py_versions,
        }
    }

    /// The decision for a size and its content, with the pros and cons of each option.
    fn decide(
        &self,
        size: &Size,
        content: &[ContentDemand],
        size_growth: Option<(f64, f64)>,
    ) -> (Recommendation, Vec<OptionAssessment>) {
        let input = DecisionInput {
            size,
            limits: &self.p.opts.limits,
            constants: &self.p.opts.constants,
            content,
            growth_rate_per_month: self.growth_rate,
            size_growth_per_month: size_growth,
            r_versions: &self.r_versions,
            py_versions: &self.py_versions,
        };
        let d = decide(&input);
        let o = pros_cons(&input, &d);
        (d, o)
    }

    /// Step 3: now, projected (with a growth fit) and scaled, each where replayable.
    fn scenarios(&self, growth_rate: Option<f64>, notes: &mut Vec<String>) -> Scenarios {
        let opts = self.p.opts;
        let now = self.scenario("now", 1.0, None);
        let projected = match growth_rate {
            Some(r) => {
                let k = (1.0 + r).powf(opts.horizon_months);
                if replayable(self.p, k) {
                    Some(self.scenario("projected", k, Some(r)).scenario)
                } else {
                    notes.push(format!(
                        "projected: not available; {} growth a month over {} months \
                         multiplies sessions by {}, beyond what the model replays (50 \
                         million sessions)",
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
        let scaled = if replayable(self.p, opts.scale) {
            Some(self.scenario("scaled", opts.scale, None))
        } else {
            notes.push(format!(
                "scaled: not available; {} x {} sessions is beyond what the model replays (50 \
                 million)",
                opts.scale,
                crate::format::count(self.p.sessions.len())
            ));
            None
        };
        Scenarios {
            now,
            projected,
            scaled,
        }
    }

    /// One scenario: rejections under today's limits, the size with them lifted, the node
    /// shape from that scenario's decision.
    fn scenario(&self, name: &str, k: f64, rate: Option<f64>) -> ScenarioOutcome {
        let p = self.p;
        // Without usage nothing is replayed: every scenario weighs the measured processes
        // by its K instead.
        let (current, lifted) = if k == 1.0 || p.jobs_only {
            (None, None)
        } else {
            // Both replays share the scenario's session peak: sweep it once, then run
            // them side by side (the busiest item's replay keeps one core busy alone).
            p.sessions.peak(Copies::of_k(k));
            let (current, lifted) = rayon::join(
                || replay_scenario(p, k, &p.settings, ReplayLimits::Current),
                || replay_scenario(p, k, &p.settings, ReplayLimits::Lifted),
            );
            (Some(current), Some(lifted))
        };
        let current = current.as_ref().unwrap_or(self.now);
        let lifted = lifted.as_ref().unwrap_or(&self.now_lifted);
        let weight = if p.jobs_only { k } else { 1.0 };
        let raw = demand(p, lifted, weight);
        let d = demand(p, lifted, self.factor * weight);
        let mut size = sizing::size(&d, &self.buffer, &p.opts.constants);
        let mut lifted_demands = content_demands(p, lifted, self.peaks);
        if p.jobs_only {
            for c in &mut lifted_demands {
                c.peak_processes = (f64::from(c.peak_processes) * k).ceil() as u32;
            }
        }
        let (decision, _) = self.decide(&size, &lifted_demands, None);
        size.node = decision.node;
        let now_design = self.now_design;
        let replayed = !p.jobs_only;
        let scenario = Scenario {
            name: name.into(),
            k,
            horizon_months: rate.map(|_| p.opts.horizon_months),
            rate_per_month: rate,
            sessions: replayed.then_some(current.sessions),
            rejected: replayed.then_some(current.rejected),
            peak_sessions: replayed.then_some(current.peak_sessions),
            modelled_peak_processes: replayed
                .then(|| step_series(&lifted.alive(), p.window).peak().0),
            processes_vs_now: (now_design > 0.0).then(|| raw.design_processes / now_design),
            daily_p95: super::rare_peaks::daily_p95(p, lifted, self.factor * weight, &self.buffer),
            size,
        };
        ScenarioOutcome {
            scenario,
            decision,
            current: content_demands(p, current, self.peaks),
            lifted: lifted_demands,
        }
    }
}

/// Server-wide and per-content estimated processes of the window.
fn estimated(p: &ScenarioInputs, now: &ScenarioReplay) -> Estimated {
    let alive = process_stats(&now.alive(), p.window);
    let active = process_stats(&now.active(), p.window);
    let nodes = p.opts.nodes.max(1);
    let mut content: Vec<ContentProcesses> = now
        .items
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
        .items
        .iter()
        .filter(|r| !p.measured_jobs.contains_key(&r.content))
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
        .filter(|r| p.holds(r.content))
        .map(|r| r.content)
        .collect();
    on_demand.extend(now.items.iter().map(|r| r.content));
    Estimated {
        peak: alive.peak,
        peak_at: alive.peak_at,
        average: alive.average,
        p95: alive.p95,
        rejected: now.rejected,
        connected: now.items.iter().map(|r| r.replay.connected).sum(),
        active,
        warm_processes: warm.iter().map(|(n, _)| n).sum(),
        on_demand_items: on_demand.len() as u64,
        apis_from_jobs: p.measured_jobs.len() as u64,
        warm_memory_gib: warm.iter().map(|(n, mib)| (n * mib) as f64).sum::<f64>() / 1024.0,
        content,
        daily: daily_processes(&now.alive(), p.window, p.tz),
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
fn peaks_by_id(p: &ScenarioInputs, run: &ScenarioReplay) -> BTreeMap<u32, (u32, Option<u32>)> {
    run.items
        .iter()
        .map(|r| {
            let s = process_stats(&r.replay.alive, p.window);
            (r.content, (s.peak, s.p95))
        })
        .collect()
}
