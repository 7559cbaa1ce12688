//! Counter orders: numbering (`{store}-{device}-{seq}`, daily pickup
//! numbers) and the pay-code collect report.

use super::{Writer, Writes, META};
use crate::domain::business_day::business_date;
use crate::domain::report::Report;
use crate::domain::{EventBody, Fen, Item, OrderId, Refusal};
use crate::engine::EngineError;
use crate::store::be_u64;
use chrono::{DateTime, FixedOffset};

impl Writer {
    /// Gives a counter order its id and pickup number from durable counters
    /// in the meta tree: `{store}-{device}-{seq:06}` and `C001`… (daily).
    pub(super) fn number_counter_order(
        &self,
        w: &mut Writes,
        store_id: &str,
        device_id: &str,
        ticket: crate::domain::command::CounterTicket,
        now: DateTime<FixedOffset>,
    ) -> Result<crate::domain::Order, EngineError> {
        let menu = self.cfg.menu.as_ref().ok_or(Refusal::NoMenu)?;
        let items = menu.price(&ticket)?;
        let amount_due = Fen::checked_sum(items.iter().map(Item::total)).map_err(|_| {
            Refusal::OrderTooLarge {
                total: "more than can be added".into(),
                most: self.cfg.rules.limits.order_max.to_string(),
            }
        })?;
        let read = |v: Option<Vec<u8>>| v.filter(|v| v.len() == 8).map(|v| be_u64(&v)).unwrap_or(0);
        let seq = read(self.get(META, b"counter_seq")?) + 1;
        let day = business_date(&now, self.cfg.tz);
        let pickup_key = format!("counter_pickup:{day}");
        let pickup = read(self.get(META, pickup_key.as_bytes())?) % 999 + 1;
        w.put(META, "counter_seq", seq.to_be_bytes().to_vec());
        w.put(META, pickup_key, pickup.to_be_bytes().to_vec());
        Ok(crate::domain::Order {
            id: OrderId(format!("{store_id}-{device_id}-{seq:06}")),
            pickup_no: format!("C{pickup:03}"),
            table: ticket.table,
            channel: crate::domain::Channel::Counter,
            dining: ticket.dining,
            placed_at: now,
            currency: "CNY".into(),
            amount_due,
            note: ticket.note,
            items,
        })
    }

    /// The `payment.collect` report for the scan just committed: the only
    /// place the full pay code is written (docs/counter.md "Pay codes").
    pub(super) fn collect_report(
        &mut self,
        w: &mut Writes,
        auth_code: &crate::domain::AuthCode,
        now: DateTime<FixedOffset>,
    ) {
        let scanned = w.events.iter().find_map(|e| match &e.body {
            EventBody::PayCodeScanned {
                order_id,
                channel,
                amount,
                ..
            } => Some((e.id, order_id.clone(), *channel, *amount)),
            _ => None,
        });
        if let Some((event_id, order_id, channel, amount)) = scanned {
            let report = Report::PaymentCollect {
                order_id,
                auth_code: auth_code.0.clone(),
                amount,
                channel,
                at: now,
            };
            self.push_report(w, report, event_id, now);
        }
    }
}
