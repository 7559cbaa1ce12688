//! Reports for the platform (protocol.md "Console → platform"): what happened in
//! the store, derived from events and kept in the durable outbox until acked.

use super::event::EventBody;
use super::money::Fen;
use super::order::{Channel, Order, OrderId};
use super::platform::PayChannel;
use super::staff::StaffId;
use super::state::OrderState;
use super::tender::Method;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettledTender {
    pub method: Method,
    pub amount: Fen,
    pub tendered: Fen,
    pub change: Fen,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Report {
    /// The cashier took payment in the store. For a split tender, `method`
    /// is the first tender's and `tenders` lists each (docs/protocol.md).
    #[serde(rename = "payment.settled")]
    PaymentSettled {
        order_id: OrderId,
        method: Method,
        amount: Fen,
        tendered: Fen,
        change: Fen,
        staff_id: StaffId,
        reference: Option<String>,
        at: DateTime<FixedOffset>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tenders: Vec<SettledTender>,
    },
    #[serde(rename = "payment.conflict")]
    PaymentConflict {
        order_id: OrderId,
        amount_due: Fen,
        in_store_amount: Fen,
        online_amount: Fen,
        transaction_id: Option<String>,
        at: DateTime<FixedOffset>,
    },
    #[serde(rename = "payment.recheck")]
    PaymentRecheck {
        order_id: OrderId,
        at: DateTime<FixedOffset>,
    },
    #[serde(rename = "order.status")]
    OrderStatus {
        order_id: OrderId,
        status: OrderStatus,
        at: DateTime<FixedOffset>,
    },
    #[serde(rename = "order.placed")]
    OrderPlaced {
        order: Order,
        at: DateTime<FixedOffset>,
    },
    #[serde(rename = "payment.collect")]
    PaymentCollect {
        order_id: OrderId,
        auth_code: String,
        amount: Fen,
        channel: PayChannel,
        at: DateTime<FixedOffset>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Accepted,
    Ready,
    Served,
    Cancelled,
}

impl Report {
    pub fn kind(&self) -> &'static str {
        match self {
            Report::PaymentSettled { .. } => "payment.settled",
            Report::PaymentConflict { .. } => "payment.conflict",
            Report::PaymentRecheck { .. } => "payment.recheck",
            Report::OrderStatus { .. } => "order.status",
            Report::OrderPlaced { .. } => "order.placed",
            Report::PaymentCollect { .. } => "payment.collect",
        }
    }

    pub fn order_id(&self) -> &OrderId {
        match self {
            Report::PaymentSettled { order_id, .. }
            | Report::PaymentConflict { order_id, .. }
            | Report::PaymentRecheck { order_id, .. }
            | Report::OrderStatus { order_id, .. }
            | Report::PaymentCollect { order_id, .. } => order_id,
            Report::OrderPlaced { order, .. } => &order.id,
        }
    }
}

/// The reports an event causes, given the order as it is after the event.
pub fn reports_for(
    body: &EventBody,
    after: Option<&OrderState>,
    at: DateTime<FixedOffset>,
) -> Vec<Report> {
    match body {
        EventBody::Settled {
            order_id,
            staff_id,
            tenders,
            ..
        } => {
            let Some(first) = tenders.first() else {
                return Vec::new();
            };
            let amount: Fen = tenders.iter().map(|t| t.amount).sum();
            let change: Fen = tenders.iter().map(|t| t.change).sum();
            let refs: Vec<&str> = tenders
                .iter()
                .filter_map(|t| t.reference.as_deref())
                .collect();
            let split = tenders.len() > 1;
            vec![Report::PaymentSettled {
                order_id: order_id.clone(),
                method: first.method,
                amount,
                tendered: amount + change,
                change,
                staff_id: staff_id.clone(),
                reference: if refs.is_empty() {
                    None
                } else {
                    Some(refs.join(";"))
                },
                at,
                tenders: if split {
                    tenders
                        .iter()
                        .map(|t| SettledTender {
                            method: t.method,
                            amount: t.amount,
                            tendered: t.tendered,
                            change: t.change,
                            reference: t.reference.clone(),
                        })
                        .collect()
                } else {
                    Vec::new()
                },
            }]
        }
        EventBody::DoublePayment {
            order_id,
            due,
            transaction_id,
            ..
        } => {
            let (store, online) = after
                .map(|s| (s.store_collected(), s.online_collected()))
                .unwrap_or_default();
            vec![Report::PaymentConflict {
                order_id: order_id.clone(),
                amount_due: *due,
                in_store_amount: store,
                online_amount: online,
                transaction_id: transaction_id.clone(),
                at,
            }]
        }
        // Only the console places counter orders; platform orders are never echoed.
        EventBody::OrderPlaced { order } if order.channel == Channel::Counter => {
            vec![Report::OrderPlaced {
                order: order.clone(),
                at,
            }]
        }
        EventBody::RecheckRequested { order_id } => vec![Report::PaymentRecheck {
            order_id: order_id.clone(),
            at,
        }],
        EventBody::Fired {
            order_id,
            addon: false,
            ..
        } => status(order_id, OrderStatus::Accepted, at),
        EventBody::Bumped { order_id, .. } => match after {
            Some(s) if s.bumped_at.is_some() => status(order_id, OrderStatus::Ready, at),
            _ => Vec::new(),
        },
        EventBody::Served { order_id } => status(order_id, OrderStatus::Served, at),
        EventBody::Voided { order_id, .. } => status(order_id, OrderStatus::Cancelled, at),
        _ => Vec::new(),
    }
}

fn status(order_id: &OrderId, status: OrderStatus, at: DateTime<FixedOffset>) -> Vec<Report> {
    vec![Report::OrderStatus {
        order_id: order_id.clone(),
        status,
        at,
    }]
}
