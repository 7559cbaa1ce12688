//! The log screen: the latest events, one line each, newest first.

use super::message::{Effect, Message};
use super::App;
use crate::domain::business_day::business_date;
use crate::domain::staff::PIN_LOCK_AFTER;
use crate::domain::{Event, EventBody};
use chrono::{DateTime, FixedOffset};

/// How many log lines the log screen keeps.
const LOG_LINES: usize = 500;
/// How far back the log screen reads at start.
const LOG_BACKFILL: u64 = 2000;

#[derive(Debug, Clone)]
pub struct LogLine {
    pub at: DateTime<FixedOffset>,
    pub name: &'static str,
    pub subject: String,
    pub detail: String,
}

impl App {
    pub(super) fn update_log(&mut self, msg: Message) -> Option<Effect> {
        match msg {
            Message::Up => self.log_scroll = self.log_scroll.saturating_sub(1),
            Message::Down => {
                self.log_scroll = (self.log_scroll + 1).min(self.log.len().saturating_sub(1))
            }
            Message::PageUp => self.log_scroll = self.log_scroll.saturating_sub(10),
            Message::PageDown => {
                self.log_scroll = (self.log_scroll + 10).min(self.log.len().saturating_sub(1))
            }
            _ => {}
        }
        None
    }

    pub(super) fn backfill_log(&mut self) {
        let last = self.source.last_event();
        let events = self
            .source
            .events_after(last.saturating_sub(LOG_BACKFILL), LOG_BACKFILL as usize);
        for ev in &events {
            if let EventBody::FrameQuarantined {
                quarantine_id,
                error,
                ..
            } = &ev.body
            {
                if business_date(&ev.at, self.source.tz()) == self.today {
                    self.quarantined
                        .insert(*quarantine_id, (ev.at, error.clone()));
                }
            }
            self.note_pins(ev);
            self.log_event(ev);
        }
    }

    /// Keeps the alert for PINs held for a manager until they are unlocked.
    pub(super) fn note_pins(&mut self, ev: &Event) {
        match &ev.body {
            EventBody::PinRejected {
                staff_id,
                held: true,
                device,
                ..
            } => {
                self.pins_held
                    .insert(staff_id.0.clone(), device.clone().unwrap_or_default());
            }
            EventBody::PinsUnlocked { staff_id } => {
                self.pins_held.remove(&staff_id.0);
            }
            _ => {}
        }
    }

    pub(super) fn log_event(&mut self, ev: &Event) {
        let subject = ev
            .body
            .order_id()
            .and_then(|id| self.board.get(id))
            .map(|st| st.order.pickup_no.clone())
            .unwrap_or_default();
        let mut detail = String::new();
        match &ev.body {
            EventBody::PaymentUpdated { update, .. } => {
                detail = update.trade_state.as_str().to_string();
                if let Some(code) = update.error_code.as_deref().filter(|c| !c.is_empty()) {
                    detail = format!("{detail} {code}");
                    if business_date(&ev.at, self.source.tz()) == self.today {
                        *self.codes_today.entry(code.to_string()).or_default() += 1;
                    }
                }
            }
            EventBody::Settled { tenders, .. } => {
                detail = tenders
                    .iter()
                    .map(|t| format!("{} {}", self.words.method(t.method), t.amount))
                    .collect::<Vec<_>>()
                    .join(" + ");
            }
            EventBody::FrameQuarantined { error, .. } => detail = error.clone(),
            EventBody::PinRejected {
                staff_id, failures, ..
            } => detail = format!("{staff_id} {failures}/{PIN_LOCK_AFTER}"),
            EventBody::OrderCancelled { reason, .. } => detail = reason.clone(),
            EventBody::Voided { reason, .. } => detail = reason.clone(),
            EventBody::ShiftOpened { shift, float, .. } => detail = format!("#{shift} {float}"),
            EventBody::ShiftClosed {
                shift,
                counted,
                over_short,
                ..
            } => detail = format!("#{shift} {counted} ({over_short})"),
            _ => {}
        }
        self.log.push_front(LogLine {
            at: ev.at,
            name: ev.body.name(),
            subject,
            detail,
        });
        self.log.truncate(LOG_LINES);
    }
}
