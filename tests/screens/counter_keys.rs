//! The counter by keys alone: a cashier keys in a three-dish order by sku or
//! by pinyin initials, the settle dialog opens at once (pay first), cash
//! settles it; the checks read the engine (order, change, tickets, outbox).

use crate::tui_fixture;

use crossterm::event::KeyCode;
use passline::config::Language;
use passline::counter::Menu;
use passline::domain::*;
use passline::tui::app::counter::CounterSetup;
use passline::tui::app::{Dialog, Note};
use passline::tui::App;
use std::sync::Arc;
use tui_fixture::*;

/// Stations as the fixture's printers claim them: hot and cold to the
/// kitchen, drinks to the counter.
const MENU: &str = r#"
[[category]]
name = "热菜"
[[category.item]]
sku = "HOT1"
name = "宫保鸡丁"
price = "38.00"
station = "hot"
modifiers = ["少辣", "不要花生"]
[[category.item]]
sku = "HOT2"
name = "干煸四季豆"
price = "24.00"
station = "hot"

[[category]]
name = "主食"
[[category.item]]
sku = "RICE"
name = "米饭"
price = "2.00"
station = "hot"

[[category]]
name = "饮品"
[[category.item]]
sku = "TEA"
name = "柠檬茶"
price = "14.00"
station = "drinks"
modifiers = ["少冰", "去冰"]
[[category.item]]
sku = "COLA"
name = "可乐"
price = "6.00"
station = "drinks"
available = false
"#;

fn test_menu() -> Arc<Menu> {
    let stations = vec!["hot".to_string(), "cold".into(), "drinks".into()];
    Arc::new(Menu::parse(MENU, "menu.toml", &stations).expect("the test menu is valid"))
}

/// The lunch rush on a console whose engine prices from the test menu.
fn counter_lunch() -> Lunch {
    let mut lunch = Lunch::new();
    lunch.t.menu = Some(test_menu());
    lunch.t.restart();
    lunch
}

fn counter_app(lunch: &Lunch, language: Language) -> App {
    lunch.app(language, Some("01")).with_counter(CounterSetup {
        menu: test_menu(),
        store_id: "S001".into(),
        device_id: "box1".into(),
    })
}

/// Keys the order in, counting every key pressed.
async fn key_in(app: &mut App, keys: &str) -> usize {
    type_keys(app, keys).await;
    keys.chars().count()
}

async fn settle_in_cash_and_check(app: &mut App, lunch: &Lunch) {
    let h = lunch.t.h();
    let Some(Dialog::Settle(d)) = app.dialog() else {
        panic!("a pay-first store opens the settle dialog at once");
    };
    let id = d.order_id.clone();
    assert_eq!(id.0, "S001-box1-000001");
    type_keys(app, "c100\n1234\n").await;
    assert!(app.dialog().is_none(), "paid, the dialog closes");
    let st = h.order(&id).expect("store").expect("order");
    assert_eq!(st.order.pickup_no, "C001");
    assert_eq!(st.order.channel, Channel::Counter);
    let items: Vec<(&str, u32, Vec<String>)> = st
        .order
        .items
        .iter()
        .map(|i| (i.name.as_str(), i.qty, i.modifiers.clone()))
        .collect();
    assert_eq!(
        items,
        [
            ("宫保鸡丁", 1, vec!["少辣".to_string()]),
            ("米饭", 2, vec![]),
            ("柠檬茶", 1, vec![]),
        ]
    );
    assert_eq!(st.order.amount_due, Fen(3800 + 400 + 1400));
    assert_eq!(st.payment(), PaymentSummary::PaidInStore);
    assert_eq!(st.change(), Fen(4400));
    assert_eq!(st.kitchen(), Kitchen::Fired, "paid, it fires");
    let jobs = h.jobs().expect("spool");
    let tickets: Vec<&str> = jobs
        .iter()
        .filter(|j| j.doc.order_id() == Some(id.0.as_str()) && j.doc.kind() != "receipt")
        .map(|j| j.printer.as_str())
        .collect();
    assert!(
        tickets.contains(&"kitchen"),
        "hot dishes to the kitchen: {tickets:?}"
    );
    assert!(
        tickets.contains(&"counter"),
        "the tea to the counter: {tickets:?}"
    );
    let reports: Vec<&'static str> = h
        .outbox()
        .expect("outbox")
        .iter()
        .filter(|e| e.report.order_id() == &id)
        .map(|e| e.report.kind())
        .collect();
    assert_eq!(reports, ["order.placed", "payment.settled", "order.status"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn three_dishes_by_sku_with_a_modifier_in_at_most_20_keys_then_cash() {
    let lunch = tokio::task::block_in_place(counter_lunch);
    let mut app = counter_app(&lunch, Language::En);
    // n: new order; HOT1 + first modifier; RICE x2; TEA; Enter places it.
    let keys = key_in(&mut app, "nhot1\n+1rice\n2tea\n\n").await;
    assert!(keys <= 20, "{keys} keys");
    assert_eq!(keys, 19);
    assert_eq!(app.note(), Some(&Note::Done("C001 placed".into())));
    settle_in_cash_and_check(&mut app, &lunch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn three_dishes_by_pinyin_initials() {
    let lunch = tokio::task::block_in_place(counter_lunch);
    let mut app = counter_app(&lunch, Language::Zh);
    let keys = key_in(&mut app, "ngbjd\n+1mf\n2nmc\n\n").await;
    assert_eq!(keys, 17);
    settle_in_cash_and_check(&mut app, &lunch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_sold_out_dish_is_not_added_and_backspace_removes_the_last_dish() {
    let lunch = tokio::task::block_in_place(counter_lunch);
    let mut app = counter_app(&lunch, Language::En);
    type_keys(&mut app, "ncola\n").await;
    let Some(Dialog::Counter(e)) = app.dialog() else {
        panic!("order entry is open");
    };
    assert!(e.lines.is_empty());
    assert_eq!(e.error.as_deref(), Some("可乐 is sold out"));
    type_keys(&mut app, "tea\n").await;
    let Some(Dialog::Counter(e)) = app.dialog() else {
        panic!("still open");
    };
    assert_eq!(e.lines.len(), 1, "the next dish is typed at once");
    press(&mut app, KeyCode::Backspace).await;
    let Some(Dialog::Counter(e)) = app.dialog() else {
        panic!("still open");
    };
    assert!(e.lines.is_empty());
    press(&mut app, KeyCode::Enter).await;
    assert!(
        lunch
            .t
            .h()
            .outbox()
            .expect("outbox")
            .iter()
            .all(|e| e.report.kind() != "order.placed"),
        "an empty order is never placed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_dine_in_order_keeps_its_table_and_note() {
    let lunch = tokio::task::block_in_place(counter_lunch);
    let mut app = counter_app(&lunch, Language::En);
    type_keys(&mut app, "ntea\n#12\n/no ice\n\n").await;
    let Some(Dialog::Settle(d)) = app.dialog() else {
        panic!("settle opens");
    };
    let st = lunch
        .t
        .h()
        .order(&d.order_id)
        .expect("store")
        .expect("order");
    assert_eq!(st.order.dining, Dining::DineIn);
    assert_eq!(st.order.table.as_deref(), Some("12"));
    assert_eq!(st.order.note, "no ice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn the_order_entry_screen_in_both_languages() {
    for (lang, name) in [
        (Language::Zh, "counter_entry_zh_80x24"),
        (Language::En, "counter_entry_en_80x24"),
    ] {
        let lunch = tokio::task::block_in_place(counter_lunch);
        let mut app = counter_app(&lunch, lang);
        type_keys(&mut app, "ngbjd\n+1mf\n2gb").await;
        insta::assert_snapshot!(name, draw(&app, 80, 24));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn offline_the_scan_method_is_a_manual_record_and_says_so() {
    let lunch = tokio::task::block_in_place(counter_lunch);
    let mut app = counter_app(&lunch, Language::En);
    app.update(passline::tui::Message::Feed(feed_offline()));
    type_keys(&mut app, "ntea\n\ns").await;
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("link down: scan is only a manual record"),
        "{screen}"
    );
    assert!(
        screen.contains("unsent:2"),
        "the status bar counts unsent reports"
    );
    type_keys(&mut app, "134567890123456781\n1234\n").await;
    assert!(app.dialog().is_none());
    let Some(id) = lunch
        .t
        .h()
        .board()
        .values()
        .find(|s| s.order.channel == Channel::Counter)
        .map(|s| s.order.id.clone())
    else {
        panic!("the counter order is on the board");
    };
    let st = lunch.t.h().order(&id).expect("store").expect("order");
    assert_eq!(st.payment(), PaymentSummary::PaidInStore);
    assert_eq!(st.tenders[0].tender.method, Method::Scan);
    assert_eq!(
        st.tenders[0].tender.reference.as_deref(),
        Some("1345**********6781"),
        "the reference is the masked code"
    );
    assert!(st.pay_codes.is_empty(), "nothing was sent to the platform");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn with_no_feed_configured_the_dialog_says_scan_is_a_manual_record() {
    let lunch = tokio::task::block_in_place(counter_lunch);
    let mut app = counter_app(&lunch, Language::En);
    let mut status = feed_online();
    status.link = passline::feed::status::LinkState::Disabled;
    app.update(passline::tui::Message::Feed(status));
    type_keys(&mut app, "ntea\n\ns").await;
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("no platform feed: scan is only a manual record"),
        "{screen}"
    );
}
