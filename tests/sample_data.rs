//! sample_data/ is what the seeded generator writes, and its README's key figures are what
//! `analyze` prints: both are checked here, so the README cannot drift from the tool.

mod common;

use std::path::Path;

use common::*;

/// The `| path | value |` rows between the figures markers of sample_data/README.md.
fn documented_figures() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/README.md"),
    )
    .unwrap();
    let start = readme
        .find("<!-- figures:start -->")
        .expect("figures:start marker");
    let end = readme
        .find("<!-- figures:end -->")
        .expect("figures:end marker");
    readme[start..end]
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() >= 4 && cells[1].starts_with('`')).then(|| {
                (
                    cells[1].trim_matches('`').to_string(),
                    cells[2].trim_matches('`').to_string(),
                )
            })
        })
        .collect()
}

#[test]
fn sample_data_readme_figures_match_the_report() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let v = analyze_json(&[dir.to_str().unwrap()]);
    let figures = documented_figures();
    assert!(figures.len() >= 10, "the README documents the key figures");
    for (path, expected) in figures {
        let got = at(&v, &path);
        match (got.as_f64(), expected.parse::<f64>()) {
            (Some(g), Ok(e)) => assert!(
                (g - e).abs() <= 1e-6 * e.abs().max(1.0),
                "{path}: report {g}, README {e}"
            ),
            _ => assert_eq!(got.as_str().unwrap_or(&got.to_string()), expected, "{path}"),
        }
    }
}

#[test]
fn sample_data_is_exactly_what_the_generator_writes() {
    let f = Fixture::new();
    cmd()
        .args(["sample", "--out", f.path().to_str().unwrap()])
        .assert()
        .success();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let mut names: Vec<String> = std::fs::read_dir(f.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for name in names {
        let fresh = std::fs::read(f.path().join(&name)).unwrap();
        let committed = std::fs::read(dir.join(&name)).unwrap_or_default();
        assert!(
            fresh == committed,
            "sample_data/{name} differs from `connect-capacity sample` output; run `make sample`"
        );
    }
}

#[test]
fn terminal_report_draws_the_hour_of_week_grid_with_the_busiest_slot_full() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let dir = dir.to_str().unwrap();
    let v = analyze_json(&[dir]);
    let busiest = at(&v, "hour_of_week.sessions.busiest");
    let weekday = busiest["weekday"].as_u64().unwrap() as usize;
    let hour = busiest["hour"].as_u64().unwrap() as usize;
    let out = cmd().args(["analyze", dir]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let rows: Vec<Vec<char>> = days
        .iter()
        .map(|d| {
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("  {d} ")))
                .unwrap_or_else(|| panic!("a grid line for {d}"));
            line[6..].chars().collect()
        })
        .collect();
    for r in &rows {
        assert_eq!(r.len(), 24, "one cell per hour");
    }
    // The busiest slot is the top of the scale.
    assert_eq!(rows[weekday - 1][hour], '█');
    // Users get their own rows in the regularity table.
    assert!(text.contains("│ users        weeks"), "{text}");
}

/// Every session and visit kept is counted in one day and one month: the day and month
/// tables add up to the totals. The sample's last session starts at its window's end (a
/// window taken from the data ends at its last instant), which once fell in no day.
#[test]
fn days_and_months_add_up_to_the_totals() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let r = analyze_json(&[dir.to_str().unwrap()]);
    let sum = |list: &str, key: &str| -> u64 {
        at(&r, list)
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x[key].as_u64().unwrap())
            .sum()
    };
    let sessions = at(&r, "sessions.count").as_u64().unwrap();
    let visits = at(&r, "visits.count").as_u64().unwrap();
    assert_eq!(sum("daily.series", "sessions_started"), sessions);
    assert_eq!(sum("months", "sessions"), sessions);
    assert_eq!(sum("daily.series", "visits"), visits);
    assert_eq!(sum("months", "visits"), visits);
}
