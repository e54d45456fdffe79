//! Warnings about options that matched nothing (a typo in a GUID or a username must not
//! pass silently, and neither must a `--from/--to` that misses the data), about sessions
//! whose recorded end lies implausibly far after their start, and about inputs that hold
//! only content and user lists (which exports to add, and how).

use std::collections::BTreeSet;

use super::normalize::Normalized;
use super::time::Timestamp;
use crate::error::NEEDED_EXPORTS;
use crate::format::count;
use crate::ingest::{Dataset, Kind, VisitSource};
use crate::model::Options;

/// A recorded session longer than this is listed (Shiny sessions last minutes or hours).
pub(super) const LONG_SESSION: i64 = 7 * super::time::DAY;

/// Warnings about `opts` against `data`, in a fixed order.
pub fn option_warnings(data: &Dataset, opts: &Options, norm: &Normalized) -> Vec<String> {
    let mut out = unmatched_users(data, opts);
    out.extend(unmatched_content(data, opts));
    out.extend(long_sessions(data, norm));
    out.extend(visits_and_hits(norm));
    out.extend(mostly_outside_window(norm, opts));
    out.extend(encoding_skips(data));
    out.extend(window_off_the_data(data, opts, norm));
    out.extend(only_lists(data));
    out
}

/// Inputs holding only content and user lists: no sessions or visits to analyse, and
/// which exports would give them.
fn only_lists(data: &Dataset) -> Option<String> {
    let only = !data.files.is_empty()
        && data
            .files
            .iter()
            .all(|f| matches!(f.kind, Kind::Content | Kind::Users));
    only.then(|| {
        format!(
            "the inputs hold only content and user lists, so there are no sessions or \
             visits to analyse. {NEEDED_EXPORTS}"
        )
    })
}

/// `--exclude-users` entries that name no user (by GUID, or by username in a users export).
fn unmatched_users(data: &Dataset, opts: &Options) -> Vec<String> {
    opts.exclude_users
        .iter()
        .filter(|u| {
            data.user_ids.get(u).is_none()
                && !data
                    .users
                    .iter()
                    .any(|r| r.username.as_deref() == Some(u.as_str()))
        })
        .map(|u| {
            format!(
                "--exclude-users '{u}' matches no user in the exports (GUIDs match exactly; \
                 usernames need a users export)"
            )
        })
        .collect()
}

/// Per-content settings whose GUID is in no export, in GUID order.
fn unmatched_content(data: &Dataset, opts: &Options) -> Vec<String> {
    let named: BTreeSet<&String> = opts.capacity.content.keys().collect();
    named
        .into_iter()
        .filter(|guid| data.content_ids.get(guid).is_none())
        .map(|guid| {
            format!(
                "the settings for content '{guid}' (--content-setting or the config file) \
                 match no content in the exports; check the GUID (it must match exactly)"
            )
        })
        .collect()
}

/// Recorded sessions longer than [`LONG_SESSION`]: how many, and where the longest is
/// (over every session row read, by either reader).
fn long_sessions(data: &Dataset, norm: &Normalized) -> Option<String> {
    let facts = &norm.rows_read;
    let (length, origin) = facts.longest?;
    let days = length / super::time::DAY;
    let place = format!("{}:{}", data.path_of(origin).display(), origin.line);
    Some(format!(
        "{} sessions last longer than 7 days (the longest {} days, at {place}); they \
         are kept as recorded, check their ended times",
        count(facts.long),
        count(days.unsigned_abs())
    ))
}

/// Visits and hits (or the dashboard export) analysed together.
fn visits_and_hits(norm: &Normalized) -> Option<String> {
    let sources = |list: &[VisitSource]| norm.visits.iter().any(|v| list.contains(&v.source));
    let both = sources(&[VisitSource::Visits, VisitSource::Unified])
        && sources(&[VisitSource::Hits, VisitSource::Dashboard]);
    both.then(|| {
        "both content visits and hits (or the dashboard export) are present: they record \
         the same requests in two ways, so visit counts may hold some twice; analyse one \
         of them"
            .into()
    })
}

/// Sessions, then visits, mostly outside the window.
fn mostly_outside_window(norm: &Normalized, opts: &Options) -> Vec<String> {
    let c = &norm.counts;
    let kept_sessions = c.count + c.outside_window + c.excluded_short;
    let kept_visits = norm.visits.len() as u64 + norm.visits_outside_window;
    let outside = crate::model::analyze::mostly_outside;
    outside("session", c.outside_window, kept_sessions, opts)
        .into_iter()
        .chain(outside(
            "visit",
            norm.visits_outside_window,
            kept_visits,
            opts,
        ))
        .collect()
}

/// Files whose rows were skipped under `--lenient` for not being UTF-8.
fn encoding_skips(data: &Dataset) -> Vec<String> {
    data.notes
        .encoding_skips
        .iter()
        .map(|e| {
            format!(
                "{}: {} rows skipped (--lenient) because they are not valid UTF-8, the first \
                 at line {}; the file is probably in another encoding (Excel on Windows \
                 saves Windows-1252): pass --encoding {}=windows-1252 (or --encoding \
                 windows-1252 for every file)",
                e.path.display(),
                e.rows,
                e.first_line,
                e.kind.cli_name()
            )
        })
        .collect()
}

/// `--from/--to` that holds none of the data: where the data lies.
fn window_off_the_data(data: &Dataset, opts: &Options, norm: &Normalized) -> Option<String> {
    if norm.window.is_some() || (opts.from.is_none() && opts.to.is_none()) {
        return None;
    }
    let (first, last) = norm.rows_read.started.unzip();
    let times = (first.into_iter().chain(last)).chain(data.visits.iter().map(|v| v.time));
    let (lo, hi) = times.fold((None, None), |(lo, hi): (Option<i64>, Option<i64>), t| {
        (
            Some(lo.map_or(t, |l| l.min(t))),
            Some(hi.map_or(t, |h| h.max(t))),
        )
    });
    Some(format!(
        "nothing lies in --from/--to: the exports start between {} and {}",
        Timestamp(lo?).rfc3339(),
        Timestamp(hi?).rfc3339()
    ))
}
