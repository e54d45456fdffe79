//! Markdown and HTML reports: golden snapshots of sample_data, escaping of every data
//! string, self-containment, the format picked from `-o`'s extension, and terminal colour.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use connect_capacity::ingest::{self, IngestOptions};
use connect_capacity::model::{self, Options, Report};
use connect_capacity::report;
use connect_capacity::report::Format;

/// The report of `dir` (relative to the crate root, so paths in it are stable).
fn report_of(dir: &str) -> Report {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(root).expect("cd to the crate root");
    let data = ingest::read_inputs(&[PathBuf::from(dir)], &IngestOptions::default())
        .expect("fixture reads");
    model::analyze(&data, &Options::default()).expect("fixture analyses")
}

fn rendered(r: &Report, format: Format) -> String {
    let mut out = Vec::new();
    report::render(r, format, false, &mut out).expect("renders");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn markdown_of_sample_data_matches_the_snapshot() {
    let md = rendered(&report_of("sample_data"), Format::Markdown);
    insta::assert_snapshot!("sample_data_markdown", md);
}

#[test]
fn html_of_sample_data_matches_the_snapshot() {
    let html = rendered(&report_of("sample_data"), Format::Html);
    insta::assert_snapshot!("sample_data_html", html);
}

#[test]
fn rendering_is_deterministic() {
    let r = report_of("sample_data");
    assert_eq!(rendered(&r, Format::Html), rendered(&r, Format::Html));
    assert_eq!(
        rendered(&r, Format::Markdown),
        rendered(&r, Format::Markdown)
    );
}

#[test]
fn html_is_self_contained() {
    let html = rendered(&report_of("sample_data"), Format::Html);
    for needle in [
        "http://", "https://", "<script", "<link", "@import", "url(", "src=",
    ] {
        assert!(!html.contains(needle), "the page contains {needle:?}");
    }
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<style>"));
    assert_eq!(html.matches("<svg ").count(), 7, "seven inline charts");
}

#[test]
fn html_has_the_sections_in_reading_order() {
    let html = rendered(&report_of("sample_data"), Format::Html);
    let order = [
        "id=\"summary\"",
        "Recommendation: Single server",
        "id=\"questions\"",
        "id=\"concurrency\"",
        "id=\"hour-of-week\"",
        "id=\"regularity\"",
        "id=\"content\"",
        "id=\"growth\"",
        "id=\"processes\"",
        "id=\"footprints\"",
        "id=\"sizing\"",
        "id=\"options\"",
        "id=\"review\"",
        "id=\"people\"",
        "id=\"inputs\"",
    ];
    let mut at = 0;
    for needle in order {
        let i = html[at..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} missing or out of order"));
        at += i;
    }
}

/// The fixture's report with every other kind of data string made hostile too: a file
/// path, an excluded user name, a warning and a data problem.
fn hostile_report() -> Report {
    let mut r = report_of("tests/fixtures/hostile_titles");
    r.inputs.files[0].path = PathBuf::from("dir/<img src=x onerror=alert(2)>.csv");
    r.assumptions.exclude_users = vec!["<b>mallory</b>|x".into()];
    r.inputs
        .notes
        .warnings
        .push("<iframe>warning</iframe>".into());
    // A backslash before a tag (`a\<b>c`) is written `a\\\<b\>c`: the `<` stays escaped.
    r.inputs.notes.warnings.push("a\\<b>c".into());
    r
}

/// Data strings that must never reach a page as markup.
const RAW: [&str; 6] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(2)>",
    "<b>bold</b>",
    "<b>mallory</b>",
    "<iframe>",
];

#[test]
fn html_escapes_every_data_string() {
    let html = rendered(&hostile_report(), Format::Html);
    for raw in RAW {
        assert!(!html.contains(raw), "raw {raw:?} in the HTML");
    }
    assert!(!html.contains("<img"), "no image tag at all");
    assert!(!html.contains("<script"), "no script tag at all");
    assert!(!html.contains("<iframe"), "no frame at all");
    // The titles are there, as text.
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("a|b &lt;b&gt;bold&lt;/b&gt;"));
    assert!(html.contains("dir/&lt;img src=x onerror=alert(2)&gt;.csv"));
    assert!(html.contains("&lt;b&gt;mallory&lt;/b&gt;"));
}

#[test]
fn markdown_escapes_every_data_string_and_keeps_tables_whole() {
    let md = rendered(&hostile_report(), Format::Markdown);
    for raw in RAW {
        assert!(!md.contains(raw), "raw {raw:?} in the Markdown");
    }
    // No tag can start: every `<` is backslash-escaped (CommonMark then reads it as
    // text); the only tag Markdown writes itself is the cell line break.
    for (i, _) in md.match_indices('<') {
        // Escaped by an odd run of backslashes (`\\<` is a backslash, then a bare `<`).
        let run = md[..i].chars().rev().take_while(|&c| c == '\\').count();
        let escaped = run % 2 == 1;
        assert!(
            escaped || md[i..].starts_with("<br>"),
            "unescaped < at {}",
            &md[i..]
        );
    }
    assert!(md.contains("a\\|b \\<b\\>bold\\</b\\> \\*star\\* \\_under\\_ \\[link\\](x) \\& more"));
    // Every table row has as many unescaped pipes as its header row.
    let mut header_pipes = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            header_pipes = None;
            continue;
        }
        let pipes = line.replace("\\|", "").matches('|').count();
        match header_pipes {
            None => header_pipes = Some(pipes),
            Some(n) => assert_eq!(pipes, n, "row splits the table: {line}"),
        }
    }
}

#[test]
fn markdown_of_sample_data_has_every_section_and_no_chart() {
    let md = rendered(&report_of("sample_data"), Format::Markdown);
    for h in [
        "# Posit Connect capacity report",
        "## Summary",
        "> **Recommendation: Single server, scaled vertically, 1 node of 32 cores and 56 GiB**",
        "## The six questions of Posit's scaling guidance",
        "## Concurrency over time",
        "## How regularly the peak occurs",
        "## Content",
        "## History and growth",
        "## Processes",
        "## Measured footprints",
        "## Sizing",
        "## Architecture options for this team",
        "## Scheduler settings to review",
    ] {
        assert!(md.contains(h), "missing {h:?}");
    }
    assert!(!md.contains("<svg"));
    // Each question under its own heading.
    assert!(md.contains("\n### 4. How many processes run concurrently per piece of content?\n"));
}

#[test]
fn output_extension_picks_html_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    for (name, start) in [
        ("r.html", "<!DOCTYPE html>"),
        ("r.htm", "<!DOCTYPE html>"),
        ("r.md", "# Posit Connect capacity report"),
        ("r.markdown", "# Posit Connect capacity report"),
    ] {
        let path = dir.path().join(name);
        cmd()
            .arg("analyze")
            .arg(&sample)
            .arg("-o")
            .arg(&path)
            .assert()
            .success()
            .stdout("");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(start), "{name} starts {:?}", &text[..40]);
    }
    // --format wins over the extension.
    let path = dir.path().join("forced.html");
    cmd()
        .arg("analyze")
        .arg(&sample)
        .args(["--format", "markdown", "-o"])
        .arg(&path)
        .assert()
        .success();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# Posit Connect capacity report"));
}

#[test]
fn terminal_output_to_a_pipe_has_no_colour_and_nothing_but_the_report() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let out = cmd()
        .env_remove("NO_COLOR")
        .arg("analyze")
        .arg(&sample)
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("Posit Connect capacity report\n"));
    assert!(!stdout.contains('\x1b'), "escape codes on a pipe");
    assert!(
        out.stderr.is_empty(),
        "stderr: {:?}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn terminal_colour_is_only_added_when_asked() {
    let r = report_of("tests/fixtures/hostile_titles");
    let mut plain = Vec::new();
    report::render(&r, Format::Terminal, false, &mut plain).unwrap();
    let mut color = Vec::new();
    report::render(&r, Format::Terminal, true, &mut color).unwrap();
    let (plain, color) = (
        String::from_utf8(plain).unwrap(),
        String::from_utf8(color).unwrap(),
    );
    assert!(!plain.contains('\x1b'));
    assert!(color.contains("\x1b[1m"), "bold headings");
    assert!(
        color.contains("\x1b[1m\x1b[32mRecommendation: Single server"),
        "highlighted recommendation"
    );
    // Stripped of its escape codes the coloured report is the plain one.
    let mut stripped = String::new();
    let mut chars = color.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            stripped.push(c);
        }
    }
    assert_eq!(stripped, plain);
}

#[test]
fn tiny_and_empty_inputs_render_in_every_format() {
    let one = "content_guid,user_guid,started,ended,data_version\n\
               c1,u1,2024-03-01T10:00:00Z,2024-03-01T10:05:00Z,1\n";
    let zero_length = "content_guid,user_guid,started,ended,data_version\n\
                       c1,u1,2024-03-01T10:00:00Z,2024-03-01T10:00:00Z,1\n";
    let visits_only =
        "content_guid,user_guid,variant_key,time,rendering_id,bundle_id,path,data_version\n\
                       c1,u1,NA,2024-03-01 10:00:00,NA,1,/,3\n";
    for (name, text) in [
        ("shiny_usage.csv", one),
        ("shiny_usage.csv", zero_length),
        ("visits.csv", visits_only),
    ] {
        let f = Fixture::new();
        f.file(name, text);
        let data = ingest::read_inputs(&[f.path().to_path_buf()], &IngestOptions::default())
            .expect("reads");
        let r = model::analyze(&data, &Options::default()).expect("analyses");
        for format in [
            Format::Terminal,
            Format::Json,
            Format::Markdown,
            Format::Html,
        ] {
            let out = rendered(&r, format);
            assert!(!out.is_empty(), "{name} {format:?}");
        }
        let html = rendered(&r, Format::Html);
        assert!(html.ends_with("</html>\n"), "{name}: the page is complete");
    }
}

/// Counts and lengths read as words: the open-session cap as given (not rounded to whole
/// hours: 30 minutes once read "0 hours"), every content type accounted for in answer 3
/// (the seventh on summed as "and N more"), and no content export named as such.
#[test]
fn stated_assumptions_and_answers_read_as_given() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let md = |args: &[&str]| {
        let out = cmd()
            .arg("analyze")
            .args(args)
            .args(["--format", "markdown"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let dir = sample.to_str().unwrap();
    for (cap, text) in [
        ("30m", "at most 30 minutes."),
        ("45s", "at most 45 seconds."),
        ("1h", "at most 1 hour."),
        ("90m", "at most 90 minutes."),
        ("48h", "at most 2 days."),
    ] {
        let report = md(&[dir, "--open-cap", cap]);
        assert!(
            report.contains(&format!("Sessions without an end last {text}")),
            "{cap}"
        );
    }
    let whole = md(&[dir]);
    assert!(whole.contains("Sessions without an end last at most 24 hours."));
    assert!(
        whole.contains(", and 8 more types (10 items, 17.4 % of sessions and visits)."),
        "answer 3 lists 6 of 14 types and sums the rest"
    );
    assert!(whole.contains("its 1 warm process holds "));
    assert!(whole.contains("active in the last 1d: 15, 7d: 100, 30d: 117, 365d: 120."));
    let usage_only = md(&[sample.join("shiny_usage.csv").to_str().unwrap()]);
    assert!(
        usage_only.contains(
            "No content export, so no content modes or item counts; by use: unknown (100.0 % of sessions and visits)."
        ),
        "answer 3 without a content export"
    );
    assert!(usage_only.contains("from 1 export file, analysed by"));
}
