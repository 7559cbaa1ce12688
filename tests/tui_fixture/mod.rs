//! A deterministic store for the console's tests: a lunch rush placed through
//! the engine as platform events, with a fixed clock, staff, a receipt
//! printer, and helpers to draw the app on a `TestBackend` and press keys.
#![allow(dead_code)]

use crate::common::TestStore;
use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use passline::config::Language;
use passline::domain::*;
use passline::engine::Clock;
use passline::feed::status::{FeedStatus, LinkState};
use passline::print::route::{PrinterRoute, Routes};
use passline::print::status::{PrinterState, PrinterStatus, SpoolStatus};
use passline::tui::{keys, theme::Theme, App, UiOptions};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;

pub struct Lunch {
    pub t: TestStore,
    seq: u64,
}

pub fn routes() -> Routes {
    Routes {
        printers: vec![
            PrinterRoute {
                name: "kitchen".into(),
                stations: vec!["hot".into(), "cold".into()],
                receipts: false,
                drawer: false,
            },
            PrinterRoute {
                name: "counter".into(),
                stations: vec!["drinks".into()],
                receipts: true,
                drawer: true,
            },
        ],
        receipt_on_settle: true,
    }
}

/// One line of an order: (line, sku, dish, qty, unit price in fen, station), modifiers, note.
fn item(dish: (u32, &str, &str, u32, i64, &str), mods: &[&str], note: &str) -> serde_json::Value {
    let (line, sku, name, qty, price, station) = dish;
    json!({"line": line, "sku": sku, "name": name, "qty": qty, "unit_price": price,
           "station": station, "modifiers": mods, "note": note})
}

impl Lunch {
    /// Six orders placed between 12:00 and 12:12, the clock then at 12:14:15.
    pub fn new() -> Lunch {
        let t = TestStore::with_routes(
            Rules {
                fire: FirePolicy::OnPayment,
                cash_rounding: CashRounding::Fen,
                ..Default::default()
            },
            routes(),
        );
        t.demo_staff();
        let mut l = Lunch { t, seq: 0 };
        l.place(
            0,
            json!({"id": "WX-001", "pickup_no": "A001", "table": "12", "channel": "wechat_mini", "dining": "dine_in", "note": ""}),
            vec![
                item((1, "GBJD", "宫保鸡丁", 2, 3800, "hot"), &["少辣"], "不要花生"),
                item((2, "MF", "米饭", 2, 200, "hot"), &[], ""),
            ],
        );
        l.pay("WX-001", "SUCCESS", 8000, None, Some("tx-001"));
        l.place(
            2,
            json!({"id": "WX-002", "pickup_no": "A002", "table": "7", "channel": "wechat_mini", "dining": "dine_in", "note": ""}),
            vec![
                item((1, "YXRS", "鱼香肉丝", 1, 3200, "hot"), &[], ""),
                item((2, "SMT", "酸梅汤", 1, 800, "drinks"), &["少冰"], ""),
            ],
        );
        l.pay("WX-002", "PAYERROR", 4000, Some("BANKERROR"), None);
        l.place(
            4,
            json!({"id": "AL-003", "pickup_no": "A003", "table": null, "channel": "alipay_mini", "dining": "takeaway", "note": ""}),
            vec![item((1, "MPDF", "麻婆豆腐", 1, 2600, "hot"), &["微辣"], "")],
        );
        l.pay("AL-003", "USERPAYING", 2600, None, None);
        l.place(
            6,
            json!({"id": "WX-004", "pickup_no": "A004", "table": "3", "channel": "wechat_mini", "dining": "dine_in", "note": "生日, 先上凉菜"}),
            vec![
                item((1, "PHG", "拍黄瓜", 1, 1200, "cold"), &[], ""),
                item((2, "GBJD", "宫保鸡丁", 1, 3800, "hot"), &[], ""),
                item((3, "SMT", "酸梅汤", 2, 800, "drinks"), &[], "一杯去冰"),
            ],
        );
        l.pay("WX-004", "SUCCESS", 6600, None, Some("tx-004"));
        l.place(
            9,
            json!({"id": "WX-005", "pickup_no": "A005", "table": "9", "channel": "wechat_mini", "dining": "dine_in", "note": ""}),
            vec![item((1, "HSR", "红烧肉", 1, 4800, "hot"), &[], "")],
        );
        l.place(
            11,
            json!({"id": "AL-006", "pickup_no": "A006", "table": null, "channel": "alipay_mini", "dining": "takeaway", "note": ""}),
            vec![item((1, "GBJD", "宫保鸡丁", 1, 3800, "hot"), &["加辣"], "")],
        );
        l.pay("AL-006", "PAYERROR", 3800, Some("TIMEOUT"), None);
        l.t.clock.advance(Duration::seconds(150));
        l
    }

    fn minutes(m: i64) -> String {
        format!("2026-11-25T12:{:02}:05+08:00", m)
    }

    /// Places an order at 12:mm:05 (the engine's clock moves there first).
    pub fn place(&mut self, minute: i64, head: serde_json::Value, items: Vec<serde_json::Value>) {
        let due: i64 = items
            .iter()
            .map(|i| i["qty"].as_i64().unwrap_or(0) * i["unit_price"].as_i64().unwrap_or(0))
            .sum();
        let mut order = head;
        order["placed_at"] = json!(Self::minutes(minute));
        order["currency"] = json!("CNY");
        order["amount_due"] = json!(due);
        order["items"] = json!(items);
        let order: Order = serde_json::from_value(order).expect("a valid order");
        let now = self.t.clock.now();
        let target = chrono::DateTime::parse_from_rfc3339(&Self::minutes(minute)).expect("time");
        if target > now {
            self.t.clock.advance(target - now);
        }
        self.platform(PlatformEvent::OrderPlaced { order });
    }

    pub fn pay(
        &mut self,
        id: &str,
        state: &str,
        amount: i64,
        code: Option<&str>,
        tx: Option<&str>,
    ) {
        self.t.clock.advance(Duration::seconds(40));
        let at = self.t.clock.now().to_rfc3339();
        let ev: PlatformEvent = serde_json::from_value(json!({
            "kind": "payment.updated", "order_id": id, "channel": if id.starts_with("AL") { "alipay" } else { "wechat" },
            "trade_state": state, "amount": amount, "transaction_id": tx,
            "error_code": code, "error_message": code.map(|_| "channel message"), "at": at
        }))
        .expect("a valid payment");
        self.platform(ev);
    }

    pub fn platform(&mut self, event: PlatformEvent) {
        self.seq += 1;
        self.t
            .h()
            .execute_blocking(
                None,
                Command::Platform {
                    seq: self.seq,
                    event,
                },
            )
            .expect("the platform event is accepted");
    }

    pub fn quarantine(&mut self) {
        self.seq += 1;
        self.t
            .h()
            .execute_blocking(
                None,
                Command::Quarantine {
                    seq: Some(self.seq),
                    raw: "{\"kind\":\"order.placed\",".into(),
                    error: "EOF while parsing an object".into(),
                },
            )
            .expect("quarantine is committed");
    }

    /// A7: the customer paid cash at the counter, then the online payment went through too.
    pub fn double_payment(&mut self) {
        self.place(
            13,
            json!({"id": "WX-007", "pickup_no": "A007", "table": "5", "channel": "wechat_mini", "dining": "dine_in", "note": ""}),
            vec![item((1, "SLT", "酸辣汤", 1, 1800, "hot"), &[], "")],
        );
        self.pay("WX-007", "PAYERROR", 1800, Some("SYSTEMERROR"), None);
        self.t
            .h()
            .execute_blocking(
                None,
                Command::Settle {
                    order_id: "WX-007".into(),
                    staff_id: "01".into(),
                    pin: None,
                    tenders: vec![TenderInput {
                        method: Method::Cash,
                        amount: Fen(1800),
                        tendered: Some(Fen(2000)),
                        reference: None,
                    }],
                },
            )
            .expect("cash settles");
        self.pay("WX-007", "SUCCESS", 1800, None, Some("tx-007"));
    }

    pub fn staff(&self, id: &str) -> Staff {
        let (name, role) = match id {
            "01" => ("王芳", Role::Cashier),
            "21" => ("李强", Role::Kitchen),
            _ => ("张经理", Role::Manager),
        };
        Staff {
            id: id.into(),
            name: name.into(),
            role,
            active: true,
        }
    }

    pub fn options(&self, language: Language) -> UiOptions {
        UiOptions {
            store_name: "老王川菜".into(),
            language,
            theme: Theme::default_dark(),
            theme_problem: None,
            warn_minutes: 5,
            late_minutes: 10,
            paying_alert_seconds: 90,
            stations: Vec::new(),
            clock: self.t.clock.clone(),
            profiles: Default::default(),
            shop: Default::default(),
        }
    }

    pub fn app(&self, language: Language, who: Option<&str>) -> App {
        App::new(
            self.t.h(),
            feed_online(),
            printers_ok(),
            self.options(language),
            who.map(|w| self.staff(w)),
            None,
        )
    }
}

pub fn feed_online() -> FeedStatus {
    FeedStatus {
        link: LinkState::Online,
        quarantined: 0,
        unsent_reports: 0,
        cursor: 9,
    }
}

pub fn feed_offline() -> FeedStatus {
    FeedStatus {
        link: LinkState::Offline {
            since: chrono::DateTime::parse_from_rfc3339("2026-11-25T12:10:00+08:00").expect("time"),
        },
        quarantined: 1,
        unsent_reports: 2,
        cursor: 9,
    }
}

pub fn printers_ok() -> SpoolStatus {
    vec![
        PrinterStatus {
            name: "kitchen".into(),
            label: "厨房".into(),
            state: PrinterState::Online,
            queued: 0,
            last_error: None,
            since: None,
        },
        PrinterStatus {
            name: "counter".into(),
            label: "前台".into(),
            state: PrinterState::Online,
            queued: 0,
            last_error: None,
            since: None,
        },
    ]
}

pub fn printers_paper_out() -> SpoolStatus {
    let mut p = printers_ok();
    p[0].state = PrinterState::PaperOut;
    p[0].queued = 3;
    p
}

/// The screen as text, one quoted line per row.
pub fn draw(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
    term.draw(|f| f.render_widget(app, f.area()))
        .expect("draws");
    term.backend().to_string()
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Presses one key: the message it maps to, the command it runs, the events it commits.
pub async fn press(app: &mut App, code: KeyCode) {
    if let Some(msg) = keys::message_for(app, key(code)) {
        app.handle(msg).await;
    }
    app.drain_events();
}

/// Types each character as a key press (Enter is `\n`, Tab is `\t`).
pub async fn type_keys(app: &mut App, text: &str) {
    for c in text.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\t' => KeyCode::Tab,
            c => KeyCode::Char(c),
        };
        press(app, code).await;
    }
}

impl Lunch {
    /// A8 arrives and its payment fails with NOTENOUGH.
    pub fn place_and_fail(&mut self) {
        self.place(
            14,
            json!({"id": "WX-008", "pickup_no": "A008", "table": "2", "channel": "wechat_mini", "dining": "dine_in", "note": ""}),
            vec![item((1, "KSC", "烤时蔬", 1, 2200, "hot"), &[], "")],
        );
        self.pay("WX-008", "PAYERROR", 2200, Some("NOTENOUGH"), None);
    }
}
