//! Renders `compare`: key figures side by side with absolute and relative change, the
//! content mix, and the top risers and fallers by content peak.

use super::markup::{Block, Document, Section, Span, Table as MTable};
use crate::format::{
    count, figure, fixed, minute, or_dash, signed_count, signed_figure, signed_percent,
};
use crate::model::over_time::compare::CompareReport;
use crate::model::over_time::compare::{Change, ContentChange};
use crate::model::report::Window;
use chrono_tz::Tz;

/// The comparison as a document for Markdown and HTML.
pub fn document(r: &CompareReport) -> Document {
    let c = &r.comparison;
    let figures_table = |list: &[Change]| {
        let mut t = MTable::numeric(&["figure", "baseline", "current", "change", "relative"]);
        for ch in list {
            t.row(vec![
                ch.name.clone(),
                or_dash(ch.baseline, figure),
                or_dash(ch.current, figure),
                or_dash(ch.change, signed_figure),
                or_dash(ch.relative, |v| signed_percent(v, 1)),
            ]);
        }
        t
    };
    let movers_table = |list: &[ContentChange]| {
        let mut t = MTable::numeric(&["content", "baseline peak", "current peak", "change"]);
        for m in list {
            t.row(vec![
                m.title.clone().unwrap_or_else(|| m.guid.clone()),
                count(m.baseline_peak),
                count(m.current_peak),
                signed_count(m.change),
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

/// A window as `first – last` instant (UTC, to the minute; the end is exclusive, so the
/// last instant shown is one microsecond before it).
pub fn window(w: &Option<Window>) -> String {
    match w {
        Some(w) => format!(
            "{} to {} UTC ({} days)",
            minute(w.start.0, Tz::UTC),
            minute(w.end.0 - 1, Tz::UTC),
            fixed(w.days, 1)
        ),
        None => "no data".into(),
    }
}
