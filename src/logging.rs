//! Logs go to a daily file through tracing; the terminal belongs to the TUI.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;

/// Starts file logging in `dir`. Keep the guard alive until exit so the last
/// lines are written. Fails quietly (no logs) rather than stopping the till.
pub fn init(dir: &Path, level: &str) -> Option<WorkerGuard> {
    std::fs::create_dir_all(dir).ok()?;
    // Logs name staff and orders: 0700 / 0600 (docs/security.md, "Files").
    let _ = crate::secret::make_private(dir);
    let appender = tracing_appender::rolling::daily(dir, "passline.log");
    // 8,192 lines waiting for the disk at most (the default 128,000 takes
    // 4 MiB of memory up front); beyond that, lines are dropped, never the
    // till held up.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(8192)
        .lossy(true)
        .finish(appender);
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
