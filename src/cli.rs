//! Command-line interface: clap derive arguments (clap lives only here) and their
//! validation into the library's settings types.

use std::path::PathBuf;

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};
use crate::ingest::{IngestOptions, InputTz, Micros};
use crate::model::Options;

/// Historical concurrency, processes and sizing for Posit Connect, from its usage exports.
#[derive(Debug, Parser)]
#[command(name = "connect-capacity", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse export files or folders and print a capacity report.
    Analyze(Box<AnalyzeArgs>),
    /// Write a seeded, realistic set of sample exports (the one in sample_data/).
    Sample(SampleArgs),
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned tables for a terminal.
    Terminal,
    /// The documented JSON contract (schema_version 1).
    Json,
}

/// Arguments of `analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Export files (.csv, .csv.gz) or folders to search recursively.
    #[arg(required = true, value_name = "EXPORTS")]
    pub paths: Vec<PathBuf>,
    /// Output format; default: from the -o extension (.json), else terminal.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Reporting time zone for days, weeks, months, hour-of-week and displayed times.
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    pub tz: String,
    /// Zone of timestamps written without an offset: ZONE, or KIND=ZONE per export kind
    /// (shiny, visits, usage, hits, dashboard, jobs, content, users). Repeatable.
    #[arg(long, value_name = "[KIND=]ZONE")]
    pub input_tz: Vec<String>,
    /// Skip unparseable rows (counted and listed in the report) instead of failing.
    #[arg(long)]
    pub lenient: bool,
    /// Drop sessions and visits of these users (GUIDs or usernames; repeat or comma-separate).
    #[arg(long, value_delimiter = ',', value_name = "USERS")]
    pub exclude_users: Vec<String>,
    /// Drop visits whose user agent contains this text (case-insensitive; repeatable).
    #[arg(long, value_delimiter = ',', value_name = "TEXT")]
    pub exclude_user_agent: Vec<String>,
    /// Drop sessions shorter than this duration (e.g. 5s, 1m).
    #[arg(long, value_name = "DURATION")]
    pub min_session: Option<String>,
    /// Start of the analysed window: RFC 3339 or a date (midnight in --tz).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// End of the analysed window (exclusive): RFC 3339, or a date (that day included).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// How long a session with no recorded end is assumed to last at most ("none": to
    /// the window end).
    #[arg(long, default_value = "24h", value_name = "DURATION|none")]
    pub open_cap: String,
    /// Subtract this from every recorded end (Connect adds its client reconnect timeout,
    /// 15s by default, to session ends).
    #[arg(long, default_value = "0s", value_name = "DURATION")]
    pub reconnect_timeout: String,
    /// The instant reports treat as "now" (default: the window end).
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
}

/// Arguments of `sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Folder to write the exports to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Approximate number of Shiny sessions.
    #[arg(long, default_value_t = 20_000)]
    pub sessions: u64,
    /// Number of days covered.
    #[arg(long, default_value_t = 212)]
    pub days: u32,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Write only a Shiny usage CSV (for benchmarks).
    #[arg(long)]
    pub shiny_only: bool,
}

/// Validated settings of `analyze`.
#[derive(Debug, Clone)]
pub struct AnalyzeSettings {
    pub paths: Vec<PathBuf>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub ingest: IngestOptions,
    pub model: Options,
}

impl AnalyzeArgs {
    /// Validates the arguments into settings; errors are usage errors (exit 2).
    pub fn settings(&self) -> Result<AnalyzeSettings> {
        let tz = parse_zone(&self.tz)?;
        let input_tz = InputTz::parse(&self.input_tz).map_err(Error::Usage)?;
        let open_cap = match self.open_cap.trim() {
            "none" => None,
            s => Some(parse_duration("--open-cap", s)?),
        };
        let model = Options {
            tz,
            exclude_users: self
                .exclude_users
                .iter()
                .map(|s| s.trim().to_string())
                .collect(),
            exclude_user_agents: self
                .exclude_user_agent
                .iter()
                .map(|s| s.trim().to_lowercase())
                .collect(),
            min_session: self
                .min_session
                .as_deref()
                .map(|s| parse_duration("--min-session", s))
                .transpose()?,
            from: self
                .from
                .as_deref()
                .map(|s| parse_time("--from", s, tz, false))
                .transpose()?,
            to: self
                .to
                .as_deref()
                .map(|s| parse_time("--to", s, tz, true))
                .transpose()?,
            open_cap,
            reconnect_timeout: parse_duration("--reconnect-timeout", &self.reconnect_timeout)?,
            as_of: self
                .as_of
                .as_deref()
                .map(|s| parse_time("--as-of", s, tz, false))
                .transpose()?,
        };
        if let (Some(f), Some(t)) = (model.from, model.to) {
            if f >= t {
                return Err(Error::Usage("--from must be before --to".into()));
            }
        }
        let format = self
            .format
            .unwrap_or_else(|| format_from_path(self.output.as_deref()));
        Ok(AnalyzeSettings {
            paths: self.paths.clone(),
            format,
            output: self.output.clone(),
            ingest: IngestOptions {
                input_tz,
                lenient: self.lenient,
            },
            model,
        })
    }
}

/// The format implied by an output file's extension.
fn format_from_path(path: Option<&std::path::Path>) -> Format {
    match path.and_then(|p| p.extension()).and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
        _ => Format::Terminal,
    }
}

/// Parses an IANA zone name.
pub fn parse_zone(s: &str) -> Result<Tz> {
    s.parse::<Tz>().map_err(|_| {
        Error::Usage(format!(
            "unknown time zone '{s}'; use an IANA name such as UTC, Europe/Berlin or America/New_York"
        ))
    })
}

/// Parses a humantime duration into microseconds.
pub fn parse_duration(flag: &str, s: &str) -> Result<Micros> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        Error::Usage(format!(
            "{flag}: cannot read '{s}' as a duration ({e}); examples: 90s, 15m, 24h"
        ))
    })?;
    i64::try_from(d.as_micros()).map_err(|_| Error::Usage(format!("{flag}: '{s}' is too long")))
}

/// Parses `--from`/`--to`/`--as-of`: RFC 3339, or a bare date at midnight in `tz`
/// (`end_of_day`: the following midnight, so the named day is included).
pub fn parse_time(flag: &str, s: &str, tz: Tz, end_of_day: bool) -> Result<Micros> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros());
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        Error::Usage(format!(
            "{flag}: cannot read '{s}'; use a date (2024-03-31) or RFC 3339 (2024-03-31T12:00:00Z)"
        ))
    })?;
    let date = if end_of_day {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    local_midnight(date, tz)
        .ok_or_else(|| Error::Usage(format!("{flag}: '{s}' has no midnight in {tz}")))
}

/// The first instant of `date` in `tz` (midnight, or the first valid time after a gap).
fn local_midnight(date: NaiveDate, tz: Tz) -> Option<Micros> {
    let mut t = date.and_hms_opt(0, 0, 0)?;
    for _ in 0..4 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return Some(dt.timestamp_micros());
        }
        t += chrono::Duration::minutes(30);
    }
    None
}
