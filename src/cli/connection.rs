//! Talking to a server: the connection flags shared by `fetch` and `analyze --server`,
//! the server address and the API key, validated into [`FetchSettings`]. The API key is
//! read from `CONNECT_API_KEY` only: there is deliberately no flag for it (flags show in
//! process lists and shell history).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::parse::parse_duration;
use crate::error::{Error, Result};
use crate::fetch::http::{ApiKey, HttpOptions};
use crate::fetch::{self, FetchSettings};
use crate::ingest::Micros;

/// The environment variable holding the API key.
pub const KEY_VAR: &str = "CONNECT_API_KEY";

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
            metrics_from: None,
            min_data_version: None,
            http: self.connection.options()?,
        }))
    }
}
