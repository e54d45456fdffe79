//! `fetch`: pull usage, content, users and jobs straight from a Posit Connect server into
//! CSV files that [`crate::ingest`] reads, incrementally and safely from cron.
//!
//! | file | endpoint | how |
//! |---|---|---|
//! | `shiny_usage.csv` | `/v1/instrumentation/shiny/usage` | keyset pages, incremental; open sessions re-asked until closed |
//! | `content_visits.csv` | `/v1/instrumentation/content/visits` | keyset pages, incremental |
//! | `content_hits.csv` | `/v1/instrumentation/content/hits` (Connect 2025.04+, `--hits`) | one array, incremental, merged by `id` |
//! | `content.csv` | `/v1/content` | replaced each run |
//! | `users.csv` | `/v1/users` | offset pages, replaced each run |
//! | `jobs.csv` | `/v1/content/{guid}/jobs` of on-demand content | merged by `id` |
//! | `job_metrics.csv` | `/v1/content/{guid}/jobs/{key}/metrics` of interactive jobs | one request per job not yet done; merged ([`metrics`]) |
//!
//! A run holds the output folder's lock ([`lock`]) from before it reads the state until
//! it ends, so two runs never share a folder.
//!
//! The dialect is described in [`table`]; the state file in [`state`]; the resume and
//! merge rules in [`keyset`]. Layout: [`http`] talks to the server, [`table`] reads and
//! writes the files, [`keyset`] (with `pass`, one pass of it) and [`snapshot`] run the
//! endpoints, [`metrics`] asks for each job's samples, `summary` words the stderr lines,
//! this module orders them.

pub mod http;
pub mod keyset;
pub mod lock;
pub mod metrics;
mod pass;
pub mod snapshot;
pub mod state;
mod summary;
pub mod table;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::ingest::Micros;
use http::{ApiKey, Client, Got, HttpOptions};
use keyset::Spec;
use summary::{line, report};
use table::{Merge, Ty};

/// What can go wrong talking to a server. Messages say what to do; none holds the key.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// 401.
    #[error(
        "{url}: the server refused the API key (HTTP 401); check CONNECT_API_KEY: it may be \
         mistyped, expired or revoked"
    )]
    Unauthorized { url: String },
    /// 403.
    #[error("{url}: permission denied (HTTP 403); {needs}")]
    Forbidden { url: String, needs: String },
    /// HTML or other non-JSON where the Connect API should answer.
    #[error(
        "{url}: this does not look like a Posit Connect server ({why}); give --server the \
         address you open Connect at, e.g. https://connect.example.com"
    )]
    NotConnect { url: String, why: String },
    /// JSON that does not parse, or not in the documented shape.
    #[error("{url}: malformed response from the server ({why})")]
    Malformed { url: String, why: String },
    /// A redirect (not followed, so the key goes nowhere else).
    #[error("{url}: the server redirects to {location}; pass that address as --server")]
    Redirect { url: String, location: String },
    /// Another HTTP status.
    #[error("{url}: HTTP {status}{detail}")]
    Status {
        url: String,
        status: u16,
        detail: String,
    },
    /// Retries used up.
    #[error(
        "{url}: {why}; gave up after {attempts} attempts (raise --retries, or run fetch again \
         later: it resumes where it stopped)"
    )]
    GaveUp {
        url: String,
        why: String,
        attempts: u32,
    },
    /// A request that cannot be sent at all.
    #[error("{url}: {why}")]
    Network { url: String, why: String },
    /// The output folder's state or files cannot be used.
    #[error("{}: {why}", path.display())]
    State { path: PathBuf, why: String },
    /// Another `fetch` holds the output folder's lock.
    #[error(
        "{}: another fetch is running on this folder (it holds this lock); this run changed \
         nothing. Let it finish (or stop it), or give another --out folder",
        path.display()
    )]
    Busy { path: PathBuf },
    /// Reading or writing a local file failed.
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl FetchError {
    /// The error with every occurrence of the key in its texts replaced by `<redacted>`:
    /// the one place errors are scrubbed before they leave [`run`].
    pub fn redact(self, key: &ApiKey) -> FetchError {
        let r = |s: String| key.redact(&s);
        use FetchError::*;
        match self {
            Unauthorized { url } => Unauthorized { url: r(url) },
            Forbidden { url, needs } => Forbidden {
                url: r(url),
                needs: r(needs),
            },
            NotConnect { url, why } => NotConnect {
                url: r(url),
                why: r(why),
            },
            Malformed { url, why } => Malformed {
                url: r(url),
                why: r(why),
            },
            Redirect { url, location } => Redirect {
                url: r(url),
                location: r(location),
            },
            Status {
                url,
                status,
                detail,
            } => Status {
                url: r(url),
                status,
                detail: r(detail),
            },
            GaveUp { url, why, attempts } => GaveUp {
                url: r(url),
                why: r(why),
                attempts,
            },
            Network { url, why } => Network {
                url: r(url),
                why: r(why),
            },
            State { path, why } => State { path, why: r(why) },
            Busy { path } => Busy { path },
            Io { path, error } => Io { path, error },
        }
    }
}

impl FetchError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        FetchError::Io {
            path: path.into(),
            error,
        }
    }
}

impl From<crate::atomic::WriteError> for FetchError {
    fn from(e: crate::atomic::WriteError) -> Self {
        FetchError::io(e.path, e.error)
    }
}

/// The endpoints `fetch` can pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// Shiny sessions.
    Shiny,
    /// Content visits.
    Visits,
    /// Content hits (opt-in).
    Hits,
    /// The content list.
    Content,
    /// Users.
    Users,
    /// Jobs of on-demand content (needs the content list).
    Jobs,
    /// Resource samples of interactive jobs (needs the content list and jobs).
    Metrics,
}

/// Validated `fetch` settings.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// Server address, normalised by [`server_base`].
    pub server: String,
    /// The API key.
    pub key: ApiKey,
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Only records from here on (first run or backfill).
    pub from: Option<Micros>,
    /// Only records up to here.
    pub to: Option<Micros>,
    /// Endpoints to pull.
    pub endpoints: BTreeSet<Endpoint>,
    /// `--metrics-from`: job metrics only from here on (kept for later runs).
    pub metrics_from: Option<Micros>,
    /// `min_data_version` for both instrumentation endpoints; `None`: the documented
    /// defaults (1 for Shiny usage, 3 for visits).
    pub min_data_version: Option<i64>,
    /// Timeouts, retries, TLS.
    pub http: HttpOptions,
}

/// The default endpoint set (hits overlap visits, so they are opt-in).
pub fn default_endpoints() -> BTreeSet<Endpoint> {
    use Endpoint::*;
    [Shiny, Visits, Content, Users, Jobs, Metrics]
        .into_iter()
        .collect()
}

/// What one run needs.
pub struct Ctx<'a> {
    /// The HTTP client.
    pub client: &'a Client,
    /// Output folder.
    pub dir: &'a Path,
    /// `--from`.
    pub from: Option<Micros>,
    /// `--to`.
    pub to: Option<Micros>,
    /// `--min-data-version`.
    pub min_data_version: Option<i64>,
    /// The local clock when the run started (µs): record times after it are not trusted to
    /// move the incremental cursor.
    pub now: Micros,
}

/// The outcome of one endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// Records fetched this run, rows now in the file, sessions still open, records the
    /// server sent that were malformed and not stored.
    Fetched {
        fetched: u64,
        rows: u64,
        open: u64,
        bad: u64,
    },
    /// Jobs: items asked, jobs fetched, rows in the file, items skipped (404/403).
    Jobs {
        items: usize,
        fetched: u64,
        rows: u64,
        skipped: usize,
    },
    /// Job metrics.
    Metrics(metrics::Outcome),
    /// 404: the server does not have this endpoint.
    Missing,
    /// Not asked (server too old), with why.
    Skipped(String),
}

const NEEDS_USAGE: &str = "reading usage needs the API key of an administrator (all content) \
                           or a publisher (their own content), or a service token with the \
                           instrumentation:read scope";

/// Shiny sessions.
pub const SHINY: Spec = Spec {
    name: "shiny_usage",
    label: "Shiny usage",
    path: "/v1/instrumentation/shiny/usage",
    file: "shiny_usage.csv",
    columns: &[
        ("content_guid", Ty::Text),
        ("user_guid", Ty::Text),
        ("started", Ty::Time),
        ("ended", Ty::Time),
        ("data_version", Ty::Num),
    ],
    merge: Merge::Sessions,
    time_cols: &["started", "ended"],
    min_data_version: Some(1),
    paged: true,
    needs: NEEDS_USAGE,
    required: &["content_guid", "started", "data_version"],
};

/// Content visits.
pub const VISITS: Spec = Spec {
    name: "content_visits",
    label: "content visits",
    path: "/v1/instrumentation/content/visits",
    file: "content_visits.csv",
    columns: &[
        ("content_guid", Ty::Text),
        ("user_guid", Ty::Text),
        ("variant_key", Ty::Text),
        ("time", Ty::Time),
        ("rendering_id", Ty::Text),
        ("bundle_id", Ty::Text),
        ("path", Ty::Text),
        ("user_agent", Ty::Text),
        ("data_version", Ty::Num),
    ],
    merge: Merge::Exact,
    time_cols: &["time"],
    min_data_version: Some(3),
    paged: true,
    needs: NEEDS_USAGE,
    required: &["content_guid", "time", "data_version"],
};

/// Content hits (the header is the flattened `id, user_guid, content_guid, timestamp,
/// path, user_agent`; `data.*` fields are read from the nested object).
pub const HITS: Spec = Spec {
    name: "content_hits",
    label: "content hits",
    path: "/v1/instrumentation/content/hits",
    file: "content_hits.csv",
    columns: &[
        ("id", Ty::Text),
        ("user_guid", Ty::Text),
        ("content_guid", Ty::Text),
        ("timestamp", Ty::Time),
        ("data.path", Ty::Text),
        ("data.user_agent", Ty::Text),
    ],
    merge: Merge::ById("id"),
    time_cols: &["timestamp"],
    min_data_version: None,
    paged: false,
    needs: NEEDS_USAGE,
    required: &["id", "content_guid", "timestamp"],
};

/// First Connect version with the hits endpoint.
const HITS_SINCE: (u32, u32) = (2025, 4);

/// Runs every asked endpoint into `s.out`, printing one line per endpoint to `log`.
/// Every error and line is scrubbed of the key here.
pub fn run(s: &FetchSettings, log: &mut dyn Write) -> Result<(), FetchError> {
    let mut log = Redacting {
        inner: log,
        key: &s.key,
    };
    run_inner(s, &mut log).map_err(|e| e.redact(&s.key))
}

/// A log writer that scrubs the key from each line.
struct Redacting<'a> {
    inner: &'a mut dyn Write,
    key: &'a ApiKey,
}

impl Write for Redacting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.inner
            .write_all(self.key.redact(&text).as_bytes())
            .map(|_| buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn run_inner(s: &FetchSettings, log: &mut dyn Write) -> Result<(), FetchError> {
    std::fs::create_dir_all(&s.out).map_err(|e| FetchError::io(&s.out, e))?;
    let lock = lock::acquire(&s.out)?;
    if let Some(why) = &lock.unguarded {
        let _ = writeln!(log, "{why}");
    }
    let client = Client::new(&s.server, s.key.clone(), s.http.clone())?;
    let version = server_version(&client)?;
    let head = format!(
        "fetching from {} (Connect {}) into {}",
        s.server,
        version.as_deref().unwrap_or("version hidden"),
        s.out.display()
    );
    let _ = writeln!(log, "{head}");
    let mut st = state::load(&s.out, &s.server)?;
    let ctx = Ctx {
        client: &client,
        dir: &s.out,
        from: s.from,
        to: s.to,
        min_data_version: s.min_data_version,
        now: chrono::Utc::now().timestamp_micros(),
    };
    let want = |e: Endpoint| s.endpoints.contains(&e);
    if want(Endpoint::Shiny) {
        report(log, &SHINY, keyset::run(&ctx, &SHINY, &mut st)?);
    }
    if want(Endpoint::Visits) {
        report(log, &VISITS, keyset::run(&ctx, &VISITS, &mut st)?);
    }
    if want(Endpoint::Hits) {
        let note = match version_tuple(version.as_deref()) {
            Some(v) if v < HITS_SINCE => Note::Skipped(format!(
                "needs Connect 2025.04 or later; this server runs {}",
                version.as_deref().unwrap_or("?")
            )),
            _ => keyset::run(&ctx, &HITS, &mut st)?,
        };
        report(log, &HITS, note);
    }
    let mut content = None;
    if want(Endpoint::Content) || want(Endpoint::Jobs) || want(Endpoint::Metrics) {
        let (note, table) = snapshot::content(&ctx, &mut st)?;
        line(log, "content", "content.csv", &note);
        content = table;
    }
    if want(Endpoint::Users) {
        line(log, "users", "users.csv", &snapshot::users(&ctx, &mut st)?);
    }
    if want(Endpoint::Jobs) {
        let note = match &content {
            Some(t) => snapshot::jobs(&ctx, &mut st, t)?,
            None => Note::Skipped("needs the content list, which this server did not give".into()),
        };
        line(log, "jobs", "jobs.csv", &note);
    }
    if want(Endpoint::Metrics) {
        let note = match &content {
            Some(t) => match metrics::run(&ctx, &mut st, t, s.metrics_from, log)? {
                Some(outcome) => Note::Metrics(outcome),
                None => Note::Skipped("needs the jobs list (jobs.csv), fetched with jobs".into()),
            },
            None => Note::Skipped("needs the content list, which this server did not give".into()),
        };
        line(log, "job metrics", metrics::FILE, &note);
    }
    Ok(())
}

/// `GET /__api__/server_settings`: proves this is Connect and the key works; returns the
/// version when the server shows it.
fn server_version(client: &Client) -> Result<Option<String>, FetchError> {
    let url = format!("{}/__api__/server_settings", client.base());
    match client.get(
        "/server_settings",
        "any valid API key can read server settings",
    )? {
        Got::Json(Value::Object(o)) => {
            Ok(o.get("version").and_then(Value::as_str).map(str::to_string))
        }
        Got::Json(_) => Err(FetchError::NotConnect {
            url,
            why: "server_settings is not a JSON object".into(),
        }),
        _ => Err(FetchError::NotConnect {
            url,
            why: "it has no /__api__/server_settings".into(),
        }),
    }
}

/// `2024.08.0` → (2024, 8).
fn version_tuple(v: Option<&str>) -> Option<(u32, u32)> {
    let mut parts = v?.split('.');
    let year = parts.next()?.trim().parse().ok()?;
    let month = parts.next()?.trim().parse().ok()?;
    Some((year, month))
}

/// The server address as `scheme://host[:port][/prefix]`: trailing `/` and `/__api__`
/// removed; only http and https; no user name or password in it.
pub fn server_base(url: &str) -> Result<String, String> {
    let u = url.trim().trim_end_matches('/');
    let u = u
        .strip_suffix("/__api__")
        .unwrap_or(u)
        .trim_end_matches('/');
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("--server '{u}': give an http:// or https:// address, e.g. https://connect.example.com")
        })?;
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() {
        return Err(format!("--server '{u}': the address has no host"));
    }
    if authority.contains('@') {
        return Err(
            "--server: leave user names and passwords out of the address; the API key comes from CONNECT_API_KEY"
                .into(),
        );
    }
    if rest.contains(['?', '#', ' ']) {
        return Err(format!(
            "--server '{u}': give the server address only, without a query"
        ));
    }
    Ok(u.to_string())
}

/// The default cache folder for `analyze --server`:
/// `$XDG_CACHE_HOME/connect-capacity/<host>` (else `~/.cache/connect-capacity/<host>`),
/// `<host>` being the address's host and port with `:` written `_`.
pub fn default_cache(base: &str) -> Option<PathBuf> {
    let root = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let host: String = rest
        .split('/')
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(root.join("connect-capacity").join(host))
}

/// True for loopback hosts, where plain http is fine.
pub fn is_loopback(base: &str) -> bool {
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "localhost" | "[::1]") || host.starts_with("127.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_normalised_or_refused() {
        assert_eq!(
            server_base(" https://c.example.com/__api__/ ").unwrap(),
            "https://c.example.com"
        );
        assert_eq!(
            server_base("http://h:3939/rsc/").unwrap(),
            "http://h:3939/rsc"
        );
        assert!(server_base("c.example.com").is_err());
        assert!(server_base("https://").is_err());
        assert!(server_base("https://u:p@h").is_err());
        assert!(server_base("ftp://h").is_err());
    }

    #[test]
    fn cache_folder_names_the_host() {
        let p = default_cache("http://127.0.0.1:3939/rsc").unwrap();
        assert!(p.ends_with("connect-capacity/127.0.0.1_3939"), "{p:?}");
    }

    #[test]
    fn loopback_and_versions() {
        assert!(is_loopback("http://127.0.0.1:8080"));
        assert!(is_loopback("http://localhost"));
        assert!(!is_loopback("http://connect.example.com"));
        assert_eq!(version_tuple(Some("2024.08.0")), Some((2024, 8)));
        assert_eq!(
            version_tuple(Some("2025.04.1")).map(|v| v < HITS_SINCE),
            Some(false)
        );
        assert_eq!(version_tuple(None), None);
    }

    #[test]
    fn every_error_text_is_scrubbed_of_the_key() {
        let k = ApiKey::new("s3cr3t-key");
        let errs = vec![
            FetchError::Network {
                url: "u".into(),
                why: "io: bad header s3cr3t-key".into(),
            },
            FetchError::NotConnect {
                url: "u".into(),
                why: "it answered with text/plain; x=Key s3cr3t-key".into(),
            },
            FetchError::GaveUp {
                url: "u?s3cr3t-key".into(),
                why: "s3cr3t-key".into(),
                attempts: 2,
            },
            FetchError::Malformed {
                url: "u".into(),
                why: "s3cr3t-key".into(),
            },
        ];
        for e in errs {
            let text = e.redact(&k).to_string();
            assert!(
                !text.contains("s3cr3t-key") && text.contains("<redacted>"),
                "{text}"
            );
        }
    }
}
