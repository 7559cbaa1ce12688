//! Rebuilding the order projections from the event log alone: the proof that
//! the log is the truth and the `orders` tree only a cache of it.

use super::event::{Event, EventBody};
use super::order::OrderId;
use super::state::OrderState;
use std::collections::BTreeMap;

/// Folds events (in log order) into order projections, exactly as the engine does.
pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> BTreeMap<OrderId, OrderState> {
    let mut orders: BTreeMap<OrderId, OrderState> = BTreeMap::new();
    for ev in events {
        match &ev.body {
            EventBody::OrderPlaced { order } => {
                let mut st = OrderState::new(order.clone(), ev.id, ev.at);
                st.apply(ev.id, ev.at, &ev.body);
                orders.insert(order.id.clone(), st);
            }
            body => {
                if let Some(st) = body.order_id().and_then(|id| orders.get_mut(id)) {
                    st.apply(ev.id, ev.at, body);
                }
            }
        }
    }
    orders
}
