//! Keys to messages. What a key means depends on where the staff are: a
//! letter is text in a form, a method in the settle dialog, an action on the
//! cashier screen. The kitchen's keys are all on a bump-bar keypad
//! (digits, Enter, arrows, `+ - * .`).

use super::app::{App, Dialog, Message, Screen, SettleStage};
use crate::domain::Method;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// The message a key asks for here, if any.
pub fn message_for(app: &App, key: KeyEvent) -> Option<Message> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') | KeyCode::Char('q') => Some(Message::Quit),
            _ => None,
        };
    }
    // Keys that mean the same everywhere.
    match key.code {
        KeyCode::F(1) => return Some(Message::ToggleHelp),
        KeyCode::F(12) => return Some(Message::SignOut),
        KeyCode::Esc => return Some(Message::Escape),
        KeyCode::Backspace => return Some(Message::Backspace),
        KeyCode::Up => return Some(Message::Up),
        KeyCode::Down => return Some(Message::Down),
        KeyCode::Left => return Some(Message::Left),
        KeyCode::Right => return Some(Message::Right),
        KeyCode::PageUp => return Some(Message::PageUp),
        KeyCode::PageDown => return Some(Message::PageDown),
        KeyCode::Enter => return Some(Message::Enter),
        _ => {}
    }
    // Order entry: every character is text or a counter key (tui::counter).
    if let Some(Dialog::Counter(_)) = app.dialog() {
        return match key.code {
            KeyCode::Tab | KeyCode::BackTab => Some(Message::NextField),
            KeyCode::Char(c) => Some(Message::Char(c)),
            _ => None,
        };
    }
    let typing = app.staff().is_none()
        || matches!(
            app.dialog(),
            Some(Dialog::Manager(_)) | Some(Dialog::Shift(_))
        )
        || matches!(app.dialog(), Some(Dialog::Settle(d)) if d.stage == SettleStage::Pin);
    if typing {
        return match key.code {
            KeyCode::Tab | KeyCode::BackTab => Some(Message::NextField),
            KeyCode::Char(c) => Some(Message::Char(c)),
            _ => None,
        };
    }
    if let Some(Dialog::Settle(d)) = app.dialog() {
        return match (d.stage, key.code) {
            (SettleStage::OutcomeOpen, KeyCode::Char('r')) => Some(Message::Recheck),
            (_, KeyCode::Char('c')) => Some(Message::Method(Method::Cash)),
            (_, KeyCode::Char('k')) => Some(Message::Method(Method::Card)),
            (_, KeyCode::Char('s')) => Some(Message::Method(Method::Scan)),
            (_, KeyCode::Char('v')) => Some(Message::Method(Method::Voucher)),
            (_, KeyCode::Char('o')) => Some(Message::Method(Method::Other)),
            (_, KeyCode::Char('+')) => Some(Message::AddTender),
            (_, KeyCode::Char('?')) => Some(Message::ToggleHelp),
            (_, KeyCode::Char(c)) if c.is_ascii_digit() || c == '.' => Some(Message::Char(c)),
            _ => None,
        };
    }
    match key.code {
        KeyCode::Tab => return Some(Message::NextScreen),
        KeyCode::F(2) => return Some(Message::Show(Screen::Rail)),
        KeyCode::F(3) => return Some(Message::Show(Screen::Cashier)),
        KeyCode::F(4) => return Some(Message::Show(Screen::Alerts)),
        KeyCode::F(5) => return Some(Message::Show(Screen::Log)),
        KeyCode::F(7) => return Some(Message::Show(Screen::Printers)),
        KeyCode::F(6) => return Some(Message::Show(Screen::Report)),
        KeyCode::Char('?') => return Some(Message::ToggleHelp),
        KeyCode::Char('j') => return Some(Message::JumpToAlert),
        _ => {}
    }
    match (app.screen(), key.code) {
        (Screen::Rail, KeyCode::Char(c)) if c.is_ascii_digit() => Some(Message::Char(c)),
        (Screen::Rail, KeyCode::Char('+')) => Some(Message::NextItem),
        (Screen::Rail, KeyCode::Char('-')) => Some(Message::Recall),
        (Screen::Rail, KeyCode::Char('*')) | (Screen::Rail, KeyCode::Char('/')) => {
            Some(Message::NextStation)
        }
        (Screen::Rail, KeyCode::Char('.')) => Some(Message::Serve),
        (Screen::Cashier, KeyCode::Char('n')) => Some(Message::NewCounterOrder),
        (Screen::Cashier, KeyCode::Char('r')) => Some(Message::Recheck),
        (Screen::Cashier, KeyCode::Char('v')) => Some(Message::Void),
        (Screen::Cashier, KeyCode::Char('d')) => Some(Message::ResolveDouble),
        (Screen::Cashier, KeyCode::Home) => Some(Message::PageUp),
        (Screen::Alerts, KeyCode::Char('x')) => Some(Message::Acknowledge),
        (Screen::Report, KeyCode::Char('r')) => Some(Message::RefreshReport),
        (Screen::Report, KeyCode::Char('p')) => Some(Message::PrintReport),
        (Screen::Report, KeyCode::Char('o')) => Some(Message::OpenShift),
        (Screen::Report, KeyCode::Char('c')) => Some(Message::CloseShift),
        _ => None,
    }
}
