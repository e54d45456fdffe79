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
    assert_eq!(at(&v, "schema_version"), 2);
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

#[test]
fn a_reader_that_goes_away_early_is_not_an_error() {
    // The sample's JSON report (about 250 KB) is far larger than a pipe's buffer (64 KB),
    // so the writer meets a closed pipe once the reader has gone: exit 0, nothing on
    // stderr. (Its terminal report fits the buffer, so it could not test this.)
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    {
        let format = "json";
        let mut child =
            std::process::Command::new(assert_cmd::cargo::cargo_bin("connect-capacity"))
                .args(["analyze", dir.to_str().unwrap(), "--format", format])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn options_that_match_nothing_are_warned_about() {
    let f = Fixture::new();
    f.file("shiny.csv", SHINY_READR);
    let out = cmd()
        .args(["analyze", f.path().to_str().unwrap(), "--format", "json"])
        .args(["--exclude-users", "nosuchuser"])
        .args([
            "--content-setting",
            "00000000-0000-0000-0000-000000000000:max_processes=5",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: --exclude-users 'nosuchuser' matches no user"),
        "{err}"
    );
    assert!(
        err.contains("'00000000-0000-0000-0000-000000000000'"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["warnings"].as_array().unwrap().len(), 2);
    // A window off the data says where the data is.
    let out = cmd()
        .args([
            "analyze",
            f.path().to_str().unwrap(),
            "--from",
            "2030-01-01",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "nothing lies in --from/--to: the exports start between 2024-03-04T14:02:11Z"
        ),
        "{text}"
    );
}

#[test]
fn a_missing_config_file_is_a_usage_error() {
    let f = Fixture::new();
    f.file("shiny.csv", SHINY_READR);
    let out = cmd()
        .args([
            "analyze",
            f.path().to_str().unwrap(),
            "--config",
            "/no/such/capacity.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/no/such/capacity.toml: cannot read the config file"),
        "{err}"
    );
    // A bad design_peak names its position.
    let cfg = f.file("../c.toml", "[plan]\ndesign_peak = \"p95\"\n");
    let out = cmd()
        .args(["analyze", f.path().to_str().unwrap(), "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("c.toml:2:15: "),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Scale 0 and NaN constants are refused.
    let out = cmd()
        .args(["analyze", f.path().to_str().unwrap(), "--scale", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let cfg = f.file("../n.toml", "[sizing]\nhigh_uptime = nan\n");
    let out = cmd()
        .args(["analyze", f.path().to_str().unwrap(), "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_missing_path_is_reported_once() {
    let out = cmd()
        .args(["analyze", "/no/such/exports"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn a_killed_report_write_leaves_the_previous_report_whole() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let out_dir = tempfile::tempdir().unwrap();
    let report = out_dir.path().join("report.json");
    cmd()
        .args(["analyze", dir.to_str().unwrap(), "-o"])
        .arg(&report)
        .assert()
        .success();
    let bin = assert_cmd::cargo::cargo_bin("connect-capacity");
    // Re-runs with other options (a different report) killed at several points: the
    // file is always a whole report, the old one or the new one, never a part.
    for delay_ms in [1, 10, 30, 60, 100, 150, 250, 400] {
        let mut child = std::process::Command::new(&bin)
            .args(["analyze", dir.to_str().unwrap(), "--scale", "3", "-o"])
            .arg(&report)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let bytes = std::fs::read(&report).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("report damaged after a kill at {delay_ms} ms: {e}"));
        assert_eq!(v["schema_version"], 2);
    }
}

#[test]
#[cfg(not(feature = "parquet"))]
fn a_parquet_file_says_this_build_reads_csv_only() {
    let f = Fixture::new();
    f.file("exports/shiny.csv", SHINY_READR);
    // Bytes do not matter: the name alone says Parquet.
    let pq = f.file("exports/Usage.PARQUET", "PAR1");
    for input in [pq.clone(), f.path().join("exports")] {
        cmd()
            .args(["analyze", input.to_str().unwrap()])
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(format!(
                "{}: a Parquet file; this build reads CSV exports only",
                pq.display()
            )))
            .stderr(predicate::str::contains("`parquet` cargo feature"))
            .stderr(predicate::str::contains(
                "`cargo install --locked --features parquet --path .` from the source folder",
            ))
            .stderr(predicate::str::contains("unrecognised").not());
    }
}

#[test]
fn a_csv_in_a_folder_that_is_no_export_is_listed_as_skipped_with_its_header() {
    let f = Fixture::new();
    f.file("exports/shiny.csv", SHINY_READR);
    let budget = f.file("exports/budget.csv", "team,amount\nops,3\n");
    let dir = f.path().join("exports");
    let v = analyze_json(&[dir.to_str().unwrap()]);
    assert_eq!(at(&v, "inputs.files").as_array().unwrap().len(), 1);
    assert_eq!(
        at(&v, "inputs.skipped_files.0.path").as_str(),
        Some(budget.to_str().unwrap())
    );
    let header = at(&v, "inputs.skipped_files.0.header").as_str().unwrap();
    assert!(
        header.contains("team") && header.contains("amount"),
        "{header}"
    );
    assert_eq!(at(&v, "sessions.count"), 4);
    cmd()
        .args(["analyze", dir.to_str().unwrap(), "--format", "markdown"])
        .assert()
        .success()
        .stderr(predicate::str::contains("note: skipped"))
        .stderr(predicate::str::contains(
            "budget.csv: not a Posit Connect export",
        ))
        .stdout(predicate::str::contains("Files skipped"))
        .stdout(predicate::str::contains("budget.csv"));
    // Named on the command line, the same file is an error.
    cmd()
        .args(["analyze", dir.to_str().unwrap(), budget.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("budget.csv: not a recognised"));
}

#[test]
fn a_folder_without_exports_says_which_are_needed_and_how_to_make_them() {
    let f = Fixture::new();
    // Empty, then holding only a file that is no export.
    for files in [&[][..], &[("notes.csv", "a,b\n1,2\n")][..]] {
        let d = Fixture::new();
        for (name, text) in files {
            d.file(name, text);
        }
        cmd()
            .args(["analyze", d.path().to_str().unwrap()])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("no export files"))
            .stderr(predicate::str::contains(
                "get_usage_shiny(client, limit = Inf)",
            ))
            .stderr(predicate::str::contains("client.metrics.usage.find()"))
            .stderr(predicate::str::contains("connect-capacity fetch --server"));
    }
    // Only content and user lists: a report, and the same advice.
    f.file("content.csv", "guid,name,title,app_mode\nc1,a,A,shiny\n");
    f.file("users.csv", "guid,username,user_role\nu1,ann,publisher\n");
    cmd()
        .args(["analyze", f.path().to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains("only content and user lists"))
        .stderr(predicate::str::contains(
            "get_usage_shiny(client, limit = Inf)",
        ));
}

/// `-o` naming an export the run reads is refused before anything is written (it would
/// replace the export); a report beside the exports is fine. `sample` does not replace
/// files in its folder without `--force`.
#[test]
fn outputs_never_replace_an_input_export() {
    let f = Fixture::new();
    let shiny = f.file("shiny.csv", SHINY_READR);
    let dir = f.path().to_str().unwrap();
    for (input, output) in [(shiny.to_str().unwrap(), &shiny), (dir, &shiny)] {
        cmd()
            .args(["analyze", input, "-o"])
            .arg(output)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("that this run reads"))
            .stderr(predicate::str::contains("Write the report to another file"));
        assert_eq!(std::fs::read_to_string(&shiny).unwrap(), SHINY_READR);
    }
    let report = f.path().join("report.md");
    cmd()
        .args(["analyze", dir, "-o"])
        .arg(&report)
        .assert()
        .success();
    cmd()
        .args(["analyze", dir, "-o"])
        .arg(&report)
        .assert()
        .success();
    cmd()
        .args(["compare", dir, dir, "-o"])
        .arg(&shiny)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("that this run reads"));

    let out = f.path().join("gen");
    std::fs::create_dir(&out).unwrap();
    let visits = out.join("visits.csv");
    std::fs::write(&visits, "a real export\n").unwrap();
    let sample = |force: bool| {
        let mut c = cmd();
        c.args(["sample", "--sessions", "50", "--out"]).arg(&out);
        if force {
            c.arg("--force");
        }
        c.assert()
    };
    sample(false)
        .code(2)
        .stderr(predicate::str::contains("visits.csv"))
        .stderr(predicate::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(&visits).unwrap(), "a real export\n");
    assert!(!out.join("shiny_usage.csv").exists(), "nothing written");
    sample(true).success();
    assert!(std::fs::read_to_string(&visits)
        .unwrap()
        .starts_with("\"content_guid\""));
}
