//! Command-line interface: clap derive arguments (clap lives only here) and their
//! validation into the library's settings types.

use std::path::PathBuf;

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, Config, ContentConfig};
use crate::error::{Error, Result};
use crate::ingest::{IngestOptions, InputTz, Micros};
use crate::model::trend::{Every, ServerCapacity};
use crate::model::Options;

mod fetch_args;
pub use fetch_args::{AnalyzeServerArgs, ConnectionArgs, EndpointArg, FetchArgs, KEY_VAR};

/// Historical concurrency, processes and sizing for Posit Connect, from its usage exports.
#[derive(Debug, Parser)]
#[command(name = "connect-capacity", version = crate::version::VERSION, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse export files or folders and print a capacity report.
    Analyze(Box<AnalyzeArgs>),
    /// Compare two periods (or two export folders) figure by figure.
    Compare(Box<CompareArgs>),
    /// Key figures per week or month, from the exports and the snapshot history.
    Trend(Box<TrendArgs>),
    /// Write a seeded, realistic set of sample exports (the one in sample_data/).
    Sample(SampleArgs),
    /// Fetch usage, content, users and jobs from a Connect server into CSV files
    /// (incremental; API key in CONNECT_API_KEY).
    Fetch(Box<FetchArgs>),
    /// Print shell completions (bash, zsh, fish, powershell, elvish) to stdout.
    Completions(crate::cmd::completions::CompletionsArgs),
    /// Print the man page (roff) to stdout.
    Man(crate::cmd::man::ManArgs),
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned tables for a terminal.
    Terminal,
    /// The documented JSON contract (schema_version 1).
    Json,
    /// GitHub-flavoured Markdown: the report's sections and tables, for wikis and e-mail.
    Markdown,
    /// One self-contained HTML page with charts (opens offline, prints well).
    Html,
}

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

/// Where and how a command writes its result (shared by `analyze`, `compare`, `trend`).
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Output format; default: from the -o extension (.json, .md/.markdown, .html/.htm),
    /// else terminal.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the result to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl OutputArgs {
    /// The format: as given, else from the output file's extension.
    pub fn format(&self) -> Format {
        self.format
            .unwrap_or_else(|| format_from_path(self.output.as_deref()))
    }
}

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
        })
    }
}

/// Parses `FROM..TO` into `[from, to)` (a date TO includes that day).
pub fn parse_period(flag: &str, s: &str, tz: Tz) -> Result<(Micros, Micros)> {
    let (a, b) = s.split_once("..").ok_or_else(|| {
        Error::Usage(format!(
            "{flag} '{s}': write FROM..TO, e.g. 2024-01-01..2024-03-31"
        ))
    })?;
    let from = parse_time(flag, a, tz, false)?;
    let to = parse_time(flag, b, tz, true)?;
    if from >= to {
        return Err(Error::Usage(format!(
            "{flag} '{s}': FROM must be before TO"
        )));
    }
    Ok((from, to))
}

/// How exports are read and sessions normalised, and the capacity inputs: shared by
/// `analyze`, `compare` and `trend`.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
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
    /// Replace usernames, e-mails, first and last names and all GUIDs by stable
    /// pseudonyms in every output, for reports that travel (content titles and file paths
    /// stay; options still take the real names; an error that stops the run quotes its
    /// input as read).
    #[arg(long)]
    pub anonymize: bool,
    #[command(flatten)]
    pub capacity: CapacityArgs,
}

/// Scheduler, sizing and architecture inputs (flags win over `--config`, which wins over
/// the built-in defaults).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Processes, sizing and architecture")]
pub struct CapacityArgs {
    /// TOML file with scheduler defaults, per-content overrides, sizing constants and
    /// plan inputs (see the README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Server default Max processes per content [default: 3].
    #[arg(long, value_name = "N")]
    pub max_processes: Option<u32>,
    /// Server default Min processes per content [default: 0].
    #[arg(long, value_name = "N")]
    pub min_processes: Option<u32>,
    /// Server default Max connections per process [default: 20].
    #[arg(long, value_name = "N")]
    pub max_conns_per_process: Option<u32>,
    /// Server default Load factor, 0 to 1 [default: 0.5].
    #[arg(long, value_name = "F")]
    pub load_factor: Option<f64>,
    /// Server default Idle timeout per process [default: 5s].
    #[arg(long, value_name = "DURATION")]
    pub idle_timeout: Option<String>,
    /// Per-content override, e.g. `GUID:max_processes=6,min_processes=1,memory_gib=2`
    /// (keys as in the config file's [content."GUID"] table). Repeatable.
    #[arg(long, value_name = "GUID:KEY=VALUE,...")]
    pub content_setting: Vec<String>,
    /// Nodes of the existing server (process limits are per node) [default: 1].
    #[arg(long, value_name = "N")]
    pub nodes: Option<u32>,
    /// Size for the absolute peak, or the 95th percentile of daily peaks [default: max].
    #[arg(long, value_enum, value_name = "WHICH")]
    pub design_peak: Option<DesignPeakArg>,
    /// Months ahead for the projected scenario [default: 12].
    #[arg(long, value_name = "MONTHS")]
    pub horizon: Option<f64>,
    /// Factor for the scaled scenario ("the team doubles") [default: 2].
    #[arg(long, value_name = "K")]
    pub scale: Option<f64>,
    /// Availability target in percent [default: 99.0].
    #[arg(long, value_name = "PERCENT")]
    pub uptime: Option<f64>,
    /// The organisation requires container deployment.
    #[arg(long)]
    pub containers: bool,
    /// Largest node the organisation will run, cores [default: 64].
    #[arg(long, value_name = "CORES")]
    pub max_node_cores: Option<u64>,
    /// Largest node the organisation will run, GiB of RAM [default: 512].
    #[arg(long, value_name = "GIB")]
    pub max_node_ram: Option<u64>,
}

/// Scheduled runs: snapshot history and utilisation alerts (`analyze` and `trend`).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "History and alerts (for cron)")]
pub struct WatchArgs {
    /// Keep each calendar period's key figures in DIR (one JSON file per period; a re-run
    /// replaces a period unless the stored version covers more of it).
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// Calendar unit of the history and the trend.
    #[arg(long, value_enum, default_value = "month", value_name = "UNIT")]
    pub every: EveryArg,
    /// Cores of today's server, for utilisation.
    #[arg(long, value_name = "N")]
    pub capacity_cores: Option<u64>,
    /// RAM of today's server in GiB, for utilisation.
    #[arg(long, value_name = "GIB")]
    pub capacity_ram: Option<f64>,
    /// Exit with code 3 when utilisation (needed / capacity, the tighter of cores and RAM)
    /// is at or above this fraction, e.g. 0.8.
    #[arg(long, value_name = "FRACTION")]
    pub alert_at: Option<f64>,
}

/// `--every` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum EveryArg {
    /// ISO weeks.
    Week,
    /// Calendar months.
    #[default]
    Month,
}

/// Validated `WatchArgs`.
#[derive(Debug, Clone, Default)]
pub struct WatchSettings {
    /// Snapshot folder.
    pub history: Option<PathBuf>,
    /// Calendar unit.
    pub every: Every,
    /// Today's server and the threshold.
    pub server: ServerCapacity,
}

impl WatchArgs {
    /// Validates the history and alert flags.
    pub fn settings(&self) -> Result<WatchSettings> {
        if let Some(a) = self.alert_at {
            if !(a.is_finite() && a > 0.0) {
                return Err(Error::Usage(format!(
                    "--alert-at {a}: use a fraction above 0, e.g. 0.8 for 80 %"
                )));
            }
            if self.capacity_cores.is_none() && self.capacity_ram.is_none() {
                return Err(Error::Usage(
                    "--alert-at needs today's server: add --capacity-cores N and/or --capacity-ram GIB"
                        .into(),
                ));
            }
        }
        if self.capacity_cores == Some(0) {
            return Err(Error::Usage("--capacity-cores must be 1 or more".into()));
        }
        if let Some(r) = self.capacity_ram {
            if !(r.is_finite() && r > 0.0) {
                return Err(Error::Usage("--capacity-ram must be above 0 GiB".into()));
            }
        }
        Ok(WatchSettings {
            history: self.history.clone(),
            every: match self.every {
                EveryArg::Week => Every::Week,
                EveryArg::Month => Every::Month,
            },
            server: ServerCapacity {
                cores: self.capacity_cores,
                ram_gib: self.capacity_ram,
                alert_at: self.alert_at,
            },
        })
    }
}

/// `--design-peak` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DesignPeakArg {
    /// The absolute peak of the window.
    Max,
    /// The 95th percentile of daily peaks.
    DailyP95,
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
    #[arg(long, default_value_t = 244)]
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

impl DataArgs {
    /// Validates the reading, normalisation and capacity options.
    pub fn options(&self) -> Result<(IngestOptions, Options)> {
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
            capacity: self.capacity.merged_config()?.capacity_options()?,
        };
        if let (Some(f), Some(t)) = (model.from, model.to) {
            if f >= t {
                return Err(Error::Usage("--from must be before --to".into()));
            }
        }
        let ingest = IngestOptions {
            input_tz,
            lenient: self.lenient,
        };
        Ok((ingest, model))
    }
}

/// The format implied by an output file's extension (case-insensitive); terminal when
/// there is no file or the extension is not one of the formats'.
pub fn format_from_path(path: Option<&std::path::Path>) -> Format {
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

impl CapacityArgs {
    /// The config file (if any) with every flag laid over it.
    pub fn merged_config(&self) -> Result<Config> {
        let mut c = match &self.config {
            Some(path) => config::load(path)?,
            None => Config::default(),
        };
        let s = &mut c.scheduler;
        overlay(&mut s.max_processes, self.max_processes);
        overlay(&mut s.min_processes, self.min_processes);
        overlay(&mut s.max_conns_per_process, self.max_conns_per_process);
        overlay(&mut s.load_factor, self.load_factor);
        if let Some(t) = &self.idle_timeout {
            s.idle_timeout = Some(config::Duration(parse_duration("--idle-timeout", t)?));
        }
        let p = &mut c.plan;
        overlay(&mut p.nodes, self.nodes);
        overlay(&mut p.horizon_months, self.horizon);
        overlay(&mut p.scale, self.scale);
        overlay(&mut p.uptime, self.uptime);
        overlay(&mut p.max_node_cores, self.max_node_cores);
        overlay(&mut p.max_node_ram_gib, self.max_node_ram);
        if self.containers {
            p.containers = Some(true);
        }
        if let Some(d) = self.design_peak {
            p.design_peak = Some(match d {
                DesignPeakArg::Max => config::DesignPeakName::Max,
                DesignPeakArg::DailyP95 => config::DesignPeakName::DailyP95,
            });
        }
        for spec in &self.content_setting {
            let (guid, item) = parse_content_setting(spec)?;
            let e = c.content.entry(guid).or_default();
            overlay(&mut e.min_processes, item.min_processes);
            overlay(&mut e.max_processes, item.max_processes);
            overlay(&mut e.max_conns_per_process, item.max_conns_per_process);
            overlay(&mut e.load_factor, item.load_factor);
            overlay(&mut e.idle_timeout, item.idle_timeout);
            overlay(&mut e.cpu_cores, item.cpu_cores);
            overlay(&mut e.memory_gib, item.memory_gib);
        }
        Ok(c)
    }
}

/// Sets `slot` when the flag was given.
fn overlay<T>(slot: &mut Option<T>, flag: Option<T>) {
    if flag.is_some() {
        *slot = flag;
    }
}

/// Parses `GUID:key=value,key=value` with the config file's keys and value syntax.
fn parse_content_setting(spec: &str) -> Result<(String, ContentConfig)> {
    let usage = |why: String| {
        Error::Usage(format!(
            "--content-setting '{spec}': {why}; write GUID:key=value[,key=value], e.g. \
             GUID:max_processes=6,idle_timeout=30s"
        ))
    };
    let (guid, pairs) = spec
        .split_once(':')
        .ok_or_else(|| usage("no ':' after the GUID".into()))?;
    let guid = guid.trim();
    if guid.is_empty() {
        return Err(usage("the GUID is empty".into()));
    }
    let mut toml_text = String::new();
    for pair in pairs.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| usage(format!("'{pair}' has no '='")))?;
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || !k.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
            return Err(usage(format!("'{k}' is not a setting name")));
        }
        // Numbers and booleans as TOML literals, anything else (e.g. 30s) as a string.
        let literal = v.parse::<f64>().is_ok() || v == "true" || v == "false";
        if literal {
            toml_text.push_str(&format!("{k} = {v}\n"));
        } else {
            toml_text.push_str(&format!("{k} = {}\n", toml_string(v)));
        }
    }
    let item: ContentConfig =
        toml::from_str(&toml_text).map_err(|e| usage(e.message().trim().to_string()))?;
    Ok((guid.to_string(), item))
}

/// A TOML basic string holding `s`.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_extension_picks_the_format() {
        use std::path::Path;
        let f = |p: &str| format_from_path(Some(Path::new(p)));
        assert_eq!(f("r.json"), Format::Json);
        assert_eq!(f("r.md"), Format::Markdown);
        assert_eq!(f("r.MARKDOWN"), Format::Markdown);
        assert_eq!(f("out/report.html"), Format::Html);
        assert_eq!(f("report.HTM"), Format::Html);
        assert_eq!(f("report.txt"), Format::Terminal);
        assert_eq!(f("report"), Format::Terminal);
        assert_eq!(format_from_path(None), Format::Terminal);
    }

    #[test]
    fn content_setting_reads_numbers_and_durations() {
        let (guid, c) =
            parse_content_setting("abc-1:max_processes=6, idle_timeout=30s,memory_gib=2.5")
                .unwrap();
        assert_eq!(guid, "abc-1");
        assert_eq!(c.max_processes, Some(6));
        assert_eq!(c.idle_timeout, Some(config::Duration(30_000_000)));
        assert_eq!(c.memory_gib, Some(2.5));
        assert_eq!(c.min_processes, None);
    }

    #[test]
    fn content_setting_rejects_unknown_keys_and_bad_shapes() {
        for bad in [
            "abc-1",
            ":max_processes=1",
            "abc-1:max_processes",
            "abc-1:max_procs=2",
            "abc-1:max_processes=-1",
            "abc-1:a b=1",
        ] {
            let e = parse_content_setting(bad).unwrap_err();
            assert!(matches!(e, Error::Usage(_)), "{bad}");
            assert!(e.to_string().contains("GUID:key=value"), "{bad}: {e}");
        }
    }

    #[test]
    fn flags_win_over_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[scheduler]\nmax_processes = 5\nmin_processes = 1\n[plan]\nuptime = 99.0\n\
             [content.g1]\nmax_processes = 2\nmemory_gib = 1.0\n",
        )
        .unwrap();
        let args = CapacityArgs {
            config: Some(path),
            max_processes: Some(8),
            uptime: Some(99.95),
            containers: true,
            content_setting: vec!["g1:max_processes=4".into(), "g2:cpu_cores=2".into()],
            ..Default::default()
        };
        let c = args.merged_config().unwrap();
        assert_eq!(c.scheduler.max_processes, Some(8));
        assert_eq!(c.scheduler.min_processes, Some(1));
        assert_eq!(c.plan.uptime, Some(99.95));
        assert_eq!(c.plan.containers, Some(true));
        assert_eq!(c.content["g1"].max_processes, Some(4));
        assert_eq!(c.content["g1"].memory_gib, Some(1.0));
        assert_eq!(c.content["g2"].cpu_cores, Some(2.0));
    }
}
