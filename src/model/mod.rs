//! Model: pure, deterministic computation over ingested records (concurrency sweep,
//! calendar buckets, hour-of-week profile, percentiles).

pub mod buckets;
pub mod percentile;
pub mod profile;
pub mod sweep;
