//! All-or-nothing file writes: the content goes to a temporary file in the target's
//! folder, is flushed and synced, then renamed over the target. A reader (or a crash, or a
//! kill) sees the old file or the new one, never half of one.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A failed write: the file or folder, and what went wrong. Each caller's error type takes
/// it as an I/O error on that path.
#[derive(Debug)]
pub struct WriteError {
    /// The target file, or the folder the temporary file could not be made in.
    pub path: PathBuf,
    /// What went wrong.
    pub error: io::Error,
}

impl From<WriteError> for crate::Error {
    fn from(e: WriteError) -> Self {
        crate::Error::io(e.path, e.error)
    }
}

/// An I/O error on `path`.
fn failed(path: &Path, error: io::Error) -> WriteError {
    WriteError {
        path: path.to_path_buf(),
        error,
    }
}

/// Writes `path` atomically with whatever `fill` writes.
pub fn write(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), WriteError> {
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
            failed(dir, std::io::Error::new(e.kind(), why))
        })?;
    let mut buf = io::BufWriter::new(tmp.as_file_mut());
    fill(&mut buf).map_err(|e| failed(path, e))?;
    buf.flush().map_err(|e| failed(path, e))?;
    drop(buf);
    tmp.as_file().sync_all().map_err(|e| failed(path, e))?;
    tmp.persist(path).map_err(|e| failed(path, e.error))?;
    Ok(())
}
