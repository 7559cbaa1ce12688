//! The counter's menu (`menu.toml`): categories and dishes with exact prices,
//! checked like the config (every error with its line and what to write), and
//! searched by sku or by the pinyin initials of the name (`gbjd` → 宫保鸡丁).

use crate::config::{line_of, ConfigError};
use crate::domain::Fen;
use pinyin::ToPinyin;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;
use toml::Spanned;

/// The demo menu, embedded for `passline demo` (the simulator's dishes).
pub const DEMO_MENU: &str = include_str!("demo_menu.toml");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub sku: String,
    pub name: String,
    pub price: Fen,
    pub station: String,
    pub modifiers: Vec<String>,
    pub available: bool,
    /// Index into `Menu::categories`.
    pub category: usize,
    /// The sku in lower case, for search.
    pub sku_key: String,
    /// Pinyin initials of the name in lower case (`gbjd`).
    pub initials: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Menu {
    pub categories: Vec<String>,
    pub items: Vec<MenuItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MenuFile {
    #[serde(default)]
    category: Vec<CategoryFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryFile {
    name: String,
    #[serde(default)]
    item: Vec<ItemFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemFile {
    sku: Spanned<String>,
    name: Spanned<String>,
    price: Spanned<toml::Value>,
    station: Spanned<String>,
    #[serde(default)]
    modifiers: Vec<String>,
    #[serde(default = "yes")]
    available: bool,
}

fn yes() -> bool {
    true
}

/// The pinyin initials of a name: Chinese characters give their first
/// letter, letters and digits stay (lower case), the rest is skipped.
pub fn initials(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c.to_pinyin() {
            Some(p) => p.first_letter().chars().next(),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            None => None,
        })
        .collect()
}

impl Menu {
    /// Reads and checks a menu file. `stations` are the stations the
    /// printers claim; when empty, any station is accepted.
    pub fn load(path: &Path, stations: &[String]) -> Result<Menu, Vec<ConfigError>> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Menu::parse(&text, &file, stations),
            Err(e) => Err(vec![ConfigError {
                file,
                line: 0,
                message: format!(
                    "cannot read the menu ({e}): put menu.toml beside the config or set [store] menu"
                ),
            }]),
        }
    }

    /// The demo menu (always valid: a test checks it).
    pub fn demo() -> Menu {
        Menu::parse(DEMO_MENU, "demo menu", &[]).unwrap_or_default()
    }

    /// Parses and checks a menu text; every error found, with its line.
    pub fn parse(text: &str, file: &str, stations: &[String]) -> Result<Menu, Vec<ConfigError>> {
        let line_at = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let raw: MenuFile = toml::from_str(text).map_err(|e| {
            vec![ConfigError {
                file: file.to_string(),
                line: e.span().map(|s| line_at(s.start)).unwrap_or(0),
                message: format!(
                    "{}: each dish is a [[category.item]] with sku, name, price = \"38.00\", station",
                    e.message().trim()
                ),
            }]
        })?;
        let mut errs = Vec::new();
        let mut err = |line: usize, message: String| {
            errs.push(ConfigError {
                file: file.to_string(),
                line,
                message,
            })
        };
        if raw.category.is_empty() {
            err(
                1,
                "the menu has no [[category]]: add one with its dishes".into(),
            );
        }
        let claimed: HashSet<&str> = stations.iter().map(String::as_str).collect();
        let mut seen = HashSet::new();
        let mut menu = Menu::default();
        for (ci, cat) in raw.category.into_iter().enumerate() {
            if cat.name.trim().is_empty() {
                err(
                    line_of(text, "[[category]]"),
                    "a category needs a name".into(),
                );
            }
            menu.categories.push(cat.name);
            for it in cat.item {
                let sku_line = line_at(it.sku.span().start);
                let sku = it.sku.into_inner().trim().to_string();
                if sku.is_empty() || !sku.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    err(
                        sku_line,
                        format!(
                            "sku \"{sku}\" is not valid: use letters, digits and -, like \"GBJD\""
                        ),
                    );
                } else if sku.starts_with(|c: char| c.is_ascii_digit()) {
                    err(
                        sku_line,
                        format!("sku \"{sku}\" starts with a digit, which the till reads as a quantity: start it with a letter, like \"D{sku}\""),
                    );
                } else if !seen.insert(sku.to_ascii_lowercase()) {
                    err(
                        sku_line,
                        format!("sku \"{sku}\" appears twice: give each dish its own sku"),
                    );
                }
                let name_line = line_at(it.name.span().start);
                let name = it.name.into_inner();
                if name.trim().is_empty() {
                    err(
                        name_line,
                        format!("dish {sku} has no name: write name = \"宫保鸡丁\""),
                    );
                }
                let price_line = line_at(it.price.span().start);
                let price = match it.price.into_inner() {
                    toml::Value::String(s) => match Fen::parse_yuan(&s) {
                        Ok(f) if f.is_positive() => Some(f),
                        Ok(_) => {
                            err(
                                price_line,
                                format!("price of {sku} is zero: write it in yuan, like \"38.00\""),
                            );
                            None
                        }
                        Err(e) => {
                            err(
                                price_line,
                                format!(
                                    "price of {sku}: {e}; write it as a string, like \"38.00\""
                                ),
                            );
                            None
                        }
                    },
                    other => {
                        err(
                            price_line,
                            format!(
                                "price of {sku} is {other}: write it as a string in yuan, like price = \"38.00\" (never a number, to stay exact)"
                            ),
                        );
                        None
                    }
                };
                let station_line = line_at(it.station.span().start);
                let station = it.station.into_inner();
                if station.trim().is_empty() {
                    err(
                        station_line,
                        format!("dish {sku} has no station: write station = \"hot\""),
                    );
                } else if !claimed.is_empty() && !claimed.contains(station.as_str()) {
                    let mut known: Vec<&str> = claimed.iter().copied().collect();
                    known.sort_unstable();
                    err(
                        station_line,
                        format!(
                            "no printer claims station \"{station}\" of {sku}: use one of {} or add it to a printer's stations",
                            known.join(", ")
                        ),
                    );
                }
                let initials = initials(&name);
                menu.items.push(MenuItem {
                    sku_key: sku.to_ascii_lowercase(),
                    sku,
                    name,
                    price: price.unwrap_or(Fen::ZERO),
                    station,
                    modifiers: it.modifiers,
                    available: it.available,
                    category: ci,
                    initials,
                });
            }
        }
        if errs.is_empty() {
            Ok(menu)
        } else {
            Err(errs)
        }
    }

    pub fn by_sku(&self, sku: &str) -> Option<&MenuItem> {
        let key = sku.to_ascii_lowercase();
        self.items.iter().find(|i| i.sku_key == key)
    }

    /// The dishes a typed query finds, best first: exact sku, exact initials,
    /// then sku or initials starting with it, then containing it (also in
    /// the name). Dishes sold out come after the rest. At most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<&MenuItem> {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u8, usize)> = Vec::new();
        for (i, it) in self.items.iter().enumerate() {
            let rank = if it.sku_key == q {
                0
            } else if it.initials == q {
                1
            } else if it.sku_key.starts_with(&q) || it.initials.starts_with(&q) {
                2
            } else if it.sku_key.contains(&q)
                || it.initials.contains(&q)
                || it.name.contains(query.trim())
            {
                3
            } else {
                continue;
            };
            let rank = if it.available { rank } else { rank + 4 };
            hits.push((rank, i));
        }
        hits.sort_unstable();
        hits.into_iter()
            .take(limit)
            .map(|(_, i)| &self.items[i])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_error(text: &str, stations: &[&str]) -> ConfigError {
        let st: Vec<String> = stations.iter().map(|s| s.to_string()).collect();
        let mut e = Menu::parse(text, "menu.toml", &st).expect_err("the menu is bad");
        assert_eq!(e.len(), 1, "{e:?}");
        e.remove(0)
    }

    const GOOD: &str = "[[category]]\nname = \"热菜\"\n\n[[category.item]]\nsku = \"GBJD\"\nname = \"宫保鸡丁\"\nprice = \"38.00\"\nstation = \"hot\"\nmodifiers = [\"少辣\"]\n";

    #[test]
    fn the_demo_menu_is_valid_and_has_the_simulators_dishes() {
        let m = Menu::parse(DEMO_MENU, "demo", &[]).expect("demo menu parses");
        assert_eq!(m.items.len(), 21);
        assert_eq!(m.by_sku("gbjd").map(|i| i.price), Some(Fen(3800)));
        assert_eq!(m.categories, ["热菜", "凉菜", "主食", "饮品"]);
    }

    #[test]
    fn initials_are_the_first_letters_of_the_pinyin() {
        assert_eq!(initials("宫保鸡丁"), "gbjd");
        assert_eq!(initials("西红柿炒鸡蛋"), "xhscjd");
        assert_eq!(initials("可乐 330ml"), "kl330ml");
    }

    #[test]
    fn a_dish_is_found_by_sku_or_by_initials() {
        let m = Menu::demo();
        assert_eq!(m.search("gbjd", 5)[0].name, "宫保鸡丁");
        assert_eq!(m.search("NMC", 5)[0].name, "柠檬茶");
        assert_eq!(
            m.search("牛肉", 5)[0].name,
            "牛肉面",
            "sold-out 水煮牛肉 comes last"
        );
        let gb: Vec<&str> = m.search("gb", 5).iter().map(|i| i.sku.as_str()).collect();
        assert_eq!(gb, ["GBJD", "GBSJD"]);
        assert!(m.search("zzz", 5).is_empty());
    }

    #[test]
    fn a_good_menu_parses() {
        let m = Menu::parse(GOOD, "menu.toml", &["hot".into()]).expect("parses");
        assert_eq!(m.items[0].modifiers, ["少辣"]);
        assert!(m.items[0].available);
    }

    #[test]
    fn a_number_price_is_refused_with_what_to_write() {
        let e = one_error(&GOOD.replace("\"38.00\"", "38.5"), &[]);
        assert_eq!(e.line, 7);
        assert!(
            e.message.contains("like price = \"38.00\""),
            "{}",
            e.message
        );
    }

    #[test]
    fn an_unreadable_price_names_its_line() {
        let e = one_error(&GOOD.replace("38.00", "38.001"), &[]);
        assert_eq!(e.line, 7);
        assert!(
            e.message.contains("more than two decimals"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_station_no_printer_claims_is_an_error() {
        let e = one_error(GOOD, &["cold", "bar"]);
        assert_eq!(e.line, 8);
        assert!(e.message.contains("use one of bar, cold"), "{}", e.message);
    }

    #[test]
    fn a_repeated_sku_is_an_error() {
        let text = format!("{GOOD}\n[[category.item]]\nsku = \"gbjd\"\nname = \"x\"\nprice = \"1\"\nstation = \"hot\"\n");
        let e = one_error(&text, &[]);
        assert_eq!(e.line, 12);
        assert!(e.message.contains("appears twice"));
    }

    #[test]
    fn a_sku_starting_with_a_digit_is_refused_with_a_fix() {
        let e = one_error(&GOOD.replace("\"GBJD\"", "\"101\""), &[]);
        assert_eq!(e.line, 5);
        assert!(e.message.contains("like \"D101\""), "{}", e.message);
    }

    #[test]
    fn an_unknown_key_names_its_line() {
        let e = one_error(&GOOD.replace("modifiers", "modifers"), &[]);
        assert_eq!(e.line, 9);
    }
}
