//! An ESC/POS decoder: the bytes a printer receives, back to readable text.
//! Tests, the virtual printer and the console's print preview use it.
//!
//! Each printed line becomes one string; its style shows as leading markers
//! (`[x2]` double size, `[b]` bold, `[inv]` white on black), commands as
//! their own lines: `[CUT]`, `[CUT partial]`, `[DRAWER pin2 50ms/500ms]`,
//! `[QR model2: https://…]`. GB18030 text is decoded only in Chinese mode
//! (`FS &`); high bytes outside it show as `�`, so a missing `FS &` is visible.

use encoding_rs::GB18030;

#[derive(Default, Clone, Copy, PartialEq, Eq)]
struct Style {
    w: u8,
    h: u8,
    bold: bool,
    reverse: bool,
    underline: bool,
}

#[derive(Default)]
struct Decoder {
    out: Vec<String>,
    /// Bytes of the current line.
    line: Vec<u8>,
    /// The style the current line's text was written in (the largest seen).
    line_style: Option<Style>,
    style: Style,
    chinese: bool,
    qr_model: u8,
    qr_data: Option<Vec<u8>>,
}

impl Decoder {
    fn text_byte(&mut self, b: u8) {
        if self.line_style.is_none() {
            self.line_style = Some(self.style);
        } else if let Some(s) = &mut self.line_style {
            s.w = s.w.max(self.style.w);
            s.h = s.h.max(self.style.h);
            s.bold |= self.style.bold;
            s.reverse |= self.style.reverse;
        }
        self.line.push(b);
    }

    fn end_line(&mut self) {
        let text = self.decode_line();
        let st = self.line_style.take().unwrap_or(self.style);
        let mut marks = String::new();
        if st.w > 1 || st.h > 1 {
            if st.w == st.h {
                marks.push_str(&format!("[x{}]", st.w));
            } else {
                marks.push_str(&format!("[{}x{}]", st.w, st.h));
            }
        }
        if st.bold {
            marks.push_str("[b]");
        }
        if st.reverse {
            marks.push_str("[inv]");
        }
        if st.underline {
            marks.push_str("[u]");
        }
        let text = text.trim_end();
        if marks.is_empty() || text.trim().is_empty() {
            self.out.push(text.to_string());
        } else {
            self.out.push(format!("{marks} {text}"));
        }
        self.line.clear();
    }

    fn flush_if_content(&mut self) {
        if !self.line.is_empty() {
            self.end_line();
        }
    }

    fn decode_line(&self) -> String {
        if self.chinese {
            let (s, _) = GB18030.decode_without_bom_handling(&self.line);
            s.into_owned()
        } else {
            self.line
                .iter()
                .map(|&b| if b.is_ascii() { b as char } else { '\u{FFFD}' })
                .collect()
        }
    }

    fn mark(&mut self, m: String) {
        self.flush_if_content();
        self.out.push(m);
    }
}

/// Decodes ESC/POS bytes to readable lines.
pub fn decode(bytes: &[u8]) -> Vec<String> {
    let mut d = Decoder {
        style: Style {
            w: 1,
            h: 1,
            ..Style::default()
        },
        qr_model: 1,
        ..Decoder::default()
    };
    let mut i = 0;
    let at = |i: usize| bytes.get(i).copied();
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            0x0A => {
                d.end_line();
                i += 1;
            }
            0x0D => i += 1,
            0x09 => {
                for _ in 0..4 {
                    d.text_byte(b' ');
                }
                i += 1;
            }
            0x1B => {
                let Some(c) = at(i + 1) else {
                    d.mark("[ESC truncated]".into());
                    break;
                };
                match c {
                    b'@' => {
                        d.flush_if_content();
                        d.style = Style {
                            w: 1,
                            h: 1,
                            ..Style::default()
                        };
                        d.chinese = false;
                        i += 2;
                    }
                    b'!' => {
                        let n = at(i + 2).unwrap_or(0);
                        d.style.bold = n & 0x08 != 0;
                        d.style.h = if n & 0x10 != 0 { 2 } else { 1 };
                        d.style.w = if n & 0x20 != 0 { 2 } else { 1 };
                        d.style.underline = n & 0x80 != 0;
                        i += 3;
                    }
                    b'E' | b'G' => {
                        d.style.bold = at(i + 2).unwrap_or(0) & 1 != 0;
                        i += 3;
                    }
                    b'-' => {
                        d.style.underline = at(i + 2).unwrap_or(0) & 3 != 0;
                        i += 3;
                    }
                    b'd' | b'J' => {
                        // Print and feed: ends the line; extra feed is not text.
                        d.flush_if_content();
                        i += 3;
                    }
                    b'a' | b'M' | b't' | b'R' | b'{' | b'3' | b'V' | b' ' | b'c' | b'r' => i += 3,
                    b'2' => i += 2,
                    b'p' => {
                        if i + 4 < bytes.len() {
                            let pin = if bytes[i + 2] & 1 == 1 { 5 } else { 2 };
                            let on = u32::from(bytes[i + 3]) * 2;
                            let off = u32::from(bytes[i + 4]) * 2;
                            d.mark(format!("[DRAWER pin{pin} {on}ms/{off}ms]"));
                            i += 5;
                        } else {
                            d.mark("[DRAWER truncated: fewer than 5 bytes]".into());
                            break;
                        }
                    }
                    other => {
                        d.mark(format!("[ESC {:02X}?]", other));
                        i += 2;
                    }
                }
            }
            0x1C => match at(i + 1) {
                Some(b'&') => {
                    d.chinese = true;
                    i += 2;
                }
                Some(b'.') => {
                    d.flush_if_content();
                    d.chinese = false;
                    i += 2;
                }
                Some(b'!') | Some(b'W') | Some(b'-') => i += 3,
                Some(other) => {
                    d.mark(format!("[FS {:02X}?]", other));
                    i += 2;
                }
                None => break,
            },
            0x1D => {
                let Some(c) = at(i + 1) else {
                    d.mark("[GS truncated]".into());
                    break;
                };
                match c {
                    b'!' => {
                        let n = at(i + 2).unwrap_or(0);
                        d.style.w = (n >> 4) + 1;
                        d.style.h = (n & 0x0F) + 1;
                        i += 3;
                    }
                    b'B' => {
                        d.style.reverse = at(i + 2).unwrap_or(0) & 1 != 0;
                        i += 3;
                    }
                    b'V' => {
                        let m = at(i + 2).unwrap_or(0);
                        let partial = matches!(m, 1 | 49 | 66);
                        let len = if matches!(m, 65 | 66 | 97 | 98 | 103 | 104) {
                            4
                        } else {
                            3
                        };
                        d.mark(if partial {
                            "[CUT partial]".into()
                        } else {
                            "[CUT]".into()
                        });
                        i += len;
                    }
                    b'(' if at(i + 2) == Some(b'k') => {
                        let pl = usize::from(at(i + 3).unwrap_or(0));
                        let ph = usize::from(at(i + 4).unwrap_or(0));
                        let len = pl + ph * 256;
                        // A command cut short ends the job: no body, no panic.
                        let body_start = (i + 5).min(bytes.len());
                        let body_end = (body_start + len).min(bytes.len());
                        let body = &bytes[body_start..body_end];
                        if body.first() == Some(&49) {
                            match body.get(1) {
                                Some(65) => {
                                    d.qr_model = body.get(2).map_or(1, |m| m.saturating_sub(48))
                                }
                                Some(80) => d.qr_data = Some(body.get(3..).unwrap_or(&[]).to_vec()),
                                Some(81) => {
                                    let data = d.qr_data.take().unwrap_or_default();
                                    let text = one_line(&String::from_utf8_lossy(&data));
                                    let model = d.qr_model;
                                    d.mark(format!("[QR model{model}: {text}]"));
                                }
                                _ => {}
                            }
                        }
                        i = body_end;
                    }
                    b'v' if at(i + 2) == Some(b'0') => {
                        let x = usize::from(at(i + 4).unwrap_or(0))
                            + 256 * usize::from(at(i + 5).unwrap_or(0));
                        let y = usize::from(at(i + 6).unwrap_or(0))
                            + 256 * usize::from(at(i + 7).unwrap_or(0));
                        d.mark("[IMAGE]".into());
                        i += 8 + x * y;
                    }
                    b'a' | b'L' | b'W' | b'h' | b'w' | b'H' | b'f' | b'k' => i += 3,
                    other => {
                        d.mark(format!("[GS {:02X}?]", other));
                        i += 2;
                    }
                }
            }
            0x10 => match at(i + 1) {
                // DLE EOT n: a status request, answered by the printer, prints nothing.
                Some(0x04) => i += 3,
                Some(0x14) => i += 5,
                _ => i += 2,
            },
            0x00..=0x1F | 0x7F => i += 1,
            _ => {
                if d.chinese && b >= 0x81 {
                    let n = gb18030_len(&bytes[i..]);
                    for &x in &bytes[i..i + n] {
                        d.text_byte(x);
                    }
                    i += n;
                } else {
                    d.text_byte(b);
                    i += 1;
                }
            }
        }
    }
    d.flush_if_content();
    d.out
}

/// `text` on one line, for a marker: control characters (a vCard's line
/// breaks in a QR code) show escaped, like `\n`.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// How many bytes the GB18030 character at the start of `bytes` takes: two,
/// or four when the second is a digit, and only when the rest is a valid
/// continuation. A lead byte without one is taken alone (it shows as `�`), so
/// a line feed or a command right after it still acts, as on the printer.
fn gb18030_len(bytes: &[u8]) -> usize {
    match bytes {
        [0x81..=0xFE, 0x30..=0x39, 0x81..=0xFE, 0x30..=0x39, ..] => 4,
        [0x81..=0xFE, 0x40..=0x7E | 0x80..=0xFE, ..] => 2,
        _ => 1,
    }
}

/// True when `bytes` holds a 4-byte GB18030 sequence in Chinese mode (which
/// most printers' fonts cannot print).
pub fn has_four_byte_gb18030(bytes: &[u8]) -> bool {
    bytes.windows(4).any(|w| {
        (0x81..=0xFE).contains(&w[0])
            && (0x30..=0x39).contains(&w[1])
            && (0x81..=0xFE).contains(&w[2])
            && (0x30..=0x39).contains(&w[3])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_needs_fs_ampersand() {
        let (gb, _, _) = GB18030.encode("宫保鸡丁");
        let mut with = vec![0x1B, b'@', 0x1C, b'&'];
        with.extend_from_slice(&gb);
        with.push(b'\n');
        assert_eq!(decode(&with), vec!["宫保鸡丁"]);
        let mut without = vec![0x1B, b'@'];
        without.extend_from_slice(&gb);
        without.push(b'\n');
        assert_eq!(decode(&without), vec!["\u{FFFD}".repeat(8)]);
    }

    #[test]
    fn a_broken_chinese_character_does_not_swallow_the_line_feed() {
        // Found by fuzzing: a lead byte took the `\n` after it as its second byte.
        let (gb, _, _) = GB18030.encode("米饭");
        let mut b = vec![0x1B, b'@', 0x1C, b'&', 0x81, b'\n'];
        b.extend_from_slice(&gb);
        b.push(b'\n');
        assert_eq!(decode(&b), vec!["\u{FFFD}", "米饭"]);
        assert_eq!(
            decode(&[0x1C, b'&', 0xB0, 0x1D, b'V', 0]),
            vec!["\u{FFFD}", "[CUT]"]
        );
    }

    #[test]
    fn a_qr_command_cut_short_ends_the_job() {
        // Found while fuzzing: the body's start ran past the end of the bytes.
        assert_eq!(decode(&[b'A', b'\n', 0x1D, b'(', b'k']), vec!["A"]);
        assert_eq!(decode(&[0x1D, b'(', b'k', 3]), Vec::<String>::new());
    }

    #[test]
    fn a_qr_code_with_line_breaks_is_one_marker_line() {
        // Found by fuzzing: the QR data's `\n` split the marker over two lines.
        let mut b = vec![0x1D, b'(', b'k', 8, 0, 49, 80, 48];
        b.extend_from_slice(b"A\nB\x1bC");
        b.extend_from_slice(&[0x1D, b'(', b'k', 3, 0, 49, 81, 48]);
        assert_eq!(decode(&b), vec![r"[QR model1: A\nB\u{1b}C]"]);
    }

    #[test]
    fn drawer_cut_and_qr_show_as_markers() {
        let mut b = vec![0x1B, b'p', 0, 0x19, 0xFA, 0x1D, b'V', b'A', 0];
        b.extend_from_slice(&[0x1D, b'(', b'k', 4, 0, 49, 65, 50, 0]);
        b.extend_from_slice(&[0x1D, b'(', b'k', 5, 0, 49, 80, 48, b'h', b'i']);
        b.extend_from_slice(&[0x1D, b'(', b'k', 3, 0, 49, 81, 48]);
        assert_eq!(
            decode(&b),
            vec!["[DRAWER pin2 50ms/500ms]", "[CUT]", "[QR model2: hi]"]
        );
        assert_eq!(
            decode(&[0x1B, b'p', 0]),
            vec!["[DRAWER truncated: fewer than 5 bytes]"]
        );
    }

    #[test]
    fn double_size_and_bold_lines_are_marked() {
        let b = [0x1D, b'!', 0x11, 0x1B, b'E', 1, b'A', b'1', 0x1B, b'd', 1];
        assert_eq!(decode(&b), vec!["[x2][b] A1"]);
    }
}
