//! File modes: reports get the mode the umask gives (0644 under umask 022), history
//! snapshots stay 0600 whatever the umask (they hold user names). Each run sets its umask
//! explicitly, so the test does not depend on the caller's.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Runs the binary with `args` under `umask`.
fn run_with_umask(umask: &str, args: &[&str]) {
    let bin = assert_cmd::cargo::cargo_bin("connect-capacity");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$@\""))
        .arg("sh")
        .arg(bin)
        .args(args)
        .env_remove("TZ")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn reports_follow_the_umask_and_history_stays_private() {
    let f = Fixture::new();
    let shiny = f.file("shiny.csv", SHINY_READR);
    for (umask, report_mode) in [("022", 0o644), ("027", 0o640), ("077", 0o600)] {
        let report = f.path().join(format!("report-{umask}.md"));
        let history = f.path().join(format!("history-{umask}"));
        run_with_umask(
            umask,
            &[
                "analyze",
                shiny.to_str().unwrap(),
                "--format",
                "markdown",
                "-o",
                report.to_str().unwrap(),
                "--history",
                history.to_str().unwrap(),
            ],
        );
        assert_eq!(mode(&report), report_mode, "report under umask {umask}");
        let mut snapshots = 0;
        for e in std::fs::read_dir(&history).unwrap() {
            let p = e.unwrap().path();
            assert_eq!(mode(&p), 0o600, "{} under umask {umask}", p.display());
            snapshots += 1;
        }
        assert!(snapshots > 0, "no snapshot written under umask {umask}");
    }
}

/// `-o` through a symbolic link replaces the file it leads to and leaves the link; `-o` to
/// a named pipe writes into the pipe (a rename would put a plain file in its place, as it
/// once did to `/dev/null`, run as root).
#[test]
fn output_through_a_link_or_into_a_pipe_keeps_them() {
    use std::os::unix::fs::FileTypeExt;
    let f = Fixture::new();
    let shiny = f.file("shiny.csv", SHINY_READR);
    let real = f.path().join("latest.json");
    let link = f.path().join("report.json");
    std::os::unix::fs::symlink("latest.json", &link).unwrap();
    cmd()
        .args(["analyze", shiny.to_str().unwrap(), "--format", "json", "-o"])
        .arg(&link)
        .assert()
        .success();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let report = std::fs::read_to_string(&real).unwrap();
    assert!(report.starts_with('{'), "{report}");

    let pipe = f.path().join("pipe");
    if !std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("mkfifo unavailable; the pipe half skipped");
        return;
    }
    let reader = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::read_to_string(pipe).unwrap())
    };
    cmd()
        .args(["analyze", shiny.to_str().unwrap(), "--format", "json", "-o"])
        .arg(&pipe)
        .assert()
        .success();
    let kind = std::fs::symlink_metadata(&pipe).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe was replaced by a {kind:?}");
    assert_eq!(
        reader.join().unwrap(),
        report,
        "the pipe carried the same report"
    );
}
