//! The capacity half of the shared [`Document`](super::markup::Document): processes,
//! sizing, the architecture options, settings to review, people and the inputs.

use chrono_tz::Tz;

use super::markup::{
    arch_name, count, dec1, int, local, Block, Chart, ChartKind, Section, Span, Table,
};
use crate::model::capacity::processes::SettingsSource;
use crate::model::capacity::{DesignPeak, Scenario};
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
    let e = &p.estimated;
    let mut t = Table::numeric(&["processes", "peak", "peak at", "average", "p95", "rejected"])
        .align(2, false);
    t.row(vec![
        "modelled, alive".into(),
        e.peak.to_string(),
        local(e.peak_at, tz),
        dec1(e.average),
        int(e.p95),
        count(e.rejected),
    ]);
    t.row(vec![
        "modelled, serving a connection".into(),
        e.active.peak.to_string(),
        local(e.active.peak_at, tz),
        dec1(e.active.average),
        int(e.active.p95),
        String::new(),
    ]);
    let mut notes = Vec::new();
    if let Some(m) = &p.measured {
        t.row(vec![
            "measured (interactive jobs)".into(),
            m.peak.to_string(),
            local(m.peak_at, tz),
            dec1(m.average),
            int(m.p95),
            String::new(),
        ]);
        for (class, s) in &m.detail.by_class {
            if s.jobs > 0 && class != "interactive" {
                t.row(vec![
                    format!("measured {class} jobs"),
                    s.peak.to_string(),
                    local(s.peak_at, tz),
                    dec1(s.average),
                    int(s.p95),
                    String::new(),
                ]);
            }
        }
        let d = &m.detail;
        notes.push(format!(
            "Renders: at most {} at once, {:.2} render hours per day on average; {} jobs ran \
             off the Connect host (not sized).",
            d.render_peak,
            d.render_hours_per_day_avg.unwrap_or(0.0),
            count(d.off_host_jobs)
        ));
    }
    if e.warm_processes > 0 {
        notes.push(format!(
            "{} processes are kept warm by min_processes and hold {:.1} GiB all the time.",
            e.warm_processes, e.warm_memory_gib
        ));
    }
    if let Some(c) = &p.model_vs_measured {
        notes.push(format!(
            "Model against measurement: peak {} modelled vs {} measured, p95 {} vs {}; the \
             sizes are multiplied by the calibration factor {}.",
            c.overall.modelled_peak,
            c.overall.measured_peak,
            int(c.overall.modelled_p95),
            int(c.overall.measured_p95),
            c.calibration_factor
                .map_or("-".into(), |f| format!("{f:.2}"))
        ));
    }
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
            c.app_mode.clone().unwrap_or_else(|| "-".into()),
            c.settings.max_processes.to_string(),
            c.settings.max_conns_per_process.to_string(),
            c.threshold.to_string(),
            c.peak.to_string(),
            int(c.p95),
            c.peak_active.to_string(),
            count(c.rejected),
            source(c.settings_source).into(),
        ]);
    }
    let apis: Vec<String> = e
        .content
        .iter()
        .filter_map(|c| {
            c.api_peak_requests_per_minute.map(|n| {
                format!(
                    "{}: at most {n} requests in one minute",
                    c.title.clone().unwrap_or_else(|| c.guid.clone())
                )
            })
        })
        .collect();
    let mut blocks = vec![Block::Table(t), Block::List(notes)];
    blocks.push(Block::Heading("Per content item".into()));
    blocks.push(Block::Table(items));
    if !apis.is_empty() {
        blocks.push(Block::Para(vec![Span::Text(
            if p.estimated.apis_from_jobs > 0 {
                "APIs record requests, not sessions: their processes are the ones the jobs \
                 export measured."
            } else {
                "APIs record requests, not sessions: without a jobs export they hold only \
                 their min_processes."
            }
            .into(),
        )]));
        blocks.push(Block::List(apis));
    }
    blocks.push(Block::Note(p.model.clone()));
    Some(Section {
        id: "processes",
        title: "Processes".into(),
        blocks,
    })
}

/// The label of a scenario.
fn scenario_name(s: &Scenario) -> String {
    match (s.name.as_str(), s.horizon_months, s.rate_per_month) {
        ("projected", Some(h), Some(rate)) => {
            format!("projected: {h:.0} months at {:+.1} %/month", rate * 100.0)
        }
        ("scaled", _, _) => format!("scaled: sessions x {:.1}", s.k),
        ("now", _, _) => "now: the window as it was".into(),
        (name, _, _) => name.to_string(),
    }
}

/// Sizes of the scenarios and what they rest on.
pub fn sizing(r: &Report) -> Option<Section> {
    let z = r.sizing.as_ref()?;
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
            count(s.sessions),
            s.peak_sessions.to_string(),
            format!("{:.1}", s.size.design_processes),
            format!("{:.1}", s.size.design_active_processes),
            s.size.cores.to_string(),
            s.size.ram_gib.to_string(),
            format!("{} cores / {} GiB", s.size.node.cores, s.size.node.ram_gib),
            count(s.rejected),
        ]);
    }
    let b = &z.buffer_terms;
    let mut terms = vec![format!("{:.0} % base", b.base * 100.0)];
    if b.evolving > 0.0 {
        terms.push(format!(
            "+{:.0} % evolving workflow ({})",
            b.evolving * 100.0,
            b.evolving_because.as_deref().unwrap_or("")
        ));
    }
    if b.uptime > 0.0 {
        terms.push(format!(
            "+{:.0} % uptime ({})",
            b.uptime * 100.0,
            b.uptime_because.as_deref().unwrap_or("")
        ));
    }
    let c = &z.constants;
    let mut notes = vec![
        format!("Buffer {:.0} %: {}.", b.total * 100.0, terms.join(", ")),
        format!(
            "Cores = ceil(peak serving cores x (1 + buffer)) + {} for Connect; RAM = ceil((peak \
             alive memory + {} GiB for Connect and the OS) x (1 + buffer)).",
            c.connect_cores, c.connect_os_ram_gib
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
            "Every scenario is multiplied by {f:.2}, the measured/modelled calibration factor."
        ));
    }
    if z.projected.is_none() {
        notes.push("Projected: not available (no growth fit: needs 3 full months).".into());
    }
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
            l.content.to_string(),
            format!("{:.2}", l.cpu),
            format!("{:.2}", l.memory_gib),
            l.source.clone(),
        ]);
    }
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
            Block::Table(t),
            Block::List(notes),
            Block::Heading("Per-process resources".into()),
            Block::Table(res),
            Block::Note(z.storage_and_database.clone()),
        ],
    })
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
            int(p.publishers),
            p.publishers_source
        ),
        format!(
            "Consumers (distinct named users with a session or visit): {}.",
            count(p.consumers)
        ),
    ];
    if !p.by_role.is_empty() {
        let roles: Vec<String> = p
            .by_role
            .iter()
            .map(|(k, v)| format!("{k} {}", count(*v)))
            .collect();
        lines.push(format!("Unlocked users by role: {}.", roles.join(", ")));
    }
    let active: Vec<String> = p
        .active_last
        .iter()
        .map(|(k, v)| format!("{k}: {}", count(*v)))
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

/// Files read, counters, assumptions and data problems.
pub fn inputs(r: &Report) -> Section {
    let mut files = Table::numeric(&["file", "kind", "rows"]).align(1, false);
    for f in &r.inputs.files {
        files.row(vec![
            f.path.display().to_string(),
            format!("{:?}", f.kind),
            count(f.rows),
        ]);
    }
    let s = &r.sessions;
    let mut counters = Table::numeric(&["sessions", "count"]);
    for (k, v) in [
        ("rows read", s.rows),
        ("duplicates dropped", s.duplicates),
        ("excluded users", s.excluded_users),
        ("shorter than --min-session", s.excluded_short),
        ("outside --from/--to", s.outside_window),
        ("sessions analysed", s.count),
        ("without an end", s.open),
        ("capped by --open-cap", s.capped),
        ("ended before started", s.reversed),
        ("anonymous", s.anonymous),
        ("distinct users", s.users),
        ("content items", s.contents),
        ("visits analysed", r.visits.count),
        ("visits outside the window", r.visits.outside_window),
    ] {
        counters.row(vec![k.to_string(), count(v)]);
    }
    if let Some(j) = &r.jobs {
        counters.row(vec!["job rows read".into(), count(j.rows)]);
        counters.row(vec![
            "jobs outside the window".into(),
            count(j.outside_window),
        ]);
    }
    let a = &r.assumptions;
    let mut settings = vec![
        format!("Reporting time zone: {}.", a.tz),
        match a.open_cap_s {
            Some(s) => format!(
                "Sessions without an end last at most {:.0} hours.",
                s / 3600.0
            ),
            None => "Sessions without an end last until the window end.".into(),
        },
        format!(
            "Subtracted from every recorded end: {:.0} s.",
            a.reconnect_timeout_s
        ),
    ];
    if !a.exclude_users.is_empty() {
        settings.push(format!("Excluded users: {}.", a.exclude_users.join(", ")));
    }
    if !a.exclude_user_agents.is_empty() {
        settings.push(format!(
            "Excluded user agents containing: {}.",
            a.exclude_user_agents.join(", ")
        ));
    }
    let n = &r.inputs.notes;
    settings.extend(n.warnings.iter().map(|w| format!("Warning: {w}")));
    if n.skipped_rows > 0 {
        settings.push(format!(
            "{} bad rows skipped (--lenient).",
            count(n.skipped_rows)
        ));
    }
    let mut blocks = vec![
        Block::Table(files),
        Block::List(settings),
        Block::Table(counters),
    ];
    let problems: Vec<String> = n
        .skipped
        .iter()
        .chain(&r.data_problems)
        .map(|p| {
            let col = p
                .column
                .as_deref()
                .map(|c| format!(" column '{c}':"))
                .unwrap_or_default();
            format!("{}:{}:{col} {}", p.path.display(), p.line, p.message)
        })
        .collect();
    if !problems.is_empty() {
        blocks.push(Block::Heading("Data problems (kept, worth a look)".into()));
        blocks.push(Block::List(problems));
    }
    Section {
        id: "inputs",
        title: "Inputs and assumptions".into(),
        blocks,
    }
}
