//! One description of the report's sections, tables and charts that the terminal, HTML
//! and Markdown renderers each write out in their own syntax (the idea of hyperfine's `MarkupExporter`:
//! the structure once, the syntax twice). Every string in it is plain text; each syntax
//! escapes all of it when writing, so data (titles, usernames, paths) can never turn into
//! markup. Numbers and times are written by [`crate::format`], where all rounding happens.

use crate::format::count;
use crate::model::capacity::architecture::Architecture;

/// A whole report.
#[derive(Debug, Clone)]
pub struct Document {
    /// The page title.
    pub title: String,
    /// Lines under the title: window, zone, inputs.
    pub meta: Vec<String>,
    /// Sections in reading order.
    pub sections: Vec<Section>,
}

/// A headed section.
#[derive(Debug, Clone)]
pub struct Section {
    /// Anchor id (ASCII, stable).
    pub id: &'static str,
    /// Heading text.
    pub title: String,
    /// Content in order.
    pub blocks: Vec<Block>,
}

/// A piece of a section.
#[derive(Debug, Clone)]
pub enum Block {
    /// A paragraph of plain and strong runs.
    Para(Vec<Span>),
    /// A small explanatory note.
    Note(String),
    /// A sub-heading.
    Heading(String),
    /// A bulleted list.
    List(Vec<String>),
    /// A table.
    Table(Table),
    /// Key figures, shown as cards in HTML.
    Figures(Vec<Figure>),
    /// A highlighted box (the recommendation).
    Callout(Callout),
    /// A chart (HTML only; Markdown carries the same numbers in the tables).
    Chart(Chart),
}

/// A run of text.
#[derive(Debug, Clone)]
pub enum Span {
    /// Plain text.
    Text(String),
    /// Emphasised text.
    Strong(String),
}

/// A table: a header row and body rows of plain-text cells (`\n` breaks a line).
#[derive(Debug, Clone)]
pub struct Table {
    /// Column headings.
    pub head: Vec<String>,
    /// Right-aligned (numeric) columns.
    pub numeric: Vec<bool>,
    /// Body rows, each as long as `head`.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table whose first column is text and every other numeric.
    pub fn numeric(head: &[&str]) -> Self {
        Table {
            head: head.iter().map(|h| h.to_string()).collect(),
            numeric: (0..head.len()).map(|i| i > 0).collect(),
            rows: Vec::new(),
        }
    }

    /// A table of text columns.
    pub fn text(head: &[&str]) -> Self {
        Table {
            head: head.iter().map(|h| h.to_string()).collect(),
            numeric: vec![false; head.len()],
            rows: Vec::new(),
        }
    }

    /// Marks column `i` numeric (or not).
    pub fn align(mut self, i: usize, numeric: bool) -> Self {
        if let Some(n) = self.numeric.get_mut(i) {
            *n = numeric;
        }
        self
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

/// One key figure.
#[derive(Debug, Clone)]
pub struct Figure {
    /// What it is.
    pub label: String,
    /// The figure.
    pub value: String,
    /// Context under it.
    pub note: String,
}

/// A highlighted box.
#[derive(Debug, Clone)]
pub struct Callout {
    /// Its headline.
    pub title: String,
    /// Its content.
    pub blocks: Vec<Block>,
}

/// Which chart, and the sentence that says what it shows.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The chart.
    pub kind: ChartKind,
    /// Caption under it.
    pub caption: String,
}

/// The charts of the HTML report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Daily peak and average of sessions, users and processes.
    Concurrency,
    /// Hour-of-week heat map.
    HourOfWeek,
    /// Distribution of daily peaks with the 90 %-of-peak line.
    DailyPeaks,
    /// Top content by peak.
    TopContent,
    /// Monthly growth with the fitted trend and projection.
    Growth,
    /// Sizing scenarios.
    Sizing,
    /// Memory per process of each measured item.
    Footprints,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A readable architecture name.
pub fn arch_name(a: Architecture) -> &'static str {
    match a {
        Architecture::SingleServer => "Single server, scaled vertically",
        Architecture::Cluster => "Load-balanced cluster",
        Architecture::Kubernetes => "Kubernetes off-host execution",
    }
}

/// `1 node` / `3 nodes`.
pub fn nodes(n: u32) -> String {
    if n == 1 {
        "1 node".into()
    } else {
        format!("{} nodes", count(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_covers_the_five_significant_characters() {
        assert_eq!(
            escape_html(r#"<script>alert('x')</script> & "q""#),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape_html("plain é"), "plain é");
    }
}
