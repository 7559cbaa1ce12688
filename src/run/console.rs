//! `passline run`: the running console (`Console`: the engine with its feed
//! client and printer spool, started and stopped together; `serve` and
//! `demo` start it too), the local API beside it, then the screen.

use crate::config::Config;
use crate::domain::status::FeedStatus;
use crate::domain::status::{PrinterState, PrinterStatus, SpoolStatus};
use crate::engine::Engine;
use crate::engine::SystemClock;
use crate::feed::client::{run_feed, FeedConfig};
use crate::print::layout::Shop;
use crate::print::profile::Profiles;
use crate::print::spool::{start_spool, Spool};
use crate::tui::app::counter::CounterSetup;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Console {
    pub engine: Engine,
    pub feed: watch::Receiver<FeedStatus>,
    pub printers: watch::Receiver<SpoolStatus>,
    pub profiles: Profiles,
    stop: watch::Sender<bool>,
    feed_task: Option<JoinHandle<()>>,
    spool: Option<Spool>,
    /// Keeps the status channel open when there is no feed or no printer.
    _idle: (watch::Sender<FeedStatus>, watch::Sender<SpoolStatus>),
}

impl Console {
    /// Starts the feed client (when `[feed] url` is set) and one spool writer
    /// per configured printer. Call inside the tokio runtime.
    pub fn start(cfg: &Config, engine: Engine) -> anyhow::Result<Console> {
        let (stop, stop_rx) = watch::channel(false);
        let (idle_feed, idle_feed_rx) = watch::channel(FeedStatus::default());
        let (idle_spool, idle_spool_rx) = watch::channel(printers_unknown(cfg));
        let profiles = Profiles::load(cfg.print.profiles_dir.as_deref())
            .context("the printer profiles could not be read")?;
        let (feed, feed_task) = match FeedConfig::from_config(cfg).context("the [feed] section")? {
            Some(fc) => {
                let rx = fc.status();
                let task = tokio::spawn(run_feed(engine.handle(), fc, stop_rx));
                (rx, Some(task))
            }
            None => (idle_feed_rx, None),
        };
        let (printers, spool) = if cfg.printers.is_empty() {
            (idle_spool_rx, None)
        } else {
            let spool = start_spool(
                engine.handle(),
                &cfg.printers,
                &profiles,
                Shop::from_config(cfg),
            )
            .context("the printers could not be started")?;
            (spool.status.clone(), Some(spool))
        };
        Ok(Console {
            engine,
            feed,
            printers,
            profiles,
            stop,
            feed_task,
            spool,
            _idle: (idle_feed, idle_spool),
        })
    }

    /// Stops the feed and the printer writers after their current step, then
    /// the engine after its last flush. Queued jobs and reports stay stored.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.feed_task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(3), t).await;
        }
        if let Some(s) = self.spool.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(3), s.shutdown()).await;
        }
        let engine = self.engine;
        let _ = tokio::task::spawn_blocking(move || engine.shutdown()).await;
    }
}

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
pub fn counter_setup(cfg: &Config) -> Option<CounterSetup> {
    let path = cfg.menu_path(None);
    match crate::counter::Menu::load(&path, &cfg.claimed_stations()) {
        Ok(menu) => Some(CounterSetup {
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
    let ui =
        crate::tui::UiOptions::from_config(&cfg.ui, &cfg.store.name, Arc::new(SystemClock { tz }))
            .with_printers(cfg, profiles);
    let counter = counter_setup(cfg);
    crate::tui::term::run_app_with(engine, feed, printers, ui, None, None, counter)
        .await
        .context("the terminal failed: run passline in a real terminal (not a pipe)")
}

/// The whole of `passline run`, from the config file to the last frame: the
/// engine, the feed client, the printer spool and the local API (second
/// screens, `ctl`), then the screen.
pub fn run_console(flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let cfg = crate::cli::load_config(flag)?;
    let _log = super::start_logs(&super::log_dir(&cfg), &cfg.log.level);
    // Refused before anything starts: a listen address off the loopback
    // without a token would let anyone on the network take money.
    crate::api::ApiOptions::from_config(&cfg.api)?;
    let engine = crate::cli::start_console_engine(&cfg)?;
    let rt = super::runtime()?;
    let res: anyhow::Result<()> = rt.block_on(async {
        let console = Console::start(&cfg, engine)?;
        let handle = console.engine.handle();
        let api = match super::serve::start_api(
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
