//! Exports written from Connect API responses that Posit's client libraries recorded in
//! their test suites (issue 18 item 5; provenance in tests/fixtures/clients/PROVENANCE.md):
//! posit-sdk-py's results written with pandas `to_csv` (run for real), connectapi's data
//! frames written as R `write.csv` does (emulated). Each file analyses alone, the sets
//! analyse combined as an admin would, and the figures are checked by hand here. Jobs
//! listed without a content GUID (Connect 2024.08, posit-sdk-py) are attributed by
//! `app_id` or by the file name, and otherwise counted server-wide with a warning.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const SDK: &str = "tests/fixtures/clients/posit-sdk-py";
const CA: &str = "tests/fixtures/clients/connectapi-emulated";

fn fixture(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(name)
}

/// `analyze PATHS --format json`, which must succeed; the report and stderr.
fn analyze(paths: &[PathBuf]) -> (Value, String) {
    let out = cmd()
        .arg("analyze")
        .args(paths)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{paths:?}: {stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

fn warnings(r: &Value) -> Vec<String> {
    at(r, "inputs.warnings")
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn every_recorded_export_analyses_alone() {
    for (dir, names) in [
        (
            SDK,
            &[
                "usage.csv",
                "usage_with_index.csv",
                "hits.csv",
                "content.csv",
                "users.csv",
                "jobs.csv",
            ][..],
        ),
        (
            CA,
            &[
                "jobs_2024.07.csv",
                "jobs_2024.08.csv",
                "jobs_2025.01.csv",
                "hits_2025.04.csv",
                "content_2024.08.csv",
                "users_2024.08.csv",
            ][..],
        ),
    ] {
        for name in names {
            analyze(&[fixture(dir, name)]);
        }
    }
}

#[test]
fn sdk_unified_usage_is_one_visit_and_one_session_with_or_without_the_index_column() {
    // Visits come first in the SDK's list: `/logs` at 18:00-05:00 (variant_key, ids and
    // path filled), then a Shiny session 18:00 to 18:01 -05:00 (all four empty).
    for name in ["usage.csv", "usage_with_index.csv"] {
        let (r, _) = analyze(&[fixture(SDK, name)]);
        assert_eq!(at(&r, "sessions.count"), 1, "{name}");
        assert_eq!(at(&r, "visits.count"), 1, "{name}");
        assert_eq!(at(&r, "visits.by_source.unified"), 1, "{name}");
        assert_eq!(at(&r, "window.start"), "2018-09-15T23:00:00Z", "{name}");
        assert_eq!(at(&r, "window.end"), "2018-09-15T23:01:00Z", "{name}");
        assert_eq!(at(&r, "concurrency.sessions.peak"), 1, "{name}");
        assert_eq!(at(&r, "sessions.users"), 1, "{name}");
    }
}

#[test]
fn sdk_hits_flattened_by_json_normalize_are_two_visits() {
    // 10:00 and 10:05 at -05:00; `data.path` and `data.user_agent` columns.
    let (r, _) = analyze(&[fixture(SDK, "hits.csv")]);
    assert_eq!(at(&r, "visits.count"), 2);
    assert_eq!(at(&r, "visits.by_source.hits"), 2);
    assert_eq!(at(&r, "window.start"), "2025-05-01T15:00:00Z");
    // The window of visits alone ends just after the last (metrics.md 1.7).
    assert_eq!(at(&r, "window.end"), "2025-05-01T15:05:00.000001Z");
}

#[test]
fn connectapi_hits_with_anonymous_rows_are_five_visits() {
    // Four anonymous Datadog checks on 475618c9 and one named visit on b0eaf295, between
    // 12:36:13 and 13:04:13 UTC (R prints them without a zone; read as UTC and said so).
    let (r, _) = analyze(&[fixture(CA, "hits_2025.04.csv")]);
    assert_eq!(at(&r, "visits.count"), 5);
    assert_eq!(at(&r, "window.start"), "2025-04-30T12:36:13Z");
    assert_eq!(at(&r, "window.end"), "2025-04-30T13:04:13.000001Z");
    assert!(
        warnings(&r).iter().any(|w| w.contains("read as UTC")),
        "{:?}",
        warnings(&r)
    );
}

/// A Shiny export that opens the window over the recorded jobs (2024-11-15 to
/// 2024-12-06 00:30 UTC) on the jobs' content.
fn window_over_the_jobs(f: &Fixture, content: &str) -> PathBuf {
    f.file(
        "shiny.csv",
        &format!(
            "content_guid,user_guid,started,ended\n\
             {content},u1,2024-11-15T00:00:00Z,2024-11-15T00:30:00Z\n\
             {content},u1,2024-12-06T00:00:00Z,2024-12-06T00:30:00Z\n"
        ),
    )
}

#[test]
fn connectapi_jobs_of_three_connect_versions_give_the_same_measured_processes() {
    // The six recorded jobs of 8f37d6e0, by hand: two active (status 0, no end) run to the
    // window end; QBZ5jkKfmf9iT9k8 has no end and is not active (status 2 in 2024.08 and
    // 2025.01, legacy `finalized` true dropped by connectapi in 2024.07), so the open cap
    // ends it; the others ended. At 2024-11-25 22:26:14 QBZ5 (since 22:17:42) and
    // mxPGVOMVk6f8dso2 run together: the peak, 2. dogfood01 ran two, dogfood02 four.
    for name in ["jobs_2024.07.csv", "jobs_2024.08.csv", "jobs_2025.01.csv"] {
        let f = Fixture::new();
        let shiny = window_over_the_jobs(&f, "8f37d6e0");
        let (r, _) = analyze(&[shiny, fixture(CA, name)]);
        let m = at(&r, "processes.measured");
        assert_eq!(at(m, "peak"), 2, "{name}");
        assert_eq!(at(m, "peak_at"), "2024-11-25T22:26:14Z", "{name}");
        assert_eq!(at(m, "detail.jobs"), 6, "{name}");
        assert_eq!(at(m, "detail.open_active"), 2, "{name}");
        assert_eq!(at(m, "detail.open_other"), 1, "{name}");
        assert_eq!(at(m, "detail.by_host.dogfood01.jobs"), 2, "{name}");
        assert_eq!(at(m, "detail.by_host.dogfood02.jobs"), 4, "{name}");
        let per = at(&r, "processes.model_vs_measured.per_content");
        assert_eq!(at(&per[0], "guid"), "8f37d6e0", "{name}");
        assert_eq!(at(&per[0], "measured_peak"), 2, "{name}");
    }
}

/// posit-sdk-py's recorded job (no content GUID, `app_id` 54), moved into the window.
const SDK_JOB: &str = "id,ppid,pid,key,remote_id,app_id,variant_id,bundle_id,start_time,end_time,last_heartbeat_time,queued_time,queue_name,tag,exit_code,status,hostname,cluster,image,run_as
54,20253,20253,tHawGvHZTosJA2Dx,,54,54,54,2024-11-20T10:00:00Z,2024-11-20T12:00:00Z,2024-11-20T12:00:00Z,,default,run_app,0,2,connect,,,rstudio-connect
";
const GUID: &str = "f2f37341-e21d-3d80-c698-a935ad614066";

fn per_content_guids(r: &Value) -> Vec<String> {
    at(r, "processes.model_vs_measured.per_content")
        .as_array()
        .unwrap()
        .iter()
        .map(|c| at(c, "guid").as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_job_without_content_guid_joins_the_content_list_by_app_id() {
    let f = Fixture::new();
    let shiny = window_over_the_jobs(&f, GUID);
    let jobs = f.file("jobs.csv", SDK_JOB);
    let content = f.file(
        "content.csv",
        &format!("guid,name,title,app_mode,id\n{GUID},perf,Performance Data,shiny,54.0\n"),
    );
    let (r, _) = analyze(&[shiny, jobs, content]);
    assert_eq!(at(&r, "processes.measured.peak"), 1);
    assert_eq!(per_content_guids(&r), vec![GUID.to_string()]);
    assert!(
        !warnings(&r).iter().any(|w| w.contains("content GUID")),
        "{:?}",
        warnings(&r)
    );
}

#[test]
fn a_job_without_content_guid_takes_the_guid_in_its_file_name() {
    let f = Fixture::new();
    let shiny = window_over_the_jobs(&f, GUID);
    let jobs = f.file(&format!("jobs_{GUID}.csv"), SDK_JOB);
    let (r, _) = analyze(&[shiny, jobs]);
    assert_eq!(per_content_guids(&r), vec![GUID.to_string()]);
}

#[test]
fn an_unattributed_job_counts_server_wide_and_the_report_names_its_file() {
    let f = Fixture::new();
    let shiny = window_over_the_jobs(&f, GUID);
    let jobs = f.file("jobs.csv", SDK_JOB);
    let content = f.file(
        "content.csv",
        &format!("guid,name,title,app_mode,id\n{GUID},perf,Performance Data,shiny,583\n"),
    );
    let (r, _) = analyze(&[shiny, jobs.clone(), content]);
    // Counted in the server-wide and per-host figures ...
    assert_eq!(at(&r, "processes.measured.peak"), 1);
    assert_eq!(at(&r, "processes.measured.detail.by_host.connect.jobs"), 1);
    // ... but in no item's: the item is listed for its modelled processes only.
    let per = at(&r, "processes.model_vs_measured.per_content");
    let item = per
        .as_array()
        .unwrap()
        .iter()
        .find(|c| at(c, "guid") == GUID)
        .unwrap();
    assert_eq!(at(item, "measured_peak"), 0);
    let w = warnings(&r);
    let named = w
        .iter()
        .find(|w| w.contains(&jobs.display().to_string()))
        .unwrap_or_else(|| panic!("{w:?}"));
    assert!(named.contains("1 job without a content GUID"), "{named}");
    assert!(named.contains("jobs_<guid>.csv"), "{named}");
}

#[test]
fn the_sdk_set_analyses_combined_and_names_the_unattributed_jobs_file() {
    // As an admin saves them: usage (2018), hits (2025), content, users and one content
    // item's jobs. The session sets the window (2018-09-15 23:00 to 23:01 UTC): the two
    // hits of 2025 fall outside it and are counted so. The recorded job starts and ends at
    // Go's reference time (2006-01-02 15:04:05 -07:00): an empty interval, never counted.
    let paths: Vec<PathBuf> = [
        "usage.csv",
        "hits.csv",
        "content.csv",
        "users.csv",
        "jobs.csv",
    ]
    .iter()
    .map(|n| fixture(SDK, n))
    .collect();
    let (r, _) = analyze(&paths);
    assert_eq!(at(&r, "sessions.count"), 1);
    assert_eq!(at(&r, "visits.count"), 1);
    assert_eq!(at(&r, "visits.outside_window"), 2);
    assert_eq!(at(&r, "jobs.rows"), 1);
    assert_eq!(at(&r, "processes.measured.detail.empty"), 1);
    assert!(warnings(&r).iter().any(|w| w.contains("jobs.csv")));
}

#[test]
fn the_connectapi_set_analyses_combined() {
    // Jobs recorded from Connect 2024.08, hits from 2025.04, the content and user lists.
    // The five hits set the window (2025-04-30 12:36:13 to 13:04:13 UTC). The two jobs
    // still active (status 0, no end) run to the window end, so they overlap it: 2
    // processes at once; the four others ended in 2024 and lie outside it.
    let paths: Vec<PathBuf> = [
        "jobs_2024.08.csv",
        "hits_2025.04.csv",
        "content_2024.08.csv",
        "users_2024.08.csv",
    ]
    .iter()
    .map(|n| fixture(CA, n))
    .collect();
    let (r, _) = analyze(&paths);
    assert_eq!(at(&r, "visits.count"), 5);
    assert_eq!(at(&r, "jobs.rows"), 6);
    assert_eq!(at(&r, "jobs.outside_window"), 4);
    assert_eq!(at(&r, "processes.measured.peak"), 2);
    assert_eq!(at(&r, "processes.measured.detail.open_active"), 2);
    // Three publishers in the user list; three items of three modes in the content list.
    assert_eq!(at(&r, "people.publishers"), 3);
    let modes: Vec<&str> = at(&r, "content_types")
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| at(t, "content") == 1)
        .map(|t| at(t, "app_mode").as_str().unwrap())
        .collect();
    assert_eq!(modes, ["python-streamlit", "quarto-static", "shiny"]);
}
