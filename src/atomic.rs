//! All-or-nothing file writes: the content goes to a temporary file in the target's
//! folder, is flushed and synced, then renamed over the target. A reader (or a crash, or a
//! kill) sees the old file or the new one, never half of one.
//!
//! Some targets are not replaced: a symbolic link of the running user's stays a link, and
//! the file it leads to is replaced (another user's link is not followed); a device
//! (`/dev/null`), the user's own named pipe, and a file reached through a descriptor link
//! (`/dev/stdout` when the shell sends it to a file) are written in place, appending,
//! since a rename would put a plain file where the device was (as root, a `--output
//! /dev/null` once turned the machine's `/dev/null` into a file, and every later program
//! that read it failed) or replace the shell's log.
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

/// Whether `path` (which exists, as `meta`, and is no folder) is written in place rather
/// than replaced by a rename: a device (`/dev/null`), a pipe or socket of the running
/// user's, or a file reached through a file-descriptor link (`-o /dev/stdout >>
/// capacity.log` goes through `/proc/self/fd/1`: the shell's file, opened for appending,
/// must not be replaced).
fn written_in_place(path: &Path, meta: &std::fs::Metadata) -> bool {
    if meta.is_file() {
        return hops(path).any(|p| is_descriptor(&p));
    }
    is_device(meta) || owned_by_me(meta)
}

/// Where the symbolic link `at` points, resolved against its folder; `None` when `at` is
/// not a link.
fn next_link(at: &Path) -> Option<PathBuf> {
    let next = std::fs::read_link(at).ok()?;
    Some(if next.is_absolute() {
        next
    } else {
        at.parent().unwrap_or(Path::new("")).join(next)
    })
}

/// Most links followed in one chain (the kernel's own limit).
const MAX_HOPS: usize = 40;

/// `path` and every name its chain of symbolic links reaches.
fn hops(path: &Path) -> impl Iterator<Item = PathBuf> {
    std::iter::successors(Some(path.to_path_buf()), |p| next_link(p)).take(MAX_HOPS + 1)
}

/// `/dev/fd/N` or `/proc/PID/fd/N`: a name for a file a process holds open.
fn is_descriptor(p: &Path) -> bool {
    let text = p.to_string_lossy();
    text.starts_with("/dev/fd/")
        || text.starts_with("/proc/") && text.split('/').nth(3) == Some("fd")
}

#[cfg(unix)]
fn is_device(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_char_device() || meta.file_type().is_block_device()
}

#[cfg(not(unix))]
fn is_device(_: &std::fs::Metadata) -> bool {
    false
}

/// Whether the running user owns the file (Linux: the owner of `/proc/self`, which is
/// the effective user); `false` where that cannot be told.
#[cfg(unix)]
fn owned_by_me(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|me| me.uid() == meta.uid())
}

#[cfg(not(unix))]
fn owned_by_me(_: &std::fs::Metadata) -> bool {
    false
}

/// The file a chain of the running user's symbolic links ends at, so that the rename
/// replaces that file and the links stay links. A link owned by someone else is not
/// followed (the rename then replaces the link itself, or fails in a sticky folder such
/// as /tmp): one planted in a shared folder must not aim the report at another file, as
/// the kernel's protected_symlinks rule would also refuse.
fn follow_links(path: &Path) -> PathBuf {
    let mine = |p: &Path| {
        std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink() && owned_by_me(&m))
    };
    let chain = std::iter::successors(Some(path.to_path_buf()), |p| {
        mine(p).then(|| next_link(p)).flatten()
    });
    chain
        .take(MAX_HOPS + 1)
        .last()
        .unwrap_or_else(|| path.to_path_buf())
}

fn stage<T>(
    path: &Path,
    shared: bool,
    fill: impl FnOnce(&mut Sink<'_>) -> io::Result<T>,
) -> Result<(Staged, T), WriteError> {
    let meta = std::fs::metadata(path).ok();
    if meta.as_ref().is_some_and(|m| m.is_dir()) {
        let why = "this is a folder: give the name of a file (in it, or beside it)";
        return Err(failed(
            path,
            io::Error::new(io::ErrorKind::IsADirectory, why),
        ));
    }
    if meta.is_some_and(|m| written_in_place(path, &m)) {
        // Appending: harmless for a device or pipe, right for a shell's `>>` file.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
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

    #[test]
    fn another_users_link_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "theirs").unwrap();
        let planted = dir.path().join("report.html");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        // Giving the link away needs root; elsewhere there is nothing to test.
        if std::os::unix::fs::lchown(&planted, Some(65534), Some(65534)).is_err() {
            eprintln!("not root; skipped");
            return;
        }
        write_shared(&planted, |w| w.write_all(b"report")).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "theirs");
        let kind = std::fs::symlink_metadata(&planted).unwrap().file_type();
        assert!(kind.is_file(), "the link itself was replaced: {kind:?}");
    }

    #[test]
    fn a_descriptor_link_to_a_file_is_appended_to_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("capacity.log");
        std::fs::write(&log, "earlier\n").unwrap();
        let open = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        use std::os::unix::io::AsRawFd;
        let by_fd = PathBuf::from(format!("/proc/self/fd/{}", open.as_raw_fd()));
        if !by_fd.exists() {
            eprintln!("no /proc; skipped");
            return;
        }
        write_shared(&by_fd, |w| w.write_all(b"report\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "earlier\nreport\n");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file, no replacement");
    }
}
