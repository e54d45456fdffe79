//! Bad-input tests: unknown headers, bad values with exact lines, lenient skips, encodings,
//! gzip, truncation and overlap warnings, DST notes.

use std::io::Write;

use flate2::write::GzEncoder;

use super::*;

const HEADER: &str = "content_guid,user_guid,started,ended,data_version\n";

fn shiny_row(i: usize) -> String {
    format!(
        "c{},u{i},2024-03-04T14:02:11Z,2024-03-04T14:38:52Z,1\n",
        i % 3
    )
}

fn shiny_rows(n: usize) -> String {
    HEADER.to_string() + &(0..n).map(shiny_row).collect::<String>()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn unknown_header_lists_accepted_headers() {
    let (path, err) = read_err("mystery.csv", b"a,b,c\n1,2,3\n");
    assert!(
        err.starts_with(&format!("{}: not a recognised", path.display())),
        "{err}"
    );
    assert!(err.contains("header: a, b, c"), "{err}");
    assert!(err.contains("  shiny usage: content_guid, user_guid, started, ended[, data_version]"));
    assert!(err.contains("users: guid, username"), "{err}");
}

#[test]
fn a_file_of_no_known_kind_in_a_folder_is_skipped_with_its_header() {
    let shiny = shiny_rows(2);
    let files: [(&str, &[u8]); 2] = [
        ("mystery.csv", b"a,b,c\n1,2,3\n"),
        ("shiny.csv", shiny.as_bytes()),
    ];
    let (dir, res) = read_with(&files, &opts(&[], false));
    let ds = res.unwrap();
    assert_eq!(ds.files.len(), 1);
    assert_eq!(ds.sessions.len(), 2);
    let skipped = &ds.notes.skipped_files;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].path, dir.path().join("mystery.csv"));
    assert_eq!(skipped[0].header, "a, b, c");
}

#[test]
fn empty_file_says_it_is_empty() {
    let (_, err) = read_err("empty.csv", b"");
    assert!(err.ends_with("empty.csv:1: the file is empty (not even a header line); export it again, it may have been cut off"), "{err}");
}

#[test]
fn rejects_unparseable_ended_with_line_number_after_multiline_field() {
    let text = "content_guid,user_guid,started,ended,note\n\
                c1,u1,2024-03-04T14:02:11Z,2024-03-04T14:38:52Z,\"two\nlines\"\n\
                c1,u2,2024-03-04T14:02:11Z,yesterday,x\n";
    let (path, err) = read_err("shiny.csv", text.as_bytes());
    let expected = format!(
        "{}:4: column 'ended': cannot parse 'yesterday' as a timestamp; expected RFC 3339 \
         (2024-03-04T09:02:11Z), 'YYYY-MM-DD HH:MM:SS' or epoch seconds; fix the value or \
         pass --lenient to skip bad rows",
        path.display()
    );
    assert_eq!(err, expected);
}

#[test]
fn rejects_bad_numbers_empty_guids_and_out_of_range_times() {
    let cases = [
        (
            "c1,u1,2024-03-04T14:02:11Z,,3.5\n",
            "column 'data_version': expected an integer",
        ),
        (
            ",u1,2024-03-04T14:02:11Z,,1\n",
            "column 'content_guid': empty value",
        ),
        ("c1,u1,NA,,1\n", "column 'started': empty value"),
        ("c1,u1,1999-03-04T14:02:11Z,,1\n", "outside [2000, 2100)"),
    ];
    for (row, msg) in cases {
        let (_, err) = read_err("shiny.csv", (HEADER.to_string() + row).as_bytes());
        assert!(err.contains(":2: ") && err.contains(msg), "{err}");
    }
}

#[test]
fn lenient_skips_count_and_list_the_first_rows() {
    let mut text = shiny_rows(3);
    for i in 0..25 {
        text.push_str(&format!("bad{i},u1,2024-03-04T14:02:11Z,soon,1\n"));
    }
    let (_dir, res) = read_with(&[("shiny.csv", text.as_bytes())], &opts(&[], true));
    let ds = res.unwrap();
    assert_eq!(ds.files[0].rows, 28);
    assert_eq!(ds.sessions.len(), 3);
    assert_eq!(ds.notes.skipped_rows, 25);
    assert_eq!(ds.notes.skipped.len(), MAX_LISTED);
    let first = &ds.notes.skipped[0];
    assert_eq!((first.line, first.column.as_deref()), (5, Some("ended")));
    assert!(
        first.message.starts_with("cannot parse 'soon'"),
        "{}",
        first.message
    );
    assert_eq!(ds.content_ids.len(), 3, "skipped rows intern nothing");
}

#[test]
fn bom_and_crlf_are_accepted() {
    let text = "\u{feff}content_guid,started,ended\r\nc1,2024-03-04T14:02:11Z,NA\r\nc2,2024-03-04 14:02:12,\r\n";
    let ds = read_ok("shiny.csv", text, &[]);
    assert_eq!(ds.sessions.len(), 2);
    assert_eq!(ds.sessions[1].started, t("2024-03-04T14:02:12Z"));
    assert_eq!(ds.sessions[1].origin.line, 3);
    assert_eq!(ds.sessions[0].ended, None);
}

#[test]
fn wrong_field_count_names_the_line() {
    let text = shiny_rows(2) + "c1,u1,2024-03-04T14:02:11Z\n";
    let (path, err) = read_err("shiny.csv", text.as_bytes());
    assert!(
        err.starts_with(&format!("{}:4: found 3 fields", path.display())),
        "{err}"
    );
}

#[test]
fn invalid_utf8_names_the_line_and_suggests_an_encoding() {
    let mut bytes = shiny_rows(1).into_bytes();
    bytes.extend_from_slice(b"c\xff1,u1,2024-03-04T14:02:11Z,,1\n");
    let (path, err) = read_err("shiny.csv", &bytes);
    let want = format!(
        "{}:3: column 'content_guid': the value is not valid UTF-8; the file is probably in \
         another encoding",
        path.display()
    );
    assert!(err.starts_with(&want), "{err}");
    assert!(err.contains("pass --encoding windows-1252"), "{err}");
    // Under --lenient the row is skipped, counted, listed and the file noted.
    let (_dir, res) = read_with(&[("shiny.csv", &bytes)], &opts(&[], true));
    let ds = res.unwrap();
    assert_eq!((ds.sessions.len(), ds.notes.skipped_rows), (1, 1));
    assert_eq!(ds.notes.skipped[0].line, 3);
    assert_eq!(ds.notes.skipped[0].column.as_deref(), Some("content_guid"));
    let skip = &ds.notes.encoding_skips[0];
    assert_eq!(
        (skip.kind, skip.rows, skip.first_line),
        (Kind::ShinyUsage, 1, 3)
    );
}

#[test]
fn windows_1252_and_utf16_files_take_the_fast_reader_too() {
    // Large plain Shiny usage files in another encoding are decoded before the fast
    // reader, which then reads them (compact rows) exactly as the UTF-8 file.
    let mut text = String::from("content_guid,user_guid,started,ended,data_version\n");
    let mut i = 0u64;
    while (text.len() as u64) < crate::ingest::fast::MIN_BYTES {
        text.push_str(&format!(
            "c{},u{},2024-03-04T14:02:11Z,2024-03-04T15:00:00Z,1\n",
            i % 7,
            i % 13
        ));
        i += 1;
    }
    let read = |bytes: &[u8], enc: &[&str]| {
        let specs: Vec<String> = enc.iter().map(|s| s.to_string()).collect();
        let o = IngestOptions {
            encoding: crate::ingest::InputEncoding::parse(&specs).unwrap(),
            ..opts(&[], false)
        };
        let mut ds = Dataset::default();
        read_bytes("big.csv", bytes, &o, &mut ds).unwrap();
        assert!(ds.sessions.is_empty(), "the general reader read it");
        (ds.compact.iter().collect::<Vec<_>>(), ds.files[0].rows)
    };
    let utf8 = read(text.as_bytes(), &[]);
    assert_eq!(utf8.1, i);
    assert_eq!(read(text.as_bytes(), &["windows-1252"]), utf8);
    let mut le = vec![0xff, 0xfe];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(read(&le, &[]), utf8);
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    assert_eq!(read(&be, &["shiny=utf-16be"]), utf8);
}

#[test]
fn gzip_files_are_read_by_name_or_magic() {
    let plain = shiny_rows(4);
    let packed = gz(plain.as_bytes());
    let (_dir, res) = read_with(
        &[
            ("a.csv.gz", &packed),
            ("b.csv", &packed),
            ("c.csv", plain.as_bytes()),
        ],
        &opts(&[], false),
    );
    let ds = res.unwrap();
    assert_eq!(ds.files.len(), 3);
    assert_eq!(ds.sessions.len(), 12);
    let per_file: Vec<_> = ds.files.iter().map(|f| f.rows).collect();
    assert_eq!(per_file, [4, 4, 4]);
}

#[test]
fn truncated_gzip_is_an_error_naming_the_file() {
    let packed = gz(shiny_rows(2000).as_bytes());
    let cut = &packed[..packed.len() / 2];
    let (path, err) = read_err("shiny.csv.gz", cut);
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(err.contains("truncated or corrupt"), "{err}");
}

fn truncation_warning(path: &std::path::Path, n: usize, what: &str) -> String {
    format!(
        "{}: exactly {n} {what} — connectapi's default row limit may have truncated this \
         export; re-export with limit = Inf",
        path.display()
    )
}

#[test]
fn exactly_500_or_20_rows_warns_about_truncation() {
    for (n, warns) in [(500, true), (20, true), (501, false), (19, false)] {
        let text = shiny_rows(n);
        let (dir, res) = read_with(&[("shiny.csv", text.as_bytes())], &opts(&[], false));
        let ds = res.unwrap();
        let expected = truncation_warning(&dir.path().join("shiny.csv"), n, "rows");
        assert_eq!(
            ds.notes.warnings.contains(&expected),
            warns,
            "{n}: {:?}",
            ds.notes.warnings
        );
        assert_eq!(ds.notes.warnings.len(), usize::from(warns));
    }
}

/// A unified usage file: `sessions` Shiny session rows (visit-only columns empty) then
/// `visits` visit rows (variant_key, rendering_id, bundle_id and path set), then `extra`
/// raw rows.
fn unified_rows(sessions: usize, visits: usize, extra: &str) -> String {
    let mut text =
        "content_guid,user_guid,variant_key,rendering_id,bundle_id,started,ended,data_version,path\n"
            .to_string();
    for i in 0..sessions {
        text.push_str(&format!(
            "s{},u{i},,,,2023-10-27T16:00:02Z,2023-10-27T16:31:47Z,1,\n",
            i % 3
        ));
    }
    for i in 0..visits {
        text.push_str(&format!(
            "v{},u{i},k,7,33,2023-10-27T16:19:40Z,2023-10-27T16:19:40Z,3,/\n",
            i % 3
        ));
    }
    text + extra
}

#[test]
fn unified_usage_warns_per_part_not_on_the_total() {
    // connectapi's limit applies per endpoint: the session part and the visit part of a
    // unified file are checked separately. Each case: (sessions, visits, expected warnings).
    type Case<'a> = (usize, usize, &'a [(usize, &'a str)]);
    let cases: [Case; 6] = [
        // 250 + 250 = 500 rows in all, but neither part is 500 or 20: no warning.
        (250, 250, &[]),
        // 20 sessions + 480 visits = 500: only the 20 sessions warn.
        (20, 480, &[(20, "Shiny session rows")]),
        (3, 500, &[(500, "visit rows")]),
        (500, 20, &[(500, "Shiny session rows"), (20, "visit rows")]),
        (0, 19, &[]),
        (21, 0, &[]),
    ];
    for (sessions, visits, expected) in cases {
        let text = unified_rows(sessions, visits, "");
        let (dir, res) = read_with(&[("usage.csv", text.as_bytes())], &opts(&[], false));
        let ds = res.unwrap();
        assert_eq!((ds.sessions.len(), ds.visits.len()), (sessions, visits));
        let path = dir.path().join("usage.csv");
        let want: Vec<String> = expected
            .iter()
            .map(|&(n, what)| truncation_warning(&path, n, what))
            .collect();
        assert_eq!(ds.notes.warnings, want, "{sessions} + {visits}");
    }
}

#[test]
fn unified_rows_skipped_under_lenient_count_by_their_raw_text() {
    // 19 good sessions + one bad session row (visit-only columns empty, ended 'soon') = 20
    // session rows; 499 good visits + one bad visit row (variant_key 'k', times 'x') = 500
    // visit rows: the class comes from the raw visit-only columns, not the times.
    let extra = "s1,u1,,,,2023-10-27T16:00:02Z,soon,1,\nv1,u1,k,,,x,x,3,\n";
    let text = unified_rows(19, 499, extra);
    let (dir, res) = read_with(&[("usage.csv", text.as_bytes())], &opts(&[], true));
    let ds = res.unwrap();
    assert_eq!(ds.notes.skipped_rows, 2);
    let path = dir.path().join("usage.csv");
    assert_eq!(
        ds.notes.warnings,
        [
            truncation_warning(&path, 20, "Shiny session rows"),
            truncation_warning(&path, 500, "visit rows"),
        ]
    );
}

#[test]
fn jobs_with_20_rows_do_not_warn() {
    let rows: String = (0..20)
        .map(|i| format!("c1,2024-03-04T14:02:{i:02}Z,,run_app\n"))
        .collect();
    let ds = read_ok(
        "jobs.csv",
        &("content_guid,start_time,end_time,tag\n".to_string() + &rows),
        &[],
    );
    assert_eq!(ds.jobs.len(), 20);
    assert!(ds.notes.warnings.is_empty());
}

#[test]
fn overlapping_visit_sources_warn() {
    let visits = "content_guid,user_guid,time,data_version\nc1,u1,2024-03-04T14:02:11Z,3\n";
    let hits = "id,user_guid,content_guid,timestamp\n1,u1,c1,2024-03-04T14:02:11Z\n";
    let (_dir, res) = read_with(
        &[("v.csv", visits.as_bytes()), ("h.csv", hits.as_bytes())],
        &opts(&[], false),
    );
    let ds = res.unwrap();
    assert_eq!(ds.visits.len(), 2);
    assert_eq!(ds.notes.warnings.len(), 1);
    assert!(
        ds.notes.warnings[0].contains("content visits, content hits"),
        "{:?}",
        ds.notes.warnings
    );
    assert!(ds.notes.warnings[0].contains("double-count"));
}

#[test]
fn dst_adjusted_local_times_are_counted_and_listed() {
    let text = HEADER.to_string()
        + "c1,u1,2024-03-10 02:30:00,2024-03-10 03:45:00,1\n\
           c1,u2,2024-11-03 01:30:00,2024-11-03 01:40:00,1\n";
    let ds = read_ok("shiny.csv", &text, &["America/New_York"]);
    assert_eq!(ds.notes.nonexistent_local_times, 1);
    assert_eq!(ds.notes.ambiguous_local_times, 2);
    assert_eq!(ds.notes.local_time_problems.len(), 3);
    let gap = &ds.notes.local_time_problems[0];
    assert_eq!((gap.line, gap.column.as_deref()), (2, Some("started")));
    assert!(gap
        .message
        .contains("'2024-03-10 02:30:00' in America/New_York does not exist"));
    assert_eq!(ds.sessions[0].started, t("2024-03-10T07:30:00Z"));
    assert_eq!(ds.sessions[1].started, t("2024-11-03T05:30:00Z"));
}

#[test]
fn files_are_read_in_sorted_order_with_file_indexes() {
    let (_dir, res) = read_with(
        &[
            ("b.csv", shiny_rows(1).as_bytes()),
            ("a.csv", shiny_rows(2).as_bytes()),
        ],
        &opts(&[], false),
    );
    let ds = res.unwrap();
    assert!(ds.files[0].path.ends_with("a.csv"));
    assert_eq!(ds.sessions[2].origin, Origin { file: 1, line: 2 });
    assert!(ds.path_of(ds.sessions[2].origin).ends_with("b.csv"));
}

#[test]
fn crlf_line_numbers_count_multiline_fields() {
    let text = "content_guid,started,ended,note\r\n\
                c1,2024-03-04T14:02:11Z,,\"a\r\nb\"\r\n\
                c1,2024-03-04T14:02:11Z,,x\r\n\
                c1,2024-03-04T14:02:11Z,later,x\r\n";
    let (path, err) = read_err("shiny.csv", text.as_bytes());
    assert!(
        err.starts_with(&format!("{}:5: column 'ended'", path.display())),
        "{err}"
    );
    let short = "content_guid,started,ended\r\nc1,2024-03-04T14:02:11Z,\r\nc1\r\n";
    let (path, err) = read_err("shiny.csv", short.as_bytes());
    assert!(
        err.starts_with(&format!("{}:3: found 1 fields", path.display())),
        "{err}"
    );
}

#[test]
fn read_bytes_matches_reading_the_file() {
    let plain = shiny_rows(4) + "c9,u9,2024-03-04T14:02:11Z,later,1\n";
    let o = opts(&[], true);
    let (_dir, res) = read_with(&[("s.csv", plain.as_bytes())], &o);
    let from_file = res.unwrap();
    for (name, bytes) in [
        ("s.csv", plain.clone().into_bytes()),
        ("s.csv.gz", gz(plain.as_bytes())),
        ("s.csv", gz(plain.as_bytes())),
    ] {
        let mut ds = Dataset::default();
        read_bytes(name, &bytes, &o, &mut ds).unwrap();
        assert_eq!(ds.files.len(), 1);
        assert_eq!(Path::new(name), ds.files[0].path);
        assert_eq!((ds.files[0].kind, ds.files[0].rows), (Kind::ShinyUsage, 5));
        assert_eq!(ds.sessions, from_file.sessions);
        assert_eq!(ds.notes.skipped_rows, 1);
        assert_eq!(ds.notes.skipped[0].line, 6);
        assert_eq!(ds.notes.skipped[0].path, Path::new(name));
    }
    // Strict: the error names the given name, line and column.
    let mut ds = Dataset::default();
    let err = read_bytes("mem.csv", plain.as_bytes(), &opts(&[], false), &mut ds).unwrap_err();
    assert!(
        err.to_string().starts_with("mem.csv:6: column 'ended': "),
        "{err}"
    );
    // A second call appends: file index 1.
    let mut ds = Dataset::default();
    read_bytes("a.csv", shiny_rows(1).as_bytes(), &o, &mut ds).unwrap();
    read_bytes("b.csv", shiny_rows(1).as_bytes(), &o, &mut ds).unwrap();
    assert_eq!(ds.sessions[1].origin, Origin { file: 1, line: 2 });
}
