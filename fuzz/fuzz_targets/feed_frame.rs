//! Fuzz target `feed_frame`: libFuzzer's bytes through `checks::feed_frame` (docs/fuzzing.md).
#![no_main]

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::feed_frame(data));
