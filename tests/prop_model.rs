//! Property tests of the whole model: the report does not depend on input row order or on
//! the number of threads, and sessions concurrency matches a brute-force count.

use connect_capacity::ingest::{
    Dataset, FileSummary, Kind, Origin, SessionRow, VisitRow, VisitSource,
};
use connect_capacity::model::{analyze, Options};
use proptest::prelude::*;

const MIN: i64 = 60_000_000;
const BASE: i64 = 1_709_251_200_000_000; // 2024-03-01T00:00:00Z

type Row = (u32, Option<u32>, i64, Option<i64>);

fn dataset(rows: &[Row], visits: &[(u32, Option<u32>, i64)]) -> Dataset {
    let mut d = Dataset::default();
    d.row_files.push("s.csv".into());
    d.files.push(FileSummary {
        path: "s.csv".into(),
        kind: Kind::ShinyUsage,
        rows: rows.len() as u64,
    });
    for i in 0..4 {
        d.content_ids.intern(&format!("content-{i}"));
        d.user_ids.intern(&format!("user-{i}"));
    }
    for (i, &(content, user, s, e)) in rows.iter().enumerate() {
        d.sessions.push(SessionRow {
            content,
            user,
            started: BASE + s * MIN,
            ended: e.map(|e| BASE + e * MIN),
            data_version: 1,
            origin: Origin {
                file: 0,
                line: i as u64 + 2,
            },
        });
    }
    for (i, &(content, user, t)) in visits.iter().enumerate() {
        d.visits.push(VisitRow {
            source: VisitSource::Visits,
            content,
            user,
            time: BASE + t * MIN,
            data_version: 3,
            user_agent: None,
            origin: Origin {
                file: 0,
                line: i as u64 + 2,
            },
        });
    }
    d
}

fn row() -> impl Strategy<Value = Row> {
    (
        0u32..4,
        prop::option::weighted(0.8, 0u32..4),
        0i64..3000,
        prop::option::weighted(0.9, 0i64..3000),
    )
}

fn report_json(d: &Dataset, threads: usize) -> serde_json::Value {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut v =
        pool.install(|| serde_json::to_value(analyze(d, &Options::default()).unwrap()).unwrap());
    // Origins (line numbers) legitimately follow the row order; everything else must not.
    v["data_problems"] = serde_json::Value::Null;
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn report_is_independent_of_row_order_and_threads(
        rows in prop::collection::vec(row(), 1..40),
        visits in prop::collection::vec((0u32..4, prop::option::of(0u32..4), 0i64..3000), 0..10),
        seed in any::<u64>(),
    ) {
        let d = dataset(&rows, &visits);
        let expected = report_json(&d, 1);
        let mut shuffled = rows.clone();
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let d2 = dataset(&shuffled, &visits);
        prop_assert_eq!(&report_json(&d2, 4), &expected);
        prop_assert_eq!(&report_json(&d, 3), &expected);
    }

    #[test]
    fn peak_matches_a_brute_force_count_over_normalised_sessions(rows in prop::collection::vec(row(), 1..40)) {
        let d = dataset(&rows, &[]);
        let r = analyze(&d, &Options { open_cap: Some(120 * MIN), ..Options::default() }).unwrap();
        // Rebuild the intervals by hand: dedup exact rows, then drop open copies of closed ones.
        let mut uniq: Vec<Row> = rows.clone();
        uniq.sort();
        uniq.dedup();
        let closed: Vec<Row> = uniq.iter().copied().filter(|r| r.3.is_some()).collect();
        uniq.retain(|r| r.3.is_some() || r.1.is_none() || !closed.iter().any(|c| (c.0, c.1, c.2) == (r.0, r.1, r.2)));
        let lo = uniq.iter().map(|r| r.2).min().unwrap();
        let hi = uniq.iter().map(|r| r.3.unwrap_or(r.2).max(r.2)).max().unwrap();
        if lo == hi {
            prop_assert!(r.window.is_none());
            return Ok(());
        }
        let iv: Vec<(i64, i64)> = uniq.iter().map(|r| match r.3 {
            Some(e) => (r.2, e.max(r.2)),
            None => (r.2, (r.2 + 120).min(hi)),
        }).collect();
        let mut peak = 0;
        for t in lo..hi {
            peak = peak.max(iv.iter().filter(|&&(s, e)| s <= t && t < e).count() as u32);
        }
        let c = r.concurrency.expect("sessions present");
        prop_assert_eq!(c.sessions.peak, peak);
        prop_assert_eq!(r.sessions.count as usize, uniq.len());
        // The capacity model takes its session peaks from the report's sweep: today's
        // scenario has the same peak, and "twice the users" (the default --scale 2) twice.
        let sizing = r.sizing.expect("sizing with sessions");
        prop_assert_eq!(sizing.now.peak_sessions, Some(peak));
        let scaled = sizing.scaled.expect("the scaled scenario");
        prop_assert_eq!(scaled.peak_sessions, Some(2 * peak));
    }
}
