//! `passline serve`: the engine and the local API with no screen (for
//! systemd); and the API half of `passline run`.
//!
//! `serve` takes the engine's handle and the two status watches and returns
//! when SIGTERM or SIGINT arrives, after telling every client the console is
//! stopping. `serve_console` starts the engine with its feed client and
//! printer spool (`console::Console`, as `run` does) and stops them after
//! the API, the engine last, which flushes.

use crate::api::server::{ApiServer, ApiStatus};
use crate::api::{ApiError, ApiOptions};
use crate::config::Config;
use crate::domain::status::FeedStatus;
use crate::domain::status::SpoolStatus;
use crate::engine::EngineHandle;
use anyhow::Context;
use std::future::Future;
use std::path::Path;
use std::process::ExitCode;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

/// Starts the API on `[api]` for this engine and these status watches.
pub async fn start_api(
    cfg: &Config,
    engine: EngineHandle,
    feed: watch::Receiver<FeedStatus>,
    printers: watch::Receiver<SpoolStatus>,
) -> Result<ApiServer, ApiError> {
    let opts = ApiOptions::from_config(&cfg.api)?;
    ApiServer::start(opts, engine, ApiStatus { feed, printers }, &cfg.store.name).await
}

/// Serves the API until SIGTERM or SIGINT.
pub async fn serve(
    cfg: &Config,
    engine: EngineHandle,
    feed: watch::Receiver<FeedStatus>,
    printers: watch::Receiver<SpoolStatus>,
) -> anyhow::Result<()> {
    let mut term = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot watch for SIGINT")?;
    serve_until(cfg, engine, feed, printers, async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: stopping"),
            _ = int.recv() => tracing::info!("SIGINT: stopping"),
        }
    })
    .await
}

/// Serves the API until `stop` resolves (tests pass their own).
pub async fn serve_until(
    cfg: &Config,
    engine: EngineHandle,
    feed: watch::Receiver<FeedStatus>,
    printers: watch::Receiver<SpoolStatus>,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let server = start_api(cfg, engine, feed, printers).await?;
    tracing::info!(addr = %server.local_addr(), "serving");
    stop.await;
    server.stop().await;
    Ok(())
}

/// The whole of `passline serve`.
pub fn serve_console(flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let cfg = crate::cli::load_config(flag)?;
    ApiOptions::from_config(&cfg.api)?;
    let _log = super::start_logs(&super::log_dir(&cfg), &cfg.log.level);
    let engine = crate::cli::start_console_engine(&cfg)?;
    let rt = super::runtime()?;
    eprintln!(
        "passline serve: store {} at {}, local API on ws://{} (stop with SIGTERM or Ctrl-C)",
        cfg.store.name,
        cfg.store.data_dir.display(),
        cfg.api.listen
    );
    // The feed client and the printer spool run here as in `run`: a box
    // under systemd takes the platform's orders and prints them.
    let res = rt.block_on(async {
        let console = super::Console::start(&cfg, engine)?;
        let res = serve(
            &cfg,
            console.engine.handle(),
            console.feed.clone(),
            console.printers.clone(),
        )
        .await;
        console.stop().await;
        res
    });
    drop(rt);
    tracing::info!("serve stopped; the store is flushed");
    eprintln!("passline serve: stopped, the store is flushed");
    res.map(|()| ExitCode::SUCCESS)
}
