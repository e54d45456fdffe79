//! Tests of measured processes: hand-worked cases (expected values derived in the
//! comments) and property tests against a brute-force oracle.

use super::*;
use crate::ingest::Origin;
use approx::assert_relative_eq;
use chrono::TimeZone;
use proptest::prelude::*;

const H: Micros = HOUR;
const W10: (Micros, Micros) = (0, 10 * H);

/// A finished (`status` 2) on-host job of content 0 without hostname.
fn job(tag: &str, start: Micros, end: Option<Micros>) -> JobRow {
    JobRow {
        content: Some(0),
        app_id: None,
        key: None,
        start,
        end,
        tag: tag.into(),
        status: Some(2),
        hostname: None,
        cluster: None,
        origin: Origin { file: 0, line: 2 },
    }
}

fn with(mut j: JobRow, f: impl FnOnce(&mut JobRow)) -> JobRow {
    f(&mut j);
    j
}

fn spans(list: &[JobInterval]) -> Vec<(Micros, Micros)> {
    list.iter().map(|j| (j.start, j.end)).collect()
}

fn utc(y: i32, m: u32, d: u32, h: u32) -> Micros {
    chrono::Utc
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .timestamp_micros()
}

#[test]
fn every_spec_tag_has_its_class() {
    for t in INTERACTIVE_TAGS {
        assert_eq!(classify(t), JobClass::Interactive, "{t}");
    }
    for t in [
        "build_report",
        "build_site",
        "build_jupyter",
        "configure_report",
    ] {
        assert_eq!(classify(t), JobClass::Render, "{t}");
    }
    for t in [
        "packrat_restore",
        "python_restore",
        "val_py_ext_pkg",
        "val_r_ext_pkg",
        "val_r_install",
    ] {
        assert_eq!(classify(t), JobClass::EnvironmentBuild, "{t}");
    }
    // The spec's other OAS tags, an unknown one and an empty one.
    for t in ["unknown", "testing", "git", "run_something_new", ""] {
        assert_eq!(classify(t), JobClass::Other, "{t}");
    }
    assert_eq!(INTERACTIVE_TAGS.len(), 13);
    assert_eq!(classify(" Run_App "), JobClass::Interactive);
}

#[test]
fn class_keys_match_serde_names() {
    for c in JobClass::ALL {
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, format!("\"{}\"", c.key()));
    }
    assert_eq!(JobClass::EnvironmentBuild.key(), "environment-build");
}

#[test]
fn skipped_jobs_are_dropped() {
    let jobs = [
        with(job("run_app", H, Some(2 * H)), |j| j.status = Some(3)),
        with(job("build_report", H, None), |j| j.status = Some(3)),
        job("run_app", 3 * H, Some(4 * H)),
    ];
    let iv = job_intervals(&jobs, W10, Some(H));
    assert_eq!(iv.dropped_skipped, 2);
    assert_eq!(spans(&iv.on_host), [(3 * H, 4 * H)]);
    assert_eq!((iv.open_active, iv.open_other, iv.capped), (0, 0, 0));
}

#[test]
fn missing_ends_active_to_window_end_others_capped() {
    let open = |start, status| with(job("run_app", start, None), |j| j.status = status);
    let jobs = [
        // Active from 2 h: runs to the window end (10 h) although the cap is 1 h.
        open(2 * H, Some(0)),
        // Active since 5 h before the window: the whole window.
        open(-5 * H, Some(0)),
        // Finalized at 3 h with no end: capped to 3 h + 1 h.
        open(3 * H, Some(2)),
        // Finished (1) at 1 h: capped to 2 h.
        open(H, Some(1)),
        // No status at 9.5 h: 9.5 h + 1 h passes the window end, so the end is the window
        // end and the cap did not set it.
        open(19 * H / 2, None),
        // 9 h + 1 h is exactly the window end: the cap did not shorten it, not capped.
        open(9 * H, Some(2)),
    ];
    let iv = job_intervals(&jobs, W10, Some(H));
    assert_eq!(
        spans(&iv.on_host),
        [
            (0, 10 * H),
            (H, 2 * H),
            (2 * H, 10 * H),
            (3 * H, 4 * H),
            (9 * H, 10 * H),
            (19 * H / 2, 10 * H)
        ]
    );
    assert_eq!((iv.open_active, iv.open_other, iv.capped), (2, 4, 2));
    // Without a cap every missing end runs to the window end, and nothing is capped.
    let iv = job_intervals(&jobs[2..3], W10, None);
    assert_eq!(spans(&iv.on_host), [(3 * H, 10 * H)]);
    assert_eq!((iv.open_other, iv.capped), (1, 0));
}

#[test]
fn jobs_straddling_the_window_are_clipped() {
    let w = (10 * H, 20 * H);
    let jobs = [
        job("run_app", 9 * H, Some(11 * H)),
        job("run_app", 19 * H, Some(21 * H)),
        job("run_app", 5 * H, Some(8 * H)),
        job("run_app", 20 * H, Some(22 * H)),
        with(job("run_app", 25 * H, None), |j| j.status = Some(0)),
        job("run_app", 12 * H, Some(12 * H)),
        job("run_app", 13 * H, Some(12 * H)),
    ];
    let iv = job_intervals(&jobs, w, Some(H));
    // [9, 11) -> [10, 11) keeping its recorded start; [19, 21) -> [19, 20).
    assert_eq!(spans(&iv.on_host), [(10 * H, 11 * H), (19 * H, 20 * H)]);
    assert_eq!(iv.on_host[0].started, 9 * H);
    // Before, at the window end and active-but-later are outside; zero-length and
    // reversed are empty; the active one is not counted as open.
    assert_eq!((iv.outside_window, iv.empty, iv.open_active), (3, 2, 0));
    let m = measured(&iv, w, Tz::UTC);
    assert_eq!(m.interactive.peak, 1);
    assert_eq!(m.interactive.peak_at, Some(Timestamp(10 * H)));
    // 1 h + 1 h of one process over 10 h.
    assert_relative_eq!(m.interactive.job_hours, 2.0);
    assert_relative_eq!(m.interactive.average.unwrap(), 0.2);
}

#[test]
fn on_host_and_off_host_by_cluster() {
    let c = |cluster: Option<&str>| {
        with(job("run_app", 0, Some(H)), |j| {
            j.cluster = cluster.map(Into::into)
        })
    };
    let jobs = [
        c(None),
        c(Some("Local")),
        c(Some("local")),
        c(Some("")),
        c(Some("Kubernetes")),
        c(Some("slurm-prod")),
    ];
    let iv = job_intervals(&jobs, W10, None);
    assert_eq!((iv.on_host.len(), iv.off_host.len()), (4, 2));
}

#[test]
fn per_host_per_class_and_off_host() {
    let host = |mut j: JobRow, h: &str| {
        j.hostname = Some(h.into());
        j
    };
    let jobs = [
        host(job("run_app", 0, Some(4 * H)), "a"),
        host(job("build_report", 2 * H, Some(6 * H)), "a"),
        host(job("python_restore", H, Some(3 * H)), "b"),
        job("run_api", 5 * H, Some(6 * H)),
        // Off-host on "a": neither in host "a" nor in any class.
        with(host(job("run_app", 0, Some(10 * H)), "a"), |j| {
            j.cluster = Some("Kubernetes".into())
        }),
    ];
    let m = measured(&job_intervals(&jobs, W10, None), W10, Tz::UTC);
    assert_eq!((m.jobs, m.off_host_jobs), (4, 1));
    let hosts: Vec<&str> = m.by_host.keys().map(String::as_str).collect();
    assert_eq!(hosts, ["(unknown)", "a", "b"]);
    // Host a: 1 on [0,2), 2 on [2,4), 1 on [4,6), 0 after: 8 job-hours over 10 h, peak 2
    // at 2 h; 80 % of the time at <= 1, so p95 is 2.
    let a = &m.by_host["a"];
    assert_eq!(
        (a.jobs, a.peak, a.peak_at, a.p95),
        (2, 2, Some(Timestamp(2 * H)), Some(2))
    );
    assert_relative_eq!(a.average.unwrap(), 0.8);
    assert_relative_eq!(a.job_hours, 8.0);
    // Host b: one restore on [1,3): 80 % of the time at 0, so p95 is 1.
    let b = &m.by_host["b"];
    assert_eq!((b.peak, b.p95), (1, Some(1)));
    assert_relative_eq!(b.average.unwrap(), 0.2);
    // No hostname: one API job on [5,6): 90 % at 0 is short of 95 %, p95 is 1.
    assert_eq!(m.by_host["(unknown)"].p95, Some(1));
    // Classes: interactive [0,4) and [5,6) never overlap: peak 1, 5 h over 10 h.
    assert_eq!(m.by_class.len(), 4);
    assert_eq!(m.interactive, m.by_class["interactive"]);
    assert_eq!((m.interactive.jobs, m.interactive.peak), (2, 1));
    assert_relative_eq!(m.interactive.average.unwrap(), 0.5);
    assert_relative_eq!(m.by_class["render"].average.unwrap(), 0.4);
    assert_relative_eq!(m.by_class["environment-build"].average.unwrap(), 0.2);
    let other = &m.by_class["other"];
    assert_eq!((other.jobs, other.peak, other.p95), (0, 0, Some(0)));
    assert_eq!(other.peak_at, Some(Timestamp(0)));
    // Off-host: one job over the whole window.
    let off = m.off_host.as_ref().unwrap();
    assert_eq!((off.jobs, off.peak), (1, 1));
    assert_relative_eq!(off.average.unwrap(), 1.0);
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["by_class"]["environment-build"]["peak"], 1);
    assert_eq!(json["interactive"]["peak_at"], "1970-01-01T00:00:00Z");
}

#[test]
fn render_hours_split_at_midnight_and_counted_on_start_day() {
    let w = (utc(2024, 3, 4, 0), utc(2024, 3, 6, 0));
    let jobs = [
        // Started before the window: 1 h on 03-04, counted on no day.
        job(
            "build_jupyter",
            utc(2024, 3, 3, 22),
            Some(utc(2024, 3, 4, 1)),
        ),
        // 23:00-02:00: 1 h on 03-04, 2 h on 03-05, counted on 03-04.
        job(
            "build_report",
            utc(2024, 3, 4, 23),
            Some(utc(2024, 3, 5, 2)),
        ),
        // 01:00-03:00 on 03-05: overlaps the previous one for an hour.
        job("build_site", utc(2024, 3, 5, 1), Some(utc(2024, 3, 5, 3))),
        // Not a render.
        job("run_app", utc(2024, 3, 4, 12), Some(utc(2024, 3, 4, 13))),
    ];
    let m = measured(&job_intervals(&jobs, w, None), w, Tz::UTC);
    let days: Vec<(&str, u64, u32)> = m
        .renders_per_day
        .iter()
        .map(|d| (d.day.as_str(), d.renders, d.peak))
        .collect();
    assert_eq!(days, [("2024-03-04", 1, 1), ("2024-03-05", 1, 2)]);
    assert_relative_eq!(m.renders_per_day[0].render_hours, 2.0);
    assert_relative_eq!(m.renders_per_day[1].render_hours, 4.0);
    assert_eq!(m.render_peak, 2);
    // 6 render hours over a 2-day window.
    assert_relative_eq!(m.render_hours_per_day_avg.unwrap(), 3.0);
}

#[test]
fn spring_forward_day_has_23_render_hours() {
    let ny = chrono_tz::America::New_York;
    // 2024-03-10 in New York: 00:00 EST = 05:00Z to 00:00 EDT on 03-11 = 04:00Z, 23 h.
    let day = (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4));
    let jobs = [job("build_report", day.0 - H, Some(day.1 + H))];
    let m = measured(&job_intervals(&jobs, day, None), day, ny);
    assert_eq!(m.renders_per_day.len(), 1);
    assert_eq!(m.renders_per_day[0].day, "2024-03-10");
    assert_relative_eq!(m.renders_per_day[0].render_hours, 23.0);
    // Per 24 h of window: 23 h over 23/24 days is 24.
    assert_relative_eq!(m.render_hours_per_day_avg.unwrap(), 24.0);

    // 22:00 EST on 03-09 (03:00Z) to 04:00 EDT on 03-10 (08:00Z) is 5 h: 2 h before local
    // midnight, and only 3 h after it because 02:00-03:00 is skipped.
    let w = (utc(2024, 3, 9, 5), day.1);
    let jobs = [job(
        "build_site",
        utc(2024, 3, 10, 3),
        Some(utc(2024, 3, 10, 8)),
    )];
    let m = measured(&job_intervals(&jobs, w, None), w, ny);
    let hours: Vec<(&str, f64)> = m
        .renders_per_day
        .iter()
        .map(|d| (d.day.as_str(), d.render_hours))
        .collect();
    assert_eq!(hours, [("2024-03-09", 2.0), ("2024-03-10", 3.0)]);
    assert_eq!(m.renders_per_day[0].renders, 1);
    assert_eq!(m.renders_per_day[1].renders, 0);
}

#[test]
fn empty_window_gives_nulls() {
    let jobs = [job("run_app", 0, Some(H))];
    let iv = job_intervals(&jobs, (5 * H, 5 * H), None);
    assert_eq!((iv.on_host.len(), iv.outside_window), (0, 1));
    let m = measured(&iv, (5 * H, 5 * H), Tz::UTC);
    assert_eq!((m.interactive.peak, m.interactive.peak_at), (0, None));
    assert_eq!((m.interactive.average, m.interactive.p95), (None, None));
    assert!(m.renders_per_day.is_empty() && m.off_host.is_none());
    assert_eq!(m.render_hours_per_day_avg, None);
}

/// Jobs for the comparison test, all in window [0, 10 h).
fn compare_jobs() -> Vec<JobRow> {
    let of = |content, start, end| {
        with(job("run_app", start, Some(end)), |j| {
            j.content = Some(content)
        })
    };
    vec![
        of(0, 0, 4 * H),
        of(0, H, 3 * H),
        of(1, 2 * H, 5 * H),
        of(2, 2 * H, 3 * H),
        // Neither a render nor an off-host process counts.
        with(of(0, 0, 10 * H), |j| j.tag = "build_report".into()),
        with(of(0, 0, 10 * H), |j| j.cluster = Some("Kubernetes".into())),
    ]
}

/// (GUID, modelled peak, measured peak, measured p95, factor).
type Row<'a> = (&'a str, u32, u32, Option<u32>, Option<f64>);

#[test]
fn compare_per_content_and_overall() {
    let iv = job_intervals(&compare_jobs(), W10, None);
    let by = interactive_by_content(&iv);
    assert_eq!(by[&0], [(0, 4 * H), (H, 3 * H)]);
    assert_eq!(by.len(), 3);
    let modelled = BTreeMap::from([(0, (4, Some(2))), (1, (0, None)), (3, (1, Some(0)))]);
    // Names reverse the id order, so rows sort 3, 2, 1, 0.
    let names = ["d", "c", "b", "a"];
    let r = compare((5, Some(3)), &modelled, &iv, W10, |id| {
        names[id as usize].to_string()
    });
    // Overall: 1 on [0,1), 2 on [1,2), 4 on [2,3), 2 on [3,4), 1 on [4,5), 0 after.
    // Peak 4; at <= 2 for 9 h of 10 (90 %), so p95 is 4. Factor 4 / 5.
    assert_eq!(
        (r.overall.measured_peak, r.overall.measured_p95),
        (4, Some(4))
    );
    assert_relative_eq!(r.calibration_factor.unwrap(), 0.8);
    assert_eq!(r.overall.factor, r.calibration_factor);
    let rows: Vec<Row<'_>> = r
        .per_content
        .iter()
        .map(|c| {
            let f = &c.figures;
            (
                c.guid.as_str(),
                f.modelled_peak,
                f.measured_peak,
                f.measured_p95,
                f.factor,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            // Content 3: modelled 1, no jobs: factor 0.
            ("a", 1, 0, Some(0), Some(0.0)),
            // Content 2: not modelled (0), one job: no factor.
            ("b", 0, 1, Some(1), None),
            // Content 1: modelled 0, one job on [2,5): 70 % at 0, p95 1.
            ("c", 0, 1, Some(1), None),
            // Content 0: 2 on [1,3) = 20 %, 1 for 2 h, 0 for 6 h: p95 2; factor 2 / 4.
            ("d", 4, 2, Some(2), Some(0.5)),
        ]
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["per_content"][3]["guid"], "d");
    assert_eq!(json["per_content"][3]["modelled_peak"], 4);
    assert_eq!(json["calibration_factor"], 0.8);
    assert!(json["per_content"][0].get("content").is_none());
}

#[test]
fn compare_with_modelled_peak_zero_has_no_factor() {
    let iv = job_intervals(&compare_jobs(), W10, None);
    let r = compare((0, Some(0)), &BTreeMap::new(), &iv, W10, |id| {
        id.to_string()
    });
    assert_eq!(r.calibration_factor, None);
    assert_eq!(r.overall.measured_peak, 4);
    assert_eq!(r.per_content.len(), 3);
}

// ---- properties -------------------------------------------------------------------

const TAGS: [&str; 5] = [
    "run_app",
    "run_api",
    "build_report",
    "git",
    "python_restore",
];
const PW: (Micros, Micros) = (6 * H, 60 * H);
const PCAP: Option<Micros> = Some(3 * H);

fn arb_job() -> impl Strategy<Value = JobRow> {
    let quarter = H / 4;
    (
        0u32..4,
        0..TAGS.len(),
        0i64..288,
        prop::option::weighted(0.8, -8i64..80),
        prop::option::of(0i64..4),
        prop::option::of(prop::sample::select(vec!["a", "b"])),
        prop::option::of(prop::sample::select(vec!["Local", "Kubernetes", ""])),
    )
        .prop_map(
            move |(content, tag, start, len, status, host, cluster)| JobRow {
                content: Some(content),
                app_id: None,
                key: None,
                start: start * quarter,
                end: len.map(|l| (start + l) * quarter),
                tag: TAGS[tag].into(),
                status,
                hostname: host.map(Into::into),
                cluster: cluster.map(Into::into),
                origin: Origin { file: 0, line: 2 },
            },
        )
}

/// A kept job in the oracle: (off-host, class, host, clipped interval).
type Kept<'a> = (bool, JobClass, Option<&'a str>, Interval);

/// The rules restated plainly: `None` when the job is dropped or has no overlap; else
/// (off-host, class, host, clipped interval).
fn oracle(j: &JobRow) -> Option<Kept<'_>> {
    if j.status == Some(3) {
        return None;
    }
    let end = match (j.end, j.status) {
        (Some(e), _) => e,
        (None, Some(0)) => PW.1,
        (None, _) => PW.1.min(j.start + PCAP.unwrap()),
    };
    let (s, e) = (j.start.max(PW.0), end.min(PW.1));
    let off = matches!(j.cluster.as_deref(), Some(c) if c != "Local" && !c.is_empty());
    (s < e).then(|| (off, classify(&j.tag), j.hostname.as_deref(), (s, e)))
}

/// Brute-force peak and first peak instant: the count at every start instant.
fn brute_peak(iv: &[Interval]) -> (u32, Micros) {
    let mut best = (0, PW.0);
    let mut starts: Vec<Micros> = iv.iter().map(|i| i.0).collect();
    starts.sort_unstable();
    for t in starts {
        let c = iv.iter().filter(|&&(s, e)| s <= t && t < e).count() as u32;
        if c > best.0 {
            best = (c, t);
        }
    }
    best
}

proptest! {
    #[test]
    fn interactive_peak_matches_brute_force(jobs in prop::collection::vec(arb_job(), 0..40)) {
        let kept: Vec<_> = jobs.iter().filter_map(oracle).collect();
        let pick = |f: &dyn Fn(&Kept<'_>) -> bool| -> Vec<Interval> {
            kept.iter().filter(|k| f(k)).map(|k| k.3).collect()
        };
        let m = measured(&job_intervals(&jobs, PW, PCAP), PW, Tz::UTC);
        let inter = pick(&|k| !k.0 && k.1 == JobClass::Interactive);
        let (peak, at) = brute_peak(&inter);
        prop_assert_eq!(m.interactive.peak, peak);
        prop_assert_eq!(m.interactive.peak_at, Some(Timestamp(at)));
        let busy: i64 = inter.iter().map(|i| i.1 - i.0).sum();
        let avg = busy as f64 / (PW.1 - PW.0) as f64;
        prop_assert!((m.interactive.average.unwrap() - avg).abs() < 1e-9);
        prop_assert_eq!(m.jobs as usize, pick(&|k| !k.0).len());
        prop_assert_eq!(m.render_peak, brute_peak(&pick(&|k| !k.0 && k.1 == JobClass::Render)).0);
        for (host, st) in &m.by_host {
            let h = pick(&|k| !k.0 && k.2.unwrap_or(UNKNOWN_HOST) == host);
            prop_assert_eq!(st.peak, brute_peak(&h).0);
        }
        let off = pick(&|k| k.0);
        prop_assert_eq!(m.off_host.map(|s| s.peak), (!off.is_empty()).then(|| brute_peak(&off).0));
    }

    #[test]
    fn result_does_not_depend_on_input_order(
        (jobs, shuffled) in prop::collection::vec(arb_job(), 0..40)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
    ) {
        let a = job_intervals(&jobs, PW, PCAP);
        let b = job_intervals(&shuffled, PW, PCAP);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(measured(&a, PW, Tz::UTC), measured(&b, PW, Tz::UTC));
    }
}
