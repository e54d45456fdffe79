//! Arguments of `fetch` and of `analyze --server` (clap derive, part of [`crate::cli`]),
//! validated into [`FetchSettings`]. The API key is read from `CONNECT_API_KEY` only:
//! there is deliberately no flag for it (flags show in process lists and shell history).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use chrono_tz::Tz;
use clap::{Args, ValueEnum};

use super::{parse_duration, parse_time};
use crate::error::{Error, Result};
use crate::fetch::http::{ApiKey, HttpOptions};
use crate::fetch::{self, Endpoint, FetchSettings};
use crate::ingest::Micros;

/// The environment variable holding the API key.
pub const KEY_VAR: &str = "CONNECT_API_KEY";

/// Arguments of `fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Connect server address, e.g. https://connect.example.com.
    #[arg(long, env = "CONNECT_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Folder for the CSV files and the state file (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only records from this time on: RFC 3339 or a date (UTC midnight). Only the parts of
    /// the window not fetched before are asked for. A later run without --from asks for
    /// everything, so it also fetches the records before this time (give --from again to
    /// stay within it).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only records up to this time: RFC 3339 or a date (that day included, UTC). Windows
    /// fetched in any order leave no gaps: each run asks only for what is missing.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Also fetch content hits (Connect 2025.04+) into content_hits.csv. They overlap the
    /// content visits, so analyse one of the two.
    #[arg(long)]
    pub hits: bool,
    /// Endpoints to leave out (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub skip: Vec<EndpointArg>,
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
    /// Content list (jobs need it; it is still read for them).
    Content,
    /// Users.
    Users,
    /// Jobs of on-demand content.
    Jobs,
}

/// Timeouts, retries and TLS (`fetch` and `analyze --server`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Accept any TLS certificate (self-signed test servers only).
    #[arg(long)]
    pub insecure: bool,
    /// Trust the certificates in this PEM file (your internal CA, or the server's
    /// self-signed certificate) instead of the built-in roots.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub ca_cert: Option<PathBuf>,
    /// Timeout of one request.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub timeout: String,
    /// Retries of a request after 429, 5xx or a dropped connection.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub retries: u32,
    /// First wait between retries, doubled each time (a Retry-After header wins).
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    pub retry_wait: String,
}

impl ConnectionArgs {
    /// Validated connection settings.
    pub fn options(&self) -> Result<HttpOptions> {
        let timeout = micros_to_duration(parse_duration("--timeout", &self.timeout)?);
        if timeout.is_zero() {
            return Err(Error::Usage("--timeout must be above 0".into()));
        }
        Ok(HttpOptions {
            insecure: self.insecure,
            ca_cert: self.ca_cert.clone(),
            timeout,
            retries: self.retries,
            retry_wait: micros_to_duration(parse_duration("--retry-wait", &self.retry_wait)?),
        })
    }
}

fn micros_to_duration(us: Micros) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

/// The server address and key, validated; a note on stderr for plain http elsewhere.
pub fn server_and_key(server: Option<&str>) -> Result<(String, ApiKey)> {
    let server = server
        .ok_or_else(|| Error::Usage("no server: pass --server URL or set CONNECT_SERVER".into()))?;
    let base = fetch::server_base(server).map_err(Error::Usage)?;
    let key = ApiKey::new(&std::env::var(KEY_VAR).unwrap_or_default());
    if key.is_empty() {
        return Err(Error::Usage(format!(
            "no API key: set {KEY_VAR} to a Connect API key (an administrator's key sees all \
             usage; a publisher's sees their own content)"
        )));
    }
    if base.starts_with("http://") && !fetch::is_loopback(&base) {
        eprintln!("warning: {base} is plain http: the API key crosses the network unencrypted");
    }
    Ok((base, key))
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
            });
        }
        Ok(FetchSettings {
            server,
            key,
            out: self.out.clone(),
            from,
            to,
            endpoints,
            min_data_version: self.min_data_version,
            http: self.connection.options()?,
        })
    }
}

/// `analyze --server`: fetch into a cache folder first.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Fetching from a server")]
pub struct AnalyzeServerArgs {
    /// Fetch from this Connect server (API key in CONNECT_API_KEY) into --cache, then
    /// analyse the cache (instead of export paths).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Cache folder [default: $XDG_CACHE_HOME/connect-capacity/HOST, else
    /// ~/.cache/connect-capacity/HOST].
    #[arg(long, value_name = "DIR", requires = "server")]
    pub cache: Option<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

impl AnalyzeServerArgs {
    /// The fetch to run before analysing (`None` without `--server`); `from`/`to` are the
    /// analysed window, so only what the report needs is asked for.
    pub fn settings(
        &self,
        from: Option<Micros>,
        to: Option<Micros>,
    ) -> Result<Option<FetchSettings>> {
        let Some(server) = self.server.as_deref() else {
            return Ok(None);
        };
        let (server, key) = server_and_key(Some(server))?;
        let out = match &self.cache {
            Some(dir) => dir.clone(),
            None => fetch::default_cache(&server).ok_or_else(|| {
                Error::Usage(
                    "no cache folder: set HOME or XDG_CACHE_HOME, or pass --cache DIR".into(),
                )
            })?,
        };
        Ok(Some(FetchSettings {
            server,
            key,
            out,
            from,
            to,
            endpoints: fetch::default_endpoints(),
            min_data_version: None,
            http: self.connection.options()?,
        }))
    }
}
