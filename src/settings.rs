//! Settings defined once, merged by layer. A setting is declared in one layer type whose
//! fields are all optional (the config file's tables, the flags, the content export's
//! columns all produce such layers) and in one resolved type with its built-in default.
//! The merge is generic: a layer's set fields win over the layers below it, tables merge
//! key by key, and each field can name the layer it came from ([`Source`]).
//!
//! Precedence: flag > config file > content export > default, and an item's own settings
//! come before the server-wide ones, so for one content item: `--content-setting` >
//! `[content."GUID"]` > its row in the content export > the scheduler flags
//! (`--max-processes`, ...) > `[scheduler]` > the built-in default.
//! Per-process CPU and memory take layers derived from data too, each resolved on its own:
//! the item's config entry > its measurement > its limit in the content export > the median
//! of measured items of its mode > `[scheduler]` > the `app_mode` default (docs/sizing.md 2.2).
//!
//! The layers are plain serde values, so a layer derived from data (a measured figure, a
//! median over content of the same mode) slots in as one more entry of the list, without
//! a new mapping.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Microseconds, the crate's unit of time.
pub type Micros = i64;

/// How content runs: Connect's scheduler settings and what one process takes. Every field
/// is optional, so one type serves every layer: the config file's `[scheduler]` (server
/// defaults) and `[content."GUID"]` tables, the flags (`--max-processes`,
/// `--content-setting`), and the content export's columns (validated in ingest, where
/// file and line are known; its `cpu_limit` and `memory_limit` arrive as `cpu_cores` and
/// `memory_gib`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessSettings {
    /// Processes kept warm.
    pub min_processes: Option<u32>,
    /// Most processes at once.
    pub max_processes: Option<u32>,
    /// Most connections one process takes.
    pub max_conns_per_process: Option<u32>,
    /// Fraction of `max_conns_per_process` at which a new process is preferred, 0 to 1.
    pub load_factor: Option<f64>,
    /// How long an idle process lingers.
    pub idle_timeout: Option<Duration>,
    /// Cores per process.
    pub cpu_cores: Option<f64>,
    /// Memory per process, GiB.
    pub memory_gib: Option<f64>,
}

/// The fields of [`ProcessSettings`] that are per-process resources; every other field is a
/// scheduler setting.
pub const RESOURCE_FIELDS: [&str; 2] = ["cpu_cores", "memory_gib"];

impl ProcessSettings {
    /// Every field name, as the config file spells it (read from serde, so a field added
    /// to the struct is listed without touching this).
    pub fn field_names() -> Vec<String> {
        match serde_json::to_value(ProcessSettings::default()) {
            Ok(Value::Object(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// True when `field` is a scheduler setting (not a resource).
    pub fn is_scheduler_field(field: &str) -> bool {
        !RESOURCE_FIELDS.contains(&field)
    }

    /// The names of the fields this layer sets.
    pub fn set_fields(&self) -> Vec<String> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// True when any scheduler field (not a resource) is set.
    pub fn has_scheduler(&self) -> bool {
        self.set_fields()
            .iter()
            .any(|f| Self::is_scheduler_field(f))
    }

    /// True when a resource field is set.
    pub fn has_resources(&self) -> bool {
        self.set_fields()
            .iter()
            .any(|f| !Self::is_scheduler_field(f))
    }
}

/// A duration, read as `"30s"`/`"5m"` or a number of seconds, kept in microseconds, and
/// written as `"<n>us"` so a layer reads back what it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub Micros);

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}us", self.0))
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(f64),
            Text(String),
        }
        let micros = match Raw::deserialize(d)? {
            Raw::Seconds(s) if s.is_finite() && (0.0..1e12).contains(&s) => {
                (s * 1e6).round() as Micros
            }
            Raw::Seconds(s) => {
                return Err(serde::de::Error::custom(format!(
                    "{s} is not a duration in seconds between 0 and 10^12"
                )))
            }
            Raw::Text(t) => {
                let d = humantime::parse_duration(t.trim()).map_err(|e| {
                    serde::de::Error::custom(format!(
                        "cannot read '{t}' as a duration ({e}); examples: \"5s\", \"2m\", 30"
                    ))
                })?;
                Micros::try_from(d.as_micros())
                    .map_err(|_| serde::de::Error::custom(format!("'{t}' is too long")))?
            }
        };
        Ok(Duration(micros))
    }
}

/// Which layer a value came from, highest precedence first. The flags are laid over the
/// config file before the model sees them (one `Config`), and a field no layer sets keeps
/// its built-in default, so these two are the layers the model tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The config file (`--config`) with the flags laid over it.
    Config,
    /// The content export (Connect's per-content settings and limits).
    ContentExport,
}

/// `higher` laid over `lower`: every field `higher` sets wins, tables merge key by key, an
/// unset (`None`) field keeps `lower`'s value. Works for any layer type whose fields are
/// options or tables of layers.
pub fn overlay<T: Serialize + DeserializeOwned>(lower: &T, higher: &T) -> Result<T, String> {
    let mut merged = to_value(lower)?;
    merge_into(&mut merged, to_value(higher)?);
    serde_json::from_value(merged).map_err(|e| e.to_string())
}

/// The resolved value: `defaults` with every field that `layer` sets laid over it, where
/// the layer is another type whose field names are the resolved type's (the `[sizing]`
/// flags over the sizing constants).
pub fn apply<D, L>(defaults: &D, layer: &L) -> Result<D, String>
where
    D: Serialize + DeserializeOwned,
    L: Serialize,
{
    let mut merged = to_value(defaults)?;
    merge_into(&mut merged, to_value(layer)?);
    serde_json::from_value(merged).map_err(|e| e.to_string())
}

/// For every field set in any of `layers` (in precedence order, highest first), the
/// source of the first layer that sets it, keyed by its dotted path (`scheduler.max_processes`).
/// A field no layer sets is absent: it keeps its default.
pub fn sources<T: Serialize>(layers: &[(Source, &T)]) -> BTreeMap<String, Source> {
    let mut out = BTreeMap::new();
    for (source, layer) in layers.iter().rev() {
        if let Ok(v) = serde_json::to_value(layer) {
            leaves(&v, String::new(), &mut |path| {
                out.insert(path, *source);
            });
        }
    }
    out
}

/// The fields of `value` that differ from `defaults`, as a JSON tree (an empty object when
/// nothing differs). A setting added later with its default value leaves this unchanged,
/// which keeps fingerprints of the options stable across upgrades.
pub fn non_default<T: Serialize>(defaults: &T, value: &T) -> Value {
    match (serde_json::to_value(defaults), serde_json::to_value(value)) {
        (Ok(d), Ok(v)) => diff(&d, &v).unwrap_or(Value::Object(Map::new())),
        _ => Value::Null,
    }
}

fn to_value<T: Serialize>(v: &T) -> Result<Value, String> {
    serde_json::to_value(v).map_err(|e| e.to_string())
}

/// Lays `higher` into `lower`: objects key by key, any other set value replaces.
fn merge_into(lower: &mut Value, higher: Value) {
    match (lower, higher) {
        (_, Value::Null) => {}
        (Value::Object(lo), Value::Object(hi)) => {
            for (k, v) in hi {
                match lo.get_mut(&k) {
                    Some(slot) => merge_into(slot, v),
                    None if !v.is_null() => {
                        lo.insert(k, v);
                    }
                    None => {}
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Calls `f` with the dotted path of every set (non-null, non-object) value.
fn leaves(v: &Value, path: String, f: &mut dyn FnMut(String)) {
    match v {
        Value::Null => {}
        Value::Object(m) => {
            for (k, child) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(child, p, f);
            }
        }
        _ => f(path),
    }
}

/// The part of `v` that differs from `d`; `None` when equal. A table the defaults do not
/// have (a new `[content."GUID"]` entry) is compared with an empty one, so only the keys it
/// sets count and an entry that sets nothing changes nothing.
fn diff(d: &Value, v: &Value) -> Option<Value> {
    match (d, v) {
        (Value::Null, Value::Object(_)) => diff(&Value::Object(Map::new()), v),
        (Value::Object(dm), Value::Object(vm)) => {
            let out: Map<String, Value> = vm
                .iter()
                .filter_map(|(k, child)| {
                    let base = dm.get(k).unwrap_or(&Value::Null);
                    diff(base, child).map(|c| (k.clone(), c))
                })
                .collect();
            (!out.is_empty()).then_some(Value::Object(out))
        }
        _ if d == v => None,
        _ => Some(v.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    struct Layer {
        a: Option<u32>,
        b: Option<f64>,
        #[serde(default)]
        t: BTreeMap<String, Inner>,
    }

    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    struct Inner {
        x: Option<u32>,
        y: Option<u32>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Resolved {
        a: u32,
        b: f64,
    }

    fn layer(a: Option<u32>, b: Option<f64>) -> Layer {
        Layer {
            a,
            b,
            ..Default::default()
        }
    }

    #[test]
    fn the_higher_layer_wins_field_by_field() {
        let lo = layer(Some(1), Some(0.5));
        let hi = layer(Some(7), None);
        assert_eq!(overlay(&lo, &hi).unwrap(), layer(Some(7), Some(0.5)));
        assert_eq!(overlay(&hi, &lo).unwrap(), layer(Some(1), Some(0.5)));
    }

    #[test]
    fn tables_merge_key_by_key() {
        let mut lo = Layer::default();
        lo.t.insert(
            "g1".into(),
            Inner {
                x: Some(1),
                y: Some(2),
            },
        );
        lo.t.insert(
            "g2".into(),
            Inner {
                x: Some(3),
                y: None,
            },
        );
        let mut hi = Layer::default();
        hi.t.insert(
            "g1".into(),
            Inner {
                x: None,
                y: Some(9),
            },
        );
        hi.t.insert(
            "g3".into(),
            Inner {
                x: Some(5),
                y: None,
            },
        );
        let m = overlay(&lo, &hi).unwrap();
        assert_eq!(
            m.t["g1"],
            Inner {
                x: Some(1),
                y: Some(9)
            }
        );
        assert_eq!(
            m.t["g2"],
            Inner {
                x: Some(3),
                y: None
            }
        );
        assert_eq!(
            m.t["g3"],
            Inner {
                x: Some(5),
                y: None
            }
        );
    }

    #[test]
    fn each_field_names_the_first_layer_that_sets_it() {
        let config = layer(Some(7), None);
        let mut export = layer(Some(1), Some(0.5));
        export.t.insert(
            "g".into(),
            Inner {
                x: None,
                y: Some(2),
            },
        );
        let s = sources(&[(Source::Config, &config), (Source::ContentExport, &export)]);
        assert_eq!(s["a"], Source::Config);
        assert_eq!(s["b"], Source::ContentExport);
        assert_eq!(s["t.g.y"], Source::ContentExport);
        assert!(!s.contains_key("t.g.x"));
    }

    #[test]
    fn scheduler_and_resource_fields_come_from_the_struct() {
        let names = ProcessSettings::field_names();
        assert_eq!(names.len(), 7, "{names:?}");
        for r in RESOURCE_FIELDS {
            assert!(names.iter().any(|n| n == r), "{r} is not a field");
        }
        let only = |f: &str| {
            let mut v = serde_json::to_value(ProcessSettings::default()).unwrap();
            v[f] = serde_json::json!(1);
            serde_json::from_value::<ProcessSettings>(v).unwrap()
        };
        for f in &names {
            let s = only(f);
            assert_eq!(s.set_fields(), vec![f.clone()]);
            assert_eq!(
                s.has_scheduler(),
                ProcessSettings::is_scheduler_field(f),
                "{f}"
            );
            assert_eq!(
                s.has_resources(),
                !ProcessSettings::is_scheduler_field(f),
                "{f}"
            );
        }
        assert!(!ProcessSettings::default().has_scheduler());
        assert!(!ProcessSettings::default().has_resources());
    }

    #[test]
    fn a_duration_reads_back_what_it_wrote() {
        let d = Duration(2_500_000);
        let v = serde_json::to_value(d).unwrap();
        assert_eq!(v, serde_json::json!("2500000us"));
        assert_eq!(serde_json::from_value::<Duration>(v).unwrap(), d);
        assert_eq!(
            serde_json::from_value::<Duration>(serde_json::json!(30)).unwrap(),
            Duration(30_000_000)
        );
    }

    #[test]
    fn non_default_keeps_only_what_differs() {
        let d = Resolved { a: 3, b: 0.5 };
        assert_eq!(non_default(&d, &d), serde_json::json!({}));
        let v = Resolved { a: 4, b: 0.5 };
        assert_eq!(non_default(&d, &v), serde_json::json!({"a": 4}));
    }

    #[test]
    fn a_new_table_entry_counts_only_the_keys_it_sets() {
        let d = Layer::default();
        let mut v = Layer::default();
        v.t.insert("empty".into(), Inner::default());
        assert_eq!(non_default(&d, &v), serde_json::json!({}));
        v.t.insert(
            "g".into(),
            Inner {
                x: Some(1),
                y: None,
            },
        );
        assert_eq!(
            non_default(&d, &v),
            serde_json::json!({"t": {"g": {"x": 1}}})
        );
    }
}
