//! The shift report screen: reachable by managers only, the X-report of the
//! open shift (and the Z-report once closed) drawn at 80x24 and 120x40 in
//! both languages, and printed on the receipt printer with `p`.

use crate::tui_fixture;

use passline::config::Language;
use passline::domain::*;
use passline::print::job::JobDoc;
use passline::tui::{App, Message, Screen};
use tui_fixture::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn manager() -> Approval {
    Approval {
        staff_id: "90".into(),
        pin: "909090".into(),
    }
}

/// The lunch rush, then a shift opened at 12:14 with 300 yuan: one failed
/// order settled in cash, a double payment, a void.
fn lunch_with_shift() -> Lunch {
    let mut l = Lunch::new();
    let h = l.t.h();
    h.execute_blocking(
        None,
        Command::OpenShift {
            staff_id: "01".into(),
            pin: None,
            float: Fen(30000),
        },
    )
    .expect("shift opens");
    h.execute_blocking(
        None,
        Command::Settle {
            order_id: "WX-002".into(),
            staff_id: "01".into(),
            pin: None,
            tenders: vec![TenderInput {
                method: Method::Cash,
                amount: Fen(4000),
                tendered: Some(Fen(5000)),
                reference: None,
            }],
        },
    )
    .expect("settled");
    l.double_payment();
    h.execute_blocking(
        None,
        Command::Void {
            order_id: "AL-006".into(),
            staff_id: "01".into(),
            approval: manager(),
            reason: "顾客离开".into(),
        },
    )
    .expect("voided");
    l
}

fn snap(name: &str, tag: &str, app: &App) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}_{tag}_{w}x{h}"), draw(app, w, h));
    }
}

#[test]
fn only_managers_reach_the_report() {
    let l = lunch_with_shift();
    for who in ["01", "21"] {
        let mut app = l.app(Language::En, Some(who));
        app.update(Message::Show(Screen::Report));
        assert_ne!(
            app.screen(),
            Screen::Report,
            "{who} must not see the report"
        );
    }
    let mut app = l.app(Language::En, Some("90"));
    app.update(Message::Show(Screen::Report));
    assert_eq!(app.screen(), Screen::Report);
}

#[test]
fn the_report_screen_in_both_languages() {
    for (lang, tag) in [(Language::Zh, "zh"), (Language::En, "en")] {
        let l = lunch_with_shift();
        let mut app = l.app(lang, Some("90"));
        app.update(Message::Show(Screen::Report));
        snap("report_x", tag, &app);
        app.update(Message::PageDown);
        snap("report_x_scrolled", tag, &app);
        l.t.h()
            .execute_blocking(
                None,
                Command::CloseShift {
                    staff_id: "90".into(),
                    approval: manager(),
                    count: DrawerCount::parse("100=3,20=2,1=8").expect("count"),
                    confirm_open_issues: true,
                },
            )
            .expect("closed");
        app.update(Message::RefreshReport);
        snap("report_z", tag, &app);
    }
}

#[test]
fn p_prints_the_report_on_the_receipt_printer() {
    let l = lunch_with_shift();
    let mut app = l.app(Language::Zh, Some("90"));
    app.update(Message::Show(Screen::Report));
    let before = l.t.h().jobs().expect("jobs").len();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(app.handle(Message::PrintReport));
    let jobs = l.t.h().jobs().expect("jobs");
    assert_eq!(jobs.len(), before + 1);
    let job = jobs.last().expect("the report job");
    assert_eq!(job.printer, "counter");
    let JobDoc::Text { title, lines } = &job.doc else {
        panic!("a text document, got {:?}", job.doc.kind());
    };
    assert_eq!(title, "X 报表 (未交班) #1");
    assert!(lines.iter().any(|l| l.contains("应有现金")));
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn a_manager_opens_and_closes_a_shift_by_keys() {
    for (lang, tag) in [(Language::Zh, "zh"), (Language::En, "en")] {
        let l = Lunch::new();
        let mut app = l.app(lang, Some("90"));
        app.update(Message::Show(Screen::Report));
        rt().block_on(async {
            type_keys(&mut app, "o300").await;
        });
        snap("shift_open_dialog", tag, &app);
        rt().block_on(async {
            type_keys(&mut app, "\n909090\n").await;
        });
        assert!(app.dialog().is_none(), "the shift opened");
        assert!(
            l.t.h()
                .events_after(0, 1000)
                .expect("log")
                .iter()
                .any(|e| matches!(
                    e.body,
                    EventBody::ShiftOpened {
                        shift: 1,
                        float: Fen(30000),
                        ..
                    }
                )),
            "ShiftOpened with a 300 yuan float"
        );
        // Count the drawer: 3 x 100, 2 x 20, 8 x 1 = 348.00; the manager approves.
        rt().block_on(async {
            type_keys(&mut app, "c3\n0\n2\n\n\n8\n\n\n90\n909090\n").await;
        });
        // A003 is still paying: the close waits for the manager's confirmation.
        snap("shift_close_refused", tag, &app);
        let jobs_before = l.t.h().jobs().expect("jobs").len();
        rt().block_on(async {
            press(&mut app, crossterm::event::KeyCode::Right).await;
            type_keys(&mut app, "909090\n").await;
        });
        assert!(app.dialog().is_none(), "the shift closed");
        let close =
            l.t.h()
                .events_after(0, 1000)
                .expect("log")
                .into_iter()
                .find_map(|e| match e.body {
                    EventBody::ShiftClosed {
                        counted,
                        expected,
                        confirmed,
                        ..
                    } => Some((counted, expected, confirmed)),
                    _ => None,
                });
        assert_eq!(close, Some((Fen(34800), Fen(30000), true)));
        // The Z-report printed as the shift closed.
        let jobs = l.t.h().jobs().expect("jobs");
        assert_eq!(jobs.len(), jobs_before + 1);
        assert!(
            matches!(&jobs[jobs.len() - 1].doc, JobDoc::Text { title, .. } if title.starts_with("Z "))
        );
        snap("shift_closed_report", tag, &app);
    }
}
