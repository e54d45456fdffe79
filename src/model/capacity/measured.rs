//! Measured footprints put to use (docs/sizing.md 2.1-2.4): which samples are
//! interactive, each item's footprint and coverage, the measured figures sizing may use
//! and the `app_mode` medians, the model checked against the samples, and the settings the
//! samples call into question.
//!
//! A sample is interactive unless the jobs export tags its job as a render or an
//! environment build; a job the jobs export does not list (or no jobs export) is judged
//! by its content's `app_mode`: static and rendered modes are not interactive. Samples of
//! off-host jobs enter the footprints (they suggest pod requests) and are counted.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::architecture::ReviewLine;
use super::footprints::{self, Footprint, Process, SampleCounts};
use super::jobs::{classify, is_off_host, JobClass};
use super::sizing::{holds_processes, Constants, Figures, Resource, MIB};
use crate::format::{bytes_binary, cores, count, percent};
use crate::ingest::{Dataset, Micros, RowProblem};
use crate::model::usage::percentile::quantile_type7;
use crate::model::usage::sweep::Interval;
use crate::model::usage::time::HOUR;

/// `job_metrics` counters (JSON `job_metrics`, docs/sizing.md 2.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JobMetricCounts {
    /// Sample rows read.
    pub rows: u64,
    /// Copies of a `(content_guid, job_key, timestamp)` already seen (counted once).
    pub duplicates: u64,
    /// Of the duplicates, copies whose values differ from the first (listed in
    /// `data_problems`).
    pub conflicting: u64,
    /// Samples outside the window (dropped).
    pub outside_window: u64,
    /// Kept samples of render jobs, environment builds and static content: not part of
    /// the footprints.
    pub not_interactive: u64,
    /// Content items of those samples, by GUID.
    pub not_interactive_items: Vec<String>,
    /// Interactive samples of off-host jobs (they enter the footprints).
    pub off_host: u64,
    /// Content items with an interactive footprint.
    pub items: u64,
}

/// The share of an item's interactive jobs in the window that have samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Interactive jobs of the item overlapping the window (jobs export).
    pub jobs: u64,
    /// Of those, the share with samples (0 to 1).
    pub jobs_sampled: f64,
    /// The share of their hours in the window that belong to jobs with samples.
    pub job_hours_sampled: f64,
}

/// Everything the samples say, computed once per report.
#[derive(Debug, Default)]
pub struct Measurements {
    /// Footprint per content id (interactive processes only).
    pub footprints: BTreeMap<u32, Footprint>,
    /// Coverage per content id; only with a jobs export.
    pub coverage: BTreeMap<u32, Coverage>,
    /// Counters.
    pub counts: JobMetricCounts,
    /// Per minute with an interactive sample: the sums over processes of each one's
    /// largest memory and cores in the minute (for [`Measurements::check`]).
    per_minute: BTreeMap<i64, (u64, f64)>,
    /// Counts of [`footprints::kept`], with the conflicting copies' origins.
    dedup: SampleCounts,
}

/// How a job metrics process is classed from the jobs export.
type JobKinds = HashMap<(u32, u32), (JobClass, bool)>;

impl Measurements {
    /// The samples of `data` within `window`, per item.
    pub fn of(data: &Dataset, window: (Micros, Micros), k: &Constants) -> Measurements {
        if data.job_metrics.is_empty() {
            return Measurements::default();
        }
        let mut dedup = SampleCounts::default();
        let kept = footprints::kept(&data.job_metrics, window, &mut dedup);
        let kinds = job_kinds(data);
        let modes: HashMap<u32, Option<&str>> = data
            .content
            .iter()
            .map(|r| (r.content, r.app_mode.as_deref()))
            .collect();
        let interactive_fn = |content: u32, job: u32| match kinds.get(&(content, job)) {
            Some((JobClass::Interactive, _)) => true,
            Some((JobClass::Render | JobClass::EnvironmentBuild, _)) => false,
            _ => holds_processes(modes.get(&content).copied().flatten()),
        };
        let mut counts = JobMetricCounts {
            rows: dedup.rows,
            duplicates: dedup.duplicates,
            conflicting: dedup.conflicting,
            outside_window: dedup.outside_window,
            ..Default::default()
        };
        let mut apart = BTreeSet::new();
        let mut interactive = Vec::new();
        for p in kept.processes() {
            let (c, j) = (p.content(), p.job());
            if interactive_fn(c, j) {
                if kinds.get(&(c, j)).is_some_and(|k| k.1) {
                    counts.off_host += p.len();
                }
                interactive.push(p);
            } else {
                counts.not_interactive += p.len();
                apart.insert(data.content_ids.name(c).to_string());
            }
        }
        counts.not_interactive_items = apart.into_iter().collect();
        let all = |_: u32, _: u32| true;
        let fp = footprints::per_item(interactive.iter().copied(), k.parallel_cores, &all);
        counts.items = fp.len() as u64;
        Measurements {
            coverage: coverage(data, window, &interactive, &fp),
            footprints: fp,
            counts,
            per_minute: per_minute(&interactive),
            dedup,
        }
    }

    /// Whether any job metrics sample was read.
    pub fn any(&self) -> bool {
        self.counts.rows > 0
    }

    /// The conflicting duplicates, as data problems.
    pub fn problems(&self, data: &Dataset) -> Vec<RowProblem> {
        self.dedup
            .conflicts
            .iter()
            .map(|o| RowProblem {
                path: data.path_of(*o).to_path_buf(),
                line: o.line,
                column: None,
                message: "a job metrics sample of the same content_guid, job_key and \
                          timestamp as an earlier one, with other values; the first is kept"
                    .into(),
            })
            .collect()
    }

    /// The measured figures sizing may use for an item (docs/sizing.md 2.2 rule 2): its
    /// memory p95 with enough samples, its CPU p95 (at least the minimum per process)
    /// with enough serving samples.
    pub fn figures(&self, id: u32, k: &Constants) -> Figures {
        self.footprints
            .get(&id)
            .map_or_else(Figures::default, |f| used(f, k))
    }
}

fn used(f: &Footprint, k: &Constants) -> Figures {
    let enough = |n: u64| n >= k.min_footprint_samples && n > 0;
    Figures {
        bytes: enough(f.samples).then_some(f.memory_bytes_p95 as f64),
        cores: f
            .cpu_p95
            .filter(|_| enough(f.serving_samples))
            .map(|c| c.max(k.min_cpu_per_process)),
    }
}

/// Class and off-host flag of every job the samples name, from the jobs export.
fn job_kinds(data: &Dataset) -> JobKinds {
    data.jobs
        .iter()
        .filter_map(|j| {
            let job = data.job_keys.get(j.key.as_deref()?)?;
            let kind = (classify(&j.tag), is_off_host(j.cluster.as_deref()));
            Some(((j.content?, job), kind))
        })
        .collect()
}

/// Per item with a footprint, the share of its interactive jobs in the window (and of
/// their hours, a job without an end running to the window end) that have samples.
fn coverage(
    data: &Dataset,
    window: (Micros, Micros),
    interactive: &[Process],
    fp: &BTreeMap<u32, Footprint>,
) -> BTreeMap<u32, Coverage> {
    let sampled: BTreeSet<(u32, u32)> =
        interactive.iter().map(|p| (p.content(), p.job())).collect();
    // (jobs, sampled jobs, hours, sampled hours)
    let mut acc: BTreeMap<u32, (u64, u64, f64, f64)> = BTreeMap::new();
    for j in &data.jobs {
        let Some(content) = j.content else {
            continue;
        };
        if !fp.contains_key(&content)
            || j.status == Some(3)
            || classify(&j.tag) != JobClass::Interactive
        {
            continue;
        }
        let (start, end) = (
            j.start.max(window.0),
            j.end.unwrap_or(window.1).min(window.1),
        );
        if start >= end {
            continue;
        }
        let hours = (end - start) as f64 / HOUR as f64;
        let has = j
            .key
            .as_deref()
            .and_then(|k| data.job_keys.get(k))
            .is_some_and(|job| sampled.contains(&(content, job)));
        let a = acc.entry(content).or_default();
        a.0 += 1;
        a.2 += hours;
        if has {
            a.1 += 1;
            a.3 += hours;
        }
    }
    acc.into_iter()
        .map(|(id, (n, s, h, sh))| {
            let c = Coverage {
                jobs: n,
                jobs_sampled: s as f64 / n.max(1) as f64,
                job_hours_sampled: if h > 0.0 { sh / h } else { 0.0 },
            };
            (id, c)
        })
        .collect()
}

/// The median (type 7) of the used measured figures per `app_mode`, memory and CPU each
/// where at least `mode_median_min_items` items of the mode have one.
pub fn mode_medians(
    m: &Measurements,
    mode: &dyn Fn(u32) -> Option<String>,
    k: &Constants,
) -> HashMap<String, Figures> {
    let mut by_mode: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for (id, f) in &m.footprints {
        let Some(mode) = mode(*id) else { continue };
        let u = used(f, k);
        let e = by_mode.entry(mode).or_default();
        e.0.extend(u.bytes);
        e.1.extend(u.cores);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v.len() as u64 >= k.mode_median_min_items.max(1))
            .then(|| quantile_type7(&v, 0.5))
            .flatten()
    };
    by_mode
        .into_iter()
        .map(|(mode, (b, c))| {
            let f = Figures {
                bytes: median(b).map(f64::ceil),
                cores: median(c),
            };
            (mode, f)
        })
        .filter(|(_, f)| f.bytes.is_some() || f.cores.is_some())
        .collect()
}

/// One item's figures in JSON `footprints[]` (docs/sizing.md 2.4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FootprintLine {
    /// Content GUID.
    pub guid: String,
    /// Title, when a content export gave one.
    pub title: Option<String>,
    /// `app_mode`, when known.
    pub app_mode: Option<String>,
    /// Memory per process used, bytes, before rounding up to a MiB.
    pub memory_bytes: u64,
    /// Where it came from.
    pub memory_source: super::sizing::ResourceSource,
    /// Cores per process used, before rounding up to a millicore.
    pub cpu: f64,
    /// Where it came from.
    pub cpu_source: super::sizing::ResourceSource,
    /// The memory the sizes use, MiB (rounded up).
    pub memory_mib: u64,
    /// The CPU the sizes use, millicores (rounded up).
    pub cpu_millicores: u64,
    /// The measured footprint, when the item has samples.
    #[serde(flatten)]
    pub measured: Option<MeasuredFigures>,
}

/// The measured part of a [`FootprintLine`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasuredFigures {
    #[serde(flatten)]
    pub footprint: Footprint,
    /// Share of the item's interactive jobs with samples; `None` without a jobs export.
    pub coverage: Option<Coverage>,
}

impl FootprintLine {
    /// The line of item `guid` sized with `r`.
    pub fn new(
        guid: String,
        title: Option<String>,
        app_mode: Option<String>,
        r: &Resource,
        measured: Option<MeasuredFigures>,
    ) -> Self {
        FootprintLine {
            guid,
            title,
            app_mode,
            memory_bytes: r.memory_bytes.ceil() as u64,
            memory_source: r.memory_source,
            cpu: r.cpu,
            cpu_source: r.cpu_source,
            memory_mib: r.mib,
            cpu_millicores: r.millicores,
            measured,
        }
    }
}

/// The model checked against the samples (docs/sizing.md 2.3, JSON `footprint_check`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FootprintCheck {
    /// Peak over minutes with a sample of the sum over processes of each process's
    /// largest memory sample in the minute, bytes.
    pub memory_bytes_measured: u64,
    /// Peak over the same minutes of the calibrated model's alive memory of the same
    /// content (its largest value within each minute), bytes.
    pub memory_bytes_modelled: u64,
    /// modelled / measured; `None` when nothing was measured.
    pub memory_ratio: Option<f64>,
    /// The same for CPU: measured cores (largest sample per process and minute, summed).
    pub cpu_measured: f64,
    /// Modelled serving cores of the same content.
    pub cpu_modelled: f64,
    /// modelled / measured; `None` when nothing was measured.
    pub cpu_ratio: Option<f64>,
    /// Minutes with a sample.
    pub minutes: u64,
    /// True when a ratio is below `model_warning_ratio`.
    pub under_estimates: bool,
}

/// What the model holds of one item over the window, weighted per process.
pub struct ModelledItem<'a> {
    /// Content id.
    pub content: u32,
    /// Alive processes.
    pub alive: &'a [Interval],
    /// Processes serving a connection.
    pub active: &'a [Interval],
    /// Bytes per alive process (used figure x calibration factor).
    pub bytes: f64,
    /// Cores per active process (used figure x calibration factor).
    pub cores: f64,
}

impl FootprintCheck {
    /// The plain warning when the model under-estimates the samples (docs/sizing.md 2.3).
    pub fn warning(&self, ratio: f64) -> Option<String> {
        let low = |r: Option<f64>| r.filter(|r| *r < ratio);
        let mut what = Vec::new();
        if let Some(r) = low(self.memory_ratio) {
            what.push(format!("memory ({} of the measured peak)", percent(r, 0)));
        }
        if let Some(r) = low(self.cpu_ratio) {
            what.push(format!("CPU ({} of the measured peak)", percent(r, 0)));
        }
        (!what.is_empty()).then(|| {
            format!(
                "the model under-estimates what the job metrics samples show: {}; sizes \
                 built on it are too small, so check the per-process figures and settings \
                 of the sampled items",
                what.join(" and ")
            )
        })
    }
}

const MINUTE: Micros = 60_000_000;

impl Measurements {
    /// docs/sizing.md 2.3 over the items of `model` that have samples; `None` without
    /// samples.
    pub fn check(&self, model: &[ModelledItem], k: &Constants) -> Option<FootprintCheck> {
        let per_minute = &self.per_minute;
        if per_minute.is_empty() {
            return None;
        }
        let minutes: Vec<i64> = per_minute.keys().copied().collect();
        let sampled = |id: &u32| self.footprints.contains_key(id);
        let events = |memory: bool| {
            let mut ev: Vec<(Micros, f64)> = Vec::new();
            for it in model.iter().filter(|i| sampled(&i.content)) {
                let (ivs, w) = if memory {
                    (it.alive, it.bytes)
                } else {
                    (it.active, it.cores)
                };
                for &(s, e) in ivs.iter().filter(|(s, e)| s < e) {
                    ev.push((s, w));
                    ev.push((e, -w));
                }
            }
            max_per_minute(ev, &minutes)
        };
        let mem_model = events(true);
        let cpu_model = events(false);
        let peak = |v: &mut dyn Iterator<Item = f64>| v.fold(0.0, f64::max);
        let mem_measured = per_minute.values().map(|v| v.0).max().unwrap_or(0);
        let cpu_measured = peak(&mut per_minute.values().map(|v| v.1));
        let mem_modelled = peak(&mut mem_model.into_iter());
        let cpu_modelled = peak(&mut cpu_model.into_iter());
        let ratio = |model: f64, measured: f64| (measured > 0.0).then(|| model / measured);
        let memory_ratio = ratio(mem_modelled, mem_measured as f64);
        let cpu_ratio = ratio(cpu_modelled, cpu_measured);
        let low = |r: Option<f64>| r.is_some_and(|r| r < k.model_warning_ratio);
        Some(FootprintCheck {
            memory_bytes_measured: mem_measured,
            memory_bytes_modelled: mem_modelled.round() as u64,
            memory_ratio,
            cpu_measured,
            cpu_modelled,
            cpu_ratio,
            minutes: minutes.len() as u64,
            under_estimates: low(memory_ratio) || low(cpu_ratio),
        })
    }
}

/// Per minute with a sample of `processes`: the sums over them of each one's largest
/// memory and cores in the minute.
fn per_minute(processes: &[Process]) -> BTreeMap<i64, (u64, f64)> {
    let mut out: BTreeMap<i64, (u64, f64)> = BTreeMap::new();
    for p in processes {
        let mut samples = p.samples().peekable();
        while let Some(s) = samples.next() {
            let minute = s.time.div_euclid(MINUTE);
            let (mut mem, mut cpu) = (s.memory, f64::max(0.0, s.cpu));
            while let Some(n) = samples.next_if(|n| n.time.div_euclid(MINUTE) == minute) {
                mem = mem.max(n.memory);
                cpu = cpu.max(n.cpu);
            }
            let e = out.entry(minute).or_default();
            e.0 = e.0.saturating_add(mem);
            e.1 += cpu;
        }
    }
    out
}

/// The largest level of the step function `events` (time, change) within each minute of
/// `minutes` (sorted), where `[s, e)` intervals add at `s` and leave at `e`.
fn max_per_minute(mut events: Vec<(Micros, f64)>, minutes: &[i64]) -> Vec<f64> {
    events.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut out = Vec::with_capacity(minutes.len());
    let (mut level, mut i) = (0.0_f64, 0);
    for &m in minutes {
        let (a, b) = (m * MINUTE, (m + 1) * MINUTE);
        while i < events.len() && events[i].0 <= a {
            level += events[i].1;
            i += 1;
        }
        let mut best = level;
        while i < events.len() && events[i].0 < b {
            let t = events[i].0;
            while i < events.len() && events[i].0 == t {
                level += events[i].1;
                i += 1;
            }
            best = best.max(level);
        }
        out.push(best.max(0.0));
    }
    out
}

/// Settings the samples call into question (docs/sizing.md 2.3): a `memory_limit` below
/// the largest memory a process reached (Connect kills a process at its limit), and a
/// serving CPU p95 at 95 % or more of the `cpu_limit` (the process is throttled).
pub fn review(data: &Dataset, m: &Measurements) -> Vec<ReviewLine> {
    let mut out = Vec::new();
    let key = data.content_ids.order_key();
    let mut rows: Vec<_> = data.content.iter().collect();
    rows.sort_by_key(|r| key(data.content_ids.name(r.content)));
    for row in rows {
        let Some(f) = m.footprints.get(&row.content) else {
            continue;
        };
        let line = |setting: &str, suggestion: String, because: String| ReviewLine {
            guid: data.content_ids.name(row.content).to_string(),
            title: row.title.as_deref().map(str::to_string),
            setting: setting.into(),
            suggestion,
            because,
        };
        if let Some(limit) = row.settings.memory_gib.map(|g| g * 1024.0 * MIB) {
            if (f.memory_bytes_max as f64) > limit {
                out.push(line(
                    "memory_limit",
                    format!(
                        "raise memory_limit (now {}) to at least {}",
                        bytes_binary(limit),
                        bytes_binary(f.memory_bytes_max as f64)
                    ),
                    format!(
                        "a process reached {} ({} {} sampled): processes at the limit are killed",
                        bytes_binary(f.memory_bytes_max as f64),
                        count(f.processes_sampled),
                        if f.processes_sampled == 1 {
                            "process"
                        } else {
                            "processes"
                        }
                    ),
                ));
            }
        }
        if let (Some(limit), Some(p95)) = (row.settings.cpu_cores, f.cpu_p95) {
            if p95 >= 0.95 * limit {
                out.push(line(
                    "cpu_limit",
                    format!("raise cpu_limit (now {})", cores(limit)),
                    format!(
                        "its serving CPU p95 is {}, at the limit: the processes are throttled",
                        cores(p95)
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "measured_tests.rs"]
mod tests;
