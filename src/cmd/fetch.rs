//! `fetch`: pull a server's usage, content, users, jobs and job metrics into CSV files,
//! incrementally.

use std::collections::BTreeSet;
use std::io;
use std::path::PathBuf;

use chrono_tz::Tz;
use clap::{Args, ValueEnum};

use super::Outcome;
use crate::cli::{parse_time, server_and_key, ConnectionArgs};
use crate::error::{Error, Result};
use crate::fetch::{self, Endpoint, FetchSettings};

/// Arguments of `fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Connect server address, e.g. https://connect.example.com.
    #[arg(long, env = "CONNECT_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Folder for the CSV files and the state file (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only records from this time on: RFC 3339, a UTC time (2024-03-01 10:00) or a date
    /// (UTC midnight). Only the parts of the window not fetched before are asked for. A
    /// later run without --from asks for everything, so it also fetches the records before
    /// this time (give --from again to stay within it).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only records up to this time: RFC 3339, a UTC time or a date (that day included,
    /// UTC). Windows fetched in any order leave no gaps: each run asks only for what is
    /// missing.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Also fetch content hits (Connect 2025.04+) into content_hits.csv. They overlap the
    /// content visits, so analyse one of the two.
    #[arg(long)]
    pub hits: bool,
    /// Endpoints to leave out (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub skip: Vec<EndpointArg>,
    /// Job metrics only from this time on: RFC 3339, a UTC time or a date (UTC midnight).
    /// It bounds the first run (one request per job adds up on a busy server) and is kept
    /// in the state, so later runs stay within it; give it again to move it.
    #[arg(long, value_name = "DATE")]
    pub metrics_from: Option<String>,
    /// min_data_version for Shiny usage and visits [default: the API's, 1 and 3].
    #[arg(long, value_name = "N")]
    pub min_data_version: Option<i64>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `--skip` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EndpointArg {
    /// Shiny usage.
    Shiny,
    /// Content visits.
    Visits,
    /// Content list (jobs and job metrics need it; it is still read for them).
    Content,
    /// Users.
    Users,
    /// Jobs of on-demand content.
    Jobs,
    /// Resource samples of interactive jobs (job_metrics.csv).
    Metrics,
}

impl FetchArgs {
    /// Validates the arguments (usage errors exit 2).
    pub fn settings(&self) -> Result<FetchSettings> {
        let (server, key) = server_and_key(self.server.as_deref())?;
        let utc: Tz = chrono_tz::UTC;
        let from = self
            .from
            .as_deref()
            .map(|s| parse_time("--from", s, utc, false))
            .transpose()?;
        let to = self
            .to
            .as_deref()
            .map(|s| parse_time("--to", s, utc, true))
            .transpose()?;
        if let (Some(f), Some(t)) = (from, to) {
            if f >= t {
                return Err(Error::Usage("--from must be before --to".into()));
            }
        }
        let metrics_from = self
            .metrics_from
            .as_deref()
            .map(|s| parse_time("--metrics-from", s, utc, false))
            .transpose()?;
        let mut endpoints: BTreeSet<Endpoint> = fetch::default_endpoints();
        if self.hits {
            endpoints.insert(Endpoint::Hits);
        }
        for s in &self.skip {
            endpoints.remove(&match s {
                EndpointArg::Shiny => Endpoint::Shiny,
                EndpointArg::Visits => Endpoint::Visits,
                EndpointArg::Content => Endpoint::Content,
                EndpointArg::Users => Endpoint::Users,
                EndpointArg::Jobs => Endpoint::Jobs,
                EndpointArg::Metrics => Endpoint::Metrics,
            });
        }
        Ok(FetchSettings {
            server,
            key,
            out: self.out.clone(),
            from,
            to,
            endpoints,
            metrics_from,
            min_data_version: self.min_data_version,
            http: self.connection.options()?,
        })
    }
}

/// Runs `fetch`.
pub fn run(args: &FetchArgs) -> anyhow::Result<Outcome> {
    let s = args.settings()?;
    fetch::run(&s, &mut io::stderr())?;
    Ok(Outcome::default())
}
