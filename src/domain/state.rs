//! An order's projection: everything the event log says about one order, folded.
//! `apply` is total and deterministic, so replaying the log rebuilds it exactly.

use super::event::{EventBody, UpdateEffect};
use super::money::Fen;
use super::order::{Order, OrderId};
use super::platform::{PayChannel, PaymentUpdate, TradeState};
use super::staff::StaffId;
use super::tender::{Method, Tender};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where an order or an item stands in the kitchen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kitchen {
    Waiting,
    Fired,
    Ready,
    Served,
    Cancelled,
}

impl Kitchen {
    pub fn as_str(self) -> &'static str {
        match self {
            Kitchen::Waiting => "waiting",
            Kitchen::Fired => "fired",
            Kitchen::Ready => "ready",
            Kitchen::Served => "served",
            Kitchen::Cancelled => "cancelled",
        }
    }
}

/// The one-word payment state of an order (part of the CLI contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentSummary {
    Unpaid,
    Paying,
    Failed,
    PaidOnline,
    PaidInStore,
    DoublePaid,
    Refunded,
    Void,
}

impl PaymentSummary {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentSummary::Unpaid => "unpaid",
            PaymentSummary::Paying => "paying",
            PaymentSummary::Failed => "failed",
            PaymentSummary::PaidOnline => "paid_online",
            PaymentSummary::PaidInStore => "paid_in_store",
            PaymentSummary::DoublePaid => "double_paid",
            PaymentSummary::Refunded => "refunded",
            PaymentSummary::Void => "void",
        }
    }

    /// Money is settled (online, in store, or too much of it).
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            PaymentSummary::PaidOnline | PaymentSummary::PaidInStore | PaymentSummary::DoublePaid
        )
    }
}

/// An online success, counted once per `transaction_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineSuccess {
    pub transaction_id: Option<String>,
    pub channel: PayChannel,
    pub amount: Fen,
    pub refunded: Fen,
    pub at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderRecord {
    #[serde(flatten)]
    pub tender: Tender,
    pub staff_id: StaffId,
    pub at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRecord {
    pub amount: Fen,
    pub method: Method,
    pub reason: String,
    pub approver: StaffId,
    pub at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedCode {
    pub channel: super::platform::PayChannel,
    pub masked: String,
    pub code_hash: String,
    pub at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    pub order: Order,
    /// Kitchen state per item line (stored as `[[line, state], …]` so it
    /// survives serde's internally tagged enums, which stringify map keys).
    #[serde(with = "line_pairs")]
    pub lines: BTreeMap<u32, Kitchen>,
    /// The latest applied online payment update.
    pub online: Option<PaymentUpdate>,
    pub successes: Vec<OnlineSuccess>,
    pub tenders: Vec<TenderRecord>,
    pub refunds: Vec<RefundRecord>,
    /// Cash rounding applied, summed over settlements.
    pub rounding: Fen,
    pub cancelled: Option<String>,
    pub voided: Option<(StaffId, String)>,
    pub served: bool,
    pub double_paid: bool,
    pub double_resolved: bool,
    pub fired_at: Option<DateTime<FixedOffset>>,
    pub bumped_at: Option<DateTime<FixedOffset>>,
    /// Pay codes scanned for this order (masked form and salted hash).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pay_codes: Vec<ScannedCode>,
    /// Log id of the last event applied to this order.
    pub last_event: u64,
    pub updated_at: DateTime<FixedOffset>,
}

impl OrderState {
    pub fn new(order: Order, event_id: u64, at: DateTime<FixedOffset>) -> OrderState {
        let lines = order
            .items
            .iter()
            .map(|i| (i.line, Kitchen::Waiting))
            .collect();
        OrderState {
            order,
            lines,
            online: None,
            successes: Vec::new(),
            tenders: Vec::new(),
            refunds: Vec::new(),
            rounding: Fen::ZERO,
            cancelled: None,
            voided: None,
            served: false,
            double_paid: false,
            double_resolved: false,
            fired_at: None,
            bumped_at: None,
            pay_codes: Vec::new(),
            last_event: event_id,
            updated_at: at,
        }
    }

    pub fn id(&self) -> &OrderId {
        &self.order.id
    }

    /// Online money still held (successes net of online refunds).
    pub fn online_collected(&self) -> Fen {
        self.successes.iter().map(|s| s.amount - s.refunded).sum()
    }

    /// In-store money still held (tenders net of change and store refunds).
    pub fn store_collected(&self) -> Fen {
        self.tenders.iter().map(|t| t.tender.amount).sum::<Fen>()
            - self.refunds.iter().map(|r| r.amount).sum::<Fen>()
    }

    /// Money taken: online successes plus in-store tenders, net of change,
    /// minus refunds.
    pub fn collected(&self) -> Fen {
        self.online_collected() + self.store_collected()
    }

    pub fn change(&self) -> Fen {
        self.tenders.iter().map(|t| t.tender.change).sum()
    }

    /// What is due including any cash rounding applied.
    pub fn effective_due(&self) -> Fen {
        self.order.amount_due + self.rounding
    }

    pub fn remaining(&self) -> Fen {
        let r = self.effective_due() - self.collected();
        if r.is_negative() {
            Fen::ZERO
        } else {
            r
        }
    }

    pub fn is_closed_by_cancel(&self) -> bool {
        self.cancelled.is_some() || self.voided.is_some()
    }

    fn ever_refunded(&self) -> bool {
        !self.refunds.is_empty() || self.successes.iter().any(|s| s.refunded.is_positive())
    }

    pub fn payment(&self) -> PaymentSummary {
        let collected = self.collected();
        let due = self.effective_due();
        if self.is_closed_by_cancel() && collected == Fen::ZERO {
            return if self.ever_refunded() {
                PaymentSummary::Refunded
            } else {
                PaymentSummary::Void
            };
        }
        if collected > due {
            return PaymentSummary::DoublePaid;
        }
        if collected.is_positive() && collected >= due {
            return if self.tenders.is_empty() {
                PaymentSummary::PaidOnline
            } else {
                PaymentSummary::PaidInStore
            };
        }
        if due == Fen::ZERO {
            return PaymentSummary::PaidInStore;
        }
        if collected == Fen::ZERO && self.ever_refunded() {
            return PaymentSummary::Refunded;
        }
        match self.online.as_ref().map(|u| u.trade_state) {
            Some(TradeState::Userpaying) => PaymentSummary::Paying,
            Some(TradeState::Payerror | TradeState::Closed | TradeState::Revoked) => {
                PaymentSummary::Failed
            }
            _ => PaymentSummary::Unpaid,
        }
    }

    pub fn kitchen(&self) -> Kitchen {
        if self.is_closed_by_cancel() {
            return Kitchen::Cancelled;
        }
        if self.served {
            return Kitchen::Served;
        }
        let live: Vec<Kitchen> = self
            .lines
            .values()
            .copied()
            .filter(|k| *k != Kitchen::Cancelled)
            .collect();
        if live.iter().all(|k| *k == Kitchen::Waiting) {
            Kitchen::Waiting
        } else if live
            .iter()
            .all(|k| matches!(k, Kitchen::Ready | Kitchen::Served))
        {
            Kitchen::Ready
        } else {
            Kitchen::Fired
        }
    }

    /// Lines that wait for the kitchen.
    pub fn waiting_lines(&self) -> Vec<u32> {
        self.lines
            .iter()
            .filter(|(_, k)| **k == Kitchen::Waiting)
            .map(|(l, _)| *l)
            .collect()
    }

    /// Flags shown beside the payment state (`refund_due`, `double_paid`, …).
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.is_closed_by_cancel() && self.collected().is_positive() {
            flags.push("refund_due");
        }
        if self.double_paid {
            flags.push(if self.double_resolved {
                "double_resolved"
            } else {
                "double_paid"
            });
        }
        if self
            .online
            .as_ref()
            .is_some_and(|u| u.outcome_open() && !self.payment().is_paid())
        {
            flags.push("outcome_open");
        }
        flags
    }

    /// The order stays on the open index until it is paid and served or
    /// bumped, or cancelled with nothing left to refund, and nothing waits on
    /// a manager.
    pub fn is_open(&self) -> bool {
        let pay = self.payment();
        if self.double_paid && !self.double_resolved {
            return true;
        }
        if self.is_closed_by_cancel() {
            return self.collected().is_positive();
        }
        let kitchen_done = matches!(self.kitchen(), Kitchen::Ready | Kitchen::Served);
        !(pay.is_paid() && kitchen_done)
    }

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

mod line_pairs {
    use super::Kitchen;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(m: &BTreeMap<u32, Kitchen>, s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<(u32, Kitchen)> = m.iter().map(|(k, v)| (*k, *v)).collect();
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<u32, Kitchen>, D::Error> {
        Ok(Vec::<(u32, Kitchen)>::deserialize(d)?.into_iter().collect())
    }
}
