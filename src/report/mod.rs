//! Renderers: one per format, each `render(&Report, &mut dyn Write)`. They format and
//! round; they never compute. [`write_atomically`] gives `-o FILE` its all-or-nothing write.
//!
//! HTML and Markdown share one description of the sections ([`document`], built from the
//! types in [`markup`]) and differ only in syntax; the HTML charts come from [`charts`].

pub mod charts;
mod charts_bars;
pub mod document;
mod document_capacity;
pub mod html;
pub mod json;
pub mod markdown;
pub mod markup;
pub mod terminal;

use std::io::Write;
use std::path::Path;

use crate::cli::Format;
use crate::error::{Error, Result};
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
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".connect-capacity-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    let mut buf = std::io::BufWriter::new(tmp.as_file_mut());
    render(report, format, &mut buf).map_err(|e| Error::io(path, e))?;
    buf.flush().map_err(|e| Error::io(path, e))?;
    drop(buf);
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}
