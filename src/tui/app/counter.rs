//! The cashier's counter: keying in an order from the menu, and charging a
//! scanned pay code through the platform from the settle dialog. Kept apart
//! from the other screens (an `impl App` of its own) so the cashier screen's other
//! work stays readable; its words are here too, in both languages.
//!
//! Keys in order entry: letters/digits type a sku or pinyin initials, Enter
//! adds the best match; a digit with nothing typed sets the last line's
//! quantity; `+` then a digit toggles a modifier of the last line; Tab
//! switches takeaway / dine-in; `#` types a table; `/` types a note;
//! Backspace with nothing typed removes the last line; Enter with nothing
//! typed confirms. In a pay-first store the settle dialog opens at once.

use super::{App, Dialog, Effect, Message, Note, Pending, SettleDialog, SettleStage};
use crate::counter::entry::EntryField;
use crate::counter::{Menu, OrderEntry};
use crate::domain::paycode::{channel_of, mask};
use crate::domain::status::LinkState;
use crate::domain::{
    AuthCode, Command, Event, EventBody, FirePolicy, Method, OrderId, PayChannel, TenderInput,
    TradeState,
};
use std::sync::Arc;

/// What the counter needs from the config: the menu and the parts of a
/// counter order's id (`S001-box1-000042`).
#[derive(Debug, Clone)]
pub struct CounterSetup {
    pub menu: Arc<Menu>,
    pub store_id: String,
    pub device_id: String,
}

/// A pay code sent to the platform, waiting for its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collecting {
    pub order_id: OrderId,
    pub masked: String,
    pub channel: PayChannel,
    /// The latest `trade_state` the platform sent for it (`None`: not yet).
    pub state: Option<TradeState>,
}

pub struct CounterWords {
    pub title: &'static str,
    pub search: &'static str,
    pub takeaway: &'static str,
    pub dine_in: &'static str,
    pub table: &'static str,
    pub note: &'static str,
    pub total: &'static str,
    pub empty: &'static str,
    pub keys: &'static str,
    pub modifier_keys: &'static str,
    pub placed: &'static str,
    pub no_menu: &'static str,
    pub no_match: &'static str,
    pub sold_out: &'static str,
    pub scan_online: &'static str,
    pub scan_manual: &'static str,
    pub scan_no_feed: &'static str,
    pub sent: &'static str,
    pub confirming: &'static str,
    pub failed: &'static str,
    pub paid: &'static str,
    pub unsent: &'static str,
}

const ZH: CounterWords = CounterWords {
    title: "点单",
    search: "编码/拼音",
    takeaway: "外带",
    dine_in: "堂食",
    table: "桌号",
    note: "备注",
    total: "合计",
    empty: "输入编码或拼音首字母, 回车加入",
    keys: "回车 加入/下单  数字 数量  + 口味  Tab 堂食/外带  # 桌号  / 备注  Esc 取消",
    modifier_keys: "按数字选口味, Esc 返回",
    placed: "已下单",
    no_menu: "没有菜单: 请把 menu.toml 放在配置文件旁边",
    no_match: "没有匹配的菜",
    sold_out: "已售完",
    scan_online: "扫码: 扫顾客付款码, 经平台收款",
    scan_manual: "网络未连接: 扫码只记为手工记录(带参考号), 或改收现金",
    scan_no_feed: "未接平台: 扫码只记为手工记录(带参考号)",
    sent: "付款码已发送, 等待平台",
    confirming: "顾客正在手机上确认付款…",
    failed: "付款失败",
    paid: "扫码收款成功",
    unsent: "待发",
};

const EN: CounterWords = CounterWords {
    title: "New order",
    search: "sku/pinyin",
    takeaway: "takeaway",
    dine_in: "dine in",
    table: "table",
    note: "note",
    total: "total",
    empty: "type a sku or pinyin initials, Enter adds",
    keys: "Enter add/confirm  digit qty  + modifier  Tab dine in/takeaway  # table  / note  Esc cancel",
    modifier_keys: "press the modifier's number, Esc back",
    placed: "placed",
    no_menu: "no menu: put menu.toml beside the config",
    no_match: "no dish matches",
    sold_out: "is sold out",
    scan_online: "scan: the customer's pay code, charged through the platform",
    scan_manual: "link down: scan is only a manual record (with reference), or take cash",
    scan_no_feed: "no platform feed: scan is only a manual record (with reference)",
    sent: "pay code sent, waiting for the platform",
    confirming: "customer is confirming on the phone…",
    failed: "payment failed",
    paid: "paid by pay code",
    unsent: "unsent",
};

pub fn words(chinese: bool) -> &'static CounterWords {
    if chinese {
        &ZH
    } else {
        &EN
    }
}

/// A typed entry that is a pay code rather than an amount.
fn looks_like_code(input: &str) -> bool {
    input.len() >= 16 && input.bytes().all(|b| b.is_ascii_digit())
}

impl App {
    /// Sets the counter up: without it, `n` says there is no menu.
    pub fn with_counter(mut self, setup: CounterSetup) -> App {
        self.counter = Some(setup);
        self
    }

    pub fn collecting(&self) -> Option<&Collecting> {
        self.collecting.as_ref()
    }

    /// Whether a scanned code can go to the platform now.
    pub fn link_up(&self) -> bool {
        self.feed.link == LinkState::Online
    }

    pub(super) fn open_counter(&mut self) {
        if self.counter.is_none() {
            self.note = Some(Note::Refused(words(self.words.chinese).no_menu.into()));
            return;
        }
        self.dialog = Some(Dialog::Counter(OrderEntry::default()));
    }

    pub(super) fn update_counter(&mut self, mut e: OrderEntry, msg: Message) -> Option<Effect> {
        let cw = words(self.words.chinese);
        let menu = self.counter.as_ref().map(|c| c.menu.clone())?;
        match (e.field, msg) {
            (EntryField::Search, Message::Escape) if !e.query.is_empty() => e.query.clear(),
            (EntryField::Search, Message::Escape) => return None,
            (_, Message::Escape) => e.field = EntryField::Search,
            (EntryField::Modifier, Message::Char(c)) if c.is_ascii_digit() => {
                let n = c.to_digit(10).unwrap_or(0) as usize;
                if e.toggle_modifier(n) {
                    e.field = EntryField::Search;
                }
            }
            (EntryField::Table, Message::Char(c))
                if c.is_ascii_alphanumeric() && e.table.len() < 8 =>
            {
                e.table.push(c)
            }
            (EntryField::Note, Message::Char(c)) if e.note.chars().count() < 40 => e.note.push(c),
            (EntryField::Table, Message::Backspace) => {
                e.table.pop();
            }
            (EntryField::Note, Message::Backspace) => {
                e.note.pop();
            }
            (EntryField::Table | EntryField::Note, Message::Enter) => e.field = EntryField::Search,
            (EntryField::Search, Message::NextField) => e.toggle_dining(),
            (EntryField::Search, Message::Char('+'))
                if e.query.is_empty() && e.lines.last().is_some_and(|l| !l.offered.is_empty()) =>
            {
                e.field = EntryField::Modifier
            }
            (EntryField::Search, Message::Char('#')) if e.query.is_empty() => {
                e.dining = crate::domain::Dining::DineIn;
                e.field = EntryField::Table;
            }
            (EntryField::Search, Message::Char('/')) if e.query.is_empty() => {
                e.field = EntryField::Note;
            }
            (EntryField::Search, Message::Char(c)) if c.is_ascii_digit() && e.query.is_empty() => {
                e.quantity_digit(c)
            }
            (EntryField::Search, Message::Char(c)) if c.is_ascii_alphanumeric() || c > '\u{7f}' => {
                if e.query.chars().count() < 16 {
                    e.query.push(c);
                }
                e.error = None;
            }
            (EntryField::Search, Message::Backspace) if e.query.is_empty() => {
                e.lines.pop();
                e.qty_typed.clear();
            }
            (EntryField::Search, Message::Backspace) => {
                e.query.pop();
            }
            (EntryField::Search, Message::Enter) if !e.query.is_empty() => {
                let q = e.query.clone();
                if !e.add_best(&menu) {
                    e.error = Some(match menu.search(&q, 1).first() {
                        Some(it) => format!("{} {}", it.name, cw.sold_out),
                        None => format!("{} \"{q}\"", cw.no_match),
                    });
                }
            }
            (EntryField::Search, Message::Enter) if !e.lines.is_empty() => {
                let setup = self.counter.as_ref()?;
                let cmd = Command::PlaceCounterOrder {
                    staff_id: self.staff_id_for_counter(),
                    store_id: setup.store_id.clone(),
                    device_id: setup.device_id.clone(),
                    ticket: e.ticket(),
                };
                self.dialog = Some(Dialog::Counter(e));
                return Some(Effect {
                    cmd,
                    then: Vec::new(),
                    pending: Pending::CounterOrder,
                });
            }
            _ => {}
        }
        self.dialog = Some(Dialog::Counter(e));
        None
    }

    fn staff_id_for_counter(&self) -> crate::domain::StaffId {
        self.staff
            .as_ref()
            .map(|s| s.id.clone())
            .expect("the counter opens only when someone is signed in")
    }

    /// The counter order is committed: close the entry; in a pay-first store
    /// open the settle dialog on it at once.
    pub(super) fn counter_placed(&mut self, events: &[Event]) {
        let cw = words(self.words.chinese);
        let placed = events.iter().find_map(|e| match &e.body {
            EventBody::OrderPlaced { order } => Some(order.clone()),
            _ => None,
        });
        let Some(order) = placed else {
            return;
        };
        self.dialog = None;
        self.note = Some(Note::Done(format!("{} {}", order.pickup_no, cw.placed)));
        self.cashier_selected = Some(order.id.clone());
        if self
            .source
            .local()
            .map(|h| h.config().rules.fire)
            .unwrap_or_default()
            == FirePolicy::OnPayment
        {
            self.dialog = Some(Dialog::Settle(SettleDialog {
                order_id: order.id,
                stage: SettleStage::Tender,
                method: Method::Cash,
                input: String::new(),
                tenders: Vec::new(),
                pin: String::new(),
                error: None,
            }));
        }
    }

    /// Enter in the settle dialog with a pay code typed under "scan": online
    /// it goes to the platform; offline it is a manual record whose
    /// reference is the masked code.
    pub(super) fn scan_code(&mut self, mut d: SettleDialog, pickup: String) -> Option<Effect> {
        let code = std::mem::take(&mut d.input);
        let masked = mask(&code);
        if self.link_up() {
            let order_id = d.order_id.clone();
            self.collecting = channel_of(&code).map(|channel| Collecting {
                order_id: order_id.clone(),
                masked: masked.clone(),
                channel,
                state: None,
            });
            d.error = None;
            self.dialog = Some(Dialog::Settle(d));
            return Some(Effect {
                cmd: Command::CollectPayCode {
                    order_id,
                    staff_id: self.staff_id_for_counter(),
                    auth_code: AuthCode(code),
                },
                then: Vec::new(),
                pending: Pending::Collect { pickup, masked },
            });
        }
        let left = self.settle_left(&d);
        d.tenders.push(TenderInput {
            method: Method::Scan,
            amount: left,
            tendered: None,
            reference: Some(masked),
        });
        d.stage = SettleStage::Pin;
        d.error = None;
        self.dialog = Some(Dialog::Settle(d));
        None
    }

    /// Follows the platform's answers to a scanned code: SUCCESS closes the
    /// dialog, a failure shows the channel's reason and offers cash.
    pub(super) fn follow_collect(&mut self, ev: &Event) {
        let Some(c) = &mut self.collecting else {
            return;
        };
        let EventBody::PaymentUpdated { update, .. } = &ev.body else {
            return;
        };
        if update.order_id != c.order_id {
            return;
        }
        c.state = Some(update.trade_state);
        let cw = words(self.words.chinese);
        let pickup = self
            .board
            .get(&c.order_id)
            .map(|st| st.order.pickup_no.clone())
            .unwrap_or_default();
        match update.trade_state {
            TradeState::Success => {
                if matches!(&self.dialog, Some(Dialog::Settle(d)) if d.order_id == c.order_id) {
                    self.dialog = None;
                }
                self.note = Some(Note::Done(format!("{pickup} {}", cw.paid)));
                self.collecting = None;
            }
            TradeState::Payerror | TradeState::Closed | TradeState::Revoked => {
                let reason = format!(
                    "{} {}: {} ({})",
                    c.masked,
                    cw.failed,
                    update.error_message.as_deref().unwrap_or(""),
                    update.error_code.as_deref().unwrap_or("")
                );
                if let Some(Dialog::Settle(d)) = &mut self.dialog {
                    if d.order_id == c.order_id {
                        d.method = Method::Cash;
                        d.stage = SettleStage::Tender;
                        d.error = Some(reason.clone());
                    }
                }
                self.note = Some(Note::Refused(reason));
                self.collecting = None;
            }
            _ => {}
        }
    }

    /// Whether Enter in the settle dialog means "charge this pay code".
    pub(super) fn is_pay_code_entry(d: &SettleDialog) -> bool {
        d.method == Method::Scan && looks_like_code(&d.input)
    }
}
