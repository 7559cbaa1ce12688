//! Every screen and dialog of the console, drawn on a `TestBackend` at 80x24
//! and 120x40 in both languages, compared with insta snapshots. The store is
//! a fixed lunch rush and the clock is fixed, so the pictures never drift.

mod common;
mod tui_fixture;

use passline::config::Language;
use passline::tui::{App, Message};
use tui_fixture::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];
const LANGS: [(Language, &str); 2] = [(Language::Zh, "zh"), (Language::En, "en")];

fn snap_all(name: &str, lang: &str, app: &App) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}_{lang}_{w}x{h}"), draw(app, w, h));
    }
}

/// Runs `f` once per language on a fresh lunch rush.
fn each_language(mut f: impl FnMut(&mut Lunch, Language, &str)) {
    for (lang, tag) in LANGS {
        let mut lunch = Lunch::new();
        f(&mut lunch, lang, tag);
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn sign_in_prompt() {
    each_language(|l, lang, tag| {
        let mut app = l.app(lang, None);
        snap_all("sign_in", tag, &app);
        rt().block_on(async {
            type_keys(&mut app, "21\n9999\n").await;
        });
        snap_all("sign_in_wrong_pin", tag, &app);
    });
}

#[test]
fn kitchen_rail() {
    each_language(|l, lang, tag| {
        let mut app = l.app(lang, Some("21"));
        snap_all("rail", tag, &app);
        app.update(Message::Right);
        app.update(Message::NextItem);
        app.update(Message::Char('0'));
        app.update(Message::Char('0'));
        app.update(Message::Char('4'));
        snap_all("rail_selected_dish_typing", tag, &app);
        app.update(Message::Escape);
        app.update(Message::NextStation);
        snap_all("rail_station_cold", tag, &app);
        app.update(Message::Printers(printers_paper_out()));
        snap_all("rail_printer_alert", tag, &app);
    });
}

#[test]
fn kitchen_rail_help() {
    each_language(|l, lang, tag| {
        let mut app = l.app(lang, Some("21"));
        app.update(Message::ToggleHelp);
        snap_all("rail_help", tag, &app);
    });
}

#[test]
fn cashier_table() {
    each_language(|l, lang, tag| {
        let mut app = l.app(lang, Some("01"));
        snap_all("cashier", tag, &app);
        app.update(Message::ToggleHelp);
        snap_all("cashier_help", tag, &app);
    });
}

fn select(app: &mut App, pickup: &str) {
    let i = app
        .cashier_rows()
        .iter()
        .position(|st| st.order.pickup_no == pickup)
        .expect("the order is on the cashier's table");
    app.update(Message::PageUp);
    app.update(Message::PageUp);
    for _ in 0..i {
        app.update(Message::Down);
    }
}

#[test]
fn settle_dialogs() {
    each_language(|l, lang, tag| {
        let mut app = l.app(lang, Some("01"));
        select(&mut app, "A003");
        app.update(Message::Enter);
        snap_all("settle_outcome_open", tag, &app);
        app.update(Message::Escape);
        select(&mut app, "A002");
        app.update(Message::Enter);
        for c in "100".chars() {
            app.update(Message::Char(c));
        }
        snap_all("settle_cash_change", tag, &app);
        app.update(Message::Backspace);
        app.update(Message::Backspace);
        app.update(Message::Backspace);
        app.update(Message::Method(passline::domain::Method::Card));
        app.update(Message::Char('1'));
        app.update(Message::Char('5'));
        app.update(Message::AddTender);
        app.update(Message::Char('5'));
        app.update(Message::Char('0'));
        snap_all("settle_split", tag, &app);
        app.update(Message::Enter);
        app.update(Message::Char('1'));
        app.update(Message::Char('2'));
        snap_all("settle_pin", tag, &app);
    });
}

#[test]
fn manager_dialogs() {
    each_language(|l, lang, tag| {
        l.double_payment();
        let mut app = l.app(lang, Some("01"));
        snap_all("cashier_double_paid", tag, &app);
        select(&mut app, "A005");
        app.update(Message::Void);
        for c in "no show".chars() {
            app.update(Message::Char(c));
        }
        app.update(Message::NextField);
        app.update(Message::Char('9'));
        app.update(Message::Char('0'));
        snap_all("void_dialog", tag, &app);
        app.update(Message::Escape);
        select(&mut app, "A007");
        app.update(Message::ResolveDouble);
        app.update(Message::Right);
        snap_all("resolve_double_dialog", tag, &app);
    });
}

#[test]
fn alerts_and_log() {
    each_language(|l, lang, tag| {
        l.double_payment();
        l.quarantine();
        let mut app = l.app(lang, Some("90"));
        app.update(Message::Feed(feed_offline()));
        app.update(Message::Printers(printers_paper_out()));
        app.update(Message::Show(passline::tui::Screen::Alerts));
        snap_all("alerts", tag, &app);
        app.update(Message::Show(passline::tui::Screen::Log));
        snap_all("log", tag, &app);
    });
}

#[test]
fn a_wide_screen_uses_the_room() {
    let l = Lunch::new();
    let app = l.app(Language::Zh, Some("21"));
    insta::assert_snapshot!("rail_zh_240x70", draw(&app, 240, 70));
}
