//! connect-capacity: historical concurrency, processes, sizing and an architecture
//! recommendation for Posit Connect, computed from the exports admins already have.
//!
//! Data flows one way: files → [`ingest`] → [`model`] → [`report`]; [`cmd`] (one module
//! per command), [`cli`] (shared flags), [`config`] and [`fetch`] (the Connect API
//! client) sit outside those layers and call into them. docs/architecture.md has the
//! diagram and what each module may import.
//! - [`ingest`] finds export files, detects their kind from the header, parses and
//!   validates every row (with exact `path:line: column` errors) and interns GUIDs.
//! - [`model`] is pure and deterministic: sessions are normalised (docs/metrics.md
//!   section 1), concurrency is computed by an exact event sweep, processes by replaying a
//!   model of Connect's scheduler, sizes and the architecture by docs/sizing.md.
//! - [`report`] renders a [`model::Report`] (and `compare`, `trend`) in four formats; it
//!   never computes.
//! - Shared vocabulary that imports no layer: [`error`], [`settings`] (settings defined
//!   once, merged by layer), [`vocab`] (Connect's content modes), [`atomic`] (safe writes),
//!   [`format`](mod@format) (counts, percentages, sizes, durations and times written one
//!   way for the renderers and the model's prose alike).
//! - Also outside the layers: [`history`] (period snapshots), [`anonymize`] (pseudonyms
//!   applied right after ingest), [`sample`] (the seeded generator of sample_data/).

pub mod anonymize;
pub mod atomic;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod error;
pub mod fetch;
pub mod format;
pub mod history;
pub mod ingest;
pub mod model;
pub mod report;
pub mod sample;
pub mod settings;
pub mod version;
pub mod vocab;

pub use error::{Error, Result};
