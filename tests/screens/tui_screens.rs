//! Every screen and dialog of the console, drawn on a `TestBackend` at 80x24
//! and 120x40 in both languages, compared with insta snapshots. The store is
//! a fixed lunch rush and the clock is fixed, so the pictures never drift.

use crate::tui_fixture;

use passline::config::Language;
use passline::tui::{App, Message};
use tui_fixture::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];
const LANGS: [(Language, &str); 2] = [(Language::Zh, "zh"), (Language::En, "en")];

fn snap_all(name: &str, lang: &str, app: &App) {
    for (w, h) in SIZES {
        let screen = draw(app, w, h);
        no_ambiguous_width(&screen, name);
        insta::assert_snapshot!(format!("{name}_{lang}_{w}x{h}"), screen);
    }
}

/// Borders, markers and words must be as wide in a CJK terminal as anywhere:
/// no East Asian "ambiguous" characters (box drawing, `×`, `·`, `—`, ...).
fn no_ambiguous_width(screen: &str, name: &str) {
    use unicode_width::UnicodeWidthChar;
    for ch in screen.chars() {
        assert_eq!(
            ch.width(),
            ch.width_cjk(),
            "{ch:?} has an ambiguous width on {name}"
        );
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
fn printers_and_a_print_preview() {
    each_language(|l, lang, tag| {
        let mut app = l.app(lang, Some("01"));
        app.update(Message::Printers(printers_paper_out()));
        app.update(Message::Show(passline::tui::Screen::Printers));
        snap_all("printers", tag, &app);
    });
}

#[test]
fn a_wide_screen_uses_the_room() {
    let l = Lunch::new();
    let app = l.app(Language::Zh, Some("21"));
    insta::assert_snapshot!("rail_zh_240x70", draw(&app, 240, 70));
}

/// The background of the cell where `text` starts on the screen.
fn background_of(app: &App, text: &str) -> ratatui::style::Color {
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).expect("terminal");
    term.draw(|f| f.render_widget(app, f.area()))
        .expect("draws");
    let buf = term.backend().buffer();
    for y in 0..buf.area.height {
        let row: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if let Some(x) = row.find(text) {
            return buf[(x as u16, y)].bg;
        }
    }
    panic!("{text} is not on the screen");
}

#[test]
fn kitchen_cards_turn_amber_then_red_with_age() {
    let lunch = Lunch::new();
    let app = lunch.app(Language::En, Some("21"));
    let theme = passline::tui::theme::Theme::default_dark();
    // A001 fired 13 minutes ago (late at 10), A004 7 minutes ago (warn at 5).
    assert_eq!(background_of(&app, "A001"), theme.late);
    assert_eq!(background_of(&app, "A004"), theme.warn);
    lunch.t.clock.advance(chrono::Duration::minutes(3));
    assert_eq!(background_of(&app, "A004"), theme.late);
}

#[test]
fn a_tiny_or_odd_terminal_never_breaks_a_screen() {
    let mut lunch = Lunch::new();
    lunch.double_payment();
    let mut app = lunch.app(Language::Zh, Some("90"));
    app.update(Message::Feed(feed_offline()));
    app.update(Message::Printers(printers_paper_out()));
    let screens = [
        Message::Show(passline::tui::Screen::Rail),
        Message::Show(passline::tui::Screen::Cashier),
        Message::Enter,
        Message::Escape,
        Message::Show(passline::tui::Screen::Alerts),
        Message::Show(passline::tui::Screen::Log),
        Message::ToggleHelp,
    ];
    for msg in screens {
        app.update(msg);
        for (w, h) in [(1, 1), (2, 3), (20, 5), (41, 9), (79, 23), (241, 71)] {
            let screen = draw(&app, w, h);
            assert_eq!(screen.lines().count(), h as usize);
        }
    }
}
