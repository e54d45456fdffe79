//! Hand-worked sizing cases (docs/sizing.md sections 2 and 3) and properties of `size`.

use approx::assert_relative_eq;
use proptest::prelude::*;

use super::*;

fn inputs(growth: Option<f64>, cv: Option<f64>, uptime: f64) -> BufferInputs {
    BufferInputs {
        growth_rate_per_month: growth,
        weekly_peak_cv: cv,
        uptime,
    }
}

fn buf(total: f64) -> Buffer {
    Buffer {
        base: total,
        evolving: 0.0,
        evolving_because: None,
        uptime: 0.0,
        uptime_because: None,
        total,
    }
}

fn demand(active_millicores: f64, alive_mib: f64) -> Demand {
    Demand {
        design_processes: 0.0,
        design_active_processes: 0.0,
        active_millicores,
        alive_mib,
    }
}

#[test]
fn constants_default_and_deserialize() {
    let c: Constants = serde_json::from_str("{}").unwrap();
    assert_eq!(c, Constants::default());
    assert_eq!(c.base_buffer, 0.20);
    assert_eq!(c.connect_cores, 1);
    let c: Constants = serde_json::from_str(r#"{"base_buffer": 0.3}"#).unwrap();
    assert_eq!(c.base_buffer, 0.3);
    assert_eq!(c.evolving_buffer, 0.15);
    assert!(serde_json::from_str::<Constants>(r#"{"bufer": 0.3}"#).is_err());
}

#[test]
fn buffer_base_only() {
    // Stable, no fit, default uptime 99.0: just the 0.20 base.
    let b = buffer(&inputs(None, None, 99.0), &Constants::default());
    assert_eq!((b.base, b.evolving, b.uptime), (0.20, 0.0, 0.0));
    assert_relative_eq!(b.total, 0.20);
    assert_eq!(b.evolving_because, None);
    assert_eq!(b.uptime_because, None);
}

#[test]
fn buffer_growth_term() {
    // 7.2 %/month > 5 %: +0.15, total 0.35; the reason cites both numbers.
    let b = buffer(&inputs(Some(0.072), Some(0.1), 99.0), &Constants::default());
    assert_eq!(b.evolving, 0.15);
    assert_relative_eq!(b.total, 0.35);
    assert_eq!(
        b.evolving_because.as_deref(),
        Some("growth 7.2 %/month > 5 %")
    );
    // Exactly 5 % is not above the threshold; shrinking is not evolving either.
    for g in [0.05, -0.2] {
        let b = buffer(&inputs(Some(g), None, 99.0), &Constants::default());
        assert_eq!(b.evolving, 0.0, "growth {g}");
    }
}

#[test]
fn buffer_cv_term() {
    // Weekly peak CV 0.42 > 0.3: +0.15; exactly 0.3 is not.
    let b = buffer(&inputs(None, Some(0.42), 99.0), &Constants::default());
    assert_eq!(b.evolving, 0.15);
    assert_relative_eq!(b.total, 0.35);
    assert_eq!(
        b.evolving_because.as_deref(),
        Some("weekly peak CV 0.42 > 0.3")
    );
    let b = buffer(&inputs(None, Some(0.3), 99.0), &Constants::default());
    assert_eq!(b.evolving, 0.0);
}

#[test]
fn buffer_growth_and_cv_count_once() {
    // Both triggers: the evolving term is still 0.15, once; both are cited.
    let b = buffer(&inputs(Some(0.10), Some(0.5), 99.0), &Constants::default());
    assert_eq!(b.evolving, 0.15);
    assert_relative_eq!(b.total, 0.35);
    assert_eq!(
        b.evolving_because.as_deref(),
        Some("growth 10 %/month > 5 %; weekly peak CV 0.5 > 0.3")
    );
}

#[test]
fn buffer_uptime_term() {
    // 99.9 is "99.9 or higher": +0.10; 99.89 is not.
    let b = buffer(&inputs(None, None, 99.9), &Constants::default());
    assert_eq!(b.uptime, 0.10);
    assert_relative_eq!(b.total, 0.30);
    assert_eq!(
        b.uptime_because.as_deref(),
        Some("uptime target 99.9 % >= 99.9 %")
    );
    let b = buffer(&inputs(None, None, 99.89), &Constants::default());
    assert_eq!(b.uptime, 0.0);
    assert_relative_eq!(b.total, 0.20);
    // All three terms: 0.20 + 0.15 + 0.10 = 0.45.
    let b = buffer(
        &inputs(Some(0.06), Some(0.31), 99.99),
        &Constants::default(),
    );
    assert_relative_eq!(b.total, 0.45);
}

#[test]
fn population_cv_cases() {
    // 10, 20, 30: mean 20, population variance (100 + 0 + 100) / 3, sd 8.1650, CV 0.40825.
    assert_relative_eq!(
        population_cv(&[10.0, 20.0, 30.0]).unwrap(),
        (200.0f64 / 3.0).sqrt() / 20.0
    );
    assert_relative_eq!(
        population_cv(&[10.0, 20.0, 30.0]).unwrap(),
        0.408248,
        epsilon = 1e-6
    );
    assert_eq!(population_cv(&[4.0, 4.0]), Some(0.0));
    assert_eq!(population_cv(&[5.0]), None);
    assert_eq!(population_cv(&[]), None);
    assert_eq!(population_cv(&[0.0, 0.0]), None);
    assert_eq!(population_cv(&[1.0, f64::NAN]), None);
}

#[test]
fn size_worked_example() {
    // 10 active cores and 40 GiB alive at buffer 0.20:
    // cores = ceil(10 x 1.2) + 1 = 13; RAM = ceil((40 + 4) x 1.2) = ceil(52.8) = 53.
    // Node: 13 cores -> 16, 53 GiB -> 56.
    let c = Constants::default();
    let b = buffer(&inputs(None, None, 99.0), &c);
    let s = size(&demand(10_000.0, 40.0 * 1024.0), &b, &c);
    assert_eq!((s.cores, s.ram_gib), (13, 53));
    assert_eq!(
        s.node,
        Node {
            cores: 16,
            ram_gib: 56
        }
    );
    assert_relative_eq!(s.active_cores, 10.0);
    assert_relative_eq!(s.alive_gib, 40.0);
    assert_relative_eq!(s.cpu_cores_raw, 12.0);
    assert_relative_eq!(s.ram_gib_raw, 52.8);
    assert_relative_eq!(s.buffer, 0.2);
}

#[test]
fn size_ignores_float_noise() {
    // 180 x 1.35 evaluates to 243.00000000000003 in f64; a plain ceil would give 244 + 1.
    // The buffer 0.35 is the base plus the evolving term (growth 6 %).
    let c = Constants::default();
    let b = buffer(&inputs(Some(0.06), None, 99.0), &c);
    assert!(180.0 * (1.0 + b.total) > 243.0, "the case must carry noise");
    let s = size(&demand(180_000.0, 176.0 * 1024.0), &b, &c);
    // cores = 243 + 1; RAM = (176 + 4) x 1.35 = 243 exactly.
    assert_eq!((s.cores, s.ram_gib), (244, 243));
}

#[test]
fn size_of_no_demand_and_bad_input() {
    // No demand: only Connect: 1 core, ceil(4 x 1.2) = ceil(4.8) = 5 GiB.
    let c = Constants::default();
    let s = size(&demand(0.0, 0.0), &buf(0.2), &c);
    assert_eq!((s.cores, s.ram_gib), (1, 5));
    let s = size(&demand(f64::NAN, -5.0), &buf(0.2), &c);
    assert_eq!((s.cores, s.ram_gib), (1, 5));
    let s = size(&demand(f64::INFINITY, 1e300), &buf(0.2), &c);
    assert_eq!(s.cores, 1);
    assert_eq!(s.ram_gib, u64::MAX);
}

#[test]
fn node_shape_edges() {
    let shape = |c, r| {
        let n = node_shape(c, r);
        (n.cores, n.ram_gib)
    };
    assert_eq!(shape(0, 0), (2, 4));
    assert_eq!(shape(1, 1), (2, 4));
    assert_eq!(shape(2, 4), (2, 4));
    assert_eq!(shape(3, 5), (4, 8));
    assert_eq!(shape(33, 8), (48, 8));
    assert_eq!(shape(49, 9), (64, 12));
    assert_eq!(shape(97, 12), (128, 12));
    assert_eq!(shape(128, 13), (128, 16));
    // Above 128: the next multiple of 64.
    assert_eq!(shape(129, 100), (192, 100));
    assert_eq!(shape(192, 100), (192, 100));
    assert_eq!(shape(193, 101), (256, 104));
    assert_eq!(shape(u64::MAX, u64::MAX).0, u64::MAX);
}

#[test]
fn static_modes_hold_no_processes() {
    for m in ["static", "rmd-static", "quarto-static", "jupyter-static"] {
        assert!(!holds_processes(Some(m)), "{m}");
        assert_eq!(default_resource(Some(m)), RENDER);
    }
    for m in [
        Some("shiny"),
        Some("api"),
        Some("unknown"),
        Some("node"),
        None,
    ] {
        assert!(holds_processes(m), "{m:?}");
    }
}

#[test]
fn default_table() {
    for m in [
        "api",
        "python-api",
        "python-fastapi",
        "tensorflow-saved-model",
    ] {
        assert!(is_api(Some(m)));
        assert_eq!(
            (
                default_resource(Some(m)).millicores,
                default_resource(Some(m)).mib
            ),
            (1000, 512)
        );
    }
    for m in [
        Some("shiny"),
        Some("python-streamlit"),
        Some("unknown"),
        Some("weird"),
        None,
    ] {
        assert!(!is_api(m));
        assert_eq!(default_resource(m), APP);
        assert_eq!((APP.millicores, APP.mib), (1000, 1024));
    }
    assert_eq!((RENDER.millicores, RENDER.mib), (1000, 2048));
}

#[test]
fn resource_precedence_per_field() {
    use ResourceSource::*;
    let r = resource(Some("shiny"), &[]);
    assert_eq!(
        (r.millicores, r.mib, r.cpu_source, r.memory_source),
        (1000, 1024, Default, Default)
    );
    // Export limits: 0.5 cores -> 500 millicores; 2 147 483 648 bytes = 2 GiB = 2048 MiB.
    let r = res(Some("shiny"), None, Some(0.5), Some(2.0));
    assert_eq!(
        (r.millicores, r.mib, r.cpu_source, r.memory_source),
        (500, 2048, Limit, Limit)
    );
    // Config beats the export, field by field: config sets only the CPU.
    let r = res(
        Some("api"),
        Some((Some(2.0), None)),
        Some(0.5),
        Some(1.0 / 1024.0),
    );
    assert_eq!(
        (r.millicores, r.mib, r.cpu_source, r.memory_source),
        (2000, 1, Config, Limit)
    );
    let r = res(Some("api"), Some((None, Some(3000.0 / 1024.0))), None, None);
    assert_eq!(
        (r.millicores, r.mib, r.cpu_source, r.memory_source),
        (1000, 3000, Default, Config)
    );
    // A partial MiB rounds up: 1 byte -> 1 MiB.
    assert_eq!(
        res(None, None, None, Some(1.0 / f64::from(1u32 << 30))).mib,
        1
    );
    // Zero, negative and non-finite values are ignored.
    for cpu in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(res(Some("api"), None, Some(cpu), None).cpu_source, Default);
    }
    for mem in [0.0, -5.0] {
        assert_eq!(res(Some("api"), None, None, Some(mem)).mib, 512);
    }
    assert_eq!(
        res(Some("api"), Some((Some(0.0), Some(0.0))), None, None),
        API
    );
    // A tiny positive limit still gives at least one millicore.
    assert_eq!(res(None, None, Some(0.0001), None).millicores, 1);
}

/// `resource` with an item config `(cpu_cores, memory_gib)` over export limits.
fn res(
    mode: Option<&str>,
    cfg: Option<(Option<f64>, Option<f64>)>,
    cpu_limit: Option<f64>,
    memory_gib: Option<f64>,
) -> Resource {
    let (c, m) = cfg.unwrap_or_default();
    let config = ProcessSettings {
        cpu_cores: c,
        memory_gib: m,
        ..Default::default()
    };
    let export = ProcessSettings {
        cpu_cores: cpu_limit,
        memory_gib,
        ..Default::default()
    };
    resource(
        mode,
        &[
            (ResourceSource::Config, &config),
            (ResourceSource::Limit, &export),
        ],
    )
}

#[test]
fn resource_source_json_spelling() {
    for s in [
        ResourceSource::Config,
        ResourceSource::Measured,
        ResourceSource::Limit,
        ResourceSource::ModeMedian,
        ResourceSource::Default,
    ] {
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
    }
}

proptest! {
    /// Integer oracle: with whole millicores, whole MiB and a buffer in basis points,
    /// cores = ceil(m x (10000 + bp) / 10^7) + 1 and RAM = ceil((MiB + 4096) x (10000 + bp)
    /// / (1024 x 10^4)), computed exactly in integers.
    #[test]
    fn size_matches_integer_oracle(m in 0u64..5_000_000, mib in 0u64..5_000_000, bp in 0u64..20_000) {
        let c = Constants::default();
        let s = size(&demand(m as f64, mib as f64), &buf(bp as f64 / 10_000.0), &c);
        let cores = (m * (10_000 + bp)).div_ceil(10_000_000) + 1;
        let ram = ((mib + 4096) * (10_000 + bp)).div_ceil(1024 * 10_000);
        prop_assert_eq!((s.cores, s.ram_gib), (cores, ram));
    }

    #[test]
    fn size_monotonic_in_demand_and_buffer(
        m1 in 0.0f64..1e7, dm in 0.0f64..1e6,
        g1 in 0.0f64..1e7, dg in 0.0f64..1e6,
        b1 in 0.0f64..1.0, db in 0.0f64..1.0,
    ) {
        let c = Constants::default();
        let lo = size(&demand(m1, g1), &buf(b1), &c);
        let more_demand = size(&demand(m1 + dm, g1 + dg), &buf(b1), &c);
        let more_buffer = size(&demand(m1, g1), &buf(b1 + db), &c);
        for hi in [&more_demand, &more_buffer] {
            prop_assert!(hi.cores >= lo.cores);
            prop_assert!(hi.ram_gib >= lo.ram_gib);
            prop_assert!(hi.node.cores >= lo.node.cores);
            prop_assert!(hi.node.ram_gib >= lo.node.ram_gib);
        }
    }

    /// The node shape is the smallest allowed value at or above the input.
    #[test]
    fn node_shape_is_smallest_allowed(cores in 0u64..1000, ram in 0u64..5000) {
        let allowed = |c: u64| CORE_SHAPES.contains(&c) || (c > 128 && c % 64 == 0);
        let n = node_shape(cores, ram);
        let oracle = (cores.max(1)..).find(|&c| allowed(c)).unwrap();
        prop_assert_eq!(n.cores, oracle);
        let ram_oracle = (ram.max(1)..).find(|r| r % 4 == 0).unwrap();
        prop_assert_eq!(n.ram_gib, ram_oracle);
    }
}

/// docs/sizing.md 2.2: each field takes the first source that sets it, in the order
/// config > measured > limit > mode-median > server config > default.
#[test]
fn measured_figures_take_their_place_in_the_precedence() {
    use ResourceSource as S;
    let f = |cores: Option<f64>, gib: Option<f64>| Figures {
        cores,
        bytes: gib.map(|g| g * 1024.0 * MIB),
    };
    let layers = |cfg, measured, limit, median, server| {
        [
            (S::Config, cfg),
            (S::Measured, measured),
            (S::Limit, limit),
            (S::ModeMedian, median),
            (S::Config, server),
        ]
    };
    let none = Figures::default();
    let pick = |l: &[(ResourceSource, Figures)]| {
        let r = resolve(Some("shiny"), l);
        (r.cpu_source, r.memory_source, r.millicores, r.mib)
    };
    // Config CPU, measured memory (2.5 GiB = 2560 MiB).
    let all = layers(
        f(Some(3.0), None),
        f(Some(1.5), Some(2.5)),
        f(Some(2.0), Some(1.0)),
        f(Some(0.7), Some(0.7)),
        f(Some(0.2), Some(0.2)),
    );
    assert_eq!(pick(&all), (S::Config, S::Measured, 3000, 2560));
    // Measured memory only: the limit gives the CPU.
    let l = layers(
        none,
        f(None, Some(2.5)),
        f(Some(2.0), Some(1.0)),
        none,
        none,
    );
    assert_eq!(pick(&l), (S::Limit, S::Measured, 2000, 2560));
    // No measurement, no limit: the mode median, then the server-wide config.
    let l = layers(none, none, none, f(None, Some(0.5)), f(Some(0.2), None));
    assert_eq!(pick(&l), (S::Config, S::ModeMedian, 200, 512));
    let l = layers(none, none, none, none, none);
    assert_eq!(pick(&l), (S::Default, S::Default, 1000, 1024));
    // Rounding up: 0.2501 cores -> 251 millicores; one byte over 1 GiB -> 1025 MiB, while
    // the figures before rounding are kept.
    let r = resolve(
        None,
        &[(
            S::Measured,
            Figures {
                cores: Some(0.2501),
                bytes: Some(1024.0 * MIB + 1.0),
            },
        )],
    );
    assert_eq!((r.millicores, r.mib, r.cpu), (251, 1025, 0.2501));
    assert_eq!(r.memory_bytes, 1024.0 * MIB + 1.0);
}
