//! Trends for scheduled runs: the key figures of each calendar week or month (the unit of
//! the snapshot history), the merge of fresh figures with stored snapshots, a growth fit
//! over the periods, and utilisation of today's server for alerts.
//!
//! A period's figures come from a full analysis restricted to the part of the period the
//! exports cover, so a rolling 30-day export refines the periods it touches: of two
//! versions of one period, the one covering more of it wins (ties go to the fresh one).

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ingest::{Dataset, Micros};
use crate::model::capacity::sizing::Size;
use crate::model::usage::buckets::{periods, BucketKind};
use crate::model::usage::growth::{fit, GrowthFit, Month};
use crate::model::usage::normalize::normalize;
use crate::model::usage::time::Timestamp;
use crate::model::Options;
use crate::model::{analyze, Report};

/// Calendar unit of the trend and of the snapshot history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    /// ISO weeks in the reporting zone.
    Week,
    /// Calendar months in the reporting zone.
    #[default]
    Month,
}

impl Every {
    /// The bucket kind of this unit.
    pub fn kind(self) -> BucketKind {
        match self {
            Every::Week => BucketKind::Week,
            Every::Month => BucketKind::Month,
        }
    }
    /// `week` or `month`.
    pub fn name(self) -> &'static str {
        match self {
            Every::Week => "week",
            Every::Month => "month",
        }
    }
}

/// The key figures of one calendar period (one snapshot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodFigures {
    /// `2024-03` or `2024-W10`.
    pub period: String,
    /// Unit of the period.
    pub every: Every,
    /// Start of the calendar period.
    pub start: Timestamp,
    /// End (exclusive) of the calendar period.
    pub end: Timestamp,
    /// Start of the part the exports covered.
    pub covered_start: Timestamp,
    /// End (exclusive) of the part the exports covered.
    pub covered_end: Timestamp,
    /// Covered share of the period, 0 to 1.
    pub coverage: f64,
    /// Sessions analysed.
    pub sessions: u64,
    /// Visits analysed.
    pub visits: u64,
    /// Peak concurrent sessions.
    pub peak_sessions: u32,
    /// p95 of concurrent sessions.
    pub p95_sessions: Option<u32>,
    /// Time-weighted average of concurrent sessions.
    pub average_sessions: Option<f64>,
    /// Peak concurrent users.
    pub peak_users: u32,
    /// p95 of daily session peaks.
    pub daily_peak_p95: Option<f64>,
    /// Distinct named users with a session or visit.
    pub active_users: u64,
    /// Publishers (users or content export).
    pub publishers: Option<u64>,
    /// Peak modelled processes.
    pub processes_peak: Option<u32>,
    /// Peak measured interactive processes (jobs).
    pub measured_processes_peak: Option<u32>,
    /// Cores needed now.
    pub cores: Option<u64>,
    /// RAM needed now, GiB.
    pub ram_gib: Option<u64>,
    /// Recommended architecture now.
    pub architecture: Option<String>,
    /// Fingerprint of the options that shape the figures (zone, exclusions, session rules,
    /// scheduler and sizing settings): snapshots made with other options are not mixed
    /// silently. Empty in snapshots written before it existed.
    #[serde(default)]
    pub options: String,
    /// Content items sized from their job metrics samples (memory or CPU `measured`), so
    /// a trend does not mix measured and assumed figures unawares. Written only when above
    /// 0, so snapshots of data without samples stay as earlier versions wrote them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub measured_items: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl PeriodFigures {
    /// Length of the covered part, µs.
    pub fn covered(&self) -> Micros {
        (self.covered_end.0 - self.covered_start.0).max(0)
    }
}

/// Key figures of a report computed for one period.
pub fn figures_of(
    r: &Report,
    period: &str,
    every: Every,
    bounds: (Micros, Micros),
    covered: (Micros, Micros),
) -> PeriodFigures {
    let len = (bounds.1 - bounds.0).max(1) as f64;
    let c = r.concurrency.as_ref();
    PeriodFigures {
        period: period.to_string(),
        every,
        start: Timestamp(bounds.0),
        end: Timestamp(bounds.1),
        covered_start: Timestamp(covered.0),
        covered_end: Timestamp(covered.1),
        coverage: ((covered.1 - covered.0) as f64 / len).clamp(0.0, 1.0),
        sessions: r.sessions.count,
        visits: r.visits.count,
        peak_sessions: c.map_or(0, |c| c.sessions.peak),
        p95_sessions: c.and_then(|c| c.sessions.p95),
        average_sessions: c.and_then(|c| c.sessions.average),
        peak_users: c.map_or(0, |c| c.users.peak),
        daily_peak_p95: r.daily.as_ref().and_then(|d| d.summary.peak_p95),
        active_users: r.people.consumers,
        publishers: r.people.publishers,
        processes_peak: r
            .processes
            .as_ref()
            .and_then(|p| p.estimated.as_ref())
            .map(|e| e.peak),
        measured_processes_peak: r
            .processes
            .as_ref()
            .and_then(|p| p.measured.as_ref())
            .map(|m| m.peak),
        cores: r.sizing.as_ref().map(|s| s.now.size.cores),
        ram_gib: r.sizing.as_ref().map(|s| s.now.size.ram_gib),
        architecture: r
            .recommendation
            .as_ref()
            .map(|x| arch_key(&x.decision.architecture)),
        options: String::new(),
        measured_items: r
            .footprints
            .iter()
            .filter(|f| {
                use crate::model::capacity::sizing::ResourceSource::Measured;
                f.memory_source == Measured || f.cpu_source == Measured
            })
            .count() as u64,
    }
}

pub use super::fingerprint::{legacy_fingerprint, options_fingerprint};

/// 64-bit FNV-1a of `bytes` (offset basis 0xcbf29ce484222325, prime 0x100000001b3),
/// written out so fingerprints and pseudonyms never change with the Rust version.
pub fn fnv1a64(bytes: impl IntoIterator<Item = u8>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// JSON name of an architecture.
fn arch_key(a: &crate::model::capacity::architecture::Architecture) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The figures of every calendar period the data's window touches, each analysed on its
/// covered part. Periods run in order.
pub fn period_figures(data: &Dataset, opts: &Options, every: Every) -> Result<Vec<PeriodFigures>> {
    let Some(window) = normalize(data, opts).window else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for p in periods(window, opts.tz, every.kind()) {
        let covered = (p.start.max(window.0), p.end.min(window.1));
        if covered.0 >= covered.1 {
            continue;
        }
        // The last period of a window taken from the data keeps the data's end, so a
        // session at that last instant counts there as it does in `analyze` (metrics.md,
        // daily series): a `--to` of that instant would leave it out.
        let data_end = opts.to.is_none() && covered.1 == window.1;
        let o = Options {
            from: Some(covered.0),
            to: (!data_end).then_some(covered.1),
            ..opts.clone()
        };
        let r = analyze(data, &o)?;
        let mut f = figures_of(&r, &p.label, every, (p.start, p.end), covered);
        f.options = options_fingerprint(opts);
        out.push(f);
    }
    Ok(out)
}

/// Where a trend row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Computed from the exports of this run.
    Exports,
    /// Read from the snapshot history.
    History,
}

/// One period of the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendRow {
    /// Where it came from.
    pub source: Source,
    /// The figures.
    #[serde(flatten)]
    pub figures: PeriodFigures,
}

/// Merges fresh figures with stored ones: per period, the version covering more of it
/// (fresh on a tie); sorted by period start.
pub fn merge(fresh: &[PeriodFigures], stored: &[PeriodFigures]) -> Vec<TrendRow> {
    let mut rows: Vec<TrendRow> = Vec::new();
    for (source, list) in [(Source::Exports, fresh), (Source::History, stored)] {
        for f in list {
            match rows
                .iter_mut()
                .find(|r| r.figures.every == f.every && r.figures.period == f.period)
            {
                Some(r) if f.covered() > r.figures.covered() => {
                    *r = TrendRow {
                        source,
                        figures: f.clone(),
                    }
                }
                Some(_) => {}
                None => rows.push(TrendRow {
                    source,
                    figures: f.clone(),
                }),
            }
        }
    }
    rows.sort_by(|a, b| {
        a.figures
            .start
            .cmp(&b.figures.start)
            .then_with(|| a.figures.period.cmp(&b.figures.period))
    });
    rows
}

/// Coverage from which a period counts as full for the trend's growth fits and for its
/// utilisation: a rolling 30-day export never covers a 31-day month whole, and its first
/// and last records fall a little inside the export's days.
pub const NEARLY_FULL: f64 = 0.9;

/// Growth fit of p95 concurrent sessions and of active users over periods covered at
/// least [`NEARLY_FULL`] (the rate is per period: per week or per month).
pub fn trend_fits(rows: &[TrendRow]) -> (GrowthFit, GrowthFit) {
    let months: Vec<Month> = rows
        .iter()
        .map(|r| Month {
            month: r.figures.period.clone(),
            full: r.figures.coverage >= NEARLY_FULL,
            sessions: r.figures.sessions,
            visits: r.figures.visits,
            active_users: r.figures.active_users,
            peak: r.figures.peak_sessions,
            p95: r.figures.p95_sessions,
            average: r.figures.average_sessions.unwrap_or(0.0),
        })
        .collect();
    (
        fit("p95 concurrent sessions", &months, 0, |m: &Month| {
            f64::from(m.p95.unwrap_or(0))
        }),
        fit("active users", &months, 0, |m: &Month| {
            m.active_users as f64
        }),
    )
}

/// The `trend` report.
#[derive(Debug, Clone, Serialize)]
pub struct TrendReport {
    /// JSON contract version (shared with `analyze`).
    pub schema_version: u32,
    /// Calendar unit.
    pub every: Every,
    /// Reporting zone.
    pub tz: String,
    /// One row per period, oldest first.
    pub periods: Vec<TrendRow>,
    /// Growth of p95 concurrent sessions over fully covered periods (rate per period).
    pub growth_sessions_p95: GrowthFit,
    /// Growth of active users over fully covered periods (rate per period).
    pub growth_active_users: GrowthFit,
    /// Snapshots that could not be read, as `path: why`.
    pub skipped_snapshots: Vec<String>,
    /// Things to know about the rows (e.g. periods made with other options).
    pub warnings: Vec<String>,
    /// Utilisation of today's server: by the "now" size of the exports of this run, else
    /// by the latest nearly fully covered period's.
    pub utilisation: Option<Utilisation>,
}

/// Builds the trend report from fresh and stored figures.
///
/// Utilisation: `now` (the "now" size of a full analysis of this run's exports) when
/// given, else the latest period covered at least [`NEARLY_FULL`] (a few hours of a new
/// month must not decide an alert).
pub fn trend_report(
    every: Every,
    opts: &crate::model::Options,
    fresh: &[PeriodFigures],
    stored: &[PeriodFigures],
    skipped_snapshots: Vec<String>,
    now: Option<&Size>,
) -> TrendReport {
    let periods = merge(fresh, stored);
    let (g, u) = trend_fits(&periods);
    // This run's options: its exports' (anonymised names included) or, with none, the
    // ones given; snapshots made with others are named, whether they are some or all.
    let own = options_fingerprint(opts);
    let now_key = fresh.first().map_or(own.as_str(), |f| f.options.as_str());
    let other: Vec<&str> = periods
        .iter()
        .filter(|r| r.figures.options != now_key)
        .map(|r| r.figures.period.as_str())
        .collect();
    let mut warnings = Vec::new();
    if !other.is_empty() {
        warnings.push(format!(
            "periods analysed with other options than this run's (zone, exclusions, \
             scheduler or sizing settings): {}; re-run them with today's options, or give \
             trend the options they were made with, to compare like with like",
            other.join(", ")
        ));
    }
    let latest = periods
        .iter()
        .rev()
        .filter(|r| r.figures.coverage >= NEARLY_FULL)
        .find_map(|r| {
            let f = &r.figures;
            let (cores, ram_gib) = (f.cores?, f.ram_gib?);
            Some((cores, ram_gib))
        });
    let server = &opts.capacity.server;
    let utilisation = match now {
        Some(size) => utilisation(size, server),
        None => latest.and_then(|(cores, ram)| needed_vs(cores, ram, server)),
    };
    TrendReport {
        schema_version: crate::model::wire::SCHEMA_VERSION,
        every,
        tz: opts.tz.name().to_string(),
        periods,
        growth_sessions_p95: g,
        growth_active_users: u,
        skipped_snapshots,
        warnings,
        utilisation,
    }
}

/// Today's server, for utilisation alerts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ServerCapacity {
    /// Cores of today's server (`--capacity-cores`).
    pub cores: Option<u64>,
    /// RAM of today's server, GiB (`--capacity-ram`).
    pub ram_gib: Option<f64>,
    /// Alert threshold (`--alert-at`).
    pub alert_at: Option<f64>,
}

/// How full today's server is for the "now" size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Utilisation {
    /// Cores needed now.
    pub cores_needed: u64,
    /// Cores of today's server.
    pub capacity_cores: Option<u64>,
    /// RAM needed now, GiB.
    pub ram_gib_needed: u64,
    /// RAM of today's server, GiB.
    pub capacity_ram_gib: Option<f64>,
    /// max(cores needed / capacity cores, RAM needed / capacity RAM) over those given.
    pub utilisation: f64,
    /// Which resource sets it: `cores` or `ram`.
    pub limited_by: String,
    /// The threshold, when `--alert-at` was given.
    pub alert_at: Option<f64>,
    /// True when utilisation is at or above the threshold.
    pub alert: bool,
}

/// Utilisation of `server` by `size`; `None` when neither capacity is given.
pub fn utilisation(size: &Size, server: &ServerCapacity) -> Option<Utilisation> {
    needed_vs(size.cores, size.ram_gib, server)
}

/// Utilisation of `server` by a need of `cores` and `ram_gib`.
fn needed_vs(cores_needed: u64, ram_needed: u64, server: &ServerCapacity) -> Option<Utilisation> {
    let cores = server
        .cores
        .filter(|c| *c > 0)
        .map(|c| cores_needed as f64 / c as f64);
    let ram = server
        .ram_gib
        .filter(|r| *r > 0.0)
        .map(|r| ram_needed as f64 / r);
    let (value, by) = match (cores, ram) {
        (Some(c), Some(r)) if r > c => (r, "ram"),
        (Some(c), _) => (c, "cores"),
        (None, Some(r)) => (r, "ram"),
        (None, None) => return None,
    };
    Some(Utilisation {
        cores_needed,
        capacity_cores: server.cores,
        ram_gib_needed: ram_needed,
        capacity_ram_gib: server.ram_gib,
        utilisation: value,
        limited_by: by.into(),
        alert_at: server.alert_at,
        alert: server.alert_at.is_some_and(|a| value >= a),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::capacity::sizing::Node;

    fn period(label: &str, start: Micros, covered: (Micros, Micros)) -> PeriodFigures {
        PeriodFigures {
            period: label.into(),
            every: Every::Month,
            start: Timestamp(start),
            end: Timestamp(start + 100),
            covered_start: Timestamp(covered.0),
            covered_end: Timestamp(covered.1),
            coverage: (covered.1 - covered.0) as f64 / 100.0,
            sessions: 1,
            visits: 0,
            peak_sessions: 1,
            p95_sessions: Some(1),
            average_sessions: Some(0.5),
            peak_users: 1,
            daily_peak_p95: None,
            active_users: 1,
            publishers: None,
            processes_peak: None,
            measured_processes_peak: None,
            cores: None,
            ram_gib: None,
            architecture: None,
            options: String::new(),
            measured_items: 0,
        }
    }

    #[test]
    fn merge_keeps_the_version_covering_more_of_a_period() {
        // March: history covers 100, the export only its last 30 -> history stays.
        // April: history 40, export 100 -> export wins. May: equal -> the fresh one.
        // February only in history, June only in the export.
        let stored = vec![
            period("2024-02", 0, (0, 100)),
            period("2024-03", 100, (100, 200)),
            period("2024-04", 200, (200, 240)),
            period("2024-05", 300, (300, 350)),
        ];
        let fresh = vec![
            period("2024-03", 100, (170, 200)),
            period("2024-04", 200, (200, 300)),
            period("2024-05", 300, (300, 350)),
            period("2024-06", 400, (400, 430)),
        ];
        let rows = merge(&fresh, &stored);
        let got: Vec<(&str, Source, Micros)> = rows
            .iter()
            .map(|r| (r.figures.period.as_str(), r.source, r.figures.covered()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2024-02", Source::History, 100),
                ("2024-03", Source::History, 100),
                ("2024-04", Source::Exports, 100),
                ("2024-05", Source::Exports, 50),
                ("2024-06", Source::Exports, 30),
            ]
        );
    }

    fn size(cores: u64, ram: u64) -> Size {
        Size {
            cores,
            ram_gib: ram,
            buffer: 0.2,
            design_processes: 0.0,
            design_active_processes: 0.0,
            node: Node {
                cores: 0,
                ram_gib: 0,
            },
            active_cores: 0.0,
            alive_gib: 0.0,
            cpu_cores_raw: 0.0,
            ram_gib_raw: 0.0,
        }
    }

    #[test]
    fn utilisation_takes_the_tighter_resource() {
        let s = size(12, 30);
        // 12 / 16 = 0.75 cores, 30 / 32 = 0.9375 RAM: RAM limits.
        let u = utilisation(
            &s,
            &ServerCapacity {
                cores: Some(16),
                ram_gib: Some(32.0),
                alert_at: Some(0.9),
            },
        )
        .unwrap();
        assert_eq!(u.limited_by, "ram");
        approx::assert_relative_eq!(u.utilisation, 0.9375);
        assert!(u.alert);
        // At exactly the threshold the alert fires; below it does not.
        let at = |a: f64| {
            utilisation(
                &s,
                &ServerCapacity {
                    cores: Some(16),
                    ram_gib: None,
                    alert_at: Some(a),
                },
            )
            .unwrap()
            .alert
        };
        assert!(at(0.75));
        assert!(!at(0.76));
        assert!(utilisation(&s, &ServerCapacity::default()).is_none());
    }
}
