//! The report as a [`Document`]: the sections the terminal, Markdown and HTML renderers
//! share, in the order a manager reads them (the answer first, then the evidence). Only
//! wording and layout happen here: every figure comes from the [`Report`] and is written by
//! [`crate::format`]. The usage sections are here, the capacity ones in
//! `document_capacity.rs`, the inputs in `document_inputs.rs`.

use chrono_tz::Tz;

use super::document_capacity::{options, people, processes, review, sizing};
use super::document_inputs::inputs;
use super::markup::{
    arch_name, nodes, Block, Callout, Chart, ChartKind, Document, Figure, Section, Span, Table,
};
use crate::format::{
    cores, count, counted, days, duration, fixed, gib, local_time, or_dash, signed_percent, MISSING,
};
use crate::model::wire::{PeriodSummary, Stats};
use crate::model::Report;

/// Builds the shared document.
pub fn document(r: &Report) -> Document {
    let tz: Tz = r.assumptions.tz.parse().unwrap_or(Tz::UTC);
    let mut sections = vec![summary(r, tz), questions(r)];
    sections.extend(concurrency(r, tz));
    sections.extend(hour_of_week(r));
    sections.extend(regularity(r));
    sections.push(if r.without_usage() {
        no_usage()
    } else {
        content(r)
    });
    sections.extend(growth(r));
    sections.extend(super::document_chronicle::chronicle(r));
    sections.extend(processes(r, tz));
    sections.extend(super::document_footprints::footprints(r));
    sections.extend(sizing(r));
    sections.extend(options(r));
    sections.extend(review(r));
    sections.push(people(r));
    sections.push(inputs(r));
    Document {
        title: "Posit Connect capacity report".into(),
        meta: meta(r, tz),
        sections,
    }
}

/// The lines under the title.
fn meta(r: &Report, tz: Tz) -> Vec<String> {
    let what = if r.without_usage() { "Jobs" } else { "Usage" };
    let window = match &r.window {
        Some(w) => format!(
            "{what} from {} to {} ({}); times in {}.",
            local_time(Some(w.start), tz),
            local_time(Some(w.end), tz),
            days(w.days, 0),
            r.assumptions.tz
        ),
        None => "No sessions or visits in the inputs: nothing to analyse.".into(),
    };
    let read = if r.without_usage() {
        format!(
            "{} jobs and no Shiny sessions or visits",
            count(r.jobs.as_ref().map_or(0, |j| j.rows))
        )
    } else {
        format!(
            "{} Shiny sessions and {} visits",
            count(r.sessions.count),
            count(r.visits.count)
        )
    };
    let mut lines = vec![
        window,
        format!(
            "{read} from {}, analysed by {} {}.",
            counted(r.inputs.files.len(), "export file", "export files"),
            r.tool.name,
            r.tool.version
        ),
    ];
    lines.extend(r.warnings.iter().map(|w| format!("Warning: {w}")));
    lines
}

/// Key figures and the recommendation.
fn summary(r: &Report, tz: Tz) -> Section {
    let mut figures = Vec::new();
    if let Some(rec) = &r.recommendation {
        let d = &rec.decision;
        figures.push(Figure {
            label: "Recommended".into(),
            value: format!(
                "{}, {}",
                cores(d.node.cores as f64),
                gib(d.node.ram_gib as f64)
            ),
            note: format!("{}: {}", arch_name(d.architecture), nodes(d.nodes)),
        });
    }
    if let Some(c) = &r.concurrency {
        figures.push(Figure {
            label: "Peak concurrent sessions".into(),
            value: count(c.sessions.peak),
            note: format!(
                "on {}; {} on average",
                local_time(c.sessions.peak_at, tz),
                or_dash(c.sessions.average, |v| fixed(v, 1))
            ),
        });
        figures.push(Figure {
            label: "Peak concurrent users".into(),
            value: count(c.users.peak),
            note: format!("{} distinct named users in all", count(r.people.consumers)),
        });
    }
    figures.extend(r.processes.as_ref().and_then(peak_processes));
    if let Some(m) = r.growth.sessions_p95.rate_per_month {
        figures.push(Figure {
            label: "Growth".into(),
            value: format!("{}/month", signed_percent(m, 1)),
            note: format!(
                "p95 concurrent sessions, R² {}",
                or_dash(r.growth.sessions_p95.r_squared, |v| fixed(v, 2))
            ),
        });
    }
    let mut blocks = vec![Block::Figures(figures)];
    blocks.extend(recommendation(r));
    Section {
        id: "summary",
        title: "Summary".into(),
        blocks,
    }
}

/// The peak processes figure: modelled (with the measured peak beside it), or without
/// usage the measured one alone.
fn peak_processes(p: &crate::model::capacity::Processes) -> Option<Figure> {
    let measured = p.measured.as_ref();
    let Some(e) = &p.estimated else {
        return measured.map(|m| Figure {
            label: "Peak processes".into(),
            value: count(m.peak),
            note: "measured from jobs, interactive at once (no usage export: no model)".into(),
        });
    };
    let measured = measured
        .map(|m| format!("; measured from jobs: {}", count(m.peak)))
        .unwrap_or_default();
    Some(Figure {
        label: "Peak processes".into(),
        value: count(e.peak),
        note: format!("modelled, alive at once{measured}"),
    })
}

/// Without usage: what the usage sections would show, and why they do not.
fn no_usage() -> Section {
    Section {
        id: "content",
        title: "Usage".into(),
        blocks: vec![Block::Para(vec![Span::Text(
            "No data: the inputs hold no Shiny usage or visits export, so there are no \
             sessions, users, per-content usage or growth to report. The processes and \
             sizes below come from the jobs export."
                .into(),
        )])],
    }
}

/// The recommendation box.
fn recommendation(r: &Report) -> Option<Block> {
    let rec = r.recommendation.as_ref()?;
    let d = &rec.decision;
    let spare = if d.spare_nodes > 0 {
        " (one of them spare, so a node can fail)"
    } else {
        ""
    };
    let mut blocks = vec![
        Block::Heading("Because".into()),
        Block::List(d.reasons.clone()),
        Block::Heading("It needs".into()),
        Block::List(d.needs.clone()),
    ];
    if !d.considerations.is_empty() {
        blocks.push(Block::Heading("Also consider".into()));
        blocks.push(Block::List(d.considerations.clone()));
    }
    let scaled = r
        .sizing
        .as_ref()
        .and_then(|z| z.scaled.as_ref())
        .zip(rec.scaled.as_ref());
    if let Some((z, sc)) = scaled {
        let tail = vec![
            Span::Text(format!(
                "With {} times the {} (the scaled scenario): ",
                fixed(z.k, 1),
                if r.without_usage() {
                    "measured processes"
                } else {
                    "sessions"
                }
            )),
            Span::Strong(format!(
                "{}, {} of {} and {}.",
                arch_name(sc.architecture),
                nodes(sc.nodes),
                cores(sc.node.cores as f64),
                gib(sc.node.ram_gib as f64)
            )),
        ];
        blocks.push(Block::Para(tail));
    }
    Some(Block::Callout(Callout {
        title: format!(
            "Recommendation: {}, {} of {} and {}{spare}",
            arch_name(d.architecture),
            nodes(d.nodes),
            cores(d.node.cores as f64),
            gib(d.node.ram_gib as f64)
        ),
        blocks,
    }))
}

/// The six questions and their answers.
fn questions(r: &Report) -> Section {
    let mut blocks = Vec::new();
    for q in &r.questions {
        blocks.push(Block::Heading(format!("{}. {}", q.number, q.question)));
        blocks.push(Block::Para(vec![Span::Text(q.answer.clone())]));
    }
    Section {
        id: "questions",
        title: "The six questions of Posit's scaling guidance".into(),
        blocks,
    }
}

/// A statistics row.
fn stats_row(name: &str, s: &Stats, tz: Tz) -> Vec<String> {
    vec![
        name.to_string(),
        count(s.peak),
        local_time(s.peak_at, tz),
        or_dash(s.average, |v| fixed(v, 1)),
        or_dash(s.p50, count),
        or_dash(s.p95, count),
        or_dash(s.p99, count),
    ]
}

/// Concurrency over time.
fn concurrency(r: &Report, tz: Tz) -> Option<Section> {
    let c = r.concurrency.as_ref()?;
    let mut t = Table::numeric(&[
        "concurrent",
        "peak",
        "peak at",
        "average",
        "p50",
        "p95",
        "p99",
    ])
    .align(2, false);
    t.row(stats_row("sessions", &c.sessions, tz));
    t.row(stats_row("users", &c.users, tz));
    if let Some(e) = r.processes.as_ref().and_then(|p| p.estimated.as_ref()) {
        t.row(vec![
            "processes (modelled, alive)".into(),
            count(e.peak),
            local_time(e.peak_at, tz),
            or_dash(e.average, |v| fixed(v, 1)),
            MISSING.into(),
            or_dash(e.p95, count),
            MISSING.into(),
        ]);
    }
    Some(Section {
        id: "concurrency",
        title: "Concurrency over time".into(),
        blocks: vec![
            Block::Chart(Chart {
                kind: ChartKind::Concurrency,
                caption: "Each day's highest number at one instant (line) and its time-weighted \
                          average (area). Sessions and users are exact, from an event sweep; \
                          processes come from the scheduler model."
                    .into(),
            }),
            Block::Table(t),
            Block::Note(
                "pXX: the level not exceeded XX % of the time. Users: distinct users at once \
                 (each anonymous session counts as its own user)."
                    .into(),
            ),
        ],
    })
}

/// Weekday names, Monday first.
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The hour-of-week heat map.
fn hour_of_week(r: &Report) -> Option<Section> {
    let h = r.hour_of_week.as_ref()?;
    let b = h.sessions.busiest.as_ref()?;
    let day = WEEKDAYS
        .get(usize::from(b.weekday.saturating_sub(1)))
        .unwrap_or(&"?");
    Some(Section {
        id: "hour-of-week",
        title: "When the load comes".into(),
        blocks: vec![
            Block::Chart(Chart {
                kind: ChartKind::HourOfWeek,
                caption: "For each hour of the week, the highest number of concurrent sessions \
                          in that hour, averaged over the weeks of the window."
                    .into(),
            }),
            Block::Para(vec![
                Span::Text("The busiest hour of the week is ".into()),
                Span::Strong(format!(
                    "{day} {:02}:00–{:02}:00 ({})",
                    b.hour,
                    b.hour + 1,
                    r.assumptions.tz
                )),
                Span::Text(format!(
                    ", with {} concurrent sessions at its peak on average.",
                    fixed(b.mean_peak, 1)
                )),
            ]),
        ],
    })
}

/// A row of the regularity table.
fn period_row(series: &str, name: &str, p: &Option<PeriodSummary>) -> Option<Vec<String>> {
    let p = p.as_ref()?;
    let s = &p.summary;
    Some(vec![
        series.to_string(),
        name.to_string(),
        count(s.count),
        or_dash(s.peak_p50, |v| fixed(v, 1)),
        or_dash(s.peak_p95, |v| fixed(v, 1)),
        or_dash(s.peak_max, count),
        or_dash(s.average_p50, |v| fixed(v, 1)),
        or_dash(s.average_max, |v| fixed(v, 1)),
        count(s.at_or_above_90pct_of_peak),
    ])
}

/// How regularly the peak occurs.
fn regularity(r: &Report) -> Option<Section> {
    r.daily.as_ref()?;
    let mut t = Table::numeric(&[
        "concurrent",
        "period",
        "periods",
        "peak p50",
        "peak p95",
        "peak max",
        "average p50",
        "average max",
        "at ≥ 90 % of peak",
    ])
    .align(1, false);
    for (series, name, p) in [
        ("sessions", "days", &r.daily),
        ("sessions", "weeks", &r.weekly),
        ("sessions", "months", &r.monthly),
        ("users", "days", &r.daily_users),
        ("users", "weeks", &r.weekly_users),
        ("users", "months", &r.monthly_users),
    ] {
        if let Some(row) = period_row(series, name, p) {
            t.row(row);
        }
    }
    let answer = r
        .questions
        .iter()
        .find(|q| q.key == "load")
        .map(|q| Block::Para(vec![Span::Text(q.answer.clone())]));
    let mut blocks = vec![Block::Chart(Chart {
        kind: ChartKind::DailyPeaks,
        caption: "How many days reached each daily peak. Days right of the dashed line came \
                  within 10 % of the highest peak of the window."
            .into(),
    })];
    blocks.extend(answer);
    blocks.push(Block::Table(t));
    blocks.push(Block::Note(
        "Per calendar period: its peak and time-weighted average; p50, p95 and max over the \
         periods; the last column counts periods whose peak reached 90 % of the overall peak."
            .into(),
    ));
    Some(Section {
        id: "regularity",
        title: "How regularly the peak occurs".into(),
        blocks,
    })
}

/// Per-content figures.
fn content(r: &Report) -> Section {
    let mut t = Table::numeric(&[
        "content",
        "type",
        "sessions",
        "users",
        "peak",
        "average",
        "median duration",
        "p95 duration",
        "visits",
    ])
    .align(1, false);
    for c in &r.content {
        let name = match (&c.title, c.deleted) {
            (Some(title), _) => title.clone(),
            (None, true) => format!("[deleted] {}", c.guid),
            (None, false) => c.guid.clone(),
        };
        t.row(vec![
            name,
            c.app_mode.clone().unwrap_or_else(|| MISSING.into()),
            count(c.sessions),
            count(c.users),
            count(c.peak_sessions),
            or_dash(c.average_sessions, |v| fixed(v, 1)),
            or_dash(c.duration_median_s, duration),
            or_dash(c.duration_p95_s, duration),
            count(c.visits),
        ]);
    }
    let mut blocks = Vec::new();
    if r.concurrency.is_some() {
        blocks.push(Block::Chart(Chart {
            kind: ChartKind::TopContent,
            caption: "The content items with the most concurrent sessions at one instant.".into(),
        }));
    }
    blocks.push(Block::Table(t));
    blocks.push(Block::Note(
        "By peak concurrent sessions. Peak and average: concurrent sessions of the item; \
         visits: page views of static and rendered content and API requests."
            .into(),
    ));
    Section {
        id: "content",
        title: "Content".into(),
        blocks,
    }
}

/// Monthly history and growth.
fn growth(r: &Report) -> Option<Section> {
    if r.months.is_empty() {
        return None;
    }
    let mut t = Table::numeric(&[
        "month",
        "sessions",
        "visits",
        "active users",
        "peak",
        "p95",
        "average",
    ]);
    for m in &r.months {
        let label = if m.full {
            m.month.clone()
        } else {
            format!("{} (partial)", m.month)
        };
        t.row(vec![
            label,
            count(m.sessions),
            count(m.visits),
            count(m.active_users),
            count(m.peak),
            or_dash(m.p95, count),
            fixed(m.average, 1),
        ]);
    }
    let fits: Vec<String> = [&r.growth.sessions_p95, &r.growth.active_users]
        .iter()
        .map(|f| match (f.rate_per_month, f.rate_per_year, f.r_squared) {
            (Some(m), Some(y), Some(r2)) => format!(
                "{}: {} per month ({} per year), R² {}, over {} full months",
                f.metric,
                signed_percent(m, 1),
                signed_percent(y, 1),
                fixed(r2, 2),
                count(f.months_used.len())
            ),
            _ => format!("{}: no trend (needs 3 full months with activity)", f.metric),
        })
        .collect();
    Some(Section {
        id: "growth",
        title: "History and growth".into(),
        blocks: vec![
            Block::Chart(Chart {
                kind: ChartKind::Growth,
                caption: "Monthly 95th percentile of concurrent sessions; the line is a \
                          log-linear fit over full months, dashed where it is projected ahead."
                    .into(),
            }),
            Block::List(fits),
            Block::Table(t),
        ],
    })
}
