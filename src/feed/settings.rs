//! What the feed client is given: where to dial, who it is, its clocks
//! (`FeedTiming`, protocol.md's defaults), read from `[store]` and `[feed]`.

use crate::config::Config;
use crate::domain::status::{FeedStatus, LinkState};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The link's clocks. Defaults are protocol.md's; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedTiming {
    /// A WebSocket ping this often.
    pub ping_every: Duration,
    /// No frame of any kind for this long: the connection is dead.
    pub receive_deadline: Duration,
    /// Every write (and the TCP/TLS/WebSocket handshake) must finish within this.
    pub write_timeout: Duration,
    /// The first reconnect waits up to this (full jitter)…
    pub backoff_initial: Duration,
    /// …doubling up to this; an HTTP 401 waits this at once.
    pub backoff_max: Duration,
    /// Failed attempts in a row before the screen says "offline since".
    pub offline_after_attempts: u32,
}

impl Default for FeedTiming {
    fn default() -> Self {
        FeedTiming {
            ping_every: Duration::from_secs(15),
            receive_deadline: Duration::from_secs(45),
            write_timeout: Duration::from_secs(10),
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            offline_after_attempts: 3,
        }
    }
}

impl FeedTiming {
    /// The longest a reconnect waits after `failures` failed attempts in a
    /// row (before jitter): 0.5 s doubling to 30 s by default.
    pub fn backoff_ceiling(&self, failures: u32) -> Duration {
        let factor = 1u32.checked_shl(failures.min(20)).unwrap_or(u32::MAX);
        self.backoff_initial
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FeedConfigError {
    #[error("cannot read the feed token from {path}: {source} (check [feed] token_file)")]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("[feed] url is set but there is no token: set [feed] token or token_file")]
    NoToken,
    #[error("[feed] url {0:?} must start with ws:// or wss://")]
    BadUrl(String),
}

/// What the client needs: where to dial, who it is, and its clocks.
#[derive(Clone)]
pub struct FeedConfig {
    pub url: String,
    pub token: String,
    pub store_id: String,
    pub device_id: String,
    pub timing: FeedTiming,
    /// Events handed to the engine and not yet durable, at most.
    pub max_in_flight: usize,
    pub(super) status: Arc<watch::Sender<FeedStatus>>,
}

impl FeedConfig {
    pub fn new(url: &str, token: &str, store_id: &str, device_id: &str) -> FeedConfig {
        let (tx, _) = watch::channel(FeedStatus {
            link: LinkState::Connecting {
                attempt: 0,
                next_try_secs: 0,
            },
            ..FeedStatus::default()
        });
        FeedConfig {
            url: url.to_string(),
            token: token.to_string(),
            store_id: store_id.to_string(),
            device_id: device_id.to_string(),
            timing: FeedTiming::default(),
            max_in_flight: 256,
            status: Arc::new(tx),
        }
    }

    /// From `[store] id` and `[feed]`; `None` when no feed URL is configured.
    pub fn from_config(cfg: &Config) -> Result<Option<FeedConfig>, FeedConfigError> {
        let feed = &cfg.feed;
        if feed.url.trim().is_empty() {
            return Ok(None);
        }
        if !(feed.url.starts_with("ws://") || feed.url.starts_with("wss://")) {
            return Err(FeedConfigError::BadUrl(feed.url.clone()));
        }
        let token = match (&feed.token, &feed.token_file) {
            (Some(t), _) if !t.trim().is_empty() => t.trim().to_string(),
            (_, Some(path)) => crate::secret::check_private_file(path)
                .map_err(|detail| std::io::Error::new(std::io::ErrorKind::PermissionDenied, detail))
                .and_then(|()| std::fs::read_to_string(path))
                .map_err(|source| FeedConfigError::TokenFile {
                    path: path.clone(),
                    source,
                })?
                .trim()
                .to_string(),
            _ => return Err(FeedConfigError::NoToken),
        };
        if token.is_empty() {
            return Err(FeedConfigError::NoToken);
        }
        Ok(Some(FeedConfig::new(
            &feed.url,
            &token,
            &cfg.store.id,
            &feed.device_id,
        )))
    }

    pub fn with_timing(mut self, timing: FeedTiming) -> FeedConfig {
        self.timing = timing;
        self
    }

    /// The link state as the screens show it.
    pub fn status(&self) -> watch::Receiver<FeedStatus> {
        self.status.subscribe()
    }
}
