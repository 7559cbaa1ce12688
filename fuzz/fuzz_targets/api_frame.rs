//! Fuzz target `api_frame`: libFuzzer's bytes through `checks::api_frame` (docs/fuzzing.md).
#![no_main]

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::api_frame(data));
