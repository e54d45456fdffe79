//! Measured per-process footprints (docs/sizing.md section 2.1): from job metrics samples,
//! per content item, what one process holds in memory and how many cores it uses while
//! serving.
//!
//! A process is one `(content, job)`. Per item, over its processes:
//! - memory: percentiles (type 7, as everywhere) of each process's own **maximum**
//!   `memory_bytes` (a process must fit its largest moment); p50 and p95 rounded up to a
//!   whole byte;
//! - CPU: percentiles of `cpu_fraction` (read as cores) over the serving samples: those
//!   with connections above 0, or every sample of a process that never reports
//!   connections;
//! - `parallel`: the CPU p95 above the `parallel_cores` threshold.
//!
//! Samples outside the window are dropped and counted; copies of one
//! `(content, job, timestamp)` count once (the first in input order), and copies whose
//! values differ are counted apart so the report can list them.
//!
//! [`super::measured`] decides which processes are interactive, and sizing uses these
//! figures (docs/sizing.md 2.2).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use rayon::prelude::*;
use serde::Serialize;

use crate::ingest::{Micros, Origin, MAX_LISTED};
use crate::model::usage::percentile::quantile_type7;
use crate::model::usage::time::Timestamp;

/// One metrics sample as the model reads it (ingest's row, with its origin).
pub use crate::ingest::MetricSample as Sample;

/// One content item's measured footprint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Footprint {
    /// Median over processes of each process's largest memory, bytes (rounded up).
    pub memory_bytes_p50: u64,
    /// 95th percentile of the same, bytes (rounded up).
    pub memory_bytes_p95: u64,
    /// The largest memory any process reached, bytes.
    pub memory_bytes_max: u64,
    /// 95th percentile of cores over serving samples; `None` without serving samples.
    pub cpu_p95: Option<f64>,
    /// Most cores any serving sample shows.
    pub cpu_max: Option<f64>,
    /// `cpu_p95` above the parallel threshold: users parallelise their code.
    pub parallel: bool,
    /// Processes with at least one sample.
    pub processes_sampled: u64,
    /// Samples kept (in the window, duplicates removed).
    pub samples: u64,
    /// Of those, the serving ones.
    pub serving_samples: u64,
    /// First and last sample.
    pub first_sample: Timestamp,
    pub last_sample: Timestamp,
    /// Median interval between consecutive samples of a process, seconds; `None` when no
    /// process has two samples.
    pub sampling_interval_seconds: Option<f64>,
}

/// What happened to the samples read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SampleCounts {
    /// Samples read.
    pub rows: u64,
    /// Copies of a `(content, job, timestamp)` already seen.
    pub duplicates: u64,
    /// Of the duplicates, copies whose values differ from the first.
    pub conflicting: u64,
    /// Samples outside the window.
    pub outside_window: u64,
    /// Where the first conflicting copies are (at most [`MAX_LISTED`]), for the report's
    /// data problems.
    #[serde(skip)]
    pub conflicts: Vec<Origin>,
}

/// Footprints per content id of `samples` within `window`, with the counts. Only the
/// processes `interactive(content, job)` accepts enter the figures; the caller decides
/// (render jobs and builds do not). The result does not depend on the samples' order
/// beyond which copy of a duplicate is first.
pub fn footprints(
    samples: &[Sample],
    window: (Micros, Micros),
    parallel_cores: f64,
    interactive: &(dyn Fn(u32, u32) -> bool + Sync),
) -> (BTreeMap<u32, Footprint>, SampleCounts) {
    let mut counts = SampleCounts::default();
    let kept = kept(samples, window, &mut counts);
    (
        per_item(kept.processes(), parallel_cores, interactive),
        counts,
    )
}

/// The order the model reads samples in ([`Sample::key`]): by process, then time, then
/// input order (a sample's origin: file, then line), so the first copy of an instant
/// comes first.
fn order(s: &Sample) -> (u32, u32, Micros, Origin) {
    s.key()
}

/// The samples in the window, by process (see [`kept`]).
pub struct Kept<'a> {
    /// The samples in [`order`]: the input itself when it is in that order already (as
    /// ingest leaves them), else a sorted copy.
    sorted: Cow<'a, [Sample]>,
    /// Per process, in order, the range of its samples inside the window (copies of an
    /// instant included; [`Process::samples`] skips them).
    runs: Vec<Range<usize>>,
}

impl Kept<'_> {
    /// The processes with a sample in the window, by (content, job).
    pub fn processes(&self) -> impl Iterator<Item = Process<'_>> + '_ {
        self.runs.iter().map(|r| Process(&self.sorted[r.clone()]))
    }
}

/// One `(content, job)`: its samples in the window in [`order`], copies included.
#[derive(Debug, Clone, Copy)]
pub struct Process<'a>(&'a [Sample]);

impl<'a> Process<'a> {
    /// Content id.
    pub fn content(&self) -> u32 {
        self.0[0].content
    }

    /// Job id.
    pub fn job(&self) -> u32 {
        self.0[0].job
    }

    /// The samples kept, in time order: the first copy of each instant.
    pub fn samples(&self) -> impl Iterator<Item = &'a Sample> + Clone {
        self.0.chunk_by(|a, b| a.time == b.time).map(|c| &c[0])
    }

    /// How many samples are kept.
    pub fn len(&self) -> u64 {
        self.samples().count() as u64
    }

    /// Never: a process has at least one sample.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The samples kept (in `[window.0, window.1)`, one per instant of a process: the first
/// copy in input order), by process, and what happened to the others. Nothing is copied
/// when `samples` are in [`order`] already.
pub fn kept<'a>(
    samples: &'a [Sample],
    window: (Micros, Micros),
    counts: &mut SampleCounts,
) -> Kept<'a> {
    counts.rows = samples.len() as u64;
    let sorted = in_order(samples);
    let mut runs = Vec::new();
    let mut at = 0;
    let mut inside = 0;
    for p in sorted.chunk_by(|a, b| (a.content, a.job) == (b.content, b.job)) {
        // Time order within a process: the window is one range of it.
        let start = p.partition_point(|s| s.time < window.0);
        let end = p.partition_point(|s| s.time < window.1).max(start);
        if start < end {
            count_copies(&p[start..end], counts);
            runs.push(at + start..at + end);
            inside += end - start;
        }
        at += p.len();
    }
    counts.outside_window = (samples.len() - inside) as u64;
    Kept { sorted, runs }
}

/// `samples` in [`order`]: borrowed when they are, else a copy sorted stably (copies of
/// an instant with the same origin keep their input order).
fn in_order(samples: &[Sample]) -> Cow<'_, [Sample]> {
    if samples.par_windows(2).all(|w| order(&w[0]) <= order(&w[1])) {
        return Cow::Borrowed(samples);
    }
    let mut copy = samples.to_vec();
    copy.par_sort_by_key(order);
    Cow::Owned(copy)
}

/// Counts the copies of an instant after the first in one process's run, and those whose
/// values differ from the first (listing the first of them).
fn count_copies(run: &[Sample], counts: &mut SampleCounts) {
    for copies in run.chunk_by(|a, b| a.time == b.time) {
        let first = &copies[0];
        for s in &copies[1..] {
            counts.duplicates += 1;
            if !same_values(first, s) {
                counts.conflicting += 1;
                if counts.conflicts.len() < MAX_LISTED {
                    counts.conflicts.push(s.origin);
                }
            }
        }
    }
}

/// Footprints per content id of the `processes` that `interactive` accepts, items in
/// parallel.
pub fn per_item<'a>(
    processes: impl Iterator<Item = Process<'a>>,
    parallel_cores: f64,
    interactive: &(dyn Fn(u32, u32) -> bool + Sync),
) -> BTreeMap<u32, Footprint> {
    let mut by_content: BTreeMap<u32, Vec<Process>> = BTreeMap::new();
    for p in processes {
        if interactive(p.content(), p.job()) {
            by_content.entry(p.content()).or_default().push(p);
        }
    }
    by_content
        .into_par_iter()
        .map(|(content, processes)| (content, item(&processes, parallel_cores)))
        .collect()
}

fn same_values(a: &Sample, b: &Sample) -> bool {
    a.cpu.to_bits() == b.cpu.to_bits() && a.memory == b.memory && a.connections == b.connections
}

/// One item's footprint from its processes.
fn item(processes: &[Process], parallel_cores: f64) -> Footprint {
    let mut peaks: Vec<f64> = processes
        .iter()
        .map(|p| p.samples().map(|s| s.memory).max().unwrap_or(0) as f64)
        .collect();
    peaks.sort_by(f64::total_cmp);
    let mut cpu: Vec<f64> = processes.iter().flat_map(serving).collect();
    cpu.sort_by(f64::total_cmp);
    let cpu_p95 = quantile_type7(&cpu, 0.95);
    let mut gaps: Vec<f64> = processes
        .iter()
        .flat_map(|p| {
            let next = p.samples().skip(1);
            p.samples()
                .zip(next)
                .map(|(a, b)| (b.time - a.time) as f64 / 1e6)
        })
        .collect();
    gaps.sort_by(f64::total_cmp);
    let first = processes.iter().map(|p| p.0[0].time).min().unwrap_or(0);
    let last = processes.iter().map(|p| p.0[p.0.len() - 1].time).max();
    Footprint {
        memory_bytes_p50: quantile_type7(&peaks, 0.5).map_or(0, |q| q.ceil() as u64),
        memory_bytes_p95: quantile_type7(&peaks, 0.95).map_or(0, |q| q.ceil() as u64),
        memory_bytes_max: peaks.last().map_or(0, |m| *m as u64),
        cpu_p95,
        cpu_max: cpu.last().copied(),
        parallel: cpu_p95.is_some_and(|c| c > parallel_cores),
        processes_sampled: processes.len() as u64,
        samples: processes.iter().map(Process::len).sum(),
        serving_samples: cpu.len() as u64,
        first_sample: Timestamp(first),
        last_sample: Timestamp(last.unwrap_or(0)),
        sampling_interval_seconds: quantile_type7(&gaps, 0.5),
    }
}

/// The cores of a process's serving samples: those with connections above 0, or all of
/// them when the process never reports connections.
fn serving<'a>(p: &Process<'a>) -> impl Iterator<Item = f64> + 'a {
    let reports = p.samples().any(|s| s.connections.is_some());
    p.samples()
        .filter(move |s| !reports || s.connections.is_some_and(|c| c > 0))
        .map(|s| s.cpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Micros = 60_000_000;
    const GIB: u64 = 1 << 30;

    fn s(content: u32, job: u32, minute: i64, cpu: f64, memory: u64, conns: Option<u32>) -> Sample {
        Sample {
            content,
            job,
            time: minute * MIN,
            cpu,
            memory,
            connections: conns,
            origin: Origin { file: 0, line: 0 },
        }
    }

    fn all(_: u32, _: u32) -> bool {
        true
    }

    /// Four processes of one app, worked by hand.
    /// Per-process maxima: 1, 2, 3 and 5 GiB. Type 7 over [1, 2, 3, 5] GiB:
    /// p50 at h = 0.5 * 3 = 1.5 -> 2 + 0.5 * (3 - 2) = 2.5 GiB;
    /// p95 at h = 0.95 * 3 = 2.85 -> 3 + 0.85 * (5 - 3) = 4.7 GiB (rounded up to a byte).
    #[test]
    fn memory_percentiles_are_of_per_process_maxima() {
        let v = vec![
            s(7, 1, 0, 0.1, GIB / 2, Some(1)),
            s(7, 1, 1, 0.1, GIB, Some(1)),
            s(7, 2, 0, 0.1, 2 * GIB, Some(1)),
            s(7, 3, 0, 0.1, 3 * GIB, Some(1)),
            s(7, 4, 0, 0.1, 5 * GIB, Some(1)),
            s(7, 4, 1, 0.1, 4 * GIB, Some(1)),
        ];
        let (f, c) = footprints(&v, (0, 100 * MIN), 1.2, &all);
        let f = &f[&7];
        assert_eq!(f.memory_bytes_p50, (2.5 * GIB as f64) as u64);
        assert_eq!(f.memory_bytes_p95, (4.7 * GIB as f64).ceil() as u64);
        assert_eq!(f.memory_bytes_max, 5 * GIB);
        assert_eq!((f.processes_sampled, f.samples), (4, 6));
        // Two processes have two samples a minute apart: the median interval is 60 s.
        assert_eq!(f.sampling_interval_seconds, Some(60.0));
        assert_eq!(
            c,
            SampleCounts {
                rows: 6,
                ..Default::default()
            }
        );
    }

    /// CPU over serving samples only. Process 1 reports connections: its samples with 0 or
    /// no connections do not serve. Process 2 never reports them: all its samples serve.
    /// Serving cores: 2.0, 3.0 (process 1), 0.5, 1.0, 4.0 (process 2) -> sorted
    /// [0.5, 1.0, 2.0, 3.0, 4.0]; p95 at h = 0.95 * 4 = 3.8 -> 3.0 + 0.8 * 1.0 = 3.8 cores.
    #[test]
    fn cpu_is_read_over_serving_samples_and_flags_parallel_code() {
        let v = vec![
            s(1, 1, 0, 2.0, GIB, Some(2)),
            s(1, 1, 1, 9.0, GIB, Some(0)),
            s(1, 1, 2, 9.0, GIB, None),
            s(1, 1, 3, 3.0, GIB, Some(1)),
            s(1, 2, 0, 0.5, GIB, None),
            s(1, 2, 1, 1.0, GIB, None),
            s(1, 2, 2, 4.0, GIB, None),
        ];
        let (f, _) = footprints(&v, (0, 100 * MIN), 1.2, &all);
        let f = &f[&1];
        assert_eq!(f.serving_samples, 5);
        assert!((f.cpu_p95.unwrap() - 3.8).abs() < 1e-12);
        assert_eq!(f.cpu_max, Some(4.0));
        assert!(f.parallel);
        // At the threshold exactly, not parallel: 3.8 is not above 3.8.
        let (f, _) = footprints(&v, (0, 100 * MIN), 3.8, &all);
        assert!(!f[&1].parallel);
    }

    #[test]
    fn duplicates_count_once_and_the_window_clips() {
        let v = vec![
            s(1, 1, 0, 0.5, GIB, Some(1)),
            s(1, 1, 0, 0.5, GIB, Some(1)),      // exact copy
            s(1, 1, 0, 0.9, 3 * GIB, Some(1)),  // conflicting copy: the first wins
            s(1, 1, 10, 0.5, GIB, Some(1)),     // at the window end: outside
            s(1, 1, -1, 0.5, 7 * GIB, Some(1)), // before the window
        ];
        let (f, c) = footprints(&v, (0, 10 * MIN), 1.2, &all);
        assert_eq!(
            c,
            SampleCounts {
                rows: 5,
                duplicates: 2,
                conflicting: 1,
                outside_window: 2,
                conflicts: vec![Origin { file: 0, line: 0 }],
            }
        );
        assert_eq!(f[&1].memory_bytes_max, GIB);
        assert_eq!(f[&1].samples, 1);
        assert_eq!(f[&1].sampling_interval_seconds, None);
    }

    #[test]
    fn only_interactive_processes_enter_and_order_does_not_matter() {
        let mut v = vec![
            s(1, 1, 0, 0.5, GIB, None),
            s(1, 2, 0, 0.5, 8 * GIB, None),
            s(2, 3, 5, 0.2, 2 * GIB, Some(1)),
        ];
        let not_job_2 = |_: u32, job: u32| job != 2;
        let (a, _) = footprints(&v, (0, 100 * MIN), 1.2, &not_job_2);
        assert_eq!(a[&1].memory_bytes_max, GIB);
        v.reverse();
        let (b, _) = footprints(&v, (0, 100 * MIN), 1.2, &not_job_2);
        assert_eq!(a, b);
        assert_eq!(b[&2].first_sample, Timestamp(5 * MIN));
    }

    /// `v` in a deterministic shuffle by `seed`.
    fn shuffled(v: &[Sample], seed: u64) -> Vec<Sample> {
        let mut w = v.to_vec();
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for i in (1..w.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w.swap(i, (x % (i as u64 + 1)) as usize);
        }
        w
    }

    proptest::proptest! {
        /// With copies of an instant (exact or not) and samples outside the window, in any
        /// order: the first copy by origin (input order) wins, whatever the slice order,
        /// and the counts equal a brute-force oracle.
        #[test]
        fn copies_and_the_window_do_not_depend_on_the_order(
            raw in proptest::collection::vec((0u32..2, 0u32..3, -5i64..30, 0u32..3, 0u64..3, proptest::option::of(0u32..2)), 1..150),
            seed in 0u64..1000,
        ) {
            let v: Vec<Sample> = raw
                .iter()
                .enumerate()
                .map(|(i, &(c, j, m, cpu, mem, conns))| Sample {
                    origin: Origin { file: (i % 2) as u32, line: i as u64 },
                    ..s(c, j, m, f64::from(cpu) / 2.0, mem * GIB, conns)
                })
                .collect();
            let window = (0, 20 * MIN);
            let (a, ca) = footprints(&v, window, 0.5, &all);
            let (b, cb) = footprints(&shuffled(&v, seed), window, 0.5, &all);
            proptest::prop_assert_eq!(&a, &b);
            proptest::prop_assert_eq!(&ca, &cb);
            // The oracle: per (content, job, time) in the window, the sample of least origin.
            let inside: Vec<&Sample> = v.iter().filter(|x| x.time >= window.0 && x.time < window.1).collect();
            let mut first: BTreeMap<(u32, u32, Micros), &Sample> = BTreeMap::new();
            for x in &inside {
                let e = first.entry((x.content, x.job, x.time)).or_insert(x);
                if x.origin < e.origin {
                    *e = x;
                }
            }
            let conflicting = inside.iter().filter(|x| !same_values(first[&(x.content, x.job, x.time)], x)).count();
            proptest::prop_assert_eq!(ca.outside_window, (v.len() - inside.len()) as u64);
            proptest::prop_assert_eq!(ca.duplicates, (inside.len() - first.len()) as u64);
            proptest::prop_assert_eq!(ca.conflicting, conflicting as u64);
            for (content, f) in &a {
                let kept = first.values().filter(|x| x.content == *content);
                proptest::prop_assert_eq!(f.samples, kept.clone().count() as u64);
                proptest::prop_assert_eq!(f.memory_bytes_max, kept.map(|x| x.memory).max().unwrap());
            }
        }

        /// Input order does not matter (without duplicates, where the first copy wins),
        /// and the figures equal a brute-force oracle: per item, the largest memory of
        /// any sample, the samples and the processes.
        #[test]
        fn shuffled_samples_give_the_same_footprints(
            raw in proptest::collection::vec((0u32..3, 0u32..4, 0i64..50, 0u32..400, 0u64..64, proptest::option::of(0u32..3)), 1..200),
            seed in 0u64..1000,
        ) {
            let mut seen = std::collections::HashSet::new();
            let v: Vec<Sample> = raw
                .into_iter()
                .filter(|r| seen.insert((r.0, r.1, r.2)))
                .map(|(c, j, m, cpu, mem, conns)| s(c, j, m, f64::from(cpu) / 100.0, mem * GIB / 8, conns))
                .collect();
            let (a, _) = footprints(&v, (0, 40 * MIN), 1.2, &all);
            let (b, _) = footprints(&shuffled(&v, seed), (0, 40 * MIN), 1.2, &all);
            proptest::prop_assert_eq!(&a, &b);
            for (content, f) in &a {
                let mine: Vec<&Sample> = v
                    .iter()
                    .filter(|x| x.content == *content && x.time < 40 * MIN)
                    .collect();
                let jobs: std::collections::BTreeSet<u32> = mine.iter().map(|x| x.job).collect();
                proptest::prop_assert_eq!(f.memory_bytes_max, mine.iter().map(|x| x.memory).max().unwrap());
                proptest::prop_assert_eq!(f.samples, mine.len() as u64);
                proptest::prop_assert_eq!(f.processes_sampled, jobs.len() as u64);
                proptest::prop_assert!(f.memory_bytes_p50 <= f.memory_bytes_p95);
                proptest::prop_assert!(f.memory_bytes_p95 <= f.memory_bytes_max);
            }
        }
    }
}
