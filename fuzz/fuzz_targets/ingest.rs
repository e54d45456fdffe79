#![no_main]
//! Fuzz target `ingest`: see `harness::ingest` (fuzz/src/harness.rs) for the input layout and
//! the properties checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = harness::ingest(data);
});
