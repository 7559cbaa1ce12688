//! Pricing a counter ticket from the console's own menu: the client names
//! dishes by sku with quantities and modifiers; the name, price and station
//! of each line come from `menu.toml`, so a second screen or a script cannot
//! set what a dish costs (docs/security.md, "Money").

use super::menu::Menu;
use crate::domain::command::{CounterTicket, Refusal};
use crate::domain::Item;

impl Menu {
    /// The ticket's lines as order items, numbered from 1 and priced from
    /// the menu. Refuses a sku not on the menu, a dish sold out, and a
    /// modifier the dish does not offer, naming the line.
    pub fn price(&self, ticket: &CounterTicket) -> Result<Vec<Item>, Refusal> {
        let mut items = Vec::with_capacity(ticket.items.len());
        for (i, l) in ticket.items.iter().enumerate() {
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let bad = |problem: String| Refusal::BadLine { line, problem };
            let Some(dish) = self.by_sku(l.sku.trim()) else {
                return Err(bad(format!("no dish with sku {} on the menu", l.sku)));
            };
            if !dish.available {
                return Err(bad(format!("{} is sold out", dish.name)));
            }
            if let Some(m) = l.modifiers.iter().find(|m| !dish.modifiers.contains(m)) {
                return Err(bad(format!("{} does not offer {m}", dish.name)));
            }
            items.push(Item {
                line,
                sku: dish.sku.clone(),
                name: dish.name.clone(),
                qty: l.qty,
                unit_price: dish.price,
                station: dish.station.clone(),
                modifiers: l.modifiers.clone(),
                note: l.note.clone(),
            });
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::command::CounterLine;
    use crate::domain::{Dining, Fen};

    fn ticket(sku: &str, modifiers: &[&str]) -> CounterTicket {
        CounterTicket {
            dining: Dining::Takeaway,
            table: None,
            note: String::new(),
            items: vec![CounterLine {
                sku: sku.into(),
                qty: 2,
                modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
                note: String::new(),
            }],
        }
    }

    #[test]
    fn a_counter_line_is_priced_from_the_menu() {
        let items = Menu::demo()
            .price(&ticket("gbjd", &[]))
            .expect("on the menu");
        assert_eq!(
            (items[0].sku.as_str(), items[0].unit_price, items[0].total()),
            ("GBJD", Fen(3800), Fen(7600))
        );
    }

    #[test]
    fn a_dish_not_on_the_menu_is_refused_with_its_line() {
        let r = Menu::demo().price(&ticket("CAVIAR", &[]));
        assert!(
            matches!(&r, Err(Refusal::BadLine { line: 1, problem }) if problem.contains("CAVIAR")),
            "{r:?}"
        );
    }

    #[test]
    fn a_modifier_the_dish_does_not_offer_is_refused() {
        let r = Menu::demo().price(&ticket("gbjd", &["free"]));
        assert!(matches!(r, Err(Refusal::BadLine { .. })), "{r:?}");
    }
}
