//! Shiny sessions, generated hour by hour as a stream in `started` order, and the writer
//! of `shiny_usage.csv` (readr::write_csv dialect: RFC 3339 `Z`, missing = `NA`).
//!
//! Each hour's count is a Poisson draw around `base x weight(hour)`; starts are uniform
//! inside the hour, durations lognormal. Only one hour of sessions is held at a time, so
//! 10^7 rows stream in constant memory.

use super::catalog::Catalog;
use super::fmt::{write_rfc3339, Secs};
use super::rhythm::Rhythm;
use rand::rngs::StdRng;
use rand::Rng;
use rand_distr::{Distribution, LogNormal, Poisson};
use std::io::{self, Write};

/// Header of shiny_usage.csv.
pub const HEADER: &str = "content_guid,user_guid,started,ended,data_version\n";

/// Longest session (Connect's idle tab eventually closes): 8 hours.
const MAX_DURATION: Secs = 8 * 3600;
const P_ANONYMOUS: f64 = 0.03;
const P_OPEN: f64 = 0.005;
const P_ZERO: f64 = 0.0003;
const P_DUPLICATE: f64 = 0.005;
/// Share of the session budget spent on board-meeting bursts.
const BURST_SHARE: f64 = 0.012;
/// Largest share of the budget the hourly health check may take.
const HEALTH_SHARE: f64 = 0.3;

/// One session. `ended` is when it really closed (processes use it); `recorded_end` is
/// what the export shows (`None` = NA: still open at export time, or its end was lost).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Index into `Catalog::contents`; `contents.len()` is the deleted item.
    pub content: usize,
    /// Index into `Catalog::users`; `None` is anonymous.
    pub user: Option<usize>,
    pub started: Secs,
    pub ended: Secs,
    pub recorded_end: Option<Secs>,
}

/// How the requested total is split between the session sources.
#[derive(Clone, Debug)]
struct Plan {
    base: f64,
    burst_scale: f64,
    health_every: Option<usize>,
    deleted_hours: [usize; 2],
}

impl Plan {
    fn new(total: u64, rhythm: &Rhythm) -> Plan {
        let hours = rhythm.hours();
        let total = total as f64;
        let health_budget = (total * HEALTH_SHARE).floor();
        let health_every =
            (health_budget >= 1.0).then(|| (hours as f64 / health_budget).ceil() as usize);
        let health = health_every.map_or(0.0, |e| hours.div_ceil(e.max(1)) as f64);
        let board_growth = rhythm.board_growth();
        let burst = if board_growth > 0.0 {
            total * BURST_SHARE
        } else {
            0.0
        };
        let regular = ((total - health - burst - 4.0) / (1.0 + P_DUPLICATE)).max(0.0);
        Plan {
            base: regular / rhythm.total().max(f64::MIN_POSITIVE),
            burst_scale: if board_growth > 0.0 {
                burst / board_growth
            } else {
                0.0
            },
            health_every: health_every.map(|e| e.max(1)),
            deleted_hours: [3 * 24 + 15, 5 * 24 + 16],
        }
    }
}

/// An iterator over the sample's sessions in `started` order.
pub struct SessionStream<'a> {
    cat: &'a Catalog,
    rhythm: &'a Rhythm,
    rng: StdRng,
    plan: Plan,
    regular: LogNormal<f64>,
    burst: LogNormal<f64>,
    hour: usize,
    batch: Vec<Session>,
    pos: usize,
}

fn poisson<R: Rng>(rng: &mut R, mean: f64) -> u64 {
    match Poisson::new(mean) {
        Ok(p) => p.sample(rng) as u64,
        Err(_) => 0,
    }
}

impl<'a> SessionStream<'a> {
    /// A stream of about `total` sessions drawn with `rng`.
    pub fn new(cat: &'a Catalog, rhythm: &'a Rhythm, total: u64, rng: StdRng) -> Self {
        SessionStream {
            cat,
            rhythm,
            rng,
            plan: Plan::new(total, rhythm),
            // Median 12 min, long tail (p95 ~ 1 h); bursts: median 40 min, narrow.
            regular: LogNormal::new(720f64.ln(), 1.1).expect("valid lognormal"),
            burst: LogNormal::new(2400f64.ln(), 0.5).expect("valid lognormal"),
            hour: 0,
            batch: Vec::new(),
            pos: 0,
        }
    }

    fn duration(&mut self, burst: bool) -> Secs {
        let d = if burst { &self.burst } else { &self.regular };
        (d.sample(&mut self.rng) as Secs).clamp(1, MAX_DURATION)
    }

    fn push(&mut self, content: usize, user: Option<usize>, started: Secs, burst: bool) {
        let ended = started + self.duration(burst);
        let s = Session {
            content,
            user,
            started,
            ended,
            recorded_end: Some(ended),
        };
        self.batch.push(s);
    }

    fn random_user(&mut self) -> Option<usize> {
        if self.rng.gen_bool(P_ANONYMOUS) {
            return None;
        }
        Some(self.cat.user_pool[self.cat.user_rank.sample(&mut self.rng)])
    }

    fn add_regular(&mut self, start: Secs) {
        let n = poisson(
            &mut self.rng,
            self.plan.base * self.rhythm.weights[self.hour],
        );
        for _ in 0..n {
            let content = self.cat.session_contents[self.cat.content_rank.sample(&mut self.rng)];
            let user = self.random_user();
            let at = start + self.rng.gen_range(0..3600);
            self.push(content, user, at, false);
        }
    }

    /// The board meeting: most of the room opens the popular dashboard and the board pack.
    fn add_burst(&mut self, start: Secs) {
        let mean = self.plan.burst_scale * self.rhythm.growth[self.hour];
        let popular = self.cat.session_contents[0];
        let pack = self
            .cat
            .contents
            .iter()
            .position(|c| c.name == "q3-board-pack");
        for _ in 0..poisson(&mut self.rng, mean) {
            let content = if self.rng.gen_bool(0.6) {
                popular
            } else {
                pack.unwrap_or(popular)
            };
            let user = self.random_user();
            let at = start + self.rng.gen_range(0..2400);
            self.push(content, user, at, true);
        }
    }

    fn add_specials(&mut self, start: Secs) {
        let k = self.hour;
        if self.plan.health_every.is_some_and(|e| k % e == 0) {
            let at = start + 60 + self.rng.gen_range(0..30);
            let ended = at + self.rng.gen_range(2..9);
            let (content, user) = (self.cat.health_target, Some(self.cat.svc));
            self.batch.push(Session {
                content,
                user,
                started: at,
                ended,
                recorded_end: Some(ended),
            });
        }
        if self.plan.deleted_hours.contains(&k) {
            let user = self.random_user();
            let at = start + self.rng.gen_range(0..3600);
            self.push(self.cat.contents.len(), user, at, false);
        }
        if k + 1 == self.rhythm.hours() {
            // Two long sessions still open when the export was taken.
            for rank in [0, 2] {
                let sc = &self.cat.session_contents;
                let at = start + self.rng.gen_range(0..1800);
                let s = Session {
                    content: sc[rank % sc.len()],
                    user: self.random_user(),
                    started: at,
                    ended: at + 3 * 3600,
                    recorded_end: None,
                };
                self.batch.push(s);
            }
        }
    }

    /// Sorts the hour and applies the export anomalies (NA ends, zero length, duplicates).
    fn finish_batch(&mut self) {
        self.batch.sort_by_key(|s| s.started);
        let raw = std::mem::take(&mut self.batch);
        let window_end = self.cat.window_end;
        for mut s in raw {
            let u: f64 = self.rng.gen();
            if s.ended > window_end || u < P_OPEN {
                s.recorded_end = None;
            } else if u < P_OPEN + P_ZERO {
                s.ended = s.started;
                s.recorded_end = Some(s.started);
            }
            if (P_OPEN + P_ZERO..P_OPEN + P_ZERO + P_DUPLICATE).contains(&u) {
                self.batch.push(s.clone());
            }
            self.batch.push(s);
        }
    }

    fn fill_hour(&mut self) {
        self.batch.clear();
        self.pos = 0;
        let start = self.rhythm.hour_start(self.hour);
        self.add_regular(start);
        if self.rhythm.board_hour[self.hour] {
            self.add_burst(start);
        }
        self.add_specials(start);
        self.finish_batch();
        self.hour += 1;
    }
}

impl Iterator for SessionStream<'_> {
    type Item = Session;

    fn next(&mut self) -> Option<Session> {
        while self.pos >= self.batch.len() {
            if self.hour >= self.rhythm.hours() {
                return None;
            }
            self.fill_hour();
        }
        self.pos += 1;
        Some(self.batch[self.pos - 1].clone())
    }
}

/// Writes shiny_usage.csv from `sessions`, showing each row to `observe`; returns the row count.
pub fn write_shiny<W: Write>(
    w: &mut W,
    cat: &Catalog,
    sessions: impl Iterator<Item = Session>,
    mut observe: impl FnMut(&Session),
) -> io::Result<u64> {
    w.write_all(HEADER.as_bytes())?;
    let mut rows = 0;
    for s in sessions {
        w.write_all(cat.session_guid(s.content).as_bytes())?;
        w.write_all(b",")?;
        let user = s.user.map_or("NA", |u| cat.users[u].guid.as_str());
        w.write_all(user.as_bytes())?;
        w.write_all(b",")?;
        write_rfc3339(w, s.started)?;
        w.write_all(b",")?;
        match s.recorded_end {
            Some(t) => write_rfc3339(w, t)?,
            None => w.write_all(b"NA")?,
        }
        w.write_all(b",1\n")?;
        observe(&s);
        rows += 1;
    }
    Ok(rows)
}
