//! The running console: the engine with its feed client and printer spool,
//! started and stopped together. `run` and `demo` start from here.

use crate::config::Config;
use crate::engine::Engine;
use crate::feed::client::{run_feed, FeedConfig};
use crate::feed::status::FeedStatus;
use crate::print::layout::Shop;
use crate::print::profile::Profiles;
use crate::print::spool::{start_spool, Spool};
use crate::print::status::SpoolStatus;
use anyhow::Context;
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
        let (idle_spool, idle_spool_rx) = watch::channel(crate::tui::printers_unknown(cfg));
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
