//! Job metrics samples (connect-exports.md 3.3; docs/inputs.md): one row per sample of one
//! process, as `fetch` writes `job_metrics.csv` or `pd.json_normalize` of the endpoint.
//!
//! | column | type | empty means |
//! |---|---|---|
//! | `content_guid` | text, required | an error |
//! | `job_key` | text, required | an error |
//! | `timestamp` | timestamp, required | an error |
//! | `cpu_fraction` | number of cores, 0 or more | an error |
//! | `memory_bytes` | integer bytes, 0 or more | an error |
//! | `connections` | integer, 0 or more | the sample does not say (docs/sizing.md 2.1) |
//! | `process_id` | ignored (informative only) | |
//!
//! A negative or non-numeric value is a data error `path:line: column 'x'` (a counted skip
//! under `--lenient`). Duplicates and the window are the model's
//! ([`crate::model::capacity::footprints`]): every row is kept here.

use std::path::Path;

use super::detect::Header;
use super::row::{Col, FieldError, FieldResult, Row};
use super::{Dataset, Kind, MetricSample, Origin};
use crate::Result;

/// Columns of a job metrics export.
pub struct MetricCols {
    content: Col,
    job: Col,
    time: Col,
    cpu: Col,
    memory: Col,
    connections: Option<Col>,
}

impl MetricCols {
    /// Maps the header; every column but `connections` and `process_id` is required.
    pub fn new(h: &Header, path: &Path) -> Result<Self> {
        let need = |name| Col::require(h, name, path, Kind::JobMetrics);
        Ok(MetricCols {
            content: need("content_guid")?,
            job: need("job_key")?,
            time: need("timestamp")?,
            cpu: need("cpu_fraction")?,
            memory: need("memory_bytes")?,
            connections: Col::find(h, "connections"),
        })
    }

    /// Parses one row and pushes a [`MetricSample`].
    pub fn apply(&self, row: &mut Row, origin: Origin, ds: &mut Dataset) -> FieldResult<()> {
        let content = row.required_text(self.content)?;
        let job = row.required_text(self.job)?;
        let time = row.required_time(self.time)?;
        row.required_text(self.cpu)?;
        let cpu = row.float(Some(self.cpu))?.unwrap_or_default();
        if !(cpu.is_finite() && cpu >= 0.0) {
            return Err(negative(self.cpu, row, "cores"));
        }
        row.required_text(self.memory)?;
        let memory = non_negative(row, self.memory)?;
        let connections = match self.connections {
            Some(c) if row.text(Some(c)).is_some() => Some(
                u32::try_from(non_negative(row, c)?)
                    .map_err(|_| negative(c, row, "connections"))?,
            ),
            _ => None,
        };
        ds.job_metrics.push(MetricSample {
            content: ds.content_ids.intern(content),
            job: ds.job_keys.intern(job),
            time,
            cpu,
            memory,
            connections,
            origin,
        });
        Ok(())
    }
}

/// An integer 0 or more (`3` or `3.0`).
fn non_negative(row: &Row, col: Col) -> FieldResult<u64> {
    let v = row.int(Some(col))?.unwrap_or_default();
    u64::try_from(v).map_err(|_| negative(col, row, "a count"))
}

fn negative(col: Col, row: &Row, what: &str) -> FieldError {
    FieldError {
        column: col.name,
        message: format!(
            "'{}' is not a valid value: {what} must be a number, 0 or more",
            row.raw(col)
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::super::{read_bytes, IngestOptions};
    use super::*;

    /// connect-exports.md 3.3's example, with a sample that carries no connections.
    const EXAMPLE: &str =
        "timestamp,cpu_fraction,memory_bytes,connections,process_id,content_guid,job_key
2026-03-02T09:00:00Z,0.42,2147483648,3,48211,8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d,waaTO7v75I84S1hQ
2026-03-02T09:01:00Z,0.05,2149580800,,48211,8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d,waaTO7v75I84S1hQ
";

    fn read(name: &str, bytes: &[u8], lenient: bool) -> Result<Dataset> {
        let opts = IngestOptions {
            lenient,
            ..Default::default()
        };
        let mut ds = Dataset::default();
        read_bytes(name, bytes, &opts, &mut ds).map(|()| ds)
    }

    #[test]
    fn reads_the_documented_example_with_an_empty_connections() {
        let ds = read("job_metrics.csv", EXAMPLE.as_bytes(), false).unwrap();
        assert_eq!(ds.files[0].kind, Kind::JobMetrics);
        let s = &ds.job_metrics;
        assert_eq!(s.len(), 2);
        assert_eq!(ds.job_keys.name(s[0].job), "waaTO7v75I84S1hQ");
        assert_eq!(
            ds.content_ids.name(s[0].content),
            "8f37d6e0-1111-4a2b-8c3d-9e0f1a2b3c4d"
        );
        assert_eq!(
            (s[0].cpu, s[0].memory, s[0].connections),
            (0.42, 2147483648, Some(3))
        );
        assert_eq!((s[1].connections, s[1].origin.line), (None, 3));
        assert_eq!(s[1].time - s[0].time, 60_000_000);
    }

    #[test]
    fn reads_gzip() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(EXAMPLE.as_bytes()).unwrap();
        let ds = read("job_metrics.csv.gz", &gz.finish().unwrap(), false).unwrap();
        assert_eq!(ds.job_metrics.len(), 2);
    }

    #[test]
    fn rejects_negative_and_non_numeric_values_with_their_line_and_column() {
        let cases = [
            ("2026-03-02T09:00:00Z,-0.1,1,1,1,c,k", "cpu_fraction"),
            ("2026-03-02T09:00:00Z,abc,1,1,1,c,k", "cpu_fraction"),
            ("2026-03-02T09:00:00Z,0.1,-5,1,1,c,k", "memory_bytes"),
            ("2026-03-02T09:00:00Z,0.1,1.5,1,1,c,k", "memory_bytes"),
            ("2026-03-02T09:00:00Z,0.1,1,-1,1,c,k", "connections"),
            ("2026-03-02T09:00:00Z,0.1,,1,1,c,k", "memory_bytes"),
            ("2026-03-02T09:00:00Z,0.1,1,1,1,c,", "job_key"),
        ];
        let header = EXAMPLE.lines().next().unwrap();
        for (row, column) in cases {
            let text = format!("{header}\n2026-03-02T08:00:00Z,0.1,1,,1,c,k\n{row}\n");
            let err = read("m.csv", text.as_bytes(), false)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("m.csv:3: column '{column}'")),
                "{err}"
            );
            let ds = read("m.csv", text.as_bytes(), true).unwrap();
            assert_eq!(
                (ds.job_metrics.len(), ds.notes.skipped_rows),
                (1, 1),
                "{row}"
            );
        }
    }
}
