//! [`analyze`]: from a dataset and the options to the [`Report`] (its types are the JSON
//! contract in [`crate::model::wire`]): normalise, sweep, bucket and summarise the usage,
//! then the capacity model, the questions and the warnings.

use std::collections::BTreeMap;

use super::capacity::questions::answers;
use super::capacity::{capacity, CapacityReport, Swept};
use super::over_time::trend::utilisation;
use super::usage::buckets::{buckets, summarize, Bucket, BucketKind};
use super::usage::content::per_content;
use super::usage::growth::{fit, monthly, Month};
use super::usage::normalize::{normalize, normalize_owned, Normalized};
use super::usage::people::{content_types, people};
use super::usage::profile::hour_of_week;
use super::usage::sweep::{stats, step_series_of, users_series, StepSeries};
use super::usage::time::{Timestamp, DAY, SECOND};
use super::wire::*;
use super::Options;
use crate::error::Result;
use crate::ingest::{ChronicleSummary, Dataset, Micros, VisitSource};

/// Computes the report from a dataset.
///
/// Fails only on invalid scheduler settings (a content export value, or the defaults).
pub fn analyze(data: &Dataset, opts: &Options) -> Result<Report> {
    analyze_normalized(data, normalize(data, opts), opts)
}

/// [`analyze`] of a dataset used once: its session rows are given up to normalisation,
/// which reuses their memory (the same report, with the rows never held twice).
pub fn analyze_owned(mut data: Dataset, opts: &Options) -> Result<Report> {
    let rows = data.take_session_rows();
    let norm = normalize_owned(&data, rows, opts);
    analyze_normalized(&data, norm, opts)
}

/// The report of `data` once normalised into `norm`; `data`'s session rows are not read.
fn analyze_normalized(data: &Dataset, norm: Normalized, opts: &Options) -> Result<Report> {
    let as_of = opts.as_of.or(norm.window.map(|w| w.1)).unwrap_or(0);
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        assumptions: assumptions(opts),
        inputs: Inputs {
            files: data.files.clone(),
            notes: data.notes.clone(),
        },
        window: norm.window.map(|(a, b)| Window {
            start: Timestamp(a),
            end: Timestamp(b),
            days: (b - a) as f64 / DAY as f64,
        }),
        sessions: norm.counts.clone(),
        visits: visit_counts(data, &norm, opts),
        jobs: (!data.jobs.is_empty()).then_some(JobCounts {
            rows: data.jobs.len() as u64,
            outside_window: 0,
        }),
        job_metrics: None,
        concurrency: None,
        daily: None,
        weekly: None,
        monthly: None,
        daily_users: None,
        weekly_users: None,
        monthly_users: None,
        hour_of_week: None,
        content: Vec::new(),
        people: people(data, &norm.sessions, &norm.visits, as_of),
        content_types: content_types(data, &norm.sessions, &norm.visits),
        months: Vec::new(),
        growth: Growth {
            sessions_p95: fit("p95 concurrent sessions", &[], 0, |_| 0.0),
            active_users: fit("active users", &[], 0, |_| 0.0),
        },
        processes: None,
        sizing: None,
        footprints: Vec::new(),
        footprint_check: None,
        questions: Vec::new(),
        recommendation: None,
        utilisation: None,
        warnings: super::usage::warnings::option_warnings(data, opts, &norm),
        data_problems: norm.problems.clone(),
        chronicle: chronicle(data, norm.window.or(opts.from.zip(opts.to))),
    };
    if let Some(window) = norm.window {
        // Without usage there are no sessions to sweep: the usage sections stay empty.
        let swept = if norm.jobs_only {
            report
                .warnings
                .push(super::capacity::JOBS_ONLY_NOTE.to_string());
            Swept::default()
        } else {
            fill_series(&mut report, data, &norm, window, opts)
        };
        let c = capacity(
            data,
            &norm,
            window,
            opts.tz,
            &opts.capacity,
            &swept,
            opts.open_cap,
        )?;
        add_capacity(&mut report, c, opts);
    }
    report.questions = answers(&report);
    Ok(report)
}

/// Moves the capacity model's sections into `report`, with their warnings.
fn add_capacity(report: &mut Report, c: CapacityReport, opts: &Options) {
    report.utilisation = utilisation(&c.sizing.now.size, &opts.capacity.server);
    if let (Some(j), Some(m)) = (&mut report.jobs, &c.processes.measured) {
        j.outside_window = m.detail.outside_window;
        report
            .warnings
            .extend(mostly_outside("job", j.outside_window, j.rows, opts));
    }
    if let Some(m) = &c.job_metrics {
        report.warnings.extend(mostly_outside(
            "job metrics",
            m.outside_window,
            m.rows,
            opts,
        ));
    }
    report.job_metrics = c.job_metrics;
    report.footprints = c.footprints;
    if let Some(w) = c
        .footprint_check
        .as_ref()
        .and_then(|k| k.warning(opts.capacity.constants.model_warning_ratio))
    {
        report.warnings.push(w);
    }
    report.footprint_check = c.footprint_check;
    report.data_problems.extend(c.footprint_problems);
    report.processes = Some(c.processes);
    report.sizing = Some(c.sizing);
    report.recommendation = Some(c.recommendation);
}

/// Concurrency, periods, profiles, per-content figures and growth for a window.
///
/// One series at a time (sessions, then users), each dropped once everything it feeds
/// is computed, so at most one full series is held. Returns what the capacity model
/// needs from these sweeps.
fn fill_series(
    report: &mut Report,
    data: &Dataset,
    norm: &Normalized,
    window: (Micros, Micros),
    opts: &Options,
) -> Swept {
    let tz = opts.tz;
    let period = |s: &StepSeries, kind, unit| {
        let b = buckets(s, tz, kind);
        let peak = s.peak().0;
        Some(PeriodSummary {
            unit,
            summary: summarize(&b, peak),
            series: b,
            detail: Vec::new(),
        })
    };
    let sessions = step_series_of(&norm.sessions, |s| (s.start, s.end), window);
    let month_buckets = buckets(&sessions, tz, BucketKind::Month);
    report.months = monthly(&month_buckets, &sessions, &norm.sessions, &norm.visits);
    let ahead = opts
        .capacity
        .horizon_months
        .max(0.0)
        .ceil()
        .min(f64::from(u32::MAX)) as u32;
    report.growth = Growth {
        sessions_p95: fit("p95 concurrent sessions", &report.months, ahead, |m| {
            f64::from(m.p95.unwrap_or(0))
        }),
        active_users: fit("active users", &report.months, ahead, |m| {
            m.active_users as f64
        }),
    };
    let week_peaks = |b: &[Bucket]| {
        b.iter()
            .filter(|b| b.full)
            .map(|b| f64::from(b.peak))
            .collect()
    };
    let mut swept = Swept {
        growth_rate: report.growth.sessions_p95.rate_per_month,
        peak_sessions: sessions.peak().0,
        ..Swept::default()
    };
    if norm.sessions.is_empty() {
        swept.full_week_peaks = week_peaks(&buckets(&sessions, tz, BucketKind::Week));
        drop(sessions);
    } else {
        let session_stats = stats(&sessions).into();
        report.daily = period(&sessions, BucketKind::Day, "days");
        let days = report.daily.as_ref().map_or(&[][..], |d| &d.series[..]);
        let day_counts = monthly(days, &sessions, &norm.sessions, &norm.visits);
        report.weekly = period(&sessions, BucketKind::Week, "weeks");
        if let Some(w) = &report.weekly {
            swept.full_week_peaks = week_peaks(&w.series);
        }
        report.monthly = period(&sessions, BucketKind::Month, "months");
        let session_profile = hour_of_week(&sessions, tz);
        drop(sessions);
        let users = users_series(&norm.sessions, |s| (s.user(), s.start, s.end), window);
        report.concurrency = Some(Concurrency {
            sessions: session_stats,
            users: stats(&users).into(),
        });
        report.daily_users = period(&users, BucketKind::Day, "days");
        if let (Some(daily), Some(users)) = (&mut report.daily, &report.daily_users) {
            daily.detail = day_details(&day_counts, &users.series);
        }
        report.weekly_users = period(&users, BucketKind::Week, "weeks");
        report.monthly_users = period(&users, BucketKind::Month, "months");
        report.hour_of_week = Some(Profiles {
            sessions: session_profile,
            users: hour_of_week(&users, tz),
        });
    }
    report.content = per_content(data, &norm.sessions, &norm.visits, window, tz);
    swept.content_peaks = report
        .content
        .iter()
        .filter_map(|c| Some((data.content_ids.get(&c.guid)?, c.peak_sessions)))
        .collect();
    swept
}

/// A warning when most of a kind's rows lie outside the window (exports of different
/// periods mixed), docs/metrics.md 1.7; none when `--from` or `--to` chose the window,
/// since rows outside a chosen period are expected.
pub(super) fn mostly_outside(
    what: &str,
    outside: u64,
    rows: u64,
    opts: &Options,
) -> Option<String> {
    let chosen = opts.from.is_some() || opts.to.is_some();
    (!chosen && outside > 0 && 2 * outside > rows).then(|| {
        format!(
            "{outside} of {rows} {what} rows lie outside the analysed window: exports of \
             different periods may be mixed; export the same period for every kind, or set \
             --from/--to"
        )
    })
}

/// Visit counters from the normalised visits.
fn visit_counts(data: &Dataset, norm: &Normalized, opts: &Options) -> VisitCounts {
    let mut by_source = BTreeMap::new();
    for v in &norm.visits {
        *by_source
            .entry(source_name(v.source).to_string())
            .or_insert(0) += 1;
    }
    let days = norm
        .window
        .map(|(a, b)| (b - a) as f64 / DAY as f64)
        // A per-day figure needs at least one day of window (docs/metrics.md 1.7).
        .filter(|d| *d >= 1.0);
    let times: Vec<Micros> = norm.visits.iter().map(|v| v.time).collect();
    VisitCounts {
        rows: data.visits.len() as u64,
        count: norm.visits.len() as u64,
        duplicates: norm.visit_duplicates,
        excluded: norm.visits_excluded,
        outside_window: norm.visits_outside_window,
        by_source,
        per_day: days.map(|d| norm.visits.len() as f64 / d),
        peak_day: super::usage::content::peak_day_count(&times, opts.tz),
    }
}

/// JSON name of a visit source.
fn source_name(s: VisitSource) -> &'static str {
    match s {
        VisitSource::Visits => "visits",
        VisitSource::Unified => "unified",
        VisitSource::Hits => "hits",
        VisitSource::Dashboard => "dashboard",
    }
}

/// The assumptions block from the options.
fn assumptions(opts: &Options) -> Assumptions {
    let secs = |m: Micros| m as f64 / SECOND as f64;
    Assumptions {
        tz: opts.tz.name().to_string(),
        open_cap_s: opts.open_cap.map(secs),
        reconnect_timeout_s: secs(opts.reconnect_timeout),
        min_session_s: opts.min_session.map(secs),
        from: opts.from.map(Timestamp),
        to: opts.to.map(Timestamp),
        as_of: opts.as_of.map(Timestamp),
        exclude_users: opts.exclude_users.clone(),
        exclude_user_agents: opts.exclude_user_agents.clone(),
    }
}

/// The `days` figures from the per-day counts (the month tally run over day buckets) and
/// the daily user buckets, which cover the same days.
fn day_details(counts: &[Month], users: &[Bucket]) -> Vec<DayDetail> {
    counts
        .iter()
        .zip(users)
        .map(|(d, u)| {
            debug_assert_eq!(d.month, u.label);
            DayDetail {
                sessions_started: d.sessions,
                visits: d.visits,
                peak_users: u.peak,
                p95_sessions: d.p95,
            }
        })
        .collect()
}

/// The Chronicle summary, its daily session totals limited to the UTC days `window`
/// touches (all of them without a window).
fn chronicle(data: &Dataset, window: Option<(Micros, Micros)>) -> Option<ChronicleSummary> {
    let mut c = data.chronicle.clone()?;
    if let Some((start, end)) = window {
        c.daily_average_sessions.retain(|d| {
            crate::ingest::utc_day_start(&d.date).is_some_and(|day| day < end && day + DAY > start)
        });
    }
    Some(c)
}
