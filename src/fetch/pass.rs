//! One pass of an incremental endpoint ([`super::keyset`]): from its first query (or the
//! saved page it resumes at) page by page into the journal, the state saved after every
//! page, then the journal merged into the file and the pass's range recorded as covered up
//! to its settled end. The guards against a server whose paging never ends live here: a
//! cursor or a page of records seen before in the pass, a page going back in time, or more
//! than [`MAX_PAGES`] pages.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use serde_json::Value;

use super::http::Got;
use super::keyset::{initial_query, next_query, rfc3339, settled_end, Spec, MAX_PAGES, SHOW_BAD};
use super::state::{EndpointState, Resume, State};
use super::table::{self, Column, Row, Table};
use super::{Ctx, FetchError};

/// Where a pass starts.
pub(super) enum Start {
    New { from: i64, to: i64 },
    Resume(Resume),
}

/// How a pass ended.
pub(super) enum PassEnd {
    /// Every page in, merged: journal rows, malformed records skipped, the merged table.
    Done(u64, u64, Table),
    /// 404 on the first page of a new pass.
    Missing,
    /// The resumed cursor is gone: what the journal held is merged; ask again.
    Stale,
}

/// One pass: pages into the journal, then merged; the state saved after every page.
pub(super) fn pass(
    ctx: &Ctx,
    spec: &Spec,
    state: &mut State,
    es: &mut EndpointState,
    journal: &Path,
    start: Start,
    mdv: Option<i64>,
) -> Result<PassEnd, FetchError> {
    let (mut p, mut query) = Pass::begin(ctx, spec, journal, start, mdv)?;
    while let Some(q) = query.take() {
        let page = match p.ask(&q)? {
            Asked::Page(v) => v,
            Asked::Missing => {
                let _ = std::fs::remove_file(journal);
                return Ok(PassEnd::Missing);
            }
            Asked::Stale => return p.stale(state, es),
        };
        query = p.take_page(&q, &page)?;
        p.save_progress(state, es, &query)?;
    }
    p.note_bad();
    p.finish(state, es, mdv)
}

/// What asking for a page gave.
enum Asked {
    /// The page.
    Page(Value),
    /// 404 on the first page of a new pass: the server has no such endpoint.
    Missing,
    /// The resumed pass's saved page is gone.
    Stale,
}

/// A pass under way: its range, its journal and what it has seen, which the guards
/// against a server whose paging never ends check.
struct Pass<'a> {
    ctx: &'a Ctx<'a>,
    spec: &'a Spec,
    journal: &'a Path,
    resumed: bool,
    pass_from: Option<i64>,
    pass_to: Option<i64>,
    journal_len: u64,
    pages: u64,
    seen_queries: HashSet<String>,
    seen_pages: HashSet<Vec<Row>>,
    last_time: Option<i64>,
    bad: Vec<String>,
}

impl<'a> Pass<'a> {
    /// A new pass (a fresh journal holding only the header) or a resumed one (its journal
    /// cut back to the length the state vouches for), with its first query.
    fn begin(
        ctx: &'a Ctx<'a>,
        spec: &'a Spec,
        journal: &'a Path,
        start: Start,
        mdv: Option<i64>,
    ) -> Result<(Self, Option<String>), FetchError> {
        let resumed = matches!(start, Start::Resume(_));
        let (query, pass_from, pass_to, journal_len) = match start {
            Start::Resume(r) => (
                r.query,
                r.pass_from.as_deref().and_then(|s| table::micros(Some(s))),
                r.pass_to.as_deref().and_then(|s| table::micros(Some(s))),
                r.journal_len,
            ),
            Start::New { from, to } => {
                let from = (from != i64::MIN).then_some(from);
                let to = (to != i64::MAX).then_some(to);
                let len = start_journal(journal, spec.columns)?;
                (Some(initial_query(spec, from, to, mdv)), from, to, len)
            }
        };
        cut_journal(journal, journal_len)?;
        let pass = Pass {
            ctx,
            spec,
            journal,
            resumed,
            pass_from,
            pass_to,
            journal_len,
            pages: 0,
            seen_queries: HashSet::new(),
            seen_pages: HashSet::new(),
            last_time: None,
            bad: Vec::new(),
        };
        Ok((pass, query))
    }

    /// The error for a server whose paging does not end, at the page of query `q`.
    fn looping(&self, q: &str, why: &str) -> FetchError {
        FetchError::Malformed {
            url: format!("{}/__api__{}?{q}", self.ctx.client.base(), self.spec.path),
            why: format!(
                "{why}: its paging does not end; fetch stopped here (a later run resumes at \
                 this page)"
            ),
        }
    }

    /// Asks for the page of query `q` (at most [`MAX_PAGES`] in a pass).
    fn ask(&mut self, q: &str) -> Result<Asked, FetchError> {
        if self.pages >= MAX_PAGES {
            let why = format!("more than {MAX_PAGES} pages in one pass");
            return Err(self.looping(q, &why));
        }
        self.seen_queries.insert(q.to_string());
        let got = self
            .ctx
            .client
            .get(&format!("{}?{q}", self.spec.path), self.spec.needs);
        let first = self.pages == 0;
        match got {
            Ok(Got::Json(v)) => Ok(Asked::Page(v)),
            Ok(Got::Missing) if first && !self.resumed => Ok(Asked::Missing),
            Ok(Got::Missing) | Err(FetchError::Status { .. }) if first && self.resumed => {
                Ok(Asked::Stale)
            }
            Ok(Got::Missing | Got::Forbidden) => Err(missing_mid_pass(self.ctx, self.spec)),
            Err(e) => Err(e),
        }
    }

    /// The saved cursor is no longer valid: keeps what the journal holds; the range is
    /// asked for again as an uncovered part.
    fn stale(&self, state: &mut State, es: &mut EndpointState) -> Result<PassEnd, FetchError> {
        self.ctx.client.note(&format!(
            "note: {}: the saved page is gone; starting the pass again",
            self.spec.label
        ));
        fold(self.ctx, self.spec, self.journal)?;
        es.resume = None;
        save(self.ctx, self.spec, state, es)?;
        let _ = std::fs::remove_file(self.journal);
        Ok(PassEnd::Stale)
    }

    /// Checks the page of query `q`, appends its good records to the journal and returns
    /// the next page's query.
    fn take_page(&mut self, q: &str, page: &Value) -> Result<Option<String>, FetchError> {
        let (records, next) = split_page(self.spec, page, q, self.ctx)?;
        let rows = self.checked(records);
        if !rows.is_empty() {
            self.guard_rows(q, &rows)?;
        }
        let next = next.filter(|_| !records.is_empty());
        if next.as_ref().is_some_and(|n| self.seen_queries.contains(n)) {
            return Err(self.looping(
                q,
                "the next-page cursor repeats one already followed in this pass",
            ));
        }
        self.journal_len = append(self.journal, self.spec.columns, &rows)?;
        Ok(next)
    }

    /// The records that match the API's types; the others are counted and named.
    fn checked(&mut self, records: &[Value]) -> Vec<Row> {
        let mut rows: Vec<Row> = Vec::with_capacity(records.len());
        for r in records {
            match table::row_checked(self.spec.columns, r, self.spec.required) {
                Ok(row) => rows.push(row),
                Err(why) => self.bad.push(why),
            }
        }
        rows
    }

    /// A page of records seen before in the pass, or (keyset-paged) one going back in
    /// time, is an error.
    fn guard_rows(&mut self, q: &str, rows: &[Row]) -> Result<(), FetchError> {
        if !self.seen_pages.insert(rows.to_vec()) {
            return Err(self.looping(
                q,
                "the server sent a page of records it had already sent in this pass",
            ));
        }
        if !self.spec.paged {
            return Ok(());
        }
        let order = table::col(self.spec.columns, self.spec.time_cols[0]);
        let times: Vec<i64> = order
            .map(|i| {
                rows.iter()
                    .filter_map(|r| table::micros(r[i].as_deref()))
                    .collect()
            })
            .unwrap_or_default();
        if let (Some(prev), Some(first)) = (self.last_time, times.iter().min()) {
            if *first < prev {
                let why = format!(
                    "this page goes back in time ({} after {})",
                    rfc3339(*first),
                    rfc3339(prev)
                );
                return Err(self.looping(q, &why));
            }
        }
        self.last_time = times.iter().max().copied().or(self.last_time);
        Ok(())
    }

    /// Records in the state that the pass continues at `query`, with the journal as long
    /// as it is now.
    fn save_progress(
        &mut self,
        state: &mut State,
        es: &mut EndpointState,
        query: &Option<String>,
    ) -> Result<(), FetchError> {
        es.resume = Some(Resume {
            query: query.clone(),
            pass_from: self.pass_from.map(rfc3339),
            pass_to: self.pass_to.map(rfc3339),
            journal_len: self.journal_len,
        });
        save(self.ctx, self.spec, state, es)?;
        self.pages += 1;
        Ok(())
    }

    /// One note naming the first few malformed records skipped, if any.
    fn note_bad(&self) {
        if self.bad.is_empty() {
            return;
        }
        let bad = &self.bad;
        let shown: Vec<&str> = bad.iter().take(SHOW_BAD).map(String::as_str).collect();
        self.ctx.client.note(&format!(
            "note: {}: skipped {} malformed records from the server (not stored): {}{}",
            self.spec.label,
            bad.len(),
            shown.join("; "),
            if bad.len() > SHOW_BAD { "; ..." } else { "" }
        ));
    }

    /// Every page in: merges the journal into the file and records the range as covered
    /// up to its settled end.
    fn finish(
        self,
        state: &mut State,
        es: &mut EndpointState,
        mdv: Option<i64>,
    ) -> Result<PassEnd, FetchError> {
        let (ctx, spec) = (self.ctx, self.spec);
        let (fetched_rows, merged) = fold(ctx, spec, self.journal)?;
        if let Some(end) = settled_end(
            &fetched_rows,
            spec.columns,
            spec.time_cols,
            self.pass_to,
            ctx.now,
        ) {
            es.cover(self.pass_from.unwrap_or(i64::MIN), end);
        }
        es.min_data_version = mdv;
        es.rows = merged.rows.len() as u64;
        es.passes += 1;
        es.resume = None;
        save(ctx, spec, state, es)?;
        let _ = std::fs::remove_file(self.journal);
        Ok(PassEnd::Done(
            fetched_rows.len() as u64,
            self.bad.len() as u64,
            merged,
        ))
    }
}

/// Stores the endpoint's state in the state file.
fn save(ctx: &Ctx, spec: &Spec, state: &mut State, es: &EndpointState) -> Result<(), FetchError> {
    state.endpoints.insert(spec.name.into(), es.clone());
    super::state::save(ctx.dir, state)
}

/// Merges the journal into the endpoint's file (written atomically); returns the
/// journal's rows and the merged table.
fn fold(ctx: &Ctx, spec: &Spec, journal: &Path) -> Result<(Vec<Row>, Table), FetchError> {
    let fetched = table::load(journal, spec.columns)?.rows;
    let file = ctx.dir.join(spec.file);
    let merged = table::merge(
        table::load(&file, spec.columns)?,
        fetched.clone(),
        spec.merge,
        spec.time_cols[0],
    );
    table::save(&file, &merged)?;
    Ok((fetched, merged))
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

pub(super) fn missing_mid_pass(ctx: &Ctx, spec: &Spec) -> FetchError {
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
    let mut open = OpenOptions::new();
    open.write(true).create(true).truncate(true);
    // The journal holds user names like the file it becomes: owner only, as that file.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let mut f = open.open(path).map_err(|e| io(path, e))?;
    f.write_all(&buf).map_err(|e| io(path, e))?;
    f.sync_all().map_err(|e| io(path, e))?;
    Ok(buf.len() as u64)
}

/// True when the journal still holds the bytes the state vouches for.
pub(super) fn journal_holds(path: &Path, r: &Resume) -> bool {
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
    FetchError::io(path, e)
}
