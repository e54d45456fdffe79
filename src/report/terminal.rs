//! Terminal renderer: headed sections of aligned tables (comfy-table). Rounds for people:
//! concurrency to one decimal, durations to whole seconds or minutes.

use std::io::{self, Write};

use chrono_tz::Tz;
use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{CellAlignment, Table};

use crate::ingest::RowProblem;
use crate::model::profile::HourOfWeek;
use crate::model::report::{PeriodSummary, Report, Stats};
use crate::model::time::Timestamp;

/// How many content rows the terminal shows (JSON has them all).
const TOP_CONTENT: usize = 20;

/// Writes the terminal report.
pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let tz: Tz = r.assumptions.tz.parse().unwrap_or(Tz::UTC);
    header(r, tz, out)?;
    inputs(r, out)?;
    sessions(r, out)?;
    concurrency(r, tz, out)?;
    regularity(r, out)?;
    content(r, out)?;
    people(r, out)?;
    growth(r, out)?;
    problems(r, out)
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
fn heading(out: &mut dyn Write, title: &str) -> io::Result<()> {
    writeln!(out, "\n{title}\n{}", "─".repeat(title.chars().count()))
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

fn header(r: &Report, tz: Tz, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "connect-capacity {} — Posit Connect capacity report",
        r.tool.version
    )?;
    match &r.window {
        Some(w) => writeln!(
            out,
            "Window: {} to {} ({:.1} days), times in {}",
            local(Some(w.start), tz),
            local(Some(w.end), tz),
            w.days,
            r.assumptions.tz
        ),
        None => writeln!(out, "Window: none (no sessions or visits in the inputs)"),
    }
}

fn inputs(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    heading(out, "Inputs")?;
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

fn sessions(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    heading(out, "Sessions")?;
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

fn concurrency(r: &Report, tz: Tz, out: &mut dyn Write) -> io::Result<()> {
    heading(out, "Concurrency (exact, from an event sweep)")?;
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

fn regularity(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    if r.daily.is_none() {
        return Ok(());
    }
    heading(out, "How regularly does the peak occur?")?;
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

fn content(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    heading(out, "Content (top by peak concurrent sessions)")?;
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
    if r.content.len() > TOP_CONTENT {
        writeln!(
            out,
            "... and {} more (all in --format json)",
            r.content.len() - TOP_CONTENT
        )?;
    }
    Ok(())
}

fn people(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    heading(out, "Publishers, consumers and content types")?;
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
    let active: Vec<String> = p
        .active_last
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
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

fn growth(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    if r.months.is_empty() {
        return Ok(());
    }
    heading(out, "History and growth (calendar months)")?;
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

fn problems(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    if r.data_problems.is_empty() {
        return Ok(());
    }
    heading(out, "Data problems (kept, worth a look)")?;
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
