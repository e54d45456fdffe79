//! From rows to sessions (docs/metrics.md section 1, in its order): duplicates, exclusions,
//! half-open intervals with the reconnect timeout and the open-session cap, the window,
//! and `--min-session`. Also filters visits by the same exclusions and window.

use std::collections::{BTreeMap, HashSet};

use rayon::iter::Either;
use rayon::prelude::*;
use serde::Serialize;

use crate::ingest::{
    Dataset, JobRow, Micros, Origin, RowProblem, SessionRow, SessionRowSet, VisitRow, VisitSource,
    MAX_LISTED,
};
use crate::model::Options;

pub use crate::model::sessions::{Session, Sessions};

/// Session counters (docs/metrics.md section 1, "Counters").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionCounts {
    /// Session rows read, before de-duplication and exclusions.
    pub rows: u64,
    /// Sessions after de-duplication, exclusions and the window.
    pub count: u64,
    /// Rows dropped as duplicates (exact, or an open copy of a closed session).
    pub duplicates: u64,
    /// Rows dropped by `--exclude-users`.
    pub excluded_users: u64,
    /// Sessions dropped by `--min-session`.
    pub excluded_short: u64,
    /// Sessions entirely outside `--from/--to`.
    pub outside_window: u64,
    /// Kept sessions with no recorded end.
    pub open: u64,
    /// Kept sessions whose end was set by the open-session cap.
    pub capped: u64,
    /// Kept rows with `ended < started` (kept as empty intervals).
    pub reversed: u64,
    /// Distinct non-anonymous users with a kept session.
    pub users: u64,
    /// Kept anonymous sessions.
    pub anonymous: u64,
    /// Distinct content items with a kept session.
    pub contents: u64,
}

/// The output of normalisation.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// Analysed window `[start, end)`; `None` when there is nothing to analyse.
    pub window: Option<(Micros, Micros)>,
    /// No session or visit rows in the inputs, but jobs: the window comes from the jobs
    /// (docs/metrics.md 1.7) and the demand is the measured processes (docs/sizing.md 1).
    pub jobs_only: bool,
    /// Sessions clipped to the window, sorted.
    pub sessions: Sessions,
    pub counts: SessionCounts,
    /// Visits kept (deduplicated, excluded, in the window), sorted by time.
    pub visits: Vec<VisitRow>,
    /// Visit rows dropped as duplicates.
    pub visit_duplicates: u64,
    /// Visit rows dropped by user or user-agent exclusions.
    pub visits_excluded: u64,
    /// Visits (after duplicates and exclusions) outside the window (docs/metrics.md 1.7).
    pub visits_outside_window: u64,
    /// Data problems worth listing (reversed intervals ...).
    pub problems: Vec<RowProblem>,
    /// Facts of the session rows as read, for the warnings (the rows may be gone).
    pub rows_read: RowFacts,
}

/// What the warnings need of the session rows as read (all of them, before
/// de-duplication and the window).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowFacts {
    /// Rows whose recorded end lies more than [`super::warnings::LONG_SESSION`] after
    /// their start.
    pub long: u64,
    /// The longest of them: its length and origin (the first-read one among equals).
    pub longest: Option<(Micros, Origin)>,
    /// Earliest and latest `started`.
    pub started: Option<(Micros, Micros)>,
}

impl RowFacts {
    fn of(r: &SessionRow) -> RowFacts {
        let length = r.ended.map(|e| e - r.started);
        let long = length.filter(|&l| l > super::warnings::LONG_SESSION);
        RowFacts {
            long: u64::from(long.is_some()),
            longest: long.map(|l| (l, r.origin)),
            started: Some((r.started, r.started)),
        }
    }

    fn merge(self, o: RowFacts) -> RowFacts {
        let longest = match (self.longest, o.longest) {
            (Some(a), Some(b)) => Some(
                if (b.0, std::cmp::Reverse(b.1)) > (a.0, std::cmp::Reverse(a.1)) {
                    b
                } else {
                    a
                },
            ),
            (a, b) => a.or(b),
        };
        let started = match (self.started, o.started) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
        RowFacts {
            long: self.long + o.long,
            longest,
            started,
        }
    }

    fn of_all(rows: impl ParallelIterator<Item = SessionRow>) -> RowFacts {
        rows.map(|r| RowFacts::of(&r))
            .reduce(RowFacts::default, RowFacts::merge)
    }
}

/// Normalises the dataset's sessions and visits.
pub fn normalize(data: &Dataset, opts: &Options) -> Normalized {
    normalize_source(data, Source::Borrowed(data), opts)
}

/// [`normalize`] of session rows taken out of `data` ([`Dataset::take_session_rows`]):
/// their memory becomes the de-duplication rows in place, so the rows are never held
/// twice. The result is the same as [`normalize`] of the whole dataset.
pub fn normalize_owned(data: &Dataset, rows: SessionRowSet, opts: &Options) -> Normalized {
    normalize_source(data, Source::Owned(rows), opts)
}

fn normalize_source(data: &Dataset, source: Source<'_>, opts: &Options) -> Normalized {
    let mut out = Normalized::default();
    let row_count = source.len();
    out.counts.rows = row_count as u64;
    let excluded = excluded_user_ids(data, opts);
    let first_reversed = source.first_reversed(&excluded);
    out.rows_read = source.facts();
    let rows = dedup_sessions(source.into_rows(), &mut out.counts.duplicates);
    let kept_before = rows.len();
    let rows: Vec<Row> = if excluded.is_empty() {
        rows
    } else {
        rows.into_iter()
            .filter(|r| !r.user().is_some_and(|u| excluded.contains(&u)))
            .collect()
    };
    out.counts.excluded_users = (kept_before - rows.len()) as u64;
    let visits = filter_visits(data, opts, &excluded, &mut out);
    out.jobs_only = row_count == 0 && data.visits.is_empty() && !data.jobs.is_empty();
    out.window = window(&rows, &visits, &data.jobs, opts);
    if let Some(window) = out.window {
        let (sessions, reversed) = to_sessions(rows, window, opts, &mut out.counts);
        out.sessions = sessions;
        out.problems
            .extend(reversed_problems(data, &reversed, &first_reversed));
        // A window derived from the data includes its last instant.
        let open_end = opts.to.is_none();
        let before = visits.len();
        out.visits = visits
            .into_iter()
            .filter(|v| v.time >= window.0 && (v.time < window.1 || open_end && v.time == window.1))
            .collect();
        out.visits_outside_window = (before - out.visits.len()) as u64;
    }
    count_people(&mut out);
    out
}

/// Where normalisation takes the session rows from.
enum Source<'a> {
    /// The dataset's own, left in place (copied into the de-duplication rows).
    Borrowed(&'a Dataset),
    /// Rows taken from the dataset: the fast reader's become the de-duplication rows in
    /// place (both are 32 bytes).
    Owned(SessionRowSet),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Borrowed(data) => data.session_count(),
            Source::Owned(set) => set.len(),
        }
    }

    /// The first [`MAX_LISTED`] reversed rows (`ended < started`) in de-duplication order,
    /// leaving out excluded users, each with the origin of its first-read copy: the rows
    /// [`to_sessions`] lists as problems, found before the origins are given up.
    fn first_reversed(&self, excluded: &HashSet<u32>) -> BTreeMap<Row, Origin> {
        first_reversed(self.par_rows(), excluded)
    }

    /// Every row in parallel, with its origin.
    fn par_rows(&self) -> impl ParallelIterator<Item = SessionRow> + '_ {
        match self {
            Source::Borrowed(data) => Either::Left(data.par_session_rows()),
            Source::Owned(set) => Either::Right(set.par_iter()),
        }
    }

    /// See [`RowFacts`].
    fn facts(&self) -> RowFacts {
        RowFacts::of_all(self.par_rows())
    }

    /// Every row in its 32-byte normalisation form, in no particular order.
    fn into_rows(self) -> Vec<Row> {
        match self {
            Source::Borrowed(data) => {
                let mut rows: Vec<Row> = Vec::with_capacity(data.session_count());
                data.sessions
                    .par_iter()
                    .map(Row::new)
                    .collect_into_vec(&mut rows);
                rows.par_extend(data.compact.par_iter().map(|r| Row::new(&r)));
                rows
            }
            Source::Owned(set) => {
                // One in-place pass: the vector's memory is reused (same size and alignment).
                let mut rows: Vec<Row> = (set.compact.into_rows().into_iter())
                    .map(|c| Row::new(&c.row(0)))
                    .collect();
                rows.par_extend(set.general.par_iter().map(Row::new));
                rows
            }
        }
    }
}

/// See [`Source::first_reversed`]: a bounded map per thread, merged.
fn first_reversed(
    rows: impl ParallelIterator<Item = SessionRow>,
    excluded: &HashSet<u32>,
) -> BTreeMap<Row, Origin> {
    let add = |m: &mut BTreeMap<Row, Origin>, row: Row, origin: Origin| {
        let o = m.entry(row).or_insert(origin);
        *o = (*o).min(origin);
        if m.len() > MAX_LISTED {
            m.pop_last();
        }
    };
    rows.filter(|r| {
        r.ended.is_some_and(|e| e < r.started) && !r.user.is_some_and(|u| excluded.contains(&u))
    })
    .fold(BTreeMap::new, |mut m, r| {
        add(&mut m, Row::new(&r), r.origin);
        m
    })
    .reduce(BTreeMap::new, |mut a, b| {
        for (row, origin) in b {
            add(&mut a, row, origin);
        }
        a
    })
}

/// A session row reduced to what normalisation reads, in 32 bytes ([`to_sessions`] turns
/// the kept ones into 24-byte [`Session`]s). The derived order is the de-duplication
/// order: content, user (anonymous first), started, data_version, ended (open first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Row {
    /// Content id in the high half, user id (0 when anonymous) in the low half.
    content_user: u64,
    /// The user is known.
    named: bool,
    started: Micros,
    data_version: i32,
    /// The recorded end (`i64::MIN` when there is none).
    ended: Micros,
    /// An end was recorded.
    closed: bool,
}

impl Row {
    fn new(r: &SessionRow) -> Row {
        Row {
            content_user: u64::from(r.content) << 32 | u64::from(r.user.unwrap_or(0)),
            named: r.user.is_some(),
            started: r.started,
            data_version: r.data_version,
            ended: r.ended.unwrap_or(i64::MIN),
            closed: r.ended.is_some(),
        }
    }

    fn content(&self) -> u32 {
        (self.content_user >> 32) as u32
    }

    fn user(&self) -> Option<u32> {
        self.named.then_some(self.content_user as u32)
    }

    fn ended(&self) -> Option<Micros> {
        self.closed.then_some(self.ended)
    }
}

/// User ids named by `--exclude-users` (as GUIDs or as usernames in the users export).
fn excluded_user_ids(data: &Dataset, opts: &Options) -> HashSet<u32> {
    let wanted: HashSet<&str> = opts.exclude_users.iter().map(String::as_str).collect();
    let mut ids: HashSet<u32> = wanted.iter().filter_map(|s| data.user_ids.get(s)).collect();
    for u in &data.users {
        if u.username.as_deref().is_some_and(|n| wanted.contains(n)) {
            ids.insert(u.user);
        }
    }
    ids
}

/// Removes exact duplicates and open copies of closed sessions (docs/metrics.md 1.4); the
/// rows come back in de-duplication order.
fn dedup_sessions(mut sorted: Vec<Row>, duplicates: &mut u64) -> Vec<Row> {
    sorted.par_sort_unstable();
    let before = sorted.len();
    sorted.dedup();
    *duplicates += (before - sorted.len()) as u64;
    // Within (content, user, started, data_version), open rows sort first: drop them
    // when a closed copy follows and the user is known.
    let same_session = |a: &Row, b: &Row| {
        (a.content_user, a.named, a.started, a.data_version)
            == (b.content_user, b.named, b.started, b.data_version)
    };
    let mut w = 0;
    for i in 0..sorted.len() {
        let r = sorted[i];
        let closed_follows = sorted.get(i + 1).is_some_and(|n| same_session(n, &r));
        if !r.closed && r.named && closed_follows {
            *duplicates += 1;
        } else {
            sorted[w] = r;
            w += 1;
        }
    }
    sorted.truncate(w);
    sorted
}

/// Deduplicates visits and applies user and user-agent exclusions.
fn filter_visits(
    data: &Dataset,
    opts: &Options,
    excluded: &HashSet<u32>,
    out: &mut Normalized,
) -> Vec<VisitRow> {
    let group = |s: VisitSource| match s {
        VisitSource::Visits | VisitSource::Unified => 0u8,
        VisitSource::Hits | VisitSource::Dashboard => 1u8,
    };
    let mut visits: Vec<VisitRow> = data.visits.clone();
    visits.sort_by_key(|v| (group(v.source), v.content, v.user, v.time, v.origin));
    let before = visits.len();
    visits.dedup_by_key(|v| (group(v.source), v.content, v.user, v.time));
    out.visit_duplicates = (before - visits.len()) as u64;
    let before = visits.len();
    visits.retain(|v| !v.user.is_some_and(|u| excluded.contains(&u)) && !agent_excluded(v, opts));
    out.visits_excluded = (before - visits.len()) as u64;
    visits.sort_by_key(|v| (v.time, v.content, v.user, v.origin));
    visits
}

/// True when the visit's user agent contains an excluded text (rows without one are kept).
fn agent_excluded(v: &VisitRow, opts: &Options) -> bool {
    let Some(agent) = v.user_agent.as_deref() else {
        return false;
    };
    let agent = agent.to_lowercase();
    opts.exclude_user_agents
        .iter()
        .any(|x| !x.is_empty() && agent.contains(x.as_str()))
}

/// The analysed window: `--from/--to` where given, else from the session rows
/// (`[min started, max(max started, max ended))`), else from the visits, else from the
/// jobs that ran (the sessions' rule over `start_time` and `end_time`; skipped jobs,
/// `status` 3, never ran and do not count).
fn window(
    rows: &[Row],
    visits: &[VisitRow],
    jobs: &[JobRow],
    opts: &Options,
) -> Option<(Micros, Micros)> {
    let (lo, hi) = if rows.is_empty() && visits.is_empty() {
        let ran = || jobs.iter().filter(|j| j.status != Some(3));
        let lo = ran().map(|j| j.start).min();
        let hi = ran().map(|j| j.end.unwrap_or(j.start).max(j.start)).max();
        (lo, hi)
    } else if rows.is_empty() {
        let lo = visits.iter().map(|v| v.time).min();
        // One microsecond past the last visit, so a single visit still has a window.
        let hi = visits.iter().map(|v| v.time + 1).max();
        (lo, hi)
    } else {
        let lo = rows.par_iter().map(|r| r.started).min();
        let hi = rows
            .par_iter()
            .map(|r| r.ended().unwrap_or(r.started).max(r.started))
            .max();
        (lo, hi)
    };
    let start = opts.from.or(lo)?;
    let end = opts.to.or(hi)?;
    (start < end).then_some((start, end))
}

/// Turns kept rows into clipped intervals, counting open, capped, reversed, short and
/// out-of-window sessions. Rows become sessions in place (a row is 32 bytes, a session 24).
/// Also returns the first [`MAX_LISTED`] reversed rows.
fn to_sessions(
    rows: Vec<Row>,
    window: (Micros, Micros),
    opts: &Options,
    counts: &mut SessionCounts,
) -> (Sessions, Vec<Row>) {
    let mut reversed: Vec<Row> = Vec::new();
    let mut sessions: Vec<Session> = rows
        .into_iter()
        .filter_map(|r| {
            let (end, capped) = session_end(&r, window, opts);
            if r.ended().is_some_and(|e| e < r.started) {
                counts.reversed += 1;
                if reversed.len() < MAX_LISTED {
                    reversed.push(r);
                }
            }
            if opts.min_session.is_some_and(|m| end - r.started < m) {
                counts.excluded_short += 1;
                return None;
            }
            // Only explicit --from/--to drop sessions: a data-derived window holds them all.
            let inside = opts.to.is_none_or(|to| r.started < to)
                && opts.from.is_none_or(|from| end > from || r.started >= from);
            if !inside {
                counts.outside_window += 1;
                return None;
            }
            counts.open += u64::from(!r.closed);
            counts.capped += u64::from(capped);
            let start = r.started.max(window.0);
            Some(Session::new(
                r.content(),
                r.user(),
                start,
                end.min(window.1).max(start),
            ))
        })
        .collect();
    // The in-place collect keeps the rows' 32-byte slots: give back the last quarter.
    sessions.shrink_to_fit();
    (Sessions::sorted(sessions), reversed)
}

/// The end of a session's interval and whether the open-session cap set it.
fn session_end(r: &Row, window: (Micros, Micros), opts: &Options) -> (Micros, bool) {
    match r.ended() {
        Some(e) => ((e - opts.reconnect_timeout).max(r.started), false),
        None => match opts.open_cap {
            Some(cap) if r.started.saturating_add(cap) < window.1 => (r.started + cap, true),
            _ => (window.1.max(r.started), false),
        },
    }
}

/// Listed data problems for the first kept rows with `ended < started` (`first`, in
/// de-duplication order), each at the first-read copy of the row (`origins`, from
/// [`Source::first_reversed`]).
fn reversed_problems(
    data: &Dataset,
    first: &[Row],
    origins: &BTreeMap<Row, Origin>,
) -> Vec<RowProblem> {
    first
        .iter()
        .filter_map(|r| origins.get(r))
        .map(|o| RowProblem {
            path: data.path_of(*o).to_path_buf(),
            line: o.line,
            column: Some("ended".into()),
            message: "ended is before started; kept as an empty session".into(),
        })
        .collect()
}

/// Fills the people and content counters from the kept sessions (sorted, so each
/// content item's sessions are one run).
fn count_people(out: &mut Normalized) {
    let c = &mut out.counts;
    c.count = out.sessions.len() as u64;
    c.anonymous = out
        .sessions
        .par_iter()
        .filter(|s| s.user().is_none())
        .count() as u64;
    let top = out.sessions.par_iter().filter_map(|s| s.user()).max();
    let users = out.sessions.iter().filter_map(|s| s.user());
    c.users = match top {
        // Ids are dense for ingested data: a bitmap.
        Some(top) if (top as usize) < 4 * out.sessions.len() + 1024 => {
            let mut seen = vec![false; top as usize + 1];
            users.for_each(|u| seen[u as usize] = true);
            seen.iter().filter(|&&b| b).count() as u64
        }
        _ => users.collect::<HashSet<u32>>().len() as u64,
    };
    c.contents = out.sessions.chunk_by(|a, b| a.content == b.content).count() as u64;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::compact::CompactRow;
    use crate::ingest::{FileSummary, Kind, Origin};

    const MIN: Micros = 60_000_000;

    #[test]
    fn a_row_is_32_bytes() {
        assert_eq!(std::mem::size_of::<Row>(), 32);
    }

    /// A dataset of session rows `(content, user, started, ended)` in minutes.
    fn data(rows: &[(u32, Option<u32>, i64, Option<i64>)]) -> Dataset {
        let mut d = Dataset::default();
        d.row_files.push("s.csv".into());
        d.files.push(FileSummary {
            path: "s.csv".into(),
            kind: Kind::ShinyUsage,
            rows: rows.len() as u64,
        });
        for i in 0..4 {
            d.content_ids.intern(&format!("c{i}"));
            d.user_ids.intern(&format!("u{i}"));
        }
        for (i, &(content, user, s, e)) in rows.iter().enumerate() {
            d.sessions.push(SessionRow {
                content,
                user,
                started: s * MIN,
                ended: e.map(|e| e * MIN),
                data_version: 1,
                origin: Origin {
                    file: 0,
                    line: i as u64 + 2,
                },
            });
        }
        d
    }

    #[test]
    fn exact_duplicates_and_open_copies_of_closed_sessions_are_dropped() {
        let d = data(&[
            (0, Some(1), 0, Some(10)),
            (0, Some(1), 0, Some(10)),
            (0, Some(1), 0, None),
            (0, None, 0, None),
            (0, None, 0, Some(5)),
        ]);
        let n = normalize(&d, &Options::default());
        // One exact duplicate, one open copy of a closed session; the anonymous open row is
        // kept (no user to match on).
        assert_eq!(n.counts.duplicates, 2);
        assert_eq!(n.counts.count, 3);
        assert_eq!(n.counts.open, 1);
    }

    #[test]
    fn reversed_rows_are_kept_as_empty_intervals_and_listed() {
        let d = data(&[(0, Some(1), 10, Some(5)), (0, Some(2), 0, Some(20))]);
        let n = normalize(&d, &Options::default());
        assert_eq!(n.counts.reversed, 1);
        assert_eq!(n.problems.len(), 1);
        assert_eq!(n.problems[0].line, 2);
        let s = n.sessions.iter().find(|s| s.user() == Some(1)).unwrap();
        assert_eq!(s.start, s.end);
    }

    #[test]
    fn rows_given_up_normalise_as_the_borrowed_ones() {
        // 30 reversed rows (more than the 20 listed), each read twice (the second copy in
        // the fast reader's rows, listed at the first copy's line), duplicates, open
        // copies, an excluded user's reversed row and ordinary sessions.
        let mut rows = Vec::new();
        for i in 0..30 {
            rows.push((i % 3, Some(i % 4), 100 - i64::from(i), Some(50)));
        }
        rows.extend([
            (0, Some(1), 0, Some(10)),
            (0, Some(1), 0, None),
            (1, None, 5, None),
            (2, Some(3), 7, Some(90)),
        ]);
        let make = || {
            let mut d = data(&rows);
            let copies: Vec<CompactRow> = d.sessions[..30]
                .iter()
                .map(|r| {
                    let mut c = *r;
                    c.origin.line += 1000;
                    CompactRow::new(&c).unwrap()
                })
                .collect();
            d.compact.push_file(0, copies);
            d
        };
        let d = make();
        for opts in [
            Options::default(),
            Options {
                exclude_users: vec!["u2".into()],
                ..Options::default()
            },
        ] {
            let want = normalize(&d, &opts);
            let mut owned = make();
            let rows = owned.take_session_rows();
            assert_eq!(owned.session_count(), 0);
            let got = normalize_owned(&owned, rows, &opts);
            assert_eq!(got.sessions, want.sessions);
            assert_eq!(got.counts, want.counts);
            assert_eq!(got.problems, want.problems);
            assert_eq!(want.problems.len(), MAX_LISTED);
            assert!(want.problems.iter().all(|p| p.line < 1000));
            assert_eq!(got.window, want.window);
            assert_eq!(got.rows_read, want.rows_read);
        }
    }

    #[test]
    fn long_rows_and_the_start_range_count_the_fast_readers_rows_too() {
        let day = 24 * 60;
        let mut d = data(&[(0, Some(1), 0, Some(10)), (0, Some(2), 5, Some(8 * day))]);
        let far = SessionRow {
            started: 2 * MIN,
            ended: Some((2 + 9 * day) * MIN),
            origin: Origin { file: 0, line: 77 },
            ..d.sessions[0]
        };
        d.compact.push_file(0, vec![CompactRow::new(&far).unwrap()]);
        let f = normalize(&d, &Options::default()).rows_read;
        assert_eq!(f.long, 2);
        assert_eq!(
            f.longest,
            Some((9 * day * MIN, Origin { file: 0, line: 77 }))
        );
        assert_eq!(f.started, Some((0, 5 * MIN)));
    }

    #[test]
    fn open_sessions_are_capped_and_reconnect_timeout_is_subtracted() {
        let d = data(&[(0, Some(1), 0, None), (0, Some(2), 0, Some(3000))]);
        let opts = Options {
            open_cap: Some(60 * MIN),
            reconnect_timeout: 15_000_000,
            ..Options::default()
        };
        let n = normalize(&d, &opts);
        assert_eq!(n.counts.capped, 1);
        let capped = n.sessions.iter().find(|s| s.user() == Some(1)).unwrap();
        assert_eq!(capped.end, 60 * MIN);
        let closed = n.sessions.iter().find(|s| s.user() == Some(2)).unwrap();
        assert_eq!(closed.end, 3000 * MIN - 15_000_000);
        // open_cap none: until the window end, not counted as capped.
        let n = normalize(
            &d,
            &Options {
                open_cap: None,
                ..Options::default()
            },
        );
        assert_eq!(n.counts.capped, 0);
        assert_eq!(
            n.sessions.iter().find(|s| s.user() == Some(1)).unwrap().end,
            3000 * MIN
        );
    }

    #[test]
    fn reconnect_timeout_never_moves_an_end_before_its_start() {
        let d = data(&[(0, Some(1), 0, Some(0)), (0, Some(2), 0, Some(1))]);
        let n = normalize(
            &d,
            &Options {
                reconnect_timeout: 5 * MIN,
                ..Options::default()
            },
        );
        assert!(n.sessions.iter().all(|s| s.end == s.start));
    }

    #[test]
    fn from_to_clip_sessions_and_drop_those_outside() {
        let d = data(&[
            (0, Some(1), 0, Some(30)),
            (0, Some(2), 40, Some(50)),
            (0, Some(3), 100, Some(110)),
        ]);
        let opts = Options {
            from: Some(20 * MIN),
            to: Some(100 * MIN),
            ..Options::default()
        };
        let n = normalize(&d, &opts);
        assert_eq!(n.window, Some((20 * MIN, 100 * MIN)));
        assert_eq!(
            n.counts.outside_window, 1,
            "a session starting at --to is outside"
        );
        assert_eq!(
            n.sessions[0].start,
            20 * MIN,
            "a session across --from is clipped"
        );
        assert_eq!(n.counts.count, 2);
    }

    #[test]
    fn min_session_uses_the_capped_duration_and_keeps_the_window() {
        let d = data(&[(0, Some(1), 0, Some(1)), (0, Some(2), 0, Some(100))]);
        let n = normalize(
            &d,
            &Options {
                min_session: Some(5 * MIN),
                ..Options::default()
            },
        );
        assert_eq!(n.counts.excluded_short, 1);
        assert_eq!(n.window, Some((0, 100 * MIN)));
    }

    #[test]
    fn without_usage_the_window_comes_from_the_jobs_that_ran() {
        let job = |start: Micros, end: Option<Micros>, status: i64| JobRow {
            content: Some(0),
            app_id: None,
            key: None,
            start,
            end,
            tag: "run_app".into(),
            status: Some(status),
            hostname: None,
            cluster: None,
            origin: Origin { file: 0, line: 2 },
        };
        let d = Dataset {
            jobs: vec![
                // Skipped: never ran, so it does not open the window.
                job(0, Some(5 * MIN), 3),
                job(10 * MIN, Some(40 * MIN), 2),
                // Active without an end: its start counts, as an open session's does.
                job(50 * MIN, None, 0),
                job(20 * MIN, Some(45 * MIN), 2),
            ],
            ..Dataset::default()
        };
        let n = normalize(&d, &Options::default());
        assert!(n.jobs_only);
        assert_eq!(n.window, Some((10 * MIN, 50 * MIN)));
        // Usage, however thin, sets the window and the model runs.
        let mut u = data(&[(0, Some(1), 0, Some(1))]);
        u.jobs = d.jobs.clone();
        let n = normalize(&u, &Options::default());
        assert!(!n.jobs_only);
        assert_eq!(n.window, Some((0, MIN)));
    }

    #[test]
    fn excluded_users_match_guids() {
        let d = data(&[(0, Some(1), 0, Some(10)), (0, Some(2), 0, Some(10))]);
        let n = normalize(
            &d,
            &Options {
                exclude_users: vec!["u1".into()],
                ..Options::default()
            },
        );
        assert_eq!(n.counts.excluded_users, 1);
        assert_eq!(n.counts.users, 1);
    }
}
