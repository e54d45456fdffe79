//! Renders `compare`: key figures side by side with absolute and relative change, the
//! content mix, and the top risers and fallers by content peak.

use super::markup::{Block, Document, Section, Span, Table as MTable};
use crate::model::over_time::compare::CompareReport;
use crate::model::over_time::compare::{Change, ContentChange};
use crate::model::usage::time::Timestamp;
use crate::model::wire::Window;

/// The comparison as a document for Markdown and HTML.
pub fn document(r: &CompareReport) -> Document {
    let c = &r.comparison;
    let figures_table = |list: &[Change]| {
        let mut t = MTable::numeric(&["figure", "baseline", "current", "change", "relative"]);
        for ch in list {
            t.row(vec![
                ch.name.clone(),
                number(ch.baseline),
                number(ch.current),
                signed(ch.change),
                percent(ch.relative),
            ]);
        }
        t
    };
    let movers_table = |list: &[ContentChange]| {
        let mut t = MTable::numeric(&["content", "baseline peak", "current peak", "change"]);
        for m in list {
            t.row(vec![
                m.title.clone().unwrap_or_else(|| m.guid.clone()),
                m.baseline_peak.to_string(),
                m.current_peak.to_string(),
                format!("{:+}", m.change),
            ]);
        }
        t
    };
    let (a, b) = &c.architecture;
    let mut sections = vec![Section {
        id: "figures",
        title: "Key figures".into(),
        blocks: vec![
            Block::Para(vec![
                Span::Text("Recommended architecture: ".into()),
                Span::Strong(format!(
                    "{} then {}",
                    a.as_deref().unwrap_or("-"),
                    b.as_deref().unwrap_or("-")
                )),
            ]),
            Block::Table(figures_table(&c.figures)),
        ],
    }];
    if !c.content_mix.is_empty() {
        sections.push(Section {
            id: "mix",
            title: "Content mix".into(),
            blocks: vec![Block::Table(figures_table(&c.content_mix))],
        });
    }
    let mut movers = Vec::new();
    if !c.risers.is_empty() {
        movers.push(Block::Heading(
            "Top risers (peak concurrent sessions)".into(),
        ));
        movers.push(Block::Table(movers_table(&c.risers)));
    }
    if !c.fallers.is_empty() {
        movers.push(Block::Heading(
            "Top fallers (peak concurrent sessions)".into(),
        ));
        movers.push(Block::Table(movers_table(&c.fallers)));
    }
    if !movers.is_empty() {
        sections.push(Section {
            id: "movers",
            title: "Risers and fallers".into(),
            blocks: movers,
        });
    }
    Document {
        title: "Posit Connect capacity: comparison".into(),
        meta: [
            format!("Baseline: {}", window(&c.baseline)),
            format!("Current: {}", window(&c.current)),
        ]
        .into_iter()
        .chain(c.warnings.iter().map(|w| format!("Warning: {w}")))
        .collect(),
        sections,
    }
}

/// A number for people: integers as integers, the rest with up to two decimals.
pub fn number(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
    }
}

/// A signed change.
pub fn signed(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if v > 0.0 => format!("+{}", number(Some(v))),
        Some(v) => number(Some(v)),
    }
}

/// A relative change in percent with one decimal.
pub fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{:+.1} %", v * 100.0))
}

/// A window as `first – last` instant (UTC, to the minute; the end is exclusive, so the
/// last instant shown is one microsecond before it).
pub fn window(w: &Option<Window>) -> String {
    let minute = |t: Timestamp| {
        t.utc()
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    match w {
        Some(w) => format!(
            "{} to {} UTC ({:.1} days)",
            minute(w.start),
            minute(Timestamp(w.end.0 - 1)),
            w.days
        ),
        None => "no data".into(),
    }
}
