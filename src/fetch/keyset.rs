//! Incremental endpoints: the keyset-paged instrumentation endpoints (Shiny usage,
//! content visits) and the unpaged hits endpoint.
//!
//! The state records the time ranges fetched completely ([`super::state`]). A run asks
//! only for the parts of its window (`--from`/`--to`, else everything) outside them, one
//! *pass* per part: `from`/`to` the part's ends, `limit=500`, following `paging.next`.
//! Each page is appended to a journal (`.FILE.partial`, fsynced) and the state file then
//! records the next page's query and the journal length it vouches for; a killed run
//! resumes from that page after cutting the journal back to that length, so no page is
//! lost or kept twice. When the last page is in, the journal is merged into the file
//! ([`super::table::merge`]: re-fetched records replace their stored copies, open sessions
//! are replaced by their closed copies) and written atomically; then the pass's range is
//! recorded as covered up to its settled end ([`settled_end`]): its `to` when that is over
//! an hour ago, else the newest time seen less [`LOOKBACK`]; either held back to the start
//! of the oldest session still open within [`OPEN_HORIZON`] of it. Times after the local
//! clock never count.
//!
//! Records are checked against the API's types ([`table::row_checked`]); bad ones are
//! skipped, counted and named in a note, never written. A server whose paging does not
//! end is stopped: a cursor or a page of records seen before in the pass, a page going
//! back in time, or more than [`MAX_PAGES`] pages is a malformed-response error (exit 1),
//! with the state still pointing at the last good page.
//!
//! This file holds the endpoints, the run over a window's uncovered parts, the queries
//! and the settled end; one pass (pages, journal, guards, merge) is in `pass.rs`.

use serde_json::Value;

use super::pass::{journal_holds, missing_mid_pass, pass, PassEnd, Start};
use super::state::{self, gaps, State};
use super::table::{self, Column, Merge, Row, Table};
use super::{Ctx, FetchError, Note};

pub use super::state::rfc3339;

/// Re-asked overlap before the newest record: covers records the server commits late.
pub const LOOKBACK: i64 = 3_600_000_000;
/// Sessions still open this long before the settled end are taken as lost ends and no
/// longer hold it back.
pub const OPEN_HORIZON: i64 = 48 * 3_600_000_000;
/// Page size asked for (the API's maximum).
pub const PAGE: u32 = 500;
/// Most pages one pass follows (500 million records) before it is taken as a server
/// whose paging never ends.
pub const MAX_PAGES: u64 = 1_000_000;
/// Malformed records named in the note (the rest are only counted).
pub(super) const SHOW_BAD: usize = 3;

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
    /// Columns whose latest value is "how far we got" (the first orders the pages).
    pub time_cols: &'static [&'static str],
    /// Documented default `min_data_version` (`None`: the endpoint has none).
    pub min_data_version: Option<i64>,
    /// Keyset-paged (`results` + `paging`) rather than a bare array.
    pub paged: bool,
    /// Role the endpoint needs, for a 403.
    pub needs: &'static str,
    /// Fields a record must have (not null).
    pub required: &'static [&'static str],
}

/// Runs an interrupted pass to its end, then one pass per uncovered part of the window,
/// and merges each into the endpoint's file.
pub fn run(ctx: &Ctx, spec: &Spec, state: &mut State) -> Result<Note, FetchError> {
    let mut es = state.endpoints.get(spec.name).cloned().unwrap_or_default();
    let mdv = ctx.min_data_version.or(spec.min_data_version);
    let journal = ctx.dir.join(format!(".{}.partial", spec.file));
    if es.passes > 0 && es.min_data_version != mdv {
        // Another min_data_version: what is stored says nothing about the new one.
        es.covered.clear();
        es.resume = None;
    }
    // Journal rows fetched, malformed records skipped, the last merged table.
    let mut sum: (u64, u64, Option<Table>) = (0, 0, None);
    let done = |end: PassEnd, sum: &mut (u64, u64, Option<Table>)| {
        if let PassEnd::Done(n, b, t) = end {
            sum.0 += n;
            sum.1 += b;
            sum.2 = Some(t);
        }
    };
    // Ranges asked for in this run are not asked again in it (their unsettled tail is
    // asked again by the next run).
    let mut asked: Vec<state::Range> = Vec::new();
    if let Some(r) = es.resume.clone().filter(|r| journal_holds(&journal, r)) {
        let t = |s: &Option<String>| s.as_deref().and_then(|s| table::micros(Some(s)));
        let range = (
            t(&r.pass_from).unwrap_or(i64::MIN),
            t(&r.pass_to).unwrap_or(i64::MAX),
        );
        let end = pass(ctx, spec, state, &mut es, &journal, Start::Resume(r), mdv)?;
        if matches!(end, PassEnd::Done(..)) {
            asked.push(range);
        }
        done(end, &mut sum);
    }
    es.resume = None;
    let want = (ctx.from.unwrap_or(i64::MIN), ctx.to.unwrap_or(i64::MAX));
    let mut skip = es.ranges();
    skip.extend(asked);
    skip.sort_unstable();
    for (from, to) in gaps(want, &state::normalised(skip)) {
        match pass(
            ctx,
            spec,
            state,
            &mut es,
            &journal,
            Start::New { from, to },
            mdv,
        )? {
            PassEnd::Missing if sum.2.is_none() => return Ok(Note::Missing),
            PassEnd::Missing => return Err(missing_mid_pass(ctx, spec)),
            end => done(end, &mut sum),
        }
    }
    let (fetched, bad, last) = sum;
    let merged = match last {
        Some(t) => t,
        None => table::load(&ctx.dir.join(spec.file), spec.columns)?,
    };
    Ok(Note::Fetched {
        fetched,
        rows: merged.rows.len() as u64,
        open: open_sessions(&merged),
        bad,
    })
}

/// How far a finished pass with `to` (`None`: open-ended) and these rows is complete:
/// `to` when it is [`LOOKBACK`] or more before `now`, else the newest time in the rows (up
/// to `to` and `now`; later times are not trusted) less [`LOOKBACK`]; then held back to the
/// start of the oldest session still open that started within [`OPEN_HORIZON`] before it.
/// `None` when nothing is known to be complete (no rows in a recent window).
pub fn settled_end(
    rows: &[Row],
    columns: &[Column],
    time_cols: &[&str],
    to: Option<i64>,
    now: i64,
) -> Option<i64> {
    let cap = to.map_or(now, |t| t.min(now));
    let mut end = match to {
        Some(t) if t <= now.saturating_sub(LOOKBACK) => t,
        _ => {
            let cols: Vec<usize> = time_cols
                .iter()
                .filter_map(|c| table::col(columns, c))
                .collect();
            let newest = rows
                .iter()
                .flat_map(|r| {
                    cols.iter()
                        .filter_map(|&i| table::micros(r.get(i)?.as_deref()))
                })
                .filter(|&t| t <= cap)
                .max()?;
            newest.saturating_sub(LOOKBACK)
        }
    };
    if let (Some(s), Some(e)) = (table::col(columns, "started"), table::col(columns, "ended")) {
        let oldest_open = rows
            .iter()
            .filter(|r| r.get(e).is_some_and(|v| v.is_none()))
            .filter_map(|r| table::micros(r.get(s)?.as_deref()))
            .filter(|&st| st >= end.saturating_sub(OPEN_HORIZON) && st < end)
            .min();
        if let Some(o) = oldest_open {
            end = end.min(o);
        }
    }
    Some(end)
}

/// Rows with no end (sessions only).
fn open_sessions(t: &Table) -> u64 {
    table::col(t.columns, "ended")
        .map(|e| t.rows.iter().filter(|r| r[e].is_none()).count() as u64)
        .unwrap_or(0)
}

/// The first page's query.
pub(super) fn initial_query(
    spec: &Spec,
    from: Option<i64>,
    to: Option<i64>,
    mdv: Option<i64>,
) -> String {
    let mut q: Vec<(String, String)> = Vec::new();
    if spec.paged {
        q.push(("limit".into(), PAGE.to_string()));
    }
    if let Some(f) = from {
        q.push(("from".into(), encode(&rfc3339(f))));
    }
    if let Some(t) = to {
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

    fn at(s: &str) -> i64 {
        table::micros(Some(s)).unwrap()
    }

    #[test]
    fn settled_end_is_newest_less_an_hour_or_the_oldest_recent_open_session() {
        let cols = &["started", "ended"];
        let now = at("2025-01-01T00:00:00Z");
        let end =
            |rows: &[Row], to: Option<i64>| settled_end(rows, SHINY, cols, to, now).map(rfc3339);
        // Open-ended pass, newest time 12:00 (an end) → 11:00.
        let closed = vec![row("2024-01-02T10:00:00Z", Some("2024-01-02T12:00:00Z"))];
        assert_eq!(end(&closed, None).as_deref(), Some("2024-01-02T11:00:00Z"));
        // A session open since 09:00 holds it back to 09:00.
        let mut rows = closed.clone();
        rows.push(row("2024-01-02T09:00:00Z", None));
        assert_eq!(end(&rows, None).as_deref(), Some("2024-01-02T09:00:00Z"));
        // One open for more than 48 h before 11:00 no longer does.
        rows.pop();
        rows.push(row("2023-12-31T10:59:59Z", None));
        assert_eq!(end(&rows, None).as_deref(), Some("2024-01-02T11:00:00Z"));
        // Nothing fetched in an open-ended pass: nothing is known.
        assert_eq!(end(&[], None), None);
        // A window over an hour ago is complete up to its `to`, rows or not.
        let to = at("2024-01-05T00:00:00Z");
        assert_eq!(end(&[], Some(to)).as_deref(), Some("2024-01-05T00:00:00Z"));
        assert_eq!(
            end(&closed, Some(to)).as_deref(),
            Some("2024-01-05T00:00:00Z")
        );
        // ... held back by a session open within 48 h before it (starting 2024-01-04 20:00).
        let open = vec![row("2024-01-04T20:00:00Z", None)];
        assert_eq!(
            end(&open, Some(to)).as_deref(),
            Some("2024-01-04T20:00:00Z")
        );
        // A far-future time does not count: the newest trusted time is 12:00 → 11:00.
        let mut future = closed.clone();
        future.push(row("2099-01-01T00:00:00Z", Some("2099-01-01T01:00:00Z")));
        assert_eq!(end(&future, None).as_deref(), Some("2024-01-02T11:00:00Z"));
        // A window reaching into the last hour (to = 23:30): the newest time up to `to`
        // (23:20; the end at 23:40 is after `to`) less an hour.
        let recent_to = now - LOOKBACK / 2;
        let recent = vec![
            row("2024-12-31T23:00:00Z", Some("2024-12-31T23:20:00Z")),
            row("2024-12-31T23:10:00Z", Some("2024-12-31T23:40:00Z")),
        ];
        assert_eq!(
            end(&recent, Some(recent_to)).as_deref(),
            Some("2024-12-31T22:20:00Z")
        );
    }
}
