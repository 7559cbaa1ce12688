//! Printed width and printable text: what the printer's font can show, and
//! how many columns it takes (ASCII 1, Chinese 2, counted from the GB18030
//! bytes). Characters the printer cannot print are replaced visibly (`□`)
//! and logged, never dropped; control bytes never reach the printer.

use encoding_rs::GB18030;

/// What a printer can print, from its profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charset {
    /// GB18030 two-byte characters print (Chinese mode).
    pub chinese: bool,
    /// The 4-byte GB18030 characters print too (rare fonts).
    pub four_byte: bool,
}

impl Charset {
    pub const CHINESE: Charset = Charset {
        chinese: true,
        four_byte: false,
    };
}

/// Shown instead of a character the printer cannot print (GB18030 A1 F5).
pub const REPLACEMENT: char = '□';
/// Shown instead of a non-ASCII character on a printer without Chinese.
pub const ASCII_REPLACEMENT: char = '?';

/// How many bytes `c` takes in GB18030.
pub fn gb18030_len(c: char) -> usize {
    if c.is_ascii() {
        return 1;
    }
    let mut utf8 = [0u8; 4];
    let s = c.encode_utf8(&mut utf8);
    let mut out = [0u8; 32];
    let mut enc = GB18030.new_encoder();
    let (_, _, written, _) = enc.encode_from_utf8(s, &mut out, true);
    written
}

/// The character as the printer will print it: itself, a common stand-in
/// (`¥` → `￥`, whose GB18030 form is two bytes), or a visible replacement.
pub fn printable(c: char, cs: Charset) -> char {
    match c {
        '\t' | '\n' | '\r' => ' ',
        c if c.is_ascii_control() || ('\u{80}'..='\u{9f}').contains(&c) => ASCII_REPLACEMENT,
        c if c.is_ascii() => c,
        _ if !cs.chinese => ASCII_REPLACEMENT,
        '¥' => '￥',
        c => match gb18030_len(c) {
            2 => c,
            4 if cs.four_byte => c,
            _ => REPLACEMENT,
        },
    }
}

/// Columns a printable character takes.
pub fn char_width(c: char) -> usize {
    if c.is_ascii() {
        1
    } else {
        2
    }
}

pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// The text with every character the printer cannot print replaced; each
/// replacement is logged with the original character.
pub fn sanitize(s: &str, cs: Charset) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let p = printable(c, cs);
        if p != c && !matches!(c, '\t' | '\n' | '\r' | '¥') {
            tracing::warn!(
                character = %c.escape_unicode(),
                replaced_by = %p,
                "a character the printer cannot print was replaced"
            );
        }
        out.push(p);
    }
    out
}

/// Splits printable text into lines of at most `cols` columns. ASCII words
/// are kept whole where they fit; Chinese breaks between any two characters.
pub fn wrap(s: &str, cols: usize) -> Vec<String> {
    let cols = cols.max(2);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut w = 0;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // An ASCII word: take it whole if it fits on a fresh line.
        if c.is_ascii_alphanumeric() {
            let end = chars[i..]
                .iter()
                .position(|c| !c.is_ascii_alphanumeric())
                .map_or(chars.len(), |p| i + p);
            let word_w = end - i;
            if w + word_w > cols && word_w <= cols && w > 0 {
                lines.push(std::mem::take(&mut cur).trim_end().to_string());
                w = 0;
            }
            if w + word_w <= cols {
                cur.extend(&chars[i..end]);
                w += word_w;
                i = end;
                continue;
            }
        }
        let cw = char_width(c);
        if w + cw > cols {
            lines.push(std::mem::take(&mut cur).trim_end().to_string());
            w = 0;
            if c == ' ' {
                i += 1;
                continue;
            }
        }
        cur.push(c);
        w += cw;
        i += 1;
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur.trim_end().to_string());
    }
    lines
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// Pads (never cuts) `s` to exactly `cols` columns; text wider than `cols`
/// must be wrapped first.
pub fn pad(s: &str, cols: usize, align: Align) -> String {
    let w = width(s);
    let room = cols.saturating_sub(w);
    let (l, r) = match align {
        Align::Left => (0, room),
        Align::Right => (room, 0),
        Align::Center => (room / 2, room - room / 2),
    };
    let mut out = String::with_capacity(s.len() + room);
    out.extend(std::iter::repeat_n(' ', l));
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', r));
    out
}

/// Cuts `s` to at most `cols` columns (whole characters).
pub fn cut(s: &str, cols: usize) -> String {
    let mut w = 0;
    s.chars()
        .take_while(|c| {
            w += char_width(*c);
            w <= cols
        })
        .collect()
}

/// `left` and `right` on one line of `cols` columns: the left side wrapped
/// to leave room for the right, which stands on the first line.
pub fn two_sides(left: &str, right: &str, cols: usize) -> Vec<String> {
    let rw = width(right);
    if rw + 2 > cols {
        let mut v: Vec<String> = wrap(left, cols)
            .into_iter()
            .map(|l| pad(&l, cols, Align::Left))
            .collect();
        v.extend(
            wrap(right, cols)
                .into_iter()
                .map(|l| pad(&l, cols, Align::Right)),
        );
        return v;
    }
    let lw = cols - rw - 1;
    wrap(left, lw)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{} {}", pad(&l, lw, Align::Left), right)
            } else {
                pad(&l, cols, Align::Left)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_takes_two_columns_and_ascii_one() {
        assert_eq!(width("宫保鸡丁 x2"), 11);
        assert_eq!(gb18030_len('宫'), 2);
        assert_eq!(gb18030_len('a'), 1);
    }

    #[test]
    fn the_yen_sign_becomes_the_full_width_one_and_four_byte_characters_are_replaced() {
        assert_eq!(sanitize("¥5", Charset::CHINESE), "￥5");
        assert_eq!(gb18030_len('￥'), 2);
        // 𠮷 and an emoji are 4-byte GB18030: shown as □, never dropped.
        assert_eq!(sanitize("𠮷野家🍜", Charset::CHINESE), "□野家□");
        assert_eq!(sanitize("a\u{1b}@b", Charset::CHINESE), "a?@b");
    }

    #[test]
    fn wrapping_keeps_words_and_fits_the_columns() {
        let lines = wrap("Kung Pao Chicken with extra peanuts 宫保鸡丁加花生", 16);
        assert!(lines.iter().all(|l| width(l) <= 16), "{lines:?}");
        assert_eq!(lines[0], "Kung Pao Chicken");
    }
}
