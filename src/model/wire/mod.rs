//! The JSON contract's types in one place: what `analyze --format json` writes (and the
//! other formats render). The computations live in the sub-domains; these types are what
//! they hand to the renderers. Every field carries a `///` saying what it means.

pub mod capacity;
mod report;

pub use report::*;
