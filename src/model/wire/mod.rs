//! The top of the JSON contract: [`Report`] (what `analyze --format json` writes and the
//! other formats render) and its sections, with the capacity sections in [`capacity`].
//! The leaf figures inside them (concurrency stats, buckets, per-content rows, sizes,
//! the recommendation, ...) are the sub-domains' own result types, which these assemble;
//! `compare` and `trend` write their own reports (`over_time`). Every field carries a
//! `///` saying what it means.

pub mod capacity;
mod report;

pub use report::*;
