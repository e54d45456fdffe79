//! The fast reader against the general one: the same dataset for every file it takes,
//! and nothing at all (the general reader's turn) for every file it does not.

use super::*;
use crate::ingest::{read_bytes, InputTz};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub(in crate::ingest) fn opts(zone: &str) -> IngestOptions {
    IngestOptions {
        input_tz: InputTz::parse(&[zone.to_string()]).unwrap(),
        lenient: false,
        encoding: Default::default(),
        ..Default::default()
    }
}

/// Everything a reader leaves in a dataset, comparable.
pub(in crate::ingest) fn summary(ds: &Dataset) -> String {
    let names = |ids: &crate::ingest::Interner| -> Vec<String> {
        (0..ids.len() as u32)
            .map(|i| ids.name(i).to_string())
            .collect()
    };
    format!(
        "files {:?}\ncontent {:?}\nusers {:?}\nrows {:?}\njobs {:?}\nsamples {:?}\nnotes {:?}",
        ds.files,
        names(&ds.content_ids),
        names(&ds.user_ids),
        ds.session_rows().collect::<Vec<_>>(),
        names(&ds.job_keys),
        ds.job_metrics,
        ds.notes
    )
}

/// Reads `text` with both readers; the fast one must take it.
fn both(text: &str, zone: &str) -> (String, String) {
    let o = opts(zone);
    let mut general = Dataset::default();
    read_bytes("s.csv", text.as_bytes(), &o, &mut general).unwrap();
    assert!(
        general.compact.is_empty(),
        "small input: the general reader"
    );
    let mut fast = Dataset::default();
    let took = read(
        Path::new("s.csv"),
        &mut text.as_bytes(),
        &o,
        &mut fast,
        &mut |_| {},
    );
    assert!(took, "the fast reader gave up on:\n{text}");
    assert!(fast.sessions.is_empty());
    (summary(&general), summary(&fast))
}

/// Reads `text` with the fast reader alone: the dataset if it took the file.
fn fast_only(text: &str, zone: &str) -> Option<Dataset> {
    let mut ds = Dataset::default();
    let took = read(
        Path::new("s.csv"),
        &mut text.as_bytes(),
        &opts(zone),
        &mut ds,
        &mut |_| {},
    );
    took.then_some(ds)
}

/// The fast reader must give up (and leave the dataset as it was).
fn refused(text: &str) {
    let mut ds = Dataset::default();
    let took = read(
        Path::new("s.csv"),
        &mut text.as_bytes(),
        &opts("UTC"),
        &mut ds,
        &mut |_| {},
    );
    assert!(!took, "the fast reader took:\n{text}");
    assert_eq!(summary(&ds), summary(&Dataset::default()));
}

const GUID_A: &str = "6d908134-e447-44f4-a93d-ec22d984dad3";
const GUID_B: &str = "0b6a0e56-3a1c-4b6e-9c3e-7a1f2d3c4b5a";

#[test]
fn plain_rows_read_the_same() {
    // Hand-made: anonymous spellings, an open session, CRLF, a blank line, a row without
    // a final line end, uppercase and non-GUID ids kept verbatim.
    let text = format!(
        "content_guid,user_guid,started,ended,data_version\r\n\
         {GUID_A},{GUID_B},2024-03-04T14:02:11Z,2024-03-04T15:00:00Z,1\r\n\
         {GUID_B},NA,2024-03-04T14:02:12Z,NA,\r\n\
         \r\n\
         {GUID_A},null,2024-03-04 14:02:13,2024-03-04T14:30:00+01:00,3.0\n\
         ABC,{},2024-03-05,1709251200,2\n\
         {GUID_A}, spaced ,2024-03-04T14:02:11.123456Z,2024-03-04T16:00:00Z,1",
        GUID_B.to_uppercase()
    );
    let (general, fast) = both(&text, "UTC");
    assert_eq!(general, fast);
    assert!(
        fast.contains("line: 6"),
        "lines count the blank line: {fast}"
    );
}

/// Appends a row of `values` (after its `index`, if any), sometimes with a blank line.
fn push_row(text: &mut String, index: Option<usize>, values: &[String], rng: &mut StdRng) {
    if let Some(i) = index {
        text.push_str(&format!("{i},"));
    }
    text.push_str(&values.join(","));
    text.push_str(if rng.gen_range(0..8) == 0 {
        "\n\n"
    } else {
        "\n"
    });
}

#[test]
fn random_files_read_the_same() {
    let mut rng = StdRng::seed_from_u64(7);
    let guid = |rng: &mut StdRng| -> String {
        let v: u128 = rng.gen::<u128>() % 5; // few distinct ids, so they repeat
        let hex = format!(
            "{:032x}",
            v.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
        );
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    };
    for case in 0..200 {
        // Column order, an index column and an extra column vary with the case.
        let mut cols = vec![
            "content_guid",
            "user_guid",
            "started",
            "ended",
            "data_version",
        ];
        if case % 3 == 1 {
            cols.swap(0, 3);
            cols.push("extra");
        }
        let index = case % 4 == 2;
        let mut text = String::new();
        if index {
            text.push(',');
        }
        text.push_str(&cols.join(","));
        text.push_str(if case % 2 == 0 { "\n" } else { "\r\n" });
        for i in 0..rng.gen_range(0..40) {
            let start = 1_709_251_200 + rng.gen_range(0..86_400 * 30);
            let ts = |t: i64, rng: &mut StdRng| -> String {
                let d = chrono::DateTime::from_timestamp(t, 0).unwrap();
                match rng.gen_range(0..6) {
                    0 => d.format("%Y-%m-%d %H:%M:%S").to_string(),
                    1 => d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                    2 => t.to_string(),
                    _ => d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                }
            };
            let user = match rng.gen_range(0..10) {
                0 => "NA".to_string(),
                1 => String::new(),
                2 => "u-1".to_string(),
                _ => guid(&mut rng),
            };
            let ended = if rng.gen_range(0..10) == 0 {
                "NA".to_string()
            } else {
                ts(start + rng.gen_range(-60..7200), &mut rng)
            };
            let values: Vec<String> = cols
                .iter()
                .map(|c| match *c {
                    "content_guid" => guid(&mut rng),
                    "user_guid" => user.clone(),
                    "started" => ts(start, &mut rng),
                    "ended" => ended.clone(),
                    "data_version" => ["1", "", "2.0", "NA"][rng.gen_range(0..4)].to_string(),
                    _ => "x y".to_string(),
                })
                .collect();
            push_row(&mut text, index.then_some(i + 1), &values, &mut rng);
        }
        let zone = ["UTC", "Europe/Berlin"][case % 2];
        let (general, fast) = both(&text, zone);
        assert_eq!(general, fast, "case {case}:\n{text}");
    }
}

#[test]
fn unusual_files_are_left_to_the_general_reader() {
    let h = "content_guid,user_guid,started,ended,data_version\n";
    let ok = format!("{GUID_A},{GUID_B},2024-03-04T14:02:11Z,2024-03-04T15:00:00Z,1\n");
    // Quotes, a lone CR, a short row, a missing content GUID, a bad timestamp, a bad
    // data_version, a DST gap time, non-ASCII bytes, another kind, a header-only file
    // with no line end, a leading blank line, gzip magic.
    for bad in [
        format!("{h}{ok}\"{GUID_A}\",u,2024-03-04T14:02:11Z,NA,1\n"),
        format!("{h}{ok}{GUID_A},u,2024-03-04T14:02:11Z,NA,1\rx,u,2024-03-04T14:02:11Z,NA,1\n"),
        format!("{h}{ok}{GUID_A},u,2024-03-04T14:02:11Z,NA\n"),
        format!("{h}{ok},u,2024-03-04T14:02:11Z,NA,1\n"),
        format!("{h}{ok}{GUID_A},u,2024-13-04T14:02:11Z,NA,1\n"),
        format!("{h}{ok}{GUID_A},u,2024-03-04T14:02:11Z,NA,1.5\n"),
        format!("{h}{ok}{GUID_A},u,2024-03-04T14:02:11Z,NA,99999999999\n"),
        format!("{h}{ok}{GUID_A},ü,2024-03-04T14:02:11Z,NA,1\n"),
        format!("content_guid,user_guid,time,data_version\n{GUID_A},u,2024-03-04T14:02:11Z,1\n"),
        h.trim_end().to_string(),
        format!("\n{h}{ok}"),
        "\u{1f}\u{8b}rest".to_string(),
    ] {
        refused(&bad);
    }
    let mut ds = Dataset::default();
    let gap = format!("{h}{GUID_A},u,2024-03-31 02:30:00,NA,1\n");
    let took = read(
        Path::new("s.csv"),
        &mut gap.as_bytes(),
        &opts("Europe/Berlin"),
        &mut ds,
        &mut |_| {},
    );
    assert!(!took, "a DST-adjusted time is noted by the general reader");
}

#[test]
fn guids_round_trip_and_others_do_not_parse() {
    assert_eq!(
        parse_guid(GUID_A.as_bytes()).map(|g| Name::Guid(g).text()),
        Some(GUID_A.to_string())
    );
    assert_eq!(parse_guid(GUID_A.to_uppercase().as_bytes()), None);
    assert_eq!(parse_guid(b"6d908134-e447-44f4-a93d-ec22d984dad"), None);
    assert_eq!(parse_guid(b"6d908134+e447-44f4-a93d-ec22d984dad3"), None);
}

#[test]
fn large_files_take_the_fast_reader_through_read_bytes() {
    let mut text = String::from("content_guid,user_guid,started,ended,data_version\n");
    let row = format!("{GUID_A},{GUID_B},2024-03-04T14:02:11Z,2024-03-04T15:00:00Z,1\n");
    while (text.len() as u64) < MIN_BYTES {
        text.push_str(&row);
    }
    let mut ds = Dataset::default();
    read_bytes("big.csv", text.as_bytes(), &opts("UTC"), &mut ds).unwrap();
    assert!(ds.sessions.is_empty());
    assert_eq!(ds.compact.len() as u64, ds.files[0].rows);
    let last = ds.session_rows().last().unwrap();
    assert_eq!(last.origin.line, ds.files[0].rows + 1);
}

proptest::proptest! {
    /// The shortcut for long fields never disagrees with the general null test, on
    /// ASCII fields built from null words, whitespace (vertical tab included) and text.
    #[test]
    fn null_shortcut_agrees_with_is_null(
        parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just("NA"),
                proptest::strategy::Just("null"),
                proptest::strategy::Just("NULL"),
                proptest::strategy::Just("None"),
                proptest::strategy::Just("NaN"),
                proptest::strategy::Just(" "),
                proptest::strategy::Just("\t"),
                proptest::strategy::Just("\u{b}"),
                proptest::strategy::Just("\u{c}"),
                proptest::strategy::Just("x"),
                proptest::strategy::Just("1a2b"),
            ],
            0..5,
        ),
    ) {
        let field = parts.concat();
        proptest::prop_assert_eq!(null(field.as_bytes()), is_null(&field), "{:?}", field);
    }
}

#[test]
fn padded_null_words_are_null_and_guids_are_not() {
    assert!(null(b"  NA \x0b"));
    assert!(null(b"\tNULL "));
    assert!(!null(b"4b5c4a9e-8e2b-4d4e-9f5c-0c6b1a2d3e4f"));
    assert!(!null(b" NA x"));
}

const METRICS: &str =
    "timestamp,cpu_fraction,memory_bytes,connections,process_id,content_guid,job_key";

#[test]
fn metric_rows_read_the_same() {
    // Hand-made: an empty and an NA connections, CRLF, a blank line, a row without a
    // final line end, integral floats, a zero and a negative zero, naive and offset
    // times, uppercase and non-GUID content kept verbatim, a job key that is a GUID.
    let text = format!(
        "{METRICS}\r\n\
         2024-03-04T14:02:11Z,0.42,2147483648,3,48211,{GUID_A},waaTO7v75I84S1hQ\r\n\
         2024-03-04T14:02:16Z,0.05,2149580800,,48211,{GUID_A},waaTO7v75I84S1hQ\r\n\
         \r\n\
         2024-03-04 14:02:21,1.5e0,3.0,NA,1,{},{GUID_B}\n\
         2024-03-04T15:02:21+01:00,-0.0,0,0,,app-1,waaTO7v75I84S1hQ\n\
         2024-03-04T14:02:26.5Z,0,17, 2 ,x,{GUID_A},k2",
        GUID_B.to_uppercase()
    );
    for zone in ["UTC", "Europe/Berlin"] {
        let (general, fast) = both(&text, zone);
        assert_eq!(general, fast);
        assert!(
            fast.contains("line: 7"),
            "lines count the blank line: {fast}"
        );
        assert!(fast.contains("connections: None"), "{fast}");
    }
}

/// A random job metrics file: columns in some order, maybe an index column and an extra
/// one, few processes so names repeat, values in the spellings exports use.
fn random_metrics(rng: &mut StdRng, case: usize) -> String {
    let mut cols: Vec<&str> = METRICS.split(',').collect();
    if case % 3 == 1 {
        cols.swap(0, 5);
        cols.push("extra");
    }
    if case % 5 == 3 {
        cols.retain(|c| *c != "connections" && *c != "process_id");
    }
    let index = case % 4 == 2;
    let mut text = if index {
        String::from(",")
    } else {
        String::new()
    };
    text.push_str(&cols.join(","));
    text.push_str(if case % 2 == 0 { "\n" } else { "\r\n" });
    for i in 0..rng.gen_range(0..60) {
        let t = 1_709_251_200 + rng.gen_range(0..86_400 * 30);
        let d = chrono::DateTime::from_timestamp(t, 0).unwrap();
        let value = |c: &str, rng: &mut StdRng| -> String {
            match c {
                "timestamp" => match rng.gen_range(0..4) {
                    0 => d.format("%Y-%m-%d %H:%M:%S").to_string(),
                    1 => d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                    _ => d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                },
                "cpu_fraction" => format!("{}", rng.gen_range(0..4000) as f64 / 1000.0),
                "memory_bytes" => match rng.gen_range(0..6) {
                    0 => format!("{}.0", rng.gen_range(0..1u64 << 33)),
                    _ => rng.gen_range(0..1u64 << 33).to_string(),
                },
                "connections" => ["", "NA", "0", "1", "7", "2.0"][rng.gen_range(0..6)].into(),
                "content_guid" => [GUID_A, GUID_B, "app-1"][rng.gen_range(0..3)].into(),
                "job_key" => format!("job{}", rng.gen_range(0..4)),
                _ => "x".into(),
            }
        };
        let values: Vec<String> = cols.iter().map(|c| value(c, rng)).collect();
        push_row(&mut text, index.then_some(i + 1), &values, rng);
    }
    text
}

#[test]
fn random_metric_files_read_the_same() {
    let mut rng = StdRng::seed_from_u64(11);
    for case in 0..200 {
        let text = random_metrics(&mut rng, case);
        let zone = ["UTC", "Europe/Berlin"][case % 2];
        let (general, fast) = both(&text, zone);
        assert_eq!(general, fast, "case {case}:\n{text}");
    }
}

#[test]
fn bad_metric_rows_are_left_to_the_general_reader() {
    let h = format!("{METRICS}\n");
    let ok = format!("2024-03-04T14:02:11Z,0.4,100,1,1,{GUID_A},k\n");
    for bad in [
        "2024-03-04T14:02:11Z,-0.1,100,1,1,c,k",
        "2024-03-04T14:02:11Z,abc,100,1,1,c,k",
        "2024-03-04T14:02:11Z,inf,100,1,1,c,k",
        "2024-03-04T14:02:11Z,NA,100,1,1,c,k",
        "2024-03-04T14:02:11Z,0.1,-5,1,1,c,k",
        "2024-03-04T14:02:11Z,0.1,1.5,1,1,c,k",
        "2024-03-04T14:02:11Z,0.1,,1,1,c,k",
        "2024-03-04T14:02:11Z,0.1,1,-1,1,c,k",
        "2024-03-04T14:02:11Z,0.1,1,4294967296,1,c,k",
        "2024-03-04T14:02:11Z,0.1,1,1,1,c,",
        "2024-03-04T14:02:11Z,0.1,1,1,1,,k",
        "2024-13-04T14:02:11Z,0.1,1,1,1,c,k",
        ",0.1,1,1,1,c,k",
        "2024-03-04T14:02:11Z,0.1,1,1,c,k",
        "2024-03-04T14:02:11Z,0.1,1,1,1,\"c\",k",
    ] {
        refused(&format!("{h}{ok}{bad}\n"));
    }
    // A header without a required column is the general reader's to report.
    refused("timestamp,cpu_fraction,memory_bytes,content_guid\n2024-03-04T14:02:11Z,1,1,c\n");
    let gap = format!("{h}2024-03-31 02:30:00,0.1,1,1,1,c,k\n");
    assert!(fast_only(&gap, "Europe/Berlin").is_none());
}

#[test]
fn large_metric_files_take_the_fast_reader_and_bad_rows_name_file_line_and_column() {
    let mut text = format!("{METRICS}\n");
    let mut n = 0u64;
    while (text.len() as u64) < MIN_BYTES {
        text.push_str(&format!(
            "2024-03-04T14:02:11Z,0.4,{n},1,1,{GUID_A},k{}\n",
            n % 7
        ));
        n += 1;
    }
    let mut ds = Dataset::default();
    read_bytes("job_metrics.csv", text.as_bytes(), &opts("UTC"), &mut ds).unwrap();
    assert_eq!(ds.job_metrics.len() as u64, n);
    assert_eq!(ds.files[0].rows, n);
    let last = ds.job_metrics.last().unwrap();
    assert_eq!((last.origin.line, last.memory), (n + 1, n - 1));
    assert_eq!(ds.job_keys.len(), 7);
    assert!(
        fast_only(&text, "UTC").is_some(),
        "the fast reader takes it"
    );
    // One bad value far in: the general reader reads the file again and names it.
    text.push_str(&format!("2024-03-04T14:02:11Z,0.4,-3,1,1,{GUID_A},k\n"));
    let err = read_bytes(
        "job_metrics.csv",
        text.as_bytes(),
        &opts("UTC"),
        &mut Dataset::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(&format!("job_metrics.csv:{}: column 'memory_bytes'", n + 2)),
        "{err}"
    );
}

/// One value of each column of a job metrics row (in [`METRICS`] order), mostly good,
/// sometimes in a spelling the general reader rejects or notes.
fn metric_row() -> impl proptest::strategy::Strategy<Value = Vec<String>> {
    use proptest::prelude::*;
    let s =
        |v: &[&str]| proptest::sample::select(v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
    let time = prop_oneof![
        9 => (0i64..86_400 * 60).prop_map(|t| {
            let d = chrono::DateTime::from_timestamp(1_709_251_200 + t, 0).unwrap();
            d.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        }),
        1 => s(&["2024-03-04 14:02:11", "2024-03-31 02:30:00", "2024-10-27 02:30:00", "2024-13-01T00:00:00Z", "", "NA"]),
    ];
    let cpu = prop_oneof![
        9 => (0u32..5000).prop_map(|v| format!("{}", f64::from(v) / 1000.0)),
        1 => s(&["-0", "1e3", " 0.5 "]),
        1 => s(&["-0.5", "-1", "NaN", "nan", "inf", "abc", ""]),
    ];
    let memory = prop_oneof![
        9 => (0u64..1 << 40).prop_map(|v| v.to_string()),
        1 => s(&["3.0", "1.5", "-1", "", "NA", "9e15", "18446744073709551615"]),
    ];
    let connections = prop_oneof![
        9 => s(&["", "NA", "0", "2", " 3 ", "2.0", "4294967295"]),
        1 => s(&["4294967296", "-1", "x"]),
    ];
    let pid = s(&["", "48211", "x"]);
    let content = prop_oneof![
        9 => s(&[GUID_A, GUID_B]),
        1 => s(&["app-1", "", "NULL", "6D908134-E447-44F4-A93D-EC22D984DAD3"]),
    ];
    let job = prop_oneof![9 => s(&["k1", "k2", GUID_B]), 1 => s(&["", "None", " k1"])];
    (time, cpu, memory, connections, pid, content, job)
        .prop_map(|(a, b, c, d, e, f, g)| vec![a, b, c, d, e, f, g])
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
    /// Whatever the rows, the fast reader either reads what the general one reads (the
    /// same dataset, notes included) or leaves the file to it; it never takes a file the
    /// general reader rejects, and it takes every file of plain good rows.
    #[test]
    fn the_fast_reader_agrees_with_the_general_one_on_job_metrics(
        rows in proptest::collection::vec(metric_row(), 0..8),
        berlin in proptest::bool::ANY,
    ) {
        let zone = if berlin { "Europe/Berlin" } else { "UTC" };
        let mut text = format!("{METRICS}\n");
        for r in &rows {
            text.push_str(&r.join(","));
            text.push('\n');
        }
        let mut general = Dataset::default();
        let g = read_bytes("s.csv", text.as_bytes(), &opts(zone), &mut general);
        let plain = g.is_ok() && general.notes.local_time_problems.is_empty();
        match fast_only(&text, zone) {
            Some(fast) => {
                proptest::prop_assert!(g.is_ok(), "fast took a file the general reader rejects");
                proptest::prop_assert_eq!(summary(&general), summary(&fast));
            }
            None => proptest::prop_assert!(!plain, "fast refused a plain file:\n{}", text),
        }
    }
}

#[test]
fn large_gzip_metric_files_take_the_fast_reader() {
    use std::io::Write;
    let mut rng = StdRng::seed_from_u64(3);
    let mut text = format!("{METRICS}\n");
    while text.len() < 6 << 20 {
        let t = 1_709_251_200 + rng.gen_range(0..86_400 * 30);
        let d = chrono::DateTime::from_timestamp(t, 0).unwrap();
        text.push_str(&format!(
            "{},{},{},{},1,{GUID_A},k{}\n",
            d.format("%Y-%m-%dT%H:%M:%SZ"),
            rng.gen_range(0..4000) as f64 / 1000.0,
            rng.gen_range(0..1u64 << 40),
            rng.gen_range(0..9),
            rng.gen_range(0..50)
        ));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    assert!(bytes.len() as u64 >= MIN_BYTES / 8, "{}", bytes.len());
    let dir = tempfile::tempdir().unwrap();
    // By the name, and by the magic bytes alone.
    for name in ["job_metrics.csv.gz", "job_metrics.csv"] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let mut fast = Dataset::default();
        let mut told = 0;
        assert!(try_file(&path, &opts("UTC"), &mut fast, &mut |n| told += n));
        assert_eq!(
            told,
            bytes.len() as u64,
            "progress counts the bytes on disk"
        );
        let mut general = Dataset::default();
        let shown = path.to_str().unwrap();
        crate::ingest::records::read_bytes_general(shown, &bytes, &opts("UTC"), &mut general)
            .unwrap();
        assert_eq!(summary(&general), summary(&fast));
    }
    // A cut-off stream is the general reader's to report.
    let path = dir.path().join("cut.csv.gz");
    std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    assert!(!try_file(
        &path,
        &opts("UTC"),
        &mut Dataset::default(),
        &mut |_| {}
    ));
}
