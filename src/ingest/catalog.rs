//! Jobs, content and users exports: the non-usage kinds.
//!
//! Jobs (`get_jobs()`, or legacy `/applications/{guid}/jobs` with epoch-second times):
//! `content_guid` (else `app_guid`) and `start_time` required; `end_time` empty = still
//! running; `tag` empty = `unknown`; `status` int, or legacy `finalized` bool (false → 0,
//! true → 2); `key`, `hostname`, `cluster` optional text.
//!
//! Content (`get_content()`): `guid` required; `name`, `title`, `app_mode`,
//! `content_category`, `owner_guid`, `r_version`, `py_version` text; scheduler fields
//! `min_processes`, `max_processes`, `max_conns_per_process`, `idle_timeout`,
//! `memory_limit`, `memory_request` integers, `load_factor`, `cpu_limit`, `cpu_request`
//! floats (empty = server default); `created_time` timestamp.
//!
//! Users (`get_users()`): `guid` required; `username`, `email`, `first_name`, `last_name`,
//! `user_role` text; `locked` bool; `created_time`, `active_time` timestamps.
//!
//! GUIDs are only checked to be non-empty (fixtures use short ones like `8f37d6e0`).

use std::path::Path;

use super::detect::Header;
use super::row::{Col, FieldError, FieldResult, Row};
use super::{ContentRow, Dataset, JobRow, Kind, Origin, SchedulerSettings, UserRow};
use crate::Result;

/// Columns of a jobs export.
pub struct JobCols {
    content: Option<Col>,
    app: Option<Col>,
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
    /// Maps the header; `content_guid` or `app_guid`, `start_time` and `tag` are required.
    pub fn new(h: &Header, path: &Path) -> Result<Self> {
        let content = Col::find(h, "content_guid");
        let app = Col::find(h, "app_guid");
        if content.is_none() && app.is_none() {
            Col::require(h, "content_guid", path, Kind::Jobs)?;
        }
        Ok(JobCols {
            content,
            app,
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
        let guid = row
            .text(self.content)
            .or_else(|| row.text(self.app))
            .ok_or_else(|| FieldError {
                column: self.content.or(self.app).map_or("content_guid", |c| c.name),
                message: "empty content_guid and app_guid; a value is required".to_string(),
            })?;
        let start = row.required_time(self.start)?;
        let end = row.time(self.end)?;
        let status = match row.int(self.status)? {
            Some(s) => Some(s),
            None => row.bool(self.finalized)?.map(|f| if f { 2 } else { 0 }),
        };
        let tag = row.text(Some(self.tag)).unwrap_or("unknown");
        ds.jobs.push(JobRow {
            content: ds.content_ids.intern(guid),
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
    name: Option<Col>,
    title: Option<Col>,
    app_mode: Option<Col>,
    content_category: Option<Col>,
    owner: Option<Col>,
    ints: [Option<Col>; 6],
    floats: [Option<Col>; 3],
    r_version: Option<Col>,
    py_version: Option<Col>,
    created_time: Option<Col>,
}

/// Integer scheduler columns, in the order [`ContentCols::settings`] reads them.
const INT_SETTINGS: [&str; 6] = [
    "min_processes",
    "max_processes",
    "max_conns_per_process",
    "idle_timeout",
    "memory_limit",
    "memory_request",
];
/// Float scheduler columns, likewise.
const FLOAT_SETTINGS: [&str; 3] = ["load_factor", "cpu_limit", "cpu_request"];

impl ContentCols {
    /// Maps the header; only `guid` is required.
    pub fn new(h: &Header, path: &Path) -> Result<Self> {
        Ok(ContentCols {
            guid: Col::require(h, "guid", path, Kind::Content)?,
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

    fn settings(&self, row: &Row) -> FieldResult<SchedulerSettings> {
        let [min_p, max_p, conns, idle, mem_limit, mem_request] = self.ints;
        let [load, cpu_limit, cpu_request] = self.floats;
        Ok(SchedulerSettings {
            min_processes: row.int(min_p)?,
            max_processes: row.int(max_p)?,
            max_conns_per_process: row.int(conns)?,
            load_factor: row.float(load)?,
            idle_timeout: row.int(idle)?,
            cpu_limit: row.float(cpu_limit)?,
            memory_limit: row.int(mem_limit)?,
            cpu_request: row.float(cpu_request)?,
            memory_request: row.int(mem_request)?,
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
