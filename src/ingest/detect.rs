//! Header detection (stub; being implemented).
use serde::Serialize;

/// The kind of a Connect export file, detected from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `/v1/instrumentation/shiny/usage` (connectapi `get_usage_shiny`).
    ShinyUsage,
    /// `/v1/instrumentation/content/visits` (connectapi `get_usage_static`).
    Visits,
    /// posit-sdk-py `metrics.usage` (visits and Shiny sessions in one table).
    UnifiedUsage,
    /// `/v1/instrumentation/content/hits` (flat or `data.`-prefixed columns).
    Hits,
    /// Usage Metrics Dashboard "Export Raw Visits".
    DashboardVisits,
    /// Jobs (`/v1/content/{guid}/jobs`, or legacy `/applications/{guid}/jobs`).
    Jobs,
    /// Content list (`/v1/content`).
    Content,
    /// Users (`/v1/users`).
    Users,
}
