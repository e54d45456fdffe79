//! `analyze`: read exports (or fetch them from a server first), print the capacity report,
//! keep the history and raise the utilisation alert.

use std::io;
use std::path::{Path, PathBuf};

use clap::Args;

use super::shared::{
    alert_line, emit, history_aliases, note_stored, read_data, snapshot_figures, spinner,
};
use super::Outcome;
use crate::cli::{AnalyzeServerArgs, DataArgs, OutputArgs, WatchArgs, WatchSettings};
use crate::error::{Error, Result};
use crate::history;
use crate::ingest::IngestOptions;
use crate::model::{self, Options};
use crate::report::tables::TableFormat;
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
    /// Also write the derived tables (days, content, hour_of_week, months, scenarios) into
    /// this folder, one file each; not inside an input folder, nor one holding an input.
    #[arg(long, value_name = "DIR")]
    pub tables: Option<PathBuf>,
    /// File format of `--tables`: parquet (needs the `parquet` feature) or csv.
    #[arg(
        long,
        value_enum,
        default_value_t = TablesFormatArg::Parquet,
        requires = "tables"
    )]
    pub tables_format: TablesFormatArg,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub watch: WatchArgs,
    #[command(flatten)]
    pub server: AnalyzeServerArgs,
}

/// `--tables-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TablesFormatArg {
    Parquet,
    Csv,
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
    /// `--tables DIR` and its format.
    pub tables: Option<(PathBuf, TableFormat)>,
}

impl AnalyzeArgs {
    /// Validates the arguments into settings; errors are usage errors (exit 2).
    pub fn settings(&self) -> Result<AnalyzeSettings> {
        let (ingest, mut model) = self.data.options()?;
        let watch = self.watch.settings()?;
        model.capacity.server = watch.server;
        let format = self.out.format();
        let fetch = self.server.settings(model.from, model.to)?;
        let inputs: Vec<PathBuf> = match &fetch {
            Some(f) => vec![f.out.clone()],
            None => self.paths.clone(),
        };
        let tables = match &self.tables {
            Some(dir) => Some((tables_dir(dir, &inputs)?, self.tables_format()?)),
            None => None,
        };
        Ok(AnalyzeSettings {
            paths: self.paths.clone(),
            format,
            output: self.out.output.clone(),
            ingest,
            model,
            watch,
            fetch,
            anonymize: self.data.anonymize,
            tables,
        })
    }

    /// The tables' format; Parquet without the `parquet` feature is a usage error.
    fn tables_format(&self) -> Result<TableFormat> {
        match self.tables_format {
            TablesFormatArg::Csv => Ok(TableFormat::Csv),
            TablesFormatArg::Parquet if cfg!(feature = "parquet") => Ok(TableFormat::Parquet),
            TablesFormatArg::Parquet => Err(Error::Usage(format!(
                "--tables: {}",
                crate::report::tables::parquet_needs_feature()
            ))),
        }
    }
}

/// `--tables DIR`, refused inside an input folder (its files would be read back as
/// exports by the next run over that folder) and when it holds an input file (a table
/// could overwrite it: `analyze exports/days.csv --tables exports`). Paths are compared
/// absolute and free of links.
fn tables_dir(dir: &Path, inputs: &[PathBuf]) -> Result<PathBuf> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage(format!(
            "--tables {}: not a folder; name a folder (it is created when missing)",
            dir.display()
        )));
    }
    let resolved = resolve(dir);
    for input in inputs {
        let input_resolved = resolve(input);
        if input.is_dir() && resolved.starts_with(&input_resolved) {
            return Err(Error::Usage(format!(
                "--tables {}: inside the input folder {}, where the next run would read the \
                 tables back as exports; choose a folder outside it",
                dir.display(),
                input.display()
            )));
        }
        if !input.is_dir() && input_resolved.starts_with(&resolved) {
            return Err(Error::Usage(format!(
                "--tables {}: holds the input file {}, which a table could overwrite (and \
                 the next run over the folder would read the tables back as exports); \
                 choose a folder that holds no input",
                dir.display(),
                input.display()
            )));
        }
    }
    Ok(dir.to_path_buf())
}

/// `p` absolute and free of links as far as it exists, the rest appended as given.
fn resolve(p: &Path) -> PathBuf {
    let absolute = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut rest = Vec::new();
    let mut head = absolute.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(head) {
            return rest.iter().rev().fold(real, |acc, part| acc.join(part));
        }
        match (head.parent(), head.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                head = parent;
            }
            _ => return absolute,
        }
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
    let (data, [opts]) = read_data(
        &paths,
        &s.ingest,
        s.anonymize,
        [&s.model],
        s.output.as_deref(),
    )?;
    let spinner = spinner("analysing");
    // Without --history the rows are read once: the model may reuse their memory.
    let (report, kept) = match s.watch.history {
        Some(_) => (model::analyze(&data, &opts), Some(data)),
        None => (model::analyze_owned(data, &opts), None),
    };
    spinner.finish_and_clear();
    let report = report?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    emit(&report, s.format, s.output.as_deref())?;
    if let Some((dir, format)) = &s.tables {
        let written = crate::report::tables::write_tables(&report, dir, *format)?;
        eprintln!(
            "tables: {} files written to {}",
            written.len(),
            dir.display()
        );
    }
    if let (Some(dir), Some(data)) = (&s.watch.history, &kept) {
        let figures = snapshot_figures(data, &opts, &s.model, s.watch.every)?;
        note_stored(
            dir,
            &history::store(dir, &figures, &history_aliases(&s.model))?,
        );
    }
    Ok(Outcome {
        alert: report.utilisation.as_ref().and_then(alert_line),
    })
}
