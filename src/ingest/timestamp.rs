//! Timestamp parsing (stub; being implemented).
/// Zones for naive timestamps.
#[derive(Debug, Clone, Default)]
pub struct InputTz {}
