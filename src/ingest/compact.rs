//! Session rows kept in 32 bytes each: what the fast reader ([`super::fast`]) makes of a
//! large Shiny usage file. A [`super::SessionRow`] takes 56 bytes (its `Option`s and its
//! 64-bit line); here a missing user or end is a sentinel and the file is known per run of
//! rows, so ten million sessions hold 320 MB instead of 560 MB.

use rayon::prelude::*;

use super::{Micros, Origin, SessionRow};

/// `user` of an anonymous session.
const ANONYMOUS: u32 = u32::MAX;
/// `ended` of a session with no recorded end.
const OPEN: Micros = i64::MIN;

/// One session row, compactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactRow {
    started: Micros,
    /// [`OPEN`] when no end was recorded.
    ended: Micros,
    content: u32,
    /// [`ANONYMOUS`] when the user is unknown.
    user: u32,
    data_version: i32,
    /// 1-based physical line.
    line: u32,
}

impl CompactRow {
    /// The compact form of a row, when it has one: user ids below `u32::MAX`, lines below
    /// 2^32, an end other than `i64::MIN` (always so for ingested rows).
    pub fn new(r: &SessionRow) -> Option<CompactRow> {
        let user = match r.user {
            None => ANONYMOUS,
            Some(ANONYMOUS) => return None,
            Some(u) => u,
        };
        let ended = match r.ended {
            None => OPEN,
            Some(OPEN) => return None,
            Some(e) => e,
        };
        Some(CompactRow {
            started: r.started,
            ended,
            content: r.content,
            user,
            data_version: r.data_version,
            line: u32::try_from(r.origin.line).ok()?,
        })
    }

    /// The row of file `file`.
    pub fn row(&self, file: u32) -> SessionRow {
        SessionRow {
            content: self.content,
            user: (self.user != ANONYMOUS).then_some(self.user),
            started: self.started,
            ended: (self.ended != OPEN).then_some(self.ended),
            data_version: self.data_version,
            origin: Origin {
                file,
                line: u64::from(self.line),
            },
        }
    }

    /// Moves the row `by` lines down (the fast reader numbers lines per block first).
    pub(super) fn shift_line(&mut self, by: u32) {
        self.line += by;
    }

    /// Replaces the content and user ids through `content` and `user` (the fast reader
    /// numbers them per file first).
    pub(super) fn remap(&mut self, content: &[u32], user: &[u32]) {
        self.content = content[self.content as usize];
        if self.user != ANONYMOUS {
            self.user = user[self.user as usize];
        }
    }
}

/// Compact session rows, in runs of one file each.
#[derive(Debug, Default, Clone)]
pub struct CompactSessions {
    rows: Vec<CompactRow>,
    /// `(file index, first row)` of each run, in order.
    runs: Vec<(u32, usize)>,
}

impl CompactSessions {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Appends the rows of file `file`.
    pub fn push_file(&mut self, file: u32, rows: Vec<CompactRow>) {
        if rows.is_empty() {
            return;
        }
        self.runs.push((file, self.rows.len()));
        if self.rows.is_empty() {
            self.rows = rows;
        } else {
            self.rows.extend_from_slice(&rows);
        }
    }

    /// The rows alone, without their files (for a reader that no longer needs the
    /// origins: it can reuse the memory in place).
    pub fn into_rows(self) -> Vec<CompactRow> {
        self.rows
    }

    /// Each run: its file index and rows.
    pub fn runs(&self) -> impl Iterator<Item = (u32, &[CompactRow])> + '_ {
        self.runs.iter().enumerate().map(|(i, &(file, first))| {
            let end = self.runs.get(i + 1).map_or(self.rows.len(), |n| n.1);
            (file, &self.rows[first..end])
        })
    }

    /// Every row, in order.
    pub fn iter(&self) -> impl Iterator<Item = SessionRow> + '_ {
        self.runs()
            .flat_map(|(file, rows)| rows.iter().map(move |r| r.row(file)))
    }

    /// Every row, in parallel (indexed in order).
    pub fn par_iter(&self) -> impl IndexedParallelIterator<Item = SessionRow> + '_ {
        let runs = &self.runs;
        self.rows.par_iter().enumerate().map(move |(i, r)| {
            let run = runs.partition_point(|&(_, first)| first <= i);
            r.row(runs[run - 1].0)
        })
    }
}
