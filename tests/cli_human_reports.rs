//! The human formats (terminal, Markdown, HTML) say what the JSON says: utilisation of
//! today's server, daylight-saving adjustments of naive input times, and the visit rows
//! dropped as duplicates (each was once in the JSON alone).

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// `analyze DIR ARGS` in the terminal, Markdown and HTML formats, each with its whitespace
/// collapsed to single spaces (the terminal wraps lines and pads table cells).
fn human_reports(dir: &Path, args: &[&str]) -> [(&'static str, String); 3] {
    ["terminal", "markdown", "html"].map(|format| {
        let (out, _) = analyze_dir(dir, format, args);
        (format, out.split_whitespace().collect::<Vec<_>>().join(" "))
    })
}

/// Asserts that every report holds `text` (as the format writes it: Markdown escapes `_`,
/// HTML the apostrophe).
fn assert_all_say(reports: &[(&str, String)], text: &str) {
    for (format, out) in reports {
        let want = match *format {
            "markdown" => text.replace('_', "\\_"),
            "html" => text.replace('\'', "&#39;"),
            _ => text.to_string(),
        };
        assert!(out.contains(&want), "{format} lacks {want:?}:\n{out}");
    }
}

/// Asserts that every report's counters table has each `(label, value)` row.
fn assert_counters(reports: &[(&str, String)], rows: &[(&str, &str)]) {
    for (format, out) in reports {
        for (label, value) in rows {
            let row = counter_row(format, label, value);
            assert!(out.contains(&row), "{format} lacks {row:?}:\n{out}");
        }
    }
}

#[test]
fn analyze_reports_utilisation_of_todays_server_in_every_format() {
    let args = ["--capacity-cores", "16", "--capacity-ram", "64"];
    let (json, _) = analyze_dir(&sample_data(), "json", &args);
    let v: Value = serde_json::from_str(&json).unwrap();
    let cores = at(&v, "utilisation.cores_needed").as_u64().unwrap();
    let ram = at(&v, "utilisation.ram_gib_needed").as_u64().unwrap();
    let pct = (at(&v, "utilisation.utilisation").as_f64().unwrap() * 100.0).round();
    assert_eq!(at(&v, "utilisation.limited_by"), "cores");
    let reports = human_reports(&sample_data(), &args);
    assert_all_say(
        &reports,
        &format!(
            "Utilisation of today's server: {pct} % ({cores} of 16 cores, {ram} of 64 GiB RAM; \
             limited by cores)"
        ),
    );
    // Without a capacity there is nothing to compare with, and no line.
    let (md, _) = analyze_dir(&sample_data(), "markdown", &[]);
    assert!(!md.contains("Utilisation of today"), "{md}");
}

#[test]
fn analyze_reports_daylight_saving_adjustments_in_every_format() {
    // Naive times read in Europe/Berlin: 02:30 on 2024-03-31 falls in the spring-forward
    // gap, 02:10 and 02:40 on 2024-10-27 in the repeated hour.
    let f = Fixture::new();
    f.file(
        "shiny.csv",
        "content_guid,user_guid,started,ended\n\
         bd1d2285-6c80-49af-8a83-a200effe3cb3,u1,2024-03-31 02:30:00,2024-03-31 04:00:00\n\
         bd1d2285-6c80-49af-8a83-a200effe3cb3,u2,2024-10-27 02:10:00,2024-10-27 02:40:00\n",
    );
    let args = ["--input-tz", "Europe/Berlin"];
    let (json, _) = analyze_dir(f.path(), "json", &args);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(at(&v, "inputs.nonexistent_local_times"), 1);
    assert_eq!(at(&v, "inputs.ambiguous_local_times"), 2);
    let reports = human_reports(f.path(), &args);
    assert_all_say(
        &reports,
        "Daylight saving: local times without an offset that do not exist (spring-forward \
         gap, shifted forward by the gap): 1; that occur twice (fall-back, the earlier offset \
         taken): 2; the first 2 are listed under data problems.",
    );
    // The first two messages, as the JSON has them, and not the third.
    let problems = at(&v, "inputs.local_time_problems").as_array().unwrap();
    assert_eq!(problems.len(), 3);
    for (i, p) in problems.iter().enumerate() {
        let line = format!(
            "shiny.csv:{}: column '{}': {}",
            p["line"],
            p["column"].as_str().unwrap(),
            p["message"].as_str().unwrap()
        );
        for (format, out) in &reports {
            let want = match *format {
                "html" => line.replace('\'', "&#39;"),
                _ => line.clone(),
            };
            assert_eq!(out.contains(&want), i < 2, "{format}: {want:?}:\n{out}");
        }
    }
    assert!(reports[1]
        .1
        .contains("does not exist (spring-forward gap); shifted forward"));
}

/// A counter row as each format writes it (whitespace collapsed).
fn counter_row(format: &str, label: &str, value: &str) -> String {
    match format {
        "markdown" => format!("| {label} | {value} |"),
        "html" => format!("<td>{label}</td><td class=\"num\">{value}</td>"),
        _ => format!(" {label} {value} "),
    }
}

#[test]
fn analyze_accounts_for_every_visit_row_read_in_every_format() {
    // sample_data: 16,463 visit rows, 217 of them duplicates, one outside the window.
    let (json, _) = analyze_dir(&sample_data(), "json", &[]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(at(&v, "visits.rows"), 16_463);
    assert_eq!(at(&v, "visits.duplicates"), 217);
    assert_counters(
        &human_reports(&sample_data(), &[]),
        &[
            ("visit rows read", "16,463"),
            ("visit duplicates dropped", "217"),
            ("visits of excluded users or agents", "0"),
            ("visits analysed", "16,245"),
            ("visits outside the window", "1"),
        ],
    );
    // A duplicate, an excluded user and a visit outside the window: the rows add up.
    let c = "bd1d2285-6c80-49af-8a83-a200effe3cb3";
    let f = Fixture::new();
    f.file(
        "shiny.csv",
        &format!("content_guid,user_guid,started,ended\n{c},u1,2024-03-04T10:00:00Z,2024-03-04T11:00:00Z\n"),
    );
    f.file(
        "visits.csv",
        &format!(
            "content_guid,user_guid,time\n{c},u1,2024-03-04T10:10:00Z\n{c},u1,2024-03-04T10:10:00Z\n\
             {c},u2,2024-03-04T10:20:00Z\n{c},u3,2024-03-04T10:30:00Z\n{c},u1,2024-05-01T10:00:00Z\n"
        ),
    );
    assert_counters(
        &human_reports(f.path(), &["--exclude-users", "u2"]),
        &[
            ("visit rows read", "5"),
            ("visit duplicates dropped", "1"),
            ("visits of excluded users or agents", "1"),
            ("visits analysed", "2"),
            ("visits outside the window", "1"),
        ],
    );
}
