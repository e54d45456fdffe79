//! Property tests for the concurrency sweep (docs/metrics.md sections 2 and 3): the fast sweep
//! against a brute-force count at every instant, input-order and thread-count
//! independence, the users series against a distinct-user count, and buckets/profile
//! against the overall series.

use std::collections::BTreeSet;

use approx::assert_relative_eq;
use chrono_tz::Tz;
use connect_capacity::model::usage::buckets::{buckets, BucketKind};
use connect_capacity::model::usage::profile::hour_of_week;
use connect_capacity::model::usage::sweep::*;
use proptest::prelude::*;

/// A session for the users series: `(user, start, end)`, `None` = anonymous.
type Session = (Option<u32>, Micros, Micros);

/// Brute-force concurrency: `#{i : max(s, w0) <= t < min(e, w1)}`.
fn brute(intervals: &[Interval], window: (Micros, Micros), t: Micros) -> u32 {
    intervals
        .iter()
        .filter(|&&(s, e)| s.max(window.0) <= t && t < e.min(window.1))
        .count() as u32
}

/// Distinct users with an open session at `t`: named users once, each anonymous session
/// on its own.
fn brute_users(sessions: &[Session], t: Micros) -> u32 {
    let open = sessions.iter().filter(|&&(_, s, e)| s <= t && t < e);
    let named: BTreeSet<u32> = open.clone().filter_map(|&(u, _, _)| u).collect();
    named.len() as u32 + open.filter(|(u, _, _)| u.is_none()).count() as u32
}

/// Every instant where something can change, plus the integers around the window.
fn instants(intervals: &[Interval], window: (Micros, Micros)) -> Vec<Micros> {
    let mut ts: Vec<Micros> = intervals.iter().flat_map(|&(s, e)| [s, e]).collect();
    ts.extend([window.0, window.1]);
    ts.extend(window.0.min(window.1) - 2..window.1.max(window.0) + 2);
    ts
}

fn check_invariants(series: &StepSeries) {
    let (w0, w1) = series.window;
    assert_eq!(series.times.len(), series.levels.len());
    if w0 >= w1 {
        assert!(series.times.is_empty());
        return;
    }
    assert_eq!(series.times[0], w0);
    assert!(series.times.windows(2).all(|p| p[0] < p[1]));
    assert!(series.times.iter().all(|&t| t < w1));
    assert!(series.levels.windows(2).all(|p| p[0] != p[1]));
}

/// Stats by iterating integer time units (all event times are integers here).
fn brute_stats(intervals: &[Interval], window: (Micros, Micros)) -> ConcurrencyStats {
    let counts: Vec<u32> = (window.0..window.1)
        .map(|t| brute(intervals, window, t))
        .collect();
    if counts.is_empty() {
        return ConcurrencyStats {
            peak: 0,
            peak_at: None,
            average: None,
            p50: None,
            p95: None,
            p99: None,
        };
    }
    let peak = *counts.iter().max().unwrap();
    let peak_at = window.0 + counts.iter().position(|&c| c == peak).unwrap() as i64;
    let n = counts.len() as i64;
    let pct = |p: i64| {
        (0..=peak).find(|&l| 100 * counts.iter().filter(|&&c| c <= l).count() as i64 >= p * n)
    };
    ConcurrencyStats {
        peak,
        peak_at: Some(peak_at),
        average: Some(counts.iter().map(|&c| c as f64).sum::<f64>() / n as f64),
        p50: pct(50),
        p95: pct(95),
        p99: pct(99),
    }
}

fn intervals_strategy() -> impl Strategy<Value = Vec<Interval>> {
    prop::collection::vec((0i64..100, 0i64..100), 0..60)
}

fn window_strategy() -> impl Strategy<Value = (Micros, Micros)> {
    prop_oneof![
        (-5i64..105, -5i64..105),
        Just((0, 100)),
        (0i64..50).prop_map(|a| (a, a))
    ]
}

fn sessions_strategy() -> impl Strategy<Value = Vec<Session>> {
    prop::collection::vec((prop::option::of(0u32..6), 0i64..100, 0i64..100), 0..60)
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sweep_matches_brute_force(iv in intervals_strategy(), w in window_strategy()) {
        let series = step_series(&iv, w);
        check_invariants(&series);
        for t in instants(&iv, w) {
            prop_assert_eq!(series.level_at(t), brute(&iv, w, t), "t = {}", t);
        }
    }

    #[test]
    fn stats_match_brute_force(iv in intervals_strategy(), w in window_strategy()) {
        let got = stats(&step_series(&iv, w));
        let want = brute_stats(&iv, w);
        prop_assert_eq!((got.peak, got.peak_at), (want.peak, want.peak_at));
        prop_assert_eq!((got.p50, got.p95, got.p99), (want.p50, want.p95, want.p99));
        match (got.average, want.average) {
            (Some(a), Some(b)) => assert_relative_eq!(a, b, epsilon = 1e-9),
            (a, b) => prop_assert_eq!(a, b),
        }
    }

    #[test]
    fn shuffled_input_gives_identical_series(
        (iv, shuffled) in intervals_strategy().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        w in window_strategy(),
    ) {
        prop_assert_eq!(step_series(&iv, w), step_series(&shuffled, w));
    }

    #[test]
    fn users_series_matches_distinct_user_count(
        (sessions, shuffled) in sessions_strategy().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        let users = user_intervals(&sessions);
        prop_assert_eq!(&users, &user_intervals(&shuffled));
        let series = step_series(&users, (0, 100));
        check_invariants(&series);
        for t in 0..100 {
            prop_assert_eq!(series.level_at(t), brute_users(&sessions, t), "t = {}", t);
        }
    }

    #[test]
    fn merge_leaves_no_overlap(mut iv in intervals_strategy()) {
        let merged = merge_overlapping(&mut iv);
        prop_assert!(merged.iter().all(|&(s, e)| s < e));
        prop_assert!(merged.windows(2).all(|p| p[0].1 <= p[1].0));
        let w = (0, 100);
        for t in 0..100 {
            prop_assert_eq!(brute(&merged, w, t), brute(&iv, w, t).min(1));
        }
    }

    #[test]
    fn one_thread_equals_four(iv in intervals_strategy(), sessions in sessions_strategy(), w in window_strategy()) {
        let run = || {
            let s = step_series(&iv, w);
            (stats(&s), s, user_intervals(&sessions))
        };
        prop_assert_eq!(in_pool(1, run), in_pool(4, run));
    }

    #[test]
    fn buckets_partition_the_window(
        iv in intervals_strategy(),
        w in (0i64..100, 0i64..100),
        tz in prop_oneof![Just(Tz::UTC), Just(chrono_tz::America::New_York),
                          Just(chrono_tz::Asia::Kolkata), Just(chrono_tz::Australia::Lord_Howe)],
        base in prop_oneof![Just(1_709_856_000i64), Just(1_730_419_200i64), Just(1_711_843_200i64)],
        kind in prop_oneof![Just(BucketKind::Day), Just(BucketKind::Week), Just(BucketKind::Month)],
    ) {
        // Units of 3 h from 2024-03-08, 2024-11-01 or 2024-03-31 (around DST changes).
        const UNIT: i64 = 3 * 3_600_000_000;
        let at = |k: i64| base * 1_000_000 + k * UNIT;
        let scaled: Vec<Interval> = iv.iter().map(|&(s, e)| (at(s), at(e))).collect();
        let window = (at(w.0), at(w.1));
        let series = step_series(&scaled, window);
        let overall = stats(&series);
        let bs = buckets(&series, tz, kind);
        if series.window.0 >= series.window.1 {
            prop_assert!(bs.is_empty());
            return Ok(());
        }
        prop_assert_eq!(bs.first().map(|b| b.start), Some(window.0));
        prop_assert_eq!(bs.last().map(|b| b.end), Some(window.1));
        prop_assert!(bs.windows(2).all(|p| p[0].end == p[1].start));
        prop_assert_eq!(bs.iter().map(|b| b.peak).max(), Some(overall.peak));
        let weighted: f64 = bs.iter().map(|b| b.average * (b.end - b.start) as f64).sum();
        let want = overall.average.unwrap() * (window.1 - window.0) as f64;
        assert_relative_eq!(weighted, want, epsilon = 1e-6 * (1.0 + want.abs()));
        for b in &bs {
            // c(t) is constant on each unit, so the bucket peak is the max over its units.
            let units = (b.start - at(0)).div_euclid(UNIT)..=(b.end - 1 - at(0)).div_euclid(UNIT);
            let peak = units.map(|k| brute(&scaled, window, at(k))).max().unwrap();
            prop_assert_eq!(b.peak, peak, "bucket {}", b.label);
        }
    }

    #[test]
    fn utc_hour_of_week_matches_brute_force(iv in intervals_strategy(), w in (0i64..400, 0i64..400)) {
        // Hour units from Monday 2024-03-04 00:00 UTC.
        const HOUR: i64 = 3_600_000_000;
        let base = 1_709_510_400 * 1_000_000;
        let scaled: Vec<Interval> = iv.iter().map(|&(s, e)| (base + 4 * s * HOUR, base + 4 * e * HOUR)).collect();
        let window = (base + w.0 * HOUR, base + w.1 * HOUR);
        let profile = hour_of_week(&step_series(&scaled, window), Tz::UTC);
        let mut sums = [[(0u32, 0u32); 24]; 7];
        for k in w.0..w.1 {
            let slot = &mut sums[((k / 24) % 7) as usize][(k % 24) as usize];
            slot.0 += brute(&scaled, window, base + k * HOUR);
            slot.1 += 1;
        }
        for (day, want_day) in profile.means.iter().zip(&sums) {
            for (&got, &(sum, n)) in day.iter().zip(want_day) {
                let want = (n > 0).then(|| sum as f64 / n as f64);
                match (got, want) {
                    (Some(a), Some(b)) => assert_relative_eq!(a, b, epsilon = 1e-12),
                    (a, b) => prop_assert_eq!(a, b),
                }
            }
        }
        prop_assert_eq!(profile.busiest.is_some(), w.0 < w.1);
    }
}

/// Deterministic pseudo-random intervals (an LCG), large enough for rayon to split work.
fn big_input(n: usize) -> (Vec<Interval>, Vec<Session>) {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    };
    let mut iv = Vec::with_capacity(n);
    let mut sessions = Vec::with_capacity(n);
    for _ in 0..n {
        let s = (next() % 10_000_000) as i64;
        let e = s + (next() % 50_000) as i64 - 1_000;
        let user = next() % 500;
        iv.push((s, e));
        sessions.push(((user < 450).then_some(user as u32), s, e));
    }
    (iv, sessions)
}

#[test]
fn large_input_one_thread_equals_four() {
    let (iv, sessions) = big_input(200_000);
    let run = || {
        let s = step_series(&iv, (1_000, 9_900_000));
        let u = step_series(&user_intervals(&sessions), (0, 10_000_000));
        (stats(&s), s, stats(&u), u)
    };
    let (one, four) = (in_pool(1, run), in_pool(4, run));
    assert_eq!(one, four);
    assert!(one.0.peak > 100);
}
