//! HTML renderer: one self-contained page (inline CSS, inline SVG charts, no script, no
//! external reference) that prints well. Every text from the shared document is escaped
//! here, in one place, so no data string can become markup.

use std::io::{self, Write};

use super::charts;
use super::markup::{
    escape_html as esc, Block, Callout, Chart, ChartKind, Document, Figure, Span, Table,
};
use crate::model::Report;

/// The page's style sheet: a light theme, and print rules that keep figures whole.
const CSS: &str = include_str!("report.css");

/// Writes a document as a page; its charts are drawn from `r` (without one they are left
/// out).
pub fn page(doc: &Document, r: Option<&Report>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(out, "<title>{}</title>", esc(&doc.title))?;
    writeln!(out, "<style>\n{CSS}</style>\n</head>\n<body>")?;
    writeln!(out, "<header>\n<h1>{}</h1>", esc(&doc.title))?;
    for m in &doc.meta {
        writeln!(out, "<p class=\"meta\">{}</p>", esc(m))?;
    }
    writeln!(
        out,
        "</header>\n<nav class=\"toc\" aria-label=\"Sections\">"
    )?;
    for s in &doc.sections {
        writeln!(out, "<a href=\"#{}\">{}</a>", s.id, esc(&s.title))?;
    }
    writeln!(out, "</nav>\n<main>")?;
    for s in &doc.sections {
        writeln!(out, "<section id=\"{}\">\n<h2>{}</h2>", s.id, esc(&s.title))?;
        blocks(r, &s.blocks, 3, out)?;
        writeln!(out, "</section>")?;
    }
    writeln!(
        out,
        "</main>\n<footer>{} {}: every figure above is computed from the exports; the JSON \
         output carries them at full precision.</footer>\n</body>\n</html>",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    )
}

/// Writes blocks; sub-headings at level `h`.
fn blocks(r: Option<&Report>, list: &[Block], h: u8, out: &mut dyn Write) -> io::Result<()> {
    for b in list {
        match b {
            Block::Para(spans) => writeln!(out, "<p>{}</p>", inline(spans))?,
            Block::Note(text) => writeln!(out, "<p class=\"note\">{}</p>", esc(text))?,
            Block::Heading(text) => writeln!(out, "<h{h}>{}</h{h}>", esc(text))?,
            Block::List(items) => {
                if !items.is_empty() {
                    writeln!(out, "<ul>")?;
                    for i in items {
                        writeln!(out, "<li>{}</li>", esc(i))?;
                    }
                    writeln!(out, "</ul>")?;
                }
            }
            Block::Table(t) => table(t, out)?,
            Block::Figures(f) => figures(f, out)?,
            Block::Callout(c) => callout(r, c, h, out)?,
            Block::Chart(c) => chart(r, c, out)?,
        }
    }
    Ok(())
}

/// Plain and strong runs.
fn inline(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| match s {
            Span::Text(t) => esc(t),
            Span::Strong(t) => format!("<strong>{}</strong>", esc(t)),
        })
        .collect()
}

/// A cell's text with `\n` as line breaks.
fn cell(text: &str) -> String {
    text.split('\n').map(esc).collect::<Vec<_>>().join("<br>")
}

fn table(t: &Table, out: &mut dyn Write) -> io::Result<()> {
    let class = |i: usize| {
        if t.numeric.get(i).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        }
    };
    writeln!(out, "<div class=\"table-wrap\"><table>\n<thead><tr>")?;
    for (i, h) in t.head.iter().enumerate() {
        write!(out, "<th{}>{}</th>", class(i), esc(h))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    for row in &t.rows {
        write!(out, "<tr>")?;
        for (i, c) in row.iter().enumerate() {
            write!(out, "<td{}>{}</td>", class(i), cell(c))?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody>\n</table></div>")
}

fn figures(list: &[Figure], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<div class=\"figures\">")?;
    for f in list {
        writeln!(
            out,
            "<div class=\"figure\"><div class=\"label\">{}</div><div class=\"value\">{}</div>\
             <div class=\"fnote\">{}</div></div>",
            esc(&f.label),
            keep_units(&esc(&f.value)),
            esc(&f.note)
        )?;
    }
    writeln!(out, "</div>")
}

/// Joins each number to the word after it with a no-break space, so a card's value wraps
/// between figures ("32 cores, / 40 GiB"), never between a figure and its unit.
fn keep_units(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len());
    let mut after_digit = false;
    for c in escaped.chars() {
        if c == ' ' && after_digit {
            out.push_str("&nbsp;");
        } else {
            out.push(c);
        }
        after_digit = c.is_ascii_digit();
    }
    out
}

fn callout(r: Option<&Report>, c: &Callout, h: u8, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<div class=\"callout\">\n<p class=\"headline\">{}</p>",
        esc(&c.title)
    )?;
    blocks(r, &c.blocks, h + 1, out)?;
    writeln!(out, "</div>")
}

fn chart(r: Option<&Report>, c: &Chart, out: &mut dyn Write) -> io::Result<()> {
    let Some(r) = r else {
        return Ok(());
    };
    let svg = match c.kind {
        ChartKind::Concurrency => charts::concurrency(r),
        ChartKind::HourOfWeek => charts::hour_of_week(r),
        ChartKind::DailyPeaks => charts::daily_peaks(r),
        ChartKind::TopContent => charts::top_content(r),
        ChartKind::Growth => charts::growth(r),
        ChartKind::Sizing => charts::sizing(r),
        ChartKind::Footprints => charts::footprints(r),
    };
    match svg {
        Some(svg) => writeln!(
            out,
            "<figure>\n{svg}<figcaption>{}</figcaption>\n</figure>",
            esc(&c.caption)
        ),
        None => writeln!(
            out,
            "<p class=\"note\">Chart not available: not enough data.</p>"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::keep_units;

    #[test]
    fn numbers_keep_their_units() {
        assert_eq!(keep_units("32 cores, 40 GiB"), "32&nbsp;cores, 40&nbsp;GiB");
        assert_eq!(keep_units("+4.6 %/month"), "+4.6&nbsp;%/month");
        assert_eq!(keep_units("Single server"), "Single server");
    }
}
