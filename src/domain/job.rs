//! Print jobs, as every layer speaks of them: what a job prints (`JobDoc`,
//! the document kinds kept in the spool) and where it stands (`JobRecord`,
//! `JobState`). A job holds everything needed to render it again, so a
//! restart or a reprint prints the same ticket. Plain data: the engine
//! stages jobs, the store keeps them, the spool prints them, the screens
//! list them.

use super::order::Order;
use super::state::OrderState;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobDoc {
    /// A kitchen ticket for one station: the lines that fired.
    Kitchen {
        order: Order,
        station: String,
        lines: Vec<u32>,
        addon: bool,
        fired_at: DateTime<FixedOffset>,
    },
    /// 退单: lines the kitchen must stop cooking.
    Cancel {
        order: Order,
        station: String,
        lines: Vec<u32>,
        reason: String,
    },
    /// A customer receipt.
    Receipt {
        state: Box<OrderState>,
        /// Printed on request rather than at settlement.
        copy: bool,
    },
    /// Opens the cash drawer.
    Drawer,
    /// A plain text document (reports), one line per entry.
    Text { title: String, lines: Vec<String> },
    /// A reprint of an earlier job, marked "重打 REPRINT" with the original
    /// time and job number.
    Reprint {
        of_job: u64,
        original_at: DateTime<FixedOffset>,
        /// True when the first send was cut off: it may have printed.
        possible_duplicate: bool,
        doc: Box<JobDoc>,
    },
}

impl JobDoc {
    pub fn kind(&self) -> &'static str {
        match self {
            JobDoc::Kitchen { .. } => "kitchen",
            JobDoc::Cancel { .. } => "cancel",
            JobDoc::Receipt { .. } => "receipt",
            JobDoc::Drawer => "drawer",
            JobDoc::Text { .. } => "text",
            JobDoc::Reprint { .. } => "reprint",
        }
    }

    pub fn order_id(&self) -> Option<&str> {
        match self {
            JobDoc::Kitchen { order, .. } | JobDoc::Cancel { order, .. } => Some(&order.id.0),
            JobDoc::Receipt { state, .. } => Some(&state.order.id.0),
            JobDoc::Reprint { doc, .. } => doc.order_id(),
            JobDoc::Drawer | JobDoc::Text { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Stored, not yet (completely) sent.
    Queued,
    /// The printer took every byte (and confirmed, where it can).
    Done,
    /// A manager moved it to another printer; the copy there prints instead.
    Moved,
}

/// A print job in the spool: what to print, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    pub job: u64,
    pub printer: String,
    pub doc: JobDoc,
    /// The log event that caused it.
    pub event_id: u64,
    pub created_at: DateTime<FixedOffset>,
    pub state: JobState,
    /// Sends started; more than one means a possible duplicate on paper.
    pub attempts: u32,
    /// Set when a send was cut off midway: the next send is marked as a reprint.
    pub interrupted: bool,
    pub last_error: Option<String>,
    pub printed_at: Option<DateTime<FixedOffset>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_job_reads_back_as_it_was_stored() {
        let order: Order = serde_json::from_value(serde_json::json!({
            "id": "WX1", "pickup_no": "A001", "table": null, "channel": "counter",
            "dining": "takeaway", "placed_at": "2026-11-25T12:01:05+08:00", "currency": "CNY",
            "amount_due": 100, "items": [{"line":1,"sku":"X","name":"米饭","qty":1,
            "unit_price":100,"station":"hot"}]
        }))
        .expect("order");
        let state = OrderState::new(order.clone(), 1, order.placed_at);
        let doc = JobDoc::Reprint {
            of_job: 3,
            original_at: order.placed_at,
            possible_duplicate: false,
            doc: Box::new(JobDoc::Receipt {
                state: Box::new(state),
                copy: true,
            }),
        };
        let json = serde_json::to_vec(&doc).expect("serializes");
        let back: JobDoc = serde_json::from_slice(&json).expect("reads back");
        assert_eq!(back, doc);
    }
}
