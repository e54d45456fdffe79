//! The version line of `--version`: the crate version and the git commit the binary was
//! built from (build.rs; "unknown" without git). Only `--version` shows the commit:
//! reports, JSON, history snapshots, the man page and the User-Agent carry the crate
//! version alone, so golden files do not change with every commit.

/// `0.1.0 (commit abc1234)`; clap prints the command name before it.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CONNECT_CAPACITY_GIT_COMMIT"),
    ")"
);
