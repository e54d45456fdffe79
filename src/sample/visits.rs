//! Visits to static and rendered content and requests to APIs, written as visits.csv in
//! the connectapi `get_usage_static()` + `write.csv(row.names = FALSE)` dialect: character
//! columns quoted, `NA` unquoted, naive UTC times.
//!
//! Static visits follow the office rhythm; API requests follow it too but keep a night
//! floor, plus a nightly batch that calls the first API ~15 times in three minutes.

use super::catalog::{is_api_mode, Catalog, Content, Schedule};
use super::fmt::{key, write_header, write_naive, write_quoted, write_quoted_opt, Secs};
use super::rhythm::Rhythm;
use rand::rngs::StdRng;
use rand::Rng;
use rand_distr::{Distribution, Poisson};
use std::io::{self, Write};

/// Header of visits.csv.
pub const HEADER: [&str; 8] = [
    "content_guid",
    "user_guid",
    "variant_key",
    "time",
    "rendering_id",
    "bundle_id",
    "path",
    "data_version",
];

/// Visits to static content per requested session.
const STATIC_SHARE: f64 = 0.25;
/// API requests per requested session (before the nightly batch).
const API_SHARE: f64 = 0.35;
const NIGHT_BATCH: f64 = 15.0;

/// One visit or API request.
#[derive(Clone, Copy, Debug)]
pub struct Visit {
    pub content: usize,
    pub user: Option<usize>,
    pub time: Secs,
    pub path: Option<&'static str>,
}

fn is_static_mode(mode: &str) -> bool {
    matches!(
        mode,
        "rmd-static" | "quarto-static" | "static" | "jupyter-static"
    )
}

fn paths(c: &Content) -> &'static [&'static str] {
    match (c.mode, c.category) {
        (_, "site") => &["/", "/onboarding.html", "/faq.html", "/search.json"],
        (_, "pin") => &["/", "/data.txt"],
        ("static", _) => &["/", "/index.html", "/logo.svg"],
        ("python-api", _) => &["/predict", "/predict", "/predict", "/health"],
        ("api", _) => &["/forecast", "/forecast", "/__docs__/"],
        ("python-fastapi", _) => &["/search", "/search", "/docs"],
        _ => &["/"],
    }
}

struct Targets {
    statics: Vec<usize>,
    apis: Vec<usize>,
}

fn poisson(rng: &mut StdRng, mean: f64) -> u64 {
    Poisson::new(mean).map_or(0, |p| p.sample(rng) as u64)
}

fn draw(rng: &mut StdRng, cat: &Catalog, content: usize, time: Secs, p_anon: f64) -> Visit {
    let c = &cat.contents[content];
    let anon = rng.gen_bool(p_anon);
    let user = match (anon, is_api_mode(c.mode)) {
        (true, _) => None,
        (false, true) => Some(c.owner),
        (false, false) => Some(cat.user_pool[cat.user_rank.sample(rng)]),
    };
    let p = paths(c);
    let path = match c.mode {
        "rmd-static" | "quarto-static" | "jupyter-static" if c.category != "site" => {
            rng.gen_bool(0.8).then_some("/")
        }
        _ => Some(p[rng.gen_range(0..p.len())]),
    };
    Visit {
        content,
        user,
        time,
        path,
    }
}

fn hour_visits(
    rng: &mut StdRng,
    cat: &Catalog,
    t: &Targets,
    start: Secs,
    means: (f64, f64),
    out: &mut Vec<Visit>,
) {
    for (list, mean, p_anon) in [(&t.statics, means.0, 0.3), (&t.apis, means.1, 0.5)] {
        if list.is_empty() {
            continue;
        }
        for _ in 0..poisson(rng, mean) {
            let content = list[rng.gen_range(0..list.len())];
            let at = start + rng.gen_range(0..3600);
            out.push(draw(rng, cat, content, at, p_anon));
        }
    }
}

fn night_batch(
    rng: &mut StdRng,
    cat: &Catalog,
    api: usize,
    start: Secs,
    growth: f64,
    out: &mut Vec<Visit>,
) {
    for _ in 0..poisson(rng, NIGHT_BATCH * growth) {
        let at = start + rng.gen_range(0..180);
        out.push(Visit {
            content: api,
            user: Some(cat.contents[api].owner),
            time: at,
            path: Some("/predict"),
        });
    }
}

/// All visits for about `sessions` requested sessions, in time order.
pub fn generate(cat: &Catalog, rhythm: &Rhythm, sessions: u64, rng: &mut StdRng) -> Vec<Visit> {
    let n = cat.contents.len();
    let t = Targets {
        statics: (0..n)
            .filter(|&i| is_static_mode(cat.contents[i].mode))
            .collect(),
        apis: (0..n)
            .filter(|&i| is_api_mode(cat.contents[i].mode))
            .collect(),
    };
    let api_weight = |k: usize| rhythm.weights[k] + 0.15 * rhythm.growth[k];
    let api_total: f64 = (0..rhythm.hours()).map(api_weight).sum();
    let s_rate = STATIC_SHARE * sessions as f64 / rhythm.total().max(f64::MIN_POSITIVE);
    let a_rate = API_SHARE * sessions as f64 / api_total.max(f64::MIN_POSITIVE);
    let mut out = Vec::new();
    for k in 0..rhythm.hours() {
        let start = rhythm.hour_start(k);
        let means = (s_rate * rhythm.weights[k], a_rate * api_weight(k));
        hour_visits(rng, cat, &t, start, means, &mut out);
        if let (Some(&api), 2) = (t.apis.first(), start.rem_euclid(86_400) / 3600) {
            night_batch(rng, cat, api, start, rhythm.growth[k], &mut out);
        }
    }
    out.sort_by_key(|v| v.time);
    out
}

/// Per-content values that stay fixed in visits.csv: variant key of rendered content.
fn variant_keys(cat: &Catalog, rng: &mut StdRng) -> Vec<Option<String>> {
    cat.contents
        .iter()
        .map(|c| {
            matches!(c.mode, "rmd-static" | "quarto-static" | "jupyter-static").then(|| key(rng, 8))
        })
        .collect()
}

/// The rendering a visit sees: scheduled reports get a new rendering every run.
fn rendering_id(cat: &Catalog, c: &Content, time: Secs) -> u64 {
    let days = (time - cat.window_start).div_euclid(86_400).max(0) as u64;
    let base = c.id * 61;
    match c.schedule {
        Schedule::Daily => base + days,
        Schedule::Weekly => base + days / 7,
        Schedule::None => base + c.deploys.iter().filter(|&&d| d <= time).count() as u64,
    }
}

fn write_row<W: Write>(
    w: &mut W,
    cat: &Catalog,
    v: &Visit,
    variant: Option<&str>,
) -> io::Result<()> {
    let c = &cat.contents[v.content];
    write_quoted(w, &c.guid)?;
    w.write_all(b",")?;
    write_quoted_opt(w, v.user.map(|u| cat.users[u].guid.as_str()))?;
    w.write_all(b",")?;
    write_quoted_opt(w, variant)?;
    w.write_all(b",")?;
    write_naive(w, v.time)?;
    w.write_all(b",")?;
    let rendering = variant.map(|_| rendering_id(cat, c, v.time).to_string());
    write_quoted_opt(w, rendering.as_deref())?;
    w.write_all(b",")?;
    write_quoted(w, &c.bundle_at(v.time).to_string())?;
    w.write_all(b",")?;
    write_quoted_opt(w, v.path)?;
    w.write_all(b",3\n")
}

/// Writes visits.csv; returns the row count.
pub fn write_visits<W: Write>(
    w: &mut W,
    cat: &Catalog,
    visits: &[Visit],
    rng: &mut StdRng,
) -> io::Result<u64> {
    let keys = variant_keys(cat, rng);
    write_header(w, &HEADER)?;
    for v in visits {
        write_row(w, cat, v, keys[v.content].as_deref())?;
    }
    Ok(visits.len() as u64)
}
