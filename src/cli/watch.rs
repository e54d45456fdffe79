//! `--history`, `--every` and the utilisation alert: the flags of scheduled runs.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::error::{Error, Result};
use crate::model::over_time::trend::{Every, ServerCapacity};

/// Scheduled runs: snapshot history and utilisation alerts (`analyze` and `trend`).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "History and alerts (for cron)")]
pub struct WatchArgs {
    /// Keep each calendar period's key figures in DIR (one JSON file per period; a re-run
    /// replaces a period unless the stored version covers more of it).
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// Calendar unit of the history and the trend.
    #[arg(long, value_enum, default_value = "month", value_name = "UNIT")]
    pub every: EveryArg,
    /// Cores of today's server, for utilisation.
    #[arg(long, value_name = "N")]
    pub capacity_cores: Option<u64>,
    /// RAM of today's server in GiB, for utilisation.
    #[arg(long, value_name = "GIB")]
    pub capacity_ram: Option<f64>,
    /// Exit with code 3 when utilisation (needed / capacity, the tighter of cores and RAM)
    /// is at or above this fraction, e.g. 0.8.
    #[arg(long, value_name = "FRACTION")]
    pub alert_at: Option<f64>,
}

/// `--every` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum EveryArg {
    /// ISO weeks.
    Week,
    /// Calendar months.
    #[default]
    Month,
}

/// Validated `WatchArgs`.
#[derive(Debug, Clone, Default)]
pub struct WatchSettings {
    /// Snapshot folder.
    pub history: Option<PathBuf>,
    /// Calendar unit.
    pub every: Every,
    /// Today's server and the threshold.
    pub server: ServerCapacity,
}

impl WatchArgs {
    /// Validates the history and alert flags.
    pub fn settings(&self) -> Result<WatchSettings> {
        if let Some(a) = self.alert_at {
            // A fraction: above 1 alerts only past capacity, but 10 or more (1,000 %) is a
            // percentage typed by mistake (80 for 0.8), which could never fire.
            if !(a.is_finite() && a > 0.0 && a < 10.0) {
                return Err(Error::Usage(format!(
                    "--alert-at {a}: use a fraction above 0 and under 10, e.g. 0.8 for 80 %"
                )));
            }
            if self.capacity_cores.is_none() && self.capacity_ram.is_none() {
                return Err(Error::Usage(
                    "--alert-at needs today's server: add --capacity-cores N and/or --capacity-ram GIB"
                        .into(),
                ));
            }
        }
        if self.capacity_cores == Some(0) {
            return Err(Error::Usage("--capacity-cores must be 1 or more".into()));
        }
        if let Some(r) = self.capacity_ram {
            if !(r.is_finite() && r > 0.0) {
                return Err(Error::Usage("--capacity-ram must be above 0 GiB".into()));
            }
        }
        Ok(WatchSettings {
            history: self.history.clone(),
            every: match self.every {
                EveryArg::Week => Every::Week,
                EveryArg::Month => Every::Month,
            },
            server: ServerCapacity {
                cores: self.capacity_cores,
                ram_gib: self.capacity_ram,
                alert_at: self.alert_at,
            },
        })
    }
}
