//! Renders `trend`: one row per week or month (from the exports or the snapshot history),
//! the growth fits over fully covered periods, and utilisation of today's server.

use super::markup::{Block, Document, Section, Table as MTable};
use crate::model::over_time::trend::{Source, TrendReport, Utilisation};
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
                format!("{:.0} %", f.coverage * 100.0),
                f.sessions.to_string(),
                f.peak_sessions.to_string(),
                opt(f.p95_sessions),
                f.average_sessions
                    .map_or_else(|| "-".into(), |a| format!("{a:.1}")),
                f.peak_users.to_string(),
                f.active_users.to_string(),
                opt(f.processes_peak),
                opt(f.cores),
                opt(f.ram_gib),
                f.architecture.clone().unwrap_or_else(|| "-".into()),
                match r.source {
                    Source::Exports => "exports".into(),
                    Source::History => "history".into(),
                },
            ]
        })
        .collect();
    (head, body)
}

/// The trend as a document for Markdown and HTML.
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

fn opt<T: ToString>(x: Option<T>) -> String {
    x.map_or_else(|| "-".into(), |v| v.to_string())
}

/// Growth as one sentence, the rate per `unit`.
pub fn growth_line(f: &GrowthFit, unit: &str) -> String {
    match (f.rate_per_month, f.r_squared) {
        (Some(r), Some(r2)) => format!(
            "Growth of {}: {:+.1} % per {unit} (R² {:.2}, {} full {unit}s)",
            f.metric,
            r * 100.0,
            r2,
            f.months_used.len()
        ),
        _ => format!(
            "Growth of {}: not available (needs 3 fully covered {unit}s with activity)",
            f.metric
        ),
    }
}

/// Utilisation as one sentence.
pub fn utilisation_line(u: &Utilisation) -> String {
    let mut s = format!(
        "Utilisation of today's server: {:.0} % ({} of {} cores, {} of {} GiB RAM; limited by {})",
        u.utilisation * 100.0,
        u.cores_needed,
        opt(u.capacity_cores),
        u.ram_gib_needed,
        opt(u.capacity_ram_gib),
        u.limited_by
    );
    if let Some(a) = u.alert_at {
        s.push_str(&format!(
            "; alert threshold {:.0} %{}",
            a * 100.0,
            if u.alert { ": REACHED" } else { "" }
        ));
    }
    s
}
