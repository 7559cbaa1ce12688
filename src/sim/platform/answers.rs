//! How the simulated platform answers: the console's frames (acks and
//! reports: a settlement closes the online trade, a recheck is answered, a
//! pay code is charged) and the scenario's steps, played as events on the
//! feed with the configured delays.

use super::scenario::{Planner, Scenario, Step, StepKind};
use super::truth::HistoryLine;
use super::{scenario, Shared};
use crate::domain::{OrderId, PayChannel, PaymentUpdate, TradeState};
use crate::feed::protocol::{ClientFrame, ServerFrame};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Handles one frame from the console; returns the frames to answer with.
pub(super) fn on_client_frame(shared: &Arc<Shared>, text: &str) -> Vec<String> {
    let frame = match serde_json::from_str::<ClientFrame>(text) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "simulator: unreadable frame from the console");
            return vec![ServerFrame::Error {
                code: "bad_frame".into(),
                message: e.to_string(),
            }
            .to_text()];
        }
    };
    match frame {
        ClientFrame::Ack { seq } => {
            shared.acked(seq);
            Vec::new()
        }
        ClientFrame::Hello { .. } => Vec::new(),
        ClientFrame::Report { id, report } => {
            let fresh = {
                let mut st = shared.lock();
                let line = HistoryLine::Report {
                    id: id.clone(),
                    report: report.clone(),
                };
                let fresh = st.truth.record_report(&id, &report);
                if fresh {
                    if let Some(h) = &mut st.history {
                        h.append(&line);
                    }
                }
                fresh
            };
            if fresh {
                apply_report(shared, &report);
            }
            vec![ServerFrame::ReportAck { id }.to_text()]
        }
    }
}

/// What a new report does on the platform.
fn apply_report(shared: &Arc<Shared>, report: &serde_json::Value) {
    let kind = report.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    let Some(order_id) = report
        .get("order_id")
        .and_then(|v| v.as_str())
        .map(|s| OrderId(s.into()))
    else {
        return;
    };
    match kind {
        "payment.settled" => {
            // The trade is closed; a late success the channel already took
            // still arrives (late-success).
            let late = shared.lock().late.remove(&order_id);
            if let Some(mut u) = late {
                u.at = shared.now();
                later(shared, shared.cfg.answer_delay, payment_event(&u));
            }
        }
        "payment.recheck" => {
            let u = {
                let st = shared.lock();
                st.truth.orders.get(&order_id).map(|o| match &o.payment {
                    Some(p) => p.clone(),
                    None => PaymentUpdate {
                        order_id: order_id.clone(),
                        channel: channel_of(&o.order),
                        trade_state: TradeState::Notpay,
                        amount: o.order.amount_due,
                        transaction_id: None,
                        error_code: None,
                        error_message: None,
                        at: shared.now(),
                    },
                })
            };
            if let Some(mut u) = u {
                u.at = shared.now();
                shared.append(None, false, payment_event(&u));
            }
        }
        "payment.collect" => collect(shared, order_id, report),
        _ => {}
    }
}

fn channel_of(order: &crate::domain::Order) -> PayChannel {
    if order.channel == crate::domain::Channel::AlipayMini {
        PayChannel::Alipay
    } else {
        PayChannel::Wechat
    }
}

/// Charges a scanned pay code: USERPAYING now, the outcome a moment later.
fn collect(shared: &Arc<Shared>, order_id: OrderId, report: &serde_json::Value) {
    let code = report
        .get("auth_code")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let amount = crate::domain::Fen(report.get("amount").and_then(|v| v.as_i64()).unwrap_or(0));
    let fallback = match report.get("channel").and_then(|v| v.as_str()) {
        Some("alipay") => PayChannel::Alipay,
        _ => PayChannel::Wechat,
    };
    let paid = shared
        .lock()
        .truth
        .orders
        .get(&order_id)
        .and_then(|o| o.payment.as_ref())
        .is_some_and(|p| p.trade_state == TradeState::Success);
    let mut u = PaymentUpdate {
        order_id,
        channel: fallback,
        trade_state: TradeState::Payerror,
        amount,
        transaction_id: None,
        error_code: None,
        error_message: None,
        at: shared.now(),
    };
    if paid {
        u.error_code = Some("ORDERPAID".into());
        u.error_message = Some("订单已支付，请勿重复收款".into());
        shared.append(None, false, payment_event(&u));
        return;
    }
    match scenario::charge_outcome(code) {
        Err((None, c, m)) => {
            u.error_code = Some(c.into());
            u.error_message = Some(m.into());
            shared.append(None, false, payment_event(&u));
        }
        Ok(ch) => {
            u.channel = ch;
            u.trade_state = TradeState::Userpaying;
            shared.append(None, false, payment_event(&u));
            u.trade_state = TradeState::Success;
            u.transaction_id = Some(scenario::transaction_id(&mut shared.lock().rng, ch));
            later(shared, shared.cfg.answer_delay, payment_event(&u));
        }
        Err((Some(ch), c, m)) => {
            u.channel = ch;
            u.trade_state = TradeState::Userpaying;
            shared.append(None, false, payment_event(&u));
            u.trade_state = TradeState::Payerror;
            u.error_code = Some(c.into());
            u.error_message = Some(m.into());
            later(shared, shared.cfg.answer_delay, payment_event(&u));
        }
    }
}

fn payment_event(u: &PaymentUpdate) -> serde_json::Value {
    let mut v = serde_json::to_value(u).unwrap_or_default();
    v["kind"] = serde_json::json!("payment.updated");
    v
}

/// Appends an event after a delay, unless the simulator stops first.
fn later(shared: &Arc<Shared>, delay: Duration, event: serde_json::Value) {
    let shared = shared.clone();
    tokio::spawn(async move {
        let mut stop = shared.shutdown.subscribe();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {
                if !*stop.borrow() {
                    shared.append(None, false, event);
                }
            }
            _ = stop.changed() => {}
        }
    });
}

/// Plays the scenario: each step at its time (sim time / speed).
pub(super) async fn produce(shared: Arc<Shared>) {
    let cfg = &shared.cfg;
    let mut planner = Planner::new(cfg.scenario, cfg.seed, cfg.rate, cfg.max_orders);
    if let Some(start) = cfg.start {
        planner = planner.starting_at(start);
    }
    let speed = planner.speed();
    let done = shared.lock().truth.steps_done;
    let mut step_no = 0u64;
    while step_no < done {
        if planner.next_step().is_none() {
            return;
        }
        step_no += 1;
    }
    let mut shutdown = shared.shutdown.subscribe();
    let started = Instant::now();
    let mut t0 = None;
    while let Some((t, step)) = planner.next_step() {
        if cfg
            .max_events
            .is_some_and(|m| shared.lock().truth.last_seq >= m)
        {
            break;
        }
        let t0 = *t0.get_or_insert(t);
        let due = started + Duration::from_secs_f64(((t - t0) / speed).max(0.0));
        if due > Instant::now() {
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = shutdown.changed() => return,
            }
        }
        if *shutdown.borrow() {
            return;
        }
        play(&shared, step_no, step);
        step_no += 1;
    }
}

fn play(shared: &Arc<Shared>, step_no: u64, step: Step) {
    let event = step.event(0);
    match &step.kind {
        StepKind::Junk(_) => {
            shared.append(Some(step_no), true, event);
        }
        StepKind::Payment { late, .. } => {
            let (closed, late_sent) = {
                let mut st = shared.lock();
                let order = st.truth.orders.get(&step.order_id);
                let closed = order.is_some_and(|o| o.trade_closed);
                // A late success already brought forward by a settlement.
                let sent = *late && order.is_some_and(|o| !o.successes.is_empty());
                if *late {
                    st.late.remove(&step.order_id);
                }
                (closed, sent)
            };
            if (closed && !late) || late_sent {
                shared.skip(step_no);
            } else {
                shared.append(Some(step_no), false, event);
            }
        }
        StepKind::Placed(_) | StepKind::Cancelled { .. } | StepKind::AddOn { .. } => {
            shared.append(Some(step_no), false, event);
        }
    }
    // A timed-out payment whose success comes late: remember it so that a
    // settlement in store brings it forward.
    if let StepKind::Payment {
        update,
        late: false,
    } = &step.kind
    {
        if update.error_code.as_deref() == Some("TIMEOUT")
            && shared.cfg.scenario == Scenario::LateSuccess
        {
            let mut st = shared.lock();
            let mut success = update.clone();
            success.trade_state = TradeState::Success;
            success.error_code = None;
            success.error_message = None;
            let ch = success.channel;
            success.transaction_id = Some(scenario::transaction_id(&mut st.rng, ch));
            st.late.insert(step.order_id.clone(), success);
        }
    }
}
