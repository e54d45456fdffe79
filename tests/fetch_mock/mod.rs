//! A small stand-in for the Connect API on 127.0.0.1 (a port the OS picks), serving the
//! documented JSON shapes (docs/inputs.md sections 1, 3, 4, 5): keyset pages for the
//! instrumentation endpoints with the documented `from`/`to`/`min_data_version`
//! semantics, offset pages for users, bare arrays for content, jobs and hits, and the
//! per-job metrics (section 3.3, samples filtered by `from`/`to`). Recorded payloads
//! ([`Data::replay`]) are served byte for byte, so field order and number forms stay as
//! a real server sent them. A hook can answer any request first, to inject faults. Each connection gets its own thread and
//! `Connection: close`; the server stops when the [`Mock`] is dropped. It never connects
//! anywhere itself.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use chrono::DateTime;
use serde_json::{json, Value};

/// What the server holds.
#[derive(Debug, Clone, Default)]
pub struct Data {
    /// `server_settings.version`; `None` hides it.
    pub version: Option<String>,
    pub sessions: Vec<Value>,
    pub visits: Vec<Value>,
    /// `None`: the endpoint is missing (404), as on servers before 2025.04.
    pub hits: Option<Vec<Value>>,
    /// `false`: `/v1/instrumentation/content/visits` is missing (404).
    pub has_visits: bool,
    pub content: Vec<Value>,
    pub users: Vec<Value>,
    /// Jobs per content GUID.
    pub jobs: BTreeMap<String, Vec<Value>>,
    /// Metrics samples per job key; `None`: the endpoint is missing (404), as on servers
    /// without it. A key not in the map answers 404 (a purged job).
    pub metrics: Option<BTreeMap<String, Vec<Value>>>,
    /// Bodies served verbatim (status 200, JSON) for a path, optionally only when a query
    /// parameter has a value; checked before every other route.
    pub replay: Vec<Replay>,
}

/// One recorded response.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The request path, e.g. `/__api__/v1/content`.
    pub path: String,
    /// A query parameter and the value it must have.
    pub param: Option<(String, String)>,
    /// The body.
    pub body: String,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Req {
    pub path: String,
    pub query: Vec<(String, String)>,
    /// The `Authorization` header, if any.
    pub auth: Option<String>,
}

impl Req {
    /// The (percent-decoded) value of a query parameter.
    pub fn param(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
}

/// A reply.
#[derive(Debug, Clone)]
pub enum Resp {
    /// Status, extra headers, content type, body.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        content_type: String,
        body: String,
    },
    /// Close the connection without answering.
    Drop,
    /// These bytes as the whole answer (status line and headers included).
    Bytes(String),
    /// Hold the connection open this long, then close it without answering.
    Hang(Duration),
}

impl Resp {
    pub fn json(status: u16, v: &Value) -> Resp {
        Resp::Full {
            status,
            headers: vec![],
            content_type: "application/json".into(),
            body: v.to_string(),
        }
    }
    pub fn raw(status: u16, content_type: &str, body: &str) -> Resp {
        Resp::Full {
            status,
            headers: vec![],
            content_type: content_type.into(),
            body: body.into(),
        }
    }
    pub fn with_header(self, k: &str, v: &str) -> Resp {
        match self {
            Resp::Full {
                status,
                mut headers,
                content_type,
                body,
            } => {
                headers.push((k.into(), v.into()));
                Resp::Full {
                    status,
                    headers,
                    content_type,
                    body,
                }
            }
            other => other,
        }
    }
}

/// A fault injector: answers a request first when it returns `Some`.
pub type Hook = Box<dyn FnMut(&Req) -> Option<Resp> + Send>;

struct Shared {
    data: Data,
    key: String,
    log: Vec<Req>,
    hook: Option<Hook>,
}

/// The running server.
pub struct Mock {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Mock {
    /// Starts a server holding `data` that accepts API key `key`.
    pub fn start(data: Data, key: &str) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("addr");
        let shared = Arc::new(Mutex::new(Shared {
            data,
            key: key.to_string(),
            log: Vec::new(),
            hook: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (s2, stop2) = (shared.clone(), stop.clone());
        let thread = thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s3 = s2.clone();
                thread::spawn(move || serve(conn, addr, &s3));
            }
        });
        Mock {
            addr,
            shared,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Replaces the fault hook.
    pub fn set_hook(&self, hook: Option<Hook>) {
        self.shared.lock().unwrap().hook = hook;
    }
    /// Changes the data.
    pub fn edit(&self, f: impl FnOnce(&mut Data)) {
        f(&mut self.shared.lock().unwrap().data);
    }
    /// Requests seen so far.
    pub fn log(&self) -> Vec<Req> {
        self.shared.lock().unwrap().log.clone()
    }
    /// Forgets the requests seen so far.
    pub fn clear_log(&self) {
        self.shared.lock().unwrap().log.clear();
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut conn: TcpStream, addr: SocketAddr, shared: &Mutex<Shared>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(req) = read_request(&conn) else {
        return;
    };
    let resp = {
        let mut s = shared.lock().unwrap();
        s.log.push(req.clone());
        let hooked = s.hook.as_mut().and_then(|h| h(&req));
        hooked.unwrap_or_else(|| route(&s, &req, addr))
    };
    match resp {
        Resp::Drop => {}
        Resp::Bytes(b) => {
            let _ = conn.write_all(b.as_bytes());
            let _ = conn.flush();
        }
        Resp::Hang(d) => thread::sleep(d),
        Resp::Full {
            status,
            headers,
            content_type,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(body.as_bytes());
            let _ = conn.flush();
        }
    }
}

fn read_request(conn: &TcpStream) -> Option<Req> {
    let mut r = BufReader::new(conn);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let target = line.split_whitespace().nth(1)?.to_string();
    let mut auth = None;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("authorization") {
                auth = Some(v.trim().to_string());
            }
        }
    }
    let (path, q) = target.split_once('?').unwrap_or((&target, ""));
    let query = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    Some(Req {
        path: path.to_string(),
        query,
        auth,
    })
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(n) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(n);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn micros(v: Option<&str>) -> Option<i64> {
    DateTime::parse_from_rfc3339(v?)
        .ok()
        .map(|t| t.timestamp_micros())
}

fn route(s: &Shared, req: &Req, addr: SocketAddr) -> Resp {
    if req.auth.as_deref() != Some(&format!("Key {}", s.key)) {
        return Resp::json(401, &json!({"code": 3, "error": "Invalid API key"}));
    }
    let d = &s.data;
    let p = req.path.as_str();
    let recorded = d.replay.iter().find(|r| {
        r.path == p
            && r.param
                .as_ref()
                .is_none_or(|(k, v)| req.param(k) == Some(v.as_str()))
    });
    if let Some(r) = recorded {
        return Resp::raw(200, "application/json", &r.body);
    }
    if let Some((guid, key)) = p
        .strip_prefix("/__api__/v1/content/")
        .and_then(|r| r.strip_suffix("/metrics"))
        .and_then(|r| r.split_once("/jobs/"))
    {
        return metrics(d, req, guid, key);
    }
    match p {
        "/__api__/server_settings" => {
            let mut o = json!({"license": {}, "authentication": {"name": "password"}});
            if let Some(v) = &d.version {
                o["version"] = json!(v);
            }
            Resp::json(200, &o)
        }
        "/__api__/v1/instrumentation/shiny/usage" => shiny_usage(d, req, addr),
        "/__api__/v1/instrumentation/content/visits" if d.has_visits => visits(d, req, addr),
        "/__api__/v1/instrumentation/content/hits" => match &d.hits {
            Some(h) => {
                let from = micros(req.param("from"));
                let to = micros(req.param("to"));
                let rows: Vec<&Value> = h
                    .iter()
                    .filter(|r| {
                        let t = micros(r["timestamp"].as_str()).unwrap();
                        from.is_none_or(|f| t >= f) && to.is_none_or(|x| t <= x)
                    })
                    .collect();
                Resp::json(200, &json!(rows))
            }
            None => not_found(),
        },
        "/__api__/v1/content" => Resp::json(200, &json!(d.content)),
        "/__api__/v1/users" => users(d, req),
        _ => {
            let guid = p
                .strip_prefix("/__api__/v1/content/")
                .and_then(|r| r.strip_suffix("/jobs"));
            match guid.and_then(|g| d.jobs.get(g)) {
                Some(jobs) => Resp::json(200, &json!(jobs)),
                None => not_found(),
            }
        }
    }
}

/// Shiny sessions ending at or after `from` and starting at or before `to`, of the asked
/// data version, by start.
fn shiny_usage(d: &Data, req: &Req, addr: SocketAddr) -> Resp {
    let from = micros(req.param("from"));
    let to = micros(req.param("to"));
    let mdv: i64 = req
        .param("min_data_version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut rows: Vec<&Value> = d
        .sessions
        .iter()
        .filter(|r| r["data_version"].as_i64().unwrap_or(0) >= mdv)
        .filter(|r| match (from, micros(r["ended"].as_str())) {
            (Some(f), Some(e)) => e >= f,
            _ => true,
        })
        .filter(|r| match to {
            Some(t) => micros(r["started"].as_str()).unwrap() <= t,
            None => true,
        })
        .collect();
    rows.sort_by_key(|r| micros(r["started"].as_str()));
    keyset(req, rows, addr)
}

/// Visits in `[from, to]` of the asked data version, by time.
fn visits(d: &Data, req: &Req, addr: SocketAddr) -> Resp {
    let from = micros(req.param("from"));
    let to = micros(req.param("to"));
    let mdv: i64 = req
        .param("min_data_version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut rows: Vec<&Value> = d
        .visits
        .iter()
        .filter(|r| r["data_version"].as_i64().unwrap_or(0) >= mdv)
        .filter(|r| {
            let t = micros(r["time"].as_str()).unwrap();
            from.is_none_or(|f| t >= f) && to.is_none_or(|x| t <= x)
        })
        .collect();
    rows.sort_by_key(|r| micros(r["time"].as_str()));
    keyset(req, rows, addr)
}

/// One page of users, numbered from 1.
fn users(d: &Data, req: &Req) -> Resp {
    let n: usize = req
        .param("page_number")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let size: usize = req
        .param("page_size")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let page: Vec<&Value> = d.users.iter().skip((n - 1) * size).take(size).collect();
    Resp::json(
        200,
        &json!({"results": page, "current_page": n, "total": d.users.len()}),
    )
}

/// `{content_guid, job_key, samples}` with the samples in `[from, to]`.
fn metrics(d: &Data, req: &Req, guid: &str, key: &str) -> Resp {
    let Some(samples) = d.metrics.as_ref().and_then(|m| m.get(key)) else {
        return not_found();
    };
    let from = micros(req.param("from"));
    let to = micros(req.param("to"));
    let kept: Vec<&Value> = samples
        .iter()
        .filter(|s| {
            let t = micros(s["timestamp"].as_str()).unwrap();
            from.is_none_or(|f| t >= f) && to.is_none_or(|x| t <= x)
        })
        .collect();
    Resp::json(
        200,
        &json!({"content_guid": guid, "job_key": key, "samples": kept}),
    )
}

fn not_found() -> Resp {
    Resp::json(404, &json!({"code": 4, "error": "Not Found"}))
}

/// Keyset paging: the cursor is the offset of the next record; the `next` link carries
/// only `next` and `limit`, so a client must re-send its filters itself.
fn keyset(req: &Req, rows: Vec<&Value>, addr: SocketAddr) -> Resp {
    let limit: usize = req
        .param("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let start: usize = req.param("next").and_then(|v| v.parse().ok()).unwrap_or(0);
    let page: Vec<&Value> = rows.iter().skip(start).take(limit).copied().collect();
    let end = start + page.len();
    let more = end < rows.len();
    let link = |c: usize| format!("http://{addr}{}?next={c}&limit={limit}", req.path);
    let paging = json!({
        "cursors": {"previous": if start > 0 { json!(start.to_string()) } else { Value::Null },
                    "next": if more { json!(end.to_string()) } else { Value::Null }},
        "first": link(0),
        "previous": Value::Null,
        "next": if more { json!(link(end)) } else { Value::Null },
        "last": if more { json!(format!("http://{addr}{}?last=true", req.path)) } else { Value::Null },
    });
    Resp::json(200, &json!({"paging": paging, "results": page}))
}
