//! Peaks over time (docs/metrics.md section 3): a concurrency series cut into calendar days,
//! ISO weeks or calendar months of the reporting zone, and the summary over those buckets
//! ("how regularly does the peak occur?").
//!
//! Bucket boundaries are local midnights, so a daylight-saving day of 23 or 25 hours is
//! still one day. Every bucket with a positive overlap with the window is listed,
//! including partial first/last buckets and buckets with no activity.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;

use super::percentile::quantile_type7;
use super::sweep::{Micros, StepSeries, Walker};

/// Calendar unit of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BucketKind {
    /// Calendar day, local midnight to local midnight.
    Day,
    /// ISO week, Monday local midnight to the next Monday.
    Week,
    /// Calendar month, first-of-month local midnight to the next.
    Month,
}

/// One calendar bucket of a series, clipped to the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Calendar label in the reporting zone: `2024-03-04`, `2024-W10` (ISO week) or
    /// `2024-03`.
    pub label: String,
    /// Start of the bucket's overlap with the window (µs, UTC).
    pub start: Micros,
    /// End (exclusive) of the bucket's overlap with the window (µs, UTC).
    pub end: Micros,
    /// Whether the whole calendar bucket lies inside the window.
    pub full: bool,
    /// Highest level over the overlap.
    pub peak: u32,
    /// Time-weighted mean level over the overlap (divided by the overlap length).
    pub average: f64,
}

/// Distribution of bucket peaks and averages (percentiles: R type 7 / numpy linear).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketSummary {
    /// Number of buckets.
    pub count: usize,
    /// Median of the bucket peaks; `None` without buckets.
    pub peak_p50: Option<f64>,
    /// 95th percentile of the bucket peaks; `None` without buckets.
    pub peak_p95: Option<f64>,
    /// Highest bucket peak; `None` without buckets.
    pub peak_max: Option<u32>,
    /// Median of the bucket averages; `None` without buckets.
    pub average_p50: Option<f64>,
    /// 95th percentile of the bucket averages; `None` without buckets.
    pub average_p95: Option<f64>,
    /// Highest bucket average; `None` without buckets.
    pub average_max: Option<f64>,
    /// Buckets whose peak is at least 90 % of the overall peak
    /// (`10 * bucket_peak >= 9 * overall_peak`); 0 when the overall peak is 0.
    pub at_or_above_90pct_of_peak: usize,
    /// 90 % of the overall peak: the level those buckets reached (0 when the peak is 0).
    pub ninety_pct_of_peak: f64,
    /// `(peak, number of buckets with that peak)`, by peak ascending, only peaks that
    /// occur: the distribution of bucket peaks.
    pub peak_histogram: Vec<(u32, usize)>,
}

/// Cuts `series` into calendar buckets of `kind` in zone `tz`.
///
/// Walks the series once: O(steps + buckets). An empty window gives no buckets; so does
/// the part of a window beyond chrono's date range (about ±262,000 years), which ingest
/// never produces.
pub fn buckets(series: &StepSeries, tz: Tz, kind: BucketKind) -> Vec<Bucket> {
    if series.is_empty() {
        return Vec::new();
    }
    let mut walker = series.walker();
    periods(series.window, tz, kind)
        .into_iter()
        .map(|p| make_bucket(&mut walker, p.label, (p.start, p.end), series.window))
        .collect()
}

/// One calendar day, ISO week or month of the reporting zone, not clipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `2024-03-04`, `2024-W10` or `2024-03`.
    pub label: String,
    /// First instant (local midnight, or the end of a DST gap).
    pub start: Micros,
    /// First instant of the next period.
    pub end: Micros,
}

/// The calendar periods of `kind` in `tz` that overlap `window`, in order.
pub fn periods(window: (Micros, Micros), tz: Tz, kind: BucketKind) -> Vec<Period> {
    let mut out = Vec::new();
    let (w0, w1) = window;
    if w0 >= w1 {
        return out;
    }
    let Some(first) = local_datetime(tz, w0).and_then(|t| first_unit(t.date(), kind)) else {
        return out;
    };
    let mut date = first;
    let mut start = local_start(tz, midnight(date));
    while let (Some(s), Some(next)) = (start, next_unit(date, kind)) {
        if s >= w1 {
            break;
        }
        let end = local_start(tz, midnight(next)).map(|e| e.max(s));
        if let Some(e) = end.filter(|&e| e > w0 && e > s) {
            out.push(Period {
                label: label(date, kind),
                start: s,
                end: e,
            });
        }
        date = next;
        start = end;
    }
    out
}

/// Builds the bucket for calendar span `[s, e)` clipped to window `(w0, w1)`.
fn make_bucket(
    walker: &mut Walker<'_>,
    label: String,
    (s, e): (Micros, Micros),
    (w0, w1): (Micros, Micros),
) -> Bucket {
    let (start, end) = (s.max(w0), e.min(w1));
    let span = walker.span(start, end);
    Bucket {
        label,
        start,
        end,
        full: s >= w0 && e <= w1,
        peak: span.peak,
        average: span.integral as f64 / span.length as f64,
    }
}

/// Summarises buckets against the series' overall peak.
///
/// When the overall peak is 0 nothing was ever open, so no bucket "reaches the peak" and
/// `at_or_above_90pct_of_peak` is 0 (rather than every bucket).
pub fn summarize(buckets: &[Bucket], overall_peak: u32) -> BucketSummary {
    let mut peaks: Vec<f64> = buckets.iter().map(|b| f64::from(b.peak)).collect();
    let mut averages: Vec<f64> = buckets.iter().map(|b| b.average).collect();
    peaks.sort_by(f64::total_cmp);
    averages.sort_by(f64::total_cmp);
    let at_or_above = if overall_peak == 0 {
        0
    } else {
        let threshold = 9 * u64::from(overall_peak);
        buckets
            .iter()
            .filter(|b| 10 * u64::from(b.peak) >= threshold)
            .count()
    };
    BucketSummary {
        count: buckets.len(),
        peak_p50: quantile_type7(&peaks, 0.5),
        peak_p95: quantile_type7(&peaks, 0.95),
        peak_max: buckets.iter().map(|b| b.peak).max(),
        average_p50: quantile_type7(&averages, 0.5),
        average_p95: quantile_type7(&averages, 0.95),
        average_max: averages.last().copied(),
        at_or_above_90pct_of_peak: at_or_above,
        ninety_pct_of_peak: 0.9 * f64::from(overall_peak),
        peak_histogram: histogram(buckets),
    }
}

/// How many buckets have each peak, by peak ascending.
fn histogram(buckets: &[Bucket]) -> Vec<(u32, usize)> {
    let mut h = std::collections::BTreeMap::new();
    for b in buckets {
        *h.entry(b.peak).or_insert(0) += 1;
    }
    h.into_iter().collect()
}

/// Local wall-clock time of instant `t` in `tz`; `None` outside chrono's range.
pub(crate) fn local_datetime(tz: Tz, t: Micros) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_micros(t).map(|u| u.with_timezone(&tz).naive_local())
}

/// The first instant whose local time in `tz` is `local`: the earlier of two at a
/// fall-back, the end of the gap when `local` is skipped by a spring-forward.
pub(crate) fn local_start(tz: Tz, local: NaiveDateTime) -> Option<Micros> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Some(t.timestamp_micros()),
        chrono::LocalResult::Ambiguous(a, b) => Some(a.min(b).timestamp_micros()),
        chrono::LocalResult::None => gap_end(tz, local),
    }
}

/// The transition instant ending the gap that skips `local`: the first second whose
/// local time is at or after `local`, by bisection over seconds.
///
/// UTC offsets stay within ±16 h (even historic local mean time), so the search range of
/// `local` ± 26 h read as UTC brackets the answer; it assumes no second transition within
/// that range, which no real zone has next to a gap.
fn gap_end(tz: Tz, local: NaiveDateTime) -> Option<Micros> {
    let as_utc = local.and_utc().timestamp();
    let (mut lo, mut hi) = (as_utc - 26 * 3600, as_utc + 26 * 3600);
    // Invariant: local(lo) < local <= local(hi).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if local_datetime(tz, mid.checked_mul(1_000_000)?)? >= local {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi.checked_mul(1_000_000)
}

/// Local midnight starting `date`.
fn midnight(date: NaiveDate) -> NaiveDateTime {
    date.and_time(chrono::NaiveTime::MIN)
}

/// The unit before the one containing local date `d`: starting one unit early keeps a
/// window start inside a fall-back across midnight covered.
fn first_unit(d: NaiveDate, kind: BucketKind) -> Option<NaiveDate> {
    match kind {
        BucketKind::Day => d.checked_sub_days(Days::new(1)),
        BucketKind::Week => {
            let back = u64::from(d.weekday().num_days_from_monday()) + 7;
            d.checked_sub_days(Days::new(back))
        }
        BucketKind::Month => d.with_day(1)?.checked_sub_months(Months::new(1)),
    }
}

/// First local date of the unit after the one starting at `d`.
fn next_unit(d: NaiveDate, kind: BucketKind) -> Option<NaiveDate> {
    match kind {
        BucketKind::Day => d.checked_add_days(Days::new(1)),
        BucketKind::Week => d.checked_add_days(Days::new(7)),
        BucketKind::Month => d.checked_add_months(Months::new(1)),
    }
}

/// Label of the unit starting at `d`.
fn label(d: NaiveDate, kind: BucketKind) -> String {
    match kind {
        BucketKind::Day => d.format("%Y-%m-%d").to_string(),
        BucketKind::Week => {
            let w = d.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        BucketKind::Month => format!("{:04}-{:02}", d.year(), d.month()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::usage::sweep::{stats, step_series};
    use approx::assert_relative_eq;

    const H: Micros = 3_600_000_000;

    fn at(tz: Tz, y: i32, m: u32, d: u32, h: u32) -> Micros {
        let local = NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap();
        local_start(tz, local).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32) -> Micros {
        at(Tz::UTC, y, m, d, h)
    }

    #[test]
    fn session_across_midnight_counts_in_both_days() {
        let s = step_series(
            &[(utc(2024, 3, 4, 23), utc(2024, 3, 5, 1))],
            (utc(2024, 3, 4, 0), utc(2024, 3, 6, 0)),
        );
        let b = buckets(&s, Tz::UTC, BucketKind::Day);
        let labels: Vec<&str> = b.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["2024-03-04", "2024-03-05"]);
        assert_eq!((b[0].peak, b[1].peak), (1, 1));
        assert_relative_eq!(b[0].average, 1.0 / 24.0);
        assert!(b[0].full && b[1].full);
    }

    #[test]
    fn dst_days_are_23_and_25_hours_in_new_york() {
        let ny = chrono_tz::America::New_York;
        for (d, hours) in [((2024, 3, 10), 23), ((2024, 11, 3), 25)] {
            let day = NaiveDate::from_ymd_opt(d.0, d.1, d.2).unwrap();
            let (s, e) = (at(ny, d.0, d.1, d.2, 0), at(ny, d.0, d.1, d.2 + 1, 0));
            assert_eq!(e - s, hours * H);
            let series = step_series(&[], (s - H, e + H));
            let b = buckets(&series, ny, BucketKind::Day);
            let mid = b
                .iter()
                .find(|b| b.label == label(day, BucketKind::Day))
                .unwrap();
            assert_eq!((mid.start, mid.end, mid.full), (s, e, true));
            assert_eq!(b.len(), 3);
            assert!(!b[0].full && !b[2].full);
        }
    }

    #[test]
    fn week_labels_are_iso_weeks() {
        let s = step_series(&[], (utc(2024, 12, 28, 0), utc(2025, 1, 7, 0)));
        let b = buckets(&s, Tz::UTC, BucketKind::Week);
        let labels: Vec<&str> = b.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["2024-W52", "2025-W01", "2025-W02"]);
        assert_eq!(b[1].start, utc(2024, 12, 30, 0));
        assert_eq!(b[1].end, utc(2025, 1, 6, 0));
        assert_eq!((b[0].peak, b[0].average), (0, 0.0));
    }

    #[test]
    fn partial_first_bucket_divides_by_overlap() {
        // Window starts at 12:00; busy 12:00-18:00: the first day's average is 0.5.
        let w = (utc(2024, 3, 4, 12), utc(2024, 3, 6, 0));
        let s = step_series(&[(w.0, utc(2024, 3, 4, 18))], w);
        let b = buckets(&s, Tz::UTC, BucketKind::Day);
        assert_eq!(
            (b[0].start, b[0].end, b[0].full),
            (w.0, utc(2024, 3, 5, 0), false)
        );
        assert_relative_eq!(b[0].average, 0.5);
        assert_eq!(b[1].peak, 0);
    }

    #[test]
    fn month_labels_and_boundaries() {
        let s = step_series(&[], (utc(2024, 1, 31, 0), utc(2024, 3, 1, 1)));
        let b = buckets(&s, Tz::UTC, BucketKind::Month);
        let labels: Vec<&str> = b.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["2024-01", "2024-02", "2024-03"]);
        assert_eq!(
            (b[1].start, b[1].end, b[1].full),
            (utc(2024, 2, 1, 0), utc(2024, 3, 1, 0), true)
        );
    }

    #[test]
    fn spring_forward_gap_maps_to_its_end() {
        let ny = chrono_tz::America::New_York;
        // 02:00 on 2024-03-10 does not exist; the gap ends at 07:00 UTC (03:00 EDT).
        assert_eq!(at(ny, 2024, 3, 10, 2), utc(2024, 3, 10, 7));
        // 01:00 on 2024-11-03 happens twice; the earlier is 05:00 UTC (EDT).
        assert_eq!(at(ny, 2024, 11, 3, 1), utc(2024, 11, 3, 5));
    }

    #[test]
    fn summary_counts_days_near_peak() {
        let w = (utc(2024, 3, 4, 0), utc(2024, 3, 8, 0));
        let iv = [
            (utc(2024, 3, 4, 1), utc(2024, 3, 4, 2)),
            (utc(2024, 3, 5, 1), utc(2024, 3, 5, 2)),
            (utc(2024, 3, 5, 1), utc(2024, 3, 5, 2)),
        ];
        let s = step_series(&iv, w);
        let b = buckets(&s, Tz::UTC, BucketKind::Day);
        let sum = summarize(&b, stats(&s).peak);
        assert_eq!(sum.count, 4);
        assert_eq!(sum.peak_max, Some(2));
        assert_relative_eq!(sum.peak_p50.unwrap(), 0.5);
        assert_relative_eq!(sum.peak_p95.unwrap(), 1.85, epsilon = 1e-12);
        assert_eq!(sum.at_or_above_90pct_of_peak, 1);
        // The overall peak is 2, so the 90 % line sits at 1.8.
        assert_relative_eq!(sum.ninety_pct_of_peak, 1.8, epsilon = 1e-12);
        // Daily peaks 1, 2, 0, 0: two days at 0, one at 1, one at 2.
        assert_eq!(sum.peak_histogram, vec![(0, 2), (1, 1), (2, 1)]);
        assert_relative_eq!(sum.average_max.unwrap(), 2.0 / 24.0);
    }

    #[test]
    fn summary_of_nothing() {
        let sum = summarize(&[], 0);
        assert_eq!((sum.count, sum.peak_max, sum.peak_p50), (0, None, None));
        assert!(sum.peak_histogram.is_empty());
        let s = step_series(&[], (0, 10 * H));
        let b = buckets(&s, Tz::UTC, BucketKind::Day);
        assert_eq!(summarize(&b, 0).at_or_above_90pct_of_peak, 0);
    }
}
