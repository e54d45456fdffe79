//! Terminal renderer: headed sections of aligned tables (comfy-table). Rounds for people:
//! concurrency to one decimal, durations to whole seconds or minutes.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use chrono_tz::Tz;
use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{CellAlignment, Table};

use crate::ingest::RowProblem;
use crate::model::profile::HourOfWeek;
use crate::model::report::{PeriodSummary, Report, Stats};
use crate::model::time::Timestamp;

/// How many content rows the terminal shows (JSON has them all).
const TOP_CONTENT: usize = 20;

/// Writes the terminal report without colour.
pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    render_styled(r, false, out)
}

/// Writes the terminal report; `color` makes headings bold and highlights the
/// recommendation (the caller decides: a TTY without `NO_COLOR`).
pub fn render_styled(r: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let tz: Tz = r.assumptions.tz.parse().unwrap_or(Tz::UTC);
    let p = Paint(color);
    header(r, tz, p, out)?;
    inputs(r, p, out)?;
    sessions(r, p, out)?;
    concurrency(r, tz, p, out)?;
    regularity(r, p, out)?;
    content(r, p, out)?;
    people(r, p, out)?;
    growth(r, p, out)?;
    processes(r, tz, p, out)?;
    sizing(r, p, out)?;
    questions(r, p, out)?;
    recommendation(r, p, out)?;
    problems(r, p, out)
}

/// Whether to colour, and how.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    /// `text` in `style` when colouring, else as is.
    fn paint(self, style: Style, text: &str) -> String {
        if self.0 {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    fn bold(self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    /// The recommendation: bold green.
    fn highlight(self, text: &str) -> String {
        self.paint(
            Style::new().bold().fg_color(Some(AnsiColor::Green.into())),
            text,
        )
    }
}

/// A new table with the house look.
fn table(head: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY).set_header(head.to_vec());
    for i in 1..head.len() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// A section heading.
fn heading(out: &mut dyn Write, p: Paint, title: &str) -> io::Result<()> {
    writeln!(
        out,
        "\n{}\n{}",
        p.bold(title),
        "─".repeat(title.chars().count())
    )
}

/// An instant in the reporting zone.
fn local(t: Option<Timestamp>, tz: Tz) -> String {
    match t.and_then(Timestamp::utc) {
        Some(d) => d.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
        None => "-".into(),
    }
}

/// One decimal, or `-`.
fn dec1(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

/// An optional integer, or `-`.
fn int<T: ToString>(x: Option<T>) -> String {
    x.map_or_else(|| "-".into(), |v| v.to_string())
}

/// A duration in seconds, as `42s`, `12m` or `3.5h`.
fn duration(s: Option<f64>) -> String {
    match s {
        None => "-".into(),
        Some(s) if s < 90.0 => format!("{s:.0}s"),
        Some(s) if s < 5400.0 => format!("{:.0}m", s / 60.0),
        Some(s) => format!("{:.1}h", s / 3600.0),
    }
}

fn header(r: &Report, tz: Tz, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    let title = format!(
        "connect-capacity {} — Posit Connect capacity report",
        r.tool.version
    );
    writeln!(out, "{}", p.bold(&title))?;
    match &r.window {
        Some(w) => writeln!(
            out,
            "Window: {} to {} ({:.1} days), times in {}",
            local(Some(w.start), tz),
            local(Some(w.end), tz),
            w.days,
            r.assumptions.tz
        ),
        None => writeln!(out, "Window: none (no session or visit to analyse)"),
    }?;
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

fn inputs(r: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    heading(out, p, "Inputs")?;
    let mut t = table(&["file", "kind", "rows"]);
    for f in &r.inputs.files {
        t.add_row(vec![
            f.path.display().to_string(),
            format!("{:?}", f.kind),
            f.rows.to_string(),
        ]);
    }
    writeln!(out, "{t}")?;
    let n = &r.inputs.notes;
    for w in &n.warnings {
        writeln!(out, "warning: {w}")?;
    }
    if n.skipped_rows > 0 {
        writeln!(
            out,
            "{} bad rows skipped (--lenient); the first ones:",
            n.skipped_rows
        )?;
        problem_lines(&n.skipped, out)?;
    }
    if n.nonexistent_local_times + n.ambiguous_local_times > 0 {
        writeln!(
            out,
            "local times: {} in a DST gap (shifted forward), {} ambiguous (earlier offset taken)",
            n.nonexistent_local_times, n.ambiguous_local_times
        )?;
    }
    Ok(())
}

fn sessions(r: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    heading(out, p, "Sessions")?;
    let s = &r.sessions;
    let mut t = table(&["", "count"]);
    let rows: [(&str, u64); 12] = [
        ("rows read", s.rows),
        ("duplicates dropped", s.duplicates),
        ("excluded users", s.excluded_users),
        ("shorter than --min-session", s.excluded_short),
        ("outside --from/--to", s.outside_window),
        ("sessions analysed", s.count),
        ("  without an end", s.open),
        ("  capped by --open-cap", s.capped),
        ("  ended before started", s.reversed),
        ("  anonymous", s.anonymous),
        ("distinct users", s.users),
        ("content items", s.contents),
    ];
    for (k, v) in rows {
        t.add_row(vec![k.to_string(), v.to_string()]);
    }
    t.add_row(vec![
        "visits / hits analysed".to_string(),
        r.visits.count.to_string(),
    ]);
    writeln!(out, "{t}")
}

fn stats_row(name: &str, s: &Stats, tz: Tz) -> Vec<String> {
    vec![
        name.to_string(),
        s.peak.to_string(),
        local(s.peak_at, tz),
        dec1(s.average),
        int(s.p50),
        int(s.p95),
        int(s.p99),
    ]
}

fn concurrency(r: &Report, tz: Tz, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    heading(out, p, "Concurrency (exact, from an event sweep)")?;
    let Some(c) = &r.concurrency else {
        return writeln!(out, "not available: no Shiny sessions in the inputs");
    };
    let mut t = table(&["", "peak", "peak at", "average", "p50", "p95", "p99"]);
    t.add_row(stats_row("sessions", &c.sessions, tz));
    t.add_row(stats_row("users", &c.users, tz));
    writeln!(out, "{t}")?;
    writeln!(out, "pXX: the level not exceeded XX % of the time.")?;
    if let Some(h) = &r.hour_of_week {
        hour_of_week_grid(&h.sessions, out)?;
    }
    Ok(())
}

/// Block characters from low to high for the hour-of-week grid.
const SHADES: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The shade of `mean` on a scale whose top is `top` (`·` for a slot that never occurs).
fn shade(mean: Option<f64>, top: f64) -> char {
    match mean {
        None => '·',
        Some(_) if top <= 0.0 => SHADES[0],
        Some(m) => {
            let steps = (SHADES.len() - 1) as f64;
            let i = (m / top * steps).ceil().clamp(0.0, steps) as usize;
            SHADES[i]
        }
    }
}

/// The hour-of-week profile as a 7 x 24 grid of shades, one line per weekday.
fn hour_of_week_grid(h: &HourOfWeek, out: &mut dyn Write) -> io::Result<()> {
    let Some(b) = &h.busiest else {
        return Ok(());
    };
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let day = DAYS
        .get(usize::from(b.weekday.saturating_sub(1)))
        .unwrap_or(&"?");
    writeln!(
        out,
        "\nHour of week (mean hourly peak of concurrent sessions; █ = {:.1}, the busiest slot: \
         {day} {:02}:00–{:02}:00)",
        b.mean_peak,
        b.hour,
        b.hour + 1
    )?;
    writeln!(
        out,
        "  scale: ' ' none, ▁ to █ up to the busiest slot, · hour absent (DST)"
    )?;
    writeln!(out, "      0     6     12    18")?;
    for (name, hours) in DAYS.iter().zip(&h.means) {
        let cells: String = hours.iter().map(|m| shade(*m, b.mean_peak)).collect();
        writeln!(out, "  {name} {cells}")?;
    }
    Ok(())
}

fn period_row(series: &str, name: &str, p: &Option<PeriodSummary>) -> Option<Vec<String>> {
    let p = p.as_ref()?;
    let s = &p.summary;
    Some(vec![
        series.to_string(),
        name.to_string(),
        s.count.to_string(),
        dec1(s.peak_p50),
        dec1(s.peak_p95),
        int(s.peak_max),
        dec1(s.average_p50),
        dec1(s.average_max),
        s.at_or_above_90pct_of_peak.to_string(),
    ])
}

fn regularity(r: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    if r.daily.is_none() {
        return Ok(());
    }
    heading(out, p, "How regularly does the peak occur?")?;
    let mut t = table(&[
        "concurrent",
        "period",
        "n",
        "peak p50",
        "peak p95",
        "peak max",
        "avg p50",
        "avg max",
        "≥90% of peak",
    ]);
    for (series, name, p) in [
        ("sessions", "days", &r.daily),
        ("sessions", "weeks", &r.weekly),
        ("sessions", "months", &r.monthly),
        ("users", "days", &r.daily_users),
        ("users", "weeks", &r.weekly_users),
        ("users", "months", &r.monthly_users),
    ] {
        if let Some(row) = period_row(series, name, p) {
            t.add_row(row);
        }
    }
    if let Some(c) = t.column_mut(1) {
        c.set_cell_alignment(CellAlignment::Left);
    }
    writeln!(out, "{t}")?;
    writeln!(
        out,
        "Per calendar period: its peak and time-weighted average; p50/p95/max over the periods; \
         the last column counts periods whose peak reached 90 % of the overall peak."
    )
}

fn content(r: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    heading(out, p, "Content (top by peak concurrent sessions)")?;
    let mut t = table(&[
        "content",
        "app_mode",
        "sessions",
        "users",
        "peak",
        "average",
        "median dur",
        "p95 dur",
        "visits",
    ]);
    for c in r.content.iter().take(TOP_CONTENT) {
        let name = match (&c.title, c.deleted) {
            (Some(title), _) => title.clone(),
            (None, true) => format!("[deleted] {}", c.guid),
            (None, false) => c.guid.clone(),
        };
        t.add_row(vec![
            name,
            c.app_mode.clone().unwrap_or_else(|| "-".into()),
            c.sessions.to_string(),
            c.users.to_string(),
            c.peak_sessions.to_string(),
            dec1(c.average_sessions),
            duration(c.duration_median_s),
            duration(c.duration_p95_s),
            c.visits.to_string(),
        ]);
    }
    writeln!(out, "{t}")?;
    more(r.content.len(), out)
}

fn people(r: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    heading(out, p, "Publishers, consumers and content types")?;
    let p = &r.people;
    writeln!(
        out,
        "Publishers: {} ({})",
        int(p.publishers),
        p.publishers_source
    )?;
    writeln!(
        out,
        "Consumers (distinct named users with a session or visit): {}",
        p.consumers
    )?;
    if !p.by_role.is_empty() {
        let roles: Vec<String> = p.by_role.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(out, "Unlocked users by role: {}", roles.join(", "))?;
    }
    let mut active: Vec<(u64, String)> = p
        .active_last
        .iter()
        .map(|(k, v)| {
            let days = k.trim_end_matches('d').parse().unwrap_or(u64::MAX);
            (days, format!("{k}: {v}"))
        })
        .collect();
    active.sort();
    let active: Vec<String> = active.into_iter().map(|(_, s)| s).collect();
    writeln!(out, "Named users active in the last {}", active.join(", "))?;
    let mut t = table(&["app_mode", "content", "sessions", "visits"]);
    for c in &r.content_types {
        t.add_row(vec![
            c.app_mode.clone(),
            c.content.to_string(),
            c.sessions.to_string(),
            c.visits.to_string(),
        ]);
    }
    writeln!(out, "{t}")
}

fn growth(r: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    if r.months.is_empty() {
        return Ok(());
    }
    heading(out, p, "History and growth (calendar months)")?;
    let mut t = table(&[
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
        t.add_row(vec![
            label,
            m.sessions.to_string(),
            m.visits.to_string(),
            m.active_users.to_string(),
            m.peak.to_string(),
            int(m.p95),
            format!("{:.1}", m.average),
        ]);
    }
    writeln!(out, "{t}")?;
    for f in [&r.growth.sessions_p95, &r.growth.active_users] {
        match (f.rate_per_month, f.rate_per_year, f.r_squared) {
            (Some(m), Some(y), Some(r2)) => writeln!(
                out,
                "Growth of {}: {:+.1} % per month ({:+.1} % per year), R² {:.2}, over {} full months",
                f.metric,
                m * 100.0,
                y * 100.0,
                r2,
                f.months_used.len()
            )?,
            _ => writeln!(out, "Growth of {}: not available (needs 3 full months with activity)", f.metric)?,
        }
    }
    Ok(())
}

fn processes(r: &Report, tz: Tz, paint: Paint, out: &mut dyn Write) -> io::Result<()> {
    let Some(p) = &r.processes else {
        return Ok(());
    };
    heading(
        out,
        paint,
        "Processes (modelled from sessions; measured from jobs)",
    )?;
    writeln!(out, "{}", wrap(&p.model))?;
    let e = &p.estimated;
    let mut t = table(&["processes", "peak", "peak at", "average", "p95", "rejected"]);
    t.add_row(vec![
        "modelled, alive".to_string(),
        e.peak.to_string(),
        local(e.peak_at, tz),
        dec1(e.average),
        int(e.p95),
        e.rejected.to_string(),
    ]);
    t.add_row(vec![
        "modelled, serving".to_string(),
        e.active.peak.to_string(),
        local(e.active.peak_at, tz),
        dec1(e.active.average),
        int(e.active.p95),
        "".into(),
    ]);
    if let Some(m) = &p.measured {
        t.add_row(vec![
            "measured (interactive jobs)".to_string(),
            m.peak.to_string(),
            local(m.peak_at, tz),
            dec1(m.average),
            int(m.p95),
            "".into(),
        ]);
        for (class, s) in &m.detail.by_class {
            if s.jobs > 0 && class != "interactive" {
                t.add_row(vec![
                    format!("measured {class} jobs"),
                    s.peak.to_string(),
                    local(s.peak_at, tz),
                    dec1(s.average),
                    int(s.p95),
                    "".into(),
                ]);
            }
        }
    }
    writeln!(out, "{t}")?;
    if e.warm_processes > 0 {
        writeln!(
            out,
            "{} processes are kept warm by min_processes and hold {:.1} GiB all the time.",
            e.warm_processes, e.warm_memory_gib
        )?;
    }
    if let Some(m) = &p.measured {
        let d = &m.detail;
        writeln!(
            out,
            "Renders: peak {} at once, {:.2} render hours per day on average; {} jobs off the Connect host (not sized).",
            d.render_peak,
            d.render_hours_per_day_avg.unwrap_or(0.0),
            d.off_host_jobs
        )?;
        if d.by_host.len() > 1 {
            let hosts: Vec<String> = d
                .by_host
                .iter()
                .map(|(h, s)| format!("{h} peak {}", s.peak))
                .collect();
            writeln!(out, "Per host: {}", hosts.join(", "))?;
        }
    }
    if let Some(c) = &p.model_vs_measured {
        writeln!(
            out,
            "Model vs measured: peak {} vs {}, p95 {} vs {}; calibration factor {}.",
            c.overall.modelled_peak,
            c.overall.measured_peak,
            int(c.overall.modelled_p95),
            int(c.overall.measured_p95),
            c.calibration_factor
                .map_or("-".into(), |f| format!("{f:.2}"))
        )?;
    }
    let mut t = table(&[
        "content",
        "app_mode",
        "max proc",
        "conns",
        "threshold",
        "peak",
        "p95",
        "serving",
        "rejected",
        "settings from",
    ]);
    for c in e.content.iter().take(TOP_CONTENT) {
        t.add_row(vec![
            c.title.clone().unwrap_or_else(|| c.guid.clone()),
            c.app_mode.clone().unwrap_or_else(|| "-".into()),
            c.settings.max_processes.to_string(),
            c.settings.max_conns_per_process.to_string(),
            c.threshold.to_string(),
            c.peak.to_string(),
            int(c.p95),
            c.peak_active.to_string(),
            c.rejected.to_string(),
            source_name(c.settings_source).to_string(),
        ]);
    }
    writeln!(out, "{t}")?;
    more(e.content.len(), out)?;
    if let Some(n) = e.content.first().map(|c| c.nodes).filter(|n| *n > 1) {
        writeln!(
            out,
            "Settings are per node; with {n} nodes each item can run {n} x max proc processes."
        )?;
    }
    let apis: Vec<String> = e
        .content
        .iter()
        .filter_map(|c| {
            c.api_peak_requests_per_minute.map(|n| {
                format!(
                    "{} {n}/min",
                    c.title.clone().unwrap_or_else(|| c.guid.clone())
                )
            })
        })
        .collect();
    if !apis.is_empty() {
        writeln!(
            out,
            "APIs record requests, not sessions: {} Peak requests per minute: {}.",
            if e.apis_from_jobs > 0 {
                "their processes are the ones the jobs export measured."
            } else {
                "without a jobs export they hold only min_processes."
            },
            apis.join(", ")
        )?;
    }
    Ok(())
}

fn sizing(r: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    let Some(z) = &r.sizing else {
        return Ok(());
    };
    heading(out, p, "Sizing (every assumption shown)")?;
    let mut t = table(&[
        "scenario",
        "sessions x",
        "processes x",
        "design processes",
        "serving",
        "cores",
        "RAM GiB",
        "node",
        "rejected",
    ]);
    let mut row = |s: &crate::model::capacity::Scenario| {
        let label = match (s.name.as_str(), s.horizon_months, s.rate_per_month) {
            ("projected", Some(h), Some(rate)) => {
                format!("projected, {h:.0} months at {:+.1} %/month", rate * 100.0)
            }
            (name, _, _) => name.to_string(),
        };
        t.add_row(vec![
            label,
            format!("{:.2}", s.k),
            s.processes_vs_now.map_or("-".into(), |x| format!("{x:.2}")),
            format!("{:.1}", s.size.design_processes),
            format!("{:.1}", s.size.design_active_processes),
            s.size.cores.to_string(),
            s.size.ram_gib.to_string(),
            format!("{} cores / {} GiB", s.size.node.cores, s.size.node.ram_gib),
            s.rejected.to_string(),
        ]);
    };
    row(&z.now);
    if let Some(p) = &z.projected {
        row(p);
    }
    if let Some(s) = &z.scaled {
        row(s);
    }
    writeln!(out, "{t}")?;
    writeln!(
        out,
        "{}",
        wrap("sessions x: sessions replayed relative to now; processes x: design processes relative to now (below sessions x where apps share processes). Sizes serve every session (max_processes lifted); \"rejected\" counts the sessions today's max_processes x max_conns_per_process would turn away.")
    )?;
    for n in &z.notes {
        writeln!(out, "{}", wrap(n))?;
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
    writeln!(
        out,
        "Buffer {:.0} %: {}.",
        b.total * 100.0,
        terms.join(", ")
    )?;
    let c = &z.constants;
    let formula = format!(
        "cores = ceil(peak serving cores x (1 + buffer)) + {} for Connect; RAM = ceil((peak alive memory + {} GiB for Connect and the OS) x (1 + buffer)). Sized for the {} peak{}.",
        c.connect_cores,
        c.connect_os_ram_gib,
        match z.design_peak {
            crate::model::capacity::DesignPeak::Max => "absolute",
            crate::model::capacity::DesignPeak::DailyP95 => "95th percentile daily",
        },
        z.calibration_factor
            .map(|f| format!("; modelled processes x {f:.2}, the measured/modelled calibration factor (render jobs as measured)"))
            .unwrap_or_default()
    );
    writeln!(out, "{}", wrap(&formula))?;
    let mut t = table(&["per process", "content", "cores", "memory GiB", "source"]);
    for l in &z.resources {
        let mode = if l.items.is_empty() {
            l.app_mode.clone()
        } else {
            format!("{} ({})", l.app_mode, l.items.join(", "))
        };
        t.add_row(vec![
            mode,
            l.content.to_string(),
            format!("{:.2}", l.cpu),
            format!("{:.2}", l.memory_gib),
            l.source.clone(),
        ]);
    }
    writeln!(out, "{t}")?;
    writeln!(out, "{}", wrap(&z.storage_and_database))
}

fn questions(r: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    heading(out, p, "The six questions of Posit's scaling guidance")?;
    for q in &r.questions {
        writeln!(out, "{}. {}", q.number, q.question)?;
        writeln!(out, "{}\n", wrap_indent(&q.answer, "   "))?;
    }
    Ok(())
}

fn recommendation(r: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    let Some(rec) = &r.recommendation else {
        return Ok(());
    };
    let d = &rec.decision;
    heading(out, p, "Recommendation")?;
    let line = format!(
        "{}: {} node{} of {} cores and {} GiB{}.",
        arch_name(d.architecture),
        d.nodes,
        if d.nodes == 1 { "" } else { "s" },
        d.node.cores,
        d.node.ram_gib,
        if d.spare_nodes > 0 {
            " (one of them spare, so a node can fail)".to_string()
        } else {
            String::new()
        }
    );
    writeln!(out, "{}", p.highlight(&line))?;
    writeln!(out, "Because:")?;
    for reason in &d.reasons {
        writeln!(out, "{}", wrap_indent(&format!("- {reason}"), "  "))?;
    }
    writeln!(out, "It needs:")?;
    for n in &d.needs {
        writeln!(out, "{}", wrap_indent(&format!("- {n}"), "  "))?;
    }
    if !d.considerations.is_empty() {
        writeln!(out, "Also consider:")?;
        for c in &d.considerations {
            writeln!(out, "{}", wrap_indent(&format!("- {c}"), "  "))?;
        }
    }
    if d.architecture == crate::model::architecture::Architecture::Kubernetes {
        let mut t = table(&["pod requests = limits", "cpu", "memory MiB", "from"]);
        for p in d.kubernetes_requests.iter().take(TOP_CONTENT) {
            t.add_row(vec![
                p.title.clone().unwrap_or_else(|| p.guid.clone()),
                format!("{}m", p.cpu_millicores),
                p.memory_mib.to_string(),
                p.source.clone(),
            ]);
        }
        writeln!(out, "{t}")?;
        more(d.kubernetes_requests.len(), out)?;
    }
    if let Some(sc) = &rec.scaled {
        writeln!(
            out,
            "For the scaled scenario: {}, {} node{} of {} cores and {} GiB.",
            arch_name(sc.architecture),
            sc.nodes,
            if sc.nodes == 1 { "" } else { "s" },
            sc.node.cores,
            sc.node.ram_gib
        )?;
    }
    heading(out, p, "Pros and cons for this team")?;
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY)
        .set_header(vec!["option", "pros", "cons", "fit"]);
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(120);
    for o in &rec.options {
        t.add_row(vec![
            arch_name(o.architecture).to_string(),
            bullets(&o.pros),
            bullets(&o.cons),
            o.fits.clone(),
        ]);
    }
    writeln!(out, "{t}")?;
    heading(out, p, "Scheduler settings to review")?;
    if rec.settings_to_review.is_empty() {
        return writeln!(
            out,
            "Nothing to review: no rejected sessions, no warm process idle most of the time."
        );
    }
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY).set_header(vec![
        "content",
        "setting",
        "suggestion",
        "because",
    ]);
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(120);
    for l in &rec.settings_to_review {
        t.add_row(vec![
            l.title.clone().unwrap_or_else(|| l.guid.clone()),
            l.setting.clone(),
            l.suggestion.clone(),
            l.because.clone(),
        ]);
    }
    writeln!(out, "{t}")
}

/// "... and N more" under a table cut at [`TOP_CONTENT`] rows.
fn more(total: usize, out: &mut dyn Write) -> io::Result<()> {
    if total > TOP_CONTENT {
        writeln!(
            out,
            "... and {} more (all in --format json)",
            total - TOP_CONTENT
        )?;
    }
    Ok(())
}

/// Where an item's settings came from, in words.
fn source_name(s: crate::model::processes::SettingsSource) -> &'static str {
    use crate::model::processes::SettingsSource::*;
    match s {
        ServerDefault => "server default",
        ContentExport => "content export",
        Config => "config",
    }
}

/// A readable architecture name.
fn arch_name(a: crate::model::architecture::Architecture) -> &'static str {
    use crate::model::architecture::Architecture::*;
    match a {
        SingleServer => "Single server, scaled vertically",
        Cluster => "Load-balanced cluster",
        Kubernetes => "Kubernetes off-host execution",
    }
}

/// One `- item` line per entry.
fn bullets(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("- {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Wraps text at 100 columns.
fn wrap(text: &str) -> String {
    wrap_indent(text, "")
}

/// Wraps text at 100 columns; continuation lines start with `indent`, and so does the
/// first when the text does not start with `- `.
fn wrap_indent(text: &str, indent: &str) -> String {
    const WIDTH: usize = 100;
    let mut lines = Vec::new();
    let mut line = String::new();
    let first_indent = if text.starts_with("- ") { "" } else { indent };
    for word in text.split_whitespace() {
        let prefix = if lines.is_empty() {
            first_indent
        } else {
            indent
        };
        if !line.is_empty()
            && prefix.len() + line.chars().count() + 1 + word.chars().count() > WIDTH
        {
            lines.push(format!("{prefix}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let prefix = if lines.is_empty() {
            first_indent
        } else {
            indent
        };
        lines.push(format!("{prefix}{line}"));
    }
    lines.join("\n")
}

fn problems(r: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    if r.data_problems.is_empty() {
        return Ok(());
    }
    heading(out, p, "Data problems (kept, worth a look)")?;
    problem_lines(&r.data_problems, out)
}

/// One `  path:line: column 'x': message` line per listed problem row.
fn problem_lines(problems: &[RowProblem], out: &mut dyn Write) -> io::Result<()> {
    for p in problems {
        let col = p
            .column
            .as_deref()
            .map(|c| format!(" column '{c}':"))
            .unwrap_or_default();
        writeln!(out, "  {}:{}:{col} {}", p.path.display(), p.line, p.message)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shade_scales_to_the_busiest_slot() {
        // Top 8.0 and eight steps: 1.0 is one step, 8.0 the full block; anything above 0
        // shows at least the lowest block, a slot that never occurs shows a dot.
        assert_eq!(shade(Some(8.0), 8.0), '█');
        assert_eq!(shade(Some(1.0), 8.0), '▁');
        assert_eq!(shade(Some(0.01), 8.0), '▁');
        assert_eq!(shade(Some(0.0), 8.0), ' ');
        assert_eq!(shade(Some(4.5), 8.0), '▅');
        assert_eq!(shade(None, 8.0), '·');
        assert_eq!(shade(Some(0.0), 0.0), ' ');
    }
}
