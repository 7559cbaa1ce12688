//! The screens, the local API, the feed link and the command line, tested
//! end to end: one test binary (CI links a handful, not one per file). Each
//! module was a test file of its own; its name is kept.

#[path = "../api_support/mod.rs"]
mod api_support;
#[path = "../common/mod.rs"]
mod common;
#[path = "../feed_support/mod.rs"]
mod feed_support;
#[path = "../tui_fixture/mod.rs"]
mod tui_fixture;

mod api_access;
mod api_ctl;
mod api_screens;
mod api_serve;
mod cli;
mod counter_feed;
mod counter_keys;
mod feed_crash;
mod feed_link;
mod report_cli;
mod tui_keys;
mod tui_report;
mod tui_screens;
