//! Money as integer fen: `Fen(5600)` is ¥56.00. Never floats, anywhere.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// An amount of money in fen (1/100 yuan). Negative values are allowed for
/// differences (rounding, over/short); amounts paid are never negative.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn yuan(y: i64) -> Fen {
        Fen(y * 100)
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Rounds to the nearest jiao (10 fen), halves up, as cashiers do (四舍五入).
    pub fn round_to_jiao(self) -> Fen {
        let r = self.0.rem_euclid(10);
        if r >= 5 {
            Fen(self.0 - r + 10)
        } else {
            Fen(self.0 - r)
        }
    }

    /// Parses an amount typed in yuan: `100`, `100.0`, `99.5`, `56.00`, `￥56`.
    /// Exact: no float ever touches the value. More than two decimals, signs,
    /// or anything else is refused with an example of what to type.
    pub fn parse_yuan(text: &str) -> Result<Fen, MoneyError> {
        let t = text.trim().trim_start_matches(['¥', '￥']).trim();
        let bad = || MoneyError::Unreadable(text.to_string());
        if t.is_empty() {
            return Err(bad());
        }
        let (whole, frac) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t, ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooPrecise(text.to_string()));
        }
        if whole.len() > 12 {
            return Err(MoneyError::TooLarge(text.to_string()));
        }
        let w: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let f: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac.parse().map_err(|_| bad())?,
        };
        Ok(Fen(w * 100 + f))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not an amount: type yuan like 100, 100.00 or 99.5")]
    Unreadable(String),
    #[error("'{0}' has more than two decimals: amounts go to the fen, like 56.37")]
    TooPrecise(String),
    #[error("'{0}' is too large for one order")]
    TooLarge(String),
}

impl fmt::Display for Fen {
    /// `56.00`, `-0.30`: yuan with two decimals, no currency sign.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0 + o.0)
    }
}
impl AddAssign for Fen {
    fn add_assign(&mut self, o: Fen) {
        self.0 += o.0;
    }
}
impl Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        Fen(self.0 - o.0)
    }
}
impl SubAssign for Fen {
    fn sub_assign(&mut self, o: Fen) {
        self.0 -= o.0;
    }
}
impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(-self.0)
    }
}
impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        Fen(iter.map(|f| f.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_typed_by_a_cashier_parses_exactly() {
        assert_eq!(Fen::parse_yuan("100"), Ok(Fen(10000)));
        assert_eq!(Fen::parse_yuan("100.00"), Ok(Fen(10000)));
        assert_eq!(Fen::parse_yuan("99.5"), Ok(Fen(9950)));
        assert_eq!(Fen::parse_yuan("0.07"), Ok(Fen(7)));
        assert_eq!(Fen::parse_yuan(".5"), Ok(Fen(50)));
        assert_eq!(Fen::parse_yuan("￥56"), Ok(Fen(5600)));
        assert!(Fen::parse_yuan("1.005").is_err());
        assert!(Fen::parse_yuan("-1").is_err());
        assert!(Fen::parse_yuan("1e3").is_err());
        assert!(Fen::parse_yuan("").is_err());
        assert!(Fen::parse_yuan(".").is_err());
    }

    #[test]
    fn jiao_rounding_is_half_up() {
        assert_eq!(Fen(5637).round_to_jiao(), Fen(5640));
        assert_eq!(Fen(5635).round_to_jiao(), Fen(5640));
        assert_eq!(Fen(5634).round_to_jiao(), Fen(5630));
        assert_eq!(Fen(5630).round_to_jiao(), Fen(5630));
    }

    #[test]
    fn display_is_yuan_with_two_decimals() {
        assert_eq!(Fen(5600).to_string(), "56.00");
        assert_eq!(Fen(-30).to_string(), "-0.30");
        assert_eq!(Fen(7).to_string(), "0.07");
    }
}
