//! Measured footprints through the CLI (docs/sizing.md 2.1-2.4): a job metrics export sizes
//! an item, the flags and a config override move the source field by field, bad values
//! name their line and column, samples never move the window, and the model's check warns
//! when it under-estimates.

mod common;

use common::*;
use predicates::prelude::*;
use serde_json::Value;

const APP: &str = "bd1d2285-6c80-49af-8a83-a200effe3cb3";
const GIB: u64 = 1 << 30;
const HEADER: &str =
    "timestamp,cpu_fraction,memory_bytes,connections,process_id,content_guid,job_key";

/// One Shiny app whose processes serve one connection each and exit when idle, and two
/// sessions 10:00-10:10 and 10:01-10:05: the model holds two processes from 10:01 to 10:05.
fn app_with_sessions(f: &Fixture) {
    f.file(
        "content.csv",
        &format!(
            "guid,name,title,app_mode,max_processes,max_conns_per_process,load_factor,idle_timeout\n\
             {APP},app,The app,shiny,3,1,1.0,0\n"
        ),
    );
    f.file(
        "shiny.csv",
        &format!(
            "content_guid,user_guid,started,ended\n\
             {APP},u1,2024-03-04T10:00:00Z,2024-03-04T10:10:00Z\n\
             {APP},u2,2024-03-04T10:01:00Z,2024-03-04T10:05:00Z\n"
        ),
    );
}

/// `n` samples of job `key` every 20 s from `from` (seconds after 10:00), all serving
/// (no connections column values), at `gib` GiB and `cpu` cores.
fn samples(key: &str, from: u64, n: u64, gib: u64, cpu: f64) -> String {
    (0..n)
        .map(|i| {
            let s = from + 20 * i;
            format!(
                "2024-03-04T10:{:02}:{:02}Z,{cpu},{},,1,{APP},{key}\n",
                s / 60,
                s % 60,
                gib * GIB
            )
        })
        .collect()
}

/// Process A: 30 samples 10:00:00-10:09:40 at 3 GiB and 2 cores.
fn metrics(f: &Fixture, extra: &str) {
    f.file(
        "job_metrics.csv",
        &format!("{HEADER}\n{}{extra}", samples("kA", 0, 30, 3, 2.0)),
    );
}

fn footprint(v: &Value) -> &Value {
    &v["footprints"][0]
}

#[test]
fn measured_samples_size_the_item_and_name_their_source() {
    let f = Fixture::new();
    app_with_sessions(&f);
    metrics(&f, "");
    let dir = f.path().to_str().unwrap();
    let v = analyze_json(&[dir]);
    let fp = footprint(&v);
    assert_eq!(fp["guid"], APP);
    assert_eq!(
        (fp["memory_source"].as_str(), fp["cpu_source"].as_str()),
        (Some("measured"), Some("measured"))
    );
    assert_eq!(
        (fp["memory_mib"].as_u64(), fp["cpu_millicores"].as_u64()),
        (Some(3072), Some(2000))
    );
    assert_eq!(fp["memory_bytes"].as_u64(), Some(3 * GIB));
    assert_eq!(
        (fp["samples"].as_u64(), fp["parallel"].as_bool()),
        (Some(30), Some(true))
    );
    assert_eq!(at(&v, "job_metrics.rows"), 30);
    // Two processes at peak: RAM ceil((2 x 3 + 4) x 1.2) = 12 GiB; cores ceil(2 x 2 x 1.2)
    // + 1 = 6.
    assert_eq!(
        (at(&v, "sizing.now.ram_gib"), at(&v, "sizing.now.cores")),
        (&12.into(), &6.into())
    );
    let pod = &v["recommendation"]["kubernetes_requests"][0];
    assert_eq!(pod["memory_limit_mib"], 3072);
    assert_eq!(pod["cpu_limit_millicores"], Value::Null);
    assert_eq!(pod["memory_source"], "measured");
    assert_eq!(at(&v, "schema_version"), 2);
    // One sample short of the minimum: the table, for both fields.
    let v = analyze_json(&[dir, "--min-footprint-samples", "31"]);
    assert_eq!(footprint(&v)["memory_source"], "default");
    assert_eq!(footprint(&v)["cpu_source"], "default");
    assert_eq!(footprint(&v)["samples"], 30);
    // A config override wins for its field only; a higher minimum CPU lifts the figure.
    let v = analyze_json(&[
        dir,
        "--content-setting",
        &format!("{APP}:memory_gib=8"),
        "--min-cpu-per-process",
        "2.5",
    ]);
    let fp = footprint(&v);
    assert_eq!(
        (fp["memory_source"].as_str(), fp["memory_mib"].as_u64()),
        (Some("config"), Some(8192))
    );
    assert_eq!(
        (fp["cpu_source"].as_str(), fp["cpu_millicores"].as_u64()),
        (Some("measured"), Some(2500))
    );
    assert_eq!(at(&v, "sizing.constants.min_cpu_per_process"), 2.5);
}

#[test]
fn reports_show_the_footprints_section_and_question_4_names_parallel_code() {
    let f = Fixture::new();
    app_with_sessions(&f);
    metrics(&f, "");
    let out = cmd()
        .args([
            "analyze",
            f.path().to_str().unwrap(),
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("## Measured footprints"), "{md}");
    assert!(md.contains("| The app | shiny | 1 |"), "{md}");
    assert!(md.contains("Parallelised code (serving CPU p95 above 1.2 cores per process): \"The app\" (2 cores at p95)"), "{md}");
    assert!(md.contains("cpu\\_fraction is read as cores"), "{md}");
}

#[test]
fn rejects_a_negative_memory_with_its_line_and_column() {
    let f = Fixture::new();
    app_with_sessions(&f);
    metrics(&f, &format!("2024-03-04T10:03:00Z,0.5,-1,,1,{APP},kB\n"));
    let path = f.path().join("job_metrics.csv");
    cmd()
        .args(["analyze", f.path().to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{}:32: column 'memory_bytes'",
            path.display()
        )));
    let v = analyze_json(&[f.path().to_str().unwrap(), "--lenient"]);
    assert_eq!(at(&v, "inputs.skipped_rows"), 1);
    assert_eq!(at(&v, "job_metrics.rows"), 30);
}

#[test]
fn samples_outside_the_window_and_copies_are_counted_not_used() {
    let f = Fixture::new();
    app_with_sessions(&f);
    // A copy of the first sample with other values, and a huge sample an hour later.
    metrics(
        &f,
        &format!(
            "2024-03-04T10:00:00Z,9.0,{},,1,{APP},kA\n2024-03-04T11:00:00Z,0.1,{},,1,{APP},kA\n",
            9 * GIB,
            20 * GIB
        ),
    );
    let v = analyze_json(&[f.path().to_str().unwrap()]);
    assert_eq!(at(&v, "window.end"), "2024-03-04T10:10:00Z");
    assert_eq!(
        (
            at(&v, "job_metrics.duplicates"),
            at(&v, "job_metrics.conflicting"),
            at(&v, "job_metrics.outside_window")
        ),
        (&1.into(), &1.into(), &1.into())
    );
    assert_eq!(footprint(&v)["memory_bytes_max"].as_u64(), Some(3 * GIB));
    let problems = v["data_problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p["line"] == 32), "{problems:?}");
}

#[test]
fn the_check_warns_plainly_when_the_model_under_estimates() {
    let f = Fixture::new();
    app_with_sessions(&f);
    // Process B: 12 samples 10:01-10:04:40 at 3 GiB. With 1 GiB per process configured, the
    // model holds 2 GiB where the samples show 6 GiB.
    metrics(&f, &samples("kB", 60, 12, 3, 0.5));
    let dir = f.path().to_str().unwrap();
    let setting = format!("{APP}:memory_gib=1");
    let v = analyze_json(&[dir, "--content-setting", &setting]);
    let c = &v["footprint_check"];
    assert_eq!(c["memory_bytes_measured"].as_u64(), Some(6 * GIB));
    assert_eq!(c["memory_bytes_modelled"].as_u64(), Some(2 * GIB));
    assert_eq!(c["under_estimates"], true);
    assert_eq!(c["minutes"], 10);
    let out = cmd()
        .args(["analyze", dir, "--content-setting", &setting])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Warning: the model under-estimates"),
        "{text}"
    );
    // Without samples there is no check and no footprints section.
    std::fs::remove_file(f.path().join("job_metrics.csv")).unwrap();
    let v = analyze_json(&[dir]);
    assert_eq!(v["footprint_check"], Value::Null);
    assert_eq!(v["job_metrics"], Value::Null);
    assert!(v["footprints"][0].get("samples").is_none());
}
