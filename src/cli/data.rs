//! How exports are read and sessions normalised, and the capacity inputs: the argument
//! group shared by `analyze`, `compare` and `trend`.

use clap::Args;

use super::capacity::CapacityArgs;
use super::parse::{parse_duration, parse_time, parse_zone};
use crate::error::{Error, Result};
use crate::ingest::{IngestOptions, InputEncoding, InputTz};
use crate::model::Options;

/// Reading, normalisation and capacity flags.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Reporting time zone for days, weeks, months, hour-of-week and displayed times.
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    pub tz: String,
    /// Zone of timestamps written without an offset: ZONE, or KIND=ZONE per export kind
    /// (shiny, visits, usage, hits, dashboard, jobs, content, users). Repeatable.
    #[arg(long, value_name = "[KIND=]ZONE")]
    pub input_tz: Vec<String>,
    /// Text encoding of files without a byte-order mark: ENC, or KIND=ENC per export kind;
    /// utf-8 (default), windows-1252 (what Excel on Windows saves; latin-1 is the same),
    /// utf-16, utf-16be. A byte-order mark always wins. Repeatable.
    #[arg(long, value_name = "[KIND=]ENC")]
    pub encoding: Vec<String>,
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
    /// Start of the analysed window: RFC 3339, a local time in --tz (2024-03-01 10:00) or a
    /// date (midnight in --tz).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// End of the analysed window (exclusive): RFC 3339, a local time in --tz, or a date
    /// (that day included).
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
    /// The environment to read from a Posit Chronicle folder that holds several
    /// (production, staging ...); the inputs list those found.
    #[arg(long, value_name = "NAME")]
    pub environment: Option<String>,
    #[command(flatten)]
    pub capacity: CapacityArgs,
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
            encoding: InputEncoding::parse(&self.encoding).map_err(Error::Usage)?,
            environment: self.environment.as_deref().map(|e| e.trim().to_string()),
            snapshot_end: model.as_of.or(model.to),
        };
        Ok((ingest, model))
    }
}
