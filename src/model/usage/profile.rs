//! Hour-of-week profile (docs/metrics.md section 3): for each (weekday, local hour) slot, the
//! mean over the slot's occurrences in the window of that hour's peak.
//!
//! A local hour's occurrence runs from the first instant of local `HH:00` to the first
//! instant of the next local hour. At a DST fall-back the doubled hour is therefore one
//! occurrence spanning both passes (its peak is the max over both); an hour skipped by a
//! spring-forward has zero length and no occurrence.

use chrono::{Datelike, Duration, NaiveDateTime, Timelike};
use chrono_tz::Tz;
use serde::Serialize;

use super::buckets::{local_datetime, local_start};
use super::sweep::{Micros, StepSeries};

/// Mean hourly peak per (weekday, hour) slot in the reporting zone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourOfWeek {
    /// `means[weekday][hour]`, weekday 0 = Monday .. 6 = Sunday, hour 0..24 local; `None`
    /// when the slot never occurs in the window.
    pub means: Vec<Vec<Option<f64>>>,
    /// The slot with the highest mean (ties: earliest slot from Monday 00h); `None` for an
    /// empty window.
    pub busiest: Option<BusiestSlot>,
}

/// The busiest hour-of-week slot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusiestSlot {
    /// ISO weekday, 1 = Monday .. 7 = Sunday.
    pub weekday: u8,
    /// Local hour, 0..24.
    pub hour: u8,
    /// Mean over the slot's occurrences of the hour's peak.
    pub mean_peak: f64,
}

/// Running sums per slot: `(sum of hourly peaks, occurrences)`.
type Tally = [[(u64, u64); 24]; 7];

/// Builds the hour-of-week profile of `series` in zone `tz`, walking the series once.
pub fn hour_of_week(series: &StepSeries, tz: Tz) -> HourOfWeek {
    let tally = tally_hours(series, tz);
    let means: Vec<Vec<Option<f64>>> = tally
        .iter()
        .map(|day| {
            day.iter()
                .map(|&(sum, n)| (n > 0).then(|| sum as f64 / n as f64))
                .collect()
        })
        .collect();
    let busiest = busiest_slot(&means);
    HourOfWeek { means, busiest }
}

/// Sums each local hour's peak into its slot. Windows beyond chrono's date range (about
/// ±262,000 years) stop where chrono does.
fn tally_hours(series: &StepSeries, tz: Tz) -> Tally {
    let mut tally: Tally = [[(0, 0); 24]; 7];
    if series.is_empty() {
        return tally;
    }
    let (w0, w1) = series.window;
    // Start one hour early so a window start inside a doubled hour is still covered.
    let Some(mut hour) = local_datetime(tz, w0)
        .and_then(truncate_hour)
        .and_then(|t| t.checked_sub_signed(Duration::hours(1)))
    else {
        return tally;
    };
    let mut walker = series.walker();
    let mut start = local_start(tz, hour);
    while let (Some(s), Some(next)) = (start, hour.checked_add_signed(Duration::hours(1))) {
        if s >= w1 {
            break;
        }
        let end = local_start(tz, next).map(|e: Micros| e.max(s));
        if let Some(e) = end.filter(|&e| e > w0 && e > s) {
            let span = walker.span(s, e);
            let slot =
                &mut tally[hour.weekday().num_days_from_monday() as usize][hour.hour() as usize];
            slot.0 += u64::from(span.peak);
            slot.1 += 1;
        }
        hour = next;
        start = end;
    }
    tally
}

/// `t` with minutes and smaller units set to zero.
fn truncate_hour(t: NaiveDateTime) -> Option<NaiveDateTime> {
    t.date().and_hms_opt(t.hour(), 0, 0)
}

/// The slot with the highest mean; the first in (Monday 00h, Monday 01h, ...) order wins
/// ties.
fn busiest_slot(means: &[Vec<Option<f64>>]) -> Option<BusiestSlot> {
    let mut best: Option<BusiestSlot> = None;
    for (d, day) in means.iter().enumerate() {
        for (h, mean) in day.iter().enumerate() {
            let Some(m) = *mean else { continue };
            if best.as_ref().is_none_or(|b| m > b.mean_peak) {
                best = Some(BusiestSlot {
                    weekday: d as u8 + 1,
                    hour: h as u8,
                    mean_peak: m,
                });
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::usage::sweep::step_series;
    use approx::assert_relative_eq;
    use chrono::NaiveDate;

    const H: Micros = 3_600_000_000;

    fn utc(y: i32, m: u32, d: u32, h: u32) -> Micros {
        let t = NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap();
        t.and_utc().timestamp_micros()
    }

    #[test]
    fn two_weeks_of_monday_mornings() {
        // 2024-03-04 and 2024-03-11 are Mondays; 3 sessions the first week, 1 the second.
        let w = (utc(2024, 3, 4, 0), utc(2024, 3, 18, 0));
        let mut iv = vec![(utc(2024, 3, 4, 9), utc(2024, 3, 4, 10)); 3];
        iv.push((utc(2024, 3, 11, 9) + 1, utc(2024, 3, 11, 9) + 2));
        let p = hour_of_week(&step_series(&iv, w), Tz::UTC);
        assert_relative_eq!(p.means[0][9].unwrap(), 2.0);
        assert_relative_eq!(p.means[0][10].unwrap(), 0.0);
        assert_eq!(
            p.busiest,
            Some(BusiestSlot {
                weekday: 1,
                hour: 9,
                mean_peak: 2.0
            })
        );
    }

    #[test]
    fn ties_go_to_the_earliest_slot_and_unseen_slots_are_none() {
        // Tuesday 00:00 to 03:00: all-zero means, busiest is Tuesday 0h.
        let w = (utc(2024, 3, 5, 0), utc(2024, 3, 5, 3));
        let p = hour_of_week(&step_series(&[], w), Tz::UTC);
        assert_eq!(p.means[1][0..3], [Some(0.0); 3]);
        assert_eq!(p.means[1][3], None);
        assert_eq!(p.means[0][0], None);
        assert_eq!(
            p.busiest,
            Some(BusiestSlot {
                weekday: 2,
                hour: 0,
                mean_peak: 0.0
            })
        );
        assert_eq!(
            hour_of_week(&step_series(&[], (5, 5)), Tz::UTC).busiest,
            None
        );
    }

    #[test]
    fn fall_back_doubled_hour_is_one_occurrence() {
        // New York, Sunday 2024-11-03: 01:00-02:00 local happens twice (05:00-07:00 UTC).
        // One session in the first pass, two in the second: one occurrence, peak 2.
        let ny = chrono_tz::America::New_York;
        let w = (utc(2024, 11, 3, 4), utc(2024, 11, 3, 8)); // local 00:00 .. 03:00 EST
        let iv = [
            (utc(2024, 11, 3, 5), utc(2024, 11, 3, 5) + H / 2),
            (utc(2024, 11, 3, 6), utc(2024, 11, 3, 7)),
            (utc(2024, 11, 3, 6), utc(2024, 11, 3, 7)),
        ];
        let p = hour_of_week(&step_series(&iv, w), ny);
        let sunday = &p.means[6];
        assert_eq!(sunday[0..3], [Some(0.0), Some(2.0), Some(0.0)]);
        assert_eq!(sunday[3], None);
    }

    #[test]
    fn spring_forward_skipped_hour_has_no_occurrence() {
        // New York, Sunday 2024-03-10: 02:00 local does not exist.
        let ny = chrono_tz::America::New_York;
        let w = (utc(2024, 3, 10, 5), utc(2024, 3, 10, 8)); // local 00:00 .. 04:00 EDT
        let p = hour_of_week(&step_series(&[(w.0, w.1)], w), ny);
        let sunday = &p.means[6];
        assert_eq!(sunday[0..5], [Some(1.0), Some(1.0), None, Some(1.0), None]);
    }
}
