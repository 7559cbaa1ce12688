//! Each printer's state as the screens show it, published through a tokio `watch`.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterState {
    /// Not contacted yet.
    Unknown,
    Online,
    /// Cannot connect, or the connection failed.
    Offline,
    PaperOut,
    CoverOpen,
    /// Another fault the printer reported.
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterStatus {
    pub name: String,
    /// Shown on screen ("厨房打印机"); the name when none is configured.
    pub label: String,
    pub state: PrinterState,
    /// Jobs waiting in this printer's spool.
    pub queued: usize,
    pub last_error: Option<String>,
    /// Since when the printer is in this state.
    pub since: Option<DateTime<FixedOffset>>,
}

/// All printers, in config order.
pub type SpoolStatus = Vec<PrinterStatus>;

/// The answers to `DLE EOT 1`, `DLE EOT 2` and `DLE EOT 4` (real-time status),
/// read as the printer's state. Bit meanings follow Epson's ESC/POS manual;
/// cheap printers (Xprinter, Gprinter) answer the same way.
pub fn parse_dle_eot(printer: u8, offline_cause: Option<u8>, paper: Option<u8>) -> PrinterState {
    if !valid_status_byte(printer) {
        return PrinterState::Error(format!("unreadable status answer {printer:#04x}"));
    }
    if let Some(p) = paper {
        // Bits 5 and 6: the roll paper end sensor.
        if valid_status_byte(p) && p & 0x60 != 0 {
            return PrinterState::PaperOut;
        }
    }
    if let Some(c) = offline_cause {
        if valid_status_byte(c) {
            if c & 0x04 != 0 {
                return PrinterState::CoverOpen;
            }
            if c & 0x20 != 0 {
                return PrinterState::PaperOut;
            }
            if c & 0x40 != 0 {
                return PrinterState::Error(
                    "the printer reports an error (cutter jam or overheating): open it and check"
                        .into(),
                );
            }
        }
    }
    if printer & 0x08 != 0 {
        return PrinterState::Error(
            "the printer is offline (paper feed button held or a fault)".into(),
        );
    }
    PrinterState::Online
}

/// A status byte has bit 1 and bit 4 set and bit 0 and bit 7 clear.
fn valid_status_byte(b: u8) -> bool {
    b & 0x93 == 0x12
}

/// The `DLE EOT n` answer a printer in `state` gives (used by the virtual printer).
pub fn dle_eot_answer(state: &PrinterState, n: u8) -> u8 {
    let base = 0x12;
    match (state, n) {
        (PrinterState::Online | PrinterState::Unknown, _) => base,
        (_, 1) => base | 0x08,
        (PrinterState::CoverOpen, 2) => base | 0x04,
        (PrinterState::PaperOut, 2) => base | 0x20,
        (PrinterState::Error(_), 2) => base | 0x40,
        (PrinterState::PaperOut, 4) => base | 0x60,
        _ => base,
    }
}

impl PrinterState {
    /// Can take a job now.
    pub fn is_ready(&self) -> bool {
        matches!(self, PrinterState::Online)
    }

    /// What the screen says, in Chinese then English.
    pub fn words(&self) -> String {
        match self {
            PrinterState::Unknown => "未连接 not contacted yet".into(),
            PrinterState::Online => "正常 online".into(),
            PrinterState::Offline => "离线 offline: check power and cable".into(),
            PrinterState::PaperOut => "缺纸 paper out".into(),
            PrinterState::CoverOpen => "开盖 cover open".into(),
            PrinterState::Error(e) => format!("故障 {e}"),
        }
    }
}

impl PrinterStatus {
    /// One line for the screen: "厨房打印机缺纸 hot: paper out, 3 waiting".
    pub fn line(&self) -> String {
        let zh = match self.state {
            PrinterState::PaperOut => "缺纸",
            PrinterState::CoverOpen => "开盖",
            PrinterState::Offline => "离线",
            PrinterState::Error(_) => "故障",
            PrinterState::Online => "正常",
            PrinterState::Unknown => "未连接",
        };
        let en = match &self.state {
            PrinterState::PaperOut => "paper out".to_string(),
            PrinterState::CoverOpen => "cover open".to_string(),
            PrinterState::Offline => "offline".to_string(),
            PrinterState::Error(e) => e.clone(),
            PrinterState::Online => "online".to_string(),
            PrinterState::Unknown => "not contacted yet".to_string(),
        };
        format!(
            "{}{zh} {}: {en}, {} waiting",
            self.label, self.name, self.queued
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_survives_its_own_answers() {
        for s in [
            PrinterState::Online,
            PrinterState::PaperOut,
            PrinterState::CoverOpen,
        ] {
            let got = parse_dle_eot(
                dle_eot_answer(&s, 1),
                Some(dle_eot_answer(&s, 2)),
                Some(dle_eot_answer(&s, 4)),
            );
            assert_eq!(got, s);
        }
    }

    #[test]
    fn the_screen_line_says_what_waits() {
        let st = PrinterStatus {
            name: "hot".into(),
            label: "厨房打印机".into(),
            state: PrinterState::PaperOut,
            queued: 3,
            last_error: None,
            since: None,
        };
        assert_eq!(st.line(), "厨房打印机缺纸 hot: paper out, 3 waiting");
    }
}
