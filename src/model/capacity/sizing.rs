//! Sizing (docs/sizing.md sections 2 and 3): per-process CPU and memory by `app_mode` with their
//! overrides, the safety buffer and its terms, and the cores, RAM and node shape a scenario
//! needs. Pure arithmetic on plain numbers: the caller computes the demand peaks from the
//! scheduler model (and jobs), so this module depends on neither.

use serde::{Deserialize, Serialize};

use crate::format::{percent_points, percent_short, short};

/// Every default of docs/sizing.md sections 3 and 5, overridable by flag or config file and
/// printed in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Constants {
    /// Buffer every size carries, as a fraction (0.20 = 20 %).
    pub base_buffer: f64,
    /// Added to the buffer while the workflow is still evolving.
    pub evolving_buffer: f64,
    /// Added to the buffer when the uptime target is `high_uptime` or higher.
    pub uptime_buffer: f64,
    /// Fitted growth per month above which the workflow counts as evolving (0.05 = 5 %).
    pub growth_threshold_per_month: f64,
    /// Population coefficient of variation of weekly session peaks above which the
    /// workflow counts as evolving.
    pub weekly_cv_threshold: f64,
    /// Uptime target in % from which a node must be able to fail (buffer term, cluster).
    pub high_uptime: f64,
    /// Cores for Connect itself, added after the buffer.
    pub connect_cores: u64,
    /// GiB for Connect and the operating system, added before the buffer.
    pub connect_os_ram_gib: f64,
    /// Share of a max node (cores or RAM) that one content item must reach at its peak
    /// to call for Kubernetes isolation (docs/sizing.md section 5 rule 1: half).
    pub content_share_of_max_node: f64,
    /// Share of the window that a content item's warm (`min_processes`) processes must sit
    /// with no connection before the report suggests lowering `min_processes`; strictly
    /// more than this ("idle most of the time": more than half).
    pub warm_idle_share: f64,
    /// Shortest window, in days, from which the data supports a size; below it the
    /// recommendation says the data cannot support a size yet.
    pub min_window_days: f64,
    /// Fewest sessions and measured interactive jobs (together) from which the data
    /// supports a size.
    pub min_sessions_and_jobs: u64,
    /// Cores at a content item's serving CPU p95 above which it counts as parallelised
    /// (docs/sizing.md 2.1).
    pub parallel_cores: f64,
    /// Fewest samples (for memory) or serving samples (for CPU) from which an item is
    /// sized from its measurements (`--min-footprint-samples`).
    pub min_footprint_samples: u64,
    /// Least CPU a measured process is sized with, cores (`--min-cpu-per-process`): one-
    /// minute samples hide sub-minute bursts of single-threaded R and Python.
    pub min_cpu_per_process: f64,
    /// Fewest measured items of one `app_mode` whose median sizes the others of that mode.
    pub mode_median_min_items: u64,
    /// Modelled / measured ratio below which the report warns that the model
    /// under-estimates (docs/sizing.md 2.3).
    pub model_warning_ratio: f64,
    /// Share of days below which peaks reaching 90 % of the absolute peak count as rare
    /// (docs/sizing.md section 1; reserved: the report does not use it yet).
    pub rare_peak_share: f64,
}

impl Default for Constants {
    fn default() -> Self {
        Constants {
            base_buffer: 0.20,
            evolving_buffer: 0.15,
            uptime_buffer: 0.10,
            growth_threshold_per_month: 0.05,
            weekly_cv_threshold: 0.3,
            high_uptime: 99.9,
            connect_cores: 1,
            connect_os_ram_gib: 4.0,
            content_share_of_max_node: 0.5,
            warm_idle_share: 0.5,
            min_window_days: 14.0,
            min_sessions_and_jobs: 100,
            parallel_cores: 1.2,
            min_footprint_samples: 30,
            min_cpu_per_process: 0.25,
            mode_median_min_items: 3,
            model_warning_ratio: 0.8,
            rare_peak_share: 0.05,
        }
    }
}

/// Where a per-process figure came from (docs/sizing.md 2.2), in precedence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceSource {
    /// A per-content entry of the config file or `--content-setting` (and, below the
    /// measured figures, the server-wide `[scheduler]` figure).
    Config,
    /// The item's job metrics samples (docs/sizing.md 2.1).
    Measured,
    /// The content export's `cpu_limit` / `memory_limit`.
    Limit,
    /// The median of the measured figures of items with the same `app_mode`.
    ModeMedian,
    /// The `app_mode` table of docs/sizing.md 2.2.
    Default,
}

impl ResourceSource {
    /// The JSON spelling (`config`, `measured`, `limit`, `mode-median`, `default`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceSource::Config => "config",
            ResourceSource::Measured => "measured",
            ResourceSource::Limit => "limit",
            ResourceSource::ModeMedian => "mode-median",
            ResourceSource::Default => "default",
        }
    }
}

/// CPU and memory one process of a content item needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Resource {
    /// CPU per process in millicores (1000 = one core), rounded up: the sizes use this.
    pub millicores: u64,
    /// Memory per process in MiB, rounded up: the sizes use this.
    pub mib: u64,
    /// Where `millicores` came from.
    pub cpu_source: ResourceSource,
    /// Where `mib` came from.
    pub memory_source: ResourceSource,
    /// Cores per process before rounding (`footprints[].cpu`).
    #[serde(skip)]
    pub cpu: f64,
    /// Bytes per process before rounding (`footprints[].memory_bytes`).
    #[serde(skip)]
    pub memory_bytes: f64,
}

/// Bytes in a MiB.
pub const MIB: f64 = 1_048_576.0;

impl Resource {
    const fn table(millicores: u64, mib: u64) -> Resource {
        Resource {
            millicores,
            mib,
            cpu_source: ResourceSource::Default,
            memory_source: ResourceSource::Default,
            cpu: millicores as f64 / 1000.0,
            memory_bytes: mib as f64 * MIB,
        }
    }
}

/// Interactive applications (and any unlisted or unknown mode): 1 core, 1 GiB.
pub const APP: Resource = Resource::table(1000, 1024);
/// APIs: 1 core, 512 MiB.
pub const API: Resource = Resource::table(1000, 512);
/// Render jobs (reports and sites executed when published or scheduled): 1 core, 2 GiB.
pub const RENDER: Resource = Resource::table(1000, 2048);

use crate::settings::ProcessSettings;
pub use crate::vocab::{holds_processes, is_api};

/// The section 2 table: APIs 1 core / 512 MiB; static and rendered modes the render-job
/// figure 1 core / 2 GiB (plain `static` content never runs, so it only matters if a job
/// is attributed to it); every other mode, unknown or missing, 1 core / 1 GiB.
pub fn default_resource(app_mode: Option<&str>) -> Resource {
    if is_api(app_mode) {
        API
    } else if !holds_processes(app_mode) {
        RENDER
    } else {
        APP
    }
}

/// Candidate per-process figures of one source: cores and bytes, each `None` when the
/// source does not set it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    /// Cores per process.
    pub cores: Option<f64>,
    /// Bytes per process.
    pub bytes: Option<f64>,
}

impl Figures {
    /// The CPU and memory a settings layer sets (`cpu_cores`, `memory_gib`).
    pub fn of(s: &ProcessSettings) -> Figures {
        Figures {
            cores: s.cpu_cores,
            bytes: s.memory_gib.map(|g| g * 1024.0 * MIB),
        }
    }
}

/// Per-process figures for one content item, CPU and memory each on its own: the first
/// of `layers` (highest precedence first) that sets a usable value, else the `app_mode`
/// table. Values that are zero, negative or not finite are ignored. The used figures are
/// rounded up to a whole millicore (at least 1) and a whole MiB.
pub fn resolve(app_mode: Option<&str>, layers: &[(ResourceSource, Figures)]) -> Resource {
    let mut r = default_resource(app_mode);
    let usable = |v: Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0);
    if let Some((cores, src)) = layers
        .iter()
        .find_map(|(src, f)| usable(f.cores).map(|c| (c, *src)))
    {
        r.cpu = cores;
        r.millicores = ceil_noise(cores * 1000.0).max(1);
        r.cpu_source = src;
    }
    if let Some((bytes, src)) = layers
        .iter()
        .find_map(|(src, f)| usable(f.bytes).map(|b| (b, *src)))
    {
        r.memory_bytes = bytes;
        r.mib = ceil_noise(bytes / MIB).max(1);
        r.memory_source = src;
    }
    r
}

/// [`resolve`] of settings layers (`cpu_cores`, `memory_gib`).
pub fn resource(app_mode: Option<&str>, layers: &[(ResourceSource, &ProcessSettings)]) -> Resource {
    let figures: Vec<(ResourceSource, Figures)> =
        layers.iter().map(|(s, l)| (*s, Figures::of(l))).collect();
    resolve(app_mode, &figures)
}

/// What the buffer depends on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BufferInputs {
    /// Fitted growth per month (docs/metrics.md section 6); `None` without a fit.
    pub growth_rate_per_month: Option<f64>,
    /// Population coefficient of variation of weekly session peaks over full ISO weeks.
    pub weekly_peak_cv: Option<f64>,
    /// Uptime target in %.
    pub uptime: f64,
}

/// The buffer and each of its terms (fractions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Buffer {
    /// The base term, always present.
    pub base: f64,
    /// The evolving-workflow term (0 when stable).
    pub evolving: f64,
    /// Why the workflow counts as evolving, citing the numbers; `None` when it does not.
    pub evolving_because: Option<String>,
    /// The uptime term (0 below the high-uptime target).
    pub uptime: f64,
    /// Why the uptime term applies, citing the target; `None` when it does not.
    pub uptime_because: Option<String>,
    /// base + evolving + uptime.
    pub total: f64,
}

/// The buffer of docs/sizing.md section 3: base, plus the evolving term once when growth or
/// the weekly-peak CV is above its threshold (either or both), plus the uptime term when
/// the target is at or above `high_uptime`.
pub fn buffer(inp: &BufferInputs, c: &Constants) -> Buffer {
    let mut why = Vec::new();
    if let Some(r) = inp
        .growth_rate_per_month
        .filter(|&r| r > c.growth_threshold_per_month)
    {
        why.push(format!(
            "growth {}/month > {}",
            percent_short(r),
            percent_short(c.growth_threshold_per_month)
        ));
    }
    if let Some(cv) = inp.weekly_peak_cv.filter(|&cv| cv > c.weekly_cv_threshold) {
        why.push(format!(
            "weekly peak CV {} > {}",
            short(cv, 2),
            short(c.weekly_cv_threshold, 2)
        ));
    }
    let evolving_because = (!why.is_empty()).then(|| why.join("; "));
    let evolving = if why.is_empty() {
        0.0
    } else {
        c.evolving_buffer
    };
    let high = inp.uptime >= c.high_uptime;
    let uptime_because = high.then(|| {
        format!(
            "uptime target {} >= {}",
            percent_points(inp.uptime),
            percent_points(c.high_uptime)
        )
    });
    let uptime = if high { c.uptime_buffer } else { 0.0 };
    Buffer {
        base: c.base_buffer,
        evolving,
        evolving_because,
        uptime,
        uptime_because,
        total: c.base_buffer + evolving + uptime,
    }
}

/// Population coefficient of variation (population standard deviation / mean); `None` for
/// fewer than 2 values, a mean that is not positive, or any value that is not finite.
pub fn population_cv(values: &[f64]) -> Option<f64> {
    if values.len() < 2 || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return None;
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    Some(var.sqrt() / mean)
}

/// Demand peaks of one scenario (the caller computes them from the scheduler model).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Demand {
    /// Peak server-wide alive processes (warm and idle included, plus render jobs).
    pub design_processes: f64,
    /// Peak server-wide processes serving at least one connection (plus running renders).
    pub design_active_processes: f64,
    /// Peak over time of sum over content of active processes x millicores per process.
    pub active_millicores: f64,
    /// Peak over time of sum over content of alive processes x MiB per process.
    pub alive_mib: f64,
}

/// A node shape (or one node of a cluster).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Node {
    /// Cores per node.
    pub cores: u64,
    /// RAM per node in GiB.
    pub ram_gib: u64,
}

/// The size a scenario needs, with the terms that produced it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Size {
    /// Cores needed: ceil(active_cores x (1 + buffer)) + Connect's cores.
    pub cores: u64,
    /// RAM needed in GiB: ceil((alive_gib + Connect and OS GiB) x (1 + buffer)).
    pub ram_gib: u64,
    /// The buffer fraction used.
    pub buffer: f64,
    /// Peak alive processes (drives memory).
    pub design_processes: f64,
    /// Peak active processes (drives CPU).
    pub design_active_processes: f64,
    /// The single-node shape: cores and RAM rounded up to a standard shape (a cluster's
    /// per-node shape is in the architecture recommendation).
    pub node: Node,
    /// Peak active CPU demand in cores (active millicores / 1000).
    pub active_cores: f64,
    /// Peak alive memory demand in GiB (alive MiB / 1024).
    pub alive_gib: f64,
    /// active_cores x (1 + buffer), before rounding up and adding Connect's cores.
    pub cpu_cores_raw: f64,
    /// (alive_gib + Connect and OS GiB) x (1 + buffer), before rounding up.
    pub ram_gib_raw: f64,
}

/// The section 3 formulas. Products are rounded to 1e-9 before the ceiling so that float
/// noise (10 cores x 1.2 = 12.000000000000002) does not add a core. Negative or
/// non-finite demand counts as 0.
pub fn size(d: &Demand, b: &Buffer, c: &Constants) -> Size {
    let factor = 1.0 + clean(b.total);
    let active_cores = clean(d.active_millicores) / 1000.0;
    let alive_gib = clean(d.alive_mib) / 1024.0;
    let cpu_cores_raw = active_cores * factor;
    let ram_gib_raw = (alive_gib + clean(c.connect_os_ram_gib)) * factor;
    let cores = ceil_noise(cpu_cores_raw).saturating_add(c.connect_cores);
    let ram_gib = ceil_noise(ram_gib_raw);
    Size {
        cores,
        ram_gib,
        buffer: b.total,
        design_processes: d.design_processes,
        design_active_processes: d.design_active_processes,
        node: node_shape(cores, ram_gib),
        active_cores,
        alive_gib,
        cpu_cores_raw,
        ram_gib_raw,
    }
}

/// Negative, NaN and infinite values count as 0.
fn clean(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

/// Ceiling after rounding to 1e-9 (float noise); 0 for non-positive or NaN, saturating at
/// `u64::MAX`.
pub(crate) fn ceil_noise(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    let scaled = x * 1e9;
    let rounded = if scaled.is_finite() {
        scaled.round() / 1e9
    } else {
        x
    };
    rounded.ceil() as u64
}

/// Standard core counts a node is rounded up to.
const CORE_SHAPES: [u64; 9] = [2, 4, 8, 16, 32, 48, 64, 96, 128];

/// Rounds cores up to 2, 4, 8, 16, 32, 48, 64, 96 or 128 (above 128: the next multiple of
/// 64, e.g. 129 -> 192) and RAM up to a multiple of 4 GiB (at least 4).
pub fn node_shape(cores: u64, ram_gib: u64) -> Node {
    let cores = match CORE_SHAPES.iter().find(|&&s| s >= cores) {
        Some(&s) => s,
        None => cores.div_ceil(64).saturating_mul(64),
    };
    Node {
        cores,
        ram_gib: ram_gib.div_ceil(4).saturating_mul(4).max(4),
    }
}

#[cfg(test)]
#[path = "sizing_tests.rs"]
mod tests;
