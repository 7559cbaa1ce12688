//! The platform's event bodies (protocol.md "Event kinds"): what the ordering
//! platform tells the store. Pure data; the feed module decodes frames into these.

use super::money::Fen;
use super::order::{Item, Order, OrderId};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum PlatformEvent {
    #[serde(rename = "order.placed")]
    OrderPlaced { order: Order },
    #[serde(rename = "payment.updated")]
    PaymentUpdated(PaymentUpdate),
    #[serde(rename = "order.cancelled")]
    OrderCancelled {
        order_id: OrderId,
        #[serde(default)]
        reason: String,
    },
    #[serde(rename = "order.items_added")]
    ItemsAdded {
        order_id: OrderId,
        items: Vec<Item>,
        amount_due: Fen,
    },
}

impl PlatformEvent {
    pub fn order_id(&self) -> &OrderId {
        match self {
            PlatformEvent::OrderPlaced { order } => &order.id,
            PlatformEvent::PaymentUpdated(u) => &u.order_id,
            PlatformEvent::OrderCancelled { order_id, .. } => order_id,
            PlatformEvent::ItemsAdded { order_id, .. } => order_id,
        }
    }

    /// The protocol's kind names, for logs and the quarantine.
    pub const KINDS: [&'static str; 4] = [
        "order.placed",
        "payment.updated",
        "order.cancelled",
        "order.items_added",
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayChannel {
    Wechat,
    Alipay,
}

impl PayChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            PayChannel::Wechat => "wechat",
            PayChannel::Alipay => "alipay",
        }
    }
}

/// WeChat Pay's trade states, used by the platform for both channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TradeState {
    Notpay,
    Userpaying,
    Success,
    Payerror,
    Closed,
    Revoked,
    Refund,
}

impl TradeState {
    pub fn as_str(self) -> &'static str {
        match self {
            TradeState::Notpay => "NOTPAY",
            TradeState::Userpaying => "USERPAYING",
            TradeState::Success => "SUCCESS",
            TradeState::Payerror => "PAYERROR",
            TradeState::Closed => "CLOSED",
            TradeState::Revoked => "REVOKED",
            TradeState::Refund => "REFUND",
        }
    }
}

/// `payment.updated`: the online payment's state as the channel reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentUpdate {
    pub order_id: OrderId,
    pub channel: PayChannel,
    pub trade_state: TradeState,
    pub amount: Fen,
    #[serde(default)]
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    pub at: DateTime<FixedOffset>,
}

impl PaymentUpdate {
    /// True while the outcome may still change to money moving: the customer
    /// is paying, the channel timed out, or the channel had a system error.
    /// Before taking cash the cashier is offered a re-check.
    pub fn outcome_open(&self) -> bool {
        matches!(
            self.trade_state,
            TradeState::Notpay | TradeState::Userpaying
        ) || matches!(
            self.error_code.as_deref(),
            Some("TIMEOUT") | Some("SYSTEMERROR") | Some("USERPAYING")
        )
    }
}
