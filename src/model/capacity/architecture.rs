//! Architecture decision (docs/sizing.md section 5): single server, load-balanced cluster or
//! Kubernetes off-host execution, from a [`Size`], the organisation's limits and per-content
//! demand; what each option needs, a pros-and-cons comparison tied to this team's numbers,
//! and the scheduler settings worth reviewing. Pure: plain numbers in, text and numbers out.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::sizing::{holds_processes, node_shape, Constants, Node, Resource, ResourceSource, Size};
use crate::format::{
    cores, count, counted, gib, gib_of_mib, percent_points, percent_short, plural, short,
};

/// The three deployment options of the scaling chapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// One Connect server, scaled vertically.
    SingleServer,
    /// A load-balanced cluster of Connect nodes.
    Cluster,
    /// Connect with off-host execution of content in Kubernetes pods.
    Kubernetes,
}

/// The organisation's requirements beyond the data (`--uptime`, `--containers`,
/// `--max-node-cores`, `--max-node-ram`). A max node of 0 is treated as 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Availability target in %.
    pub uptime: f64,
    /// True when the organisation requires container deployment.
    pub containers: bool,
    /// Cores of the largest node the organisation will run.
    pub max_node_cores: u64,
    /// RAM in GiB of the largest node the organisation will run.
    pub max_node_ram_gib: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            uptime: 99.0,
            containers: false,
            max_node_cores: 64,
            max_node_ram_gib: 512,
        }
    }
}

/// What one content item asks of the server, as the caller measured or modelled it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentDemand {
    /// Content GUID.
    pub guid: String,
    /// Content title, when known.
    pub title: Option<String>,
    /// `app_mode`, when known.
    pub app_mode: Option<String>,
    /// Peak alive processes of this content alone.
    pub peak_processes: u32,
    /// CPU and memory per process (docs/sizing.md section 2).
    pub resource: Resource,
    /// `min_processes` in effect.
    pub min_processes: u32,
    /// `max_processes` in effect.
    pub max_processes: u32,
    /// `max_conns_per_process` in effect.
    pub max_conns: u32,
    /// Sessions the scheduler model rejected.
    pub rejected: u64,
    /// Share of the window (0..1) its warm (`min_processes`) processes sat with no
    /// connection; `None` without warm processes.
    pub warm_idle_fraction: Option<f64>,
    /// Peak concurrent sessions the data records for it.
    pub peak_sessions: u32,
    /// Nodes the per-node limits above apply to (`--nodes`).
    pub nodes: u32,
    /// The largest memory a sampled process reached, bytes; `None` without samples.
    pub memory_bytes_max: Option<u64>,
}

/// Everything the decision reads.
#[derive(Debug, Clone)]
pub struct DecisionInput<'a> {
    /// The scenario's needed size.
    pub size: &'a Size,
    /// The organisation's limits.
    pub limits: &'a Limits,
    /// Thresholds (high uptime, content share of a max node).
    pub constants: &'a Constants,
    /// Per-content demand of the scenario.
    pub content: &'a [ContentDemand],
    /// Fitted growth per month; `None` without a fit.
    pub growth_rate_per_month: Option<f64>,
    /// Monthly growth of the needed cores and RAM as replayed (now to the projection);
    /// when given, it times the outgrowing of a max node instead of the fitted rate.
    pub size_growth_per_month: Option<(f64, f64)>,
    /// R versions of content active in the window (any precision; reduced to major.minor).
    pub r_versions: &'a [String],
    /// Python versions of content active in the window (reduced to major.minor).
    pub py_versions: &'a [String],
}

/// Suggested Kubernetes pod resources for one content item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodResources {
    /// Content GUID.
    pub guid: String,
    /// Content title, when known.
    pub title: Option<String>,
    /// CPU request in millicores: the figure sizing uses.
    pub cpu_millicores: u64,
    /// Memory request in MiB: the figure sizing uses.
    pub memory_mib: u64,
    /// Memory limit in MiB: the largest memory a sampled process reached, rounded up to a
    /// MiB, or the request when larger (or without samples).
    pub memory_limit_mib: u64,
    /// Always `None`: a CPU limit throttles a process that needs a burst.
    pub cpu_limit_millicores: Option<u64>,
    /// Where the CPU request came from (`config`, `measured`, `limit`, `mode-median`,
    /// `default`).
    pub cpu_source: ResourceSource,
    /// Where the memory request came from.
    pub memory_source: ResourceSource,
}

/// The recommended architecture and how to lay it out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// The option chosen by the first rule that applies.
    pub architecture: Architecture,
    /// Why, each citing the number that triggered it.
    pub reasons: Vec<String>,
    /// Nodes to run (Kubernetes: worker capacity for content pods and Connect).
    pub nodes: u32,
    /// Of `nodes`, how many are spare so that one node can fail (0 or 1).
    pub spare_nodes: u32,
    /// Shape of each node.
    pub node: Node,
    /// What the architecture needs to run.
    pub needs: Vec<String>,
    /// Points to weigh that do not change the decision.
    pub considerations: Vec<String>,
    /// Months until the needed size, growing at the fitted rate, exceeds a max node (cores
    /// or RAM, whichever first); `None` without positive growth or when it already does.
    pub outgrows_max_node_in_months: Option<f64>,
    /// Suggested pod requests/limits per content that holds processes, by GUID.
    pub kubernetes_requests: Vec<PodResources>,
    /// Storage and database sizing are not estimated: what is needed and what would be.
    pub storage_and_database: String,
    /// Set when the data cannot support a size yet (a short window, or too few sessions
    /// and measured interactive jobs; docs/sizing.md section 3): says why and what to export.
    /// The same text is the first reason.
    pub insufficient_data: Option<String>,
}

/// How nodes are laid out: carrying nodes each take an equal share, plus a spare.
#[derive(Debug, Clone, Copy)]
struct Layout {
    carrying: u64,
    spare: u64,
    node_cores: u64,
    node_ram: u64,
}

/// Max node with 0 read as 1, so nothing divides by zero.
fn max_node(l: &Limits) -> (u64, u64) {
    (l.max_node_cores.max(1), l.max_node_ram_gib.max(1))
}

fn high_uptime(inp: &DecisionInput) -> bool {
    inp.limits.uptime >= inp.constants.high_uptime
}

fn exceeds_max_node(inp: &DecisionInput) -> bool {
    let (mc, mr) = max_node(inp.limits);
    inp.size.cores > mc || inp.size.ram_gib > mr
}

/// Rule 2's arithmetic: nodes = max(2, ceil(need)) carrying nodes, plus one spare at high
/// uptime, each sized ceil(needed / carrying). ceil(need) is computed in integers.
fn cluster_layout(inp: &DecisionInput) -> Layout {
    let (mc, mr) = max_node(inp.limits);
    let carrying = inp
        .size
        .cores
        .div_ceil(mc)
        .max(inp.size.ram_gib.div_ceil(mr))
        .max(2);
    Layout {
        carrying,
        spare: u64::from(high_uptime(inp)),
        node_cores: inp.size.cores.div_ceil(carrying),
        node_ram: inp.size.ram_gib.div_ceil(carrying),
    }
}

/// One node carrying everything (no spare).
fn single_layout(inp: &DecisionInput) -> Layout {
    Layout {
        carrying: 1,
        spare: 0,
        node_cores: inp.size.cores,
        node_ram: inp.size.ram_gib,
    }
}

/// The node shape, not rounded past the max node when the raw figure fits it.
fn fit_shape(cores: u64, ram: u64, l: &Limits) -> Node {
    let (mc, mr) = max_node(l);
    let s = node_shape(cores, ram);
    Node {
        cores: s.cores.min(mc).max(cores),
        ram_gib: s.ram_gib.min(mr).max(ram),
    }
}

fn to_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `'Title' (guid)`, or the GUID alone.
fn label(guid: &str, title: Option<&str>) -> String {
    match title {
        Some(t) if !t.is_empty() => format!("'{t}' ({guid})"),
        _ => guid.to_string(),
    }
}

/// `26 cores and 38 GiB`.
fn cores_and_ram(c: u64, ram_gib: u64) -> String {
    format!("{} and {}", cores(c as f64), gib(ram_gib as f64))
}

/// Content sorted by GUID, so text never depends on input order.
fn sorted(content: &[ContentDemand]) -> Vec<&ContentDemand> {
    let mut v: Vec<&ContentDemand> = content.iter().collect();
    v.sort_by(|a, b| {
        a.guid
            .cmp(&b.guid)
            .then(a.peak_processes.cmp(&b.peak_processes))
    });
    v
}

/// Rule 1's content trigger: one item's peak processes x cpu (or x memory) reaches the
/// configured share (default half) of a max node.
fn heavy_content_reasons(inp: &DecisionInput) -> Vec<String> {
    let (mc, mr) = max_node(inp.limits);
    let share = inp.constants.content_share_of_max_node;
    let pct = percent_short(share);
    let mut out = Vec::new();
    for c in sorted(inp.content) {
        let p = f64::from(c.peak_processes);
        let need = p * c.resource.millicores as f64 / 1000.0;
        let mib = p * c.resource.mib as f64;
        let who = label(&c.guid, c.title.as_deref());
        if need >= share * mc as f64 {
            out.push(format!(
                "{who} alone needs {} at its peak ({} processes x {}), >= {pct} of a {}-core max node",
                cores(need),
                count(c.peak_processes),
                cores(c.resource.millicores as f64 / 1000.0),
                count(mc)
            ));
        }
        if mib >= share * mr as f64 * 1024.0 {
            out.push(format!(
                "{who} alone needs {} at its peak ({} processes x {}), >= {pct} of a {} max node",
                gib_of_mib(mib),
                count(c.peak_processes),
                gib_of_mib(c.resource.mib as f64),
                gib(mr as f64)
            ));
        }
    }
    out
}

/// Months m at which size x (1 + r)^m reaches a max node, in closed form
/// m = ln(max / size) / ln(1 + r), the earlier of cores and RAM, with which one it is.
pub fn outgrow_month(
    cores: u64,
    ram_gib: u64,
    rate_per_month: Option<f64>,
    limits: &Limits,
) -> Option<(f64, &'static str)> {
    let r = rate_per_month.filter(|r| r.is_finite() && *r > 0.0)?;
    let (mc, mr) = max_node(limits);
    if cores > mc || ram_gib > mr {
        return None;
    }
    let month =
        |have: u64, max: u64| (have > 0).then(|| (max as f64 / have as f64).ln() / r.ln_1p());
    match (month(cores, mc), month(ram_gib, mr)) {
        (Some(c), Some(m)) if m < c => Some((m, "RAM")),
        (Some(c), _) => Some((c, "cores")),
        (None, Some(m)) => Some((m, "RAM")),
        (None, None) => None,
    }
}

/// As [`outgrow_month`], with separate monthly rates for cores and RAM.
pub fn outgrow_month_split(
    cores: u64,
    ram_gib: u64,
    (rate_cores, rate_ram): (f64, f64),
    limits: &Limits,
) -> Option<(f64, &'static str)> {
    let (mc, mr) = max_node(limits);
    if cores > mc || ram_gib > mr {
        return None;
    }
    let month = |have: u64, max: u64, r: f64| {
        (have > 0 && r.is_finite() && r > 0.0).then(|| (max as f64 / have as f64).ln() / r.ln_1p())
    };
    match (month(cores, mc, rate_cores), month(ram_gib, mr, rate_ram)) {
        (Some(c), Some(m)) if m < c => Some((m, "RAM")),
        (Some(c), _) => Some((c, "cores")),
        (None, Some(m)) => Some((m, "RAM")),
        (None, None) => None,
    }
}

/// Applies docs/sizing.md section 5's rules in order: Kubernetes (containers required, or one
/// content item at half a max node or more), then a cluster (high uptime, or the size
/// exceeds a max node), then a single server. A Kubernetes recommendation lays out its
/// worker capacity as the cluster rule would when that rule also applies, else as one node.
pub fn decide(inp: &DecisionInput) -> Recommendation {
    let mut k8s = heavy_content_reasons(inp);
    if inp.limits.containers {
        k8s.insert(
            0,
            "the organisation requires container deployment (--containers)".to_string(),
        );
    }
    let cluster_rule = high_uptime(inp) || exceeds_max_node(inp);
    let (architecture, mut reasons) = if !k8s.is_empty() {
        (Architecture::Kubernetes, k8s)
    } else if cluster_rule {
        (Architecture::Cluster, cluster_reasons(inp))
    } else {
        (Architecture::SingleServer, single_reasons(inp))
    };
    let layout = if cluster_rule {
        cluster_layout(inp)
    } else {
        single_layout(inp)
    };
    if architecture == Architecture::Kubernetes && cluster_rule {
        reasons.push(format!(
            "worker capacity laid out as for a cluster: {}",
            layout_text(inp, &layout)
        ));
    }
    let outgrow = match inp.size_growth_per_month {
        Some((c, r)) => outgrow_month_split(inp.size.cores, inp.size.ram_gib, (c, r), inp.limits),
        None => outgrow_month(
            inp.size.cores,
            inp.size.ram_gib,
            inp.growth_rate_per_month,
            inp.limits,
        ),
    };
    Recommendation {
        architecture,
        reasons,
        nodes: to_u32(layout.carrying.saturating_add(layout.spare)),
        spare_nodes: to_u32(layout.spare),
        node: fit_shape(layout.node_cores, layout.node_ram, inp.limits),
        needs: needs(architecture, &layout),
        considerations: considerations(inp, architecture, outgrow),
        outgrows_max_node_in_months: outgrow.map(|(m, _)| m),
        kubernetes_requests: pod_resources(inp.content),
        storage_and_database: storage_and_database(architecture),
        insufficient_data: None,
    }
}

fn layout_text(inp: &DecisionInput, l: &Layout) -> String {
    let (mc, mr) = max_node(inp.limits);
    let (c, r) = (inp.size.cores, inp.size.ram_gib);
    let need = (c as f64 / mc as f64).max(r as f64 / mr as f64);
    let spare = if l.spare > 0 { " + 1 spare" } else { "" };
    let (c, r, mc, mr) = (count(c), count(r), count(mc), count(mr));
    let n = count(l.carrying);
    format!(
        "need = max({c} / {mc} cores, {r} / {mr} GiB) = {}; nodes = max(2, ceil(need)){spare} = {}, each sized ceil({c} / {n}) = {} and ceil({r} / {n}) = {}",
        short(need, 2),
        count(l.carrying + l.spare),
        cores(l.node_cores as f64),
        gib(l.node_ram as f64)
    )
}

fn cluster_reasons(inp: &DecisionInput) -> Vec<String> {
    let (mc, mr) = max_node(inp.limits);
    let mut out = Vec::new();
    if high_uptime(inp) {
        out.push(format!(
            "uptime target {} >= {}: a node must be able to fail, so one spare node carries its share",
            percent_points(inp.limits.uptime),
            percent_points(inp.constants.high_uptime)
        ));
    }
    if exceeds_max_node(inp) {
        out.push(format!(
            "the needed {} exceed a max node of {}",
            cores_and_ram(inp.size.cores, inp.size.ram_gib),
            cores_and_ram(mc, mr)
        ));
    }
    out.push(layout_text(inp, &cluster_layout(inp)));
    out
}

fn single_reasons(inp: &DecisionInput) -> Vec<String> {
    let (mc, mr) = max_node(inp.limits);
    let mut out = vec![
        format!(
            "uptime target {} < {}: no node needs to be able to fail",
            percent_points(inp.limits.uptime),
            percent_points(inp.constants.high_uptime)
        ),
        format!(
            "the needed {} fit a max node of {}",
            cores_and_ram(inp.size.cores, inp.size.ram_gib),
            cores_and_ram(mc, mr)
        ),
    ];
    if let Some((who, need, mib)) = largest_content(inp.content) {
        out.push(format!(
            "no content item reaches {} of a max node; the largest, {who}, peaks at {} and {}",
            percent_short(inp.constants.content_share_of_max_node),
            cores(need),
            gib_of_mib(mib)
        ));
    }
    out
}

/// The content item with the most cores at its peak (ties: most memory, then GUID order).
fn largest_content(content: &[ContentDemand]) -> Option<(String, f64, f64)> {
    let demand = |c: &ContentDemand| {
        let p = u128::from(c.peak_processes);
        (
            p * u128::from(c.resource.millicores),
            p * u128::from(c.resource.mib),
        )
    };
    let best = sorted(content)
        .into_iter()
        .filter(|c| c.peak_processes > 0)
        .rev()
        .max_by_key(|c| demand(c))?;
    let (m, mib) = demand(best);
    Some((
        label(&best.guid, best.title.as_deref()),
        m as f64 / 1000.0,
        mib as f64,
    ))
}

fn needs(a: Architecture, l: &Layout) -> Vec<String> {
    let n = l.carrying + l.spare;
    let v: Vec<String> = match a {
        Architecture::SingleServer => vec![
            "nothing shared: local file storage and the default SQLite database are acceptable".into(),
            "the simplest to run: one server, resized as demand grows".into(),
        ],
        Architecture::Cluster => vec![
            format!("{} Connect nodes running the same Connect version", count(n)),
            "shared file storage (NFS) mounted on every node".into(),
            "a shared PostgreSQL database".into(),
            "a load balancer with sticky sessions".into(),
            "synced clocks on every node".into(),
            format!("process limits (min_processes, max_processes) apply per node: with {n} nodes each limit counts {n} times", n = count(n)),
        ],
        Architecture::Kubernetes => vec![
            "a Kubernetes cluster and the Posit-maintained Helm chart".into(),
            "shared file storage reachable by the Connect and content pods".into(),
            "a PostgreSQL database".into(),
            "base images curated by admins; publishers target one or Connect picks the best fit".into(),
            "content runs in pods with requests/limits, suggested per content from the per-process figures".into(),
        ],
    };
    v
}

/// Distinct major.minor versions, sorted.
fn major_minor(versions: &[String]) -> Vec<String> {
    let set: BTreeSet<String> = versions
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."))
        .collect();
    set.into_iter().collect()
}

fn considerations(
    inp: &DecisionInput,
    a: Architecture,
    outgrow: Option<(f64, &str)>,
) -> Vec<String> {
    let mut out = Vec::new();
    let (r, py) = (major_minor(inp.r_versions), major_minor(inp.py_versions));
    if !r.is_empty() || !py.is_empty() {
        out.push(format!(
            "runtime diversity: {} R versions ({}) and {} Python versions ({}) among active content; Kubernetes base images can carry each (a consideration, not a trigger)",
            count(r.len()),
            r.join(", "),
            count(py.len()),
            py.join(", ")
        ));
    }
    out.push("content that needs its own system libraries is not visible in the exports; if some does, Kubernetes lets it bring them in its own image".into());
    if a == Architecture::Cluster {
        out.push("every node runs its own Connect and operating system; the per-node share splits one copy's overhead, so add it per extra node if nodes will run close to full".into());
    }
    out.push(growth_text(inp, outgrow));
    out
}

fn growth_text(inp: &DecisionInput, outgrow: Option<(f64, &str)>) -> String {
    let (mc, mr) = max_node(inp.limits);
    if let (Some(g), Some((c, r))) = (inp.growth_rate_per_month, inp.size_growth_per_month) {
        let grows = format!(
            "sessions grow {}/month (fitted); replayed, the needed size grows {}/month in cores and {}/month in RAM",
            percent_short(g),
            percent_short(c),
            percent_short(r)
        );
        return match outgrow {
            Some((m, which)) => format!(
                "{grows}, reaching a max node ({}, {}) in {} months ({which} first)",
                cores(mc as f64),
                gib(mr as f64),
                short(m, 2)
            ),
            None if exceeds_max_node(inp) => format!("{grows}; it already exceeds a max node"),
            None => format!("{grows}: it is not growing toward a max node"),
        };
    }
    match (inp.growth_rate_per_month, outgrow) {
        (None, _) => "no growth fit: when the size would outgrow a max node is unknown".into(),
        (Some(g), Some((m, which))) => format!(
            "at the fitted growth of {}/month the needed size reaches a max node ({}, {}) in {} months ({which} first)",
            percent_short(g),
            cores(mc as f64),
            gib(mr as f64),
            short(m, 2)
        ),
        (Some(g), None) if exceeds_max_node(inp) => format!(
            "growth {}/month; the needed size already exceeds a max node",
            percent_short(g)
        ),
        (Some(g), None) => format!(
            "growth {}/month: the needed size is not growing toward a max node",
            percent_short(g)
        ),
    }
}

fn pod_resources(content: &[ContentDemand]) -> Vec<PodResources> {
    sorted(content)
        .into_iter()
        .filter(|c| holds_processes(c.app_mode.as_deref()))
        .map(|c| {
            let max_mib = c.memory_bytes_max.map_or(0, |b| b.div_ceil(1 << 20));
            PodResources {
                guid: c.guid.clone(),
                title: c.title.clone(),
                cpu_millicores: c.resource.millicores,
                memory_mib: c.resource.mib,
                memory_limit_mib: max_mib.max(c.resource.mib),
                cpu_limit_millicores: None,
                cpu_source: c.resource.cpu_source,
                memory_source: c.resource.memory_source,
            }
        })
        .collect()
}

/// One option of the side-by-side comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionAssessment {
    /// The option.
    pub architecture: Architecture,
    /// What speaks for it, for this team's numbers.
    pub pros: Vec<String>,
    /// What speaks against it, for this team's numbers.
    pub cons: Vec<String>,
    /// `recommended`, `viable, but ...` or `does not meet the requirements: ...`.
    pub fits: String,
}

/// Pros and cons of all three options (single server, cluster, Kubernetes, in that
/// order), each tied to the size, node layout, uptime target and content of `inp`, and
/// how each fits given the decision `rec`.
pub fn pros_cons(inp: &DecisionInput, rec: &Recommendation) -> Vec<OptionAssessment> {
    [
        Architecture::SingleServer,
        Architecture::Cluster,
        Architecture::Kubernetes,
    ]
    .into_iter()
    .map(|a| {
        let (pros, cons) = match a {
            Architecture::SingleServer => single_pros_cons(inp),
            Architecture::Cluster => cluster_pros_cons(inp),
            Architecture::Kubernetes => kubernetes_pros_cons(inp),
        };
        OptionAssessment {
            architecture: a,
            pros,
            cons,
            fits: fits(inp, rec, a),
        }
    })
    .collect()
}

fn single_pros_cons(inp: &DecisionInput) -> (Vec<String>, Vec<String>) {
    let (mc, mr) = max_node(inp.limits);
    let s = inp.size;
    let mut pros = vec![format!(
        "simplest to run: one server of {}, nothing shared, SQLite acceptable",
        cores_and_ram(s.cores, s.ram_gib)
    )];
    let mut cons = vec![format!(
        "no failover: an outage of the one server stops all content, against an uptime target of {}",
        percent_points(inp.limits.uptime)
    )];
    if exceeds_max_node(inp) {
        cons.push(format!(
            "the needed {} exceed a max node of {}",
            cores_and_ram(s.cores, s.ram_gib),
            cores_and_ram(mc, mr)
        ));
    } else {
        pros.push(format!(
            "grows by resizing: {} fit a max node of {}",
            cores_and_ram(s.cores, s.ram_gib),
            cores_and_ram(mc, mr)
        ));
    }
    if let Some((who, need, mib)) = largest_content(inp.content) {
        cons.push(format!(
            "all content shares one machine: the largest item, {who}, peaks at {} and {} of the {}",
            cores(need),
            gib_of_mib(mib),
            cores_and_ram(s.cores, s.ram_gib)
        ));
    }
    cons.push("system dependencies of all content share one operating system".into());
    (pros, cons)
}

fn cluster_pros_cons(inp: &DecisionInput) -> (Vec<String>, Vec<String>) {
    let l = cluster_layout(inp);
    let node = fit_shape(l.node_cores, l.node_ram, inp.limits);
    let n = l.carrying + l.spare;
    let mut pros = vec![format!(
        "load balanced: {} nodes of {}, new sessions spread across them",
        count(n),
        cores_and_ram(node.cores, node.ram_gib)
    )];
    if l.spare > 0 {
        pros.push(format!(
            "a node can fail: the other {} carry the peak, for the uptime target of {}",
            count(l.carrying),
            percent_points(inp.limits.uptime)
        ));
    } else {
        pros.push(format!(
            "with a spare node ({} in all) one node could fail without losing capacity",
            count(n + 1)
        ));
    }
    pros.push("scales out past a max node by adding nodes".into());
    let cons = vec![
        "needs shared NFS storage, a shared PostgreSQL database, a load balancer with sticky sessions and synced clocks".into(),
        format!(
            "process limits apply per node: each max_processes counts {} times",
            count(n)
        ),
        "every node needs the same Connect version and the same system dependencies".into(),
        "one content item can still fill the node its sessions land on".into(),
    ];
    (pros, cons)
}

fn kubernetes_pros_cons(inp: &DecisionInput) -> (Vec<String>, Vec<String>) {
    let (r, py) = (major_minor(inp.r_versions), major_minor(inp.py_versions));
    let pods = pod_resources(inp.content);
    let pros = vec![
        format!(
            "isolation: each content process runs in its own pod with requests/limits ({} content items with suggestions), so one item cannot starve the rest",
            count(pods.len())
        ),
        format!(
            "runtime diversity handled by admin-curated base images ({} R and {} Python versions here)",
            count(r.len()),
            count(py.len())
        ),
        "replicas of the Connect service for redundancy; capacity grows by adding worker nodes".into(),
    ];
    let cons = vec![
        "the most complex: a Kubernetes cluster, the Helm chart, shared storage, PostgreSQL and admins who maintain base images".into(),
        format!(
            "{} must be free across worker nodes for content pods and Connect",
            cores_and_ram(inp.size.cores, inp.size.ram_gib)
        ),
    ];
    (pros, cons)
}

/// Why an option does not meet the requirements; empty when it does.
fn unmet(inp: &DecisionInput, a: Architecture) -> Vec<String> {
    let mut out = Vec::new();
    if inp.limits.containers && a != Architecture::Kubernetes {
        out.push("container deployment is required".to_string());
    }
    if a == Architecture::SingleServer {
        if high_uptime(inp) {
            out.push(format!(
                "uptime {} needs a node that can fail",
                percent_points(inp.limits.uptime)
            ));
        }
        if exceeds_max_node(inp) {
            out.push("the needed size exceeds a max node".into());
        }
    }
    out
}

fn fits(inp: &DecisionInput, rec: &Recommendation, a: Architecture) -> String {
    let unmet = unmet(inp, a);
    if a == rec.architecture {
        "recommended".into()
    } else if !unmet.is_empty() {
        format!("does not meet the requirements: {}", unmet.join("; "))
    } else if rec.architecture == Architecture::Kubernetes {
        "viable, but one content item needs half a max node or more; Kubernetes isolates it".into()
    } else if a == Architecture::Kubernetes {
        "viable, but the most complex to run and nothing here requires it".into()
    } else {
        "viable, but more complex than this team needs".into()
    }
}

/// One scheduler setting worth reviewing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewLine {
    /// Content GUID.
    pub guid: String,
    /// Content title, when known.
    pub title: Option<String>,
    /// The setting(s) concerned.
    pub setting: String,
    /// What to consider changing.
    pub suggestion: String,
    /// The number that raised it.
    pub because: String,
}

/// Content whose sessions were rejected (raise `max_processes` or `max_conns_per_process`)
/// and content whose `min_processes` warm processes sat with no connection for more than
/// `warm_idle_share` of the window (default: more than half), holding memory; by GUID,
/// rejections first. Static and rendered content is skipped.
pub fn settings_to_review(content: &[ContentDemand], c: &Constants) -> Vec<ReviewLine> {
    let mut out = Vec::new();
    for d in sorted(content)
        .into_iter()
        .filter(|d| holds_processes(d.app_mode.as_deref()))
    {
        let line = |setting: &str, suggestion: String, because: String| ReviewLine {
            guid: d.guid.clone(),
            title: d.title.clone(),
            setting: setting.to_string(),
            suggestion,
            because,
        };
        let nodes = u64::from(d.nodes.max(1));
        let per_node = if nodes > 1 {
            format!(" per node, on {} nodes", count(nodes))
        } else {
            String::new()
        };
        if d.rejected > 0 {
            let room = u64::from(d.max_processes) * u64::from(d.max_conns) * nodes;
            let mut because = format!(
                "{} {} rejected: at most {} x {} = {} connections at once{per_node}",
                count(d.rejected),
                plural(d.rejected, "session", "sessions"),
                count(d.max_processes),
                count(d.max_conns),
                count(u64::from(d.max_processes) * u64::from(d.max_conns)),
            );
            if u64::from(d.peak_sessions) > room {
                because.push_str(&format!(
                    "; yet the data records {} concurrent sessions on it, so the settings \
                     changed during the window or Connect served more than they allow",
                    count(d.peak_sessions)
                ));
            }
            out.push(line(
                "max_processes, max_conns_per_process",
                format!(
                    "raise max_processes (now {}) or max_conns_per_process (now {})",
                    count(d.max_processes),
                    count(d.max_conns)
                ),
                because,
            ));
        }
        let idle = d.warm_idle_fraction.filter(|f| *f > c.warm_idle_share);
        if let (true, Some(f)) = (d.min_processes > 0, idle) {
            let warm = u64::from(d.min_processes) * nodes;
            out.push(line(
                "min_processes",
                format!(
                    "lower min_processes (now {}) unless a fast first load matters",
                    count(d.min_processes)
                ),
                format!(
                    "its {} {} {} and sat with no connection {} of the window (> {})",
                    counted(warm, "warm process", "warm processes"),
                    plural(warm, "holds", "hold"),
                    gib_of_mib(warm as f64 * d.resource.mib as f64),
                    percent_short(f),
                    percent_short(c.warm_idle_share)
                ),
            ));
        }
    }
    out
}

fn storage_and_database(a: Architecture) -> String {
    let db = match a {
        Architecture::SingleServer => "local disk and SQLite are acceptable",
        _ => "shared file storage and PostgreSQL are required",
    };
    format!(
        "Not estimated ({db}). Storage would need the size of content bundles, R and Python package caches and data written by content, and their growth; the database would need the numbers of users, content items, jobs and instrumentation rows kept, and their retention."
    )
}

#[cfg(test)]
#[path = "architecture_tests.rs"]
mod tests;
