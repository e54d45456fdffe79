//! `fetch` and `analyze --server` against a stand-in Connect server on 127.0.0.1
//! (tests/fetch_mock): pages, resume after a kill or dropped connections, incremental
//! runs, 401/403/429/500/404, malformed JSON, an HTML page, the key never leaking, and the
//! report from fetched data equal to the report from the same data exported by hand.

#[path = "fetch_mock/mod.rs"]
mod mock;

#[path = "cli_fetch/metrics.rs"]
mod metrics;
#[path = "cli_fetch/recorded.rs"]
mod recorded;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use connect_capacity::ingest::{self, IngestOptions, Kind};
use mock::{Data, Mock, Req, Resp};
use serde_json::{json, Value};

/// A distinctive key: it must appear in no output, file or error.
const KEY: &str = "ck-Zq7vX2-distinctive-4f9e1b";

/// 2024-03-01T00:00:00Z.
const T0: i64 = 1_709_251_200;

// ---------------------------------------------------------------------------------------
// Data: each record is a list of typed fields, rendered as API JSON and as connectapi's
// `write.csv` (TZ=UTC: naive times, quoted text, NA) from the same source.

#[derive(Clone)]
enum F {
    S(String),
    N(String),
    T(i64),
    B(bool),
    Null,
}

type Rec = Vec<(&'static str, F)>;

fn s(v: impl Into<String>) -> F {
    F::S(v.into())
}
fn opt_s(v: Option<String>) -> F {
    v.map_or(F::Null, F::S)
}
fn n(v: impl ToString) -> F {
    F::N(v.to_string())
}

fn rfc(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn to_json(r: &Rec) -> Value {
    let mut o = serde_json::Map::new();
    for (k, v) in r {
        let j = match v {
            F::S(x) => json!(x),
            F::N(x) => serde_json::from_str(x).unwrap(),
            F::T(t) => json!(rfc(*t)),
            F::B(b) => json!(b),
            F::Null => Value::Null,
        };
        o.insert((*k).to_string(), j);
    }
    Value::Object(o)
}

fn to_r_csv(recs: &[Rec]) -> String {
    let mut out = String::new();
    let header: Vec<String> = recs[0].iter().map(|(k, _)| format!("\"{k}\"")).collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for r in recs {
        let f: Vec<String> = r
            .iter()
            .map(|(_, v)| match v {
                F::S(x) => format!("\"{}\"", x.replace('"', "\"\"")),
                F::N(x) => x.clone(),
                F::T(t) => chrono::DateTime::from_timestamp(*t, 0)
                    .unwrap()
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                F::B(b) => (if *b { "TRUE" } else { "FALSE" }).to_string(),
                F::Null => "NA".into(),
            })
            .collect();
        out.push_str(&f.join(","));
        out.push('\n');
    }
    out
}

struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn cguid(i: usize) -> String {
    format!("c{i:07}-aaaa-4bbb-8ccc-{i:012}")
}
fn uguid(i: usize) -> String {
    format!("u{i:07}-dddd-4eee-9fff-{i:012}")
}

/// A server's worth of records.
struct World {
    sessions: Vec<Rec>,
    visits: Vec<Rec>,
    old_visits: Vec<Rec>,
    content: Vec<Rec>,
    users: Vec<Rec>,
    jobs: Vec<Rec>,
}

const MODES: [&str; 6] = [
    "shiny",
    "python-shiny",
    "shiny",
    "python-api",
    "rmd-static",
    "static",
];

fn session(r: &mut Lcg, start: i64, open: bool) -> Rec {
    let c = r.below(3) as usize;
    let user = (r.below(10) != 0).then(|| uguid(r.below(12) as usize));
    let end = start + 60 + r.below(7200) as i64;
    vec![
        ("content_guid", s(cguid(c))),
        ("user_guid", opt_s(user)),
        ("started", F::T(start)),
        ("ended", if open { F::Null } else { F::T(end) }),
        ("data_version", n(1)),
    ]
}

fn visit(r: &mut Lcg, t: i64, dv: i64) -> Rec {
    let c = 3 + r.below(3) as usize;
    let user = (r.below(4) != 0).then(|| uguid(r.below(12) as usize));
    vec![
        ("content_guid", s(cguid(c))),
        ("user_guid", opt_s(user)),
        ("variant_key", if c == 4 { s("HidI2Kwq") } else { F::Null }),
        ("time", F::T(t)),
        ("rendering_id", if c == 4 { s("7") } else { F::Null }),
        ("bundle_id", s("33")),
        ("path", s("/")),
        (
            "user_agent",
            s(if r.below(5) == 0 {
                "Datadog/Synthetics"
            } else {
                "Mozilla/5.0"
            }),
        ),
        ("data_version", n(dv)),
    ]
}

fn world() -> World {
    let mut r = Lcg(7);
    let days = 10 * 86_400;
    let mut sessions: Vec<Rec> = (0..1229)
        .map(|_| {
            let st = T0 + r.below(days) as i64;
            session(&mut r, st, false)
        })
        .collect();
    // Five sessions still open at the end.
    for k in 0..5 {
        sessions.push(session(&mut r, T0 + days as i64 - 3600 + k * 60, true));
    }
    let visits = (0..777)
        .map(|_| {
            let t = T0 + r.below(days) as i64;
            visit(&mut r, t, 3)
        })
        .collect();
    let old_visits = (0..40)
        .map(|_| {
            let t = T0 + r.below(days) as i64;
            visit(&mut r, t, 1)
        })
        .collect();
    let content = (0..6).map(content_item).collect();
    let users = (0..12).map(user).collect();
    let jobs = jobs(&mut r);
    World {
        sessions,
        visits,
        old_visits,
        content,
        users,
        jobs,
    }
}

/// Content item `i` of the six: settings on some, runtimes on others.
fn content_item(i: usize) -> Rec {
    vec![
        ("guid", s(cguid(i))),
        ("name", s(format!("app-{i}"))),
        ("title", s(format!("App \"{i}\", the best"))),
        ("app_mode", s(MODES[i])),
        ("content_category", s("")),
        ("max_processes", if i == 1 { n(6) } else { F::Null }),
        ("min_processes", if i == 1 { n(1) } else { F::Null }),
        (
            "max_conns_per_process",
            if i == 2 { n(10) } else { F::Null },
        ),
        ("load_factor", if i == 2 { n(0.8) } else { F::Null }),
        ("idle_timeout", F::Null),
        ("memory_request", F::Null),
        (
            "memory_limit",
            if i == 3 { n(2_147_483_648u64) } else { F::Null },
        ),
        ("cpu_request", F::Null),
        ("cpu_limit", F::Null),
        ("owner_guid", s(uguid(1 + i % 3))),
        ("created_time", F::T(T0 - 86_400 * (30 + i as i64))),
        ("last_deployed_time", F::T(T0 - 86_400)),
        ("r_version", if i < 3 { s("4.3.1") } else { F::Null }),
        (
            "py_version",
            if i == 1 || i == 3 {
                s("3.11.9")
            } else {
                F::Null
            },
        ),
    ]
}

/// User `i` of the twelve: one administrator, three publishers, the rest viewers.
fn user(i: usize) -> Rec {
    let role = match i {
        0 => "administrator",
        1..=3 => "publisher",
        _ => "viewer",
    };
    vec![
        ("email", s(format!("user{i}@connect.example"))),
        ("username", s(format!("user{i}"))),
        ("first_name", s(format!("First{i}"))),
        ("last_name", s("User")),
        ("user_role", s(role)),
        ("created_time", F::T(T0 - 86_400 * (100 + i as i64))),
        ("updated_time", F::T(T0 - 86_400)),
        (
            "active_time",
            if i == 11 {
                F::Null
            } else {
                F::T(T0 + 86_400 * (i as i64 % 9))
            },
        ),
        ("confirmed", F::B(true)),
        ("locked", F::B(i == 10)),
        ("guid", s(uguid(i))),
    ]
}

/// Ten days of jobs for each of four content items; the last one of the first still runs.
fn jobs(r: &mut Lcg) -> Vec<Rec> {
    let mut jobs = Vec::new();
    let tags = ["run_app", "run_pyshiny_app", "run_app", "run_python_api"];
    for (c, tag) in tags.iter().enumerate() {
        for d in 0..10i64 {
            let id = 40_000_000 + c as i64 * 100 + d;
            let st = T0 + d * 86_400 + 8 * 3600 + r.below(3600) as i64;
            let last = d == 9 && c == 0;
            let en = st + 3600 * (1 + r.below(8) as i64);
            jobs.push(vec![
                ("id", s(id.to_string())),
                ("ppid", s("2611431")),
                ("pid", s((2_611_448 + id % 1000).to_string())),
                ("key", s(format!("key{c}x{d}"))),
                ("remote_id", F::Null),
                ("content_id", s((52_389 + c).to_string())),
                ("content_guid", s(cguid(c))),
                ("variant_id", s("0")),
                ("bundle_id", s("127015")),
                ("start_time", F::T(st)),
                ("end_time", if last { F::Null } else { F::T(en) }),
                (
                    "last_heartbeat_time",
                    F::T(if last { st + 60 } else { en - 3 }),
                ),
                ("queued_time", F::Null),
                ("queue_name", F::Null),
                ("tag", s(*tag)),
                ("exit_code", if last { F::Null } else { n(0) }),
                ("status", n(if last { 0 } else { 2 })),
                ("hostname", s("dogfood01")),
                ("cluster", F::Null),
                ("image", F::Null),
                ("run_as", s("rstudio-connect")),
            ]);
        }
    }
    jobs
}

fn data_of(w: &World) -> Data {
    let mut jobs: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for i in 0..4 {
        jobs.insert(cguid(i), vec![]);
    }
    for j in &w.jobs {
        let v = to_json(j);
        jobs.entry(v["content_guid"].as_str().unwrap().to_string())
            .or_default()
            .push(v);
    }
    Data {
        version: Some("2024.08.0".into()),
        sessions: w.sessions.iter().map(to_json).collect(),
        visits: w.visits.iter().chain(&w.old_visits).map(to_json).collect(),
        hits: None,
        has_visits: true,
        content: w.content.iter().map(to_json).collect(),
        users: w.users.iter().map(to_json).collect(),
        jobs,
        metrics: None,
        replay: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Running the binary.

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("connect-capacity")
}

/// The binary with a clean environment: the key set, no proxy, no default server.
fn command(key: &str) -> std::process::Command {
    let mut c = std::process::Command::new(bin());
    c.env("CONNECT_API_KEY", key)
        .env("NO_COLOR", "1")
        .env_remove("CONNECT_SERVER")
        .env_remove("TZ");
    for v in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ] {
        c.env_remove(v);
    }
    c
}

fn fetch_args(m: &Mock, out: &Path) -> Vec<String> {
    vec![
        "fetch".into(),
        "--server".into(),
        m.url(),
        "--out".into(),
        out.display().to_string(),
        "--retry-wait".into(),
        "10ms".into(),
        "--timeout".into(),
        "20s".into(),
    ]
}

fn fetch(m: &Mock, out: &Path, extra: &[&str]) -> Output {
    let o = command(KEY)
        .args(fetch_args(m, out))
        .args(extra)
        .output()
        .expect("run fetch");
    assert_no_key(&o);
    o
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "failed: {}\n{}", o.status, stderr(o));
}

/// The key is in no stdout or stderr.
fn assert_no_key(o: &Output) {
    for text in [&o.stdout, &o.stderr] {
        assert!(
            !String::from_utf8_lossy(text).contains(KEY),
            "the API key leaked into output"
        );
    }
}

/// The key is in no file below `dir`.
fn assert_no_key_in_files(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            assert_no_key_in_files(&p);
        } else {
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(KEY),
                "the API key leaked into {}",
                p.display()
            );
        }
    }
}

/// Every file below `dir` is readable by its owner only (mode 0600, whatever the umask):
/// fetched data holds user names.
fn assert_owner_only(dir: &Path) {
    #[cfg(unix)]
    for entry in std::fs::read_dir(dir).unwrap() {
        use std::os::unix::fs::PermissionsExt;
        let p = entry.unwrap().path();
        if p.is_dir() {
            assert_owner_only(&p);
        } else {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
        }
    }
}

/// Reads the fetched folder with the library's ingest.
fn ingest_dir(dir: &Path) -> ingest::Dataset {
    ingest::read_inputs(&[dir.to_path_buf()], &IngestOptions::default()).expect("ingest reads it")
}

fn rows_by_kind(ds: &ingest::Dataset) -> BTreeMap<String, u64> {
    ds.files
        .iter()
        .map(|f| (format!("{:?}", f.kind), f.rows))
        .collect()
}

/// Data lines of a CSV (header excluded), sorted.
fn lines(p: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(p).unwrap();
    let mut l: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
    l.sort();
    l
}

fn requests_to<'a>(log: &'a [Req], path: &str) -> Vec<&'a Req> {
    log.iter().filter(|r| r.path.ends_with(path)).collect()
}

// ---------------------------------------------------------------------------------------
// Tests.

#[test]
fn fetch_writes_every_file_in_pages_and_ingest_reads_them_back() {
    let w = world();
    let m = Mock::start(data_of(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    let o = fetch(&m, out.path(), &[]);
    ok(&o);
    assert_owner_only(out.path());
    let ds = ingest_dir(out.path());
    let rows = rows_by_kind(&ds);
    // 1234 sessions; 777 visits of data_version 3 (the 40 of version 1 are below the
    // documented default min_data_version 3); 6 content items; 12 users; 40 jobs of the
    // four on-demand items.
    let want: BTreeMap<String, u64> = [
        ("ShinyUsage", 1234),
        ("Visits", 777),
        ("Content", 6),
        ("Users", 12),
        ("Jobs", 40),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(rows, want);
    assert_eq!(ds.sessions.iter().filter(|s| s.ended.is_none()).count(), 5);
    let log = m.log();
    // Keyset pages: 500 + 500 + 234, each asking for limit=500 and the documented
    // min_data_version, the later ones with the cursor.
    let shiny = requests_to(&log, "/shiny/usage");
    assert_eq!(shiny.len(), 3);
    assert!(shiny.iter().all(|r| r.param("limit") == Some("500")));
    assert!(shiny
        .iter()
        .all(|r| r.param("min_data_version") == Some("1")));
    assert_eq!(shiny[1].param("next"), Some("500"));
    assert_eq!(shiny[2].param("next"), Some("1000"));
    let visits = requests_to(&log, "/content/visits");
    assert_eq!(visits.len(), 2);
    assert!(visits
        .iter()
        .all(|r| r.param("min_data_version") == Some("3")));
    // Offset pages for users; jobs only for on-demand content (not rmd-static, static).
    let users = requests_to(&log, "/v1/users");
    assert_eq!(users[0].param("page_size"), Some("500"));
    assert_eq!(requests_to(&log, "/jobs").len(), 4);
    // The documented dialect: quoted text, unquoted UTC times with Z, NA.
    let shiny_text = std::fs::read_to_string(out.path().join("shiny_usage.csv")).unwrap();
    assert!(shiny_text
        .starts_with("\"content_guid\",\"user_guid\",\"started\",\"ended\",\"data_version\"\n\"c"));
    assert!(shiny_text.contains("Z,NA,1\n"), "an open session ends NA");
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("fetch-state.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state["server"], json!(m.url()));
    assert_eq!(state["endpoints"]["shiny_usage"]["rows"], json!(1234));
    assert!(state["endpoints"]["shiny_usage"]["resume"].is_null());
    assert!(!out.path().join(".shiny_usage.csv.partial").exists());
    assert_no_key_in_files(out.path());
    assert!(
        stderr(&o).contains("Shiny usage: 1,234 records fetched"),
        "{}",
        stderr(&o)
    );
}

/// The analysed report as JSON with the file list reduced to kinds and row counts.
fn report(args: &[&str]) -> (Value, Output) {
    let o = command(KEY)
        .arg("analyze")
        .args(args)
        .args(["--format", "json", "--as-of", "2024-03-11T00:00:00Z"])
        .output()
        .unwrap();
    assert_no_key(&o);
    ok(&o);
    let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let files = v["inputs"]["files"].take();
    let mut kinds: Vec<(String, u64)> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    kinds.sort();
    v["inputs"]["files"] = json!(kinds);
    // R's write.csv writes naive times where fetch writes `Z`: the note naming the files
    // read as UTC by default differs by design (docs/metrics.md 1.9), the figures must not.
    v["inputs"]["naive_zones"].take();
    if let Some(w) = v["inputs"]["warnings"].as_array_mut() {
        w.retain(|w| !w.as_str().unwrap_or("").contains("without an offset"));
    }
    (v, o)
}

#[test]
fn analyze_server_gives_the_same_report_as_the_hand_export() {
    let w = world();
    let hand = tempfile::tempdir().unwrap();
    // connectapi + write.csv(row.names = FALSE) in TZ=UTC, file names as an admin picks.
    for (name, recs) in [
        ("shiny.csv", &w.sessions),
        ("static.csv", &w.visits),
        ("content.csv", &w.content),
        ("users.csv", &w.users),
        ("jobs.csv", &w.jobs),
    ] {
        std::fs::write(hand.path().join(name), to_r_csv(recs)).unwrap();
    }
    let m = Mock::start(data_of(&w), KEY);
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("c");
    let c = cache_dir.display().to_string();
    let (fetched, o) = report(&["--server", &m.url(), "--cache", &c, "--retry-wait", "10ms"]);
    assert!(stderr(&o).contains("Shiny usage: 1,234 records fetched"));
    let (by_hand, _) = report(&[hand.path().to_str().unwrap()]);
    assert_eq!(fetched, by_hand);
    // Every kind went in, with the same rows.
    assert_eq!(
        fetched["inputs"]["files"],
        json!([
            ["content", 6],
            ["jobs", 40],
            ["shiny_usage", 1234],
            ["users", 12],
            ["visits", 777]
        ])
    );
    assert!(fetched["concurrency"]["sessions"]["peak"].as_u64().unwrap() > 0);
    // A second analyze fetches only what is new and still gives the same report.
    m.clear_log();
    let (again, o) = report(&["--server", &m.url(), "--cache", &c, "--retry-wait", "10ms"]);
    assert_eq!(again, by_hand);
    let shiny = requests_to(&m.log(), "/shiny/usage")
        .iter()
        .map(|r| r.param("from").map(str::to_string))
        .collect::<Vec<_>>();
    assert_eq!(shiny.len(), 1, "{}", stderr(&o));
    assert!(shiny[0].is_some(), "the second run asks from a time on");
    assert_no_key_in_files(&cache_dir);
}

#[test]
fn analyze_server_defaults_to_the_cache_under_xdg_cache_home() {
    let w = world();
    let m = Mock::start(data_of(&w), KEY);
    let xdg = tempfile::tempdir().unwrap();
    let o = command(KEY)
        .args(["analyze", "--server", &m.url(), "--format", "json"])
        .env("XDG_CACHE_HOME", xdg.path())
        .output()
        .unwrap();
    ok(&o);
    let host = format!("127.0.0.1_{}", m.addr.port());
    let dir = xdg.path().join("connect-capacity").join(host);
    assert!(dir.join("shiny_usage.csv").exists());
    // Paths and --server together are refused (exit 2); neither is refused too.
    let o = command(KEY)
        .args(["analyze", "x", "--server", &m.url()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = command(KEY).args(["analyze"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn next_run_asks_only_for_newer_records_and_closes_open_sessions() {
    let w = world();
    let m = Mock::start(data_of(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    ok(&fetch(&m, out.path(), &[]));
    // Since then: the five open sessions closed, 30 new sessions (5 still open), 20 new
    // visits.
    let mut r = Lcg(99);
    let end = T0 + 10 * 86_400;
    let mut sessions = w.sessions.clone();
    for s in sessions.iter_mut().filter(|s| matches!(s[3].1, F::Null)) {
        let F::T(st) = s[2].1 else { unreachable!() };
        s[3].1 = F::T(st + 1800);
    }
    for k in 0..30 {
        sessions.push(session(&mut r, end + 600 + k * 120, k >= 25));
    }
    let mut visits = w.visits.clone();
    for k in 0..20 {
        visits.push(visit(&mut r, end + 300 + k * 60, 3));
    }
    let new_world = World {
        sessions: sessions.clone(),
        visits: visits.clone(),
        ..world()
    };
    m.edit(|d| *d = data_of(&new_world));
    m.clear_log();
    let o = fetch(&m, out.path(), &[]);
    ok(&o);
    // The second pass started at the oldest session still open at the first run (they
    // started from end - 1 h on), not at the beginning.
    let log = m.log();
    let shiny = requests_to(&log, "/shiny/usage");
    assert_eq!(shiny[0].param("from"), Some(rfc(end - 3600).as_str()));
    let visits_req = requests_to(&log, "/content/visits");
    assert!(visits_req[0].param("from").is_some());
    // The files hold exactly the server's records: no duplicates, the closed copies of the
    // formerly open sessions, the new ones.
    let want = |recs: &[Rec]| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.csv"), to_r_csv(recs)).unwrap();
        let ds = ingest_dir(dir.path());
        let mut v: Vec<_> = ds
            .sessions
            .iter()
            .map(|s| {
                (
                    s.started,
                    s.ended,
                    ds.content_ids.name(s.content).to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let ds = ingest_dir(out.path());
    let mut got: Vec<_> = ds
        .sessions
        .iter()
        .map(|s| {
            (
                s.started,
                s.ended,
                ds.content_ids.name(s.content).to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want(&sessions));
    assert_eq!(ds.visits.len(), 797);
    assert!(
        stderr(&o).contains("(5 sessions still open"),
        "{}",
        stderr(&o)
    );
    // A third run with nothing new changes nothing.
    let before = lines(&out.path().join("shiny_usage.csv"));
    ok(&fetch(&m, out.path(), &[]));
    assert_eq!(lines(&out.path().join("shiny_usage.csv")), before);
    assert_eq!(lines(&out.path().join("content_visits.csv")).len(), 797);
}

#[test]
fn a_killed_fetch_resumes_without_loss_or_duplicates() {
    let w = world();
    let m = Mock::start(data_of(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    // The third Shiny page hangs; the run is killed while it waits.
    m.set_hook(Some(Box::new(|r: &Req| {
        (r.path.ends_with("/shiny/usage") && r.param("next") == Some("1000"))
            .then_some(Resp::Hang(Duration::from_secs(5)))
    })));
    let mut child = command(KEY)
        .args(fetch_args(&m, out.path()))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !m.log().iter().any(|r| r.param("next") == Some("1000")) {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the third page was never asked for"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Two pages are in the journal; the state points at the third.
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("fetch-state.json")).unwrap(),
    )
    .unwrap();
    let resume = &state["endpoints"]["shiny_usage"]["resume"];
    assert!(
        resume["query"].as_str().unwrap().contains("next=1000"),
        "{resume}"
    );
    assert!(!out.path().join("shiny_usage.csv").exists());
    // A run killed between appending and saving the state leaves extra bytes: they are cut.
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(out.path().join(".shiny_usage.csv.partial"))
        .unwrap()
        .write_all(b"\"half a row")
        .unwrap();
    m.set_hook(None);
    m.clear_log();
    ok(&fetch(&m, out.path(), &[]));
    let shiny = requests_to(&m.log(), "/shiny/usage")
        .iter()
        .map(|r| r.param("next").map(str::to_string))
        .collect::<Vec<_>>();
    assert_eq!(
        shiny,
        vec![Some("1000".to_string())],
        "resumed at the third page"
    );
    let ds = ingest_dir(out.path());
    assert_eq!(ds.sessions.len(), 1234);
    let mut expected: Vec<String> = w
        .sessions
        .iter()
        .map(|r| {
            let v = to_json(r);
            format!("{}|{}|{}", v["content_guid"], v["started"], v["ended"])
        })
        .collect();
    expected.sort();
    let mut got: Vec<String> = ds
        .sessions
        .iter()
        .map(|s| {
            let t = |us: i64| json!(rfc(us / 1_000_000));
            format!(
                "{}|{}|{}",
                json!(ds.content_ids.name(s.content)),
                t(s.started),
                s.ended.map_or(Value::Null, t)
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);
}

#[test]
fn dropped_connections_past_the_retries_fail_and_the_rerun_resumes_at_that_page() {
    let w = world();
    let m = Mock::start(data_of(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    m.set_hook(Some(Box::new(|r: &Req| {
        (r.path.ends_with("/shiny/usage") && r.param("next") == Some("500")).then_some(Resp::Drop)
    })));
    let o = fetch(&m, out.path(), &["--retries", "2"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("gave up after 3 attempts"), "{e}");
    assert!(e.contains("/__api__/v1/instrumentation/shiny/usage"), "{e}");
    m.set_hook(None);
    m.clear_log();
    ok(&fetch(&m, out.path(), &[]));
    let first = requests_to(&m.log(), "/shiny/usage")[0].clone();
    assert_eq!(first.param("next"), Some("500"));
    assert_eq!(ingest_dir(out.path()).sessions.len(), 1234);
    assert_eq!(lines(&out.path().join("shiny_usage.csv")).len(), 1234);
}

#[test]
fn a_stale_saved_cursor_restarts_the_pass_without_duplicates() {
    let w = world();
    let m = Mock::start(data_of(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    m.set_hook(Some(Box::new(|r: &Req| {
        (r.path.ends_with("/shiny/usage") && r.param("next") == Some("1000")).then_some(Resp::Drop)
    })));
    assert_eq!(
        fetch(&m, out.path(), &["--retries", "0"]).status.code(),
        Some(1)
    );
    // The server no longer knows the saved cursor (once): 400.
    let mut once = true;
    m.set_hook(Some(Box::new(move |r: &Req| {
        (r.path.ends_with("/shiny/usage")
            && r.param("next") == Some("1000")
            && std::mem::take(&mut once))
        .then(|| Resp::json(400, &json!({"error": "invalid cursor"})))
    })));
    m.clear_log();
    let o = fetch(&m, out.path(), &[]);
    ok(&o);
    assert!(
        stderr(&o).contains("starting the pass again"),
        "{}",
        stderr(&o)
    );
    let pages: Vec<Option<String>> = requests_to(&m.log(), "/shiny/usage")
        .iter()
        .map(|r| r.param("next").map(str::to_string))
        .collect();
    assert_eq!(
        pages,
        [
            Some("1000".into()),
            None,
            Some("500".into()),
            Some("1000".into())
        ]
    );
    assert_eq!(lines(&out.path().join("shiny_usage.csv")).len(), 1234);
}

#[test]
fn a_500_mid_pagination_is_retried() {
    let w = world();
    let m = Mock::start(data_of(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    let mut failures = 2;
    m.set_hook(Some(Box::new(move |r: &Req| {
        if r.path.ends_with("/shiny/usage") && r.param("next") == Some("500") && failures > 0 {
            failures -= 1;
            return Some(Resp::json(500, &json!({"error": "internal"})));
        }
        None
    })));
    let o = fetch(&m, out.path(), &[]);
    ok(&o);
    assert!(stderr(&o).contains("HTTP 500; retrying"), "{}", stderr(&o));
    assert_eq!(requests_to(&m.log(), "/shiny/usage").len(), 5);
    assert_eq!(lines(&out.path().join("shiny_usage.csv")).len(), 1234);
}

#[test]
fn a_429_waits_for_retry_after_then_succeeds() {
    let w = world();
    let m = Mock::start(data_of(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    let mut once = true;
    m.set_hook(Some(Box::new(move |r: &Req| {
        if r.path.ends_with("/content/visits") && std::mem::take(&mut once) {
            return Some(
                Resp::json(429, &json!({"error": "slow down"})).with_header("Retry-After", "1"),
            );
        }
        None
    })));
    let t = Instant::now();
    let o = fetch(&m, out.path(), &[]);
    ok(&o);
    // Retry-After: 1 wins over the 10 ms backoff.
    assert!(t.elapsed() >= Duration::from_secs(1));
    assert!(
        stderr(&o).contains("HTTP 429; retrying in 1.0s"),
        "{}",
        stderr(&o)
    );
    assert_eq!(lines(&out.path().join("content_visits.csv")).len(), 777);
}

#[test]
fn a_wrong_key_is_a_401_that_says_to_check_the_key_and_never_shows_it() {
    let m = Mock::start(data_of(&world()), "the-right-key");
    let out = tempfile::tempdir().unwrap();
    let o = fetch(&m, out.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("HTTP 401") && e.contains("CONNECT_API_KEY"),
        "{e}"
    );
    assert_eq!(m.log().len(), 1, "no retries on 401");
}

#[test]
fn a_403_names_the_role_needed() {
    let m = Mock::start(data_of(&world()), KEY);
    m.set_hook(Some(Box::new(|r: &Req| {
        r.path
            .contains("/instrumentation/")
            .then(|| Resp::json(403, &json!({"error": "forbidden"})))
    })));
    let out = tempfile::tempdir().unwrap();
    let o = fetch(&m, out.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("HTTP 403") && e.contains("administrator"), "{e}");
    assert!(e.contains("instrumentation:read"), "{e}");
}

#[test]
fn an_old_server_without_an_endpoint_is_skipped_with_a_note() {
    let w = world();
    let mut d = data_of(&w);
    d.has_visits = false;
    d.version = None;
    let m = Mock::start(d, KEY);
    let out = tempfile::tempdir().unwrap();
    // --hits on a server that hides its version: asked, 404, skipped.
    let o = fetch(&m, out.path(), &["--hits"]);
    ok(&o);
    let e = stderr(&o);
    assert!(
        e.contains("note: content visits: this server has no such endpoint"),
        "{e}"
    );
    assert!(
        e.contains("note: content hits: this server has no such endpoint"),
        "{e}"
    );
    assert!(!out.path().join("content_visits.csv").exists());
    assert_eq!(lines(&out.path().join("shiny_usage.csv")).len(), 1234);
    // A server that shows an old version is not even asked for hits.
    m.edit(|d| d.version = Some("2024.08.0".into()));
    m.clear_log();
    let o = fetch(&m, out.path(), &["--hits"]);
    ok(&o);
    assert!(
        stderr(&o).contains("needs Connect 2025.04 or later"),
        "{}",
        stderr(&o)
    );
    assert!(requests_to(&m.log(), "/content/hits").is_empty());
}

#[test]
fn hits_are_fetched_incrementally_by_id_on_new_servers() {
    let w = world();
    let mut d = data_of(&w);
    d.version = Some("2025.04.0".into());
    d.hits = Some(
        (0..30)
            .map(|i| {
                json!({"id": 8_966_700 + i, "user_guid": null, "content_guid": cguid(4),
                       "timestamp": format!("2024-03-05T12:{:02}:16.26990{}Z", i, i % 10),
                       "data": {"path": "/hello", "user_agent": "Mozilla/5.0"}})
            })
            .collect(),
    );
    let m = Mock::start(d, KEY);
    let out = tempfile::tempdir().unwrap();
    ok(&fetch(&m, out.path(), &["--hits", "--skip", "visits,jobs"]));
    ok(&fetch(&m, out.path(), &["--hits", "--skip", "visits,jobs"]));
    let p = out.path().join("content_hits.csv");
    assert_eq!(lines(&p).len(), 30);
    let mut ds = ingest::Dataset::default();
    ingest::read_file(&p, &IngestOptions::default(), &mut ds).unwrap();
    assert_eq!(ds.files[0].kind, Kind::Hits);
    assert_eq!(ds.visits.len(), 30);
    let log = m.log();
    let hits = requests_to(&log, "/content/hits");
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].param("from"), Some("2024-03-05T11:29:16.269909Z"));
}

#[test]
fn malformed_json_is_an_error_naming_the_endpoint() {
    let m = Mock::start(data_of(&world()), KEY);
    m.set_hook(Some(Box::new(|r: &Req| {
        r.path.ends_with("/shiny/usage").then(|| {
            Resp::raw(
                200,
                "application/json",
                "{\"results\": [{\"content_guid\": ",
            )
        })
    })));
    let out = tempfile::tempdir().unwrap();
    let o = fetch(&m, out.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("malformed response") && e.contains("shiny/usage"),
        "{e}"
    );
    // A JSON document of the wrong shape is malformed too.
    m.set_hook(Some(Box::new(|r: &Req| {
        r.path
            .ends_with("/shiny/usage")
            .then(|| Resp::json(200, &json!({"data": []})))
    })));
    let o = fetch(&m, out.path(), &[]);
    assert!(stderr(&o).contains("\"results\" array"), "{}", stderr(&o));
}

#[test]
fn an_html_page_is_not_a_connect_server() {
    let m = Mock::start(data_of(&world()), KEY);
    m.set_hook(Some(Box::new(|_: &Req| {
        Some(Resp::raw(
            200,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body>Sign in</body></html>",
        ))
    })));
    let out = tempfile::tempdir().unwrap();
    let o = fetch(&m, out.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("does not look like a Posit Connect server"),
        "{e}"
    );
    assert!(e.contains("HTML"), "{e}");
}

#[test]
fn server_text_echoing_the_key_is_redacted() {
    let m = Mock::start(data_of(&world()), KEY);
    m.set_hook(Some(Box::new(|r: &Req| {
        r.path.ends_with("/v1/content").then(|| {
            Resp::json(
                400,
                &json!({"error": format!("bad header {}", r.auth.clone().unwrap_or_default())}),
            )
        })
    })));
    let out = tempfile::tempdir().unwrap();
    let o = fetch(&m, out.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("<redacted>"), "{}", stderr(&o));
    assert_no_key_in_files(out.path());
}

#[test]
fn missing_key_or_bad_address_are_usage_errors() {
    let out = tempfile::tempdir().unwrap();
    let o = command("")
        .args(["fetch", "--server", "http://127.0.0.1:9", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("CONNECT_API_KEY"), "{}", stderr(&o));
    let o = command(KEY)
        .args(["fetch", "--server", "connect.example.com", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("https://"), "{}", stderr(&o));
    assert_no_key(&o);
    // CONNECT_SERVER is the default address.
    let m = Mock::start(data_of(&world()), KEY);
    let o = command(KEY)
        .args([
            "fetch",
            "--skip",
            "shiny,visits,users,jobs,content",
            "--out",
        ])
        .arg(out.path())
        .env("CONNECT_SERVER", m.url())
        .output()
        .unwrap();
    ok(&o);
    assert_eq!(m.log()[0].path, "/__api__/server_settings");
}

#[test]
fn from_and_to_are_sent_and_an_earlier_from_fetches_back() {
    let w = world();
    let m = Mock::start(data_of(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    let o = fetch(
        &m,
        out.path(),
        &[
            "--from",
            "2024-03-05",
            "--to",
            "2024-03-06T00:00:00Z",
            "--skip",
            "jobs",
        ],
    );
    ok(&o);
    let first = requests_to(&m.log(), "/shiny/usage")[0].clone();
    assert_eq!(first.param("from"), Some("2024-03-05T00:00:00Z"));
    assert_eq!(first.param("to"), Some("2024-03-06T00:00:00Z"));
    let n_window = lines(&out.path().join("shiny_usage.csv")).len();
    assert!(n_window > 0 && n_window < 1234);
    // Asking from earlier than ever fetched: a full pass from there, merged without
    // duplicates.
    m.clear_log();
    ok(&fetch(&m, out.path(), &["--skip", "jobs"]));
    let first = requests_to(&m.log(), "/shiny/usage")[0].clone();
    assert_eq!(first.param("from"), None);
    assert_eq!(lines(&out.path().join("shiny_usage.csv")).len(), 1234);
}

// ---------------------------------------------------------------------------------------
// Hostile or buggy servers, windows in any order, validation, redaction, TLS.

/// Runs fetch, killing it after `limit` seconds (a server that never ends the paging
/// must not keep fetch running): `None` as the exit code when it had to be killed.
fn fetch_limited(m: &Mock, out: &Path, extra: &[&str], limit: u64) -> (Option<i32>, String) {
    let mut child = command(KEY)
        .args(fetch_args(m, out))
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let o = child.wait_with_output().unwrap();
            assert_no_key(&o);
            return (o.status.code(), stderr(&o));
        }
        if t.elapsed() > Duration::from_secs(limit) {
            child.kill().unwrap();
            let _ = child.wait();
            return (None, "killed: fetch did not end".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sess(c: &str, st: &str, en: Option<&str>) -> Value {
    json!({"content_guid": c, "user_guid": "u1", "started": st, "ended": en, "data_version": 1})
}

fn day_session(day: u32) -> Value {
    sess(
        "c1",
        &format!("2024-03-{day:02}T10:00:00Z"),
        Some(&format!("2024-03-{day:02}T11:00:00Z")),
    )
}

fn bare() -> Data {
    Data {
        version: Some("2024.08.0".into()),
        has_visits: true,
        ..Default::default()
    }
}

const ONLY_SHINY: [&str; 2] = ["--skip", "visits,content,users,jobs,metrics"];

fn shiny_state(out: &Path) -> Value {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("fetch-state.json")).unwrap())
            .unwrap();
    v["endpoints"]["shiny_usage"].clone()
}

#[test]
fn a_cursor_going_in_a_circle_fails_naming_the_endpoint_and_stays_resumable() {
    let m = Mock::start(bare(), KEY);
    let out = tempfile::tempdir().unwrap();
    let addr = m.url();
    // First page → cursor A → cursor B → cursor A again; each page a new record moving
    // forward in time, so only the repeated cursor shows the circle.
    m.set_hook(Some(Box::new(move |r: &Req| {
        if !r.path.ends_with("/shiny/usage") {
            return None;
        }
        let (day, next) = match r.param("next") {
            None => (1, "A"),
            Some("A") => (2, "B"),
            _ => (3, "A"),
        };
        Some(Resp::json(
            200,
            &json!({"paging": {"next": format!("{addr}/x?next={next}")},
                    "results": [day_session(day)]}),
        ))
    })));
    let (code, e) = fetch_limited(&m, out.path(), &ONLY_SHINY, 20);
    assert_eq!(code, Some(1), "{e}");
    assert!(
        e.contains("paging does not end") && e.contains("cursor repeats"),
        "{e}"
    );
    assert!(e.contains("/__api__/v1/instrumentation/shiny/usage"), "{e}");
    // Three pages asked; the state points at the last good page (cursor B), the journal
    // holds the two pages before it.
    assert_eq!(requests_to(&m.log(), "/shiny/usage").len(), 3);
    let resume = &shiny_state(out.path())["resume"];
    assert!(
        resume["query"].as_str().unwrap().contains("next=B"),
        "{resume}"
    );
    // Once the server behaves, the rerun resumes there and finishes.
    m.set_hook(Some(Box::new(|r: &Req| {
        (r.param("next") == Some("B"))
            .then(|| Resp::json(200, &json!({"paging": {}, "results": [day_session(3)]})))
    })));
    let (code, e) = fetch_limited(&m, out.path(), &ONLY_SHINY, 20);
    assert_eq!(code, Some(0), "{e}");
    assert_eq!(lines(&out.path().join("shiny_usage.csv")).len(), 3);
}

#[test]
fn the_same_page_again_under_fresh_cursors_fails() {
    let m = Mock::start(bare(), KEY);
    let out = tempfile::tempdir().unwrap();
    let addr = m.url();
    let mut k = 0u64;
    m.set_hook(Some(Box::new(move |r: &Req| {
        if !r.path.ends_with("/shiny/usage") {
            return None;
        }
        k += 1;
        Some(Resp::json(
            200,
            &json!({"paging": {"next": format!("{addr}/x?next={k}")},
                    "results": [day_session(1)]}),
        ))
    })));
    let (code, e) = fetch_limited(&m, out.path(), &ONLY_SHINY, 20);
    assert_eq!(code, Some(1), "{e}");
    assert!(e.contains("already sent in this pass"), "{e}");
    assert_eq!(requests_to(&m.log(), "/shiny/usage").len(), 2);
}

#[test]
fn a_page_going_back_in_time_fails() {
    let m = Mock::start(bare(), KEY);
    let out = tempfile::tempdir().unwrap();
    let addr = m.url();
    // Fresh cursors, new records, but the second page starts before the first ended:
    // day 5, then day 4, ... forever.
    m.set_hook(Some(Box::new(move |r: &Req| {
        if !r.path.ends_with("/shiny/usage") {
            return None;
        }
        let k: u32 = r.param("next").and_then(|v| v.parse().ok()).unwrap_or(0);
        Some(Resp::json(
            200,
            &json!({"paging": {"next": format!("{addr}/x?next={}", k + 1)},
                    "results": [day_session(5u32.saturating_sub(k).max(1))]}),
        ))
    })));
    let (code, e) = fetch_limited(&m, out.path(), &ONLY_SHINY, 20);
    assert_eq!(code, Some(1), "{e}");
    assert!(e.contains("goes back in time"), "{e}");
}

#[test]
fn users_paging_that_ignores_page_number_stops_and_keeps_each_user_once() {
    let m = Mock::start(bare(), KEY);
    let out = tempfile::tempdir().unwrap();
    // No total, page_number ignored: every page is the same two users.
    m.set_hook(Some(Box::new(|r: &Req| {
        r.path.ends_with("/v1/users").then(|| {
            Resp::json(
                200,
                &json!({"results": [{"guid": "u1", "username": "a"}, {"guid": "u2", "username": "b"}],
                        "current_page": 1}),
            )
        })
    })));
    let (code, e) = fetch_limited(&m, out.path(), &["--skip", "shiny,visits,content,jobs"], 20);
    assert_eq!(code, Some(0), "{e}");
    assert!(e.contains("ignore page_number"), "{e}");
    assert_eq!(lines(&out.path().join("users.csv")).len(), 2);
    assert_eq!(requests_to(&m.log(), "/v1/users").len(), 2);
    // total_pages ends it too, before a page with no new users.
    m.set_hook(Some(Box::new(|r: &Req| {
        r.path.ends_with("/v1/users").then(|| {
            let n = r.param("page_number").unwrap_or("1").to_string();
            Resp::json(
                200,
                &json!({"results": [{"guid": format!("u{n}"), "username": n}],
                        "current_page": 1, "total_pages": 3}),
            )
        })
    })));
    m.clear_log();
    let (code, e) = fetch_limited(&m, out.path(), &["--skip", "shiny,visits,content,jobs"], 20);
    assert_eq!(code, Some(0), "{e}");
    assert_eq!(requests_to(&m.log(), "/v1/users").len(), 3);
    assert_eq!(lines(&out.path().join("users.csv")).len(), 3);
}

/// The days (`2024-03-DD`) of the sessions in the file, sorted, duplicates kept.
fn days_in(out: &Path) -> Vec<u32> {
    let text = std::fs::read_to_string(out.join("shiny_usage.csv")).unwrap();
    let mut d: Vec<u32> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap()[8..10].parse().unwrap())
        .collect();
    d.sort();
    d
}

/// Every usage request's `from` and `to`; none may have from after to.
fn windows_asked(m: &Mock) -> Vec<(Option<String>, Option<String>)> {
    let w: Vec<_> = requests_to(&m.log(), "/shiny/usage")
        .iter()
        .filter(|r| r.param("next").is_none())
        .map(|r| {
            (
                r.param("from").map(str::to_string),
                r.param("to").map(str::to_string),
            )
        })
        .collect();
    for (f, t) in &w {
        if let (Some(f), Some(t)) = (f, t) {
            assert!(f < t, "asked from {f} to {t}");
        }
    }
    w
}

#[test]
fn windows_fetched_in_any_order_leave_no_gaps() {
    let mut d = bare();
    d.sessions = (1..=31).map(day_session).collect();
    let m = Mock::start(d, KEY);
    let out = tempfile::tempdir().unwrap();
    for (f, t) in [
        ("2024-03-01", "2024-03-05"),
        ("2024-03-20", "2024-03-25"),
        ("2024-03-10", "2024-03-15"),
    ] {
        let (code, e) = fetch_limited(
            &m,
            out.path(),
            &[ONLY_SHINY[0], ONLY_SHINY[1], "--from", f, "--to", t],
            20,
        );
        assert_eq!(code, Some(0), "{e}");
    }
    let mut want: Vec<u32> = (1..=5).chain(10..=15).chain(20..=25).collect();
    want.sort();
    assert_eq!(days_in(out.path()), want);
    // The third window was asked exactly as given (to = the day after the 15th).
    let asked = windows_asked(&m);
    assert_eq!(
        asked.last().unwrap(),
        &(
            Some("2024-03-10T00:00:00Z".to_string()),
            Some("2024-03-16T00:00:00Z".to_string())
        )
    );
    // Asking one of them again asks nothing.
    m.clear_log();
    let (code, _) = fetch_limited(
        &m,
        out.path(),
        &[
            ONLY_SHINY[0],
            ONLY_SHINY[1],
            "--from",
            "2024-03-11",
            "--to",
            "2024-03-14",
        ],
        20,
    );
    assert_eq!(code, Some(0));
    assert!(windows_asked(&m).is_empty());
    // Everything: only the gaps are asked, and every day is there once.
    m.clear_log();
    let (code, e) = fetch_limited(&m, out.path(), &ONLY_SHINY, 20);
    assert_eq!(code, Some(0), "{e}");
    let asked = windows_asked(&m);
    let t = |s: &str| Some(s.to_string());
    assert_eq!(
        asked,
        vec![
            (None, t("2024-03-01T00:00:00Z")),
            (t("2024-03-06T00:00:00Z"), t("2024-03-10T00:00:00Z")),
            (t("2024-03-16T00:00:00Z"), t("2024-03-20T00:00:00Z")),
            (t("2024-03-26T00:00:00Z"), None),
        ]
    );
    assert_eq!(days_in(out.path()), (1..=31).collect::<Vec<_>>());
}

#[test]
fn a_backfill_with_to_leaves_no_hole() {
    let mut d = bare();
    d.sessions = (1..=31).map(day_session).collect();
    let m = Mock::start(d, KEY);
    let out = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut a = ONLY_SHINY.to_vec();
        a.extend_from_slice(extra);
        let (code, e) = fetch_limited(&m, out.path(), &a, 20);
        assert_eq!(code, Some(0), "{e}");
    };
    run(&["--from", "2024-03-20"]);
    run(&["--from", "2024-03-01", "--to", "2024-03-05"]);
    m.clear_log();
    run(&["--from", "2024-03-01"]);
    // Only the hole between the 6th and the 20th, and the open end after the newest
    // record (31st 11:00) less an hour.
    let t = |s: &str| Some(s.to_string());
    assert_eq!(
        windows_asked(&m),
        vec![
            (t("2024-03-06T00:00:00Z"), t("2024-03-20T00:00:00Z")),
            (t("2024-03-31T10:00:00Z"), None),
        ]
    );
    assert_eq!(days_in(out.path()), (1..=31).collect::<Vec<_>>());
}

#[test]
fn a_format_1_state_is_migrated_and_fetching_goes_on_from_its_next_from() {
    let mut d = bare();
    d.sessions = (1..=10).map(day_session).collect();
    let m = Mock::start(d, KEY);
    let out = tempfile::tempdir().unwrap();
    let (code, e) = fetch_limited(&m, out.path(), &ONLY_SHINY, 20);
    assert_eq!(code, Some(0), "{e}");
    // Rewrite the state as the previous version wrote it.
    let old = json!({"format": 1, "server": m.url(), "endpoints": {"shiny_usage": {
        "next_from": "2024-03-10T10:00:00Z", "covered_from": null, "min_data_version": 1,
        "rows": 10, "passes": 1, "resume": null}}});
    std::fs::write(out.path().join("fetch-state.json"), old.to_string()).unwrap();
    m.clear_log();
    let (code, e) = fetch_limited(&m, out.path(), &ONLY_SHINY, 20);
    assert_eq!(code, Some(0), "{e}");
    assert_eq!(
        windows_asked(&m),
        vec![(Some("2024-03-10T10:00:00Z".to_string()), None)]
    );
    assert_eq!(days_in(out.path()), (1..=10).collect::<Vec<_>>());
    let st: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("fetch-state.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(st["format"], json!(2));
}

#[test]
fn malformed_records_are_skipped_counted_and_never_written() {
    let m = Mock::start(bare(), KEY);
    let out = tempfile::tempdir().unwrap();
    m.set_hook(Some(Box::new(|r: &Req| {
        r.path.ends_with("/shiny/usage").then(|| {
            Resp::json(
                200,
                &json!({"paging": {}, "results": [
                    {"content_guid": 5, "started": 1709251200, "ended": "2024-03-01T01:00:00Z", "data_version": "x"},
                    {"user_guid": ["a", "b"], "started": "2024-03-01T00:00:00Z"},
                    {"content_guid": "c", "user_guid": "u", "started": "not a time", "ended": null, "data_version": 1},
                    {"content_guid": "c,\"\n", "user_guid": {"o": 1}, "started": "2024-03-01T00:00:00+05:00", "ended": "2024-03-01T00:00:00Z", "data_version": 1.5},
                    {"content_guid": "c", "user_guid": "u", "started": "2024-03-01T00:00:00Z", "ended": "2024-03-01T00:30:00Z", "data_version": 1.5},
                    day_session(2)
                ]}),
            )
        })
    })));
    let (code, e) = fetch_limited(&m, out.path(), &ONLY_SHINY, 20);
    assert_eq!(code, Some(0), "{e}");
    assert!(
        e.contains("skipped 5 malformed records") && e.contains("content_guid is 5, not a GUID"),
        "{e}"
    );
    assert!(
        e.contains("5 malformed records skipped (not stored)"),
        "{e}"
    );
    assert_eq!(days_in(out.path()), vec![2]);
    // analyze reads the folder without complaint.
    let o = command(KEY)
        .args(["analyze", "--format", "json"])
        .arg(out.path())
        .output()
        .unwrap();
    ok(&o);
}

#[test]
fn a_far_future_time_does_not_stop_fetching() {
    let mut d = bare();
    d.sessions = (1..=3).map(day_session).collect();
    d.sessions.push(sess(
        "c1",
        "2999-01-01T00:00:00Z",
        Some("2999-01-01T01:00:00Z"),
    ));
    let m = Mock::start(d, KEY);
    let out = tempfile::tempdir().unwrap();
    let (code, e) = fetch_limited(&m, out.path(), &ONLY_SHINY, 20);
    assert_eq!(code, Some(0), "{e}");
    // New sessions after the real ones are still fetched by the next run.
    m.edit(|d| d.sessions.extend((4..=6).map(day_session)));
    m.clear_log();
    let (code, e) = fetch_limited(&m, out.path(), &ONLY_SHINY, 20);
    assert_eq!(code, Some(0), "{e}");
    assert_eq!(
        windows_asked(&m),
        vec![(Some("2024-03-03T10:00:00Z".to_string()), None)]
    );
    let text = std::fs::read_to_string(out.path().join("shiny_usage.csv")).unwrap();
    assert_eq!(text.lines().count(), 1 + 7, "{text}");
}

#[test]
fn the_key_echoed_in_a_header_or_a_protocol_error_is_redacted() {
    let m = Mock::start(bare(), KEY);
    let out = tempfile::tempdir().unwrap();
    // In the Content-Type of a non-JSON answer.
    m.set_hook(Some(Box::new(|r: &Req| {
        r.path.ends_with("/server_settings").then(|| {
            Resp::raw(
                200,
                &format!("text/plain; x={}", r.auth.clone().unwrap_or_default()),
                "hello",
            )
        })
    })));
    let (code, e) = fetch_limited(&m, out.path(), &ONLY_SHINY, 20);
    assert_eq!(code, Some(1), "{e}");
    assert!(e.contains("<redacted>"), "{e}");
    // In a response that breaks the protocol (the status line carries the key). ureq
    // 3.5 does not quote the status line in its error, so this only guards against a
    // future version that does; the scrubbing of network errors and retry notes is
    // unit-tested in src/fetch/mod.rs.
    m.set_hook(Some(Box::new(|r: &Req| {
        Some(Resp::Bytes(format!(
            "HTTP/1.1 {} OK\r\n\r\n",
            r.auth.clone().unwrap_or_default()
        )))
    })));
    let (code, e) = fetch_limited(&m, out.path(), &["--retries", "1"], 20);
    assert_eq!(code, Some(1), "{e}");
    assert_no_key_in_files(out.path());
}

#[test]
fn a_ca_cert_that_is_no_pem_file_is_an_error_and_tls_failures_are_not_retried() {
    let m = Mock::start(bare(), KEY);
    let out = tempfile::tempdir().unwrap();
    let pem = out.path().join("ca.pem");
    std::fs::write(&pem, "not a certificate").unwrap();
    let (code, e) = fetch_limited(&m, out.path(), &["--ca-cert", pem.to_str().unwrap()], 20);
    assert_eq!(code, Some(1), "{e}");
    assert!(e.contains("--ca-cert: no certificate"), "{e}");
    assert!(m.log().is_empty());
    assert!(m.log().is_empty());
}

/// A TLS server with a self-signed certificate for 127.0.0.1 (`openssl s_server -www`,
/// which answers any GET with an HTML status page); `None` when openssl is missing.
fn tls_server(dir: &Path) -> Option<(std::process::Child, u16, PathBuf)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .ok()?;
    if !made.status.success() {
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if t.elapsed() > Duration::from_secs(10) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((child, port, cert))
}

#[test]
fn a_certificate_that_does_not_verify_is_not_retried_and_ca_cert_trusts_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut server, port, cert)) = tls_server(dir.path()) else {
        eprintln!("openssl not available: TLS test skipped");
        return;
    };
    let url = format!("https://127.0.0.1:{port}");
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        command(KEY)
            .args(["fetch", "--server", &url, "--retry-wait", "3s", "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    // Self-signed: fails at once (a retry would wait 3 s first), saying what to pass.
    let t = Instant::now();
    let o = run(&[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(t.elapsed() < Duration::from_secs(3), "{e}");
    assert!(
        !e.contains("retrying") && e.contains("--ca-cert FILE"),
        "{e}"
    );
    // Trusting its certificate: the handshake passes and the HTML page is "not Connect".
    let o = run(&["--ca-cert", cert.to_str().unwrap()]);
    let e = stderr(&o);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("does not look like a Posit Connect server"),
        "{e}"
    );
}
