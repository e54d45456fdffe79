//! Markdown renderer (GitHub-flavoured): the shared document's sections for wikis and
//! e-mail. Charts are left out (the tables carry their numbers). Every text is escaped so
//! `|` cannot split a table cell, Markdown punctuation stays literal and no raw HTML from
//! the data gets through.

use std::io::{self, Write};

use super::markup::{Block, Callout, Document, Figure, Span, Table};
/// Writes any document as Markdown.
pub fn write_document(doc: &Document, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# {}\n", esc(&doc.title))?;
    for m in &doc.meta {
        writeln!(out, "{}\n", esc(m))?;
    }
    let toc: Vec<String> = doc
        .sections
        .iter()
        .map(|s| format!("[{}](#{})", esc_inline(&s.title), anchor(&s.title)))
        .collect();
    writeln!(out, "Sections: {}\n", toc.join(" · "))?;
    for s in &doc.sections {
        writeln!(out, "## {}\n", esc(&s.title))?;
        blocks(&s.blocks, "", out)?;
    }
    Ok(())
}

/// GitHub's heading anchor: lower case, spaces to `-`, punctuation dropped.
fn anchor(title: &str) -> String {
    title
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Escapes text that starts a line: as [`esc_inline`], and a leading `-` or `+` that
/// would start a list.
pub fn esc(s: &str) -> String {
    match s.chars().next() {
        Some(c @ ('-' | '+')) => format!("\\{c}{}", esc_inline(&s[1..])),
        _ => esc_inline(s),
    }
}

/// Escapes text inside a line: Markdown punctuation and the HTML-significant `<`, `>`
/// and `&` with a backslash (CommonMark reads `\<script>` as the text `<script>`, never
/// as a tag, and the raw file stays readable: `99 % \< 99.9 %`, not `&lt;`), line breaks
/// as spaces. Quotes need nothing outside a tag.
pub fn esc_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' | '<' | '>' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Writes blocks, each line prefixed (`> ` inside a call-out).
fn blocks(list: &[Block], prefix: &str, out: &mut dyn Write) -> io::Result<()> {
    let blank = prefix.trim_end();
    for b in list {
        match b {
            Block::Para(spans) => writeln!(out, "{prefix}{}\n{blank}", inline(spans))?,
            Block::Note(text) => writeln!(out, "{prefix}*{}*\n{blank}", esc_inline(text))?,
            Block::Heading(text) => writeln!(out, "{prefix}### {}\n{blank}", esc_inline(text))?,
            Block::List(items) => {
                if !items.is_empty() {
                    for i in items {
                        writeln!(out, "{prefix}- {}", esc(i))?;
                    }
                    writeln!(out, "{blank}")?;
                }
            }
            Block::Table(t) => table(t, prefix, out)?,
            Block::Figures(f) => figures(f, prefix, out)?,
            Block::Callout(c) => callout(c, out)?,
            Block::Chart(_) => {}
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
            Span::Strong(t) => format!("**{}**", esc_inline(t)),
        })
        .collect()
}

/// A table cell: escaped, `\n` as `<br>` (the one tag GitHub tables need for a line break).
fn cell(text: &str) -> String {
    text.split('\n')
        .map(esc_inline)
        .collect::<Vec<_>>()
        .join("<br>")
}

fn table(t: &Table, prefix: &str, out: &mut dyn Write) -> io::Result<()> {
    let head: Vec<String> = t.head.iter().map(|h| cell(h)).collect();
    writeln!(out, "{prefix}| {} |", head.join(" | "))?;
    let rule: Vec<&str> = (0..t.head.len())
        .map(|i| {
            if t.numeric.get(i).copied().unwrap_or(false) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    writeln!(out, "{prefix}| {} |", rule.join(" | "))?;
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        writeln!(out, "{prefix}| {} |", cells.join(" | "))?;
    }
    writeln!(out, "{}", prefix.trim_end())
}

fn figures(list: &[Figure], prefix: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut t = Table::text(&["key figure", "value", ""]);
    for f in list {
        t.row(vec![f.label.clone(), f.value.clone(), f.note.clone()]);
    }
    table(&t, prefix, out)
}

fn callout(c: &Callout, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "> **{}**\n>", esc(&c.title))?;
    blocks(&c.blocks, "> ", out)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_tables_whole_and_html_out() {
        assert_eq!(esc("a|b"), "a\\|b");
        // Checked with a CommonMark renderer (markdown-it-py, tables on): both render as
        // text, `&lt;script&gt;...` and `&quot;&gt;&lt;img ...&gt;`, with no tag.
        assert_eq!(
            esc("<script>alert(1)</script>"),
            "\\<script\\>alert(1)\\</script\\>"
        );
        assert_eq!(
            esc("\"><img src=x onerror=alert(1)>"),
            "\"\\>\\<img src=x onerror=alert(1)\\>"
        );
        assert_eq!(esc("R&D &amp; ops"), "R\\&D \\&amp; ops");
        assert_eq!(
            esc("min_processes *x* [y](z)"),
            "min\\_processes \\*x\\* \\[y\\](z)"
        );
        assert_eq!(esc("- not a list"), "\\- not a list");
        assert_eq!(esc_inline("- in a cell"), "- in a cell");
        assert_eq!(esc("a\nb"), "a b");
    }

    #[test]
    fn anchors_follow_github() {
        assert_eq!(
            anchor("The six questions of Posit's scaling guidance"),
            "the-six-questions-of-posits-scaling-guidance"
        );
        assert_eq!(
            anchor("Publishers, consumers and content types"),
            "publishers-consumers-and-content-types"
        );
    }
}
