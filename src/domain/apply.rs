//! How each event changes an order: the fold from the log to the order's
//! state (`OrderState::apply`), kept apart from the state's queries so the
//! state does not depend on the events that carry it.

use super::event::{EventBody, UpdateEffect};
use super::money::Fen;
use super::platform::{PaymentUpdate, TradeState};
use super::state::*;
use chrono::{DateTime, FixedOffset};

impl OrderState {
    /// Folds one event into the projection. Unknown-to-this-order events are ignored.
    pub fn apply(&mut self, event_id: u64, at: DateTime<FixedOffset>, body: &EventBody) {
        use EventBody::*;
        self.last_event = event_id;
        self.updated_at = at;
        match body {
            OrderPlaced { .. } => {}
            PaymentUpdated { update, effect } => {
                if *effect != UpdateEffect::Applied {
                    return;
                }
                match update.trade_state {
                    TradeState::Success => self.successes.push(OnlineSuccess {
                        transaction_id: update.transaction_id.clone(),
                        channel: update.channel,
                        amount: update.amount,
                        refunded: Fen::ZERO,
                        at: update.at,
                    }),
                    TradeState::Refund => self.apply_online_refund(update),
                    _ => {}
                }
                self.online = Some(update.clone());
            }
            OrderCancelled { reason, .. } => {
                self.cancelled = Some(reason.clone());
                self.cancel_open_lines();
            }
            ItemsAdded {
                items, amount_due, ..
            } => {
                for it in items {
                    self.lines.insert(it.line, Kitchen::Waiting);
                    self.order.items.retain(|i| i.line != it.line);
                    self.order.items.push(it.clone());
                }
                self.order.amount_due = *amount_due;
                self.bumped_at = None;
                self.served = false;
            }
            Fired { lines, .. } => {
                for l in lines {
                    if let Some(k) = self.lines.get_mut(l) {
                        if *k == Kitchen::Waiting {
                            *k = Kitchen::Fired;
                        }
                    }
                }
                if self.fired_at.is_none() {
                    self.fired_at = Some(at);
                }
            }
            Settled {
                staff_id,
                tenders,
                rounding,
                ..
            } => {
                for t in tenders {
                    self.tenders.push(TenderRecord {
                        tender: t.clone(),
                        staff_id: staff_id.clone(),
                        at,
                    });
                }
                self.rounding += *rounding;
            }
            DoublePayment { .. } => {
                self.double_paid = true;
                self.double_resolved = false;
            }
            DoublePaymentResolved { .. } => self.double_resolved = true,
            Bumped { line, .. } => {
                for (l, k) in self.lines.iter_mut() {
                    if line.is_none_or(|x| x == *l) && *k == Kitchen::Fired {
                        *k = Kitchen::Ready;
                    }
                }
                if self.kitchen() == Kitchen::Ready {
                    self.bumped_at = Some(at);
                }
            }
            Recalled { .. } => {
                for k in self.lines.values_mut() {
                    if *k == Kitchen::Ready {
                        *k = Kitchen::Fired;
                    }
                }
                self.bumped_at = None;
                self.served = false;
            }
            Served { .. } => {
                self.served = true;
                for k in self.lines.values_mut() {
                    if matches!(k, Kitchen::Fired | Kitchen::Ready) {
                        *k = Kitchen::Served;
                    }
                }
            }
            Voided {
                reason, approver, ..
            } => {
                self.voided = Some((approver.clone(), reason.clone()));
                self.cancel_open_lines();
            }
            Refunded {
                amount,
                method,
                reason,
                approver,
                ..
            } => self.refunds.push(RefundRecord {
                amount: *amount,
                method: *method,
                reason: reason.clone(),
                approver: approver.clone(),
                at,
            }),
            PayCodeScanned {
                channel,
                masked,
                code_hash,
                ..
            } => self.pay_codes.push(ScannedCode {
                channel: *channel,
                masked: masked.clone(),
                code_hash: code_hash.clone(),
                at,
            }),
            RecheckRequested { .. }
            | ReprintRequested { .. }
            | FrameQuarantined { .. }
            | ReportAcked { .. }
            | StaffAdded { .. }
            | StaffDisabled { .. }
            | QueueMoved { .. }
            | PinChanged { .. }
            | PinsUnlocked { .. }
            | PinRejected { .. }
            | ShiftOpened { .. }
            | ShiftClosed { .. } => {}
        }
    }

    fn cancel_open_lines(&mut self) {
        for k in self.lines.values_mut() {
            if matches!(k, Kitchen::Waiting | Kitchen::Fired | Kitchen::Ready) {
                *k = Kitchen::Cancelled;
            }
        }
    }

    /// A REFUND takes money back from the success it names (by transaction
    /// id), else from the latest success that still holds money.
    fn apply_online_refund(&mut self, update: &PaymentUpdate) {
        let mut left = update.amount;
        let by_id = update.transaction_id.as_ref().and_then(|tx| {
            self.successes
                .iter()
                .position(|s| s.transaction_id.as_ref() == Some(tx))
        });
        // A refund that names its transaction takes only from that success (a
        // repeated REFUND notification cannot reach into another payment).
        let order: Vec<usize> = match (by_id, &update.transaction_id) {
            (Some(i), _) => vec![i],
            (None, Some(_)) if !self.successes.is_empty() => Vec::new(),
            _ => (0..self.successes.len()).rev().collect(),
        };
        for i in order {
            let s = &mut self.successes[i];
            let room = s.amount - s.refunded;
            let take = if left < room { left } else { room };
            s.refunded += take;
            left -= take;
            if left == Fen::ZERO {
                break;
            }
        }
    }
}
