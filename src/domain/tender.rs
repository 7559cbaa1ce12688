//! In-store tenders: how a cashier settles an order (cash, card, scan, voucher, other).

use super::money::Fen;
use super::refusal::Refusal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Cash,
    Card,
    Scan,
    Voucher,
    Other,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Cash,
        Method::Card,
        Method::Scan,
        Method::Voucher,
        Method::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Cash => "cash",
            Method::Card => "card",
            Method::Scan => "scan",
            Method::Voucher => "voucher",
            Method::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A tender as the cashier enters it. `amount` is what it pays toward the
/// order; for cash, `tendered` is what the customer handed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderInput {
    pub method: Method,
    pub amount: Fen,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tendered: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A tender as recorded after the engine accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    pub method: Method,
    pub amount: Fen,
    pub tendered: Fen,
    pub change: Fen,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// How cash is rounded when it completes an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CashRounding {
    #[default]
    Fen,
    Jiao,
}

impl CashRounding {
    pub fn apply(self, due: Fen) -> Fen {
        match self {
            CashRounding::Fen => due,
            CashRounding::Jiao => due.round_to_jiao(),
        }
    }
}

/// One tender worked out against what an order still owes: the only place
/// cash change and rounding are decided. The rules, the settle dialog and
/// `ctl` all ask here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub method: Method,
    /// What the tender pays toward the order (for cash, after rounding).
    pub amount: Fen,
    /// What the customer handed over (the amount, for anything but cash).
    pub tendered: Fen,
    /// What goes back to the customer.
    pub change: Fen,
    /// How much the cash rounding added to (or took from) what was owed.
    pub rounding: Fen,
}

impl Quote {
    /// How much of what was owed this tender settles (its amount less the
    /// rounding it brought).
    pub fn covers(&self) -> Fen {
        self.amount - self.rounding
    }
}

/// What paying all that is still owed takes by this method: cash is
/// rounded by the store's rule, everything else is to the fen.
pub fn all_due(remaining: Fen, method: Method, rounding: CashRounding) -> Fen {
    if method == Method::Cash {
        rounding.apply(remaining)
    } else {
        remaining
    }
}

/// Quotes a tender: `remaining` is what the order still owes, `amount` what
/// the tender pays toward it, `tendered` the cash handed over (`None`:
/// exactly the amount). Refuses a tender that is not positive, pays more
/// than is owed (cash may pay the rounded amount), or hands over less cash
/// than it pays.
pub fn quote(
    remaining: Fen,
    method: Method,
    amount: Fen,
    tendered: Option<Fen>,
    rounding: CashRounding,
) -> Result<Quote, Refusal> {
    if !amount.is_positive() {
        return Err(Refusal::InvalidAmount {
            amount: amount.to_string(),
        });
    }
    let over = |due: Fen| Refusal::OverTender {
        method: method.as_str().into(),
        amount: amount.to_string(),
        due: due.to_string(),
    };
    if remaining == Fen::ZERO {
        return Err(over(remaining));
    }
    if method != Method::Cash {
        if amount > remaining {
            return Err(over(remaining));
        }
        return Ok(Quote {
            method,
            amount,
            tendered: amount,
            change: Fen::ZERO,
            rounding: Fen::ZERO,
        });
    }
    let rounded = rounding.apply(remaining);
    if amount > remaining && amount != rounded {
        return Err(over(rounded));
    }
    let rounding = if amount == rounded && rounded != remaining {
        rounded - remaining
    } else {
        Fen::ZERO
    };
    let tendered = tendered.unwrap_or(amount);
    if tendered < amount {
        return Err(Refusal::InsufficientCash {
            tendered: tendered.to_string(),
            amount: amount.to_string(),
        });
    }
    Ok(Quote {
        method,
        amount,
        tendered,
        change: tendered - amount,
        rounding,
    })
}

/// What a cashier's typed amount comes to at the till, before the engine
/// checks it: for cash the typed figure is what the customer hands over
/// (nothing typed: exactly the rounded amount owed) and it pays at most
/// that; for other methods it is the amount (nothing typed: all of it).
/// The result still goes through [`quote`] in the rules.
pub fn quote_typed(
    remaining: Fen,
    method: Method,
    typed: Option<Fen>,
    rounding: CashRounding,
) -> Quote {
    let due = all_due(remaining, method, rounding);
    if method != Method::Cash {
        let amount = typed.unwrap_or(due);
        return Quote {
            method,
            amount,
            tendered: amount,
            change: Fen::ZERO,
            rounding: Fen::ZERO,
        };
    }
    let tendered = typed.unwrap_or(due);
    let amount = if tendered >= due { due } else { tendered };
    Quote {
        method,
        amount,
        tendered,
        change: tendered - amount,
        rounding: if amount == due {
            due - remaining
        } else {
            Fen::ZERO
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cash_for_a_jiao_rounded_bill_gives_change_from_the_rounded_amount() {
        let q = quote(
            Fen(2347),
            Method::Cash,
            Fen(2350),
            Some(Fen(5000)),
            CashRounding::Jiao,
        )
        .expect("a valid tender");
        assert_eq!(
            (q.amount, q.change, q.rounding),
            (Fen(2350), Fen(2650), Fen(3))
        );
        assert_eq!(q.covers(), Fen(2347));
    }

    #[test]
    fn cash_short_of_the_amount_is_refused() {
        let r = quote(
            Fen(2000),
            Method::Cash,
            Fen(2000),
            Some(Fen(1000)),
            CashRounding::Fen,
        );
        assert!(matches!(r, Err(Refusal::InsufficientCash { .. })));
    }

    #[test]
    fn a_card_cannot_pay_more_than_is_owed() {
        let r = quote(Fen(2000), Method::Card, Fen(2001), None, CashRounding::Jiao);
        assert!(matches!(r, Err(Refusal::OverTender { .. })));
        let r = quote(Fen(2000), Method::Card, Fen(0), None, CashRounding::Fen);
        assert!(matches!(r, Err(Refusal::InvalidAmount { .. })));
    }

    #[test]
    fn nothing_owed_refuses_any_further_tender() {
        let r = quote(Fen::ZERO, Method::Cash, Fen(100), None, CashRounding::Fen);
        assert!(matches!(r, Err(Refusal::OverTender { .. })));
    }

    #[test]
    fn cash_typed_at_the_till_pays_at_most_the_rounded_bill() {
        let q = quote_typed(
            Fen(2347),
            Method::Cash,
            Some(Fen(10000)),
            CashRounding::Jiao,
        );
        assert_eq!(
            (q.amount, q.tendered, q.change),
            (Fen(2350), Fen(10000), Fen(7650))
        );
        let q = quote_typed(Fen(2347), Method::Cash, Some(Fen(1000)), CashRounding::Jiao);
        assert_eq!(
            (q.amount, q.change, q.rounding),
            (Fen(1000), Fen::ZERO, Fen::ZERO)
        );
        let q = quote_typed(Fen(2347), Method::Cash, None, CashRounding::Jiao);
        assert_eq!((q.amount, q.tendered), (Fen(2350), Fen(2350)));
        let q = quote_typed(Fen(2347), Method::Scan, None, CashRounding::Jiao);
        assert_eq!((q.amount, q.change), (Fen(2347), Fen::ZERO));
    }

    #[test]
    fn every_quote_the_till_makes_for_the_whole_bill_is_accepted() {
        for rounding in [CashRounding::Fen, CashRounding::Jiao] {
            for owed in [5, 49, 2347, 99995] {
                for method in Method::ALL {
                    let t = quote_typed(Fen(owed), method, None, rounding);
                    let q = quote(Fen(owed), method, t.amount, Some(t.tendered), rounding)
                        .expect("the till's quote is a valid tender");
                    assert_eq!(q, t);
                    assert_eq!(q.covers(), Fen(owed));
                }
            }
        }
    }
}
