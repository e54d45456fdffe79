//! Charts for the HTML report: plotters' SVG backend, inline SVG strings. Each chart draws
//! series the model already computed; nothing here derives a figure, it only scales axes,
//! picks colours and places labels. Text is escaped by the SVG backend; the opening tag is
//! rewritten so the chart scales with the page and carries no namespace URL.
//!
//! Every function returns `None` when its data is missing or drawing fails, and the page
//! then says the chart is not available rather than failing the report. Bar charts (top
//! content, growth, sizing) live in `charts_bars.rs`.

use std::error::Error;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub use super::charts_bars::{growth, sizing, top_content};
pub use super::charts_footprints::footprints;

use super::markup::escape_html;
use crate::format::{count, fixed};
use crate::model::Report;

/// Result of one drawing pass.
pub(super) type Drawn = Result<(), Box<dyn Error>>;

/// Canvas width of every chart, px (the page scales it).
pub(super) const WIDTH: u32 = 960;
/// Family of every label.
pub(super) const FONT: &str = "sans-serif";
/// Sessions: blue.
pub(super) const SESSIONS: RGBColor = RGBColor(37, 99, 235);
/// Users: teal.
const USERS: RGBColor = RGBColor(13, 148, 136);
/// Processes: amber.
pub(super) const PROCESSES: RGBColor = RGBColor(217, 119, 6);
/// Reference lines (90 % of peak, projection): red.
pub(super) const MARK: RGBColor = RGBColor(220, 38, 38);
/// Axis and label grey.
pub(super) const INK: RGBColor = RGBColor(55, 65, 81);
/// Grid lines.
pub(super) const GRID: RGBColor = RGBColor(229, 231, 235);

/// Draws on a fresh SVG canvas and returns the tag, sized by CSS, labelled for readers.
pub(super) fn svg(
    size: (u32, u32),
    label: &str,
    draw: impl FnOnce(DrawingArea<SVGBackend, Shift>) -> Drawn,
) -> Option<String> {
    let mut buf = String::new();
    // plotters can panic on degenerate ranges (overflow checks); a chart is not worth a
    // failed report, so such a chart is simply left out.
    let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).ok()?;
        draw(root.clone()).ok()?;
        root.present().ok()
    }));
    drawn.ok().flatten()?;
    let (w, h) = size;
    let open = format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let tag = format!(
        "<svg viewBox=\"0 0 {w} {h}\" class=\"chart\" role=\"img\" aria-label=\"{}\">",
        escape_html(label)
    );
    buf.starts_with(&open).then(|| buf.replacen(&open, &tag, 1))
}

/// Label style of a given size.
pub(super) fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&INK)
}

/// Chart title style.
pub(super) fn title() -> TextStyle<'static> {
    (FONT, 19, FontStyle::Bold).into_font().color(&INK)
}

/// A y-axis top a little above `max` so the highest mark never touches the frame.
pub(super) fn headroom(max: f64) -> f64 {
    if max <= 0.0 {
        1.0
    } else {
        max * 1.12
    }
}

/// The series legend at `at`, on a translucent white box.
pub(super) fn legend<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
    at: SeriesLabelPosition,
) -> Drawn {
    chart
        .configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(209, 213, 219))
        .label_font(text(14))
        .draw()?;
    Ok(())
}

/// The label at index `i` of `labels`, or nothing off the end.
pub(super) fn label_at(labels: &[String], i: i32) -> String {
    usize::try_from(i)
        .ok()
        .and_then(|i| labels.get(i))
        .cloned()
        .unwrap_or_default()
}

/// One series of the concurrency chart: daily peaks and averages.
struct Daily<'a> {
    title: &'a str,
    unit: &'a str,
    color: RGBColor,
    peak: Vec<f64>,
    average: Vec<f64>,
}

/// Concurrent sessions, users and modelled processes per day: the daily peak as a line,
/// the daily average as a filled area, one panel each on a shared day axis.
pub fn concurrency(r: &Report) -> Option<String> {
    let (sessions, users) = (r.daily.as_ref()?, r.daily_users.as_ref()?);
    let labels: Vec<String> = sessions.series.iter().map(|b| b.label.clone()).collect();
    let mut panels = vec![
        Daily {
            title: "Concurrent sessions per day",
            unit: "sessions",
            color: SESSIONS,
            peak: sessions.series.iter().map(|b| f64::from(b.peak)).collect(),
            average: sessions.series.iter().map(|b| b.average).collect(),
        },
        Daily {
            title: "Concurrent users per day",
            unit: "users",
            color: USERS,
            peak: users.series.iter().map(|b| f64::from(b.peak)).collect(),
            average: users.series.iter().map(|b| b.average).collect(),
        },
    ];
    if let Some(e) = r.processes.as_ref().and_then(|p| p.estimated.as_ref()) {
        panels.push(Daily {
            title: "Modelled processes per day (alive, server-wide)",
            unit: "processes",
            color: PROCESSES,
            peak: e.daily.iter().map(|d| f64::from(d.peak)).collect(),
            average: e.daily.iter().map(|d| d.average).collect(),
        });
    }
    let height = 230 * panels.len() as u32;
    svg(
        (WIDTH, height),
        "Daily peak and average of concurrent sessions, users and processes",
        |root| {
            let areas = root.split_evenly((panels.len(), 1));
            for (area, panel) in areas.iter().zip(&panels) {
                daily_panel(area, panel, &labels)?;
            }
            Ok(())
        },
    )
}

fn daily_panel(area: &DrawingArea<SVGBackend, Shift>, p: &Daily, labels: &[String]) -> Drawn {
    let n = p.peak.len().max(1) as i32;
    let top = headroom(p.peak.iter().copied().fold(0.0, f64::max));
    let mut chart = ChartBuilder::on(area)
        .caption(p.title, title())
        .margin(8)
        .margin_right(24)
        .x_label_area_size(30)
        .y_label_area_size(56)
        .build_cartesian_2d(0..n, 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(INK)
        .x_labels(2)
        .x_label_formatter(&|_| String::new())
        .set_tick_mark_size(LabelAreaPosition::Bottom, 0)
        .y_labels(5)
        .y_label_formatter(&|v| fixed(*v, 0))
        .y_desc(p.unit)
        .label_style(text(14))
        .axis_desc_style(text(14))
        .draw()?;
    let ticks = day_ticks(labels);
    chart.draw_series(
        ticks
            .iter()
            .map(|(i, _)| PathElement::new(vec![(*i, 0.0), (*i, top)], GRID.stroke_width(1))),
    )?;
    let color = p.color;
    chart.draw_series(AreaSeries::new(
        p.average.iter().enumerate().map(|(i, v)| (i as i32, *v)),
        0.0,
        color.mix(0.3),
    ))?;
    chart.draw_series(LineSeries::new(
        p.peak.iter().enumerate().map(|(i, v)| (i as i32, *v)),
        color.stroke_width(2),
    ))?;
    let (bx, by) = area.get_base_pixel();
    for (i, label) in &ticks {
        let (x, y) = chart.backend_coord(&(*i, 0.0));
        area.draw(&Text::new(
            label.clone(),
            (x - bx, y - by + 8),
            text(14).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    Ok(())
}

/// Month names for axis labels.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Where to label a day axis: at each first of a month (`Mar 2024`), or, for a window
/// spanning fewer than two month starts, at about eight evenly spaced days.
fn day_ticks(labels: &[String]) -> Vec<(i32, String)> {
    let months: Vec<(i32, String)> = labels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let (y, rest) = l.split_once('-')?;
            let (m, d) = rest.split_once('-')?;
            let name = MONTHS.get(m.parse::<usize>().ok()?.checked_sub(1)?)?;
            (d == "01").then(|| (i as i32, format!("{name} {y}")))
        })
        .collect();
    if months.len() >= 2 {
        return months;
    }
    let step = labels.len().div_ceil(8).max(1);
    labels
        .iter()
        .enumerate()
        .step_by(step)
        .map(|(i, l)| (i as i32, l.clone()))
        .collect()
}

/// Weekday names, Monday first (the model's weekday 1..7).
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Mean hourly peak of concurrent sessions per hour of the week: a 7 x 24 grid shaded
/// from white (none) to deep blue (the busiest slot).
pub fn hour_of_week(r: &Report) -> Option<String> {
    let h = &r.hour_of_week.as_ref()?.sessions;
    let busiest = h.busiest.as_ref()?;
    let top = busiest.mean_peak;
    let caption = format!(
        "Mean hourly peak of concurrent sessions by hour of week ({})",
        r.assumptions.tz
    );
    svg((WIDTH, 330), &caption, |root| {
        let (grid, legend) = root.split_horizontally(WIDTH - 120);
        let mut chart = ChartBuilder::on(&grid)
            .caption(&caption, title())
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(48)
            .build_cartesian_2d((0i32..23).into_segmented(), (0i32..6).into_segmented())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(INK)
            .x_labels(24)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(h) if *h < 24 => format!("{h:02}"),
                _ => String::new(),
            })
            .y_labels(7)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(d) => WEEKDAYS
                    .get(usize::try_from(6 - *d).unwrap_or(7))
                    .map_or(String::new(), |s| s.to_string()),
                _ => String::new(),
            })
            .x_desc("hour of day")
            .label_style(text(14))
            .axis_desc_style(text(14))
            .draw()?;
        let cells = h
            .means
            .iter()
            .enumerate()
            .flat_map(|(d, hours)| hours.iter().enumerate().map(move |(hr, m)| (d, hr, *m)));
        chart.draw_series(cells.map(|(d, hr, m)| {
            let (x, y) = (hr as i32, 6 - d as i32);
            Rectangle::new(
                [
                    (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                    (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                ],
                shade(m, top).filled(),
            )
        }))?;
        heat_legend(&legend, top)
    })
}

/// White to deep blue by `m / top`; light grey for a slot that never occurs.
fn shade(m: Option<f64>, top: f64) -> RGBColor {
    let Some(m) = m else {
        return RGBColor(243, 244, 246);
    };
    let t = if top > 0.0 {
        (m / top).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mix = |lo: u8, hi: u8| (f64::from(lo) + (f64::from(hi) - f64::from(lo)) * t).round() as u8;
    RGBColor(mix(255, 30), mix(255, 64), mix(255, 175))
}

/// The colour scale beside the heat map, labelled 0 and the busiest slot's mean.
fn heat_legend(area: &DrawingArea<SVGBackend, Shift>, top: f64) -> Drawn {
    let (x0, y0, y1) = (20, 60, 270);
    let steps = 20;
    for s in 0..steps {
        let t = f64::from(s) / f64::from(steps - 1);
        let y = y1 - (y1 - y0) * (s + 1) / steps;
        let h = (y1 - y0) / steps + 1;
        area.draw(&Rectangle::new(
            [(x0, y), (x0 + 18, y + h)],
            shade(Some(t * top), top).filled(),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + 18, y1)],
        INK.stroke_width(1),
    ))?;
    area.draw(&Text::new(fixed(top, 1), (x0 + 24, y0 - 6), text(14)))?;
    area.draw(&Text::new("0", (x0 + 24, y1 - 10), text(14)))?;
    area.draw(&Text::new("sessions", (x0 - 8, y0 - 34), text(14)))?;
    Ok(())
}

/// Number of days at each daily peak of concurrent sessions, with the line at 90 % of the
/// overall peak (a day left of it did not come near the peak).
pub fn daily_peaks(r: &Report) -> Option<String> {
    let d = r.daily.as_ref()?;
    let max = d.summary.peak_max?;
    let line = d.summary.ninety_pct_of_peak.ceil() as u32;
    let tallest = d
        .summary
        .peak_histogram
        .iter()
        .map(|h| h.1)
        .max()
        .unwrap_or(1) as u32;
    let caption = "Distribution of daily peaks of concurrent sessions";
    svg((WIDTH, 340), caption, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, title())
            .margin(8)
            .margin_right(24)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(
                (0u32..max).into_segmented(),
                0u32..tallest + tallest / 8 + 1,
            )?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .axis_style(INK)
            .x_labels(12)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(x) => count(*x),
                _ => String::new(),
            })
            .x_desc("peak concurrent sessions of the day")
            .y_desc("days")
            .label_style(text(14))
            .axis_desc_style(text(14))
            .draw()?;
        chart.draw_series(d.summary.peak_histogram.iter().map(|(peak, days)| {
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(*peak), 0),
                    (SegmentValue::Exact(peak + 1), *days as u32),
                ],
                SESSIONS.mix(0.8).filled(),
            );
            bar.set_margin(0, 0, 1, 1);
            bar
        }))?;
        let y_top = tallest + 1;
        chart
            .draw_series(DashedLineSeries::new(
                [
                    (SegmentValue::Exact(line), 0),
                    (SegmentValue::Exact(line), y_top),
                ],
                6,
                4,
                MARK.stroke_width(2),
            ))?
            .label(format!(
                "90 % of the peak ({}): {} of {} days at or above",
                fixed(d.summary.ninety_pct_of_peak, 1),
                count(d.summary.at_or_above_90pct_of_peak),
                count(d.summary.count)
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], MARK.stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shade_runs_from_white_to_blue_and_marks_missing_slots() {
        assert_eq!(shade(Some(0.0), 10.0), RGBColor(255, 255, 255));
        assert_eq!(shade(Some(10.0), 10.0), RGBColor(30, 64, 175));
        assert_eq!(shade(Some(99.0), 10.0), RGBColor(30, 64, 175), "clamped");
        assert_eq!(shade(None, 10.0), RGBColor(243, 244, 246));
        assert_eq!(shade(Some(1.0), 0.0), RGBColor(255, 255, 255));
    }

    #[test]
    fn svg_tag_is_rewritten_without_a_namespace_url() {
        let out = svg((100, 50), "a <b> \"c\"", |root| {
            root.draw(&Text::new("<script>x</script>", (5, 5), text(12)))?;
            Ok(())
        })
        .expect("drawn");
        assert!(out.starts_with(
            "<svg viewBox=\"0 0 100 50\" class=\"chart\" role=\"img\" aria-label=\"a &lt;b&gt; &quot;c&quot;\">"
        ));
        assert!(!out.contains("http"));
        assert!(!out.contains("<script"));
        assert!(out.contains("&lt;script&gt;x&lt;/script&gt;"));
    }
}
