//! Monthly series and growth (docs/metrics.md section 6): sessions, visits, active users and
//! session concurrency per calendar month, and a least-squares fit of
//! ln(monthly p95 concurrency) on the month index.

use rayon::prelude::*;
use serde::Serialize;

use super::buckets::Bucket;
use super::normalize::Session;
use super::sweep::{stats, StepSeries};
use crate::ingest::{Micros, VisitRow};

/// One calendar month of the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Month {
    /// `YYYY-MM` in the reporting zone.
    pub month: String,
    /// True when the whole month lies inside the window.
    pub full: bool,
    /// Sessions that started in the month.
    pub sessions: u64,
    /// Visits in the month.
    pub visits: u64,
    /// Distinct non-anonymous users with a session or visit in the month.
    pub active_users: u64,
    /// Peak concurrent sessions.
    pub peak: u32,
    /// Time-weighted 95th percentile of concurrent sessions.
    pub p95: Option<u32>,
    /// Time-weighted average concurrent sessions.
    pub average: f64,
}

/// A log-linear growth fit over full months.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrowthFit {
    /// What was fitted (`p95 concurrent sessions`, `active users`).
    pub metric: String,
    /// Months used (`YYYY-MM`).
    pub months_used: Vec<String>,
    /// Months left out (partial, or a value of 0), with the reason.
    pub months_dropped: Vec<String>,
    /// Growth per month, as a fraction (0.05 = 5 %); `None` with fewer than 3 months.
    pub rate_per_month: Option<f64>,
    /// Growth per year, `(1 + r)^12 - 1`.
    pub rate_per_year: Option<f64>,
    /// Coefficient of determination of the fit.
    pub r_squared: Option<f64>,
    /// The fitted curve, `exp(intercept + slope x month index)`, at every month of the
    /// window and then at each month up to `ahead` months past the last one; empty
    /// without a fit.
    pub trend: Vec<TrendPoint>,
}

/// One month of a fitted growth curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// `YYYY-MM`.
    pub month: String,
    /// Fitted value.
    pub value: f64,
    /// True past the window's last month (a projection).
    pub projected: bool,
}

/// Most months a trend is projected ahead (keeps the curve finite and the chart legible).
pub const MAX_TREND_AHEAD: u32 = 60;

/// The monthly series from month buckets of the session series.
///
/// One parallel pass over the sessions and one over the visits: each is placed in its
/// month by a binary search over the (sorted, disjoint) buckets, and users are marked in
/// one bitset per month, so the cost does not grow with the number of months.
pub fn monthly(
    months: &[Bucket],
    series: &StepSeries,
    sessions: &[Session],
    visits: &[VisitRow],
) -> Vec<Month> {
    monthly_with(months, series, sessions, visits, BITSET_WORDS)
}

/// Most 64-bit words of user bitsets (months x users) one tally may hold (8 MB); with more
/// (millions of users over years) the distinct (month, user) pairs are sorted instead,
/// so memory stays linear in the rows.
const BITSET_WORDS: usize = 1 << 20;

/// [`monthly`] with the bitset limit as a parameter (tests take both ways).
fn monthly_with(
    months: &[Bucket],
    series: &StepSeries,
    sessions: &[Session],
    visits: &[VisitRow],
    bitset_words: usize,
) -> Vec<Month> {
    let users = sessions
        .par_iter()
        .filter_map(|s| s.user())
        .chain(visits.par_iter().filter_map(|v| v.user))
        .max()
        .map_or(0, |u| u as usize + 1);
    let bitsets = months.len().saturating_mul(users.div_ceil(64)) <= bitset_words;
    let words = if bitsets { users.div_ceil(64) } else { 0 };
    let from_sessions = tally(months, words, sessions, |s| (s.start, s.user()), true);
    let from_visits = tally(months, words, visits, |v| (v.time, v.user), false);
    let Tally {
        sessions: n_sessions,
        visits: n_visits,
        seen,
    } = from_sessions.merge(from_visits);
    let active: Vec<u64> = if bitsets {
        (0..months.len())
            .map(|m| {
                seen[m * words..(m + 1) * words]
                    .iter()
                    .map(|w| u64::from(w.count_ones()))
                    .sum()
            })
            .collect()
    } else {
        active_by_sorting(months, sessions, visits)
    };
    months
        .iter()
        .enumerate()
        .map(|(m, b)| Month {
            month: b.label.clone(),
            full: b.full,
            sessions: n_sessions[m],
            visits: n_visits[m],
            active_users: active[m],
            peak: b.peak,
            p95: stats(&slice(series, (b.start, b.end))).p95,
            average: b.average,
        })
        .collect()
}

/// Sessions, visits and user bitsets per month, while they are counted.
struct Tally {
    sessions: Vec<u64>,
    visits: Vec<u64>,
    /// `words` per month: bit `u` set when user `u` was active in the month.
    seen: Vec<u64>,
}

impl Tally {
    fn new(months: usize, words: usize) -> Tally {
        Tally {
            sessions: vec![0; months],
            visits: vec![0; months],
            seen: vec![0; months * words],
        }
    }

    fn merge(mut self, other: Tally) -> Tally {
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.sessions, &other.sessions);
        add(&mut self.visits, &other.visits);
        for (x, y) in self.seen.iter_mut().zip(&other.seen) {
            *x |= y;
        }
        self
    }
}

/// The month of `t` among the sorted, disjoint `months`. The last month also holds its
/// end instant: a session or visit kept at exactly the window end (a window taken from the
/// data ends at its last instant, docs/metrics.md 1.7) counts in the last day and month,
/// as it does in the totals.
fn month_of(months: &[Bucket], t: Micros) -> Option<usize> {
    let i = months.partition_point(|b| b.start <= t).checked_sub(1)?;
    let last = i + 1 == months.len();
    (t < months[i].end || last && t == months[i].end).then_some(i)
}

/// Distinct named users per month from the sorted, deduplicated (month, user) pairs.
fn active_by_sorting(months: &[Bucket], sessions: &[Session], visits: &[VisitRow]) -> Vec<u64> {
    let pair =
        |t: Micros, u: Option<u32>| Some((month_of(months, t)? as u64) << 32 | u64::from(u?));
    let mut pairs: Vec<u64> = sessions
        .par_iter()
        .filter_map(|s| pair(s.start, s.user()))
        .chain(visits.par_iter().filter_map(|v| pair(v.time, v.user)))
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    let mut active = vec![0_u64; months.len()];
    for p in pairs {
        active[(p >> 32) as usize] += 1;
    }
    active
}

/// Counts `items` (sessions when `are_sessions`, else visits) by the month of their
/// instant and marks their users, in parallel chunks.
fn tally<T: Sync>(
    months: &[Bucket],
    words: usize,
    items: &[T],
    at: impl Fn(&T) -> (Micros, Option<u32>) + Sync,
    are_sessions: bool,
) -> Tally {
    const CHUNK: usize = 1 << 18;
    items
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut t = Tally::new(months.len(), words);
            for item in chunk {
                let (time, user) = at(item);
                let Some(m) = month_of(months, time) else {
                    continue;
                };
                if are_sessions {
                    t.sessions[m] += 1;
                } else {
                    t.visits[m] += 1;
                }
                if let Some(u) = user.filter(|_| words > 0) {
                    t.seen[m * words + u as usize / 64] |= 1 << (u % 64);
                }
            }
            t
        })
        .reduce(|| Tally::new(months.len(), words), Tally::merge)
}

/// The part of a step series inside `window` (which must lie inside the series' window).
pub fn slice(series: &StepSeries, window: (Micros, Micros)) -> StepSeries {
    let mut out = StepSeries {
        window,
        times: Vec::new(),
        levels: Vec::new(),
    };
    if window.0 >= window.1 || series.times.is_empty() {
        return out;
    }
    let first = series
        .times
        .partition_point(|&t| t <= window.0)
        .saturating_sub(1);
    for i in first..series.times.len() {
        let t = series.times[i].max(window.0);
        if t >= window.1 {
            break;
        }
        out.times.push(t);
        out.levels.push(series.levels[i]);
    }
    out
}

/// Fits ln(value) on the month index over full months with a positive value; the trend
/// runs `ahead` months (at most [`MAX_TREND_AHEAD`]) past the last month.
pub fn fit(metric: &str, months: &[Month], ahead: u32, value: impl Fn(&Month) -> f64) -> GrowthFit {
    let mut points = Vec::new();
    let mut used = Vec::new();
    let mut dropped = Vec::new();
    for (i, m) in months.iter().enumerate() {
        let v = value(m);
        if !m.full {
            dropped.push(format!("{} (partial month)", m.month));
        } else if v <= 0.0 {
            dropped.push(format!("{} (zero)", m.month));
        } else {
            points.push((i as f64, v.ln()));
            used.push(m.month.clone());
        }
    }
    let line = (points.len() >= 3)
        .then(|| least_squares(&points))
        .flatten();
    let rate = line.map(|(b, _, _)| b.exp() - 1.0);
    let trend = line
        .map(|(b, a, _)| trend(months, a, b, ahead.min(MAX_TREND_AHEAD)))
        .unwrap_or_default();
    GrowthFit {
        metric: metric.to_string(),
        months_used: used,
        months_dropped: dropped,
        rate_per_month: rate,
        rate_per_year: rate.map(|r| (1.0 + r).powi(12) - 1.0),
        r_squared: line.map(|(_, _, r2)| r2),
        trend,
    }
}

/// `exp(a + b i)` for every month index of the window and `ahead` months beyond.
fn trend(months: &[Month], a: f64, b: f64, ahead: u32) -> Vec<TrendPoint> {
    let last = months.last().map(|m| m.month.as_str()).unwrap_or("");
    let n = months.len();
    (0..n + ahead as usize)
        .map(|i| TrendPoint {
            month: match months.get(i) {
                Some(m) => m.month.clone(),
                None => month_after(last, (i + 1 - n) as u32),
            },
            value: (a + b * i as f64).exp(),
            projected: i >= n,
        })
        .collect()
}

/// The label `k` months after `YYYY-MM` (`+k` when the label does not parse).
fn month_after(label: &str, k: u32) -> String {
    let parsed = label
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i64>().ok()?, m.parse::<i64>().ok()?)))
        .filter(|(_, m)| (1..=12).contains(m));
    match parsed {
        Some((y, m)) => {
            let idx = y * 12 + (m - 1) + i64::from(k);
            format!("{:04}-{:02}", idx.div_euclid(12), idx.rem_euclid(12) + 1)
        }
        None => format!("{label}+{k}"),
    }
}

/// Slope, intercept and R² of the least-squares line through `points`; `None` when x
/// is constant.
fn least_squares(points: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - my).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let r2 = if syy == 0.0 {
        1.0
    } else {
        sxy * sxy / (sxx * syy)
    };
    Some((slope, my - slope * mx, r2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn month(label: &str, full: bool, p95: u32) -> Month {
        Month {
            month: label.into(),
            full,
            sessions: 0,
            visits: 0,
            active_users: 0,
            peak: p95,
            p95: Some(p95),
            average: 0.0,
        }
    }

    #[test]
    fn exact_ten_percent_growth_is_recovered() {
        let values = [100.0, 110.0, 121.0, 133.1];
        let months: Vec<Month> = (0..4)
            .map(|i| month(&format!("2024-0{}", i + 1), true, 0))
            .collect();
        let f = fit("x", &months, 0, |m| {
            values[months.iter().position(|x| x.month == m.month).unwrap()]
        });
        assert_relative_eq!(f.rate_per_month.unwrap(), 0.10, epsilon = 1e-12);
        assert_relative_eq!(f.r_squared.unwrap(), 1.0, epsilon = 1e-12);
        assert_relative_eq!(
            f.rate_per_year.unwrap(),
            1.1f64.powi(12) - 1.0,
            epsilon = 1e-9
        );
    }

    #[test]
    fn partial_and_zero_months_are_dropped_and_listed() {
        let months = vec![
            month("2024-01", false, 5),
            month("2024-02", true, 0),
            month("2024-03", true, 4),
            month("2024-04", true, 4),
        ];
        let f = fit("p95", &months, 12, |m| m.p95.unwrap_or(0) as f64);
        assert_eq!(f.months_used, vec!["2024-03", "2024-04"]);
        assert_eq!(f.months_dropped.len(), 2);
        assert_eq!(f.rate_per_month, None, "fewer than 3 months gives no fit");
        assert!(f.trend.is_empty(), "no fit, no trend");
    }

    #[test]
    fn trend_follows_the_fit_and_projects_past_the_last_month() {
        // Values 100, 110, 121 in months 0..2 lie exactly on 100 x 1.1^i, so the fitted
        // curve is 100 x 1.1^i: 121 at the last month, 133.1 one month on and 146.41 two
        // months on (2024-12 is followed by 2025-01 and 2025-02).
        let labels = ["2024-10", "2024-11", "2024-12"];
        let values = [100.0, 110.0, 121.0];
        let months: Vec<Month> = labels.iter().map(|l| month(l, true, 0)).collect();
        let f = fit("x", &months, 2, |m| {
            values[labels.iter().position(|l| *l == m.month).unwrap()]
        });
        let got: Vec<(&str, bool)> = f
            .trend
            .iter()
            .map(|t| (t.month.as_str(), t.projected))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2024-10", false),
                ("2024-11", false),
                ("2024-12", false),
                ("2025-01", true),
                ("2025-02", true),
            ]
        );
        for (t, want) in f.trend.iter().zip([100.0, 110.0, 121.0, 133.1, 146.41]) {
            assert_relative_eq!(t.value, want, epsilon = 1e-9);
        }
    }

    #[test]
    fn trend_ahead_is_capped() {
        let months: Vec<Month> = (1..=3)
            .map(|i| month(&format!("2024-0{i}"), true, i))
            .collect();
        let f = fit("x", &months, 10_000, |m| m.p95.unwrap_or(0) as f64);
        assert_eq!(f.trend.len(), 3 + MAX_TREND_AHEAD as usize);
        assert!(f.trend.iter().all(|t| t.value.is_finite()));
    }

    #[test]
    fn month_after_rolls_over_years_and_survives_odd_labels() {
        assert_eq!(month_after("2024-12", 1), "2025-01");
        assert_eq!(month_after("2024-01", 25), "2026-02");
        assert_eq!(month_after("junk", 2), "junk+2");
    }

    #[test]
    fn slice_keeps_the_level_holding_at_the_cut() {
        let s = StepSeries {
            window: (0, 100),
            times: vec![0, 10, 50],
            levels: vec![0, 2, 1],
        };
        let cut = slice(&s, (20, 60));
        assert_eq!(cut.times, vec![20, 50]);
        assert_eq!(cut.levels, vec![2, 1]);
    }

    /// Three months of 100 instants each, the window starting at 50 (the first partial).
    fn three_months() -> Vec<Bucket> {
        [(50, 100, false), (100, 200, true), (200, 300, true)]
            .iter()
            .enumerate()
            .map(|(i, &(start, end, full))| Bucket {
                label: format!("m{i}"),
                start,
                end,
                full,
                peak: 0,
                average: 0.0,
            })
            .collect()
    }

    proptest::proptest! {
        /// Sessions, visits and distinct active users per month against a direct count,
        /// with the user bitsets and with the sorted pairs (few users, ids up to 200,000).
        #[test]
        fn monthly_counts_match_a_direct_count(
            sessions in proptest::collection::vec(
                (0..4_u32, proptest::option::of(proptest::prop_oneof![0..6_u32, 199_990..200_000_u32]), 0..320_i64),
                0..60,
            ),
            visits in proptest::collection::vec(
                (0..4_u32, proptest::option::of(proptest::prop_oneof![0..6_u32, 199_990..200_000_u32]), 0..320_i64),
                0..30,
            ),
        ) {
            let months = three_months();
            let sessions: Vec<Session> = sessions
                .iter()
                .map(|&(content, user, t)| Session::new(content, user, t, t + 5))
                .collect();
            let visits: Vec<VisitRow> = visits
                .iter()
                .map(|&(content, user, time)| VisitRow {
                    source: crate::ingest::VisitSource::Visits,
                    content,
                    user,
                    time,
                    data_version: 3,
                    user_agent: None,
                    origin: crate::ingest::Origin { file: 0, line: 2 },
                })
                .collect();
            let series = StepSeries { window: (50, 300), times: vec![50], levels: vec![0] };
            let bits = monthly_with(&months, &series, &sessions, &visits, usize::MAX);
            let sorted = monthly_with(&months, &series, &sessions, &visits, 0);
            proptest::prop_assert_eq!(&bits, &sorted);
            for (m, b) in months.iter().enumerate() {
                let last = m + 1 == months.len();
                let inside = |t: Micros| b.start <= t && (t < b.end || last && t == b.end);
                let users: std::collections::BTreeSet<u32> = sessions
                    .iter()
                    .filter(|s| inside(s.start))
                    .filter_map(|s| s.user())
                    .chain(visits.iter().filter(|v| inside(v.time)).filter_map(|v| v.user))
                    .collect();
                proptest::prop_assert_eq!(
                    bits[m].sessions,
                    sessions.iter().filter(|s| inside(s.start)).count() as u64
                );
                proptest::prop_assert_eq!(
                    bits[m].visits,
                    visits.iter().filter(|v| inside(v.time)).count() as u64
                );
                proptest::prop_assert_eq!(bits[m].active_users, users.len() as u64);
            }
        }
    }
}
