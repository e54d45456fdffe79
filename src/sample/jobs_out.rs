//! Render and environment-build jobs, id assignment, and the jobs.csv writer
//! (connectapi `get_jobs()` + `write.csv(row.names = FALSE)`: the fixed ptype column
//! order, ids quoted as character, naive UTC times, `NA` unquoted).

use super::catalog::{runtime, Catalog, Content, Runtime, Schedule};
use super::fmt::{key, write_header, write_naive, write_naive_opt, write_quoted, Secs};
use super::jobs::Job;
use chrono::{Datelike, NaiveDate, TimeZone, Weekday};
use chrono_tz::America::New_York;
use rand::rngs::StdRng;
use rand::Rng;
use rand_distr::{Distribution, LogNormal};
use std::io::{self, Write};

/// Header of jobs.csv (spec 3.2).
pub const HEADER: [&str; 23] = [
    "id",
    "ppid",
    "pid",
    "key",
    "remote_id",
    "content_id",
    "content_guid",
    "app_id",
    "app_guid",
    "variant_id",
    "bundle_id",
    "start_time",
    "end_time",
    "last_heartbeat_time",
    "queued_time",
    "queue_name",
    "tag",
    "exit_code",
    "status",
    "hostname",
    "cluster",
    "image",
    "run_as",
];

fn render_tag(c: &Content) -> Option<&'static str> {
    match (c.mode, c.category) {
        ("quarto-static", "site") | ("rmd-static", "site") => Some("build_site"),
        ("rmd-static" | "quarto-static", _) => Some("build_report"),
        ("jupyter-static", _) => Some("build_jupyter"),
        _ => None,
    }
}

/// UTC seconds of a wall-clock time in America/New_York (earliest if ambiguous).
fn ny_time(date: NaiveDate, hour: u32) -> Option<Secs> {
    let naive = date.and_hms_opt(hour, 0, 0)?;
    New_York
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp())
}

fn render_duration(rng: &mut StdRng) -> Secs {
    let d = LogNormal::new(180f64.ln(), 0.4).map_or(180.0, |d| d.sample(rng));
    (d as Secs).clamp(20, 3600)
}

fn scheduled_starts(cat: &Catalog, c: &Content) -> Vec<(Secs, bool)> {
    let first = chrono::DateTime::from_timestamp(cat.window_start, 0)
        .unwrap_or_default()
        .date_naive();
    let days = (cat.window_end - cat.window_start) / 86_400;
    (0..days)
        .filter_map(|d| first.checked_add_days(chrono::Days::new(d as u64)))
        .filter_map(|date| match c.schedule {
            Schedule::Daily => ny_time(date, 6),
            Schedule::Weekly if date.weekday() == Weekday::Mon => ny_time(date, 7),
            _ => None,
        })
        .map(|t| (t, true))
        .collect()
}

/// Scheduled renders, renders on deploy, and the environment restore of every deploy.
pub fn content_jobs(cat: &Catalog, rng: &mut StdRng) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (i, c) in cat.contents.iter().enumerate() {
        let restore = match runtime(c.mode) {
            Runtime::R => Some("packrat_restore"),
            Runtime::Python => Some("python_restore"),
            Runtime::None => None,
        };
        let mut renders = scheduled_starts(cat, c);
        for &deploy in &c.deploys {
            let Some(tag) = restore else { continue };
            let end = deploy + rng.gen_range(30..360);
            jobs.push(Job {
                content: i,
                tag,
                start: deploy,
                end: Some(end),
                queued: None,
                exit_code: 0,
            });
            renders.push((end + 3, false));
        }
        let Some(tag) = render_tag(c) else { continue };
        for (start, queued) in renders {
            let start = start + rng.gen_range(0..20);
            let end = Some(start + render_duration(rng)).filter(|&e| e <= cat.window_end);
            let queued = queued.then(|| start - rng.gen_range(1..6));
            let exit_code = i32::from(rng.gen_bool(0.02));
            jobs.push(Job {
                content: i,
                tag,
                start,
                end,
                queued,
                exit_code,
            });
        }
    }
    jobs
}

/// A job with the identifiers Connect would have given it.
struct Numbered<'a> {
    job: &'a Job,
    id: u64,
    pid: u64,
    ppid: u64,
    key: String,
}

/// Ids, pids and keys in start order, then rows grouped by content, newest first
/// (one `get_jobs()` call per item, bound together).
fn number<'a>(jobs: &'a [Job], rng: &mut StdRng) -> Vec<Numbered<'a>> {
    let mut order: Vec<&Job> = jobs.iter().collect();
    order.sort_by_key(|j| (j.start, j.content, j.tag));
    let (mut id, mut pid) = (40_000_000u64, 2_500_000u64);
    let mut out: Vec<Numbered> = order
        .into_iter()
        .map(|job| {
            id += rng.gen_range(1..9);
            pid = 300_000 + (pid + rng.gen_range(3..400) - 300_000) % 3_800_000;
            Numbered {
                job,
                id,
                pid,
                ppid: pid - rng.gen_range(8..20),
                key: key(rng, 16),
            }
        })
        .collect();
    out.sort_by_key(|n| {
        (
            n.job.content,
            std::cmp::Reverse(n.job.start),
            std::cmp::Reverse(n.id),
        )
    });
    out
}

fn write_row<W: Write>(w: &mut W, cat: &Catalog, n: &Numbered, heartbeat: Secs) -> io::Result<()> {
    let (j, c) = (n.job, &cat.contents[n.job.content]);
    let rendered = j.tag.starts_with("build_");
    let variant = if rendered { c.id * 3 + 1 } else { 0 };
    write!(
        w,
        "\"{}\",\"{}\",\"{}\",\"{}\",NA,\"{}\",",
        n.id, n.ppid, n.pid, n.key, c.id
    )?;
    write_quoted(w, &c.guid)?;
    write!(w, ",\"{}\",", c.id)?;
    write_quoted(w, &c.guid)?;
    write!(w, ",\"{variant}\",\"{}\",", c.bundle_at(j.start))?;
    write_naive(w, j.start)?;
    w.write_all(b",")?;
    write_naive_opt(w, j.end)?;
    w.write_all(b",")?;
    write_naive(w, heartbeat)?;
    w.write_all(b",")?;
    write_naive_opt(w, j.queued)?;
    write!(w, ",NA,\"{}\",", j.tag)?;
    match j.end {
        Some(_) => write!(w, "{},2", j.exit_code)?,
        None => w.write_all(b"NA,0")?,
    }
    w.write_all(b",\"connect01\",NA,NA,\"rstudio-connect\"\n")
}

/// A job as jobs.csv lists it: what the job metrics generator samples.
#[derive(Clone, Debug)]
pub struct Written {
    /// Content index.
    pub content: usize,
    /// The `tag`.
    pub tag: &'static str,
    /// Start, and end (`None` = still running).
    pub start: Secs,
    pub end: Option<Secs>,
    /// The job `key`.
    pub key: String,
    /// The process id.
    pub pid: u64,
}

/// Writes jobs.csv; returns the jobs as written, in file order.
pub fn write_jobs<W: Write>(
    w: &mut W,
    cat: &Catalog,
    jobs: &[Job],
    rng: &mut StdRng,
) -> io::Result<Vec<Written>> {
    write_header(w, &HEADER)?;
    let mut written = Vec::with_capacity(jobs.len());
    for n in number(jobs, rng) {
        let last = n.job.end.unwrap_or(cat.window_end);
        let heartbeat = (last - rng.gen_range(1..30)).max(n.job.start);
        write_row(w, cat, &n, heartbeat)?;
        written.push(Written {
            content: n.job.content,
            tag: n.job.tag,
            start: n.job.start,
            end: n.job.end,
            key: n.key,
            pid: n.pid,
        });
    }
    Ok(written)
}
