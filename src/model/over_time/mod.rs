//! Change over time: two periods compared, and the trend of period snapshots.

pub mod compare;
pub mod fingerprint;
pub mod trend;
