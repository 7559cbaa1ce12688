//! Each printer's state as the screens show it, published through a tokio `watch`.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

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
