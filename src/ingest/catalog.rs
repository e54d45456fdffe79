//! Jobs, content and users exports: the non-usage kinds (docs/inputs.md sections 3-5).
//!
//! Jobs (`get_jobs()`, or legacy `/applications/{guid}/jobs` with epoch-second times):
//! `content_guid` (else `app_guid`), `start_time` and `tag` required columns, though a
//! table without either GUID column may name content by `app_id` (else `content_id`),
//! Connect's numeric content id, which is matched to content after every file is read
//! ([`attribute_jobs`](super::discover::attribute_jobs)); a row needs one of the three
//! values. `end_time` empty = still running; an empty `tag` = `unknown`; `status` int, or
//! legacy `finalized` bool (false → 0, true → 2) when `status` is absent or empty; `key`,
//! `hostname`, `cluster` optional text.
//!
//! Content (`get_content()`): `guid` required; `name`, `title`, `app_mode`,
//! `content_category`, `owner_guid`, `r_version`, `py_version` text; `created_time`
//! timestamp. The scheduler columns become the row's [`ProcessSettings`] layer, checked
//! here where file and line are known: `min_processes`, `max_processes`,
//! `max_conns_per_process` counts (0 or more), `load_factor` in [0, 1], `idle_timeout`
//! seconds (0 or more); `cpu_limit` (cores) and `memory_limit` (bytes) become `cpu_cores`
//! and `memory_gib`, where 0 or less means "no limit". Empty = the server default.
//! `cpu_request` and `memory_request` are not read.
//!
//! Users (`get_users()`): `guid` required; `username`, `email`, `first_name`, `last_name`,
//! `user_role` text; `locked` bool; `created_time`, `active_time` timestamps.
//!
//! GUIDs are only checked to be non-empty (fixtures use short ones like `8f37d6e0`).

use std::path::Path;

use super::detect::Header;
use super::row::{Col, FieldError, FieldResult, Row};
use super::{ContentRow, Dataset, JobRow, Kind, Origin, UserRow};
use crate::settings::{Duration, ProcessSettings};
use crate::Result;

/// Columns of a jobs export.
pub struct JobCols {
    content: Option<Col>,
    app: Option<Col>,
    app_id: Option<Col>,
    start: Col,
    end: Option<Col>,
    tag: Col,
    status: Option<Col>,
    finalized: Option<Col>,
    key: Option<Col>,
    hostname: Option<Col>,
    cluster: Option<Col>,
}

impl JobCols {
    /// Maps the header; `content_guid`, `app_guid`, `app_id` or `content_id`, and
    /// `start_time` and `tag` are required.
    pub fn new(h: &Header, path: &Path) -> Result<Self> {
        let content = Col::find(h, "content_guid");
        let app = Col::find(h, "app_guid");
        let app_id = Col::find(h, "app_id").or_else(|| Col::find(h, "content_id"));
        if content.is_none() && app.is_none() && app_id.is_none() {
            Col::require(h, "content_guid", path, Kind::Jobs)?;
        }
        Ok(JobCols {
            content,
            app,
            app_id,
            start: Col::require(h, "start_time", path, Kind::Jobs)?,
            end: Col::find(h, "end_time"),
            tag: Col::require(h, "tag", path, Kind::Jobs)?,
            status: Col::find(h, "status"),
            finalized: Col::find(h, "finalized"),
            key: Col::find(h, "key"),
            hostname: Col::find(h, "hostname"),
            cluster: Col::find(h, "cluster"),
        })
    }

    /// Parses one row and pushes a [`JobRow`].
    pub fn apply(&self, row: &mut Row, origin: Origin, ds: &mut Dataset) -> FieldResult<()> {
        let guid = row.text(self.content).or_else(|| row.text(self.app));
        let app_id = row.boxed(self.app_id);
        if guid.is_none() && app_id.is_none() {
            return Err(FieldError {
                column: self
                    .content
                    .or(self.app)
                    .or(self.app_id)
                    .map_or("content_guid", |c| c.name),
                message: "no content_guid, app_guid or app_id; one is required to know \
                          which content ran the job"
                    .to_string(),
            });
        }
        let content = guid.map(|g| ds.content_ids.intern(g));
        let start = row.required_time(self.start)?;
        let end = row.time(self.end)?;
        let status = match row.int(self.status)? {
            Some(s) => Some(s),
            None => row.bool(self.finalized)?.map(|f| if f { 2 } else { 0 }),
        };
        let tag = row.text(Some(self.tag)).unwrap_or("unknown");
        ds.jobs.push(JobRow {
            content,
            app_id,
            key: row.boxed(self.key),
            start,
            end,
            tag: tag.into(),
            status,
            hostname: row.boxed(self.hostname),
            cluster: row.boxed(self.cluster),
            origin,
        });
        Ok(())
    }
}

/// Columns of a content export.
pub struct ContentCols {
    guid: Col,
    id: Option<Col>,
    name: Option<Col>,
    title: Option<Col>,
    app_mode: Option<Col>,
    content_category: Option<Col>,
    owner: Option<Col>,
    ints: [Option<Col>; 5],
    floats: [Option<Col>; 2],
    r_version: Option<Col>,
    py_version: Option<Col>,
    created_time: Option<Col>,
}

/// Integer scheduler columns, in the order [`ContentCols::settings`] reads them.
pub(super) const INT_SETTINGS: [&str; 5] = [
    "min_processes",
    "max_processes",
    "max_conns_per_process",
    "idle_timeout",
    "memory_limit",
];
/// Float scheduler columns, likewise. (`cpu_request` and `memory_request` are not read:
/// sizing works from limits and measurements.)
pub(super) const FLOAT_SETTINGS: [&str; 2] = ["load_factor", "cpu_limit"];

impl ContentCols {
    /// Maps the header; only `guid` is required.
    pub fn new(h: &Header, path: &Path) -> Result<Self> {
        Ok(ContentCols {
            guid: Col::require(h, "guid", path, Kind::Content)?,
            id: Col::find(h, "id"),
            name: Col::find(h, "name"),
            title: Col::find(h, "title"),
            app_mode: Col::find(h, "app_mode"),
            content_category: Col::find(h, "content_category"),
            owner: Col::find(h, "owner_guid"),
            ints: INT_SETTINGS.map(|n| Col::find(h, n)),
            floats: FLOAT_SETTINGS.map(|n| Col::find(h, n)),
            r_version: Col::find(h, "r_version"),
            py_version: Col::find(h, "py_version"),
            created_time: Col::find(h, "created_time"),
        })
    }

    /// The row's settings, each value checked where its file and line are known.
    fn settings(&self, row: &Row) -> FieldResult<ProcessSettings> {
        let [min_p, max_p, conns, idle, mem_limit] = self.ints;
        let [load, cpu_limit] = self.floats;
        let load_factor = row.float(load)?;
        if let Some(l) = load_factor.filter(|l| !(0.0..=1.0).contains(l)) {
            return Err(invalid(
                "load_factor",
                format!("{l} is outside [0, 1]; use a fraction between 0 and 1"),
            ));
        }
        let idle_timeout = match row.int(idle)? {
            Some(secs) if secs < 0 => {
                return Err(invalid(
                    "idle_timeout",
                    format!("{secs} is negative; use a number of seconds, 0 or more"),
                ))
            }
            secs => secs.map(|s| Duration(s.saturating_mul(1_000_000))),
        };
        Ok(ProcessSettings {
            min_processes: count(row, min_p, "min_processes")?,
            max_processes: count(row, max_p, "max_processes")?,
            max_conns_per_process: count(row, conns, "max_conns_per_process")?,
            load_factor,
            idle_timeout,
            cpu_cores: row.float(cpu_limit)?.filter(|c| c.is_finite() && *c > 0.0),
            memory_gib: row
                .int(mem_limit)?
                .filter(|&b| b > 0)
                .map(|b| b as f64 / f64::from(1u32 << 30)),
        })
    }

    /// Parses one row and pushes a [`ContentRow`].
    pub fn apply(&self, row: &mut Row, origin: Origin, ds: &mut Dataset) -> FieldResult<()> {
        let guid = row.required_text(self.guid)?;
        let settings = self.settings(row)?;
        let created_time = row.time(self.created_time)?;
        let owner = row.text(self.owner).map(|o| ds.user_ids.intern(o));
        ds.content.push(ContentRow {
            content: ds.content_ids.intern(guid),
            id: row.boxed(self.id),
            name: row.boxed(self.name),
            title: row.boxed(self.title),
            app_mode: row.boxed(self.app_mode),
            content_category: row.boxed(self.content_category),
            owner,
            settings,
            r_version: row.boxed(self.r_version),
            py_version: row.boxed(self.py_version),
            created_time,
            origin,
        });
        Ok(())
    }
}

/// Columns of a users export.
pub struct UserCols {
    guid: Col,
    username: Option<Col>,
    email: Option<Col>,
    first_name: Option<Col>,
    last_name: Option<Col>,
    user_role: Option<Col>,
    locked: Option<Col>,
    created_time: Option<Col>,
    active_time: Option<Col>,
}

impl UserCols {
    /// Maps the header; only `guid` is required.
    pub fn new(h: &Header, path: &Path) -> Result<Self> {
        Ok(UserCols {
            guid: Col::require(h, "guid", path, Kind::Users)?,
            username: Col::find(h, "username"),
            email: Col::find(h, "email"),
            first_name: Col::find(h, "first_name"),
            last_name: Col::find(h, "last_name"),
            user_role: Col::find(h, "user_role"),
            locked: Col::find(h, "locked"),
            created_time: Col::find(h, "created_time"),
            active_time: Col::find(h, "active_time"),
        })
    }

    /// Parses one row and pushes a [`UserRow`].
    pub fn apply(&self, row: &mut Row, origin: Origin, ds: &mut Dataset) -> FieldResult<()> {
        let guid = row.required_text(self.guid)?;
        let locked = row.bool(self.locked)?;
        let created_time = row.time(self.created_time)?;
        let active_time = row.time(self.active_time)?;
        ds.users.push(UserRow {
            user: ds.user_ids.intern(guid),
            username: row.boxed(self.username),
            email: row.boxed(self.email),
            first_name: row.boxed(self.first_name),
            last_name: row.boxed(self.last_name),
            user_role: row.boxed(self.user_role),
            locked,
            created_time,
            active_time,
            origin,
        });
        Ok(())
    }
}

/// A process or connection count: 0 or more, within u32.
fn count(row: &Row, col: Option<Col>, column: &'static str) -> FieldResult<Option<u32>> {
    row.int(col)?
        .map(|v| {
            u32::try_from(v).map_err(|_| {
                let why = if v < 0 {
                    "use 0 or more"
                } else {
                    "too large (at most 4,294,967,295)"
                };
                invalid(
                    column,
                    format!("{v} is not a process or connection count; {why}"),
                )
            })
        })
        .transpose()
}

/// A value that parses but cannot be a setting.
fn invalid(column: &'static str, message: String) -> FieldError {
    FieldError { column, message }
}
