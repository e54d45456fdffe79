//! Instants in reports: `i64` microseconds inside, RFC 3339 UTC (`Z`) in JSON.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::format;
use crate::ingest::Micros;

/// An instant, serialised as RFC 3339 in UTC with `Z` (fractions only when present).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub Micros);

impl Timestamp {
    /// The instant as a UTC date-time (`None` outside chrono's range, which ingest rules out).
    pub fn utc(self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_micros(self.0)
    }
    /// RFC 3339 text, `Z` suffix ([`crate::format::rfc3339`]; the microseconds outside
    /// chrono's range).
    pub fn rfc3339(self) -> String {
        format::rfc3339(self.0).unwrap_or_else(|| self.0.to_string())
    }
}

impl From<Timestamp> for Micros {
    fn from(t: Timestamp) -> Micros {
        t.0
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Timestamp(t.timestamp_micros()))
            .map_err(|e| serde::de::Error::custom(format!("'{text}' is not RFC 3339: {e}")))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

/// Microseconds in one second.
pub const SECOND: Micros = 1_000_000;
/// Microseconds in one minute.
pub const MINUTE: Micros = 60 * SECOND;
/// Microseconds in one hour.
pub const HOUR: Micros = 3_600 * SECOND;
/// Microseconds in one day.
pub const DAY: Micros = 24 * HOUR;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_rfc3339_z() {
        let t = Timestamp(1_709_560_931_000_000);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2024-03-04T14:02:11Z\""
        );
        let t = Timestamp(1_709_560_931_250_000);
        assert_eq!(t.rfc3339(), "2024-03-04T14:02:11.250Z");
    }
}
