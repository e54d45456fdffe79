//! Posit Chronicle input (issue 17 item 2, feature `parquet`): a data root in both of
//! Chronicle's layouts (raw daily metrics, curated hive-partitioned datasets) with two
//! environments. The fixture and the script that wrote it are in tests/fixtures/chronicle/.

mod common;

use std::path::PathBuf;

use common::cmd;
#[cfg(feature = "parquet")]
use common::{analyze_json, at};
use predicates::prelude::*;
#[cfg(feature = "parquet")]
use serde_json::{json, Value};

/// The fixture's Chronicle folder (holding `data/`, the data root).
fn store() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/chronicle")
        .display()
        .to_string()
}

/// Copies the folder `from` into `to`, sub-folders included.
#[cfg(feature = "parquet")]
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// A copy of the fixture's data root holding only the given parts (`daily`, `curated`),
/// at `<tempdir>/data`.
#[cfg(feature = "parquet")]
fn store_with(parts: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for part in parts {
        copy_tree(
            &PathBuf::from(store()).join("data").join(part),
            &dir.path().join("data").join(part),
        );
    }
    dir
}

/// Writes a Parquet file of text columns (`None` a null) at `path`, folders created.
#[cfg(feature = "parquet")]
fn write_text_parquet(path: &std::path::Path, columns: &[(&str, Vec<Option<&str>>)]) {
    use polars::prelude::*;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let height = columns.first().map_or(0, |c| c.1.len());
    let cols: Vec<Column> = columns
        .iter()
        .map(|(name, values)| Series::new((*name).into(), values).into())
        .collect();
    let mut df = DataFrame::new(height, cols).unwrap();
    let file = std::fs::File::create(path).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
}

/// Raw visits of one content item by one user at `times` (text), as Chronicle's
/// `connect_content_visits` columns.
#[cfg(feature = "parquet")]
fn write_visits(path: &std::path::Path, times: &[&str]) {
    let n = times.len();
    write_text_parquet(
        path,
        &[
            ("timestamp", times.iter().map(|t| Some(*t)).collect()),
            (
                "content_guid",
                vec![Some("aaaaaaaa-0000-4000-8000-00000000000a"); n],
            ),
            (
                "user_guid",
                vec![Some("11111111-0000-4000-8000-000000000001"); n],
            ),
            ("path", vec![Some("/"); n]),
        ],
    );
}

#[cfg(feature = "parquet")]
fn production(extra: &[&str]) -> Value {
    let store = store();
    let mut args = vec![store.as_str(), "--environment", "production"];
    args.extend_from_slice(extra);
    analyze_json(&args)
}

#[cfg(feature = "parquet")]
#[test]
fn several_environments_and_no_choice_stop_with_exit_2() {
    cmd()
        .args(["analyze", &store()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "holds several environments (production, staging); pick one with --environment NAME",
        ));
    cmd()
        .args(["analyze", &store(), "--environment", "test"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--environment test: not in the Posit Chronicle data",
        ));
    let sample = common::sample();
    cmd()
        .args(["analyze", &sample, "--environment", "production"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("none is among the inputs"));
}

#[cfg(feature = "parquet")]
#[test]
fn visits_reported_by_two_hosts_count_once_and_sessions_are_read_by_their_columns() {
    let r = production(&[]);
    // Five production visit rows, one of them reported by two hosts; staging's left out.
    assert_eq!(at(&r, "visits.rows"), 4);
    assert_eq!(at(&r, "visits.count"), 4);
    // The raw metric `mystery_sessions` has Shiny usage's columns.
    assert_eq!(at(&r, "sessions.count"), 4);
    assert_eq!(at(&r, "concurrency.sessions.peak"), 2);
    let kinds: Vec<(String, String, u64)> = at(&r, "inputs.files")
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let name = path.rsplit('/').next().unwrap().to_string();
            (
                name,
                f["kind"].as_str().unwrap().to_string(),
                f["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    // Events are read before the snapshots, whose end they set.
    let expected = [
        ("connect_content_visits", "visits", 4),
        ("mystery_sessions", "shiny_usage", 4),
        ("connect_users", "users", 3),
        ("connect_contents", "content", 3),
    ];
    let expected: Vec<(String, String, u64)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
        .collect();
    assert_eq!(kinds, expected);
}

#[cfg(feature = "parquet")]
#[test]
fn users_are_their_latest_snapshot_at_or_before_the_window_end() {
    // The administrator (raw role `admin`) is locked in the last snapshot only, taken on
    // 2026-03-03, after the window the production events make (it ends at the last
    // session end, 2026-03-02T15:00Z): by default the user is still an administrator.
    let by_default = production(&[]);
    assert_eq!(at(&by_default, "window.end"), "2026-03-02T15:00:00Z");
    assert_eq!(
        at(&by_default, "people.by_role"),
        &json!({"administrator": 1, "publisher": 1, "viewer": 1})
    );
    let later = production(&["--as-of", "2026-03-03T23:30:00Z"]);
    assert_eq!(
        at(&later, "people.by_role"),
        &json!({"publisher": 1, "viewer": 1})
    );
    let before = production(&["--as-of", "2026-03-02T23:30:00Z"]);
    assert_eq!(
        at(&before, "people.by_role"),
        &json!({"administrator": 1, "publisher": 1, "viewer": 1})
    );
    // The licence figures follow the same end: the latest curated day at or before it.
    assert_eq!(at(&before, "chronicle.licence_date"), "2026-03-02");
    assert_eq!(at(&before, "chronicle.active_users_1day"), 1);
}

#[cfg(feature = "parquet")]
#[test]
fn daily_average_sessions_are_limited_to_the_utc_days_of_the_window() {
    let days = |r: &Value| -> Vec<String> {
        at(r, "chronicle.daily_average_sessions")
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["date"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(days(&production(&[])), ["2026-03-01", "2026-03-02"]);
    assert_eq!(days(&production(&["--from", "2026-03-02"])), ["2026-03-02"]);
    assert_eq!(days(&production(&["--to", "2026-03-01"])), ["2026-03-01"]);
    // A window inside one day touches that day only.
    let r = production(&[
        "--from",
        "2026-03-02T10:00:00Z",
        "--to",
        "2026-03-02T12:00:00Z",
    ]);
    assert_eq!(days(&r), ["2026-03-02"]);
}

#[cfg(feature = "parquet")]
#[test]
fn the_licence_figures_of_a_window_ending_with_to_are_its_last_day_not_the_next() {
    // `--to 2026-03-02` includes that day: the window ends (exclusive) at 2026-03-03T00:00Z,
    // when the curated day 2026-03-03 starts.
    let r = production(&["--to", "2026-03-02"]);
    assert_eq!(at(&r, "window.end"), "2026-03-03T00:00:00Z");
    assert_eq!(at(&r, "chronicle.licence_date"), "2026-03-02");
    assert_eq!(at(&r, "chronicle.named_users"), 3);
    assert_eq!(at(&r, "chronicle.active_users_1day"), 1);
}

#[cfg(feature = "parquet")]
#[test]
fn curated_data_gives_licence_figures_and_daily_average_sessions() {
    let r = production(&[]);
    let c = at(&r, "chronicle");
    assert_eq!(c["environments"], json!(["production", "staging"]));
    assert_eq!(c["environment"], "production");
    assert_eq!(c["licence_date"], "2026-03-03");
    assert_eq!(c["named_users"], 4);
    assert_eq!(c["active_users_1day"], 0);
    assert_eq!(c["active_users_30days"], 3);
    assert_eq!(c["licensed_user_seats"], 10);
    assert_eq!(
        c["daily_average_sessions"],
        json!([
            {"date": "2026-03-01", "sessions": 3, "session_seconds": 5400.0, "average": 0.0625},
            {"date": "2026-03-02", "sessions": 4, "session_seconds": 8640.0, "average": 0.1},
        ])
    );
    assert_eq!(c["unread"], json!(["daily/v2/connect_host_cpu"]));
    assert_eq!(c["raw_days"], 3);
    let staging = analyze_json(&[&store(), "--environment", "staging"]);
    assert_eq!(at(&staging, "chronicle.licence_date"), "2026-03-02");
    assert_eq!(at(&staging, "chronicle.licensed_user_seats"), 5);
    assert_eq!(at(&staging, "visits.count"), 1);
    assert_eq!(
        at(&staging, "chronicle.daily_average_sessions.0.average"),
        1.0
    );
}

#[cfg(feature = "parquet")]
#[test]
fn the_content_list_gives_modes_and_settings_and_unknown_content_needs_sessions() {
    let r = production(&[]);
    let types: Vec<(String, u64)> = at(&r, "content_types")
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["app_mode"].as_str().unwrap().to_string(),
                t["content"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(types.contains(&("shiny".into(), 1)), "{types:?}");
    assert!(types.contains(&("python-dash".into(), 1)), "{types:?}");
    // The latest raw snapshot's title; max_processes from the curated content list.
    let items = at(&r, "processes.estimated.content").as_array().unwrap();
    let app = items
        .iter()
        .find(|c| c["guid"] == "aaaaaaaa-0000-4000-8000-00000000000a")
        .expect("the Shiny app is modelled");
    assert_eq!(app["settings"]["max_processes"], 2);
    let titles: Vec<&str> = at(&r, "content")
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Sales app", "Weekly report", "Ops dash"]);
    // The Shiny app and the Dash app run processes on demand; the weekly report, with
    // visits only and no mode, does not (a content export's unknown mode would).
    assert_eq!(at(&r, "processes.estimated.on_demand_items"), 2);
}

#[cfg(feature = "parquet")]
#[test]
fn raw_contents_without_the_curated_content_list_are_the_content_list() {
    // Raw `connect_contents` has guid, title, timestamp, environment: no name or mode.
    let raw = store_with(&["daily"]);
    let r = analyze_json(&[raw.path().to_str().unwrap(), "--environment", "production"]);
    let titles: Vec<&str> = at(&r, "content")
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Sales app", "Weekly report", "Ops dash"]);
    assert_eq!(
        at(&r, "content_types"),
        &json!([{"app_mode": "unknown", "content": 3, "sessions": 4, "visits": 4}])
    );
    // Modes unknown: only the item with sessions runs processes.
    assert_eq!(at(&r, "processes.estimated.on_demand_items"), 1);
    assert_eq!(at(&r, "chronicle.licence_date"), &Value::Null);
}

#[cfg(feature = "parquet")]
#[test]
fn a_chronicle_root_deep_in_an_input_folder_is_read_as_chronicle_and_a_metric_folder_is_refused() {
    // A backup holding the root two levels down, beside a loose export: the root is read
    // as Chronicle's storage (not its Parquet files as loose exports), the CSV as a CSV.
    let backup = tempfile::tempdir().unwrap();
    let deep = backup.path().join("servers/connect-1");
    copy_tree(&PathBuf::from(store()), &deep);
    std::fs::write(backup.path().join("notes.csv"), "not,an,export\n1,2,3\n").unwrap();
    let deep_root = deep.join("data");
    let r = analyze_json(&[
        backup.path().to_str().unwrap(),
        "--environment",
        "production",
    ]);
    assert_eq!(at(&r, "chronicle.root"), deep_root.to_str().unwrap());
    assert_eq!(at(&r, "visits.count"), 4);
    assert_eq!(at(&r, "sessions.count"), 4);
    assert_eq!(at(&r, "chronicle.licence_date"), "2026-03-03");
    // A folder inside the root is refused with the root to give instead.
    let metric = deep_root.join("daily/v2/connect_content_visits");
    cmd()
        .args(["analyze", metric.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}: inside the Posit Chronicle data folder {}",
            metric.display(),
            std::fs::canonicalize(&deep_root).unwrap().display()
        )))
        .stderr(predicate::str::contains("give that folder instead"));
    // Two roots in one input folder: one per run.
    copy_tree(
        &PathBuf::from(store()),
        &backup.path().join("servers/connect-2"),
    );
    cmd()
        .args(["analyze", backup.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "more than one Posit Chronicle data folder",
        ));
}

#[cfg(feature = "parquet")]
#[test]
fn a_bad_value_names_its_parquet_file_its_row_there_and_the_column_as_the_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let visits = dir.path().join("data/daily/v2/connect_content_visits");
    write_visits(
        &visits.join("2026/03/01/part-0.parquet"),
        &["2026-03-01T09:00:00Z", "2026-03-01T10:00:00Z"],
    );
    let bad = visits.join("2026/03/02/part-0.parquet");
    write_visits(&bad, &["2026-03-02T09:00:00Z", "yesterday"]);
    cmd()
        .args(["analyze", dir.path().to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{}:2: column 'timestamp':",
            bad.display()
        )))
        .stderr(predicate::str::contains("(row 2 of the Parquet file)"))
        .stderr(predicate::str::contains("'time'").not());
    // Under --lenient the row is skipped and listed the same way.
    let r = analyze_json(&[dir.path().to_str().unwrap(), "--lenient"]);
    assert_eq!(at(&r, "visits.count"), 3);
    let listed = at(&r, "inputs.skipped").to_string();
    assert!(
        listed.contains(&format!("{}", bad.display())) && listed.contains("timestamp"),
        "{listed}"
    );
}

/// A data problem found after reading (a session ending before it starts) names the
/// Parquet file the row is in and its row there, not the metric folder.
#[cfg(feature = "parquet")]
#[test]
fn a_reversed_session_is_listed_at_its_parquet_file_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("data/daily/v2/app_sessions");
    let write = |day: &str, ends: [&str; 2]| {
        let path = sessions.join(format!("2026/03/{day}/part-0.parquet"));
        let starts = [Some("2026-03-01T09:00:00Z"), Some("2026-03-01T10:00:00Z")];
        let starts = starts.map(|s| s.map(|s| s.replace("01T", &format!("{day}T"))));
        let starts: Vec<Option<&str>> = starts.iter().map(|s| s.as_deref()).collect();
        write_text_parquet(
            &path,
            &[
                (
                    "content_guid",
                    vec![Some("aaaaaaaa-0000-4000-8000-00000000000a"); 2],
                ),
                (
                    "user_guid",
                    vec![Some("11111111-0000-4000-8000-000000000001"); 2],
                ),
                ("started", starts),
                ("ended", ends.iter().map(|e| Some(*e)).collect()),
            ],
        );
        path
    };
    write("01", ["2026-03-01T09:30:00Z", "2026-03-01T10:30:00Z"]);
    let bad = write("02", ["2026-03-02T09:30:00Z", "2026-03-02T09:59:00Z"]);
    let r = analyze_json(&[dir.path().to_str().unwrap()]);
    let problems = at(&r, "data_problems").as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["path"], bad.to_str().unwrap(), "{problems:?}");
    assert_eq!(problems[0]["line"], 2, "{problems:?}");
    // The Parquet file is an input too: `-o` naming it is refused, the file kept.
    let before = std::fs::read(&bad).unwrap();
    cmd()
        .args(["analyze", dir.path().to_str().unwrap(), "-o"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("that this run reads"));
    assert_eq!(std::fs::read(&bad).unwrap(), before);
}

#[cfg(feature = "parquet")]
#[test]
fn user_snapshots_without_a_timestamp_are_dated_by_their_folder_and_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("data/daily/v2");
    write_visits(
        &raw.join("connect_content_visits/2026/03/02/part-0.parquet"),
        &["2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"],
    );
    let users = |path: &str, rows: &[(Option<&str>, &str, &str)]| {
        write_text_parquet(
            &raw.join("connect_users").join(path),
            &[
                ("id", rows.iter().map(|r| r.0).collect()),
                ("username", rows.iter().map(|r| Some(r.1)).collect()),
                ("user_role", rows.iter().map(|r| Some(r.2)).collect()),
            ],
        )
    };
    const ADA: &str = "11111111-0000-4000-8000-000000000001";
    const PAT: &str = "22222222-0000-4000-8000-000000000002";
    users(
        "2026/03/01/part-0.parquet",
        &[(Some(ADA), "ada", "admin"), (Some(PAT), "pat", "publisher")],
    );
    users(
        "2026/03/02/part-0.parquet",
        &[
            (Some(ADA), "ada", "viewer"),
            (Some(PAT), "pat", "publisher"),
            (None, "ghost", "viewer"),
        ],
    );
    // Written on 2026-03-03, after the window (its last visit is 2026-03-02T10:00Z).
    users("2026/03/03/part-0.parquet", &[(Some(ADA), "ada", "admin")]);
    let r = analyze_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(
        at(&r, "people.by_role"),
        &json!({"publisher": 1, "viewer": 1})
    );
    let warnings = at(&r, "inputs.warnings").to_string();
    assert!(
        warnings.contains(
            "Posit Chronicle connect_users: 5 rows without a usable `timestamp` dated by the \
             day of their YYYY/MM/DD folder"
        ),
        "{warnings}"
    );
    assert!(
        warnings.contains("connect_users: 1 row left out (1 without `id`, 0 without"),
        "{warnings}"
    );
}

#[cfg(feature = "parquet")]
#[test]
fn the_report_names_environments_unread_metrics_and_the_retention() {
    cmd()
        .args(["analyze", &store(), "--environment", "production"])
        .args(["--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "environments found: production, staging (read: production)",
        ))
        .stdout(predicate::str::contains("not read (no known kind)"))
        .stdout(predicate::str::contains("day (UTC)"))
        .stdout(predicate::str::contains("peaks need per-session data"))
        .stdout(predicate::str::contains(
            "raw daily data 30 days by default",
        ));
}

#[cfg(not(feature = "parquet"))]
#[test]
fn without_the_feature_a_chronicle_folder_is_a_usage_error_naming_it() {
    cmd()
        .args(["analyze", &store()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Posit Chronicle data folder"))
        .stderr(predicate::str::contains("`parquet` cargo feature"))
        .stderr(predicate::str::contains(
            "`cargo install --locked --features parquet --path .` from the source folder",
        ));
}
