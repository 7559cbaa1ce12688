//! Why the engine refused a command, in words that tell a cashier what to
//! do next. Every decision in the domain answers with one of these.

use super::staff::Staff;
use serde::{Deserialize, Serialize};

/// Why the engine refused a command. The `code()` is stable (tests, `ctl`);
/// the message tells a cashier what to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    #[error("no order {order_id}: check the pickup number")]
    UnknownOrder { order_id: String },
    #[error("order is void: it cannot be settled")]
    OrderVoid,
    #[error("order is already paid: nothing is due")]
    AlreadyPaid,
    #[error("a {method} tender of {amount} is more than the {due} still due: lower it, or take cash for the rest")]
    OverTender {
        method: String,
        amount: String,
        due: String,
    },
    #[error("cash handed over ({tendered}) is less than the {amount} it pays: take more cash")]
    InsufficientCash { tendered: String, amount: String },
    #[error("cash must pay {expected} here (rounded to the jiao), not {amount}")]
    RoundingMismatch { expected: String, amount: String },
    #[error("amount {amount} is not valid: amounts are positive, in yuan like 56.00")]
    InvalidAmount { amount: String },
    #[error("no tenders given: choose a method and an amount")]
    NoTenders,
    #[error("{who} may not do this ({role}): ask a {needed}")]
    Forbidden {
        who: String,
        role: String,
        needed: String,
    },
    #[error("unknown staff id {staff_id}")]
    UnknownStaff { staff_id: String },
    #[error("staff {staff_id} is disabled: ask a manager")]
    StaffDisabled { staff_id: String },
    /// A wrong PIN, or a staff id that does not exist: the two look the
    /// same from outside, so the API does not tell which ids are real.
    #[error(
        "wrong PIN for {staff_id} ({failures} of {} tries)",
        super::staff::PIN_LOCK_AFTER
    )]
    WrongPin { staff_id: String, failures: u32 },
    #[error("{staff_id} is locked out on this screen after too many wrong PINs: wait {seconds} s")]
    LockedOut { staff_id: String, seconds: i64 },
    #[error("PINs for {staff_id} are locked after too many wrong ones: a manager must unlock them (passline staff unlock {staff_id})")]
    PinHeld { staff_id: String },
    #[error("this screen has sent {wrong} wrong PINs today: PINs work here again tomorrow; sign in on another screen")]
    ScreenLocked { wrong: u32 },
    #[error("a PIN is 4 to 8 digits")]
    BadPin,
    #[error("a {role}'s PIN is {min} to {max} digits: choose a longer one")]
    PinTooWeak {
        role: String,
        min: usize,
        max: usize,
    },
    #[error("a manager's PIN is needed to approve this")]
    ApprovalNeeded,
    #[error("nothing to bump: the order is not on the rail")]
    NotOnRail,
    #[error("no line {line} on this order")]
    UnknownLine { line: u32 },
    #[error("nothing to recall")]
    NothingToRecall,
    #[error("the order has money on it ({collected}): refund it first, then void")]
    RefundFirst { collected: String },
    #[error("refund of {amount} is more than the {collected} collected")]
    RefundTooLarge { amount: String, collected: String },
    #[error("no double payment to resolve on this order")]
    NoDoublePayment,
    #[error("the online payment is already final ({state}): nothing to re-check")]
    NothingToRecheck { state: String },
    #[error("staff id {staff_id} already exists")]
    StaffExists { staff_id: String },
    #[error("no printer named {name}: check `passline ctl printers`")]
    UnknownPrinter { name: String },
    #[error("a reason is needed")]
    ReasonNeeded,
    #[error("the order was {what}: it cannot be changed")]
    OrderClosed { what: String },
    #[error("no shift is open: open one with the drawer's float first")]
    NoShiftOpen,
    #[error("shift {shift} is still open: close it (count the drawer) before opening another")]
    ShiftOpen { shift: u64 },
    #[error("{count} order(s) still need a decision ({orders}): resolve them, or confirm closing with them open")]
    OpenIssues { count: usize, orders: String },
    #[error("the order has no dishes: add at least one")]
    EmptyOrder,
    #[error("line {line} is not valid ({problem}): fix it and confirm again")]
    BadLine { line: u32, problem: String },
    #[error("pay code {masked} is not a WeChat or Alipay code (18 digits): ask the customer to refresh it and scan again")]
    BadPayCode { masked: String },
    #[error("pay code {masked} was already scanned for this order: ask the customer to refresh the code")]
    PayCodeRepeated { masked: String },
    #[error("pay code {masked} is still being confirmed: wait for its outcome (or re-check) before scanning another")]
    CollectInProgress { masked: String },
    #[error("cash handed over ({tendered}) is more than this till gives change for (at most {most}): check the amount typed")]
    TooMuchCash { tendered: String, most: String },
    #[error("the order comes to {total}, more than the {most} one order may be: split it, or ask a manager to raise [limits] order_max")]
    OrderTooLarge { total: String, most: String },
    #[error(
        "key {key} was already used for another command: give each command its own key (a ULID)"
    )]
    KeyReused { key: String },
    #[error("this console has no menu, so it cannot price a counter order: put menu.toml beside the config (passline menu check)")]
    NoMenu,
}

impl Refusal {
    /// The stable snake_case code (`over_tender`, `forbidden`, …).
    pub fn code(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str().map(str::to_string)))
            .unwrap_or_else(|| "refused".to_string())
    }
}

/// The refusal for a staff member whose role does not allow a command.
pub fn forbidden(s: &Staff, needed: &str) -> Refusal {
    Refusal::Forbidden {
        who: format!("{} {}", s.id, s.name),
        role: s.role.as_str().into(),
        needed: needed.into(),
    }
}
