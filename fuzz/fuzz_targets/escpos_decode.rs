//! Fuzz target `escpos_decode`: libFuzzer's bytes through `checks::escpos_decode` (docs/fuzzing.md).
#![no_main]

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::escpos_decode(data));
