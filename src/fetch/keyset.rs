//! Incremental endpoints: the keyset-paged instrumentation endpoints (Shiny usage,
//! content visits) and the unpaged hits endpoint.
//!
//! A *pass* asks for everything from `from` on (`limit=500`, following `paging.next`).
//! Each page is appended to a journal (`.FILE.partial`, fsynced) and the state file then
//! records the next page's query and the journal length it vouches for; a killed run
//! resumes from that page after cutting the journal back to that length, so no page is
//! lost or kept twice. When the last page is in, the journal is merged into the file
//! ([`super::table::merge`]: re-fetched records replace their stored copies, open sessions
//! are replaced by their closed copies) and written atomically; then the state moves
//! `next_from` on to the newest time seen less [`LOOKBACK`], or to the start of the
//! oldest session still open within [`OPEN_HORIZON`], whichever is earlier.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::http::Got;
use super::state::{EndpointState, Resume, State};
use super::table::{self, Column, Merge, Row, Table};
use super::{Ctx, FetchError, Note};

/// Re-asked overlap before the newest record: covers records the server commits late.
pub const LOOKBACK: i64 = 3_600_000_000;
/// Sessions still open this long after the newest record are taken as lost ends and no
/// longer hold `next_from` back.
pub const OPEN_HORIZON: i64 = 48 * 3_600_000_000;
/// Page size asked for (the API's maximum).
pub const PAGE: u32 = 500;

/// One incremental endpoint.
#[derive(Debug)]
pub struct Spec {
    /// State key and file stem.
    pub name: &'static str,
    /// Human name.
    pub label: &'static str,
    /// API path under `/__api__`.
    pub path: &'static str,
    /// Output file name.
    pub file: &'static str,
    /// Columns written.
    pub columns: &'static [Column],
    /// How re-fetched rows replace stored ones.
    pub merge: Merge,
    /// Columns whose latest value is "how far we got".
    pub time_cols: &'static [&'static str],
    /// Documented default `min_data_version` (`None`: the endpoint has none).
    pub min_data_version: Option<i64>,
    /// Keyset-paged (`results` + `paging`) rather than a bare array.
    pub paged: bool,
    /// Role the endpoint needs, for a 403.
    pub needs: &'static str,
}

/// Runs one pass of `spec` (resuming an interrupted one) and merges it into its file.
pub fn run(ctx: &Ctx, spec: &Spec, state: &mut State) -> Result<Note, FetchError> {
    let mut es = state.endpoints.get(spec.name).cloned().unwrap_or_default();
    let mdv = ctx.min_data_version.or(spec.min_data_version);
    let reset = es.passes > 0 && (es.min_data_version != mdv || backfill(ctx.from, &es));
    let journal = ctx.dir.join(format!(".{}.partial", spec.file));
    let resume = es
        .resume
        .clone()
        .filter(|r| !reset && journal_holds(&journal, r));
    let resumed = resume.is_some();
    let (mut query, pass_from, mut journal_len) = match resume {
        Some(r) => (r.query, r.pass_from, r.journal_len),
        None => {
            let from = pass_start(ctx.from, &es, reset);
            let len = start_journal(&journal, spec.columns)?;
            (
                Some(initial_query(spec, from.as_deref(), ctx, mdv)),
                from,
                len,
            )
        }
    };
    cut_journal(&journal, journal_len)?;
    let mut pages = 0u32;
    while let Some(q) = query.take() {
        let got = ctx.client.get(&format!("{}?{q}", spec.path), spec.needs);
        let page = match got {
            Ok(Got::Json(v)) => v,
            Ok(Got::Missing) if pages == 0 && !resumed => {
                let _ = std::fs::remove_file(&journal);
                return Ok(Note::Missing);
            }
            Ok(Got::Missing) | Err(FetchError::Status { .. }) if pages == 0 && resumed => {
                // The saved cursor is no longer valid: keep what the journal holds and
                // start a new pass from the last completed one's `next_from`.
                eprintln!(
                    "note: {}: the saved page is gone; starting the pass again",
                    spec.label
                );
                fold(ctx, spec, &journal)?;
                es.resume = None;
                state.endpoints.insert(spec.name.into(), es);
                super::state::save(ctx.dir, state)?;
                let _ = std::fs::remove_file(&journal);
                return run(ctx, spec, state);
            }
            Ok(Got::Missing | Got::Forbidden) => return Err(missing_mid_pass(ctx, spec)),
            Err(e) => return Err(e),
        };
        let (records, next) = split_page(spec, &page, &q, ctx)?;
        let rows: Vec<Row> = records
            .iter()
            .map(|r| table::row_from_json(spec.columns, r))
            .collect();
        journal_len = append(&journal, spec.columns, &rows)?;
        query = next.filter(|_| !records.is_empty());
        es.resume = Some(Resume {
            query: query.clone(),
            pass_from: pass_from.clone(),
            journal_len,
        });
        state.endpoints.insert(spec.name.into(), es.clone());
        super::state::save(ctx.dir, state)?;
        pages += 1;
    }
    let (n_fetched, merged) = fold(ctx, spec, &journal)?;
    finish(&mut es, &merged, spec, ctx, reset, pass_from, mdv);
    state.endpoints.insert(spec.name.into(), es.clone());
    super::state::save(ctx.dir, state)?;
    let _ = std::fs::remove_file(&journal);
    Ok(Note::Fetched {
        fetched: n_fetched,
        rows: es.rows,
        open: open_sessions(&merged),
    })
}

/// Merges the journal into the endpoint's file (written atomically); returns the number
/// of journal rows and the merged table.
fn fold(ctx: &Ctx, spec: &Spec, journal: &Path) -> Result<(u64, Table), FetchError> {
    let fetched = table::load(journal, spec.columns)?.rows;
    let n = fetched.len() as u64;
    let file = ctx.dir.join(spec.file);
    let merged = table::merge(
        table::load(&file, spec.columns)?,
        fetched,
        spec.merge,
        spec.time_cols[0],
    );
    table::save(&file, &merged)?;
    Ok((n, merged))
}

/// True when `--from` asks for earlier records than were ever fetched.
fn backfill(from: Option<i64>, es: &EndpointState) -> bool {
    match (from, table::micros(es.covered_from.as_deref())) {
        (_, None) if es.covered_from.is_none() => false,
        (None, _) => true,
        (Some(f), Some(c)) => f < c,
        (Some(_), None) => false,
    }
}

/// The `from` of a new pass: `--from` on a first or reset pass, else the later of
/// `next_from` and `--from`.
fn pass_start(from: Option<i64>, es: &EndpointState, reset: bool) -> Option<String> {
    let asked = from.map(rfc3339);
    if es.passes == 0 || reset {
        return asked;
    }
    match (table::micros(es.next_from.as_deref()), from) {
        (Some(n), Some(f)) => Some(rfc3339(n.max(f))),
        (Some(n), None) => Some(rfc3339(n)),
        (None, _) => asked,
    }
}

/// The state after a completed pass.
fn finish(
    es: &mut EndpointState,
    merged: &Table,
    spec: &Spec,
    ctx: &Ctx,
    reset: bool,
    pass_from: Option<String>,
    mdv: Option<i64>,
) {
    if es.passes == 0 || reset {
        es.covered_from = ctx.from.map(rfc3339);
    }
    es.next_from = next_from(merged, spec.time_cols).map(rfc3339).or(pass_from);
    es.min_data_version = mdv;
    es.rows = merged.rows.len() as u64;
    es.passes += 1;
    es.resume = None;
}

/// Newest time less [`LOOKBACK`], held back to the oldest recent open session.
fn next_from(t: &Table, time_cols: &[&str]) -> Option<i64> {
    let idx: Vec<usize> = time_cols
        .iter()
        .filter_map(|c| table::col(t.columns, c))
        .collect();
    let newest = t
        .rows
        .iter()
        .flat_map(|r| idx.iter().filter_map(|&i| table::micros(r[i].as_deref())))
        .max()?;
    let mut next = newest - LOOKBACK;
    if let (Some(s), Some(e)) = (
        table::col(t.columns, "started"),
        table::col(t.columns, "ended"),
    ) {
        let oldest_open = t
            .rows
            .iter()
            .filter(|r| r[e].is_none())
            .filter_map(|r| table::micros(r[s].as_deref()))
            .filter(|&st| st >= newest - OPEN_HORIZON)
            .min();
        if let Some(o) = oldest_open {
            next = next.min(o);
        }
    }
    Some(next)
}

/// Rows with no end (sessions only).
fn open_sessions(t: &Table) -> u64 {
    table::col(t.columns, "ended")
        .map(|e| t.rows.iter().filter(|r| r[e].is_none()).count() as u64)
        .unwrap_or(0)
}

/// RFC 3339 UTC text of microseconds.
pub fn rfc3339(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// The first page's query.
fn initial_query(spec: &Spec, from: Option<&str>, ctx: &Ctx, mdv: Option<i64>) -> String {
    let mut q: Vec<(String, String)> = Vec::new();
    if spec.paged {
        q.push(("limit".into(), PAGE.to_string()));
    }
    if let Some(f) = from {
        q.push(("from".into(), encode(f)));
    }
    if let Some(t) = ctx.to {
        q.push(("to".into(), encode(&rfc3339(t))));
    }
    if let Some(m) = mdv {
        q.push(("min_data_version".into(), m.to_string()));
    }
    if spec.paged {
        q.push(("asc_order".into(), "true".into()));
    }
    join(&q)
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn split_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

fn join(q: &[(String, String)]) -> String {
    let parts: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join("&")
}

/// The query of the page after `current`: the pairs of `paging.next` (only its query is
/// used, on our own server address, so the key never follows a link elsewhere) laid over
/// the current ones, so `from`, `to`, `limit` and `min_data_version` are always re-sent.
/// Falls back to `paging.cursors.next`. `None` on the last page.
pub fn next_query(current: &str, paging: Option<&Value>) -> Option<String> {
    let paging = paging?;
    let from_link = paging
        .get("next")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|link| {
            let q = link.split_once('?').map_or("", |(_, q)| q);
            split_query(q.split('#').next().unwrap_or(""))
        });
    let pairs = match from_link {
        Some(p) if !p.is_empty() => p,
        _ => {
            let cursor = paging
                .get("cursors")
                .and_then(|c| c.get("next"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())?;
            vec![("next".into(), encode(cursor))]
        }
    };
    let mut q = split_query(current);
    q.retain(|(k, _)| k != "previous" && !pairs.iter().any(|(pk, _)| pk == k));
    q.extend(pairs);
    let next = join(&q);
    (next != current).then_some(next)
}

/// A page's records and the next page's query.
fn split_page<'v>(
    spec: &Spec,
    page: &'v Value,
    current: &str,
    ctx: &Ctx,
) -> Result<(&'v [Value], Option<String>), FetchError> {
    let bad = |why: &str| FetchError::Malformed {
        url: format!("{}/__api__{}?{current}", ctx.client.base(), spec.path),
        why: why.to_string(),
    };
    if !spec.paged {
        let list = page
            .as_array()
            .or_else(|| page.get("results").and_then(Value::as_array))
            .ok_or_else(|| bad("expected a JSON array of records"))?;
        return Ok((list, None));
    }
    let list = page
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("expected an object with a \"results\" array"))?;
    if list.iter().any(|r| !r.is_object()) {
        return Err(bad("a record in \"results\" is not a JSON object"));
    }
    Ok((list, next_query(current, page.get("paging"))))
}

fn missing_mid_pass(ctx: &Ctx, spec: &Spec) -> FetchError {
    FetchError::Status {
        url: format!("{}/__api__{}", ctx.client.base(), spec.path),
        status: 404,
        detail: ": the next page vanished; run fetch again to restart this endpoint's pass".into(),
    }
}

/// Creates a journal holding only the header; returns its length.
fn start_journal(path: &Path, columns: &[Column]) -> Result<u64, FetchError> {
    let mut buf = Vec::new();
    table::write_header(columns, &mut buf).map_err(|e| io(path, e))?;
    let mut f = File::create(path).map_err(|e| io(path, e))?;
    f.write_all(&buf).map_err(|e| io(path, e))?;
    f.sync_all().map_err(|e| io(path, e))?;
    Ok(buf.len() as u64)
}

/// True when the journal still holds the bytes the state vouches for.
fn journal_holds(path: &Path, r: &Resume) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() >= r.journal_len)
}

/// Cuts off anything a killed run appended after the vouched-for length.
fn cut_journal(path: &Path, len: u64) -> Result<(), FetchError> {
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io(path, e))?;
    f.set_len(len).map_err(|e| io(path, e))?;
    f.sync_all().map_err(|e| io(path, e))
}

/// Appends rows, fsyncs, returns the new length.
fn append(path: &Path, columns: &[Column], rows: &[Row]) -> Result<u64, FetchError> {
    let mut buf = Vec::new();
    table::write_rows(columns, rows, &mut buf).map_err(|e| io(path, e))?;
    let mut f = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| io(path, e))?;
    f.write_all(&buf).map_err(|e| io(path, e))?;
    f.sync_data().map_err(|e| io(path, e))?;
    let len = f.metadata().map_err(|e| io(path, e))?.len();
    Ok(len)
}

fn io(path: &Path, e: std::io::Error) -> FetchError {
    crate::Error::io(PathBuf::from(path), e).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_query_keeps_our_parameters_and_takes_the_cursor() {
        let paging = serde_json::json!({
            "cursors": {"previous": null, "next": "23948901087"},
            "next": "http://elsewhere:3939/__api__/v1/instrumentation/shiny/usage?next=23948901087&limit=500"
        });
        let q = next_query("limit=500&from=2024-01-01T00%3A00%3A00Z", Some(&paging)).unwrap();
        assert_eq!(
            q,
            "from=2024-01-01T00%3A00%3A00Z&next=23948901087&limit=500"
        );
        // The last page: no next link, no cursor.
        let last = serde_json::json!({"cursors": {"next": null}, "next": null});
        assert_eq!(next_query("limit=500", Some(&last)), None);
        assert_eq!(next_query("limit=500", None), None);
        // Only a cursor.
        let cur = serde_json::json!({"cursors": {"next": "a b"}});
        assert_eq!(
            next_query("limit=500&next=x", Some(&cur)).unwrap(),
            "limit=500&next=a%20b"
        );
        // A next link equal to the current page ends the walk instead of looping.
        let same = serde_json::json!({"next": "http://h/x?limit=500"});
        assert_eq!(next_query("limit=500", Some(&same)), None);
    }

    #[test]
    fn encode_keeps_unreserved() {
        assert_eq!(encode("2024-01-01T00:00:00Z"), "2024-01-01T00%3A00%3A00Z");
        assert_eq!(encode("a+b/c"), "a%2Bb%2Fc");
    }

    const SHINY: &[Column] = &[
        ("content_guid", table::Ty::Text),
        ("started", table::Ty::Time),
        ("ended", table::Ty::Time),
    ];

    fn row(st: &str, en: Option<&str>) -> Row {
        vec![Some("c".into()), Some(st.into()), en.map(Into::into)]
    }

    #[test]
    fn next_from_is_newest_less_an_hour_or_the_oldest_recent_open_session() {
        let t = |rows| Table {
            columns: SHINY,
            rows,
        };
        let cols = &["started", "ended"];
        // Newest time 12:00 (an end) → 11:00.
        let closed = t(vec![row(
            "2024-01-02T10:00:00Z",
            Some("2024-01-02T12:00:00Z"),
        )]);
        assert_eq!(
            next_from(&closed, cols).map(rfc3339).as_deref(),
            Some("2024-01-02T11:00:00Z")
        );
        // A session open since 09:00 holds it back to 09:00.
        let mut rows = closed.rows.clone();
        rows.push(row("2024-01-02T09:00:00Z", None));
        assert_eq!(
            next_from(&t(rows.clone()), cols).map(rfc3339).as_deref(),
            Some("2024-01-02T09:00:00Z")
        );
        // One open for more than 48 h before the newest time no longer does.
        rows.pop();
        rows.push(row("2023-12-31T11:59:59Z", None));
        assert_eq!(
            next_from(&t(rows), cols).map(rfc3339).as_deref(),
            Some("2024-01-02T11:00:00Z")
        );
        assert_eq!(next_from(&t(vec![]), cols), None);
    }

    #[test]
    fn backfill_only_when_asking_for_earlier_than_covered() {
        let es = |c: Option<&str>| EndpointState {
            covered_from: c.map(Into::into),
            passes: 1,
            ..Default::default()
        };
        let jan = table::micros(Some("2024-01-01T00:00:00Z"));
        let feb = table::micros(Some("2024-02-01T00:00:00Z"));
        assert!(!backfill(None, &es(None)));
        assert!(!backfill(jan, &es(None)));
        assert!(backfill(None, &es(Some("2024-02-01T00:00:00Z"))));
        assert!(backfill(jan, &es(Some("2024-02-01T00:00:00Z"))));
        assert!(!backfill(feb, &es(Some("2024-01-01T00:00:00Z"))));
    }
}
