//! The fuzz targets' bodies, shared by the libFuzzer binaries in `fuzz/fuzz_targets/` and by
//! `tests/fuzz_regressions.rs` (which includes this file with `#[path]`, so it must build on
//! stable against the `connect_capacity` library alone).
//!
//! Each entry point takes the raw fuzz input, never panics on any input unless a property
//! below is violated (a panic is a bug: in ingest, or in the property), and returns a short
//! description of the outcome that regression tests compare against.

use std::io::Write;
use std::path::Path;

use chrono::{LocalResult, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use connect_capacity::ingest::detect::{detect as detect_file, detect_kind, Header};
use connect_capacity::ingest::timestamp::{parse_timestamp, LocalAdjust, MAX_MICROS, MIN_MICROS};
use connect_capacity::ingest::{read_bytes, Dataset, IngestOptions, InputTz, Kind, Origin};
use connect_capacity::Error;

/// Zones the `ingest` and `timestamp` targets pick from; index 0 is "no input zone" (UTC).
/// The others have unusual rules: 30-minute DST (Lord Howe), 45-minute offsets (Chatham,
/// Kathmandu), a skipped calendar day (Apia, 2011-12-30), +14 h (Kiritimati), negative DST
/// (Dublin), DST suspended for Ramadan (Casablanca), a 2-hour DST (Troll), and so on.
pub const ZONES: [&str; 16] = [
    "UTC",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "Europe/Dublin",
    "Africa/Casablanca",
    "America/Santiago",
    "Asia/Tehran",
    "Antarctica/Troll",
    "America/St_Johns",
    "Europe/Berlin",
    "Asia/Gaza",
    "Pacific/Pago_Pago",
];

fn zone(i: u8) -> Tz {
    ZONES[usize::from(i) % ZONES.len()]
        .parse()
        .unwrap_or(Tz::UTC)
}

/// The header each kind's canonical export has (every column the parser reads).
pub fn canonical_header(kind: Kind) -> &'static str {
    match kind {
        Kind::ShinyUsage => "content_guid,user_guid,started,ended,data_version",
        Kind::Visits => {
            "content_guid,user_guid,variant_key,time,rendering_id,bundle_id,path,data_version,user_agent"
        }
        Kind::UnifiedUsage => {
            "content_guid,user_guid,variant_key,rendering_id,bundle_id,started,ended,data_version,path"
        }
        Kind::Hits => "id,user_guid,content_guid,timestamp,data.path,data.user_agent",
        Kind::DashboardVisits => {
            "timestamp,content_title,content_guid,owner_username,username,full_name,email,user_guid"
        }
        Kind::Jobs => {
            "id,key,content_guid,app_guid,start_time,end_time,tag,status,finalized,hostname,cluster"
        }
        Kind::Content => {
            "guid,name,title,app_mode,content_category,owner_guid,min_processes,max_processes,\
             max_conns_per_process,load_factor,idle_timeout,cpu_limit,memory_limit,cpu_request,\
             memory_request,r_version,py_version,created_time"
        }
        Kind::Users => {
            "guid,username,email,first_name,last_name,user_role,locked,created_time,active_time"
        }
        Kind::JobMetrics => {
            "timestamp,cpu_fraction,memory_bytes,connections,process_id,content_guid,job_key"
        }
    }
}

// ---------------------------------------------------------------------------------------
// detect

/// Target `detect`: the input (UTF-8, else ignored) is a header line split on commas.
///
/// Checks: `detect` and `detect_kind` agree; the unknown-kind error names the file; the
/// row-index column is never found by name; and, when the text has no quote or line break
/// (so the CSV reader sees exactly the same fields), reading it as a whole file with
/// [`read_bytes`] detects the same kind with zero rows, or fails as an unknown kind.
pub fn detect(data: &[u8]) -> String {
    let Ok(text) = std::str::from_utf8(data) else {
        return "not utf-8".to_string();
    };
    let header = Header::new(text.split(','));
    let kind = detect_kind(&header);
    let _ = header.display();
    match detect_file(&header, Path::new("h.csv")) {
        Ok(k) => assert_eq!(Some(k), kind),
        Err(e) => {
            assert_eq!(kind, None);
            assert!(e.to_string().starts_with("h.csv: not a recognised"), "{e}");
        }
    }
    if header.has_index_column() {
        assert_ne!(
            header.index(""),
            Some(0),
            "the index column was found by name"
        );
    }
    if !text.contains(['"', '\n', '\r']) {
        let mut ds = Dataset::default();
        let read = read_bytes("h.csv", text.as_bytes(), &IngestOptions::default(), &mut ds);
        match (kind, read) {
            (Some(k), Ok(())) => {
                assert_eq!((ds.files[0].kind, ds.files[0].rows), (k, 0));
            }
            (None, Err(Error::UnknownKind { .. })) => {}
            // An empty header or a duplicated known column is refused before detection.
            (
                _,
                Err(Error::Csv {
                    line: 1,
                    ref message,
                    ..
                }),
            ) if header.check(Path::new("h.csv")).is_err() && !message.is_empty() => {}
            (k, r) => panic!("detect_kind says {k:?} but reading the header gives {r:?}"),
        }
    }
    match kind {
        Some(k) => format!("kind {}", k.cli_name()),
        None => "unknown".to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// timestamp

/// Target `timestamp`: byte 0 picks the input zone from [`ZONES`] (`% 16`; 0 = none, UTC),
/// the rest (UTF-8, else ignored) is one timestamp field.
///
/// Checks: a result lies in `[2000, 2100)`; UTC never reports a DST adjustment; a UTC result
/// formatted as RFC 3339 parses back to itself; and for a naive value (one whose UTC reading
/// differs from its UTC+14 reading), the zone's reading matches chrono's own resolution of
/// that wall time: the same wall time, the earlier of two (fall-back), or none (gap).
pub fn timestamp(data: &[u8]) -> String {
    let Some((&z, rest)) = data.split_first() else {
        return "empty".to_string();
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return "not utf-8".to_string();
    };
    let tz = zone(z);
    let in_zone = parse_timestamp(text, tz);
    let in_utc = parse_timestamp(text, Tz::UTC);
    for p in [&in_zone, &in_utc].into_iter().flatten() {
        assert!(
            (MIN_MICROS..MAX_MICROS).contains(&p.micros),
            "{text:?} {p:?}"
        );
    }
    if let Ok(u) = &in_utc {
        assert_eq!(u.adjust, LocalAdjust::None, "{text:?}");
        let back = chrono::DateTime::from_timestamp_micros(u.micros)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
            .unwrap_or_default();
        let again = parse_timestamp(&back, Tz::UTC).map(|p| p.micros);
        assert_eq!(again, Ok(u.micros), "{text:?} -> {back}");
    }
    let east14 = parse_timestamp(text, Tz::Etc__GMTMinus14);
    if let (Ok(u), Ok(p), Ok(e)) = (&in_utc, &in_zone, &east14) {
        if e.micros != u.micros {
            check_naive(text, tz, u.micros, p.micros, p.adjust);
        }
    }
    match in_zone {
        Ok(p) => format!("ok {} {:?}", p.micros, p.adjust),
        Err(e) => format!("err {e}"),
    }
}

/// `wall` (a naive wall time, as UTC micros) read in `tz` gave `micros` with `adjust`.
fn check_naive(text: &str, tz: Tz, wall: i64, micros: i64, adjust: LocalAdjust) {
    let Some(naive) = chrono::DateTime::from_timestamp_micros(wall).map(|d| d.naive_utc()) else {
        return;
    };
    let to_micros = |d: chrono::DateTime<Tz>| d.timestamp_micros();
    match (tz.from_local_datetime(&naive), adjust) {
        (LocalResult::Single(d), LocalAdjust::None) => {
            assert_eq!(micros, to_micros(d), "{text:?} in {tz}")
        }
        (LocalResult::Ambiguous(a, b), LocalAdjust::Ambiguous) => {
            assert_eq!(micros, to_micros(a).min(to_micros(b)), "{text:?} in {tz}")
        }
        (LocalResult::None, LocalAdjust::Nonexistent) => {
            // Shifted forward by the gap: later than the wall time read with any offset
            // after the gap, and it lands on a wall time that exists.
            let local = local_naive(tz, micros);
            assert!(local > naive, "{text:?} in {tz}: {local} not after {naive}");
        }
        (r, a) => panic!("{text:?} in {tz}: chrono says {r:?}, ingest says {a:?}"),
    }
}

fn local_naive(tz: Tz, micros: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|d| d.with_timezone(&tz).naive_local())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// ingest

/// Target `ingest`: a whole export file read through [`read_bytes`], strict and lenient.
///
/// Input layout: byte 0 = flags: bit 0 gzip-compresses the file before reading it (so the
/// fuzzer's CSV goes through the decoder), bit 1 names it `fuzz.csv.gz` instead of
/// `fuzz.csv` (so raw fuzz bytes go through the decoder), bits 4-7 pick the input zone from
/// [`ZONES`]. Byte 1 % 9 picks the header: 0 = the file's own first line, 1-8 = the
/// [`canonical_header`] of `Kind::ALL[k - 1]` followed by a newline, then the rest.
///
/// Checks, strict and lenient: one file summary named as given; every data row became one
/// record or one lenient skip; strict never skips; records of each kind are in strictly
/// increasing line order, on lines 2..=(line breaks + 1) of the decoded text; every time lies
/// in `[2000, 2100)`; interned ids are in range; errors name the file (and a line within the
/// file). Strict and lenient agree: strict succeeds iff lenient skips nothing, and a strict
/// row error names the line and column of lenient's first skip.
pub fn ingest(data: &[u8]) -> String {
    let (flags, pick, body) = match data {
        [f, p, rest @ ..] => (*f, *p, rest),
        _ => return "short".to_string(),
    };
    let mut text = Vec::with_capacity(body.len() + 256);
    let k = usize::from(pick % 9);
    if k > 0 {
        text.extend_from_slice(canonical_header(Kind::ALL[k - 1]).as_bytes());
        text.push(b'\n');
    }
    text.extend_from_slice(body);
    let gz_name = flags & 2 != 0;
    let bytes = if flags & 1 != 0 {
        gzip(&text)
    } else {
        text.clone()
    };
    // The decoded text is known unless raw fuzz bytes go through the gzip decoder.
    let decoded = (flags & 1 != 0 || !(gz_name || bytes.starts_with(&[0x1f, 0x8b])))
        .then_some(text.as_slice());
    let name = if gz_name { "fuzz.csv.gz" } else { "fuzz.csv" };
    let zone_name = ZONES[usize::from(flags >> 4)];
    let input_tz = InputTz::parse(&[zone_name.to_string()]).unwrap_or_default();
    let run = |lenient: bool| {
        let opts = IngestOptions {
            input_tz,
            lenient,
            encoding: Default::default(),
            ..Default::default()
        };
        let mut ds = Dataset::default();
        let res = read_bytes(name, &bytes, &opts, &mut ds);
        match &res {
            Ok(()) => check_dataset(&ds, name, lenient, decoded),
            Err(e) => check_error(e, name, decoded),
        }
        res.map(|()| ds)
    };
    let strict = run(false);
    let lenient = run(true);
    match (&strict, &lenient) {
        (Ok(s), Ok(l)) => {
            assert_eq!(
                l.notes.skipped_rows, 0,
                "strict read it all, lenient skipped"
            );
            assert_eq!(counts(s), counts(l));
        }
        (Ok(_), Err(e)) => panic!("strict succeeded, lenient failed: {e}"),
        (Err(Error::Data { line, column, .. }), Ok(l)) if *line >= 2 => {
            let first = l.notes.skipped.first();
            let first = first.map(|p| (p.line, p.column.as_deref()));
            assert_eq!(first, Some((*line, Some(column.as_str()))));
        }
        (Err(e), Ok(l)) => {
            panic!(
                "strict failed ({e}) on something lenient read: {:?}",
                counts(l)
            )
        }
        (Err(_), Err(_)) => {}
    }
    format!(
        "strict: {} | lenient: {}",
        outcome(&strict),
        outcome(&lenient)
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

fn outcome(res: &Result<Dataset, Error>) -> String {
    match res {
        Ok(ds) => {
            let kind = ds.files.first().map_or("none", |f| f.kind.cli_name());
            let warnings = ds.notes.warnings.len();
            let mut lines: Vec<u64> = record_origins(ds).map(|o| o.line).collect();
            lines.sort_unstable();
            lines.truncate(8);
            format!(
                "ok {kind} {:?} warnings={warnings} lines={lines:?}",
                counts(ds)
            )
        }
        Err(e) => format!("err {e}"),
    }
}

/// The origin of every record, kind by kind.
fn record_origins(ds: &Dataset) -> impl Iterator<Item = Origin> + '_ {
    let s = ds.sessions.iter().map(|r| r.origin);
    let v = ds.visits.iter().map(|r| r.origin);
    let j = ds.jobs.iter().map(|r| r.origin);
    let c = ds.content.iter().map(|r| r.origin);
    let u = ds.users.iter().map(|r| r.origin);
    let m = ds.job_metrics.iter().map(|r| r.origin);
    s.chain(v).chain(j).chain(c).chain(u).chain(m)
}

/// rows, sessions, visits, jobs, content, users, skipped.
fn counts(ds: &Dataset) -> [u64; 7] {
    let n = |v: usize| v as u64;
    [
        ds.files.iter().map(|f| f.rows).sum(),
        n(ds.sessions.len()),
        n(ds.visits.len()),
        n(ds.jobs.len()),
        n(ds.content.len()),
        n(ds.users.len()),
        ds.notes.skipped_rows,
    ]
}

/// Line breaks in `text`: `\r\n`, `\n` and a lone `\r` each end a line (as for the CSV
/// parser, and as editors show them).
fn line_breaks(text: &[u8]) -> u64 {
    let lf = text.iter().filter(|&&b| b == b'\n').count();
    let lone_cr = text
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' && text.get(i + 1) != Some(&b'\n'))
        .count();
    (lf + lone_cr) as u64
}

fn check_error(e: &Error, name: &str, decoded: Option<&[u8]>) {
    let msg = e.to_string();
    assert!(msg.starts_with(name), "error does not name the file: {msg}");
    let line = match e {
        Error::Data { line, column, .. } => {
            assert!(!column.is_empty(), "{msg}");
            Some(*line)
        }
        Error::Csv { line, .. } => Some(*line),
        _ => None,
    };
    if let (Some(line), Some(text)) = (line, decoded) {
        assert!(
            (1..=line_breaks(text) + 1).contains(&line),
            "error line {line} is not in the file: {msg}"
        );
    }
}

fn check_dataset(ds: &Dataset, name: &str, lenient: bool, decoded: Option<&[u8]>) {
    assert_eq!(ds.files.len(), 1);
    assert_eq!(ds.files[0].path, Path::new(name));
    let [rows, sessions, visits, jobs, content, users, skipped] = counts(ds);
    let metrics = ds.job_metrics.len() as u64;
    assert_eq!(
        rows,
        sessions + visits + jobs + content + users + metrics + skipped
    );
    if !lenient {
        assert_eq!(skipped, 0);
    }
    assert!(ds.notes.skipped.len() as u64 <= skipped);
    let max_line = decoded.map_or(u64::MAX, |t| line_breaks(t) + 1);
    let check_lines = |what: &str, origins: &mut dyn Iterator<Item = Origin>| {
        let mut last = 1;
        for o in origins {
            assert_eq!(o.file, 0);
            assert!(
                o.line > last && o.line <= max_line,
                "{what}: line {} after {last} (max {max_line})",
                o.line
            );
            last = o.line;
        }
    };
    check_lines("sessions", &mut ds.sessions.iter().map(|r| r.origin));
    check_lines("visits", &mut ds.visits.iter().map(|r| r.origin));
    check_lines("jobs", &mut ds.jobs.iter().map(|r| r.origin));
    check_lines("content", &mut ds.content.iter().map(|r| r.origin));
    check_lines("users", &mut ds.users.iter().map(|r| r.origin));
    check_lines("job metrics", &mut ds.job_metrics.iter().map(|r| r.origin));
    let skipped_lines = ds.notes.skipped.iter().map(|p| Origin {
        file: 0,
        line: p.line,
    });
    check_lines("skipped", &mut skipped_lines.into_iter());

    let in_range = |t: i64| (MIN_MICROS..MAX_MICROS).contains(&t);
    let content_id = |id: u32| (id as usize) < ds.content_ids.len();
    let user_id = |id: Option<u32>| id.is_none_or(|u| (u as usize) < ds.user_ids.len());
    for s in &ds.sessions {
        assert!(in_range(s.started) && s.ended.is_none_or(in_range));
        assert!(content_id(s.content) && user_id(s.user));
    }
    for v in &ds.visits {
        assert!(in_range(v.time) && content_id(v.content) && user_id(v.user));
    }
    for j in &ds.jobs {
        assert!(
            in_range(j.start) && j.end.is_none_or(in_range) && j.content.is_none_or(content_id)
        );
    }
    for c in &ds.content {
        assert!(c.created_time.is_none_or(in_range) && content_id(c.content));
        assert!(user_id(c.owner));
    }
    for u in &ds.users {
        assert!(u.created_time.is_none_or(in_range) && u.active_time.is_none_or(in_range));
        assert!(user_id(Some(u.user)));
    }
    for m in &ds.job_metrics {
        assert!(in_range(m.time) && content_id(m.content));
        assert!((m.job as usize) < ds.job_keys.len() && m.cpu >= 0.0 && m.cpu.is_finite());
    }
}

/// Fuzz target `config`: the input as a `--config` TOML file. Parsing never panics; a file
/// that parses turns into capacity options or a usage error (never a panic), and every
/// parse error names the file.
pub fn config(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("fuzz.toml");
    match connect_capacity::config::parse(path, &text) {
        Ok(c) => match c.capacity_options() {
            Ok(o) => format!(
                "ok nodes={} scale={} content={}",
                o.nodes,
                o.scale,
                o.content.len()
            ),
            Err(e) => {
                assert!(matches!(e, Error::Usage(_)), "not a usage error: {e}");
                format!("usage: {e}")
            }
        },
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.starts_with("fuzz.toml"),
                "error does not name the file: {text}"
            );
            format!("err: {text}")
        }
    }
}

// ---------------------------------------------------------------------------------------
// fast

/// Target `fast`: the bytes as a Shiny usage file read by the fast reader (whatever its
/// size) and by the general one. When the fast reader takes the file, the general reader
/// must read it too and give the same file summary, the same rows (content and user by
/// GUID, times, data version, line) and the same warnings; when it declines, the dataset
/// must be untouched. Byte 0 picks the input zone as in [`ZONES`].
pub fn fast(data: &[u8]) -> String {
    let Some((&z, body)) = data.split_first() else {
        return "empty".into();
    };
    let zone = ZONES[usize::from(z) % ZONES.len()];
    let input_tz = InputTz::parse(&[zone.to_string()]).unwrap_or_default();
    let opts = IngestOptions {
        input_tz,
        lenient: false,
        encoding: Default::default(),
        ..Default::default()
    };
    let path = Path::new("f.csv");
    let mut a = Dataset::default();
    let mut input: &[u8] = body;
    let took = connect_capacity::ingest::fast::read(path, &mut input, &opts, &mut a, &mut |_| {});
    if !took {
        assert!(
            a.files.is_empty() && a.sessions.is_empty() && a.compact.is_empty(),
            "declined but wrote rows"
        );
        return "general".into();
    }
    let mut b = Dataset::default();
    let read = read_bytes("f.csv", body, &opts, &mut b);
    assert!(
        read.is_ok(),
        "the fast reader took a file the general one refuses: {read:?}"
    );
    assert_eq!(
        (a.files[0].kind, a.files[0].rows),
        (b.files[0].kind, b.files[0].rows)
    );
    type Row = (String, Option<String>, i64, Option<i64>, i32, u64);
    let rows = |d: &Dataset| -> Vec<Row> {
        // The fast reader keeps its rows compact, the general one as `SessionRow`s.
        d.sessions
            .iter()
            .cloned()
            .chain(d.compact.iter())
            .map(|s| {
                (
                    d.content_ids.name(s.content).to_string(),
                    s.user.map(|u| d.user_ids.name(u).to_string()),
                    s.started,
                    s.ended,
                    s.data_version,
                    s.origin.line,
                )
            })
            .collect()
    };
    assert_eq!(rows(&a), rows(&b), "fast and general readers disagree");
    assert_eq!(a.notes.warnings, b.notes.warnings);
    format!("fast rows={}", a.compact.len())
}
