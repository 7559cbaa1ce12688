//! The settle dialog: tenders keyed in (cash, card, scan, voucher, other,
//! split), the cashier's PIN. What a typed amount comes to (change,
//! rounding) is the domain's `tender::quote_typed`; the engine's rules
//! check it again with `tender::quote`.

use super::message::{Effect, Message, Pending};
use super::{App, Dialog};
use crate::domain::tender::quote_typed;
use crate::domain::{Command, Fen, Method, OrderId, TenderInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettleStage {
    /// The online payment may still succeed: offer a re-check first.
    OutcomeOpen,
    Tender,
    Pin,
}

#[derive(Debug, Clone)]
pub struct SettleDialog {
    pub order_id: OrderId,
    pub stage: SettleStage,
    pub method: Method,
    /// The amount typed, in yuan.
    pub input: String,
    /// Tenders already added (a split).
    pub tenders: Vec<TenderInput>,
    pub pin: String,
    pub error: Option<String>,
}

impl App {
    /// What the settle dialog's current entry amounts to: (amount toward the
    /// order, tendered, change), or `None` when the text is not an amount.
    pub fn settle_preview(&self, d: &SettleDialog) -> Option<(Fen, Fen, Fen)> {
        let st = self.board.get(&d.order_id)?;
        let added: Fen = d.tenders.iter().map(|t| t.amount).sum();
        let left = st.remaining() - added;
        let left = if left.is_negative() { Fen::ZERO } else { left };
        let typed = if d.input.trim().is_empty() {
            None
        } else {
            Some(Fen::parse_yuan(&d.input).ok()?)
        };
        let q = quote_typed(left, d.method, typed, self.source.cash_rounding());
        Some((q.amount, q.tendered, q.change))
    }

    /// What is still due in the dialog after the tenders already added.
    pub fn settle_left(&self, d: &SettleDialog) -> Fen {
        let Some(st) = self.board.get(&d.order_id) else {
            return Fen::ZERO;
        };
        let added: Fen = d.tenders.iter().map(|t| t.amount).sum();
        let left = st.remaining() - added;
        if left.is_negative() {
            Fen::ZERO
        } else {
            left
        }
    }

    pub(super) fn current_tender(&self, d: &SettleDialog) -> Option<TenderInput> {
        let (amount, tendered, _) = self.settle_preview(d)?;
        if !amount.is_positive() {
            return None;
        }
        Some(TenderInput {
            method: d.method,
            amount,
            tendered: (d.method == Method::Cash).then_some(tendered),
            reference: None,
        })
    }

    pub(super) fn update_settle(&mut self, mut d: SettleDialog, msg: Message) -> Option<Effect> {
        let pickup = self
            .board
            .get(&d.order_id)
            .map(|st| st.order.pickup_no.clone())
            .unwrap_or_default();
        match (d.stage, msg) {
            (_, Message::Escape) if d.stage == SettleStage::Pin => {
                d.stage = SettleStage::Tender;
                d.pin.clear();
            }
            (_, Message::Escape) => return None,
            (SettleStage::OutcomeOpen, Message::Char('r'))
            | (SettleStage::OutcomeOpen, Message::Recheck) => {
                self.dialog = None;
                return Some(Effect {
                    cmd: Command::Recheck {
                        order_id: d.order_id,
                        staff_id: self.staff_id(),
                    },
                    pending: Pending::Recheck { pickup },
                    then: Vec::new(),
                });
            }
            (SettleStage::OutcomeOpen, Message::Enter) => d.stage = SettleStage::Tender,
            (SettleStage::Tender, Message::Method(m)) => {
                d.method = m;
                d.error = None;
            }
            (SettleStage::Tender, Message::Char(c)) if c.is_ascii_digit() || c == '.' => {
                // A scanned pay code is 18 digits; an amount is shorter.
                let room = if d.method == Method::Scan { 20 } else { 12 };
                if d.input.len() < room {
                    d.input.push(c);
                }
                d.error = None;
            }
            (SettleStage::Tender, Message::Backspace) => {
                d.input.pop();
            }
            (SettleStage::Tender, Message::AddTender) => match self.current_tender(&d) {
                Some(t) if t.amount < self.settle_left(&d) => {
                    d.tenders.push(t);
                    d.input.clear();
                    d.method = Method::Cash;
                    d.error = None;
                }
                Some(_) => d.error = None,
                None => d.error = Some(self.words.bad_amount.to_string()),
            },
            (SettleStage::Tender, Message::Enter) if App::is_pay_code_entry(&d) => {
                return self.scan_code(d, pickup);
            }
            (SettleStage::Tender, Message::Enter) => match self.current_tender(&d) {
                Some(t) => {
                    d.tenders.push(t);
                    d.input.clear();
                    d.stage = SettleStage::Pin;
                    d.error = None;
                }
                None if !d.tenders.is_empty() && d.input.is_empty() => d.stage = SettleStage::Pin,
                None => d.error = Some(self.words.bad_amount.to_string()),
            },
            (SettleStage::Pin, Message::Char(c)) if c.is_ascii_digit() && d.pin.len() < 8 => {
                d.pin.push(c);
            }
            (SettleStage::Pin, Message::Backspace) => {
                d.pin.pop();
            }
            (SettleStage::Pin, Message::Enter) if !d.pin.is_empty() => {
                let change = d
                    .tenders
                    .iter()
                    .filter_map(|t| t.tendered.map(|x| x - t.amount))
                    .sum();
                let cmd = Command::Settle {
                    order_id: d.order_id.clone(),
                    staff_id: self.staff_id(),
                    pin: Some(std::mem::take(&mut d.pin)),
                    tenders: d.tenders.clone(),
                };
                self.dialog = Some(Dialog::Settle(d));
                return Some(Effect {
                    cmd,
                    pending: Pending::Settle { pickup, change },
                    then: Vec::new(),
                });
            }
            _ => {}
        }
        self.dialog = Some(Dialog::Settle(d));
        None
    }
}
