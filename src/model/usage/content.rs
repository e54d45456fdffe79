//! Per-content figures, computed in parallel (rayon) over the content items: sessions,
//! distinct users, peak and average session concurrency, median and p95 duration, and
//! visits per content and per day.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use rayon::prelude::*;
use serde::Serialize;

use super::normalize::Session;
use super::percentile::quantile_type7_selected;
use super::sweep::peak_of;
use super::time::{Timestamp, SECOND};
use crate::ingest::{ContentRow, Dataset, Micros, VisitRow};

/// Figures for one content item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentStats {
    /// Content GUID.
    pub guid: String,
    /// Title from the content export; `None` when the item is not in it (or none was given).
    pub title: Option<String>,
    /// `app_mode` from the content export.
    pub app_mode: Option<String>,
    /// True when a content export was given and this GUID is not in it (deleted content).
    pub deleted: bool,
    /// Sessions in the window.
    pub sessions: u64,
    /// Distinct non-anonymous users with a session.
    pub users: u64,
    /// Anonymous sessions.
    pub anonymous_sessions: u64,
    /// Peak concurrent sessions.
    pub peak_sessions: u32,
    /// First instant of the peak.
    pub peak_at: Option<Timestamp>,
    /// Time-weighted average concurrent sessions over the window.
    pub average_sessions: Option<f64>,
    /// Median session duration, seconds.
    pub duration_median_s: Option<f64>,
    /// 95th percentile session duration, seconds.
    pub duration_p95_s: Option<f64>,
    /// Visits (or hits) in the window.
    pub visits: u64,
    /// Visits per day of the window, on average.
    pub visits_per_day: Option<f64>,
    /// The most visits on one day (reporting zone).
    pub visits_peak_day: u64,
}

/// Computes per-content figures, sorted by `peak_sessions` descending, then GUID.
pub fn per_content(
    data: &Dataset,
    sessions: &[Session],
    visits: &[VisitRow],
    window: (Micros, Micros),
    tz: Tz,
) -> Vec<ContentStats> {
    let catalogue: BTreeMap<u32, &ContentRow> =
        data.content.iter().map(|c| (c.content, c)).collect();
    let mut by_content: BTreeMap<u32, (&[Session], Vec<Micros>)> = BTreeMap::new();
    for chunk in sessions.chunk_by(|a, b| a.content == b.content) {
        by_content.entry(chunk[0].content).or_default().0 = chunk;
    }
    for v in visits {
        by_content.entry(v.content).or_default().1.push(v.time);
    }
    for &id in catalogue.keys() {
        by_content.entry(id).or_default();
    }
    let has_catalogue = !data.content.is_empty();
    let work: Vec<_> = by_content.into_iter().collect();
    let mut out: Vec<ContentStats> = work
        .par_iter()
        .map(|(id, (s, v))| {
            let row = catalogue.get(id).copied();
            one_content(
                data.content_ids.name(*id),
                row,
                has_catalogue,
                s,
                v,
                window,
                tz,
            )
        })
        .collect();
    // Ties by GUID (the original GUID under --anonymize).
    let key = data.content_ids.order_key();
    out.sort_by(|a, b| {
        b.peak_sessions
            .cmp(&a.peak_sessions)
            .then_with(|| key(&a.guid).cmp(&key(&b.guid)))
    });
    out
}

/// Figures for one item from its sessions (sorted) and visit times.
fn one_content(
    guid: &str,
    row: Option<&ContentRow>,
    has_catalogue: bool,
    sessions: &[Session],
    visit_times: &[Micros],
    window: (Micros, Micros),
    tz: Tz,
) -> ContentStats {
    let (peak, peak_at) = peak_of(sessions, |s| (s.start, s.end), window);
    // The integral of the concurrency is the total clipped length of the intervals.
    let integral: i128 = sessions
        .iter()
        .map(|s| {
            let (a, b) = (s.start.max(window.0), s.end.min(window.1));
            i128::from((b - a).max(0))
        })
        .sum();
    let average = (window.0 < window.1)
        .then(|| integral as f64 / (window.1 as i128 - window.0 as i128) as f64);
    // Durations as integers; the two quantiles are selected, then taken in seconds.
    let mut micros: Vec<i64> = sessions.iter().map(|s| s.end - s.start).collect();
    let seconds = |d: i64| d as f64 / SECOND as f64;
    let duration_median_s = quantile_type7_selected(&mut micros, 0.5, seconds);
    let duration_p95_s = quantile_type7_selected(&mut micros, 0.95, seconds);
    // Sessions are sorted by user within the item: distinct users are runs.
    let users = sessions
        .chunk_by(|a, b| a.user() == b.user())
        .filter(|run| run[0].user().is_some())
        .count();
    let days = (window.1 - window.0) as f64 / super::time::DAY as f64;
    ContentStats {
        guid: guid.to_string(),
        title: row.and_then(|r| r.title.as_deref()).map(str::to_string),
        app_mode: row.and_then(|r| r.app_mode.as_deref()).map(str::to_string),
        deleted: has_catalogue && row.is_none(),
        sessions: sessions.len() as u64,
        users: users as u64,
        anonymous_sessions: sessions.iter().filter(|s| s.user().is_none()).count() as u64,
        peak_sessions: peak,
        peak_at: if sessions.is_empty() {
            None
        } else {
            peak_at.map(Timestamp)
        },
        average_sessions: average,
        duration_median_s,
        duration_p95_s,
        visits: visit_times.len() as u64,
        visits_per_day: (days >= 1.0).then(|| visit_times.len() as f64 / days),
        visits_peak_day: peak_day_count(visit_times, tz),
    }
}

/// The largest number of events on one calendar day in `tz`.
pub fn peak_day_count(times: &[Micros], tz: Tz) -> u64 {
    let mut per_day: BTreeMap<chrono::NaiveDate, u64> = BTreeMap::new();
    for &t in times {
        if let Some(d) = chrono::DateTime::from_timestamp_micros(t) {
            *per_day
                .entry(d.with_timezone(&tz).date_naive())
                .or_default() += 1;
        }
    }
    per_day.values().copied().max().unwrap_or(0)
}
