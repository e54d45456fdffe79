//! Renderers: one per format, each `render(&Report, &mut dyn Write)`. They format and
//! round; they never compute. [`write_atomically`] gives `-o FILE` its all-or-nothing write.

pub mod compare;
pub mod json;
pub mod terminal;
pub mod trend;

use std::io::Write;
use std::path::Path;

use crate::cli::Format;
use crate::error::Result;
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
    crate::atomic::write(path, |out| render(report, format, out))
}
