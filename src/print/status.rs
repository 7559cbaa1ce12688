//! Reading a printer's real-time status (`DLE EOT`). The status types the
//! screens show are shared vocabulary in `domain::status`, named here too.

pub use crate::domain::status::{PrinterState, PrinterStatus, SpoolStatus};

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
