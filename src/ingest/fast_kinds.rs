//! The kinds the fast reader ([`super`]) takes: Shiny usage sessions, kept in 32 bytes
//! each ([`CompactRow`]), and job metrics samples ([`MetricSample`]). Each parses the
//! fields of a row exactly as the general reader would accept them, and gives up at
//! anything else (a missing value, a negative count) so the general reader can say what
//! is wrong.

use rayon::prelude::*;

use super::super::compact::CompactRow;
use super::super::detect::Header;
use super::super::reader::{parse_float, parse_int};
use super::super::Micros;
use super::super::{Dataset, Interner, MetricSample, Origin, SessionRow};
use super::{null, Dict, Name, NameCell, Rows, Times};

/// Rows of one kind with the two sets of names they refer to (content and users, or
/// content and job keys), numbered per block, then per file.
pub(super) struct Table<T> {
    rows: Vec<T>,
    contents: Dict,
    others: Dict,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            rows: Vec::new(),
            contents: Dict::default(),
            others: Dict::default(),
        }
    }
}

/// A row of a [`Table`]: its names and line can be renumbered.
pub(super) trait Renumber: Send + Sync {
    /// Replaces the content id by `content[id]` and the other name's by `other[id]`.
    fn remap(&mut self, content: &[u32], other: &[u32]);
    /// Moves the row `by` lines down.
    fn shift_line(&mut self, by: u32);
}

impl<T: Renumber> Table<T> {
    /// Appends the rows of the next block, whose first line is `first`.
    fn append_block(&mut self, block: Table<T>, first: u32) {
        let content = self.contents.absorb(block.contents);
        let other = self.others.absorb(block.others);
        self.rows.reserve(block.rows.len());
        for mut r in block.rows {
            r.remap(&content, &other);
            r.shift_line(first);
            self.rows.push(r);
        }
    }

    /// The rows, their names interned into `contents` and `others`.
    fn interned(self, contents: &mut Interner, others: &mut Interner) -> Vec<T> {
        let content = self.contents.intern_into(contents);
        let other = self.others.intern_into(others);
        let mut rows = self.rows;
        rows.par_iter_mut().for_each(|r| r.remap(&content, &other));
        rows
    }
}

impl Renumber for CompactRow {
    fn remap(&mut self, content: &[u32], user: &[u32]) {
        CompactRow::remap(self, content, user);
    }
    fn shift_line(&mut self, by: u32) {
        CompactRow::shift_line(self, by);
    }
}

impl Renumber for MetricSample {
    fn remap(&mut self, content: &[u32], job: &[u32]) {
        self.content = content[self.content as usize];
        self.job = job[self.job as usize];
    }
    fn shift_line(&mut self, by: u32) {
        self.origin.line += u64::from(by);
    }
}

/// Session rows of a Shiny usage file (the other names: users).
pub(super) type Sessions = Table<CompactRow>;

/// The columns session rows are read from.
pub(super) struct SessionCols {
    content: usize,
    user: Option<usize>,
    started: usize,
    ended: usize,
    data_version: Option<usize>,
}

impl Rows for Sessions {
    type Cols = SessionCols;

    fn cols(h: &Header) -> Option<SessionCols> {
        Some(SessionCols {
            content: h.index("content_guid")?,
            user: h.index("user_guid"),
            started: h.index("started")?,
            ended: h.index("ended")?,
            data_version: h.index("data_version"),
        })
    }

    fn push(&mut self, f: &[&[u8]], cols: &SessionCols, t: &mut Times, line: u32) -> Option<()> {
        let content = f[cols.content];
        if null(content) {
            return None;
        }
        let started = t.read(f[cols.started])??;
        let ended = t.read(f[cols.ended])?;
        let data_version = match cols.data_version.map(|i| f[i]) {
            None => 0,
            Some(s) if null(s) => 0,
            Some(s) => i32::try_from(parse_int(std::str::from_utf8(s).ok()?).ok()?).ok()?,
        };
        let user = match cols.user.map(|i| f[i]) {
            Some(u) if !null(u) => Some(NameCell::Text(u)),
            _ => None,
        };
        let names = (NameCell::Text(content), user);
        self.push_values(names, (started, ended), data_version, line)
    }

    fn append(&mut self, block: Sessions, first: u32) {
        self.append_block(block, first);
    }

    fn store(self, file: u32, ds: &mut Dataset) -> u64 {
        let rows = self.interned(&mut ds.content_ids, &mut ds.user_ids);
        let count = rows.len() as u64;
        ds.compact.push_file(file, rows);
        count
    }
}

impl Sessions {
    /// Adds a session whose values are read (the content and user as text or GUIDs) at
    /// `line` of the block; `None` when a name is not UTF-8 or the row does not fit a
    /// compact row.
    pub(super) fn push_values(
        &mut self,
        (content, user): (NameCell, Option<NameCell>),
        (started, ended): (Micros, Option<Micros>),
        data_version: i32,
        line: u32,
    ) -> Option<()> {
        let id = |dict: &mut Dict, cell: NameCell| match cell {
            NameCell::Text(s) => dict.id_of(s),
            NameCell::Guid(g) => Some(dict.id(Name::Guid(g))),
        };
        let content = id(&mut self.contents, content)?;
        let user = match user {
            Some(u) => Some(id(&mut self.others, u)?),
            None => None,
        };
        let row = SessionRow {
            content,
            user,
            started,
            ended,
            data_version,
            origin: Origin {
                file: 0,
                line: u64::from(line),
            },
        };
        self.rows.push(CompactRow::new(&row)?);
        Some(())
    }
}

/// Samples of a job metrics file (connect-exports.md 3.3; [`super::super::metrics`]; the
/// other names: job keys).
pub(super) type Metrics = Table<MetricSample>;

/// The columns samples are read from.
pub(super) struct MetricCols {
    content: usize,
    job: usize,
    time: usize,
    cpu: usize,
    memory: usize,
    connections: Option<usize>,
}

/// The text of a field that holds a value.
fn value(s: &[u8]) -> Option<&str> {
    if null(s) {
        return None;
    }
    std::str::from_utf8(s).ok()
}

/// A count as the general reader takes it: an integer (`3` or `3.0`), 0 or more.
fn count(s: &str) -> Option<u64> {
    u64::try_from(parse_int(s).ok()?).ok()
}

impl Rows for Metrics {
    type Cols = MetricCols;

    fn cols(h: &Header) -> Option<MetricCols> {
        Some(MetricCols {
            content: h.index("content_guid")?,
            job: h.index("job_key")?,
            time: h.index("timestamp")?,
            cpu: h.index("cpu_fraction")?,
            memory: h.index("memory_bytes")?,
            connections: h.index("connections"),
        })
    }

    fn push(&mut self, f: &[&[u8]], cols: &MetricCols, t: &mut Times, line: u32) -> Option<()> {
        let (content, job) = (f[cols.content], f[cols.job]);
        if null(content) || null(job) {
            return None;
        }
        let time = t.read(f[cols.time])??;
        let cpu = parse_float(value(f[cols.cpu])?).ok()?;
        if cpu < 0.0 {
            return None;
        }
        let memory = count(value(f[cols.memory])?)?;
        let connections = match cols.connections.map(|i| f[i]) {
            Some(c) if !null(c) => Some(u32::try_from(count(value(c)?)?).ok()?),
            _ => None,
        };
        self.rows.push(MetricSample {
            content: self.contents.id_of(content)?,
            job: self.others.id_of(job)?,
            time,
            cpu,
            memory,
            connections,
            origin: Origin {
                file: 0,
                line: u64::from(line),
            },
        });
        Some(())
    }

    fn append(&mut self, block: Metrics, first: u32) {
        self.append_block(block, first);
    }

    fn store(self, file: u32, ds: &mut Dataset) -> u64 {
        let mut rows = self.interned(&mut ds.content_ids, &mut ds.job_keys);
        rows.par_iter_mut().for_each(|s| s.origin.file = file);
        let count = rows.len() as u64;
        if ds.job_metrics.is_empty() {
            ds.job_metrics = rows;
        } else {
            ds.job_metrics.extend_from_slice(&rows);
        }
        count
    }
}
