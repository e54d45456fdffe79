//! All-or-nothing file writes: the content goes to a temporary file in the target's
//! folder, is flushed and synced, then renamed over the target. A reader (or a crash, or a
//! kill) sees the old file or the new one, never half of one.
//!
//! Who may read the result is the caller's choice: [`write`] keeps the file to its owner
//! (mode 0600: history snapshots and fetched data hold user names, and are the tool's own
//! state); [`write_shared`] gives it the mode the umask gives a new file (0644 under umask
//! 022), as any other tool's output would have (reports).

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

/// Writes `path` atomically with whatever `fill` writes, readable by its owner only
/// (mode 0600).
pub fn write(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), WriteError> {
    write_with(path, false, fill)
}

/// Writes `path` atomically with whatever `fill` writes, with the mode the umask gives a
/// new file (0666 less the umask: 0644 under umask 022).
pub fn write_shared(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), WriteError> {
    write_with(path, true, fill)
}

/// The temporary file: tempfile makes it 0600; `shared` asks for 0666, which the umask
/// then narrows as it does for any new file. The rename keeps the mode.
fn builder(shared: bool) -> tempfile::Builder<'static, 'static> {
    let mut b = tempfile::Builder::new();
    b.prefix(".connect-capacity-").suffix(".tmp");
    #[cfg(unix)]
    if shared {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    #[cfg(not(unix))]
    let _ = shared;
    b
}

fn write_with(
    path: &Path,
    shared: bool,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), WriteError> {
    stage(path, shared, fill)?.commit()
}

/// A file written, flushed and synced to a temporary file beside its target, not yet
/// renamed over it: [`Staged::commit`] renames it; dropped, it is deleted. Staging
/// several files before committing any writes them all or none, as far as the writing
/// goes (the renames that follow go one at a time).
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Staged {
    /// The target.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the temporary file over the target.
    pub fn commit(self) -> Result<(), WriteError> {
        let path = self.path;
        self.tmp
            .persist(&path)
            .map_err(|e| failed(&path, e.error))?;
        Ok(())
    }
}

/// Stages `path` with whatever `fill` writes, with the mode the umask gives a new file
/// (as [`write_shared`]), without replacing the target yet.
pub fn stage_shared(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<Staged, WriteError> {
    stage(path, true, fill)
}

fn stage(
    path: &Path,
    shared: bool,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<Staged, WriteError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // tempfile's own message names its random file; the folder is what the user gave.
    let mut tmp = builder(shared).tempfile_in(dir).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "this folder does not exist; create it first".into(),
            std::io::ErrorKind::PermissionDenied => "no permission to write in this folder".into(),
            k => format!("cannot write here ({k})"),
        };
        failed(dir, std::io::Error::new(e.kind(), why))
    })?;
    let mut buf = io::BufWriter::new(tmp.as_file_mut());
    fill(&mut buf).map_err(|e| failed(path, e))?;
    buf.flush().map_err(|e| failed(path, e))?;
    drop(buf);
    tmp.as_file().sync_all().map_err(|e| failed(path, e))?;
    Ok(Staged {
        tmp,
        path: path.to_path_buf(),
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// The umask of this process, read without changing it for other threads for long:
    /// /proc/self/status says it on Linux.
    fn umask() -> Option<u32> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("Umask:"))?;
        u32::from_str_radix(line.split_whitespace().nth(1)?, 8).ok()
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn staged_files_replace_their_targets_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        std::fs::write(&a, "old").unwrap();
        let staged = stage_shared(&a, |w| w.write_all(b"new")).unwrap();
        let failed = stage_shared(&b, |_| Err(io::Error::other("disk full")));
        assert!(failed.is_err());
        drop(staged);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
        let staged = stage_shared(&a, |w| w.write_all(b"new")).unwrap();
        assert_eq!(staged.path(), a);
        staged.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new");
    }

    #[test]
    fn private_files_are_0600_and_shared_ones_follow_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("history.json");
        let shared = dir.path().join("report.md");
        write(&private, |w| w.write_all(b"x")).unwrap();
        write_shared(&shared, |w| w.write_all(b"x")).unwrap();
        assert_eq!(mode(&private), 0o600);
        if let Some(mask) = umask() {
            assert_eq!(mode(&shared), 0o666 & !mask);
        }
        // Replacing keeps the rule, whatever the old file's mode was.
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&private, |w| w.write_all(b"y")).unwrap();
        assert_eq!(mode(&private), 0o600);
    }
}
