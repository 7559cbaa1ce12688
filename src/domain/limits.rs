//! Money limits: how large an order, a line, a price and the cash handed
//! over may be. Every amount that enters the console (a platform order or
//! add-on, a payment update, a counter order, a tender, a shift's float) is
//! checked here first, with checked arithmetic, so no sum the console makes
//! afterwards can come near the edge of an `i64` (docs/security.md, "Money").
//! A platform frame over the limits is quarantined like any bad frame; a
//! store command over them is refused with what to do.

use super::command::Refusal;
use super::money::Fen;
use super::order::{Item, Order};
use super::platform::PaymentUpdate;
use super::tender::Quote;
use serde::{Deserialize, Serialize};

/// The store's money limits (`[limits]` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyLimits {
    /// The most one order may come to (items and amount due).
    pub order_max: Fen,
    /// The most one dish may cost.
    pub unit_price_max: Fen,
    /// The most of one dish on one line.
    pub qty_max: u32,
    /// How much more cash than it pays a tender may hand over (the most
    /// change the drawer gives back).
    pub cash_over_max: Fen,
}

impl Default for MoneyLimits {
    /// ¥50,000 an order, ¥10,000 a dish, 999 of a dish, ¥500 of change.
    fn default() -> Self {
        MoneyLimits {
            order_max: Fen::yuan(50_000),
            unit_price_max: Fen::yuan(10_000),
            qty_max: 999,
            cash_over_max: Fen::yuan(500),
        }
    }
}

impl MoneyLimits {
    /// One line: a quantity from 1 to `qty_max`, a price from 0 to
    /// `unit_price_max`. Returns the line's total.
    pub fn check_item(&self, it: &Item) -> Result<Fen, String> {
        if it.qty > self.qty_max {
            return Err(format!(
                "line {} has quantity {}, more than the {} allowed",
                it.line, it.qty, self.qty_max
            ));
        }
        if it.unit_price.is_negative() || it.unit_price > self.unit_price_max {
            return Err(format!(
                "line {} costs {}, outside 0.00 to {}",
                it.line, it.unit_price, self.unit_price_max
            ));
        }
        it.unit_price
            .times(it.qty)
            .map_err(|e| format!("line {}: {e}", it.line))
    }

    /// Lines that may stand together on one order: each within the limits
    /// and all of them within `order_max`. Returns their total.
    pub fn check_items<'a>(
        &self,
        items: impl IntoIterator<Item = &'a Item>,
    ) -> Result<Fen, String> {
        let mut total = Fen::ZERO;
        for it in items {
            total = total
                .checked_add(self.check_item(it)?)
                .map_err(|e| e.to_string())?;
        }
        self.check_amount("the items", total)?;
        Ok(total)
    }

    /// An amount of one order: from 0 to `order_max`.
    pub fn check_amount(&self, what: &str, amount: Fen) -> Result<(), String> {
        if amount.is_negative() || amount > self.order_max {
            return Err(format!(
                "{what} come to {amount}, outside 0.00 to the {} an order may be",
                self.order_max
            ));
        }
        Ok(())
    }

    /// A platform order: its lines and its amount due.
    pub fn check_order(&self, o: &Order) -> Result<(), String> {
        self.check_items(&o.items)?;
        self.check_amount("amount_due", o.amount_due)
    }

    /// A platform add-on: its lines with those already on the order, and
    /// the new amount due.
    pub fn check_add_on(&self, on: &[Item], added: &[Item], amount_due: Fen) -> Result<(), String> {
        let kept = on
            .iter()
            .filter(|i| !added.iter().any(|a| a.line == i.line));
        self.check_items(kept.chain(added.iter()))?;
        self.check_amount("amount_due", amount_due)
    }

    /// A payment update: its amount within one order's.
    pub fn check_payment(&self, u: &PaymentUpdate) -> Result<(), String> {
        self.check_amount("the payment", u.amount)
    }

    /// Cash handed over: at most `cash_over_max` more than it pays.
    pub fn check_tendered(&self, q: &Quote) -> Result<(), Refusal> {
        let most = q.amount.checked_add(self.cash_over_max);
        match most {
            Ok(most) if q.tendered <= most => Ok(()),
            _ => Err(Refusal::TooMuchCash {
                tendered: q.tendered.to_string(),
                most: most.unwrap_or(q.amount).to_string(),
            }),
        }
    }

    /// A shift's float: from 0 to `order_max`.
    pub fn check_float(&self, float: Fen) -> Result<(), Refusal> {
        self.check_amount("the float", float)
            .map_err(|_| Refusal::InvalidAmount {
                amount: float.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(qty: u32, unit_price: i64) -> Item {
        Item {
            line: 1,
            sku: "GBJD".into(),
            name: "宫保鸡丁".into(),
            qty,
            unit_price: Fen(unit_price),
            station: "wok".into(),
            modifiers: Vec::new(),
            note: String::new(),
        }
    }

    #[test]
    fn a_huge_quantity_is_refused_rather_than_wrapped() {
        let l = MoneyLimits::default();
        assert!(l.check_item(&line(u32::MAX, 3800)).is_err());
        assert!(l.check_item(&line(2, i64::MAX / 2)).is_err());
        assert_eq!(l.check_item(&line(3, 3800)), Ok(Fen(11400)));
    }

    #[test]
    fn an_order_over_the_ceiling_is_refused() {
        let l = MoneyLimits::default();
        let many = vec![line(999, 1_000_000); 2];
        let e = l
            .check_items(&many)
            .expect_err("¥19,980,000 is over ¥50,000");
        assert!(e.contains("50000.00"), "{e}");
    }

    #[test]
    fn cash_more_than_the_margin_over_the_amount_is_refused() {
        let l = MoneyLimits::default();
        let q = |tendered: i64| Quote {
            method: super::super::tender::Method::Cash,
            amount: Fen(5600),
            tendered: Fen(tendered),
            change: Fen(tendered - 5600),
            rounding: Fen::ZERO,
        };
        assert!(l.check_tendered(&q(10_000)).is_ok());
        assert!(l.check_tendered(&q(5600 + 50_000)).is_ok());
        assert!(matches!(
            l.check_tendered(&q(5600 + 50_001)),
            Err(Refusal::TooMuchCash { .. })
        ));
    }
}
