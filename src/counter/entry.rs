//! The counter order being keyed in: lines picked from the menu, quantities,
//! modifiers, table or takeaway, a note, and the running total. Pure state;
//! the cashier screen turns keys into these calls and the result into a
//! `CounterTicket` for the engine.

use super::menu::{Menu, MenuItem};
use crate::domain::command::{CounterLine, CounterTicket};
use crate::domain::{Dining, Fen};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryLine {
    pub sku: String,
    pub name: String,
    pub unit_price: Fen,
    pub station: String,
    pub qty: u32,
    pub modifiers: Vec<String>,
    /// The modifiers the menu offers for this dish.
    pub offered: Vec<String>,
}

impl EntryLine {
    /// What the till shows; the engine prices and checks the order itself.
    pub fn total(&self) -> Fen {
        self.unit_price
            .times(self.qty)
            .unwrap_or(Fen(self.unit_price.0.saturating_mul(i64::from(self.qty))))
    }
}

/// What the keys type into right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EntryField {
    /// A sku or pinyin initials; digits with no query set the quantity.
    #[default]
    Search,
    /// Picking a modifier for the last line by its number.
    Modifier,
    Table,
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEntry {
    pub query: String,
    pub lines: Vec<EntryLine>,
    pub dining: Dining,
    pub table: String,
    pub note: String,
    pub field: EntryField,
    /// Quantity digits typed since the last dish was added.
    pub qty_typed: String,
    pub error: Option<String>,
}

/// A counter order starts as takeaway (the common case at a till).
impl Default for OrderEntry {
    fn default() -> Self {
        OrderEntry {
            query: String::new(),
            lines: Vec::new(),
            dining: Dining::Takeaway,
            table: String::new(),
            note: String::new(),
            field: EntryField::Search,
            qty_typed: String::new(),
            error: None,
        }
    }
}

impl OrderEntry {
    pub fn total(&self) -> Fen {
        self.lines.iter().map(EntryLine::total).sum()
    }

    /// The dishes the query finds (the first is what Enter adds).
    pub fn matches<'m>(&self, menu: &'m Menu, limit: usize) -> Vec<&'m MenuItem> {
        menu.search(&self.query, limit)
    }

    /// Adds the best match for the query; false (with the reason in `error`)
    /// when nothing matches or the dish is sold out. The query is used up
    /// either way, so the cashier types the next one at once.
    pub fn add_best(&mut self, menu: &Menu) -> bool {
        let query = std::mem::take(&mut self.query);
        let Some(it) = menu.search(&query, 1).first().copied() else {
            self.error = Some(format!("no dish matches \"{query}\""));
            return false;
        };
        if !it.available {
            self.error = Some(format!("{} is sold out", it.name));
            return false;
        }
        self.add(it);
        true
    }

    /// Adds one of a dish (a second Enter on the same dish adds to its line).
    pub fn add(&mut self, it: &MenuItem) {
        self.query.clear();
        self.qty_typed.clear();
        self.error = None;
        if let Some(last) = self.lines.last_mut() {
            if last.sku == it.sku && last.modifiers.is_empty() {
                last.qty += 1;
                return;
            }
        }
        self.lines.push(EntryLine {
            sku: it.sku.clone(),
            name: it.name.clone(),
            unit_price: it.price,
            station: it.station.clone(),
            qty: 1,
            modifiers: Vec::new(),
            offered: it.modifiers.clone(),
        });
    }

    /// A digit typed with no query: the last line's quantity (`1`, `2` → 12).
    pub fn quantity_digit(&mut self, d: char) {
        let Some(last) = self.lines.last_mut() else {
            return;
        };
        if self.qty_typed.len() >= 3 {
            self.qty_typed.clear();
        }
        self.qty_typed.push(d);
        match self.qty_typed.parse::<u32>() {
            Ok(q) if q > 0 => last.qty = q,
            _ => self.qty_typed.clear(),
        }
    }

    /// Toggles the n-th (1-based) offered modifier on the last line.
    pub fn toggle_modifier(&mut self, n: usize) -> bool {
        let Some(last) = self.lines.last_mut() else {
            return false;
        };
        let Some(m) = n.checked_sub(1).and_then(|i| last.offered.get(i)).cloned() else {
            return false;
        };
        if let Some(pos) = last.modifiers.iter().position(|x| *x == m) {
            last.modifiers.remove(pos);
        } else {
            last.modifiers.push(m);
        }
        true
    }

    pub fn toggle_dining(&mut self) {
        self.dining = match self.dining {
            Dining::DineIn => Dining::Takeaway,
            Dining::Takeaway => Dining::DineIn,
        };
    }

    /// The ticket for the engine: dishes by sku, no prices (the engine
    /// prices them from its menu).
    pub fn ticket(&self) -> CounterTicket {
        let table = self.table.trim();
        CounterTicket {
            dining: self.dining,
            table: (self.dining == Dining::DineIn && !table.is_empty()).then(|| table.to_string()),
            note: self.note.trim().to_string(),
            items: self
                .lines
                .iter()
                .map(|l| CounterLine {
                    sku: l.sku.clone(),
                    qty: l.qty,
                    modifiers: l.modifiers.clone(),
                    note: String::new(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_in(e: &mut OrderEntry, m: &Menu, q: &str) {
        e.query = q.into();
        assert!(e.add_best(m), "{q} finds a dish");
    }

    #[test]
    fn three_dishes_with_a_modifier_and_a_quantity_total_up() {
        let m = Menu::demo();
        let mut e = OrderEntry::default();
        key_in(&mut e, &m, "gbjd");
        assert!(e.toggle_modifier(1));
        key_in(&mut e, &m, "mf");
        e.quantity_digit('2');
        key_in(&mut e, &m, "NMC");
        assert_eq!(e.total(), Fen(3800 + 2 * 200 + 1400));
        let t = e.ticket();
        assert_eq!(t.items.len(), 3);
        assert_eq!(t.items[0].modifiers, ["少辣"]);
        assert_eq!(t.items[1].qty, 2);
        assert_eq!(t.items[2].sku, "NMC");
        assert_eq!(t.dining, Dining::Takeaway);
    }

    #[test]
    fn a_sold_out_dish_is_not_added() {
        let m = Menu::demo();
        let mut e = OrderEntry {
            query: "sznr".into(),
            ..OrderEntry::default()
        };
        assert!(!e.add_best(&m));
        assert!(e.lines.is_empty());
        assert_eq!(e.error.as_deref(), Some("水煮牛肉 is sold out"));
    }

    #[test]
    fn a_table_is_kept_only_for_dining_in() {
        let mut e = OrderEntry {
            table: "12".into(),
            ..OrderEntry::default()
        };
        assert_eq!(e.ticket().table, None);
        e.toggle_dining();
        assert_eq!(e.ticket().table.as_deref(), Some("12"));
    }
}
