//! A command's result folded back into the screens: a note on the bottom
//! line, the dialog closed, or the refusal shown where it was asked.

use super::message::ManagerAction;
use super::message::ShiftAction;
use super::message::{Note, Pending};
use super::settle::SettleStage;
use super::sign_in::SignInField;
use super::{App, Dialog};
use crate::domain::{EventBody, Refusal};
use crate::engine::{Committed, EngineError};
use crate::tui::text::{error_text, refusal_text};

impl App {
    /// Takes a command's result: closes the dialog, or shows the refusal.
    pub fn finish(&mut self, pending: Pending, res: Result<Committed, EngineError>) {
        let w = self.words;
        match (pending, res) {
            (Pending::SignIn(id), Ok(_)) => {
                let staff = self.source.staff_member(&id);
                match staff {
                    Some(s) => {
                        self.note = Some(Note::Done(format!("{} {}", w.welcome, s.name)));
                        self.signed_in(s);
                    }
                    None => {
                        self.sign_in.message =
                            Some(refusal_text(w, &Refusal::UnknownStaff { staff_id: id.0 }))
                    }
                }
            }
            (Pending::SignIn(_), Err(e)) => {
                self.sign_in.message = Some(error_text(w, &e));
                self.sign_in.pin.clear();
                self.sign_in.field = SignInField::Pin;
            }
            (Pending::Bump { pickup }, Ok(_)) => {
                self.note = Some(Note::Done(format!("{pickup} {}", w.bumped)))
            }
            (Pending::Recall, Ok(c)) => {
                let pickup = c
                    .events
                    .iter()
                    .find_map(|e| e.body.order_id())
                    .and_then(|id| self.board.get(id))
                    .map(|st| st.order.pickup_no.clone())
                    .or_else(|| {
                        c.events.iter().find_map(|e| match &e.body {
                            EventBody::Recalled { order_id } => Some(order_id.0.clone()),
                            _ => None,
                        })
                    })
                    .unwrap_or_default();
                self.note = Some(Note::Done(format!("{pickup} {}", w.recalled)));
            }
            (Pending::Serve { pickup }, Ok(_)) => {
                self.note = Some(Note::Done(format!("{pickup} {}", w.served)))
            }
            (Pending::Recheck { pickup }, Ok(_)) => {
                self.note = Some(Note::Done(format!("{pickup} {}", w.recheck_sent)))
            }
            (Pending::Settle { pickup, change }, Ok(_)) => {
                self.dialog = None;
                self.note = Some(Note::Done(format!("{pickup} {} {change}", w.settled)));
            }
            (Pending::Settle { .. }, Err(e)) => {
                let msg = error_text(w, &e);
                if let Some(Dialog::Settle(d)) = &mut self.dialog {
                    let pin_problem = matches!(
                        e,
                        EngineError::Refused(
                            Refusal::WrongPin { .. }
                                | Refusal::LockedOut { .. }
                                | Refusal::PinHeld { .. }
                                | Refusal::ScreenLocked { .. }
                                | Refusal::BadPin
                        )
                    );
                    if !pin_problem {
                        d.stage = SettleStage::Tender;
                        d.tenders.clear();
                    }
                    d.error = Some(msg.clone());
                }
                self.note = Some(Note::Refused(msg));
            }
            (Pending::Manager { pickup, action }, Ok(_)) => {
                self.dialog = None;
                let what = match action {
                    ManagerAction::Void => w.voided,
                    ManagerAction::ResolveDouble { .. } => w.resolved,
                };
                self.note = Some(Note::Done(format!("{pickup} {what}")));
            }
            (Pending::Shift(action), Ok(c)) => {
                self.dialog = None;
                let (what, n) = c
                    .events
                    .iter()
                    .find_map(|e| match &e.body {
                        EventBody::ShiftOpened { shift, .. } => Some((w.shift_opened, *shift)),
                        EventBody::ShiftClosed { shift, .. } => Some((w.shift_closed, *shift)),
                        _ => None,
                    })
                    .unwrap_or((
                        match action {
                            ShiftAction::Open => w.shift_opened,
                            ShiftAction::Close => w.shift_closed,
                        },
                        0,
                    ));
                self.load_report();
                let verdict = match &self.report {
                    Some(Ok(r)) if action == ShiftAction::Close => r
                        .cash
                        .over_short
                        .map(|o| {
                            let sign = if o.is_positive() { "+" } else { "" };
                            format!(
                                " {} {} {} {sign}{o}",
                                w.counted,
                                r.cash.counted.unwrap_or_default(),
                                w.over_short
                            )
                        })
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                self.note = Some(Note::Done(format!("#{n} {what}{verdict}")));
            }
            (Pending::Shift(_), Err(e)) => {
                let msg = error_text(w, &e);
                if let Some(Dialog::Shift(d)) = &mut self.dialog {
                    d.error = Some(msg.clone());
                }
                self.note = Some(Note::Refused(msg));
            }
            (Pending::Manager { .. }, Err(e)) => {
                let msg = error_text(w, &e);
                if let Some(Dialog::Manager(d)) = &mut self.dialog {
                    d.error = Some(msg.clone());
                }
                self.note = Some(Note::Refused(msg));
            }
            (Pending::Reprint { job }, Ok(c)) => {
                self.read_jobs(true);
                let new = c.jobs.first().map(|n| format!(" #{n}")).unwrap_or_default();
                self.note = Some(Note::Done(format!("#{job} {}{new}", w.reprinted)));
            }
            (Pending::CounterOrder, Ok(c)) => self.counter_placed(&c.events),
            (Pending::CounterOrder, Err(e)) => {
                let msg = error_text(w, &e);
                if let Some(Dialog::Counter(entry)) = &mut self.dialog {
                    entry.error = Some(msg.clone());
                }
                self.note = Some(Note::Refused(msg));
            }
            (Pending::Collect { pickup, masked }, Ok(_)) => {
                let cw = super::counter::words(w.chinese);
                self.note = Some(Note::Done(format!("{pickup} {masked} {}", cw.sent)));
            }
            (Pending::Collect { .. }, Err(e)) => {
                self.collecting = None;
                let msg = error_text(w, &e);
                if let Some(Dialog::Settle(d)) = &mut self.dialog {
                    d.error = Some(msg.clone());
                }
                self.note = Some(Note::Refused(msg));
            }
            (_, Err(e)) => self.note = Some(Note::Refused(error_text(w, &e))),
        }
    }
}
