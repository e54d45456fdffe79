//! Scenario replays and their demand (docs/sizing.md sections 1 and 4): the window's sessions
//! replayed K times through the scheduler model, with today's limits (to count who would
//! be turned away) or with `max_processes` lifted (to size for everyone served), plus the
//! measured render jobs and, for APIs, their measured processes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};

use chrono_tz::Tz;
use rayon::prelude::*;

use super::architecture::ContentDemand;
use super::processes::{warm_idle_fraction, ItemRun, Resolved};
use super::scheduler::{
    end_order, replay_spans, weighted_series, Conn, Copies, GroupedEvents, Replay, WeightedSeries,
};
use super::sizing::{self, Demand, Resource};
use crate::ingest::{ContentRow, Dataset};
use crate::model::capacity::{CapacityOptions, DesignPeak, ResourceLine};
use crate::model::usage::normalize::Normalized;
use crate::model::usage::normalize::Session;
use crate::model::usage::percentile::quantile_type7;
use crate::model::usage::sweep::{step_series, Interval, Micros};

/// Most sessions a scenario replays; beyond it the scenario is reported as not available
/// (a projection of extreme growth would otherwise need memory without bound).
pub const MAX_REPLAYED_SESSIONS: u64 = 50_000_000;

/// Fixed-point scale of the calibration factor in weighted sums.
const FIXED: u64 = 1_000_000;

/// Which process limits a replay uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayLimits {
    /// Each item's `max_processes` as configured: shows who would be turned away.
    Current,
    /// `max_processes` lifted: every session is served, as a size must allow.
    Lifted,
}

/// Inputs shared by every scenario.
pub struct ScenarioInputs<'a> {
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
    /// Scheduler input of the window, by content rank.
    pub sessions: ReplaySessions,
    /// Measured on-host render jobs; empty without jobs.
    pub renders: Vec<Interval>,
    /// Measured on-host interactive jobs, by content id, of the items whose processes are
    /// the measured ones: APIs (they record requests, not sessions), or every item when
    /// the inputs hold jobs but no usage ([`ScenarioInputs::jobs_only`]).
    pub measured_jobs: BTreeMap<u32, Vec<Interval>>,
    /// No usage in the inputs, only jobs: nothing is replayed, the measured processes are
    /// the demand, and a scenario multiplies them by its K (docs/sizing.md 1).
    pub jobs_only: bool,
    /// The largest memory a sampled process of an item reached, bytes, by content id.
    pub memory_max: HashMap<u32, u64>,
}

impl ScenarioInputs<'_> {
    /// Whether an item runs processes on demand ([`Dataset::holds_processes`]).
    pub fn holds(&self, id: u32) -> bool {
        self.data.holds_processes(id, self.app_mode(id))
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

/// The window's sessions as every replay reads them, prepared once: per content key
/// (GUID rank), its sessions' intervals in (start, end) order (the canonical order of
/// [`super::scheduler::scale`]; sessions with the same interval are interchangeable in a
/// replay, so their users are not kept) and the order in which they end.
#[derive(Debug)]
pub struct ReplaySessions {
    window: (Micros, Micros),
    /// Intervals clipped to the window (empty ones kept: they count in the canonical
    /// order), grouped by key, each group sorted.
    spans: Vec<Interval>,
    /// Per group, indices into the group sorted by end.
    by_end: Vec<u32>,
    /// `(key, first index)` of each group, by key.
    items: Vec<(u32, usize)>,
    /// Peak concurrent sessions of the sessions replayed once.
    peak_once: OnceLock<u32>,
    /// Peaks of the fractional K asked for so far.
    peaks: Mutex<Vec<(Copies, u32)>>,
}

impl ReplaySessions {
    /// Prepares `(content key, session)` pairs (any order) for replays over `window`.
    /// The canonical order is that of the intervals clipped to the window, the order of
    /// [`super::scheduler::scale`] for sessions already clipped (as normalisation leaves
    /// them).
    pub fn new(conns: Vec<(u32, Conn)>, window: (Micros, Micros)) -> ReplaySessions {
        ReplaySessions::from_items(&conns, |(k, c)| (*k, (c.start, c.end)), window)
    }

    /// Prepares sessions keyed by `key[content id]` (the GUID rank) for replays over
    /// `window`, without an intermediate list.
    pub fn from_sessions(
        sessions: &[Session],
        key: &[u32],
        window: (Micros, Micros),
    ) -> ReplaySessions {
        ReplaySessions::from_items(
            sessions,
            |s| {
                let k = key.get(s.content as usize).copied().unwrap_or(s.content);
                (k, (s.start, s.end))
            },
            window,
        )
    }

    fn from_items<T>(
        items: &[T],
        item: impl Fn(&T) -> (u32, Interval),
        window: (Micros, Micros),
    ) -> ReplaySessions {
        let keys = items
            .iter()
            .map(|x| item(x).0 as usize + 1)
            .max()
            .unwrap_or(0);
        let mut first = vec![0usize; keys + 1];
        for x in items {
            first[item(x).0 as usize + 1] += 1;
        }
        for i in 1..first.len() {
            first[i] += first[i - 1];
        }
        // Counting sort by key, then each group by (start, end).
        let mut next = first.clone();
        let mut spans = vec![(0, 0); items.len()];
        for x in items {
            let (k, (s, e)) = item(x);
            let slot = &mut next[k as usize];
            spans[*slot] = (s.max(window.0), e.min(window.1));
            *slot += 1;
        }
        let items: Vec<(u32, usize)> = (0..keys)
            .filter(|&k| first[k + 1] > first[k])
            .map(|k| (k as u32, first[k]))
            .collect();
        let bounds: Vec<usize> = items
            .iter()
            .map(|&(_, f)| f)
            .chain(std::iter::once(spans.len()))
            .collect();
        let mut groups: Vec<&mut [Interval]> = Vec::with_capacity(items.len());
        let mut rest = spans.as_mut_slice();
        for w in bounds.windows(2) {
            let (group, tail) = rest.split_at_mut(w[1] - w[0]);
            groups.push(group);
            rest = tail;
        }
        let orders: Vec<Vec<u32>> = groups
            .into_par_iter()
            .map(|g| {
                g.par_sort_unstable();
                end_order(g)
            })
            .collect();
        ReplaySessions {
            window,
            spans,
            by_end: orders.concat(),
            items,
            peak_once: OnceLock::new(),
            peaks: Mutex::new(Vec::new()),
        }
    }

    /// The same sessions with their peak concurrency (replayed once) already known, as
    /// the report's sessions series has it; the weighted sweep then never runs for K = 1.
    pub fn knowing_peak(self, peak: u32) -> ReplaySessions {
        let _ = self.peak_once.set(peak);
        self
    }

    /// Sessions (empty ones included).
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no sessions.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Each group: key, canonical index of its first session, its intervals and their end
    /// order.
    fn groups(&self) -> impl Iterator<Item = (u32, usize, &[Interval], &[u32])> + '_ {
        self.items.iter().enumerate().map(|(i, &(key, first))| {
            let end = self.items.get(i + 1).map_or(self.spans.len(), |n| n.1);
            (
                key,
                first,
                &self.spans[first..end],
                &self.by_end[first..end],
            )
        })
    }

    /// Peak concurrent sessions when every session is replayed `copies` times: a sweep
    /// over the sessions in which each counts as often as it is copied (remembered per
    /// K, as both replays of a scenario ask).
    pub fn peak(&self, copies: Copies) -> u32 {
        let once = || {
            *self
                .peak_once
                .get_or_init(|| self.weighted_peak(Copies::ONE_EACH))
        };
        if let Some(w) = copies.whole_only() {
            return u32::try_from(w.saturating_mul(u64::from(once()))).unwrap_or(u32::MAX);
        }
        let known =
            |peaks: &Vec<(Copies, u32)>| peaks.iter().find(|(c, _)| *c == copies).map(|(_, p)| *p);
        if let Some(p) = self.peaks.lock().ok().and_then(|g| known(&g)) {
            return p;
        }
        let p = self.weighted_peak(copies);
        if let Ok(mut g) = self.peaks.lock() {
            g.push((copies, p));
        }
        p
    }

    /// The weighted sweep, in time slices swept side by side. Each group's sessions are
    /// sorted by start and indexed by end, so a slice's events are found by binary
    /// search, not by a pass over every session; each slice sorts only its own events
    /// and finds its highest level relative to the weight open across its start, which
    /// the slices' totals then give.
    fn weighted_peak(&self, copies: Copies) -> u32 {
        let (w0, w1) = self.window;
        if w0 >= w1 {
            return 0;
        }
        if (w1 as i128 - w0 as i128) >= (1_i128 << 61) {
            return self.weighted_peak_wide(copies);
        }
        let len = (w1 - w0) as u64;
        const SLICES: u64 = 64;
        let width = len.div_ceil(SLICES).max(1);
        let slices: Vec<(Micros, Micros)> = (0..SLICES)
            .map(|j| {
                (
                    w0 + (j * width).min(len) as i64,
                    w0 + ((j + 1) * width).min(len) as i64,
                )
            })
            .filter(|(a, b)| a < b)
            .collect();
        // Per slice: weight started, weight ended, and the highest level reached
        // relative to the level at its start (`None` without events).
        let per_slice: Vec<(u128, u128, Option<i128>)> = slices
            .par_iter()
            .map(|&(a, b)| self.slice_events(copies, (a, b)))
            .collect();
        let mut open: i128 = 0;
        let mut peak: i128 = 0;
        for (started, ended, top) in per_slice {
            if let Some(top) = top {
                peak = peak.max(open + top);
            }
            open += started as i128 - ended as i128;
        }
        u32::try_from(peak.max(0)).unwrap_or(u32::MAX)
    }

    /// One slice `[a, b)` of [`ReplaySessions::weighted_peak`]: its starts and its ends before the
    /// window end, of non-empty sessions, each weighted by its copies.
    fn slice_events(&self, copies: Copies, (a, b): (Micros, Micros)) -> (u128, u128, Option<i128>) {
        let (w0, w1) = self.window;
        let whole = copies.whole();
        let mut keys: Vec<u64> = Vec::new();
        for (_, first, spans, by_end) in self.groups() {
            let c = copies.starting_at(first);
            let extra = |i: usize| u64::from(c.count(i) > whole);
            let from = spans.partition_point(|s| s.0 < a);
            let to = spans.partition_point(|s| s.0 < b);
            for (i, &(s, e)) in spans.iter().enumerate().take(to).skip(from) {
                if s < e {
                    keys.push(((s - w0) as u64) << 2 | 2 | extra(i));
                }
            }
            let end = |k: &u32| spans[*k as usize].1;
            let from = by_end.partition_point(|k| end(k) < a);
            let to = by_end.partition_point(|k| end(k) < b.min(w1));
            for &k in &by_end[from..to] {
                let (s, e) = spans[k as usize];
                if s < e {
                    keys.push(((e - w0) as u64) << 2 | extra(k as usize));
                }
            }
        }
        keys.sort_unstable();
        let weight = |k: u64| i128::from(whole + (k & 1));
        let (mut started, mut ended) = (0_u128, 0_u128);
        let mut level: i128 = 0;
        let mut top: Option<i128> = None;
        for (n, &k) in keys.iter().enumerate() {
            let w = weight(k);
            if k & 2 != 0 {
                level += w;
                started += w as u128;
            } else {
                level -= w;
                ended += w as u128;
            }
            if keys.get(n + 1).is_none_or(|next| next >> 2 != k >> 2) {
                top = Some(top.map_or(level, |t| t.max(level)));
            }
        }
        (started, ended, top)
    }

    /// [`ReplaySessions::weighted_peak`] for windows too wide to pack instants with two flag bits:
    /// one sort of every event.
    fn weighted_peak_wide(&self, copies: Copies) -> u32 {
        let w1 = self.window.1;
        let whole = copies.whole();
        let weight = |extra: u64| u128::from(whole + extra);
        let mut events: Vec<(Micros, bool, u64)> = Vec::with_capacity(self.spans.len() * 2);
        for (_, first, spans, _) in self.groups() {
            let c = copies.starting_at(first);
            for (i, &(s, e)) in spans.iter().enumerate() {
                if s >= e {
                    continue;
                }
                let extra = c.count(i) - whole;
                events.push((s, true, extra));
                if e < w1 {
                    events.push((e, false, extra));
                }
            }
        }
        events.par_sort_unstable();
        let peak = fold_peak(
            0,
            events
                .iter()
                .map(|&(t, start, x)| (t as u64, start, weight(x))),
        );
        u32::try_from(peak).unwrap_or(u32::MAX)
    }
}

/// Highest level of sorted `(instant, is_start, weight)` events, read after all of an
/// instant's events (ends sort before starts, so the level never goes below zero).
fn fold_peak(start: u128, events: impl Iterator<Item = (u64, bool, u128)>) -> u128 {
    let mut level: u128 = start;
    let mut peak: u128 = 0;
    let mut events = events.peekable();
    while let Some((t, start, w)) = events.next() {
        if start {
            level += w;
        } else {
            level -= w;
        }
        if events.peek().is_none_or(|n| n.0 != t) {
            peak = peak.max(level);
        }
    }
    peak
}

/// One scenario's replay: each item's processes and the server-wide lifetimes (its demand
/// is [`demand`]).
pub struct ScenarioReplay {
    /// Per item.
    pub items: Vec<ItemRun>,
    /// Sessions replayed (empty ones included).
    pub sessions: u64,
    /// Sessions turned away.
    pub rejected: u64,
    /// Peak concurrent sessions of the replayed set.
    pub peak_sessions: u32,
    /// The process lifetimes and active stretches of `items` (one group per item, then
    /// the measured renders) as sorted events, built by the first [`demand`] of the run
    /// and shared by the next (`None` inside: too wide to pack).
    events: OnceLock<Option<(GroupedEvents, GroupedEvents)>>,
}

impl ScenarioReplay {
    /// Every process lifetime, item by item. Built when asked, not kept: the items hold
    /// the same intervals, and a second copy held through the planning was a tenth of the
    /// peak memory on a busy server's exports (BENCHMARKS.md).
    pub fn alive(&self) -> Vec<Interval> {
        self.items
            .iter()
            .flat_map(|r| r.replay.alive.iter().copied())
            .collect()
    }
    /// Every stretch a process served a connection, item by item (as [`Self::alive`]).
    pub fn active(&self) -> Vec<Interval> {
        self.items
            .iter()
            .flat_map(|r| r.replay.active.iter().copied())
            .collect()
    }
}

/// The session multiplier's replay size, or `None` when it exceeds
/// [`MAX_REPLAYED_SESSIONS`].
pub fn replayable(p: &ScenarioInputs, k: f64) -> bool {
    k.is_finite() && k >= 0.0 && (p.sessions.len() as f64 * k) <= MAX_REPLAYED_SESSIONS as f64
}

/// Replays the window's sessions `k` times with `limits`.
pub fn replay_scenario(
    p: &ScenarioInputs,
    k: f64,
    settings: &HashMap<u32, Resolved>,
    limits: ReplayLimits,
) -> ScenarioReplay {
    let copies = Copies::of_k(k);
    let peak_sessions = p.sessions.peak(copies);
    let lifted;
    let used = match limits {
        ReplayLimits::Current => settings,
        ReplayLimits::Lifted => {
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
    if limits == ReplayLimits::Lifted {
        defaults.max_processes = u32::MAX;
    }
    // Items replayed: those with a session copy, and those kept warm by min_processes,
    // that run processes on demand (APIs with jobs take their measured processes; without
    // usage every item does, and nothing is replayed).
    let mut work: BTreeMap<u32, (usize, &[Interval], &[u32])> = BTreeMap::new();
    for (key, first, spans, by_end) in p.sessions.groups() {
        let c = copies.starting_at(first);
        if c.offset(spans.len()) > 0 {
            work.insert(p.rank_to_id[key as usize], (first, spans, by_end));
        }
    }
    for (id, r) in used {
        if r.effective.min_processes > 0 {
            work.entry(*id).or_insert((0, &[], &[]));
        }
    }
    let work: Vec<_> = work
        .into_iter()
        .filter(|(id, _)| !p.jobs_only && p.holds(*id) && !p.measured_jobs.contains_key(id))
        .collect();
    let mut items: Vec<ItemRun> = work
        .into_par_iter()
        .map(|(content, (first, spans, by_end))| {
            let s = used.get(&content).map_or(defaults, |r| r.effective);
            let (replay, _) = replay_spans(spans, by_end, copies.starting_at(first), &s, p.window);
            ItemRun {
                content,
                settings: s,
                replay,
            }
        })
        .collect();
    for (id, jobs) in &p.measured_jobs {
        let s = used.get(id).map_or(defaults, |r| r.effective);
        items.push(ItemRun {
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
    items.sort_by_key(|r| r.content);
    let rejected = items.iter().map(|r| r.replay.rejected).sum();
    ScenarioReplay {
        items,
        sessions: copies.offset(p.sessions.len()),
        rejected,
        peak_sessions,
        events: OnceLock::new(),
    }
}

/// The demand of a replay: design processes, serving processes, cores and memory, each
/// the peak (or daily p95) of a time-aligned sum in which modelled processes count
/// `factor` times and measured render jobs once.
pub fn demand(p: &ScenarioInputs, r: &ScenarioReplay, factor: f64) -> Demand {
    let f = (factor.max(0.0) * FIXED as f64).round() as u64;
    let events = r.events.get_or_init(|| {
        let alive: Vec<&[Interval]> = r
            .items
            .iter()
            .map(|item| item.replay.alive.as_slice())
            .chain(std::iter::once(p.renders.as_slice()))
            .collect();
        let active: Vec<&[Interval]> = r
            .items
            .iter()
            .map(|item| item.replay.active.as_slice())
            .chain(std::iter::once(p.renders.as_slice()))
            .collect();
        let (alive, active) = rayon::join(
            || GroupedEvents::new(&alive, p.window),
            || GroupedEvents::new(&active, p.window),
        );
        alive.zip(active)
    });
    let Some((alive, active)) = events else {
        return demand_unpacked(p, r, f);
    };
    // One weight per item, then the renders'.
    let weights = |per_item: &dyn Fn(Resource) -> u64, render: u64| -> Vec<u64> {
        r.items
            .iter()
            .map(|item| per_item(p.resource(item.content)))
            .chain(std::iter::once(render))
            .collect()
    };
    let count = weights(&|_| f, FIXED);
    let mib = weights(&|res| res.mib.saturating_mul(f), sizing::RENDER.mib * FIXED);
    let mc = weights(
        &|res| res.millicores.saturating_mul(f),
        sizing::RENDER.millicores * FIXED,
    );
    let design = |events: &GroupedEvents, weight: &[u64]| match p.opts.design_peak {
        DesignPeak::Max => events.peak(weight) as f64 / FIXED as f64,
        DesignPeak::DailyP95 => design(p, &events.series(weight)),
    };
    Demand {
        design_processes: design(alive, &count),
        design_active_processes: design(active, &count),
        active_millicores: design(active, &mc),
        alive_mib: design(alive, &mib),
    }
}

/// The design figure of a summed series: its peak, or the p95 of its daily peaks.
fn design(p: &ScenarioInputs, s: &WeightedSeries) -> f64 {
    let v = match p.opts.design_peak {
        DesignPeak::Max => s.peak().0 as f64,
        DesignPeak::DailyP95 => {
            let mut d: Vec<f64> = s.daily_peaks(p.tz).into_iter().map(|v| v as f64).collect();
            d.sort_by(f64::total_cmp);
            quantile_type7(&d, 0.95).unwrap_or(0.0)
        }
    };
    v / FIXED as f64
}

/// [`demand`] for windows too wide to pack events with item numbers: one sort a series.
fn demand_unpacked(p: &ScenarioInputs, r: &ScenarioReplay, f: u64) -> Demand {
    let mut alive_n = Vec::new();
    let mut active_n = Vec::new();
    let mut alive_mib = Vec::new();
    let mut active_mc = Vec::new();
    for item in &r.items {
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
    let design = |items: &[(Interval, u64)]| design(p, &weighted_series(items, p.window));
    Demand {
        design_processes: design(&alive_n),
        design_active_processes: design(&active_n),
        active_millicores: design(&active_mc),
        alive_mib: design(&alive_mib),
    }
}

/// Per-content demand of one scenario, for the decision and the review table. Settings
/// are shown per node (as Connect shows them); APIs get no idle-time advice, since the
/// model does not see their connections.
pub fn content_demands(
    p: &ScenarioInputs,
    r: &ScenarioReplay,
    session_peaks: &HashMap<u32, u32>,
) -> Vec<ContentDemand> {
    r.items
        .iter()
        .map(|run| {
            let row = p.rows.get(&run.content);
            let per_node = p
                .settings
                .get(&run.content)
                .map_or(p.opts.defaults, |s| s.per_node);
            // Measured processes show no connections, so no idle-time advice either.
            let no_idle_advice = p.jobs_only || sizing::is_api(p.app_mode(run.content));
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
                warm_idle_fraction: if no_idle_advice {
                    None
                } else {
                    warm_idle_fraction(run, p.window)
                },
                peak_sessions: session_peaks.get(&run.content).copied().unwrap_or(0),
                memory_bytes_max: p.memory_max.get(&run.content).copied(),
                nodes: p.opts.nodes.max(1),
            }
        })
        .collect()
}

/// Distinct R and Python versions of content active in the window (with sessions or
/// visits; without usage, with measured processes).
pub fn runtime_versions(p: &ScenarioInputs, norm: &Normalized) -> (Vec<String>, Vec<String>) {
    let measured = p.jobs_only.then_some(&p.measured_jobs);
    let active: BTreeSet<u32> = norm
        .sessions
        .iter()
        .map(|s| s.content)
        .chain(norm.visits.iter().map(|v| v.content))
        .chain(measured.into_iter().flat_map(|m| m.keys().copied()))
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
pub fn resource_lines(p: &ScenarioInputs, now: &ScenarioReplay) -> Vec<ResourceLine> {
    type Key = (String, u64, u64, String);
    let mut groups: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    for r in &now.items {
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
            let defaulted = source == sizing::ResourceSource::Default.as_str();
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
