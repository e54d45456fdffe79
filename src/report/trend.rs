//! `trend` as a [`Document`] for the terminal, Markdown and HTML: one row per week or
//! month (from the exports or the snapshot history), the growth fits over fully covered
//! periods, and utilisation of today's server (the sentence `analyze` prints too).

use super::document_capacity::utilisation_line;
use super::markup::{Block, Document, Section, Table as MTable};
use crate::format::{count, fixed, or_dash, percent, signed_percent, MISSING};
use crate::model::over_time::trend::{Source, TrendReport};
use crate::model::usage::growth::GrowthFit;

/// One table row per period.
fn rows(t: &TrendReport) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        t.every.name(),
        "covered",
        "sessions",
        "peak",
        "p95",
        "avg",
        "users peak",
        "active users",
        "processes",
        "cores",
        "RAM GiB",
        "architecture",
        "from",
    ];
    let body = t
        .periods
        .iter()
        .map(|r| {
            let f = &r.figures;
            vec![
                f.period.clone(),
                percent(f.coverage, 0),
                count(f.sessions),
                count(f.peak_sessions),
                or_dash(f.p95_sessions, count),
                or_dash(f.average_sessions, |a| fixed(a, 1)),
                count(f.peak_users),
                count(f.active_users),
                or_dash(f.processes_peak, count),
                or_dash(f.cores, count),
                or_dash(f.ram_gib, count),
                f.architecture.clone().unwrap_or_else(|| MISSING.into()),
                match r.source {
                    Source::Exports => "exports".into(),
                    Source::History => "history".into(),
                },
            ]
        })
        .collect();
    (head, body)
}

/// The trend as a document for the terminal, Markdown and HTML.
pub fn document(t: &TrendReport) -> Document {
    let unit = t.every.name();
    let (head, body) = rows(t);
    let mut table = MTable::numeric(&head).align(11, false).align(12, false);
    for r in body {
        table.row(r);
    }
    let mut notes = vec![
        growth_line(&t.growth_sessions_p95, unit),
        growth_line(&t.growth_active_users, unit),
    ];
    if let Some(u) = &t.utilisation {
        notes.push(utilisation_line(u));
    }
    notes.extend(footprint_line(t));
    notes.extend(
        t.skipped_snapshots
            .iter()
            .map(|s| format!("skipped snapshot {s}")),
    );
    Document {
        title: format!("Posit Connect capacity: trend per {unit}"),
        meta: std::iter::once(format!("Times in {}", t.tz))
            .chain(t.warnings.iter().map(|w| format!("Warning: {w}")))
            .collect(),
        sections: vec![Section {
            id: "periods",
            title: format!("Key figures per {unit}"),
            blocks: vec![Block::Table(table), Block::List(notes)],
        }],
    }
}

/// Growth as one sentence, the rate per `unit`.
pub fn growth_line(f: &GrowthFit, unit: &str) -> String {
    match (f.rate_per_month, f.r_squared) {
        (Some(r), Some(r2)) => format!(
            "Growth of {}: {} per {unit} (R² {}, {} full {unit}s)",
            f.metric,
            signed_percent(r, 1),
            fixed(r2, 2),
            count(f.months_used.len())
        ),
        _ => format!(
            "Growth of {}: not available (needs 3 fully covered {unit}s with activity)",
            f.metric
        ),
    }
}

/// Which periods' cores and RAM rest on measured footprints (job metrics in the period)
/// and which on the assumed per-process figures; none when every sized period is alike.
fn footprint_line(t: &TrendReport) -> Option<String> {
    let sized = t.periods.iter().filter(|r| r.figures.cores.is_some());
    let (measured, assumed): (Vec<_>, Vec<_>) = sized.partition(|r| r.figures.measured_items > 0);
    let names = |rows: &[&crate::model::over_time::trend::TrendRow]| {
        rows.iter()
            .map(|r| r.figures.period.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    (!measured.is_empty() && !assumed.is_empty()).then(|| {
        format!(
            "Cores and RAM rest on measured footprints (job metrics) in {} and on the assumed \
             per-process figures in {}: sizes across the two do not compare like with like.",
            names(&measured),
            names(&assumed)
        )
    })
}
