#![no_main]
//! Fuzz target `config`: see `harness::config` (fuzz/src/harness.rs).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = harness::config(data);
});
