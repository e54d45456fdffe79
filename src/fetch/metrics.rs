//! Per-job resource samples (docs/inputs.md 3.3) into `job_metrics.csv`:
//! `GET /v1/content/{guid}/jobs/{key}/metrics?from=&to=` for every interactive job of
//! `jobs.csv` (tags in [`crate::vocab::INTERACTIVE_TAGS`]) that overlaps the window, of
//! content in the content list whose `metrics_collection_enabled` is not `false`.
//!
//! One request per job, so the run is incremental: a finished job whose samples came in
//! whole (even none) is recorded in the state (`done`) and never asked again; running jobs
//! are asked again each run. The window is `--from`/`--metrics-from` (the later of the two;
//! `--metrics-from` is kept in the state, so it bounds every later run too) to `--to`. The
//! newest jobs are asked first, so the first few answers tell whether the server has the
//! endpoint at all: when the first [`PROBE`] all answer 404, none has answered yet and no
//! earlier run recorded a job, the server is taken to lack it, nothing is recorded, and
//! the next run tries again.
//!
//! Samples merge by `(content_guid, job_key, timestamp)`. The file and then the state are
//! written every [`CHECKPOINT`], at the end and before an error is returned, so a failed
//! run keeps what it fetched and a killed one loses at most one checkpoint's work (those
//! jobs are asked again). A bar on stderr (only on a terminal) shows the jobs asked.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use super::http::Got;
use super::keyset::encode;
use super::snapshot::{checked, malformed, JOBS};
use super::state::{self, rfc3339, State};
use super::table::{self, col, Column, Merge, Row, Table, Ty};
use super::{Ctx, FetchError};
use crate::ingest::Micros;
use crate::vocab::is_interactive_tag;

/// State key.
pub const NAME: &str = "job_metrics";
/// Output file.
pub const FILE: &str = "job_metrics.csv";

/// Columns of `job_metrics.csv`, in the order of docs/inputs.md 3.3.
pub const COLUMNS: &[Column] = &[
    ("timestamp", Ty::Time),
    ("cpu_fraction", Ty::Num),
    ("memory_bytes", Ty::Num),
    ("connections", Ty::Num),
    ("process_id", Ty::Num),
    ("content_guid", Ty::Text),
    ("job_key", Ty::Text),
];

/// A sample's identity across fetches (docs/sizing.md 2.1).
const IDENTITY: &[&str] = &["content_guid", "job_key", "timestamp"];

/// Answers of 404, with none of 200 before them, that mean the server lacks the endpoint.
pub const PROBE: usize = 3;

/// Longest time between two writes of the file and the state.
pub const CHECKPOINT: Duration = Duration::from_secs(120);

/// How collection is turned on, for the "not measured" note.
pub const ENABLE: &str = "Connect records samples only where metrics collection is on: \
    server-wide with Applications.MetricsCollectionEnabled = true in the Connect \
    configuration, or per item with metrics_collection_enabled in its settings; sizing uses \
    the assumed footprints for these items";

/// What one run did, for the summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Jobs asked this run.
    pub asked: usize,
    /// Samples received this run.
    pub samples: u64,
    /// Rows now in `job_metrics.csv`.
    pub rows: u64,
    /// Finished jobs in the window fetched by earlier runs, not asked again.
    pub before: usize,
    /// Jobs answering 403 (content the key cannot see).
    pub forbidden: usize,
    /// The server has no metrics endpoint (every probe answered 404).
    pub no_endpoint: bool,
    /// Items asked this run of which no sample is held (404 or empty answers; every
    /// item asked when the server has no endpoint).
    pub not_measured: BTreeSet<String>,
    /// Items with jobs in the window whose collection is off in the content list.
    pub disabled: BTreeSet<String>,
}

/// One job to ask about.
#[derive(Debug, Clone, PartialEq)]
struct Job {
    guid: String,
    key: String,
    start: Micros,
    /// End, or the last heartbeat of a finished job without one.
    end: Option<Micros>,
    /// Status 1-3, or an end time.
    finished: bool,
}

/// Content items by GUID: a label and whether collection is on (`None`: the server's
/// default).
type Items = BTreeMap<String, (String, Option<bool>)>;

/// Asks the metrics of every job due and merges them into `job_metrics.csv`.
/// `metrics_from` is `--metrics-from` (kept in the state for later runs).
pub fn run(
    ctx: &Ctx,
    st: &mut State,
    content: &Table,
    metrics_from: Option<Micros>,
    log: &mut dyn Write,
) -> Result<Option<Outcome>, FetchError> {
    let jobs_file = ctx.dir.join("jobs.csv");
    if !jobs_file.exists() {
        return Ok(None);
    }
    let jobs = table::load(&jobs_file, JOBS)?;
    let es = st.endpoints.entry(NAME.to_string()).or_default();
    if let Some(m) = metrics_from {
        es.since = Some(rfc3339(m));
    }
    let since = table::micros(es.since.as_deref());
    let lower = match (ctx.from, since) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let window = (lower, ctx.to);
    let items = items(content);
    let (due, disabled, before) = select(&jobs, &items, &es.done, window);
    // Jobs recorded as done prove the server has the endpoint: a 404 is then one job's.
    let known = !es.done.is_empty();
    let mut out = Outcome {
        disabled,
        before,
        ..Outcome::default()
    };
    if !due.is_empty() {
        let _ = writeln!(
            log,
            "job metrics: asking {}, one request each (newest first)",
            super::summary::counted(due.len() as u64, "job")
        );
    }
    let mut run = Run {
        ctx,
        rows: Vec::new(),
        done: Vec::new(),
        last: Instant::now(),
        answered: false,
    };
    let asked = run.ask_all(st, &due, window, known, &mut out);
    if out.no_endpoint {
        out.not_measured = due.iter().map(|j| j.guid.clone()).collect();
    }
    // What was fetched is kept even when the run failed; the run's own error wins.
    let saved = run.checkpoint(st, asked.is_ok());
    asked?;
    let (rows, measured) = saved?;
    out.rows = rows;
    out.not_measured = out
        .not_measured
        .iter()
        .filter(|g| !measured.contains(*g))
        .map(|g| label(&items, g))
        .collect();
    Ok(Some(out))
}

/// One run's fetched rows and finished jobs not yet written.
struct Run<'a, 'c> {
    ctx: &'a Ctx<'c>,
    rows: Vec<Row>,
    done: Vec<(String, String)>,
    last: Instant,
    /// The endpoint answered at least once.
    answered: bool,
}

impl Run<'_, '_> {
    /// Asks every due job; `out.not_measured` collects GUIDs answered 404 or without
    /// samples (filtered against the file afterwards). `known`: an earlier run proved
    /// the endpoint exists, so no 404 is taken as its absence.
    fn ask_all(
        &mut self,
        st: &mut State,
        due: &[Job],
        window: (Option<Micros>, Option<Micros>),
        known: bool,
        out: &mut Outcome,
    ) -> Result<(), FetchError> {
        let bar = bar(due.len());
        let (mut proven, mut pending) = (known, Vec::new());
        for job in due {
            let path = query(job, window, self.ctx.now);
            let got = self.ctx.client.get_tolerant(&path);
            bar.inc(1);
            out.asked += 1;
            match got? {
                Got::Json(v) => {
                    proven = true;
                    self.answered = true;
                    let rows = samples(self.ctx, &path, &v, job)?;
                    out.samples += rows.len() as u64;
                    if rows.is_empty() {
                        out.not_measured.insert(job.guid.clone());
                    }
                    self.rows.extend(rows);
                    self.finish(job, window);
                    for p in pending.drain(..) {
                        self.missing(p, window, out);
                    }
                }
                Got::Missing if proven => self.missing(job, window, out),
                Got::Missing => {
                    pending.push(job);
                    if pending.len() >= PROBE.min(due.len()) {
                        out.no_endpoint = true;
                        break;
                    }
                }
                Got::Forbidden => out.forbidden += 1,
            }
            if self.last.elapsed() >= CHECKPOINT {
                self.checkpoint(st, false)?;
            }
        }
        bar.finish_and_clear();
        Ok(())
    }

    /// A job answering 404 on a server that has the endpoint: purged, or never measured.
    fn missing(&mut self, job: &Job, window: (Option<Micros>, Option<Micros>), out: &mut Outcome) {
        out.not_measured.insert(job.guid.clone());
        self.finish(job, window);
    }

    /// Records a finished job fetched whole as done.
    fn finish(&mut self, job: &Job, (lower, upper): (Option<Micros>, Option<Micros>)) {
        let whole = lower.is_none_or(|l| l <= job.start)
            && upper.is_none_or(|u| job.end.is_some_and(|e| e <= u));
        if job.finished && whole {
            self.done.push((job.guid.clone(), job.key.clone()));
        }
    }

    /// Merges the rows into the file (when there are any, or there is no file yet and the
    /// endpoint answered), records the finished jobs in the state and saves it. Returns
    /// the rows in the file and the GUIDs they hold samples of (on the last call).
    fn checkpoint(
        &mut self,
        st: &mut State,
        last: bool,
    ) -> Result<(u64, HashSet<String>), FetchError> {
        self.last = Instant::now();
        let file = self.ctx.dir.join(FILE);
        let stored = table::load(&file, COLUMNS)?;
        let fresh = !file.exists() && self.answered;
        let merged = if self.rows.is_empty() && !fresh {
            stored
        } else {
            let rows = std::mem::take(&mut self.rows);
            let m = table::merge(stored, rows, Merge::ByKeys(IDENTITY), "timestamp");
            table::save(&file, &m)?;
            m
        };
        let es = st.endpoints.entry(NAME.to_string()).or_default();
        for (g, k) in self.done.drain(..) {
            es.done.entry(g).or_default().insert(k);
        }
        es.rows = merged.rows.len() as u64;
        if last {
            es.passes += 1;
        }
        state::save(self.ctx.dir, st)?;
        let g = col(COLUMNS, "content_guid").unwrap_or(5);
        let guids = merged.rows.iter().filter_map(|r| r[g].clone()).collect();
        Ok((merged.rows.len() as u64, guids))
    }
}

/// The content items by GUID with a label and their collection setting.
fn items(content: &Table) -> Items {
    let c = |n| col(content.columns, n);
    let (Some(g), name, enabled) = (c("guid"), c("name"), c("metrics_collection_enabled")) else {
        return Items::new();
    };
    content
        .rows
        .iter()
        .filter_map(|r| {
            let guid = r[g].clone()?;
            let label = name
                .and_then(|i| r[i].clone())
                .unwrap_or_else(|| guid.clone());
            let on = enabled.and_then(|i| r[i].as_deref()).map(|v| v == "TRUE");
            Some((guid, (label, on)))
        })
        .collect()
}

fn label(items: &Items, guid: &str) -> String {
    items
        .get(guid)
        .map_or_else(|| guid.to_string(), |(l, _)| l.clone())
}

/// The jobs to ask (newest first), the labels of items with jobs in the window whose
/// collection is off, and how many finished jobs in the window are already done.
fn select(
    jobs: &Table,
    items: &Items,
    done: &BTreeMap<String, BTreeSet<String>>,
    (lower, upper): (Option<Micros>, Option<Micros>),
) -> (Vec<Job>, BTreeSet<String>, usize) {
    let (mut due, mut disabled, mut before) = (Vec::new(), BTreeSet::new(), 0);
    for job in jobs.rows.iter().filter_map(|r| job(jobs.columns, r)) {
        let ends_after = job.end.is_none_or(|e| lower.is_none_or(|l| e >= l));
        let starts_before = upper.is_none_or(|u| job.start < u);
        let Some((name, on)) = items.get(&job.guid) else {
            continue;
        };
        if !(ends_after && starts_before) {
            continue;
        }
        if *on == Some(false) {
            disabled.insert(name.clone());
        } else if done.get(&job.guid).is_some_and(|d| d.contains(&job.key)) {
            before += 1;
        } else {
            due.push(job);
        }
    }
    due.sort_by(|a, b| (b.start, &b.guid, &b.key).cmp(&(a.start, &a.guid, &a.key)));
    (due, disabled, before)
}

/// An interactive job of a `jobs.csv` row, if it is one and has what a request needs.
fn job(columns: &[Column], r: &Row) -> Option<Job> {
    let get = |n: &str| col(columns, n).and_then(|i| r[i].as_deref());
    if !is_interactive_tag(get("tag")?) {
        return None;
    }
    let status: Option<i64> = get("status").and_then(|s| s.parse().ok());
    let end = table::micros(get("end_time"));
    let finished = end.is_some() || status.is_some_and(|s| (1..=3).contains(&s));
    let end = end.or_else(|| {
        finished
            .then(|| table::micros(get("last_heartbeat_time")))
            .flatten()
    });
    Some(Job {
        guid: get("content_guid")?.to_string(),
        key: get("key")?.to_string(),
        start: table::micros(get("start_time"))?,
        end,
        finished,
    })
}

/// The request of one job: its run clipped to the window (a running job up to now).
fn query(job: &Job, (lower, upper): (Option<Micros>, Option<Micros>), now: Micros) -> String {
    let from = lower.map_or(job.start, |l| job.start.max(l));
    let end = job.end.unwrap_or(now).max(from);
    let to = upper.map_or(end, |u| end.min(u));
    format!(
        "/v1/content/{}/jobs/{}/metrics?from={}&to={}",
        encode(&job.guid),
        encode(&job.key),
        encode(&rfc3339(from)),
        encode(&rfc3339(to))
    )
}

/// The samples of one answer (`{content_guid, job_key, samples: [...]}`, or a bare array)
/// as rows, each given the job's `content_guid` and `job_key` when it lacks them.
fn samples(ctx: &Ctx, path: &str, v: &Value, job: &Job) -> Result<Vec<Row>, FetchError> {
    let list = match v {
        Value::Array(a) => a.as_slice(),
        Value::Object(o) => match o.get("samples") {
            Some(Value::Array(a)) => a.as_slice(),
            None | Some(Value::Null) => &[],
            Some(_) => return Err(malformed(ctx, path, "\"samples\" is not an array")),
        },
        _ => return Err(malformed(ctx, path, "expected an object with \"samples\"")),
    };
    let filled: Vec<Value> = list
        .iter()
        .cloned()
        .map(|mut s| {
            if let Some(o) = s.as_object_mut() {
                for (k, val) in [("content_guid", &job.guid), ("job_key", &job.key)] {
                    if o.get(k).is_none_or(Value::is_null) {
                        o.insert(k.to_string(), Value::String(val.clone()));
                    }
                }
            }
            s
        })
        .collect();
    Ok(checked(
        ctx,
        "job metrics",
        COLUMNS,
        &["timestamp", "content_guid", "job_key"],
        &filled,
    ))
}

/// A bar of jobs asked, drawn only on a terminal.
fn bar(n: usize) -> ProgressBar {
    if n < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(n as u64), ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("job metrics {wide_bar} {human_pos}/{human_len} jobs ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Micros = 3_600_000_000;

    /// `(content_guid, key, tag, start, end, status)`.
    type Spec<'a> = (&'a str, &'a str, &'a str, Option<i64>, Option<i64>, &'a str);

    fn jobs(rows: &[Spec]) -> Table {
        let c = |n| col(JOBS, n).unwrap();
        let rows = rows
            .iter()
            .map(|(guid, key, tag, start, end, status)| {
                let mut r: Row = vec![None; JOBS.len()];
                r[c("content_guid")] = Some(guid.to_string());
                r[c("key")] = Some(key.to_string());
                r[c("tag")] = Some(tag.to_string());
                r[c("start_time")] = start.map(rfc3339);
                r[c("end_time")] = end.map(rfc3339);
                r[c("status")] = Some(status.to_string());
                r
            })
            .collect();
        Table {
            columns: JOBS,
            rows,
        }
    }

    fn items() -> Items {
        [
            ("a".to_string(), ("app-a".to_string(), None)),
            ("b".to_string(), ("app-b".to_string(), Some(false))),
            ("c".to_string(), ("app-c".to_string(), Some(true))),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn only_interactive_jobs_in_the_window_of_collecting_content_not_done_are_due() {
        let t = jobs(&[
            ("a", "k1", "run_app", Some(0), Some(H), "2"),
            ("a", "k2", "build_report", Some(0), Some(H), "2"),
            ("a", "k3", "run_app", Some(5 * H), None, "0"),
            ("b", "k4", "run_app", Some(0), Some(H), "2"),
            ("c", "k5", "run_python_api", Some(2 * H), Some(3 * H), "2"),
            ("c", "k6", "run_python_api", Some(0), Some(H / 2), "2"),
            ("gone", "k7", "run_app", Some(0), Some(H), "2"),
            ("c", "k8", "run_app", Some(9 * H), Some(10 * H), "2"),
        ]);
        let done: BTreeMap<String, BTreeSet<String>> =
            [("c".to_string(), ["k5".to_string()].into_iter().collect())]
                .into_iter()
                .collect();
        // Window [H, 9H): k6 ended before it, k8 starts at its end.
        let (due, disabled, before) = select(&t, &items(), &done, (Some(H), Some(9 * H)));
        let keys: Vec<&str> = due.iter().map(|j| j.key.as_str()).collect();
        assert_eq!(keys, ["k3", "k1"], "newest first");
        assert_eq!(disabled, ["app-b".to_string()].into_iter().collect());
        assert_eq!(before, 1);
        assert!(!due[0].finished && due[1].finished);
    }

    #[test]
    fn a_finalised_job_without_an_end_ends_at_its_heartbeat() {
        let mut t = jobs(&[("a", "k", "run_app", Some(0), None, "2")]);
        let hb = col(JOBS, "last_heartbeat_time").unwrap();
        t.rows[0][hb] = Some(rfc3339(H));
        let j = job(JOBS, &t.rows[0]).unwrap();
        assert!(j.finished);
        assert_eq!(j.end, Some(H));
        assert_eq!(
            query(&j, (None, None), 99 * H),
            "/v1/content/a/jobs/k/metrics?from=1970-01-01T00%3A00%3A00Z&to=1970-01-01T01%3A00%3A00Z"
        );
        // A running job is asked up to now, clipped to the window.
        let running = Job {
            end: None,
            finished: false,
            ..j
        };
        assert!(query(&running, (Some(H / 2), Some(2 * H)), 99 * H)
            .ends_with("from=1970-01-01T00%3A30%3A00Z&to=1970-01-01T02%3A00%3A00Z"));
    }
}
