//! Commands: what the outside world asks of the engine, and why it may refuse.

use super::money::Fen;
use super::order::{Dining, OrderId};
use super::paycode::AuthCode;
use super::platform::PlatformEvent;
use super::shift::DrawerCount;
use super::staff::{Role, StaffId};
use super::tender::{Method, TenderInput};
use serde::{Deserialize, Serialize};

/// A manager's approval given on the spot: their id and PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub staff_id: StaffId,
    pub pin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// An event from the platform feed, with its seq.
    Platform {
        seq: u64,
        event: PlatformEvent,
    },
    /// A frame that could not be read; committed (and its seq with it, when known).
    Quarantine {
        seq: Option<u64>,
        raw: String,
        error: String,
    },
    /// The platform answered `report_ack`.
    ReportAcked {
        report_id: String,
    },
    Settle {
        order_id: OrderId,
        staff_id: StaffId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pin: Option<String>,
        tenders: Vec<TenderInput>,
    },
    Recheck {
        order_id: OrderId,
        staff_id: StaffId,
    },
    Bump {
        order_id: OrderId,
        staff_id: StaffId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
    },
    /// Brings back the most recently bumped order (or the named one).
    Recall {
        staff_id: StaffId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order_id: Option<OrderId>,
    },
    Serve {
        order_id: OrderId,
        staff_id: StaffId,
    },
    Void {
        order_id: OrderId,
        staff_id: StaffId,
        approval: Approval,
        reason: String,
    },
    Refund {
        order_id: OrderId,
        staff_id: StaffId,
        approval: Approval,
        amount: Fen,
        method: Method,
        reason: String,
    },
    ResolveDoublePayment {
        order_id: OrderId,
        staff_id: StaffId,
        approval: Approval,
        /// Refund the in-store money now (cash back); otherwise the online
        /// payment is refunded by the platform and this records the decision.
        refund_in_store: bool,
        note: String,
    },
    Reprint {
        order_id: OrderId,
        staff_id: StaffId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        job: Option<u64>,
    },
    /// Checks a PIN (sign-in); counts failures like any other PIN check.
    SignIn {
        staff_id: StaffId,
        pin: String,
    },
    AddStaff {
        staff_id: StaffId,
        name: String,
        role: Role,
        pin: String,
    },
    DisableStaff {
        staff_id: StaffId,
    },
    /// Moves every waiting job of a dead printer to another (a manager approves).
    MoveQueue {
        staff_id: StaffId,
        from: String,
        to: String,
        approval: Approval,
    },
    SetPin {
        staff_id: StaffId,
        pin: String,
    },
    /// Lifts every PIN lock on a staff id, on every device (a manager
    /// approves it through the API; `passline staff unlock ID` on the box).
    UnlockPins {
        staff_id: StaffId,
    },
    /// Opens a shift with a cash float in the drawer (a cashier or a manager).
    OpenShift {
        staff_id: StaffId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pin: Option<String>,
        float: Fen,
    },
    /// Closes the open shift: the drawer counted by denomination, approved
    /// by a manager's PIN. Orders paid twice or still `paying` need
    /// `confirm_open_issues`; they are listed on the Z-report.
    CloseShift {
        staff_id: StaffId,
        approval: Approval,
        count: DrawerCount,
        #[serde(default)]
        confirm_open_issues: bool,
    },
    /// An order taken at the till (docs/counter.md). The engine gives it a
    /// store-unique id `{store_id}-{device_id}-{seq:06}` and a `C001` pickup no.
    PlaceCounterOrder {
        staff_id: StaffId,
        store_id: String,
        device_id: String,
        ticket: CounterTicket,
    },
    /// The cashier scanned the customer's pay code for an order.
    CollectPayCode {
        order_id: OrderId,
        staff_id: StaffId,
        auth_code: AuthCode,
    },
}

/// What the cashier keyed in for a counter order: dishes by sku, never
/// prices. The console prices each line from its own menu
/// (docs/security.md, "Money"); a price sent by a client is not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterTicket {
    pub dining: Dining,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(default)]
    pub note: String,
    pub items: Vec<CounterLine>,
}

/// One line of a counter ticket: a dish by its sku, how many, and the
/// modifiers the menu offers for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterLine {
    pub sku: String,
    pub qty: u32,
    #[serde(default)]
    pub modifiers: Vec<String>,
    #[serde(default)]
    pub note: String,
}

impl Command {
    /// The staff member who made the command, when it came from the store.
    pub fn staff_id(&self) -> Option<&StaffId> {
        use Command::*;
        match self {
            Settle { staff_id, .. }
            | Recheck { staff_id, .. }
            | Bump { staff_id, .. }
            | Recall { staff_id, .. }
            | Serve { staff_id, .. }
            | Void { staff_id, .. }
            | Refund { staff_id, .. }
            | ResolveDoublePayment { staff_id, .. }
            | Reprint { staff_id, .. }
            | SignIn { staff_id, .. }
            | OpenShift { staff_id, .. }
            | MoveQueue { staff_id, .. }
            | CloseShift { staff_id, .. }
            | PlaceCounterOrder { staff_id, .. }
            | CollectPayCode { staff_id, .. } => Some(staff_id),
            Platform { .. }
            | Quarantine { .. }
            | ReportAcked { .. }
            | AddStaff { .. }
            | DisableStaff { .. }
            | SetPin { .. }
            | UnlockPins { .. } => None,
        }
    }
}

pub use super::refusal::Refusal;
