//! `compare`, `trend`, the snapshot history and utilisation alerts through the CLI.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::*;
use serde_json::Value;

const APP: &str = "bd1d2285-6c80-49af-8a83-a200effe3cb3";

fn json_of(args: &[&str]) -> Value {
    let out = cmd()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The row of `name` in a comparison's `figures`.
fn figure<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("figure {name}"))
}

/// Two sessions overlapping on 4 March, three overlapping on 4 April, one app.
fn two_months(f: &Fixture) {
    let s = |day: &str, from: &str, to: &str, user: &str| {
        format!("{APP},{user},2024-{day}T{from}:00Z,2024-{day}T{to}:00Z,1\n")
    };
    let mut csv = String::from("content_guid,user_guid,started,ended,data_version\n");
    csv += &s("03-04", "10:00", "11:00", "u1");
    csv += &s("03-04", "10:30", "11:30", "u2");
    csv += &s("04-04", "10:00", "11:00", "u1");
    csv += &s("04-04", "10:10", "11:00", "u2");
    csv += &s("04-04", "10:20", "11:00", "u3");
    f.file("shiny.csv", &csv);
}

#[test]
fn compare_two_periods_with_hand_checked_deltas() {
    let f = Fixture::new();
    two_months(&f);
    let v = json_of(&[
        "compare",
        f.path().to_str().unwrap(),
        "--baseline",
        "2024-03-01..2024-03-31",
        "--current",
        "2024-04-01..2024-04-30",
    ]);
    // Peak 2 in March, 3 in April: +1, +50 %. Sessions 2 then 3.
    let peak = figure(&v, "peak concurrent sessions");
    assert_eq!(peak["baseline"], 2.0);
    assert_eq!(peak["current"], 3.0);
    assert_eq!(peak["change"], 1.0);
    assert_eq!(peak["relative"], 0.5);
    let sessions = figure(&v, "sessions");
    assert_eq!(
        (sessions["baseline"].as_f64(), sessions["current"].as_f64()),
        (Some(2.0), Some(3.0))
    );
    // Users peak: 2 then 3 distinct people at once.
    assert_eq!(figure(&v, "peak concurrent users")["change"], 1.0);
    assert_eq!(v["risers"][0]["guid"], APP);
    assert_eq!(v["risers"][0]["change"], 1);
    assert!(v["fallers"].as_array().unwrap().is_empty());
    assert_eq!(v["schema_version"], 2);
}

#[test]
fn compare_on_sample_data_matches_two_analyses() {
    let s = sample();
    let v = json_of(&[
        "compare",
        &s,
        "--baseline",
        "2024-02-01..2024-03-31",
        "--current",
        "2024-05-01..2024-06-30",
    ]);
    let b = analyze_json(&[&s, "--from", "2024-02-01", "--to", "2024-03-31"]);
    let c = analyze_json(&[&s, "--from", "2024-05-01", "--to", "2024-06-30"]);
    for (name, path) in [
        ("peak concurrent sessions", "concurrency.sessions.peak"),
        ("p95 concurrent sessions", "concurrency.sessions.p95"),
        ("peak concurrent users", "concurrency.users.peak"),
        ("daily peak, p95", "daily.peak_p95"),
        ("active users (consumers)", "people.consumers"),
        ("peak modelled processes", "processes.estimated.peak"),
        ("cores needed now", "sizing.now.cores"),
    ] {
        let row = figure(&v, name);
        let (bv, cv) = (
            at(&b, path).as_f64().unwrap(),
            at(&c, path).as_f64().unwrap(),
        );
        assert_eq!(row["baseline"].as_f64(), Some(bv), "{name}");
        assert_eq!(row["current"].as_f64(), Some(cv), "{name}");
        approx::assert_relative_eq!(row["change"].as_f64().unwrap(), cv - bv, epsilon = 1e-9);
        if bv != 0.0 {
            approx::assert_relative_eq!(row["relative"].as_f64().unwrap(), (cv - bv) / bv);
        }
    }
    // Risers are ordered by change, largest first.
    let risers = v["risers"].as_array().unwrap();
    assert!(!risers.is_empty());
    for w in risers.windows(2) {
        assert!(w[0]["change"].as_i64() >= w[1]["change"].as_i64());
    }
}

#[test]
fn compare_two_export_folders() {
    let a = Fixture::new();
    let b = Fixture::new();
    two_months(&a);
    two_months(&b);
    b.file(
        "more.csv",
        &format!("content_guid,user_guid,started,ended,data_version\n{APP},u9,2024-04-04T10:30:00Z,2024-04-04T10:40:00Z,1\n"),
    );
    let v = json_of(&[
        "compare",
        a.path().to_str().unwrap(),
        b.path().to_str().unwrap(),
    ]);
    // One more overlapping session in the current folder: peak 3 -> 4.
    assert_eq!(figure(&v, "peak concurrent sessions")["change"], 1.0);
    assert_eq!(figure(&v, "sessions")["change"], 1.0);
}

#[test]
fn compare_needs_two_periods_or_two_folders() {
    let out = cmd().args(["compare", &sample()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exactly two"));
    let out = cmd()
        .args([
            "compare",
            &sample(),
            "--baseline",
            "2024-02-01..2024-01-01",
            "--current",
            "2024-03-01..2024-03-02",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn snapshots(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_str().unwrap().starts_with('.'))
        .map(|p| {
            (
                p.file_name().unwrap().to_str().unwrap().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn history_re_runs_are_idempotent() {
    let h = Fixture::new();
    let dir = h.path().join("history");
    let d = dir.to_str().unwrap();
    for _ in 0..2 {
        cmd()
            .args(["analyze", &sample(), "--history", d])
            .assert()
            .success();
    }
    let first = snapshots(&dir);
    cmd()
        .args(["analyze", &sample(), "--history", d])
        .assert()
        .success();
    assert_eq!(snapshots(&dir), first, "a re-run rewrites the same bytes");
    let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "month-2024-01.json",
            "month-2024-02.json",
            "month-2024-03.json",
            "month-2024-04.json",
            "month-2024-05.json",
            "month-2024-06.json",
            "month-2024-07.json",
            "month-2024-08.json"
        ]
    );
}

#[test]
fn history_spans_more_than_any_rolling_export() {
    let h = Fixture::new();
    let dir = h.path().join("history");
    let d = dir.to_str().unwrap();
    let s = sample();
    // Two "rolling exports": January to March, then mid-March to April.
    cmd()
        .args([
            "analyze",
            &s,
            "--from",
            "2024-01-01",
            "--to",
            "2024-03-31",
            "--history",
            d,
        ])
        .assert()
        .success();
    let march_full = std::fs::read(dir.join("month-2024-03.json")).unwrap();
    cmd()
        .args([
            "analyze",
            &s,
            "--from",
            "2024-03-15",
            "--to",
            "2024-04-30",
            "--history",
            d,
        ])
        .assert()
        .success();
    // The partial March of the second export does not replace the full one.
    assert_eq!(
        std::fs::read(dir.join("month-2024-03.json")).unwrap(),
        march_full
    );
    let v = json_of(&["trend", "--history", d]);
    let periods: Vec<&str> = v["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2024-01", "2024-02", "2024-03", "2024-04"]);
    for p in v["periods"].as_array().unwrap() {
        assert_eq!(p["coverage"], 1.0, "{p}");
        assert_eq!(p["source"], "history");
    }
    // The stored March equals a direct analysis of March.
    let march = analyze_json(&[&s, "--from", "2024-03-01", "--to", "2024-03-31"]);
    assert_eq!(
        v["periods"][2]["peak_sessions"],
        at(&march, "concurrency.sessions.peak").clone()
    );
    assert_eq!(
        v["periods"][2]["cores"],
        at(&march, "sizing.now.cores").clone()
    );
    // Trend with exports too: a fresh period replaces a stored one covering no more of
    // it. Without --from the exports start at the first session (00:01:14 on 1 January),
    // so the stored January (from --from 2024-01-01) covers more and stays; February is
    // covered fully by both and the fresh one wins.
    let v = json_of(&["trend", &s, "--history", d, "--to", "2024-02-29"]);
    let sources: Vec<&str> = v["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["history", "exports", "history", "history"]);
}

#[test]
fn a_damaged_snapshot_is_named_and_skipped() {
    let h = Fixture::new();
    let dir = h.path().join("history");
    let d = dir.to_str().unwrap();
    cmd()
        .args(["analyze", &sample(), "--history", d])
        .assert()
        .success();
    std::fs::write(
        dir.join("month-2023-12.json"),
        "{\"kind\": \"connect-capacity snap",
    )
    .unwrap();
    let out = cmd()
        .args(["trend", "--history", d, "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("month-2023-12.json"), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["periods"].as_array().unwrap().len(), 8);
    assert!(v["skipped_snapshots"][0]
        .as_str()
        .unwrap()
        .contains("month-2023-12.json"));
}

#[test]
fn weekly_trend_fits_per_week() {
    let v = json_of(&["trend", &sample(), "--every", "week"]);
    let periods = v["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 35);
    assert!(periods[1]["period"].as_str().unwrap().starts_with("2024-W"));
    assert!(v["growth_sessions_p95"]["rate_per_month"].is_number());
}

#[test]
fn a_killed_history_write_leaves_earlier_snapshots_intact() {
    let h = Fixture::new();
    let dir: PathBuf = h.path().join("history");
    let d = dir.to_str().unwrap();
    cmd()
        .args(["analyze", &sample(), "--history", d, "--every", "week"])
        .assert()
        .success();
    let before = snapshots(&dir);
    assert_eq!(before.len(), 35);
    let bin = assert_cmd::cargo::cargo_bin("connect-capacity");
    // Kill re-runs (with different options, so every snapshot is rewritten) at several
    // points; every snapshot on disk must stay a complete file, old or new.
    for delay_ms in [5, 20, 50, 100, 200, 400] {
        let mut child = std::process::Command::new(&bin)
            .args([
                "analyze",
                &sample(),
                "--history",
                d,
                "--every",
                "week",
                "--scale",
                "3",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let now = snapshots(&dir);
        assert_eq!(
            now.len(),
            35,
            "no snapshot lost after a kill at {delay_ms} ms"
        );
        for (name, bytes) in &now {
            let v: Value = serde_json::from_slice(bytes)
                .unwrap_or_else(|e| panic!("{name} damaged after a kill at {delay_ms} ms: {e}"));
            assert_eq!(v["kind"], "connect-capacity snapshot");
        }
    }
    let v = json_of(&["trend", "--history", d, "--every", "week"]);
    assert!(v["skipped_snapshots"].as_array().unwrap().is_empty());
}

#[test]
fn alerts_exit_3_and_say_so_on_one_stderr_line() {
    let s = sample();
    let v = analyze_json(&[&s]);
    let cores = at(&v, "sizing.now.cores").as_u64().unwrap();
    // Capacity equal to the need: utilisation 1.0, at or above 0.8 -> exit 3.
    let out = cmd()
        .args([
            "analyze",
            &s,
            "--capacity-cores",
            &cores.to_string(),
            "--alert-at",
            "0.8",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("alert: utilisation 100 %"), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["utilisation"]["alert"], true);
    // Twice the capacity: 0.5, below the threshold -> exit 0.
    let out = cmd()
        .args([
            "analyze",
            &s,
            "--capacity-cores",
            &(cores * 2).to_string(),
            "--alert-at",
            "0.8",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // trend alerts on the latest period.
    let out = cmd()
        .args(["trend", &s, "--capacity-cores", "1", "--alert-at", "0.8"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    // An alert without a capacity is a usage error.
    let out = cmd()
        .args(["analyze", &s, "--alert-at", "0.8"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // A percentage typed for the fraction could never fire: a usage error saying so.
    let out = cmd()
        .args(["analyze", &s, "--capacity-cores", "64", "--alert-at", "80"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("--alert-at 80: use a fraction above 0 and under 10, e.g. 0.8 for 80 %"));
    // A data error stays 1 even with an alert threshold.
    let f = Fixture::new();
    f.file(
        "bad.csv",
        "content_guid,user_guid,started,ended,data_version\nx,y,not-a-time,NA,1\n",
    );
    let out = cmd()
        .args([
            "analyze",
            f.path().to_str().unwrap(),
            "--capacity-cores",
            "1",
            "--alert-at",
            "0.1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn compare_and_trend_render_in_every_format_with_data_escaped() {
    // The app of `two_months` titled with a script: its peak rises from 2 to 3, so it is
    // a riser and its title appears in every format.
    let f = Fixture::new();
    two_months(&f);
    f.file(
        "content.csv",
        &format!(
            "guid,name,title,app_mode\n{APP},x,\"Test app <script>alert(1)</script>\",shiny\n"
        ),
    );
    let dir = f.path().to_str().unwrap();
    let periods = [
        "--baseline",
        "2024-03-01..2024-03-31",
        "--current",
        "2024-04-01..2024-04-30",
    ];
    for format in ["terminal", "json", "markdown", "html"] {
        let out = cmd()
            .args(["compare", dir])
            .args(periods)
            .args(["--format", format])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("peak concurrent sessions"), "{format}");
        match format {
            "html" => {
                assert!(!text.contains("<script>"), "{format} lets a title through");
                assert!(text.contains("&lt;script&gt;"), "{format}");
            }
            "markdown" => {
                assert!(text.contains("Test app \\<script\\>alert(1)\\</script\\>"));
                assert!(
                    !text.replace("\\<", "").contains("<script"),
                    "a tag gets through"
                );
            }
            _ => assert!(
                text.contains("Test app <script>alert(1)</script>"),
                "{format}"
            ),
        }
        let out = cmd()
            .args(["trend", &sample(), "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success(), "{format}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("2024-06"), "{format}");
        if format == "html" {
            assert!(text.starts_with("<!DOCTYPE html>"));
            assert!(!text.contains("http://") && !text.contains("https://"));
        }
    }
}

#[test]
fn compare_warns_about_an_empty_period_and_unequal_lengths() {
    let v = json_of(&[
        "compare",
        &sample(),
        "--baseline",
        "2024-03-01..2024-03-31",
        "--current",
        "2025-01-01..2025-01-07",
    ]);
    let w = v["warnings"].to_string();
    assert!(
        w.contains("the current period holds no session or visit"),
        "{w}"
    );
    assert!(w.contains("differ in length (31.0 and 7.0 days)"), "{w}");
    // Per-day rows make unequal periods comparable.
    let per_day = figure(&v, "sessions per day");
    assert_eq!(per_day["current"], 0.0);
    approx::assert_relative_eq!(
        per_day["baseline"].as_f64().unwrap(),
        figure(&v, "sessions")["baseline"].as_f64().unwrap() / 31.0,
        epsilon = 1e-9
    );
    assert!(!w.contains("overlap"), "{w}");
    // Periods that overlap (1 to 15 April in both) are named; touching ones are not.
    let overlapping = |current: &str| {
        let v = json_of(&[
            "compare",
            &sample(),
            "--baseline",
            "2024-03-01..2024-04-15",
            "--current",
            current,
        ]);
        v["warnings"].to_string()
    };
    let w = overlapping("2024-04-01..2024-04-30");
    assert!(
        w.contains("the periods overlap by 15 days: what falls in both"),
        "{w}"
    );
    assert!(!overlapping("2024-04-16..2024-05-31").contains("overlap"));
}

#[test]
fn trend_alerts_on_the_whole_export_not_on_a_few_hours_of_a_new_month() {
    let s = sample();
    // The exports end six hours into August: August is 0.8 % covered. The alert follows the
    // "now" size of the whole export, as `analyze` does.
    let args = ["--from", "2024-07-02", "--to", "2024-08-01T06:00:00Z"];
    let v = analyze_json(&[&s, args[0], args[1], args[2], args[3]]);
    let cores = at(&v, "sizing.now.cores").as_u64().unwrap();
    let out = cmd()
        .args(["trend", &s])
        .args(args)
        .args(["--capacity-cores", &cores.to_string(), "--alert-at", "0.8"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn rolling_thirty_day_exports_build_a_fittable_history() {
    let h = Fixture::new();
    let dir = h.path().join("history");
    let d = dir.to_str().unwrap();
    let s = sample();
    // A 30-day export every 10 days from late January to the end of August.
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
    for i in 0..22 {
        let to = start + chrono::Days::new(10 * i);
        let from = to - chrono::Days::new(29);
        cmd()
            .args(["analyze", &s, "--history", d])
            .args(["--from", &from.to_string(), "--to", &to.to_string()])
            .assert()
            .success();
    }
    let v = json_of(&["trend", "--history", d]);
    // No 30-day export covers a 31-day month whole, but each month is nearly covered, and
    // the fit uses them.
    let used = v["growth_sessions_p95"]["months_used"].as_array().unwrap();
    assert!(used.len() >= 5, "months used: {used:?}");
    assert!(v["growth_sessions_p95"]["rate_per_month"].is_number());
}

#[test]
fn history_made_with_other_options_is_replaced_and_mixing_is_warned_about() {
    let h = Fixture::new();
    let dir = h.path().join("history");
    let d = dir.to_str().unwrap();
    let s = sample();
    cmd()
        .args(["analyze", &s, "--history", d])
        .assert()
        .success();
    let before = std::fs::read(dir.join("month-2024-03.json")).unwrap();
    // Another zone, only March: March is replaced though no fuller, the rest stays.
    cmd()
        .args(["analyze", &s, "--tz", "America/New_York", "--history", d])
        .args(["--from", "2024-03-01", "--to", "2024-03-31"])
        .assert()
        .success();
    assert_ne!(
        std::fs::read(dir.join("month-2024-03.json")).unwrap(),
        before
    );
    let v = json_of(&["trend", "--history", d]);
    let w = v["warnings"].to_string();
    assert!(
        w.contains("other options than this run's (zone, exclusions, scheduler or sizing settings): 2024-03;"),
        "{w}"
    );
    // Not only in JSON: the Markdown report and stderr say it too.
    let out = cmd()
        .args(["trend", "--history", d, "--format", "markdown"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("Warning: periods analysed with other options than this run's"));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("warning: periods analysed with other options than this run's"));
    // Read with the zone March was made in, the other months are the odd ones; read with
    // the zone of none, all are.
    let w = json_of(&["trend", "--history", d, "--tz", "America/New_York"])["warnings"].to_string();
    assert!(w.contains("settings): 2024-01, 2024-02, 2024-04,"), "{w}");
    assert!(!w.contains("2024-03"), "{w}");
    let w = json_of(&["trend", "--history", d, "--tz", "Asia/Tokyo"])["warnings"].to_string();
    assert!(
        w.contains("settings): 2024-01, 2024-02, 2024-03, 2024-04,"),
        "{w}"
    );
    // A history of months read per week: an empty table, and what to pass instead.
    let v = json_of(&["trend", "--history", d, "--every", "week"]);
    assert_eq!(v["periods"], serde_json::json!([]));
    let w = v["warnings"].to_string();
    assert!(
        w.contains("holds no week snapshots but 8 month snapshots: pass --every month"),
        "{w}"
    );
}

#[test]
fn compare_and_trend_warn_about_an_option_that_matches_nothing() {
    let s = sample();
    let typo = "svc-health-chek";
    for args in [
        vec![
            "compare",
            &s,
            "--baseline",
            "2024-02-01..2024-03-31",
            "--current",
            "2024-06-01..2024-07-31",
        ],
        vec!["trend", &s],
    ] {
        let out = cmd()
            .args(&args)
            .args(["--exclude-users", typo, "--format", "markdown"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let said = format!("'{typo}' matches no user");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Once in the report (both periods of a comparison share it) and once on stderr.
        assert_eq!(stdout.matches(&said).count(), 1, "{args:?}: {stdout}");
        assert_eq!(stderr.matches(&said).count(), 1, "{args:?}: {stderr}");
    }
}

/// The sample's job metrics cover August only: its cores rest on measured footprints, the
/// other months' on assumed ones, and the trend says so under the table.
#[test]
fn trend_says_which_periods_are_sized_from_measured_footprints() {
    let out = cmd()
        .args(["trend", &sample(), "--format", "markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains(
            "Cores and RAM rest on measured footprints (job metrics) in 2024-08 and on the \
             assumed per-process figures in 2024-01, 2024-02, 2024-03, 2024-04, 2024-05, \
             2024-06, 2024-07:"
        ),
        "{md}"
    );
}

/// The terminal table wraps between words, never inside one: the trend's header once
/// read "process" over "es" and "archite" over "cture".
#[test]
fn terminal_tables_never_break_a_word() {
    let out = cmd()
        .args(["trend", &sample(), "--format", "terminal"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [" processes ", " architecture ", " single-server "] {
        assert!(text.contains(word), "{word:?} broken:\n{text}");
    }
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 122, "{widest} columns");
}

/// The last month of a window taken from the data holds the session that starts at its
/// end (the sample's last, still open) in `trend` as in `analyze`. `analyze` counts the
/// 2,948 sessions that started in August; `trend` also counts sessions running into a
/// period (README: a session spanning two periods counts in both), one from July here:
/// 2,949. Before the end instant counted, `trend` said 2,948.
#[test]
fn trend_and_analyze_count_the_last_months_sessions_alike() {
    let t = json_of(&["trend", &sample()]);
    let last = t["periods"].as_array().unwrap().last().unwrap().clone();
    let a = json_of(&["analyze", &sample()]);
    let month = a["months"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["period"], "2024-08");
    assert_eq!(month["month"], "2024-08");
    assert_eq!(month["sessions"], 2948);
    assert_eq!(last["sessions"], 2949);
}
