//! The sign-in screen: a staff id and PIN, checked by the engine.

use super::message::{Effect, Message, Pending};
use super::App;
use crate::domain::{Command, Staff, StaffId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInField {
    Id,
    Pin,
}

#[derive(Debug, Clone)]
pub struct SignInForm {
    pub id: String,
    pub pin: String,
    pub field: SignInField,
    pub message: Option<String>,
}

impl App {
    pub(super) fn update_sign_in(&mut self, msg: Message) -> Option<Effect> {
        let f = &mut self.sign_in;
        match msg {
            Message::Char(c) if c.is_ascii_alphanumeric() => {
                match f.field {
                    SignInField::Id if f.id.len() < 16 => f.id.push(c),
                    SignInField::Pin if f.pin.len() < 8 && c.is_ascii_digit() => f.pin.push(c),
                    _ => {}
                }
                None
            }
            Message::Backspace => {
                match f.field {
                    SignInField::Id => f.id.pop(),
                    SignInField::Pin => f.pin.pop(),
                };
                None
            }
            Message::NextField | Message::Up | Message::Down => {
                f.field = match f.field {
                    SignInField::Id => SignInField::Pin,
                    SignInField::Pin => SignInField::Id,
                };
                None
            }
            Message::Escape => {
                f.id.clear();
                f.pin.clear();
                f.field = SignInField::Id;
                None
            }
            Message::Enter => {
                if f.field == SignInField::Id || f.pin.is_empty() {
                    if !f.id.is_empty() {
                        f.field = SignInField::Pin;
                    }
                    return None;
                }
                let staff_id = StaffId(f.id.clone());
                let pin = std::mem::take(&mut f.pin);
                Some(Effect {
                    cmd: Command::SignIn {
                        staff_id: staff_id.clone(),
                        pin,
                    },
                    pending: Pending::SignIn(staff_id),
                    then: Vec::new(),
                })
            }
            _ => None,
        }
    }

    pub(super) fn signed_in(&mut self, staff: Staff) {
        self.staff = Some(staff);
        self.screen = self.screens()[0];
        self.sign_in.id.clear();
        self.sign_in.pin.clear();
        self.sign_in.field = SignInField::Id;
        self.sign_in.message = None;
    }
}
