//! Export kind detection from the header row.
//!
//! The header is normalised first: a UTF-8 BOM is stripped, a leading empty-named column
//! (R `row.names = TRUE` writes `""`, a pandas index writes nothing) is marked as an index
//! and never read, and the aliases `data.path` → `path`, `data.user_agent` → `user_agent`
//! (pandas `json_normalize` of hits) are applied. Columns are then matched by name in any
//! order; extra columns are ignored (docs/inputs.md 2.7).
//!
//! | kind | required columns |
//! |---|---|
//! | dashboard raw visits | `timestamp`, `content_title`, `content_guid`, `username` |
//! | hits | `id`, `content_guid`, `timestamp` |
//! | jobs | `content_guid` or `app_guid`, `start_time`, `tag` |
//! | unified usage | `content_guid`, `started`, `ended`, one of `variant_key`, `rendering_id`, `bundle_id`, `path` |
//! | shiny usage | `content_guid`, `started`, `ended` |
//! | visits | `content_guid`, `time` |
//! | content | `guid`, `app_mode` |
//! | users | `guid`, `username`, `user_role` |
//! | job metrics | `memory_bytes`, `job_key`, `cpu_fraction` (checked first) |

use std::path::Path;

use serde::Serialize;

use crate::{Error, Result};

/// The kind of a Connect export file, detected from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `/v1/instrumentation/shiny/usage` (connectapi `get_usage_shiny`).
    ShinyUsage,
    /// `/v1/instrumentation/content/visits` (connectapi `get_usage_static`).
    Visits,
    /// posit-sdk-py `metrics.usage` (visits and Shiny sessions in one table).
    UnifiedUsage,
    /// `/v1/instrumentation/content/hits` (flat or `data.`-prefixed columns).
    Hits,
    /// Usage Metrics Dashboard "Export Raw Visits".
    DashboardVisits,
    /// Jobs (`/v1/content/{guid}/jobs`, or legacy `/applications/{guid}/jobs`).
    Jobs,
    /// Content list (`/v1/content`).
    Content,
    /// Users (`/v1/users`).
    Users,
    /// Per-job resource samples (`/v1/content/{guid}/jobs/{key}/metrics`).
    JobMetrics,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 9] = [
        Kind::ShinyUsage,
        Kind::Visits,
        Kind::UnifiedUsage,
        Kind::Hits,
        Kind::DashboardVisits,
        Kind::Jobs,
        Kind::Content,
        Kind::Users,
        Kind::JobMetrics,
    ];

    /// Position in [`Kind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Human name, e.g. "shiny usage".
    pub fn label(self) -> &'static str {
        match self {
            Kind::ShinyUsage => "shiny usage",
            Kind::Visits => "content visits",
            Kind::UnifiedUsage => "unified usage (posit-sdk-py)",
            Kind::Hits => "content hits",
            Kind::DashboardVisits => "dashboard raw visits",
            Kind::Jobs => "jobs",
            Kind::Content => "content",
            Kind::Users => "users",
            Kind::JobMetrics => "job metrics",
        }
    }

    /// Name used on the command line (`--input-tz KIND=ZONE`).
    pub fn cli_name(self) -> &'static str {
        match self {
            Kind::ShinyUsage => "shiny",
            Kind::Visits => "visits",
            Kind::UnifiedUsage => "usage",
            Kind::Hits => "hits",
            Kind::DashboardVisits => "dashboard",
            Kind::Jobs => "jobs",
            Kind::Content => "content",
            Kind::Users => "users",
            Kind::JobMetrics => "job_metrics",
        }
    }

    /// The kind with this [`Kind::cli_name`].
    pub fn from_cli_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.cli_name() == name)
    }

    /// True for the usage exports that connectapi's row limit can truncate.
    pub fn is_usage(self) -> bool {
        matches!(
            self,
            Kind::ShinyUsage | Kind::Visits | Kind::UnifiedUsage | Kind::Hits
        )
    }

    /// The header this kind is recognised by, for error messages.
    fn accepted_header(self) -> &'static str {
        match self {
            Kind::ShinyUsage => "content_guid, user_guid, started, ended[, data_version]",
            Kind::Visits => {
                "content_guid, user_guid, variant_key, time, rendering_id, bundle_id[, path], data_version"
            }
            Kind::UnifiedUsage => {
                "content_guid, user_guid, variant_key, rendering_id, bundle_id, started, ended, data_version, path"
            }
            Kind::Hits => "id, user_guid, content_guid, timestamp[, path, user_agent] (or data.path, data.user_agent)",
            Kind::DashboardVisits => {
                "timestamp, content_title, content_guid, owner_username, username, full_name, email, user_guid"
            }
            Kind::Jobs => "content_guid (or app_guid, or app_id to join the content list's id), start_time, end_time, tag[, status or finalized, key, hostname, cluster]",
            Kind::Content => "guid, name, title, app_mode[, content_category, max_processes, ..., owner_guid, created_time]",
            Kind::Users => "guid, username, email, first_name, last_name, user_role[, locked, created_time, active_time]",
            Kind::JobMetrics => "timestamp, cpu_fraction, memory_bytes, connections, process_id, content_guid, job_key",
        }
    }
}

/// A normalised header: names by raw field index, with an optional leading index column.
#[derive(Debug, Clone)]
pub struct Header {
    names: Vec<String>,
    has_index: bool,
}

impl Header {
    /// Normalises raw header names (BOM, index column, aliases).
    pub fn new<'a>(raw: impl IntoIterator<Item = &'a str>) -> Header {
        let names: Vec<String> = raw
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                normalise_name(if i == 0 {
                    n.trim_start_matches('\u{feff}')
                } else {
                    n
                })
            })
            .collect();
        let has_index = names.len() > 1 && names[0].is_empty();
        Header { names, has_index }
    }

    /// The raw field index of column `name` (never the index column).
    pub fn index(&self, name: &str) -> Option<usize> {
        let start = usize::from(self.has_index);
        self.names[start..]
            .iter()
            .position(|n| n == name)
            .map(|i| i + start)
    }

    /// True when the header has column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.index(name).is_some()
    }

    /// True when a leading row-index column was found (and is ignored).
    pub fn has_index_column(&self) -> bool {
        self.has_index
    }

    /// Checks what detection cannot: an empty file, and a column the parsers read that
    /// appears twice (which copy is meant cannot be told). Errors name line 1.
    pub fn check(&self, path: &Path) -> Result<()> {
        if self.names.iter().all(|n| n.is_empty()) {
            return Err(Error::Csv {
                path: path.to_path_buf(),
                line: 1,
                message: "the file is empty (not even a header line); export it again, it may \
                          have been cut off"
                    .into(),
            });
        }
        let start = usize::from(self.has_index);
        for (i, name) in self.names.iter().enumerate().skip(start) {
            let known = KNOWN_COLUMNS.contains(&name.as_str());
            if known && self.names[start..i].contains(name) {
                return Err(Error::Csv {
                    path: path.to_path_buf(),
                    line: 1,
                    message: format!(
                        "column '{name}' appears twice in the header; keep one copy (which one \
                         is meant cannot be told)"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The name of the column at raw field index `idx` (`""` for none).
    pub fn name_at(&self, idx: usize) -> &str {
        self.names.get(idx).map_or("", String::as_str)
    }

    /// The data column names, comma-separated, for messages.
    pub fn display(&self) -> String {
        let start = usize::from(self.has_index);
        self.names[start..].join(", ")
    }
}

fn normalise_name(name: &str) -> String {
    let name = name.trim();
    match name {
        "data.path" => "path".to_string(),
        "data.user_agent" => "user_agent".to_string(),
        _ => name.to_string(),
    }
}

/// Detects the kind of a file from its normalised header.
pub fn detect(header: &Header, path: &Path) -> Result<Kind> {
    detect_kind(header).ok_or_else(|| {
        let mut found = header.display();
        // One "column" holding the names: another separator (Excel writes ';' in locales
        // with a decimal comma).
        let start = usize::from(header.has_index);
        if found.contains('\0') {
            found = found.replace('\0', "");
            found.push_str(
                "; the file looks like UTF-16 without a byte-order mark: pass --encoding \
                 utf-16 (or utf-16be)",
            );
        } else if header.names.len() - start == 1 {
            for (sep, name) in [(';', "semicolons"), ('\t', "tabs"), ('|', "bars")] {
                if found.contains(sep) {
                    found.push_str(&format!(
                        "; the columns look separated by {name}: re-export the file \
                         comma-separated"
                    ));
                    break;
                }
            }
        }
        Error::UnknownKind {
            path: path.to_path_buf(),
            found,
            accepted: accepted_list(),
        }
    })
}

/// Every column some parser reads: a duplicate of one of these is an error.
const KNOWN_COLUMNS: &[&str] = &[
    "content_guid",
    "user_guid",
    "started",
    "ended",
    "data_version",
    "time",
    "timestamp",
    "guid",
    "id",
    "app_mode",
    "username",
    "user_role",
    "email",
    "locked",
    "active_time",
    "created_time",
    "start_time",
    "end_time",
    "tag",
    "status",
    "hostname",
    "cluster",
    "key",
    "app_guid",
    "app_id",
    "content_id",
    "path",
    "user_agent",
    "variant_key",
    "rendering_id",
    "bundle_id",
    "title",
    "name",
    "content_title",
    "owner_guid",
    "min_processes",
    "max_processes",
    "max_conns_per_process",
    "load_factor",
    "idle_timeout",
    "cpu_limit",
    "memory_limit",
    "cpu_request",
    "memory_request",
    "r_version",
    "py_version",
    "first_name",
    "last_name",
    "job_key",
    "cpu_fraction",
    "memory_bytes",
    "connections",
];

/// The columns posit-sdk-py's unified usage fills only for visits: their presence makes a
/// file unified usage, and a value in any of them makes a row a visit (docs/metrics.md 1.2).
pub const VISIT_ONLY_COLUMNS: [&str; 4] = ["variant_key", "rendering_id", "bundle_id", "path"];

/// Detection without the error; checked in an order that avoids ambiguity.
pub fn detect_kind(h: &Header) -> Option<Kind> {
    let all = |cols: &[&str]| cols.iter().all(|c| h.has(c));
    let any = |cols: &[&str]| cols.iter().any(|c| h.has(c));
    if all(&["memory_bytes", "job_key", "cpu_fraction"]) {
        Some(Kind::JobMetrics)
    } else if all(&["timestamp", "content_title", "content_guid", "username"]) {
        Some(Kind::DashboardVisits)
    } else if all(&["id", "content_guid", "timestamp"]) {
        Some(Kind::Hits)
    } else if any(&["content_guid", "app_guid", "app_id", "content_id"])
        && all(&["start_time", "tag"])
    {
        Some(Kind::Jobs)
    } else if all(&["content_guid", "started", "ended"]) {
        if any(&VISIT_ONLY_COLUMNS) {
            Some(Kind::UnifiedUsage)
        } else {
            Some(Kind::ShinyUsage)
        }
    } else if all(&["content_guid", "time"]) {
        Some(Kind::Visits)
    } else if all(&["guid", "app_mode"]) {
        Some(Kind::Content)
    } else if all(&["guid", "username", "user_role"]) {
        Some(Kind::Users)
    } else {
        None
    }
}

/// One line per kind: `  shiny usage: content_guid, ...`.
fn accepted_list() -> String {
    let lines: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("    {}: {}", k.label(), k.accepted_header()))
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(s: &str) -> Header {
        Header::new(s.split(','))
    }

    #[test]
    fn detects_every_documented_header() {
        let cases = [
            ("content_guid,user_guid,started,ended,data_version", Kind::ShinyUsage),
            ("content_guid,user_guid,started,ended", Kind::ShinyUsage),
            (
                "content_guid,user_guid,variant_key,time,rendering_id,bundle_id,path,data_version",
                Kind::Visits,
            ),
            (
                "content_guid,user_guid,variant_key,rendering_id,bundle_id,started,ended,data_version,path",
                Kind::UnifiedUsage,
            ),
            ("id,user_guid,content_guid,timestamp,path,user_agent", Kind::Hits),
            ("id,user_guid,content_guid,timestamp,data.path,data.user_agent", Kind::Hits),
            ("id,content_guid,timestamp", Kind::Hits),
            (
                "timestamp,content_title,content_guid,owner_username,username,full_name,email,user_guid",
                Kind::DashboardVisits,
            ),
            ("id,content_guid,app_guid,start_time,end_time,tag,status", Kind::Jobs),
            ("id,pid,key,app_id,app_guid,start_time,end_time,tag,finalized", Kind::Jobs),
            ("guid,name,title,app_mode,owner_guid", Kind::Content),
            ("email,username,user_role,guid", Kind::Users),
            (
                "timestamp,cpu_fraction,memory_bytes,connections,process_id,content_guid,job_key",
                Kind::JobMetrics,
            ),
            // Column order is free, and an `id` column does not make it hits.
            ("id,job_key,content_guid,memory_bytes,timestamp,cpu_fraction", Kind::JobMetrics),
        ];
        for (h, kind) in cases {
            assert_eq!(detect_kind(&header(h)), Some(kind), "{h}");
        }
    }

    #[test]
    fn strips_bom_index_column_and_aliases() {
        let h = header("\u{feff},id,content_guid,timestamp,data.user_agent");
        assert!(h.has_index_column());
        assert_eq!(h.index("id"), Some(1));
        assert_eq!(h.index("user_agent"), Some(4));
        assert_eq!(h.index(""), None);
        assert_eq!(detect_kind(&h), Some(Kind::Hits));
        let bom = header("\u{feff}content_guid,time");
        assert_eq!(bom.index("content_guid"), Some(0));
        assert!(!bom.has_index_column());
    }

    #[test]
    fn unknown_header_lists_accepted_headers() {
        let h = header("a,b,c");
        let err = detect(&h, Path::new("x.csv")).unwrap_err().to_string();
        assert!(err.contains("x.csv"), "{err}");
        assert!(err.contains("header: a, b, c"), "{err}");
        assert!(
            err.contains("shiny usage: content_guid, user_guid, started, ended[, data_version]")
        );
        assert_eq!(err.lines().count(), 2 + Kind::ALL.len(), "{err}");
    }

    #[test]
    fn cli_names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_cli_name(k.cli_name()), Some(k));
            assert_eq!(Kind::ALL[k.index()], k);
        }
    }
}
