//! Whole-list endpoints: content (`/v1/content`, one array), users (`/v1/users`, offset
//! pages of 500) and the jobs of on-demand content (`/v1/content/{guid}/jobs`, one array
//! per item). Content and users are current lists, so each run replaces their files;
//! jobs are merged by `id`, so jobs the server has since purged stay in `jobs.csv`.

use std::collections::HashSet;

use serde_json::Value;

use super::http::Got;
use super::keyset::encode;
use super::state::State;
use super::table::{self, Column, Merge, Row, Table, Ty};
use super::{Ctx, FetchError, Note};
use crate::vocab::holds_processes;

/// Columns of `content.csv`.
pub const CONTENT: &[Column] = &[
    ("guid", Ty::Text),
    ("name", Ty::Text),
    ("title", Ty::Text),
    ("app_mode", Ty::Text),
    ("content_category", Ty::Text),
    ("owner_guid", Ty::Text),
    ("min_processes", Ty::Num),
    ("max_processes", Ty::Num),
    ("max_conns_per_process", Ty::Num),
    ("load_factor", Ty::Num),
    ("idle_timeout", Ty::Num),
    ("init_timeout", Ty::Num),
    ("connection_timeout", Ty::Num),
    ("read_timeout", Ty::Num),
    ("memory_request", Ty::Num),
    ("memory_limit", Ty::Num),
    ("cpu_request", Ty::Num),
    ("cpu_limit", Ty::Num),
    ("cluster_name", Ty::Text),
    ("image_name", Ty::Text),
    ("r_version", Ty::Text),
    ("py_version", Ty::Text),
    ("quarto_version", Ty::Text),
    ("created_time", Ty::Time),
    ("last_deployed_time", Ty::Time),
    ("metrics_collection_enabled", Ty::Bool),
];

/// Columns of `users.csv`.
pub const USERS: &[Column] = &[
    ("guid", Ty::Text),
    ("username", Ty::Text),
    ("email", Ty::Text),
    ("first_name", Ty::Text),
    ("last_name", Ty::Text),
    ("user_role", Ty::Text),
    ("created_time", Ty::Time),
    ("updated_time", Ty::Time),
    ("active_time", Ty::Time),
    ("confirmed", Ty::Bool),
    ("locked", Ty::Bool),
];

/// Columns of `jobs.csv`.
pub const JOBS: &[Column] = &[
    ("id", Ty::Text),
    ("ppid", Ty::Text),
    ("pid", Ty::Text),
    ("key", Ty::Text),
    ("remote_id", Ty::Text),
    ("content_id", Ty::Text),
    ("content_guid", Ty::Text),
    ("variant_id", Ty::Text),
    ("bundle_id", Ty::Text),
    ("start_time", Ty::Time),
    ("end_time", Ty::Time),
    ("last_heartbeat_time", Ty::Time),
    ("queued_time", Ty::Time),
    ("queue_name", Ty::Text),
    ("tag", Ty::Text),
    ("exit_code", Ty::Num),
    ("status", Ty::Num),
    ("hostname", Ty::Text),
    ("cluster", Ty::Text),
    ("image", Ty::Text),
    ("run_as", Ty::Text),
];

const NEEDS_CONTENT: &str =
    "listing content needs the API key of a publisher or administrator (a viewer sees only \
     content shared with them)";
const NEEDS_USERS: &str = "listing users needs the API key of a licensed user";

/// Fetches `/v1/content` into `content.csv`; returns the table (for jobs).
pub fn content(ctx: &Ctx, state: &mut State) -> Result<(Note, Option<Table>), FetchError> {
    let v = match ctx.client.get("/v1/content", NEEDS_CONTENT)? {
        Got::Json(v) => v,
        _ => return Ok((Note::Missing, None)),
    };
    let list = array(ctx, "/v1/content", &v)?;
    let rows = checked(ctx, "content", CONTENT, &["guid"], list);
    let t = sorted(CONTENT, rows);
    replace(ctx, state, "content", "content.csv", &t)?;
    Ok((note(&t), Some(t)))
}

/// Most pages of users asked for (50 million users) before the paging is taken as
/// never ending.
pub const MAX_USER_PAGES: u64 = 100_000;

/// Fetches every page of `/v1/users` into `users.csv`. Stops at an empty page, at
/// `total` users or `total_pages` pages, or at a page with no user not seen before (a
/// server that ignores `page_number`); users are kept once per GUID.
pub fn users(ctx: &Ctx, state: &mut State) -> Result<Note, FetchError> {
    let mut rows: Vec<Row> = Vec::new();
    let mut guids: HashSet<String> = HashSet::new();
    for page_number in 1u64.. {
        let path = format!("/v1/users?page_number={page_number}&page_size=500");
        if page_number > MAX_USER_PAGES {
            return Err(malformed(
                ctx,
                &path,
                &format!("more than {MAX_USER_PAGES} pages of users: its paging does not end"),
            ));
        }
        let v = match ctx.client.get(&path, NEEDS_USERS)? {
            Got::Json(v) => v,
            _ if page_number == 1 => return Ok(Note::Missing),
            _ => break,
        };
        let list = v
            .get("results")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed(ctx, &path, "expected an object with a \"results\" array"))?;
        let mut new = 0usize;
        for row in checked(ctx, "users", USERS, &["guid"], list) {
            if let Some(g) = row[0].clone() {
                if guids.insert(g) {
                    rows.push(row);
                    new += 1;
                }
            }
        }
        let total = v.get("total").and_then(Value::as_u64);
        let pages = v.get("total_pages").and_then(Value::as_u64);
        if list.is_empty()
            || total.is_some_and(|t| rows.len() as u64 >= t)
            || pages.is_some_and(|p| page_number >= p)
        {
            break;
        }
        if new == 0 {
            ctx.client.note(&format!(
                "note: users: page {page_number} holds no user not already seen (the server \
                 seems to ignore page_number); stopped there"
            ));
            break;
        }
    }
    let t = sorted(USERS, rows);
    replace(ctx, state, "users", "users.csv", &t)?;
    Ok(note(&t))
}

/// Fetches the jobs of every on-demand content item and merges them into `jobs.csv`.
pub fn jobs(ctx: &Ctx, state: &mut State, content: &Table) -> Result<Note, FetchError> {
    let (Some(g), Some(m)) = (
        table::col(content.columns, "guid"),
        table::col(content.columns, "app_mode"),
    ) else {
        return Ok(Note::Missing);
    };
    let items: Vec<&str> = content
        .rows
        .iter()
        .filter(|r| holds_processes(r[m].as_deref()))
        .filter_map(|r| r[g].as_deref())
        .collect();
    let (mut rows, mut missing, mut forbidden) = (Vec::new(), 0usize, 0usize);
    for guid in &items {
        let path = format!("/v1/content/{}/jobs", encode(guid));
        match ctx.client.get_tolerant(&path)? {
            Got::Json(v) => {
                let list = with_content(array(ctx, &path, &v)?, guid);
                rows.extend(checked(ctx, "jobs", JOBS, &["id", "content_guid"], &list));
            }
            Got::Missing => missing += 1,
            Got::Forbidden => forbidden += 1,
        }
    }
    if !items.is_empty() && missing == items.len() {
        return Ok(Note::Missing);
    }
    let fetched = rows.len() as u64;
    let file = ctx.dir.join("jobs.csv");
    let merged = table::merge(
        table::load(&file, JOBS)?,
        rows,
        Merge::ById("id"),
        "start_time",
    );
    table::save(&file, &merged)?;
    record(state, "jobs", merged.rows.len());
    super::state::save(ctx.dir, state)?;
    Ok(Note::Jobs {
        items: items.len(),
        fetched,
        rows: merged.rows.len() as u64,
        skipped: missing + forbidden,
    })
}

/// Jobs as recorded, with what older servers leave out filled in: `content_guid` from
/// the request (Connect 2024.08 sends neither it nor `app_guid`, docs/inputs.md 3.1)
/// and `content_id` from its deprecated alias `app_id`.
fn with_content(list: &[Value], guid: &str) -> Vec<Value> {
    let fill = |o: &mut serde_json::Map<String, Value>, k: &str, v: Option<Value>| {
        if o.get(k).is_none_or(Value::is_null) {
            if let Some(v) = v.filter(|v| !v.is_null()) {
                o.insert(k.to_string(), v);
            }
        }
    };
    list.iter()
        .cloned()
        .map(|mut v| {
            if let Some(o) = v.as_object_mut() {
                let app_id = o.get("app_id").cloned();
                fill(o, "content_guid", Some(Value::String(guid.to_string())));
                fill(o, "content_id", app_id);
            }
            v
        })
        .collect()
}

/// Replaces a whole-list file and records its size.
fn replace(
    ctx: &Ctx,
    state: &mut State,
    name: &str,
    file: &str,
    t: &Table,
) -> Result<(), FetchError> {
    table::save(&ctx.dir.join(file), t)?;
    record(state, name, t.rows.len());
    super::state::save(ctx.dir, state)
}

fn record(state: &mut State, name: &str, rows: usize) {
    let es = state.endpoints.entry(name.to_string()).or_default();
    es.rows = rows as u64;
    es.passes += 1;
}

fn note(t: &Table) -> Note {
    Note::Fetched {
        fetched: t.rows.len() as u64,
        rows: t.rows.len() as u64,
        open: 0,
        bad: 0,
    }
}

/// Rows in a stable order (by their first column, the GUID).
fn sorted(columns: &'static [Column], mut rows: Vec<Row>) -> Table {
    rows.sort();
    Table { columns, rows }
}

/// A bare JSON array of objects.
fn array<'v>(ctx: &Ctx, path: &str, v: &'v Value) -> Result<&'v [Value], FetchError> {
    let list = v
        .as_array()
        .ok_or_else(|| malformed(ctx, path, "expected a JSON array"))?;
    if list.iter().any(|r| !r.is_object()) {
        return Err(malformed(
            ctx,
            path,
            "an array element is not a JSON object",
        ));
    }
    Ok(list)
}

/// The records that pass [`table::row_checked`]; the others are counted in a note.
pub(super) fn checked(
    ctx: &Ctx,
    label: &str,
    columns: &[Column],
    required: &[&str],
    list: &[Value],
) -> Vec<Row> {
    let mut bad = Vec::new();
    let mut rows = Vec::new();
    for r in list {
        match table::row_checked(columns, r, required) {
            Ok(row) => rows.push(row),
            Err(why) => bad.push(why),
        }
    }
    if !bad.is_empty() {
        let shown: Vec<&str> = bad.iter().take(3).map(String::as_str).collect();
        ctx.client.note(&format!(
            "note: {label}: skipped {} malformed records from the server (not stored): {}{}",
            bad.len(),
            shown.join("; "),
            if bad.len() > 3 { "; ..." } else { "" }
        ));
    }
    rows
}

pub(super) fn malformed(ctx: &Ctx, path: &str, why: &str) -> FetchError {
    FetchError::Malformed {
        url: format!("{}/__api__{path}", ctx.client.base()),
        why: why.to_string(),
    }
}
