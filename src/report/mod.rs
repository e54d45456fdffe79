//! Renderers: one per format, each `render(&Report, &mut dyn Write)`. They format and
//! round; they never compute. [`write_atomically`] gives `-o FILE` its all-or-nothing write.

pub mod json;
pub mod terminal;

use std::io::Write;
use std::path::Path;

use crate::cli::Format;
use crate::error::{Error, Result};
use crate::model::Report;

/// Renders `report` in `format` to `out`.
pub fn render(report: &Report, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Terminal => terminal::render(report, out),
        Format::Json => json::render(report, out),
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
