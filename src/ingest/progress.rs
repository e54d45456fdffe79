//! A progress bar of bytes read, on stderr, for long reads: only when stderr is a
//! terminal (never in a pipe, a log or CI) and the inputs are large enough to wait for.

use std::io::{IsTerminal, Read};
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Inputs smaller than this read too fast to need a bar.
const MIN_BYTES: u64 = 64 << 20;

/// Bytes read so far out of the inputs' total.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for reading `total` bytes; hidden unless stderr is a terminal and `total`
    /// is large.
    pub fn new(total: u64) -> Progress {
        let show = total >= MIN_BYTES && std::io::stderr().is_terminal();
        let bar = if show {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "reading {msg} {wide_bar} {binary_bytes}/{binary_total_bytes} ({eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress { bar }
    }

    /// A bar that never shows.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    /// Starts on the file `path`.
    pub fn file(&self, path: &Path) {
        let name = path.file_name().unwrap_or(path.as_os_str());
        self.bar.set_message(name.to_string_lossy().into_owned());
    }

    /// `n` more bytes were read.
    pub fn add(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Bytes counted so far.
    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    /// Goes back (or forward) to `pos` bytes.
    pub fn set_position(&self, pos: u64) {
        self.bar.set_position(pos);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Whether the bar is drawn.
    pub fn is_visible(&self) -> bool {
        !self.bar.is_hidden()
    }
}

/// A reader that reports the bytes passing through it.
pub struct Counted<'a, R> {
    inner: R,
    progress: &'a Progress,
}

impl<'a, R> Counted<'a, R> {
    pub fn new(inner: R, progress: &'a Progress) -> Self {
        Counted { inner, progress }
    }
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_inputs_and_non_terminals_get_no_bar() {
        // Tests run with stderr captured or piped: never a terminal, so never a bar.
        assert!(!Progress::new(u64::MAX).is_visible());
        assert!(!Progress::new(1).is_visible());
        let p = Progress::hidden();
        let mut r = Counted::new(&b"abc"[..], &p);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc");
    }
}
