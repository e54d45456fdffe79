//! The state file `fetch-state.json` in the output folder: how far each endpoint got, so
//! the next run asks only for newer records and an interrupted run resumes where it
//! stopped. Written atomically after every page; never holds the API key.
//!
//! ```json
//! {
//!   "format": 1,
//!   "server": "https://connect.example.com",
//!   "endpoints": {
//!     "shiny_usage": {
//!       "next_from": "2024-03-04T13:02:11Z",
//!       "covered_from": null,
//!       "min_data_version": 1,
//!       "rows": 20076,
//!       "passes": 3,
//!       "resume": null
//!     }
//!   }
//! }
//! ```
//! `next_from`: the `from` of the next run (null: from the beginning); `covered_from`: the
//! earliest `--from` fetched completely (null: everything); `resume`: an unfinished pass:
//! the query of its next page (null when every page is in), the pass's `from`, and the
//! byte length of the pass's journal (`.FILE.partial`) that the state vouches for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::FetchError;

/// The state file's name inside the output folder.
pub const FILE: &str = "fetch-state.json";

/// The whole state file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Format version (1).
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
    /// RFC 3339 `from` of the next pass; `None` = from the beginning.
    pub next_from: Option<String>,
    /// The earliest `--from` fetched completely; `None` = everything.
    pub covered_from: Option<String>,
    /// `min_data_version` the rows were fetched with.
    pub min_data_version: Option<i64>,
    /// Rows in the endpoint's file after the last completed pass.
    pub rows: u64,
    /// Completed passes (0: never fetched completely).
    pub passes: u64,
    /// An unfinished pass.
    pub resume: Option<Resume>,
}

/// An unfinished keyset pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    /// Query string of the next page; `None` when every page is in the journal.
    pub query: Option<String>,
    /// The pass's `from`.
    pub pass_from: Option<String>,
    /// Journal bytes the state vouches for (anything after them is cut off).
    pub journal_len: u64,
}

/// Path of the state file in `dir`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Loads the state of `dir` (a missing file is a fresh state for `server`); a folder
/// filled from another server is refused.
pub fn load(dir: &Path, server: &str) -> Result<State, FetchError> {
    let p = path(dir);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(State {
                format: 1,
                server: server.to_string(),
                endpoints: BTreeMap::new(),
            })
        }
        Err(e) => return Err(crate::Error::io(&p, e).into()),
    };
    let state: State = serde_json::from_str(&text).map_err(|e| FetchError::State {
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
    Ok(state)
}

/// Writes the state atomically.
pub fn save(dir: &Path, state: &State) -> Result<(), FetchError> {
    crate::atomic::write(&path(dir), |out| {
        serde_json::to_writer_pretty(&mut *out, state).map_err(std::io::Error::other)?;
        writeln!(out)
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
        assert_eq!(s.format, 1);
        s.endpoints.insert(
            "shiny_usage".into(),
            EndpointState {
                next_from: Some("2024-01-01T00:00:00Z".into()),
                resume: Some(Resume {
                    query: Some("limit=500&next=x".into()),
                    pass_from: None,
                    journal_len: 10,
                }),
                ..Default::default()
            },
        );
        save(dir.path(), &s).unwrap();
        assert_eq!(load(dir.path(), "http://a").unwrap(), s);
        let e = load(dir.path(), "http://b").unwrap_err();
        assert!(e.to_string().contains("another --out"), "{e}");
        std::fs::write(path(dir.path()), "{").unwrap();
        assert!(load(dir.path(), "http://a").is_err());
    }
}
