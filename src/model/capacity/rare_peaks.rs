//! Rare peaks (docs/sizing.md section 1): the design series, serving cores and alive
//! memory, each judged on its own before the buffer. When the days whose peak reaches
//! 90 % of the series' absolute peak are fewer than `rare_peak_share` of the days, the
//! daily-p95 design stands beside the absolute one, with the days it would have been
//! exceeded and by how much. `--design-peak` still decides which one the size uses.

use serde::Serialize;

use super::demand::{ScenarioInputs, ScenarioReplay};
use super::scheduler::weighted_series;
use super::sizing::{self, Buffer, Demand};
use crate::model::usage::percentile::quantile_type7;
use crate::model::usage::sweep::Interval;

/// Fixed-point scale of the weights (as in the demand sums).
const FIXED: f64 = 1_000_000.0;

/// The daily-p95 design of a scenario whose absolute peak is rare (JSON
/// `sizing.<scenario>.daily_p95`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyP95 {
    /// Cores needed with the daily p95 of serving cores (the absolute peak when that series'
    /// peak is not rare), buffer and Connect included.
    pub cores: u64,
    /// RAM needed with the daily p95 of alive memory (likewise), GiB.
    pub ram_gib: u64,
    /// Days on which a rare series' daily peak exceeded its daily-p95 design.
    pub days_exceeded: u64,
    /// The most a day's serving-core peak exceeded the design, cores, before the buffer.
    pub max_excess_cores: f64,
    /// The most a day's alive-memory peak exceeded the design, GiB, before the buffer.
    pub max_excess_ram_gib: f64,
    /// Whether the serving-core peak is rare.
    pub cores_rare: bool,
    /// Whether the alive-memory peak is rare.
    pub ram_rare: bool,
    /// Days whose serving-core peak reached 90 % of its absolute peak, and the same for
    /// memory.
    pub days_near_peak_cores: u64,
    pub days_near_peak_ram: u64,
    /// Days of the window.
    pub days: u64,
}

impl DailyP95 {
    /// What the recommendation says of the choice `--design-peak` made.
    pub fn reason(&self, design: super::DesignPeak, share: f64) -> String {
        use crate::format::{cores, count, gib, percent_short};
        let near = match (self.cores_rare, self.ram_rare) {
            (true, true) => format!(
                "serving cores reach 90 % of their peak on {} of {} days, memory on {}",
                count(self.days_near_peak_cores),
                count(self.days),
                count(self.days_near_peak_ram)
            ),
            (true, false) => format!(
                "serving cores reach 90 % of their peak on {} of {} days",
                count(self.days_near_peak_cores),
                count(self.days)
            ),
            _ => format!(
                "alive memory reaches 90 % of its peak on {} of {} days",
                count(self.days_near_peak_ram),
                count(self.days)
            ),
        };
        let exceeded = format!(
            "exceeded on {} days, by up to {} and {} before the buffer",
            count(self.days_exceeded),
            cores(self.max_excess_cores),
            gib(self.max_excess_ram_gib)
        );
        match design {
            super::DesignPeak::Max => format!(
                "sized for the absolute peak (--design-peak max) although it is rare ({near}, \
                 under {} of the days): a daily-p95 design would need {} and {} but be \
                 {exceeded}; the absolute peak serves those days too",
                percent_short(share),
                cores(self.cores as f64),
                gib(self.ram_gib as f64)
            ),
            super::DesignPeak::DailyP95 => format!(
                "sized for the daily p95 (--design-peak daily-p95) since the absolute peak is \
                 rare ({near}): {} and {}, {exceeded}",
                cores(self.cores as f64),
                gib(self.ram_gib as f64)
            ),
        }
    }
}

/// One design series judged: daily peaks, the absolute peak, the daily p95, rarity.
struct Judged {
    daily: Vec<f64>,
    near: u64,
    p95: f64,
    peak: f64,
    rare: bool,
}

fn judge(daily: Vec<f64>, share: f64) -> Judged {
    let peak = daily.iter().copied().fold(0.0, f64::max);
    let near = daily.iter().filter(|d| **d >= 0.9 * peak).count() as u64;
    let mut sorted = daily.clone();
    sorted.sort_by(f64::total_cmp);
    let p95 = quantile_type7(&sorted, 0.95).unwrap_or(0.0);
    let rare = peak > 0.0 && (near as f64) < share * daily.len() as f64;
    Judged {
        daily,
        near,
        p95,
        peak,
        rare,
    }
}

impl Judged {
    /// The design value: the daily p95 when rare, else the absolute peak.
    fn design(&self) -> f64 {
        if self.rare {
            self.p95
        } else {
            self.peak
        }
    }

    /// Whether day `i` exceeds the design, and by how much.
    fn excess(&self, i: usize) -> f64 {
        if self.rare {
            (self.daily[i] - self.p95).max(0.0)
        } else {
            0.0
        }
    }
}

/// The daily-p95 design of a replay (limits lifted) with the calibration `factor`; `None`
/// when neither series' peak is rare.
pub fn daily_p95(
    p: &ScenarioInputs,
    lifted: &ScenarioReplay,
    factor: f64,
    buffer: &Buffer,
) -> Option<DailyP95> {
    let f = factor.max(0.0) * FIXED;
    let mut cores: Vec<(Interval, u64)> = Vec::new();
    let mut mib: Vec<(Interval, u64)> = Vec::new();
    for item in &lifted.items {
        let r = p.resource(item.content);
        let w = |x: u64| (x as f64 * f).round() as u64;
        mib.extend(item.replay.alive.iter().map(|iv| (*iv, w(r.mib))));
        cores.extend(item.replay.active.iter().map(|iv| (*iv, w(r.millicores))));
    }
    for iv in &p.renders {
        mib.push((*iv, sizing::RENDER.mib * FIXED as u64));
        cores.push((*iv, sizing::RENDER.millicores * FIXED as u64));
    }
    let share = p.opts.constants.rare_peak_share;
    let daily = |items: &[(Interval, u64)]| -> Vec<f64> {
        let s = weighted_series(items, p.window);
        s.daily_peaks(p.tz)
            .into_iter()
            .map(|v| v as f64 / FIXED)
            .collect()
    };
    let c = judge(daily(&cores), share);
    let m = judge(daily(&mib), share);
    if !(c.rare || m.rare) || c.daily.len() != m.daily.len() {
        return None;
    }
    let demand = Demand {
        design_processes: 0.0,
        design_active_processes: 0.0,
        active_millicores: c.design(),
        alive_mib: m.design(),
    };
    let size = sizing::size(&demand, buffer, &p.opts.constants);
    let days = c.daily.len();
    Some(DailyP95 {
        cores: size.cores,
        ram_gib: size.ram_gib,
        days_exceeded: (0..days)
            .filter(|&i| c.excess(i) > 0.0 || m.excess(i) > 0.0)
            .count() as u64,
        max_excess_cores: (0..days).map(|i| c.excess(i)).fold(0.0, f64::max) / 1000.0,
        max_excess_ram_gib: (0..days).map(|i| m.excess(i)).fold(0.0, f64::max) / 1024.0,
        cores_rare: c.rare,
        ram_rare: m.rare,
        days_near_peak_cores: c.near,
        days_near_peak_ram: m.near,
        days: days as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twenty days: nineteen at 10 and one at 40. Days at or above 36 (90 % of 40): one, 5 %
    /// of the days, not below 5 %: not rare. With 0.06 as the share it is rare; the daily
    /// p95 (type 7 over the sorted days: h = 0.95 x 19 = 18.05, between 10 and 40) is
    /// 10 + 0.05 x 30 = 11.5, exceeded on one day by 28.5.
    #[test]
    fn a_peak_is_rare_below_the_share_of_days() {
        let mut daily = vec![10.0; 19];
        daily.push(40.0);
        let j = judge(daily.clone(), 0.05);
        assert!(!j.rare);
        assert_eq!((j.near, j.peak), (1, 40.0));
        let j = judge(daily, 0.06);
        assert!(j.rare);
        assert!((j.p95 - 11.5).abs() < 1e-9);
        assert!((j.excess(19) - 28.5).abs() < 1e-9);
        assert_eq!(j.excess(0), 0.0);
        assert_eq!(j.design(), j.p95);
    }

    #[test]
    fn a_flat_or_empty_series_is_never_rare() {
        assert!(!judge(vec![5.0; 30], 0.05).rare);
        assert!(!judge(vec![0.0; 30], 0.05).rare);
        assert!(!judge(Vec::new(), 0.05).rare);
    }
}
