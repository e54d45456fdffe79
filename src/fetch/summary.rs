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

#[cfg(test)]
mod tests {
    use super::*;

    fn set(n: usize) -> BTreeSet<String> {
        (0..n).map(|i| format!("app-{i}")).collect()
    }

    #[test]
    fn names_stop_at_five_and_counts_agree_in_number() {
        assert_eq!(names(&set(2)), "app-0, app-1");
        assert_eq!(
            names(&set(7)),
            "app-0, app-1, app-2, app-3, app-4 and 2 more"
        );
        assert_eq!(counted(1, "job"), "1 job");
        assert_eq!(counted(1_234, "job"), "1,234 jobs");
        assert_eq!(items(0), "0 items");
    }

    #[test]
    fn metrics_lines_say_not_measured_once_with_the_items_and_the_remedy() {
        let m = metrics::Outcome {
            asked: 1,
            samples: 1,
            rows: 40,
            before: 29,
            not_measured: set(1),
            disabled: set(2),
            ..Default::default()
        };
        let text = metrics_text("job metrics", "job_metrics.csv", &m);
        assert_eq!(
            text.lines().next(),
            Some(
                "job metrics: 1 sample of 1 job fetched, 40 rows in job_metrics.csv; 29 \
                 finished jobs fetched before, not asked again"
            )
        );
        assert_eq!(text.matches("not measured").count(), 1, "{text}");
        assert!(text.contains(
            "not measured: 1 item returned no samples (app-0); metrics collection is off for \
             2 items, not asked (app-0, app-1). Connect records samples"
        ));
        // Without the endpoint there is only the note.
        let none = metrics::Outcome {
            no_endpoint: true,
            not_measured: set(3),
            ..Default::default()
        };
        let text = metrics_text("job metrics", "job_metrics.csv", &none);
        assert!(text.starts_with(
            "note: job metrics: not measured: this server has no job metrics endpoint"
        ));
        assert!(text.contains("for 3 items (app-0, app-1, app-2)"), "{text}");
    }
}
