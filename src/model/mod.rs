//! Model: pure, deterministic computation from a [`Dataset`] to a [`Report`]. No I/O, no
//! clock, no clap. Output never depends on thread count or input row order.

pub mod analyze;
pub mod capacity;
pub mod over_time;
pub mod sessions;
pub mod usage;
pub mod wire;

pub use analyze::{analyze, analyze_owned};
pub use wire::Report;

use chrono_tz::Tz;

use crate::ingest::Micros;
use usage::time;

/// Analysis options (validated command-line flags).
#[derive(Debug, Clone)]
pub struct Options {
    /// Reporting zone: days, weeks, months, hour-of-week, displayed times.
    pub tz: Tz,
    /// User GUIDs or usernames whose sessions and visits are dropped.
    pub exclude_users: Vec<String>,
    /// Lower-cased user-agent substrings whose visits are dropped.
    pub exclude_user_agents: Vec<String>,
    /// Sessions shorter than this are dropped.
    pub min_session: Option<Micros>,
    /// Window start (`--from`).
    pub from: Option<Micros>,
    /// Window end, exclusive (`--to`).
    pub to: Option<Micros>,
    /// Cap for sessions without an end; `None` = until the window end.
    pub open_cap: Option<Micros>,
    /// Subtracted from every recorded end.
    pub reconnect_timeout: Micros,
    /// "Now" for licence-style counts; default the window end.
    pub as_of: Option<Micros>,
    /// Scheduler, sizing and architecture inputs.
    pub capacity: capacity::CapacityOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tz: Tz::UTC,
            exclude_users: Vec::new(),
            exclude_user_agents: Vec::new(),
            min_session: None,
            from: None,
            to: None,
            open_cap: Some(24 * time::HOUR),
            reconnect_timeout: 0,
            as_of: None,
            capacity: capacity::CapacityOptions::standard(),
        }
    }
}
