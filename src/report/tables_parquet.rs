//! The derived tables as Parquet (cargo feature `parquet`): each [`Table`] becomes a polars
//! data frame with typed columns (dates as `Date`, instants as `Datetime(µs, UTC)`, counts
//! as `Int64`, figures as `Float64`, flags as `Boolean`, text as `String`), written with
//! zstd compression.

use std::io::Write;

use polars::prelude::*;

use super::tables::{Table, Values};

/// Writes `table` to `out` as one Parquet file.
pub fn write(table: &Table, out: &mut dyn Write) -> std::io::Result<()> {
    let columns: Vec<Column> = table
        .columns
        .iter()
        .map(|c| series(c.name, &c.values).into())
        .collect();
    let mut df = DataFrame::new(table.rows(), columns).map_err(std::io::Error::other)?;
    ParquetWriter::new(out)
        .finish(&mut df)
        .map(|_| ())
        .map_err(std::io::Error::other)
}

/// One column as a typed series.
fn series(name: &str, values: &Values) -> Series {
    let name: PlSmallStr = name.into();
    match values {
        Values::Date(v) => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
            let days: Vec<Option<i32>> = v
                .iter()
                .map(|d| d.map(|d| (d - epoch).num_days() as i32))
                .collect();
            Int32Chunked::new(name, days).into_date().into_series()
        }
        Values::Timestamp(v) => Int64Chunked::new(name, v)
            .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
            .into_series(),
        Values::Int(v) => Series::new(name, v),
        Values::Float(v) => Series::new(name, v),
        Values::Bool(v) => Series::new(name, v),
        Values::Text(v) => Series::new(name, v),
    }
}
