//! The kitchen rail: cards in arrival order, a station filter, the all-day
//! counts, and bumping by card, pickup number or dish.

use super::message::{Effect, Message, Note, Pending};
use super::App;
use crate::domain::{Command, Kitchen, OrderId, OrderState};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default)]
pub struct RailState {
    pub selected: usize,
    /// Index of the selected dish among the selected card's cooking lines.
    pub item: Option<usize>,
    /// Digits typed on the keypad.
    pub input: String,
    /// Index into `stations()`; `None` shows every station.
    pub station: Option<usize>,
}

/// The digits of a pickup number (`A007` → 7).
pub fn pickup_digits(pickup: &str) -> Option<u64> {
    let d: String = pickup.chars().filter(|c| c.is_ascii_digit()).collect();
    d.parse().ok()
}

impl App {
    /// The stations this screen can filter by.
    pub fn stations(&self) -> Vec<String> {
        if !self.opts.stations.is_empty() {
            return self.opts.stations.clone();
        }
        let set: BTreeSet<&str> = self
            .board
            .values()
            .flat_map(|st| st.order.items.iter().map(|i| i.station.as_str()))
            .collect();
        set.into_iter().map(str::to_string).collect()
    }

    /// The station filter in force: one station, or the configured set.
    pub fn station_filter(&self) -> Option<Vec<String>> {
        match self.rail.station {
            Some(i) => self.stations().get(i).map(|s| vec![s.clone()]),
            None if !self.opts.stations.is_empty() => Some(self.opts.stations.clone()),
            None => None,
        }
    }

    /// Lines of an order that this rail shows (cooking or just bumped), in line order.
    pub fn rail_lines<'a>(
        &self,
        st: &'a OrderState,
        filter: &Option<Vec<String>>,
    ) -> Vec<&'a crate::domain::Item> {
        let mut items: Vec<&crate::domain::Item> = st
            .order
            .items
            .iter()
            .filter(|i| filter.as_ref().is_none_or(|f| f.contains(&i.station)))
            .filter(|i| {
                matches!(
                    st.lines.get(&i.line),
                    Some(Kitchen::Fired) | Some(Kitchen::Ready)
                )
            })
            .collect();
        items.sort_by_key(|i| i.line);
        items
    }

    /// Orders on the rail: something fired and not yet bumped, in arrival order.
    pub fn rail_orders(&self) -> Vec<&OrderState> {
        let filter = self.station_filter();
        let mut v: Vec<&OrderState> = self
            .board
            .values()
            .filter(|st| !st.is_closed_by_cancel())
            .filter(|st| {
                st.order.items.iter().any(|i| {
                    st.lines.get(&i.line) == Some(&Kitchen::Fired)
                        && filter.as_ref().is_none_or(|f| f.contains(&i.station))
                })
            })
            .collect();
        v.sort_by(|a, b| {
            (a.fired_at.unwrap_or(a.order.placed_at), &a.order.id)
                .cmp(&(b.fired_at.unwrap_or(b.order.placed_at), &b.order.id))
        });
        v
    }

    /// Bumped and not yet served, oldest first.
    pub fn ready_orders(&self) -> Vec<&OrderState> {
        let mut v: Vec<&OrderState> = self
            .board
            .values()
            .filter(|st| st.bumped_at.is_some() && !st.served && st.kitchen() == Kitchen::Ready)
            .collect();
        v.sort_by_key(|st| st.bumped_at);
        v
    }

    /// Open quantity of each dish on the rail (the "all-day" counts).
    pub fn all_day(&self) -> Vec<(String, u32)> {
        let filter = self.station_filter();
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        for st in self.rail_orders() {
            for it in &st.order.items {
                if st.lines.get(&it.line) == Some(&Kitchen::Fired)
                    && filter.as_ref().is_none_or(|f| f.contains(&it.station))
                {
                    *counts.entry(it.name.as_str()).or_default() += it.qty;
                }
            }
        }
        let mut v: Vec<(String, u32)> = counts
            .into_iter()
            .map(|(k, n)| (k.to_string(), n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// Finds an order by what was typed: 1-2 digits are a card number, more
    /// are the pickup number's digits (`7` is card 7, `007` is pickup A007).
    pub(super) fn find_typed<'a>(
        &self,
        typed: &str,
        among: &[&'a OrderState],
    ) -> Option<&'a OrderState> {
        let n: u64 = typed.parse().ok()?;
        if typed.len() <= 2 {
            if let Some(st) = usize::try_from(n)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| among.get(i))
            {
                return Some(st);
            }
        }
        among
            .iter()
            .copied()
            .find(|st| pickup_digits(&st.order.pickup_no) == Some(n))
    }

    /// What Enter bumps: the typed card or pickup number, else the selected
    /// card (or its selected dish). A station screen bumps only its own
    /// dishes: the whole order when they are all that still cooks.
    pub(super) fn bump_target(&self, typed: &str) -> Option<(OrderId, String, Vec<Option<u32>>)> {
        let cards = self.rail_orders();
        let filter = self.station_filter();
        let (st, chosen) = if typed.is_empty() {
            let st = cards.get(self.rail.selected).copied()?;
            let chosen = self
                .rail
                .item
                .and_then(|i| self.rail_lines(st, &filter).get(i).map(|it| it.line));
            (st, chosen)
        } else {
            (self.find_typed(typed, &cards)?, None)
        };
        let fired: Vec<u32> = st
            .lines
            .iter()
            .filter(|(_, k)| **k == Kitchen::Fired)
            .map(|(l, _)| *l)
            .collect();
        let lines = match (chosen, &filter) {
            (Some(l), _) => vec![Some(l)],
            (None, None) => vec![None],
            (None, Some(_)) => {
                let mine: Vec<u32> = self
                    .rail_lines(st, &filter)
                    .iter()
                    .map(|i| i.line)
                    .filter(|l| fired.contains(l))
                    .collect();
                if mine.len() == fired.len() {
                    vec![None]
                } else {
                    mine.into_iter().map(Some).collect()
                }
            }
        };
        Some((st.order.id.clone(), st.order.pickup_no.clone(), lines))
    }

    pub(super) fn update_rail(&mut self, msg: Message) -> Option<Effect> {
        let count = self.rail_orders().len();
        match msg {
            Message::Char(c) if c.is_ascii_digit() => {
                if self.rail.input.len() < 6 {
                    self.rail.input.push(c);
                }
                None
            }
            Message::Backspace => {
                self.rail.input.pop();
                None
            }
            Message::Escape => {
                self.rail.input.clear();
                self.rail.item = None;
                None
            }
            Message::Left | Message::Up => {
                self.rail.selected = self.rail.selected.saturating_sub(1);
                self.rail.item = None;
                None
            }
            Message::Right | Message::Down => {
                if self.rail.selected + 1 < count {
                    self.rail.selected += 1;
                }
                self.rail.item = None;
                None
            }
            Message::NextItem => {
                let filter = self.station_filter();
                let n = self
                    .rail_orders()
                    .get(self.rail.selected)
                    .map(|st| self.rail_lines(st, &filter).len())
                    .unwrap_or(0);
                self.rail.item = match self.rail.item {
                    None if n > 0 => Some(0),
                    Some(i) if i + 1 < n => Some(i + 1),
                    _ => None,
                };
                None
            }
            Message::NextStation => {
                let n = self.stations().len();
                self.rail.station = match self.rail.station {
                    None if n > 0 => Some(0),
                    Some(i) if i + 1 < n => Some(i + 1),
                    _ => None,
                };
                self.rail.selected = 0;
                self.rail.item = None;
                None
            }
            Message::Enter => {
                let typed = std::mem::take(&mut self.rail.input);
                let target = self.bump_target(&typed);
                self.rail.item = None;
                match target {
                    Some((order_id, pickup, lines)) => {
                        let staff_id = self.staff_id();
                        let mut cmds = lines.into_iter().map(|line| Command::Bump {
                            order_id: order_id.clone(),
                            staff_id: staff_id.clone(),
                            line,
                        });
                        let cmd = cmds.next()?;
                        Some(Effect {
                            cmd,
                            then: cmds.collect(),
                            pending: Pending::Bump { pickup },
                        })
                    }
                    None => {
                        self.note = Some(Note::Refused(format!(
                            "{}: {typed}",
                            self.words.no_such_card
                        )));
                        None
                    }
                }
            }
            Message::Recall => Some(Effect {
                cmd: Command::Recall {
                    staff_id: self.staff_id(),
                    order_id: None,
                },
                pending: Pending::Recall,
                then: Vec::new(),
            }),
            Message::Serve => {
                let typed = std::mem::take(&mut self.rail.input);
                let target = {
                    let ready = self.ready_orders();
                    let st = if typed.is_empty() {
                        ready.first().copied()
                    } else {
                        self.find_typed(&typed, &ready)
                    };
                    st.map(|st| (st.order.id.clone(), st.order.pickup_no.clone()))
                };
                let Some((order_id, pickup)) = target else {
                    self.note = Some(Note::Refused(format!(
                        "{}: {typed}",
                        self.words.no_such_card
                    )));
                    return None;
                };
                Some(Effect {
                    cmd: Command::Serve {
                        order_id,
                        staff_id: self.staff_id(),
                    },
                    pending: Pending::Serve { pickup },
                    then: Vec::new(),
                })
            }
            _ => None,
        }
    }
}
