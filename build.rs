//! Build script: embeds the git commit the binary is built from, for `--version` only
//! (src/version.rs), as the environment variable `CONNECT_CAPACITY_GIT_COMMIT`.
//!
//! - Set `CONNECT_CAPACITY_GIT_COMMIT` when building to give the commit yourself (a source
//!   tarball has no `.git`); otherwise `git rev-parse --short HEAD` is asked, and only when
//!   the git top level is this crate's own folder (a crate vendored inside another
//!   repository must not report that repository's commit).
//! - Without git, outside a checkout, or when git fails: "unknown". Nothing here can fail
//!   the build.
//! - Rebuilds when HEAD moves: `rerun-if-changed` on the checkout's HEAD file and on the
//!   file of the branch it points to (or `packed-refs`), only for paths that exist, since
//!   Cargo re-runs a build script on every build when a watched path is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

const VAR: &str = "CONNECT_CAPACITY_GIT_COMMIT";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={VAR}");
    let given = std::env::var(VAR).ok().filter(|v| !v.trim().is_empty());
    let commit = match given {
        Some(v) => v.trim().to_string(),
        None => git_commit().unwrap_or_else(|| "unknown".into()),
    };
    println!("cargo:rustc-env={VAR}={commit}");
}

/// The short commit of HEAD, after registering the git files to watch; `None` without a
/// usable checkout of this crate.
fn git_commit() -> Option<String> {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let top = git(&dir, &["rev-parse", "--show-toplevel"])?;
    if !same_dir(Path::new(&top), &dir) {
        return None;
    }
    watch_head(&dir);
    let hash = git(&dir, &["rev-parse", "--short=7", "HEAD"])?;
    hash.chars().all(|c| c.is_ascii_hexdigit()).then_some(hash)
}

/// Registers HEAD, the branch file it points to (or its nearest existing folder, where the
/// next commit will write it, when the branch sits in `packed-refs`) and `packed-refs`.
fn watch_head(dir: &Path) {
    let mut paths = Vec::new();
    paths.extend(git_path(dir, "HEAD"));
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        paths.extend(git_path(dir, &branch));
        paths.extend(git_path(dir, "packed-refs").filter(|p| p.exists()));
    }
    for path in paths {
        if let Some(p) = path.ancestors().find(|p| p.exists()) {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
}

/// The path of a file inside the git directory (a worktree keeps HEAD apart from refs).
fn git_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(git(dir, &["rev-parse", "--git-path", name])?);
    Some(if p.is_absolute() { p } else { dir.join(p) })
}

/// Runs git in `dir`; its trimmed stdout when it succeeds with some output.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
