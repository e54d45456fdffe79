//! The TOML config file (`--config FILE`): scheduler defaults, per-content overrides,
//! sizing constants and the architecture inputs, so a team can keep its assumptions in
//! version control. Every key is optional; the flags form a layer of the same shape laid
//! over the file by one generic merge ([`crate::settings::overlay`]), and the file wins
//! over the built-in default. `[scheduler]` and `[content."GUID"]` share one type,
//! [`ProcessSettings`]. Unknown keys are an error (a typo must not silently fall back to a
//! default).
//!
//! ```toml
//! [scheduler]                 # server-wide defaults (Connect's Scheduler settings)
//! max_processes = 3
//! min_processes = 0
//! max_conns_per_process = 20
//! load_factor = 0.5
//! idle_timeout = "5s"         # a duration, or a number of seconds
//! cpu_cores = 1.0             # per process, for items without their own figure
//! memory_gib = 1.0
//!
//! [plan]
//! nodes = 1                   # an existing cluster: limits are per node
//! uptime = 99.0               # availability target in %
//! containers = false          # the organisation requires containers
//! max_node_cores = 64
//! max_node_ram_gib = 512
//! horizon_months = 12
//! scale = 2.0
//! design_peak = "max"         # or "daily-p95"
//!
//! [sizing]
//! base_buffer = 0.20
//! evolving_buffer = 0.15
//! uptime_buffer = 0.10
//! growth_threshold_per_month = 0.05
//! weekly_cv_threshold = 0.3
//! high_uptime = 99.9
//! connect_cores = 1
//! connect_os_ram_gib = 4.0
//!
//! [content."0b5e4a5c-…"]      # one content item, by GUID
//! max_processes = 6
//! min_processes = 1
//! cpu_cores = 2.0             # cores per process
//! memory_gib = 4.0            # memory per process
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::format;
use crate::model::capacity::processes::MAX_WARM;
use crate::model::capacity::scheduler::Settings;
use crate::model::capacity::sizing::Constants;
use crate::model::capacity::{CapacityOptions, DesignPeak};
use crate::settings::{self, ProcessSettings};

/// The whole config file; also the shape of the flag layer laid over it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Server-wide defaults: Connect's scheduler settings, and per-process resources for
    /// every item that sets none of its own.
    #[serde(default)]
    pub scheduler: ProcessSettings,
    /// Planning inputs beyond the data.
    #[serde(default)]
    pub plan: PlanConfig,
    /// Sizing constants (every key optional; unset keys keep their defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizing: Option<Constants>,
    /// Per-content settings, keyed by content GUID.
    #[serde(default)]
    pub content: BTreeMap<String, ProcessSettings>,
}

/// Planning inputs; `None` = not set here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    pub nodes: Option<u32>,
    pub uptime: Option<f64>,
    pub containers: Option<bool>,
    pub max_node_cores: Option<u64>,
    pub max_node_ram_gib: Option<u64>,
    pub horizon_months: Option<f64>,
    pub scale: Option<f64>,
    pub design_peak: Option<DesignPeak>,
}

/// Reads and parses a config file; a file that cannot be read is a config error too.
pub fn load(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the config file ({e})"),
    })?;
    parse(path, &text)
}

/// Parses config text; `path` names it in errors. A number that is not finite (`nan`,
/// `inf`) is an error at its position: the layers merge through JSON, where it would turn
/// into null and read as "unset".
pub fn parse(path: &Path, text: &str) -> Result<Config> {
    let config = toml::from_str(text).map_err(|e| config_error(path, text, &e))?;
    Finite { path: &[] }
        .deserialize(toml::Deserializer::new(text))
        .map_err(|e| config_error(path, text, &e))?;
    Ok(config)
}

/// Walks a parsed file and fails at the first number that is not finite, naming its key
/// (`[content.abc] memory_gib`).
struct Finite<'a> {
    /// Keys from the root to this value.
    path: &'a [String],
}

impl<'de> DeserializeSeed<'de> for Finite<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Finite<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<(), E> {
        if v.is_finite() {
            return Ok(());
        }
        Err(E::custom(format!(
            "{} is {v}: write a finite number, or leave the key out to keep the default",
            key_name(self.path)
        )))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let path = [self.path, &[key]].concat();
            map.next_value_seed(Finite { path: &path })?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(Finite { path: self.path })?.is_some() {}
        Ok(())
    }
}

/// A key as the file spells it: `[table.sub] key`, or `key` at the top.
fn key_name(path: &[String]) -> String {
    let quoted = |k: &String| {
        if !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            k.clone()
        } else {
            format!("{k:?}")
        }
    };
    match path.split_last() {
        Some((key, [])) => quoted(key),
        Some((key, tables)) => {
            let tables: Vec<String> = tables.iter().map(quoted).collect();
            format!("[{}] {}", tables.join("."), quoted(key))
        }
        None => "a value".to_string(),
    }
}

/// A config error naming `path:line:column` when toml gives a position.
fn config_error(path: &Path, text: &str, e: &toml::de::Error) -> Error {
    let (line, column) = match e.span() {
        Some(span) => line_col(text, span.start),
        None => (0, 0),
    };
    Error::Config {
        path: PathBuf::from(path),
        line,
        column,
        message: e.message().trim().to_string(),
    }
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
fn line_col(text: &str, at: usize) -> (u64, u64) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() as u64 + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.chars().count() as u64)
        + 1;
    (line, col)
}

impl Config {
    /// `higher` (the flags) laid over this file, field by field and GUID by GUID.
    pub fn overlaid(&self, higher: &Config) -> Result<Config> {
        settings::overlay(self, higher).map_err(Error::Usage)
    }

    /// The model's capacity options: every value set here, the built-in default for the
    /// rest. Values that make no sense are a usage error naming the key.
    pub fn capacity_options(&self) -> Result<CapacityOptions> {
        let mut o = CapacityOptions::standard();
        o.defaults = Settings::default().with(&self.scheduler);
        o.server_resources = ProcessSettings {
            cpu_cores: self.scheduler.cpu_cores,
            memory_gib: self.scheduler.memory_gib,
            ..Default::default()
        };
        let p = &self.plan;
        set(&mut o.nodes, p.nodes);
        set(&mut o.horizon_months, p.horizon_months);
        set(&mut o.scale, p.scale);
        set(&mut o.limits.uptime, p.uptime);
        set(&mut o.limits.containers, p.containers);
        set(&mut o.limits.max_node_cores, p.max_node_cores);
        set(&mut o.limits.max_node_ram_gib, p.max_node_ram_gib);
        set(&mut o.design_peak, p.design_peak);
        if let Some(c) = &self.sizing {
            o.constants = c.clone();
        }
        positive("[scheduler] cpu_cores", self.scheduler.cpu_cores)?;
        positive("[scheduler] memory_gib", self.scheduler.memory_gib)?;
        for (guid, item) in &self.content {
            positive(&format!("content {guid}: cpu_cores"), item.cpu_cores)?;
            positive(&format!("content {guid}: memory_gib"), item.memory_gib)?;
        }
        o.content = self.content.clone();
        check_options(&o)?;
        Ok(o)
    }
}

/// Ranges of the resolved options: a usage error naming the key.
fn check_options(o: &CapacityOptions) -> Result<()> {
    check(
        (1..=1000).contains(&o.nodes),
        "nodes must be between 1 and 1000",
    )?;
    check(
        o.scale.is_finite() && o.scale > 0.0 && o.scale <= 1000.0,
        "scale must be above 0 and at most 1000",
    )?;
    check(
        o.horizon_months.is_finite() && (0.0..=120.0).contains(&o.horizon_months),
        "horizon must be between 0 and 120 months",
    )?;
    check(
        o.limits.uptime.is_finite() && o.limits.uptime > 0.0 && o.limits.uptime <= 100.0,
        "uptime is a percentage: above 0, at most 100",
    )?;
    check(
        o.limits.max_node_cores >= 1 && o.limits.max_node_ram_gib >= 1,
        "max node cores and RAM must be 1 or more",
    )?;
    check(
        u64::from(o.defaults.min_processes) * u64::from(o.nodes) <= u64::from(MAX_WARM),
        &format!(
            "min_processes x nodes must be at most {} warm processes (the most the model \
             replays per content item)",
            format::count(MAX_WARM)
        ),
    )?;
    check_constants(&o.constants)
}

/// Every sizing constant is a number, 0 or more.
fn check_constants(k: &Constants) -> Result<()> {
    let named = serde_json::to_value(k).unwrap_or_default();
    for (name, v) in named.as_object().into_iter().flatten() {
        let v = v.as_f64().unwrap_or(f64::NAN);
        check(
            v.is_finite() && v >= 0.0,
            &format!("[sizing] {name} must be a number, 0 or more (got {v})"),
        )?;
    }
    Ok(())
}

/// Sets `slot` when the file (or a flag) set a value.
fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

/// A usage error when `ok` is false.
fn check(ok: bool, message: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(message.to_string()))
    }
}

/// A usage error unless `v` is absent or a finite number above 0.
fn positive(name: &str, v: Option<f64>) -> Result<()> {
    match v {
        Some(x) if !(x.is_finite() && x > 0.0) => {
            Err(Error::Usage(format!("{name} must be above 0, not {x}")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Duration;

    fn p(text: &str) -> Result<Config> {
        parse(Path::new("capacity.toml"), text)
    }

    #[test]
    fn an_empty_file_sets_nothing() {
        assert_eq!(p("").unwrap(), Config::default());
    }

    #[test]
    fn reads_every_section() {
        let c = p(r#"
[scheduler]
max_processes = 6
load_factor = 0.25
idle_timeout = "2m"

[plan]
nodes = 2
uptime = 99.95
containers = true
design_peak = "daily-p95"

[sizing]
base_buffer = 0.3

[content."abc-123"]
min_processes = 1
idle_timeout = 30
memory_gib = 4.0
"#)
        .unwrap();
        assert_eq!(c.scheduler.max_processes, Some(6));
        assert_eq!(c.scheduler.load_factor, Some(0.25));
        assert_eq!(c.scheduler.idle_timeout, Some(Duration(120_000_000)));
        assert_eq!(c.plan.nodes, Some(2));
        assert_eq!(c.plan.uptime, Some(99.95));
        assert_eq!(c.plan.containers, Some(true));
        assert_eq!(c.plan.design_peak, Some(DesignPeak::DailyP95));
        let sizing = c.sizing.as_ref().unwrap();
        assert_eq!(sizing.base_buffer, 0.3);
        assert_eq!(sizing.evolving_buffer, Constants::default().evolving_buffer);
        let item = &c.content["abc-123"];
        assert_eq!(item.min_processes, Some(1));
        assert_eq!(item.idle_timeout, Some(Duration(30_000_000)));
        assert_eq!(item.memory_gib, Some(4.0));
        assert_eq!(item.max_processes, None);
    }

    #[test]
    fn a_misspelt_key_is_an_error_with_its_line_and_column() {
        let e = p("[scheduler]\nmax_process = 4\n").unwrap_err().to_string();
        assert!(e.starts_with("capacity.toml:2:1: "), "{e}");
        assert!(e.contains("max_process"), "{e}");
    }

    #[test]
    fn a_wrong_type_names_its_position() {
        let e = p("[plan]\nnodes = \"two\"\n").unwrap_err().to_string();
        assert!(e.starts_with("capacity.toml:2:9: "), "{e}");
    }

    #[test]
    fn a_bad_duration_says_how_to_write_one() {
        let e = p("[scheduler]\nidle_timeout = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("examples"), "{e}");
        let e = p("[scheduler]\nidle_timeout = -3\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("-3"), "{e}");
    }

    #[test]
    fn a_number_that_is_not_finite_names_its_key_and_position() {
        for (text, key, at) in [
            (
                "[scheduler]\ncpu_cores = nan\n",
                "[scheduler] cpu_cores",
                "2:13",
            ),
            ("[plan]\nscale = inf\n", "[plan] scale", "2:9"),
            (
                "[sizing]\nbase_buffer = -inf\n",
                "[sizing] base_buffer",
                "2:15",
            ),
            (
                "[content.\"a b\"]\nmemory_gib = +nan\n",
                "[content.\"a b\"] memory_gib",
                "2:14",
            ),
        ] {
            let e = p(text).unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{e:?}");
            let e = e.to_string();
            assert!(
                e.starts_with(&format!("capacity.toml:{at}: {key} is ")),
                "{e}"
            );
            assert!(e.contains("finite number"), "{e}");
        }
        assert!(p("[scheduler]\ncpu_cores = 1.5\n").is_ok());
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé\nx", 0), (1, 1));
        assert_eq!(line_col("ab\ncdé\nx", 3), (2, 1));
        assert_eq!(line_col("ab\ncdé\nx", 8), (3, 1));
        assert_eq!(line_col("ab\ncdé\nx", 999), (3, 2));
    }
}
