//! Scheduler, sizing and architecture flags (`--config`, `--max-processes`, ...), laid over
//! the config file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::parse::parse_duration;
use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::settings::{Duration, ProcessSettings};

/// Scheduler, sizing and architecture inputs (flags win over `--config`, which wins over
/// the built-in defaults).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Processes, sizing and architecture")]
pub struct CapacityArgs {
    /// TOML file with scheduler defaults, per-content overrides, sizing constants and
    /// plan inputs (see the README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub scheduler: SchedulerFlags,
    /// Per-content override, e.g. `GUID:max_processes=6,min_processes=1,memory_gib=2`
    /// (keys as in the config file's [content."GUID"] table). Repeatable.
    #[arg(long, value_name = "GUID:KEY=VALUE,...")]
    pub content_setting: Vec<String>,
    #[command(flatten)]
    pub plan: PlanFlags,
    #[command(flatten)]
    pub sizing: SizingFlags,
}

/// The measured-footprint flags, named as the config file's `[sizing]` keys.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct SizingFlags {
    /// Fewest samples (serving samples for CPU) from which an item is sized from its job
    /// metrics [default: 30].
    #[arg(long, value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_footprint_samples: Option<u64>,
    /// Least CPU a measured process is sized with, cores [default: 0.25].
    #[arg(long, value_name = "CORES", value_parser = finite)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_cpu_per_process: Option<f64>,
}

/// The server-default scheduler flags. Field names are the config file's `[scheduler]`
/// keys: the flags become a settings layer by name, not by a mapping per field.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct SchedulerFlags {
    /// Server default Max processes per content [default: 3].
    #[arg(long, value_name = "N")]
    pub max_processes: Option<u32>,
    /// Server default Min processes per content [default: 0].
    #[arg(long, value_name = "N")]
    pub min_processes: Option<u32>,
    /// Server default Max connections per process [default: 20].
    #[arg(long, value_name = "N")]
    pub max_conns_per_process: Option<u32>,
    /// Server default Load factor, 0 to 1 [default: 0.5].
    #[arg(long, value_name = "F", value_parser = finite)]
    pub load_factor: Option<f64>,
    /// Server default Idle timeout per process [default: 5s].
    #[arg(long, value_name = "DURATION", value_parser = idle_timeout)]
    pub idle_timeout: Option<Duration>,
}

/// The planning flags, named (or renamed) as the config file's `[plan]` keys.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct PlanFlags {
    /// Nodes of the existing server (process limits are per node) [default: 1].
    #[arg(long, value_name = "N")]
    pub nodes: Option<u32>,
    /// Size for the absolute peak, or the 95th percentile of daily peaks [default: max].
    #[arg(long, value_enum, value_name = "WHICH")]
    pub design_peak: Option<DesignPeakArg>,
    /// Months ahead for the projected scenario [default: 12].
    #[arg(long, value_name = "MONTHS", value_parser = finite)]
    #[serde(rename = "horizon_months")]
    pub horizon: Option<f64>,
    /// Factor for the scaled scenario ("the team doubles") [default: 2].
    #[arg(long, value_name = "K", value_parser = finite)]
    pub scale: Option<f64>,
    /// Availability target in percent [default: 99.0].
    #[arg(long, value_name = "PERCENT", value_parser = finite)]
    pub uptime: Option<f64>,
    /// The organisation requires container deployment.
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub containers: bool,
    /// Largest node the organisation will run, cores [default: 64].
    #[arg(long, value_name = "CORES")]
    pub max_node_cores: Option<u64>,
    /// Largest node the organisation will run, GiB of RAM [default: 512].
    #[arg(long, value_name = "GIB")]
    #[serde(rename = "max_node_ram_gib")]
    pub max_node_ram: Option<u64>,
}

/// `--design-peak` values (spelt as the config file's `design_peak`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesignPeakArg {
    /// The absolute peak of the window.
    Max,
    /// The 95th percentile of daily peaks.
    DailyP95,
}

/// A number that is finite: NaN and infinity would read as "not set" in the layer merge.
fn finite(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("'{s}' is not a finite number")),
    }
}

/// Reads `--idle-timeout`.
fn idle_timeout(s: &str) -> std::result::Result<Duration, String> {
    parse_duration("--idle-timeout", s)
        .map(Duration)
        .map_err(|e| e.to_string())
}

impl CapacityArgs {
    /// The config file (if any) with the flag layer laid over it.
    pub fn merged_config(&self) -> Result<Config> {
        let file = match &self.config {
            Some(path) => config::load(path)?,
            None => Config::default(),
        };
        let mut merged = file.overlaid(&self.flag_layer()?)?;
        let s = &self.sizing;
        if s.min_footprint_samples.is_some() || s.min_cpu_per_process.is_some() {
            let base = merged.sizing.take().unwrap_or_default();
            merged.sizing = Some(crate::settings::apply(&base, s).map_err(Error::Usage)?);
        }
        Ok(merged)
    }

    /// The flags as a config layer: the same keys, so one generic merge lays them over
    /// the file.
    fn flag_layer(&self) -> Result<Config> {
        let mut content: BTreeMap<String, ProcessSettings> = BTreeMap::new();
        for spec in &self.content_setting {
            let (guid, item) = parse_content_setting(spec)?;
            let slot = content.entry(guid).or_default();
            *slot = crate::settings::overlay(slot, &item).map_err(Error::Usage)?;
        }
        Ok(Config {
            scheduler: as_layer(&self.scheduler)?,
            plan: as_layer(&self.plan)?,
            sizing: None,
            content,
        })
    }
}

/// A flag group read as the config layer whose keys it carries.
fn as_layer<F: Serialize, L: serde::de::DeserializeOwned>(flags: &F) -> Result<L> {
    serde_json::to_value(flags)
        .and_then(serde_json::from_value)
        .map_err(|e| Error::Usage(format!("flags: {e}")))
}

/// Parses `GUID:key=value,key=value` with the config file's keys and value syntax.
fn parse_content_setting(spec: &str) -> Result<(String, ProcessSettings)> {
    let usage = |why: String| {
        Error::Usage(format!(
            "--content-setting '{spec}': {why}; write GUID:key=value[,key=value], e.g. \
             GUID:max_processes=6,idle_timeout=30s"
        ))
    };
    let (guid, pairs) = spec
        .split_once(':')
        .ok_or_else(|| usage("no ':' after the GUID".into()))?;
    let guid = guid.trim();
    if guid.is_empty() {
        return Err(usage("the GUID is empty".into()));
    }
    let mut toml_text = String::new();
    for pair in pairs.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| usage(format!("'{pair}' has no '='")))?;
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || !k.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
            return Err(usage(format!("'{k}' is not a setting name")));
        }
        // Numbers and booleans as TOML literals, anything else (e.g. 30s) as a string.
        let literal = v.parse::<f64>().is_ok() || v == "true" || v == "false";
        if literal {
            toml_text.push_str(&format!("{k} = {v}\n"));
        } else {
            toml_text.push_str(&format!("{k} = {}\n", toml_string(v)));
        }
    }
    let item: ProcessSettings =
        toml::from_str(&toml_text).map_err(|e| usage(e.message().trim().to_string()))?;
    Ok((guid.to_string(), item))
}

/// A TOML basic string holding `s`.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn content_setting_reads_numbers_and_durations() {
        let (guid, c) =
            parse_content_setting("abc-1:max_processes=6, idle_timeout=30s,memory_gib=2.5")
                .unwrap();
        assert_eq!(guid, "abc-1");
        assert_eq!(c.max_processes, Some(6));
        assert_eq!(c.idle_timeout, Some(Duration(30_000_000)));
        assert_eq!(c.memory_gib, Some(2.5));
        assert_eq!(c.min_processes, None);
    }

    #[test]
    fn content_setting_rejects_unknown_keys_and_bad_shapes() {
        for bad in [
            "abc-1",
            ":max_processes=1",
            "abc-1:max_processes",
            "abc-1:max_procs=2",
            "abc-1:max_processes=-1",
            "abc-1:a b=1",
        ] {
            let e = parse_content_setting(bad).unwrap_err();
            assert!(matches!(e, Error::Usage(_)), "{bad}");
            assert!(e.to_string().contains("GUID:key=value"), "{bad}: {e}");
        }
    }

    #[test]
    fn flags_win_over_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[scheduler]\nmax_processes = 5\nmin_processes = 1\n[plan]\nuptime = 99.0\n\
             [content.g1]\nmax_processes = 2\nmemory_gib = 1.0\n",
        )
        .unwrap();
        let args = CapacityArgs {
            config: Some(path),
            scheduler: SchedulerFlags {
                max_processes: Some(8),
                ..Default::default()
            },
            plan: PlanFlags {
                uptime: Some(99.95),
                containers: true,
                horizon: Some(6.0),
                design_peak: Some(DesignPeakArg::DailyP95),
                ..Default::default()
            },
            content_setting: vec!["g1:max_processes=4".into(), "g2:cpu_cores=2".into()],
            sizing: SizingFlags {
                min_footprint_samples: Some(10),
                ..Default::default()
            },
        };
        let c = args.merged_config().unwrap();
        assert_eq!(c.scheduler.max_processes, Some(8));
        assert_eq!(c.scheduler.min_processes, Some(1));
        assert_eq!(c.plan.uptime, Some(99.95));
        assert_eq!(c.plan.containers, Some(true));
        assert_eq!(c.plan.horizon_months, Some(6.0));
        assert_eq!(
            c.plan.design_peak,
            Some(crate::model::capacity::DesignPeak::DailyP95)
        );
        assert_eq!(c.plan.nodes, None);
        assert_eq!(c.content["g1"].max_processes, Some(4));
        assert_eq!(c.content["g1"].memory_gib, Some(1.0));
        assert_eq!(c.content["g2"].cpu_cores, Some(2.0));
        let k = c.sizing.unwrap();
        assert_eq!((k.min_footprint_samples, k.min_cpu_per_process), (10, 0.25));
    }
}
