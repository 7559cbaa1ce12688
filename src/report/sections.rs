//! What a Z-report (or X-report) says: its sections and lines, as the fold
//! (`fold`) fills them and the layout (`layout`), the export (`export`) and
//! the report screen read them. Plain data.

use crate::domain::shift::{DrawerCount, OpenIssue};
use crate::domain::{Channel, Fen, Method, OrderId, PayChannel, StaffId};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// End of shift: the window from `ShiftOpened` to `ShiftClosed`.
    Z,
    /// Mid-shift: from `ShiftOpened` to now; closes nothing.
    X,
    /// One business date, whatever the shifts.
    Day,
}

/// How money came in: the two online channels and the in-store methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenderKind {
    OnlineWechat,
    OnlineAlipay,
    Cash,
    Card,
    Scan,
    Voucher,
    Other,
}

impl TenderKind {
    pub const ALL: [TenderKind; 7] = [
        TenderKind::OnlineWechat,
        TenderKind::OnlineAlipay,
        TenderKind::Cash,
        TenderKind::Card,
        TenderKind::Scan,
        TenderKind::Voucher,
        TenderKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TenderKind::OnlineWechat => "online_wechat",
            TenderKind::OnlineAlipay => "online_alipay",
            TenderKind::Cash => "cash",
            TenderKind::Card => "card",
            TenderKind::Scan => "scan",
            TenderKind::Voucher => "voucher",
            TenderKind::Other => "other",
        }
    }

    pub fn of_method(m: Method) -> TenderKind {
        match m {
            Method::Cash => TenderKind::Cash,
            Method::Card => TenderKind::Card,
            Method::Scan => TenderKind::Scan,
            Method::Voucher => TenderKind::Voucher,
            Method::Other => TenderKind::Other,
        }
    }

    pub fn online(c: PayChannel) -> TenderKind {
        match c {
            PayChannel::Wechat => TenderKind::OnlineWechat,
            PayChannel::Alipay => TenderKind::OnlineAlipay,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSales {
    pub channel: Channel,
    /// Orders placed in the window and not cancelled or voided.
    pub orders: u32,
    /// What those orders are due (with add-ons).
    pub amount: Fen,
    /// Orders placed in the window, then cancelled or voided.
    pub cancelled: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderLine {
    pub tender: TenderKind,
    /// Payments counted (online successes, in-store tenders).
    pub count: u32,
    pub gross: Fen,
    pub refunds: Fen,
    pub net: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashLine {
    pub float: Fen,
    /// Cash tenders (net of change).
    pub cash_in: Fen,
    pub cash_refunds: Fen,
    /// float + cash_in − cash_refunds.
    pub expected: Fen,
    /// The drawer count (Z only).
    pub count: Option<DrawerCount>,
    pub counted: Option<Fen>,
    /// counted − expected: positive over, negative short (Z only).
    pub over_short: Option<Fen>,
    /// What the engine computed at close (Z only); equals `expected`.
    pub expected_at_close: Option<Fen>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidLine {
    pub at: DateTime<FixedOffset>,
    pub order_id: OrderId,
    pub pickup_no: String,
    pub approver: StaffId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    pub at: DateTime<FixedOffset>,
    pub order_id: OrderId,
    pub pickup_no: String,
    pub tender: TenderKind,
    pub amount: Fen,
    pub approver: Option<StaffId>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub at: DateTime<FixedOffset>,
    pub approver: StaffId,
    pub note: String,
    /// Refunded in the store by the resolution (else the platform refunds online).
    pub refunded_in_store: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoubleLine {
    /// When it was detected; `None` when that was before this window.
    pub at: Option<DateTime<FixedOffset>>,
    pub order_id: OrderId,
    pub pickup_no: String,
    pub excess: Fen,
    pub resolution: Option<Resolution>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeCount {
    pub code: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourCount {
    /// Hour of the day in the store's zone (12 = 12:00-12:59).
    pub hour: u32,
    pub count: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    pub total: u32,
    /// Most frequent first.
    pub by_code: Vec<CodeCount>,
    pub by_hour: Vec<HourCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashierLine {
    pub staff_id: StaffId,
    /// Settlements (one per settle, a split counts once).
    pub settlements: u32,
    pub amount: Fen,
    pub by_tender: Vec<(TenderKind, Fen)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationTime {
    pub station: String,
    /// Dish lines bumped.
    pub dishes: u32,
    /// Average seconds from fire to bump.
    pub avg_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterFault {
    pub job: u64,
    pub printer: String,
    pub at: DateTime<FixedOffset>,
    pub attempts: u32,
    pub error: Option<String>,
    pub printed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Printing {
    pub jobs: u32,
    /// Jobs that failed, were cut off, or were sent more than once.
    pub faults: Vec<PrinterFault>,
    /// Reprint jobs (marked 重打 REPRINT) in the spool.
    pub reprints: u32,
    /// Of those, sent again after a cut-off send (may be on paper twice).
    pub possible_duplicates: u32,
    /// Reprints staff asked for (the log's `reprint_requested`).
    pub reprint_requests: u32,
}

/// Everything a manager reads at the end of a shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZReport {
    pub kind: ReportKind,
    pub shift: Option<u64>,
    pub date: Option<String>,
    pub opened_at: Option<DateTime<FixedOffset>>,
    pub opened_by: Option<StaffId>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub closed_by: Option<StaffId>,
    pub approver: Option<StaffId>,
    /// The log window read (inclusive).
    pub first_event: u64,
    pub last_event: u64,
    pub sales: Vec<ChannelSales>,
    pub sales_orders: u32,
    pub sales_amount: Fen,
    pub tenders: Vec<TenderLine>,
    pub tender_gross: Fen,
    pub tender_refunds: Fen,
    pub tender_net: Fen,
    pub cash: CashLine,
    pub voids: Vec<VoidLine>,
    pub refunds: Vec<RefundLine>,
    pub doubles: Vec<DoubleLine>,
    /// Orders still unpaid, failed, paying or paid twice at the window's end.
    pub open_orders: Vec<OpenIssue>,
    /// The manager confirmed closing over orders paid twice or still paying.
    pub confirmed_open: bool,
    pub failures: Failures,
    pub cashiers: Vec<CashierLine>,
    pub kitchen: Vec<StationTime>,
    pub printing: Printing,
}
