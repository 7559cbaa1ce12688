//! Text measured in terminal columns, not chars: a Chinese character takes
//! two columns, ASCII one. Everything that pads or cuts text goes through here.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Columns the text takes on screen.
pub fn cols(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts the text to at most `width` columns, never splitting a wide
/// character; a cut is shown with a trailing `~`.
pub fn fit(s: &str, width: usize) -> String {
    if cols(s) <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let w = UnicodeWidthChar::width(ch).unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('~');
    out
}

/// The text cut or padded with spaces to exactly `width` columns.
pub fn pad(s: &str, width: usize) -> String {
    let mut out = fit(s, width);
    let n = cols(&out);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
    out
}

/// The text right-aligned in exactly `width` columns.
pub fn pad_left(s: &str, width: usize) -> String {
    let t = fit(s, width);
    let n = cols(&t);
    let mut out: String = std::iter::repeat_n(' ', width.saturating_sub(n)).collect();
    out.push_str(&t);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_takes_two_columns_and_is_never_split() {
        assert_eq!(cols("宫保鸡丁"), 8);
        assert_eq!(fit("宫保鸡丁", 6), "宫保~");
        assert_eq!(cols(&fit("宫保鸡丁", 5)), 5);
        assert_eq!(pad("鸡丁", 6), "鸡丁  ");
        assert_eq!(pad_left("A1", 4), "  A1");
    }
}
