//! Warnings about options that matched nothing (a typo in a GUID or a username must not
//! pass silently, and neither must a `--from/--to` that misses the data), and about
//! sessions whose recorded end lies implausibly far after their start.

use std::collections::BTreeSet;

use super::normalize::Normalized;
use super::time::Timestamp;
use crate::format::count;
use crate::ingest::{Dataset, VisitSource};
use crate::model::Options;

/// A recorded session longer than this is listed (Shiny sessions last minutes or hours).
const LONG_SESSION: i64 = 7 * super::time::DAY;

/// Warnings about `opts` against `data`, in a fixed order.
pub fn option_warnings(data: &Dataset, opts: &Options, norm: &Normalized) -> Vec<String> {
    let mut out = Vec::new();
    for u in &opts.exclude_users {
        let known = data.user_ids.get(u).is_some()
            || data.users.iter().any(|r| r.username.as_deref() == Some(u));
        if !known {
            out.push(format!(
                "--exclude-users '{u}' matches no user in the exports (GUIDs match exactly; \
                 usernames need a users export)"
            ));
        }
    }
    let named: BTreeSet<&String> = opts.capacity.content.keys().collect();
    for guid in named {
        if data.content_ids.get(guid).is_none() {
            out.push(format!(
                "the settings for content '{guid}' (--content-setting or the config file) \
                 match no content in the exports; check the GUID (it must match exactly)"
            ));
        }
    }
    let long: Vec<&crate::ingest::SessionRow> = data
        .sessions
        .iter()
        .filter(|s| s.ended.is_some_and(|e| e - s.started > LONG_SESSION))
        .collect();
    if let Some(longest) = long.iter().max_by_key(|s| {
        (
            s.ended.unwrap_or(0) - s.started,
            std::cmp::Reverse(s.origin),
        )
    }) {
        let days = (longest.ended.unwrap_or(0) - longest.started) / super::time::DAY;
        let place = data
            .files
            .get(longest.origin.file as usize)
            .map(|f| format!("{}:{}", f.path.display(), longest.origin.line))
            .unwrap_or_default();
        out.push(format!(
            "{} sessions last longer than 7 days (the longest {} days, at {place}); they \
             are kept as recorded, check their ended times",
            count(long.len()),
            count(days.unsigned_abs())
        ));
    }
    let sources = |list: &[VisitSource]| norm.visits.iter().any(|v| list.contains(&v.source));
    if sources(&[VisitSource::Visits, VisitSource::Unified])
        && sources(&[VisitSource::Hits, VisitSource::Dashboard])
    {
        out.push(
            "both content visits and hits (or the dashboard export) are present: they record \
             the same requests in two ways, so visit counts may hold some twice; analyse one \
             of them"
                .into(),
        );
    }
    let c = &norm.counts;
    let kept_sessions = c.count + c.outside_window + c.excluded_short;
    out.extend(crate::model::analyze::mostly_outside(
        "session",
        c.outside_window,
        kept_sessions,
    ));
    let kept_visits = norm.visits.len() as u64 + norm.visits_outside_window;
    out.extend(crate::model::analyze::mostly_outside(
        "visit",
        norm.visits_outside_window,
        kept_visits,
    ));
    for e in &data.notes.encoding_skips {
        out.push(format!(
            "{}: {} rows skipped (--lenient) because they are not valid UTF-8, the first at \
             line {}; the file is probably in another encoding (Excel on Windows saves \
             Windows-1252): pass --encoding {}=windows-1252 (or --encoding windows-1252 for \
             every file)",
            e.path.display(),
            e.rows,
            e.first_line,
            e.kind.cli_name()
        ));
    }
    if norm.window.is_none() && (opts.from.is_some() || opts.to.is_some()) {
        let times = data
            .sessions
            .iter()
            .map(|s| s.started)
            .chain(data.visits.iter().map(|v| v.time));
        let (lo, hi) = times.fold((None, None), |(lo, hi): (Option<i64>, Option<i64>), t| {
            (
                Some(lo.map_or(t, |l| l.min(t))),
                Some(hi.map_or(t, |h| h.max(t))),
            )
        });
        if let (Some(lo), Some(hi)) = (lo, hi) {
            out.push(format!(
                "nothing lies in --from/--to: the exports start between {} and {}",
                Timestamp(lo).rfc3339(),
                Timestamp(hi).rfc3339()
            ));
        }
    }
    out
}
