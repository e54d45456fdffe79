//! `compare`: two periods (or two export folders) figure by figure.

use std::path::PathBuf;

use clap::Args;

use super::shared::{emit, read_data};
use super::Outcome;
use crate::cli::{parse_period, DataArgs, OutputArgs};
use crate::error::{Error, Result};
use crate::ingest::IngestOptions;
use crate::model::over_time::compare::{compare, CompareReport};
use crate::model::wire::SCHEMA_VERSION;
use crate::model::{self, Options};
use crate::report::Format;

/// Arguments of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// With --baseline/--current: export files or folders holding both periods. Without:
    /// exactly two folders (or files), the baseline's exports then the current ones.
    #[arg(required = true, value_name = "EXPORTS")]
    pub paths: Vec<PathBuf>,
    /// The baseline period, FROM..TO (dates or RFC 3339; a date TO includes that day).
    #[arg(long, value_name = "FROM..TO", requires = "current")]
    pub baseline: Option<String>,
    /// The current period, FROM..TO.
    #[arg(long, value_name = "FROM..TO", requires = "baseline")]
    pub current: Option<String>,
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Validated `compare` settings.
#[derive(Debug, Clone)]
pub struct CompareSettings {
    /// Baseline inputs and options.
    pub baseline: (Vec<PathBuf>, Options),
    /// Current inputs and options.
    pub current: (Vec<PathBuf>, Options),
    /// How to read the exports.
    pub ingest: IngestOptions,
    pub format: Format,
    pub output: Option<PathBuf>,
    /// `--anonymize`: pseudonyms for user names, e-mails and GUIDs.
    pub anonymize: bool,
}

impl CompareArgs {
    /// Validates the arguments.
    pub fn settings(&self) -> Result<CompareSettings> {
        let (ingest, model) = self.data.options()?;
        let format = self.out.format();
        let (baseline, current) = match (&self.baseline, &self.current) {
            (Some(b), Some(c)) => {
                if model.from.is_some() || model.to.is_some() {
                    return Err(Error::Usage(
                        "--from/--to do not apply with --baseline/--current; put the periods there"
                            .into(),
                    ));
                }
                let period = |flag: &str, s: &str| -> Result<Options> {
                    let (from, to) = parse_period(flag, s, model.tz)?;
                    Ok(Options {
                        from: Some(from),
                        to: Some(to),
                        ..model.clone()
                    })
                };
                (
                    (self.paths.clone(), period("--baseline", b)?),
                    (self.paths.clone(), period("--current", c)?),
                )
            }
            _ => {
                if self.paths.len() != 2 {
                    return Err(Error::Usage(format!(
                        "compare needs --baseline FROM..TO and --current FROM..TO, or exactly two \
                         export folders (baseline, then current); got {} paths",
                        self.paths.len()
                    )));
                }
                (
                    (vec![self.paths[0].clone()], model.clone()),
                    (vec![self.paths[1].clone()], model),
                )
            }
        };
        Ok(CompareSettings {
            baseline,
            current,
            ingest,
            format,
            output: self.out.output.clone(),
            anonymize: self.data.anonymize,
        })
    }
}

/// `compare`: two reports and their differences.
pub fn run(args: &CompareArgs) -> anyhow::Result<Outcome> {
    let s = &args.settings()?;
    let out = s.output.as_deref();
    let read = |(paths, opts): &(Vec<PathBuf>, Options)| -> Result<model::Report> {
        let (data, [opts]) = read_data(paths, &s.ingest, s.anonymize, [opts], out)?;
        model::analyze(&data, &opts)
    };
    let (b, c) = if s.baseline.0 == s.current.0 {
        let both = [&s.baseline.1, &s.current.1];
        let (data, [b, c]) = read_data(&s.baseline.0, &s.ingest, s.anonymize, both, out)?;
        (model::analyze(&data, &b)?, model::analyze(&data, &c)?)
    } else {
        (read(&s.baseline)?, read(&s.current)?)
    };
    let cmp = CompareReport {
        schema_version: SCHEMA_VERSION,
        comparison: compare(&b, &c),
    };
    for w in &cmp.comparison.warnings {
        eprintln!("warning: {w}");
    }
    emit(&cmp, s.format, s.output.as_deref())?;
    Ok(Outcome::default())
}
