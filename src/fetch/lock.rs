//! One `fetch` at a time per output folder: an exclusive lock (the `fs4` crate) on
//! `.fetch.lock` in the folder, taken before anything is read, asked or written, and held until the run ends.
//! The operating system releases it when the process exits, however it exits, so a killed
//! run never leaves the folder locked. An hourly cron run that starts while the previous one
//! is still asking for job metrics stops at once, changing nothing.

use std::fs::{File, OpenOptions};

use fs4::{FileExt, TryLockError};
use std::path::Path;

use super::FetchError;

/// The lock file's name inside the output folder (hidden, so `analyze DIR` skips it).
pub const FILE: &str = ".fetch.lock";

/// The held lock; dropping it releases the folder.
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
    /// Why the folder could not be locked, on a file system without locks (some network
    /// mounts): the run goes on unguarded, and says so.
    pub unguarded: Option<String>,
}

/// Takes the folder's lock, or fails with [`FetchError::Busy`] when another process
/// holds it; where the file system has no locks, goes on with [`FolderLock::unguarded`]
/// saying so. The lock file is created empty (mode 0600) if missing and never removed:
/// removing it while another process waits to open it would let two runs lock two files.
pub fn acquire(dir: &Path) -> Result<FolderLock, FetchError> {
    let path = dir.join(FILE);
    let mut open = OpenOptions::new();
    open.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    let file = open.open(&path).map_err(|e| FetchError::io(&path, e))?;
    // fs4's lock (flock on Unix, LockFileEx on Windows), called by its trait's name: the
    // standard library's own `File::try_lock` needs Rust 1.89, above this crate's
    // rust-version.
    match FileExt::try_lock(&file) {
        Ok(()) => Ok(FolderLock {
            _file: file,
            unguarded: None,
        }),
        Err(TryLockError::WouldBlock) => Err(FetchError::Busy { path }),
        Err(TryLockError::Error(e)) => Ok(FolderLock {
            _file: file,
            unguarded: Some(format!(
                "note: {}: cannot lock it ({e}); a second fetch on this folder at the same \
                 time would not be stopped",
                path.display()
            )),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_folder_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path()).unwrap();
        assert_eq!(first.unguarded, None);
        let e = acquire(dir.path()).unwrap_err();
        assert!(matches!(e, FetchError::Busy { .. }), "{e}");
        assert!(e.to_string().contains("another fetch"), "{e}");
        drop(first);
        assert!(acquire(dir.path()).is_ok());
    }
}
