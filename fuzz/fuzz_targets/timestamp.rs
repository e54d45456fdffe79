#![no_main]
//! Fuzz target `timestamp`: see `harness::timestamp` (fuzz/src/harness.rs) for the input layout and
//! the properties checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = harness::timestamp(data);
});
