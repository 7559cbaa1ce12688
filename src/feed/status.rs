//! The feed link's state as the screens show it, published through a tokio `watch`.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LinkState {
    /// No feed URL configured: the console runs on its own.
    Disabled,
    Online,
    /// Dialling; `next_try_secs` counts down to the next attempt.
    Connecting {
        attempt: u32,
        next_try_secs: u64,
    },
    Offline {
        since: DateTime<FixedOffset>,
    },
    /// The platform refused the token (HTTP 401): fix `[feed] token`.
    Unauthorized,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedStatus {
    pub link: LinkState,
    /// Frames kept in the quarantine (an order may be missing).
    pub quarantined: usize,
    /// Reports in the outbox not yet acknowledged by the platform.
    pub unsent_reports: usize,
    /// The highest platform seq committed.
    pub cursor: u64,
}

impl Default for FeedStatus {
    fn default() -> Self {
        FeedStatus {
            link: LinkState::Disabled,
            quarantined: 0,
            unsent_reports: 0,
            cursor: 0,
        }
    }
}
