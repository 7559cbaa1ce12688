//! The alerts screen: what needs a person now (`tui::alerts` lists them),
//! jumping to the order behind one, acknowledging unreadable frames.

use super::message::{Effect, Message};
use super::{App, Screen};
use crate::domain::Role;
use crate::tui::alerts::{Alert, AlertKey};
use std::collections::BTreeSet;

impl App {
    pub(super) fn update_alerts(&mut self, msg: Message) -> Option<Effect> {
        let n = self.visible_alerts().len();
        match msg {
            Message::Up => self.alerts_selected = self.alerts_selected.saturating_sub(1),
            Message::Down if self.alerts_selected + 1 < n => self.alerts_selected += 1,
            Message::Enter => {
                if let Some(key) = self
                    .visible_alerts()
                    .get(self.alerts_selected)
                    .map(|a| a.key.clone())
                {
                    self.jump_to(&key);
                }
            }
            Message::Acknowledge | Message::Char('x') => {
                if let Some(key) = self
                    .visible_alerts()
                    .get(self.alerts_selected)
                    .map(|a| a.key.clone())
                {
                    if let AlertKey::Quarantine(id) = key {
                        self.quarantined.remove(&id);
                        self.acknowledged.insert(key);
                    }
                }
            }
            _ => {}
        }
        None
    }

    pub(super) fn jump_to(&mut self, key: &AlertKey) {
        match key {
            AlertKey::PaymentFailed(id)
            | AlertKey::DoublePaid(id)
            | AlertKey::PayingTooLong(id) => {
                if self.screens().contains(&Screen::Cashier) {
                    self.screen = Screen::Cashier;
                    self.cashier_selected = Some(id.clone());
                }
            }
            _ => {
                if self.screens().contains(&Screen::Alerts) {
                    self.screen = Screen::Alerts;
                    if let Some(i) = self.visible_alerts().iter().position(|a| &a.key == key) {
                        self.alerts_selected = i;
                    }
                }
            }
        }
        self.help = false;
    }

    /// The alerts this role handles (the kitchen sees printers and the feed).
    pub fn visible_alerts(&self) -> Vec<&Alert> {
        let kitchen = self.staff.as_ref().is_some_and(|s| s.role == Role::Kitchen);
        self.alerts
            .iter()
            .filter(|a| !kitchen || matches!(a.key, AlertKey::Printer(_) | AlertKey::Feed))
            .collect()
    }

    /// Raises new alerts (one bell each) and drops the handled ones.
    pub fn refresh_alerts(&mut self) {
        let now = self.now();
        let mut causes = crate::tui::alerts::current_causes(
            &self.board,
            &self.feed,
            &self.printers,
            now,
            self.opts.paying_alert_seconds,
            self.words.chinese,
        );
        for (staff, device) in &self.pins_held {
            causes.push((
                AlertKey::PinsHeld(staff.clone()),
                staff.clone(),
                device.clone(),
            ));
        }
        for (id, (at, err)) in &self.quarantined {
            let _ = at;
            causes.push((AlertKey::Quarantine(*id), format!("#{id}"), err.clone()));
        }
        let keys: BTreeSet<&AlertKey> = causes.iter().map(|c| &c.0).collect();
        self.alerts.retain(|a| keys.contains(&a.key));
        let mut raised = Vec::new();
        for (key, subject, detail) in causes {
            match self.alerts.iter_mut().find(|a| a.key == key) {
                Some(a) => a.detail = detail,
                None => {
                    raised.push(key.clone());
                    self.alerts.push(Alert {
                        key,
                        raised_at: now,
                        subject,
                        detail,
                    });
                }
            }
        }
        if self.staff.is_some()
            && self
                .visible_alerts()
                .iter()
                .any(|a| raised.contains(&a.key))
        {
            self.bell = true;
        }
        let n = self.visible_alerts().len();
        if self.alerts_selected >= n {
            self.alerts_selected = n.saturating_sub(1);
        }
    }
}
