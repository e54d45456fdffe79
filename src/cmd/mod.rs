//! Commands, one file per command: its clap arguments and its `run`.

pub mod completions;
pub mod man;
