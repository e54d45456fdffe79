//! `analyze --tables DIR` (issue 17): the derived tables agree with the JSON report, CSV
//! guards only formula-starting text, Parquet tables read back with their types, a tables
//! folder inside an input folder or holding an input file is refused, and without the `parquet` feature Parquet
//! tables are a usage error naming it.

mod common;

use std::path::Path;

use common::{analyze_json, at, cmd, sample, Fixture, SHINY_READR};
use predicates::prelude::*;

/// A CSV table as (header, rows of cells).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).expect("a CSV table");
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The cell of `column` in `row`.
fn cell<'a>(header: &[String], row: &'a [String], column: &str) -> &'a str {
    let i = header.iter().position(|h| h == column).expect(column);
    &row[i]
}

fn write_tables(args: &[&str], dir: &Path) {
    cmd()
        .arg("analyze")
        .args(args)
        .args(["--tables", dir.to_str().unwrap(), "-o"])
        .arg(dir.with_extension("md"))
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "tables: 5 files written to {}",
            dir.display()
        )));
}

/// The content table's measured MiB are the JSON report's bytes rounded up, as
/// `memory_mib` and the report's MiB are.
fn measured_mib_are_rounded_up(h: &[String], content: &[Vec<String>], report: &serde_json::Value) {
    let footprints = at(report, "footprints").as_array().unwrap();
    let mut checked = 0;
    for row in content {
        let guid = cell(h, row, "guid");
        let Some(f) = footprints.iter().find(|f| f["guid"] == guid) else {
            continue;
        };
        for (column, key) in [
            ("memory_p50_mib", "memory_bytes_p50"),
            ("memory_p95_mib", "memory_bytes_p95"),
            ("memory_max_mib", "memory_bytes_max"),
        ] {
            if let Some(bytes) = f[key].as_u64() {
                let expected = bytes.div_ceil(1 << 20).to_string();
                assert_eq!(cell(h, row, column), expected, "{guid} {column}");
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "no measured memory compared");
}

#[test]
fn csv_tables_hold_the_figures_of_the_json_report() {
    let f = Fixture::new();
    let dir = f.path().join("tables");
    write_tables(&[&sample(), "--tables-format", "csv"], &dir);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "content.csv",
            "days.csv",
            "hour_of_week.csv",
            "months.csv",
            "scenarios.csv"
        ]
    );
    let report = analyze_json(&[&sample()]);

    let (h, days) = read_csv(&dir.join("days.csv"));
    let series = at(&report, "daily.series").as_array().unwrap();
    assert_eq!(days.len(), series.len());
    for (row, day) in days.iter().zip(series) {
        assert_eq!(cell(&h, row, "date"), day["label"].as_str().unwrap());
        for (column, key) in [
            ("sessions_started", "sessions_started"),
            ("visits", "visits"),
            ("peak_sessions", "peak"),
            ("peak_users", "peak_users"),
            ("p95_sessions", "p95_sessions"),
        ] {
            assert_eq!(cell(&h, row, column), day[key].to_string(), "{column}");
        }
        let average: f64 = cell(&h, row, "average_sessions").parse().unwrap();
        // serde_json without `float_roundtrip` may parse a float one ulp away.
        approx::assert_relative_eq!(
            average,
            day["average"].as_f64().unwrap(),
            max_relative = 1e-14
        );
    }
    let started: u64 = days
        .iter()
        .map(|r| cell(&h, r, "sessions_started").parse::<u64>().unwrap())
        .sum();
    let months: u64 = report["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sessions"].as_u64().unwrap())
        .sum();
    assert_eq!(started, months, "days and months count the same sessions");

    let (h, slots) = read_csv(&dir.join("hour_of_week.csv"));
    assert_eq!(slots.len(), 168);
    assert_eq!(
        (cell(&h, &slots[0], "weekday"), cell(&h, &slots[0], "hour")),
        ("1", "0")
    );
    assert_eq!(
        (
            cell(&h, &slots[167], "weekday"),
            cell(&h, &slots[167], "hour")
        ),
        ("7", "23")
    );
    let means = at(&report, "hour_of_week.sessions.means");
    let monday_9: f64 = cell(&h, &slots[9], "mean_sessions").parse().unwrap();
    approx::assert_relative_eq!(
        monday_9,
        means[0][9].as_f64().unwrap(),
        max_relative = 1e-14
    );

    let (_, months) = read_csv(&dir.join("months.csv"));
    assert_eq!(months.len(), report["months"].as_array().unwrap().len());
    let (h, content) = read_csv(&dir.join("content.csv"));
    assert_eq!(content.len(), report["content"].as_array().unwrap().len());
    let measured = content
        .iter()
        .filter(|r| cell(&h, r, "memory_source") == "measured")
        .count();
    assert!(measured > 0, "sample_data has measured footprints");
    measured_mib_are_rounded_up(&h, &content, &report);
    let (h, scenarios) = read_csv(&dir.join("scenarios.csv"));
    let now = at(&report, "sizing.now");
    assert_eq!(cell(&h, &scenarios[0], "scenario"), "now");
    assert_eq!(cell(&h, &scenarios[0], "cores"), now["cores"].to_string());
    assert_eq!(
        cell(&h, &scenarios[0], "ram_gib"),
        now["ram_gib"].to_string()
    );
}

#[test]
fn csv_tables_guard_titles_that_start_a_formula() {
    let f = Fixture::new();
    f.file("in/shiny.csv", SHINY_READR);
    f.file(
        "in/content.csv",
        "guid,title,app_mode\n\
         bd1d2285-6c80-49af-8a83-a200effe3cb3,=HYPERLINK(\"http://x\"),shiny\n\
         f2f37341-e21d-3d80-c698-a935ad614066,-minus,shiny\n",
    );
    let dir = f.path().join("tables");
    let input = f.path().join("in");
    write_tables(&[input.to_str().unwrap(), "--tables-format", "csv"], &dir);
    let (h, rows) = read_csv(&dir.join("content.csv"));
    let titles: Vec<&str> = rows.iter().map(|r| cell(&h, r, "title")).collect();
    assert!(titles.contains(&"'=HYPERLINK(\"http://x\")"), "{titles:?}");
    assert!(titles.contains(&"'-minus"), "{titles:?}");
}

#[test]
fn a_tables_folder_inside_an_input_folder_is_refused() {
    let f = Fixture::new();
    f.file("in/shiny.csv", SHINY_READR);
    let inside = f.path().join("in/derived/tables");
    cmd()
        .args(["analyze", f.path().join("in").to_str().unwrap()])
        .args([
            "--tables",
            inside.to_str().unwrap(),
            "--tables-format",
            "csv",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("inside the input folder"));
    assert!(!f.path().join("in/derived").exists(), "nothing written");
    // A file where the folder should be is refused before anything is written.
    let file = f.file("not-a-folder", "");
    let report = f.path().join("r.md");
    cmd()
        .args(["analyze", f.path().join("in").to_str().unwrap(), "-o"])
        .arg(&report)
        .args(["--tables", file.to_str().unwrap(), "--tables-format", "csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a folder"));
    assert!(!report.exists(), "no report either");
}

#[test]
fn a_tables_folder_holding_an_input_file_is_refused_and_the_file_kept() {
    // Named on the command line, a Shiny usage export is read whatever its name: here
    // `days.csv`, which the `days` table would overwrite.
    let f = Fixture::new();
    let input = f.file("exports/days.csv", SHINY_READR);
    let exports = f.path().join("exports");
    for tables in [exports.clone(), f.path().to_path_buf(), exports.join(".")] {
        cmd()
            .arg("analyze")
            .arg(&input)
            .arg("--tables")
            .arg(&tables)
            .args(["--tables-format", "csv"])
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(format!(
                "--tables {}: holds the input file {}",
                tables.display(),
                input.display()
            )))
            .stderr(predicate::str::contains(
                "choose a folder that holds no input",
            ));
    }
    assert_eq!(std::fs::read_to_string(&input).unwrap(), SHINY_READR);
    let names: Vec<_> = std::fs::read_dir(&exports).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing written beside the input");
    // A sibling folder is fine.
    write_tables(
        &[input.to_str().unwrap(), "--tables-format", "csv"],
        &f.path().join("tables"),
    );
}

#[test]
fn a_table_that_cannot_be_written_leaves_the_old_tables_as_they_were() {
    let f = Fixture::new();
    let input = f.file("in/shiny.csv", SHINY_READR);
    let dir = f.path().join("tables");
    let old_days = f.file("tables/days.csv", "old days\n");
    // The last table's name is taken by a folder.
    std::fs::create_dir_all(dir.join("scenarios.csv")).unwrap();
    cmd()
        .arg("analyze")
        .arg(&input)
        .arg("--tables")
        .arg(&dir)
        .args(["--tables-format", "csv"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{}: a folder where this table goes",
            dir.join("scenarios.csv").display()
        )));
    assert_eq!(std::fs::read_to_string(&old_days).unwrap(), "old days\n");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["days.csv", "scenarios.csv"],
        "no table and no temporary file"
    );
}

#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_tables_without_the_feature_are_a_usage_error_naming_it() {
    let f = Fixture::new();
    cmd()
        .args(["analyze", &sample(), "--tables"])
        .arg(f.path().join("t"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`parquet` cargo feature"))
        .stderr(predicate::str::contains(
            "`cargo install --locked --features parquet --path .` from the source folder",
        ))
        .stderr(predicate::str::contains("--tables-format csv"));
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_tables_read_back_with_their_types_and_the_csv_values() {
    use polars::prelude::*;
    let f = Fixture::new();
    let pq = f.path().join("pq");
    let csv = f.path().join("csv");
    write_tables(&[&sample()], &pq);
    write_tables(&[&sample(), "--tables-format", "csv"], &csv);
    let read = |name: &str| {
        let file = std::fs::File::open(pq.join(format!("{name}.parquet"))).unwrap();
        ParquetReader::new(file).finish().unwrap()
    };
    let days = read("days");
    let (_, csv_days) = read_csv(&csv.join("days.csv"));
    assert_eq!(days.height(), csv_days.len());
    let dtype = |df: &DataFrame, c: &str| df.column(c).unwrap().dtype().clone();
    assert_eq!(dtype(&days, "date"), DataType::Date);
    assert_eq!(dtype(&days, "full"), DataType::Boolean);
    assert_eq!(dtype(&days, "peak_sessions"), DataType::Int64);
    assert_eq!(dtype(&days, "average_sessions"), DataType::Float64);
    let peaks: Vec<i64> = days
        .column("peak_sessions")
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let csv_peaks: Vec<i64> = csv_days.iter().map(|r| r[4].parse().unwrap()).collect();
    assert_eq!(peaks, csv_peaks);
    let content = read("content");
    assert!(matches!(
        dtype(&content, "peak_at"),
        DataType::Datetime(TimeUnit::Microseconds, Some(_))
    ));
    assert_eq!(dtype(&content, "title"), DataType::String);
    assert_eq!(read("hour_of_week").height(), 168);
    assert_eq!(dtype(&read("scenarios"), "cores"), DataType::Int64);
}
