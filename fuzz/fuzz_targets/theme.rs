//! Fuzz target `theme`: libFuzzer's bytes through `checks::theme` (docs/fuzzing.md).
#![no_main]

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::theme(data));
