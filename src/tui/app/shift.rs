//! The shift dialog: opening (the float) and closing (the drawer counted by
//! denomination, a manager's approval). What a close comes to is decided
//! by the engine with `domain::closing::close`.

use super::message::ShiftAction;
use super::message::{Effect, Message, Pending};
use super::{App, Dialog};
use crate::domain::{Approval, Command, Fen, StaffId};

/// Opening a shift (the float, the staff member's own PIN) or closing it
/// (the drawer counted piece by piece, a manager's id and PIN, and whether
/// to close with orders paid twice or still paying).
#[derive(Debug, Clone)]
pub struct ShiftDialog {
    pub action: ShiftAction,
    /// Open: the float in yuan. Close: pieces of 100, 50, 20, 10, 5, 1, 0.5, 0.1 yuan.
    pub values: Vec<String>,
    pub manager_id: String,
    pub pin: String,
    pub confirm: bool,
    /// Index into `values`, then the manager id (close), then the PIN.
    pub field: usize,
    pub error: Option<String>,
}

impl ShiftDialog {
    pub fn new(action: ShiftAction) -> ShiftDialog {
        let n = match action {
            ShiftAction::Open => 1,
            ShiftAction::Close => crate::domain::shift::Denomination::ALL.len(),
        };
        ShiftDialog {
            action,
            values: vec![String::new(); n],
            manager_id: String::new(),
            pin: String::new(),
            confirm: false,
            field: 0,
            error: None,
        }
    }

    /// How many fields: the values, the manager id (close only), the PIN.
    pub fn fields(&self) -> usize {
        self.values.len()
            + if self.action == ShiftAction::Close {
                2
            } else {
                1
            }
    }

    pub fn pin_field(&self) -> usize {
        self.fields() - 1
    }

    /// The drawer as typed (empty counts as none).
    pub fn count(&self) -> crate::domain::DrawerCount {
        let mut c = crate::domain::DrawerCount::default();
        for (d, v) in crate::domain::shift::Denomination::ALL
            .into_iter()
            .zip(&self.values)
        {
            c.set(d, v.parse().unwrap_or(0));
        }
        c
    }
}

impl App {
    pub(super) fn update_shift(&mut self, mut d: ShiftDialog, msg: Message) -> Option<Effect> {
        let n = d.fields();
        let manager_field = d.values.len();
        match msg {
            Message::Escape => return None,
            Message::NextField | Message::Down => d.field = (d.field + 1) % n,
            Message::Up => d.field = (d.field + n - 1) % n,
            Message::Left | Message::Right if d.action == ShiftAction::Close => {
                d.confirm = !d.confirm
            }
            Message::Char(c) => {
                if d.field == d.pin_field() {
                    if d.pin.len() < 8 && c.is_ascii_digit() {
                        d.pin.push(c);
                    }
                } else if d.action == ShiftAction::Close && d.field == manager_field {
                    if d.manager_id.len() < 16 && c.is_ascii_alphanumeric() {
                        d.manager_id.push(c);
                    }
                } else if let Some(v) = d.values.get_mut(d.field) {
                    let money = d.action == ShiftAction::Open && (c == '.' || c.is_ascii_digit());
                    if v.len() < 9 && (c.is_ascii_digit() || money) {
                        v.push(c);
                    }
                }
            }
            Message::Backspace => {
                if d.field == d.pin_field() {
                    d.pin.pop();
                } else if d.action == ShiftAction::Close && d.field == manager_field {
                    d.manager_id.pop();
                } else if let Some(v) = d.values.get_mut(d.field) {
                    v.pop();
                }
            }
            Message::Enter if d.field < d.pin_field() || d.pin.is_empty() => {
                d.field = (d.field + 1).min(d.pin_field())
            }
            Message::Enter => {
                let staff_id = self.staff_id();
                let pin = std::mem::take(&mut d.pin);
                let cmd = match d.action {
                    ShiftAction::Open => {
                        let typed = if d.values[0].is_empty() {
                            "0"
                        } else {
                            &d.values[0]
                        };
                        match Fen::parse_yuan(typed) {
                            Ok(float) => Command::OpenShift {
                                staff_id,
                                pin: Some(pin),
                                float,
                            },
                            Err(e) => {
                                d.error = Some(e.to_string());
                                d.field = 0;
                                self.dialog = Some(Dialog::Shift(d));
                                return None;
                            }
                        }
                    }
                    ShiftAction::Close => Command::CloseShift {
                        staff_id,
                        approval: Approval {
                            staff_id: StaffId(d.manager_id.clone()),
                            pin,
                        },
                        count: d.count(),
                        confirm_open_issues: d.confirm,
                    },
                };
                let action = d.action;
                self.dialog = Some(Dialog::Shift(d));
                return Some(Effect {
                    cmd,
                    pending: Pending::Shift(action),
                    then: Vec::new(),
                });
            }
            _ => {}
        }
        self.dialog = Some(Dialog::Shift(d));
        None
    }
}
