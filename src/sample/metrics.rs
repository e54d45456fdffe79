//! job_metrics.csv: per-process samples of eight items over the last three weeks of the
//! window, one a minute while a job runs, as `fetch` (or `pd.json_normalize` of
//! `GET /v1/content/{guid}/jobs/{key}/metrics`) writes them: RFC 3339 `Z`, an empty
//! `connections` where the endpoint gives null (the APIs here).
//!
//! The profiles give the report every kind of figure: a heavy-memory app, a parallelised
//! one, light APIs, an app whose samples cross its `memory_limit` and reach its
//! `cpu_limit`, several Shiny apps (so the others of that mode take their median), a
//! report's renders (set apart), and content without samples. Job keys and pids are the
//! ones jobs.csv lists.

use super::catalog::Catalog;
use super::fmt::{write_rfc3339, Secs};
use super::jobs_out::Written;
use rand::rngs::StdRng;
use rand::Rng;
use rand_distr::{Distribution, LogNormal};
use std::io::{self, Write};

/// Header of job_metrics.csv (connect-exports.md 3.3).
const HEADER: &str =
    "timestamp,cpu_fraction,memory_bytes,connections,process_id,content_guid,job_key\n";

/// Days before the window end that are sampled.
const DAYS: Secs = 21;
/// Seconds between two samples of a process.
const INTERVAL: Secs = 60;
const MIB: f64 = 1_048_576.0;

/// How one item's processes behave.
struct Profile {
    /// Content `name`.
    name: &'static str,
    /// Median of a process's settled memory, MiB, and its spread (log-normal sigma).
    memory_mib: f64,
    spread: f64,
    /// Median cores while serving, and the share of samples that serve.
    cpu: f64,
    serving: f64,
    /// Whether samples carry `connections` (the APIs here report none).
    connections: bool,
    /// Most cores a sample shows (a `cpu_limit` throttles above it).
    cap: f64,
}

const fn p(name: &'static str, memory_mib: f64, cpu: f64, serving: f64) -> Profile {
    Profile {
        name,
        memory_mib,
        spread: 0.15,
        cpu,
        serving,
        connections: true,
        cap: f64::INFINITY,
    }
}

const PROFILES: [Profile; 9] = [
    p("sales-dashboard", 700.0, 0.35, 0.6),
    // Parallelised: future/multiprocessing across cores while it serves.
    p("supply-chain-monitor", 1500.0, 2.3, 0.55),
    p("marketing-funnel", 320.0, 0.15, 0.5),
    // Heavy memory: a large data set loaded per process.
    p("hr-headcount-planner", 4600.0, 0.5, 0.5),
    Profile {
        connections: false,
        ..p("document-search-api", 210.0, 0.08, 1.0)
    },
    Profile {
        connections: false,
        ..p("forecast-api", 260.0, 0.12, 1.0)
    },
    // Crosses its 4 GiB memory_limit and sits at its 2-core cpu_limit.
    Profile {
        spread: 0.05,
        cap: 2.0,
        ..p("credit-risk-heatmap", 4000.0, 1.9, 0.6)
    },
    p("pricing-simulator", 900.0, 0.4, 0.5),
    // Renders: set apart from the footprints.
    p("weekly-kpi-report", 1800.0, 0.9, 1.0),
];

/// Writes job_metrics.csv; returns the rows written.
pub fn write_metrics<W: Write>(
    w: &mut W,
    cat: &Catalog,
    jobs: &[Written],
    rng: &mut StdRng,
) -> io::Result<u64> {
    w.write_all(HEADER.as_bytes())?;
    let from = cat.window_end - DAYS * 86_400;
    let mut rows = 0;
    for profile in &PROFILES {
        let Some(content) = cat.contents.iter().position(|c| c.name == profile.name) else {
            continue;
        };
        let mut own: Vec<&Written> = jobs
            .iter()
            .filter(|j| j.content == content && j.end.unwrap_or(cat.window_end) > from)
            .filter(|j| !j.tag.ends_with("_restore"))
            .collect();
        own.sort_by_key(|j| (j.start, j.pid));
        for job in own {
            rows += write_job(w, cat, profile, job, from, rng)?;
        }
    }
    Ok(rows)
}

/// The samples of one job: memory ramps up over the first ten minutes to the process's own
/// settled level, then wanders a little; CPU is busy while serving, idle otherwise.
fn write_job<W: Write>(
    w: &mut W,
    cat: &Catalog,
    profile: &Profile,
    job: &Written,
    from: Secs,
    rng: &mut StdRng,
) -> io::Result<u64> {
    let settled = LogNormal::new(profile.memory_mib.ln(), profile.spread)
        .map_or(profile.memory_mib, |d| d.sample(rng));
    let cpu = LogNormal::new(profile.cpu.ln(), 0.25).ok();
    let end = job.end.unwrap_or(cat.window_end);
    let guid = &cat.contents[job.content].guid;
    let mut t = job.start.max(from) + rng.gen_range(5..INTERVAL);
    let mut rows = 0;
    while t < end {
        let age = (t - job.start) as f64;
        let ramp = 0.45 + 0.55 * (age / 600.0).min(1.0);
        let memory = settled * ramp * rng.gen_range(0.97..1.03) * MIB;
        let serving = rng.gen_bool(profile.serving);
        let cores = match (serving, &cpu) {
            (true, Some(d)) => d.sample(rng).min(profile.cap),
            _ => rng.gen_range(0.005..0.03),
        };
        write_rfc3339(w, t)?;
        write!(w, ",{cores:.3},{},", memory as u64)?;
        if profile.connections {
            let conns = if serving { rng.gen_range(1..4) } else { 0 };
            write!(w, "{conns}")?;
        }
        writeln!(w, ",{},{guid},{}", job.pid, job.key)?;
        rows += 1;
        t += INTERVAL;
    }
    Ok(rows)
}
