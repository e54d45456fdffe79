//! Seeded generator of a realistic Posit Connect export set, for demos, tests and
//! benchmarks. The files mix the dialects users really produce, so a sample run
//! exercises every ingester:
//!
//! | file | source and dialect |
//! |---|---|
//! | `shiny_usage.csv` | `get_usage_shiny()` + `readr::write_csv`: RFC 3339 `Z`, `NA` |
//! | `visits.csv` | `get_usage_static()` + `write.csv(row.names = FALSE)`: quoted text, naive UTC |
//! | `jobs.csv` | `get_jobs()` + `write.csv`: spec 3.2 column order, naive UTC |
//! | `content.csv` | `get_content()` + `write.csv` |
//! | `users.csv` | `get_users()` + `write.csv` |
//! | `job_metrics.csv` | the jobs' metrics endpoint as `fetch` writes it: RFC 3339 `Z` |
//!
//! The same [`SampleSpec`] always gives byte-identical files: every part draws from its
//! own `StdRng` stream derived from the seed, and nothing reads the clock or iterates a
//! hash map. Sessions stream hour by hour (see [`sessions`]), so
//! [`generate_shiny_usage_only`] writes 10^7 rows in constant memory.

mod catalog;
mod fmt;
mod jobs;
mod jobs_out;
mod metrics;
mod rhythm;
mod sessions;
mod tables;
#[cfg(test)]
mod tests;
mod visits;

use crate::atomic::WriteError;
use catalog::Catalog;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rhythm::Rhythm;
use sessions::SessionStream;
use std::fs;
use std::path::{Path, PathBuf};
use tables::Activity;

/// File names the generator writes.
pub const SHINY_FILE: &str = "shiny_usage.csv";
/// Visits to static content and API requests.
pub const VISITS_FILE: &str = "visits.csv";
/// Process runs.
pub const JOBS_FILE: &str = "jobs.csv";
/// Content items with their scheduler settings.
pub const CONTENT_FILE: &str = "content.csv";
/// Users with roles.
pub const USERS_FILE: &str = "users.csv";
/// Per-process CPU and memory samples of some items.
pub const METRICS_FILE: &str = "job_metrics.csv";

/// Every file [`generate`] writes, in the order written.
pub const FILES: [&str; 6] = [
    SHINY_FILE,
    VISITS_FILE,
    JOBS_FILE,
    METRICS_FILE,
    CONTENT_FILE,
    USERS_FILE,
];

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleSpec {
    /// Approximate total of Shiny session rows (health checks, bursts and anomalies included).
    pub sessions: u64,
    /// Length of the window in days (at least 1).
    pub days: u32,
    /// RNG seed: the same spec gives byte-identical files.
    pub seed: u64,
    /// First day of the window, 00:00 UTC.
    pub start: chrono::NaiveDate,
    /// Number of content items (at least 1); the 30-item mix repeats beyond 30.
    pub contents: u32,
    /// Number of users (at least 3), the last one being `svc-health-check`.
    pub users: u32,
    /// Zipf exponent of user activity: the user of rank r opens sessions in proportion to
    /// `1 / (r + 1)^user_skew` (1.0 in the small sample; lower spreads sessions over more
    /// people).
    pub user_skew: f64,
}

/// The shapes of server the generator imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The bundled sample: 30 content items, 120 users, 244 days.
    Small,
    /// A busy server: 400 content items (long-tailed popularity: a few apps take most
    /// sessions), 5,000 users with flatter activity, 400 days.
    Busy,
}

impl SampleSpec {
    /// The default spec of `shape` (sessions, seed and start as in [`Default`]).
    pub fn of_shape(shape: Shape) -> SampleSpec {
        match shape {
            Shape::Small => SampleSpec::default(),
            Shape::Busy => SampleSpec {
                days: 400,
                contents: 400,
                users: 5_000,
                user_skew: 0.8,
                ..SampleSpec::default()
            },
        }
    }
}

impl Default for SampleSpec {
    /// 20 000 sessions over 2024-01-01 .. 2024-07-31 (7 full months), seed 42, 30 items, 120 users.
    fn default() -> Self {
        SampleSpec {
            sessions: 20_000,
            days: 244,
            seed: 42,
            start: chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
            contents: 30,
            users: 120,
            user_skew: 1.0,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleSummary {
    /// Paths of the files written, in the order they were written.
    pub files: Vec<PathBuf>,
    /// Rows of shiny_usage.csv (duplicates included).
    pub sessions_written: u64,
    /// Rows of visits.csv.
    pub visits_written: u64,
    /// Rows of jobs.csv.
    pub jobs_written: u64,
    /// Rows of job_metrics.csv.
    pub samples_written: u64,
}

/// Independent RNG streams, so adding draws to one part never changes another file.
#[derive(Clone, Copy)]
enum Stream {
    Catalog = 1,
    Sessions = 2,
    Visits = 3,
    Jobs = 4,
    Users = 5,
    Metrics = 6,
}

fn rng(seed: u64, stream: Stream) -> StdRng {
    StdRng::seed_from_u64(seed ^ (stream as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The catalog and hourly rhythm shared by both entry points.
fn world(spec: &SampleSpec) -> (Catalog, Rhythm) {
    let cat = Catalog::new(spec, &mut rng(spec.seed, Stream::Catalog));
    let hours = ((cat.window_end - cat.window_start) / 3600) as usize;
    let rhythm = Rhythm::new(cat.window_start, hours);
    (cat, rhythm)
}

/// Writes the full export set into `out_dir` (created if missing).
pub fn generate(spec: &SampleSpec, out_dir: &Path) -> Result<SampleSummary, WriteError> {
    fs::create_dir_all(out_dir).map_err(|error| WriteError {
        path: out_dir.to_path_buf(),
        error,
    })?;
    let (cat, rhythm) = world(spec);
    let mut activity = Activity::new(&cat);
    let mut session_jobs = jobs::SessionJobs::new(&cat);
    let path = |name: &str| out_dir.join(name);
    let sessions_written = crate::atomic::write_shared(&path(SHINY_FILE), |w| {
        let stream = SessionStream::new(
            &cat,
            &rhythm,
            spec.sessions,
            rng(spec.seed, Stream::Sessions),
        );
        sessions::write_shiny(w, &cat, stream, |s| {
            activity.saw(s.user, s.started);
            session_jobs.observe(s);
        })
    })?;
    let mut vrng = rng(spec.seed, Stream::Visits);
    let visits = visits::generate(&cat, &rhythm, spec.sessions, &mut vrng);
    visits.iter().for_each(|v| activity.saw(v.user, v.time));
    let visits_written = crate::atomic::write_shared(&path(VISITS_FILE), |w| {
        visits::write_visits(w, &cat, &visits, &mut vrng)
    })?;
    let mut jrng = rng(spec.seed, Stream::Jobs);
    let mut all_jobs = session_jobs.finish(cat.window_end);
    all_jobs.extend(jobs::api_jobs(&cat, &visits));
    all_jobs.extend(jobs_out::content_jobs(&cat, &mut jrng));
    let written = crate::atomic::write_shared(&path(JOBS_FILE), |w| {
        jobs_out::write_jobs(w, &cat, &all_jobs, &mut jrng)
    })?;
    let samples_written = crate::atomic::write_shared(&path(METRICS_FILE), |w| {
        let mut mrng = rng(spec.seed, Stream::Metrics);
        metrics::write_metrics(w, &cat, &written, &mut mrng)
    })?;
    crate::atomic::write_shared(&path(CONTENT_FILE), |w| tables::write_content(w, &cat))?;
    let mut urng = rng(spec.seed, Stream::Users);
    crate::atomic::write_shared(&path(USERS_FILE), |w| {
        tables::write_users(w, &cat, &activity, &mut urng)
    })?;
    Ok(SampleSummary {
        files: FILES.map(path).to_vec(),
        sessions_written,
        visits_written,
        jobs_written: written.len() as u64,
        samples_written,
    })
}

/// Streaming variant for benchmarks: writes only the Shiny usage CSV (readr dialect,
/// RFC 3339 `Z`) to `path`, in constant memory; returns the rows written. The bytes equal
/// the `shiny_usage.csv` that [`generate`] writes for the same spec.
pub fn generate_shiny_usage_only(spec: &SampleSpec, path: &Path) -> Result<u64, WriteError> {
    let (cat, rhythm) = world(spec);
    crate::atomic::write_shared(path, |w| {
        let stream = SessionStream::new(
            &cat,
            &rhythm,
            spec.sessions,
            rng(spec.seed, Stream::Sessions),
        );
        sessions::write_shiny(w, &cat, stream, |_| {})
    })
}
