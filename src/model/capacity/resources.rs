//! Per-item resources put together (docs/sizing.md 2.2-2.4): every item's per-process
//! CPU and memory resolved from its sources, the `footprints[]` lines, what the model
//! holds of each item for the check against the samples, and the recommendation's reason
//! when parallelised code changes the CPU figure. Steps of [`super::plan::capacity`].

use std::collections::BTreeSet;

use super::demand::{ScenarioInputs, ScenarioReplay};
use super::measured::{self, FootprintLine, MeasuredFigures, Measurements, ModelledItem};
use super::sizing::{self, Figures, Resource, ResourceSource, MIB};
use super::CapacityOptions;
use crate::ingest::{ContentRow, Dataset};
use crate::settings::ProcessSettings;

/// Step 1b: CPU and memory per process of every item (docs/sizing.md 2.2), and the
/// largest memory its sampled processes reached.
pub(super) fn size_items(p: &mut ScenarioInputs, m: &Measurements) {
    let k = &p.opts.constants;
    let mode = |id: u32| p.app_mode(id).map(str::to_string);
    let medians = measured::mode_medians(m, &mode, k);
    p.resources = (0..p.data.content_ids.len() as u32)
        .map(|id| {
            let median = p
                .app_mode(id)
                .and_then(|md| medians.get(md))
                .copied()
                .unwrap_or_default();
            let row = p.rows.get(&id).copied();
            let r = item_resource(p.data, p.opts, row, id, m.figures(id, k), median);
            (id, r)
        })
        .collect();
    p.memory_max = m
        .footprints
        .iter()
        .map(|(id, f)| (*id, f.memory_bytes_max))
        .collect();
}

/// CPU and memory per process of one item, each field on its own (docs/sizing.md 2.2):
/// its config entry, its measurements, its export limits, the median of measured items of
/// its `app_mode`, the server-wide config, then the `app_mode` table.
fn item_resource(
    data: &Dataset,
    opts: &CapacityOptions,
    row: Option<&ContentRow>,
    id: u32,
    measured: Figures,
    median: Figures,
) -> Resource {
    let none = ProcessSettings::default();
    let guid = data.content_ids.name(id);
    sizing::resolve(
        row.and_then(|r| r.app_mode.as_deref()),
        &[
            (
                ResourceSource::Config,
                Figures::of(opts.content.get(guid).unwrap_or(&none)),
            ),
            (ResourceSource::Measured, measured),
            (
                ResourceSource::Limit,
                Figures::of(row.map_or(&none, |r| &r.settings)),
            ),
            (ResourceSource::ModeMedian, median),
            (ResourceSource::Config, Figures::of(&opts.server_resources)),
        ],
    )
}

/// A reason naming the parallelised items whose measured CPU per process is above the
/// table's one core (docs/sizing.md 2.1): they change the CPU figure.
pub(super) fn parallel_reason(lines: &[FootprintLine]) -> Option<String> {
    let named: Vec<String> = lines
        .iter()
        .filter(|l| {
            l.measured.as_ref().is_some_and(|m| m.footprint.parallel)
                && l.cpu_source == ResourceSource::Measured
                && l.cpu_millicores > sizing::APP.millicores
        })
        .map(|l| {
            let name = l.title.as_deref().unwrap_or(&l.guid);
            format!("\"{name}\" {}", crate::format::cores(l.cpu))
        })
        .collect();
    (!named.is_empty()).then(|| {
        format!(
            "the CPU figure counts {} parallelised {} at {} measured cores per process \
             ({}), not one core each",
            crate::format::count(named.len()),
            if named.len() == 1 { "item" } else { "items" },
            if named.len() == 1 { "its" } else { "their" },
            named.join(", ")
        )
    })
}

/// What the calibrated model holds of each item, for the check against the samples.
pub(super) fn modelled_items<'a>(
    p: &ScenarioInputs,
    now: &'a ScenarioReplay,
    factor: f64,
) -> Vec<ModelledItem<'a>> {
    now.items
        .iter()
        .map(|r| {
            let res = p.resource(r.content);
            ModelledItem {
                content: r.content,
                alive: &r.replay.alive,
                active: &r.replay.active,
                bytes: res.mib as f64 * MIB * factor,
                cores: res.millicores as f64 / 1000.0 * factor,
            }
        })
        .collect()
}

/// JSON `footprints[]`: every item with demand or samples, by GUID (docs/sizing.md 2.4).
pub(super) fn footprint_lines(
    p: &ScenarioInputs,
    now: &ScenarioReplay,
    m: &Measurements,
) -> Vec<FootprintLine> {
    let mut ids: BTreeSet<u32> = now.items.iter().map(|r| r.content).collect();
    ids.extend(m.footprints.keys());
    let names = &p.data.content_ids;
    let key = names.order_key();
    let mut out: Vec<FootprintLine> = ids
        .into_iter()
        .map(|id| {
            let measured = m.footprints.get(&id).map(|f| MeasuredFigures {
                footprint: f.clone(),
                coverage: m.coverage.get(&id).cloned(),
            });
            FootprintLine::new(
                names.name(id).to_string(),
                p.rows
                    .get(&id)
                    .and_then(|r| r.title.as_deref())
                    .map(str::to_string),
                p.app_mode(id).map(str::to_string),
                &p.resource(id),
                measured,
            )
        })
        .collect();
    out.sort_by_cached_key(|l| key(&l.guid));
    out
}
