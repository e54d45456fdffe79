//! Argument groups shared by several commands (clap derive), each validated into the
//! library's settings types. clap lives only here and in [`crate::cmd`], whose files hold
//! each command's own arguments.

mod capacity;
mod connection;
mod data;
mod output;
mod parse;
mod watch;

pub use capacity::{CapacityArgs, DesignPeakArg};
pub use connection::{server_and_key, AnalyzeServerArgs, ConnectionArgs, KEY_VAR};
pub use data::DataArgs;
pub use output::{FormatArg, OutputArgs};
pub use parse::{parse_duration, parse_period, parse_time, parse_zone};
pub use watch::{EveryArg, WatchArgs, WatchSettings};
