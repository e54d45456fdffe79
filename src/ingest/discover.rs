//! Finding the input files and reading them all into one [`Dataset`].
//!
//! Each input path is a file (read whatever its extension) or a folder, walked recursively
//! for files ending `.csv` or `.csv.gz` (any case), skipping hidden files and folders (names
//! starting with `.`). All files are sorted by path and deduplicated, then read in that
//! order, so "the first bad rows" are deterministic (docs/metrics.md 1.1).
//!
//! A CSV in a folder whose header is no Connect export (a spreadsheet someone left there)
//! is skipped and listed with its header in the report's inputs; a file named on the
//! command line must be an export. An empty folder, or one holding only content and user
//! lists, gets a message naming the exports needed and the commands that make them.
//!
//! A `.parquet` file, named or in a folder, is read by [`super::parquet`] when the crate is
//! built with the `parquet` feature; without it, it is a usage error naming the file and
//! the feature (skipping it would silently leave its data out).
//!
//! A folder holding `daily/v2` or `curated/v2`, given or met at any depth of a walk, is a
//! Posit Chronicle data root: it is not walked but read by [`super::chronicle`] (one per
//! run). An input inside such a root is a usage error naming the root.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use rayon::slice::ParallelSliceMut;

use super::progress::Progress;
use super::records::read_file_with_progress;
use super::{Dataset, IngestOptions, MetricSample, SkippedFile, VisitSource};
use crate::error::INSTALL_PARQUET;
use crate::{Error, Result};

/// Reads every export under `paths` into one [`Dataset`]. A CSV found in a folder whose
/// header is no Connect export is skipped and listed (`notes.skipped_files`); named on the
/// command line, it is an error.
pub fn read_inputs(paths: &[PathBuf], opts: &IngestOptions) -> Result<Dataset> {
    let (mut roots, paths) = chronicle_roots(paths)?;
    let (files, nested) = find_inputs(&paths)?;
    roots.extend(nested);
    let roots = one_root(roots)?;
    if let (Some(e), true) = (&opts.environment, roots.is_empty()) {
        return Err(Error::Usage(format!(
            "--environment {e}: applies to a Posit Chronicle data folder, and none is among \
             the inputs"
        )));
    }
    if files.is_empty() && roots.is_empty() {
        return Err(Error::NoInputs(shown(&paths)));
    }
    let named: BTreeSet<PathBuf> = paths
        .iter()
        .filter(|p| !p.is_dir())
        .map(|p| canonical(p))
        .collect();
    let total = files
        .iter()
        .filter_map(|p| fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let progress = Progress::new(total);
    let mut ds = Dataset::default();
    for path in &files {
        progress.file(path);
        match read_file_with_progress(path, opts, &mut ds, &progress) {
            Err(Error::UnknownKind { path, found, .. }) if !named.contains(&canonical(&path)) => {
                ds.notes.skipped_files.push(SkippedFile {
                    path,
                    header: found,
                });
            }
            Err(e) => {
                progress.finish();
                return Err(e);
            }
            Ok(()) => {}
        }
    }
    progress.finish();
    #[cfg(feature = "parquet")]
    for root in &roots {
        super::chronicle::read_root(root, opts, &mut ds)?;
    }
    if ds.files.is_empty() && ds.chronicle.is_none() {
        return Err(Error::NoInputs(format!(
            "{} (skipped, not Connect exports: {})",
            shown(&paths),
            skipped_names(&ds)
        )));
    }
    warn_overlapping_visits(&mut ds);
    note_assumed_zones(&mut ds);
    attribute_jobs(&mut ds);
    // Samples by process and time, as the model reads them (their origins keep the input
    // order; a unique key, so the order does not depend on the sort).
    ds.job_metrics.par_sort_unstable_by_key(MetricSample::key);
    Ok(ds)
}

/// Splits the inputs into Posit Chronicle data roots and the rest. A folder is a
/// Chronicle root when it holds `daily/v2` or `curated/v2`, or its `data` child does
/// (roots deeper in a folder are found by its walk, [`find_inputs`]). An input inside a
/// Chronicle root (a metric's folder or file) is a usage error naming the root.
fn chronicle_roots(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut roots = Vec::new();
    let mut rest = Vec::new();
    for path in paths {
        if let Some(root) = enclosing_root(path) {
            return Err(Error::Usage(format!(
                "{}: inside the Posit Chronicle data folder {}, whose metrics are read \
                 together; give that folder instead",
                path.display(),
                root.display()
            )));
        }
        match chronicle_root(path) {
            Some(root) => roots.push(root),
            None => rest.push(path.clone()),
        }
    }
    Ok((roots, rest))
}

/// The one Chronicle root among `roots` (the same folder reached twice counts once).
/// More than one is a usage error, and so is any without the `parquet` feature.
fn one_root(roots: Vec<PathBuf>) -> Result<Vec<PathBuf>> {
    let mut seen = BTreeSet::new();
    let roots: Vec<PathBuf> = roots
        .into_iter()
        .filter(|r| seen.insert(canonical(r)))
        .collect();
    if let (Some(root), false) = (roots.first(), cfg!(feature = "parquet")) {
        return Err(Error::Usage(format!(
            "{}: a Posit Chronicle data folder (Parquet under daily/v2 or curated/v2); this \
             build reads CSV exports only. Chronicle input needs the `parquet` cargo \
             feature: install with `{INSTALL_PARQUET}` from the source folder (the \
             packages have it)",
            root.display()
        )));
    }
    if roots.len() > 1 {
        return Err(Error::Usage(format!(
            "{}: more than one Posit Chronicle data folder; give one per run",
            shown(&roots)
        )));
    }
    Ok(roots)
}

/// The Chronicle data root at or just under `dir`, if it is one.
fn chronicle_root(dir: &Path) -> Option<PathBuf> {
    [dir.to_path_buf(), dir.join("data")]
        .into_iter()
        .find(|d| is_chronicle_root(d))
}

/// True for a folder holding `daily/v2` or `curated/v2`: a Chronicle data root.
fn is_chronicle_root(dir: &Path) -> bool {
    dir.join("daily/v2").is_dir() || dir.join("curated/v2").is_dir()
}

/// The Chronicle data root strictly above `path`, if any.
fn enclosing_root(path: &Path) -> Option<PathBuf> {
    canonical(path)
        .ancestors()
        .skip(1)
        .find(|a| is_chronicle_root(a))
        .map(Path::to_path_buf)
}

/// The input paths as the user gave them, for messages.
fn shown(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

/// The skipped files with their headers (which carry a hint when a file looks like an
/// export with another separator or encoding), for messages.
fn skipped_names(ds: &Dataset) -> String {
    let names: Vec<String> = ds
        .notes
        .skipped_files
        .iter()
        .map(|f| format!("{} (header: {})", f.path.display(), f.header))
        .collect();
    names.join("; ")
}

/// `p` made absolute and free of links when it can be, so a file named on the command line
/// is recognised when a folder walk finds it too.
fn canonical(p: &Path) -> PathBuf {
    fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Gives a content id to the jobs listed without a content GUID (Connect 2024.08's
/// `/v1/content/{guid}/jobs`, and posit-sdk-py's jobs, name only `app_id`): the content
/// list's item whose `id` equals the job's `app_id`, else the content GUID written in the
/// file's name or its folder's (`jobs_<guid>.csv`, `<guid>/jobs.csv`). Jobs still without
/// content count toward the server-wide and per-host measured processes only; one warning
/// per file names it and says how to attribute them (docs/inputs.md 3.1).
pub fn attribute_jobs(ds: &mut Dataset) {
    if ds.jobs.iter().all(|j| j.content.is_some()) {
        return;
    }
    let by_id: HashMap<&str, u32> = ds
        .content
        .iter()
        .filter_map(|c| Some((numeric_id(c.id.as_deref()?), c.content)))
        .collect();
    let mut from_name: HashMap<u32, Option<u32>> = HashMap::new();
    let mut unmatched: BTreeMap<u32, u64> = BTreeMap::new();
    for job in ds.jobs.iter_mut().filter(|j| j.content.is_none()) {
        let listed = job
            .app_id
            .as_deref()
            .and_then(|id| by_id.get(numeric_id(id)).copied());
        job.content = listed.or_else(|| {
            *from_name.entry(job.origin.file).or_insert_with(|| {
                guid_in_path(&ds.row_files[job.origin.file as usize])
                    .map(|g| ds.content_ids.intern(g))
            })
        });
        if job.content.is_none() {
            *unmatched.entry(job.origin.file).or_default() += 1;
        }
    }
    for (file, jobs) in unmatched {
        let path = ds.row_files[file as usize].display().to_string();
        ds.notes.warnings.push(format!(
            "{path}: {} without a content GUID whose app_id matches no content list id: \
             counted in the server-wide and per-host measured processes only. To attribute \
             them to their content, add the content list (connectapi get_content(), \
             posit-sdk-py client.content.find(), or connect-capacity fetch) or put the content \
             GUID in the file name (jobs_<guid>.csv)",
            if jobs == 1 {
                "1 job".to_string()
            } else {
                format!("{} jobs", crate::format::count(jobs))
            }
        ));
    }
}

/// An id as text without a float's `.0` (pandas writes integer ids of a column with
/// missing values as `54.0`).
fn numeric_id(s: &str) -> &str {
    let s = s.trim();
    s.strip_suffix(".0").unwrap_or(s)
}

/// The first content GUID (8-4-4-4-12 hexadecimal digits) in the file's name, else in its
/// folder's name.
fn guid_in_path(path: &Path) -> Option<&str> {
    let stem = path.file_stem().and_then(|s| s.to_str());
    let folder = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|s| s.to_str());
    [stem, folder].into_iter().flatten().find_map(find_guid)
}

/// The first GUID in `s`.
pub(super) fn find_guid(s: &str) -> Option<&str> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let bytes = s.as_bytes();
    let len = 36;
    (0..s.len().saturating_sub(len - 1)).find_map(|i| {
        let cand = bytes.get(i..i + len)?;
        let mut at = 0;
        for (g, n) in GROUPS.iter().enumerate() {
            if g > 0 {
                if cand[at] != b'-' {
                    return None;
                }
                at += 1;
            }
            if !cand[at..at + n].iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            at += n;
        }
        s.get(i..i + len)
    })
}

/// One line naming the files whose timestamps without an offset were read as UTC because
/// no `--input-tz` named their kind (docs/metrics.md 1.9); in the report, not on stderr, since
/// it is a statement of what was assumed rather than a fault.
fn note_assumed_zones(ds: &mut Dataset) {
    let files: Vec<String> = ds
        .notes
        .naive_zones
        .iter()
        .filter(|z| z.assumed)
        .map(|z| format!("{} ({})", z.path.display(), z.kind.cli_name()))
        .collect();
    if files.is_empty() {
        return;
    }
    ds.notes.warnings.push(format!(
        "timestamps without an offset were read as UTC, the default, in {}; connectapi 0.8 \
         and later writes the analyst's local time and the dashboard export the server's: \
         if they are not UTC, pass --input-tz KIND=ZONE",
        files.join(", ")
    ));
}

/// All export files under `paths`, sorted and deduplicated.
pub fn find_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    find(paths, None)
}

/// All export files under `paths`, sorted and deduplicated, and the Posit Chronicle data
/// roots found in their folders at any depth (not walked: [`super::chronicle`] reads them).
fn find_inputs(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut roots = BTreeSet::new();
    let files = find(paths, Some(&mut roots))?;
    Ok((files, roots.into_iter().collect()))
}

/// The files of [`find_files`]; with `roots`, a folder that is a Chronicle root is added
/// there instead of walked.
fn find(paths: &[PathBuf], mut roots: Option<&mut BTreeSet<PathBuf>>) -> Result<Vec<PathBuf>> {
    let mut found = BTreeSet::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            let mut walk = Walk {
                found: &mut found,
                visited: BTreeSet::new(),
                roots: roots.as_deref_mut(),
            };
            walk.dir(path)?;
        } else {
            found.insert(path.clone());
        }
    }
    if !cfg!(feature = "parquet") {
        if let Some(p) = found.iter().find(|p| is_parquet_name(p)) {
            return Err(parquet_error(p));
        }
    }
    Ok(dedupe_same_file(found))
}

/// True for `*.parquet`, any case.
pub(super) fn is_parquet_name(path: &Path) -> bool {
    path.file_name().is_some_and(|n| {
        n.to_string_lossy()
            .to_ascii_lowercase()
            .ends_with(".parquet")
    })
}

/// The error for a Parquet input: what this build reads, and what to do.
fn parquet_error(path: &Path) -> Error {
    Error::Usage(format!(
        "{}: a Parquet file; this build reads CSV exports only (plain or .csv.gz). Parquet \
         input needs the `parquet` cargo feature: install with `{INSTALL_PARQUET}` from the \
         source folder (the packages have it), or write the table as CSV (pandas/polars \
         `to_csv`, R `write.csv`)",
        path.display()
    ))
}

/// Drops paths that name a file already listed (`a/x.csv` and `./a/x.csv`).
fn dedupe_same_file(found: BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let mut seen = BTreeSet::new();
    found
        .into_iter()
        .filter(|p| seen.insert(canonical(p)))
        .collect()
}

/// A folder walk: the export files found, the canonical folders already walked (so a
/// symlink loop ends) and, when asked, the Chronicle roots met (not walked).
struct Walk<'a> {
    found: &'a mut BTreeSet<PathBuf>,
    visited: BTreeSet<PathBuf>,
    roots: Option<&'a mut BTreeSet<PathBuf>>,
}

impl Walk<'_> {
    /// Walks `dir`.
    fn dir(&mut self, dir: &Path) -> Result<()> {
        let canonical = fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?;
        if !self.visited.insert(canonical) {
            return Ok(());
        }
        let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let meta = fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
            if !meta.is_dir() {
                if is_export_name(&name) {
                    self.found.insert(path);
                }
                continue;
            }
            match self.roots.as_deref_mut() {
                Some(roots) if is_chronicle_root(&path) => {
                    roots.insert(path);
                }
                _ => self.dir(&path)?,
            }
        }
        Ok(())
    }
}

/// True for `*.csv` and `*.csv.gz` (any case), and for `*.parquet` so that
/// [`find_files`] can say why it is not read.
fn is_export_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".csv") || lower.ends_with(".csv.gz") || lower.ends_with(".parquet")
}

/// Visits, unified visit rows, hits and dashboard visits record the same visits.
fn warn_overlapping_visits(ds: &mut Dataset) {
    let sources: BTreeSet<VisitSource> = ds.visits.iter().map(|v| v.source).collect();
    if sources.len() > 1 {
        let names: Vec<&str> = sources.iter().map(|s| source_name(*s)).collect();
        ds.notes.warnings.push(format!(
            "visits come from more than one source ({}); they overlap, so visit counts may \
             double-count — keep one source",
            names.join(", ")
        ));
    }
}

fn source_name(s: VisitSource) -> &'static str {
    match s {
        VisitSource::Visits => "content visits",
        VisitSource::Unified => "unified usage visit rows",
        VisitSource::Hits => "content hits",
        VisitSource::Dashboard => "dashboard raw visits",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guid_is_found_in_the_file_name_then_the_folder_name() {
        const G: &str = "f2f37341-e21d-3d80-c698-a935ad614066";
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(guid_in_path(&p(&format!("x/jobs_{G}.csv"))), Some(G));
        assert_eq!(guid_in_path(&p(&format!("{G}/jobs.csv"))), Some(G));
        assert_eq!(guid_in_path(&p(&format!("x/{G}.csv.gz"))), Some(G));
        // Not a GUID: a group too short, a letter that is not hexadecimal, too short.
        assert_eq!(
            guid_in_path(&p("jobs_f2f37341-e21d-3d80-c698-a935ad61406.csv")),
            None
        );
        assert_eq!(
            guid_in_path(&p("jobs_g2f37341-e21d-3d80-c698-a935ad614066.csv")),
            None
        );
        assert_eq!(guid_in_path(&p("jobs_8f37d6e0.csv")), None);
        assert_eq!(find_guid("é"), None);
    }

    #[test]
    fn numeric_ids_compare_without_a_float_suffix() {
        assert_eq!(numeric_id(" 54.0"), "54");
        assert_eq!(numeric_id("54"), "54");
        assert_eq!(numeric_id("54.05"), "54.05");
    }

    #[test]
    fn walks_folders_sorted_skipping_hidden_and_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("sub/deeper")).unwrap();
        fs::create_dir_all(d.join(".hidden")).unwrap();
        for f in [
            "b.csv",
            "a.CSV",
            "sub/c.csv.gz",
            "sub/deeper/d.Csv.Gz",
            "notes.txt",
            "x.gz",
            ".h.csv",
            ".hidden/e.csv",
        ] {
            fs::write(d.join(f), "").unwrap();
        }
        let found = find_files(&[d.to_path_buf(), d.join("b.csv"), d.join("notes.txt")]).unwrap();
        let rel: Vec<_> = found.iter().map(|p| p.strip_prefix(d).unwrap()).collect();
        let expected = [
            "a.CSV",
            "b.csv",
            "notes.txt",
            "sub/c.csv.gz",
            "sub/deeper/d.Csv.Gz",
        ];
        assert_eq!(rel, expected.map(Path::new));
    }

    #[test]
    fn a_chronicle_root_at_any_depth_is_found_and_not_walked() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "a.csv",
            "x/y/store/daily/v2/m/2026/03/01/p.parquet",
            "z/curated/v2/connect/t/date=2026-03-01/p.parquet",
        ] {
            fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
            fs::write(d.join(f), "").unwrap();
        }
        let (files, roots) = find_inputs(&[d.to_path_buf()]).unwrap();
        assert_eq!(files, [d.join("a.csv")]);
        assert_eq!(roots, [d.join("x/y/store"), d.join("z")]);
        let metric = d.join("x/y/store/daily/v2/m");
        assert_eq!(
            enclosing_root(&metric),
            Some(canonical(&d.join("x/y/store")))
        );
        assert_eq!(enclosing_root(&d.join("x/y/store")), None);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_end() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("a")).unwrap();
        fs::write(d.join("a/x.csv"), "").unwrap();
        std::os::unix::fs::symlink(d, d.join("a/loop")).unwrap();
        let found = find_files(&[d.to_path_buf()]).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn missing_path_and_no_inputs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let opts = IngestOptions::default();
        let err = read_inputs(&[dir.path().join("nope")], &opts).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        assert!(err.to_string().contains("nope"));
        let err = read_inputs(&[dir.path().to_path_buf()], &opts).unwrap_err();
        assert!(matches!(err, Error::NoInputs(_)), "{err}");
    }
}
