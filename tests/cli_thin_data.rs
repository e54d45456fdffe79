//! Thin or mixed data (issue 18, docs/metrics.md 1.7 and 1.9, docs/sizing.md section 3): rows
//! outside the window are counted per kind and warned about when most fall outside,
//! per-day figures need a day, a size needs enough data, and the zone assumed for
//! timestamps without an offset is named.

mod common;

use common::*;
use serde_json::Value;

const C: &str = "bd1d2285-6c80-49af-8a83-a200effe3cb3";

fn run(f: &Fixture, args: &[&str]) -> (Value, String) {
    let (stdout, stderr) = analyze_dir(f.path(), "json", args);
    (serde_json::from_str(&stdout).unwrap(), stderr)
}

#[test]
fn rows_outside_the_window_are_counted_per_kind_and_warned_about() {
    // One one-minute session sets the window; of three visits and three jobs, two of
    // each lie outside it (exports of different periods).
    let f = Fixture::new();
    f.file(
        "shiny.csv",
        &format!("content_guid,user_guid,started,ended\n{C},u1,2024-03-04T10:00:00Z,2024-03-04T10:01:00Z\n"),
    );
    f.file(
        "visits.csv",
        &format!(
            "content_guid,user_guid,time\n{C},u1,2024-03-04T10:00:30Z\n{C},u1,2024-02-01T10:00:00Z\n{C},u2,2024-05-01T10:00:00Z\n"
        ),
    );
    f.file(
        "jobs.csv",
        &format!(
            "content_guid,start_time,end_time,tag,status\n{C},2024-03-04T10:00:00Z,2024-03-04T10:00:50Z,run_app,2\n{C},2024-01-01T10:00:00Z,2024-01-01T11:00:00Z,run_app,2\n{C},2024-06-01T10:00:00Z,2024-06-01T11:00:00Z,run_app,2\n"
        ),
    );
    let (v, stderr) = run(&f, &[]);
    assert_eq!(at(&v, "visits.rows"), 3);
    assert_eq!(at(&v, "visits.count"), 1);
    assert_eq!(at(&v, "visits.outside_window"), 2);
    assert_eq!(at(&v, "jobs.rows"), 3);
    assert_eq!(at(&v, "jobs.outside_window"), 2);
    assert_eq!(at(&v, "sessions.outside_window"), 0);
    for what in [
        "2 of 3 visit rows lie outside",
        "2 of 3 job rows lie outside",
    ] {
        assert!(stderr.contains(what), "{what}: {stderr}");
        assert!(v["warnings"].to_string().contains(what), "{what}");
    }
    // The counts are a line of the human formats too.
    let md = cmd()
        .args([
            "analyze",
            f.path().to_str().unwrap(),
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("| visits outside the window | 2 |"), "{md}");
    assert!(md.contains("| jobs outside the window | 2 |"), "{md}");
    // Sessions outside --from/--to: one of two, so no warning.
    let g = Fixture::new();
    g.file(
        "shiny.csv",
        &format!("content_guid,user_guid,started,ended\n{C},u1,2024-03-04T10:00:00Z,2024-03-04T10:01:00Z\n{C},u1,2024-03-09T10:00:00Z,2024-03-09T10:01:00Z\n"),
    );
    let (v, stderr) = run(&g, &["--from", "2024-03-01", "--to", "2024-03-05"]);
    assert_eq!(at(&v, "sessions.outside_window"), 1);
    assert!(!stderr.contains("lie outside"), "{stderr}");
    // A period chosen with --from/--to expects rows outside it: however many, no warning
    // (the warning's own advice is to set them).
    let (v, stderr) = run(&f, &["--from", "2024-03-04", "--to", "2024-03-05"]);
    assert_eq!(at(&v, "visits.outside_window"), 2);
    assert_eq!(at(&v, "jobs.outside_window"), 2);
    assert!(!stderr.contains("lie outside"), "{stderr}");
    // Two of three sessions outside a chosen start, then a chosen end: more than half,
    // which warns without --from/--to.
    g.file(
        "shiny.csv",
        &format!("content_guid,user_guid,started,ended\n{C},u1,2024-03-04T10:00:00Z,2024-03-04T10:01:00Z\n{C},u1,2024-03-05T10:00:00Z,2024-03-05T10:01:00Z\n{C},u1,2024-03-09T10:00:00Z,2024-03-09T10:01:00Z\n"),
    );
    let (v, stderr) = run(&g, &["--from", "2024-03-09"]);
    assert_eq!(at(&v, "sessions.outside_window"), 2);
    let (v2, stderr2) = run(&g, &["--to", "2024-03-04"]);
    assert_eq!(at(&v2, "sessions.outside_window"), 2);
    assert!(!format!("{stderr}{stderr2}").contains("lie outside"));
    assert!(!format!("{}{}", v["warnings"], v2["warnings"]).contains("lie outside"));
}

#[test]
fn per_day_figures_need_a_day_of_window() {
    // One visit: a window of one microsecond. Before, visits.per_day was 86,400,000,000.
    let f = Fixture::new();
    f.file(
        "visits.csv",
        &format!("content_guid,user_guid,time\n{C},u1,2024-03-04T10:00:30Z\n"),
    );
    let (v, _) = run(&f, &[]);
    assert_eq!(at(&v, "visits.count"), 1);
    assert!(v["visits"]["per_day"].is_null(), "{}", v["visits"]);
    assert!(v["content"][0]["visits_per_day"].is_null());
    // Two days: a number again.
    let (v, _) = run(&f, &["--from", "2024-03-04", "--to", "2024-03-05"]);
    assert!((at(&v, "visits.per_day").as_f64().unwrap() - 0.5).abs() < 1e-9);
}

#[test]
fn one_short_session_gets_no_size_but_what_to_export() {
    let f = Fixture::new();
    f.file(
        "shiny.csv",
        &format!("content_guid,user_guid,started,ended\n{C},u1,2024-03-04T10:00:00Z,2024-03-04T10:01:00Z\n"),
    );
    let (v, _) = run(&f, &[]);
    let text = v["recommendation"]["insufficient_data"].as_str().unwrap();
    assert!(text.starts_with("The data cannot support a size yet: the window is 0 days long (under 14), and it holds 1 session and 0 measured interactive jobs (1 together, under 100)."), "{text}");
    assert!(
        text.contains("get_usage_shiny(limit = Inf)") && text.contains("get_jobs()"),
        "{text}"
    );
    assert_eq!(v["recommendation"]["reasons"][0], text);
    assert_eq!(at(&v, "sizing.constants.min_window_days"), 14.0);
    assert_eq!(at(&v, "sizing.constants.min_sessions_and_jobs"), 100);
    // Both thresholds are [sizing] keys: at 0 the same data supports a size.
    let conf = Fixture::new();
    let cfg = conf.path().join("thin.toml");
    std::fs::write(
        &cfg,
        "[sizing]\nmin_window_days = 0\nmin_sessions_and_jobs = 1\n",
    )
    .unwrap();
    let (v, _) = run(&f, &["--config", cfg.to_str().unwrap()]);
    assert!(v["recommendation"]["insufficient_data"].is_null());
    assert!(!v["recommendation"]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("cannot support"));
}

#[test]
fn the_zone_assumed_for_naive_timestamps_is_named_once_per_file() {
    let f = Fixture::new();
    f.file(
        "shiny.csv",
        &format!("content_guid,user_guid,started,ended\n{C},u1,2024-03-04 10:00:00,2024-03-04 10:01:00\n{C},u2,2024-03-04 10:00:00,2024-03-04 10:02:00\n"),
    );
    f.file(
        "visits.csv",
        &format!("content_guid,user_guid,time\n{C},u1,2024-03-04T10:00:30Z\n"),
    );
    let (v, stderr) = run(&f, &[]);
    // Said once, in the report (an assumption, not a fault: nothing on stderr).
    assert!(!stderr.contains("without an offset"), "{stderr}");
    let notes = v["inputs"]["warnings"].as_array().unwrap();
    let said: Vec<&str> = notes
        .iter()
        .filter_map(|w| w.as_str())
        .filter(|w| w.contains("without an offset"))
        .collect();
    assert_eq!(said.len(), 1, "{notes:?}");
    assert!(
        said[0].starts_with("timestamps without an offset were read as UTC, the default, in ")
            && said[0].contains("shiny.csv (shiny)")
            && said[0].contains("--input-tz KIND=ZONE"),
        "{}",
        said[0]
    );
    // The visits carry an offset: nothing said of them.
    assert!(!said[0].contains("visits.csv"), "{}", said[0]);
    let zones = v["inputs"]["naive_zones"].as_array().unwrap();
    assert_eq!(zones.len(), 1);
    assert_eq!(zones[0]["zone"], "UTC");
    assert_eq!(zones[0]["assumed"], true);
    // Named by --input-tz: listed, no warning.
    let (v, _) = run(&f, &["--input-tz", "shiny=Europe/Berlin"]);
    assert!(!v["inputs"]["warnings"]
        .to_string()
        .contains("without an offset"));
    assert_eq!(v["inputs"]["naive_zones"][0]["zone"], "Europe/Berlin");
    assert_eq!(v["inputs"]["naive_zones"][0]["assumed"], false);
}
