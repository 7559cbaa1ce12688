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
        Fen(y.saturating_mul(100))
    }

    /// `self + o`, or [`MoneyError::Overflow`]: never wraps.
    pub fn checked_add(self, o: Fen) -> Result<Fen, MoneyError> {
        self.0.checked_add(o.0).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// `self - o`, or [`MoneyError::Overflow`]: never wraps.
    pub fn checked_sub(self, o: Fen) -> Result<Fen, MoneyError> {
        self.0.checked_sub(o.0).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// A unit price times a quantity, or [`MoneyError::Overflow`].
    pub fn times(self, qty: u32) -> Result<Fen, MoneyError> {
        self.0
            .checked_mul(i64::from(qty))
            .map(Fen)
            .ok_or(MoneyError::Overflow)
    }

    /// The sum of amounts, or [`MoneyError::Overflow`] at the first that
    /// would not fit.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Fen>) -> Result<Fen, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Fen::ZERO, |acc, f| acc.checked_add(f))
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
        let down = Fen(self.0) - Fen(r);
        if r >= 5 {
            down + Fen(10)
        } else {
            down
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
    #[error("the amount is too large to add up: check the quantities and prices")]
    Overflow,
}

impl fmt::Display for Fen {
    /// `56.00`, `-0.30`: yuan with two decimals, no currency sign.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

// The operators are the last guard, not the check: every amount that
// enters (platform orders, counter orders, tenders, floats, refunds) is
// bounded by `domain::limits::MoneyLimits` and added with the `checked_`
// functions above, so sums stay many orders of magnitude inside i64. Should
// one still overflow (an order stored before the limits existed), the
// operators saturate: an absurd figure stays absurd, it never wraps to a
// plausible one (a huge order never prints as ¥1.00), and the engine does
// not panic on it.
impl Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0.saturating_add(o.0))
    }
}
impl AddAssign for Fen {
    fn add_assign(&mut self, o: Fen) {
        *self = *self + o;
    }
}
impl Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        Fen(self.0.saturating_sub(o.0))
    }
}
impl SubAssign for Fen {
    fn sub_assign(&mut self, o: Fen) {
        *self = *self - o;
    }
}
impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(self.0.saturating_neg())
    }
}
impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, |a, b| a + b)
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
    fn money_arithmetic_refuses_what_does_not_fit() {
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), Err(MoneyError::Overflow));
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), Err(MoneyError::Overflow));
        assert_eq!(Fen(i64::MAX / 2).times(3), Err(MoneyError::Overflow));
        assert_eq!(Fen(3800).times(3), Ok(Fen(11400)));
        assert_eq!(
            Fen::checked_sum([Fen(i64::MAX), Fen(1), Fen(-5)]),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Fen(i64::MAX) + Fen(1),
            Fen(i64::MAX),
            "saturates, never wraps"
        );
    }

    #[test]
    fn display_is_yuan_with_two_decimals() {
        assert_eq!(Fen(5600).to_string(), "56.00");
        assert_eq!(Fen(-30).to_string(), "-0.30");
        assert_eq!(Fen(7).to_string(), "0.07");
    }
}
