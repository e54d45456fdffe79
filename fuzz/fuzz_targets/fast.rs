#![no_main]
//! Fuzz target `fast`: see `harness::fast` (fuzz/src/harness.rs): the fast Shiny reader
//! against the general one.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = harness::fast(data);
});
