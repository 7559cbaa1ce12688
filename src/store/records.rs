//! Records kept beside the log: outbox entries, print jobs, quarantined frames, staff.

pub use crate::domain::job::{JobRecord, JobState};
use crate::domain::{Report, Staff};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// A report waiting for the platform's `report_ack`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub seq: u64,
    /// The idempotency key the platform sees (a ULID).
    pub id: String,
    pub report: Report,
    pub event_id: u64,
    pub created_at: DateTime<FixedOffset>,
}

impl OutboxEntry {
    /// The `report` frame as protocol.md writes it.
    pub fn frame(&self) -> serde_json::Value {
        serde_json::json!({"type": "report", "id": self.id, "report": self.report})
    }
}

/// A frame the console could not read, kept raw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedFrame {
    pub id: u64,
    pub at: DateTime<FixedOffset>,
    pub seq: Option<u64>,
    pub raw: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRecord {
    #[serde(flatten)]
    pub staff: Staff,
    /// Argon2id PHC string; the PIN itself is never stored.
    pub pin_hash: String,
    pub failures: u32,
    pub locked_until: Option<DateTime<FixedOffset>>,
}
