//! Replays the fuzz corpus and every input a fuzz run ever crashed on, on stable, through
//! the same entry points the libFuzzer targets call (fuzz/src/harness.rs, included here).
//! The harness panics when ingest panics or breaks one of its properties, so replaying the
//! corpus is a no-panic test; each regression input also has its expected outcome below.

#[path = "../fuzz/src/harness.rs"]
mod harness;

use std::fs;
use std::path::{Path, PathBuf};

type Target = fn(&[u8]) -> String;

const TARGETS: [(&str, Target); 5] = [
    ("detect", harness::detect),
    ("ingest", harness::ingest),
    ("timestamp", harness::timestamp),
    ("config", harness::config),
    ("fast", harness::fast),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir` (not hidden), sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    files
}

fn target(name: &str) -> Target {
    TARGETS.iter().find(|(n, _)| *n == name).unwrap().1
}

#[test]
fn corpus_inputs_never_panic() {
    for (name, run) in TARGETS {
        let files = inputs(&fuzz_dir().join("corpus").join(name));
        assert!(files.len() >= 10, "fuzz/corpus/{name} is missing or tiny");
        for f in files {
            let data = fs::read(&f).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{name} panicked on {}", f.display());
        }
    }
}

/// Every file under fuzz/regressions/<target>/ with the outcome it must now have (a
/// substring of the harness's outcome description).
const EXPECTED: &[(&str, &str, &str)] = &[
    // Naive times read in Pacific/Apia (byte 0 = 5): the fast reader takes the file and
    // keeps its row compact; the first harness compared only `sessions` and saw none (a
    // harness bug, found by the harness's first run). Both readers give the one row.
    ("fast", "naive-times-in-apia", "fast rows=1"),
    // A header naming content_guid twice: the general reader refuses it (line 1), the fast
    // reader took it. It now declines, so the general reader's error stands.
    ("fast", "duplicate-column-header", "general"),
    // The write.csv Shiny example (gzip-compressed by the harness) with a CRLF header line,
    // one LF line, then CRLF lines. csv-core's line count plus the old "+1 for CRLF files"
    // fix gave rows 1-4 lines 2, 4, 4, 5 (two records on line 4); they are on physical
    // lines 2, 3, 4, 5.
    (
        "ingest",
        "mixed-crlf-lf-line-numbers",
        "strict: ok shiny [4, 4, 0, 0, 0, 0, 0] warnings=0 lines=[2, 3, 4, 5]",
    ),
    // A hits file whose second row follows 68 lone CRs (a harness find: its line oracle
    // counted only LF). A lone CR ends a line for the CSV parser, so the cut-off row is on
    // line 2 + 68 = 70 and the error says so (the old reader said line 2; strict stops
    // earlier, at a bad timestamp).
    (
        "ingest",
        "lone-cr-line-numbers",
        "lenient: err fuzz.csv:70: found 3 fields where the header has 6",
    ),
];

#[test]
fn regressions_have_their_expected_outcome() {
    let mut seen = 0;
    for (name, _) in TARGETS {
        for f in inputs(&fuzz_dir().join("regressions").join(name)) {
            let file = f.file_name().unwrap().to_string_lossy().to_string();
            let expected = EXPECTED
                .iter()
                .find(|(t, n, _)| *t == name && *n == file)
                .unwrap_or_else(|| panic!("no expected outcome for {}", f.display()));
            let outcome = target(name)(&fs::read(&f).unwrap());
            assert!(
                outcome.contains(expected.2),
                "{}: expected `{}` in `{outcome}`",
                f.display(),
                expected.2
            );
            seen += 1;
        }
    }
    assert_eq!(seen, EXPECTED.len(), "a listed regression input is missing");
}
