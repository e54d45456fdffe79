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
    // tempfile's own message names its random file; the folder is what the user gave.
    let mut tmp = tempfile::Builder::new()
        .prefix(".connect-capacity-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => {
                    "this folder does not exist; create it first".into()
                }
                std::io::ErrorKind::PermissionDenied => {
                    "no permission to write in this folder".into()
                }
                k => format!("cannot write here ({k})"),
            };
            Error::io(dir, std::io::Error::new(e.kind(), why))
        })?;
    let mut buf = io::BufWriter::new(tmp.as_file_mut());
    fill(&mut buf).map_err(|e| Error::io(path, e))?;
    buf.flush().map_err(|e| Error::io(path, e))?;
    drop(buf);
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}
