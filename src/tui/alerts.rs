//! Alerts: what needs a person now. Each is raised once (one bell), shown as a
//! banner, and kept in the alert list until its cause is handled: the order
//! is settled or resolved, the printer or the feed is back, or (for an
//! unreadable frame, which nothing else clears) someone acknowledged it.

use crate::domain::status::{FeedStatus, LinkState};
use crate::domain::status::{PrinterState, SpoolStatus};
use crate::domain::{catalogue, OrderId, OrderState, PaymentSummary, TradeState};
use crate::engine::Board;
use chrono::{DateTime, FixedOffset};

/// What an alert is about; also its identity (one alert per cause).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKey {
    PaymentFailed(OrderId),
    DoublePaid(OrderId),
    PayingTooLong(OrderId),
    Printer(String),
    Feed,
    Quarantine(u64),
    /// A staff id's PINs held after too many wrong ones (a manager unlocks).
    PinsHeld(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub key: AlertKey,
    pub raised_at: DateTime<FixedOffset>,
    /// Pickup number or printer label: what the staff look for.
    pub subject: String,
    /// The reason in plain words (catalogue text, printer state, ...).
    pub detail: String,
}

impl Alert {
    pub fn order(&self) -> Option<&OrderId> {
        match &self.key {
            AlertKey::PaymentFailed(o) | AlertKey::DoublePaid(o) | AlertKey::PayingTooLong(o) => {
                Some(o)
            }
            _ => None,
        }
    }
}

/// The reason an order's payment needs attention, in plain words.
pub fn payment_reason(st: &OrderState, chinese: bool) -> Option<String> {
    let u = st.online.as_ref()?;
    if let Some(code) = u.error_code.as_deref().filter(|c| !c.is_empty()) {
        return Some(catalogue::reason(code, u.error_message.as_deref(), chinese));
    }
    match u.trade_state {
        TradeState::Closed
        | TradeState::Revoked
        | TradeState::Payerror
        | TradeState::Userpaying => Some(catalogue::reason(u.trade_state.as_str(), None, chinese)),
        _ => None,
    }
}

/// True when a `paying` order has waited longer than the store allows.
pub fn paying_too_long(st: &OrderState, now: DateTime<FixedOffset>, limit_secs: u32) -> bool {
    st.payment() == PaymentSummary::Paying
        && st
            .online
            .as_ref()
            .is_some_and(|u| (now - u.at).num_seconds() >= i64::from(limit_secs))
}

/// Every cause that needs a person right now, from the current state.
/// Quarantined frames are not here: they come from events and stay until acknowledged.
pub fn current_causes(
    board: &Board,
    feed: &FeedStatus,
    printers: &SpoolStatus,
    now: DateTime<FixedOffset>,
    paying_limit_secs: u32,
    chinese: bool,
) -> Vec<(AlertKey, String, String)> {
    let mut out = Vec::new();
    for st in board.values() {
        let pickup = st.order.pickup_no.clone();
        let pay = st.payment();
        if st.double_paid && !st.double_resolved {
            let detail = if chinese {
                format!("收到 {} / 应付 {}", st.collected(), st.effective_due())
            } else {
                format!("collected {} of {} due", st.collected(), st.effective_due())
            };
            out.push((AlertKey::DoublePaid(st.order.id.clone()), pickup, detail));
        } else if pay == PaymentSummary::Failed && !st.is_closed_by_cancel() {
            let detail = payment_reason(st, chinese).unwrap_or_default();
            out.push((AlertKey::PaymentFailed(st.order.id.clone()), pickup, detail));
        } else if paying_too_long(st, now, paying_limit_secs) {
            let detail = payment_reason(st, chinese).unwrap_or_default();
            out.push((AlertKey::PayingTooLong(st.order.id.clone()), pickup, detail));
        }
    }
    for p in printers {
        let state = match &p.state {
            PrinterState::Online | PrinterState::Unknown => continue,
            PrinterState::Offline => if chinese { "离线" } else { "offline" }.to_string(),
            PrinterState::PaperOut => if chinese { "缺纸" } else { "paper out" }.to_string(),
            PrinterState::CoverOpen => if chinese { "开盖" } else { "cover open" }.to_string(),
            PrinterState::Error(e) => e.clone(),
        };
        let detail = if chinese {
            format!("{state}, {} 张待打", p.queued)
        } else {
            format!("{state}, {} waiting", p.queued)
        };
        out.push((AlertKey::Printer(p.name.clone()), p.label.clone(), detail));
    }
    match &feed.link {
        LinkState::Offline { since } => {
            let t = since.format("%H:%M").to_string();
            let detail = if chinese {
                format!("自 {t} 离线")
            } else {
                format!("offline since {t}")
            };
            out.push((AlertKey::Feed, String::new(), detail));
        }
        LinkState::Unauthorized => {
            let detail = if chinese {
                "平台拒绝了令牌: 检查 [feed] token".to_string()
            } else {
                "the platform refused the token: fix [feed] token".to_string()
            };
            out.push((AlertKey::Feed, String::new(), detail));
        }
        _ => {}
    }
    out
}
