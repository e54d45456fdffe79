//! The fingerprint of the options that shape a period's figures, stored with every history
//! snapshot so periods made with other options are never mixed or replaced unawares.
//!
//! After 0.1.0 (Unreleased) it is the FNV-1a hash of the options serialised as JSON,
//! keeping only what differs from the defaults: a setting added later with its default
//! value leaves every fingerprint as it was. Snapshots written by 0.1.0 carry the older
//! fingerprint (a hash of the options' debug text), which [`legacy_fingerprint`]
//! reproduces, frozen, so the history treats them as made with the same options.

use serde::Serialize;

use super::trend::fnv1a64;
use crate::model::capacity::{CapacityOptions, DesignPeak};
use crate::model::Options;
use crate::settings::{self, ProcessSettings};

/// A stable fingerprint (FNV-1a, 64 bits, hex) of the options that shape a period's
/// figures: not the window (`--from/--to`, `--as-of`) nor today's server.
pub fn options_fingerprint(opts: &Options) -> String {
    let diff = settings::non_default(&Shaping::of(&Options::default()), &Shaping::of(opts));
    let text = serde_json::to_string(&diff).unwrap_or_default();
    format!("{:016x}", fnv1a64(text.bytes()))
}

/// The options that shape figures, as serialised for the fingerprint.
#[derive(Serialize)]
struct Shaping<'a> {
    tz: &'a str,
    exclude_users: &'a [String],
    exclude_user_agents: &'a [String],
    min_session: Option<i64>,
    open_cap: Option<i64>,
    reconnect_timeout: i64,
    capacity: &'a CapacityOptions,
}

impl<'a> Shaping<'a> {
    fn of(o: &'a Options) -> Self {
        Shaping {
            tz: o.tz.name(),
            exclude_users: &o.exclude_users,
            exclude_user_agents: &o.exclude_user_agents,
            min_session: o.min_session,
            open_cap: o.open_cap,
            reconnect_timeout: o.reconnect_timeout,
            capacity: &o.capacity,
        }
    }
}

/// The fingerprint 0.1.0 wrote: FNV-1a of the options' debug text in its field order. Frozen
/// (every struct spelt out here), so later changes to the option types cannot move it.
/// `None` when the options set one that 0.1.0 did not have (`[scheduler] cpu_cores`, a
/// sizing constant added since): 0.1.0 cannot have made a period with them, and its
/// fingerprint, blind to them, would match one made without them.
pub fn legacy_fingerprint(opts: &Options) -> Option<String> {
    let diff = settings::non_default(&Shaping::of(&Options::default()), &Shaping::of(opts));
    let mut path = Vec::new();
    if !all_known_to_0_1(&diff, &mut path) {
        return None;
    }
    let c = &opts.capacity;
    let text = format!(
        "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}|{:?}|{}|{}|{}|{}|{}|{}",
        opts.tz.name(),
        opts.exclude_users,
        opts.exclude_user_agents,
        opts.min_session,
        opts.open_cap,
        opts.reconnect_timeout,
        legacy_settings(c),
        legacy_overrides(c),
        legacy_resources(c),
        c.nodes,
        match c.design_peak {
            DesignPeak::Max => "Max",
            DesignPeak::DailyP95 => "DailyP95",
        },
        c.horizon_months,
        c.scale,
        legacy_limits(c),
        legacy_constants(c),
    );
    Some(format!("{:016x}", fnv1a64(text.bytes())))
}

/// The options 0.1.0 had, as paths into [`Shaping`]'s JSON (`*`: any content GUID). Frozen
/// like [`legacy_fingerprint`]: an option added later is not listed.
const KNOWN_TO_0_1: &[&str] = &[
    "tz",
    "exclude_users",
    "exclude_user_agents",
    "min_session",
    "open_cap",
    "reconnect_timeout",
    "capacity.defaults.min_processes",
    "capacity.defaults.max_processes",
    "capacity.defaults.max_conns_per_process",
    "capacity.defaults.load_factor",
    "capacity.defaults.idle_timeout",
    "capacity.content.*.min_processes",
    "capacity.content.*.max_processes",
    "capacity.content.*.max_conns_per_process",
    "capacity.content.*.load_factor",
    "capacity.content.*.idle_timeout",
    "capacity.content.*.cpu_cores",
    "capacity.content.*.memory_gib",
    "capacity.nodes",
    "capacity.design_peak",
    "capacity.horizon_months",
    "capacity.scale",
    "capacity.limits.uptime",
    "capacity.limits.containers",
    "capacity.limits.max_node_cores",
    "capacity.limits.max_node_ram_gib",
    "capacity.constants.base_buffer",
    "capacity.constants.evolving_buffer",
    "capacity.constants.uptime_buffer",
    "capacity.constants.growth_threshold_per_month",
    "capacity.constants.weekly_cv_threshold",
    "capacity.constants.high_uptime",
    "capacity.constants.connect_cores",
    "capacity.constants.connect_os_ram_gib",
    "capacity.constants.content_share_of_max_node",
    "capacity.constants.warm_idle_share",
];

/// True when every value set in `diff` (the non-default options) sits at a path listed in
/// [`KNOWN_TO_0_1`]; `path` holds the keys from the root.
fn all_known_to_0_1<'a>(diff: &'a serde_json::Value, path: &mut Vec<&'a str>) -> bool {
    match diff {
        serde_json::Value::Object(m) => m.iter().all(|(k, child)| {
            path.push(k);
            let known = all_known_to_0_1(child, path);
            path.pop();
            known
        }),
        _ => KNOWN_TO_0_1.iter().any(|known| {
            let parts: Vec<&str> = known.split('.').collect();
            parts.len() == path.len()
                && parts
                    .iter()
                    .zip(path.iter())
                    .all(|(k, p)| *k == "*" || k == p)
        }),
    }
}

fn legacy_settings(c: &CapacityOptions) -> String {
    let d = &c.defaults;
    format!(
        "Settings {{ min_processes: {}, max_processes: {}, max_conns_per_process: {}, \
         load_factor: {:?}, idle_timeout: {} }}",
        d.min_processes, d.max_processes, d.max_conns_per_process, d.load_factor, d.idle_timeout
    )
}

/// 0.1.0's per-content scheduler overrides: one per GUID in the config and flags.
#[derive(Debug)]
#[allow(dead_code)] // read through Debug only
struct SchedulerOverride {
    min_processes: Option<u32>,
    max_processes: Option<u32>,
    max_conns_per_process: Option<u32>,
    load_factor: Option<f64>,
    idle_timeout: Option<i64>,
}

/// 0.1.0's per-content resource overrides: GUIDs that set CPU or memory.
#[derive(Debug)]
#[allow(dead_code)] // read through Debug only
struct ResourceOverride {
    cpu: Option<f64>,
    memory_mib: Option<u64>,
}

fn legacy_overrides(c: &CapacityOptions) -> std::collections::BTreeMap<&String, SchedulerOverride> {
    c.content
        .iter()
        .map(|(g, s): (&String, &ProcessSettings)| {
            let o = SchedulerOverride {
                min_processes: s.min_processes,
                max_processes: s.max_processes,
                max_conns_per_process: s.max_conns_per_process,
                load_factor: s.load_factor,
                idle_timeout: s.idle_timeout.map(|d| d.0),
            };
            (g, o)
        })
        .collect()
}

fn legacy_resources(c: &CapacityOptions) -> std::collections::BTreeMap<&String, ResourceOverride> {
    c.content
        .iter()
        .filter(|(_, s)| s.has_resources())
        .map(|(g, s)| {
            let r = ResourceOverride {
                cpu: s.cpu_cores,
                memory_mib: s.memory_gib.map(|g| (g * 1024.0).ceil() as u64),
            };
            (g, r)
        })
        .collect()
}

fn legacy_limits(c: &CapacityOptions) -> String {
    let l = &c.limits;
    format!(
        "Limits {{ uptime: {:?}, containers: {}, max_node_cores: {}, max_node_ram_gib: {} }}",
        l.uptime, l.containers, l.max_node_cores, l.max_node_ram_gib
    )
}

fn legacy_constants(c: &CapacityOptions) -> String {
    let k = &c.constants;
    format!(
        "Constants {{ base_buffer: {:?}, evolving_buffer: {:?}, uptime_buffer: {:?}, \
         growth_threshold_per_month: {:?}, weekly_cv_threshold: {:?}, high_uptime: {:?}, \
         connect_cores: {}, connect_os_ram_gib: {:?}, content_share_of_max_node: {:?}, \
         warm_idle_share: {:?} }}",
        k.base_buffer,
        k.evolving_buffer,
        k.uptime_buffer,
        k.growth_threshold_per_month,
        k.weekly_cv_threshold,
        k.high_uptime,
        k.connect_cores,
        k.connect_os_ram_gib,
        k.content_share_of_max_node,
        k.warm_idle_share
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Duration;

    /// The fingerprints 0.1.0 stored in tests/fixtures/history_v0_1_0 (default options, and
    /// `--tz Europe/Berlin --max-processes 5 --content-setting x:memory_gib=2
    /// --exclude-users nobody`).
    #[test]
    fn the_legacy_fingerprint_is_what_0_1_wrote() {
        assert_eq!(
            legacy_fingerprint(&Options::default()).as_deref(),
            Some("274d0532bb7730d3")
        );
        let mut o = Options {
            tz: "Europe/Berlin".parse().unwrap(),
            exclude_users: vec!["nobody".into()],
            ..Options::default()
        };
        o.capacity.defaults.max_processes = 5;
        o.capacity.content.insert(
            "x".into(),
            ProcessSettings {
                memory_gib: Some(2.0),
                ..Default::default()
            },
        );
        let stored = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/history_v0_1_0/custom/week-2024-W10.json"
        ))
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&stored).unwrap();
        assert_eq!(
            legacy_fingerprint(&o).as_deref(),
            v["figures"]["options"].as_str()
        );
    }

    #[test]
    fn options_0_1_did_not_have_have_no_legacy_fingerprint() {
        let mut o = Options::default();
        o.capacity.server_resources.cpu_cores = Some(2.0);
        assert_eq!(legacy_fingerprint(&o), None);
        let mut o = Options::default();
        o.capacity.server_resources.memory_gib = Some(8.0);
        assert_eq!(legacy_fingerprint(&o), None);
        let mut o = Options::default();
        o.capacity.constants.min_window_days += 1.0;
        assert_eq!(legacy_fingerprint(&o), None);
        // Ones it had, in any content GUID, keep it.
        let mut o = Options::default();
        o.capacity.constants.warm_idle_share = 0.9;
        o.capacity.content.insert(
            "a.b".into(),
            ProcessSettings {
                cpu_cores: Some(2.0),
                idle_timeout: Some(Duration(1)),
                ..Default::default()
            },
        );
        o.open_cap = None;
        assert!(legacy_fingerprint(&o).is_some());
    }

    /// The fingerprints of options without `[content]` entries are those this build has
    /// written since the serialised fingerprint came in; an entry counts only the keys
    /// it sets.
    #[test]
    fn fingerprints_stay_as_written() {
        let mut o = Options::default();
        assert_eq!(options_fingerprint(&o), "08f44b07b5901a25");
        o.capacity.defaults.max_processes = 5;
        o.tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(options_fingerprint(&o), "b0bb9089ed7fa05b");
        o.capacity
            .content
            .insert("empty".into(), ProcessSettings::default());
        assert_eq!(options_fingerprint(&o), "b0bb9089ed7fa05b");
        let x = ProcessSettings {
            memory_gib: Some(2.0),
            ..Default::default()
        };
        o.capacity.content.insert("x".into(), x);
        assert_eq!(options_fingerprint(&o), "653338d4bf4eb758");
    }

    #[test]
    fn a_setting_at_its_default_leaves_the_fingerprint_alone() {
        let base = options_fingerprint(&Options::default());
        let mut o = Options::default();
        o.capacity.defaults.max_processes = 3; // the default, set explicitly
        assert_eq!(options_fingerprint(&o), base);
        o.capacity.defaults.idle_timeout = Duration(6_000_000).0;
        assert_ne!(options_fingerprint(&o), base);
    }

    #[test]
    fn every_shaping_option_moves_the_fingerprint() {
        let base = options_fingerprint(&Options::default());
        type Change = Box<dyn Fn(&mut Options)>;
        let changes: Vec<Change> = vec![
            Box::new(|o| o.tz = "Europe/Paris".parse().unwrap()),
            Box::new(|o| o.exclude_users.push("u".into())),
            Box::new(|o| o.exclude_user_agents.push("bot".into())),
            Box::new(|o| o.min_session = Some(5)),
            Box::new(|o| o.open_cap = None),
            Box::new(|o| o.reconnect_timeout = 15),
            Box::new(|o| o.capacity.nodes = 2),
            Box::new(|o| o.capacity.scale = 3.0),
            Box::new(|o| o.capacity.horizon_months = 6.0),
            Box::new(|o| o.capacity.design_peak = DesignPeak::DailyP95),
            Box::new(|o| o.capacity.limits.uptime = 99.9),
            Box::new(|o| o.capacity.constants.base_buffer = 0.3),
            Box::new(|o| {
                let g = ProcessSettings {
                    load_factor: Some(0.5),
                    ..Default::default()
                };
                o.capacity.content.insert("g".into(), g);
            }),
            Box::new(|o| o.capacity.server_resources.cpu_cores = Some(1.0)),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut o = Options::default();
            change(&mut o);
            assert_ne!(options_fingerprint(&o), base, "change {i}");
        }
        // The window and today's server do not shape the figures.
        let o = Options {
            from: Some(1),
            to: Some(2),
            as_of: Some(3),
            ..Options::default()
        };
        assert_eq!(options_fingerprint(&o), base);
    }
}
