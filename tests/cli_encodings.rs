//! Encodings: Excel's Windows-1252 re-saves, UTF-16 with and without a byte-order mark,
//! `--encoding [KIND=]ENC`, and rows that are not UTF-8 with and without `--lenient`
//! (docs/inputs.md 2.1).

mod common;

use common::*;
use serde_json::Value;

const GUID: &str = "a2764a24-8d2c-4256-8ea9-106f32cb5271";
const SHINY: &str = "content_guid,user_guid,started,ended,data_version
a2764a24-8d2c-4256-8ea9-106f32cb5271,u1,2024-03-04T10:00:00Z,2024-03-04T11:00:00Z,1
a2764a24-8d2c-4256-8ea9-106f32cb5271,u2,2024-03-04T10:30:00Z,2024-03-04T12:00:00Z,1
";

/// A content list as Excel on Windows saves it: "Café – Ventes" in Windows-1252
/// (é = E9, the en dash = 96), which is not valid UTF-8.
fn content_1252() -> Vec<u8> {
    let mut b = b"guid,name,title,app_mode\r\n".to_vec();
    b.extend_from_slice(format!("{GUID},ventes,").as_bytes());
    b.extend_from_slice(b"Caf\xe9 \x96 Ventes");
    b.extend_from_slice(b",shiny\r\n");
    b.extend_from_slice(b"b0eaf295-0000-4000-8000-000000000003,other,Plain title,static\r\n");
    b
}

/// `text` in UTF-16, little- or big-endian, with or without a byte-order mark.
fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if le { &[0xff, 0xfe] } else { &[0xfe, 0xff] });
    }
    for u in text.encode_utf16() {
        out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

/// Runs `analyze DIR --format json ARGS` on a folder holding `files`.
fn run(files: &[(&str, &[u8])], args: &[&str]) -> (Option<i32>, String, Option<Value>) {
    let f = Fixture::new();
    for (name, bytes) in files {
        std::fs::write(f.path().join(name), bytes).unwrap();
    }
    let out = cmd()
        .arg("analyze")
        .arg(f.path())
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&*f.path().to_string_lossy(), "DIR");
    (
        out.status.code(),
        stderr,
        serde_json::from_slice(&out.stdout).ok(),
    )
}

fn title_of(v: &Value) -> &str {
    v["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["guid"] == GUID)
        .and_then(|c| c["title"].as_str())
        .unwrap()
}

#[test]
fn windows_1252_content_list_fails_naming_line_and_encoding() {
    let content = content_1252();
    let (code, stderr, _) = run(
        &[("content.csv", &content), ("shiny.csv", SHINY.as_bytes())],
        &[],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("DIR/content.csv:2: column 'title': the value is not valid UTF-8"),
        "{stderr}"
    );
    assert!(stderr.contains("--encoding windows-1252"), "{stderr}");
}

#[test]
fn encoding_windows_1252_reads_cafe_ventes_for_all_or_one_kind() {
    let content = content_1252();
    let files: [(&str, &[u8]); 2] = [("content.csv", &content), ("shiny.csv", SHINY.as_bytes())];
    for args in [
        &["--encoding", "windows-1252"][..],
        &["--encoding", "latin-1"],
        &["--encoding", "content=windows-1252"],
        &["--encoding", "shiny=utf-8,content=cp1252"],
    ] {
        let (code, stderr, v) = run(&files, args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        let v = v.unwrap();
        assert_eq!(title_of(&v), "Café – Ventes", "{args:?}");
        assert_eq!(v["sessions"]["count"], 2);
        assert_eq!(v["inputs"]["skipped_rows"], 0);
    }
    // Naming another kind leaves the content list in UTF-8: still an error.
    let (code, stderr, _) = run(&files, &["--encoding", "users=windows-1252"]);
    assert_eq!(code, Some(1), "{stderr}");
}

#[test]
fn lenient_skips_rows_that_are_not_utf8_and_says_which_encoding_to_try() {
    let content = content_1252();
    let (code, stderr, v) = run(
        &[("content.csv", &content), ("shiny.csv", SHINY.as_bytes())],
        &["--lenient"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = v.unwrap();
    assert_eq!(v["inputs"]["skipped_rows"], 1);
    let skipped = &v["inputs"]["skipped"][0];
    assert_eq!(skipped["line"], 2);
    assert_eq!(skipped["column"], "title");
    assert_eq!(v["inputs"]["encoding_skips"][0]["rows"], 1);
    assert_eq!(v["inputs"]["encoding_skips"][0]["first_line"], 2);
    // The hint is on stderr and in the report's warnings.
    let hint = "1 rows skipped (--lenient) because they are not valid UTF-8, the first at line 2";
    assert!(stderr.contains(hint), "{stderr}");
    assert!(
        stderr.contains("--encoding content=windows-1252"),
        "{stderr}"
    );
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains(hint) && warnings.contains("content=windows-1252"),
        "{warnings}"
    );
    // The other row of the content list was read.
    assert!(v["content"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["title"] == "Plain title"));
}

#[test]
fn utf16_with_a_byte_order_mark_reads_like_utf8() {
    let (_, _, plain) = run(&[("shiny.csv", SHINY.as_bytes())], &[]);
    let plain = plain.unwrap();
    for le in [true, false] {
        let bytes = utf16(SHINY, le, true);
        // A byte-order mark wins over --encoding.
        for args in [&[][..], &["--encoding", "windows-1252"]] {
            let (code, stderr, v) = run(&[("shiny.csv", &bytes)], args);
            assert_eq!(code, Some(0), "le={le} {args:?}: {stderr}");
            let v = v.unwrap();
            assert_eq!(v["sessions"], plain["sessions"], "le={le}");
            assert_eq!(v["concurrency"], plain["concurrency"], "le={le}");
        }
    }
    // A UTF-16 content list with a title outside ASCII.
    let text = format!("guid,title,app_mode\n{GUID},Café – Ventes,shiny\n");
    let (code, stderr, v) = run(
        &[
            ("content.csv", &utf16(&text, true, true)),
            ("shiny.csv", SHINY.as_bytes()),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(title_of(&v.unwrap()), "Café – Ventes");
}

#[test]
fn utf16_without_a_byte_order_mark_needs_encoding() {
    let bytes = utf16(SHINY, false, false);
    let (code, stderr, _) = run(&[("shiny.csv", &bytes)], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("looks like UTF-16 without a byte-order mark: pass --encoding utf-16"),
        "{stderr}"
    );
    let (code, stderr, v) = run(&[("shiny.csv", &bytes)], &["--encoding", "shiny=utf-16be"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(v.unwrap()["sessions"]["count"], 2);
}

#[test]
fn unknown_encoding_is_a_usage_error() {
    let (code, stderr, _) = run(
        &[("shiny.csv", SHINY.as_bytes())],
        &["--encoding", "ebcdic"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("unknown encoding 'ebcdic'"), "{stderr}");
}
