//! Bar charts of the HTML report: top content by peak, monthly growth with its fitted
//! trend and projection, and the sizing scenarios. Same rules as [`super::charts`]: draw
//! the model's figures, compute nothing.

use std::error::Error;

use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordu32};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{
    headroom, label_at, legend, svg, text, title, Drawn, GRID, INK, MARK, PROCESSES, SESSIONS,
    WIDTH,
};
use crate::format::{count, fixed, signed_percent};
use crate::model::capacity::Scenario;
use crate::model::usage::growth::{GrowthFit, Month};
use crate::model::Report;

/// Most content items drawn in the top-content chart.
const TOP_CONTENT: usize = 15;

/// Longest title drawn on a chart axis, characters.
const TITLE_CHARS: usize = 34;

/// A content title shortened for an axis label.
fn short(title: &str) -> String {
    if title.chars().count() <= TITLE_CHARS {
        title.to_string()
    } else {
        let cut: String = title.chars().take(TITLE_CHARS - 1).collect();
        format!("{cut}…")
    }
}

/// Peak concurrent sessions of the busiest content items, one horizontal bar each.
pub fn top_content(r: &Report) -> Option<String> {
    let items: Vec<(String, u32)> = r
        .content
        .iter()
        .filter(|c| c.peak_sessions > 0)
        .take(TOP_CONTENT)
        .map(|c| {
            let name = c.title.clone().unwrap_or_else(|| c.guid.clone());
            (short(&name), c.peak_sessions)
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    let n = items.len() as u32;
    let max = items.iter().map(|i| i.1).max().unwrap_or(1);
    let caption = "Top content by peak concurrent sessions";
    let height = 90 + 30 * n;
    svg((WIDTH, height), caption, |root| {
        let labels: Vec<String> = items.iter().map(|i| i.0.clone()).collect();
        let frame = RowFrame {
            margin_right: 40,
            x_area: 40,
            x_places: 0,
            x_desc: "peak concurrent sessions",
            desc_size: 14,
        };
        let mut chart = row_axes(&root, caption, &labels, f64::from(max), frame)?;
        chart.draw_series(items.iter().enumerate().map(|(k, (_, peak))| {
            let y = n - 1 - k as u32;
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(y)),
                    (f64::from(*peak), SegmentValue::Exact(y + 1)),
                ],
                SESSIONS.mix(0.8).filled(),
            );
            bar.set_margin(4, 4, 0, 0);
            bar
        }))?;
        chart.draw_series(items.iter().enumerate().map(|(k, (_, peak))| {
            let y = n - 1 - k as u32;
            Text::new(
                count(*peak),
                (f64::from(*peak), SegmentValue::CenterOf(y)),
                text(14).pos(Pos::new(HPos::Left, VPos::Center)),
            )
        }))?;
        Ok(())
    })
}

/// Monthly p95 of concurrent sessions (bars; partial months pale), the fitted growth
/// curve over the window and its projection (dashed) to the horizon.
pub fn growth(r: &Report) -> Option<String> {
    if r.months.is_empty() {
        return None;
    }
    let fit = &r.growth.sessions_p95;
    let labels: Vec<String> = if fit.trend.is_empty() {
        r.months.iter().map(|m| m.month.clone()).collect()
    } else {
        fit.trend.iter().map(|t| t.month.clone()).collect()
    };
    let max = r
        .months
        .iter()
        .map(|m| f64::from(m.p95.unwrap_or(0)))
        .chain(fit.trend.iter().map(|t| t.value))
        .fold(0.0, f64::max);
    let caption = "Monthly p95 of concurrent sessions, fitted trend and projection";
    svg((WIDTH, 360), caption, |root| {
        let frame = Frame {
            margin_right: 24,
            x_area: 40,
            y_area: 56,
            x_labels: labels.len().min(16),
            label_size: 13,
            y_desc: Some("p95 concurrent sessions"),
        };
        let mut chart = segment_axes(&root, caption, &labels, max, frame)?;
        monthly_bars(&mut chart, &r.months)?;
        trend_lines(&mut chart, fit)?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// A chart with one row per label, the first at the top, and a value across.
pub(super) type RowChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordu32>>>;

/// The frame of a [`RowChart`]: right margin and x label area (px), decimals of the value
/// labels, the x axis's description and its size.
pub(super) struct RowFrame<'d> {
    pub margin_right: u32,
    pub x_area: u32,
    pub x_places: usize,
    pub x_desc: &'d str,
    pub desc_size: u32,
}

/// A [`RowChart`]'s caption, axes, row labels and grid, up to `max` plus headroom.
pub(super) fn row_axes<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: &str,
    labels: &[String],
    max: f64,
    frame: RowFrame,
) -> Result<RowChart<'a, 'b>, Box<dyn Error>> {
    let n = labels.len() as u32;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, title())
        .margin(8)
        .margin_right(frame.margin_right)
        .x_label_area_size(frame.x_area)
        .y_label_area_size(280)
        .build_cartesian_2d(
            0.0..headroom(max),
            (0u32..n.saturating_sub(1)).into_segmented(),
        )?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .axis_style(INK)
        .y_labels(labels.len())
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels
                .get((n - 1 - (*i).min(n - 1)) as usize)
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        })
        .x_labels(8)
        .x_label_formatter(&|v| fixed(*v, frame.x_places))
        .x_desc(frame.x_desc)
        .label_style(text(14))
        .axis_desc_style(text(frame.desc_size))
        .draw()?;
    Ok(chart)
}

/// A chart with one segment per label across (months, scenarios) and a value up.
type SegmentChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<SegmentedCoord<RangedCoordu32>, RangedCoordf64>>;

/// The frame of a [`SegmentChart`]: margins and label areas (px), how many labels across
/// at most, their size and the y axis's description.
struct Frame<'d> {
    margin_right: u32,
    x_area: u32,
    y_area: u32,
    x_labels: usize,
    label_size: u32,
    y_desc: Option<&'d str>,
}

/// A [`SegmentChart`]'s caption, axes, labels and grid, up to `max` plus headroom.
fn segment_axes<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: &str,
    labels: &[String],
    max: f64,
    frame: Frame,
) -> Result<SegmentChart<'a, 'b>, Box<dyn Error>> {
    let n = labels.len() as u32;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, title())
        .margin(8)
        .margin_right(frame.margin_right)
        .x_label_area_size(frame.x_area)
        .y_label_area_size(frame.y_area)
        .build_cartesian_2d(
            (0u32..n.saturating_sub(1)).into_segmented(),
            0.0..headroom(max),
        )?;
    let x_label = |v: &SegmentValue<u32>| match v {
        SegmentValue::CenterOf(i) => label_at(labels, *i as i32),
        _ => String::new(),
    };
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .axis_style(INK)
        .x_labels(frame.x_labels)
        .x_label_formatter(&x_label)
        .y_labels(6)
        .y_label_formatter(&|v| fixed(*v, 0))
        .label_style(text(frame.label_size));
    if let Some(desc) = frame.y_desc {
        mesh.y_desc(desc).axis_desc_style(text(14));
    }
    mesh.draw()?;
    Ok(chart)
}

/// One bar per month at its p95, pale when the month is partial.
fn monthly_bars(chart: &mut SegmentChart, months: &[Month]) -> Drawn {
    chart
        .draw_series(months.iter().enumerate().map(|(i, m)| {
            let i = i as u32;
            let color = if m.full {
                SESSIONS.mix(0.8)
            } else {
                SESSIONS.mix(0.3)
            };
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), f64::from(m.p95.unwrap_or(0))),
                ],
                color.filled(),
            );
            bar.set_margin(0, 0, 6, 6);
            bar
        }))?
        .label("monthly p95 (pale: partial month)")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], SESSIONS.mix(0.8).filled()));
    Ok(())
}

/// The fitted trend as a line over the fitted months and, dashed, its projection from
/// the last fitted month on.
fn trend_lines(chart: &mut SegmentChart, fit: &GrowthFit) -> Drawn {
    let point = |i: usize, v: f64| (SegmentValue::CenterOf(i as u32), v);
    let fitted: Vec<_> = fit
        .trend
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.projected)
        .map(|(i, t)| point(i, t.value))
        .collect();
    let last_fitted = fit.trend.iter().rposition(|t| !t.projected);
    let projected: Vec<_> = fit
        .trend
        .iter()
        .enumerate()
        .filter(|(i, t)| t.projected || Some(*i) == last_fitted)
        .map(|(i, t)| point(i, t.value))
        .collect();
    if !fitted.is_empty() {
        chart
            .draw_series(LineSeries::new(fitted, INK.stroke_width(2)))?
            .label(match fit.rate_per_month {
                Some(rate) => format!("fitted trend, {} per month", signed_percent(rate, 1)),
                None => "fitted trend".to_string(),
            })
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], INK.stroke_width(2)));
    }
    if projected.len() > 1 {
        chart
            .draw_series(DashedLineSeries::new(projected, 6, 4, MARK.stroke_width(2)))?
            .label("projection")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], MARK.stroke_width(2)));
    }
    Ok(())
}

/// Cores and RAM of each sizing scenario side by side, with the recommended node's size
/// as a dashed line.
pub fn sizing(r: &Report) -> Option<String> {
    let z = r.sizing.as_ref()?;
    let mut scenarios: Vec<&Scenario> = vec![&z.now];
    scenarios.extend(z.projected.as_ref());
    scenarios.extend(z.scaled.as_ref());
    let names: Vec<String> = scenarios
        .iter()
        .map(|s| match s.name.as_str() {
            "projected" => format!(
                "projected ({} mo)",
                fixed(s.horizon_months.unwrap_or(0.0), 0)
            ),
            "scaled" => format!("scaled x{}", fixed(s.k, 1)),
            other => other.to_string(),
        })
        .collect();
    let node = r.recommendation.as_ref().map(|rec| rec.decision.node);
    let cores: Vec<f64> = scenarios.iter().map(|s| s.size.cores as f64).collect();
    let ram: Vec<f64> = scenarios.iter().map(|s| s.size.ram_gib as f64).collect();
    let caption = "Sizing scenarios: CPU cores and RAM needed";
    svg((WIDTH, 340), caption, |root| {
        let (left, right) = root.split_horizontally(WIDTH / 2);
        bars(
            &left,
            "CPU cores",
            &names,
            &cores,
            node.map(|n| n.cores as f64),
            SESSIONS,
        )?;
        bars(
            &right,
            "RAM, GiB",
            &names,
            &ram,
            node.map(|n| n.ram_gib as f64),
            PROCESSES,
        )
    })
}

/// One bar panel of the sizing chart.
fn bars(
    area: &DrawingArea<SVGBackend, Shift>,
    name: &str,
    names: &[String],
    values: &[f64],
    node: Option<f64>,
    color: RGBColor,
) -> Drawn {
    let n = values.len() as u32;
    let max = values.iter().copied().chain(node).fold(0.0, f64::max);
    let caption = match node {
        Some(v) => format!("{name} (dashed: recommended node, {})", fixed(v, 0)),
        None => name.to_string(),
    };
    let frame = Frame {
        margin_right: 20,
        x_area: 36,
        y_area: 50,
        x_labels: names.len(),
        label_size: 14,
        y_desc: None,
    };
    let mut chart = segment_axes(area, &caption, names, max, frame)?;
    chart.draw_series(values.iter().enumerate().map(|(i, v)| {
        let i = i as u32;
        let mut bar = Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), *v),
            ],
            color.mix(0.8).filled(),
        );
        bar.set_margin(0, 0, 24, 24);
        bar
    }))?;
    chart.draw_series(values.iter().enumerate().map(|(i, v)| {
        Text::new(
            fixed(*v, 0),
            (SegmentValue::CenterOf(i as u32), *v),
            text(15).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )
    }))?;
    if let Some(node) = node {
        let last = SegmentValue::Exact(n);
        chart.draw_series(DashedLineSeries::new(
            [(SegmentValue::Exact(0), node), (last, node)],
            6,
            4,
            INK.stroke_width(1),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_titles_keep_whole_characters() {
        assert_eq!(short("Sales"), "Sales");
        let long = "é".repeat(50);
        let s = short(&long);
        assert_eq!(s.chars().count(), TITLE_CHARS);
        assert!(s.ends_with('…'));
    }
}
