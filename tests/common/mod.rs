//! Shared helpers for CLI tests: run the binary, write fixture files, decode JSON.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The binary under test, with a clean environment for reproducible output.
pub fn cmd() -> Command {
    let mut c = Command::cargo_bin("connect-capacity").expect("binary built by cargo");
    c.env_remove("TZ").env("NO_COLOR", "1");
    c
}

/// A temporary folder holding fixture files.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    /// Writes `name` with `text` and returns its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write fixture");
        p
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The repository's `sample_data/` folder.
pub fn sample_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data")
}

/// `sample_data/` as a command-line argument.
pub fn sample() -> String {
    sample_data().display().to_string()
}

/// Copies the files of `from` (not its sub-folders) into `to`, created when needed.
pub fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let p = e.expect("entry").path();
        if p.is_file() {
            std::fs::copy(&p, to.join(p.file_name().expect("a name"))).expect("copy");
        }
    }
}

/// Runs `analyze DIR --format FORMAT` with `args`, asserts it succeeded, and returns its
/// stdout and stderr.
pub fn analyze_dir(dir: &Path, format: &str, args: &[&str]) -> (String, String) {
    let out = cmd()
        .arg("analyze")
        .arg(dir)
        .args(["--format", format])
        .args(args)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    (String::from_utf8_lossy(&out.stdout).to_string(), stderr)
}

/// Runs `analyze --format json` with `args` and returns the decoded report.
pub fn analyze_json(args: &[&str]) -> Value {
    let out = cmd()
        .arg("analyze")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "analyze failed: {}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// A JSON value at a dotted path (`concurrency.sessions.peak`); panics with the path when absent.
pub fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    let mut cur = v;
    for key in path.split('.') {
        cur = match key.parse::<usize>() {
            Ok(i) => &cur[i],
            Err(_) => &cur[key],
        };
        assert!(!cur.is_null() || path.ends_with(key), "missing {path}");
    }
    cur
}

/// Shiny usage in readr's dialect (docs/inputs.md section 2.2).
pub const SHINY_READR: &str = "\
content_guid,user_guid,started,ended,data_version
bd1d2285-6c80-49af-8a83-a200effe3cb3,08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2,2024-03-04T14:02:11Z,2024-03-04T14:38:52Z,1
bd1d2285-6c80-49af-8a83-a200effe3cb3,a01792e3-2e67-402e-99af-be04a48da074,2024-03-04T14:05:40Z,2024-03-04T14:21:03Z,1
bd1d2285-6c80-49af-8a83-a200effe3cb3,NA,2024-03-04T14:30:00Z,2024-03-04T14:31:16Z,1
f2f37341-e21d-3d80-c698-a935ad614066,20a79ce3-6e87-4522-9faf-be24228800a4,2024-03-04T15:10:27Z,NA,1
";

/// The same sessions as `SHINY_READR`, written by R `write.csv` in America/New_York.
pub const SHINY_WRITE_CSV_NY: &str = "\
\"content_guid\",\"user_guid\",\"started\",\"ended\",\"data_version\"
\"bd1d2285-6c80-49af-8a83-a200effe3cb3\",\"08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2\",2024-03-04 09:02:11,2024-03-04 09:38:52,1
\"bd1d2285-6c80-49af-8a83-a200effe3cb3\",\"a01792e3-2e67-402e-99af-be04a48da074\",2024-03-04 09:05:40,2024-03-04 09:21:03,1
\"bd1d2285-6c80-49af-8a83-a200effe3cb3\",NA,2024-03-04 09:30:00,2024-03-04 09:31:16,1
\"f2f37341-e21d-3d80-c698-a935ad614066\",\"20a79ce3-6e87-4522-9faf-be24228800a4\",2024-03-04 10:10:27,NA,1
";
