//! Processes behind the sample's traffic, as Connect's job list would show them.
//!
//! Interactive content: each session goes through a small model of the scheduler (join
//! the least-loaded process below `load_factor x max_conns`, else spawn up to
//! `max_processes`, else squeeze in below `max_conns`, else reject); a process lives from
//! its spawn until `idle_timeout` after its last connection closed. `min_processes` keeps
//! warm processes that never exit. APIs: requests closer than `idle_timeout` share a process.

use super::catalog::{is_api_mode, Catalog};
use super::fmt::Secs;
use super::sessions::Session;
use super::visits::Visit;

/// Connect's default scheduler settings (SUP, TRAIN).
const DEFAULT_MAX_PROCESSES: u32 = 3;
const DEFAULT_MAX_CONNS: u32 = 20;
const DEFAULT_LOAD_FACTOR: f64 = 0.5;
const DEFAULT_IDLE: u32 = 5;
/// Seconds between a process spawning and accepting its first connection.
const SPAWN_LEAD: Secs = 2;

/// One job (process run) before ids and keys are assigned.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub content: usize,
    pub tag: &'static str,
    pub start: Secs,
    /// `None` = still running at the end of the window (status 0).
    pub end: Option<Secs>,
    pub queued: Option<Secs>,
    pub exit_code: i32,
}

/// The `tag` of a process serving `mode`.
pub fn run_tag(mode: &str) -> &'static str {
    match mode {
        "python-shiny" => "run_pyshiny_app",
        "python-dash" => "run_dash_app",
        "python-streamlit" => "run_streamlit",
        "rmd-shiny" => "render_shiny",
        "jupyter-voila" => "run_voila_app",
        "api" => "run_api",
        "python-api" => "run_python_api",
        "python-fastapi" => "run_fastapi_app",
        _ => "run_app",
    }
}

struct Proc {
    spawn: Secs,
    conns: Vec<Secs>,
    last_close: Secs,
    warm: bool,
}

struct App {
    tag: &'static str,
    threshold: usize,
    max_procs: usize,
    max_conns: usize,
    idle: Secs,
    procs: Vec<Proc>,
}

impl App {
    fn new(cat: &Catalog, content: usize) -> App {
        let c = &cat.contents[content];
        let s = c.settings;
        let max_conns = s.max_conns_per_process.unwrap_or(DEFAULT_MAX_CONNS).max(1);
        let lf = s.load_factor.unwrap_or(DEFAULT_LOAD_FACTOR);
        let warm = s.min_processes.unwrap_or(0) as usize;
        // Warm processes were started some days before the window, one second apart.
        let spawn = cat.window_start - 86_400 * (2 + content as Secs % 5) + 37 * content as Secs;
        App {
            tag: run_tag(c.mode),
            threshold: ((lf * f64::from(max_conns)).ceil() as usize).max(1),
            max_procs: s.max_processes.unwrap_or(DEFAULT_MAX_PROCESSES).max(1) as usize,
            max_conns: max_conns as usize,
            idle: Secs::from(s.idle_timeout.unwrap_or(DEFAULT_IDLE)),
            procs: (0..warm)
                .map(|k| Proc {
                    spawn: spawn + k as Secs,
                    conns: Vec::new(),
                    last_close: spawn,
                    warm: true,
                })
                .collect(),
        }
    }

    fn job(&self, content: usize, p: &Proc, end: Option<Secs>) -> Job {
        Job {
            content,
            tag: self.tag,
            start: p.spawn,
            end,
            queued: None,
            exit_code: 0,
        }
    }

    /// Closes connections ended by `t` and retires processes idle for `idle` seconds.
    fn retire(&mut self, content: usize, t: Secs, jobs: &mut Vec<Job>) {
        for p in &mut self.procs {
            p.conns.retain(|&end| {
                p.last_close = p.last_close.max(end.min(t));
                end > t
            });
        }
        let idle = self.idle;
        let (gone, kept): (Vec<Proc>, Vec<Proc>) = std::mem::take(&mut self.procs)
            .into_iter()
            .partition(|p| !p.warm && p.conns.is_empty() && p.last_close + idle <= t);
        for p in &gone {
            jobs.push(self.job(content, p, Some(p.last_close + idle)));
        }
        self.procs = kept;
    }

    fn least_loaded_below(&mut self, limit: usize) -> Option<&mut Proc> {
        let best = (0..self.procs.len())
            .filter(|&i| self.procs[i].conns.len() < limit)
            .min_by_key(|&i| self.procs[i].conns.len())?;
        self.procs.get_mut(best)
    }

    /// Routes one connection; false if it was rejected.
    fn connect(&mut self, start: Secs, end: Secs) -> bool {
        if let Some(p) = self.least_loaded_below(self.threshold) {
            p.conns.push(end);
            return true;
        }
        if self.procs.len() < self.max_procs {
            let spawn = start - SPAWN_LEAD;
            self.procs.push(Proc {
                spawn,
                conns: vec![end],
                last_close: spawn,
                warm: false,
            });
            return true;
        }
        match self.least_loaded_below(self.max_conns) {
            Some(p) => {
                p.conns.push(end);
                true
            }
            None => false,
        }
    }
}

/// Replays sessions (in start order) into interactive jobs.
pub struct SessionJobs {
    apps: Vec<Option<App>>,
    jobs: Vec<Job>,
    /// Sessions turned away because every process was full.
    pub rejected: u64,
}

impl SessionJobs {
    /// One scheduler per content item of `cat` that runs on demand.
    pub fn new(cat: &Catalog) -> SessionJobs {
        let apps = (0..cat.contents.len())
            .map(|i| {
                super::catalog::is_session_mode(cat.contents[i].mode).then(|| App::new(cat, i))
            })
            .collect();
        SessionJobs {
            apps,
            jobs: Vec::new(),
            rejected: 0,
        }
    }

    /// Feeds one session; the deleted item and zero-length sessions hold no process.
    pub fn observe(&mut self, s: &Session) {
        let Some(Some(app)) = self.apps.get_mut(s.content) else {
            return;
        };
        if s.ended <= s.started {
            return;
        }
        app.retire(s.content, s.started, &mut self.jobs);
        if !app.connect(s.started, s.ended) {
            self.rejected += 1;
        }
    }

    /// Closes the window: finished processes end, the rest stay active (no end).
    pub fn finish(mut self, window_end: Secs) -> Vec<Job> {
        for (content, slot) in self.apps.iter_mut().enumerate() {
            let Some(app) = slot else { continue };
            app.retire(content, window_end, &mut self.jobs);
            for p in &app.procs {
                self.jobs.push(app.job(content, p, None));
            }
        }
        self.jobs
    }
}

/// API processes from the request times in `visits` (sorted by time).
pub fn api_jobs(cat: &Catalog, visits: &[Visit]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (i, c) in cat
        .contents
        .iter()
        .enumerate()
        .filter(|(_, c)| is_api_mode(c.mode))
    {
        let times = visits.iter().filter(|v| v.content == i).map(|v| v.time);
        let mut app = App::new(cat, i);
        if !app.procs.is_empty() {
            // A warm process serves every request; it was started before the window.
            let p = &app.procs[0];
            jobs.push(app.job(i, p, None));
            continue;
        }
        app.idle = app.idle.max(1);
        let mut current: Option<(Secs, Secs)> = None;
        for t in times {
            current = match current {
                Some((spawn, last)) if t <= last + 1 + app.idle => Some((spawn, t)),
                Some((spawn, last)) => {
                    jobs.push(Job {
                        content: i,
                        tag: run_tag(c.mode),
                        start: spawn,
                        end: Some(last + 1 + app.idle),
                        queued: None,
                        exit_code: 0,
                    });
                    Some((t - SPAWN_LEAD, t))
                }
                None => Some((t - SPAWN_LEAD, t)),
            };
        }
        if let Some((spawn, last)) = current {
            let end = Some(last + 1 + app.idle).filter(|&e| e <= cat.window_end);
            jobs.push(Job {
                content: i,
                tag: run_tag(c.mode),
                start: spawn,
                end,
                queued: None,
                exit_code: 0,
            });
        }
    }
    jobs
}
