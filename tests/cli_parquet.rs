//! Parquet exports (feature `parquet`, issue 17): the same rows as CSV and as Parquet
//! written by pandas (typed UTC timestamps, NA as nulls, the row index kept), polars (all
//! text) and DuckDB (UUIDs, naive and zoned timestamps, integers) give the same report;
//! bad files give errors naming the file, the row and the column. The fixtures and the
//! script that wrote them are in tests/fixtures/parquet/.
#![cfg(feature = "parquet")]

mod common;

use std::path::PathBuf;

use common::{analyze_json, at, cmd};
use predicates::prelude::*;
use serde_json::Value;

fn fixtures(dialect: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parquet")
        .join(dialect)
        .display()
        .to_string()
}

/// The report without what names the input files.
fn figures(mut report: Value) -> Value {
    let inputs = report.as_object_mut().unwrap().remove("inputs").unwrap();
    let kinds: Vec<(Value, Value)> = inputs["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].clone(), f["rows"].clone()))
        .collect();
    report["file_kinds"] = serde_json::json!(kinds);
    report
}

#[test]
fn pandas_polars_and_duckdb_parquet_give_the_figures_of_the_same_rows_in_csv() {
    let csv = figures(analyze_json(&[&fixtures("csv")]));
    assert_eq!(at(&csv, "file_kinds").as_array().unwrap().len(), 6);
    assert!(at(&csv, "concurrency.sessions.peak").as_u64().unwrap() > 0);
    for dialect in ["pandas", "polars", "duckdb"] {
        let parquet = figures(analyze_json(&[&fixtures(dialect)]));
        assert!(parquet == csv, "{dialect} differs from the CSV");
    }
}

#[test]
fn naive_parquet_timestamps_are_read_in_the_input_zone() {
    // DuckDB's jobs, content and users hold naive TIMESTAMPs, as the CSVs hold naive text:
    // both read in New York (with its DST rules) give the same report.
    let tz = ["--input-tz", "America/New_York"];
    let csv = figures(analyze_json(&[&fixtures("csv"), tz[0], tz[1]]));
    let duck = figures(analyze_json(&[&fixtures("duckdb"), tz[0], tz[1]]));
    assert!(duck == csv, "naive Parquet timestamps read differently");
    let utc = figures(analyze_json(&[&fixtures("duckdb")]));
    assert!(utc != duck, "the zone changed nothing");
}

#[test]
fn a_truncated_parquet_file_is_an_error_naming_it() {
    let path = format!("{}/truncated.parquet", fixtures("bad"));
    cmd()
        .args(["analyze", &path])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(format!(
            "{path}: not a readable Parquet file"
        )))
        .stderr(predicate::str::contains(
            "if it was cut short, write or copy it again",
        ))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn a_column_of_the_wrong_type_names_the_row_the_column_and_its_type() {
    let bad = fixtures("bad");
    for (file, holds) in [
        ("started_bool", "the column holds booleans"),
        (
            "started_list",
            "the column holds lists, which no export uses",
        ),
    ] {
        let path = format!("{bad}/{file}.parquet");
        cmd()
            .args(["analyze", &path])
            .assert()
            .code(1)
            .stderr(predicate::str::contains(format!(
                "{path}:1: column 'started'"
            )))
            .stderr(predicate::str::contains(format!(
                "row 1 of the Parquet file; {holds}"
            )))
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn an_unused_column_of_an_unknown_type_does_not_matter() {
    let path = format!("{}/unused_decimal.parquet", fixtures("bad"));
    let report = analyze_json(&[&path]);
    assert_eq!(at(&report, "inputs.files.0.kind"), "shiny_usage");
    assert_eq!(at(&report, "inputs.files.0.rows"), 2);
    assert_eq!(at(&report, "concurrency.sessions.peak"), 2);
}

#[test]
fn duckdb_decimals_of_scale_0_are_read_as_integers() {
    // data_version DECIMAL(9,0); max_processes DECIMAL(18,0); min_processes DECIMAL(38,0).
    let r = analyze_json(&[&fixtures("decimal")]);
    assert_eq!(at(&r, "sessions.count"), 2);
    let items = at(&r, "processes.estimated.content").as_array().unwrap();
    let app = &items[0];
    assert_eq!(app["guid"], "a2764a24-8d2c-4256-8ea9-106f32cb5271");
    assert_eq!(app["settings"]["max_processes"], 7);
    assert_eq!(app["settings"]["min_processes"], 1);
}
