//! The HTTP side of `fetch`: one GET with a timeout, retries with exponential backoff on
//! 429 (honouring `Retry-After`), 5xx and dropped connections, and an error in words for
//! everything else. TLS is rustls with the webpki roots (or the PEM bundle of
//! `--ca-cert`); verification is off only with `--insecure`. A certificate that does not
//! verify is not retried (no wait makes it verify); the error says what to pass.
//!
//! The API key lives in [`ApiKey`], which has no `Display`, prints as `<redacted>` in
//! `Debug`, and is scrubbed from any text the server sends back before that text can reach
//! an error message: every message that leaves `fetch` goes through [`ApiKey::redact`]
//! ([`Client::note`] for notes, [`super::FetchError::redact`] for errors). Redirects are not followed (a redirect is reported with its target),
//! so the key is only ever sent to the `--server` host.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::FetchError;

/// The API key. Never printed, logged or written.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key (surrounding white space removed).
    pub fn new(key: &str) -> Self {
        ApiKey(key.trim().to_string())
    }
    /// True when the key is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `text` with every occurrence of the key replaced by `<redacted>`.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.0, "<redacted>")
        }
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Connection settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Accept any TLS certificate (`--insecure`).
    pub insecure: bool,
    /// Trust the certificates of this PEM file instead of the built-in roots
    /// (`--ca-cert`).
    pub ca_cert: Option<PathBuf>,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff; doubled on each retry, capped at [`MAX_WAIT`].
    pub retry_wait: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            insecure: false,
            ca_cert: None,
            timeout: Duration::from_secs(60),
            retries: 5,
            retry_wait: Duration::from_secs(1),
        }
    }
}

/// Longest wait between attempts (also the cap on `Retry-After`).
pub const MAX_WAIT: Duration = Duration::from_secs(300);

/// Largest response body read (the hits endpoint is unpaged).
const MAX_BODY: u64 = 4 << 30;

/// What a GET returned.
#[derive(Debug)]
pub enum Got {
    /// A JSON body.
    Json(Value),
    /// 404: the endpoint (or item) does not exist on this server.
    Missing,
    /// 403 where the caller tolerates it (e.g. jobs of content the key cannot see).
    Forbidden,
}

/// A Connect API client bound to one server.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    key: ApiKey,
    opts: HttpOptions,
}

/// One attempt's failure: retry it or give up with this error.
enum Attempt {
    Retry { why: String, wait: Option<Duration> },
    Fail(FetchError),
}

impl Client {
    /// A client for `base` (`https://host[:port][/prefix]`, no trailing slash).
    /// Fails only when `--ca-cert` cannot be read or holds no certificate.
    pub fn new(base: &str, key: ApiKey, opts: HttpOptions) -> Result<Self, FetchError> {
        let mut tls = ureq::tls::TlsConfig::builder().disable_verification(opts.insecure);
        if let Some(path) = &opts.ca_cert {
            tls = tls.root_certs(ureq::tls::RootCerts::from(read_pem(path)?));
        }
        let tls = tls.build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(opts.timeout))
            .tls_config(tls)
            .user_agent(concat!("connect-capacity/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Client {
            agent,
            base: base.to_string(),
            key,
            opts,
        })
    }

    /// The key (for redacting).
    pub fn key(&self) -> &ApiKey {
        &self.key
    }

    /// Prints a note line on stderr with the key redacted.
    pub fn note(&self, text: &str) {
        eprintln!("{}", self.key.redact(text));
    }

    /// The server address.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// GETs `/__api__{path_query}`; `needs` says which role the endpoint needs (for 403).
    pub fn get(&self, path_query: &str, needs: &str) -> Result<Got, FetchError> {
        self.get_inner(path_query, needs, false)
    }

    /// As [`Client::get`], but a 403 is returned as [`Got::Forbidden`].
    pub fn get_tolerant(&self, path_query: &str) -> Result<Got, FetchError> {
        self.get_inner(path_query, "", true)
    }

    fn get_inner(&self, path_query: &str, needs: &str, tolerant: bool) -> Result<Got, FetchError> {
        let url = format!("{}/__api__{path_query}", self.base);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match self.once(&url, needs, tolerant) {
                Ok(got) => return Ok(got),
                Err(Attempt::Fail(e)) => return Err(e),
                Err(Attempt::Retry { why, wait }) => {
                    if attempt > self.opts.retries {
                        return Err(FetchError::GaveUp {
                            url: self.key.redact(&url),
                            why: self.key.redact(&why),
                            attempts: attempt,
                        });
                    }
                    let backoff = self
                        .opts
                        .retry_wait
                        .saturating_mul(1 << (attempt - 1).min(16));
                    let wait = wait.unwrap_or(backoff).min(MAX_WAIT);
                    self.note(&format!(
                        "note: {}: {why}; retrying in {}s ({attempt}/{})",
                        path_query,
                        crate::format::fixed(wait.as_secs_f64(), 1),
                        self.opts.retries
                    ));
                    std::thread::sleep(wait);
                }
            }
        }
    }

    /// One request.
    fn once(&self, url: &str, needs: &str, tolerant: bool) -> Result<Got, Attempt> {
        let sent = self
            .agent
            .get(url)
            .header("Authorization", &format!("Key {}", self.key.0))
            .header("Accept", "application/json")
            .call();
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => return Err(transport(url, e)),
        };
        let status = resp.status().as_u16();
        let content_type = header(&resp, "content-type");
        let retry_after = header(&resp, "retry-after").and_then(|v| parse_retry_after(&v));
        let location = header(&resp, "location");
        let body = match read_body(resp.body_mut()) {
            Ok(b) => b,
            Err(why) if (200..300).contains(&status) => {
                return Err(Attempt::Retry { why, wait: None })
            }
            Err(_) => String::new(),
        };
        let url = self.key.redact(url);
        match status {
            200..=299 => parse_json(&url, content_type.as_deref(), &body).map(Got::Json),
            300..=399 => Err(Attempt::Fail(FetchError::Redirect {
                url,
                location: self.key.redact(&location.unwrap_or_else(|| "?".into())),
            })),
            401 => Err(Attempt::Fail(FetchError::Unauthorized { url })),
            403 if tolerant => Ok(Got::Forbidden),
            403 => Err(Attempt::Fail(FetchError::Forbidden {
                url,
                needs: needs.to_string(),
            })),
            404 => Ok(Got::Missing),
            408 | 429 | 500..=599 => Err(Attempt::Retry {
                why: format!("HTTP {status}"),
                wait: retry_after,
            }),
            _ => Err(Attempt::Fail(FetchError::Status {
                url,
                status,
                detail: self.key.redact(&excerpt(&body)),
            })),
        }
    }
}

/// A response header as text.
fn header<B>(resp: &ureq::http::Response<B>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The body as UTF-8 text (lossy), or why it could not be read.
fn read_body(body: &mut ureq::Body) -> Result<String, String> {
    let mut bytes = Vec::new();
    body.as_reader()
        .take(MAX_BODY)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("the connection broke while reading the response ({e})"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads the certificates of a PEM file (`--ca-cert`).
fn read_pem(path: &std::path::Path) -> Result<Vec<ureq::tls::Certificate<'static>>, FetchError> {
    let bad = |why: String| FetchError::State {
        path: path.to_path_buf(),
        why,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(format!("--ca-cert: cannot read it ({e})")))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&bytes) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => return Err(bad(format!("--ca-cert: not a PEM file ({e})"))),
        }
    }
    if certs.is_empty() {
        return Err(bad(
            "--ca-cert: no certificate in it; give a PEM file with -----BEGIN CERTIFICATE----- blocks"
                .into(),
        ));
    }
    Ok(certs)
}

/// True for an error text of a failed TLS handshake or certificate check (rustls reports
/// them through ureq as its own error or as an I/O error carrying the rustls text).
pub fn is_tls_failure(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    ["certificate", "rustls", "tls", "handshake", "alert"]
        .iter()
        .any(|w| t.contains(w))
}

/// What to do about a TLS failure.
pub const TLS_ADVICE: &str = "the TLS certificate check failed; if the server uses an \
    internal certificate authority or a self-signed certificate, pass --ca-cert FILE with \
    that certificate (PEM); --insecure turns the check off (only for testing)";

/// Transport errors: connection refused or reset, timeouts ... retried, except the ones a
/// retry cannot fix (bad addresses, TLS certificate failures).
fn transport(url: &str, e: ureq::Error) -> Attempt {
    let tls = matches!(
        e,
        ureq::Error::Tls(_)
            | ureq::Error::Rustls(_)
            | ureq::Error::Pem(_)
            | ureq::Error::TlsRequired
    ) || matches!(&e, ureq::Error::Io(io) if is_tls_failure(&io.to_string()));
    if tls {
        return Attempt::Fail(FetchError::Network {
            url: url.to_string(),
            why: format!("{TLS_ADVICE} ({e})"),
        });
    }
    let why = match &e {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::InvalidProxyUrl => {
            return Attempt::Fail(FetchError::Network {
                url: url.to_string(),
                why: e.to_string(),
            })
        }
        ureq::Error::Timeout(_) => {
            format!("timed out ({e}); raise --timeout if the server is slow")
        }
        ureq::Error::HostNotFound => "host not found (check the address in --server)".to_string(),
        _ => e.to_string(),
    };
    Attempt::Retry { why, wait: None }
}

/// `Retry-After` in seconds (the HTTP-date form is ignored: the backoff applies).
fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A JSON body, or the reason this is not the Connect API.
fn parse_json(url: &str, content_type: Option<&str>, body: &str) -> Result<Value, Attempt> {
    let trimmed = body.trim_start();
    let html = content_type.is_some_and(|c| c.to_ascii_lowercase().contains("html"))
        || trimmed.starts_with('<');
    if html {
        return Err(Attempt::Fail(FetchError::NotConnect {
            url: url.to_string(),
            why: "it answered with an HTML page".into(),
        }));
    }
    serde_json::from_str(body).map_err(|e| {
        let json_type = content_type.is_none_or(|c| c.to_ascii_lowercase().contains("json"));
        Attempt::Fail(if json_type {
            FetchError::Malformed {
                url: url.to_string(),
                why: e.to_string(),
            }
        } else {
            FetchError::NotConnect {
                url: url.to_string(),
                why: format!(
                    "it answered with {} rather than JSON",
                    content_type.unwrap_or("?")
                ),
            }
        })
    })
}

/// At most 200 characters of an error body, on one line.
fn excerpt(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = one_line.chars().take(200).collect();
    if cut.is_empty() {
        String::new()
    } else {
        format!(": {cut}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_redacted_everywhere() {
        let k = ApiKey::new(" s3cr3t ");
        assert_eq!(format!("{k:?}"), "ApiKey(<redacted>)");
        assert_eq!(k.redact("a s3cr3t b s3cr3t"), "a <redacted> b <redacted>");
        assert_eq!(ApiKey::new("").redact("x"), "x");
    }

    #[test]
    fn html_and_non_json_are_not_connect_and_bad_json_is_malformed() {
        let e = |r: Result<Value, Attempt>| match r {
            Err(Attempt::Fail(e)) => e,
            _ => panic!("expected a failure"),
        };
        assert!(matches!(
            e(parse_json(
                "u",
                Some("text/html; charset=utf-8"),
                "<!doctype html>"
            )),
            FetchError::NotConnect { .. }
        ));
        assert!(matches!(
            e(parse_json("u", None, "  <html>")),
            FetchError::NotConnect { .. }
        ));
        assert!(matches!(
            e(parse_json("u", Some("text/plain"), "hello")),
            FetchError::NotConnect { .. }
        ));
        assert!(matches!(
            e(parse_json("u", Some("application/json"), "{\"results\": [")),
            FetchError::Malformed { .. }
        ));
        assert!(parse_json("u", Some("application/json"), "{\"a\":1}").is_ok());
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
