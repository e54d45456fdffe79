//! The malformed-export set: files as Excel, full disks, bad locales and careless edits
//! leave them. Each case has a documented outcome: read correctly, or a clear message
//! naming the file, line (and column where there is one) with the README's exit code, or,
//! under `--lenient`, a counted and listed skip.

mod common;

use std::io::Write;

use common::*;
use serde_json::Value;

const HEADER: &str = "content_guid,user_guid,started,ended,data_version";
const ROW: &str = "bd1d2285-6c80-49af-8a83-a200effe3cb3,08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2";

/// What a case must do.
enum Outcome {
    /// Exit 0 with this many sessions analysed.
    Reads(u64),
    /// Exit 0 with this many sessions and a warning containing the text.
    Warns(u64, &'static str),
    /// Exit 1 with stderr containing the text (file:line: ... as written here).
    Fails(&'static str),
}

/// Writes `bytes` as `shiny.csv` (or `name`) in a fresh folder and runs `analyze`.
fn run_case(name: &str, bytes: &[u8], lenient: bool) -> (Option<i32>, String, Option<Value>) {
    let f = Fixture::new();
    let path = f.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut c = cmd();
    c.arg("analyze").arg(f.path()).args(["--format", "json"]);
    if lenient {
        c.arg("--lenient");
    }
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&*f.path().to_string_lossy(), "DIR");
    let json = serde_json::from_slice(&out.stdout).ok();
    (out.status.code(), stderr, json)
}

fn check(name: &str, file: &str, bytes: &[u8], expected: Outcome) {
    let (code, stderr, json) = run_case(file, bytes, false);
    match expected {
        Outcome::Reads(n) | Outcome::Warns(n, _) => {
            assert_eq!(code, Some(0), "{name}: {stderr}");
            let v = json.unwrap_or_else(|| panic!("{name}: no JSON"));
            assert_eq!(v["sessions"]["count"], n, "{name}");
            if let Outcome::Warns(_, text) = expected {
                let all = format!("{}{}", v["warnings"], v["inputs"]["warnings"]);
                assert!(all.contains(text), "{name}: warnings {all}");
            }
        }
        Outcome::Fails(text) => {
            assert_eq!(code, Some(1), "{name}: {stderr}");
            assert!(
                stderr.contains(text),
                "{name}: stderr {stderr:?} lacks {text:?}"
            );
            assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        }
    }
}

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

fn row(started: &str, ended: &str) -> String {
    format!("{ROW},{started},{ended},1")
}

#[test]
fn every_malformed_case_has_its_documented_outcome() {
    let good = row("2024-03-04T10:00:00Z", "2024-03-04T11:00:00Z");
    let good2 = row("2024-03-04T10:30:00Z", "2024-03-04T11:00:00Z");
    use Outcome::*;
    let cases: Vec<(&str, &str, Vec<u8>, Outcome)> = vec![
        ("empty file", "shiny.csv", Vec::new(), Fails("DIR/shiny.csv:1: the file is empty")),
        ("header only", "shiny.csv", csv(&[]), Reads(0)),
        (
            "byte-order mark",
            "shiny.csv",
            [b"\xef\xbb\xbf".as_slice(), &csv(&[&good])].concat(),
            Reads(1),
        ),
        (
            "CRLF",
            "shiny.csv",
            format!("{HEADER}\r\n{good}\r\n{good2}\r\n").into_bytes(),
            Reads(2),
        ),
        (
            "mixed line endings",
            "shiny.csv",
            format!("{HEADER}\r\n{good}\n{good2}\r\n").into_bytes(),
            Reads(2),
        ),
        (
            "truncated last line",
            "shiny.csv",
            format!("{HEADER}\n{good}\n{ROW},2024-03-04T10:30:00Z,2024-03-04T1").into_bytes(),
            Fails("DIR/shiny.csv:3: found 4 fields where the header has 5"),
        ),
        (
            "unterminated quote",
            "shiny.csv",
            format!("{HEADER}\n{ROW},\"2024-03-04T10:00:00Z,2024-03-04T11:00:00Z,1\n").into_bytes(),
            Fails("DIR/shiny.csv:2: found 3 fields where the header has 5"),
        ),
        (
            "semicolon delimiter",
            "shiny.csv",
            format!("{}\n", HEADER.replace(',', ";")).into_bytes(),
            Fails("the columns look separated by semicolons: re-export the file comma-separated"),
        ),
        (
            "Excel-mangled timestamp",
            "shiny.csv",
            csv(&[&row("3/4/2024 9:02", "3/4/2024 10:02")]),
            Fails("DIR/shiny.csv:2: column 'started': cannot parse '3/4/2024 9:02' as a timestamp"),
        ),
        (
            "scientific notation in an integer column",
            "shiny.csv",
            csv(&[&format!("{ROW},2024-03-04T10:00:00Z,2024-03-04T11:00:00Z,1E0")]),
            Reads(1),
        ),
        (
            "year 1970",
            "shiny.csv",
            csv(&[&row("1970-01-01T00:00:00Z", "1970-01-01T01:00:00Z")]),
            Fails("DIR/shiny.csv:2: column 'started': timestamp 1970-01-01T00:00:00Z is outside [2000, 2100)"),
        ),
        (
            "year 9999",
            "shiny.csv",
            csv(&[&row("9999-01-01T00:00:00Z", "9999-01-01T01:00:00Z")]),
            Fails("DIR/shiny.csv:2: column 'started': timestamp 9999-01-01T00:00:00Z is outside [2000, 2100)"),
        ),
        (
            "timestamp before 2000",
            "shiny.csv",
            csv(&[&row("1999-12-31T23:00:00Z", "2024-03-04T11:00:00Z")]),
            Fails("outside [2000, 2100)"),
        ),
        (
            "ended years after started",
            "shiny.csv",
            csv(&[&row("2024-03-04T10:00:00Z", "2090-03-04T11:00:00Z")]),
            Warns(1, "1 sessions last longer than 7 days (the longest 24,106 days, at /"),
        ),
        (
            "duplicate headers",
            "shiny.csv",
            format!("content_guid,user_guid,started,started,ended,data_version\n{ROW},2024-03-04T10:00:00Z,2024-03-04T10:00:00Z,2024-03-04T11:00:00Z,1\n").into_bytes(),
            Fails("DIR/shiny.csv:1: column 'started' appears twice in the header"),
        ),
        (
            "non-UTF-8 bytes",
            "shiny.csv",
            [
                format!("{HEADER}\n{ROW},2024-03-04T10:00:00Z").as_bytes(),
                b"\xff\xfe",
                b",2024-03-04T11:00:00Z,1\n",
            ]
            .concat(),
            Fails("DIR/shiny.csv:2: column 'started': the value is not valid UTF-8; the file is probably in another encoding (Excel on Windows saves Windows-1252): pass --encoding windows-1252"),
        ),
    ];
    for (name, file, bytes, expected) in cases {
        check(name, file, &bytes, expected);
    }
}

#[test]
fn a_gzip_file_cut_short_names_the_file() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let body = csv(&[&row("2024-03-04T10:00:00Z", "2024-03-04T11:00:00Z")]);
    gz.write_all(&body.repeat(50)).unwrap();
    let bytes = gz.finish().unwrap();
    check(
        "gzip cut short",
        "shiny.csv.gz",
        &bytes[..bytes.len() / 2],
        Outcome::Fails("the gzip file looks truncated or corrupt"),
    );
}

#[test]
fn a_fifty_megabyte_line_is_an_error_not_a_hang() {
    let mut bytes = format!("{HEADER}\n").into_bytes();
    bytes.extend(std::iter::repeat_n(b'x', 50 * 1024 * 1024));
    bytes.push(b'\n');
    check(
        "50 MB single line",
        "shiny.csv",
        &bytes,
        Outcome::Fails("DIR/shiny.csv:2: found 1 fields where the header has 5"),
    );
}

#[test]
fn lenient_counts_and_lists_bad_rows_of_the_malformed_set() {
    // Bad values are skipped; a structurally broken row (wrong number of fields) still
    // stops the run, lenient or not: where the next row starts cannot be told.
    let bytes = csv(&[
        &row("2024-03-04T10:00:00Z", "2024-03-04T11:00:00Z"),
        &row("3/4/2024 9:02", "3/4/2024 10:02"),
        &row("1970-01-01T00:00:00Z", "1970-01-01T01:00:00Z"),
        &format!("{ROW},2024-03-04T10:00:00Z,soon,1"),
    ]);
    let (code, stderr, json) = run_case("shiny.csv", &bytes, true);
    assert_eq!(code, Some(0), "{stderr}");
    let broken = csv(&[&format!("{ROW},2024-03-04T10:00:00Z")]);
    let (code, stderr, _) = run_case("shiny.csv", &broken, true);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("DIR/shiny.csv:2: found 3 fields"),
        "{stderr}"
    );
    let v = json.unwrap();
    assert_eq!(v["sessions"]["count"], 1);
    assert_eq!(v["inputs"]["skipped_rows"], 3);
    let lines: Vec<u64> = v["inputs"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 5]);
}
