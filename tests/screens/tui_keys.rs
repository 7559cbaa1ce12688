//! The console driven by keys alone, as staff use it: each key goes through
//! the key map, the app's update and the real engine; the checks read the
//! engine's committed state (orders, print jobs), not the screen.

use crate::tui_fixture;

use crossterm::event::KeyCode;
use passline::config::Language;
use passline::domain::{Fen, Kitchen, OrderId, PaymentSummary};
use passline::tui::app::{Dialog, Note, SettleStage};
use passline::tui::{App, Screen};
use tui_fixture::*;

fn order(app: &App, id: &str) -> passline::domain::OrderState {
    app.board()
        .get(&OrderId(id.into()))
        .cloned()
        .expect("order on the board")
}

/// Moves the cashier's selection to the order with this pickup number, by arrow keys.
async fn arrow_to(app: &mut App, pickup: &str) {
    for _ in 0..20 {
        press(app, KeyCode::Up).await;
    }
    let i = app
        .cashier_rows()
        .iter()
        .position(|st| st.order.pickup_no == pickup)
        .expect("the order is on the cashier's table");
    for _ in 0..i {
        press(app, KeyCode::Down).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_wrong_pin_is_refused_and_counts_toward_the_lockout() {
    let lunch = tokio::task::block_in_place(Lunch::new);
    let mut app = lunch.app(Language::En, None);
    assert_eq!(app.screen(), Screen::SignIn);
    type_keys(&mut app, "01\n9999\n").await;
    assert!(app.staff().is_none());
    assert_eq!(
        app.sign_in_message(),
        Some("wrong PIN for 01 (1 of 5 tries)")
    );
    assert!(draw(&app, 80, 24).contains("wrong PIN for 01 (1 of 5 tries)"));
    type_keys(&mut app, "8888\n").await;
    assert_eq!(
        app.sign_in_message(),
        Some("wrong PIN for 01 (2 of 5 tries)")
    );
    // The right PIN signs the cashier in on the cashier screen.
    type_keys(&mut app, "1234\n").await;
    assert_eq!(app.staff().map(|s| s.name.as_str()), Some("王芳"));
    assert_eq!(app.screen(), Screen::Cashier);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_kitchen_sign_in_offers_only_the_rail_and_the_printers() {
    let lunch = tokio::task::block_in_place(Lunch::new);
    let mut app = lunch.app(Language::Zh, None);
    type_keys(&mut app, "21\n2222\n").await;
    assert_eq!(app.screen(), Screen::Rail);
    press(&mut app, KeyCode::Tab).await;
    assert_eq!(app.screen(), Screen::Printers, "reprints of their tickets");
    press(&mut app, KeyCode::Tab).await;
    press(&mut app, KeyCode::F(3)).await;
    assert_eq!(
        app.screen(),
        Screen::Rail,
        "the kitchen has no cashier screen"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_failed_payment_is_settled_in_cash_by_keys() {
    let lunch = tokio::task::block_in_place(Lunch::new);
    let h = lunch.t.h();
    let mut app = lunch.app(Language::En, None);
    type_keys(&mut app, "01\n1234\n").await;
    // The failed order is at the top of the cashier's table.
    assert_eq!(app.cashier_rows()[0].order.pickup_no, "A002");
    arrow_to(&mut app, "A002").await;
    press(&mut app, KeyCode::Enter).await;
    type_keys(&mut app, "c100").await;
    let Some(Dialog::Settle(d)) = app.dialog() else {
        panic!("the settle dialog is open");
    };
    assert_eq!(
        app.settle_preview(d),
        Some((Fen(4000), Fen(10000), Fen(6000)))
    );
    let mut queued = h.subscribe_jobs();
    type_keys(&mut app, "\n1234\n").await;
    assert!(app.dialog().is_none(), "the dialog closes once paid");
    assert_eq!(
        app.note(),
        Some(&Note::Done("A002 paid, change 60.00".into()))
    );
    let st = h
        .order(&OrderId("WX-002".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.payment(), PaymentSummary::PaidInStore);
    assert_eq!(st.change(), Fen(6000));
    assert_eq!(
        order(&app, "WX-002").payment(),
        PaymentSummary::PaidInStore,
        "the screen's board follows"
    );
    // The spool as the engine keeps it, and as it announced it.
    let jobs = h.jobs().expect("spool reads back");
    assert!(queued.try_recv().is_ok(), "queued jobs are announced");
    let receipt = jobs
        .iter()
        .find(|j| j.doc.kind() == "receipt" && j.doc.order_id() == Some("WX-002"))
        .expect("a receipt is queued");
    assert_eq!(receipt.printer, "counter");
    assert!(
        jobs.iter().any(|j| j.doc.kind() == "drawer"),
        "the drawer opens for cash"
    );
    // Paid, it leaves the alert list.
    assert!(app
        .alerts()
        .iter()
        .all(|a| a.order() != Some(&OrderId("WX-002".into()))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_split_payment_card_then_cash() {
    let lunch = tokio::task::block_in_place(Lunch::new);
    let h = lunch.t.h();
    let mut app = lunch.app(Language::Zh, Some("01"));
    arrow_to(&mut app, "A005").await;
    press(&mut app, KeyCode::Enter).await;
    type_keys(&mut app, "k20+c50\n1234\n").await;
    let st = h
        .order(&OrderId("WX-005".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.payment(), PaymentSummary::PaidInStore);
    let methods: Vec<(&str, i64, i64)> = st
        .tenders
        .iter()
        .map(|t| {
            (
                t.tender.method.as_str(),
                t.tender.amount.0,
                t.tender.change.0,
            )
        })
        .collect();
    assert_eq!(methods, vec![("card", 2000, 0), ("cash", 2800, 2200)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_wrong_cashier_pin_keeps_the_dialog_and_takes_no_money() {
    let lunch = tokio::task::block_in_place(Lunch::new);
    let h = lunch.t.h();
    let mut app = lunch.app(Language::En, Some("01"));
    arrow_to(&mut app, "A002").await;
    type_keys(&mut app, "\n40\n0000\n").await;
    let Some(Dialog::Settle(d)) = app.dialog() else {
        panic!("the dialog stays open");
    };
    assert_eq!(d.stage, SettleStage::Pin);
    assert_eq!(d.error.as_deref(), Some("wrong PIN for 01 (1 of 5 tries)"));
    let st = h
        .order(&OrderId("WX-002".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.payment(), PaymentSummary::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn an_open_online_payment_is_rechecked_before_taking_cash() {
    let lunch = tokio::task::block_in_place(Lunch::new);
    let mut app = lunch.app(Language::En, Some("01"));
    arrow_to(&mut app, "A003").await;
    press(&mut app, KeyCode::Enter).await;
    let Some(Dialog::Settle(d)) = app.dialog() else {
        panic!("the settle dialog is open");
    };
    assert_eq!(d.stage, SettleStage::OutcomeOpen);
    press(&mut app, KeyCode::Char('r')).await;
    assert!(app.dialog().is_none());
    assert_eq!(
        app.note(),
        Some(&Note::Done("A003 re-check requested".into()))
    );
    let last = lunch.t.h().events_after(0, 1000).expect("log");
    assert_eq!(
        last.last().map(|e| e.body.name()),
        Some("recheck_requested")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_void_needs_a_managers_pin_on_the_spot() {
    let lunch = tokio::task::block_in_place(Lunch::new);
    let h = lunch.t.h();
    let mut app = lunch.app(Language::En, Some("01"));
    arrow_to(&mut app, "A005").await;
    press(&mut app, KeyCode::Char('v')).await;
    type_keys(&mut app, "no show\t01\t1234\n").await;
    assert_eq!(
        app.note(),
        Some(&Note::Refused(
            "01 王芳 may not do this (cashier): ask a manager to approve".into()
        ))
    );
    press(&mut app, KeyCode::Esc).await;
    press(&mut app, KeyCode::Char('v')).await;
    type_keys(&mut app, "no show\t90\t909090\n").await;
    assert!(app.dialog().is_none());
    let st = h
        .order(&OrderId("WX-005".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.payment(), PaymentSummary::Void);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn bump_by_card_number_and_recall_the_last_bumped() {
    let lunch = tokio::task::block_in_place(Lunch::new);
    let h = lunch.t.h();
    let mut app = lunch.app(Language::Zh, Some("21"));
    let rail: Vec<String> = app
        .rail_orders()
        .iter()
        .map(|st| st.order.pickup_no.clone())
        .collect();
    assert_eq!(
        rail,
        vec!["A001", "A004"],
        "unpaid orders are not fired in a pay-first store"
    );
    type_keys(&mut app, "1\n").await;
    let st = h
        .order(&OrderId("WX-001".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.kitchen(), Kitchen::Ready);
    let rail: Vec<String> = app
        .rail_orders()
        .iter()
        .map(|st| st.order.pickup_no.clone())
        .collect();
    assert_eq!(rail, vec!["A004"]);
    press(&mut app, KeyCode::Char('-')).await;
    let st = h
        .order(&OrderId("WX-001".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.kitchen(), Kitchen::Fired);
    assert_eq!(
        app.rail_orders().len(),
        2,
        "the recalled order is back on the rail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn bump_by_pickup_digits_and_one_dish_at_a_time() {
    let lunch = tokio::task::block_in_place(Lunch::new);
    let h = lunch.t.h();
    let mut app = lunch.app(Language::En, Some("21"));
    // `+` picks the first dish of the selected card, Enter bumps just that dish.
    press(&mut app, KeyCode::Right).await;
    press(&mut app, KeyCode::Char('+')).await;
    press(&mut app, KeyCode::Enter).await;
    let st = h
        .order(&OrderId("WX-004".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.lines.get(&1), Some(&Kitchen::Ready));
    assert_eq!(st.lines.get(&2), Some(&Kitchen::Fired));
    // Three digits are a pickup number: 004 is A004, the rest of it.
    type_keys(&mut app, "004\n").await;
    let st = h
        .order(&OrderId("WX-004".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.kitchen(), Kitchen::Ready);
    // A number nobody has is refused on screen, with nothing bumped.
    type_keys(&mut app, "777\n").await;
    assert_eq!(app.note(), Some(&Note::Refused("no such card: 777".into())));
    // Served from the ready shelf with `.`.
    press(&mut app, KeyCode::Char('.')).await;
    let st = h
        .order(&OrderId("WX-004".into()))
        .expect("store")
        .expect("order");
    assert!(st.served);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_new_failed_payment_rings_once_and_jumps_to_the_order() {
    let mut lunch = tokio::task::block_in_place(Lunch::new);
    let mut app = lunch.app(Language::En, Some("01"));
    assert!(!app.take_bell(), "alerts present at start do not ring");
    tokio::task::block_in_place(|| lunch.place_and_fail());
    app.drain_events();
    assert!(app.take_bell(), "a new failed payment rings");
    app.drain_events();
    assert!(!app.take_bell(), "and only once");
    press(&mut app, KeyCode::Char('j')).await;
    let rows = app.cashier_rows();
    assert_eq!(rows[app.cashier_index(&rows)].order.pickup_no, "A008");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_station_screen_bumps_only_its_own_dishes() {
    let lunch = tokio::task::block_in_place(Lunch::new);
    let h = lunch.t.h();
    let mut opts = lunch.options(Language::En);
    opts.stations = vec!["hot".into(), "cold".into()];
    let mut app = App::new(
        h.clone(),
        feed_online(),
        printers_ok(),
        opts,
        Some(lunch.staff("21")),
        None,
    );
    // A004 has a cold and a hot dish here, and two drinks for the bar.
    type_keys(&mut app, "004\n").await;
    let st = h
        .order(&OrderId("WX-004".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.lines.get(&1), Some(&Kitchen::Ready));
    assert_eq!(st.lines.get(&2), Some(&Kitchen::Ready));
    assert_eq!(
        st.lines.get(&3),
        Some(&Kitchen::Fired),
        "the drinks are the bar's to bump"
    );
    let rail: Vec<String> = app
        .rail_orders()
        .iter()
        .map(|st| st.order.pickup_no.clone())
        .collect();
    assert_eq!(rail, vec!["A001"], "A004 leaves this screen's rail");
    // `*` narrows to one station: only cold, where nothing is left.
    press(&mut app, KeyCode::Char('*')).await;
    press(&mut app, KeyCode::Char('*')).await;
    assert_eq!(app.station_filter(), Some(vec!["cold".to_string()]));
    assert!(app.rail_orders().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn an_unreadable_frame_stays_in_the_alert_list_until_acknowledged() {
    let mut lunch = tokio::task::block_in_place(Lunch::new);
    let mut app = lunch.app(Language::En, Some("90"));
    tokio::task::block_in_place(|| lunch.quarantine());
    app.drain_events();
    assert!(app.take_bell());
    press(&mut app, KeyCode::F(4)).await;
    let quarantined = |app: &App| {
        app.alerts()
            .iter()
            .any(|a| matches!(a.key, passline::tui::alerts::AlertKey::Quarantine(_)))
    };
    assert!(quarantined(&app));
    while !matches!(
        app.visible_alerts()
            .get(app.alerts_selected())
            .map(|a| &a.key),
        Some(passline::tui::alerts::AlertKey::Quarantine(_))
    ) {
        press(&mut app, KeyCode::Down).await;
    }
    press(&mut app, KeyCode::Char('x')).await;
    assert!(!quarantined(&app));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn the_kitchen_hears_printer_trouble_but_not_payments() {
    let mut lunch = tokio::task::block_in_place(Lunch::new);
    let mut app = lunch.app(Language::Zh, Some("21"));
    tokio::task::block_in_place(|| lunch.place_and_fail());
    app.drain_events();
    assert!(!app.take_bell(), "a failed payment is the cashier's");
    app.handle(passline::tui::Message::Printers(printers_paper_out()))
        .await;
    assert!(app.take_bell(), "paper out rings on the kitchen screen");
    assert!(draw(&app, 80, 24).contains("缺纸, 3 张待打"));
    app.handle(passline::tui::Message::Printers(printers_ok()))
        .await;
    assert!(
        app.visible_alerts().is_empty(),
        "paper back in, the alert is handled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_ticket_is_reprinted_from_the_printers_screen_and_marked() {
    let lunch = tokio::task::block_in_place(Lunch::new);
    let mut app = lunch.app(Language::En, Some("21"));
    app.update(passline::tui::Message::Show(Screen::Printers));
    let before = lunch.t.h().jobs().expect("spool");
    let newest = before
        .last()
        .expect("the lunch rush printed tickets")
        .clone();
    app.handle(passline::tui::Message::Enter).await;
    let after = lunch.t.h().jobs().expect("spool");
    assert_eq!(after.len(), before.len() + 1, "one reprint job");
    match &after.last().expect("reprint").doc {
        passline::print::job::JobDoc::Reprint {
            of_job,
            possible_duplicate,
            ..
        } => {
            assert_eq!(*of_job, newest.job);
            assert!(!possible_duplicate);
        }
        other => panic!("expected a reprint, got {}", other.kind()),
    }
}
