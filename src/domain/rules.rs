//! The business rules: given the current state and a command, the events it
//! causes or why it is refused. Pure: the engine supplies the clock, the
//! config and the staff lookup (PINs are verified by the engine before this).

use super::command::Command;
use super::event::{EventBody, UpdateEffect};
use super::limits::MoneyLimits;
use super::lockout::PinPolicy;
use super::money::Fen;
use super::order::{Item, Order, OrderId};
use super::platform::{PaymentUpdate, PlatformEvent, TradeState};
use super::refusal::{forbidden, Refusal};
use super::staff::{Role, Staff};
use super::state::{Kitchen, OrderState};
use super::tender::{quote, CashRounding, Method, Tender, TenderInput};
use serde::{Deserialize, Serialize};

/// When an order goes to the kitchen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirePolicy {
    /// Pay first: the kitchen ticket prints only when the order is paid.
    #[default]
    OnPayment,
    /// Pay later: the kitchen starts at once.
    OnOrder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub fire: FirePolicy,
    pub cash_rounding: CashRounding,
    pub limits: MoneyLimits,
    /// What a new PIN must look like (`[staff]` in the config).
    pub pins: PinPolicy,
    /// Days a command's idempotency key is kept (`[api] key_days`).
    pub key_days: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            fire: FirePolicy::default(),
            cash_rounding: CashRounding::default(),
            limits: MoneyLimits::default(),
            pins: PinPolicy::default(),
            key_days: 7,
        }
    }
}

/// What a platform event turns into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformOutcome {
    Events(Vec<EventBody>),
    /// The event cannot be applied (e.g. it names an order never placed):
    /// it goes to the quarantine with this reason.
    Quarantine(String),
}

impl Rules {
    /// Decides a platform event against the order it names.
    pub fn platform(&self, order: Option<&OrderState>, event: &PlatformEvent) -> PlatformOutcome {
        let primary = match (event, order) {
            (PlatformEvent::OrderPlaced { order: o }, None) => {
                if let Err(e) = o.validate().and_then(|()| self.limits.check_order(o)) {
                    return PlatformOutcome::Quarantine(format!("order {}: {e}", o.id));
                }
                EventBody::OrderPlaced { order: o.clone() }
            }
            // The platform sent the same order again under a new seq: keep the first.
            (PlatformEvent::OrderPlaced { .. }, Some(_)) => {
                return PlatformOutcome::Events(Vec::new())
            }
            (_, None) => {
                return PlatformOutcome::Quarantine(format!(
                    "{} names order {} which was never placed",
                    platform_kind(event),
                    event.order_id()
                ))
            }
            (PlatformEvent::PaymentUpdated(u), Some(st)) => {
                if let Err(e) = self.limits.check_payment(u) {
                    return PlatformOutcome::Quarantine(format!("payment for {}: {e}", u.order_id));
                }
                EventBody::PaymentUpdated {
                    update: u.clone(),
                    effect: update_effect(st, u),
                }
            }
            (PlatformEvent::OrderCancelled { order_id, reason }, Some(st)) => {
                if st.is_closed_by_cancel() {
                    return PlatformOutcome::Events(Vec::new());
                }
                EventBody::OrderCancelled {
                    order_id: order_id.clone(),
                    reason: reason.clone(),
                }
            }
            (
                PlatformEvent::ItemsAdded {
                    order_id,
                    items,
                    amount_due,
                },
                Some(st),
            ) => {
                if let Err(e) = super::order::validate_items(items) {
                    return PlatformOutcome::Quarantine(format!("add-on to {order_id}: {e}"));
                }
                if let Some(dup) = items.iter().find(|i| st.lines.contains_key(&i.line)) {
                    return PlatformOutcome::Quarantine(format!(
                        "add-on to {order_id} repeats line {}",
                        dup.line
                    ));
                }
                if let Err(e) = self
                    .limits
                    .check_add_on(&st.order.items, items, *amount_due)
                {
                    return PlatformOutcome::Quarantine(format!("add-on to {order_id}: {e}"));
                }
                EventBody::ItemsAdded {
                    order_id: order_id.clone(),
                    items: items.clone(),
                    amount_due: *amount_due,
                }
            }
        };
        PlatformOutcome::Events(self.with_consequences(order, primary))
    }

    /// Decides a store command about an order. `staff` is the (already
    /// PIN-checked) member who made it; `approver` the manager who approved.
    pub fn store(
        &self,
        order: Option<&OrderState>,
        cmd: &Command,
        staff: &Staff,
        approver: Option<&Staff>,
    ) -> Result<Vec<EventBody>, Refusal> {
        let need_money = || {
            if staff.role.may_take_money() {
                Ok(())
            } else {
                Err(forbidden(staff, "cashier or a manager"))
            }
        };
        let need_manager = || match approver {
            Some(a) if a.role.may_approve() => Ok(a.id.clone()),
            Some(a) => Err(forbidden(a, "manager to approve")),
            None => Err(Refusal::ApprovalNeeded),
        };
        let existing = |id: &OrderId| {
            order.ok_or_else(|| Refusal::UnknownOrder {
                order_id: id.0.clone(),
            })
        };
        let primary = match cmd {
            Command::Settle {
                order_id, tenders, ..
            } => {
                need_money()?;
                let st = existing(order_id)?;
                let (tenders, rounding) = self.check_tenders(st, tenders)?;
                EventBody::Settled {
                    order_id: order_id.clone(),
                    staff_id: staff.id.clone(),
                    tenders,
                    rounding,
                }
            }
            Command::Recheck { order_id, .. } => {
                need_money()?;
                let st = existing(order_id)?;
                let pay = st.payment();
                if pay.is_paid() || st.is_closed_by_cancel() {
                    return Err(Refusal::NothingToRecheck {
                        state: pay.as_str().into(),
                    });
                }
                EventBody::RecheckRequested {
                    order_id: order_id.clone(),
                }
            }
            Command::Bump { order_id, line, .. } => {
                let st = existing(order_id)?;
                match line {
                    Some(l) => match st.lines.get(l) {
                        None => return Err(Refusal::UnknownLine { line: *l }),
                        Some(Kitchen::Fired) => {}
                        Some(_) => return Err(Refusal::NotOnRail),
                    },
                    None => {
                        if !st.lines.values().any(|k| *k == Kitchen::Fired) {
                            return Err(Refusal::NotOnRail);
                        }
                    }
                }
                EventBody::Bumped {
                    order_id: order_id.clone(),
                    line: *line,
                }
            }
            Command::Recall { order_id, .. } => {
                let id = order_id.as_ref().ok_or(Refusal::NothingToRecall)?;
                let st = existing(id)?;
                if !st
                    .lines
                    .values()
                    .any(|k| matches!(k, Kitchen::Ready | Kitchen::Served))
                {
                    return Err(Refusal::NothingToRecall);
                }
                EventBody::Recalled {
                    order_id: id.clone(),
                }
            }
            Command::Serve { order_id, .. } => {
                let st = existing(order_id)?;
                if st.is_closed_by_cancel() {
                    return Err(Refusal::OrderClosed {
                        what: "cancelled".into(),
                    });
                }
                if st.kitchen() != Kitchen::Ready {
                    return Err(Refusal::NotOnRail);
                }
                EventBody::Served {
                    order_id: order_id.clone(),
                }
            }
            Command::Void {
                order_id, reason, ..
            } => {
                need_money()?;
                let approver = need_manager()?;
                let st = existing(order_id)?;
                if reason.trim().is_empty() {
                    return Err(Refusal::ReasonNeeded);
                }
                if st.is_closed_by_cancel() {
                    return Err(Refusal::OrderClosed {
                        what: "voided".into(),
                    });
                }
                if st.collected().is_positive() {
                    return Err(Refusal::RefundFirst {
                        collected: st.collected().to_string(),
                    });
                }
                EventBody::Voided {
                    order_id: order_id.clone(),
                    reason: reason.clone(),
                    approver,
                }
            }
            Command::Refund {
                order_id,
                amount,
                method,
                reason,
                ..
            } => {
                need_money()?;
                let approver = need_manager()?;
                let st = existing(order_id)?;
                if reason.trim().is_empty() {
                    return Err(Refusal::ReasonNeeded);
                }
                if !amount.is_positive() {
                    return Err(Refusal::InvalidAmount {
                        amount: amount.to_string(),
                    });
                }
                if *amount > st.store_collected() {
                    return Err(Refusal::RefundTooLarge {
                        amount: amount.to_string(),
                        collected: st.store_collected().to_string(),
                    });
                }
                EventBody::Refunded {
                    order_id: order_id.clone(),
                    amount: *amount,
                    method: *method,
                    reason: reason.clone(),
                    approver,
                }
            }
            Command::ResolveDoublePayment {
                order_id,
                refund_in_store,
                note,
                ..
            } => {
                need_money()?;
                let approver = need_manager()?;
                let st = existing(order_id)?;
                if !st.double_paid || st.double_resolved {
                    return Err(Refusal::NoDoublePayment);
                }
                let mut events = Vec::new();
                let excess = st.collected() - st.effective_due();
                if *refund_in_store && excess.is_positive() {
                    let amount = if excess > st.store_collected() {
                        st.store_collected()
                    } else {
                        excess
                    };
                    if amount.is_positive() {
                        let method = st
                            .tenders
                            .last()
                            .map(|t| t.tender.method)
                            .unwrap_or(Method::Cash);
                        events.push(EventBody::Refunded {
                            order_id: order_id.clone(),
                            amount,
                            method,
                            reason: "double payment".into(),
                            approver: approver.clone(),
                        });
                    }
                }
                events.push(EventBody::DoublePaymentResolved {
                    order_id: order_id.clone(),
                    approver,
                    note: note.clone(),
                });
                return Ok(events);
            }
            Command::CollectPayCode {
                order_id,
                auth_code,
                ..
            } => {
                need_money()?;
                let st = existing(order_id)?;
                if st.is_closed_by_cancel() {
                    return Err(Refusal::OrderVoid);
                }
                let amount = st.remaining();
                if amount == Fen::ZERO {
                    return Err(Refusal::AlreadyPaid);
                }
                let masked = auth_code.masked();
                let Some(channel) = auth_code.channel() else {
                    return Err(Refusal::BadPayCode { masked });
                };
                let code_hash = auth_code.hash_for(order_id);
                if st.pay_codes.iter().any(|c| c.code_hash == code_hash) {
                    return Err(Refusal::PayCodeRepeated { masked });
                }
                // A code still being confirmed could yet succeed: a second
                // one now could charge the customer twice.
                let open = st.online.as_ref().is_some_and(|u| u.outcome_open());
                if let (true, Some(last)) = (open, st.pay_codes.last()) {
                    return Err(Refusal::CollectInProgress {
                        masked: last.masked.clone(),
                    });
                }
                // The platform answers with payment.updated events; nothing
                // else follows from the scan itself.
                return Ok(vec![EventBody::PayCodeScanned {
                    order_id: order_id.clone(),
                    channel,
                    masked,
                    code_hash,
                    amount,
                }]);
            }
            Command::Reprint { order_id, job, .. } => {
                existing(order_id)?;
                EventBody::ReprintRequested {
                    order_id: order_id.clone(),
                    job: *job,
                }
            }
            _ => return Ok(Vec::new()),
        };
        Ok(self.with_consequences(order, primary))
    }

    /// Decides a counter order the engine has numbered: its lines must be
    /// valid; it fires by the fire policy like any order.
    pub fn counter_order(&self, order: Order, staff: &Staff) -> Result<Vec<EventBody>, Refusal> {
        if !staff.role.may_take_money() {
            return Err(forbidden(staff, "cashier or a manager"));
        }
        if order.items.is_empty() {
            return Err(Refusal::EmptyOrder);
        }
        for it in &order.items {
            let problem = if it.qty == 0 {
                Some("quantity 0")
            } else if it.unit_price.is_negative() {
                Some("negative price")
            } else if it.sku.trim().is_empty() {
                Some("no sku")
            } else {
                None
            };
            if let Some(p) = problem {
                return Err(Refusal::BadLine {
                    line: it.line,
                    problem: p.into(),
                });
            }
        }
        for it in &order.items {
            if let Err(problem) = self.limits.check_item(it) {
                return Err(Refusal::BadLine {
                    line: it.line,
                    problem,
                });
            }
        }
        if let Err(problem) = order.validate() {
            return Err(Refusal::BadLine { line: 0, problem });
        }
        let total = Fen::checked_sum(order.items.iter().map(Item::total));
        match total {
            Ok(t) if t <= self.limits.order_max => {}
            _ => {
                return Err(Refusal::OrderTooLarge {
                    total: total
                        .map(|t| t.to_string())
                        .unwrap_or_else(|_| "more than can be added".into()),
                    most: self.limits.order_max.to_string(),
                })
            }
        }
        Ok(self.with_consequences(None, EventBody::OrderPlaced { order }))
    }

    /// Checks a settlement's tenders against what is still due and returns
    /// them as recorded, with the cash rounding applied.
    fn check_tenders(
        &self,
        st: &OrderState,
        inputs: &[TenderInput],
    ) -> Result<(Vec<Tender>, Fen), Refusal> {
        if st.is_closed_by_cancel() {
            return Err(Refusal::OrderVoid);
        }
        if inputs.is_empty() {
            return Err(Refusal::NoTenders);
        }
        let mut left = st.remaining();
        if left == Fen::ZERO {
            return Err(Refusal::AlreadyPaid);
        }
        let mut out = Vec::new();
        let mut rounding = Fen::ZERO;
        for t in inputs {
            let q = quote(left, t.method, t.amount, t.tendered, self.cash_rounding)?;
            self.limits.check_tendered(&q)?;
            rounding += q.rounding;
            left -= q.covers();
            out.push(Tender {
                method: q.method,
                amount: q.amount,
                tendered: q.tendered,
                change: q.change,
                reference: t.reference.clone(),
            });
        }
        Ok((out, rounding))
    }

    /// Adds what follows from an event by the rules: a double payment when
    /// money exceeds what is due, and firing by the fire policy.
    fn with_consequences(&self, order: Option<&OrderState>, primary: EventBody) -> Vec<EventBody> {
        let mut after = match (order, &primary) {
            (Some(st), _) => st.clone(),
            (None, EventBody::OrderPlaced { order }) => {
                OrderState::new(order.clone(), 0, order.placed_at)
            }
            (None, _) => return vec![primary],
        };
        let at = after.updated_at;
        after.apply(0, at, &primary);
        let mut events = vec![primary];

        let over = after.collected() > after.effective_due();
        let new_money = matches!(
            events[0],
            EventBody::PaymentUpdated {
                effect: UpdateEffect::Applied,
                update: PaymentUpdate {
                    trade_state: TradeState::Success,
                    ..
                }
            } | EventBody::Settled { .. }
        );
        if over && new_money {
            let transaction_id = match &events[0] {
                EventBody::PaymentUpdated { update, .. } => update.transaction_id.clone(),
                _ => None,
            };
            let ev = EventBody::DoublePayment {
                order_id: after.order.id.clone(),
                collected: after.collected(),
                due: after.effective_due(),
                transaction_id,
            };
            after.apply(0, at, &ev);
            events.push(ev);
        }

        if !after.is_closed_by_cancel() {
            let waiting = after.waiting_lines();
            let pay_ok = match self.fire {
                FirePolicy::OnOrder => true,
                FirePolicy::OnPayment => after.payment().is_paid(),
            };
            if !waiting.is_empty() && pay_ok {
                let addon = after.lines.values().any(|k| *k != Kitchen::Waiting);
                events.push(EventBody::Fired {
                    order_id: after.order.id.clone(),
                    lines: waiting,
                    addon,
                });
            }
        }
        events
    }
}

/// How a payment update lands: a repeated success is a duplicate; after a
/// success that covers the order only a refund (or a further success) counts.
fn update_effect(st: &OrderState, u: &PaymentUpdate) -> UpdateEffect {
    match u.trade_state {
        TradeState::Success => {
            let seen = st
                .successes
                .iter()
                .any(|s| match (&s.transaction_id, &u.transaction_id) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => s.amount == u.amount && s.at == u.at,
                    _ => false,
                });
            if seen {
                UpdateEffect::Duplicate
            } else {
                UpdateEffect::Applied
            }
        }
        TradeState::Refund => UpdateEffect::Applied,
        _ => {
            let success_holds = st.online_collected().is_positive()
                && st.online.as_ref().map(|o| o.trade_state) == Some(TradeState::Success)
                && st.remaining() == Fen::ZERO;
            if success_holds {
                UpdateEffect::Stale
            } else {
                UpdateEffect::Applied
            }
        }
    }
}

fn platform_kind(e: &PlatformEvent) -> &'static str {
    match e {
        PlatformEvent::OrderPlaced { .. } => "order.placed",
        PlatformEvent::PaymentUpdated(_) => "payment.updated",
        PlatformEvent::OrderCancelled { .. } => "order.cancelled",
        PlatformEvent::ItemsAdded { .. } => "order.items_added",
    }
}

/// Kitchen staff may bump, recall and serve; nothing else.
pub fn role_allows(role: Role, cmd: &Command) -> bool {
    match cmd {
        Command::Bump { .. } | Command::Recall { .. } | Command::Serve { .. } => true,
        Command::Reprint { .. } | Command::SignIn { .. } => true,
        _ => role.may_take_money(),
    }
}
