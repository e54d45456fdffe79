//! `analyze`: read exports (or fetch them from a server first), print the capacity report,
//! keep the history and raise the utilisation alert.

use std::io;
use std::path::PathBuf;

use clap::Args;

use super::shared::{
    alert_line, emit, history_aliases, note_stored, read_data, snapshot_figures, spinner,
};
use super::Outcome;
use crate::cli::{AnalyzeServerArgs, DataArgs, OutputArgs, WatchArgs, WatchSettings};
use crate::error::Result;
use crate::history;
use crate::ingest::IngestOptions;
use crate::model::{self, Options};
use crate::report::Format;

/// Arguments of `analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Export files (.csv, .csv.gz) or folders to search recursively.
    #[arg(
        required_unless_present = "server",
        conflicts_with = "server",
        value_name = "EXPORTS"
    )]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub watch: WatchArgs,
    #[command(flatten)]
    pub server: AnalyzeServerArgs,
}

/// Validated settings of `analyze`.
#[derive(Debug, Clone)]
pub struct AnalyzeSettings {
    pub paths: Vec<PathBuf>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub ingest: IngestOptions,
    pub model: Options,
    pub watch: WatchSettings,
    /// `--server`: fetch into this cache first, then analyse it.
    pub fetch: Option<crate::fetch::FetchSettings>,
    /// `--anonymize`: pseudonyms for user names, e-mails and GUIDs.
    pub anonymize: bool,
}

impl AnalyzeArgs {
    /// Validates the arguments into settings; errors are usage errors (exit 2).
    pub fn settings(&self) -> Result<AnalyzeSettings> {
        let (ingest, mut model) = self.data.options()?;
        let watch = self.watch.settings()?;
        model.capacity.server = watch.server;
        let format = self.out.format();
        let fetch = self.server.settings(model.from, model.to)?;
        Ok(AnalyzeSettings {
            paths: self.paths.clone(),
            format,
            output: self.out.output.clone(),
            ingest,
            model,
            watch,
            fetch,
            anonymize: self.data.anonymize,
        })
    }
}

/// `analyze`: the report, then the history, then the alert (with `--server`, a fetch into
/// the cache first).
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<Outcome> {
    let s = &args.settings()?;
    let paths = match &s.fetch {
        Some(f) => {
            crate::fetch::run(f, &mut io::stderr())?;
            vec![f.out.clone()]
        }
        None => s.paths.clone(),
    };
    // Ingest draws its own progress bar for large inputs; the spinner covers the analysis.
    let (data, [opts]) = read_data(&paths, &s.ingest, s.anonymize, [&s.model])?;
    let spinner = spinner("analysing");
    let report = model::analyze(&data, &opts);
    spinner.finish_and_clear();
    let report = report?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    emit(&report, s.format, s.output.as_deref())?;
    if let Some(dir) = &s.watch.history {
        let figures = snapshot_figures(&data, &opts, &s.model, s.watch.every)?;
        note_stored(
            dir,
            &history::store(dir, &figures, &history_aliases(&s.model))?,
        );
    }
    Ok(Outcome {
        alert: report.utilisation.as_ref().and_then(alert_line),
    })
}
