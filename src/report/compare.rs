//! `compare` as a [`Document`] for the terminal, Markdown and HTML: key figures side by
//! side with absolute and relative change, the content mix, and the top risers and
//! fallers by content peak.

use chrono_tz::Tz;

use super::markup::{Block, Document, Section, Span, Table as MTable};
use crate::format::{
    count, days, figure, minute, or_dash, signed_count, signed_figure, signed_percent, MISSING,
};
use crate::model::over_time::compare::{Change, CompareReport, Comparison, ContentChange};
use crate::model::wire::Window;

/// The comparison as a document for the terminal, Markdown and HTML.
pub fn document(r: &CompareReport) -> Document {
    let c = &r.comparison;
    let mut sections = vec![key_figures(c)];
    if !c.content_mix.is_empty() {
        sections.push(Section {
            id: "mix",
            title: "Content mix".into(),
            blocks: vec![Block::Table(figures_table(&c.content_mix))],
        });
    }
    sections.extend(movers(c));
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

/// The recommended architecture of each period and the key figures side by side.
fn key_figures(c: &Comparison) -> Section {
    let (a, b) = &c.architecture;
    Section {
        id: "figures",
        title: "Key figures".into(),
        blocks: vec![
            Block::Para(vec![
                Span::Text("Recommended architecture: ".into()),
                Span::Strong(format!(
                    "{} then {}",
                    a.as_deref().unwrap_or(MISSING),
                    b.as_deref().unwrap_or(MISSING)
                )),
            ]),
            Block::Table(figures_table(&c.figures)),
        ],
    }
}

/// Figures with baseline, current, absolute and relative change.
fn figures_table(list: &[Change]) -> MTable {
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
}

/// The top risers and fallers by content peak, when there are any.
fn movers(c: &Comparison) -> Option<Section> {
    let mut blocks = Vec::new();
    for (heading, list) in [
        ("Top risers (peak concurrent sessions)", &c.risers),
        ("Top fallers (peak concurrent sessions)", &c.fallers),
    ] {
        if !list.is_empty() {
            blocks.push(Block::Heading(heading.into()));
            blocks.push(Block::Table(movers_table(list)));
        }
    }
    (!blocks.is_empty()).then(|| Section {
        id: "movers",
        title: "Risers and fallers".into(),
        blocks,
    })
}

/// Content items with their peak in each period and the change.
fn movers_table(list: &[ContentChange]) -> MTable {
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
}

/// A window as `first – last` instant (UTC, to the minute; the end is exclusive, so the
/// last instant shown is one microsecond before it).
pub fn window(w: &Option<Window>) -> String {
    match w {
        Some(w) => format!(
            "{} to {} UTC ({})",
            minute(w.start.0, Tz::UTC),
            minute(w.end.0 - 1, Tz::UTC),
            days(w.days, 1)
        ),
        None => "no data".into(),
    }
}
