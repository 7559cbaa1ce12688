//! The outside links' state as the screens and the API show it: the
//! platform feed (`FeedStatus`) and each printer (`PrinterStatus`). Plain
//! data, published through tokio `watch`es by the feed client and the
//! spool; shared here so the screens and the API need not import those
//! adapters.

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterState {
    /// Not contacted yet.
    Unknown,
    Online,
    /// Cannot connect, or the connection failed.
    Offline,
    PaperOut,
    CoverOpen,
    /// Another fault the printer reported.
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterStatus {
    pub name: String,
    /// Shown on screen ("厨房打印机"); the name when none is configured.
    pub label: String,
    pub state: PrinterState,
    /// Jobs waiting in this printer's spool.
    pub queued: usize,
    pub last_error: Option<String>,
    /// Since when the printer is in this state.
    pub since: Option<DateTime<FixedOffset>>,
}

/// All printers, in config order.
pub type SpoolStatus = Vec<PrinterStatus>;

impl PrinterState {
    /// Can take a job now.
    pub fn is_ready(&self) -> bool {
        matches!(self, PrinterState::Online)
    }

    /// What the screen says, in Chinese then English.
    pub fn words(&self) -> String {
        match self {
            PrinterState::Unknown => "未连接 not contacted yet".into(),
            PrinterState::Online => "正常 online".into(),
            PrinterState::Offline => "离线 offline: check power and cable".into(),
            PrinterState::PaperOut => "缺纸 paper out".into(),
            PrinterState::CoverOpen => "开盖 cover open".into(),
            PrinterState::Error(e) => format!("故障 {e}"),
        }
    }
}

impl PrinterStatus {
    /// One line for the screen: "厨房打印机缺纸 hot: paper out, 3 waiting".
    pub fn line(&self) -> String {
        let zh = match self.state {
            PrinterState::PaperOut => "缺纸",
            PrinterState::CoverOpen => "开盖",
            PrinterState::Offline => "离线",
            PrinterState::Error(_) => "故障",
            PrinterState::Online => "正常",
            PrinterState::Unknown => "未连接",
        };
        let en = match &self.state {
            PrinterState::PaperOut => "paper out".to_string(),
            PrinterState::CoverOpen => "cover open".to_string(),
            PrinterState::Offline => "offline".to_string(),
            PrinterState::Error(e) => e.clone(),
            PrinterState::Online => "online".to_string(),
            PrinterState::Unknown => "not contacted yet".to_string(),
        };
        format!(
            "{}{zh} {}: {en}, {} waiting",
            self.label, self.name, self.queued
        )
    }
}
