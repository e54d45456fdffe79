//! File discovery (stub; being implemented).
use super::{Dataset, IngestOptions};
use std::path::PathBuf;
/// Reads every export under `paths`.
pub fn read_inputs(_paths: &[PathBuf], _opts: &IngestOptions) -> crate::Result<Dataset> {
    Err(crate::Error::Usage("not implemented".into()))
}
