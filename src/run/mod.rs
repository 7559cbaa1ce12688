//! Start-up, in one place: each long-running command wired from its parts.
//! The screens (`tui`) draw and handle keys, the API (`api`) serves and
//! dials; neither starts the other. Here the runtime is built, logging set
//! up and the tasks started and stopped, for:
//!
//! - `console`: `passline run`, the engine with its feed client, printer
//!   spool and local API, then the screen (`Console` is the running set).
//! - `serve`: `passline serve`, the same with no screen (for systemd).
//! - `attach`: `passline attach`, the screen on another terminal, fed
//!   through a console's API.
//! - `demo`: `passline demo`, the whole console on simulated parts.

pub mod attach;
pub mod console;
pub mod demo;
pub mod serve;

pub use console::Console;

use crate::config::Config;
use anyhow::Context;
use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;

/// The async runtime every long-running command uses: two workers (the box
/// has two cores; the engine's writer has its own thread).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Where the logs go: `[log] dir`, else `logs` in the data dir.
pub fn log_dir(cfg: &Config) -> PathBuf {
    cfg.log
        .dir
        .clone()
        .unwrap_or_else(|| cfg.store.data_dir.join("logs"))
}

/// Starts logging to files in `dir` (keep the guard until exit).
pub fn start_logs(dir: &Path, level: &str) -> Option<WorkerGuard> {
    crate::logging::init(dir, level)
}
