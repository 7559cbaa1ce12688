//! An order as the platform describes it (protocol.md `order.placed`), and its items.

use super::money::Fen;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The platform's order id (`WX20261125-000123`) or a counter order's
/// store-unique id (`S001-box1-000042`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub String);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for OrderId {
    fn from(s: &str) -> Self {
        OrderId(s.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    WechatMini,
    AlipayMini,
    Counter,
    Delivery,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WechatMini => "wechat_mini",
            Channel::AlipayMini => "alipay_mini",
            Channel::Counter => "counter",
            Channel::Delivery => "delivery",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dining {
    DineIn,
    Takeaway,
}

impl Dining {
    pub fn as_str(self) -> &'static str {
        match self {
            Dining::DineIn => "dine_in",
            Dining::Takeaway => "takeaway",
        }
    }
}

/// One line of an order: a dish, its quantity, the station that cooks it.
/// Unknown fields are ignored, so a newer platform adding one to an item
/// cannot get every order quarantined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub line: u32,
    pub sku: String,
    pub name: String,
    pub qty: u32,
    pub unit_price: Fen,
    pub station: String,
    #[serde(default)]
    pub modifiers: Vec<String>,
    #[serde(default)]
    pub note: String,
}

impl Item {
    /// The line's price times its quantity. Lines are checked against the
    /// money limits before they are accepted (`MoneyLimits::check_item`),
    /// so this fits; for a line that never was, it saturates, never wraps.
    pub fn total(&self) -> Fen {
        self.unit_price
            .times(self.qty)
            .unwrap_or(Fen(self.unit_price.0.saturating_mul(i64::from(self.qty))))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub pickup_no: String,
    pub table: Option<String>,
    pub channel: Channel,
    pub dining: Dining,
    pub placed_at: DateTime<FixedOffset>,
    pub currency: String,
    pub amount_due: Fen,
    #[serde(default)]
    pub note: String,
    pub items: Vec<Item>,
}

impl Order {
    /// Checks what the schema cannot: positive quantities, non-negative prices,
    /// unique line numbers, and a currency we can take.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.0.trim().is_empty() {
            return Err("order id is empty".into());
        }
        if self.currency != "CNY" {
            return Err(format!("currency {} is not CNY", self.currency));
        }
        if self.amount_due.is_negative() {
            return Err(format!("amount_due {} is negative", self.amount_due.0));
        }
        validate_items(&self.items)
    }
}

pub fn validate_items(items: &[Item]) -> Result<(), String> {
    let mut lines = std::collections::HashSet::new();
    for it in items {
        if it.qty == 0 {
            return Err(format!("line {} has quantity 0", it.line));
        }
        if it.unit_price.is_negative() {
            return Err(format!("line {} has a negative price", it.line));
        }
        if !lines.insert(it.line) {
            return Err(format!("line {} appears twice", it.line));
        }
    }
    Ok(())
}
