//! The capacity half of the shared [`Document`](super::markup::Document): processes
//! (modelled and measured), sizing (scenarios, utilisation of today's server, buffer,
//! per-process resources), the architecture options, settings to review and people (the
//! inputs section is in `document_inputs.rs`). Figures are written by [`crate::format`].

use chrono_tz::Tz;

use super::markup::{arch_name, Block, Chart, ChartKind, Section, Span, Table};
use crate::format::{
    cores, count, fixed, gib, local_time, or_dash, percent, short, signed_percent, MISSING,
};
use crate::model::capacity::processes::SettingsSource;
use crate::model::capacity::sizing::Buffer;
use crate::model::capacity::{
    DesignPeak, Estimated, MeasuredProcesses, Processes, Scenario, Sizing,
};
use crate::model::over_time::trend::Utilisation;
use crate::model::Report;

/// A readable settings source.
fn source(s: SettingsSource) -> &'static str {
    match s {
        SettingsSource::ServerDefault => "server default",
        SettingsSource::ContentExport => "content export",
        SettingsSource::Config => "config",
    }
}

/// Modelled and measured processes.
pub fn processes(r: &Report, tz: Tz) -> Option<Section> {
    let p = r.processes.as_ref()?;
    let mut blocks = vec![
        Block::Table(process_table(p, tz)),
        Block::List(process_notes(p)),
    ];
    if let Some(e) = &p.estimated {
        blocks.push(Block::Heading("Per content item".into()));
        blocks.push(Block::Table(per_content(e)));
        blocks.extend(api_blocks(e));
    }
    blocks.push(Block::Note(p.model.clone()));
    Some(Section {
        id: "processes",
        title: "Processes".into(),
        blocks,
    })
}

/// Peak, time and levels of modelled processes (alive, serving) and measured ones (per
/// job class).
fn process_table(p: &Processes, tz: Tz) -> Table {
    let mut t = Table::numeric(&["processes", "peak", "peak at", "average", "p95", "rejected"])
        .align(2, false);
    if let Some(e) = &p.estimated {
        modelled_rows(&mut t, e, tz);
    }
    if let Some(m) = &p.measured {
        measured_rows(&mut t, m, tz);
    }
    t
}

/// The modelled rows: alive processes, then those serving a connection.
fn modelled_rows(t: &mut Table, e: &Estimated, tz: Tz) {
    t.row(vec![
        "modelled, alive".into(),
        count(e.peak),
        local_time(e.peak_at, tz),
        or_dash(e.average, |v| fixed(v, 1)),
        or_dash(e.p95, count),
        count(e.rejected),
    ]);
    t.row(vec![
        "modelled, serving a connection".into(),
        count(e.active.peak),
        local_time(e.active.peak_at, tz),
        or_dash(e.active.average, |v| fixed(v, 1)),
        or_dash(e.active.p95, count),
        String::new(),
    ]);
}

/// The measured rows: interactive jobs, then each other job class that ran.
fn measured_rows(t: &mut Table, m: &MeasuredProcesses, tz: Tz) {
    t.row(vec![
        "measured (interactive jobs)".into(),
        count(m.peak),
        local_time(m.peak_at, tz),
        or_dash(m.average, |v| fixed(v, 1)),
        or_dash(m.p95, count),
        String::new(),
    ]);
    for (class, s) in &m.detail.by_class {
        if s.jobs > 0 && class != "interactive" {
            t.row(vec![
                format!("measured {class} jobs"),
                count(s.peak),
                local_time(s.peak_at, tz),
                or_dash(s.average, |v| fixed(v, 1)),
                or_dash(s.p95, count),
                String::new(),
            ]);
        }
    }
}

/// Renders, warm processes and the model against the measurement.
fn process_notes(p: &Processes) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(m) = &p.measured {
        let d = &m.detail;
        notes.push(format!(
            "Renders: at most {} at once, {} render hours per day on average; {} jobs ran \
             off the Connect host (not sized).",
            count(d.render_peak),
            fixed(d.render_hours_per_day_avg.unwrap_or(0.0), 2),
            count(d.off_host_jobs)
        ));
    }
    if let Some(e) = p.estimated.as_ref().filter(|e| e.warm_processes > 0) {
        notes.push(format!(
            "{} processes are kept warm by min_processes and hold {} GiB all the time.",
            count(e.warm_processes),
            fixed(e.warm_memory_gib, 1)
        ));
    }
    if let Some(c) = &p.model_vs_measured {
        notes.push(format!(
            "Model against measurement: peak {} modelled vs {} measured, p95 {} vs {}; the \
             sizes are multiplied by the calibration factor {}.",
            count(c.overall.modelled_peak),
            count(c.overall.measured_peak),
            or_dash(c.overall.modelled_p95, count),
            or_dash(c.overall.measured_p95, count),
            or_dash(c.calibration_factor, |f| fixed(f, 2))
        ));
    }
    notes
}

/// One row per content item holding processes: its settings and modelled figures.
fn per_content(e: &Estimated) -> Table {
    let mut items = Table::numeric(&[
        "content",
        "type",
        "max processes",
        "max connections",
        "new process at",
        "peak",
        "p95",
        "serving",
        "rejected",
        "settings from",
    ])
    .align(1, false)
    .align(9, false);
    for c in &e.content {
        items.row(vec![
            c.title.clone().unwrap_or_else(|| c.guid.clone()),
            c.app_mode.clone().unwrap_or_else(|| MISSING.into()),
            count(c.settings.max_processes),
            count(c.settings.max_conns_per_process),
            count(c.threshold),
            count(c.peak),
            or_dash(c.p95, count),
            count(c.peak_active),
            count(c.rejected),
            source(c.settings_source).into(),
        ]);
    }
    items
}

/// APIs record requests, not sessions: what their processes rest on, and their busiest
/// minute each (nothing when there are none).
fn api_blocks(e: &Estimated) -> Vec<Block> {
    let apis: Vec<String> = e
        .content
        .iter()
        .filter_map(|c| {
            c.api_peak_requests_per_minute.map(|n| {
                format!(
                    "{}: at most {} requests in one minute",
                    c.title.clone().unwrap_or_else(|| c.guid.clone()),
                    count(n)
                )
            })
        })
        .collect();
    if apis.is_empty() {
        return Vec::new();
    }
    let why = if e.apis_from_jobs > 0 {
        "APIs record requests, not sessions: their processes are the ones the jobs export \
         measured."
    } else {
        "APIs record requests, not sessions: without a jobs export they hold only their \
         min_processes."
    };
    vec![Block::Para(vec![Span::Text(why.into())]), Block::List(apis)]
}

/// The label of a scenario.
fn scenario_name(s: &Scenario) -> String {
    match (s.name.as_str(), s.horizon_months, s.rate_per_month) {
        ("projected", Some(h), Some(rate)) => {
            format!(
                "projected: {} months at {}/month",
                fixed(h, 0),
                signed_percent(rate, 1)
            )
        }
        ("scaled", _, _) if s.sessions.is_none() => {
            format!("scaled: measured processes x {}", fixed(s.k, 1))
        }
        ("scaled", _, _) => format!("scaled: sessions x {}", fixed(s.k, 1)),
        ("now", _, _) => "now: the window as it was".into(),
        (name, _, _) => name.to_string(),
    }
}

/// Sizes of the scenarios and what they rest on.
pub fn sizing(r: &Report) -> Option<Section> {
    let z = r.sizing.as_ref()?;
    Some(Section {
        id: "sizing",
        title: "Sizing".into(),
        blocks: vec![
            Block::Chart(Chart {
                kind: ChartKind::Sizing,
                caption: "CPU cores and RAM each scenario needs, buffer included; the dashed \
                          line is the recommended node."
                    .into(),
            }),
            Block::Table(scenario_table(z)),
            Block::List(
                r.utilisation
                    .iter()
                    .map(utilisation_line)
                    .chain(sizing_notes(z))
                    .collect(),
            ),
            Block::Heading("Per-process resources".into()),
            Block::Table(resource_table(z)),
            Block::Note(z.storage_and_database.clone()),
        ],
    })
}

/// Utilisation of today's server as one sentence: in the sizing section of `analyze`
/// and in the notes of `trend`.
pub fn utilisation_line(u: &Utilisation) -> String {
    let mut s = format!(
        "Utilisation of today's server: {} ({} of {} cores, {} of {} GiB RAM; limited by {})",
        percent(u.utilisation, 0),
        count(u.cores_needed),
        or_dash(u.capacity_cores, count),
        count(u.ram_gib_needed),
        or_dash(u.capacity_ram_gib, |g| short(g, 2)),
        u.limited_by
    );
    if let Some(a) = u.alert_at {
        s.push_str(&format!(
            "; alert threshold {}{}",
            percent(a, 0),
            if u.alert { ": REACHED" } else { "" }
        ));
    }
    s
}

/// One row per scenario: now, projected and scaled (those computed).
fn scenario_table(z: &Sizing) -> Table {
    let mut t = Table::numeric(&[
        "scenario",
        "sessions",
        "peak sessions",
        "design processes",
        "serving",
        "cores",
        "RAM GiB",
        "node",
        "rejected",
    ])
    .align(7, false);
    let mut scenarios = vec![&z.now];
    scenarios.extend(z.projected.as_ref());
    scenarios.extend(z.scaled.as_ref());
    for s in scenarios {
        t.row(vec![
            scenario_name(s),
            or_dash(s.sessions, count),
            or_dash(s.peak_sessions, count),
            fixed(s.size.design_processes, 1),
            fixed(s.size.design_active_processes, 1),
            count(s.size.cores),
            count(s.size.ram_gib),
            format!(
                "{} / {}",
                cores(s.size.node.cores as f64),
                gib(s.size.node.ram_gib as f64)
            ),
            or_dash(s.rejected, count),
        ]);
        if let Some(d) = &s.daily_p95 {
            let mut row = vec![String::new(); 9];
            row[0] = format!("{}, daily-p95 design", s.name);
            row[5] = count(d.cores);
            row[6] = count(d.ram_gib);
            row[7] = format!("exceeded on {} days", count(d.days_exceeded));
            t.row(row);
        }
    }
    t
}

/// The buffer and its terms, the formulas, the design peak and the calibration.
fn sizing_notes(z: &Sizing) -> Vec<String> {
    let c = &z.constants;
    let mut notes = vec![
        buffer_note(&z.buffer_terms),
        format!(
            "Cores = ceil(peak serving cores x (1 + buffer)) + {} for Connect; RAM = ceil((peak \
             alive memory + {} for Connect and the OS) x (1 + buffer)).",
            count(c.connect_cores),
            gib(c.connect_os_ram_gib)
        ),
        format!(
            "Sized for the {} peak.",
            match z.design_peak {
                DesignPeak::Max => "absolute",
                DesignPeak::DailyP95 => "95th percentile daily",
            }
        ),
    ];
    if let Some(f) = z.calibration_factor {
        notes.push(format!(
            "Every scenario is multiplied by {}, the measured/modelled calibration factor.",
            fixed(f, 2)
        ));
    }
    if z.now.sessions.is_none() {
        notes.push(format!("{}.", crate::model::capacity::JOBS_ONLY_NOTE));
    }
    if z.projected.is_none() {
        notes.push("Projected: not available (no growth fit: needs 3 full months).".into());
    }
    notes
}

/// `Buffer 45 %: 35 % base, +10 % uptime (...)`.
fn buffer_note(b: &Buffer) -> String {
    let mut terms = vec![format!("{} base", percent(b.base, 0))];
    if b.evolving > 0.0 {
        terms.push(format!(
            "+{} evolving workflow ({})",
            percent(b.evolving, 0),
            b.evolving_because.as_deref().unwrap_or("")
        ));
    }
    if b.uptime > 0.0 {
        terms.push(format!(
            "+{} uptime ({})",
            percent(b.uptime, 0),
            b.uptime_because.as_deref().unwrap_or("")
        ));
    }
    format!("Buffer {}: {}.", percent(b.total, 0), terms.join(", "))
}

/// Per-process cores and memory by type, with where each figure comes from.
fn resource_table(z: &Sizing) -> Table {
    let mut res = Table::numeric(&[
        "per process",
        "content items",
        "cores",
        "memory GiB",
        "source",
    ])
    .align(4, false);
    for l in &z.resources {
        res.row(vec![
            l.app_mode.clone(),
            count(l.content),
            fixed(l.cpu, 2),
            fixed(l.memory_gib, 2),
            l.source.clone(),
        ]);
    }
    res
}

/// Pros and cons of the three options.
pub fn options(r: &Report) -> Option<Section> {
    let rec = r.recommendation.as_ref()?;
    let mut t = Table::text(&["option", "pros", "cons", "fit for this team"]);
    for o in &rec.options {
        t.row(vec![
            arch_name(o.architecture).into(),
            bullets(&o.pros),
            bullets(&o.cons),
            o.fits.clone(),
        ]);
    }
    Some(Section {
        id: "options",
        title: "Architecture options for this team".into(),
        blocks: vec![Block::Table(t)],
    })
}

/// One `• item` line per entry.
fn bullets(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("• {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Scheduler settings worth a look.
pub fn review(r: &Report) -> Option<Section> {
    let rec = r.recommendation.as_ref()?;
    let blocks = if rec.settings_to_review.is_empty() {
        vec![Block::Para(vec![Span::Text(
            "Nothing to review: no rejected sessions, no warm process idle most of the time."
                .into(),
        )])]
    } else {
        let mut t = Table::text(&["content", "setting", "suggestion", "because"]);
        for l in &rec.settings_to_review {
            t.row(vec![
                l.title.clone().unwrap_or_else(|| l.guid.clone()),
                l.setting.clone(),
                l.suggestion.clone(),
                l.because.clone(),
            ]);
        }
        vec![Block::Table(t)]
    };
    Some(Section {
        id: "review",
        title: "Scheduler settings to review".into(),
        blocks,
    })
}

/// Publishers, consumers and content types.
pub fn people(r: &Report) -> Section {
    let p = &r.people;
    let mut lines = vec![
        format!(
            "Publishers: {} ({}).",
            or_dash(p.publishers, count),
            p.publishers_source
        ),
        if r.without_usage() {
            "Consumers (distinct named users with a session or visit): no data, no usage \
             export."
                .into()
        } else {
            format!(
                "Consumers (distinct named users with a session or visit): {}.",
                count(p.consumers)
            )
        },
    ];
    if !p.by_role.is_empty() {
        let roles: Vec<String> = p
            .by_role
            .iter()
            .map(|(k, v)| format!("{k} {}", count(*v)))
            .collect();
        lines.push(format!("Unlocked users by role: {}.", roles.join(", ")));
    }
    // Keyed `1d`, `7d`, `30d`, `365d`: shown shortest period first, not as text sorts.
    let mut periods: Vec<_> = p.active_last.iter().collect();
    periods.sort_by_key(|(k, _)| k.trim_end_matches('d').parse::<u32>().unwrap_or(u32::MAX));
    let active: Vec<String> = periods
        .iter()
        .map(|(k, v)| format!("{k}: {}", count(**v)))
        .collect();
    if !active.is_empty() {
        lines.push(format!(
            "Named users active in the last {}.",
            active.join(", ")
        ));
    }
    let mut t = Table::numeric(&["type (app_mode)", "content items", "sessions", "visits"]);
    for c in &r.content_types {
        t.row(vec![
            c.app_mode.clone(),
            count(c.content),
            count(c.sessions),
            count(c.visits),
        ]);
    }
    Section {
        id: "people",
        title: "Publishers, consumers and content types".into(),
        blocks: vec![Block::List(lines), Block::Table(t)],
    }
}
