//! The one CSV dialect `fetch` writes, reading its own files back, and the merge rules
//! that make re-fetching idempotent.
//!
//! Dialect: a header row of snake_case API field names; one record per line (`\n`); text
//! fields double-quoted (`"` doubled inside); numbers and booleans (`TRUE`/`FALSE`)
//! unquoted; timestamps RFC 3339 in UTC with `Z` and the server's fractional digits
//! (`2024-03-04T14:02:11Z`, `2025-04-30T12:49:16.269904Z`), unquoted; a missing value is
//! an unquoted `NA`. This is connectapi's `write.csv` shape with readr's timestamps, so the
//! files read back with any `--input-tz` (every time carries its `Z`).

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::FetchError;
use crate::format;
use crate::ingest::reader::is_null;

/// How a column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// Quoted text (numbers from the API are written as their digits, quoted).
    Text,
    /// Unquoted number.
    Num,
    /// Unquoted `TRUE`/`FALSE`.
    Bool,
    /// Unquoted RFC 3339 UTC timestamp.
    Time,
}

/// A column: its header name (= the API field) and type.
pub type Column = (&'static str, Ty);

/// One record: a value per column of its schema; `None` is `NA`.
pub type Row = Vec<Option<String>>;

/// A file's columns and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The schema the rows follow.
    pub columns: &'static [Column],
    /// The records.
    pub rows: Vec<Row>,
}

/// Position of `name` in `columns`.
pub fn col(columns: &[Column], name: &str) -> Option<usize> {
    columns.iter().position(|(n, _)| *n == name)
}

/// A JSON record rendered to a row: fields looked up by name (`data.path` reads `path`
/// inside the object `data`); a missing field, `null`, or a text ingest reads as missing
/// (`""`, `"NA"`, `"None"` ...) is `NA`, so a row reads back exactly as it was rendered.
pub fn row_from_json(columns: &[Column], obj: &Value) -> Row {
    columns
        .iter()
        .map(|(name, ty)| {
            let v = match name.split_once('.') {
                Some((outer, inner)) => obj.get(outer).and_then(|o| o.get(inner)),
                None => obj.get(*name),
            };
            v.and_then(|v| value_text(v, *ty)).filter(|s| !is_null(s))
        })
        .collect()
}

/// Integer columns (the API documents them as int32/int64).
const INTEGER: [&str; 16] = [
    "data_version",
    "exit_code",
    "status",
    "min_processes",
    "max_processes",
    "max_conns_per_process",
    "idle_timeout",
    "init_timeout",
    "connection_timeout",
    "read_timeout",
    "memory_request",
    "memory_limit",
    "id",
    "memory_bytes",
    "connections",
    "process_id",
];

/// A JSON record checked against the API's documented types and rendered to a row, or
/// why it cannot be stored: `required` fields present and not null; GUIDs (`*guid`)
/// strings of letters, digits and `-`; times RFC 3339 strings; text strings (or numbers,
/// which some servers send for ids); numbers numbers ([`INTEGER`] columns whole
/// numbers); booleans booleans.
pub fn row_checked(columns: &[Column], obj: &Value, required: &[&str]) -> Result<Row, String> {
    if !obj.is_object() {
        return Err("not a JSON object".into());
    }
    for (name, ty) in columns {
        let v = match name.split_once('.') {
            Some((outer, inner)) => obj.get(outer).and_then(|o| o.get(inner)),
            None => obj.get(*name),
        };
        let v = v.filter(|v| !v.is_null());
        let Some(v) = v else {
            if required.contains(name) {
                return Err(format!("{name} is missing"));
            }
            continue;
        };
        let ok = if name.ends_with("guid") {
            v.as_str().is_some_and(|s| {
                !s.is_empty()
                    && s.len() <= 64
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        } else {
            match ty {
                Ty::Time => v
                    .as_str()
                    .is_some_and(|s| DateTime::parse_from_rfc3339(s.trim()).is_ok()),
                Ty::Text if INTEGER.contains(name) => v.is_string() || v.is_i64() || v.is_u64(),
                Ty::Text => v.is_string() || v.is_number(),
                Ty::Num if INTEGER.contains(name) => v.is_i64() || v.is_u64(),
                Ty::Num => v.is_number(),
                Ty::Bool => v.is_boolean(),
            }
        };
        if !ok {
            let shown: String = v.to_string().chars().take(40).collect();
            let what = if name.ends_with("guid") {
                "a GUID"
            } else {
                match ty {
                    Ty::Time => "an RFC 3339 time",
                    Ty::Num if INTEGER.contains(name) => "a whole number",
                    Ty::Num => "a number",
                    Ty::Bool => "true or false",
                    Ty::Text => "text",
                }
            };
            return Err(format!("{name} is {shown}, not {what}"));
        }
    }
    Ok(row_from_json(columns, obj))
}

/// The canonical text of one JSON value in a column of type `ty`.
fn value_text(v: &Value, ty: Ty) -> Option<String> {
    let s = match v {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Bool(b) => (if *b { "TRUE" } else { "FALSE" }).to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    Some(match ty {
        Ty::Time => canonical_time(&s),
        Ty::Bool => match s.as_str() {
            "true" | "TRUE" => "TRUE".into(),
            "false" | "FALSE" => "FALSE".into(),
            _ => s,
        },
        _ => s,
    })
}

/// RFC 3339 in UTC with `Z` and 0, 3, 6 or 9 fractional digits; text that is not RFC 3339
/// is kept as it came (ingest then names the row).
pub fn canonical_time(s: &str) -> String {
    match DateTime::parse_from_rfc3339(s.trim()) {
        Ok(t) => format::rfc3339_utc(&t.with_timezone(&Utc)),
        Err(_) => s.to_string(),
    }
}

/// Microseconds of a canonical time, if it parses.
pub fn micros(s: Option<&str>) -> Option<i64> {
    DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell safe to open in a spreadsheet: one that would start a formula gets a
/// leading `'` (and so does one that already starts with `'` before such a character, so
/// [`unguard`] restores every value exactly).
fn guard(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = |t: &str| t.starts_with(FORMULA_START);
    if risky(s) || (s.starts_with('\'') && risky(&s[1..])) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// The inverse of [`guard`], for files read back before a merge.
fn unguard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) || rest.starts_with('\'') => rest,
        _ => s,
    }
}

/// One field in the dialect.
fn field(v: &Option<String>, ty: Ty) -> String {
    match v {
        None => "NA".into(),
        Some(s) if ty == Ty::Text => format!("\"{}\"", guard(s).replace('"', "\"\"")),
        Some(s) if needs_quotes(s) => format!("\"{}\"", s.replace('"', "\"\"")),
        Some(s) => s.clone(),
    }
}

/// An unquoted value that would break the record (only odd server data does this).
fn needs_quotes(s: &str) -> bool {
    s.is_empty() || s == "NA" || s.contains([',', '"', '\n', '\r'])
}

/// Writes the header line.
pub fn write_header(columns: &[Column], out: &mut dyn Write) -> io::Result<()> {
    let names: Vec<String> = columns.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    writeln!(out, "{}", names.join(","))
}

/// Writes records (no header).
pub fn write_rows(columns: &[Column], rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
    for r in rows {
        let fields: Vec<String> = columns
            .iter()
            .zip(r)
            .map(|((_, ty), v)| field(v, *ty))
            .collect();
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

/// Writes `table` to `path` atomically (temp file, fsync, rename).
pub fn save(path: &Path, table: &Table) -> Result<(), FetchError> {
    crate::atomic::write(path, |out| {
        write_header(table.columns, out)?;
        write_rows(table.columns, &table.rows, out)
    })
    .map_err(FetchError::from)
}

/// Reads a file written in the dialect (columns matched by name, so an older file with
/// other columns still reads); a missing file is an empty table.
pub fn load(path: &Path, columns: &'static [Column]) -> Result<Table, FetchError> {
    let mut table = Table {
        columns,
        rows: Vec::new(),
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(table),
        Err(e) => return Err(FetchError::io(path, e)),
    };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let bad = |e: csv::Error| FetchError::State {
        path: path.to_path_buf(),
        why: format!("cannot read it back ({e}); move it away and fetch again"),
    };
    let header = rdr.headers().map_err(bad)?.clone();
    let index: Vec<Option<usize>> = columns
        .iter()
        .map(|(n, _)| header.iter().position(|h| h == *n))
        .collect();
    for rec in rdr.records() {
        let rec = rec.map_err(bad)?;
        let row = index
            .iter()
            .zip(columns)
            .map(|(i, (_, ty))| {
                i.and_then(|i| rec.get(i))
                    .filter(|v| !is_null(v))
                    .map(|v| if *ty == Ty::Text { unguard(v) } else { v })
                    .map(str::to_string)
            })
            .collect();
        table.rows.push(row);
    }
    Ok(table)
}

/// How re-fetched records replace stored ones.
#[derive(Debug, Clone, Copy)]
pub enum Merge {
    /// Identical records are one record seen twice: each fetched record replaces at most
    /// one identical stored record (so the count of identical records is the larger of the
    /// two), and a stored record whose `ended` is `NA` is dropped when a fetched record has
    /// the same identity (`content_guid, user_guid, started, data_version`): the session
    /// was open at the last fetch and has been fetched again.
    Sessions,
    /// Identical records as for sessions; no identity beyond the whole record.
    Exact,
    /// A fetched record replaces the stored one with the same value in this column (`id`).
    ById(&'static str),
    /// A fetched record replaces the stored one with the same values in these columns
    /// (job metrics samples: `content_guid, job_key, timestamp`).
    ByKeys(&'static [&'static str]),
}

/// `stored` with `fetched` laid over it by `rule`, sorted by `time_col` then by value, so
/// the file's order never depends on the order pages arrived in.
pub fn merge(stored: Table, fetched: Vec<Row>, rule: Merge, time_col: &str) -> Table {
    let cols = stored.columns;
    let mut kept: Vec<Row> = match rule {
        Merge::ById(name) => {
            let Some(i) = col(cols, name) else {
                return sorted(cols, fetched, time_col);
            };
            let ids: HashSet<&Option<String>> = fetched.iter().map(|r| &r[i]).collect();
            let ids: HashSet<Option<String>> = ids.into_iter().cloned().collect();
            stored
                .rows
                .into_iter()
                .filter(|r| r[i].is_none() || !ids.contains(&r[i]))
                .collect()
        }
        Merge::ByKeys(names) => {
            let idx: Vec<usize> = names.iter().filter_map(|n| col(cols, n)).collect();
            let keys: HashSet<Vec<&Option<String>>> =
                fetched.iter().map(|r| pick(r, &idx)).collect();
            let keep: Vec<bool> = stored
                .rows
                .iter()
                .map(|r| !keys.contains(&pick(r, &idx)))
                .collect();
            stored
                .rows
                .into_iter()
                .zip(keep)
                .filter_map(|(r, k)| k.then_some(r))
                .collect()
        }
        Merge::Exact | Merge::Sessions => {
            let mut counts: HashMap<&Row, usize> = HashMap::new();
            for r in &fetched {
                *counts.entry(r).or_default() += 1;
            }
            let identity = matches!(rule, Merge::Sessions).then(|| session_identity(cols));
            let refetched: HashSet<Vec<&Option<String>>> = match &identity {
                Some(id) => fetched.iter().map(|r| pick(r, id)).collect(),
                None => HashSet::new(),
            };
            let ended = col(cols, "ended");
            let mut kept = Vec::with_capacity(stored.rows.len());
            for r in stored.rows {
                if let Some(n) = counts.get_mut(&r).filter(|n| **n > 0) {
                    *n -= 1;
                    continue;
                }
                let open = ended.is_some_and(|e| r[e].is_none());
                if let (true, Some(id)) = (open, &identity) {
                    if refetched.contains(&pick(&r, id)) {
                        continue;
                    }
                }
                kept.push(r);
            }
            kept
        }
    };
    kept.extend(fetched);
    sorted(cols, kept, time_col)
}

/// Columns that identify a session across fetches.
fn session_identity(cols: &[Column]) -> Vec<usize> {
    ["content_guid", "user_guid", "started", "data_version"]
        .iter()
        .filter_map(|n| col(cols, n))
        .collect()
}

fn pick<'r>(r: &'r Row, idx: &[usize]) -> Vec<&'r Option<String>> {
    idx.iter().map(|&i| &r[i]).collect()
}

/// Rows sorted by their time (unparseable last), then by value.
fn sorted(columns: &'static [Column], mut rows: Vec<Row>, time_col: &str) -> Table {
    if let Some(t) = col(columns, time_col) {
        rows.sort_by_cached_key(|r| (micros(r[t].as_deref()).unwrap_or(i64::MAX), r.clone()));
    } else {
        rows.sort();
    }
    Table { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHINY: &[Column] = &[
        ("content_guid", Ty::Text),
        ("user_guid", Ty::Text),
        ("started", Ty::Time),
        ("ended", Ty::Time),
        ("data_version", Ty::Num),
    ];

    fn s(c: &str, u: Option<&str>, st: &str, en: Option<&str>) -> Row {
        vec![
            Some(c.into()),
            u.map(Into::into),
            Some(st.into()),
            en.map(Into::into),
            Some("1".into()),
        ]
    }

    fn table(rows: Vec<Row>) -> Table {
        Table {
            columns: SHINY,
            rows,
        }
    }

    #[test]
    fn json_records_render_in_the_dialect() {
        let v: Value = serde_json::json!({
            "content_guid": "c\"1", "user_guid": "NA",
            "started": "2024-03-04T09:02:11-05:00", "ended": "2025-04-30T12:49:16.269904Z",
            "data_version": 1, "extra": "ignored"
        });
        let row = row_from_json(SHINY, &v);
        let mut out = Vec::new();
        write_header(SHINY, &mut out).unwrap();
        write_rows(SHINY, &[row], &mut out).unwrap();
        // The offset time is moved to UTC (09:02:11-05:00 = 14:02:11Z); the fraction kept.
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"content_guid\",\"user_guid\",\"started\",\"ended\",\"data_version\"\n\
             \"c\"\"1\",NA,2024-03-04T14:02:11Z,2025-04-30T12:49:16.269904Z,1\n"
        );
    }

    #[test]
    fn nested_fields_and_numbers_as_text() {
        const HITS: &[Column] = &[("id", Ty::Text), ("data.path", Ty::Text)];
        let v = serde_json::json!({"id": 8966707, "data": {"path": "/hello"}});
        assert_eq!(
            row_from_json(HITS, &v),
            vec![Some("8966707".into()), Some("/hello".into())]
        );
    }

    #[test]
    fn formula_cells_are_neutralised_and_read_back_exactly() {
        for (raw, written) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-cmd", "'-cmd"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("'=already quoted", "''=already quoted"),
            ("'plain", "'plain"),
            ("Sales Dashboard", "Sales Dashboard"),
        ] {
            assert_eq!(guard(raw), written, "{raw}");
            assert_eq!(unguard(written), raw, "{raw}");
        }
        assert_eq!(field(&Some("=1+1".into()), Ty::Text), "\"'=1+1\"");
        // Numbers are not text: a negative number stays a number.
        assert_eq!(field(&Some("-3".into()), Ty::Num), "-3");
    }

    #[test]
    fn written_files_read_back_identically() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        let t = table(vec![
            s("a,b", Some("u"), "2024-01-01T00:00:00Z", None),
            s(
                "x\"y\nz",
                None,
                "2024-01-01T00:00:01.5Z",
                Some("2024-01-01T00:01:00Z"),
            ),
            // Formula-like text is written guarded and read back as it was, however
            // often the file is merged and saved again.
            s(
                "=cmd|' /C calc'!A0",
                Some("'@x"),
                "2024-01-01T00:00:02Z",
                None,
            ),
        ]);
        save(&p, &t).unwrap();
        assert!(std::fs::read_to_string(&p).unwrap().contains("\"'=cmd|"));
        assert_eq!(load(&p, SHINY).unwrap(), t);
        save(&p, &load(&p, SHINY).unwrap()).unwrap();
        assert_eq!(load(&p, SHINY).unwrap(), t);
        assert!(load(&dir.path().join("none.csv"), SHINY)
            .unwrap()
            .rows
            .is_empty());
    }

    #[test]
    fn open_session_is_replaced_by_its_closed_copy_and_exact_copies_collapse() {
        let open = s("c", Some("u"), "2024-01-01T10:00:00Z", None);
        let closed = s(
            "c",
            Some("u"),
            "2024-01-01T10:00:00Z",
            Some("2024-01-01T10:30:00Z"),
        );
        let other = s(
            "c",
            Some("v"),
            "2024-01-01T09:00:00Z",
            Some("2024-01-01T09:10:00Z"),
        );
        let stored = table(vec![other.clone(), open]);
        // The refetch returns the closed copy and `other` again (overlap window).
        let m = merge(
            stored,
            vec![closed.clone(), other.clone()],
            Merge::Sessions,
            "started",
        );
        assert_eq!(m.rows, vec![other, closed]);
    }

    #[test]
    fn anonymous_twins_keep_their_multiplicity() {
        // Two anonymous sessions with the same start: stored both open; the refetch
        // returns both closed. Result: exactly the two closed rows.
        let o = s("c", None, "2024-01-01T10:00:00Z", None);
        let c1 = s(
            "c",
            None,
            "2024-01-01T10:00:00Z",
            Some("2024-01-01T10:05:00Z"),
        );
        let c2 = s(
            "c",
            None,
            "2024-01-01T10:00:00Z",
            Some("2024-01-01T10:07:00Z"),
        );
        let m = merge(
            table(vec![o.clone(), o]),
            vec![c2.clone(), c1.clone()],
            Merge::Sessions,
            "started",
        );
        assert_eq!(m.rows, vec![c1.clone(), c2.clone()]);
        // Merging the same fetch again changes nothing (idempotent).
        let again = merge(m.clone(), vec![c1, c2], Merge::Sessions, "started");
        assert_eq!(again, m);
    }

    #[test]
    fn exact_merge_keeps_the_larger_count_of_identical_rows() {
        let a = s(
            "c",
            None,
            "2024-01-01T10:00:00Z",
            Some("2024-01-01T10:00:00Z"),
        );
        // Stored 1 copy, fetched 2 (a second identical event arrived): 2. Stored 2,
        // fetched 1 (the window overlaps only one): 2.
        let m = merge(
            table(vec![a.clone()]),
            vec![a.clone(), a.clone()],
            Merge::Exact,
            "started",
        );
        assert_eq!(m.rows.len(), 2);
        let m = merge(
            table(vec![a.clone(), a.clone()]),
            vec![a.clone()],
            Merge::Exact,
            "started",
        );
        assert_eq!(m.rows.len(), 2);
    }

    #[test]
    fn by_id_replaces_and_keeps_the_rest() {
        const JOBS: &[Column] = &[("id", Ty::Text), ("end_time", Ty::Time)];
        let stored = Table {
            columns: JOBS,
            rows: vec![
                vec![Some("1".into()), None],
                vec![Some("2".into()), Some("2024-01-01T00:00:00Z".into())],
            ],
        };
        let fetched = vec![vec![Some("1".into()), Some("2024-01-02T00:00:00Z".into())]];
        let m = merge(stored, fetched, Merge::ById("id"), "end_time");
        assert_eq!(
            m.rows,
            vec![
                vec![Some("2".into()), Some("2024-01-01T00:00:00Z".into())],
                vec![Some("1".into()), Some("2024-01-02T00:00:00Z".into())],
            ]
        );
    }

    #[test]
    fn records_of_the_wrong_shape_are_refused_with_why() {
        let req = &["content_guid", "started", "data_version"];
        let ok = serde_json::json!({"content_guid": "c-1", "user_guid": null,
            "started": "2024-03-01T00:00:00+05:00", "ended": null, "data_version": 1});
        assert_eq!(
            row_checked(SHINY, &ok, req).unwrap(),
            vec![
                Some("c-1".into()),
                None,
                Some("2024-02-29T19:00:00Z".into()),
                None,
                Some("1".into())
            ]
        );
        let bad = |v: Value| row_checked(SHINY, &v, req).unwrap_err();
        let e = bad(
            serde_json::json!({"content_guid": 5, "started": "2024-03-01T00:00:00Z", "data_version": 1}),
        );
        assert!(e.contains("content_guid is 5, not a GUID"), "{e}");
        let e = bad(
            serde_json::json!({"user_guid": "u", "started": "2024-03-01T00:00:00Z", "data_version": 1}),
        );
        assert_eq!(e, "content_guid is missing");
        let e = bad(
            serde_json::json!({"content_guid": "c", "started": "not a time", "data_version": 1}),
        );
        assert!(e.contains("not an RFC 3339 time"), "{e}");
        let e =
            bad(serde_json::json!({"content_guid": "c", "started": 1709251200, "data_version": 1}));
        assert!(e.contains("started"), "{e}");
        let e = bad(
            serde_json::json!({"content_guid": "c", "started": "2024-03-01T00:00:00Z", "data_version": 1.5}),
        );
        assert!(e.contains("not a whole number"), "{e}");
        let e = bad(
            serde_json::json!({"content_guid": "c,\"\n", "started": "2024-03-01T00:00:00Z", "data_version": 1}),
        );
        assert!(e.contains("not a GUID"), "{e}");
        let e = bad(
            serde_json::json!({"content_guid": "c", "user_guid": {"o": 1}, "started": "2024-03-01T00:00:00Z", "data_version": 1}),
        );
        assert!(e.contains("user_guid"), "{e}");
        assert!(bad(serde_json::json!([1])).contains("not a JSON object"));
        // Text columns take numbers (hits ids), booleans must be booleans.
        const U: &[Column] = &[("id", Ty::Text), ("locked", Ty::Bool)];
        assert!(row_checked(
            U,
            &serde_json::json!({"id": 8966707, "locked": false}),
            &["id"]
        )
        .is_ok());
        assert!(row_checked(U, &serde_json::json!({"id": "x", "locked": "no"}), &["id"]).is_err());
        assert!(row_checked(U, &serde_json::json!({"id": 1.5}), &["id"]).is_err());
    }
}
