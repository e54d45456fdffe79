//! `--anonymize` through the CLI: no GUID, username or e-mail of `sample_data` reaches any
//! output (every format, compare, trend, history), the figures do not move, runs repeat
//! byte for byte, and options naming real users or content still match.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

/// The health-check account of sample_data (one short session every hour).
const SVC_USER: &str = "svc-health-check";
/// 'Sales Dashboard' in sample_data/content.csv.
const SALES: &str = "a2764a24-8d2c-4256-8ea9-106f32cb5271";

/// Every content GUID, user GUID, username and e-mail in sample_data/*.csv.
fn real_names() -> BTreeSet<String> {
    const COLUMNS: [&str; 7] = [
        "content_guid",
        "app_guid",
        "user_guid",
        "owner_guid",
        "guid",
        "username",
        "email",
    ];
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(sample_data()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("csv") {
            continue;
        }
        let mut r = csv::Reader::from_path(&path).unwrap();
        let header = r.headers().unwrap().clone();
        let wanted: Vec<usize> = (0..header.len())
            .filter(|&i| COLUMNS.contains(&&header[i]))
            .collect();
        for row in r.records() {
            let row = row.unwrap();
            for &i in &wanted {
                let v = row[i].trim();
                if !v.is_empty() && v != "NA" {
                    out.insert(v.to_string());
                }
            }
        }
    }
    // The lists must really hold what the test looks for.
    assert!(
        out.contains(SALES) && out.contains(SVC_USER),
        "{}",
        out.len()
    );
    assert!(out.contains("svc-health-check@connect.example"));
    assert!(out.len() > 300, "{}", out.len());
    out
}

/// Runs the binary; stdout and stderr as text, after checking it succeeded.
fn run(args: &[&str]) -> (String, String) {
    let out = cmd().args(args).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(out.status.success(), "{args:?}: {stderr}");
    (stdout, stderr)
}

/// Fails naming the first real name found in `text`.
fn assert_no_real_names(what: &str, text: &str, names: &BTreeSet<String>) {
    if let Some(n) = names.iter().find(|n| text.contains(n.as_str())) {
        panic!("{what} leaks '{n}'");
    }
}

fn analyze(extra: &[&str]) -> (String, String) {
    let dir = sample_data();
    let mut args = vec!["analyze", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

fn analyze_json_with(extra: &[&str]) -> Value {
    let mut args = extra.to_vec();
    args.extend(["--format", "json"]);
    serde_json::from_str(&analyze(&args).0).unwrap()
}

#[test]
fn no_real_name_in_any_analyze_format() {
    let names = real_names();
    for format in [None, Some("json"), Some("markdown"), Some("html")] {
        let mut args = vec!["--anonymize"];
        if let Some(f) = format {
            args.extend(["--format", f]);
        }
        let (out, err) = analyze(&args);
        assert_no_real_names(&format!("{format:?} stdout"), &out, &names);
        assert_no_real_names(&format!("{format:?} stderr"), &err, &names);
        // Without the flag the same report does name them (the check can fail).
        args.remove(0);
        let (plain, _) = analyze(&args);
        assert!(plain.contains(SALES), "{format:?}");
        assert!(out.contains("content-"), "{format:?}");
    }
}

#[test]
fn figures_do_not_move_and_runs_repeat_byte_for_byte() {
    let plain = analyze_json_with(&[]);
    let anon = analyze_json_with(&["--anonymize"]);
    for path in [
        "concurrency.sessions.peak",
        "concurrency.sessions.p95",
        "concurrency.users.peak",
        "sessions.count",
        "sessions.users",
        "sizing.now.cores",
        "sizing.now.ram_gib",
        "sizing.scaled.cores",
        "sizing.scaled.ram_gib",
        "sizing.projected.cores",
        "sizing.projected.ram_gib",
        "sizing.projected.design_processes",
        "sizing.projected.modelled_peak_processes",
        "sizing.projected.rejected",
        "recommendation.architecture",
        "recommendation.nodes",
        "recommendation.node.cores",
        "recommendation.node.ram_gib",
        "recommendation.outgrows_max_node_in_months",
    ] {
        assert_eq!(at(&plain, path), at(&anon, path), "{path}");
    }
    // The Sales Dashboard row keeps its figures under its pseudonym.
    let row = |v: &Value| -> Value {
        let rows = v["content"].as_array().unwrap();
        let r = rows
            .iter()
            .find(|r| r["title"] == "Sales Dashboard")
            .unwrap();
        r["sessions"].clone()
    };
    assert_eq!(row(&plain), row(&anon));
    // Ties keep the order of the original GUIDs: the content rows come in the same order
    // and the busiest item named in the processes question is the same one.
    let titles = |v: &Value| -> Vec<Value> {
        let rows = v["content"].as_array().unwrap();
        rows.iter().map(|r| r["title"].clone()).collect()
    };
    assert_eq!(titles(&plain), titles(&anon));
    let busiest = |v: &Value| -> String {
        let answer = v["questions"][3]["answer"].as_str().unwrap();
        answer.split("the busiest item").nth(1).unwrap().to_string()
    };
    assert_eq!(busiest(&plain), busiest(&anon));
    let once = analyze(&["--anonymize", "--format", "json"]);
    let twice = analyze(&["--anonymize", "--format", "json"]);
    assert_eq!(once, twice);
    let once = analyze(&["--anonymize", "--format", "html"]);
    assert_eq!(once, analyze(&["--anonymize", "--format", "html"]));
}

#[test]
fn exclude_users_with_a_real_username_still_excludes() {
    let excluded = |extra: &[&str]| {
        let mut args = vec!["--exclude-users", SVC_USER];
        args.extend_from_slice(extra);
        let v = analyze_json_with(&args);
        (
            at(&v, "sessions.excluded_users").clone(),
            at(&v, "sessions.count").clone(),
            v["warnings"].clone(),
        )
    };
    let (plain, anon) = (excluded(&[]), excluded(&["--anonymize"]));
    assert_eq!(plain, anon);
    // The health check opens thousands of sessions: the exclusion really bites.
    assert!(plain.0.as_u64().unwrap() > 1000, "{:?}", plain.0);
    let none = analyze_json_with(&["--anonymize"]);
    assert_eq!(at(&none, "sessions.excluded_users").as_u64(), Some(0));
    let warnings = anon.2.to_string();
    assert!(!warnings.contains("--exclude-users"), "{warnings}");
}

#[test]
fn content_settings_by_real_guid_still_apply() {
    let setting = format!("{SALES}:max_processes=7");
    let peak = |extra: &[&str]| {
        let mut args = vec!["--content-setting", setting.as_str()];
        args.extend_from_slice(extra);
        let v = analyze_json_with(&args);
        let rows = v["processes"]["estimated"]["content"].as_array().unwrap();
        let r = rows
            .iter()
            .find(|r| r["title"] == "Sales Dashboard")
            .unwrap();
        (
            r["settings"]["max_processes"].clone(),
            v["warnings"].clone(),
        )
    };
    let (plain, anon) = (peak(&[]), peak(&["--anonymize"]));
    assert_eq!(plain.0, 7);
    assert_eq!(plain, anon);
}

#[test]
fn compare_and_trend_name_no_real_user_or_content() {
    let names = real_names();
    let dir = sample_data();
    let data = dir.to_str().unwrap();
    for format in ["json", "markdown", "terminal"] {
        let (out, err) = run(&[
            "compare",
            data,
            "--baseline",
            "2024-01-01..2024-03-31",
            "--current",
            "2024-04-01..2024-06-30",
            "--anonymize",
            "--format",
            format,
        ]);
        assert_no_real_names(&format!("compare {format}"), &out, &names);
        assert_no_real_names(&format!("compare {format} stderr"), &err, &names);
    }
    let history = tempfile::tempdir().unwrap();
    let h = history.path().to_str().unwrap();
    for format in ["json", "markdown", "terminal"] {
        let args = [
            "trend",
            data,
            "--history",
            h,
            "--anonymize",
            "--format",
            format,
        ];
        let (out, err) = run(&args);
        assert_no_real_names(&format!("trend {format}"), &out, &names);
        assert_no_real_names(&format!("trend {format} stderr"), &err, &names);
    }
    let (_, err) = run(&["analyze", data, "--history", h, "--anonymize"]);
    assert_no_real_names("analyze --history stderr", &err, &names);
    let mut snapshots = 0;
    for entry in std::fs::read_dir(history.path()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_no_real_names(&path.display().to_string(), &text, &names);
        snapshots += 1;
    }
    assert!(snapshots > 0);
}

#[test]
fn plain_and_anonymised_runs_with_the_same_options_share_one_history() {
    let data = sample_data();
    let data = data.to_str().unwrap();
    let history = tempfile::tempdir().unwrap();
    let h = history.path().to_str().unwrap();
    let fingerprints = |extra: &[&str]| -> BTreeSet<String> {
        let mut args = vec!["analyze", data, "--history", h, "--exclude-users", SVC_USER];
        args.extend_from_slice(extra);
        run(&args);
        std::fs::read_dir(history.path())
            .unwrap()
            .map(|e| {
                let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
                let v: Value = serde_json::from_str(&text).unwrap();
                v["figures"]["options"].as_str().unwrap().to_string()
            })
            .collect()
    };
    let plain = fingerprints(&[]);
    let anon = fingerprints(&["--anonymize"]);
    assert_eq!(plain.len(), 1, "{plain:?}");
    assert_eq!(plain, anon);
    // And trend sees one set of options: no warning about mixing them.
    let (_, err) = run(&["trend", "--history", h, "--anonymize"]);
    assert!(!err.contains("different options"), "{err}");
}
