//! Which samples count, coverage, the measured figures, the mode medians, the check
//! against the model and the settings to review, each worked by hand.

use super::*;
use crate::ingest::{read_bytes, IngestOptions};
use crate::model::usage::time::MINUTE;

const GIB: u64 = 1 << 30;
const HEADER: &str =
    "timestamp,cpu_fraction,memory_bytes,connections,process_id,content_guid,job_key";

/// A dataset from named CSV texts, read in order.
fn dataset(files: &[(&str, &str)]) -> Dataset {
    let mut ds = Dataset::default();
    for (name, text) in files {
        read_bytes(name, text.as_bytes(), &IngestOptions::default(), &mut ds).unwrap();
    }
    ds
}

/// A metrics CSV: `(content, job, minute, cpu, memory, connections)`.
fn metrics(rows: &[(&str, &str, i64, f64, u64, &str)]) -> String {
    let mut out = format!("{HEADER}\n");
    for (c, j, m, cpu, mem, conns) in rows {
        let t = crate::format::rfc3339(WINDOW.0 + m * MINUTE).unwrap();
        out.push_str(&format!("{t},{cpu},{mem},{conns},1,{c},{j}\n"));
    }
    out
}

/// 2026-03-02T00:00:00Z for a day.
const WINDOW: (Micros, Micros) = (1_772_409_600_000_000, 1_772_409_600_000_000 + 1440 * MINUTE);

const CONTENT: &str = "guid,name,title,app_mode,memory_limit,cpu_limit
app,app,An app,shiny,1073741824,2
report,report,A report,rmd-static,,
";

/// Jobs of `app`: k1 and k5 interactive on the host (k5 never sampled), k2 a render, k3
/// interactive off the host. Times: minutes 0-60, 0-10, 0-60 and 60-120.
const JOBS: &str = "content_guid,key,start_time,end_time,tag,cluster
app,k1,2026-03-02T00:00:00Z,2026-03-02T01:00:00Z,run_app,
app,k2,2026-03-02T00:00:00Z,2026-03-02T00:10:00Z,build_report,
app,k3,2026-03-02T00:00:00Z,2026-03-02T01:00:00Z,run_app,Kubernetes
app,k5,2026-03-02T01:00:00Z,2026-03-02T02:00:00Z,run_app,Local
";

#[test]
fn renders_and_static_content_stay_apart_and_off_host_samples_count() {
    let m = metrics(&[
        ("app", "k1", 0, 0.5, GIB, "1"),
        ("app", "k1", 1, 0.5, 2 * GIB, ""),
        ("app", "k2", 0, 1.0, 8 * GIB, ""),
        ("app", "k3", 0, 3.0, GIB, ""),
        ("report", "k4", 0, 1.0, 9 * GIB, ""),
    ]);
    let ds = dataset(&[("c.csv", CONTENT), ("j.csv", JOBS), ("m.csv", &m)]);
    let got = Measurements::of(&ds, WINDOW, &Constants::default());
    let c = &got.counts;
    assert_eq!(
        (c.rows, c.not_interactive, c.off_host, c.items),
        (5, 2, 1, 1)
    );
    assert_eq!(c.not_interactive_items, vec!["app", "report"]);
    let f = &got.footprints[&ds.content_ids.get("app").unwrap()];
    // k1 (max 2 GiB) and k3 (1 GiB); the render's 8 GiB does not count.
    assert_eq!((f.processes_sampled, f.memory_bytes_max), (2, 2 * GIB));
    // k1 reports connections: its empty one does not serve. k3 never does: it serves.
    assert_eq!(f.serving_samples, 2);
    assert_eq!(f.cpu_max, Some(3.0));
    // Coverage: of k1, k3 and k5 (one hour each), k1 and k3 have samples.
    let cov = &got.coverage[&ds.content_ids.get("app").unwrap()];
    assert_eq!(cov.jobs, 3);
    assert!((cov.jobs_sampled - 2.0 / 3.0).abs() < 1e-12);
    assert!((cov.job_hours_sampled - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn without_jobs_the_app_mode_decides_and_coverage_is_absent() {
    let m = metrics(&[
        ("app", "k1", 0, 0.5, GIB, ""),
        ("report", "k4", 0, 1.0, GIB, ""),
        ("elsewhere", "k9", 0, 1.0, GIB, ""),
    ]);
    let ds = dataset(&[("c.csv", CONTENT), ("m.csv", &m)]);
    let got = Measurements::of(&ds, WINDOW, &Constants::default());
    // Content the export does not list has no mode: it holds processes.
    assert_eq!((got.counts.items, got.counts.not_interactive), (2, 1));
    assert!(got.coverage.is_empty());
}

#[test]
fn duplicates_and_the_window_are_counted_and_conflicts_listed() {
    let m = metrics(&[
        ("app", "k1", 0, 0.5, GIB, "1"),
        ("app", "k1", 0, 0.5, GIB, "1"),
        ("app", "k1", 0, 0.7, GIB, "1"),
        ("app", "k1", -1, 0.5, GIB, "1"),
        ("app", "k1", 1440, 0.5, GIB, "1"),
    ]);
    let ds = dataset(&[("m.csv", &m)]);
    let got = Measurements::of(&ds, WINDOW, &Constants::default());
    let c = &got.counts;
    assert_eq!(
        (c.rows, c.duplicates, c.conflicting, c.outside_window),
        (5, 2, 1, 2)
    );
    let p = got.problems(&ds);
    assert_eq!((p.len(), p[0].line), (1, 4));
}

fn footprint(samples: u64, serving: u64, p95: u64, cpu: Option<f64>) -> Footprint {
    Footprint {
        memory_bytes_p50: p95,
        memory_bytes_p95: p95,
        memory_bytes_max: p95,
        cpu_p95: cpu,
        cpu_max: cpu,
        parallel: false,
        processes_sampled: 1,
        samples,
        serving_samples: serving,
        first_sample: crate::model::usage::time::Timestamp(0),
        last_sample: crate::model::usage::time::Timestamp(0),
        sampling_interval_seconds: None,
    }
}

#[test]
fn measured_figures_need_enough_samples_and_at_least_the_minimum_cpu() {
    let k = Constants::default();
    // 30 samples, 30 serving: both used; 0.1 core is raised to 0.25.
    let f = used(&footprint(30, 30, GIB, Some(0.1)), &k);
    assert_eq!((f.bytes, f.cores), (Some(GIB as f64), Some(0.25)));
    // 30 samples but 29 serving: memory only.
    let f = used(&footprint(30, 29, GIB, Some(2.0)), &k);
    assert_eq!((f.bytes, f.cores), (Some(GIB as f64), None));
    // 29 samples: neither.
    assert_eq!(
        used(&footprint(29, 29, GIB, Some(2.0)), &k),
        Figures::default()
    );
    // Above the minimum, the p95 itself.
    assert_eq!(
        used(&footprint(40, 40, GIB, Some(2.5)), &k).cores,
        Some(2.5)
    );
}

#[test]
fn the_mode_median_needs_three_measured_items_of_the_mode() {
    let k = Constants::default();
    let mut m = Measurements::default();
    // Three shiny items of 1, 2 and 4 GiB (p95) and 0.5, 1.5, 3 cores; two APIs.
    for (id, gib, cpu) in [(0, 1, 0.5), (1, 2, 1.5), (2, 4, 3.0)] {
        m.footprints
            .insert(id, footprint(50, 50, gib * GIB, Some(cpu)));
    }
    m.footprints.insert(3, footprint(50, 50, GIB, Some(1.0)));
    m.footprints.insert(4, footprint(50, 50, GIB, Some(1.0)));
    // Item 5 has too few samples: it does not count among the three.
    m.footprints.insert(5, footprint(5, 5, 9 * GIB, Some(9.0)));
    let mode = |id: u32| Some(if id < 3 || id == 5 { "shiny" } else { "api" }.to_string());
    let med = mode_medians(&m, &mode, &k);
    // Type 7 median of [1, 2, 4] GiB is 2 GiB; of [0.5, 1.5, 3] cores 1.5.
    assert_eq!(med["shiny"].bytes, Some((2 * GIB) as f64));
    assert_eq!(med["shiny"].cores, Some(1.5));
    assert!(!med.contains_key("api"));
}

/// One process sampled at minutes 0 and 1 (1 then 2 GiB, 0.5 then 1.5 cores); the model
/// holds one process of 1 GiB and 1 core alive and serving over both minutes: it
/// under-estimates memory by half and CPU by a third.
#[test]
fn the_check_compares_peaks_over_sampled_minutes() {
    let m = metrics(&[
        ("app", "k1", 0, 0.5, GIB, ""),
        ("app", "k1", 1, 1.5, 2 * GIB, ""),
        ("other", "k2", 0, 9.0, 9 * GIB, ""),
    ]);
    let ds = dataset(&[("m.csv", &m)]);
    let k = Constants::default();
    let got = Measurements::of(&ds, WINDOW, &k);
    let app = ds.content_ids.get("app").unwrap();
    let iv = [(WINDOW.0, WINDOW.0 + 2 * MINUTE)];
    let model = [ModelledItem {
        content: app,
        alive: &iv,
        active: &iv,
        bytes: GIB as f64,
        cores: 1.0,
    }];
    let c = got.check(&model, &k).unwrap();
    // "other" has samples but no modelled process: its 9 GiB count as measured.
    assert_eq!(c.memory_bytes_measured, 10 * GIB);
    assert_eq!((c.memory_bytes_modelled, c.minutes), (GIB, 2));
    assert!((c.memory_ratio.unwrap() - 0.1).abs() < 1e-12);
    assert!((c.cpu_measured - 9.5).abs() < 1e-12);
    assert!(c.under_estimates);
    // Without samples there is no check.
    assert_eq!(Measurements::default().check(&model, &k), None);
}

#[test]
fn max_per_minute_sees_a_process_that_lives_inside_one_minute() {
    // A process alive from 10 s to 20 s of minute 0; another from minute 1 on.
    let s = 1_000_000;
    let ev = vec![
        (10 * s, 2.0),
        (20 * s, -2.0),
        (MINUTE, 1.0),
        (3 * MINUTE, -1.0),
    ];
    assert_eq!(max_per_minute(ev, &[0, 1, 2, 5]), vec![2.0, 1.0, 1.0, 0.0]);
}

#[test]
fn limits_below_the_samples_are_settings_to_review() {
    // The app's memory_limit is 1 GiB and cpu_limit 2 cores.
    let m = metrics(&[
        ("app", "k1", 0, 1.95, GIB + 1, ""),
        ("report", "k4", 0, 1.0, 9 * GIB, ""),
    ]);
    let ds = dataset(&[("c.csv", CONTENT), ("m.csv", &m)]);
    let got = Measurements::of(&ds, WINDOW, &Constants::default());
    let r = review(&ds, &got);
    let settings: Vec<&str> = r.iter().map(|l| l.setting.as_str()).collect();
    assert_eq!(settings, ["memory_limit", "cpu_limit"]);
    assert!(r[0].because.contains("killed"), "{}", r[0].because);
    assert!(r[1].because.contains("1.95 cores"), "{}", r[1].because);
}
