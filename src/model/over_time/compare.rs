//! This period against that one (`compare`): every key figure of two reports side by
//! side with its absolute and relative change, the content mix, and the top risers and
//! fallers by content peak.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::format::{days, fixed};
use crate::model::wire::{Report, Window};

/// Both reports' key figures and their changes.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The baseline window.
    pub baseline: Option<Window>,
    /// The current window.
    pub current: Option<Window>,
    /// Key figures in a fixed order.
    pub figures: Vec<Change>,
    /// Sessions and visits per `app_mode`, by mode.
    pub content_mix: Vec<Change>,
    /// Content whose peak concurrent sessions rose most (at most 10; ties by GUID).
    pub risers: Vec<ContentChange>,
    /// Content whose peak concurrent sessions fell most (at most 10; ties by GUID).
    pub fallers: Vec<ContentChange>,
    /// Recommended architecture, baseline and current.
    pub architecture: (Option<String>, Option<String>),
    /// What to keep in mind: an empty period, periods of different lengths.
    pub warnings: Vec<String>,
}

/// One figure in both periods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Group: `concurrency`, `regularity`, `people`, `volume`, `processes`, `sizing`, `mix`.
    pub group: String,
    /// What it is.
    pub name: String,
    /// Baseline value.
    pub baseline: Option<f64>,
    /// Current value.
    pub current: Option<f64>,
    /// current - baseline.
    pub change: Option<f64>,
    /// (current - baseline) / baseline; `None` when the baseline is 0 or missing.
    pub relative: Option<f64>,
}

/// One content item's peak in both periods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentChange {
    /// GUID.
    pub guid: String,
    /// Title, when known.
    pub title: Option<String>,
    /// Peak concurrent sessions in the baseline (0 when absent).
    pub baseline_peak: u32,
    /// Peak concurrent sessions now (0 when absent).
    pub current_peak: u32,
    /// current - baseline.
    pub change: i64,
}

fn change(group: &str, name: &str, b: Option<f64>, c: Option<f64>) -> Change {
    let diff = match (b, c) {
        (Some(b), Some(c)) => Some(c - b),
        _ => None,
    };
    Change {
        group: group.into(),
        name: name.into(),
        baseline: b,
        current: c,
        change: diff,
        relative: match (b, diff) {
            (Some(b), Some(d)) if b != 0.0 => Some(d / b),
            _ => None,
        },
    }
}

/// Extracts one figure from a report.
type Getter = fn(&Report) -> Option<f64>;

/// The key figures compared, in order.
const FIGURES: &[(&str, &str, Getter)] = &[
    ("concurrency", "peak concurrent sessions", |r| {
        r.concurrency.as_ref().map(|c| f64::from(c.sessions.peak))
    }),
    ("concurrency", "average concurrent sessions", |r| {
        r.concurrency.as_ref().and_then(|c| c.sessions.average)
    }),
    ("concurrency", "p95 concurrent sessions", |r| {
        r.concurrency
            .as_ref()
            .and_then(|c| c.sessions.p95.map(f64::from))
    }),
    ("concurrency", "peak concurrent users", |r| {
        r.concurrency.as_ref().map(|c| f64::from(c.users.peak))
    }),
    ("concurrency", "average concurrent users", |r| {
        r.concurrency.as_ref().and_then(|c| c.users.average)
    }),
    ("regularity", "daily peak, median", |r| {
        r.daily.as_ref().and_then(|d| d.summary.peak_p50)
    }),
    ("regularity", "daily peak, p95", |r| {
        r.daily.as_ref().and_then(|d| d.summary.peak_p95)
    }),
    ("regularity", "days at >= 90 % of the peak", |r| {
        r.daily
            .as_ref()
            .map(|d| d.summary.at_or_above_90pct_of_peak as f64)
    }),
    ("people", "active users (consumers)", |r| {
        Some(r.people.consumers as f64)
    }),
    ("people", "publishers", |r| {
        r.people.publishers.map(|p| p as f64)
    }),
    ("volume", "sessions", |r| Some(r.sessions.count as f64)),
    ("volume", "visits", |r| Some(r.visits.count as f64)),
    ("volume", "sessions per day", |r| {
        r.window
            .as_ref()
            .filter(|w| w.days > 0.0)
            .map(|w| r.sessions.count as f64 / w.days)
    }),
    ("volume", "visits per day", |r| {
        r.window
            .as_ref()
            .filter(|w| w.days > 0.0)
            .map(|w| r.visits.count as f64 / w.days)
    }),
    ("processes", "peak modelled processes", |r| {
        r.processes
            .as_ref()
            .and_then(|p| p.estimated.as_ref())
            .map(|e| f64::from(e.peak))
    }),
    ("processes", "p95 modelled processes", |r| {
        r.processes
            .as_ref()
            .and_then(|p| p.estimated.as_ref())
            .and_then(|e| e.p95.map(f64::from))
    }),
    ("processes", "peak measured processes", |r| {
        r.processes
            .as_ref()
            .and_then(|p| p.measured.as_ref())
            .map(|m| f64::from(m.peak))
    }),
    ("processes", "sessions rejected by the limits", |r| {
        r.processes
            .as_ref()
            .and_then(|p| p.estimated.as_ref())
            .map(|e| e.rejected as f64)
    }),
    ("sizing", "cores needed now", |r| {
        r.sizing.as_ref().map(|s| s.now.size.cores as f64)
    }),
    ("sizing", "RAM needed now, GiB", |r| {
        r.sizing.as_ref().map(|s| s.now.size.ram_gib as f64)
    }),
    ("sizing", "cores needed, scaled", |r| {
        r.sizing
            .as_ref()
            .and_then(|s| s.scaled.as_ref())
            .map(|s| s.size.cores as f64)
    }),
    ("sizing", "buffer", |r| {
        r.sizing.as_ref().map(|s| s.now.size.buffer)
    }),
];

/// Compares `current` with `baseline`.
pub fn compare(baseline: &Report, current: &Report) -> Comparison {
    let figures = FIGURES
        .iter()
        .map(|(g, n, f)| change(g, n, f(baseline), f(current)))
        .collect();
    let mix = |r: &Report| -> BTreeMap<String, u64> {
        r.content_types
            .iter()
            .map(|t| (t.app_mode.clone(), t.sessions + t.visits))
            .collect()
    };
    let (mb, mc) = (mix(baseline), mix(current));
    let modes: BTreeSet<&String> = mb.keys().chain(mc.keys()).collect();
    let content_mix = modes
        .into_iter()
        .map(|m| {
            change(
                "mix",
                &format!("{m}: sessions and visits"),
                Some(*mb.get(m).unwrap_or(&0) as f64),
                Some(*mc.get(m).unwrap_or(&0) as f64),
            )
        })
        .collect();
    let (risers, fallers) = movers(baseline, current);
    let arch = |r: &Report| {
        r.recommendation.as_ref().and_then(|x| {
            serde_json::to_value(x.decision.architecture)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
        })
    };
    let mut warnings = Vec::new();
    for (name, r) in [("baseline", baseline), ("current", current)] {
        if r.sessions.count == 0 && r.visits.count == 0 {
            warnings.push(format!(
                "the {name} period holds no session or visit: check that the exports cover it"
            ));
        }
    }
    // Each report's own warnings (an option that matched nothing, a window off the
    // data ...): once when both have it, else marked with its period.
    for w in &baseline.warnings {
        if current.warnings.contains(w) {
            warnings.push(w.clone());
        } else {
            warnings.push(format!("baseline: {w}"));
        }
    }
    for w in current
        .warnings
        .iter()
        .filter(|w| !baseline.warnings.contains(w))
    {
        warnings.push(format!("current: {w}"));
    }
    if let (Some(b), Some(c)) = (&baseline.window, &current.window) {
        warnings.extend(window_warnings(b, c));
    }
    Comparison {
        baseline: baseline.window.clone(),
        current: current.window.clone(),
        figures,
        content_mix,
        risers,
        fallers,
        architecture: (arch(baseline), arch(current)),
        warnings,
    }
}

/// Warnings about the two windows: lengths that differ by more than 10 % (totals do not
/// compare), and an overlap (rows in both periods count in each, so changes shrink).
fn window_warnings(b: &Window, c: &Window) -> Vec<String> {
    let mut out = Vec::new();
    let (lo, hi) = (b.days.min(c.days), b.days.max(c.days));
    if lo > 0.0 && hi > lo * 1.1 {
        out.push(format!(
            "the periods differ in length ({} and {} days): compare the per-day \
             rows, peaks and averages, not the totals",
            fixed(b.days, 1),
            fixed(c.days, 1)
        ));
    }
    let overlap = b.end.0.min(c.end.0) - b.start.0.max(c.start.0);
    if overlap > 0 {
        out.push(format!(
            "the periods overlap by {}: what falls in both counts in each, so the changes \
             understate the difference; compare periods that do not overlap",
            days(overlap as f64 / crate::model::time::DAY as f64, 1)
        ));
    }
    out
}

/// Top risers and fallers by peak concurrent sessions.
fn movers(baseline: &Report, current: &Report) -> (Vec<ContentChange>, Vec<ContentChange>) {
    let mut all: BTreeMap<&str, ContentChange> = BTreeMap::new();
    for (is_current, r) in [(false, baseline), (true, current)] {
        for c in &r.content {
            let e = all.entry(c.guid.as_str()).or_insert_with(|| ContentChange {
                guid: c.guid.clone(),
                title: None,
                baseline_peak: 0,
                current_peak: 0,
                change: 0,
            });
            if c.title.is_some() {
                e.title = c.title.clone();
            }
            if is_current {
                e.current_peak = c.peak_sessions;
            } else {
                e.baseline_peak = c.peak_sessions;
            }
        }
    }
    let mut list: Vec<ContentChange> = all
        .into_values()
        .map(|mut c| {
            c.change = i64::from(c.current_peak) - i64::from(c.baseline_peak);
            c
        })
        .collect();
    let mut risers: Vec<ContentChange> = list.iter().filter(|c| c.change > 0).cloned().collect();
    risers.sort_by(|a, b| b.change.cmp(&a.change).then_with(|| a.guid.cmp(&b.guid)));
    risers.truncate(10);
    list.retain(|c| c.change < 0);
    list.sort_by(|a, b| a.change.cmp(&b.change).then_with(|| a.guid.cmp(&b.guid)));
    list.truncate(10);
    (risers, list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_is_absolute_and_relative() {
        let c = change("g", "n", Some(40.0), Some(50.0));
        assert_eq!(c.change, Some(10.0));
        approx::assert_relative_eq!(c.relative.unwrap(), 0.25);
        let c = change("g", "n", Some(0.0), Some(5.0));
        assert_eq!(c.change, Some(5.0));
        assert_eq!(c.relative, None);
        let c = change("g", "n", None, Some(5.0));
        assert_eq!((c.change, c.relative), (None, None));
    }

    #[test]
    fn report_warnings_come_once_and_one_sided_ones_name_their_period() {
        let empty = crate::model::analyze(
            &crate::ingest::Dataset::default(),
            &crate::model::Options::default(),
        )
        .unwrap();
        let (mut b, mut c) = (empty.clone(), empty);
        b.warnings = vec!["shared".into(), "only here".into()];
        c.warnings = vec!["shared".into(), "only there".into()];
        let w = compare(&b, &c).warnings;
        assert_eq!(w.iter().filter(|x| x.contains("shared")).count(), 1);
        assert!(w.contains(&"shared".to_string()), "{w:?}");
        assert!(w.contains(&"baseline: only here".to_string()), "{w:?}");
        assert!(w.contains(&"current: only there".to_string()), "{w:?}");
    }
}

/// The `compare` output: the comparison under the JSON contract's version.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CompareReport {
    /// JSON contract version.
    pub schema_version: u32,
    /// The comparison.
    #[serde(flatten)]
    pub comparison: Comparison,
}
