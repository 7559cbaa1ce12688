//! Fuzz target `printer_profile`: libFuzzer's bytes through `checks::printer_profile` (docs/fuzzing.md).
#![no_main]

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::printer_profile(data));
