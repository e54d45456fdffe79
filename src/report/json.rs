//! JSON renderer: the report tree with full precision (the documented contract).

use std::io::Write;

use crate::model::Report;

/// Writes the report as pretty-printed JSON followed by a newline.
pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::other)?;
    writeln!(out)
}
