//! The text tables of [`super::chronicle`] (cargo feature `parquet`): one Posit Chronicle
//! metric's or dataset's files joined into one table of text cells, each row keeping the
//! file it came from and its row there, and each renamed column its name in the files, so
//! a message names `file:row: column 'timestamp'` as the files have it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::detect::Header;
use super::parquet::Table;
use super::reader::{Next, Records};
use super::timestamp::parse_timestamp;
use super::Micros;

/// One file of a [`Frame`].
#[derive(Debug, Clone)]
pub(super) struct SourceFile {
    /// The Parquet file.
    pub path: PathBuf,
    /// The UTC day its folders name (a raw `YYYY/MM/DD`, a curated `date=YYYY-MM-DD`),
    /// as `YYYY-MM-DD`.
    pub day: Option<String>,
}

/// The snapshot rows [`Frame::latest_per`] could not date by their own timestamp.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Undated {
    /// Dated by their file's folder day instead.
    pub by_folder: u64,
    /// Left out: no key (user or content id).
    pub no_key: u64,
    /// Left out: no timestamp and no folder day.
    pub no_date: u64,
}

/// Where a row of a [`Frame`] came from.
#[derive(Debug, Clone, Copy)]
struct RowOrigin {
    /// Index into [`Frame::files`].
    file: u32,
    /// 1-based row in that file.
    row: u32,
}

/// A table as text: column names and rows of cells (`""` is a null), with each row's file
/// and row.
#[derive(Debug, Default)]
pub(super) struct Frame {
    pub names: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Per row, where it came from (same length as `rows`).
    origins: Vec<RowOrigin>,
    files: Vec<SourceFile>,
    /// Renamed columns: (name now, name in the files).
    renamed: Vec<(String, String)>,
}

impl Frame {
    /// The index of column `name`.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The index of column `name`, added (all nulls) when missing.
    pub fn col_or_add(&mut self, name: &str) -> usize {
        self.col(name).unwrap_or_else(|| {
            self.names.push(name.to_string());
            self.rows.iter_mut().for_each(|r| r.push(String::new()));
            self.names.len() - 1
        })
    }

    /// Renames column `from` to `to` (unless a `to` exists already); messages keep
    /// naming it `from`.
    pub fn rename(&mut self, from: &str, to: &str) {
        if self.col(to).is_none() {
            if let Some(i) = self.col(from) {
                self.names[i] = to.to_string();
                self.renamed
                    .push((to.to_string(), self.source_name(from).to_string()));
            }
        }
    }

    /// The name column `name` has in the files.
    pub fn source_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.renamed
            .iter()
            .rev()
            .find(|(now, _)| now == name)
            .map_or(name, |(_, was)| was.as_str())
    }

    /// The file and 1-based row of row `i`.
    pub fn origin(&self, i: usize) -> Option<(&Path, u64)> {
        let o = self.origins.get(i)?;
        let file = self.files.get(o.file as usize)?;
        Some((&file.path, u64::from(o.row)))
    }

    /// Appends every row of `table`, read from `file`, plus `date` from a hive partition
    /// (`hive`) when the file has no `date` column.
    pub fn append(&mut self, table: &Table, file: SourceFile, hive: Option<&str>) {
        let mut at: Vec<usize> = table.names.iter().map(|n| self.col_or_add(n)).collect();
        let date_at = match hive {
            Some(_) if !table.names.iter().any(|n| n == "date") => Some(self.col_or_add("date")),
            _ => None,
        };
        at.extend(date_at);
        let width = self.names.len();
        let index = self.files.len() as u32;
        self.files.push(file);
        for row in 0..table.rows() {
            let mut cells = vec![String::new(); width];
            for (col, &to) in at.iter().take(table.names.len()).enumerate() {
                table.write_cell(col, row, &mut cells[to]);
            }
            if let (Some(i), Some(d)) = (date_at, hive) {
                cells[i] = d.to_string();
            }
            self.rows.push(cells);
            self.origins.push(RowOrigin {
                file: index,
                row: u32::try_from(row + 1).unwrap_or(u32::MAX),
            });
        }
    }

    /// Appends `rows` read from `file`: cells in the order of `names` (the frame's columns,
    /// which the first call sets), each with its 1-based row in the file.
    pub fn push_rows(&mut self, names: &[String], file: SourceFile, rows: Vec<(Vec<String>, u32)>) {
        if self.names.is_empty() {
            self.names = names.to_vec();
        }
        let index = self.files.len() as u32;
        self.files.push(file);
        for (cells, row) in rows {
            self.rows.push(cells);
            self.origins.push(RowOrigin { file: index, row });
        }
    }

    /// Appends `cells` (one per column) as a copy of row `i` of `other`, keeping its origin.
    pub fn push_from(&mut self, other: &Frame, i: usize, cells: Vec<String>) {
        let o = other.origins[i];
        let source = &other.files[o.file as usize];
        let file = match self.files.iter().position(|f| f.path == source.path) {
            Some(f) => f,
            None => {
                self.files.push(source.clone());
                self.files.len() - 1
            }
        };
        self.rows.push(cells);
        self.origins.push(RowOrigin {
            file: file as u32,
            row: o.row,
        });
    }

    /// Keeps the rows for which `keep(index, row)` holds, in their order.
    pub fn retain(&mut self, mut keep: impl FnMut(usize, &[String]) -> bool) {
        let flags: Vec<bool> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| keep(i, r))
            .collect();
        let mut it = flags.iter();
        self.rows.retain(|_| *it.next().unwrap_or(&false));
        let mut it = flags.iter();
        self.origins.retain(|_| *it.next().unwrap_or(&false));
    }

    /// Keeps, per value of column `key`, the row with the latest `order` at or before
    /// `end`; rows keep their order. A row whose `order` is missing, null or no timestamp
    /// is dated by its file's folder day (00:00 UTC; Chronicle partitions by day), which
    /// must start before `end`; one
    /// without a key, or without either date, is left out, and counted. Without a `key`
    /// column nothing is chosen (the export parser then refuses the table).
    pub fn latest_per(&mut self, key: &str, order: &str, end: Option<Micros>) -> Undated {
        let mut undated = Undated::default();
        let Some(k) = self.col(key) else {
            return undated;
        };
        let o = self.col(order);
        let mut best: HashMap<String, (Micros, usize)> = HashMap::new();
        let mut dropped = HashSet::new();
        for (i, row) in self.rows.iter().enumerate() {
            let stated = o.and_then(|o| utc_micros(&row[o]));
            let by_folder = || {
                let o = self.origins.get(i)?;
                utc_micros(self.files.get(o.file as usize)?.day.as_deref()?)
            };
            let t = match (stated, row[k].is_empty()) {
                (_, true) => None,
                (Some(t), false) => Some((t, false)),
                (None, false) => by_folder()
                    .inspect(|_| undated.by_folder += 1)
                    .map(|t| (t, true)),
            };
            let Some(t) = t else {
                if row[k].is_empty() {
                    undated.no_key += 1;
                } else {
                    undated.no_date += 1;
                }
                dropped.insert(i);
                continue;
            };
            // A folder day counts when it starts before the end (a day starting at the
            // window's exclusive end is after the window); a timestamp at or before it.
            let (t, folder) = t;
            if end.is_some_and(|e| t > e || (folder && t == e)) {
                continue;
            }
            let e = best.entry(row[k].clone()).or_insert((t, i));
            if t >= e.0 {
                *e = (t, i);
            }
        }
        let keep: HashSet<usize> = best.values().map(|(_, i)| *i).collect();
        self.retain(|i, _| keep.contains(&i));
        undated
    }
}

/// A timestamp or a date as written by [`Table`], read as UTC.
pub(super) fn utc_micros(s: &str) -> Option<Micros> {
    parse_timestamp(s, chrono_tz::UTC).ok().map(|p| p.micros)
}

/// A frame's rows as text records: the input is the metric's folder, each message names
/// the row's file, its row there and the column as the file names it.
pub(super) struct FrameRecords<'a> {
    frame: &'a Frame,
    path: &'a Path,
    header: Header,
    /// Rows handed out so far.
    row: usize,
}

impl<'a> FrameRecords<'a> {
    /// The rows of `frame`, as one input named `path`.
    pub fn new(frame: &'a Frame, path: &'a Path) -> Self {
        FrameRecords {
            frame,
            path,
            header: Header::new(frame.names.iter().map(String::as_str)),
            row: 0,
        }
    }
}

impl Records for FrameRecords<'_> {
    fn path(&self) -> &Path {
        self.path
    }
    fn header(&mut self) -> crate::Result<Header> {
        Ok(self.header.clone())
    }
    fn next_record(&mut self, rec: &mut StringRecord) -> crate::Result<Next> {
        let Some(row) = self.frame.rows.get(self.row) else {
            return Ok(Next::End);
        };
        rec.clear();
        row.iter().for_each(|cell| rec.push_field(cell));
        self.row += 1;
        Ok(Next::Row)
    }
    fn record_line(&mut self) -> u64 {
        let last = self.row.saturating_sub(1);
        self.frame.origin(last).map_or(self.row as u64, |(_, r)| r)
    }
    fn context(&self, _column: &str) -> Option<String> {
        let last = self.row.saturating_sub(1);
        let (_, row) = self.frame.origin(last)?;
        Some(format!("row {row} of the Parquet file"))
    }
    fn record_path(&self) -> &Path {
        let last = self.row.saturating_sub(1);
        self.frame.origin(last).map_or(self.path, |(p, _)| p)
    }
    fn column_name<'a>(&'a self, column: &'a str) -> &'a str {
        self.frame.source_name(column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(names: &[&str], rows: &[&[&str]]) -> Frame {
        let mut f = Frame {
            names: names.iter().map(|n| n.to_string()).collect(),
            ..Frame::default()
        };
        f.files.push(SourceFile {
            path: PathBuf::from("m/2026/03/01/a.parquet"),
            day: Some("2026-03-01".into()),
        });
        for (i, r) in rows.iter().enumerate() {
            f.rows.push(r.iter().map(|c| c.to_string()).collect());
            f.origins.push(RowOrigin {
                file: 0,
                row: i as u32 + 1,
            });
        }
        f
    }

    #[test]
    fn snapshots_without_a_timestamp_are_dated_by_their_folder_and_none_drop_silently() {
        // No `timestamp` column: the folder day dates every row, one row per key is left.
        let mut f = frame(&["id", "role"], &[&["u1", "a"], &["u2", "b"], &["u1", "c"]]);
        f.files.push(SourceFile {
            path: PathBuf::from("m/2026/03/02/a.parquet"),
            day: Some("2026-03-02".into()),
        });
        f.origins[2].file = 1;
        let undated = f.latest_per("id", "timestamp", None);
        assert_eq!(undated.by_folder, 3);
        let roles: Vec<&str> = f.rows.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(roles, ["b", "c"], "u1's later folder wins");
        // The end excludes a folder day after it, and one starting at it.
        for end in ["2026-03-02T12:00:00Z", "2026-03-03T00:00:00Z"] {
            let mut f = frame(&["id", "role"], &[&["u1", "a"], &["u1", "c"]]);
            f.files[0].day = Some("2026-03-03".into());
            f.latest_per("id", "timestamp", utc_micros(end));
            assert!(f.rows.is_empty(), "{end}");
        }
        // Null and unparseable timestamps fall back too; no key or no date is counted.
        let mut f = frame(
            &["id", "timestamp"],
            &[
                &["u1", "2026-03-01T10:00:00Z"],
                &["u1", ""],
                &["u2", "soon"],
                &["", "2026-03-01T10:00:00Z"],
            ],
        );
        f.files[0].day = None;
        let undated = f.latest_per("id", "timestamp", None);
        let counts = (undated.by_folder, undated.no_key, undated.no_date);
        assert_eq!(counts, (0, 1, 2));
        assert_eq!(f.rows, [["u1", "2026-03-01T10:00:00Z"]]);
    }

    #[test]
    fn renamed_columns_keep_their_file_name_and_rows_their_origin() {
        let mut f = frame(
            &["timestamp", "x"],
            &[&["1", "a"], &["2", "a"], &["3", "b"]],
        );
        f.rename("timestamp", "time");
        f.rename("time", "when");
        assert_eq!(f.source_name("when"), "timestamp");
        assert_eq!(f.source_name("x"), "x");
        f.retain(|i, _| i != 1);
        let path = Path::new("m/2026/03/01/a.parquet");
        assert_eq!(
            f.origin(1),
            Some((path, 3)),
            "row 3 of the file is now row 2"
        );
        let mut records = FrameRecords::new(&f, Path::new("m"));
        let mut rec = StringRecord::new();
        records.next_record(&mut rec).unwrap();
        records.next_record(&mut rec).unwrap();
        assert_eq!(records.record_line(), 3);
        assert_eq!(records.record_path(), path);
        assert_eq!(records.path(), Path::new("m"));
        assert_eq!(records.column_name("when"), "timestamp");
    }
}
