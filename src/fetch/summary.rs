//! The summary `fetch` prints on stderr: one line per endpoint, and for job metrics one
//! "not measured" note naming the items and how collection is turned on.

use std::collections::BTreeSet;
use std::io::Write;

use super::keyset::Spec;
use super::{metrics, Note};
use crate::format::count;

pub(super) fn report(log: &mut dyn Write, spec: &Spec, note: Note) {
    line(log, spec.label, spec.file, &note);
}

/// One stderr line per endpoint.
pub(super) fn line(log: &mut dyn Write, label: &str, file: &str, note: &Note) {
    let text = match note {
        Note::Fetched {
            fetched,
            rows,
            open,
            bad,
        } => {
            let open = if *open > 0 {
                format!(
                    " ({} sessions still open: asked for again next run)",
                    count(*open)
                )
            } else {
                String::new()
            };
            let bad = if *bad > 0 {
                format!("; {} malformed records skipped (not stored)", count(*bad))
            } else {
                String::new()
            };
            format!(
                "{label}: {} records fetched, {} rows in {file}{open}{bad}",
                count(*fetched),
                count(*rows)
            )
        }
        Note::Jobs {
            items,
            fetched,
            rows,
            skipped,
        } => {
            let skipped = if *skipped > 0 {
                format!(
                    "; {} items skipped (deleted, or not visible to this key)",
                    count(*skipped)
                )
            } else {
                String::new()
            };
            format!(
                "{label}: {} jobs of {} on-demand items fetched, {} rows in {file}{skipped}",
                count(*fetched),
                count(*items),
                count(*rows)
            )
        }
        Note::Metrics(m) => metrics_text(label, file, m),
        Note::Missing => {
            format!("note: {label}: this server has no such endpoint (an older Connect?); skipped")
        }
        Note::Skipped(why) => format!("note: {label}: skipped: {why}"),
    };
    let _ = writeln!(log, "{text}");
}

/// The job metrics line, then one "not measured" note naming the items, if any.
fn metrics_text(label: &str, file: &str, m: &metrics::Outcome) -> String {
    let mut text = if m.no_endpoint {
        String::new()
    } else if m.asked == 0 {
        format!("{label}: no jobs to ask, {} rows in {file}", count(m.rows))
    } else {
        format!(
            "{label}: {} of {} fetched, {} rows in {file}",
            counted(m.samples, "sample"),
            counted(m.asked as u64, "job"),
            count(m.rows)
        )
    };
    if m.before > 0 && !m.no_endpoint {
        text.push_str(&format!(
            "; {} fetched before, not asked again",
            counted(m.before as u64, "finished job")
        ));
    }
    if m.forbidden > 0 {
        text.push_str(&format!(
            "; {} skipped (not visible to this key)",
            counted(m.forbidden as u64, "job")
        ));
    }
    let mut why = Vec::new();
    if m.no_endpoint {
        why.push(format!(
            "this server has no job metrics endpoint (HTTP 404: a Connect version without it; nothing \
             written, asked again next run) for {} ({})",
            items(m.not_measured.len()),
            names(&m.not_measured)
        ));
    } else if !m.not_measured.is_empty() {
        why.push(format!(
            "{} returned no samples ({})",
            items(m.not_measured.len()),
            names(&m.not_measured)
        ));
    }
    if !m.disabled.is_empty() {
        why.push(format!(
            "metrics collection is off for {}, not asked ({})",
            items(m.disabled.len()),
            names(&m.disabled)
        ));
    }
    if !why.is_empty() {
        let sep = if text.is_empty() { "" } else { "\n" };
        text.push_str(&format!(
            "{sep}note: {label}: not measured: {}. {}",
            why.join("; "),
            metrics::ENABLE
        ));
    }
    text
}

/// At most five names, then how many more.
fn names(set: &BTreeSet<String>) -> String {
    let shown: Vec<&str> = set.iter().take(5).map(String::as_str).collect();
    match set.len().saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{} and {} more", shown.join(", "), count(more as u64)),
    }
}

/// "1 item", "3 items" (`word` takes an `s` beyond one).
pub(super) fn counted(n: u64, word: &str) -> String {
    match n {
        1 => format!("1 {word}"),
        n => format!("{} {word}s", count(n)),
    }
}

fn items(n: usize) -> String {
    counted(n as u64, "item")
}
