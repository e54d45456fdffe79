//! The fast reader for large Shiny usage and job metrics files: the same rows as the
//! general reader ([`super::records`], [`super::metrics`]), read in parallel blocks, GUIDs
//! dictionary-encoded as 128-bit integers and other names (job keys) looked up without
//! allocating, session rows kept in 32 bytes ([`super::compact`]). What each kind makes
//! of a row is in [`kinds`]; the blocks, lines and names are shared.
//!
//! A file in another encoding than UTF-8 (its byte-order mark or `--encoding` says so) is
//! decoded to UTF-8 first ([`super::encoding`]), so the shape below is that of the text.
//! It takes only the plain shape every large export has: a header on the first line, no
//! quotes, ASCII, `\n` or `\r\n` line ends, the header's field count on every row, and
//! values the general reader accepts without a note (no DST-adjusted local times). At the
//! first thing outside that shape it gives up and the general reader reads the file from
//! the start, so errors, `--lenient` skips and notes are always the general reader's:
//! nothing reaches the dataset until the whole file has been read.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono_tz::Tz;
use flate2::read::MultiGzDecoder;
use rayon::prelude::*;

use super::detect::{detect, Header};
use super::reader::is_null;
use super::timestamp::{parse_timestamp, parse_utc_seconds, LocalAdjust};
use super::{Dataset, FileSummary, IngestOptions, Kind, Micros};

/// Files smaller than this take the general reader (the fast one pays off on big files).
pub const MIN_BYTES: u64 = 8 << 20;
/// Bytes per block; a block ends at a line end.
const BLOCK: usize = 4 << 20;
/// Blocks parsed in parallel at a time.
const BATCH: usize = 8;

/// Reads the file at `path` into `ds` if it is a large plain Shiny usage or job metrics
/// export, gzip or not (a gzip stream is decompressed on one thread while the blocks are
/// parsed); `false` (and `ds` untouched) when the general reader must read it. `progress`
/// is told the bytes read from the file.
pub fn try_file(
    path: &Path,
    opts: &IngestOptions,
    ds: &mut Dataset,
    progress: &mut (dyn FnMut(u64) + Send),
) -> bool {
    let len = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        _ => return false,
    };
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut input = BufReader::with_capacity(256 * 1024, file);
    // Gzip as the general reader decides it: by the name or the magic bytes.
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
        || input.fill_buf().is_ok_and(|b| b.starts_with(&[0x1f, 0x8b]));
    // Gzip text is several times its size on disk.
    if len < if gz { MIN_BYTES / 8 } else { MIN_BYTES } {
        return false;
    }
    if !gz {
        return read_encoded(path, input, opts, ds, progress);
    }
    let counted = Tell { input, progress };
    read_encoded(path, MultiGzDecoder::new(counted), opts, ds, &mut |_| {})
}

/// Tells `progress` the bytes read through it (a gzip file's bytes on disk).
struct Tell<'a, R> {
    input: R,
    progress: &'a mut (dyn FnMut(u64) + Send),
}

impl<R: Read> Read for Tell<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.input.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

/// [`read`] of an export held in memory, decoded first when its byte-order mark or
/// `--encoding` names an encoding other than UTF-8 (as [`try_file`] does).
pub fn read_decoded(
    path: &Path,
    bytes: &[u8],
    opts: &IngestOptions,
    ds: &mut Dataset,
    progress: &mut (dyn FnMut(u64) + Send),
) -> bool {
    read_encoded(path, bytes, opts, ds, progress)
}

/// [`read`] after decoding `input` to UTF-8 (docs/inputs.md 2.1).
fn read_encoded<R: Read + Send>(
    path: &Path,
    input: R,
    opts: &IngestOptions,
    ds: &mut Dataset,
    progress: &mut (dyn FnMut(u64) + Send),
) -> bool {
    let Ok((prefix, input)) = super::encoding::peek_first_line(input) else {
        return false;
    };
    let enc = opts.encoding.choose(&prefix);
    let mut input = super::encoding::to_utf8(input, enc);
    read(path, &mut input, opts, ds, progress)
}

/// Reads an export from `input` (the file `path`) into `ds` if it is a plain Shiny usage
/// or job metrics export, whatever its size; `false` (and `ds` untouched) when the general
/// reader must read it.
pub fn read(
    path: &Path,
    input: &mut (dyn Read + Send),
    opts: &IngestOptions,
    ds: &mut Dataset,
    progress: &mut (dyn FnMut(u64) + Send),
) -> bool {
    let Some(index) = ds.next_row_file() else {
        return false;
    };
    let Some(start) = Start::read(input, path, progress) else {
        return false;
    };
    let kind = start.kind;
    let zone = opts.input_tz.zone_for(kind);
    let taken = match kind {
        Kind::ShinyUsage => take::<kinds::Sessions>(start, zone, index, ds),
        Kind::JobMetrics => take::<kinds::Metrics>(start, zone, index, ds),
        _ => None,
    };
    let Some((count, naive)) = taken else {
        return false;
    };
    record_file(path, kind, (count, naive), opts, ds);
    true
}

/// The notes, the row file and the [`FileSummary`] of a file whose `count` rows were
/// stored (with [`Dataset::next_row_file`] as their origin's file).
fn record_file(
    path: &Path,
    kind: Kind,
    (count, naive): (u64, bool),
    opts: &IngestOptions,
    ds: &mut Dataset,
) {
    super::records::warn_truncated(kind, path, count, &mut ds.notes.warnings);
    if naive {
        super::records::note_naive_zone(&mut ds.notes, path, kind, opts);
    }
    ds.row_files.push(path.to_path_buf());
    ds.files.push(FileSummary {
        path: path.to_path_buf(),
        kind,
        rows: count,
    });
}

/// A GUID or name cell of a typed column (the Parquet reader): text as read, or a GUID
/// already an integer (DuckDB's `UUID`). The CSV reader makes only text cells.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
pub(super) enum NameCell<'a> {
    Text(&'a [u8]),
    Guid(u128),
}

/// One block of Shiny usage sessions read from typed columns (the Parquet reader), built
/// in parallel like the text blocks: ids and lines (rows) numbered within the block.
#[cfg(feature = "parquet")]
pub(super) struct SessionBlock(Block<kinds::Sessions>);

#[cfg(feature = "parquet")]
impl SessionBlock {
    /// An empty block of `rows` rows.
    pub(super) fn new(rows: usize) -> SessionBlock {
        SessionBlock(Block {
            rows: kinds::Sessions::default(),
            lines: rows as u64,
            naive: false,
        })
    }
    /// Adds a session at `line` of the block; `None` when it does not fit a compact row.
    pub(super) fn push(
        &mut self,
        (content, user): (NameCell, Option<NameCell>),
        times: (Micros, Option<Micros>),
        data_version: i32,
        line: u32,
    ) -> Option<()> {
        self.0
            .rows
            .push_values((content, user), times, data_version, line)
    }
    /// Notes that a timestamp without a time zone was read (in a UTC input zone).
    pub(super) fn mark_naive(&mut self, naive: bool) {
        self.0.naive |= naive;
    }
}

/// The sessions of a Shiny usage file read from typed columns, block by block.
#[cfg(feature = "parquet")]
pub(super) struct SessionFile(FileRows<kinds::Sessions>);

#[cfg(feature = "parquet")]
impl Default for SessionFile {
    fn default() -> Self {
        SessionFile(FileRows {
            rows: kinds::Sessions::default(),
            naive: false,
        })
    }
}

#[cfg(feature = "parquet")]
impl SessionFile {
    /// Appends `blocks` in order; `line_no` is the first block's first line, moved on.
    /// `None` when a block could not be read.
    pub(super) fn merge(
        &mut self,
        blocks: Vec<Option<SessionBlock>>,
        line_no: &mut u64,
    ) -> Option<()> {
        let blocks = blocks.into_iter().map(|b| b.map(|b| b.0)).collect();
        merge_all(&mut self.0, blocks, line_no)
    }
    /// Stores the sessions in `ds` as the file `path`, with the notes and summary a fast
    /// CSV read gives; `false` (and `ds` untouched) when there are too many files.
    pub(super) fn store(self, path: &Path, opts: &IngestOptions, ds: &mut Dataset) -> bool {
        let Some(index) = ds.next_row_file() else {
            return false;
        };
        let naive = self.0.naive;
        let count = self.0.rows.store(index, ds);
        record_file(path, Kind::ShinyUsage, (count, naive), opts, ds);
        true
    }
}

/// Reads the rows of kind `R` and stores them in `ds` as file `index`: the rows and
/// whether a timestamp without an offset was read; `None` (and `ds` untouched) when the
/// general reader must read the file.
fn take<R: Rows>(start: Start, zone: Tz, index: u32, ds: &mut Dataset) -> Option<(u64, bool)> {
    let cols = R::cols(&start.header)?;
    let file = read_rows::<R>(start.blocks, start.fields, &cols, zone)?;
    Some((file.rows.store(index, ds), file.naive))
}

/// A GUID or other text, as read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Name {
    /// A canonical lowercase GUID (`8-4-4-4-12` hex digits), as an integer.
    Guid(u128),
    /// Anything else, verbatim.
    Text(Box<str>),
}

impl Name {
    /// The text the general reader would intern.
    fn text(&self) -> String {
        match self {
            Name::Text(t) => t.to_string(),
            Name::Guid(g) => super::guid_text(*g),
        }
    }
}

/// A canonical lowercase GUID as an integer (so it prints back to the same text).
fn parse_guid(b: &[u8]) -> Option<u128> {
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    // Branch-free: every digit through a table, one check at the end.
    let mut v: u128 = 0;
    let mut bad: u8 = 0;
    for &p in &HEX_POSITIONS {
        let d = HEX[usize::from(b[p])];
        bad |= d;
        v = v << 4 | u128::from(d & 15);
    }
    (bad & 0x80 == 0).then_some(v)
}

/// Where the 32 hex digits of a GUID are.
const HEX_POSITIONS: [usize; 32] = [
    0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29,
    30, 31, 32, 33, 34, 35,
];

/// Value of a lowercase hex digit; 0x80 for anything else.
const HEX: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// A hasher for GUIDs (already random) and short texts: FNV-1a folded with a multiply.
#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ 0xcbf2_9ce4_8422_2325;
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn write_u128(&mut self, v: u128) {
        self.0 ^= (v as u64) ^ ((v >> 64) as u64);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 ^= v;
    }
    fn write_usize(&mut self, v: usize) {
        self.0 ^= v as u64;
    }
}

type FastMap<K> = HashMap<K, u32, BuildHasherDefault<FastHasher>>;

/// Names numbered in first-seen order.
#[derive(Default)]
struct Dict {
    guids: FastMap<u128>,
    texts: FastMap<Box<str>>,
    names: Vec<Name>,
}

impl Dict {
    fn id(&mut self, name: Name) -> u32 {
        let next = self.names.len() as u32;
        let id = match &name {
            Name::Guid(g) => *self.guids.entry(*g).or_insert(next),
            Name::Text(t) => match self.texts.get(t) {
                Some(&id) => id,
                None => {
                    self.texts.insert(t.clone(), next);
                    next
                }
            },
        };
        if id == next {
            self.names.push(name);
        }
        id
    }

    /// The id of the field `s`: a canonical GUID as its integer, anything else as text
    /// (allocated only when new).
    fn id_of(&mut self, s: &[u8]) -> Option<u32> {
        match parse_guid(s) {
            Some(g) => {
                let next = self.names.len() as u32;
                let id = *self.guids.entry(g).or_insert(next);
                if id == next {
                    self.names.push(Name::Guid(g));
                }
                Some(id)
            }
            None => {
                let text = std::str::from_utf8(s).ok()?;
                match self.texts.get(text) {
                    Some(&id) => Some(id),
                    None => Some(self.id(Name::Text(text.into()))),
                }
            }
        }
    }

    /// Adds the names of `other` (a later block's); each one's id here, by its id there.
    fn absorb(&mut self, other: Dict) -> Vec<u32> {
        other.names.into_iter().map(|n| self.id(n)).collect()
    }

    /// Interns the names into `ids`; each one's id there, by its id here.
    fn intern_into(&self, ids: &mut super::Interner) -> Vec<u32> {
        self.names.iter().map(|n| ids.intern(&n.text())).collect()
    }
}

/// The rows of one kind the fast reader takes, with their ids and lines numbered within
/// a block, then within the file.
trait Rows: Default + Send {
    /// Where the values are in a row.
    type Cols: Sync;
    /// The columns of `header`; `None` when one is missing (the general reader says so).
    fn cols(header: &Header) -> Option<Self::Cols>;
    /// Adds the row of `fields` at `line` of the block, its timestamps read by `t`;
    /// `None` at anything the fast reader does not take.
    fn push(&mut self, fields: &[&[u8]], cols: &Self::Cols, t: &mut Times, line: u32)
        -> Option<()>;
    /// Appends the rows of the next block, whose first line is `first`.
    fn append(&mut self, block: Self, first: u32);
    /// Moves the file's rows into `ds` as file `file`, interning their names; the rows.
    fn store(self, file: u32, ds: &mut Dataset) -> u64;
}

/// What one file holds, ids numbered per file.
struct FileRows<R> {
    rows: R,
    /// A timestamp without an offset was read (in the input zone).
    naive: bool,
}

/// One block's rows, ids and lines numbered within the block.
struct Block<R> {
    rows: R,
    /// Line ends in the block.
    lines: u64,
    /// A timestamp without an offset was read.
    naive: bool,
}

/// A file's header, read: its kind and columns, and the blocks of the rest.
struct Start<'a> {
    kind: Kind,
    header: Header,
    /// Fields per row.
    fields: usize,
    blocks: Blocks<'a>,
}

impl<'a> Start<'a> {
    /// The header of `input` when it is plain; `None` when the general reader must read
    /// the file.
    fn read(
        input: &'a mut (dyn Read + Send),
        path: &Path,
        progress: &'a mut (dyn FnMut(u64) + Send),
    ) -> Option<Start<'a>> {
        let mut buf = vec![0u8; BLOCK];
        let filled = fill(input, &mut buf)?;
        progress(filled as u64);
        if filled >= 2 && buf[0] == 0x1f && buf[1] == 0x8b {
            return None; // gzip
        }
        // The header: the whole first line, plain.
        let end = buf[..filled].iter().position(|&b| b == b'\n')?;
        let line = buf[..end].strip_suffix(b"\r").unwrap_or(&buf[..end]);
        let text = std::str::from_utf8(line).ok()?;
        if text.is_empty() || text.contains(['"', '\r']) {
            return None;
        }
        let header = Header::new(text.split(','));
        // A header the general reader refuses (a duplicated column) is its to report.
        header.check(path).ok()?;
        Some(Start {
            kind: detect(&header, path).ok()?,
            header,
            fields: text.split(',').count(),
            blocks: Blocks {
                input,
                carry: buf[end + 1..filled].to_vec(),
                eof: filled < BLOCK,
                progress,
            },
        })
    }
}

/// Reads the rows after the header, `fields` fields each.
fn read_rows<R: Rows>(
    mut reader: Blocks,
    fields: usize,
    cols: &R::Cols,
    zone: Tz,
) -> Option<FileRows<R>> {
    let mut out = FileRows {
        rows: R::default(),
        naive: false,
    };
    // Line of the first byte of the next block (the header is line 1).
    let mut line_no: u64 = 2;
    // Read the next batch and merge the previous one while this one is parsed.
    let mut batch = reader.batch()?;
    let mut parsed: Vec<Option<Block<R>>> = Vec::new();
    while !batch.is_empty() {
        let previous = std::mem::take(&mut parsed);
        let ((next, merged), now) = rayon::join(
            || {
                let merged = merge_all(&mut out, previous, &mut line_no);
                (reader.batch(), merged)
            },
            || {
                batch
                    .par_iter()
                    .map(|b| parse_block::<R>(b, fields, cols, zone))
                    .collect::<Vec<_>>()
            },
        );
        merged?;
        parsed = now;
        batch = next?;
    }
    merge_all(&mut out, parsed, &mut line_no)?;
    Some(out)
}

/// Merges parsed blocks in order; `None` if one could not be parsed.
fn merge_all<R: Rows>(
    out: &mut FileRows<R>,
    blocks: Vec<Option<Block<R>>>,
    line_no: &mut u64,
) -> Option<()> {
    for block in blocks {
        merge(out, block?, line_no)?;
    }
    Some(())
}

/// The input cut into blocks of whole lines.
struct Blocks<'a> {
    input: &'a mut (dyn Read + Send),
    /// Bytes read after the last line end handed out.
    carry: Vec<u8>,
    eof: bool,
    progress: &'a mut (dyn FnMut(u64) + Send),
}

impl Blocks<'_> {
    /// Up to [`BATCH`] blocks, each ending at a line end (the last one at the end of
    /// input); empty at the end. `None` on a read error.
    fn batch(&mut self) -> Option<Vec<Vec<u8>>> {
        let mut blocks = Vec::with_capacity(BATCH);
        while blocks.len() < BATCH && !(self.eof && self.carry.is_empty()) {
            let mut block = std::mem::take(&mut self.carry);
            if !self.eof {
                let start = block.len();
                block.reserve(BLOCK);
                let n = (&mut *self.input)
                    .take(BLOCK as u64)
                    .read_to_end(&mut block)
                    .ok()?;
                (self.progress)(n as u64);
                self.eof = n < BLOCK;
                debug_assert_eq!(block.len(), start + n);
            }
            if !self.eof {
                let cut = block.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                self.carry = block[cut..].to_vec();
                block.truncate(cut);
            }
            if !block.is_empty() {
                blocks.push(block);
            }
        }
        Some(blocks)
    }
}

/// Fills `buf` from `input` as far as it goes; the bytes read (fewer only at the end).
fn fill(input: &mut dyn Read, buf: &mut [u8]) -> Option<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(n)
}

/// Adds a block's rows to the file's, renumbering ids and lines.
fn merge<R: Rows>(out: &mut FileRows<R>, block: Block<R>, line_no: &mut u64) -> Option<()> {
    let first = u32::try_from(*line_no).ok()?;
    // Lines must stay below 2^32 (a 4-billion-line file takes the general reader).
    u32::try_from(*line_no + block.lines).ok()?;
    out.naive |= block.naive;
    out.rows.append(block.rows, first);
    *line_no += block.lines;
    Some(())
}

/// Parses whole lines of `fields` fields; `None` at anything the fast reader does not
/// take.
fn parse_block<R: Rows>(buf: &[u8], fields: usize, cols: &R::Cols, zone: Tz) -> Option<Block<R>> {
    // ASCII without quotes (one branch-free pass the compiler vectorises).
    let (mut high, mut quotes) = (0u8, 0usize);
    for &b in buf {
        high |= b;
        quotes += usize::from(b == b'"');
    }
    if high >= 0x80 || quotes > 0 {
        return None;
    }
    let mut block = Block {
        rows: R::default(),
        lines: 0,
        naive: false,
    };
    let mut times = Times { zone, naive: false };
    let mut found: [&[u8]; 64] = [&[]; 64];
    if fields > found.len() {
        return None;
    }
    let mut rest = buf;
    while !rest.is_empty() {
        let (line, next, ended) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..], true),
            None => (rest, &rest[rest.len()..], false),
        };
        let rel = u32::try_from(block.lines).ok()?;
        block.lines += u64::from(ended);
        rest = next;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        // Fields, in one pass (a bare CR is a line end to the general reader).
        let mut n = 0;
        let mut start = 0;
        for (i, &b) in line.iter().enumerate() {
            if b == b',' {
                if n + 1 >= fields {
                    return None;
                }
                found[n] = &line[start..i];
                n += 1;
                start = i + 1;
            } else if b == b'\r' {
                return None;
            }
        }
        found[n] = &line[start..];
        if n + 1 != fields {
            return None;
        }
        block.rows.push(&found[..fields], cols, &mut times, rel)?;
    }
    block.naive = times.naive;
    Some(block)
}

/// [`is_null`] of a field.
pub(super) fn null(s: &[u8]) -> bool {
    // Null words have at most 4 letters once trimmed, and blocks are ASCII: a longer
    // field with no whitespace at either end (vertical tab included, as `str::trim`
    // trims it) is a value, without a UTF-8 check.
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    if s.len() > 4 && !s.first().is_some_and(space) && !s.last().is_some_and(space) {
        return false;
    }
    s == b"NA" || std::str::from_utf8(s).is_ok_and(is_null)
}

/// Reads the timestamps of a block in the input zone.
struct Times {
    zone: Tz,
    /// A timestamp without an offset was read.
    naive: bool,
}

impl Times {
    /// [`time`] of a field.
    fn read(&mut self, s: &[u8]) -> Option<Option<Micros>> {
        time(s, self.zone, &mut self.naive)
    }
}

/// A timestamp field: `Some(None)` when null, `None` when the fast reader cannot take it
/// (unparseable, or a local time that needed a DST adjustment). Sets `naive` when the
/// value had no offset.
pub(super) fn time(s: &[u8], zone: Tz, naive: &mut bool) -> Option<Option<Micros>> {
    if let Some(t) = parse_utc_seconds(s) {
        return Some(Some(t));
    }
    if null(s) {
        return Some(None);
    }
    let p = parse_timestamp(std::str::from_utf8(s).ok()?, zone).ok()?;
    *naive |= p.naive;
    (p.adjust == LocalAdjust::None).then_some(Some(p.micros))
}

#[path = "fast_kinds.rs"]
mod kinds;

#[cfg(test)]
#[path = "fast_tests.rs"]
pub(super) mod tests;
