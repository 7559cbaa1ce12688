//! Fuzz target `printer_status`: libFuzzer's bytes through `checks::printer_status` (docs/fuzzing.md).
#![no_main]

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::printer_status(data));
