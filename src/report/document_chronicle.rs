//! The Posit Chronicle section: what a Chronicle folder gave besides rows (its licence
//! figures and the daily session totals of its curated data), and the inputs lines naming
//! its environments and the metrics not read.

use super::markup::{Block, Section, Table};
use crate::format::{count, duration, fixed};
use crate::ingest::ChronicleSummary;
use crate::model::Report;

/// The section, for a report read from a Chronicle folder.
pub fn chronicle(r: &Report) -> Option<Section> {
    let c = r.chronicle.as_ref()?;
    let mut blocks = vec![Block::List(licence(c))];
    if !c.daily_average_sessions.is_empty() {
        let mut t = Table::numeric(&[
            "day (UTC)",
            "sessions",
            "session time",
            "average concurrent sessions",
        ]);
        for d in &c.daily_average_sessions {
            t.row(vec![
                d.date.clone(),
                count(d.sessions),
                duration(d.session_seconds),
                fixed(d.average, 2),
            ]);
        }
        blocks.push(Block::List(vec![
            "Daily average concurrent Shiny sessions from Chronicle's curated totals \
             (session-seconds / 86,400 per UTC day), for the UTC days the analysed window \
             touches. These are averages over whole days: \
             peaks need per-session data (a raw Shiny session metric, or the Shiny usage \
             export)."
                .into(),
        ]));
        blocks.push(Block::Table(t));
    }
    Some(Section {
        id: "chronicle",
        title: "Posit Chronicle".into(),
        blocks,
    })
}

/// The licence figures of the curated `user_totals`, with their UTC day.
fn licence(c: &ChronicleSummary) -> Vec<String> {
    let Some(day) = &c.licence_date else {
        return vec!["No licence figures: the Chronicle data has no curated user_totals.".into()];
    };
    let figures: Vec<String> = [
        (c.named_users, "named users"),
        (c.active_users_1day, "active users that day"),
        (c.active_users_30days, "active users in the 30 days to it"),
        (c.licensed_user_seats, "licensed user seats"),
    ]
    .iter()
    .filter_map(|(v, label)| v.map(|v| format!("{} {label}", count(v))))
    .collect();
    vec![format!(
        "Licence on {day} (a UTC day; Chronicle curates once a day, so its newest day is \
         yesterday): {}.",
        if figures.is_empty() {
            "no figures".to_string()
        } else {
            figures.join(", ")
        }
    )]
}

/// Inputs lines: the Chronicle root, the environments found and kept, and what was not
/// read.
pub fn inputs_lines(r: &Report) -> Vec<String> {
    let Some(c) = &r.chronicle else {
        return Vec::new();
    };
    let envs = if c.environments.is_empty() {
        "none named".to_string()
    } else {
        c.environments.join(", ")
    };
    let mut lines = vec![format!(
        "Posit Chronicle data at {}: environments found: {envs}{}; {} UTC days of raw data.",
        c.root.display(),
        c.environment
            .as_ref()
            .map_or(String::new(), |e| format!(" (read: {e})")),
        count(c.raw_days)
    )];
    if !c.unread.is_empty() {
        lines.push(format!(
            "Chronicle metrics and datasets not read (no known kind): {}.",
            c.unread.join(", ")
        ));
    }
    lines
}
