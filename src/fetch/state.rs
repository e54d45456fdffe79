//! The state file `fetch-state.json` in the output folder: which time ranges each
//! endpoint has fetched, so the next run asks only for what is missing and an interrupted
//! run resumes where it stopped. Written atomically after every page; never holds the API
//! key.
//!
//! ```json
//! {
//!   "format": 2,
//!   "server": "https://connect.example.com",
//!   "endpoints": {
//!     "shiny_usage": {
//!       "covered": [{"from": null, "to": "2024-03-04T13:02:11Z"}],
//!       "min_data_version": 1,
//!       "rows": 20076,
//!       "passes": 3,
//!       "resume": null
//!     },
//!     "job_metrics": {
//!       "covered": [], "min_data_version": null, "rows": 5210, "passes": 4, "resume": null,
//!       "done": {"8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d": ["mxPGVOMVk6f8dso2"]},
//!       "since": "2026-03-01T00:00:00Z"
//!     }
//!   }
//! }
//! ```
//! `covered`: the time ranges `[from, to)` fetched completely, sorted and merged (`from`
//! null: from the beginning); a run asks only for the parts of its window outside them.
//! `done` (job metrics only): the finished jobs fetched completely, per content GUID,
//! including those that had no samples; `since`: the `--metrics-from` bound.
//! `resume`: an unfinished pass: the query of its next page (null when every page is in),
//! the pass's `from` and `to`, and the byte length of the pass's journal
//! (`.FILE.partial`) that the state vouches for.
//!
//! Format 1 (one `next_from` and one `covered_from` per endpoint) is read and migrated:
//! `[covered_from, next_from)` becomes the one covered range.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::FetchError;

/// The state file's name inside the output folder.
pub const FILE: &str = "fetch-state.json";

/// The format written.
pub const FORMAT: u32 = 2;

/// The whole state file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Format version (2; 1 is migrated on load).
    pub format: u32,
    /// The server the folder was filled from.
    pub server: String,
    /// Per endpoint, by name.
    pub endpoints: BTreeMap<String, EndpointState>,
}

/// One endpoint's progress.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EndpointState {
    /// Time ranges fetched completely, sorted, merged, RFC 3339.
    pub covered: Vec<Span>,
    /// `min_data_version` the rows were fetched with.
    pub min_data_version: Option<i64>,
    /// Rows in the endpoint's file after the last completed pass.
    pub rows: u64,
    /// Completed passes (0: never fetched completely).
    pub passes: u64,
    /// An unfinished pass.
    pub resume: Option<Resume>,
    /// Job metrics only: the finished jobs whose samples are in, per content GUID; they
    /// are never asked again.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub done: BTreeMap<String, BTreeSet<String>>,
    /// Job metrics only: the `--metrics-from` bound (RFC 3339) later runs keep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Format 1 only: the `from` of the next pass (read for the migration, never written).
    #[serde(skip_serializing)]
    pub next_from: Option<String>,
    /// Format 1 only: the earliest `--from` fetched completely (read, never written).
    #[serde(skip_serializing)]
    pub covered_from: Option<String>,
}

/// A fetched time range `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// RFC 3339 start; `None` = from the beginning.
    pub from: Option<String>,
    /// RFC 3339 end (excluded).
    pub to: String,
}

/// An unfinished keyset pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    /// Query string of the next page; `None` when every page is in the journal.
    pub query: Option<String>,
    /// The pass's `from`.
    pub pass_from: Option<String>,
    /// The pass's `to` (`None`: open-ended).
    #[serde(default)]
    pub pass_to: Option<String>,
    /// Journal bytes the state vouches for (anything after them is cut off).
    pub journal_len: u64,
}

/// Microseconds of an RFC 3339 text.
fn us(s: Option<&str>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// RFC 3339 UTC text of microseconds ([`crate::format::rfc3339`]); empty outside chrono's
/// range (`i64::MAX`, "no end").
pub fn rfc3339(us: i64) -> String {
    crate::format::rfc3339(us).unwrap_or_default()
}

/// A half-open range in microseconds; `i64::MIN` = the beginning, `i64::MAX` = no end.
pub type Range = (i64, i64);

impl EndpointState {
    /// The covered ranges in microseconds (unreadable entries are dropped: they are then
    /// simply fetched again).
    pub fn ranges(&self) -> Vec<Range> {
        let mut v: Vec<Range> = self
            .covered
            .iter()
            .filter_map(|s| {
                let from = match &s.from {
                    None => i64::MIN,
                    Some(f) => us(Some(f))?,
                };
                Some((from, us(Some(&s.to))?))
            })
            .collect();
        v.sort_unstable();
        normalise(v)
    }

    /// Adds `[from, to)` to the covered ranges.
    pub fn cover(&mut self, from: i64, to: i64) {
        let mut v = self.ranges();
        v.push((from, to));
        v.sort_unstable();
        self.covered = normalise(v)
            .into_iter()
            .map(|(f, t)| Span {
                from: (f != i64::MIN).then(|| rfc3339(f)),
                to: rfc3339(t),
            })
            .collect();
    }
}

/// Sorted ranges with empty ones dropped and touching or overlapping ones merged.
pub fn normalised(sorted: Vec<Range>) -> Vec<Range> {
    normalise(sorted)
}

fn normalise(sorted: Vec<Range>) -> Vec<Range> {
    let mut out: Vec<Range> = Vec::new();
    for (f, t) in sorted.into_iter().filter(|(f, t)| f < t) {
        match out.last_mut() {
            Some(last) if f <= last.1 => last.1 = last.1.max(t),
            _ => out.push((f, t)),
        }
    }
    out
}

/// The parts of `want` that `covered` (sorted, merged) leaves out, in order.
pub fn gaps(want: Range, covered: &[Range]) -> Vec<Range> {
    let (mut at, end) = want;
    let mut out = Vec::new();
    for &(f, t) in covered {
        if at >= end {
            break;
        }
        if t <= at {
            continue;
        }
        if f > at {
            out.push((at, f.min(end)));
        }
        at = at.max(t);
    }
    if at < end {
        out.push((at, end));
    }
    out
}

/// Path of the state file in `dir`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Moves a format 1 state to format 2 in place.
fn migrate(state: &mut State) {
    for es in state.endpoints.values_mut() {
        if es.passes > 0 {
            if let Some(next) = us(es.next_from.as_deref()) {
                let from = us(es.covered_from.as_deref()).unwrap_or(i64::MIN);
                es.cover(from, next);
            }
        }
        es.next_from = None;
        es.covered_from = None;
    }
    state.format = FORMAT;
}

/// Loads the state of `dir` (a missing file is a fresh state for `server`); a folder
/// filled from another server is refused; format 1 is migrated.
pub fn load(dir: &Path, server: &str) -> Result<State, FetchError> {
    let p = path(dir);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(State {
                format: FORMAT,
                server: server.to_string(),
                endpoints: BTreeMap::new(),
            })
        }
        Err(e) => return Err(FetchError::io(&p, e)),
    };
    let mut state: State = serde_json::from_str(&text).map_err(|e| FetchError::State {
        path: p.clone(),
        why: format!("not a fetch state file ({e}); delete it to fetch everything again"),
    })?;
    if state.server != server {
        return Err(FetchError::State {
            path: p,
            why: format!(
                "this folder holds data fetched from {}; use another --out folder for {server}",
                state.server
            ),
        });
    }
    match state.format {
        1 => migrate(&mut state),
        FORMAT => {}
        other => {
            return Err(FetchError::State {
                path: p,
                why: format!(
                    "state format {other} was written by a newer connect-capacity; update it, \
                     or use another --out folder"
                ),
            })
        }
    }
    Ok(state)
}

/// Writes the state atomically.
pub fn save(dir: &Path, state: &State) -> Result<(), FetchError> {
    crate::atomic::write(&path(dir), |out| {
        serde_json::to_writer_pretty(&mut *out, state).map_err(std::io::Error::other)?;
        std::io::Write::write_all(out, b"\n")
    })
    .map_err(FetchError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_another_server() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = load(dir.path(), "http://a").unwrap();
        assert_eq!(s.format, FORMAT);
        let mut es = EndpointState {
            resume: Some(Resume {
                query: Some("limit=500&next=x".into()),
                pass_from: None,
                pass_to: None,
                journal_len: 10,
            }),
            ..Default::default()
        };
        es.cover(i64::MIN, 1_704_067_200_000_000);
        s.endpoints.insert("shiny_usage".into(), es);
        save(dir.path(), &s).unwrap();
        assert_eq!(load(dir.path(), "http://a").unwrap(), s);
        let e = load(dir.path(), "http://b").unwrap_err();
        assert!(e.to_string().contains("another --out"), "{e}");
        std::fs::write(path(dir.path()), "{").unwrap();
        assert!(load(dir.path(), "http://a").is_err());
        std::fs::write(
            path(dir.path()),
            r#"{"format": 3, "server": "http://a", "endpoints": {}}"#,
        )
        .unwrap();
        let e = load(dir.path(), "http://a").unwrap_err();
        assert!(e.to_string().contains("newer"), "{e}");
    }

    #[test]
    fn format_1_is_migrated_to_its_covered_range() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            path(dir.path()),
            r#"{"format": 1, "server": "http://a", "endpoints": {
                "shiny_usage": {"next_from": "2024-03-04T13:00:00Z",
                                "covered_from": "2024-03-01T00:00:00Z",
                                "min_data_version": 1, "rows": 5, "passes": 2, "resume": null},
                "content_visits": {"next_from": "2024-03-04T13:00:00Z", "covered_from": null,
                                   "rows": 5, "passes": 1},
                "users": {"next_from": null, "covered_from": null, "rows": 3, "passes": 1}}}"#,
        )
        .unwrap();
        let s = load(dir.path(), "http://a").unwrap();
        assert_eq!(s.format, 2);
        let span = |f: Option<&str>, t: &str| Span {
            from: f.map(Into::into),
            to: t.into(),
        };
        assert_eq!(
            s.endpoints["shiny_usage"].covered,
            vec![span(Some("2024-03-01T00:00:00Z"), "2024-03-04T13:00:00Z")]
        );
        assert_eq!(
            s.endpoints["content_visits"].covered,
            vec![span(None, "2024-03-04T13:00:00Z")]
        );
        assert!(s.endpoints["users"].covered.is_empty());
        // Saved as format 2 without the old fields.
        save(dir.path(), &s).unwrap();
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(
            text.contains("\"format\": 2") && !text.contains("next_from"),
            "{text}"
        );
    }

    #[test]
    fn ranges_merge_and_gaps_are_what_is_left() {
        let mut es = EndpointState::default();
        // Hand-worked: cover [10,20), [30,40), [20,25) → [10,25), [30,40).
        es.cover(10, 20);
        es.cover(30, 40);
        es.cover(20, 25);
        assert_eq!(es.ranges(), vec![(10, 25), (30, 40)]);
        assert_eq!(
            gaps((0, 50), &es.ranges()),
            vec![(0, 10), (25, 30), (40, 50)]
        );
        assert_eq!(gaps((12, 24), &es.ranges()), vec![]);
        assert_eq!(gaps((22, 33), &es.ranges()), vec![(25, 30)]);
        assert_eq!(
            gaps((i64::MIN, i64::MAX), &[(i64::MIN, 5)]),
            vec![(5, i64::MAX)]
        );
        assert_eq!(gaps((0, 10), &[]), vec![(0, 10)]);
    }

    /// Brute force over small integer ranges: a point is in a gap exactly when it is in
    /// `want` and in no covered range.
    #[test]
    fn gaps_match_a_pointwise_oracle() {
        let mut seed = 17u64;
        let mut next = |n: i64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ((seed >> 33) % n as u64) as i64
        };
        for _ in 0..500 {
            let mut es = EndpointState::default();
            for _ in 0..next(5) {
                let a = next(40);
                es.cover(a, a + next(10));
            }
            let a = next(40);
            let want = (a, a + next(20));
            let g = gaps(want, &es.ranges());
            for p in 0..60 {
                let in_gap = g.iter().any(|&(f, t)| f <= p && p < t);
                let covered = es.ranges().iter().any(|&(f, t)| f <= p && p < t);
                let wanted = want.0 <= p && p < want.1;
                assert_eq!(in_gap, wanted && !covered, "{p} {want:?} {:?}", es.ranges());
            }
            assert!(g.iter().all(|&(f, t)| f < t));
        }
    }
}
