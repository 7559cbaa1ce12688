//! The export shape of an order (`export --json`, `ctl orders --json`): one
//! flat object with the field names of the CLI contract.

use crate::domain::OrderState;
use serde_json::{json, Value};

pub fn order_json(o: &OrderState) -> Value {
    let tenders: Vec<Value> = o
        .tenders
        .iter()
        .map(|t| json!({"method": t.tender.method.as_str(), "amount": t.tender.amount.0}))
        .collect();
    let online: Vec<Value> = o
        .successes
        .iter()
        .map(|s| json!({"channel": s.channel.as_str(), "amount": s.amount.0, "refunded": s.refunded.0, "transaction_id": s.transaction_id}))
        .collect();
    json!({
        "id": o.order.id.0,
        "pickup_no": o.order.pickup_no,
        "table": o.order.table,
        "channel": o.order.channel.as_str(),
        "dining": o.order.dining.as_str(),
        "placed_at": o.order.placed_at.to_rfc3339(),
        "amount_due": o.order.amount_due.0,
        "payment": o.payment().as_str(),
        "kitchen": o.kitchen().as_str(),
        "collected": o.collected().0,
        "change": o.change().0,
        "rounding": o.rounding.0,
        "remaining": o.remaining().0,
        "tenders": tenders,
        "online": online,
        "flags": o.flags(),
        "trade_state": o.online.as_ref().map(|u| u.trade_state.as_str()),
        "error_code": o.online.as_ref().and_then(|u| u.error_code.clone()),
    })
}
