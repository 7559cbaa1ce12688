//! The cashier screen: the orders that need money or a decision, and the
//! manager's dialog (void, resolve a double payment) asked on the spot.

use super::message::ManagerAction;
use super::message::{Effect, Message, Note, Pending};
use super::settle::{SettleDialog, SettleStage};
use super::{App, Dialog};
use crate::domain::{
    Approval, Command, Fen, Method, OrderId, OrderState, PaymentSummary, Refusal, StaffId,
};
use crate::tui::alerts;
use crate::tui::text::refusal_text;
use chrono::{DateTime, FixedOffset};

/// A manager-only action: the manager's id and PIN are asked on the spot.
#[derive(Debug, Clone)]
pub struct ManagerDialog {
    pub action: ManagerAction,
    pub order_id: OrderId,
    /// The reason (void) or the note (double payment).
    pub text: String,
    pub manager_id: String,
    pub pin: String,
    /// 0: text, 1: manager id, 2: PIN.
    pub field: usize,
    pub error: Option<String>,
}

impl App {
    /// Orders for the cashier: those that need a person, then unpaid ones,
    /// then the rest; oldest first within each.
    pub fn cashier_rows(&self) -> Vec<&OrderState> {
        let now = self.now();
        let mut v: Vec<&OrderState> = self.board.values().collect();
        v.sort_by_key(|st| {
            (
                self.cashier_group(st, now),
                st.order.placed_at,
                st.order.id.clone(),
            )
        });
        v
    }

    /// 0: needs a person, 1: not paid yet, 2: the rest.
    pub fn cashier_group(&self, st: &OrderState, now: DateTime<FixedOffset>) -> u8 {
        let pay = st.payment();
        if (st.double_paid && !st.double_resolved)
            || (pay == PaymentSummary::Failed && !st.is_closed_by_cancel())
            || alerts::paying_too_long(st, now, self.opts.paying_alert_seconds)
        {
            0
        } else if matches!(
            pay,
            PaymentSummary::Unpaid | PaymentSummary::Paying | PaymentSummary::Failed
        ) && !st.is_closed_by_cancel()
        {
            1
        } else {
            2
        }
    }

    /// The index of the selected row (the first when none is chosen).
    pub fn cashier_index(&self, rows: &[&OrderState]) -> usize {
        self.cashier_selected
            .as_ref()
            .and_then(|id| rows.iter().position(|st| &st.order.id == id))
            .unwrap_or(0)
    }

    pub(super) fn update_cashier(&mut self, msg: Message) -> Option<Effect> {
        let rows = self.cashier_rows();
        let i = self.cashier_index(&rows);
        let go = |to: usize| {
            rows.get(to.min(rows.len().saturating_sub(1)))
                .map(|st| st.order.id.clone())
        };
        match msg {
            Message::Up => self.cashier_selected = go(i.saturating_sub(1)),
            Message::Down => self.cashier_selected = go(i + 1),
            Message::PageUp => self.cashier_selected = go(i.saturating_sub(10)),
            Message::PageDown => self.cashier_selected = go(i + 10),
            Message::Enter | Message::OpenSettle => {
                let st = rows.get(i)?;
                let pay = st.payment();
                if pay.is_paid() || st.is_closed_by_cancel() || st.remaining() == Fen::ZERO {
                    self.note = Some(Note::Refused(refusal_text(
                        self.words,
                        &Refusal::AlreadyPaid,
                    )));
                    return None;
                }
                let open = pay == PaymentSummary::Paying
                    || st.online.as_ref().is_some_and(|u| u.outcome_open());
                self.dialog = Some(Dialog::Settle(SettleDialog {
                    order_id: st.order.id.clone(),
                    stage: if open {
                        SettleStage::OutcomeOpen
                    } else {
                        SettleStage::Tender
                    },
                    method: Method::Cash,
                    input: String::new(),
                    tenders: Vec::new(),
                    pin: String::new(),
                    error: None,
                }));
            }
            Message::NewCounterOrder => self.open_counter(),
            Message::Recheck => {
                let st = rows.get(i)?;
                return Some(Effect {
                    cmd: Command::Recheck {
                        order_id: st.order.id.clone(),
                        staff_id: self.staff_id(),
                    },
                    pending: Pending::Recheck {
                        pickup: st.order.pickup_no.clone(),
                    },
                    then: Vec::new(),
                });
            }
            Message::Void | Message::ResolveDouble => {
                let st = rows.get(i)?;
                let action = if matches!(msg, Message::Void) {
                    ManagerAction::Void
                } else {
                    ManagerAction::ResolveDouble {
                        refund_in_store: true,
                    }
                };
                self.dialog = Some(Dialog::Manager(ManagerDialog {
                    action,
                    order_id: st.order.id.clone(),
                    text: String::new(),
                    manager_id: String::new(),
                    pin: String::new(),
                    field: 0,
                    error: None,
                }));
            }
            _ => {}
        }
        None
    }

    pub(super) fn update_manager(&mut self, mut d: ManagerDialog, msg: Message) -> Option<Effect> {
        match msg {
            Message::Escape => return None,
            Message::NextField | Message::Down => d.field = (d.field + 1) % 3,
            Message::Up => d.field = (d.field + 2) % 3,
            Message::Left | Message::Right => {
                if let ManagerAction::ResolveDouble { refund_in_store } = d.action {
                    d.action = ManagerAction::ResolveDouble {
                        refund_in_store: !refund_in_store,
                    };
                }
            }
            Message::Char(c) => match d.field {
                0 if d.text.chars().count() < 60 => d.text.push(c),
                1 if d.manager_id.len() < 16 && c.is_ascii_alphanumeric() => d.manager_id.push(c),
                2 if d.pin.len() < 8 && c.is_ascii_digit() => d.pin.push(c),
                _ => {}
            },
            Message::Backspace => {
                match d.field {
                    0 => d.text.pop(),
                    1 => d.manager_id.pop(),
                    _ => d.pin.pop(),
                };
            }
            Message::Enter if d.field < 2 || d.pin.is_empty() => d.field = (d.field + 1).min(2),
            Message::Enter => {
                let pickup = self
                    .board
                    .get(&d.order_id)
                    .map(|st| st.order.pickup_no.clone())
                    .unwrap_or_default();
                let approval = Approval {
                    staff_id: StaffId(d.manager_id.clone()),
                    pin: std::mem::take(&mut d.pin),
                };
                let staff_id = self.staff_id();
                let cmd = match d.action {
                    ManagerAction::Void => Command::Void {
                        order_id: d.order_id.clone(),
                        staff_id,
                        approval,
                        reason: d.text.trim().to_string(),
                    },
                    ManagerAction::ResolveDouble { refund_in_store } => {
                        Command::ResolveDoublePayment {
                            order_id: d.order_id.clone(),
                            staff_id,
                            approval,
                            refund_in_store,
                            note: d.text.trim().to_string(),
                        }
                    }
                };
                let action = d.action;
                self.dialog = Some(Dialog::Manager(d));
                return Some(Effect {
                    cmd,
                    pending: Pending::Manager { pickup, action },
                    then: Vec::new(),
                });
            }
            _ => {}
        }
        self.dialog = Some(Dialog::Manager(d));
        None
    }
}
