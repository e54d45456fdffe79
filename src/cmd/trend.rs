//! `trend`: key figures per week or month, from the exports and the snapshot history,
//! with growth fits and the utilisation alert.

use std::path::{Path, PathBuf};

use clap::Args;

use super::analyze::AnalyzeSettings;
use super::shared::{alert_line, emit, history_aliases, note_stored, read_data, snapshot_figures};
use super::Outcome;
use crate::cli::{DataArgs, OutputArgs, WatchArgs};
use crate::error::{Error, Result};
use crate::history::{self, Aliases};
use crate::model;
use crate::model::over_time::trend::{trend_report, Every, TrendReport};

/// Arguments of `trend`.
#[derive(Debug, Args)]
pub struct TrendArgs {
    /// Export files or folders (optional when --history already holds snapshots).
    #[arg(value_name = "EXPORTS")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub watch: WatchArgs,
}

/// Validated `trend` settings: the same as `analyze`'s (paths may be empty when a
/// history is given).
pub type TrendSettings = AnalyzeSettings;

impl TrendArgs {
    /// Validates the arguments.
    pub fn settings(&self) -> Result<TrendSettings> {
        if self.paths.is_empty() && self.watch.history.is_none() {
            return Err(Error::Usage(
                "trend needs export files or folders, --history DIR, or both".into(),
            ));
        }
        let (ingest, mut model) = self.data.options()?;
        let watch = self.watch.settings()?;
        model.capacity.server = watch.server;
        Ok(AnalyzeSettings {
            fetch: None,
            paths: self.paths.clone(),
            format: self.out.format(),
            output: self.out.output.clone(),
            ingest,
            model,
            watch,
            anonymize: self.data.anonymize,
            tables: None,
        })
    }
}

/// `trend`: fresh periods from the exports merged with the history.
pub fn run(args: &TrendArgs) -> anyhow::Result<Outcome> {
    let s = &args.settings()?;
    let every: Every = s.watch.every;
    let mut option_warnings = Vec::new();
    let (fresh, now) = if s.paths.is_empty() {
        (Vec::new(), None)
    } else {
        let (data, [opts]) = read_data(
            &s.paths,
            &s.ingest,
            s.anonymize,
            [&s.model],
            s.output.as_deref(),
        )?;
        let whole = model::analyze(&data, &opts)?;
        let now = whole.sizing.map(|z| z.now.size);
        option_warnings = whole.warnings;
        (snapshot_figures(&data, &opts, &s.model, every)?, now)
    };
    let (stored, damaged) = match &s.watch.history {
        Some(dir) => {
            let (found, damaged) = history::load(dir, every, &history_aliases(&s.model))?;
            (found, damaged)
        }
        None => (Vec::new(), Vec::new()),
    };
    let skipped: Vec<String> = damaged
        .iter()
        .map(|d| format!("{}: {}", d.path.display(), d.message))
        .collect();
    for line in &skipped {
        eprintln!("warning: skipped snapshot {line}");
    }
    let mut t: TrendReport = trend_report(every, &s.model, &fresh, &stored, skipped, now.as_ref());
    t.warnings.splice(0..0, option_warnings);
    if let Some(dir) = s.watch.history.as_ref().filter(|_| t.periods.is_empty()) {
        t.warnings
            .extend(other_unit(dir, every, &history_aliases(&s.model))?);
    }
    for w in &t.warnings {
        eprintln!("warning: {w}");
    }
    emit(&t, s.format, s.output.as_deref())?;
    if let Some(dir) = s.watch.history.as_ref().filter(|_| !fresh.is_empty()) {
        note_stored(
            dir,
            &history::store(dir, &fresh, &history_aliases(&s.model))?,
        );
    }
    Ok(Outcome {
        alert: t.utilisation.as_ref().and_then(alert_line),
    })
}

/// With nothing to show, a history of the other unit is named: `--every week` over a
/// history of month snapshots would otherwise print an empty table.
fn other_unit(dir: &Path, every: Every, aliases: &Aliases) -> Result<Option<String>> {
    let other = match every {
        Every::Week => Every::Month,
        Every::Month => Every::Week,
    };
    let (found, _) = history::load(dir, other, aliases)?;
    Ok((!found.is_empty()).then(|| {
        format!(
            "{} holds no {} snapshots but {}: pass --every {}",
            dir.display(),
            every.name(),
            crate::format::counted(
                found.len(),
                &format!("{} snapshot", other.name()),
                &format!("{} snapshots", other.name())
            ),
            other.name()
        )
    }))
}
