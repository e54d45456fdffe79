//! Estimated processes: a model of Connect's scheduler (docs/metrics.md section 4) and the
//! scaled replay of the sizing scenarios (docs/sizing.md section 4).
//!
//! [`replay`] runs one content item's sessions through the spawn rule and returns every
//! process lifetime, every stretch a process holds a connection, and the connected,
//! rejected and spawned counts. [`scale`] builds the session list of the "K times the
//! users" scenario. [`weighted_series`] sums per-process weights (millicores, MiB) over
//! time, exactly, for the server-wide figures.
//!
//! Connect does not publish its spawn rule; this is the model the spec fixes. Everything
//! here is pure and deterministic: results never depend on input order.

use crate::settings::ProcessSettings;
use std::collections::VecDeque;

use chrono_tz::Tz;
use rayon::prelude::*;
use serde::Serialize;

use super::proc_table::{LevelSets, LoadTree, ProcTable, MAX_LEVELS};
use crate::model::usage::buckets::{buckets, BucketKind};
use crate::model::usage::sweep::{step_series, Interval, Micros, StepSeries};
use crate::model::usage::time::SECOND;

/// Scheduler settings of one content item (already resolved: export value, else default).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    /// Processes started at the window start that never exit.
    pub min_processes: u32,
    /// Most processes alive at once (idle ones not yet exited included).
    pub max_processes: u32,
    /// Most connections one process takes.
    pub max_conns_per_process: u32,
    /// Fraction of `max_conns_per_process` at which a new process is preferred.
    pub load_factor: f64,
    /// How long an idle process lingers after its last connection closed (µs).
    pub idle_timeout: Micros,
}

impl Default for Settings {
    /// Connect's server defaults: 0 min, 3 max, 20 connections, 0.5, 5 s.
    fn default() -> Self {
        Settings {
            min_processes: 0,
            max_processes: 3,
            max_conns_per_process: 20,
            load_factor: 0.5,
            idle_timeout: 5 * SECOND,
        }
    }
}

impl Settings {
    /// Connections at which a new process is preferred:
    /// `max(1, ceil(load_factor x max_conns))` in integers, with the load factor rounded
    /// to millionths first, so 0.14 x 50 gives 7 (a float product would give 7.000…1
    /// and round up to 8). A load factor outside [0, 1] (which [`Settings::validate`]
    /// rejects) is clamped into it rather than overflowing.
    pub fn threshold(&self) -> u32 {
        let millionths = (self.load_factor * 1e6).round();
        // `as` saturates and maps NaN to 0; the clamp keeps the product in range.
        let l = (millionths as u64).min(1_000_000);
        // The spec's `(L * max_conns + 999999) / 1000000`.
        let t = (l * u64::from(self.max_conns_per_process)).div_ceil(1_000_000);
        t.max(1) as u32
    }

    /// The settings for a cluster of `nodes` nodes: process limits are per node, so
    /// `min_processes` and `max_processes` are multiplied (saturating at `u32::MAX`).
    pub fn per_nodes(&self, nodes: u32) -> Settings {
        Settings {
            min_processes: self.min_processes.saturating_mul(nodes),
            max_processes: self.max_processes.saturating_mul(nodes),
            ..*self
        }
    }

    /// Checks the rules of docs/metrics.md section 4; the message names the field and the
    /// rule broken (the caller adds the export's file, line and column).
    pub fn validate(&self) -> Result<(), Invalid> {
        let bad = |field, message| Err(Invalid { field, message });
        if self.max_processes == 0 {
            return bad(
                "max_processes",
                "max_processes is 0; it must be at least 1".into(),
            );
        }
        if self.min_processes > self.max_processes {
            return bad(
                "min_processes",
                format!(
                    "min_processes ({}) is greater than max_processes ({}); it must not exceed it",
                    self.min_processes, self.max_processes
                ),
            );
        }
        if self.max_conns_per_process == 0 {
            return bad(
                "max_conns_per_process",
                "max_conns_per_process is 0; it must be at least 1".into(),
            );
        }
        if !(0.0..=1.0).contains(&self.load_factor) {
            return bad(
                "load_factor",
                format!(
                    "load_factor ({}) is outside [0, 1]; it must be between 0 and 1",
                    self.load_factor
                ),
            );
        }
        if self.idle_timeout < 0 {
            return bad(
                "idle_timeout",
                format!(
                    "idle_timeout ({} µs) is negative; it must be 0 or more",
                    self.idle_timeout
                ),
            );
        }
        Ok(())
    }

    /// These settings with every scheduler field that `layer` sets laid over them (the one
    /// place a settings layer becomes resolved settings).
    pub fn with(&self, layer: &ProcessSettings) -> Settings {
        // Destructured in full, so a field added to the layer does not compile until it is
        // placed here (a scheduler field) or ignored (a resource); a test checks that the
        // scheduler fields are this struct's.
        let ProcessSettings {
            min_processes,
            max_processes,
            max_conns_per_process,
            load_factor,
            idle_timeout,
            cpu_cores: _,
            memory_gib: _,
        } = *layer;
        Settings {
            min_processes: min_processes.unwrap_or(self.min_processes),
            max_processes: max_processes.unwrap_or(self.max_processes),
            max_conns_per_process: max_conns_per_process.unwrap_or(self.max_conns_per_process),
            load_factor: load_factor.unwrap_or(self.load_factor),
            idle_timeout: idle_timeout.map_or(self.idle_timeout, |d| d.0),
        }
    }
}

/// Settings that cannot be replayed: the field to blame and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The setting at fault (a config key and content-export column).
    pub field: &'static str,
    /// What is wrong, and the rule.
    pub message: String,
}

/// The `user` of an anonymous session: sorts after every named user.
pub const ANONYMOUS: u64 = u64::MAX;

/// One session of one content item. `user` orders sessions starting at the same instant
/// with the same end: callers pass the rank of the user GUID in sorted GUID order, or
/// [`ANONYMOUS`]. The derived order is (start, end, user), the spec's order of starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Conn {
    /// Session start (µs, UTC).
    pub start: Micros,
    /// Session end, exclusive (µs, UTC).
    pub end: Micros,
    /// Rank of the user GUID, or [`ANONYMOUS`].
    pub user: u64,
}

/// Result of replaying one content item's sessions over a window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Replay {
    /// One `[spawn, exit)` per process lifetime, clipped to the window; warm processes
    /// span the window. Sorted.
    pub alive: Vec<Interval>,
    /// Maximal stretches during which one process holds at least one connection, per
    /// process; their concurrency is active processes(t). Sorted.
    pub active: Vec<Interval>,
    /// Sessions that joined a process.
    pub connected: u64,
    /// Sessions turned away: every process was full and no more could start.
    pub rejected: u64,
    /// Processes started on demand by a session (warm `min_processes` ones not counted;
    /// `alive.len()` counts both).
    pub spawned: u64,
    /// Start instants (clipped to the window) of the rejected sessions, sorted.
    pub rejected_at: Vec<Micros>,
}

impl Replay {
    /// Processes alive at each instant of `window`.
    pub fn alive_series(&self, window: (Micros, Micros)) -> StepSeries {
        step_series(&self.alive, window)
    }

    /// Processes holding at least one connection at each instant of `window`.
    pub fn active_series(&self, window: (Micros, Micros)) -> StepSeries {
        step_series(&self.active, window)
    }
}

/// How often each session of one item is replayed: the sessions of the "K times the
/// users" scenario without building them (see [`scale`]).
///
/// Session `i` of an item, `g + i` in the canonical order of all items, is replayed
/// `whole + extra(g + i)` times with `extra(x) = floor((x + 1) f) - floor(x f)` for the
/// fraction `f` of K (in millionths), exactly the copies [`scale`] makes. The copies of
/// one session are the same interval, and sessions with the same interval are
/// interchangeable in a replay (users only order them among themselves), so replaying
/// the copies in place is the replay of the scaled list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copies {
    whole: u64,
    /// Fraction of K in millionths.
    frac: u128,
    /// Canonical index of the item's first session.
    first: u128,
}

/// One in millionths, the unit of K's fraction.
const ONE: u128 = 1_000_000;

impl Copies {
    /// Every session once.
    pub const ONE_EACH: Copies = Copies {
        whole: 1,
        frac: 0,
        first: 0,
    };

    /// The copies for a session multiplier `k` (none for a negative or non-finite `k`).
    pub fn of_k(k: f64) -> Copies {
        if !k.is_finite() || k <= 0.0 {
            return Copies {
                whole: 0,
                frac: 0,
                first: 0,
            };
        }
        // K in millionths, so the fraction is exact (as in `scale`).
        let km = (k * ONE as f64).round() as u128;
        Copies {
            whole: (km / ONE) as u64,
            frac: km % ONE,
            first: 0,
        }
    }

    /// The same K for an item whose first session has canonical index `first`.
    pub fn starting_at(self, first: usize) -> Copies {
        Copies {
            first: first as u128,
            ..self
        }
    }

    /// Copies every session gets; some get one more when K has a fraction.
    pub fn whole(&self) -> u64 {
        self.whole
    }

    /// Whether every session is replayed exactly `whole` times.
    pub fn whole_only(&self) -> Option<u64> {
        (self.frac == 0).then_some(self.whole)
    }

    /// Copies of session `i`.
    pub fn count(&self, i: usize) -> u64 {
        if self.frac == 0 {
            return self.whole;
        }
        let x = self.first + i as u128;
        self.whole + (self.floor_frac(x + 1) - self.floor_frac(x))
    }

    /// `floor(x f)` for the fraction `f` (in millionths): in 64 bits while `x f` fits
    /// (a division by a constant the compiler turns into a multiplication).
    fn floor_frac(&self, x: u128) -> u64 {
        match u64::try_from(x * self.frac) {
            Ok(p) => p / ONE as u64,
            Err(_) => (x * self.frac / ONE) as u64,
        }
    }

    /// Copies of the sessions before `i` (so `offset(n)` is the total of `n` sessions).
    pub fn offset(&self, i: usize) -> u64 {
        if self.frac == 0 {
            return self.whole * i as u64;
        }
        let x = self.first + i as u128;
        self.whole * i as u64 + (self.floor_frac(x) - self.floor_frac(self.first))
    }
}

/// No slot: the copy was rejected (or never started).
const NO_SLOT: u32 = u32::MAX;

/// One process slot of the simulation (slots are reused after an exit).
#[derive(Debug, Clone)]
struct Proc {
    /// Spawn order: warm processes first, then on-demand ones as they start.
    seq: u64,
    spawn: Micros,
    load: u32,
    warm: bool,
    /// When the load last dropped to 0 (meaningful only while the load is 0).
    idle_since: Micros,
    /// Index in `Replay::active` of this process's latest stretch.
    active_idx: Option<usize>,
}

/// Simulation state of a replay, with its table of live processes.
struct Sim<T: ProcTable> {
    settings: Settings,
    threshold: u32,
    window: (Micros, Micros),
    /// Live processes; `None` = free slot.
    slots: Vec<Option<Proc>>,
    free: Vec<u32>,
    alive_count: u64,
    next_seq: u64,
    /// Live processes by (load, spawn order).
    by_load: T,
    /// Pending idle exits in time order (closes come in time order and the timeout is
    /// one for the item): (exit instant, spawn order, slot); stale entries are skipped.
    exits: VecDeque<(Micros, u64, u32)>,
    /// A session found `max_processes` running and could not start a process.
    limited: bool,
    out: Replay,
}

/// Replays one content item's sessions through the scheduler model over `window`.
///
/// Sessions are clipped to the window; a session empty after clipping (including
/// `end <= start`) never connects and counts neither as connected nor as rejected. At
/// one instant: session ends, then idle exits, then starts in (end, user) order. A
/// rejected session holds nothing; its end is ignored. Processes alive at the window end
/// stop there. An empty window gives an empty result.
///
/// The input may come in any order. O(n log n) in the sessions, O(log p) per session in
/// the live processes; memory O(n + min_processes). Settings are assumed valid
/// ([`Settings::validate`]); invalid ones give some answer, never a panic.
pub fn replay(conns: &[Conn], settings: &Settings, window: (Micros, Micros)) -> Replay {
    let (w0, w1) = window;
    if w0 >= w1 {
        return Replay::default();
    }
    // Clipped (start, end); sessions with the same interval are interchangeable, so the
    // spec's (start, end, user) order is the order of the intervals.
    let mut spans: Vec<Interval> = conns
        .iter()
        .map(|c| (c.start.max(w0), c.end.min(w1)))
        .filter(|(s, e)| s < e)
        .collect();
    spans.par_sort_unstable();
    let by_end = end_order(&spans);
    replay_spans(&spans, &by_end, Copies::ONE_EACH, settings, window).0
}

/// Indices of `spans` sorted by end (then index), the order in which they close.
pub fn end_order(spans: &[Interval]) -> Vec<u32> {
    let mut keyed: Vec<(Micros, u32)> = spans
        .iter()
        .enumerate()
        .map(|(i, &(_, e))| (e, i as u32))
        .collect();
    keyed.par_sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// The replay engine: one item's sessions `spans`, already clipped to the window and
/// sorted by (start, end) (empty ones are skipped), `by_end` their indices by end
/// ([`end_order`]), each replayed `copies` times. Also says whether `max_processes` ever
/// stopped a process from starting: when it did not, the same replay with the limit
/// lifted gives the same result.
pub fn replay_spans(
    spans: &[Interval],
    by_end: &[u32],
    copies: Copies,
    settings: &Settings,
    window: (Micros, Micros),
) -> (Replay, bool) {
    let (w0, w1) = window;
    if w0 >= w1 {
        return (Replay::default(), false);
    }
    // Loads never pass the threshold while a process can always start, and never pass
    // max_conns: with few loads, one bitset per load is the faster table.
    let top_load = if settings.max_processes == u32::MAX {
        settings.threshold()
    } else {
        settings.max_conns_per_process.max(settings.threshold())
    };
    if top_load < MAX_LEVELS {
        replay_with::<LevelSets>(spans, by_end, copies, settings, window)
    } else {
        replay_with::<LoadTree>(spans, by_end, copies, settings, window)
    }
}

/// [`replay_spans`] with a given table of live processes.
fn replay_with<T: ProcTable>(
    spans: &[Interval],
    by_end: &[u32],
    copies: Copies,
    settings: &Settings,
    window: (Micros, Micros),
) -> (Replay, bool) {
    let w1 = window.1;
    let total = usize::try_from(copies.offset(spans.len())).unwrap_or(usize::MAX);
    // The slot each copy joined, by copy (session i's copies from `offset(i)`).
    let mut joined: Vec<u32> = vec![NO_SLOT; total];
    let mut sim = Sim::<T>::new(*settings, window);
    let mut next_end = 0;
    for (i, &(start, end)) in spans.iter().enumerate() {
        if start >= end || start < window.0 || end > w1 {
            continue;
        }
        sim.close_until(start, spans, by_end, &mut next_end, &joined, copies);
        sim.exit_until(start);
        let off = copies.offset(i) as usize;
        for j in 0..copies.count(i) as usize {
            joined[off + j] = sim.start(start);
        }
    }
    sim.close_until(w1, spans, by_end, &mut next_end, &joined, copies);
    let limited = sim.limited;
    (sim.finish(), limited)
}

impl<T: ProcTable> Sim<T> {
    /// Starts the warm processes at the window start.
    fn new(settings: Settings, window: (Micros, Micros)) -> Sim<T> {
        let mut sim = Sim {
            settings,
            threshold: settings.threshold(),
            window,
            slots: Vec::new(),
            free: Vec::new(),
            alive_count: 0,
            next_seq: 0,
            by_load: T::new(),
            exits: VecDeque::new(),
            limited: false,
            out: Replay::default(),
        };
        for _ in 0..settings.min_processes {
            sim.spawn(window.0, true);
        }
        sim
    }

    /// Applies every session end at or before `t` (in end order). An exit is only ever
    /// due at or after the end that caused it, and neither kind of event changes what
    /// the other does (an end touches a busy process, an exit an idle one), so doing all
    /// ends before the exits gives the time-ordered result; ends at one instant commute.
    fn close_until(
        &mut self,
        t: Micros,
        spans: &[Interval],
        by_end: &[u32],
        next: &mut usize,
        joined: &[u32],
        copies: Copies,
    ) {
        while let Some(&q) = by_end.get(*next) {
            let q = q as usize;
            let end = spans[q].1;
            if end > t {
                break;
            }
            *next += 1;
            let off = copies.offset(q) as usize;
            for j in 0..copies.count(q) as usize {
                match joined.get(off + j) {
                    Some(&slot) if slot != NO_SLOT => self.close(end, slot),
                    _ => {}
                }
            }
        }
    }

    /// Applies every idle exit at or before `t`.
    fn exit_until(&mut self, t: Micros) {
        while let Some(&(at, seq, slot)) = self.exits.front() {
            if at > t {
                break;
            }
            self.exits.pop_front();
            self.try_exit(at, seq, slot);
        }
    }

    /// Places a session starting at `t`: least-loaded process below the threshold, else
    /// a new process if the limit allows, else the least-loaded one below `max_conns`,
    /// else rejected. Returns the slot joined, or [`NO_SLOT`].
    fn start(&mut self, t: Micros) -> u32 {
        let least = self.by_load.first();
        let slot = match least {
            Some((load, slot)) if load < self.threshold => slot,
            _ if self.alive_count < u64::from(self.settings.max_processes) => {
                self.out.spawned += 1;
                self.spawn(t, false)
            }
            Some((load, slot)) if load < self.settings.max_conns_per_process => {
                self.limited = true;
                slot
            }
            _ => {
                self.limited = true;
                self.out.rejected += 1;
                self.out.rejected_at.push(t);
                return NO_SLOT;
            }
        };
        self.join(t, slot);
        self.out.connected += 1;
        slot
    }

    /// Starts a process with no connection at `t` and returns its slot.
    fn spawn(&mut self, t: Micros, warm: bool) -> u32 {
        let proc = Proc {
            seq: self.next_seq,
            spawn: t,
            load: 0,
            warm,
            idle_since: t,
            active_idx: None,
        };
        self.next_seq += 1;
        self.alive_count += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(proc);
                slot
            }
            None => {
                self.slots.push(Some(proc));
                (self.slots.len() - 1) as u32
            }
        };
        self.by_load.push(slot);
        slot
    }

    /// Adds one connection to the process in `slot` at `t`.
    fn join(&mut self, t: Micros, slot: u32) {
        let Some(p) = self.slots[slot as usize].as_mut() else {
            return;
        };
        if p.load == 0 {
            // Reopen the previous stretch if it closed at this very instant, so stretches
            // stay maximal; otherwise begin a new one.
            match p.active_idx {
                Some(i) if self.out.active[i].1 == t => {}
                _ => {
                    p.active_idx = Some(self.out.active.len());
                    self.out.active.push((t, t));
                }
            }
        }
        p.load += 1;
        let load = p.load;
        self.by_load.set_load(slot, load - 1, load);
    }

    /// Removes one connection from the process in `slot` at `t`; an idle on-demand
    /// process is scheduled to exit `idle_timeout` later.
    fn close(&mut self, t: Micros, slot: u32) {
        let Some(p) = self.slots[slot as usize].as_mut() else {
            return;
        };
        let old = p.load;
        p.load = old.saturating_sub(1);
        let (load, seq, warm) = (p.load, p.seq, p.warm);
        self.by_load.set_load(slot, old, load);
        if load > 0 {
            return;
        }
        if let Some(i) = p.active_idx {
            self.out.active[i].1 = t;
        }
        p.idle_since = t;
        if !warm {
            let at = t.saturating_add(self.settings.idle_timeout.max(0));
            self.exits.push_back((at, seq, slot));
        }
    }

    /// Ends the process in `slot` at `at` if this exit is still due: same process, still
    /// idle, and idle since the close that scheduled it.
    fn try_exit(&mut self, at: Micros, seq: u64, slot: u32) {
        let due = self.slots[slot as usize].as_ref().is_some_and(|p| {
            p.seq == seq
                && p.load == 0
                && p.idle_since
                    .saturating_add(self.settings.idle_timeout.max(0))
                    == at
        });
        if due {
            self.remove(slot, at);
        }
    }

    /// Ends the process in `slot` at `at` (clipped to the window end).
    fn remove(&mut self, slot: u32, at: Micros) {
        if let Some(p) = self.slots[slot as usize].take() {
            self.by_load.remove(slot, p.load);
            self.out.alive.push((p.spawn, at.min(self.window.1)));
            self.alive_count -= 1;
            self.free.push(slot);
        }
    }

    /// With every session closed, applies the idle exits due by the window end and stops
    /// every remaining process there.
    fn finish(mut self) -> Replay {
        let w1 = self.window.1;
        self.exit_until(w1);
        for slot in 0..self.slots.len() {
            self.remove(slot as u32, w1);
        }
        self.out.alive.sort_unstable();
        self.out.active.sort_unstable();
        self.out
    }
}

/// The sessions of the "K times the users" scenario (docs/sizing.md section 4).
///
/// Input: `(content key, session)` in any order; output sorted in canonical order
/// (content, start, end, user). Every session appears once per whole unit of `k`, at the
/// same times; for the fraction `f` of `k`, session `i` of the canonical order gets one
/// more copy iff `floor((i + 1) f) > floor(i f)`, which is exactly `floor(n f)` sessions
/// spread evenly, so the session count never falls as `k` grows.
///
/// Copy 0 is the original; copy `j >= 1` of user `u` belongs to the synthetic user
/// `j * B + u` with `B` one more than the highest named user, so each copy has its own
/// user, distinct from every original one and from every other copy, and a user's
/// copies keep their relative order. Anonymous stays anonymous. (Ranks past `u64::MAX - 1`
/// saturate there: out of reach for GUID ranks.) `k = 1` returns the input sorted;
/// a negative or non-finite `k` gives no sessions.
pub fn scale(conns: &[(u32, Conn)], k: f64) -> Vec<(u32, Conn)> {
    if !k.is_finite() || k <= 0.0 {
        return Vec::new();
    }
    // K in millionths, so the fraction is exact (2.3 is 2 + 300000/1000000, where the
    // float 2.3 - 2.0 is 0.2999...): the extra copies are floor(n x fraction) exactly.
    const ONE: u128 = 1_000_000;
    let km = (k * ONE as f64).round() as u128;
    let (whole, frac) = ((km / ONE) as u64, km % ONE);
    let mut sorted = conns.to_vec();
    sorted.par_sort_unstable();
    let base = sorted
        .iter()
        .map(|(_, c)| c.user)
        .filter(|&u| u != ANONYMOUS)
        .max()
        .map_or(0, |m| m.saturating_add(1));
    let extra = (sorted.len() as u128 * frac / ONE) as usize;
    let mut out = Vec::with_capacity(sorted.len().saturating_mul(whole as usize) + extra);
    for j in 0..whole {
        out.extend(sorted.iter().map(|&(key, c)| (key, copy_of(c, j, base))));
    }
    if frac > 0 {
        let picked = sorted.iter().enumerate().filter(|(i, _)| {
            let i = *i as u128;
            (i + 1) * frac / ONE > i * frac / ONE
        });
        out.extend(picked.map(|(_, &(key, c))| (key, copy_of(c, whole, base))));
    }
    out.par_sort_unstable();
    out
}

/// Copy `j` of session `c`: the same times, user `j * base + user` (copy 0 keeps its
/// user; anonymous stays anonymous).
fn copy_of(c: Conn, j: u64, base: u64) -> Conn {
    if j == 0 || c.user == ANONYMOUS {
        return c;
    }
    let user = j
        .checked_mul(base)
        .and_then(|v| v.checked_add(c.user))
        .map_or(ANONYMOUS - 1, |v| v.min(ANONYMOUS - 1));
    Conn { user, ..c }
}

/// Step function with `u64` levels, for weighted sums such as millicores or MiB per
/// process. Same invariants as [`StepSeries`]: for a non-empty window `times[0]` is the
/// window start, times strictly increase and stay below the window end, consecutive
/// levels differ; an empty window has empty vectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeightedSeries {
    /// The half-open window `[start, end)` the series covers.
    pub window: (Micros, Micros),
    /// Instants where the level changes (the first is the window start).
    pub times: Vec<Micros>,
    /// Level on `[times[i], times[i+1])`, the last until the window end.
    pub levels: Vec<u64>,
}

/// The time-aligned sum of `weight` over intervals open at each instant of `window`:
/// an exact sweep, intervals clipped to the window, ends before starts at one instant
/// (touching intervals never add up). Sums beyond `u64::MAX` saturate there.
pub fn weighted_series(items: &[(Interval, u64)], window: (Micros, Micros)) -> WeightedSeries {
    let (w0, w1) = window;
    let mut series = WeightedSeries {
        window,
        times: Vec::new(),
        levels: Vec::new(),
    };
    if w0 >= w1 {
        return series;
    }
    // (time, 0 = end / 1 = start, weight): ends sort first at an instant.
    let mut events: Vec<(Micros, u8, u64)> = Vec::with_capacity(items.len() * 2);
    for &((s, e), w) in items {
        let (s, e) = (s.max(w0), e.min(w1));
        if s < e && w > 0 {
            events.push((s, 1, w));
            events.push((e, 0, w));
        }
    }
    events.par_sort_unstable();
    series.times.push(w0);
    series.levels.push(0);
    let mut level: u128 = 0;
    for (i, &(t, kind, w)) in events.iter().enumerate() {
        if kind == 1 {
            level += u128::from(w);
        } else {
            level -= u128::from(w);
        }
        if t >= w1 || events.get(i + 1).is_some_and(|n| n.0 == t) {
            continue;
        }
        series.record(t, u64::try_from(level).unwrap_or(u64::MAX));
    }
    series
}

/// Several groups of intervals, each group with its own weight, as one sorted list of
/// event keys: sorted once, then swept under any number of weightings
/// ([`GroupedEvents::series`] equals [`weighted_series`] of the same intervals with each
/// group's weight).
#[derive(Debug, Clone)]
pub struct GroupedEvents {
    window: (Micros, Micros),
    /// `offset << (bits + 1) | is_start << bits | group`, sorted, for the non-empty
    /// clipped intervals; ends at the window end are left out (nothing is recorded there).
    keys: Vec<u64>,
    bits: u32,
    groups: usize,
}

impl GroupedEvents {
    /// The events of `groups` over `window`, or `None` when the window's offsets and the
    /// group numbers do not fit one 64-bit key.
    pub fn new(groups: &[&[Interval]], window: (Micros, Micros)) -> Option<GroupedEvents> {
        let (w0, w1) = window;
        let bits = usize::BITS - groups.len().saturating_sub(1).leading_zeros();
        let len = (w1 as i128 - w0 as i128).max(0) as u128;
        if bits >= 62 || (len << (bits + 1)) >= (1_u128 << 64) {
            return None;
        }
        let mut keys: Vec<u64> = Vec::new();
        if w0 < w1 {
            let n: usize = groups.iter().map(|g| g.len()).sum();
            keys.reserve_exact(2 * n);
            for (g, ivs) in groups.iter().enumerate() {
                let g = g as u64;
                for &(s, e) in ivs.iter() {
                    let (s, e) = (s.max(w0), e.min(w1));
                    if s < e {
                        keys.push(((s - w0) as u64) << (bits + 1) | 1 << bits | g);
                        if e < w1 {
                            keys.push(((e - w0) as u64) << (bits + 1) | g);
                        }
                    }
                }
            }
            keys.par_sort_unstable();
        }
        Some(GroupedEvents {
            window,
            keys,
            bits,
            groups: groups.len(),
        })
    }

    /// The highest level of [`GroupedEvents::series`] under `weight`, without building
    /// the series: its `peak().0`.
    pub fn peak(&self, weight: &[u64]) -> u64 {
        let mut peak: u128 = 0;
        self.fold(weight, |_, level| peak = peak.max(level));
        u64::try_from(peak).unwrap_or(u64::MAX)
    }

    /// The time-aligned sum of `weight[group]` over the intervals open at each instant:
    /// [`weighted_series`] of every group's intervals with its weight.
    pub fn series(&self, weight: &[u64]) -> WeightedSeries {
        let (w0, w1) = self.window;
        if w0 >= w1 {
            return WeightedSeries {
                window: self.window,
                times: Vec::new(),
                levels: Vec::new(),
            };
        }
        let mut series = WeightedSeries {
            window: self.window,
            times: vec![w0],
            levels: vec![0],
        };
        self.fold(weight, |offset, level| {
            series.record(w0 + offset as i64, u64::try_from(level).unwrap_or(u64::MAX));
        });
        series
    }

    /// Sweeps the keys in order, adding a start's weight and taking an end's, and calls
    /// `at` with the offset and the level after the last event of each instant. Ends sort
    /// first at an instant, so the level never goes below zero.
    fn fold(&self, weight: &[u64], mut at: impl FnMut(u64, u128)) {
        assert!(weight.len() >= self.groups, "one weight per group");
        let bits = self.bits;
        let mask = (1_u64 << bits) - 1;
        let keys = &self.keys;
        let mut level: u128 = 0;
        for (i, &k) in keys.iter().enumerate() {
            let w = u128::from(weight[(k & mask) as usize]);
            if k >> bits & 1 == 1 {
                level += w;
            } else {
                level -= w;
            }
            let offset = k >> (bits + 1);
            if keys.get(i + 1).is_none_or(|n| n >> (bits + 1) != offset) {
                at(offset, level);
            }
        }
    }
}

impl WeightedSeries {
    /// Records `level` from `t` on (one step per instant, consecutive levels differ).
    fn record(&mut self, t: Micros, level: u64) {
        crate::model::usage::sweep::record_step(&mut self.times, &mut self.levels, t, level);
    }

    /// Level at instant `t`; 0 outside the window.
    pub fn level_at(&self, t: Micros) -> u64 {
        if t < self.window.0 || t >= self.window.1 {
            return 0;
        }
        let i = self.times.partition_point(|&x| x <= t);
        self.levels.get(i.wrapping_sub(1)).copied().unwrap_or(0)
    }

    /// The highest level and the first instant it is reached; `(0, None)` for an empty
    /// window, `(0, Some(window start))` when nothing is ever open.
    pub fn peak(&self) -> (u64, Option<Micros>) {
        let mut best = (0, self.times.first().copied());
        for (&t, &level) in self.times.iter().zip(&self.levels) {
            if level > best.0 {
                best = (level, Some(t));
            }
        }
        best
    }

    /// Highest level on each calendar day of `tz` overlapping the window (partial first
    /// and last days included), in order. Day boundaries are those of
    /// [`buckets`](crate::model::usage::buckets::buckets): local midnights.
    pub fn daily_peaks(&self, tz: Tz) -> Vec<u64> {
        let zero = StepSeries {
            window: self.window,
            times: self.times.first().map(|&t| vec![t]).unwrap_or_default(),
            levels: self.times.first().map(|_| vec![0]).unwrap_or_default(),
        };
        let days = buckets(&zero, tz, BucketKind::Day);
        let mut out = Vec::with_capacity(days.len());
        // `i` is the step containing the day's start; days come in order.
        let mut i = 0;
        for day in &days {
            while i + 1 < self.times.len() && self.times[i + 1] <= day.start {
                i += 1;
            }
            let mut peak = 0;
            let mut j = i;
            while j < self.times.len() && self.times[j] < day.end {
                peak = peak.max(self.levels[j]);
                j += 1;
            }
            out.push(peak);
        }
        out
    }
}

#[cfg(test)]
#[path = "scheduler_tests.rs"]
mod tests;
