//! Dialect tests: one example export for each dialect of docs/inputs.md (sections 2.2-2.6,
//! 3.2, 4, 5), written to a temporary folder and read end to end through `read_inputs`.

use std::path::PathBuf;

use super::super::{read_inputs, timestamp::parse_timestamp, Dataset, InputTz, JobRow};
use super::*;

fn t(s: &str) -> i64 {
    parse_timestamp(s, chrono_tz::Tz::UTC).unwrap().micros
}

fn opts(tz: &[&str], lenient: bool) -> IngestOptions {
    let specs: Vec<String> = tz.iter().map(|s| s.to_string()).collect();
    IngestOptions {
        input_tz: InputTz::parse(&specs).unwrap(),
        lenient,
        encoding: Default::default(),
        ..Default::default()
    }
}

/// Writes `files` into a fresh folder and reads the folder.
fn read_with(
    files: &[(&str, &[u8])],
    opts: &IngestOptions,
) -> (tempfile::TempDir, Result<Dataset>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let res = read_inputs(&[dir.path().to_path_buf()], opts);
    (dir, res)
}

fn read_ok(name: &str, text: &str, tz: &[&str]) -> Dataset {
    let (_dir, res) = read_with(&[(name, text.as_bytes())], &opts(tz, false));
    res.unwrap()
}

/// The error reading `text` as a file called `name`, named as an input (a file found in a
/// folder whose header is no export is skipped instead).
fn read_err(name: &str, text: &[u8]) -> (PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let res = read_inputs(std::slice::from_ref(&path), &opts(&[], false));
    (path, res.unwrap_err().to_string())
}

fn guid(ds: &Dataset, id: u32) -> &str {
    ds.content_ids.name(id)
}

fn user(ds: &Dataset, id: Option<u32>) -> Option<&str> {
    id.map(|u| ds.user_ids.name(u))
}

const SHINY_WRITE_CSV: &str = r#""content_guid","user_guid","started","ended","data_version"
"bd1d2285-6c80-49af-8a83-a200effe3cb3","08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2",2024-03-04 09:02:11,2024-03-04 09:38:52,1
"bd1d2285-6c80-49af-8a83-a200effe3cb3","a01792e3-2e67-402e-99af-be04a48da074",2024-03-04 09:05:40,2024-03-04 09:21:03,1
"bd1d2285-6c80-49af-8a83-a200effe3cb3",NA,2024-03-04 09:30:00,2024-03-04 09:31:16,1
"f2f37341-e21d-3d80-c698-a935ad614066","20a79ce3-6e87-4522-9faf-be24228800a4",2024-03-04 10:10:27,NA,1
"#;

const SHINY_READR: &str = "content_guid,user_guid,started,ended,data_version
bd1d2285-6c80-49af-8a83-a200effe3cb3,08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2,2024-03-04T14:02:11Z,2024-03-04T14:38:52Z,1
bd1d2285-6c80-49af-8a83-a200effe3cb3,a01792e3-2e67-402e-99af-be04a48da074,2024-03-04T14:05:40Z,2024-03-04T14:21:03Z,1
bd1d2285-6c80-49af-8a83-a200effe3cb3,NA,2024-03-04T14:30:00Z,2024-03-04T14:31:16Z,1
f2f37341-e21d-3d80-c698-a935ad614066,20a79ce3-6e87-4522-9faf-be24228800a4,2024-03-04T15:10:27Z,NA,1
";

#[test]
fn shiny_write_csv_naive_times_are_read_in_the_input_zone() {
    let ds = read_ok("shiny.csv", SHINY_WRITE_CSV, &["shiny=America/New_York"]);
    assert_eq!(ds.files[0].kind, Kind::ShinyUsage);
    assert_eq!(ds.files[0].rows, 4);
    let s = &ds.sessions;
    assert_eq!(s.len(), 4);
    assert_eq!(
        guid(&ds, s[0].content),
        "bd1d2285-6c80-49af-8a83-a200effe3cb3"
    );
    assert_eq!(
        user(&ds, s[0].user),
        Some("08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2")
    );
    assert_eq!(s[0].started, t("2024-03-04T14:02:11Z"));
    assert_eq!(s[0].ended, Some(t("2024-03-04T14:38:52Z")));
    assert_eq!(s[0].data_version, 1);
    assert_eq!(s[0].origin, Origin { file: 0, line: 2 });
    assert_eq!(s[1].started, t("2024-03-04T14:05:40Z"));
    assert_eq!(s[2].user, None);
    assert_eq!(s[2].ended, Some(t("2024-03-04T14:31:16Z")));
    assert_eq!(
        guid(&ds, s[3].content),
        "f2f37341-e21d-3d80-c698-a935ad614066"
    );
    assert_eq!(s[3].started, t("2024-03-04T15:10:27Z"));
    assert_eq!(s[3].ended, None);
    assert_eq!(s[3].origin.line, 5);
    assert_eq!(ds.content_ids.len(), 2);
    assert_eq!(ds.user_ids.len(), 3);
    assert!(ds.notes.warnings.is_empty());
}

#[test]
fn shiny_readr_matches_write_csv() {
    let r = read_ok("shiny.csv", SHINY_READR, &["America/New_York"]);
    let w = read_ok("shiny.csv", SHINY_WRITE_CSV, &["America/New_York"]);
    assert_eq!(r.sessions, w.sessions);
}

#[test]
fn shiny_with_r_row_names_index_column() {
    let text = SHINY_WRITE_CSV
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("\"\",{l}\n")
            } else {
                format!("\"{i}\",{l}\n")
            }
        })
        .collect::<String>();
    let w = read_ok("shiny.csv", &text, &["America/New_York"]);
    let plain = read_ok("shiny.csv", SHINY_WRITE_CSV, &["America/New_York"]);
    assert_eq!(w.sessions, plain.sessions);
}

#[test]
fn visits_from_get_usage_static() {
    let text = r#""content_guid","user_guid","variant_key","time","rendering_id","bundle_id","path","data_version"
"39c8d85a-37ae-4b8b-8655-30a06adff2f1","08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2","HidI2Kwq",2024-03-04 13:59:02,"7","33","/",3
"39c8d85a-37ae-4b8b-8655-30a06adff2f1",NA,NA,2024-03-04 14:12:45,NA,"33",NA,3
"f2f37341-e21d-3d80-c698-a935ad614066","a01792e3-2e67-402e-99af-be04a48da074",NA,2024-03-04 16:00:00,NA,"401171","/logs",3
"#;
    let ds = read_ok("visits.csv", text, &[]);
    assert_eq!(ds.files[0].kind, Kind::Visits);
    let v = &ds.visits;
    assert_eq!(v.len(), 3);
    assert!(v
        .iter()
        .all(|v| v.source == VisitSource::Visits && v.data_version == 3));
    assert_eq!(
        guid(&ds, v[0].content),
        "39c8d85a-37ae-4b8b-8655-30a06adff2f1"
    );
    assert_eq!(
        user(&ds, v[0].user),
        Some("08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2")
    );
    assert_eq!(v[0].time, t("2024-03-04T13:59:02Z"));
    assert_eq!(v[1].user, None);
    assert_eq!(v[1].time, t("2024-03-04T14:12:45Z"));
    assert_eq!(
        user(&ds, v[2].user),
        Some("a01792e3-2e67-402e-99af-be04a48da074")
    );
    assert_eq!(v[2].time, t("2024-03-04T16:00:00Z"));
    assert!(v.iter().all(|v| v.user_agent.is_none()));
    assert!(ds.sessions.is_empty());
}

#[test]
fn hits_from_get_usage_write_csv() {
    let text = r#""id","user_guid","content_guid","timestamp","path","user_agent"
"8966707",NA,"475618c9-1a2b-4c3d-8e4f-5a6b7c8d9e0f",2025-04-30 08:49:16,"/hello","Datadog/Synthetics"
"8966708",NA,"475618c9-1a2b-4c3d-8e4f-5a6b7c8d9e0f",2025-04-30 08:49:17,"/world",NA
"8966214","fecbd383-7c1d-4f2b-9a51-3c0b2d9e8a11","b0eaf295-2b3c-4d5e-9f60-718293a4b5c6",2025-04-30 08:36:13,NA,NA
"#;
    let ds = read_ok("hits.csv", text, &["hits=America/New_York"]);
    assert_eq!(ds.files[0].kind, Kind::Hits);
    let v = &ds.visits;
    assert_eq!(v.len(), 3);
    assert!(v
        .iter()
        .all(|v| v.source == VisitSource::Hits && v.data_version == 0));
    assert_eq!(v[0].time, t("2025-04-30T12:49:16Z"));
    assert_eq!(v[0].user, None);
    assert_eq!(v[0].user_agent.as_deref(), Some("Datadog/Synthetics"));
    assert_eq!(v[1].time, t("2025-04-30T12:49:17Z"));
    assert_eq!(v[1].user_agent, None);
    assert_eq!(
        user(&ds, v[2].user),
        Some("fecbd383-7c1d-4f2b-9a51-3c0b2d9e8a11")
    );
    assert_eq!(
        guid(&ds, v[2].content),
        "b0eaf295-2b3c-4d5e-9f60-718293a4b5c6"
    );
    assert_eq!(v[2].time, t("2025-04-30T12:36:13Z"));
}

#[test]
fn dashboard_raw_visits_use_the_dashboard_zone() {
    let text = r#""timestamp","content_title","content_guid","owner_username","username","full_name","email","user_guid"
2025-04-30 07:49:16,"Sales Dashboard","475618c9-1a2b-4c3d-8e4f-5a6b7c8d9e0f","toph","[Anonymous]","[Anonymous]",NA,NA
2025-04-30 07:36:13,"Sales Dashboard","475618c9-1a2b-4c3d-8e4f-5a6b7c8d9e0f","toph","al","Alice User","alice@connect.example","a01792e3-2e67-402e-99af-be04a48da074"
2025-04-30 08:01:47,"[Deleted]","b0eaf295-2b3c-4d5e-9f60-718293a4b5c6",NA,"robert","Bob Loblaw","bob@connect.example","4ffc819c-065c-420c-88eb-332db1133317"
"#;
    let ds = read_ok(
        "content_raw_visits_2025-04-30.csv",
        text,
        &["dashboard=America/Chicago"],
    );
    assert_eq!(ds.files[0].kind, Kind::DashboardVisits);
    let v = &ds.visits;
    assert_eq!(v.len(), 3);
    assert!(v
        .iter()
        .all(|v| v.source == VisitSource::Dashboard && v.user_agent.is_none()));
    assert_eq!(v[0].time, t("2025-04-30T12:49:16Z"));
    assert_eq!(v[0].user, None);
    assert_eq!(
        user(&ds, v[1].user),
        Some("a01792e3-2e67-402e-99af-be04a48da074")
    );
    assert_eq!(v[1].time, t("2025-04-30T12:36:13Z"));
    assert_eq!(
        guid(&ds, v[2].content),
        "b0eaf295-2b3c-4d5e-9f60-718293a4b5c6"
    );
    assert_eq!(
        user(&ds, v[2].user),
        Some("4ffc819c-065c-420c-88eb-332db1133317")
    );
    assert_eq!(ds.user_ids.len(), 2, "usernames are not interned");
}

const UNIFIED: &str = "content_guid,user_guid,variant_key,rendering_id,bundle_id,started,ended,data_version,path
2243770d-ace0-4782-87f9-fe2aec1a2b3c,434f97ab-4b97-4443-8490-ed1052aa0b1c,dZnFUBMR,3029259,128301,2023-10-27T16:19:40Z,2023-10-27T16:19:40Z,3,
6795b1a7-9885-4dfd-ad8a-bc0f2c11d2e3,,,,99120,2023-10-27T16:21:14Z,2023-10-27T16:21:14Z,3,/index.html
bd1d2285-6c80-49af-8a83-a200effe3cb3,08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2,,,,2023-10-27T16:00:02Z,2023-10-27T16:31:47Z,1,
bd1d2285-6c80-49af-8a83-a200effe3cb3,a5e2b41d-3f8e-47f2-9955-f05ea3b0d5c3,,,,2023-10-27T16:25:10Z,,1,
";

#[test]
fn unified_usage_splits_visits_and_sessions() {
    let ds = read_ok("usage.csv", UNIFIED, &[]);
    assert_eq!(ds.files[0].kind, Kind::UnifiedUsage);
    let (v, s) = (&ds.visits, &ds.sessions);
    assert_eq!((v.len(), s.len()), (2, 2));
    assert!(v
        .iter()
        .all(|v| v.source == VisitSource::Unified && v.data_version == 3));
    assert_eq!(
        guid(&ds, v[0].content),
        "2243770d-ace0-4782-87f9-fe2aec1a2b3c"
    );
    assert_eq!(
        user(&ds, v[0].user),
        Some("434f97ab-4b97-4443-8490-ed1052aa0b1c")
    );
    assert_eq!(v[0].time, t("2023-10-27T16:19:40Z"));
    assert_eq!(v[1].user, None);
    assert_eq!(v[1].origin.line, 3);
    assert_eq!(
        guid(&ds, s[0].content),
        "bd1d2285-6c80-49af-8a83-a200effe3cb3"
    );
    assert_eq!(s[0].started, t("2023-10-27T16:00:02Z"));
    assert_eq!(s[0].ended, Some(t("2023-10-27T16:31:47Z")));
    assert_eq!(s[0].data_version, 1);
    assert_eq!(
        user(&ds, s[1].user),
        Some("a5e2b41d-3f8e-47f2-9955-f05ea3b0d5c3")
    );
    assert_eq!(s[1].ended, None);
    assert_eq!(s[1].origin.line, 5);
}

#[test]
fn unified_rows_are_sessions_when_their_visit_only_columns_are_empty() {
    // posit-sdk-py fills variant_key, rendering_id, bundle_id and path only for visits
    // (docs/metrics.md 1.2): a session that starts and ends in the same second is still a
    // session, and a visit is a visit whatever its times say.
    let text =
        "content_guid,user_guid,variant_key,rendering_id,bundle_id,started,ended,data_version,path
c1,u1,,,,2023-10-27T16:00:02Z,2023-10-27T16:00:02Z,1,
c2,u2,,,,2023-10-27T16:05:00Z,2023-10-27T16:06:00Z,1,
c3,,,,,2023-10-27T16:07:00Z,2023-10-27T16:07:00Z,3,/report.html
c4,u4,,NA,None,2023-10-27T16:08:00Z,,1,NA
";
    let ds = read_ok("usage.csv", text, &[]);
    let sessions: Vec<(&str, Option<i64>)> = ds
        .sessions
        .iter()
        .map(|s| (guid(&ds, s.content), s.ended))
        .collect();
    assert_eq!(
        sessions,
        [
            ("c1", Some(t("2023-10-27T16:00:02Z"))),
            ("c2", Some(t("2023-10-27T16:06:00Z"))),
            ("c4", None),
        ]
    );
    assert_eq!(ds.visits.len(), 1);
    assert_eq!(guid(&ds, ds.visits[0].content), "c3");
    assert_eq!(ds.visits[0].time, t("2023-10-27T16:07:00Z"));
    // Only the visit-only columns the header has are looked at.
    let path_only = "content_guid,user_guid,started,ended,path
c1,u1,2023-10-27T16:00:02Z,2023-10-27T16:00:02Z,
c2,u2,2023-10-27T16:00:02Z,2023-10-27T16:00:02Z,/x
";
    let ds = read_ok("usage.csv", path_only, &[]);
    assert_eq!(ds.files[0].kind, Kind::UnifiedUsage);
    assert_eq!((ds.sessions.len(), ds.visits.len()), (1, 1));
    // Without any visit-only column the file is Shiny usage: every row a session.
    let shiny = "content_guid,user_guid,started,ended
c1,u1,2023-10-27T16:00:02Z,2023-10-27T16:00:02Z
";
    let ds = read_ok("usage.csv", shiny, &[]);
    assert_eq!(ds.files[0].kind, Kind::ShinyUsage);
    assert_eq!((ds.sessions.len(), ds.visits.len()), (1, 0));
}

#[test]
fn unified_pandas_index_offsets_and_float_ints_read_the_same() {
    let pandas: String = UNIFIED
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let l = l
                .replace("Z,", "+00:00,")
                .replace("T16", " 16")
                .replace(",3,", ",3.0,");
            let l = l.replace(",1,", ",1.0,").replace("3029259", "3029259.0");
            if i == 0 {
                format!(",{l}\n")
            } else {
                format!("{},{l}\n", i - 1)
            }
        })
        .collect();
    assert!(pandas.contains("0,2243770d") && pandas.contains("2023-10-27 16:19:40+00:00,"));
    let p = read_ok("usage.csv", &pandas, &["America/New_York"]);
    let sdk = read_ok("usage.csv", UNIFIED, &[]);
    assert_eq!(p.files[0].kind, Kind::UnifiedUsage);
    assert_eq!(p.sessions, sdk.sessions);
    assert_eq!(p.visits, sdk.visits);
}

#[test]
fn hits_json_normalize_data_prefix() {
    let text = "id,user_guid,content_guid,timestamp,data.path,data.user_agent
8966707,,475618c9-0000-4000-8000-000000000001,2025-04-30T12:49:16.269904Z,/hello,Datadog/Synthetics
8966214,fecbd383-0000-4000-8000-000000000002,b0eaf295-0000-4000-8000-000000000003,2025-04-30T12:36:13.818466Z,,
";
    let ds = read_ok("hits.csv", text, &[]);
    assert_eq!(ds.files[0].kind, Kind::Hits);
    let v = &ds.visits;
    assert_eq!(v[0].time, t("2025-04-30T12:49:16Z") + 269_904);
    assert_eq!(v[0].user, None);
    assert_eq!(v[0].user_agent.as_deref(), Some("Datadog/Synthetics"));
    assert_eq!(v[1].time, t("2025-04-30T12:36:13Z") + 818_466);
    assert_eq!(
        user(&ds, v[1].user),
        Some("fecbd383-0000-4000-8000-000000000002")
    );
    assert_eq!(v[1].user_agent, None);
}

#[test]
fn jobs_from_get_jobs() {
    let text = r#""id","ppid","pid","key","remote_id","content_id","content_guid","app_id","app_guid","variant_id","bundle_id","start_time","end_time","last_heartbeat_time","queued_time","queue_name","tag","exit_code","status","hostname","cluster","image","run_as"
"40793542","2611431","2611448","waaTO7v75I84S1hQ",NA,"52389","8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d","52389","8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d","0","127015",2024-12-05 16:22:51,NA,2024-12-05 16:23:41,NA,NA,"run_app",NA,0,"dogfood01",NA,NA,"rstudio-connect"
"40097386","2516489","2516505","mxPGVOMVk6f8dso2",NA,"52389","8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d","52389","8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d","0","127015",2024-11-25 22:26:14,2024-11-25 23:25:39,2024-11-25 23:25:36,NA,NA,"run_app",0,2,"dogfood02",NA,NA,"rstudio-connect"
"40096649","2509183","2509199","QBZ5jkKfmf9iT9k8",NA,"52389","8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d","52389","8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d","0","127015",2024-11-25 22:17:42,2024-11-25 23:20:01,2024-11-25 23:19:58,NA,NA,"run_app",0,2,"dogfood02",NA,NA,"rstudio-connect"
"#;
    let ds = read_ok("jobs.csv", text, &[]);
    assert_eq!(ds.files[0].kind, Kind::Jobs);
    let j = &ds.jobs;
    assert_eq!(j.len(), 3);
    assert_eq!(ds.content_ids.len(), 1);
    assert_eq!(
        guid(&ds, j[0].content.unwrap()),
        "8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d"
    );
    let first = JobRow {
        content: j[0].content,
        app_id: Some("52389".into()),
        key: Some("waaTO7v75I84S1hQ".into()),
        start: t("2024-12-05T16:22:51Z"),
        end: None,
        tag: "run_app".into(),
        status: Some(0),
        hostname: Some("dogfood01".into()),
        cluster: None,
        origin: Origin { file: 0, line: 2 },
    };
    assert_eq!(j[0], first);
    assert_eq!(j[1].start, t("2024-11-25T22:26:14Z"));
    assert_eq!(j[1].end, Some(t("2024-11-25T23:25:39Z")));
    assert_eq!(j[1].status, Some(2));
    assert_eq!(j[2].key.as_deref(), Some("QBZ5jkKfmf9iT9k8"));
    assert_eq!(j[2].hostname.as_deref(), Some("dogfood02"));
}

#[test]
fn legacy_jobs_with_epoch_times_and_finalized() {
    let text = "id,pid,key,app_id,app_guid,variant_id,bundle_id,start_time,end_time,tag,exit_code,finalized,hostname
40097386,2516505,mxPGVOMVk6f8dso2,52389,8f37d6e0,0,127015,1732573574,1732577139,run_app,0,true,dogfood02
40097387,2516506,abc,52389,8f37d6e0,0,127015,1732573580,NA,run_app,NA,FALSE,dogfood02
";
    let ds = read_ok("legacy_jobs.csv", text, &["America/New_York"]);
    let j = &ds.jobs;
    assert_eq!(guid(&ds, j[0].content.unwrap()), "8f37d6e0");
    assert_eq!(j[0].start, t("2024-11-25T22:26:14Z"));
    assert_eq!(j[0].end, Some(t("2024-11-25T23:25:39Z")));
    assert_eq!(j[0].status, Some(2));
    assert_eq!(j[1].status, Some(0));
    assert_eq!(j[1].end, None);
    assert_eq!(j[1].cluster, None);
}

#[test]
fn content_from_get_content() {
    let text = r#""guid","name","title","app_mode","content_category","max_processes","min_processes","max_conns_per_process","load_factor","idle_timeout","memory_request","memory_limit","cpu_request","cpu_limit","owner_guid","created_time","last_deployed_time","r_version","py_version"
"39c8d85a-37ae-4b8b-8655-30a06adff2f1","team-admin-dashboard","Team admin dashboard","shiny","",NA,NA,NA,NA,NA,NA,NA,NA,NA,"a01792e3-2e67-402e-99af-be04a48da074",2020-02-23 20:28:20,2020-10-13 21:11:24,"3.5.3",NA
"f2f37341-e21d-3d80-c698-a935ad614066","Performance-Data-1671216053560","Performance Data","quarto-static","",NA,NA,NA,NA,NA,NA,NA,NA,NA,"a01792e3-2e67-402e-99af-be04a48da074",2022-12-16 18:40:53,2024-02-24 09:56:30,NA,NA
"6632a162-7b3c-4d1e-8f20-9a0b1c2d3e4f","flask-api","Scoring API","python-api","",6,1,50,0.8,120,NA,2147483648,NA,NA,"20a79ce3-6e87-4522-9faf-be24228800a4",2025-10-07 22:02:47,2025-10-07 22:02:48,NA,"3.11.9"
"#;
    let ds = read_ok("content.csv", text, &[]);
    assert_eq!(ds.files[0].kind, Kind::Content);
    let c = &ds.content;
    assert_eq!(c.len(), 3);
    assert_eq!(
        guid(&ds, c[0].content),
        "39c8d85a-37ae-4b8b-8655-30a06adff2f1"
    );
    assert_eq!(c[0].name.as_deref(), Some("team-admin-dashboard"));
    assert_eq!(c[0].title.as_deref(), Some("Team admin dashboard"));
    assert_eq!(c[0].app_mode.as_deref(), Some("shiny"));
    assert_eq!(c[0].content_category, None);
    assert_eq!(
        user(&ds, c[0].owner),
        Some("a01792e3-2e67-402e-99af-be04a48da074")
    );
    assert_eq!(c[0].settings, crate::settings::ProcessSettings::default());
    assert_eq!(c[0].r_version.as_deref(), Some("3.5.3"));
    assert_eq!(c[0].py_version, None);
    assert_eq!(c[0].created_time, Some(t("2020-02-23T20:28:20Z")));
    assert_eq!(c[1].app_mode.as_deref(), Some("quarto-static"));
    // idle_timeout in seconds becomes a duration; memory_limit in bytes becomes GiB.
    let expected = crate::settings::ProcessSettings {
        min_processes: Some(1),
        max_processes: Some(6),
        max_conns_per_process: Some(50),
        load_factor: Some(0.8),
        idle_timeout: Some(crate::settings::Duration(120_000_000)),
        cpu_cores: None,
        memory_gib: Some(2.0),
    };
    assert_eq!(c[2].settings, expected);
    assert_eq!(c[2].py_version.as_deref(), Some("3.11.9"));
    assert_eq!(ds.user_ids.len(), 2);
}

#[test]
fn users_from_get_users() {
    let text = r#""email","username","first_name","last_name","user_role","created_time","updated_time","active_time","confirmed","locked","guid"
"alice@connect.example","al","Alice","User","publisher",2017-08-08 15:24:32,2023-03-02 20:25:06,2018-05-09 16:58:45,TRUE,FALSE,"a01792e3-2e67-402e-99af-be04a48da074"
"bob@connect.example","robert","Bob","Loblaw","viewer",2023-01-06 19:47:29,2023-05-05 19:08:45,2023-05-05 20:29:11,TRUE,FALSE,"4ffc819c-065c-420c-88eb-332db1133317"
"carlos@connect.example","carlos12","Carlos","User","administrator",2019-09-09 15:24:32,2022-03-02 20:25:06,NA,TRUE,TRUE,"20a79ce3-6e87-4522-9faf-be24228800a4"
"#;
    let ds = read_ok("users.csv", text, &[]);
    assert_eq!(ds.files[0].kind, Kind::Users);
    let u = &ds.users;
    assert_eq!(u.len(), 3);
    assert_eq!(
        ds.user_ids.name(u[0].user),
        "a01792e3-2e67-402e-99af-be04a48da074"
    );
    assert_eq!(u[0].username.as_deref(), Some("al"));
    assert_eq!(u[0].email.as_deref(), Some("alice@connect.example"));
    assert_eq!(u[0].first_name.as_deref(), Some("Alice"));
    assert_eq!(u[0].last_name.as_deref(), Some("User"));
    assert_eq!(u[0].user_role.as_deref(), Some("publisher"));
    assert_eq!(u[0].locked, Some(false));
    assert_eq!(u[0].created_time, Some(t("2017-08-08T15:24:32Z")));
    assert_eq!(u[0].active_time, Some(t("2018-05-09T16:58:45Z")));
    assert_eq!(u[2].user_role.as_deref(), Some("administrator"));
    assert_eq!(u[2].locked, Some(true));
    assert_eq!(u[2].active_time, None);
}

#[path = "records_bad_tests.rs"]
mod bad_input;
