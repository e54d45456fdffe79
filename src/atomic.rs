//! All-or-nothing file writes: the content goes to a temporary file in the target's
//! folder, is flushed and synced, then renamed over the target. A reader (or a crash, or a
//! kill) sees the old file or the new one, never half of one.

use std::io::{self, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `path` atomically with whatever `fill` writes.
pub fn write(path: &Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".connect-capacity-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    let mut buf = io::BufWriter::new(tmp.as_file_mut());
    fill(&mut buf).map_err(|e| Error::io(path, e))?;
    buf.flush().map_err(|e| Error::io(path, e))?;
    drop(buf);
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}
