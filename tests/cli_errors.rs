//! Bad input and bad usage: each case checks the exit code and what stderr says.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn rejects_unparseable_ended_with_file_line_and_column() {
    let f = Fixture::new();
    let bad = SHINY_READR.replace("2024-03-04T14:21:03Z", "yesterday");
    let p = f.file("shiny.csv", &bad);
    cmd()
        .args(["analyze", p.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("shiny.csv:3: column 'ended'"))
        .stderr(predicate::str::contains("yesterday"))
        .stderr(predicate::str::contains("--lenient"));
}

#[test]
fn lenient_skips_counts_and_lists_bad_rows() {
    let f = Fixture::new();
    let bad = SHINY_READR.replace("2024-03-04T14:21:03Z", "yesterday");
    let p = f.file("shiny.csv", &bad);
    let v = analyze_json(&[p.to_str().unwrap(), "--lenient"]);
    assert_eq!(at(&v, "inputs.skipped_rows"), 1);
    assert_eq!(at(&v, "inputs.skipped.0.line"), 3);
    assert_eq!(at(&v, "inputs.skipped.0.column"), "ended");
    assert_eq!(at(&v, "sessions.rows"), 3);
    let text = cmd()
        .args(["analyze", p.to_str().unwrap(), "--lenient"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("1 bad rows skipped"),
        "terminal report lists skipped rows:\n{stdout}"
    );
}

#[test]
fn rejects_a_file_of_unknown_kind_listing_accepted_headers() {
    let f = Fixture::new();
    let p = f.file("mystery.csv", "a,b,c\n1,2,3\n");
    cmd()
        .args(["analyze", p.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("mystery.csv"))
        .stderr(predicate::str::contains("content_guid"))
        .stderr(predicate::str::contains("started"));
}

#[test]
fn rejects_an_empty_folder() {
    let f = Fixture::new();
    cmd()
        .args(["analyze", f.path().to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no export files"));
}

#[test]
fn rejects_a_missing_path() {
    cmd()
        .args(["analyze", "/nonexistent/exports"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/nonexistent/exports"));
}

#[test]
fn rejects_an_unknown_time_zone_as_usage_error() {
    let f = Fixture::new();
    let p = f.file("shiny.csv", SHINY_READR);
    cmd()
        .args(["analyze", p.to_str().unwrap(), "--tz", "Mars/Olympus"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Mars/Olympus"));
}

#[test]
fn rejects_a_bad_duration_as_usage_error() {
    let f = Fixture::new();
    let p = f.file("shiny.csv", SHINY_READR);
    cmd()
        .args(["analyze", p.to_str().unwrap(), "--min-session", "soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--min-session"));
}

#[test]
fn rejects_from_after_to() {
    let f = Fixture::new();
    let p = f.file("shiny.csv", SHINY_READR);
    cmd()
        .args([
            "analyze",
            p.to_str().unwrap(),
            "--from",
            "2024-03-05",
            "--to",
            "2024-03-01",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--from"));
}

#[test]
fn naive_times_in_a_dst_gap_are_shifted_and_reported() {
    let f = Fixture::new();
    let p = f.file(
        "shiny.csv",
        "content_guid,user_guid,started,ended,data_version
c1,u1,2024-03-10 01:30:00,2024-03-10 02:30:00,1
c1,u2,2024-11-03 01:30:00,2024-11-03 01:45:00,1
",
    );
    let v = analyze_json(&[p.to_str().unwrap(), "--input-tz", "America/New_York"]);
    assert_eq!(at(&v, "inputs.nonexistent_local_times"), 1);
    assert_eq!(at(&v, "inputs.ambiguous_local_times"), 2);
    // 01:30 EST = 06:30Z; 02:30 (gap) shifts to 03:30 EDT = 07:30Z: one hour long.
    assert_eq!(at(&v, "window.start"), "2024-03-10T06:30:00Z");
    // 01:30 on fall-back day takes the earlier offset (EDT): 05:30Z.
    assert_eq!(at(&v, "window.end"), "2024-11-03T05:45:00Z");
}

#[test]
fn warns_when_an_export_holds_exactly_500_rows() {
    let mut text = String::from("content_guid,user_guid,started,ended,data_version\n");
    for i in 0..500 {
        text.push_str(&format!(
            "c1,u{},2024-03-04T10:{:02}:00Z,2024-03-04T11:00:00Z,1\n",
            i % 7,
            i % 60
        ));
    }
    let f = Fixture::new();
    let p = f.file("shiny.csv", &text);
    let v = analyze_json(&[p.to_str().unwrap()]);
    let warnings = at(&v, "inputs.warnings").as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().contains("500")),
        "{warnings:?}"
    );
}

#[test]
fn output_file_is_written_whole_and_format_follows_the_extension() {
    let f = Fixture::new();
    let p = f.file("shiny.csv", SHINY_READR);
    let out = f.path().join("report.json");
    cmd()
        .args(["analyze", p.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(at(&v, "schema_version"), 1);
    let leftovers: Vec<_> = std::fs::read_dir(f.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");
}

#[test]
fn a_failed_run_leaves_the_previous_report_intact() {
    let f = Fixture::new();
    let good = f.file("in/shiny.csv", SHINY_READR);
    let out = f.path().join("report.json");
    cmd()
        .args([
            "analyze",
            good.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .assert()
        .success();
    let before = std::fs::read(&out).unwrap();
    let bad = f.file(
        "bad/shiny.csv",
        &SHINY_READR.replace("2024-03-04T14:21:03Z", "x"),
    );
    cmd()
        .args([
            "analyze",
            bad.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(1);
    assert_eq!(std::fs::read(&out).unwrap(), before);
}
