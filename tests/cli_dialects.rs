//! One CLI test per export dialect (docs/inputs.md section 2): each is read through
//! `analyze --format json` and checked against numbers worked out by hand.

mod common;

use common::*;
use serde_json::json;

/// Hand-worked figures of `SHINY_READR`: A 14:02:11-14:38:52, B 14:05:40-14:21:03,
/// C (anonymous) 14:30:00-14:31:16, D 15:10:27-open. Window 14:02:11..15:10:27 (4096 s);
/// D is open at the window end, so it is empty. Integral 2201+923+76 = 3200 s.
fn assert_shiny_figures(v: &serde_json::Value) {
    assert_eq!(at(v, "window.start"), "2024-03-04T14:02:11Z");
    assert_eq!(at(v, "window.end"), "2024-03-04T15:10:27Z");
    assert_eq!(at(v, "sessions.rows"), 4);
    assert_eq!(at(v, "sessions.count"), 4);
    assert_eq!(at(v, "sessions.open"), 1);
    assert_eq!(at(v, "sessions.capped"), 0);
    assert_eq!(at(v, "sessions.users"), 3);
    assert_eq!(at(v, "sessions.anonymous"), 1);
    assert_eq!(at(v, "sessions.contents"), 2);
    assert_eq!(at(v, "concurrency.sessions.peak"), 2);
    assert_eq!(
        at(v, "concurrency.sessions.peak_at"),
        "2024-03-04T14:05:40Z"
    );
    let avg = at(v, "concurrency.sessions.average").as_f64().unwrap();
    assert!((avg - 3200.0 / 4096.0).abs() < 1e-12, "average {avg}");
    // c=0 for 1895 s, c=1 for 1202 s, c=2 for 999 s.
    assert_eq!(at(v, "concurrency.sessions.p50"), 1);
    assert_eq!(at(v, "concurrency.sessions.p95"), 2);
    assert_eq!(at(v, "concurrency.users.peak"), 2);
    assert_eq!(
        at(v, "content.0.guid"),
        "bd1d2285-6c80-49af-8a83-a200effe3cb3"
    );
    assert_eq!(at(v, "content.0.peak_sessions"), 2);
    assert_eq!(at(v, "content.1.peak_sessions"), 0);
}

#[test]
fn reads_shiny_usage_written_by_readr() {
    let f = Fixture::new();
    let p = f.file("shiny.csv", SHINY_READR);
    assert_shiny_figures(&analyze_json(&[p.to_str().unwrap()]));
}

#[test]
fn reads_shiny_usage_written_by_write_csv_in_local_time() {
    let f = Fixture::new();
    let p = f.file("shiny.csv", SHINY_WRITE_CSV_NY);
    assert_shiny_figures(&analyze_json(&[
        p.to_str().unwrap(),
        "--input-tz",
        "America/New_York",
    ]));
    let per_kind = analyze_json(&[p.to_str().unwrap(), "--input-tz", "shiny=America/New_York"]);
    assert_shiny_figures(&per_kind);
}

#[test]
fn the_same_sessions_in_two_dialects_count_once() {
    let f = Fixture::new();
    f.file("a/shiny.csv", SHINY_READR);
    f.file("b/shiny_r.csv", SHINY_WRITE_CSV_NY);
    let v = analyze_json(&[f.path().to_str().unwrap(), "--input-tz", "America/New_York"]);
    assert_eq!(at(&v, "sessions.rows"), 8);
    assert_eq!(at(&v, "sessions.duplicates"), 4);
    assert_shiny_figures_after_dedup(&v);
}

fn assert_shiny_figures_after_dedup(v: &serde_json::Value) {
    assert_eq!(at(v, "sessions.count"), 4);
    assert_eq!(at(v, "concurrency.sessions.peak"), 2);
}

#[test]
fn reads_gzip_exports() {
    use std::io::Write;
    let f = Fixture::new();
    let path = f.path().join("shiny.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(SHINY_READR.as_bytes()).unwrap();
    gz.finish().unwrap();
    assert_shiny_figures(&analyze_json(&[f.path().to_str().unwrap()]));
}

const SDK_UNIFIED: &str = "\
content_guid,user_guid,variant_key,rendering_id,bundle_id,started,ended,data_version,path
2243770d-ace0-4782-87f9-fe2aec1a2b3c,434f97ab-4b97-4443-8490-ed1052aa0b1c,dZnFUBMR,3029259,128301,2023-10-27T16:19:40Z,2023-10-27T16:19:40Z,3,
6795b1a7-9885-4dfd-ad8a-bc0f2c11d2e3,,,,99120,2023-10-27T16:21:14Z,2023-10-27T16:21:14Z,3,/index.html
bd1d2285-6c80-49af-8a83-a200effe3cb3,08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2,,,,2023-10-27T16:00:02Z,2023-10-27T16:31:47Z,1,
bd1d2285-6c80-49af-8a83-a200effe3cb3,a5e2b41d-3f8e-47f2-9955-f05ea3b0d5c3,,,,2023-10-27T16:25:10Z,,1,
";

/// Two visits and two sessions; the open session runs to the window end (16:31:47).
fn assert_unified(v: &serde_json::Value) {
    assert_eq!(at(v, "sessions.rows"), 2);
    assert_eq!(at(v, "sessions.open"), 1);
    assert_eq!(at(v, "window.start"), "2023-10-27T16:00:02Z");
    assert_eq!(at(v, "window.end"), "2023-10-27T16:31:47Z");
    assert_eq!(at(v, "concurrency.sessions.peak"), 2);
    assert_eq!(
        at(v, "concurrency.sessions.peak_at"),
        "2023-10-27T16:25:10Z"
    );
    assert_eq!(at(v, "visits.count"), 2);
    assert_eq!(at(v, "visits.by_source"), &json!({"unified": 2}));
}

#[test]
fn reads_posit_sdk_unified_usage() {
    let f = Fixture::new();
    let p = f.file("usage.csv", SDK_UNIFIED);
    assert_unified(&analyze_json(&[p.to_str().unwrap()]));
}

#[test]
fn unified_session_that_starts_and_ends_in_one_second_is_a_session() {
    // The first row is a Shiny session whose started == ended (visit-only columns empty):
    // it stays a session (zero length), the visit row stays a visit.
    let text = "\
content_guid,user_guid,variant_key,rendering_id,bundle_id,started,ended,data_version,path
bd1d2285-6c80-49af-8a83-a200effe3cb3,08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2,,,,2023-10-27T16:00:02Z,2023-10-27T16:00:02Z,1,
bd1d2285-6c80-49af-8a83-a200effe3cb3,a5e2b41d-3f8e-47f2-9955-f05ea3b0d5c3,,,,2023-10-27T16:00:05Z,2023-10-27T16:10:00Z,1,
6795b1a7-9885-4dfd-ad8a-bc0f2c11d2e3,,,,99120,2023-10-27T16:01:00Z,2023-10-27T16:01:00Z,3,/index.html
";
    let f = Fixture::new();
    let p = f.file("usage.csv", text);
    let v = analyze_json(&[p.to_str().unwrap()]);
    assert_eq!(at(&v, "sessions.rows"), 2);
    assert_eq!(at(&v, "sessions.count"), 2);
    assert_eq!(at(&v, "sessions.users"), 2);
    assert_eq!(at(&v, "visits.count"), 1);
    assert_eq!(at(&v, "window.start"), "2023-10-27T16:00:02Z");
    // The zero-length session is never open: the peak is the other session alone.
    assert_eq!(at(&v, "concurrency.sessions.peak"), 1);
}

#[test]
fn reads_pandas_export_with_index_column_offsets_and_float_integers() {
    let mut text = String::from(",content_guid,user_guid,variant_key,rendering_id,bundle_id,started,ended,data_version,path\n");
    for (i, line) in SDK_UNIFIED.lines().skip(1).enumerate() {
        let line = line
            .replace('Z', "+00:00")
            .replace('T', " ")
            .replace(",3,", ",3.0,")
            .replace(",1,", ",1.0,");
        text.push_str(&format!("{i},{line}\n"));
    }
    let f = Fixture::new();
    let p = f.file("usage_pandas.csv", &text);
    assert_unified(&analyze_json(&[p.to_str().unwrap()]));
}

#[test]
fn reads_connectapi_static_visits() {
    let f = Fixture::new();
    let p = f.file(
        "visits.csv",
        "\"content_guid\",\"user_guid\",\"variant_key\",\"time\",\"rendering_id\",\"bundle_id\",\"path\",\"data_version\"
\"39c8d85a-37ae-4b8b-8655-30a06adff2f1\",\"08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2\",\"HidI2Kwq\",2024-03-04 13:59:02,\"7\",\"33\",\"/\",3
\"39c8d85a-37ae-4b8b-8655-30a06adff2f1\",NA,NA,2024-03-04 14:12:45,NA,\"33\",NA,3
\"f2f37341-e21d-3d80-c698-a935ad614066\",\"a01792e3-2e67-402e-99af-be04a48da074\",NA,2024-03-04 16:00:00,NA,\"401171\",\"/logs\",3
",
    );
    let v = analyze_json(&[p.to_str().unwrap()]);
    assert!(
        at(&v, "concurrency").is_null(),
        "no sessions: concurrency not available"
    );
    assert_eq!(
        at(&v, "visits.count"),
        3,
        "the last visit sits at the window end and is kept"
    );
    assert_eq!(at(&v, "people.consumers"), 2);
    assert_eq!(at(&v, "window.start"), "2024-03-04T13:59:02Z");
}

#[test]
fn reads_hits_with_data_prefixed_columns() {
    let f = Fixture::new();
    let p = f.file(
        "hits.csv",
        "id,user_guid,content_guid,timestamp,data.path,data.user_agent
8966707,,475618c9-0000-4000-8000-000000000001,2025-04-30T12:49:16.269904Z,/hello,Datadog/Synthetics
8966214,fecbd383-0000-4000-8000-000000000002,b0eaf295-0000-4000-8000-000000000003,2025-04-30T12:36:13.818466Z,,
",
    );
    let v = analyze_json(&[p.to_str().unwrap()]);
    assert_eq!(at(&v, "visits.by_source"), &json!({"hits": 2}));
    assert_eq!(at(&v, "window.start"), "2025-04-30T12:36:13.818466Z");
    let excluded = analyze_json(&[p.to_str().unwrap(), "--exclude-user-agent", "datadog"]);
    assert_eq!(at(&excluded, "visits.count"), 1);
    assert_eq!(at(&excluded, "visits.excluded"), 1);
}

#[test]
fn reads_connectapi_hits_as_data_frame() {
    let f = Fixture::new();
    let p = f.file(
        "hits_r.csv",
        "\"id\",\"user_guid\",\"content_guid\",\"timestamp\",\"path\",\"user_agent\"
\"8966707\",NA,\"475618c9-1a2b-4c3d-8e4f-5a6b7c8d9e0f\",2025-04-30 08:49:16,\"/hello\",\"Datadog/Synthetics\"
\"8966708\",NA,\"475618c9-1a2b-4c3d-8e4f-5a6b7c8d9e0f\",2025-04-30 08:49:17,\"/world\",NA
\"8966214\",\"fecbd383-7c1d-4f2b-9a51-3c0b2d9e8a11\",\"b0eaf295-2b3c-4d5e-9f60-718293a4b5c6\",2025-04-30 08:36:13,NA,NA
",
    );
    let v = analyze_json(&[p.to_str().unwrap(), "--input-tz", "America/New_York"]);
    assert_eq!(at(&v, "visits.count"), 3);
    assert_eq!(at(&v, "window.start"), "2025-04-30T12:36:13Z");
}

#[test]
fn reads_usage_metrics_dashboard_raw_visits() {
    let f = Fixture::new();
    let p = f.file(
        "content_raw_visits_2025-04-30.csv",
        "\"timestamp\",\"content_title\",\"content_guid\",\"owner_username\",\"username\",\"full_name\",\"email\",\"user_guid\"
2025-04-30 07:49:16,\"Sales Dashboard\",\"475618c9-1a2b-4c3d-8e4f-5a6b7c8d9e0f\",\"toph\",\"[Anonymous]\",\"[Anonymous]\",NA,NA
2025-04-30 07:36:13,\"Sales Dashboard\",\"475618c9-1a2b-4c3d-8e4f-5a6b7c8d9e0f\",\"toph\",\"al\",\"Alice User\",\"alice@connect.example\",\"a01792e3-2e67-402e-99af-be04a48da074\"
2025-04-30 08:01:47,\"[Deleted]\",\"b0eaf295-2b3c-4d5e-9f60-718293a4b5c6\",NA,\"robert\",\"Bob Loblaw\",\"bob@connect.example\",\"4ffc819c-065c-420c-88eb-332db1133317\"
",
    );
    let v = analyze_json(&[
        p.to_str().unwrap(),
        "--input-tz",
        "dashboard=America/Chicago",
    ]);
    assert_eq!(at(&v, "visits.by_source"), &json!({"dashboard": 3}));
    assert_eq!(at(&v, "window.start"), "2025-04-30T12:36:13Z");
    assert_eq!(at(&v, "people.consumers"), 2);
}

#[test]
fn joins_titles_and_usernames_from_content_and_users_exports() {
    let f = Fixture::new();
    f.file("shiny.csv", SHINY_READR);
    f.file(
        "content.csv",
        "\"guid\",\"name\",\"title\",\"app_mode\",\"content_category\",\"max_processes\",\"min_processes\",\"max_conns_per_process\",\"load_factor\",\"idle_timeout\",\"memory_request\",\"memory_limit\",\"cpu_request\",\"cpu_limit\",\"owner_guid\",\"created_time\",\"last_deployed_time\",\"r_version\",\"py_version\"
\"bd1d2285-6c80-49af-8a83-a200effe3cb3\",\"team-admin-dashboard\",\"Team admin dashboard\",\"shiny\",\"\",NA,NA,NA,NA,NA,NA,NA,NA,NA,\"a01792e3-2e67-402e-99af-be04a48da074\",2020-02-23 20:28:20,2020-10-13 21:11:24,\"3.5.3\",NA
\"6632a162-7b3c-4d1e-8f20-9a0b1c2d3e4f\",\"flask-api\",\"Scoring API\",\"python-api\",\"\",6,1,50,0.8,120,NA,2147483648,NA,NA,\"20a79ce3-6e87-4522-9faf-be24228800a4\",2025-10-07 22:02:47,2025-10-07 22:02:48,NA,\"3.11.9\"
",
    );
    f.file(
        "users.csv",
        "\"email\",\"username\",\"first_name\",\"last_name\",\"user_role\",\"created_time\",\"updated_time\",\"active_time\",\"confirmed\",\"locked\",\"guid\"
\"alice@connect.example\",\"al\",\"Alice\",\"User\",\"publisher\",2017-08-08 15:24:32,2023-03-02 20:25:06,2018-05-09 16:58:45,TRUE,FALSE,\"a01792e3-2e67-402e-99af-be04a48da074\"
\"bob@connect.example\",\"robert\",\"Bob\",\"Loblaw\",\"viewer\",2023-01-06 19:47:29,2023-05-05 19:08:45,2023-05-05 20:29:11,TRUE,FALSE,\"4ffc819c-065c-420c-88eb-332db1133317\"
\"carlos@connect.example\",\"carlos12\",\"Carlos\",\"User\",\"administrator\",2019-09-09 15:24:32,2022-03-02 20:25:06,NA,TRUE,TRUE,\"20a79ce3-6e87-4522-9faf-be24228800a4\"
",
    );
    let v = analyze_json(&[f.path().to_str().unwrap()]);
    assert_eq!(at(&v, "content.0.title"), "Team admin dashboard");
    assert_eq!(at(&v, "content.0.app_mode"), "shiny");
    // f2f37341 has sessions but is not in the content export: deleted.
    let deleted = v["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["guid"] == "f2f37341-e21d-3d80-c698-a935ad614066")
        .unwrap();
    assert_eq!(deleted["deleted"], true);
    // Carlos is locked: publishers counts the unlocked publisher only.
    assert_eq!(at(&v, "people.publishers"), 1);
    // --exclude-users by username drops al's session (B): peak falls to... A+C still overlap.
    let ex = analyze_json(&[f.path().to_str().unwrap(), "--exclude-users", "al"]);
    assert_eq!(at(&ex, "sessions.excluded_users"), 1);
    assert_eq!(at(&ex, "sessions.count"), 3);
    assert_eq!(
        at(&ex, "concurrency.sessions.peak_at"),
        "2024-03-04T14:30:00Z"
    );
}

#[test]
fn reads_connectapi_jobs_and_legacy_epoch_jobs() {
    let f = Fixture::new();
    f.file("shiny.csv", SHINY_READR);
    f.file(
        "jobs.csv",
        "\"id\",\"ppid\",\"pid\",\"key\",\"remote_id\",\"content_id\",\"content_guid\",\"app_id\",\"app_guid\",\"variant_id\",\"bundle_id\",\"start_time\",\"end_time\",\"last_heartbeat_time\",\"queued_time\",\"queue_name\",\"tag\",\"exit_code\",\"status\",\"hostname\",\"cluster\",\"image\",\"run_as\"
\"40793542\",\"2611431\",\"2611448\",\"waaTO7v75I84S1hQ\",NA,\"52389\",\"8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d\",\"52389\",\"8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d\",\"0\",\"127015\",2024-12-05 16:22:51,NA,2024-12-05 16:23:41,NA,NA,\"run_app\",NA,0,\"dogfood01\",NA,NA,\"rstudio-connect\"
",
    );
    f.file(
        "legacy_jobs.csv",
        "id,pid,key,app_id,app_guid,variant_id,bundle_id,start_time,end_time,tag,exit_code,finalized,hostname
40097386,2516505,mxPGVOMVk6f8dso2,52389,8f37d6e0,0,127015,1732573574,1732577139,run_app,0,true,dogfood02
",
    );
    let v = analyze_json(&[f.path().to_str().unwrap()]);
    let kinds: Vec<&str> = v["inputs"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["jobs", "jobs", "shiny_usage"]);
}

#[test]
fn visits_and_hits_together_are_warned_about() {
    let f = Fixture::new();
    f.file(
        "visits.csv",
        "content_guid,user_guid,time,data_version
475618c9-0000-4000-8000-000000000001,fecbd383-0000-4000-8000-000000000002,2025-04-30T12:36:13Z,3
",
    );
    f.file(
        "hits.csv",
        "id,user_guid,content_guid,timestamp,data.path,data.user_agent
8966214,fecbd383-0000-4000-8000-000000000002,475618c9-0000-4000-8000-000000000001,2025-04-30T12:36:13Z,/,x
",
    );
    let v = analyze_json(&[f.path().to_str().unwrap()]);
    assert!(
        at(&v, "warnings")
            .to_string()
            .contains("both content visits and hits"),
        "{}",
        at(&v, "warnings")
    );
    // One source alone: no warning.
    let g = Fixture::new();
    g.file(
        "visits.csv",
        "content_guid,user_guid,time,data_version
475618c9-0000-4000-8000-000000000001,fecbd383-0000-4000-8000-000000000002,2025-04-30T12:36:13Z,3
",
    );
    let v = analyze_json(&[g.path().to_str().unwrap()]);
    assert_eq!(at(&v, "warnings"), &json!([]));
}
