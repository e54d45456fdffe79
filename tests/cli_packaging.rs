//! What the packages are built from: `completions`, `man` and `--version`, and that the
//! git commit shown by `--version` appears nowhere else (reports stay stable per commit).

mod common;

use common::*;
use predicates::prelude::*;

/// `--version`'s stdout, checked for its shape; returns the commit part.
fn version_commit() -> String {
    let out = cmd().arg("--version").output().expect("run");
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).expect("utf-8");
    let prefix = format!("connect-capacity {} (commit ", env!("CARGO_PKG_VERSION"));
    let commit = line
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("--version printed {line:?}"));
    let hex = commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit());
    assert!(hex || commit == "unknown", "commit part {commit:?}");
    commit.to_string()
}

#[test]
fn version_prints_the_version_and_the_commit() {
    version_commit();
    let short = cmd().arg("-V").output().expect("run");
    assert_eq!(
        String::from_utf8_lossy(&short.stdout),
        format!("connect-capacity {}\n", connect_capacity::version::VERSION)
    );
}

#[test]
fn bash_completions_name_the_binary_and_its_subcommands() {
    cmd()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("connect-capacity"))
        .stdout(predicate::str::contains("analyze"))
        .stdout(predicate::str::contains("--alert-at"))
        .stderr(predicate::str::is_empty());
}

#[test]
fn completions_for_every_packaged_shell() {
    for shell in ["zsh", "fish", "powershell"] {
        cmd()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("connect-capacity"))
            .stdout(predicate::str::contains("fetch"));
    }
}

#[test]
fn rejects_an_unknown_shell_as_usage_error() {
    cmd()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("bash"));
}

#[test]
fn man_page_is_roff_with_every_command_and_no_commit() {
    let out = cmd().arg("man").output().expect("run");
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).expect("utf-8");
    assert!(page.starts_with('.'), "roff starts with a request");
    let th = page
        .lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"));
    let expected = format!(
        ".TH connect-capacity 1  \"connect-capacity {}\"",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(th.map(str::trim_end), Some(expected.as_str()));
    for heading in [
        "COMMAND ANALYZE",
        "COMMAND FETCH",
        "EXIT STATUS",
        "CONNECT_API_KEY",
    ] {
        assert!(page.contains(heading), "man page lacks {heading}");
    }
    assert!(
        page.contains(r"\-\-alert\-at"),
        "options of subcommands are listed"
    );
    assert!(
        !page.contains("commit"),
        "the man page never carries the git commit"
    );
}

#[test]
fn reports_never_carry_the_commit() {
    let commit = version_commit();
    let f = Fixture::new();
    let p = f.file("shiny.csv", SHINY_READR);
    let v = analyze_json(&[p.to_str().unwrap()]);
    assert_eq!(at(&v, "tool.version"), env!("CARGO_PKG_VERSION"));
    let text = v.to_string();
    assert!(!text.contains("commit"));
    if commit != "unknown" {
        assert!(
            !text.contains(&commit),
            "JSON report holds the commit {commit}"
        );
    }
}
