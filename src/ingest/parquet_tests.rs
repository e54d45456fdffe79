//! The Parquet reader: the fast Shiny usage path against the general (text records) path
//! on every dialect's fixture, the text each column type becomes, and the files the fast
//! path must leave to the general one.

use super::*;
use crate::ingest::fast::tests::{opts, summary};
use crate::ingest::records::read_source;

fn fixture(dialect: &str, kind: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parquet")
        .join(dialect)
        .join(format!("{kind}.parquet"))
}

/// The file read by the general path only.
fn general(path: &Path, o: &IngestOptions) -> Dataset {
    let table = Table::open(path).unwrap();
    let header = Header::new(table.names.iter().map(String::as_str));
    let mut ds = Dataset::default();
    read_source(table.records(path, header), o, &mut ds).unwrap();
    assert!(ds.compact.is_empty());
    ds
}

#[test]
fn the_fast_path_reads_every_dialect_as_the_general_one_does() {
    for dialect in ["pandas", "polars", "duckdb"] {
        let path = fixture(dialect, "shiny_usage");
        let o = opts("UTC");
        let mut fast = Dataset::default();
        read_file(&path, &o, &mut fast).unwrap();
        assert!(
            fast.sessions.is_empty() && fast.compact.len() == 1981,
            "{dialect}: the fast path did not take the file"
        );
        assert_eq!(summary(&fast), summary(&general(&path, &o)), "{dialect}");
    }
}

#[test]
fn rows_are_numbered_from_one_in_both_paths() {
    let path = fixture("duckdb", "shiny_usage");
    let mut fast = Dataset::default();
    read_file(&path, &opts("UTC"), &mut fast).unwrap();
    let lines: Vec<u64> = fast.session_rows().map(|r| r.origin.line).collect();
    assert_eq!(&lines[..3], &[1, 2, 3]);
    assert_eq!(*lines.last().unwrap(), 1981);
}

#[test]
fn zoned_timestamps_do_not_depend_on_the_input_zone_and_take_the_fast_path() {
    let path = fixture("pandas", "shiny_usage");
    let mut utc = Dataset::default();
    read_file(&path, &opts("UTC"), &mut utc).unwrap();
    let mut ny = Dataset::default();
    read_file(&path, &opts("America/New_York"), &mut ny).unwrap();
    assert_eq!(ny.compact.len(), 1981);
    assert_eq!(summary(&utc), summary(&ny));
}

#[test]
fn naive_timestamps_outside_utc_take_the_general_path_with_their_notes() {
    // DuckDB's jobs file is naive; Shiny usage with naive times in New York must be read
    // by the general path (it notes DST gaps and overlaps). Build such a file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("naive.parquet");
    let micros = |s: &str| {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_micros()
    };
    // 02:30 on 2024-03-10 does not exist in New York.
    let started = Series::new("started".into(), [micros("2024-03-10 02:30:00")])
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .unwrap();
    let ended = Series::new("ended".into(), [micros("2024-03-10 04:00:00")])
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .unwrap();
    let mut df = DataFrame::new_infer_height(vec![
        Series::new(
            "content_guid".into(),
            ["a2764a24-8d2c-4256-8ea9-106f32cb5271"],
        )
        .into(),
        Series::new("user_guid".into(), [None::<&str>]).into(),
        started.into(),
        ended.into(),
    ])
    .unwrap();
    ParquetWriter::new(File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let mut ds = Dataset::default();
    read_file(&path, &opts("America/New_York"), &mut ds).unwrap();
    assert!(
        ds.compact.is_empty(),
        "the fast path took a naive non-UTC file"
    );
    assert_eq!(ds.sessions.len(), 1);
    assert_eq!(ds.notes.nonexistent_local_times, 1);
    // 03:30 EDT (shifted forward by the gap) = 07:30 UTC.
    assert_eq!(ds.sessions[0].started, micros("2024-03-10 07:30:00"));
    // In UTC the same file takes the fast path and is noted as naive.
    let mut utc = Dataset::default();
    read_file(&path, &opts("UTC"), &mut utc).unwrap();
    assert_eq!(utc.compact.len(), 1);
    assert_eq!(utc.notes.naive_zones.len(), 1);
}

#[test]
fn each_column_type_is_written_as_the_text_a_csv_would_hold() {
    let text = |v: Values| {
        let mut out = String::new();
        v.write(0, &mut out);
        out
    };
    let one = |s: Series| Values::of(&s).unwrap();
    assert_eq!(text(one(Series::new("f".into(), [2.0f64]))), "2");
    assert_eq!(text(one(Series::new("f".into(), [0.25f32]))), "0.25");
    assert_eq!(text(one(Series::new("f".into(), [None::<f64>]))), "");
    assert_eq!(text(one(Series::new("i".into(), [-3i32]))), "-3");
    assert_eq!(
        text(one(Series::new("u".into(), [u64::MAX]))),
        "18446744073709551615"
    );
    assert_eq!(text(one(Series::new("b".into(), [true]))), "true");
    let ns = Int64Chunked::new("t".into(), [-1i64])
        .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
        .into_series();
    // -1 ns is 1 µs before the epoch: truncated towards the past, as the parser does.
    assert_eq!(text(one(ns)), "1969-12-31T23:59:59.999999Z");
    let ms = Series::new("t".into(), [1_723_453_200_123i64])
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
        .unwrap();
    assert_eq!(text(one(ms)), "2024-08-12 09:00:00.123");
    let date = Series::new("d".into(), [19_723i32])
        .cast(&DataType::Date)
        .unwrap();
    assert_eq!(text(one(date)), "2024-01-01");
    let uuid: [u8; 16] = 0xa2764a24_8d2c_4256_8ea9_106f32cb5271u128.to_be_bytes();
    let bin = Series::new("g".into(), [&uuid[..]]);
    assert_eq!(text(one(bin)), "a2764a24-8d2c-4256-8ea9-106f32cb5271");
    assert_eq!(text(one(Series::new("s".into(), ["x"]))), "x");
}

#[test]
fn types_no_export_uses_are_named_not_loaded() {
    use ArrowDataType as A;
    assert!(supported(&A::Timestamp(ArrowTimeUnit::Nanosecond, None)));
    assert!(supported(&A::FixedSizeBinary(16)));
    assert!(!supported(&A::FixedSizeBinary(8)));
    assert!(!supported(&A::Decimal(10, 2)));
    assert!(!supported(&A::Decimal256(40, 0)));
    assert!(supported(&A::Decimal(38, 0)) && supported(&A::Decimal64(18, 0)));
    assert_eq!(
        type_name(&A::Decimal(10, 2)),
        "decimals with a fractional part (or over 38 digits), which no export uses"
    );
}

#[test]
fn decimals_of_scale_0_are_integers_and_too_large_ones_their_text() {
    let one = |values: &[Option<i128>], precision| {
        let s = Int128Chunked::new("d".into(), values)
            .into_series()
            .cast(&DataType::Decimal(precision, 0))
            .unwrap();
        Values::of(&s).unwrap()
    };
    let text = |v: &Values, i| {
        let mut out = String::new();
        v.write(i, &mut out);
        out
    };
    let small = one(&[Some(7), None, Some(-3)], 18);
    assert!(matches!(small, Values::Int(_)), "{}", small.describe());
    assert_eq!(
        [text(&small, 0), text(&small, 1), text(&small, 2)],
        ["7", "", "-3"]
    );
    let big = one(&[Some(1), Some(10i128.pow(30))], 38);
    assert!(matches!(big, Values::Text(_)), "{}", big.describe());
    assert_eq!(text(&big, 1), format!("1{}", "0".repeat(30)));
}

#[test]
fn only_an_error_about_the_end_of_the_file_suggests_it_was_cut_short() {
    let hint = "if it was cut short";
    let path = Path::new("x.parquet");
    let dup = PolarsError::Duplicate("column with name 'a' has more than one occurrence".into());
    let message = unreadable(path, dup).to_string();
    assert!(message.contains("more than one occurrence"), "{message}");
    assert!(!message.contains(hint), "{message}");
    for cut in [
        "parquet: File out of specification: The file must end with PAR1",
        "parquet: File out of specification: A Parquet file must contain a header and footer with at least 12 bytes",
        "underlying IO error: failed to fill whole buffer",
    ] {
        let e = PolarsError::ComputeError(cut.to_string().into());
        let message = unreadable(path, e).to_string();
        assert!(message.contains(hint), "{message}");
    }
    // The truncated fixture gets the hint; a file that is not Parquet at all only says so.
    let truncated = fixture("bad", "truncated");
    let message = Layout::read(&truncated).err().unwrap().to_string();
    assert!(message.contains(hint), "{message}");
}
