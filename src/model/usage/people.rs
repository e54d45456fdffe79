//! Users and content (docs/metrics.md section 6): users per role, publishers, consumers,
//! named users active in the last 1/7/30/365 days, and the content-type mix.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::normalize::Session;
use super::time::DAY;
use crate::ingest::{Dataset, Micros, VisitRow};

/// Who uses the server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct People {
    /// Unlocked users per role (users export); empty without one.
    pub by_role: BTreeMap<String, u64>,
    /// Users per role with a session or visit in the window (users export).
    pub active_by_role: BTreeMap<String, u64>,
    /// Publishers: unlocked publisher/administrator users, or without a users export,
    /// distinct content owners; `None` when neither export is present.
    pub publishers: Option<u64>,
    /// Where `publishers` came from: `users export`, `content owners` or `unavailable`.
    pub publishers_source: String,
    /// Distinct non-anonymous users with a session or visit in the window.
    pub consumers: u64,
    /// Named users active in the last 1, 7, 30 and 365 days before "as of" (licence view),
    /// from sessions, visits and the users export's `active_time`.
    pub active_last: BTreeMap<String, u64>,
}

/// One row of the content-type mix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentType {
    /// `app_mode`; `unknown` for content not in a content export.
    pub app_mode: String,
    /// Content items of this mode in the content export.
    pub content: u64,
    /// Sessions on content of this mode.
    pub sessions: u64,
    /// Visits on content of this mode.
    pub visits: u64,
}

/// Computes the people figures.
pub fn people(data: &Dataset, sessions: &[Session], visits: &[VisitRow], as_of: Micros) -> People {
    let active: HashSet<u32> = sessions
        .iter()
        .filter_map(|s| s.user())
        .chain(visits.iter().filter_map(|v| v.user))
        .collect();
    let mut by_role = BTreeMap::new();
    let mut active_by_role = BTreeMap::new();
    for u in &data.users {
        let role = u.user_role.as_deref().unwrap_or("unknown").to_string();
        if u.locked != Some(true) {
            *by_role.entry(role.clone()).or_insert(0) += 1;
        }
        if active.contains(&u.user) {
            *active_by_role.entry(role).or_insert(0) += 1;
        }
    }
    let (publishers, publishers_source) = publishers(data, &by_role);
    People {
        by_role,
        active_by_role,
        publishers,
        publishers_source,
        consumers: active.len() as u64,
        active_last: active_last(data, sessions, visits, as_of),
    }
}

/// Publishers from the users export, else from content owners.
fn publishers(data: &Dataset, by_role: &BTreeMap<String, u64>) -> (Option<u64>, String) {
    if !data.users.is_empty() {
        let n = ["publisher", "administrator"]
            .iter()
            .filter_map(|r| by_role.get(*r))
            .sum();
        return (Some(n), "users export".into());
    }
    if !data.content.is_empty() {
        let owners: HashSet<u32> = data.content.iter().filter_map(|c| c.owner).collect();
        return (Some(owners.len() as u64), "content owners".into());
    }
    (None, "unavailable".into())
}

/// Named users whose last activity lies in `(as_of - N days, as_of]`.
fn active_last(
    data: &Dataset,
    sessions: &[Session],
    visits: &[VisitRow],
    as_of: Micros,
) -> BTreeMap<String, u64> {
    let mut last: HashMap<u32, Micros> = HashMap::new();
    let mut see = |user: u32, t: Micros| {
        if t <= as_of {
            let e = last.entry(user).or_insert(t);
            *e = (*e).max(t);
        }
    };
    for s in sessions {
        if let Some(u) = s.user() {
            see(u, s.end.min(as_of).max(s.start));
        }
    }
    for v in visits {
        if let Some(u) = v.user {
            see(u, v.time);
        }
    }
    for u in &data.users {
        if let Some(t) = u.active_time {
            see(u.user, t);
        }
    }
    [1, 7, 30, 365]
        .iter()
        .map(|&d| {
            let from = as_of - d * DAY;
            (
                format!("{d}d"),
                last.values().filter(|&&t| t > from).count() as u64,
            )
        })
        .collect()
}

/// Content, sessions and visits per `app_mode`, sorted by mode.
pub fn content_types(
    data: &Dataset,
    sessions: &[Session],
    visits: &[VisitRow],
) -> Vec<ContentType> {
    let mode_of: HashMap<u32, &str> = data
        .content
        .iter()
        .map(|c| (c.content, c.app_mode.as_deref().unwrap_or("unknown")))
        .collect();
    let mode = |id: u32| mode_of.get(&id).copied().unwrap_or("unknown").to_string();
    let mut counts: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for c in &data.content {
        counts.entry(mode(c.content)).or_default().0 += 1;
    }
    for s in sessions {
        counts.entry(mode(s.content)).or_default().1 += 1;
    }
    for v in visits {
        counts.entry(mode(v.content)).or_default().2 += 1;
    }
    counts
        .into_iter()
        .map(|(app_mode, (content, sessions, visits))| ContentType {
            app_mode,
            content,
            sessions,
            visits,
        })
        .collect()
}
