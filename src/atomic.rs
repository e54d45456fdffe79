//! All-or-nothing file writes: the content goes to a temporary file in the target's
//! folder, is flushed and synced, then renamed over the target. A reader (or a crash, or a
//! kill) sees the old file or the new one, never half of one.
//!
//! Two kinds of target are not replaced: a symbolic link stays a link, and the file it
//! leads to is replaced; a target that is neither a file nor a folder (`/dev/null`,
//! `/dev/stdout`, a named pipe) is written in place, since a rename would put a plain file
//! where the device was (as root, a `--output /dev/null` once turned the machine's
//! `/dev/null` into a file, and every later program that read it failed).
//!
//! Who may read the result is the caller's choice: [`write`] keeps the file to its owner
//! (mode 0600: history snapshots and fetched data hold user names, and are the tool's own
//! state); [`write_shared`] gives it the mode the umask gives a new file (0644 under umask
//! 022), as any other tool's output would have (reports).

use std::fs::File;
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

/// What the caller's `fill` writes into: a buffered file, the temporary one (or, for a
/// device or a pipe, the target itself).
pub type Sink<'a> = io::BufWriter<&'a mut File>;

/// Writes `path` atomically with whatever `fill` writes, readable by its owner only
/// (mode 0600); returns what `fill` returns.
pub fn write<T>(
    path: &Path,
    fill: impl FnOnce(&mut Sink<'_>) -> io::Result<T>,
) -> Result<T, WriteError> {
    write_with(path, false, fill)
}

/// Writes `path` atomically with whatever `fill` writes, with the mode the umask gives a
/// new file (0666 less the umask: 0644 under umask 022); returns what `fill` returns.
pub fn write_shared<T>(
    path: &Path,
    fill: impl FnOnce(&mut Sink<'_>) -> io::Result<T>,
) -> Result<T, WriteError> {
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

fn write_with<T>(
    path: &Path,
    shared: bool,
    fill: impl FnOnce(&mut Sink<'_>) -> io::Result<T>,
) -> Result<T, WriteError> {
    let (staged, value) = stage(path, shared, fill)?;
    staged.commit()?;
    Ok(value)
}

/// A file written, flushed and synced to a temporary file beside its target, not yet
/// renamed over it: [`Staged::commit`] renames it; dropped, it is deleted. Staging
/// several files before committing any writes them all or none, as far as the writing
/// goes (the renames that follow go one at a time). A target that is neither a file nor
/// a folder (`/dev/null`, `/dev/stdout`, a named pipe) cannot be replaced by a rename
/// without destroying it: it is written in place when staged, and commit does nothing.
pub struct Staged {
    /// The temporary file and the file it replaces (a symbolic link's destination);
    /// `None` once written in place.
    tmp: Option<(tempfile::NamedTempFile, PathBuf)>,
    /// The target as the caller named it.
    path: PathBuf,
}

impl Staged {
    /// The target.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the temporary file over the target.
    pub fn commit(self) -> Result<(), WriteError> {
        if let Some((tmp, target)) = self.tmp {
            tmp.persist(&target)
                .map_err(|e| failed(&self.path, e.error))?;
        }
        Ok(())
    }
}

/// Stages `path` with whatever `fill` writes, with the mode the umask gives a new file
/// (as [`write_shared`]), without replacing the target yet.
pub fn stage_shared(
    path: &Path,
    fill: impl FnOnce(&mut Sink<'_>) -> io::Result<()>,
) -> Result<Staged, WriteError> {
    stage(path, true, fill).map(|(staged, ())| staged)
}

/// Whether `path` is something a rename must not replace: it exists (through any
/// symbolic link) and is neither a regular file nor a folder (a folder is refused).
fn written_in_place(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// The file a chain of symbolic links ends at (the path itself when it is not a link,
/// and the last name reached when the chain is dangling or too long), so that the rename
/// replaces that file and the links stay links.
fn follow_links(path: &Path) -> PathBuf {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&at) {
            Ok(next) if next.is_absolute() => at = next,
            Ok(next) => at = at.parent().unwrap_or(Path::new("")).join(next),
            Err(_) => break,
        }
    }
    at
}

fn stage<T>(
    path: &Path,
    shared: bool,
    fill: impl FnOnce(&mut Sink<'_>) -> io::Result<T>,
) -> Result<(Staged, T), WriteError> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        let why = "this is a folder: give the name of a file (in it, or beside it)";
        return Err(failed(
            path,
            io::Error::new(io::ErrorKind::IsADirectory, why),
        ));
    }
    if written_in_place(path) {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| failed(path, e))?;
        let mut out = io::BufWriter::new(&mut file);
        let value = fill(&mut out).map_err(|e| failed(path, e))?;
        out.flush().map_err(|e| failed(path, e))?;
        let staged = Staged {
            tmp: None,
            path: path.to_path_buf(),
        };
        return Ok((staged, value));
    }
    let target = follow_links(path);
    let dir = match target.parent() {
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
    let mut out = io::BufWriter::new(tmp.as_file_mut());
    let value = fill(&mut out).map_err(|e| failed(path, e))?;
    out.flush().map_err(|e| failed(path, e))?;
    drop(out);
    tmp.as_file().sync_all().map_err(|e| failed(path, e))?;
    let staged = Staged {
        tmp: Some((tmp, target)),
        path: path.to_path_buf(),
    };
    Ok((staged, value))
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
        let folder = write_shared(dir.path(), |w| w.write_all(b"x")).unwrap_err();
        assert_eq!(folder.path, dir.path());
        assert!(
            folder.error.to_string().contains("folder"),
            "{}",
            folder.error
        );
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

    #[test]
    fn a_named_pipe_is_written_in_place_and_stays_a_pipe() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo unavailable; skipped");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        let staged = stage_shared(&fifo, |w| w.write_all(b"report\n")).unwrap();
        assert_eq!(staged.path(), fifo);
        staged.commit().unwrap();
        // Checked before joining: a replaced pipe would leave the reader waiting.
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "the pipe was replaced by a {kind:?}");
        assert_eq!(reader.join().unwrap(), "report\n");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
    }

    #[test]
    fn a_symbolic_link_stays_a_link_and_its_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("reports").join("latest.md");
        std::fs::create_dir(real.parent().unwrap()).unwrap();
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("report.md");
        std::os::unix::fs::symlink("reports/latest.md", &link).unwrap();
        let n = write_shared(&link, |w| w.write_all(b"new").map(|()| 3)).unwrap();
        assert_eq!(n, 3, "the fill's value comes back");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        // A dangling link: the file it names is created, through a chain of two links.
        let missing = dir.path().join("reports").join("next.md");
        let (a, b) = (dir.path().join("a.md"), dir.path().join("b.md"));
        std::os::unix::fs::symlink(&missing, &b).unwrap();
        std::os::unix::fs::symlink("b.md", &a).unwrap();
        write(&a, |w| w.write_all(b"first")).unwrap();
        assert!(std::fs::symlink_metadata(&a)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::symlink_metadata(&b)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&missing).unwrap(), "first");
    }
}
