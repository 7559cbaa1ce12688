//! The engine, the store and what is printed or reported, tested through
//! the library: one test binary (CI links a handful, not one per file).
//! Each module was a test file of its own; its name is kept.

#[path = "../common/mod.rs"]
mod common;

mod archive;
mod counter_engine;
mod crash;
mod engine;
mod fuzz_findings;
mod layers;
mod payment_vectors;
mod print_layout;
mod print_spool;
mod record_encoding;
mod report_day;
mod report_print;
mod report_props;
mod report_summaries;
mod rules_props;
mod shifts;
