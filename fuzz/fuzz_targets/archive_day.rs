//! Fuzz target `archive_day`: libFuzzer's bytes through `checks::archive_day` (docs/fuzzing.md).
#![no_main]

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::archive_day(data));
