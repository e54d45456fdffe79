//! JSON renderer: the report tree with full precision (the documented contract).

use std::io::{self, Write};

use serde::Serialize;

/// Writes any value as pretty-printed JSON and a newline. An I/O error keeps its kind,
/// so a closed pipe (`| head`) is recognised as one.
pub fn write_json<T: Serialize>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|e| match e.io_error_kind() {
        Some(kind) => io::Error::from(kind),
        None => io::Error::other(e),
    })?;
    writeln!(out)
}
