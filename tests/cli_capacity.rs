//! Processes, sizing and the recommendation through the CLI: a hand-worked scheduler
//! trace, settings from every source, the decision rules on sample_data, the scaled
//! scenario, model vs measured, and the JSON paths the contract promises.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

const APP: &str = "bd1d2285-6c80-49af-8a83-a200effe3cb3";

const CONTENT_HEADER: &str = "\"guid\",\"name\",\"title\",\"app_mode\",\"content_category\",\"max_processes\",\"min_processes\",\"max_conns_per_process\",\"load_factor\",\"idle_timeout\",\"memory_request\",\"memory_limit\",\"cpu_request\",\"cpu_limit\",\"owner_guid\",\"created_time\",\"last_deployed_time\",\"r_version\",\"py_version\"";

/// One app allowing 2 processes of 1 connection each (load factor 1: threshold 1) that
/// exit as soon as they are idle.
fn tight_app(f: &Fixture, max_processes: &str, min_processes: &str) {
    f.file(
        "content.csv",
        &format!(
            "{CONTENT_HEADER}\n\"{APP}\",\"tight\",\"Tight app\",\"shiny\",\"\",{max_processes},{min_processes},1,1.0,0,NA,NA,NA,NA,NA,NA,NA,\"4.3.1\",NA\n"
        ),
    );
}

/// Three overlapping sessions: s1 10:00-10:10, s2 10:01-10:05, s3 10:02-10:03.
fn three_sessions(f: &Fixture) {
    f.file(
        "shiny.csv",
        &format!(
            "content_guid,user_guid,started,ended,data_version\n\
             {APP},08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2,2024-03-04T10:00:00Z,2024-03-04T10:10:00Z,1\n\
             {APP},a01792e3-2e67-402e-99af-be04a48da074,2024-03-04T10:01:00Z,2024-03-04T10:05:00Z,1\n\
             {APP},20a79ce3-6e87-4522-9faf-be24228800a4,2024-03-04T10:02:00Z,2024-03-04T10:03:00Z,1\n"
        ),
    );
}

fn f64_at(v: &Value, path: &str) -> f64 {
    at(v, path)
        .as_f64()
        .unwrap_or_else(|| panic!("{path} is a number"))
}

#[test]
fn hand_worked_trace_rejects_the_third_session_and_sizes_for_two_processes() {
    let f = Fixture::new();
    tight_app(&f, "2", "NA");
    three_sessions(&f);
    let v = analyze_json(&[f.path().to_str().unwrap()]);
    // s1 starts process A at 10:00, s2 finds A full (1 connection) and starts B at 10:01,
    // s3 at 10:02 finds both full and max_processes 2 reached: rejected. B exits at 10:05
    // (idle timeout 0), A at 10:10, the window end.
    assert_eq!(at(&v, "processes.estimated.peak"), 2);
    assert_eq!(
        at(&v, "processes.estimated.peak_at"),
        "2024-03-04T10:01:00Z"
    );
    assert_eq!(at(&v, "processes.estimated.rejected"), 1);
    assert_eq!(at(&v, "processes.estimated.connected"), 2);
    // Alive: A for 10 minutes and B for 4 over a 10-minute window.
    approx::assert_relative_eq!(f64_at(&v, "processes.estimated.average"), 1.4);
    // Two processes 40 % of the time: the level not exceeded 95 % of the time is 2.
    assert_eq!(at(&v, "processes.estimated.p95"), 2);
    assert!(at(&v, "processes.measured").is_null(), "no jobs export");
    // The size serves everyone: with max_processes lifted s3 gets a third process, so
    // 3 processes at 10:02. Buffer 0.20 (no growth fit, no full week, uptime 99).
    // Cores: ceil(3 x 1 core x 1.2) + 1 = 5; RAM: ceil((3 x 1 GiB + 4 GiB) x 1.2) =
    // ceil(8.4) = 9. Node: 5 cores -> 8, 9 GiB -> 12.
    approx::assert_relative_eq!(f64_at(&v, "sizing.now.buffer"), 0.2);
    assert_eq!(at(&v, "sizing.now.design_processes"), 3.0);
    assert_eq!(at(&v, "sizing.now.design_active_processes"), 3.0);
    assert_eq!(at(&v, "sizing.now.rejected"), 1);
    assert_eq!(at(&v, "sizing.now.cores"), 5);
    assert_eq!(at(&v, "sizing.now.ram_gib"), 9);
    assert_eq!(at(&v, "sizing.now.node.cores"), 8);
    assert_eq!(at(&v, "sizing.now.node.ram_gib"), 12);
    assert!(at(&v, "sizing.projected").is_null(), "no growth fit");
    // Doubled (each copy its own user): under today's limits s1 and its copy take both
    // processes at 10:00 and the 4 later sessions are rejected; lifted, every session
    // needs its own process (1 connection each): 6 at 10:02, twice now.
    assert_eq!(at(&v, "sizing.scaled.sessions"), 6);
    assert_eq!(at(&v, "sizing.scaled.rejected"), 4);
    assert_eq!(at(&v, "sizing.scaled.design_processes"), 6.0);
    assert_eq!(at(&v, "sizing.scaled.processes_vs_now"), 2.0);
    assert_eq!(at(&v, "recommendation.architecture"), "single-server");
    assert_eq!(at(&v, "recommendation.nodes"), 1);
    // The review table asks for more processes or connections, citing the rejections.
    let review = at(&v, "recommendation.settings_to_review").to_string();
    assert!(review.contains("raise max_processes (now 2)"), "{review}");
    assert!(
        review.contains("1 session rejected: at most 2 x 1 = 2 connections at once"),
        "{review}"
    );
}

#[test]
fn shared_processes_grow_slower_than_sessions() {
    // One app with default settings (threshold 10 connections, 20 per process): the
    // three sessions share one process, and so do their three copies when doubled.
    let f = Fixture::new();
    f.file(
        "content.csv",
        &format!("{CONTENT_HEADER}\n\"{APP}\",\"shared\",\"Shared app\",\"shiny\",\"\",NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA\n"),
    );
    three_sessions(&f);
    let v = analyze_json(&[f.path().to_str().unwrap()]);
    assert_eq!(at(&v, "sizing.now.design_processes"), 1.0);
    assert_eq!(at(&v, "sizing.scaled.sessions"), 6);
    assert_eq!(at(&v, "sizing.scaled.design_processes"), 1.0);
    assert_eq!(at(&v, "sizing.scaled.processes_vs_now"), 1.0);
}

#[test]
fn nodes_multiply_the_process_limits() {
    let f = Fixture::new();
    tight_app(&f, "2", "NA");
    three_sessions(&f);
    // Two nodes: 4 processes allowed, so s3 gets its own and nothing is rejected.
    let v = analyze_json(&[f.path().to_str().unwrap(), "--nodes", "2"]);
    assert_eq!(at(&v, "processes.estimated.peak"), 3);
    assert_eq!(at(&v, "processes.estimated.rejected"), 0);
    // The settings are shown per node, as Connect shows them.
    assert_eq!(
        at(&v, "processes.estimated.content.0.settings.max_processes"),
        2
    );
    assert_eq!(at(&v, "processes.estimated.content.0.nodes"), 2);
    // min_processes is per node too: 1 warm process per node, 2 in all.
    let f = Fixture::new();
    tight_app(&f, "2", "1");
    three_sessions(&f);
    let v = analyze_json(&[f.path().to_str().unwrap(), "--nodes", "2"]);
    assert_eq!(at(&v, "processes.estimated.warm_processes"), 2);
}

#[test]
fn a_content_setting_flag_overrides_the_export_and_a_config_file_the_defaults() {
    let f = Fixture::new();
    tight_app(&f, "2", "NA");
    three_sessions(&f);
    let dir = f.path().to_str().unwrap();
    let v = analyze_json(&[dir, "--content-setting", &format!("{APP}:max_processes=3")]);
    assert_eq!(at(&v, "processes.estimated.rejected"), 0);
    assert_eq!(
        at(&v, "processes.estimated.content.0.settings_source"),
        "config"
    );
    // A config file's per-content memory changes RAM: 3 processes (the size serves s3
    // too) x 4 GiB + 4 GiB = 16, x 1.2 = 19.2 -> 20 GiB.
    let cfg = f.file(
        "../capacity.toml",
        &format!("[content.\"{APP}\"]\nmemory_gib = 4.0\n"),
    );
    let v = analyze_json(&[dir, "--config", cfg.to_str().unwrap()]);
    assert_eq!(at(&v, "sizing.now.ram_gib"), 20);
    assert_eq!(
        at(&v, "processes.estimated.content.0.resource.memory_source"),
        "config"
    );
}

#[test]
fn warm_processes_hold_memory_without_sessions() {
    let f = Fixture::new();
    tight_app(&f, "2", "2");
    three_sessions(&f);
    let v = analyze_json(&[f.path().to_str().unwrap()]);
    // Both processes are warm from the window start: s1 and s2 join them, s3 is rejected.
    assert_eq!(at(&v, "processes.estimated.warm_processes"), 2);
    assert_eq!(at(&v, "processes.estimated.rejected"), 1);
    approx::assert_relative_eq!(f64_at(&v, "processes.estimated.average"), 2.0);
    assert_eq!(at(&v, "processes.estimated.content.0.spawned"), 0);
}

#[test]
fn invalid_settings_in_the_content_export_name_file_line_and_column() {
    let f = Fixture::new();
    tight_app(&f, "1", "3");
    three_sessions(&f);
    let out = cmd()
        .args(["analyze", f.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("content.csv:2: column 'min_processes': min_processes (3) is greater than max_processes (1)"),
        "{err}"
    );
}

#[test]
fn a_negative_count_in_the_content_export_is_an_ingest_error_or_a_lenient_skip() {
    let f = Fixture::new();
    three_sessions(&f);
    // The error for a max_processes of `value`, and that the run stopped with exit 1.
    let error_for = |value: &str| {
        tight_app(&f, value, "0");
        let out = cmd()
            .args(["analyze", f.path().to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = error_for("-2");
    assert!(
        err.contains(
            "content.csv:2: column 'max_processes': -2 is not a process or connection count; use 0 or more"
        ),
        "{err}"
    );
    // One past the largest count says it is too large, not that it is negative.
    let err = error_for("4294967296");
    assert!(
        err.contains(
            "4294967296 is not a process or connection count; too large (at most 4,294,967,295)"
        ),
        "{err}"
    );
    tight_app(&f, "-2", "0");
    // Under --lenient the row is skipped and counted; the item falls back to the defaults.
    let v = analyze_json(&[f.path().to_str().unwrap(), "--lenient"]);
    assert_eq!(v["inputs"]["skipped_rows"], 1);
    let skipped = serde_json::to_string(&v["inputs"]["skipped"]).unwrap();
    assert!(skipped.contains("max_processes"), "{skipped}");
    assert_eq!(at(&v, "processes.estimated.rejected"), 0);
}

#[test]
fn a_broken_config_file_is_a_usage_error_with_its_position() {
    let f = Fixture::new();
    three_sessions(&f);
    let cfg = f.file("../bad.toml", "[plan]\nuptime = \"high\"\n");
    let out = cmd()
        .args(["analyze", f.path().to_str().unwrap(), "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:2:10: "), "{err}");
    let out = cmd()
        .args(["analyze", f.path().to_str().unwrap(), "--scale", "-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_data")
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn json_carries_every_promised_path() {
    let v = analyze_json(&[&sample()]);
    for p in [
        "processes.estimated.peak",
        "processes.estimated.peak_at",
        "processes.estimated.average",
        "processes.estimated.p95",
        "processes.estimated.rejected",
        "processes.measured.peak",
        "processes.measured.average",
        "processes.measured.p95",
        "recommendation.architecture",
        "recommendation.reasons",
        "recommendation.nodes",
    ] {
        assert!(!at(&v, p).is_null(), "{p}");
    }
    for s in ["now", "projected", "scaled"] {
        for f in [
            "cores",
            "ram_gib",
            "buffer",
            "design_processes",
            "design_active_processes",
            "node",
        ] {
            let p = format!("sizing.{s}.{f}");
            assert!(!at(&v, &p).is_null(), "{p}");
        }
    }
    let q = at(&v, "questions").as_array().unwrap();
    assert_eq!(q.len(), 6);
    for (i, a) in q.iter().enumerate() {
        assert_eq!(a["number"], i + 1);
        assert!(a["answer"].as_str().unwrap().len() > 20, "{a}");
    }
    assert!(!at(&v, "recommendation.reasons")
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn model_vs_measured_on_sample_data() {
    let v = analyze_json(&[&sample()]);
    let modelled = f64_at(&v, "processes.estimated.peak");
    let measured = f64_at(&v, "processes.measured.peak");
    let factor = f64_at(&v, "processes.model_vs_measured.calibration_factor");
    approx::assert_relative_eq!(factor, measured / modelled);
    approx::assert_relative_eq!(f64_at(&v, "sizing.calibration_factor"), factor);
    // The sample's jobs come from a process simulation of the same sessions, so the
    // model should land near them: within a factor of 1.5 at the peak and at p95.
    assert!((1.0 / 1.5..=1.5).contains(&factor), "factor {factor}");
    let mp95 = f64_at(&v, "processes.model_vs_measured.overall.modelled_p95");
    let jp95 = f64_at(&v, "processes.model_vs_measured.overall.measured_p95");
    assert!((mp95 - jp95).abs() <= jp95 * 0.5, "p95 {mp95} vs {jp95}");
    let rows = at(&v, "processes.model_vs_measured.per_content")
        .as_array()
        .unwrap();
    assert!(rows.len() >= 15, "per-content rows: {}", rows.len());
    // Every scenario is multiplied by the factor.
    let now_modelled = f64_at(&v, "sizing.now.modelled_peak_processes");
    assert!(f64_at(&v, "sizing.now.design_processes") >= now_modelled * factor - 1e-9);
}

#[test]
fn decision_rules_on_sample_data() {
    let s = sample();
    let v = analyze_json(&[&s]);
    assert_eq!(at(&v, "recommendation.architecture"), "single-server");
    let cores = at(&v, "sizing.now.cores").as_u64().unwrap();

    let v = analyze_json(&[&s, "--containers"]);
    assert_eq!(at(&v, "recommendation.architecture"), "kubernetes");
    assert!(at(&v, "recommendation.reasons.0")
        .as_str()
        .unwrap()
        .contains("--containers"));

    let v = analyze_json(&[&s, "--uptime", "99.95"]);
    assert_eq!(at(&v, "recommendation.architecture"), "cluster");
    assert!(at(&v, "recommendation.reasons")
        .to_string()
        .contains("99.95"));
    // Two nodes carry the load, a third is spare.
    assert_eq!(at(&v, "recommendation.nodes"), 3);
    // The uptime term adds 0.10 to the buffer.
    approx::assert_relative_eq!(
        f64_at(&v, "sizing.now.buffer"),
        f64_at(&analyze_json(&[&s]), "sizing.now.buffer") + 0.10
    );

    // A max node smaller than the need (but with half of it still above any one item's
    // peak, so rule 1 stays quiet): a cluster of ceil(need) nodes.
    let max = (cores * 2 / 3).max(2);
    let v = analyze_json(&[&s, "--max-node-cores", &max.to_string()]);
    assert_eq!(at(&v, "recommendation.architecture"), "cluster");
    let cores = at(&v, "sizing.now.cores").as_u64().unwrap();
    assert_eq!(
        at(&v, "recommendation.nodes").as_u64().unwrap(),
        cores.div_ceil(max).max(2)
    );
}

#[test]
fn scaled_scenario_grows_with_k_on_sample_data() {
    let s = sample();
    let mut last: Option<(u64, u64, u64, u64)> = None;
    for k in ["1", "1.5", "2", "3", "4"] {
        let v = analyze_json(&[&s, "--scale", k]);
        let now = at(&v, "sizing.scaled.sessions").as_u64().unwrap();
        let rejected = at(&v, "sizing.scaled.rejected").as_u64().unwrap();
        let cores = at(&v, "sizing.scaled.cores").as_u64().unwrap();
        let ram = at(&v, "sizing.scaled.ram_gib").as_u64().unwrap();
        let ratio = f64_at(&v, "sizing.scaled.processes_vs_now");
        assert!(
            ratio <= k.parse::<f64>().unwrap(),
            "processes grow slower than sessions"
        );
        if k == "1" {
            assert_eq!(now, at(&v, "sizing.now.sessions").as_u64().unwrap());
            assert_eq!(cores, at(&v, "sizing.now.cores").as_u64().unwrap());
        }
        if let Some((s0, r0, c0, m0)) = last {
            assert!(now > s0, "sessions grow with K={k}");
            assert!(rejected >= r0, "rejections never fall as K={k} grows");
            assert!(
                cores >= c0 && ram >= m0,
                "size at K={k}: {cores}/{ram} after {c0}/{m0}"
            );
        }
        last = Some((now, rejected, cores, ram));
    }
}

#[test]
fn terminal_report_answers_the_six_questions_and_recommends() {
    let out = cmd().args(["analyze", &sample()]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for h in [
        "1. How many content publishers are there?",
        "2. How many content consumers are there?",
        "3. What type of content is published?",
        "4. How many processes run concurrently per piece of content?",
        "5. What is the load on average and at peak, and how regularly does the peak occur?",
        "6. What do historical metrics show (growth, stability)?",
        "Recommendation: ",
        "Architecture options for this team",
        "Scheduler settings to review",
        "Connect does not publish its process spawn rule",
    ] {
        assert!(text.contains(h), "missing {h}");
    }
}

const JOBS_HEADER: &str = "\"id\",\"ppid\",\"pid\",\"key\",\"remote_id\",\"content_id\",\"content_guid\",\"app_id\",\"app_guid\",\"variant_id\",\"bundle_id\",\"start_time\",\"end_time\",\"last_heartbeat_time\",\"queued_time\",\"queue_name\",\"tag\",\"exit_code\",\"status\",\"hostname\",\"cluster\",\"image\",\"run_as\"";

/// One jobs row (connectapi dialect, naive UTC times).
fn job(id: u32, guid: &str, start: &str, end: &str, tag: &str) -> String {
    format!(
        "\"{id}\",\"1\",\"2\",\"k{id}\",NA,\"7\",\"{guid}\",\"7\",\"{guid}\",\"0\",\"1\",{start},{end},NA,NA,NA,\"{tag}\",0,2,\"connect01\",NA,NA,\"rstudio-connect\"\n"
    )
}

#[test]
fn design_peak_daily_p95_sizes_for_the_95th_percentile_of_daily_peaks() {
    // Each session needs its own process (1 connection per process, threshold 1). Daily
    // peaks of processes: 1 on 4 March, 1 on 5 March, 10 on 6 March. Type-7 p95 of
    // [1, 1, 10]: position 0.95 x 2 = 1.9, so 1 + 0.9 x 9 = 9.1.
    let f = Fixture::new();
    tight_app(&f, "3", "NA");
    let mut csv = String::from("content_guid,user_guid,started,ended,data_version\n");
    csv += &format!("{APP},u0,2024-03-04T10:00:00Z,2024-03-04T10:30:00Z,1\n");
    csv += &format!("{APP},u0,2024-03-05T10:00:00Z,2024-03-05T10:30:00Z,1\n");
    for i in 0..10 {
        csv += &format!("{APP},u{i},2024-03-06T10:00:00Z,2024-03-06T10:30:00Z,1\n");
    }
    f.file("shiny.csv", &csv);
    let dir = f.path().to_str().unwrap();
    let v = analyze_json(&[dir, "--design-peak", "daily-p95"]);
    approx::assert_relative_eq!(
        f64_at(&v, "sizing.now.design_processes"),
        9.1,
        epsilon = 1e-9
    );
    // Cores: ceil(9.1 x 1.2) + 1 = ceil(10.92) + 1 = 12; RAM: ceil((9.1 + 4) x 1.2) =
    // ceil(15.72) = 16.
    assert_eq!(at(&v, "sizing.now.cores"), 12);
    assert_eq!(at(&v, "sizing.now.ram_gib"), 16);
    // The absolute peak: 10 -> ceil(12) + 1 = 13 cores, ceil(16.8) = 17 GiB.
    let v = analyze_json(&[dir]);
    assert_eq!(at(&v, "sizing.now.design_processes"), 10.0);
    assert_eq!(at(&v, "sizing.now.cores"), 13);
    assert_eq!(at(&v, "sizing.now.ram_gib"), 17);
}

#[test]
fn jobs_without_interactive_processes_do_not_calibrate_and_renders_count_as_measured() {
    let f = Fixture::new();
    tight_app(&f, "2", "NA");
    three_sessions(&f);
    // One render job overlapping the busiest minute, nothing interactive.
    f.file(
        "jobs.csv",
        &format!(
            "{JOBS_HEADER}\n{}",
            job(
                1,
                "aaaaaaaa-0000-0000-0000-000000000001",
                "2024-03-04 10:01:30",
                "2024-03-04 10:04:00",
                "build_report"
            )
        ),
    );
    let v = analyze_json(&[f.path().to_str().unwrap()]);
    assert_eq!(at(&v, "processes.measured.peak"), 0);
    assert!(at(&v, "sizing.calibration_factor").is_null());
    assert!(at(&v, "sizing.notes")
        .to_string()
        .contains("not calibrated"));
    // 3 app processes (limits lifted) and the render at 10:02: 4 processes, 4 cores of
    // demand -> ceil(4.8) + 1 = 6; memory 3 x 1 GiB + 2 GiB = 5 -> ceil(9 x 1.2) = 11.
    assert_eq!(at(&v, "sizing.now.design_processes"), 4.0);
    assert_eq!(at(&v, "sizing.now.cores"), 6);
    assert_eq!(at(&v, "sizing.now.ram_gib"), 11);
}

#[test]
fn apis_take_their_processes_from_jobs() {
    let f = Fixture::new();
    let api = "aaaaaaaa-0000-0000-0000-0000000000a1";
    f.file(
        "content.csv",
        &format!(
            "{CONTENT_HEADER}\n\"{APP}\",\"tight\",\"Tight app\",\"shiny\",\"\",2,NA,1,1.0,0,NA,NA,NA,NA,NA,NA,NA,NA,NA\n\"{api}\",\"api\",\"Scoring API\",\"python-api\",\"\",NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA\n"
        ),
    );
    three_sessions(&f);
    // Five API processes from 10:01 to 10:06, as the jobs export measured them.
    let mut jobs = format!("{JOBS_HEADER}\n");
    for i in 0..5 {
        jobs += &job(
            10 + i,
            api,
            "2024-03-04 10:01:00",
            "2024-03-04 10:06:00",
            "run_api",
        );
    }
    f.file("jobs.csv", &jobs);
    let v = analyze_json(&[f.path().to_str().unwrap()]);
    assert_eq!(at(&v, "processes.estimated.apis_from_jobs"), 1);
    let rows = at(&v, "processes.estimated.content").as_array().unwrap();
    let row = rows
        .iter()
        .find(|c| c["guid"] == api)
        .expect("the API is listed");
    assert_eq!(row["peak"], 5);
    // Model = measured for the API part: 2 app processes (today's limits) + 5 at 10:02.
    assert_eq!(at(&v, "processes.estimated.peak"), 7);
    assert_eq!(at(&v, "processes.measured.peak"), 5);
    // Lifted: 3 app processes + 5 API processes at 10:02, calibration 5 / 7 applies to
    // all modelled processes (the API's included): 8 x 5/7 = 5.714...
    let factor = f64_at(&v, "sizing.calibration_factor");
    approx::assert_relative_eq!(factor, 5.0 / 7.0);
    approx::assert_relative_eq!(
        f64_at(&v, "sizing.now.design_processes"),
        8.0 * 5.0 / 7.0,
        // The factor is applied in millionths (exact integer sums): 0.714286 x 8.
        epsilon = 1e-5
    );
}

#[test]
fn non_finite_numbers_in_flags_are_usage_errors() {
    let f = Fixture::new();
    three_sessions(&f);
    for flag in ["--scale", "--horizon", "--uptime", "--load-factor"] {
        for bad in ["NaN", "inf"] {
            let out = cmd()
                .args(["analyze", f.path().to_str().unwrap(), flag, bad])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{flag} {bad}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("not a finite number"), "{flag} {bad}: {err}");
        }
    }
}
