//! The report screen (managers): X of the open shift, else Z of the last,
//! and printing it on the receipt printer.

use super::message::ShiftAction;
use super::message::{Effect, Message};
use super::shift::ShiftDialog;
use super::{App, Dialog};

impl App {
    /// Reads the report from the log: the open shift so far, else the last
    /// closed shift.
    pub fn load_report(&mut self) {
        use crate::report::ReportError;
        let Some(engine) = self.source.local() else {
            self.report = Some(Err(if self.words.chinese {
                "报表只在主机上看: 请在收银主机上按 F6".into()
            } else {
                "reports are read on the main console: press F6 there".into()
            }));
            return;
        };
        self.report = Some(engine.shift_report().map_err(|e| match e {
            ReportError::NoClosedShift | ReportError::NoOpenShift => self.words.no_shift.into(),
            e if self.words.chinese => format!("报表出错: {e}"),
            e => e.to_string(),
        }));
        self.report_scroll = 0;
    }

    /// The report's lines for a width, in the console's language.
    pub fn report_lines(&self, cols: usize) -> Vec<String> {
        match &self.report {
            Some(Ok(r)) => crate::report::layout::lines(r, cols, self.words.chinese),
            Some(Err(_)) | None => Vec::new(),
        }
    }

    /// Lines of the narrowest layout: no scroll goes past them.
    pub(super) fn report_len(&self) -> usize {
        self.report_lines(20).len()
    }

    pub(super) fn update_report(&mut self, msg: Message) -> Option<Effect> {
        match msg {
            Message::Up => self.report_scroll = self.report_scroll.saturating_sub(1),
            Message::Down => self.report_scroll = (self.report_scroll + 1).min(self.report_len()),
            Message::PageUp => self.report_scroll = self.report_scroll.saturating_sub(10),
            Message::PageDown => {
                self.report_scroll = (self.report_scroll + 10).min(self.report_len())
            }
            Message::RefreshReport => self.load_report(),
            Message::OpenShift => {
                self.dialog = Some(Dialog::Shift(ShiftDialog::new(ShiftAction::Open)))
            }
            Message::CloseShift => {
                self.dialog = Some(Dialog::Shift(ShiftDialog::new(ShiftAction::Close)))
            }
            _ => {}
        }
        None
    }
}
