//! The console on the terminal: the kitchen rail and the cashier's screens.
//!
//! # Layout
//!
//! - `app`: the state (`App`), messages and `update`, one file per screen
//!   (mirroring `view`); commands go to the engine as `Effect`s. No sled,
//!   no sockets: only an `EngineHandle`.
//! - `keys`: a key to a `Message`, by screen and dialog.
//! - `view`: drawing, `impl Widget for &App`, one function per panel.
//! - `alerts`: what needs a person now (failed or double payments, printers,
//!   the feed, unreadable frames).
//! - `text`: the words in 简体中文 and English.
//! - `theme`: colour themes from `themes/*.toml`.
//! - `width`: text measured in terminal columns (CJK is two wide).
//! - `source`: where the data comes from: the engine here (`run`) or a
//!   console over the local API (`attach`).
//! - `term`: the terminal loop: keys, engine events, status watches and a
//!   1 s tick in one `select!`; a frame only when something changed, at most
//!   one per 10 ms; the terminal restored on exit, panic, SIGTERM and SIGHUP.

pub mod alerts;
pub mod app;
pub mod keys;
pub mod source;
pub mod term;
pub mod text;
pub mod theme;
pub mod view;
pub mod width;

pub use app::{App, Message, Screen, UiOptions};
pub use term::run_app;

use crate::config::Config;
use crate::engine::SystemClock;
use crate::feed::status::FeedStatus;
use crate::print::status::{PrinterState, PrinterStatus, SpoolStatus};
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::watch;

/// Each configured printer, not yet contacted: the spool's first status.
pub fn printers_unknown(cfg: &Config) -> SpoolStatus {
    cfg.printers
        .iter()
        .map(|p| PrinterStatus {
            name: p.name.clone(),
            label: p.label.clone().unwrap_or_else(|| p.name.clone()),
            state: PrinterState::Unknown,
            queued: 0,
            last_error: None,
            since: None,
        })
        .collect()
}

/// The counter's menu from `[store] menu` (or beside the config). A missing
/// or bad menu leaves the counter off (logged) rather than the kitchen down.
pub fn counter_setup(cfg: &Config) -> Option<app::counter::CounterSetup> {
    let path = cfg.menu_path(None);
    match crate::counter::Menu::load(&path, &cfg.claimed_stations()) {
        Ok(menu) => Some(app::counter::CounterSetup {
            menu: Arc::new(menu),
            store_id: cfg.store.id.clone(),
            device_id: cfg.feed.device_id.clone(),
        }),
        Err(errs) => {
            for e in errs {
                tracing::warn!(error = %e, "counter off: the menu cannot be used (passline menu check)");
            }
            None
        }
    }
}

/// `passline run`: loads the config, logs to a file, opens the engine and
/// runs the console with the feed and printer status watches given.
pub async fn run_with(
    cfg: &Config,
    engine: crate::engine::EngineHandle,
    feed: watch::Receiver<FeedStatus>,
    printers: watch::Receiver<SpoolStatus>,
    profiles: &crate::print::profile::Profiles,
) -> anyhow::Result<()> {
    let tz = cfg.tz();
    let ui = UiOptions::from_config(&cfg.ui, &cfg.store.name, Arc::new(SystemClock { tz }))
        .with_printers(cfg, profiles);
    let counter = counter_setup(cfg);
    term::run_app_with(engine, feed, printers, ui, None, None, counter)
        .await
        .context("the terminal failed: run passline in a real terminal (not a pipe)")
}

/// The whole of `passline run`, from the config file to the last frame: the
/// engine, the feed client, the printer spool and the local API (second
/// screens, `ctl`), then the screen.
pub fn run_console(flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let cfg = crate::cli::load_config(flag)?;
    let log_dir = cfg
        .log
        .dir
        .clone()
        .unwrap_or_else(|| cfg.store.data_dir.join("logs"));
    let _log = crate::logging::init(&log_dir, &cfg.log.level);
    // Refused before anything starts: a listen address off the loopback
    // without a token would let anyone on the network take money.
    crate::api::ApiOptions::from_config(&cfg.api)?;
    let engine = crate::cli::start_console_engine(&cfg)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let res: anyhow::Result<()> = rt.block_on(async {
        let console = crate::console::Console::start(&cfg, engine)?;
        let handle = console.engine.handle();
        let api = match crate::api::serve::start_api(
            &cfg,
            handle.clone(),
            console.feed.clone(),
            console.printers.clone(),
        )
        .await
        {
            Ok(api) => api,
            Err(e) => {
                console.stop().await;
                return Err(e.into());
            }
        };
        let res = run_with(
            &cfg,
            handle,
            console.feed.clone(),
            console.printers.clone(),
            &console.profiles,
        )
        .await;
        api.stop().await;
        console.stop().await;
        res
    });
    drop(rt);
    tracing::info!("console stopped");
    res.map(|()| ExitCode::SUCCESS)
}
