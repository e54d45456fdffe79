//! The working rhythm of the sample: how busy each UTC hour of the window is.
//!
//! Weight of an hour = weekday factor x hour-of-day curve (two bumps, 10:30 and 14:30 in
//! America/New_York, DST handled by chrono-tz) x steady growth (~6 % a month), with a
//! busier "board meeting" day on the first Monday of every month. One f64 per hour, so
//! memory depends on the window length only, never on the session count.

use super::fmt::Secs;
use chrono::{DateTime, Datelike, Timelike, Weekday};
use chrono_tz::America::New_York;

/// Monthly growth of session volume.
pub const GROWTH_PER_MONTH: f64 = 0.06;
const DAYS_PER_MONTH: f64 = 30.44;
/// Extra multiplier for office hours on board-meeting days.
const BOARD_DAY_FACTOR: f64 = 1.8;

/// Hourly weights over the window.
#[derive(Clone, Debug)]
pub struct Rhythm {
    /// Start of hour 0 (UTC seconds).
    pub start: Secs,
    /// Relative expected volume of each hour.
    pub weights: Vec<f64>,
    /// Growth factor of each hour (1.0 at the start of the window).
    pub growth: Vec<f64>,
    /// True for the 09:00 local hour of each board-meeting day.
    pub board_hour: Vec<bool>,
}

fn weekday_factor(day: Weekday) -> f64 {
    match day {
        Weekday::Mon => 1.0,
        Weekday::Tue | Weekday::Wed => 1.05,
        Weekday::Thu => 1.0,
        Weekday::Fri => 0.8,
        Weekday::Sat => 0.12,
        Weekday::Sun => 0.08,
    }
}

fn bump(h: f64, centre: f64, width: f64) -> f64 {
    (-(h - centre).powi(2) / (2.0 * width * width)).exp()
}

/// Hour-of-day curve at local fractional hour `h`: night floor, morning and afternoon peaks.
fn hour_curve(h: f64) -> f64 {
    0.03 + bump(h, 10.5, 1.3) + 0.9 * bump(h, 14.5, 1.5)
}

/// Local facts about the middle of one UTC hour.
struct Local {
    weekday: Weekday,
    hour: f64,
    board_day: bool,
}

fn local_at(t: Secs) -> Local {
    let utc = DateTime::from_timestamp(t, 0).unwrap_or_default();
    let local = utc.with_timezone(&New_York);
    Local {
        weekday: local.weekday(),
        hour: f64::from(local.hour()) + f64::from(local.minute()) / 60.0,
        board_day: local.weekday() == Weekday::Mon && local.day() <= 7,
    }
}

impl Rhythm {
    /// Weights for `hours` hours from `start`.
    pub fn new(start: Secs, hours: usize) -> Rhythm {
        let mut r = Rhythm {
            start,
            weights: Vec::with_capacity(hours),
            growth: Vec::with_capacity(hours),
            board_hour: Vec::with_capacity(hours),
        };
        let monthly = (1.0 + GROWTH_PER_MONTH).ln();
        for k in 0..hours {
            let local = local_at(start + k as Secs * 3600 + 1800);
            let growth = (monthly * k as f64 / 24.0 / DAYS_PER_MONTH).exp();
            let office = (8.0..17.0).contains(&local.hour);
            let board = if local.board_day && office {
                BOARD_DAY_FACTOR
            } else {
                1.0
            };
            let w = weekday_factor(local.weekday) * hour_curve(local.hour) * board * growth;
            r.weights.push(w);
            r.growth.push(growth);
            r.board_hour
                .push(local.board_day && (9.0..10.0).contains(&local.hour));
        }
        r
    }

    /// Number of hours.
    pub fn hours(&self) -> usize {
        self.weights.len()
    }

    /// Sum of all weights (to turn a total into a per-weight rate).
    pub fn total(&self) -> f64 {
        self.weights.iter().sum()
    }

    /// Sum of growth over board-meeting hours (to budget the bursts).
    pub fn board_growth(&self) -> f64 {
        (0..self.hours())
            .filter(|&k| self.board_hour[k])
            .map(|k| self.growth[k])
            .sum()
    }

    /// Start of hour `k`.
    pub fn hour_start(&self, k: usize) -> Secs {
        self.start + k as Secs * 3600
    }
}
