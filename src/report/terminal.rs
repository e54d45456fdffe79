//! Terminal renderer: the shared [`Document`] (the same sections as Markdown and HTML) as
//! headed, wrapped text and aligned tables (comfy-table). Colour (bold headings, the
//! recommendation in green) only when the caller asks for it: a TTY without `NO_COLOR`.
//! Charts are left out except the hour-of-week profile, drawn as a grid of shades; the
//! tables carry every other chart's numbers.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table as Grid, Width};

use super::markup::{Block, Callout, ChartKind, Document, Figure, Span, Table};
use crate::format::fixed;
use crate::model::usage::profile::HourOfWeek;
use crate::model::Report;

/// Text is wrapped at this many columns.
const WIDTH: usize = 100;

/// Tables are fitted to this many columns where their text cells can wrap.
const TABLE_WIDTH: u16 = 120;

/// Writes any document as terminal text; charts are drawn from `r` where the terminal can.
pub fn write_document(
    doc: &Document,
    r: Option<&Report>,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let p = Paint(color);
    writeln!(out, "{}", p.bold(&doc.title))?;
    for m in &doc.meta {
        writeln!(out, "{}", wrap(m, "", ""))?;
    }
    for s in &doc.sections {
        writeln!(
            out,
            "\n{}\n{}",
            p.bold(&s.title),
            "─".repeat(s.title.chars().count())
        )?;
        blocks(&s.blocks, r, p, "", out)?;
    }
    Ok(())
}

/// Whether to colour, and how.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    /// `text` in `style` when colouring, else as is.
    fn paint(self, style: Style, text: &str) -> String {
        if self.0 {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    fn bold(self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    /// The recommendation: bold green.
    fn highlight(self, text: &str) -> String {
        self.paint(
            Style::new().bold().fg_color(Some(AnsiColor::Green.into())),
            text,
        )
    }
}

/// Writes blocks with every line indented by `indent`.
fn blocks(
    list: &[Block],
    r: Option<&Report>,
    p: Paint,
    indent: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    for b in list {
        match b {
            Block::Para(spans) => {
                let plain: String = spans
                    .iter()
                    .map(|s| match s {
                        Span::Text(t) | Span::Strong(t) => t.as_str(),
                    })
                    .collect();
                let text = wrap(&plain, indent, indent);
                // Strong runs are bolded after wrapping, so colour codes never count as
                // width; a run split across lines simply stays plain.
                let text = spans.iter().fold(text, |acc, s| match s {
                    Span::Strong(t) if p.0 && !t.is_empty() => acc.replacen(t, &p.bold(t), 1),
                    _ => acc,
                });
                writeln!(out, "{text}")?;
            }
            Block::Note(text) => writeln!(out, "{}", wrap(text, indent, indent))?,
            Block::Heading(text) => writeln!(out, "{indent}{}", p.bold(text))?,
            Block::List(items) => {
                for i in items {
                    let first = format!("{indent}- ");
                    let rest = format!("{indent}  ");
                    writeln!(out, "{}", wrap(i, &first, &rest))?;
                }
            }
            Block::Table(t) => table(t, indent, out)?,
            Block::Figures(f) => figures(f, indent, out)?,
            Block::Callout(c) => callout(c, r, p, indent, out)?,
            Block::Chart(c) => {
                if let (ChartKind::HourOfWeek, Some(h)) =
                    (c.kind, r.and_then(|r| r.hour_of_week.as_ref()))
                {
                    hour_of_week_grid(&h.sessions, indent, out)?;
                }
            }
        }
    }
    Ok(())
}

/// A table with the house look: borders only, numeric columns right-aligned, fitted to
/// [`TABLE_WIDTH`] by wrapping long text cells.
fn table(t: &Table, indent: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut g = Grid::new();
    g.load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(TABLE_WIDTH)
        .set_header(t.head.clone());
    for row in &t.rows {
        g.add_row(row.clone());
    }
    for (i, numeric) in t.numeric.iter().enumerate() {
        let unbroken = longest_word(t, i).min(MAX_UNBROKEN) + 2; // with the padding
        if let Some(c) = g.column_mut(i) {
            c.set_cell_alignment(if *numeric {
                CellAlignment::Right
            } else {
                CellAlignment::Left
            });
            // Wrapping may break lines between words, never inside one ("process/es").
            c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(unbroken)));
        }
    }
    for line in g.to_string().lines() {
        writeln!(out, "{indent}{line}")?;
    }
    Ok(())
}

/// Words longer than this may still be broken, so that one long name cannot widen its
/// column past the table.
const MAX_UNBROKEN: u16 = 24;

/// The longest word (in characters) of column `i`, its header included.
fn longest_word(t: &Table, i: usize) -> u16 {
    let cells = std::iter::once(t.head.get(i)).chain(t.rows.iter().map(|r| r.get(i)));
    let longest = cells
        .flatten()
        .flat_map(|c| c.split_whitespace())
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(0);
    u16::try_from(longest).unwrap_or(u16::MAX)
}

fn figures(list: &[Figure], indent: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut t = Table::text(&["key figure", "value", ""]);
    for f in list {
        t.row(vec![f.label.clone(), f.value.clone(), f.note.clone()]);
    }
    table(&t, indent, out)
}

fn callout(
    c: &Callout,
    r: Option<&Report>,
    p: Paint,
    indent: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "{indent}{}", p.highlight(&c.title))?;
    blocks(&c.blocks, r, p, &format!("{indent}  "), out)
}

/// Block characters from low to high for the hour-of-week grid.
const SHADES: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The shade of `mean` on a scale whose top is `top` (`·` for a slot that never occurs).
fn shade(mean: Option<f64>, top: f64) -> char {
    match mean {
        None => '·',
        Some(_) if top <= 0.0 => SHADES[0],
        Some(m) => {
            let steps = (SHADES.len() - 1) as f64;
            let i = (m / top * steps).ceil().clamp(0.0, steps) as usize;
            SHADES[i]
        }
    }
}

/// The hour-of-week profile as a 7 x 24 grid of shades, one line per weekday.
fn hour_of_week_grid(h: &HourOfWeek, indent: &str, out: &mut dyn Write) -> io::Result<()> {
    let Some(b) = &h.busiest else {
        return Ok(());
    };
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    writeln!(
        out,
        "{indent}  scale: ' ' none, ▁ to █ up to the busiest slot ({} sessions), · hour absent (DST)",
        fixed(b.mean_peak, 1)
    )?;
    writeln!(out, "{indent}      0     6     12    18")?;
    for (name, hours) in DAYS.iter().zip(&h.means) {
        let cells: String = hours.iter().map(|m| shade(*m, b.mean_peak)).collect();
        writeln!(out, "{indent}  {name} {cells}")?;
    }
    Ok(())
}

/// Wraps `text` at [`WIDTH`]: the first line starts with `first`, the others with `rest`.
/// Explicit line breaks in `text` are kept.
fn wrap(text: &str, first: &str, rest: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for (n, para) in text.split('\n').enumerate() {
        let mut line = String::new();
        let mut prefix = if n == 0 { first } else { rest };
        for word in para.split_whitespace() {
            let used = prefix.chars().count() + line.chars().count();
            if !line.is_empty() && used + 1 + word.chars().count() > WIDTH {
                lines.push(format!("{prefix}{line}"));
                line.clear();
                prefix = rest;
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(format!("{prefix}{line}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shade_scales_to_the_busiest_slot() {
        // Top 8.0 and eight steps: 1.0 is one step, 8.0 the full block; anything above 0
        // shows at least the lowest block, a slot that never occurs shows a dot.
        assert_eq!(shade(Some(8.0), 8.0), '█');
        assert_eq!(shade(Some(1.0), 8.0), '▁');
        assert_eq!(shade(Some(0.01), 8.0), '▁');
        assert_eq!(shade(Some(0.0), 8.0), ' ');
        assert_eq!(shade(Some(4.5), 8.0), '▅');
        assert_eq!(shade(None, 8.0), '·');
        assert_eq!(shade(Some(0.0), 0.0), ' ');
    }

    #[test]
    fn wrap_keeps_words_whole_and_indents_continuations() {
        let text = "word ".repeat(40);
        let w = wrap(text.trim(), "- ", "  ");
        let lines: Vec<&str> = w.lines().collect();
        assert!(lines.len() > 1);
        assert!(lines[0].starts_with("- word"));
        assert!(lines[1..].iter().all(|l| l.starts_with("  word")));
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
        assert_eq!(wrap("a\nb", "", "> "), "a\n> b");
    }
}
