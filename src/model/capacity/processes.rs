//! Estimated processes (docs/metrics.md section 4): every content item that runs on demand is
//! replayed through the scheduler model ([`super::scheduler`]) with its own settings, in
//! parallel; server-wide processes are the time-aligned sum over content.
//!
//! Settings per item, per field: the config file's (or `--content-setting`) override for
//! that GUID, else the content export's value, else the server default (flags, then the
//! config file's `[scheduler]`, then Connect's defaults). `--nodes N` multiplies
//! `min_processes` and `max_processes`.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::Serialize;

use super::scheduler::{replay, Conn, Replay, Settings, ANONYMOUS};
use crate::error::{Error, Result};
use crate::ingest::{ContentRow, Dataset, Interner, VisitRow};
use crate::model::usage::normalize::Session;
use crate::model::usage::sweep::{stats, step_series, Interval, Micros};
use crate::model::usage::time::{Timestamp, MINUTE};
use crate::settings::{self, ProcessSettings, Source};

/// Most warm processes one item may keep across all nodes in the model (the config file
/// and the flags are checked against it too).
pub const MAX_WARM: u32 = 100_000;

/// Where one item's settings came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SettingsSource {
    /// Every field is the server default.
    ServerDefault,
    /// At least one field from the content export, none from the config.
    ContentExport,
    /// At least one field from the config file or `--content-setting`.
    Config,
}

/// One item's resolved settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved {
    /// Settings per node, as configured.
    pub per_node: Settings,
    /// Settings for the whole server (`min`/`max` multiplied by `--nodes`).
    pub effective: Settings,
    /// Where they came from.
    pub source: SettingsSource,
}

/// Resolves the settings of every content item that `holds` processes (static and
/// rendered content is never replayed, so its settings are not checked). Each export value
/// was checked on its own in ingest; a combination that cannot be replayed (min above max)
/// is a data error at the export's file, line and column when the field at fault came from
/// there, a usage error when it came from the config file or a flag.
pub fn resolve_settings(
    data: &Dataset,
    defaults: &Settings,
    content: &BTreeMap<String, ProcessSettings>,
    nodes: u32,
    holds: &dyn Fn(u32) -> bool,
) -> Result<HashMap<u32, Resolved>> {
    defaults
        .validate()
        .map_err(|i| Error::Usage(format!("server default scheduler settings: {}", i.message)))?;
    let rows: HashMap<u32, &ContentRow> = data.content.iter().map(|c| (c.content, c)).collect();
    let mut ids: Vec<u32> = rows.keys().copied().collect();
    ids.extend(content.keys().filter_map(|g| data.content_ids.get(g)));
    ids.sort_unstable();
    ids.dedup();
    ids.retain(|id| holds(*id));
    let mut out = HashMap::new();
    for id in ids {
        let guid = data.content_ids.name(id);
        let item = Item {
            data,
            guid,
            row: rows.get(&id).copied(),
            config: content.get(guid),
        };
        out.insert(id, item.resolve(defaults, nodes)?);
    }
    Ok(out)
}

/// One content item's settings layers.
struct Item<'a> {
    data: &'a Dataset,
    guid: &'a str,
    row: Option<&'a ContentRow>,
    /// The config file's (and `--content-setting`'s) table for this GUID.
    config: Option<&'a ProcessSettings>,
}

impl Item<'_> {
    /// Config over export over the server defaults, per field; checked, then multiplied
    /// by the nodes.
    fn resolve(&self, defaults: &Settings, nodes: u32) -> Result<Resolved> {
        let none = ProcessSettings::default();
        let config = self.config.unwrap_or(&none);
        let export = self.row.map_or(&none, |r| &r.settings);
        let layers = [(Source::Config, config), (Source::ContentExport, export)];
        let sources = settings::sources(&layers);
        let merged = settings::overlay(export, config).map_err(Error::Usage)?;
        let per_node = defaults.with(&merged);
        per_node
            .validate()
            .map_err(|i| self.blame(&sources, i.field, i.message))?;
        let effective = per_node.per_nodes(nodes);
        if effective.min_processes > MAX_WARM {
            let m = format!(
                "min_processes {} x {nodes} nodes = {} warm processes, beyond what the model \
                 replays ({})",
                per_node.min_processes,
                effective.min_processes,
                crate::format::count(MAX_WARM)
            );
            return Err(self.blame(&sources, "min_processes", m));
        }
        let from = |s: Source| {
            sources
                .iter()
                .any(|(f, from)| *from == s && ProcessSettings::is_scheduler_field(f))
        };
        let source = if from(Source::Config) {
            SettingsSource::Config
        } else if from(Source::ContentExport) {
            SettingsSource::ContentExport
        } else {
            SettingsSource::ServerDefault
        };
        Ok(Resolved {
            per_node,
            effective,
            source,
        })
    }

    /// The error for `field`: at the export's row when the value came from there.
    fn blame(&self, sources: &BTreeMap<String, Source>, field: &str, message: String) -> Error {
        match (sources.get(field), self.row) {
            (Some(Source::ContentExport), Some(r)) => Error::data(
                self.data.path_of(r.origin),
                r.origin.line,
                field,
                format!(
                    "{message}; fix the content settings in Connect or override them with \
                     --content-setting {}:{field}=...",
                    self.guid
                ),
            ),
            _ => Error::Usage(format!("content {}: {message}", self.guid)),
        }
    }
}

/// Rank of every interned GUID in sorted GUID order (the scheduler's tie-break and the
/// scaled replay's canonical order use GUID order, never first-seen order); under
/// `--anonymize`, the order of the original GUIDs.
pub fn guid_ranks(ids: &Interner) -> Vec<u32> {
    ids.ranks()
}

/// The scheduler's view of sessions: `(content id, conn)` with user GUID ranks.
pub fn conns(sessions: &[Session], user_rank: &[u32]) -> Vec<(u32, Conn)> {
    sessions
        .iter()
        .map(|s| {
            let user = s
                .user()
                .and_then(|u| user_rank.get(u as usize))
                .map_or(ANONYMOUS, |r| u64::from(*r));
            (
                s.content,
                Conn {
                    start: s.start,
                    end: s.end,
                    user,
                },
            )
        })
        .collect()
}

/// One item's replay.
#[derive(Debug, Clone)]
pub struct ItemRun {
    /// Content id.
    pub content: u32,
    /// Settings used (effective).
    pub settings: Settings,
    /// The replay.
    pub replay: Replay,
}

/// Replays every item that holds processes: the ones with sessions, and the ones whose
/// `min_processes` keeps processes warm without any. `holds(id)` says whether an item runs
/// on demand (static and rendered content does not). Sorted by content id; the work runs
/// in parallel, one item per task.
pub fn run_all(
    conns: &[(u32, Conn)],
    settings: &HashMap<u32, Resolved>,
    defaults: &Settings,
    nodes: u32,
    holds: impl Fn(u32) -> bool + Sync,
    window: (Micros, Micros),
) -> Vec<ItemRun> {
    let mut by_item: BTreeMap<u32, Vec<Conn>> = BTreeMap::new();
    for (c, conn) in conns {
        by_item.entry(*c).or_default().push(*conn);
    }
    for (id, r) in settings {
        if r.effective.min_processes > 0 {
            by_item.entry(*id).or_default();
        }
    }
    let fallback = defaults.per_nodes(nodes);
    let work: Vec<(u32, Vec<Conn>)> = by_item.into_iter().filter(|(id, _)| holds(*id)).collect();
    work.into_par_iter()
        .map(|(content, list)| {
            let s = settings.get(&content).map_or(fallback, |r| r.effective);
            ItemRun {
                content,
                settings: s,
                replay: replay(&list, &s, window),
            }
        })
        .collect()
}

/// Server-wide concurrency of processes: the time-aligned sum over items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessStats {
    /// Most processes at one instant.
    pub peak: u32,
    /// First instant of the peak.
    pub peak_at: Option<Timestamp>,
    /// Time-weighted average.
    pub average: Option<f64>,
    /// Level not exceeded 95 % of the time.
    pub p95: Option<u32>,
}

/// Peak, average and p95 of the concurrency of `intervals`.
pub fn process_stats(intervals: &[Interval], window: (Micros, Micros)) -> ProcessStats {
    let s = stats(&step_series(intervals, window));
    ProcessStats {
        peak: s.peak,
        peak_at: s.peak_at.map(Timestamp),
        average: s.average,
        p95: s.p95,
    }
}

/// The most visits (requests) of one item in one clock minute (UTC minutes).
pub fn peak_per_minute(visits: &[VisitRow], content: u32) -> u64 {
    let mut minutes: Vec<i64> = visits
        .iter()
        .filter(|v| v.content == content)
        .map(|v| v.time.div_euclid(MINUTE))
        .collect();
    minutes.sort_unstable();
    minutes
        .chunk_by(|a, b| a == b)
        .map(|c| c.len() as u64)
        .max()
        .unwrap_or(0)
}

/// Share of the window during which an item's warm processes held no connection at all
/// (`None` without warm processes).
pub fn warm_idle_fraction(run: &ItemRun, window: (Micros, Micros)) -> Option<f64> {
    if run.settings.min_processes == 0 || window.1 <= window.0 {
        return None;
    }
    let active = step_series(&run.replay.active, window);
    let idle: i128 = active
        .steps()
        .filter(|(_, _, level)| *level == 0)
        .map(|(a, b, _)| i128::from(b - a))
        .sum();
    Some(idle as f64 / (window.1 - window.0) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{FileSummary, Origin};
    use crate::model::usage::time::SECOND;
    use crate::settings::Duration;

    fn dataset_with(settings: ProcessSettings) -> Dataset {
        let mut d = Dataset::default();
        d.row_files.push("exports/content.csv".into());
        d.files.push(FileSummary {
            path: "exports/content.csv".into(),
            kind: crate::ingest::detect::Kind::Content,
            rows: 1,
        });
        let id = d.content_ids.intern("c-1");
        d.content.push(ContentRow {
            content: id,
            id: None,
            name: None,
            title: None,
            app_mode: Some("shiny".into()),
            content_category: None,
            owner: None,
            settings,
            r_version: None,
            py_version: None,
            created_time: None,
            origin: Origin { file: 0, line: 7 },
        });
        d
    }

    #[test]
    fn settings_come_from_override_then_export_then_default() {
        let d = dataset_with(ProcessSettings {
            max_processes: Some(5),
            min_processes: Some(1),
            idle_timeout: Some(Duration(60 * SECOND)),
            ..Default::default()
        });
        let mut overrides = BTreeMap::new();
        overrides.insert(
            "c-1".to_string(),
            ProcessSettings {
                min_processes: Some(2),
                ..Default::default()
            },
        );
        let r = resolve_settings(&d, &Settings::default(), &overrides, 2, &|_| true).unwrap();
        let one = r[&0];
        // min from the override (2), max and idle timeout from the export (5, 60 s),
        // connections and load factor from the defaults (20, 0.5).
        assert_eq!(one.per_node.min_processes, 2);
        assert_eq!(one.per_node.max_processes, 5);
        assert_eq!(one.per_node.idle_timeout, 60 * SECOND);
        assert_eq!(one.per_node.max_conns_per_process, 20);
        assert_eq!(one.source, SettingsSource::Config);
        // Two nodes double the process limits.
        assert_eq!(one.effective.min_processes, 4);
        assert_eq!(one.effective.max_processes, 10);
        let r = resolve_settings(&d, &Settings::default(), &BTreeMap::new(), 1, &|_| true).unwrap();
        assert_eq!(r[&0].source, SettingsSource::ContentExport);
    }

    #[test]
    fn invalid_export_settings_name_the_file_line_and_column() {
        let d = dataset_with(ProcessSettings {
            max_processes: Some(2),
            min_processes: Some(4),
            ..Default::default()
        });
        let e = resolve_settings(&d, &Settings::default(), &BTreeMap::new(), 1, &|_| true)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("exports/content.csv:7: column 'min_processes': "),
            "{e}"
        );
        // A resource-only config entry leaves the export's settings in charge.
        let d = dataset_with(ProcessSettings {
            max_processes: Some(2),
            min_processes: Some(4),
            ..Default::default()
        });
        let mut cfg = BTreeMap::new();
        cfg.insert(
            "c-1".to_string(),
            ProcessSettings {
                memory_gib: Some(2.0),
                ..Default::default()
            },
        );
        let e = resolve_settings(&d, &Settings::default(), &cfg, 1, &|_| true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("content.csv:7: column 'min_processes'"), "{e}");
        // The config's max_processes at fault: a usage error naming the GUID.
        cfg.insert(
            "c-1".to_string(),
            ProcessSettings {
                max_processes: Some(1),
                ..Default::default()
            },
        );
        let d = dataset_with(ProcessSettings::default());
        let bad = Settings {
            min_processes: 2,
            ..Default::default()
        };
        let e = resolve_settings(&d, &bad, &cfg, 1, &|_| true).unwrap_err();
        assert!(matches!(e, Error::Usage(_)), "{e}");
        assert!(
            e.to_string().starts_with("content c-1: min_processes (2)"),
            "{e}"
        );
    }

    #[test]
    fn invalid_defaults_are_a_usage_error() {
        let bad = Settings {
            max_processes: 0,
            ..Default::default()
        };
        let e = resolve_settings(&Dataset::default(), &bad, &BTreeMap::new(), 1, &|_| true)
            .unwrap_err();
        assert!(matches!(e, Error::Usage(_)));
    }

    #[test]
    fn guid_ranks_follow_sorted_guids_not_first_seen_order() {
        let mut ids = Interner::default();
        for g in ["c", "a", "b"] {
            ids.intern(g);
        }
        assert_eq!(guid_ranks(&ids), vec![2, 0, 1]);
        // Renamed (as --anonymize does) so that the new names sort the other way round:
        // the ranks stay those of the original names.
        ids.rename(|n| format!("z{}", 9 - (n.as_bytes()[0] - b'a')));
        assert_eq!(ids.name(0), "z7");
        assert_eq!(guid_ranks(&ids), vec![2, 0, 1]);
        // A name interned after the rename has no original rank: the names order again,
        // "a" (id 3) < "z7" (id 0) < "z8" (id 2) < "z9" (id 1).
        ids.intern("a");
        assert_eq!(guid_ranks(&ids), vec![1, 3, 2, 0]);
    }

    #[test]
    fn warm_items_without_sessions_are_replayed_and_static_items_are_not() {
        let w = (0, 100 * SECOND);
        let mut settings = HashMap::new();
        let warm = Settings {
            min_processes: 1,
            ..Default::default()
        };
        for id in [0, 1] {
            settings.insert(
                id,
                Resolved {
                    per_node: warm,
                    effective: warm,
                    source: SettingsSource::ContentExport,
                },
            );
        }
        // Item 1 is static: it holds nothing even with min_processes.
        let runs = run_all(&[], &settings, &Settings::default(), 1, |id| id == 0, w);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].replay.alive, vec![w]);
        assert_eq!(warm_idle_fraction(&runs[0], w), Some(1.0));
    }

    #[test]
    fn peak_per_minute_counts_the_busiest_clock_minute() {
        let v = |content: u32, t: Micros| VisitRow {
            source: crate::ingest::VisitSource::Hits,
            content,
            user: None,
            time: t,
            data_version: 1,
            user_agent: None,
            origin: Origin { file: 0, line: 1 },
        };
        // Minute 0 has two hits of item 0, minute 1 three (one of them at its first
        // instant), item 1 does not count.
        let visits = [
            v(0, 0),
            v(0, 59 * SECOND),
            v(0, 60 * SECOND),
            v(0, 61 * SECOND),
            v(0, 119 * SECOND),
            v(1, 70 * SECOND),
        ];
        assert_eq!(peak_per_minute(&visits, 0), 3);
        assert_eq!(peak_per_minute(&visits, 2), 0);
    }
}
