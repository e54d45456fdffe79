//! Renderers: one per format, each `render(&Report, &mut dyn Write)`. They format and
//! round; they never compute. [`write_atomically`] gives `-o FILE` its all-or-nothing write.
//!
//! HTML and Markdown share one description of the sections ([`document`], built from the
//! types in [`markup`]) and differ only in syntax; the HTML charts come from [`charts`].

pub mod charts;
mod charts_bars;
pub mod compare;
pub mod document;
mod document_capacity;
pub mod html;
pub mod json;
pub mod markdown;
pub mod markup;
pub mod terminal;
pub mod trend;

use std::io::Write;
use std::path::Path;

use crate::cli::Format;
use crate::error::Result;
use crate::model::Report;

/// Renders `report` in `format` to `out`, without terminal colour.
pub fn render(report: &Report, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    render_styled(report, format, false, out)
}

/// Renders `report` in `format` to `out`; `color` styles the terminal format (headings
/// bold, the recommendation highlighted) and is ignored by the file formats.
pub fn render_styled(
    report: &Report,
    format: Format,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Terminal => terminal::render_styled(report, color, out),
        Format::Json => json::render(report, out),
        Format::Markdown => markdown::render(report, out),
        Format::Html => html::render(report, out),
    }
}

/// Writes `report` to `path` through a temporary file in the same folder, renamed into
/// place only when complete, so a reader never sees a half-written report.
pub fn write_atomically(report: &Report, format: Format, path: &Path) -> Result<()> {
    crate::atomic::write(path, |out| render(report, format, out))
}
