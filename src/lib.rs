//! connect-capacity: historical concurrency, processes, sizing and an architecture
//! recommendation for Posit Connect, computed from the CSV exports admins already have.
//!
//! Data flows one way: files → [`ingest`] → [`model`] → [`report`].
//! - [`ingest`] finds export files, detects their kind from the header, parses every row
//!   (with exact `path:line: column` errors) and interns GUIDs.
//! - [`model`] is pure and deterministic: sessions are normalised (metrics.md section 1),
//!   concurrency is computed by an exact event sweep, then bucketed and summarised.
//! - [`report`] renders a [`model::Report`] as a terminal report or JSON; it never computes.
//! - [`format`](mod@format) writes counts, percentages, sizes, durations and times one way
//!   for the renderers and the model's prose alike; it depends on nothing in the crate.

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
pub mod vocab;

pub use error::{Error, Result};
