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
