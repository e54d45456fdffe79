//! Usage statistics: sessions normalised from the rows, exact concurrency by event sweep,
//! calendar buckets, percentiles, profiles, per-content and per-user figures, growth.

pub mod buckets;
pub mod content;
pub mod growth;
pub mod normalize;
pub mod people;
pub mod percentile;
pub mod profile;
pub mod sweep;
pub mod time;
pub mod warnings;
