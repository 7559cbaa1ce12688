//! What a print job prints: the document kinds kept in the spool. A job holds
//! everything needed to render it again, so a restart or a reprint prints the
//! same ticket.

use crate::domain::{Order, OrderState};
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
