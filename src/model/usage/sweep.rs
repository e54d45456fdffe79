//! Exact concurrency by an event sweep (docs/metrics.md section 2).
//!
//! A set of half-open intervals `[start, end)` becomes a [`StepSeries`]: the count
//! `c(t) = #{i : start_i <= t < end_i}` as a step function over a window. Ends sort before
//! starts at the same instant, so intervals that only touch never overlap. Everything
//! here is pure and deterministic: the result never depends on input order or on the
//! number of rayon threads.

use rayon::prelude::*;
use serde::Serialize;

pub use crate::ingest::Micros;

/// A half-open interval `[start, end)` in microseconds; empty when `end <= start`.
pub type Interval = (Micros, Micros);

/// Step function over a window: `levels[i]` holds on `[times[i], times[i+1])`, the last
/// level until `window.1`.
///
/// Invariants for a non-empty window (`window.0 < window.1`): `times[0] == window.0`,
/// `times` strictly increasing and all `< window.1`, consecutive levels differ. An empty
/// window has empty vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSeries {
    /// The half-open window `[start, end)` the series covers.
    pub window: (Micros, Micros),
    /// Instants where the level changes (the first is the window start).
    pub times: Vec<Micros>,
    /// Level on `[times[i], times[i+1])`.
    pub levels: Vec<u32>,
}

/// Summary of one concurrency series over its window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConcurrencyStats {
    /// Highest level reached in the window (0 for an empty window).
    pub peak: u32,
    /// First instant the peak is reached (the window start when the peak is 0); `None`
    /// for an empty window.
    pub peak_at: Option<Micros>,
    /// Time-weighted mean level: integral of c(t) / window length; `None` if empty.
    pub average: Option<f64>,
    /// Smallest level L with `100 * T(c <= L) >= 50 * T(window)`; `None` if empty.
    pub p50: Option<u32>,
    /// Smallest level L with `100 * T(c <= L) >= 95 * T(window)`; `None` if empty.
    pub p95: Option<u32>,
    /// Smallest level L with `100 * T(c <= L) >= 99 * T(window)`; `None` if empty.
    pub p99: Option<u32>,
}

/// Peak level and integral of one stretch of a series, as returned by [`Walker::span`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Highest level on the stretch (0 if the stretch is empty).
    pub peak: u32,
    /// Sum of `level * duration` over the stretch, in level-microseconds.
    pub integral: i128,
    /// Length of the stretch after clipping to the window, in microseconds.
    pub length: i128,
}

/// Builds the concurrency step series of `intervals` over `window`.
///
/// Each interval is clipped to the window; intervals empty after clipping (including
/// reversed ones) never count. Events are packed into `u64` keys (offset from the window
/// start, then end-before-start) and sorted with `par_sort_unstable`: equal keys are
/// indistinguishable, so the result is deterministic.
pub fn step_series(intervals: &[Interval], window: (Micros, Micros)) -> StepSeries {
    step_series_of(intervals, |&iv| iv, window)
}

/// [`step_series`] of the intervals `interval(item)` of `items`, without collecting them.
pub fn step_series_of<T>(
    items: &[T],
    interval: impl Fn(&T) -> Interval,
    window: (Micros, Micros),
) -> StepSeries {
    let (w0, w1) = window;
    if w0 >= w1 {
        return StepSeries::empty(window);
    }
    let clipped = items
        .iter()
        .map(interval)
        .map(|(s, e)| (s.max(w0), e.min(w1)))
        .filter(|&(s, e)| s < e);
    // Packed offsets must stay below 2^62; a wider window (over 146,000 years, far past
    // anything ingest accepts) takes the slower tuple sort instead.
    if packable(window) {
        // One spare slot: the series may need one more time than there are events.
        let mut keys: Vec<u64> = Vec::with_capacity(items.len() * 2 + 1);
        for (s, e) in clipped {
            keys.push(pack(s - w0, true));
            if e < w1 {
                keys.push(pack(e - w0, false));
            }
        }
        series_from_keys(keys, window)
    } else {
        let mut events: Vec<(Micros, bool)> = Vec::with_capacity(items.len() * 2);
        for (s, e) in clipped {
            events.push((s, true));
            if e < w1 {
                events.push((e, false));
            }
        }
        events.par_sort_unstable();
        fold_events(window, events.into_iter())
    }
}

/// Whether event offsets in `window` fit [`pack`].
fn packable(window: (Micros, Micros)) -> bool {
    (window.1 as i128 - window.0 as i128) < (1_i128 << 62)
}

/// The step series of packed event keys (inside the window, from [`pack`]): sorted in
/// parallel, then folded in place, so the key buffer becomes the series' times and the
/// sweep needs no memory beyond the keys and the levels. Equal keys are
/// indistinguishable, so the result is deterministic.
fn series_from_keys(mut keys: Vec<u64>, window: (Micros, Micros)) -> StepSeries {
    keys.par_sort_unstable();
    let w0 = window.0;
    // Level on [w0, first recorded change): 0, or what the events at w0 leave.
    let mut head: u32 = 0;
    let mut levels: Vec<u32> = Vec::with_capacity(keys.len() + 1);
    levels.push(0);
    let mut level: u32 = 0;
    let mut prev: u32 = 0;
    let mut written = 0;
    let mut i = 0;
    while i < keys.len() {
        let k = keys[i];
        let offset = k >> 1;
        // An end always follows its own start, so the level never goes below zero.
        level = if k & 1 == 1 { level + 1 } else { level - 1 };
        i += 1;
        if i < keys.len() && keys[i] >> 1 == offset {
            continue;
        }
        if offset == 0 {
            head = level;
            prev = level;
        } else if level != prev {
            // `written < i`: every recorded instant consumed at least one key.
            keys[written] = offset;
            levels.push(level);
            written += 1;
            prev = level;
        }
    }
    levels[0] = head;
    keys.truncate(written);
    keys.insert(0, 0);
    let mut times: Vec<Micros> = keys.into_iter().map(|o| w0 + o as i64).collect();
    times.shrink_to_fit();
    levels.shrink_to_fit();
    StepSeries {
        window,
        times,
        levels,
    }
}

/// The highest level of the concurrency of `intervals(item)` over `window` and the first
/// instant it is reached, without building the series: [`StepSeries::peak`] of
/// [`step_series_of`].
pub fn peak_of<T>(
    items: &[T],
    interval: impl Fn(&T) -> Interval,
    window: (Micros, Micros),
) -> (u32, Option<Micros>) {
    let (w0, w1) = window;
    if w0 >= w1 {
        return (0, None);
    }
    if !packable(window) {
        return step_series_of(items, interval, window).peak();
    }
    let mut keys: Vec<u64> = Vec::with_capacity(items.len() * 2);
    for (s, e) in items.iter().map(interval) {
        let (s, e) = (s.max(w0), e.min(w1));
        if s < e {
            keys.push(pack(s - w0, true));
            if e < w1 {
                keys.push(pack(e - w0, false));
            }
        }
    }
    keys.par_sort_unstable();
    let mut best: (u32, Option<Micros>) = (0, Some(w0));
    let mut level: u32 = 0;
    for (i, &k) in keys.iter().enumerate() {
        level = if k & 1 == 1 { level + 1 } else { level - 1 };
        let last_at_instant = keys.get(i + 1).is_none_or(|n| n >> 1 != k >> 1);
        if last_at_instant && level > best.0 {
            best = (level, Some(w0 + (k >> 1) as i64));
        }
    }
    best
}

/// Packs an event: offset in the high bits, 0 for an end and 1 for a start in the low bit,
/// so at one instant ends sort first. Requires `0 <= offset < 2^62`.
fn pack(offset: i64, is_start: bool) -> u64 {
    ((offset as u64) << 1) | u64::from(is_start)
}

/// Turns sorted `(time, is_start)` events (all inside the window, ends before starts at
/// one instant) into a step series, recording a change only when the level after all of
/// an instant's events differs from the previous level.
fn fold_events(
    window: (Micros, Micros),
    events: impl Iterator<Item = (Micros, bool)>,
) -> StepSeries {
    let mut series = StepSeries {
        window,
        times: vec![window.0],
        levels: vec![0],
    };
    let mut level: u32 = 0;
    let mut events = events.peekable();
    while let Some((t, is_start)) = events.next() {
        // An end always follows its own start, so the level never goes below zero.
        level = if is_start { level + 1 } else { level - 1 };
        if events.peek().is_some_and(|&(next, _)| next == t) {
            continue;
        }
        series.record(t, level);
    }
    series
}

impl StepSeries {
    /// The series of an empty window: no steps.
    fn empty(window: (Micros, Micros)) -> Self {
        StepSeries {
            window,
            times: Vec::new(),
            levels: Vec::new(),
        }
    }

    /// Records `level` from `t` on (see [`record_step`]).
    fn record(&mut self, t: Micros, level: u32) {
        record_step(&mut self.times, &mut self.levels, t, level);
    }

    /// Whether the window has zero length.
    pub fn is_empty(&self) -> bool {
        self.window.0 >= self.window.1
    }

    /// End of step `i`: the next change or the window end.
    fn step_end(&self, i: usize) -> Micros {
        self.times.get(i + 1).copied().unwrap_or(self.window.1)
    }

    /// Level at instant `t`; 0 outside the window.
    pub fn level_at(&self, t: Micros) -> u32 {
        if t < self.window.0 || t >= self.window.1 {
            return 0;
        }
        let i = self.times.partition_point(|&x| x <= t);
        // `times[0] == window.0 <= t`, so at least one step precedes `t`.
        self.levels[i - 1]
    }

    /// The highest level and the first instant it is reached; `(0, None)` for an empty
    /// window, `(0, Some(window.0))` when nothing is ever open.
    pub fn peak(&self) -> (u32, Option<Micros>) {
        let mut best: (u32, Option<Micros>) = (0, self.times.first().copied());
        for (&t, &level) in self.times.iter().zip(&self.levels) {
            if level > best.0 {
                best = (level, Some(t));
            }
        }
        best
    }

    /// Iterates the steps as `(start, end, level)`.
    pub fn steps(&self) -> impl Iterator<Item = (Micros, Micros, u32)> + '_ {
        (0..self.times.len()).map(|i| (self.times[i], self.step_end(i), self.levels[i]))
    }

    /// A forward-only cursor for reading consecutive stretches in one pass.
    pub fn walker(&self) -> Walker<'_> {
        Walker {
            series: self,
            idx: 0,
        }
    }
}

/// Reads peak and integral over stretches `[a, b)` of a series whose starts never
/// decrease, in O(steps + stretches) overall (used by day/week/month buckets and the
/// hour-of-week profile).
#[derive(Debug, Clone)]
pub struct Walker<'a> {
    series: &'a StepSeries,
    idx: usize,
}

impl Walker<'_> {
    /// Peak, integral and length of the series over `[a, b)` clipped to the window.
    /// Calls must come with non-decreasing `a`; an earlier `a` sees only the steps from
    /// the cursor on.
    pub fn span(&mut self, a: Micros, b: Micros) -> Span {
        let s = self.series;
        let (a, b) = (a.max(s.window.0), b.min(s.window.1));
        if a >= b {
            return Span::default();
        }
        while self.idx + 1 < s.times.len() && s.step_end(self.idx) <= a {
            self.idx += 1;
        }
        let mut span = Span {
            length: b as i128 - a as i128,
            ..Span::default()
        };
        let mut j = self.idx;
        while j < s.times.len() && s.times[j] < b {
            let overlap = s.step_end(j).min(b) as i128 - s.times[j].max(a) as i128;
            span.peak = span.peak.max(s.levels[j]);
            span.integral += i128::from(s.levels[j]) * overlap;
            j += 1;
        }
        // Leave the cursor on the step containing `b`: the next stretch may start there.
        self.idx = j.saturating_sub(1).max(self.idx);
        span
    }
}

/// Peak, exact average and time percentiles of a series (docs/metrics.md sections 0 and 2).
pub fn stats(series: &StepSeries) -> ConcurrencyStats {
    let (peak, peak_at) = series.peak();
    if series.is_empty() {
        return ConcurrencyStats {
            peak,
            peak_at: None,
            average: None,
            p50: None,
            p95: None,
            p99: None,
        };
    }
    // Time spent at each level; peak <= number of intervals, so this is O(input).
    let mut time_at = vec![0_i128; peak as usize + 1];
    let mut integral: i128 = 0;
    for (start, end, level) in series.steps() {
        let d = end as i128 - start as i128;
        time_at[level as usize] += d;
        integral += i128::from(level) * d;
    }
    let total = series.window.1 as i128 - series.window.0 as i128;
    ConcurrencyStats {
        peak,
        peak_at,
        average: Some(integral as f64 / total as f64),
        p50: Some(time_percentile(&time_at, total, 50)),
        p95: Some(time_percentile(&time_at, total, 95)),
        p99: Some(time_percentile(&time_at, total, 99)),
    }
}

/// Smallest level L with `100 * T(c <= L) >= pct * total`, in integers.
fn time_percentile(time_at: &[i128], total: i128, pct: i128) -> u32 {
    let mut cumulative: i128 = 0;
    for (level, &t) in time_at.iter().enumerate() {
        cumulative += t;
        if 100 * cumulative >= pct * total {
            return level as u32;
        }
    }
    // Unreachable when `time_at` sums to `total`: the last level satisfies the test.
    time_at.len().saturating_sub(1) as u32
}

/// Sorts `intervals` in place and returns them with overlapping ones merged.
///
/// Intervals merge only when they overlap (`next.start < current.end`); intervals that
/// only touch stay apart, so a user who leaves one session as another starts is counted
/// once at every instant either way. Empty intervals are dropped.
pub fn merge_overlapping(intervals: &mut [Interval]) -> Vec<Interval> {
    intervals.sort_unstable();
    merge_sorted(intervals)
}

/// Merges overlapping intervals of an already sorted slice, dropping empty ones.
fn merge_sorted(sorted: &[Interval]) -> Vec<Interval> {
    let mut merged: Vec<Interval> = Vec::new();
    for &(s, e) in sorted.iter().filter(|(s, e)| s < e) {
        match merged.last_mut() {
            Some(cur) if s < cur.1 => cur.1 = cur.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// Intervals for the distinct-users series from `(user, start, end)` sessions.
///
/// Sessions of one user (`Some(id)`) are merged where they overlap, so a user with two
/// tabs open counts once; each anonymous session (`None`) is its own user and is kept as
/// is. Users are grouped by a parallel sort on `(user, start, end)`; the output is sorted,
/// so it never depends on input order or thread count.
pub fn user_intervals(sessions: &[(Option<u32>, Micros, Micros)]) -> Vec<Interval> {
    let mut named: Vec<(u32, Micros, Micros)> = sessions
        .par_iter()
        .filter_map(|&(user, s, e)| user.map(|u| (u, s, e)))
        .collect();
    named.par_sort_unstable();
    let mut out: Vec<Interval> = named
        .par_chunk_by(|a, b| a.0 == b.0)
        .flat_map_iter(|group| {
            let spans: Vec<Interval> = group.iter().map(|&(_, s, e)| (s, e)).collect();
            merge_sorted(&spans)
        })
        .collect();
    out.extend(
        sessions
            .iter()
            .filter(|(user, _, _)| user.is_none())
            .map(|&(_, s, e)| (s, e)),
    );
    out.par_sort_unstable();
    out
}

/// The distinct-users series of `(user, start, end)` sessions: [`step_series`] of
/// [`user_intervals`], with the users grouped by a counting sort on their (dense) ids and
/// every step done in one buffer of 16 bytes a session.
pub fn users_series<T: Sync>(
    items: &[T],
    session: impl Fn(&T) -> (Option<u32>, Micros, Micros) + Sync,
    window: (Micros, Micros),
) -> StepSeries {
    let (w0, w1) = window;
    let top = items.par_iter().filter_map(|x| session(x).0).max();
    let dense = top.is_none_or(|t| (t as usize) < 4 * items.len() + 1024);
    if w0 >= w1 || !dense || !packable(window) {
        let all: Vec<(Option<u32>, Micros, Micros)> = items.iter().map(&session).collect();
        return step_series(&user_intervals(&all), window);
    }
    // Named sessions grouped by user (counting sort), anonymous ones after them.
    let users = top.map_or(0, |t| t as usize + 1);
    let mut first = vec![0usize; users + 1];
    for x in items {
        if let (Some(u), _, _) = session(x) {
            first[u as usize + 1] += 1;
        }
    }
    for u in 1..first.len() {
        first[u] += first[u - 1];
    }
    let named = first[users];
    // One spare pair: the series may need one more time than there are events.
    let mut pairs: Vec<[i64; 2]> = vec![[0, 0]; items.len() + 1];
    let mut next = first.clone();
    let mut anon = named;
    for x in items {
        let (user, s, e) = session(x);
        let slot = match user {
            Some(u) => &mut next[u as usize],
            None => &mut anon,
        };
        pairs[*slot] = [s, e];
        *slot += 1;
    }
    // Sort each user's sessions, then merge them (touching ones stay apart, empty ones go).
    {
        let mut groups: Vec<&mut [[i64; 2]]> = Vec::with_capacity(users);
        let mut rest = &mut pairs[..named];
        for u in 0..users {
            let (g, tail) = rest.split_at_mut(first[u + 1] - first[u]);
            groups.push(g);
            rest = tail;
        }
        groups.into_par_iter().for_each(|g| g.sort_unstable());
    }
    let mut w = 0;
    for u in 0..users {
        let group_start = w;
        for i in first[u]..first[u + 1] {
            let [s, e] = pairs[i];
            if s >= e {
                continue;
            }
            if w > group_start && s < pairs[w - 1][1] {
                pairs[w - 1][1] = pairs[w - 1][1].max(e);
            } else {
                pairs[w] = [s, e];
                w += 1;
            }
        }
    }
    for i in named..items.len() {
        pairs[w] = pairs[i];
        w += 1;
    }
    pairs.truncate(w);
    // Each interval becomes its (up to) two event keys in place.
    let mut keys: Vec<i64> = pairs.into_flattened();
    let mut k = 0;
    for i in 0..w {
        let (s, e) = (keys[2 * i].max(w0), keys[2 * i + 1].min(w1));
        if s < e {
            keys[k] = pack(s - w0, true) as i64;
            k += 1;
            if e < w1 {
                keys[k] = pack(e - w0, false) as i64;
                k += 1;
            }
        }
    }
    keys.truncate(k);
    series_from_keys(keys.into_iter().map(|x| x as u64).collect(), window)
}

/// Records `level` from `t` on in a step series held as parallel `times` and `levels`
/// (both non-empty), keeping its invariants: one step per instant, consecutive levels
/// differ. `t` must not precede the last recorded time. Shared by every step series.
pub(crate) fn record_step<L: Copy + PartialEq>(
    times: &mut Vec<Micros>,
    levels: &mut Vec<L>,
    t: Micros,
    level: L,
) {
    let last = times.len() - 1;
    if times[last] == t {
        levels[last] = level;
        // Collapsing the step at `t` may leave it equal to the one before.
        if last > 0 && levels[last - 1] == level {
            times.pop();
            levels.pop();
        }
    } else if levels[last] != level {
        times.push(t);
        levels.push(level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn series(intervals: &[Interval], window: (Micros, Micros)) -> (StepSeries, ConcurrencyStats) {
        let s = step_series(intervals, window);
        let st = stats(&s);
        (s, st)
    }

    #[test]
    fn three_starts_at_one_instant_peak_there() {
        let (s, st) = series(&[(10, 20), (10, 30), (10, 15)], (0, 40));
        assert_eq!(s.times, vec![0, 10, 15, 20, 30]);
        assert_eq!(s.levels, vec![0, 3, 2, 1, 0]);
        assert_eq!((st.peak, st.peak_at), (3, Some(10)));
    }

    #[test]
    fn touching_intervals_do_not_overlap() {
        let (s, st) = series(&[(0, 10), (10, 20)], (0, 20));
        assert_eq!(s.times, vec![0]);
        assert_eq!(s.levels, vec![1]);
        assert_eq!((st.peak, st.peak_at), (1, Some(0)));
        assert_relative_eq!(st.average.unwrap(), 1.0);
    }

    #[test]
    fn zero_length_and_reversed_intervals_never_count() {
        let (s, st) = series(&[(5, 5), (8, 3)], (0, 10));
        assert_eq!(s.levels, vec![0]);
        assert_eq!((st.peak, st.peak_at), (0, Some(0)));
        assert_eq!(st.p99, Some(0));
    }

    #[test]
    fn duplicates_count_twice() {
        let (_, st) = series(&[(0, 10), (0, 10)], (0, 10));
        assert_eq!(st.peak, 2);
    }

    #[test]
    fn intervals_are_clipped_to_the_window() {
        let (s, st) = series(&[(-5, 5), (8, 50)], (0, 10));
        assert_eq!(s.times, vec![0, 5, 8]);
        assert_eq!(s.levels, vec![1, 0, 1]);
        assert_relative_eq!(st.average.unwrap(), 0.7);
        assert_eq!(s.level_at(-1), 0);
        assert_eq!(s.level_at(9), 1);
        assert_eq!(s.level_at(10), 0);
    }

    #[test]
    fn empty_window_gives_nulls() {
        let (s, st) = series(&[(0, 10)], (5, 5));
        assert!(s.times.is_empty() && s.levels.is_empty());
        assert_eq!(st.peak, 0);
        assert_eq!(st.peak_at, None);
        assert_eq!(
            (st.average, st.p50, st.p95, st.p99),
            (None, None, None, None)
        );
    }

    #[test]
    fn time_percentiles_follow_the_integer_rule() {
        // Level 0 for 90 % of the window, 5 for the last 10 %.
        let (_, st) = series(&[(90, 100); 5], (0, 100));
        assert_eq!(st.p50, Some(0));
        assert_eq!(st.p95, Some(5));
        assert_eq!(st.p99, Some(5));
        assert_relative_eq!(st.average.unwrap(), 0.5);
        // Exactly 95 % at or below 0: p95 is 0 (not exceeded more than 5 % of the time).
        let (_, st) = series(&[(95, 100)], (0, 100));
        assert_eq!(st.p95, Some(0));
        assert_eq!(st.p99, Some(1));
    }

    #[test]
    fn huge_window_uses_the_fallback_sort() {
        let (s, st) = series(&[(0, 10), (5, 20), (i64::MIN, -3)], (i64::MIN, i64::MAX));
        assert_eq!(s.times, vec![i64::MIN, -3, 0, 5, 10, 20]);
        assert_eq!(s.levels, vec![1, 0, 1, 2, 1, 0]);
        assert_eq!((st.peak, st.peak_at), (2, Some(5)));
    }

    #[test]
    fn walker_reads_consecutive_stretches() {
        let s = step_series(&[(2, 6), (4, 8)], (0, 10));
        let mut w = s.walker();
        assert_eq!(
            w.span(0, 3),
            Span {
                peak: 1,
                integral: 1,
                length: 3
            }
        );
        assert_eq!(
            w.span(3, 5),
            Span {
                peak: 2,
                integral: 3,
                length: 2
            }
        );
        assert_eq!(
            w.span(5, 12),
            Span {
                peak: 2,
                integral: 4,
                length: 5
            }
        );
        assert_eq!(w.span(12, 20), Span::default());
    }

    #[test]
    fn merge_keeps_touching_and_drops_empty() {
        let mut v = vec![(10, 20), (0, 10), (5, 7), (15, 30), (40, 40), (50, 45)];
        assert_eq!(merge_overlapping(&mut v), vec![(0, 10), (10, 30)]);
        assert_eq!(v[0], (0, 10));
    }

    #[test]
    fn same_user_duplicates_count_once_anonymous_twice() {
        let sessions = [
            (Some(1), 0, 10),
            (Some(1), 0, 10),
            (Some(1), 5, 12),
            (None, 0, 10),
            (None, 0, 10),
            (Some(2), 10, 20),
        ];
        let users = user_intervals(&sessions);
        assert_eq!(users, vec![(0, 10), (0, 10), (0, 12), (10, 20)]);
        let st = stats(&step_series(&users, (0, 20)));
        assert_eq!(st.peak, 3);
    }
}
