//! Jobs without usage (issue 15 item 8; docs/metrics.md 1.7, docs/sizing.md 1): with a
//! jobs export but no Shiny usage or visits, the window comes from the jobs, the measured
//! interactive processes are the demand, the scenarios multiply it by their K, and what
//! only the scheduler model gives (estimated processes, the calibration factor, rejected
//! sessions) is null, with the reason in every format.

mod common;

use common::*;
use serde_json::{json, Value};

const APP1: &str = "aaaaaaaa-0000-0000-0000-000000000001";
const APP2: &str = "aaaaaaaa-0000-0000-0000-000000000002";
const REPORT: &str = "aaaaaaaa-0000-0000-0000-000000000003";
const USERS: &str = "guid,username,user_role,locked\nu1,ann,viewer,false\n";

/// The hand-worked jobs (2024-03-04, UTC):
/// - app 1: 10:00-11:00 and 10:30-12:00; app 2: 10:45-10:50 and 11:00-11:30;
/// - app 2: an active job (status 0, no end) from 11:50, which runs to the window end;
/// - a render 09:00-09:10 (it opens the window; renders count once in every scenario);
/// - a skipped job (status 3) at 07:00 that never ran, so it does not move the window.
///
/// Interactive processes: 1 from 10:00, 2 from 10:30, 3 on [10:45, 10:50), 2 until
/// 11:30 (at 11:00 one ends as another starts), 1 until 11:50, then 2 until 12:00.
fn hand_worked() -> Fixture {
    let f = Fixture::new();
    let rows = [
        (APP1, "10:00:00", "11:00:00", "run_app", 2),
        (APP1, "10:30:00", "12:00:00", "run_app", 2),
        (APP2, "10:45:00", "10:50:00", "run_app", 2),
        (APP2, "11:00:00", "11:30:00", "run_app", 2),
        (APP2, "11:50:00", "", "run_app", 0),
        (REPORT, "09:00:00", "09:10:00", "build_report", 2),
        (APP1, "07:00:00", "07:05:00", "run_app", 3),
    ];
    let mut text = String::from("content_guid,start_time,end_time,tag,status\n");
    for (guid, start, end, tag, status) in rows {
        let end = if end.is_empty() {
            String::new()
        } else {
            format!("2024-03-04T{end}Z")
        };
        text += &format!("{guid},2024-03-04T{start}Z,{end},{tag},{status}\n");
    }
    f.file("jobs.csv", &text);
    f
}

fn analyze(f: &Fixture, format: &str, args: &[&str]) -> (String, String) {
    analyze_dir(f.path(), format, args)
}

fn json(f: &Fixture, args: &[&str]) -> Value {
    serde_json::from_str(&analyze(f, "json", args).0).unwrap()
}

/// Asserts that `text` holds every one of `wanted` and none of `unwanted`, with
/// whitespace runs read as one space (the terminal wraps prose at its width).
fn holds(what: &str, text: &str, wanted: &[&str], unwanted: &[&str]) {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let missing: Vec<&&str> = wanted.iter().filter(|t| !flat.contains(**t)).collect();
    let present: Vec<&&str> = unwanted.iter().filter(|t| flat.contains(**t)).collect();
    assert!(
        missing.is_empty() && present.is_empty(),
        "{what}: missing {missing:?}, present {present:?}:\n{text}"
    );
}

/// Each dotted path of `v` holds its value.
fn expect(v: &Value, want: &[(&str, Value)]) {
    for (path, value) in want {
        assert_eq!(at(v, path), value, "{path}");
    }
}

#[test]
fn jobs_alone_size_from_the_measured_processes() {
    let f = hand_worked();
    let v = json(&f, &[]);
    // Measured interactive processes, exact sweep: 195 process-minutes over 180 minutes.
    approx::assert_relative_eq!(
        at(&v, "processes.measured.average").as_f64().unwrap(),
        195.0 / 180.0,
        epsilon = 1e-9
    );
    // No model: no estimate, no comparison, no calibration, no rejected sessions.
    for null in [
        "processes.estimated",
        "processes.model_vs_measured",
        "sizing.calibration_factor",
        "sizing.now.sessions",
        "sizing.now.rejected",
        "sizing.now.peak_sessions",
        "sizing.now.modelled_peak_processes",
        "sizing.scaled.rejected",
        "sizing.projected",
        "concurrency",
        "footprint_check",
    ] {
        assert!(
            at(&v, null).is_null(),
            "{null} should be null: {}",
            at(&v, null)
        );
    }
    assert!(at(&v, "months").as_array().unwrap().is_empty());
    assert!(at(&v, "content").as_array().unwrap().is_empty());
    expect(
        &v,
        &[
            // The window: the first job that ran to the last end (skipped job left out).
            ("window.start", json!("2024-03-04T09:00:00Z")),
            ("window.end", json!("2024-03-04T12:00:00Z")),
            ("jobs.rows", json!(7)),
            ("processes.measured.peak", json!(3)),
            ("processes.measured.peak_at", json!("2024-03-04T10:45:00Z")),
            // Now: 3 processes at 1 core and 1 GiB (defaults; the render does not overlap
            // them): ceil(3 x 1.2) + 1 = 5 cores, ceil((3 + 4) x 1.2) = 9 GiB.
            ("sizing.now.design_processes", json!(3.0)),
            ("sizing.now.design_active_processes", json!(3.0)),
            ("sizing.now.cores", json!(5)),
            ("sizing.now.ram_gib", json!(9)),
            // Scaled, K = 2: 6 processes; ceil(6 x 1.2) + 1 = 9 cores, ceil(10 x 1.2) = 12.
            ("sizing.scaled.k", json!(2.0)),
            ("sizing.scaled.design_processes", json!(6.0)),
            ("sizing.scaled.processes_vs_now", json!(2.0)),
            ("sizing.scaled.cores", json!(9)),
            ("sizing.scaled.ram_gib", json!(12)),
        ],
    );
    // The reason, in the JSON.
    let why = "No usage export: demand is the measured processes from the jobs export";
    assert!(at(&v, "processes.model").as_str().unwrap().starts_with(why));
    assert!(at(&v, "warnings").to_string().contains(why));
    assert!(at(&v, "sizing.notes").to_string().contains(why));
}

#[test]
fn a_fractional_k_weighs_the_measured_processes() {
    // K = 1.5: 4.5 processes; ceil(4.5 x 1.2) + 1 = 7 cores, ceil(8.5 x 1.2) = 11 GiB.
    // The render counts once: at K = 1.5 it still does not reach the apps' peak.
    let v = json(&hand_worked(), &["--scale", "1.5"]);
    expect(
        &v,
        &[
            ("sizing.scaled.design_processes", json!(4.5)),
            ("sizing.scaled.cores", json!(7)),
            ("sizing.scaled.ram_gib", json!(11)),
            ("sizing.now.design_processes", json!(3.0)),
        ],
    );
}

#[test]
fn every_human_format_says_why_and_shows_no_usage_zeros() {
    let f = hand_worked();
    for format in ["markdown", "terminal", "html"] {
        let (out, _) = analyze(&f, format, &[]);
        holds(
            format,
            &out,
            &[
                "No usage export: demand is the measured processes from the jobs export",
                "no calibration factor and no rejected sessions",
                "No data: the inputs hold no Shiny usage or visits export",
                "With 2.0 times the measured processes (the scaled scenario)",
                "Consumers (distinct named users with a session or visit): no data",
            ],
            &["nothing to analyse", "Concurrent sessions per day"],
        );
    }
    let (md, _) = analyze(&f, "markdown", &[]);
    holds(
        "markdown",
        &md,
        &[
            "Jobs from 2024-03-04 09:00 UTC to 2024-03-04 12:00 UTC",
            "| measured (interactive jobs) | 3 | 2024-03-04 10:45 UTC |",
        ],
        &["modelled, alive"],
    );
}

#[test]
fn sample_jobs_and_job_metrics_without_usage() {
    let f = Fixture::new();
    for name in ["jobs.csv", "job_metrics.csv"] {
        std::fs::copy(sample_data().join(name), f.path().join(name)).unwrap();
    }
    let v = json(&f, &[]);
    assert!(at(&v, "processes.estimated").is_null());
    assert!(at(&v, "sizing.calibration_factor").is_null());
    let peak = at(&v, "processes.measured.peak").as_u64().unwrap();
    assert!(peak > 0);
    // The measured footprints still size each item; K multiplies the processes.
    assert!(at(&v, "footprints")
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["memory_source"] == "measured"));
    let now = at(&v, "sizing.now.design_processes").as_f64().unwrap();
    let scaled = at(&v, "sizing.scaled.design_processes").as_f64().unwrap();
    assert!(now >= peak as f64 && scaled > now, "{now} {scaled}");
    assert_eq!(at(&v, "sizing.scaled.processes_vs_now"), 2.0);
    let (md, _) = analyze(&f, "markdown", &[]);
    holds(
        "markdown",
        &md,
        &[
            "# Posit Connect capacity report",
            "no usage export, so no model",
            "## Sizing",
        ],
        &["nothing to analyse"],
    );
}

#[test]
fn neither_usage_nor_jobs_is_still_nothing_to_analyse() {
    // A users list alone: no usage, no jobs.
    let f = Fixture::new();
    f.file("users.csv", USERS);
    let (md, _) = analyze(&f, "markdown", &[]);
    assert!(
        md.contains("No sessions or visits in the inputs: nothing to analyse."),
        "{md}"
    );
    // Only skipped jobs never ran: still nothing to analyse.
    f.file(
        "jobs.csv",
        &format!("content_guid,start_time,end_time,tag,status\n{APP1},2024-03-04T07:00:00Z,2024-03-04T07:05:00Z,run_app,3\n"),
    );
    let v = json(&f, &[]);
    assert!(at(&v, "window").is_null());
    assert!(at(&v, "sizing").is_null());
}

#[test]
fn runtimes_of_content_with_measured_processes_count_as_active() {
    // Without usage, an item is active when the jobs measured its processes: app 1's R
    // version counts, the report's (a render) does not.
    let f = hand_worked();
    f.file(
        "content.csv",
        &format!(
            "guid,title,app_mode,r_version,py_version\n{APP1},One,shiny,4.3.2,\n{REPORT},Report,rmd-static,4.1.0,\n"
        ),
    );
    let v = json(&f, &[]);
    let considerations = at(&v, "recommendation.considerations").to_string();
    assert!(
        considerations.contains("runtime diversity: 1 R versions (4.3)"),
        "{considerations}"
    );
}
