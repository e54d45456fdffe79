//! Scenario replays and their demand (sizing.md sections 1 and 4): the window's sessions
//! replayed K times through the scheduler model, with today's limits (to count who would
//! be turned away) or with `max_processes` lifted (to size for everyone served), plus the
//! measured render jobs and, for APIs, their measured processes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono_tz::Tz;

use super::architecture::ContentDemand;
use super::capacity::{CapacityOptions, DesignPeak, ResourceLine};
use super::normalize::Normalized;
use super::percentile::quantile_type7;
use super::processes::{run_all, warm_idle_fraction, ItemRun, Resolved};
use super::scheduler::{scale, weighted_series, Conn, Replay};
use super::sizing::{self, Demand, Resource};
use super::sweep::{step_series, Interval, Micros};
use crate::ingest::{ContentRow, Dataset};

/// Most sessions a scenario replays; beyond it the scenario is reported as not available
/// (a projection of extreme growth would otherwise need memory without bound).
pub const MAX_REPLAYED_SESSIONS: u64 = 50_000_000;

/// Fixed-point scale of the calibration factor in weighted sums.
const FIXED: u64 = 1_000_000;

/// Which process limits a replay uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limits {
    /// Each item's `max_processes` as configured: shows who would be turned away.
    Current,
    /// `max_processes` lifted: every session is served, as a size must allow.
    Lifted,
}

/// Inputs shared by every scenario.
pub struct Prepared<'a> {
    pub data: &'a Dataset,
    pub window: (Micros, Micros),
    pub tz: Tz,
    pub opts: &'a CapacityOptions,
    /// Settings in force, overrides included.
    pub settings: HashMap<u32, Resolved>,
    pub rows: HashMap<u32, &'a ContentRow>,
    pub resources: HashMap<u32, Resource>,
    /// Content id per canonical content key (GUID rank).
    pub rank_to_id: Vec<u32>,
    /// Scheduler input of the window, keyed by content rank.
    pub base: Vec<(u32, Conn)>,
    /// Measured on-host render jobs; empty without jobs.
    pub renders: Vec<Interval>,
    /// Measured on-host interactive jobs of APIs, by content id: an API records requests,
    /// not sessions, so with jobs its processes are the measured ones.
    pub api_jobs: BTreeMap<u32, Vec<Interval>>,
}

impl Prepared<'_> {
    /// Whether an item runs processes on demand.
    pub fn holds(&self, id: u32) -> bool {
        sizing::holds_processes(self.app_mode(id))
    }

    /// The item's `app_mode`, when a content export gave one.
    pub fn app_mode(&self, id: u32) -> Option<&str> {
        self.rows.get(&id).and_then(|r| r.app_mode.as_deref())
    }

    /// CPU and memory per process of an item.
    pub fn resource(&self, id: u32) -> Resource {
        self.resources
            .get(&id)
            .copied()
            .unwrap_or_else(|| sizing::default_resource(None))
    }
}

/// One scenario's replay and demand.
pub struct Run {
    /// Per item.
    pub runs: Vec<ItemRun>,
    /// Sessions replayed (empty ones included).
    pub sessions: u64,
    /// Sessions turned away.
    pub rejected: u64,
    /// Peak concurrent sessions of the replayed set.
    pub peak_sessions: u32,
    /// Every process lifetime.
    pub alive: Vec<Interval>,
    /// Every stretch a process served a connection.
    pub active: Vec<Interval>,
}

/// The session multiplier's replay size, or `None` when it exceeds
/// [`MAX_REPLAYED_SESSIONS`].
pub fn replayable(p: &Prepared, k: f64) -> bool {
    k.is_finite() && k >= 0.0 && (p.base.len() as f64 * k) <= MAX_REPLAYED_SESSIONS as f64
}

/// Replays the window's sessions `k` times with `limits`.
pub fn run(p: &Prepared, k: f64, settings: &HashMap<u32, Resolved>, limits: Limits) -> Run {
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
    let lifted;
    let used = match limits {
        Limits::Current => settings,
        Limits::Lifted => {
            lifted = settings
                .iter()
                .map(|(id, r)| {
                    let mut r = *r;
                    r.effective.max_processes = u32::MAX;
                    (*id, r)
                })
                .collect::<HashMap<_, _>>();
            &lifted
        }
    };
    let mut defaults = p.opts.defaults.per_nodes(p.opts.nodes.max(1));
    if limits == Limits::Lifted {
        defaults.max_processes = u32::MAX;
    }
    let mut runs = run_all(
        &by_id,
        used,
        &defaults,
        1,
        |id| p.holds(id) && !p.api_jobs.contains_key(&id),
        p.window,
    );
    for (id, jobs) in &p.api_jobs {
        let s = used.get(id).map_or(defaults, |r| r.effective);
        runs.push(ItemRun {
            content: *id,
            settings: s,
            replay: Replay {
                alive: jobs.clone(),
                active: jobs.clone(),
                spawned: jobs.len() as u64,
                ..Replay::default()
            },
        });
    }
    runs.sort_by_key(|r| r.content);
    let mut alive = Vec::new();
    let mut active = Vec::new();
    let mut rejected = 0;
    for r in &runs {
        rejected += r.replay.rejected;
        alive.extend_from_slice(&r.replay.alive);
        active.extend_from_slice(&r.replay.active);
    }
    Run {
        runs,
        sessions: by_id.len() as u64,
        rejected,
        peak_sessions,
        alive,
        active,
    }
}

/// The demand of a replay: design processes, serving processes, cores and memory, each
/// the peak (or daily p95) of a time-aligned sum in which modelled processes count
/// `factor` times and measured render jobs once.
pub fn demand(p: &Prepared, r: &Run, factor: f64) -> Demand {
    let f = (factor.max(0.0) * FIXED as f64).round() as u64;
    let mut alive_n = Vec::new();
    let mut active_n = Vec::new();
    let mut alive_mib = Vec::new();
    let mut active_mc = Vec::new();
    for item in &r.runs {
        let res = p.resource(item.content);
        for iv in &item.replay.alive {
            alive_n.push((*iv, f));
            alive_mib.push((*iv, res.mib.saturating_mul(f)));
        }
        for iv in &item.replay.active {
            active_n.push((*iv, f));
            active_mc.push((*iv, res.millicores.saturating_mul(f)));
        }
    }
    for iv in &p.renders {
        alive_n.push((*iv, FIXED));
        active_n.push((*iv, FIXED));
        alive_mib.push((*iv, sizing::RENDER.mib * FIXED));
        active_mc.push((*iv, sizing::RENDER.millicores * FIXED));
    }
    let design = |items: &[(Interval, u64)]| -> f64 {
        let s = weighted_series(items, p.window);
        let v = match p.opts.design_peak {
            DesignPeak::Max => s.peak().0 as f64,
            DesignPeak::DailyP95 => {
                let mut d: Vec<f64> = s.daily_peaks(p.tz).into_iter().map(|v| v as f64).collect();
                d.sort_by(f64::total_cmp);
                quantile_type7(&d, 0.95).unwrap_or(0.0)
            }
        };
        v / FIXED as f64
    };
    Demand {
        design_processes: design(&alive_n),
        design_active_processes: design(&active_n),
        active_millicores: design(&active_mc),
        alive_mib: design(&alive_mib),
    }
}

/// Peak concurrent sessions per content id in the window.
pub fn session_peaks(norm: &Normalized, window: (Micros, Micros)) -> HashMap<u32, u32> {
    norm.sessions
        .chunk_by(|a, b| a.content == b.content)
        .map(|chunk| {
            let iv: Vec<Interval> = chunk.iter().map(|s| (s.start, s.end)).collect();
            (chunk[0].content, step_series(&iv, window).peak().0)
        })
        .collect()
}

/// Per-content demand of one scenario, for the decision and the review table. Settings
/// are shown per node (as Connect shows them); APIs get no idle-time advice, since the
/// model does not see their connections.
pub fn content_demands(
    p: &Prepared,
    r: &Run,
    session_peaks: &HashMap<u32, u32>,
) -> Vec<ContentDemand> {
    r.runs
        .iter()
        .map(|run| {
            let row = p.rows.get(&run.content);
            let per_node = p
                .settings
                .get(&run.content)
                .map_or(p.opts.defaults, |s| s.per_node);
            let is_api = sizing::is_api(p.app_mode(run.content));
            ContentDemand {
                guid: p.data.content_ids.name(run.content).to_string(),
                title: row.and_then(|r| r.title.as_deref()).map(str::to_string),
                app_mode: p.app_mode(run.content).map(str::to_string),
                peak_processes: step_series(&run.replay.alive, p.window).peak().0,
                resource: p.resource(run.content),
                min_processes: per_node.min_processes,
                max_processes: per_node.max_processes,
                max_conns: per_node.max_conns_per_process,
                rejected: run.replay.rejected,
                warm_idle_fraction: if is_api {
                    None
                } else {
                    warm_idle_fraction(run, p.window)
                },
                peak_sessions: session_peaks.get(&run.content).copied().unwrap_or(0),
                nodes: p.opts.nodes.max(1),
            }
        })
        .collect()
}

/// Distinct R and Python versions of content active in the window.
pub fn runtime_versions(p: &Prepared, norm: &Normalized) -> (Vec<String>, Vec<String>) {
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

/// Per-process figures among items that hold processes: one line per `app_mode` and
/// distinct figure (so an override shows on its own line, naming its items), plus renders.
pub fn resource_lines(p: &Prepared, now: &Run) -> Vec<ResourceLine> {
    type Key = (String, u64, u64, String);
    let mut groups: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    for r in &now.runs {
        let mode = p.app_mode(r.content).unwrap_or("unknown").to_string();
        let res = p.resource(r.content);
        let source = if res.cpu_source == res.memory_source {
            res.cpu_source.as_str().to_string()
        } else {
            format!(
                "cpu {}, memory {}",
                res.cpu_source.as_str(),
                res.memory_source.as_str()
            )
        };
        let name = p
            .rows
            .get(&r.content)
            .and_then(|row| row.title.as_deref())
            .map_or_else(
                || p.data.content_ids.name(r.content).to_string(),
                str::to_string,
            );
        groups
            .entry((mode, res.millicores, res.mib, source))
            .or_default()
            .push(name);
    }
    let mut out: Vec<ResourceLine> = groups
        .into_iter()
        .map(|((mode, mc, mib, source), mut names)| {
            names.sort();
            let defaulted = source == sizing::ResourceSource::AppModeDefault.as_str();
            ResourceLine {
                app_mode: mode,
                content: names.len() as u64,
                cpu: mc as f64 / 1000.0,
                memory_gib: mib as f64 / 1024.0,
                source,
                items: if defaulted { Vec::new() } else { names },
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
            items: Vec::new(),
        });
    }
    out
}
