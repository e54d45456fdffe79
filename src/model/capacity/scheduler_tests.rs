//! Hand-worked cases for the scheduler model, the scaled replay and weighted series.
//! Times are small integers (µs) unless a calendar matters; each expected value is
//! derived in the comment above it.

use super::*;
use crate::model::capacity::proc_table::{LevelSets, LoadTree};
use chrono::{TimeZone, Utc};

fn c(start: Micros, end: Micros, user: u64) -> Conn {
    Conn { start, end, user }
}

/// Settings from (min, max, max_conns, load_factor, idle_timeout).
fn set(min: u32, max: u32, conns: u32, load_factor: f64, idle: Micros) -> Settings {
    Settings {
        min_processes: min,
        max_processes: max,
        max_conns_per_process: conns,
        load_factor,
        idle_timeout: idle,
    }
}

fn utc(y: i32, m: u32, d: u32, h: u32) -> Micros {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .timestamp_micros()
}

#[test]
fn defaults_are_connects() {
    let d = Settings::default();
    assert_eq!(d, set(0, 3, 20, 0.5, 5_000_000));
    assert_eq!(d.threshold(), 10);
    assert_eq!(d.validate(), Ok(()));
}

#[test]
fn threshold_uses_integer_arithmetic() {
    // The float product 0.14 x 50 is 7.000000000000001, whose ceiling is 8: the reason
    // for the integer rule. L = 140000, (140000 * 50 + 999999) / 1e6 = 7.
    assert_eq!((0.14_f64 * 50.0).ceil(), 8.0);
    assert_eq!(set(0, 3, 50, 0.14, 0).threshold(), 7);
    // Load factor 0: ceil(0) = 0, raised to the floor of 1.
    assert_eq!(set(0, 3, 20, 0.0, 0).threshold(), 1);
    // Load factor 1: exactly max_conns.
    assert_eq!(set(0, 3, 20, 1.0, 0).threshold(), 20);
    // 0.5 x 3 = 1.5 rounds up to 2; 0.01 x 20 = 0.2 rounds up to 1.
    assert_eq!(set(0, 3, 3, 0.5, 0).threshold(), 2);
    assert_eq!(set(0, 3, 20, 0.01, 0).threshold(), 1);
    // Invalid load factors are clamped, never overflow: NaN and -1 act as 0, 7 as 1.
    assert_eq!(set(0, 3, 20, f64::NAN, 0).threshold(), 1);
    assert_eq!(set(0, 3, 20, -1.0, 0).threshold(), 1);
    assert_eq!(set(0, 3, u32::MAX, 7.0, 0).threshold(), u32::MAX);
}

#[test]
fn per_nodes_multiplies_process_limits() {
    let s = set(1, 3, 20, 0.5, 7).per_nodes(4);
    assert_eq!(s, set(4, 12, 20, 0.5, 7));
    let s = set(2, u32::MAX / 2 + 1, 20, 0.5, 7).per_nodes(2);
    assert_eq!((s.min_processes, s.max_processes), (4, u32::MAX));
}

#[test]
fn validate_names_field_and_rule() {
    let cases = [
        (set(0, 0, 20, 0.5, 0), "max_processes", "at least 1"),
        (
            set(4, 3, 20, 0.5, 0),
            "min_processes (4)",
            "must not exceed",
        ),
        (set(0, 3, 0, 0.5, 0), "max_conns_per_process", "at least 1"),
        (
            set(0, 3, 20, 1.5, 0),
            "load_factor (1.5)",
            "between 0 and 1",
        ),
        (
            set(0, 3, 20, -0.1, 0),
            "load_factor (-0.1)",
            "between 0 and 1",
        ),
        (
            set(0, 3, 20, f64::NAN, 0),
            "load_factor (NaN)",
            "between 0 and 1",
        ),
        (set(0, 3, 20, 0.5, -1), "idle_timeout", "0 or more"),
    ];
    for (s, field, rule) in cases {
        let bad = s.validate().unwrap_err();
        let msg = bad.message;
        assert!(msg.contains(field) && msg.contains(rule), "{msg}");
        assert!(
            field.starts_with(bad.field),
            "{field} blamed on {}",
            bad.field
        );
    }
    // The bounds themselves are valid.
    assert_eq!(set(3, 3, 1, 0.0, 0).validate(), Ok(()));
    assert_eq!(set(0, 1, 1, 1.0, 0).validate(), Ok(()));
}

#[test]
fn eleventh_concurrent_session_spawns_at_threshold_ten() {
    // Defaults: threshold 10. Sessions start at 0, 1, ..., 10 and all end at 100. The
    // one at t finds process 1 holding t connections: t < 10 joins it for t = 0..9
    // (the first spawns it); at t = 10 it holds 10, not below the threshold, so process
    // 2 starts. Both go idle at 100 and exit 5 later at 105.
    let s = set(0, 3, 20, 0.5, 5);
    let mut conns: Vec<Conn> = (0..=10).map(|t| c(t, 100, 0)).collect();
    let r = replay(&conns, &s, (0, 200));
    assert_eq!(r.alive, vec![(0, 105), (10, 105)]);
    assert_eq!(r.active, vec![(0, 100), (10, 100)]);
    assert_eq!((r.connected, r.rejected, r.spawned), (11, 0, 2));
    // Ten sessions only: one process.
    conns.pop();
    let r = replay(&conns, &s, (0, 200));
    assert_eq!((r.alive.as_slice(), r.spawned), (&[(0, 105)][..], 1));
}

#[test]
fn idle_process_is_reused_until_it_exits() {
    let s = set(0, 3, 20, 0.5, 5);
    // A [0,10) spawns P1, idle from 10, due to exit at 15. B at 14 finds it still
    // alive and rejoins (its exit is cancelled); P1 idles again from 20, exits at 25.
    // C at 30 finds nothing and spawns P2, which exits at 40 + 5.
    let r = replay(&[c(0, 10, 0), c(14, 20, 0), c(30, 40, 0)], &s, (0, 100));
    assert_eq!(r.alive, vec![(0, 25), (30, 45)]);
    assert_eq!(r.active, vec![(0, 10), (14, 20), (30, 40)]);
    assert_eq!(r.spawned, 2);
}

#[test]
fn exit_at_the_instant_of_a_start_comes_first() {
    // P1 is due to exit at 10 + 5 = 15; B starts at 15. Exits precede starts, so B
    // spawns P2, alive until 20 + 5.
    let s = set(0, 3, 20, 0.5, 5);
    let r = replay(&[c(0, 10, 0), c(15, 20, 0)], &s, (0, 100));
    assert_eq!(r.alive, vec![(0, 15), (15, 25)]);
    assert_eq!(r.spawned, 2);
    // With idle_timeout 0 a process exits the instant its last session ends, before a
    // session starting then: two processes even though the sessions only touch.
    let s = set(0, 1, 1, 1.0, 0);
    let r = replay(&[c(0, 10, 0), c(10, 20, 0)], &s, (0, 100));
    assert_eq!(r.alive, vec![(0, 10), (10, 20)]);
    assert_eq!((r.connected, r.rejected, r.spawned), (2, 0, 2));
}

#[test]
fn ends_come_before_starts_and_stretches_stay_maximal() {
    // One process of one connection. The first session ends at 10 before the second
    // starts at 10, so the second finds the (still alive) process free: nothing is
    // rejected. The process is busy on [0,10) and [10,20): one maximal stretch.
    let s = set(0, 1, 1, 1.0, 5);
    let r = replay(&[c(10, 20, 0), c(0, 10, 0)], &s, (0, 100));
    assert_eq!((r.connected, r.rejected, r.spawned), (2, 0, 1));
    assert_eq!(r.active, vec![(0, 20)]);
    assert_eq!(r.alive, vec![(0, 25)]);
}

#[test]
fn warm_processes_live_the_whole_window() {
    // One warm process, defaults otherwise: the session joins it (load 0 < 10); nothing
    // spawns; it is alive on the whole window but active only while connected.
    let r = replay(&[c(20, 30, 0)], &set(1, 3, 20, 0.5, 5), (0, 100));
    assert_eq!(r.alive, vec![(0, 100)]);
    assert_eq!(r.active, vec![(20, 30)]);
    assert_eq!((r.connected, r.spawned), (1, 0));
}

#[test]
fn warm_processes_come_first_and_never_exit() {
    // Two warm processes W0, W1, threshold 1 (load factor 0), room for three.
    // t=10: [10,20) ends first so goes first: W0 (both idle, tie -> spawned first);
    //       [10,30) -> W1 (load 0 beats W0's 1).
    // t=20: W0 idle again; warm, so it stays.
    // t=25: [25,35) -> W0 (load 0).
    // t=26: [26,40): W0 and W1 hold 1, not below 1; 2 alive < 3 -> spawn P2 at 26.
    // P2 idles at 40 and exits at 45; W0 and W1 live until the window end.
    let s = set(2, 3, 20, 0.0, 5);
    let conns = [c(10, 30, 0), c(10, 20, 1), c(25, 35, 0), c(26, 40, 0)];
    let r = replay(&conns, &s, (0, 100));
    assert_eq!(r.alive, vec![(0, 100), (0, 100), (26, 45)]);
    assert_eq!(r.active, vec![(10, 20), (10, 30), (25, 35), (26, 40)]);
    assert_eq!(r.spawned, 1);
}

#[test]
fn full_processes_take_least_loaded_then_reject() {
    // max 2 processes, 3 connections each, threshold 1 (load factor 0).
    // S1 [0,50) spawns P1. S2 [1,50): P1 holds 1, not below 1 -> spawn P2.
    // S3 [2,10): max reached; P1 and P2 tie at 1 -> P1 (spawned first), now 2.
    // S4 [3,60) -> P2 (1 < 2), now 2.  S5 [4,70): tie at 2 -> P1, now 3.
    // S6 [5,80) -> P2, now 3.  S7 [6,90): both at 3 = max_conns -> rejected.
    // t=10 S3 ends (P1 2). S8 [11,20) -> P1 (2 < 3).
    // P1's last session ends at 70 (S5), P2's at 80 (S6); exits 5 later.
    // (Ties going to the later process would leave P1 busy until 80, P2 until 70.)
    let s = set(0, 2, 3, 0.0, 5);
    let conns = [
        c(0, 50, 0),
        c(1, 50, 0),
        c(2, 10, 0),
        c(3, 60, 0),
        c(4, 70, 0),
        c(5, 80, 0),
        c(6, 90, 0),
        c(11, 20, 0),
    ];
    let r = replay(&conns, &s, (0, 200));
    assert_eq!(r.active, vec![(0, 70), (1, 80)]);
    assert_eq!(r.alive, vec![(0, 75), (1, 85)]);
    assert_eq!((r.connected, r.rejected, r.spawned), (7, 1, 2));
    assert_eq!(r.rejected_at, vec![6]);
}

#[test]
fn rejected_session_holds_nothing() {
    // One process of two connections (threshold 2). At 0 the sessions go by end: the
    // two ending at 10 connect, the one ending at 50 is rejected. Its end is ignored:
    // the process idles from 10 and exits at 15, not 55.
    let s = set(0, 1, 2, 1.0, 5);
    let r = replay(&[c(0, 50, 0), c(0, 10, 1), c(0, 10, 2)], &s, (0, 100));
    assert_eq!((r.connected, r.rejected), (2, 1));
    assert_eq!(r.rejected_at, vec![0]);
    assert_eq!(r.alive, vec![(0, 15)]);
    assert_eq!(r.active, vec![(0, 10)]);
}

#[test]
fn same_instant_starts_go_by_end() {
    // Two processes of one connection. Input order 30, 10, 20; taken as 10 (spawns
    // P1), 20 (spawns P2), 30 (rejected). P1 exits 10 + 5, P2 20 + 5. In input order
    // the session ending at 20 would have been the rejected one.
    let s = set(0, 2, 1, 1.0, 5);
    let r = replay(&[c(0, 30, 0), c(0, 10, 1), c(0, 20, 2)], &s, (0, 100));
    assert_eq!(r.alive, vec![(0, 15), (0, 25)]);
    assert_eq!(r.rejected, 1);
    // Sessions equal but for the user are interchangeable: the user order decides which
    // is placed first, and either way the result is the same.
    let a = [c(0, 10, ANONYMOUS), c(0, 10, 3), c(0, 10, 1)];
    let b = [c(0, 10, 1), c(0, 10, 3), c(0, 10, ANONYMOUS)];
    let s = set(0, 1, 2, 1.0, 5);
    assert_eq!(replay(&a, &s, (0, 100)), replay(&b, &s, (0, 100)));
    assert_eq!(replay(&a, &s, (0, 100)).rejected, 1);
}

#[test]
fn empty_sessions_never_connect() {
    // Neither connected nor rejected, and no process starts.
    let r = replay(&[c(5, 5, 0), c(7, 3, 0)], &Settings::default(), (0, 100));
    assert_eq!(r, Replay::default());
    // An empty session does not take the only connection: [5,5) sorts first (end 5)
    // but the one-connection process goes to [5,10).
    let r = replay(&[c(5, 10, 0), c(5, 5, 0)], &set(0, 1, 1, 1.0, 5), (0, 100));
    assert_eq!((r.connected, r.rejected), (1, 0));
}

#[test]
fn window_clips_sessions_and_processes() {
    // [-10,5) counts from 0: P1 on [0,5), exits at 10. [90,150) spawns P2 at 90, which
    // stops at the window end 100. [100,110) lies outside: empty after clipping.
    let s = set(0, 3, 20, 0.5, 5);
    let conns = [c(-10, 5, 0), c(90, 150, 0), c(100, 110, 0)];
    let r = replay(&conns, &s, (0, 100));
    assert_eq!(r.alive, vec![(0, 10), (90, 100)]);
    assert_eq!(r.active, vec![(0, 5), (90, 100)]);
    assert_eq!((r.connected, r.spawned), (2, 2));
    // An idle process due to exit after the window end (98 + 5) stops at the end.
    let r = replay(&[c(97, 98, 0)], &s, (0, 100));
    assert_eq!(r.alive, vec![(97, 100)]);
    // An empty window has nothing, warm processes included.
    assert_eq!(
        replay(&conns, &set(2, 3, 20, 0.5, 5), (5, 5)),
        Replay::default()
    );
}

#[test]
fn series_helpers_count_processes() {
    // From the threshold case: 1 process on [0,10), 2 on [10,105).
    let conns: Vec<Conn> = (0..=10).map(|t| c(t, 100, 0)).collect();
    let r = replay(&conns, &set(0, 3, 20, 0.5, 5), (0, 200));
    let alive = r.alive_series((0, 200));
    assert_eq!(
        (alive.times, alive.levels),
        (vec![0, 10, 105], vec![1, 2, 0])
    );
    let active = r.active_series((0, 200));
    assert_eq!(
        (active.times, active.levels),
        (vec![0, 10, 100], vec![1, 2, 0])
    );
}

/// Four sessions over two content items, given out of canonical order.
fn four() -> Vec<(u32, Conn)> {
    vec![
        (2, c(0, 10, 0)),
        (1, c(5, 10, 1)),
        (1, c(0, 10, ANONYMOUS)),
        (1, c(0, 10, 2)),
    ]
}

#[test]
fn scale_follows_the_floor_rule() {
    // Canonical order: i0 (1, 0-10 u2), i1 (1, 0-10 anon), i2 (1, 5-10 u1),
    // i3 (2, 0-10 u0). Fraction 0.5: i gets a copy iff floor((i+1)/2) > floor(i/2),
    // i.e. i = 1 and 3. Highest named user 2, so copy 1 of user u is 3 + u; the
    // anonymous copy stays anonymous.
    let got = scale(&four(), 1.5);
    let want = vec![
        (1, c(0, 10, 2)),
        (1, c(0, 10, ANONYMOUS)),
        (1, c(0, 10, ANONYMOUS)),
        (1, c(5, 10, 1)),
        (2, c(0, 10, 0)),
        (2, c(0, 10, 3)),
    ];
    assert_eq!(got, want);
    // k = 0.5: the same picks, but as the originals (copy 0).
    assert_eq!(
        scale(&four(), 0.5),
        vec![(1, c(0, 10, ANONYMOUS)), (2, c(0, 10, 0))]
    );
}

#[test]
fn scale_fractions_are_exact_where_floats_are_not() {
    // 2.3 - 2.0 is 0.29999999999999982 in f64, so a float floor of 10 x 0.2999... gives
    // 2 extra sessions; K is taken in millionths: 10 sessions x 2.3 = 23 exactly, 4.3 ->
    // 43, 0.7 -> 7.
    let ten: Vec<(u32, Conn)> = (0..10).map(|i| (0, c(i, i + 5, i as u64))).collect();
    assert_eq!(scale(&ten, 2.3).len(), 23);
    assert_eq!(scale(&ten, 4.3).len(), 43);
    assert_eq!(scale(&ten, 0.7).len(), 7);
    assert_eq!(scale(&ten, 1.0).len(), 10);
}

#[test]
fn scale_whole_copies_get_their_own_users() {
    // k = 2: everything twice; copy 1 of user u is 3 + u (2 -> 5, 1 -> 4, 0 -> 3).
    let want = vec![
        (1, c(0, 10, 2)),
        (1, c(0, 10, 5)),
        (1, c(0, 10, ANONYMOUS)),
        (1, c(0, 10, ANONYMOUS)),
        (1, c(5, 10, 1)),
        (1, c(5, 10, 4)),
        (2, c(0, 10, 0)),
        (2, c(0, 10, 3)),
    ];
    assert_eq!(scale(&four(), 2.0), want);
    // k = 1 is the input, sorted; k = 0 and nonsense k give nothing.
    let mut sorted = four();
    sorted.sort();
    assert_eq!(scale(&four(), 1.0), sorted);
    for k in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(scale(&four(), k).is_empty());
    }
}

#[test]
fn weighted_series_sums_weights_exactly() {
    // [0,5): 100; [5,10): 100 + 250; [10,15): 250 + 50 (the first ended at 10 before
    // the third started); [15,20): 50. The item outside the window adds nothing.
    let items = [
        ((0, 10), 100),
        ((5, 15), 250),
        ((10, 20), 50),
        ((30, 40), 9),
    ];
    let w = weighted_series(&items, (0, 20));
    assert_eq!(w.times, vec![0, 5, 10, 15]);
    assert_eq!(w.levels, vec![100, 350, 300, 50]);
    assert_eq!(w.peak(), (350, Some(5)));
    assert_eq!(
        (w.level_at(12), w.level_at(20), w.level_at(-1)),
        (300, 0, 0)
    );
    // Touching intervals of equal weight: a flat level, no step at 10.
    let w = weighted_series(&[((0, 10), 1), ((10, 20), 1)], (0, 20));
    assert_eq!((w.times, w.levels), (vec![0], vec![1]));
    // Nothing open: peak 0 at the window start; empty window: no peak instant.
    assert_eq!(weighted_series(&[], (3, 9)).peak(), (0, Some(3)));
    assert_eq!(weighted_series(&items, (9, 9)).peak(), (0, None));
    // Sums past u64::MAX saturate.
    let w = weighted_series(&[((0, 2), u64::MAX), ((1, 2), 5)], (0, 2));
    assert_eq!(w.levels, vec![u64::MAX]);
}

#[test]
fn grouped_events_sweep_as_weighted_series() {
    let a: &[Interval] = &[(0, 10), (5, 15), (-3, 2), (7, 7), (12, 30)];
    let b: &[Interval] = &[(10, 20), (0, 10), (15, 25), (20, 22)];
    let c: &[Interval] = &[];
    for window in [(0, 20), (0, 40), (5, 5), (-10, 12)] {
        let g = GroupedEvents::new(&[a, b, c], window).unwrap();
        for weights in [[1, 1, 1], [100, 250, 9], [0, 7, 0], [u64::MAX, 5, 1]] {
            let items: Vec<(Interval, u64)> = [a, b, c]
                .iter()
                .zip(weights)
                .flat_map(|(g, w)| g.iter().map(move |&iv| (iv, w)))
                .collect();
            assert_eq!(g.series(&weights), weighted_series(&items, window));
            assert_eq!(g.peak(&weights), weighted_series(&items, window).peak().0);
        }
    }
    // Offsets that leave no room for the group numbers do not pack.
    assert!(GroupedEvents::new(&[a, b], (i64::MIN, i64::MAX)).is_none());
}

#[test]
fn daily_peaks_cover_partial_days() {
    // Window Mar 4 12:00 to Mar 6 06:00 UTC: three days, the first and last partial.
    // 5 on Mar 4 13-14h; 7 from Mar 5 23h to Mar 6 01h (both days).
    let items = [
        ((utc(2024, 3, 4, 13), utc(2024, 3, 4, 14)), 5),
        ((utc(2024, 3, 5, 23), utc(2024, 3, 6, 1)), 7),
    ];
    let w = weighted_series(&items, (utc(2024, 3, 4, 12), utc(2024, 3, 6, 6)));
    assert_eq!(w.daily_peaks(Tz::UTC), vec![5, 7, 7]);
    // In New York (UTC-5) the window is Mar 4 07:00 to Mar 6 01:00: still three days,
    // but Mar 5 23h UTC is 18h local, and 01h UTC is 20h local, so Mar 6 has nothing.
    assert_eq!(w.daily_peaks(chrono_tz::America::New_York), vec![5, 7, 0]);
    // An empty window has no days.
    let w = weighted_series(&items, (utc(2024, 3, 4, 12), utc(2024, 3, 4, 12)));
    assert!(w.daily_peaks(Tz::UTC).is_empty());
}

#[test]
fn more_sessions_can_mean_fewer_processes() {
    // The scale rule makes the session count grow with k, but the model's processes do
    // not follow: k = 2 replays a superset of k = 1.5 and yet peaks lower.
    // Two connections per process, threshold 2, no idle linger, window [0,3).
    // Canonical order: i0 (0, 0-1), i1 (0, 0-21), i2 (1, 0-21), i3 (1, 2-21); the
    // fraction 0.5 copies i1 and i3.
    // k = 1.5, item 0: 0-1 and 0-21 share P1; the copy of 0-21 spawns P2; both live
    //   on (P1 still holds 0-21): 2 processes on [0,3).
    //   item 1: 0-21 on P1; at 2 the two 2-21 go to P1 (1 < 2), then a new P2: 2 on [2,3).
    //   Server-wide peak 2 + 2 = 4 on [2,3).
    // k = 2, item 0: the two 0-1 (shorter ends first) fill P1, the two 0-21 fill P2;
    //   P1 exits at 1: 1 process on [1,3).
    //   item 1: the two 0-21 fill P1, the two 2-21 spawn P2 at 2: 2 on [2,3).
    //   Server-wide: 3 on [0,1), 2 on [1,2), 3 on [2,3): peak 3.
    let conns = [
        (0, c(0, 1, 0)),
        (0, c(0, 21, 0)),
        (1, c(0, 21, 0)),
        (1, c(2, 21, 0)),
    ];
    let s = set(0, 20, 2, 1.0, 0);
    let window = (0, 3);
    let peak = |k: f64| {
        let scaled = scale(&conns, k);
        let mut alive = Vec::new();
        for key in [0, 1] {
            let mine: Vec<Conn> = scaled.iter().filter(|e| e.0 == key).map(|e| e.1).collect();
            let r = replay(&mine, &s, window);
            assert_eq!(r.rejected, 0);
            alive.extend(r.alive);
        }
        (scaled.len(), step_series(&alive, window).peak().0)
    };
    assert_eq!(peak(1.5), (6, 4));
    assert_eq!(peak(2.0), (8, 3));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// With `max_processes` lifted (`u32::MAX`) a process always starts when every live
    /// one is at the threshold; a finite limit that never binds must give the same replay.
    #[test]
    fn a_lifted_limit_replays_like_one_that_never_binds(
        raw in proptest::collection::vec((0..200_i64, 1..80_i64, 0..3_u64), 0..120),
        conns in 1..6_u32,
        pct in 0..=100_u32,
        idle in 0..20_i64,
        min in 0..3_u32,
    ) {
        let list: Vec<Conn> = raw.iter().map(|&(s, len, u)| c(s, s + len, u)).collect();
        let lifted = set(min, u32::MAX, conns, f64::from(pct) / 100.0, idle);
        let roomy = Settings { max_processes: 1_000, ..lifted };
        let w = (0, 300);
        let a = replay(&list, &lifted, w);
        let b = replay(&list, &roomy, w);
        proptest::prop_assert_eq!(a, b);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Both process tables give the same replay on busy items: hundreds of sessions on
    /// one to three connections a process, so up to a hundred processes live at once
    /// and the tree repacks (the brute-force tests cover the bitsets directly).
    #[test]
    fn both_process_tables_replay_alike(
        raw in proptest::collection::vec((0..400_i64, 1..120_i64), 0..400),
        conns in 1..4_u32,
        pct in 0..=100_u32,
        idle in 0..6_i64,
        min in 0..3_u32,
        lifted in proptest::bool::ANY,
        k in 1_000_000_u64..2_500_000,
    ) {
        let mut spans: Vec<Interval> = raw.iter().map(|&(s, len)| (s, s + len)).collect();
        spans.sort_unstable();
        let by_end = end_order(&spans);
        let s = set(min, if lifted { u32::MAX } else { 40 }, conns, f64::from(pct) / 100.0, idle);
        let copies = Copies::of_k(k as f64 / 1e6);
        let w = (0, 600);
        let bits = replay_with::<LevelSets>(&spans, &by_end, copies, &s, w);
        let tree = replay_with::<LoadTree>(&spans, &by_end, copies, &s, w);
        proptest::prop_assert_eq!(bits, tree);
    }
}

/// The resolved settings carry exactly the layer's scheduler fields, and `with` takes each.
#[test]
fn settings_hold_every_scheduler_field_of_the_layer() {
    let resolved = serde_json::to_value(Settings::default()).unwrap();
    let mut resolved: Vec<String> = resolved.as_object().unwrap().keys().cloned().collect();
    resolved.sort();
    let mut layer: Vec<String> = ProcessSettings::field_names()
        .into_iter()
        .filter(|f| ProcessSettings::is_scheduler_field(f))
        .collect();
    layer.sort();
    assert_eq!(resolved, layer);
    let l = ProcessSettings {
        min_processes: Some(1),
        max_processes: Some(9),
        max_conns_per_process: Some(7),
        load_factor: Some(0.25),
        idle_timeout: Some(crate::settings::Duration(3)),
        cpu_cores: Some(2.0),
        memory_gib: Some(2.0),
    };
    let s = Settings::default().with(&l);
    assert_eq!(
        (s.min_processes, s.max_processes, s.max_conns_per_process),
        (1, 9, 7)
    );
    assert_eq!((s.load_factor, s.idle_timeout), (0.25, 3));
}
