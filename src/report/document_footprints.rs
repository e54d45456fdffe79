//! The "Measured footprints" section of the shared [`Document`](super::markup::Document)
//! (docs/sizing.md 2.1-2.3): per content item with job metrics samples, what one process
//! holds and uses, where each figure sizing used comes from, the samples set apart, and
//! the model checked against the samples with a plain warning when it under-estimates.

use super::markup::{Block, Chart, ChartKind, Section, Span, Table};
use crate::format::{bytes_binary, cores, count, fixed, or_dash, percent};
use crate::model::capacity::measured::{FootprintCheck, FootprintLine, JobMetricCounts};
use crate::model::Report;

/// How the samples are read, said where the figures are printed.
const READING: &str = "cpu_fraction is read as cores (1.0 = one core fully busy; Connect \
documents it as \"0.0 to 1.0 per core\" and does not say whether one process can exceed 1.0), \
and memory_bytes as Connect reports it (resident memory or a container's working set: Connect \
does not say). RAM figures are percentiles of each process's largest sample; CPU figures are \
over the samples taken while the process served a connection.";

/// The section; `None` without a job metrics export.
pub fn footprints(r: &Report) -> Option<Section> {
    let counts = r.job_metrics.as_ref()?;
    let measured: Vec<&FootprintLine> = r
        .footprints
        .iter()
        .filter(|f| f.measured.is_some())
        .collect();
    let mut blocks = Vec::new();
    if measured.is_empty() {
        blocks.push(Block::Para(vec![Span::Text(
            "No interactive process has a sample in the window: every figure is assumed.".into(),
        )]));
    } else {
        blocks.push(Block::Table(table(&measured)));
        blocks.push(Block::Chart(Chart {
            kind: ChartKind::Footprints,
            caption: "Memory per process by content item: from the median to the p95 of each \
                      process's largest sample (bar), up to the largest (line), and the figure \
                      sizing uses (red)."
                .into(),
        }));
    }
    blocks.extend(check(r));
    blocks.push(Block::List(count_lines(r, counts)));
    blocks.push(Block::Note(READING.into()));
    Some(Section {
        id: "footprints",
        title: "Measured footprints".into(),
        blocks,
    })
}

/// One row per measured item.
fn table(lines: &[&FootprintLine]) -> Table {
    let mut t = Table::numeric(&[
        "content",
        "mode",
        "procs",
        "jobs sampled",
        "RAM p50",
        "RAM p95",
        "RAM max",
        "CPU p95",
        "CPU max",
        "parallel",
        "sources",
    ])
    .align(1, false)
    .align(9, false)
    .align(10, false);
    for l in lines {
        let Some(m) = &l.measured else { continue };
        let f = &m.footprint;
        t.row(vec![
            l.title.clone().unwrap_or_else(|| l.guid.clone()),
            l.app_mode.clone().unwrap_or_else(|| "unknown".into()),
            count(f.processes_sampled),
            or_dash(m.coverage.as_ref(), |c| {
                format!("{} of {}", percent(c.jobs_sampled, 0), count(c.jobs))
            }),
            bytes_binary(f.memory_bytes_p50 as f64),
            bytes_binary(f.memory_bytes_p95 as f64),
            bytes_binary(f.memory_bytes_max as f64),
            or_dash(f.cpu_p95, |c| fixed(c, 2)),
            or_dash(f.cpu_max, |c| fixed(c, 2)),
            if f.parallel { "yes" } else { "no" }.into(),
            sources(l),
        ]);
    }
    t
}

/// `measured`, or `RAM limit, CPU measured` when the two differ.
fn sources(l: &FootprintLine) -> String {
    let (m, c) = (l.memory_source.as_str(), l.cpu_source.as_str());
    if m == c {
        m.to_string()
    } else {
        format!("RAM {m}, CPU {c}")
    }
}

/// The model against the samples: a plain sentence, a warning below the ratio.
fn check(r: &Report) -> Option<Block> {
    let c: &FootprintCheck = r.footprint_check.as_ref()?;
    let ratio = r
        .sizing
        .as_ref()
        .map_or(0.8, |z| z.constants.model_warning_ratio);
    let text = format!(
        "Over the {} minutes with a sample, the measured processes held at most {} and used \
         {}; the model of the same content holds at most {} and {} (ratio {} for memory, {} \
         for CPU).",
        count(c.minutes),
        bytes_binary(c.memory_bytes_measured as f64),
        cores(c.cpu_measured),
        bytes_binary(c.memory_bytes_modelled as f64),
        cores(c.cpu_modelled),
        or_dash(c.memory_ratio, |v| fixed(v, 2)),
        or_dash(c.cpu_ratio, |v| fixed(v, 2)),
    );
    if c.under_estimates {
        Some(Block::Para(vec![
            Span::Strong(format!(
                "Warning: the model under-estimates what the processes used (a ratio below \
                 {}). ",
                fixed(ratio, 2)
            )),
            Span::Text(format!(
                "{text} Sizes built on it are too small: check the per-process figures and \
                 the scheduler settings of these items."
            )),
        ]))
    } else {
        Some(Block::Para(vec![Span::Text(text)]))
    }
}

/// What happened to the samples read.
fn count_lines(r: &Report, c: &JobMetricCounts) -> Vec<String> {
    let title = |guid: &String| {
        r.content
            .iter()
            .find(|x| &x.guid == guid)
            .and_then(|x| x.title.clone())
            .unwrap_or_else(|| guid.clone())
    };
    let mut lines = vec![format!(
        "{} sample rows read: {} duplicates counted once ({} with other values, listed \
         under data problems), {} outside the window.",
        count(c.rows),
        count(c.duplicates),
        count(c.conflicting),
        count(c.outside_window)
    )];
    if c.not_interactive > 0 {
        lines.push(format!(
            "{} samples of render jobs, environment builds or static content set apart \
             ({}): they do not size processes.",
            count(c.not_interactive),
            c.not_interactive_items
                .iter()
                .map(title)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if c.off_host > 0 {
        lines.push(format!(
            "{} samples came from off-host jobs: they enter the footprints (pod \
             requests), not the host's process count.",
            count(c.off_host)
        ));
    }
    lines
}
