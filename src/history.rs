//! The snapshot history (`--history DIR`): one small JSON file per calendar period,
//! `month-2024-03.json` or `week-2024-W10.json`, holding that period's key figures, so a
//! trend can span more time than any single (rolling) export holds.
//!
//! Every write is atomic (temporary file, then rename). Re-running a period replaces its
//! snapshot unless the stored one covers more of the period (a rolling export that only
//! reaches the end of a month must not erase the month's full figures). A damaged or
//! foreign file is reported by name and skipped; it never stops a run. Temporary files
//! left by a killed run start with `.` and are ignored.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::over_time::trend::{Every, PeriodFigures};

/// Version of the snapshot format.
pub const SNAPSHOT_VERSION: u32 = 1;

/// The file's content.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    /// Always `connect-capacity snapshot`.
    kind: String,
    /// [`SNAPSHOT_VERSION`].
    snapshot_version: u32,
    /// Version of the tool that wrote it.
    tool_version: String,
    /// The figures.
    figures: PeriodFigures,
}

const KIND: &str = "connect-capacity snapshot";

/// A snapshot that could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Damaged {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub message: String,
}

/// What happened to one period's snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stored {
    /// Written (new, or replacing a version that covered no more of the period).
    Written(PathBuf),
    /// Kept: the stored version covers more of the period than this run's data.
    Kept(PathBuf),
}

/// Fingerprints that stand for today's options: a snapshot stored under `legacy` (the
/// fingerprint an older release computed for the same options) reads as if stored under
/// `current`, so an upgrade neither splits the trend nor lets a cron run replace a fuller
/// stored period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aliases {
    /// `(legacy, current)` pairs.
    pairs: Vec<(String, String)>,
}

impl Aliases {
    /// `legacy` reads as `current`.
    pub fn new(legacy: String, current: String) -> Self {
        Aliases {
            pairs: vec![(legacy, current)],
        }
    }

    /// No aliases.
    pub fn none() -> Self {
        Aliases::default()
    }

    /// The fingerprint `options` reads as.
    fn resolve(&self, options: &mut String) {
        if let Some((_, current)) = self.pairs.iter().find(|(l, _)| l == options) {
            options.clone_from(current);
        }
    }
}

/// File name of a period's snapshot.
pub fn file_name(f: &PeriodFigures) -> String {
    format!("{}-{}.json", f.every.name(), f.period)
}

/// Stores every period, creating `dir` when needed.
pub fn store(dir: &Path, figures: &[PeriodFigures], aliases: &Aliases) -> Result<Vec<Stored>> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = Vec::new();
    for f in figures {
        let path = dir.join(file_name(f));
        if let Ok(Some(old)) = read_one(&path, aliases) {
            // Keep the fuller version only when it was made with the same options: after a
            // change (time zone, exclusions, settings) this run's figures replace it.
            let same = old.options == f.options;
            if same && old.covered() > f.covered() && old.every == f.every && old.period == f.period
            {
                out.push(Stored::Kept(path));
                continue;
            }
        }
        let snap = Snapshot {
            kind: KIND.into(),
            snapshot_version: SNAPSHOT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            figures: f.clone(),
        };
        crate::atomic::write(&path, |w| {
            serde_json::to_writer_pretty(&mut *w, &snap)?;
            std::io::Write::write_all(w, b"\n")
        })?;
        out.push(Stored::Written(path));
    }
    Ok(out)
}

/// Reads every snapshot of unit `every` in `dir` (none when `dir` does not exist),
/// sorted by period start; damaged files are listed apart.
pub fn load(
    dir: &Path,
    every: Every,
    aliases: &Aliases,
) -> Result<(Vec<PeriodFigures>, Vec<Damaged>)> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let prefix = format!("{}-", every.name());
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".json"))
        })
        .collect();
    paths.sort();
    let mut found = Vec::new();
    let mut damaged = Vec::new();
    for path in paths {
        match read_one(&path, aliases) {
            Ok(Some(f)) if f.every == every && file_name(&f) == name_of(&path) => found.push(f),
            Ok(Some(f)) => damaged.push(Damaged {
                message: format!(
                    "holds {} {} but is named {}; rename or delete it",
                    f.every.name(),
                    f.period,
                    name_of(&path)
                ),
                path,
            }),
            Ok(None) => {}
            Err(message) => damaged.push(Damaged { path, message }),
        }
    }
    found.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.period.cmp(&b.period)));
    Ok((found, damaged))
}

/// The file name of `path` as text.
fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// One snapshot; `Ok(None)` when the file does not exist, `Err` with a reason when it
/// cannot be used.
fn read_one(path: &Path, aliases: &Aliases) -> std::result::Result<Option<PeriodFigures>, String> {
    let text = match fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it ({e})")),
    };
    let snap: Snapshot = serde_json::from_slice(&text).map_err(|e| {
        format!("not a connect-capacity snapshot ({e}); delete it and re-run for its period")
    })?;
    if snap.kind != KIND || snap.snapshot_version != SNAPSHOT_VERSION {
        return Err(format!(
            "snapshot version {} of '{}' is not supported (this tool reads version {SNAPSHOT_VERSION})",
            snap.snapshot_version, snap.kind
        ));
    }
    let mut figures = snap.figures;
    aliases.resolve(&mut figures.options);
    Ok(Some(figures))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::usage::time::Timestamp;

    fn figures(period: &str, covered: (i64, i64)) -> PeriodFigures {
        PeriodFigures {
            period: period.into(),
            every: Every::Month,
            start: Timestamp(0),
            end: Timestamp(100),
            covered_start: Timestamp(covered.0),
            covered_end: Timestamp(covered.1),
            coverage: (covered.1 - covered.0) as f64 / 100.0,
            sessions: 7,
            visits: 0,
            peak_sessions: 3,
            p95_sessions: Some(2),
            average_sessions: Some(1.0),
            peak_users: 2,
            daily_peak_p95: None,
            active_users: 4,
            publishers: Some(1),
            processes_peak: Some(2),
            measured_processes_peak: None,
            cores: Some(4),
            ram_gib: Some(8),
            architecture: Some("single-server".into()),
            options: "o1".into(),
            measured_items: 0,
        }
    }

    #[test]
    fn round_trips_and_keeps_the_fuller_version() {
        let dir = tempfile::tempdir().unwrap();
        let full = figures("2024-03", (0, 100));
        let part = figures("2024-03", (60, 100));
        assert_eq!(
            store(dir.path(), std::slice::from_ref(&full), &Aliases::none()).unwrap(),
            vec![Stored::Written(dir.path().join("month-2024-03.json"))]
        );
        // A later rolling export covering only the end of March does not replace it.
        assert_eq!(
            store(dir.path(), &[part], &Aliases::none()).unwrap(),
            vec![Stored::Kept(dir.path().join("month-2024-03.json"))]
        );
        let (found, damaged) = load(dir.path(), Every::Month, &Aliases::none()).unwrap();
        assert_eq!(found, vec![full.clone()]);
        assert!(damaged.is_empty());
        // The same period again replaces it (idempotent re-run).
        store(dir.path(), std::slice::from_ref(&full), &Aliases::none()).unwrap();
        assert_eq!(
            load(dir.path(), Every::Month, &Aliases::none()).unwrap().0,
            vec![full]
        );
        // Weekly snapshots are a separate series.
        assert!(load(dir.path(), Every::Week, &Aliases::none())
            .unwrap()
            .0
            .is_empty());
    }

    #[test]
    fn a_snapshot_made_with_other_options_is_replaced_even_when_fuller() {
        let dir = tempfile::tempdir().unwrap();
        store(
            dir.path(),
            &[figures("2024-03", (0, 100))],
            &Aliases::none(),
        )
        .unwrap();
        let mut part = figures("2024-03", (60, 100));
        part.options = "o2".into();
        assert_eq!(
            store(dir.path(), std::slice::from_ref(&part), &Aliases::none()).unwrap(),
            vec![Stored::Written(dir.path().join("month-2024-03.json"))]
        );
        assert_eq!(
            load(dir.path(), Every::Month, &Aliases::none()).unwrap().0,
            vec![part]
        );
    }

    #[test]
    fn damaged_files_are_named_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        store(
            dir.path(),
            &[figures("2024-04", (0, 100))],
            &Aliases::none(),
        )
        .unwrap();
        fs::write(dir.path().join("month-2024-03.json"), "{ \"kind\": tru").unwrap();
        fs::write(dir.path().join(".connect-capacity-x.tmp"), "half").unwrap();
        let renamed = fs::read(dir.path().join("month-2024-04.json")).unwrap();
        fs::write(dir.path().join("month-2024-05.json"), renamed).unwrap();
        let (found, damaged) = load(dir.path(), Every::Month, &Aliases::none()).unwrap();
        assert_eq!(found.len(), 1);
        let names: Vec<String> = damaged.iter().map(|d| name_of(&d.path)).collect();
        assert_eq!(names, vec!["month-2024-03.json", "month-2024-05.json"]);
        assert!(
            damaged[0].message.contains("delete it"),
            "{}",
            damaged[0].message
        );
        assert!(
            damaged[1].message.contains("is named"),
            "{}",
            damaged[1].message
        );
        // Writing over a damaged snapshot repairs it.
        store(dir.path(), &[figures("2024-03", (0, 50))], &Aliases::none()).unwrap();
        assert_eq!(
            load(dir.path(), Every::Month, &Aliases::none())
                .unwrap()
                .0
                .len(),
            2
        );
    }

    #[test]
    fn a_missing_folder_is_an_empty_history() {
        let dir = tempfile::tempdir().unwrap();
        let (found, damaged) =
            load(&dir.path().join("nope"), Every::Month, &Aliases::none()).unwrap();
        assert!(found.is_empty() && damaged.is_empty());
    }
}
