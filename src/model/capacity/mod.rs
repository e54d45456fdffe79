//! Capacity: the scheduler replayed per content item, processes estimated and measured,
//! per-process resources, sizes per scenario, the architecture and the six questions.

pub mod architecture;
pub mod demand;
pub mod footprints;
pub mod jobs;
pub mod measured;
mod plan;
pub mod proc_table;
pub mod processes;
pub mod questions;
pub mod rare_peaks;
mod resources;
pub mod scheduler;
pub mod sizing;

pub use crate::model::wire::capacity::*;
pub use plan::{capacity, CapacityOptions, DesignPeak, Swept, JOBS_ONLY_NOTE, MODEL_NOTE};
