//! The inputs section of the shared [`Document`](super::markup::Document): the files
//! read, what became of their rows (counters), the assumptions, input warnings and
//! daylight-saving adjustments, and the data problems worth a look. Figures are written by [`crate::format`].

use super::markup::{Block, Section, Table};
use crate::format::{count, fixed, span};
use crate::ingest::IngestNotes;
use crate::model::Report;

/// Files read, counters, assumptions and data problems.
pub fn inputs(r: &Report) -> Section {
    let mut blocks = vec![Block::Table(files(r))];
    let chronicle = super::document_chronicle::inputs_lines(r);
    if !chronicle.is_empty() {
        blocks.push(Block::List(chronicle));
    }
    let skipped = &r.inputs.notes.skipped_files;
    if !skipped.is_empty() {
        blocks.push(Block::Heading(
            "Files skipped: in an input folder, but not Posit Connect exports".into(),
        ));
        blocks.push(Block::List(
            skipped
                .iter()
                .map(|f| format!("{} (header: {})", f.path.display(), f.header))
                .collect(),
        ));
    }
    blocks.push(Block::List(assumptions(r)));
    blocks.push(Block::Table(counters(r)));
    let problems = data_problems(r);
    if !problems.is_empty() {
        blocks.push(Block::Heading("Data problems (kept, worth a look)".into()));
        blocks.push(Block::List(problems));
    }
    Section {
        id: "inputs",
        title: "Inputs and assumptions".into(),
        blocks,
    }
}

/// The export files read, with their kind and rows.
fn files(r: &Report) -> Table {
    let mut files = Table::numeric(&["file", "kind", "rows"]).align(1, false);
    for f in &r.inputs.files {
        files.row(vec![
            f.path.display().to_string(),
            format!("{:?}", f.kind),
            count(f.rows),
        ]);
    }
    files
}

/// What became of the session and visit rows read (as in the JSON, docs/metrics.md
/// section 1), then the jobs and job metrics.
fn counters(r: &Report) -> Table {
    let s = &r.sessions;
    let mut counters = Table::numeric(&["sessions", "count"]);
    for (k, v) in [
        ("rows read", s.rows),
        ("duplicates dropped", s.duplicates),
        ("excluded users", s.excluded_users),
        ("shorter than --min-session", s.excluded_short),
        ("outside --from/--to", s.outside_window),
        ("sessions analysed", s.count),
        ("without an end", s.open),
        ("capped by --open-cap", s.capped),
        ("ended before started", s.reversed),
        ("anonymous", s.anonymous),
        ("distinct users", s.users),
        ("content items", s.contents),
        ("visit rows read", r.visits.rows),
        ("visit duplicates dropped", r.visits.duplicates),
        ("visits of excluded users or agents", r.visits.excluded),
        ("visits analysed", r.visits.count),
        ("visits outside the window", r.visits.outside_window),
    ] {
        counters.row(vec![k.to_string(), count(v)]);
    }
    if let Some(j) = &r.jobs {
        counters.row(vec!["job rows read".into(), count(j.rows)]);
        counters.row(vec![
            "jobs outside the window".into(),
            count(j.outside_window),
        ]);
    }
    if let Some(m) = &r.job_metrics {
        for (k, v) in [
            ("job metrics rows read", m.rows),
            ("duplicate samples", m.duplicates),
            ("samples outside the window", m.outside_window),
        ] {
            counters.row(vec![k.to_string(), count(v)]);
        }
    }
    counters
}

/// The zone, the session-end rules, the exclusions, the input warnings, the rows skipped
/// and the local times daylight saving adjusted.
fn assumptions(r: &Report) -> Vec<String> {
    let a = &r.assumptions;
    let mut settings = vec![
        format!("Reporting time zone: {}.", a.tz),
        match a.open_cap_s {
            Some(s) => format!("Sessions without an end last at most {}.", span(s)),
            None => "Sessions without an end last until the window end.".into(),
        },
        format!(
            "Subtracted from every recorded end: {} s.",
            fixed(a.reconnect_timeout_s, 0)
        ),
    ];
    if !a.exclude_users.is_empty() {
        settings.push(format!("Excluded users: {}.", a.exclude_users.join(", ")));
    }
    if !a.exclude_user_agents.is_empty() {
        settings.push(format!(
            "Excluded user agents containing: {}.",
            a.exclude_user_agents.join(", ")
        ));
    }
    let n = &r.inputs.notes;
    settings.extend(n.warnings.iter().map(|w| format!("Warning: {w}")));
    if n.skipped_rows > 0 {
        settings.push(format!(
            "{} bad rows skipped (--lenient).",
            count(n.skipped_rows)
        ));
    }
    settings.extend(daylight_saving(n));
    settings
}

/// How many of the DST-adjusted local times the data problems list: the first few
/// suffice to find the files (the JSON lists the first 20).
const LISTED_LOCAL_TIMES: usize = 2;

/// Naive local times in a spring-forward gap or a fall-back overlap of their input zone,
/// counted (docs/metrics.md 1.9); none when there were none.
fn daylight_saving(n: &IngestNotes) -> Option<String> {
    let (gap, overlap) = (n.nonexistent_local_times, n.ambiguous_local_times);
    if gap + overlap == 0 {
        return None;
    }
    let listed = if gap + overlap > LISTED_LOCAL_TIMES as u64 {
        format!("the first {LISTED_LOCAL_TIMES} are")
    } else {
        "each is".into()
    };
    Some(format!(
        "Daylight saving: local times without an offset that do not exist (spring-forward \
         gap, shifted forward by the gap): {}; that occur twice (fall-back, the earlier \
         offset taken): {}; {listed} listed under data problems.",
        count(gap),
        count(overlap)
    ))
}

/// Rows skipped (--lenient), the first DST-adjusted local times and values kept but worth
/// a look, as `path:line: column 'c': message`.
fn data_problems(r: &Report) -> Vec<String> {
    let n = &r.inputs.notes;
    n.skipped
        .iter()
        .chain(n.local_time_problems.iter().take(LISTED_LOCAL_TIMES))
        .chain(&r.data_problems)
        .map(|p| {
            let col = p
                .column
                .as_deref()
                .map(|c| format!(" column '{c}':"))
                .unwrap_or_default();
            format!("{}:{}:{col} {}", p.path.display(), p.line, p.message)
        })
        .collect()
}
