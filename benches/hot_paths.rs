//! criterion benches of the hot paths at 10^4 and 10^6 generated sessions (10^7 is the
//! end-to-end script's, bench/e2e.sh): parsing (the general and the fast reader),
//! normalisation, the concurrency sweep, the distinct-user merge, the per-content
//! statistics, one scheduler replay, the whole model and the rendering of its report.
//!
//! `cargo bench --bench hot_paths` (or `make bench`); `-- parse` runs one group.

use std::path::Path;

use connect_capacity::ingest::records::read_bytes_general;
use connect_capacity::ingest::{fast, Dataset, IngestOptions};
use connect_capacity::model::capacity::processes::{conns, guid_ranks};
use connect_capacity::model::capacity::scheduler::{
    end_order, replay, replay_spans, Conn, Copies, Settings,
};
use connect_capacity::model::usage::content::per_content;
use connect_capacity::model::usage::normalize::{normalize, Normalized};
use connect_capacity::model::usage::sweep::{step_series_of, users_series};
use connect_capacity::model::{analyze, Options};
use connect_capacity::report::{render, Format};
use connect_capacity::sample::{generate_shiny_usage_only, SampleSpec};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// A generated Shiny usage export of about `sessions` rows, as bytes.
fn export(sessions: u64) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shiny_usage.csv");
    let spec = SampleSpec {
        sessions,
        days: 365,
        ..SampleSpec::default()
    };
    generate_shiny_usage_only(&spec, &path).expect("generate");
    std::fs::read(&path).expect("read back")
}

fn read_fast(bytes: &[u8]) -> Dataset {
    let mut ds = Dataset::default();
    let took = fast::read(
        Path::new("s.csv"),
        &mut &bytes[..],
        &IngestOptions::default(),
        &mut ds,
        &mut |_| {},
    );
    assert!(took, "the fast reader takes generated exports");
    ds
}

/// The largest content item's sessions, as the scheduler sees them.
fn busiest_item(norm: &Normalized, ds: &Dataset) -> Vec<Conn> {
    let users = guid_ranks(&ds.user_ids);
    let all = conns(&norm.sessions, &users);
    let mut best: Vec<Conn> = Vec::new();
    for chunk in all.chunk_by(|a, b| a.0 == b.0) {
        if chunk.len() > best.len() {
            best = chunk.iter().map(|(_, c)| *c).collect();
        }
    }
    best
}

fn hot_paths(c: &mut Criterion) {
    for n in [10_000u64, 1_000_000] {
        let bytes = export(n);
        let rows = bytes.iter().filter(|&&b| b == b'\n').count() as u64 - 1;
        let opts = IngestOptions::default();
        let ds = read_fast(&bytes);
        let model = Options::default();
        let norm = normalize(&ds, &model);
        let window = norm.window.expect("a window");
        let item = busiest_item(&norm, &ds);

        let mut g = c.benchmark_group("hot_paths");
        if n >= 1_000_000 {
            g.sample_size(10);
        }
        g.throughput(Throughput::Elements(rows));
        g.bench_function(BenchmarkId::new("parse_general", n), |b| {
            b.iter(|| {
                let mut ds = Dataset::default();
                read_bytes_general("s.csv", &bytes, &opts, &mut ds).expect("parse");
                ds
            })
        });
        g.bench_function(BenchmarkId::new("parse_fast", n), |b| {
            b.iter(|| read_fast(&bytes))
        });
        g.bench_function(BenchmarkId::new("normalize", n), |b| {
            b.iter(|| normalize(&ds, &model))
        });
        g.bench_function(BenchmarkId::new("sweep", n), |b| {
            b.iter(|| step_series_of(&norm.sessions, |s| (s.start, s.end), window))
        });
        g.bench_function(BenchmarkId::new("user_merge", n), |b| {
            b.iter(|| users_series(&norm.sessions, |s| (s.user(), s.start, s.end), window))
        });
        g.bench_function(BenchmarkId::new("per_content", n), |b| {
            b.iter(|| per_content(&ds, &norm.sessions, &norm.visits, window, model.tz))
        });
        g.bench_function(BenchmarkId::new("model", n), |b| {
            b.iter(|| analyze(&ds, &model).expect("report"))
        });
        let report = analyze(&ds, &model).expect("report");
        for (name, format) in [("render_json", Format::Json), ("render_html", Format::Html)] {
            g.bench_function(BenchmarkId::new(name, n), |b| {
                b.iter(|| {
                    let mut out = Vec::new();
                    render(&report, format, false, &mut out).expect("render");
                    out
                })
            });
        }
        g.throughput(Throughput::Elements(item.len() as u64));
        g.bench_function(BenchmarkId::new("scheduler_replay", n), |b| {
            b.iter(|| replay(&item, &Settings::default(), window))
        });
        // The sizing replays: twice the sessions, `max_processes` lifted, so hundreds of
        // processes live at once (the scaled scenario's busiest item).
        let mut spans: Vec<(i64, i64)> = item.iter().map(|c| (c.start, c.end)).collect();
        spans.sort_unstable();
        let by_end = end_order(&spans);
        let lifted = Settings {
            max_processes: u32::MAX,
            ..Settings::default()
        };
        g.throughput(Throughput::Elements(2 * item.len() as u64));
        g.bench_function(BenchmarkId::new("scheduler_replay_lifted_x2", n), |b| {
            b.iter(|| replay_spans(&spans, &by_end, Copies::of_k(2.0), &lifted, window))
        });
        g.finish();
    }
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
