//! Fuzz target `restore`: libFuzzer's bytes through `checks::restore` (docs/fuzzing.md).
#![no_main]

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::restore(data));
