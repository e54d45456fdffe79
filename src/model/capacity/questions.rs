//! The six questions Posit's scaling guidance asks an administrator to answer before
//! choosing an architecture (docs/sizing.md, top), answered from the report's own figures.
//! Each answer is one or two plain sentences plus the figures behind them, so every
//! format (terminal, JSON, Markdown, HTML) prints the same words.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use crate::format::{count, counted, fixed, or_dash, percent, plural, short, signed_percent};
use crate::model::wire::Report;

/// One question and its answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// 1 to 6, in the guidance's order.
    pub number: u8,
    /// Stable key: `publishers`, `consumers`, `content_types`, `processes_per_content`,
    /// `load`, `history`.
    pub key: String,
    /// The question as the guidance asks it.
    pub question: String,
    /// The answer in plain words, citing its numbers.
    pub answer: String,
    /// The numbers behind the answer (full precision).
    pub figures: BTreeMap<String, Value>,
}

/// Answers the six questions from a computed report.
pub fn answers(r: &Report) -> Vec<Answer> {
    vec![
        publishers(r),
        consumers(r),
        content_types(r),
        processes_per_content(r),
        load(r),
        history(r),
    ]
}

fn answer(
    number: u8,
    key: &str,
    question: &str,
    text: String,
    figures: Vec<(&str, Value)>,
) -> Answer {
    Answer {
        number,
        key: key.into(),
        question: question.into(),
        answer: text,
        figures: figures
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }
}

fn publishers(r: &Report) -> Answer {
    let p = &r.people;
    let text = match p.publishers {
        Some(n) => format!(
            "{} publishers (from the {}).",
            count(n),
            p.publishers_source
        ),
        None => {
            "Not available: give a users export (roles) or a content export (owners).".to_string()
        }
    };
    answer(
        1,
        "publishers",
        "How many content publishers are there?",
        text,
        vec![
            ("publishers", json!(p.publishers)),
            ("source", json!(p.publishers_source)),
        ],
    )
}

fn consumers(r: &Report) -> Answer {
    let p = &r.people;
    if r.without_usage() {
        return answer(
            2,
            "consumers",
            "How many content consumers are there?",
            "Not available: no usage export (the jobs export does not record who opened \
             content)."
                .to_string(),
            vec![("consumers", json!(null))],
        );
    }
    let last30 = p.active_last.get("30d").copied();
    let mut text = format!(
        "{} distinct named users opened content in the window",
        count(p.consumers)
    );
    if let Some(n) = last30 {
        text.push_str(&format!("; {} were active in its last 30 days", count(n)));
    }
    if r.sessions.anonymous > 0 {
        text.push_str(&format!(
            "; plus {} anonymous sessions",
            count(r.sessions.anonymous)
        ));
    }
    text.push('.');
    answer(
        2,
        "consumers",
        "How many content consumers are there?",
        text,
        vec![
            ("consumers", json!(p.consumers)),
            ("active_last_30d", json!(last30)),
            ("anonymous_sessions", json!(r.sessions.anonymous)),
        ],
    )
}

/// Content types named one by one in answer 3; the rest are summed in one "and N more".
const SHOWN_TYPES: usize = 6;

fn content_types(r: &Report) -> Answer {
    let mut types = r.content_types.clone();
    types.sort_by(|a, b| {
        (b.sessions + b.visits)
            .cmp(&(a.sessions + a.visits))
            .then_with(|| b.content.cmp(&a.content))
            .then_with(|| a.app_mode.cmp(&b.app_mode))
    });
    let total: u64 = types.iter().map(|t| t.sessions + t.visits).sum();
    let items: u64 = types.iter().map(|t| t.content).sum();
    let present: Vec<_> = types
        .iter()
        .filter(|t| t.sessions + t.visits > 0 || t.content > 0)
        .collect();
    // "(N items, S % of sessions and visits)": items only when a content export gave
    // them, the share only when there is usage.
    let detail = |content: u64, used: u64| {
        let mut parts = Vec::new();
        if items > 0 {
            parts.push(counted(content, "item", "items"));
        }
        if total > 0 {
            let share = percent(used as f64 / total as f64, 1);
            parts.push(format!("{share} of sessions and visits"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    };
    let mut listed: Vec<String> = present
        .iter()
        .take(SHOWN_TYPES)
        .map(|t| format!("{}{}", t.app_mode, detail(t.content, t.sessions + t.visits)))
        .collect();
    if let Some(rest) = present.get(SHOWN_TYPES..).filter(|r| !r.is_empty()) {
        let content = rest.iter().map(|t| t.content).sum();
        let used = rest.iter().map(|t| t.sessions + t.visits).sum();
        listed.push(format!(
            "and {} more {}{}",
            count(rest.len()),
            plural(rest.len(), "type", "types"),
            detail(content, used)
        ));
    }
    let text = if listed.is_empty() {
        "Not available: no content export and no usage.".to_string()
    } else {
        // Without usage, the items with measured processes (the resource lines count them).
        let measured = || -> u64 {
            r.sizing
                .as_ref()
                .map_or(0, |z| z.resources.iter().map(|l| l.content).sum())
        };
        let interactive: u64 = r.processes.as_ref().map_or(0, |p| {
            p.estimated
                .as_ref()
                .map_or_else(measured, |e| e.content.len() as u64)
        });
        let lead = if items > 0 {
            format!(
                "{} in the content export",
                counted(items, "content item", "content items")
            )
        } else {
            "No content export, so no content modes or item counts".to_string()
        };
        format!(
            "{lead}; by use: {}. {} items \
             run processes on demand (apps and APIs); static and rendered content holds none.",
            listed.join(", "),
            count(interactive)
        )
    };
    answer(
        3,
        "content_types",
        "What type of content is published?",
        text,
        vec![("by_app_mode", json!(r.content_types))],
    )
}

fn processes_per_content(r: &Report) -> Answer {
    let Some(p) = &r.processes else {
        return answer(
            4,
            "processes_per_content",
            "How many processes run concurrently per piece of content?",
            "Not available: no sessions in the window.".to_string(),
            vec![],
        );
    };
    let Some(e) = &p.estimated else {
        return measured_processes(r, p.measured.as_ref());
    };
    let mut text = format!(
        "Modelled: at most {} processes at once server-wide (at most {} of them serving \
         connections), p95 {}",
        count(e.peak),
        count(e.active.peak),
        or_dash(e.p95, count)
    );
    let top = e.content.first();
    if let Some(c) = top {
        let name = c.title.clone().unwrap_or_else(|| c.guid.clone());
        text.push_str(&format!(
            "; the busiest item, \"{name}\", peaks at {} (max_processes {})",
            count(c.peak),
            count(c.settings.max_processes)
        ));
    }
    let peaks: Vec<u32> = e.content.iter().map(|c| c.peak).collect();
    let at_one = peaks.iter().filter(|v| **v <= 1).count();
    if !peaks.is_empty() {
        text.push_str(&format!(
            "; {} of {} items never need more than one",
            count(at_one),
            count(peaks.len())
        ));
    }
    text.push('.');
    if let Some(m) = &p.measured {
        text.push_str(&format!(
            " Measured from jobs: peak {} interactive processes, p95 {}.",
            count(m.peak),
            or_dash(m.p95, count)
        ));
    }
    if e.rejected > 0 {
        text.push_str(&format!(
            " {} sessions would have been turned away by the current limits.",
            count(e.rejected)
        ));
    }
    text.push_str(&parallel_sentence(r));
    let parallel: Vec<&str> = r
        .footprints
        .iter()
        .filter(|f| f.measured.as_ref().is_some_and(|m| m.footprint.parallel))
        .map(|f| f.guid.as_str())
        .collect();
    answer(
        4,
        "processes_per_content",
        "How many processes run concurrently per piece of content?",
        text,
        vec![
            ("estimated_peak", json!(e.peak)),
            ("estimated_p95", json!(e.p95)),
            ("estimated_active_peak", json!(e.active.peak)),
            (
                "per_content_peak",
                json!(e
                    .content
                    .iter()
                    .map(|c| (c.guid.clone(), c.peak))
                    .collect::<BTreeMap<_, _>>()),
            ),
            ("measured_peak", json!(p.measured.as_ref().map(|m| m.peak))),
            (
                "measured_p95",
                json!(p.measured.as_ref().and_then(|m| m.p95)),
            ),
            ("rejected", json!(e.rejected)),
            ("parallel", json!(parallel)),
        ],
    )
}

/// Question 4 without usage: the measured processes are the answer.
fn measured_processes(
    r: &Report,
    m: Option<&crate::model::wire::capacity::MeasuredProcesses>,
) -> Answer {
    let mut text = match m {
        Some(m) => format!(
            "Measured from jobs (no usage export, so no model): at most {} interactive \
             processes at once server-wide, p95 {}.",
            count(m.peak),
            or_dash(m.p95, count)
        ),
        None => "Not available: no usage and no jobs in the window.".to_string(),
    };
    text.push_str(&parallel_sentence(r));
    answer(
        4,
        "processes_per_content",
        "How many processes run concurrently per piece of content?",
        text,
        vec![
            ("estimated_peak", json!(null)),
            ("measured_peak", json!(m.map(|m| m.peak))),
            ("measured_p95", json!(m.and_then(|m| m.p95))),
            ("rejected", json!(null)),
        ],
    )
}

/// Which measured items parallelise their code (docs/sizing.md 2.1): the guidance asks to
/// "confirm if users are parallelizing their code". Empty without job metrics.
fn parallel_sentence(r: &Report) -> String {
    let measured: Vec<_> = r
        .footprints
        .iter()
        .filter_map(|f| Some((f, f.measured.as_ref()?)))
        .collect();
    if measured.is_empty() {
        return String::new();
    }
    let threshold = r
        .sizing
        .as_ref()
        .map_or(1.2, |z| z.constants.parallel_cores);
    let names: Vec<String> = measured
        .iter()
        .filter(|(_, m)| m.footprint.parallel)
        .map(|(f, m)| {
            let name = f.title.clone().unwrap_or_else(|| f.guid.clone());
            format!(
                "\"{name}\" ({} at p95)",
                crate::format::cores(m.footprint.cpu_p95.unwrap_or(0.0))
            )
        })
        .collect();
    if names.is_empty() {
        format!(
            " Job metrics of {} items: none uses more than {} per process while serving \
             (p95), so one core per concurrent process holds.",
            count(measured.len()),
            crate::format::cores(threshold)
        )
    } else {
        format!(
            " Parallelised code (serving CPU p95 above {} per process): {}; confirm with \
             their publishers, they are sized from their measured CPU.",
            crate::format::cores(threshold),
            names.join(", ")
        )
    }
}

fn load(r: &Report) -> Answer {
    let (Some(c), Some(d)) = (&r.concurrency, &r.daily) else {
        let measured = r.processes.as_ref().and_then(|p| p.measured.as_ref());
        let text = match measured.filter(|_| r.without_usage()) {
            Some(m) => format!(
                "No usage export, so no sessions: measured from jobs, {} interactive \
                 processes on average and {} at peak (p95 {}).",
                or_dash(m.average, |v| short(v, 1)),
                count(m.peak),
                or_dash(m.p95, count)
            ),
            None => "Not available: no sessions in the window.".to_string(),
        };
        return answer(
            5,
            "load",
            "What is the load on average and at peak, and how regularly does the peak occur?",
            text,
            vec![],
        );
    };
    let s = &c.sessions;
    let days = d.summary.count;
    let near = d.summary.at_or_above_90pct_of_peak;
    let regular = if days > 0 && near * 10 >= days {
        "the peak is regular"
    } else if near <= 2 {
        "the peak is rare (size for it only if those moments matter; see --design-peak)"
    } else {
        "the peak is occasional"
    };
    let busiest = r
        .hour_of_week
        .as_ref()
        .and_then(|h| h.sessions.busiest.as_ref())
        .map(|b| {
            const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let day = DAYS
                .get(usize::from(b.weekday.saturating_sub(1)))
                .unwrap_or(&"?");
            format!(
                " The busiest hour of the week is {day} {:02}:00 ({}), {} sessions on average at its peak.",
                b.hour,
                r.assumptions.tz,
                short(b.mean_peak, 1)
            )
        })
        .unwrap_or_default();
    let text = format!(
        "On average {} concurrent sessions ({} users); the peak is {} sessions ({} users). \
         Daily peaks: median {}, p95 {}. {} of {} days reached 90 % of the peak, so {regular}.{busiest}",
        short(s.average.unwrap_or(0.0), 1),
        short(c.users.average.unwrap_or(0.0), 1),
        count(s.peak),
        count(c.users.peak),
        short(d.summary.peak_p50.unwrap_or(0.0), 1),
        short(d.summary.peak_p95.unwrap_or(0.0), 1),
        count(near),
        count(days),
    );
    answer(
        5,
        "load",
        "What is the load on average and at peak, and how regularly does the peak occur?",
        text,
        vec![
            ("average_sessions", json!(s.average)),
            ("peak_sessions", json!(s.peak)),
            ("peak_at", json!(s.peak_at)),
            ("average_users", json!(c.users.average)),
            ("peak_users", json!(c.users.peak)),
            ("daily_peak_p50", json!(d.summary.peak_p50)),
            ("daily_peak_p95", json!(d.summary.peak_p95)),
            ("days", json!(days)),
            ("days_at_or_above_90pct_of_peak", json!(near)),
        ],
    )
}

fn history(r: &Report) -> Answer {
    let g = &r.growth;
    let fit_text =
        |f: &crate::model::usage::growth::GrowthFit| match (f.rate_per_month, f.r_squared) {
            (Some(m), Some(r2)) => format!(
                "{} changes {} per month (R² {}, {} full months)",
                f.metric,
                signed_percent(m, 1),
                fixed(r2, 2),
                count(f.months_used.len())
            ),
            _ => format!("{}: no trend (needs 3 full months with activity)", f.metric),
        };
    let evolving = r
        .sizing
        .as_ref()
        .filter(|z| z.buffer_terms.evolving > 0.0)
        .map(|z| {
            format!(
                " The workflow is still evolving ({}): the sizes carry the {} evolving-workflow buffer.",
                z.buffer_terms.evolving_because.as_deref().unwrap_or(""),
                percent(z.buffer_terms.evolving, 0)
            )
        });
    let stable = match (evolving, g.sessions_p95.rate_per_month) {
        (Some(e), _) => e,
        (None, Some(m)) if m < 0.0 => " The workload is shrinking.".to_string(),
        (None, Some(_)) => " The workload is stable enough for the base buffer alone.".to_string(),
        (None, None) => String::new(),
    };
    let text = if r.without_usage() {
        "Not available: no usage export, so no monthly history of sessions or active users \
         to fit a growth rate on."
            .to_string()
    } else {
        format!(
            "{}; {}.{stable}",
            fit_text(&g.sessions_p95),
            fit_text(&g.active_users)
        )
    };
    answer(
        6,
        "history",
        "What do historical metrics show (growth, stability)?",
        text,
        vec![
            (
                "sessions_p95_rate_per_month",
                json!(g.sessions_p95.rate_per_month),
            ),
            ("sessions_p95_r_squared", json!(g.sessions_p95.r_squared)),
            (
                "active_users_rate_per_month",
                json!(g.active_users.rate_per_month),
            ),
            ("months_used", json!(g.sessions_p95.months_used)),
        ],
    )
}
