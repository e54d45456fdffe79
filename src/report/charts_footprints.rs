//! The measured-footprints chart of the HTML report: per content item with job metrics
//! samples, each process's largest memory as a range (median to p95 a bar, up to the
//! largest a whisker) beside the figure sizing uses. Same rules as [`super::charts`]: draw
//! the model's figures, compute nothing.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{svg, text, MARK, PROCESSES, WIDTH};
use super::charts_bars::{row_axes, RowFrame};
use crate::format::fixed;
use crate::model::Report;

/// Bytes in a GiB.
const GIB: f64 = 1_073_741_824.0;

/// One row: name, p50, p95, max and the used figure, GiB.
type Row = (String, f64, f64, f64, f64);

/// Memory per process of every measured item, largest p95 first.
pub fn footprints(r: &Report) -> Option<String> {
    let mut rows: Vec<Row> = r
        .footprints
        .iter()
        .filter_map(|l| {
            let f = &l.measured.as_ref()?.footprint;
            let name = l.title.clone().unwrap_or_else(|| l.guid.clone());
            let gib = |b: u64| b as f64 / GIB;
            Some((
                short(&name),
                gib(f.memory_bytes_p50),
                gib(f.memory_bytes_p95),
                gib(f.memory_bytes_max),
                l.memory_mib as f64 / 1024.0,
            ))
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let n = rows.len() as u32;
    let top = rows.iter().map(|r| r.3.max(r.4)).fold(0.0, f64::max);
    let caption = "Memory per process, by content item";
    svg((WIDTH, 110 + 34 * n), caption, |root| {
        let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let frame = RowFrame {
            margin_right: 60,
            x_area: 44,
            x_places: 1,
            x_desc: "GiB per process: bar median to p95 of each process's largest sample, line to the largest; red tick: the figure sizing uses",
            desc_size: 13,
        };
        let mut chart = row_axes(&root, caption, &labels, top, frame)?;
        let y = |k: usize| n - 1 - k as u32;
        chart.draw_series(rows.iter().enumerate().map(|(k, r)| {
            let mut bar = Rectangle::new(
                [
                    (r.1, SegmentValue::Exact(y(k))),
                    (r.2, SegmentValue::Exact(y(k) + 1)),
                ],
                PROCESSES.mix(0.75).filled(),
            );
            bar.set_margin(7, 7, 0, 0);
            bar
        }))?;
        chart.draw_series(rows.iter().enumerate().map(|(k, r)| {
            PathElement::new(
                vec![
                    (r.2, SegmentValue::CenterOf(y(k))),
                    (r.3, SegmentValue::CenterOf(y(k))),
                ],
                PROCESSES.stroke_width(2),
            )
        }))?;
        chart.draw_series(rows.iter().enumerate().map(|(k, r)| {
            PathElement::new(
                vec![
                    (r.4, SegmentValue::Exact(y(k))),
                    (r.4, SegmentValue::Exact(y(k) + 1)),
                ],
                MARK.stroke_width(3),
            )
        }))?;
        chart.draw_series(rows.iter().enumerate().map(|(k, r)| {
            Text::new(
                format!(" {} GiB", fixed(r.3, 2)),
                (r.3.max(r.4), SegmentValue::CenterOf(y(k))),
                text(13).pos(Pos::new(HPos::Left, VPos::Center)),
            )
        }))?;
        Ok(())
    })
}

/// A content title shortened for an axis label.
fn short(title: &str) -> String {
    const CHARS: usize = 34;
    if title.chars().count() <= CHARS {
        title.to_string()
    } else {
        let cut: String = title.chars().take(CHARS - 1).collect();
        format!("{cut}…")
    }
}
