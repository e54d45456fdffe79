//! Renderers: one per format behind one entry point, [`render`], for anything
//! [`Renderable`] (the analysis report, `compare`, `trend`). They lay out and word the
//! figures, written by [`crate::format`]; they never compute. [`write_atomically`] gives
//! `-o FILE` its all-or-nothing write.
//!
//! The terminal, Markdown and HTML share one description of the sections (built from the
//! types in [`markup`]: [`document`] for the analysis report, [`compare`] and [`trend`] for
//! the other two) and differ only in syntax; the HTML charts come from [`charts`]. JSON
//! serialises the model's tree as it is.

pub mod charts;
mod charts_bars;
mod charts_footprints;
pub mod compare;
pub mod document;
mod document_capacity;
mod document_chronicle;
mod document_footprints;
mod document_inputs;
pub mod html;
pub mod json;
pub mod markdown;
pub mod markup;
pub mod tables;
#[cfg(feature = "parquet")]
pub mod tables_parquet;
pub mod terminal;
pub mod trend;

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::error::Result;
use crate::model::over_time::compare::CompareReport;
use crate::model::over_time::trend::TrendReport;
use crate::model::Report;
use markup::Document;

/// Output formats. The command line maps its own flag values onto these, so the
/// renderers never see clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned tables for a terminal.
    Terminal,
    /// The documented JSON contract.
    Json,
    /// GitHub-flavoured Markdown.
    Markdown,
    /// One self-contained HTML page with charts.
    Html,
}

impl Format {
    /// The format implied by an output file's extension (case-insensitive); terminal when
    /// there is no file or the extension is not one of the formats'.
    pub fn from_path(path: Option<&Path>) -> Format {
        let ext = path
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("json") => Format::Json,
            Some("md" | "markdown") => Format::Markdown,
            Some("html" | "htm") => Format::Html,
            _ => Format::Terminal,
        }
    }
}

/// What the renderers can show: a JSON tree (the value itself) and a [`Document`] of
/// sections for the terminal, Markdown and HTML.
pub trait Renderable: Serialize {
    /// The sections, tables and prose.
    fn document(&self) -> Document;
    /// The full report whose charts the HTML and terminal formats draw, if any.
    fn charts(&self) -> Option<&Report> {
        None
    }
}

impl Renderable for Report {
    fn document(&self) -> Document {
        document::document(self)
    }
    fn charts(&self) -> Option<&Report> {
        Some(self)
    }
}

impl Renderable for CompareReport {
    fn document(&self) -> Document {
        compare::document(self)
    }
}

impl Renderable for TrendReport {
    fn document(&self) -> Document {
        trend::document(self)
    }
}

/// The one render entry point: `item` in `format` to `out`. `color` styles the terminal
/// format (headings bold, the recommendation highlighted) and is ignored by the others.
pub fn render<T: Renderable>(
    item: &T,
    format: Format,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => json::write_json(item, out),
        Format::Markdown => markdown::write_document(&item.document(), out),
        Format::Html => html::page(&item.document(), item.charts(), out),
        Format::Terminal => terminal::write_document(&item.document(), item.charts(), color, out),
    }
}

/// Writes `item` to `path` through a temporary file in the same folder, renamed into
/// place only when complete, so a reader never sees a half-written report. The report
/// gets the mode the umask gives (0644 under umask 022), like any tool's output.
pub fn write_atomically<T: Renderable>(item: &T, format: Format, path: &Path) -> Result<()> {
    Ok(crate::atomic::write_shared(path, |out| {
        render(item, format, false, out)
    })?)
}
