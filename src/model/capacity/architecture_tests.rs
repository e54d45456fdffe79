//! Architecture decision tests: one fixture per rule of docs/sizing.md section 5 that triggers
//! exactly that rule, the spec's need-1.4 / uptime-99.95 example, the outgrow month, pros
//! and cons, and the settings to review. Expected values are worked out in the comments.

use approx::assert_relative_eq;
use proptest::prelude::*;

use super::super::sizing::{resource, ResourceSource, APP, RENDER};
use super::*;
use crate::settings::ProcessSettings;

/// A size with only the fields the decision reads filled in meaningfully.
fn sz(cores: u64, ram_gib: u64) -> Size {
    Size {
        cores,
        ram_gib,
        buffer: 0.2,
        design_processes: 0.0,
        design_active_processes: 0.0,
        node: node_shape(cores, ram_gib),
        active_cores: 0.0,
        alive_gib: 0.0,
        cpu_cores_raw: 0.0,
        ram_gib_raw: 0.0,
    }
}

fn content(guid: &str, peak: u32, resource: Resource) -> ContentDemand {
    ContentDemand {
        peak_sessions: 0,
        nodes: 1,
        guid: guid.into(),
        title: None,
        app_mode: Some("shiny".into()),
        peak_processes: peak,
        resource,
        min_processes: 0,
        max_processes: 3,
        max_conns: 20,
        rejected: 0,
        warm_idle_fraction: None,
        memory_bytes_max: None,
    }
}

/// Runs the decision on a fixture.
struct Fixture {
    size: Size,
    limits: Limits,
    constants: Constants,
    content: Vec<ContentDemand>,
    growth: Option<f64>,
    r: Vec<String>,
    py: Vec<String>,
}

impl Fixture {
    /// 13 cores and 53 GiB (the sizing worked example), one small app, default limits.
    fn new() -> Fixture {
        Fixture {
            size: sz(13, 53),
            limits: Limits::default(),
            constants: Constants::default(),
            content: vec![content("small", 4, APP)],
            growth: None,
            r: vec![],
            py: vec![],
        }
    }
    fn input(&self) -> DecisionInput<'_> {
        DecisionInput {
            size: &self.size,
            limits: &self.limits,
            constants: &self.constants,
            content: &self.content,
            size_growth_per_month: None,
            growth_rate_per_month: self.growth,
            r_versions: &self.r,
            py_versions: &self.py,
        }
    }
    fn decide(&self) -> Recommendation {
        decide(&self.input())
    }
}

fn node(cores: u64, ram_gib: u64) -> Node {
    Node { cores, ram_gib }
}

#[test]
fn otherwise_single_server() {
    // 13 cores / 53 GiB fit 64 / 512, uptime 99 < 99.9, the app peaks at 4 cores < 32:
    // rule 3, one node of shape 16 cores, 56 GiB.
    let r = Fixture::new().decide();
    assert_eq!(r.architecture, Architecture::SingleServer);
    assert_eq!((r.nodes, r.spare_nodes, r.node), (1, 0, node(16, 56)));
    assert_eq!(
        r.reasons[0],
        "uptime target 99 % < 99.9 %: no node needs to be able to fail"
    );
    assert_eq!(
        r.reasons[1],
        "the needed 13 cores and 53 GiB fit a max node of 64 cores and 512 GiB"
    );
    assert!(r.reasons[2].contains("the largest, small, peaks at 4 cores and 4 GiB"));
    assert!(r.needs[0].contains("SQLite"));
    assert!(r
        .storage_and_database
        .starts_with("Not estimated (local disk and SQLite"));
    assert_eq!(r.outgrows_max_node_in_months, None);
}

#[test]
fn containers_rule() {
    // Everything else as in the single-server fixture: only --containers triggers.
    let mut f = Fixture::new();
    f.limits.containers = true;
    let r = f.decide();
    assert_eq!(r.architecture, Architecture::Kubernetes);
    assert_eq!(
        r.reasons,
        vec!["the organisation requires container deployment (--containers)"]
    );
    // Worker capacity as one node, since the cluster rule does not apply.
    assert_eq!((r.nodes, r.node), (1, node(16, 56)));
    assert!(r.needs[0].contains("Helm chart"));
}

#[test]
fn content_at_half_a_max_node_by_cores() {
    // 32 processes x 1 core = 32 cores = 64 / 2: rule 1. Memory 32 GiB is far below 256.
    // The size (40 cores, 60 GiB) fits a max node, uptime is 99: no other rule applies.
    let mut f = Fixture::new();
    f.size = sz(40, 60);
    f.content.push(content("big", 32, APP));
    let r = f.decide();
    assert_eq!(r.architecture, Architecture::Kubernetes);
    assert_eq!(
        r.reasons,
        vec!["big alone needs 32 cores at its peak (32 processes x 1 core), >= 50 % of a 64-core max node"]
    );
    // One process less (31 cores) stays below half: single server.
    f.content[1].peak_processes = 31;
    assert_eq!(f.decide().architecture, Architecture::SingleServer);
}

#[test]
fn content_at_half_a_max_node_by_ram() {
    // 128 processes x 2 GiB = 256 GiB = 512 / 2: rule 1 by memory. At 0.1 core per process
    // (config override) its CPU is 12.8 cores, below 32; the size 20 cores / 320 GiB fits.
    let mut f = Fixture::new();
    f.size = sz(20, 320);
    let cfg = ProcessSettings {
        cpu_cores: Some(0.1),
        memory_gib: Some(2.0),
        ..Default::default()
    };
    let big_resource = resource(Some("shiny"), &[(ResourceSource::Config, &cfg)]);
    let mut big = content("big", 128, big_resource);
    big.title = Some("Big data".into());
    f.content.push(big);
    let r = f.decide();
    assert_eq!(r.architecture, Architecture::Kubernetes);
    assert_eq!(
        r.reasons,
        vec!["'Big data' (big) alone needs 256 GiB at its peak (128 processes x 2 GiB), >= 50 % of a 512 GiB max node"]
    );
    f.content[1].peak_processes = 127;
    assert_eq!(f.decide().architecture, Architecture::SingleServer);
}

#[test]
fn uptime_rule() {
    // Uptime 99.9: rule 2. need = max(13/64, 53/512) = 0.2 -> max(2, 1) = 2 carrying nodes
    // + 1 spare = 3, each ceil(13/2) = 7 cores -> 8, ceil(53/2) = 27 GiB -> 28.
    let mut f = Fixture::new();
    f.limits.uptime = 99.9;
    let r = f.decide();
    assert_eq!(r.architecture, Architecture::Cluster);
    assert_eq!((r.nodes, r.spare_nodes, r.node), (3, 1, node(8, 28)));
    assert_eq!(r.reasons.len(), 2);
    assert!(r.reasons[0].starts_with("uptime target 99.9 % >= 99.9 %"));
    assert_eq!(
        r.reasons[1],
        "need = max(13 / 64 cores, 53 / 512 GiB) = 0.2; nodes = max(2, ceil(need)) + 1 spare = 3, each sized ceil(13 / 2) = 7 cores and ceil(53 / 2) = 27 GiB"
    );
    assert!(r.needs.iter().any(|n| n.contains("sticky sessions")));
    assert!(r.needs[0].starts_with("3 Connect nodes"));
    // 99.89 is below the target.
    f.limits.uptime = 99.89;
    assert_eq!(f.decide().architecture, Architecture::SingleServer);
}

#[test]
fn size_over_a_max_node() {
    // 70 cores > 64: rule 2 at uptime 99. need = 70/64 = 1.09 -> 2 nodes, no spare, each
    // ceil(70/2) = 35 cores -> 48 and ceil(100/2) = 50 GiB -> 52.
    let mut f = Fixture::new();
    f.size = sz(70, 100);
    let r = f.decide();
    assert_eq!(r.architecture, Architecture::Cluster);
    assert_eq!((r.nodes, r.spare_nodes, r.node), (2, 0, node(48, 52)));
    assert_eq!(
        r.reasons[0],
        "the needed 70 cores and 100 GiB exceed a max node of 64 cores and 512 GiB"
    );
    // 129 cores / 600 GiB: need = max(2.02, 1.17) -> 3 nodes of ceil(129/3) = 43 cores -> 48
    // and ceil(600/3) = 200 GiB (already a multiple of 4).
    f.size = sz(129, 600);
    let r = f.decide();
    assert_eq!((r.nodes, r.node), (3, node(48, 200)));
    // Over by RAM alone: 10 cores, 513 GiB -> 2 nodes of 5 -> 8 cores, 257 -> 260 GiB.
    f.size = sz(10, 513);
    let r = f.decide();
    assert_eq!(r.architecture, Architecture::Cluster);
    assert_eq!((r.nodes, r.node), (2, node(8, 260)));
}

#[test]
fn spec_example_need_1_4_uptime_99_95() {
    // Max node 10 cores: 14 cores gives need = 14/10 = 1.4 exactly (20/512 GiB is less).
    // nodes = max(2, ceil(1.4)) + 1 = 3, each ceil(14/2) = 7 cores and ceil(20/2) = 10 GiB,
    // so two nodes carry the load when one fails. Shapes: 7 -> 8 cores, 10 -> 12 GiB.
    let mut f = Fixture::new();
    f.size = sz(14, 20);
    f.limits.uptime = 99.95;
    f.limits.max_node_cores = 10;
    let r = f.decide();
    assert_eq!(r.architecture, Architecture::Cluster);
    assert_eq!((r.nodes, r.spare_nodes, r.node), (3, 1, node(8, 12)));
    assert!(r.reasons[2].contains("= 1.4; nodes = max(2, ceil(need)) + 1 spare = 3"));
    // Default max node, 90 cores / 300 GiB: need = 90/64 = 1.41 -> 3 nodes of 45 -> 48
    // cores and 150 -> 152 GiB.
    f.limits.max_node_cores = 64;
    f.size = sz(90, 300);
    let r = f.decide();
    assert_eq!((r.nodes, r.node), (3, node(48, 152)));
}

#[test]
fn node_shape_capped_at_max_node() {
    // Max node 40 cores: 39 needed cores would round to 48 but the node stays 40.
    let mut f = Fixture::new();
    f.size = sz(39, 50);
    f.limits.max_node_cores = 40;
    let r = f.decide();
    assert_eq!(r.architecture, Architecture::SingleServer);
    assert_eq!(r.node, node(40, 52));
}

#[test]
fn rule_order_kubernetes_first() {
    // Containers and uptime 99.95 together: rule 1 wins; the worker capacity is laid out
    // as the cluster rule would (3 nodes of 8 cores / 28 GiB).
    let mut f = Fixture::new();
    f.limits.containers = true;
    f.limits.uptime = 99.95;
    let r = f.decide();
    assert_eq!(r.architecture, Architecture::Kubernetes);
    assert_eq!((r.nodes, r.spare_nodes, r.node), (3, 1, node(8, 28)));
    assert!(r.reasons[1].starts_with("worker capacity laid out as for a cluster: need"));
}

#[test]
fn outgrow_month_closed_form() {
    let lim = Limits::default();
    // 16 cores, 64 GiB at 5 %/month: cores reach 64 at ln(4)/ln(1.05) = 28.41 months, RAM
    // reaches 512 at ln(8)/ln(1.05) = 42.62: cores first.
    let (m, which) = outgrow_month(16, 64, Some(0.05), &lim).unwrap();
    assert_relative_eq!(m, 28.4134, epsilon = 1e-4);
    assert_eq!(which, "cores");
    // 4 cores, 256 GiB at 10 %: cores ln(16)/ln(1.1) = 29.09, RAM ln(2)/ln(1.1) = 7.27.
    let (m, which) = outgrow_month(4, 256, Some(0.10), &lim).unwrap();
    assert_relative_eq!(m, 7.2725, epsilon = 1e-4);
    assert_eq!(which, "RAM");
    for r in [None, Some(0.0), Some(-0.02), Some(f64::NAN)] {
        assert_eq!(outgrow_month(16, 64, r, &lim), None);
    }
    // Already over a max node: no month.
    assert_eq!(outgrow_month(65, 64, Some(0.05), &lim), None);
    // In the recommendation, with the reason among the considerations.
    let mut f = Fixture::new();
    f.size = sz(16, 64);
    f.growth = Some(0.05);
    let r = f.decide();
    assert_relative_eq!(
        r.outgrows_max_node_in_months.unwrap(),
        28.4134,
        epsilon = 1e-4
    );
    assert!(r
        .considerations
        .iter()
        .any(|c| c.contains("5 %/month") && c.contains("in 28.41 months (cores first)")));
}

#[test]
fn considerations_list_runtime_versions() {
    let mut f = Fixture::new();
    f.r = vec!["4.3.1".into(), "4.3.2".into(), "4.2.0".into()];
    f.py = vec!["3.11.4".into(), "".into()];
    let r = f.decide();
    assert_eq!(r.architecture, Architecture::SingleServer, "not a trigger");
    assert!(r.considerations[0]
        .starts_with("runtime diversity: 2 R versions (4.2, 4.3) and 1 Python versions (3.11)"));
}

#[test]
fn pod_requests_skip_static_content() {
    let mut f = Fixture::new();
    let mut report = content("a-report", 0, RENDER);
    report.app_mode = Some("rmd-static".into());
    let limit = ProcessSettings {
        cpu_cores: Some(0.5),
        ..Default::default()
    };
    let api_resource = resource(Some("api"), &[(ResourceSource::Limit, &limit)]);
    let api = content("b-api", 1, api_resource);
    f.content = vec![api, report];
    let r = f.decide();
    assert_eq!(r.kubernetes_requests.len(), 1);
    let p = &r.kubernetes_requests[0];
    assert_eq!(
        (p.guid.as_str(), p.cpu_millicores, p.memory_mib),
        ("b-api", 500, 512)
    );
    assert_eq!(
        (p.cpu_source, p.memory_source),
        (ResourceSource::Limit, ResourceSource::Default)
    );
    // No samples: the memory limit is the request; never a CPU limit.
    assert_eq!((p.memory_limit_mib, p.cpu_limit_millicores), (512, None));
    // A sampled process reached 700 MiB and 1 byte: the limit rounds it up to 701 MiB.
    f.content[0].memory_bytes_max = Some(700 * 1024 * 1024 + 1);
    let r = f.decide();
    assert_eq!(r.kubernetes_requests[0].memory_limit_mib, 701);
    // Below the request, the request is the limit.
    f.content[0].memory_bytes_max = Some(100);
    assert_eq!(f.decide().kubernetes_requests[0].memory_limit_mib, 512);
}

#[test]
fn pros_cons_tied_to_numbers() {
    // Uptime 99.95 on the 13-core fixture: cluster recommended (3 nodes of 8 / 28).
    let mut f = Fixture::new();
    f.limits.uptime = 99.95;
    let rec = f.decide();
    let t = pros_cons(&f.input(), &rec);
    let archs: Vec<_> = t.iter().map(|o| o.architecture).collect();
    assert_eq!(
        archs,
        [
            Architecture::SingleServer,
            Architecture::Cluster,
            Architecture::Kubernetes
        ]
    );
    assert!(t[0].pros[0].contains("one server of 13 cores and 53 GiB"));
    assert!(t[0].cons[0].contains("uptime target of 99.95 %"));
    assert_eq!(
        t[0].fits,
        "does not meet the requirements: uptime 99.95 % needs a node that can fail"
    );
    assert!(t[1].pros[0].contains("3 nodes of 8 cores and 28 GiB"));
    assert!(t[1].pros[1].contains("the other 2 carry the peak"));
    assert_eq!(t[1].fits, "recommended");
    assert!(t[2].cons[1].starts_with("13 cores and 53 GiB"));
    assert!(t[2].fits.starts_with("viable, but the most complex"));
    // Containers required: only Kubernetes meets it.
    f.limits.containers = true;
    let rec = f.decide();
    let t = pros_cons(&f.input(), &rec);
    assert!(t[0].fits.contains("container deployment is required"));
    assert!(t[1].fits.contains("container deployment is required"));
    assert_eq!(t[2].fits, "recommended");
}

#[test]
fn settings_to_review_lines() {
    let c = Constants::default();
    let mut rejected = content("b-busy", 3, APP);
    rejected.rejected = 12;
    rejected.title = Some("Busy".into());
    let mut warm = content("a-warm", 2, APP);
    warm.min_processes = 2;
    warm.warm_idle_fraction = Some(0.8);
    let mut half = content("c-half", 1, APP);
    half.min_processes = 1;
    half.warm_idle_fraction = Some(0.5); // exactly half is not "most of the time"
    let mut stat = content("d-static", 0, RENDER);
    stat.app_mode = Some("quarto-static".into());
    stat.rejected = 3;
    let all = vec![rejected, warm, half, stat];
    let lines = settings_to_review(&all, &c);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].guid, "a-warm");
    assert_eq!(lines[0].setting, "min_processes");
    // 2 warm processes x 1 GiB = 2 GiB; idle 80 % > 50 %.
    assert_eq!(
        lines[0].because,
        "its 2 warm processes hold 2 GiB and sat with no connection 80 % of the window (> 50 %)"
    );
    assert_eq!(lines[1].title.as_deref(), Some("Busy"));
    assert_eq!(
        lines[1].suggestion,
        "raise max_processes (now 3) or max_conns_per_process (now 20)"
    );
    // 3 x 20 = 60 connections at once.
    assert_eq!(
        lines[1].because,
        "12 sessions rejected: at most 3 x 20 = 60 connections at once"
    );
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(settings_to_review(&reversed, &c), lines);
}

#[test]
fn limits_and_architecture_serde() {
    let l: Limits = serde_json::from_str(r#"{"uptime": 99.95}"#).unwrap();
    assert_eq!(
        (l.uptime, l.max_node_cores, l.max_node_ram_gib),
        (99.95, 64, 512)
    );
    assert!(serde_json::from_str::<Limits>(r#"{"uptim": 1}"#).is_err());
    assert_eq!(
        serde_json::to_value(Architecture::SingleServer).unwrap(),
        "single-server"
    );
    assert_eq!(
        serde_json::to_value(Architecture::Kubernetes).unwrap(),
        "kubernetes"
    );
    assert_eq!(
        serde_json::to_value(Architecture::Cluster).unwrap(),
        "cluster"
    );
}

#[test]
fn zero_max_node_does_not_panic() {
    let mut f = Fixture::new();
    f.limits.max_node_cores = 0;
    f.limits.max_node_ram_gib = 0;
    let r = f.decide();
    // Read as a 1-core, 1-GiB max node: the 4-core app is over half of it.
    assert_eq!(r.architecture, Architecture::Kubernetes);
    assert_eq!(r.nodes, 53);
}

proptest! {
    /// Cluster layout: the carrying nodes hold the whole size, no node exceeds a max node,
    /// and there are at least two carrying nodes; the decision never depends on order.
    #[test]
    fn cluster_nodes_carry_the_size(
        cores in 1u64..2000, ram in 1u64..20000,
        mc in 1u64..200, mr in 1u64..2000, uptime in 98.0f64..100.0,
    ) {
        let mut f = Fixture::new();
        f.size = sz(cores, ram);
        f.limits = Limits { uptime, containers: false, max_node_cores: mc, max_node_ram_gib: mr };
        f.content = vec![];
        let r = f.decide();
        if r.architecture == Architecture::Cluster {
            let carrying = u64::from(r.nodes - r.spare_nodes);
            prop_assert!(carrying >= 2);
            prop_assert!(r.node.cores * carrying >= cores);
            prop_assert!(r.node.ram_gib * carrying >= ram);
            prop_assert!(r.node.cores <= mc && r.node.ram_gib <= mr);
        } else {
            prop_assert_eq!(r.architecture, Architecture::SingleServer);
            prop_assert!(cores <= mc && ram <= mr && uptime < 99.9);
        }
    }
}
