//! The append-only event log's entries: every state change, with who, when and why.
//! The screens, reports and upstream reports are all derived from these.

use super::money::Fen;
use super::order::{Item, Order, OrderId};
use super::platform::{PayChannel, PaymentUpdate};
use super::shift::{DrawerCount, OpenIssue};
use super::staff::{Role, StaffId};
use super::state::OrderState;
use super::tender::{Method, Tender};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Actor {
    /// The ordering platform, with the feed's seq.
    Platform { seq: u64 },
    /// A staff member at a screen or through `ctl`.
    Staff { id: StaffId },
    /// The console itself (fire policy, double-payment detection).
    Console,
}

/// One entry of the log. `id` is the log position, gapless from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: u64,
    pub at: DateTime<FixedOffset>,
    pub actor: Actor,
    pub body: EventBody,
}

/// What a platform payment update did to the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateEffect {
    /// The state changed (or a new success was counted).
    Applied,
    /// A success with a `transaction_id` already counted.
    Duplicate,
    /// Arrived after a success that covers the order: recorded, changes nothing.
    Stale,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    OrderPlaced {
        order: Order,
    },
    PaymentUpdated {
        update: PaymentUpdate,
        effect: UpdateEffect,
    },
    OrderCancelled {
        order_id: OrderId,
        reason: String,
    },
    ItemsAdded {
        order_id: OrderId,
        items: Vec<Item>,
        amount_due: Fen,
    },
    /// Sent to the kitchen (by the fire policy): these lines now cook.
    Fired {
        order_id: OrderId,
        lines: Vec<u32>,
        addon: bool,
    },
    /// A cashier took payment in the store.
    Settled {
        order_id: OrderId,
        staff_id: StaffId,
        tenders: Vec<Tender>,
        /// Cash rounding applied (positive: the customer paid a little more).
        rounding: Fen,
    },
    /// Money collected exceeds what is due: both records kept, a manager resolves.
    DoublePayment {
        order_id: OrderId,
        collected: Fen,
        due: Fen,
        transaction_id: Option<String>,
    },
    DoublePaymentResolved {
        order_id: OrderId,
        approver: StaffId,
        note: String,
    },
    Bumped {
        order_id: OrderId,
        /// `None` bumps the whole order.
        line: Option<u32>,
    },
    Recalled {
        order_id: OrderId,
    },
    Served {
        order_id: OrderId,
    },
    Voided {
        order_id: OrderId,
        reason: String,
        approver: StaffId,
    },
    Refunded {
        order_id: OrderId,
        amount: Fen,
        method: Method,
        reason: String,
        approver: StaffId,
    },
    RecheckRequested {
        order_id: OrderId,
    },
    ReprintRequested {
        order_id: OrderId,
        job: Option<u64>,
    },
    /// The cashier scanned a pay code; the platform charges it (the full
    /// code goes only into the outbox, never into the log).
    PayCodeScanned {
        order_id: OrderId,
        channel: PayChannel,
        /// First 4 and last 4 digits.
        masked: String,
        /// Salted hash, to refuse a second scan of the same code.
        code_hash: String,
        amount: Fen,
    },
    /// A frame the console could not read, kept raw in the quarantine.
    FrameQuarantined {
        seq: Option<u64>,
        error: String,
        quarantine_id: u64,
    },
    /// The platform acknowledged a report; it leaves the outbox.
    ReportAcked {
        report_id: String,
    },
    StaffAdded {
        staff_id: StaffId,
        name: String,
        role: Role,
    },
    StaffDisabled {
        staff_id: StaffId,
    },
    /// A manager moved a printer's waiting jobs to another printer.
    QueueMoved {
        from: String,
        to: String,
        approver: StaffId,
        /// The new job numbers on `to`.
        jobs: Vec<u64>,
    },
    PinChanged {
        staff_id: StaffId,
    },
    /// A wrong PIN (or an unknown staff id: they look the same). `failures`
    /// and `locked_until` are the device's count; `held` says this failure
    /// held the device or the staff id for a manager (an alert).
    PinRejected {
        staff_id: StaffId,
        failures: u32,
        locked_until: Option<DateTime<FixedOffset>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        held: bool,
    },
    /// A manager unlocked a staff id's PINs (and every device's lock on it).
    PinsUnlocked {
        staff_id: StaffId,
    },
    /// A shift began with `float` in the drawer. `carried` holds the orders
    /// still open at that moment, as they stood, so the shift's report is a
    /// fold over its own window of the log.
    ShiftOpened {
        shift: u64,
        by: StaffId,
        float: Fen,
        #[serde(default)]
        carried: Vec<OrderState>,
    },
    /// A shift ended: the drawer counted, what it should hold, and the
    /// difference (`over_short` = counted − expected: positive over, negative short).
    ShiftClosed {
        shift: u64,
        by: StaffId,
        approver: StaffId,
        float: Fen,
        count: DrawerCount,
        expected: Fen,
        counted: Fen,
        over_short: Fen,
        /// Orders left unresolved, listed on the Z-report.
        #[serde(default)]
        open_issues: Vec<OpenIssue>,
        /// The manager confirmed closing with orders paid twice or still paying.
        #[serde(default)]
        confirmed: bool,
    },
}

impl Event {
    /// The platform seq this event applied, when it is the first record of
    /// a platform frame (the event itself, or its quarantine); side events a
    /// frame causes (fired, double payment) carry the seq too, but are not it.
    /// Each seq the console committed has exactly one such event.
    pub fn platform_seq_applied(&self) -> Option<u64> {
        use EventBody::*;
        match (&self.actor, &self.body) {
            (
                Actor::Platform { seq },
                OrderPlaced { .. }
                | PaymentUpdated { .. }
                | OrderCancelled { .. }
                | ItemsAdded { .. }
                | FrameQuarantined { .. },
            ) => Some(*seq),
            _ => None,
        }
    }
}

impl EventBody {
    /// The order this event belongs to, if any.
    pub fn order_id(&self) -> Option<&OrderId> {
        use EventBody::*;
        match self {
            OrderPlaced { order } => Some(&order.id),
            PaymentUpdated { update, .. } => Some(&update.order_id),
            OrderCancelled { order_id, .. }
            | ItemsAdded { order_id, .. }
            | Fired { order_id, .. }
            | Settled { order_id, .. }
            | DoublePayment { order_id, .. }
            | DoublePaymentResolved { order_id, .. }
            | Bumped { order_id, .. }
            | Recalled { order_id }
            | Served { order_id }
            | Voided { order_id, .. }
            | Refunded { order_id, .. }
            | RecheckRequested { order_id }
            | ReprintRequested { order_id, .. }
            | PayCodeScanned { order_id, .. } => Some(order_id),
            FrameQuarantined { .. }
            | ReportAcked { .. }
            | StaffAdded { .. }
            | StaffDisabled { .. }
            | QueueMoved { .. }
            | PinChanged { .. }
            | PinsUnlocked { .. }
            | PinRejected { .. }
            | ShiftOpened { .. }
            | ShiftClosed { .. } => None,
        }
    }

    /// Whether this event moves money in or out of the drawer: a
    /// settlement (any tender; cash ones count) or a refund. The shift's
    /// expected cash is folded from exactly these.
    pub fn moves_cash(&self) -> bool {
        matches!(self, EventBody::Settled { .. } | EventBody::Refunded { .. })
    }

    /// The names ([`EventBody::name`], also the stored `type` tag) of the
    /// events [`EventBody::moves_cash`] may be true for: a reader of the log
    /// may skip decoding any other kind.
    pub const CASH_KINDS: [&'static str; 2] = ["settled", "refunded"];

    /// A short name for logs and the log screen.
    pub fn name(&self) -> &'static str {
        use EventBody::*;
        match self {
            OrderPlaced { .. } => "order_placed",
            PaymentUpdated { .. } => "payment_updated",
            OrderCancelled { .. } => "order_cancelled",
            ItemsAdded { .. } => "items_added",
            Fired { .. } => "fired",
            Settled { .. } => "settled",
            DoublePayment { .. } => "double_payment",
            DoublePaymentResolved { .. } => "double_payment_resolved",
            Bumped { .. } => "bumped",
            Recalled { .. } => "recalled",
            Served { .. } => "served",
            Voided { .. } => "voided",
            Refunded { .. } => "refunded",
            RecheckRequested { .. } => "recheck_requested",
            ReprintRequested { .. } => "reprint_requested",
            PayCodeScanned { .. } => "pay_code_scanned",
            FrameQuarantined { .. } => "frame_quarantined",
            ReportAcked { .. } => "report_acked",
            StaffAdded { .. } => "staff_added",
            StaffDisabled { .. } => "staff_disabled",
            QueueMoved { .. } => "queue_moved",
            PinChanged { .. } => "pin_changed",
            PinsUnlocked { .. } => "pins_unlocked",
            PinRejected { .. } => "pin_rejected",
            ShiftOpened { .. } => "shift_opened",
            ShiftClosed { .. } => "shift_closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cash_kinds_are_the_stored_tags_of_the_events_that_move_cash() {
        let settled = EventBody::Settled {
            order_id: OrderId("WX-1".into()),
            staff_id: StaffId("01".into()),
            tenders: Vec::new(),
            rounding: Fen::ZERO,
        };
        let refunded = EventBody::Refunded {
            order_id: OrderId("WX-1".into()),
            amount: Fen(100),
            method: Method::Cash,
            reason: "cold".into(),
            approver: StaffId("90".into()),
        };
        for body in [settled, refunded] {
            assert!(body.moves_cash());
            assert!(EventBody::CASH_KINDS.contains(&body.name()));
            let json = serde_json::to_string(&body).expect("an event serializes");
            assert!(json.contains(&format!(r#""type":"{}""#, body.name())));
        }
        assert!(!EventBody::Recalled {
            order_id: OrderId("WX-1".into())
        }
        .moves_cash());
    }
}
