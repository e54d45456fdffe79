//! A raw Posit Chronicle metric kept as its files' Parquet columns (cargo feature
//! `parquet`): the environment filter and the visit dedupe choose rows by reading only
//! the cells they compare, and every other cell is written as text only when the export
//! parsers read its row (as a plain Parquet export's rows are), so millions of visits are
//! never held as a table of strings. Snapshots (users, content) become a
//! [`Frame`] of text after the filter ([`Events::into_frame`]).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::Path;

use csv::StringRecord;

use super::chronicle_frame::{Frame, SourceFile};
use super::detect::Header;
use super::parquet::{CellKey, Table};
use super::reader::{Next, Records};

/// One file of an [`Events`]: its columns and where each of the metric's columns is.
struct Part {
    table: Table,
    file: SourceFile,
    /// Per column of the metric, its index in `table` (`None`: the file lacks it).
    cols: Vec<Option<usize>>,
}

/// A kept row: its file (index into [`Events::parts`]) and its 0-based row there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kept {
    part: u32,
    row: u32,
}

/// A raw metric's files, the union of their columns, and the rows kept.
#[derive(Default)]
pub(super) struct Events {
    /// Column names (the union of the files', in order of appearance).
    pub names: Vec<String>,
    /// Renamed columns: (name now, name in the files).
    renamed: Vec<(String, String)>,
    parts: Vec<Part>,
    keep: Vec<Kept>,
}

impl Events {
    /// The index of column `name`.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Adds the rows of `table`, read from `file`.
    pub fn append(&mut self, table: Table, file: SourceFile) {
        for name in &table.names {
            if self.col(name).is_none() {
                self.names.push(name.clone());
                self.parts.iter_mut().for_each(|p| p.cols.push(None));
            }
        }
        let cols = self
            .names
            .iter()
            .map(|n| table.names.iter().position(|t| t == n))
            .collect();
        let part = self.parts.len() as u32;
        let rows = u32::try_from(table.rows()).unwrap_or(u32::MAX);
        self.keep.extend((0..rows).map(|row| Kept { part, row }));
        self.parts.push(Part { table, file, cols });
    }

    /// The files read.
    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.parts.iter().map(|p| &p.file)
    }

    /// Writes the cell of kept row `k`, column `col`, as text into `out` (cleared first;
    /// nothing for a null or a column the file lacks).
    fn cell(&self, k: Kept, col: usize, out: &mut String) {
        out.clear();
        let part = &self.parts[k.part as usize];
        if let Some(c) = part.cols[col] {
            part.table.write_cell(c, k.row as usize, out);
        }
    }

    /// The distinct non-empty values of column `name` in the rows kept.
    pub fn values(&self, name: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let Some(col) = self.col(name) else {
            return found;
        };
        let mut buf = String::new();
        for &k in &self.keep {
            self.cell(k, col, &mut buf);
            if !buf.is_empty() && !found.contains(&buf) {
                found.insert(buf.clone());
            }
        }
        found
    }

    /// Keeps the rows whose column `name` is empty or `value`.
    pub fn retain_value(&mut self, name: &str, value: &str) {
        let Some(col) = self.col(name) else {
            return;
        };
        let mut buf = String::new();
        let mut keep = std::mem::take(&mut self.keep);
        keep.retain(|&k| {
            self.cell(k, col, &mut buf);
            buf.is_empty() || buf == value
        });
        self.keep = keep;
    }

    /// Drops rows whose cells in `cols` all equal an earlier row's (a missing column
    /// compares as empty); returns how many. Rows are compared by a hash of those cells,
    /// then cell by cell when two hashes meet, so the result is exact. Cells compare as
    /// their text; when every file holds each key column in one kind, by their typed
    /// values instead (the same answer, without writing timestamps as text).
    pub fn dedupe(&mut self, cols: &[&str]) -> usize {
        let at: Vec<usize> = cols.iter().filter_map(|c| self.col(c)).collect();
        let typed = self.typed_keys(&at);
        let mut first: HashMap<u64, Kept> = HashMap::new();
        let mut more: HashMap<u64, Vec<Kept>> = HashMap::new();
        let (mut a, mut b) = (String::new(), String::new());
        let before = self.keep.len();
        let mut keep = std::mem::take(&mut self.keep);
        keep.retain(|&k| {
            let hash = self.key_hash(k, &at, typed, &mut a);
            let Some(&seen) = first.get(&hash) else {
                first.insert(hash, k);
                return true;
            };
            let mut same = |other: Kept| {
                at.iter().all(|&c| {
                    if typed {
                        return self.key(k, c) == self.key(other, c);
                    }
                    self.cell(k, c, &mut a);
                    self.cell(other, c, &mut b);
                    a == b
                })
            };
            let others = more.entry(hash).or_default();
            if same(seen) || others.iter().any(|&o| same(o)) {
                return false;
            }
            others.push(k);
            true
        });
        self.keep = keep;
        before - self.keep.len()
    }

    /// Whether each of columns `at` is, in every file holding it, of one kind that
    /// [`Table::cell_key`] reads exactly (a column of nulls goes with any).
    fn typed_keys(&self, at: &[usize]) -> bool {
        at.iter().all(|&c| {
            let mut kinds = BTreeSet::new();
            for p in &self.parts {
                if let Some(t) = p.cols[c] {
                    match p.table.key_kind(t) {
                        Some("null") => {}
                        Some(kind) => {
                            kinds.insert(kind);
                        }
                        None => return false,
                    }
                }
            }
            kinds.len() <= 1
        })
    }

    /// The typed value of row `k`'s cell in column `col` (null where the file lacks it).
    fn key(&self, k: Kept, col: usize) -> CellKey<'_> {
        let part = &self.parts[k.part as usize];
        part.cols[col].map_or(CellKey::Null, |c| part.table.cell_key(c, k.row as usize))
    }

    /// A hash of row `k`'s cells in `cols`: of their typed values, or of their text.
    fn key_hash(&self, k: Kept, cols: &[usize], typed: bool, buf: &mut String) -> u64 {
        let mut h = DefaultHasher::new();
        for &c in cols {
            if typed {
                self.key(k, c).hash(&mut h);
            } else {
                self.cell(k, c, buf);
                buf.hash(&mut h);
            }
        }
        h.finish()
    }

    /// Renames column `from` to `to` (unless a `to` exists already); messages keep
    /// naming it `from`.
    pub fn rename(&mut self, from: &str, to: &str) {
        if self.col(to).is_none() {
            if let Some(i) = self.col(from) {
                self.names[i] = to.to_string();
                let was = self.source_name(from).to_string();
                self.renamed.push((to.to_string(), was));
            }
        }
    }

    /// The name column `name` has in the files.
    fn source_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.renamed
            .iter()
            .rev()
            .find(|(now, _)| now == name)
            .map_or(name, |(_, was)| was.as_str())
    }

    /// The rows kept as a text [`Frame`] (for snapshots, which are reshaped further).
    pub fn into_frame(self) -> Frame {
        let mut frame = Frame::default();
        let mut buf = String::new();
        let mut rows: Vec<Vec<(Vec<String>, u32)>> = vec![Vec::new(); self.parts.len()];
        for &k in &self.keep {
            let cells = (0..self.names.len())
                .map(|c| {
                    self.cell(k, c, &mut buf);
                    buf.clone()
                })
                .collect();
            rows[k.part as usize].push((cells, k.row + 1));
        }
        for (part, rows) in self.parts.into_iter().zip(rows) {
            frame.push_rows(&self.names, part.file, rows);
        }
        frame
    }
}

/// The rows of [`Events`] as text records: the input is the metric's folder, each message
/// names the row's file, its row there and the column as the file names it.
pub(super) struct EventRecords<'a> {
    events: &'a Events,
    path: &'a Path,
    header: Header,
    /// Rows handed out so far.
    row: usize,
    buf: String,
}

impl<'a> EventRecords<'a> {
    /// The rows of `events`, as one input named `path`.
    pub fn new(events: &'a Events, path: &'a Path) -> Self {
        EventRecords {
            events,
            path,
            header: Header::new(events.names.iter().map(String::as_str)),
            row: 0,
            buf: String::new(),
        }
    }

    /// The row handed out last.
    fn last(&self) -> Option<Kept> {
        self.events.keep.get(self.row.checked_sub(1)?).copied()
    }
}

impl Records for EventRecords<'_> {
    fn path(&self) -> &Path {
        self.path
    }
    fn header(&mut self) -> crate::Result<Header> {
        Ok(self.header.clone())
    }
    fn next_record(&mut self, rec: &mut StringRecord) -> crate::Result<Next> {
        let Some(&k) = self.events.keep.get(self.row) else {
            return Ok(Next::End);
        };
        rec.clear();
        for c in 0..self.events.names.len() {
            self.events.cell(k, c, &mut self.buf);
            rec.push_field(&self.buf);
        }
        self.row += 1;
        Ok(Next::Row)
    }
    fn record_line(&mut self) -> u64 {
        self.last().map_or(0, |k| u64::from(k.row) + 1)
    }
    fn context(&self, _column: &str) -> Option<String> {
        let k = self.last()?;
        Some(format!("row {} of the Parquet file", k.row + 1))
    }
    fn record_path(&self) -> &Path {
        self.last()
            .map_or(self.path, |k| &self.events.parts[k.part as usize].file.path)
    }
    fn column_name<'a>(&'a self, column: &'a str) -> &'a str {
        self.events.source_name(column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    /// A Parquet file of text columns in `dir`, read back as a [`Table`].
    fn table(dir: &Path, name: &str, cols: &[(&str, &[Option<&str>])]) -> (Table, SourceFile) {
        let series = cols
            .iter()
            .map(|(n, v)| Series::new((*n).into(), *v))
            .collect();
        written(dir, name, series)
    }

    /// A Parquet file of `series` in `dir`, read back as a [`Table`].
    fn written(dir: &Path, name: &str, series: Vec<Series>) -> (Table, SourceFile) {
        let path = dir.join(name);
        let height = series[0].len();
        let columns: Vec<Column> = series.into_iter().map(Column::from).collect();
        let mut df = DataFrame::new(height, columns).unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let file = SourceFile {
            path: path.clone(),
            day: None,
        };
        (Table::open(&path).unwrap(), file)
    }

    #[test]
    fn filters_and_dedupes_across_files_and_names_each_row_by_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut e = Events::default();
        let (t, f) = table(
            dir.path(),
            "a.parquet",
            &[
                ("timestamp", &[Some("1"), Some("2"), Some("1")]),
                ("user", &[Some("u"), None, Some("u")]),
                ("environment", &[Some("prod"), Some("test"), None]),
            ],
        );
        e.append(t, f);
        // The second file lacks `environment` (kept) and adds `host`.
        let (t, f) = table(
            dir.path(),
            "b.parquet",
            &[
                ("host", &[Some("h2"), Some("h2"), Some("h3")]),
                ("timestamp", &[Some("1"), Some("3"), Some("3")]),
                ("user", &[Some("u"), None, None]),
            ],
        );
        e.append(t, f);
        assert_eq!(e.names, ["timestamp", "user", "environment", "host"]);
        assert_eq!(
            e.values("environment"),
            BTreeSet::from(["prod".into(), "test".into()])
        );
        e.retain_value("environment", "prod");
        assert_eq!(e.keep.len(), 5, "the test row is gone");
        // (1, u) three times and (3, null) twice: two rows left.
        assert_eq!(e.dedupe(&["timestamp", "user"]), 3);
        e.rename("timestamp", "time");
        let mut records = EventRecords::new(&e, Path::new("m"));
        let mut rec = StringRecord::new();
        let mut rows = Vec::new();
        while records.next_record(&mut rec).unwrap() == Next::Row {
            let cells: Vec<String> = rec.iter().map(String::from).collect();
            let file = records.record_path().file_name().unwrap().to_owned();
            rows.push((cells, file, records.record_line()));
        }
        assert_eq!(
            rows,
            [
                (
                    vec!["1".into(), "u".into(), "prod".into(), String::new()],
                    "a.parquet".into(),
                    1
                ),
                (
                    vec!["3".into(), String::new(), String::new(), "h2".into()],
                    "b.parquet".into(),
                    2
                ),
            ]
        );
        assert_eq!(records.column_name("time"), "timestamp");
        let frame = e.into_frame();
        assert_eq!(frame.rows.len(), 2);
        assert_eq!(frame.origin(1).map(|(_, r)| r), Some(2));
    }

    #[test]
    fn key_columns_of_different_types_compare_by_their_text() {
        let dir = tempfile::tempdir().unwrap();
        let mut e = Events::default();
        let (t, f) = table(dir.path(), "a.parquet", &[("n", &[Some("7"), Some("")])]);
        e.append(t, f);
        let ints = Series::new("n".into(), [Some(7i64), None]);
        let (t, f) = written(dir.path(), "b.parquet", vec![ints]);
        e.append(t, f);
        let n = e.col("n").unwrap();
        assert!(!e.typed_keys(&[n]), "text and integers: compared as text");
        // "7" and 7 are one value; "" and null another.
        assert_eq!(e.dedupe(&["n"]), 2);
        // Within one kind the typed keys decide: an empty text is a null.
        let mut e = Events::default();
        let (t, f) = table(
            dir.path(),
            "c.parquet",
            &[("n", &[Some(""), None, Some("x")])],
        );
        e.append(t, f);
        assert!(e.typed_keys(&[0]));
        assert_eq!(e.dedupe(&["n"]), 1);
    }
}
