//! Second screens over the local API, on loopback: the cashier's desk, the
//! kitchen wall and a `ctl` client see the same board at once; a kitchen
//! screen takes no money; two cashiers cannot both take the same payment.

use crate::api_support;
use crate::tui_fixture;

use api_support::{until, Console};
use crossterm::event::KeyCode;
use passline::api::message::ServerMsg;
use passline::api::ScreenRole;
use passline::domain::{
    Approval, Command, EventBody, Fen, Method, OrderId, PaymentSummary, Role, TenderInput,
};
use passline::engine::EngineError;
use passline::tui::Screen;
use std::time::{Duration, Instant};
use tui_fixture::{press, type_keys};

fn cash(amount: i64, tendered: i64) -> Vec<TenderInput> {
    vec![TenderInput {
        method: Method::Cash,
        amount: Fen(amount),
        tendered: Some(Fen(tendered)),
        reference: None,
    }]
}

/// Waits (at most 5 s) for a listener's instant.
async fn bounded(h: tokio::task::JoinHandle<Instant>) -> Instant {
    tokio::time::timeout(Duration::from_secs(5), h)
        .await
        .expect("seen within 5 s")
        .expect("listener ran")
}

fn wx002() -> OrderId {
    OrderId("WX-002".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settlement_at_the_desk_reaches_the_kitchen_wall_and_ctl_at_once() {
    let console = Console::open(None).await;
    let (_desk_remote, mut desk) = console.screen(ScreenRole::Cashier).await;
    let (wall_remote, mut wall) = console.screen(ScreenRole::Kitchen).await;
    let mut ctl = console.client(ScreenRole::Cashier, true).await;
    let ServerMsg::Snapshot { orders, .. } = ctl.next().await.expect("snapshot") else {
        panic!("a subscriber gets the board first");
    };
    assert_eq!(orders.len(), 6, "every order of the lunch rush");
    assert_eq!(
        wall.board().get(&wx002()).map(|o| o.payment()),
        Some(PaymentSummary::Failed),
        "the wall starts from the same board"
    );
    // Listeners on the engine itself, the wall's socket and ctl's socket
    // note the instant each one sees the settlement.
    let settled =
        |e: &EventBody| matches!(e, EventBody::Settled { order_id, .. } if order_id.0 == "WX-002");
    let mut committed = console.lunch.t.h().subscribe();
    let engine_saw = tokio::spawn(async move {
        loop {
            let ev = committed.recv().await.expect("engine events");
            if settled(&ev.body) {
                return Instant::now();
            }
        }
    });
    let mut wall_events = wall_remote.subscribe();
    let wall_saw = tokio::spawn(async move {
        loop {
            let ev = wall_events.recv().await.expect("wall events");
            if settled(&ev.body) {
                return Instant::now();
            }
        }
    });
    let ctl_saw = tokio::spawn(async move {
        loop {
            match ctl.next().await.expect("ctl hears it") {
                ServerMsg::Event { event } if settled(&event.body) => return Instant::now(),
                _ => continue,
            }
        }
    });

    // The cashier signs in and settles A002 in cash by keys on the desk screen.
    type_keys(&mut desk, "01\n1234\n").await;
    assert_eq!(desk.screen(), Screen::Cashier);
    assert_eq!(desk.cashier_rows()[0].order.pickup_no, "A002");
    press(&mut desk, KeyCode::Enter).await;
    type_keys(&mut desk, "c100\n1234\n").await;
    assert!(desk.dialog().is_none(), "the dialog closes once paid");

    let published = bounded(engine_saw).await;
    let wall_at = bounded(wall_saw).await;
    let ctl_at = bounded(ctl_saw).await;
    let wall_ms = wall_at.saturating_duration_since(published).as_secs_f64() * 1e3;
    let ctl_ms = ctl_at.saturating_duration_since(published).as_secs_f64() * 1e3;
    println!("fan-out after commit: wall {wall_ms:.2} ms, ctl {ctl_ms:.2} ms");
    assert!(
        wall_ms < 100.0,
        "the wall had it {wall_ms:.1} ms after the commit"
    );
    assert!(ctl_ms < 100.0, "ctl had it {ctl_ms:.1} ms after the commit");

    until(&mut wall, "the wall's board shows A002 paid", |a| {
        a.board().get(&wx002()).map(|o| o.payment()) == Some(PaymentSummary::PaidInStore)
    })
    .await;
    until(&mut desk, "the desk shows the change it gave", |a| {
        a.board().get(&wx002()).map(|o| o.change()) == Some(Fen(6000))
    })
    .await;
    // The wall keeps the log's tail for its log screen: the engine's log, in order.
    let log: Vec<u64> = console
        .lunch
        .t
        .h()
        .events_after(0, 10_000)
        .expect("the log")
        .iter()
        .map(|e| e.id)
        .collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let tail: Vec<u64> = wall_remote
            .events_after(0, 10_000)
            .iter()
            .map(|e| e.id)
            .collect();
        if tail == log {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the wall's log {tail:?} vs {log:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kitchen_screen_cannot_settle_void_or_refund() {
    let console = Console::open(None).await;
    let (wall_remote, mut wall) = console.screen(ScreenRole::Kitchen).await;
    // Even a cashier signing in at the kitchen wall gets the rail only.
    type_keys(&mut wall, "01\n1234\n").await;
    assert_eq!(wall.staff().map(|s| s.role), Some(Role::Cashier));
    assert_eq!(wall.screens(), &[Screen::Rail]);
    let approval = Approval {
        staff_id: "90".into(),
        pin: "909090".into(),
    };
    let attempts = [
        Command::Settle {
            order_id: wx002(),
            staff_id: "01".into(),
            pin: Some("1234".into()),
            tenders: cash(4000, 4000),
        },
        Command::Void {
            order_id: OrderId("WX-005".into()),
            staff_id: "01".into(),
            approval: approval.clone(),
            reason: "no show".into(),
        },
        Command::Refund {
            order_id: OrderId("WX-001".into()),
            staff_id: "01".into(),
            approval,
            amount: Fen(100),
            method: Method::Cash,
            reason: "cold".into(),
        },
    ];
    for cmd in attempts {
        match wall_remote.execute(cmd).await {
            Err(EngineError::Remote(m)) => assert!(
                m.contains("a kitchen screen cannot settle, void or refund"),
                "the refusal says so: {m}"
            ),
            other => panic!("a kitchen screen must be refused, got {other:?}"),
        }
    }
    assert_eq!(
        console
            .lunch
            .t
            .h()
            .order(&wx002())
            .expect("store")
            .map(|o| o.payment()),
        Some(PaymentSummary::Failed),
        "no money was taken"
    );
    // Kitchen staff at a cashier screen are refused by the engine's roles.
    let desk = console.remote(ScreenRole::Cashier).await;
    let res = desk
        .execute(Command::Settle {
            order_id: wx002(),
            staff_id: "21".into(),
            pin: Some("2222".into()),
            tenders: cash(4000, 4000),
        })
        .await;
    match res {
        Err(EngineError::Refused(r)) => {
            assert_eq!(r.code(), "forbidden");
            assert!(r.to_string().contains("may not do this (kitchen)"), "{r}");
        }
        other => panic!("kitchen staff take no money, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_cashiers_settling_one_order_at_once_take_the_money_once() {
    let console = Console::open(None).await;
    tokio::task::block_in_place(|| {
        console
            .lunch
            .t
            .add_staff("02", "陈静", Role::Cashier, "2468")
    });
    let mut a = console.client(ScreenRole::Cashier, false).await;
    let mut b = console.client(ScreenRole::Cashier, false).await;
    let settle = |who: &str, pin: &str| Command::Settle {
        order_id: wx002(),
        staff_id: who.into(),
        pin: Some(pin.into()),
        tenders: cash(4000, 5000),
    };
    let (ra, rb) = tokio::join!(
        a.command("desk-1", settle("01", "1234"), None),
        b.command("desk-2", settle("02", "2468"), None)
    );
    let (ra, rb) = (ra.expect("answered"), rb.expect("answered"));
    assert_eq!(
        [ra.ok, rb.ok].iter().filter(|ok| **ok).count(),
        1,
        "exactly one succeeds: {ra:?} {rb:?}"
    );
    let loser = if ra.ok { rb } else { ra };
    assert_eq!(loser.code.as_deref(), Some("already_paid"));
    assert_eq!(
        loser.message.as_deref(),
        Some("order is already paid: nothing is due")
    );
    let st = console
        .lunch
        .t
        .h()
        .order(&wx002())
        .expect("store")
        .expect("order");
    assert_eq!(st.tenders.len(), 1, "one tender recorded");
    assert_eq!(st.collected(), Fen(4000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_command_with_the_same_key_is_applied_once() {
    let console = Console::open(None).await;
    let mut c = console.client(ScreenRole::Cashier, false).await;
    let cmd = Command::Settle {
        order_id: wx002(),
        staff_id: "01".into(),
        pin: Some("1234".into()),
        tenders: cash(4000, 4000),
    };
    let first = c
        .command("same-key", cmd.clone(), None)
        .await
        .expect("answered");
    assert!(first.ok, "{first:?}");
    let again = c.command("same-key", cmd, None).await.expect("answered");
    assert!(again.ok, "a retry gets the first result back");
    assert!(again.committed.as_ref().is_some_and(|c| c.replay));
    let st = console
        .lunch
        .t
        .h()
        .order(&wx002())
        .expect("store")
        .expect("order");
    assert_eq!(st.tenders.len(), 1, "paid once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_screen_rides_out_a_console_restart() {
    let mut console = Console::open(None).await;
    let wall = console.remote(ScreenRole::Kitchen).await;
    wall.execute(Command::SignIn {
        staff_id: "21".into(),
        pin: "2222".into(),
    })
    .await
    .expect("the cook signs in");
    let mut link = wall.connected();
    console.stop_api().await;
    tokio::time::timeout(Duration::from_secs(5), link.wait_for(|up| !*up))
        .await
        .expect("the screen notices within 5 s")
        .expect("link watch");
    // The screen says so above everything (as the terminal loop does on the link watch).
    let source = passline::tui::source::Source::from(wall.clone());
    let mut app = passline::tui::App::new(
        source.clone(),
        wall.feed().borrow().clone(),
        wall.printers().borrow().clone(),
        console.lunch.options(passline::config::Language::En),
        Some(console.lunch.staff("21")),
        None,
    );
    app.handle(passline::tui::Message::Link(Some(
        source.link_lost_text(false),
    )))
    .await;
    let shown = tui_fixture::draw(&app, 120, 30);
    assert!(
        shown.contains("lost the console at ws://127.0.0.1:"),
        "{shown}"
    );
    app.handle(passline::tui::Message::Link(None)).await;
    assert!(!tui_fixture::draw(&app, 120, 30).contains("lost the console"));
    // While the screen is cut off, A001 is bumped at the console itself.
    let h = console.lunch.t.h();
    h.execute(
        None,
        Command::Bump {
            order_id: OrderId("WX-001".into()),
            staff_id: "21".into(),
            line: None,
        },
    )
    .await
    .expect("bumped at the console");
    console.start_api_again().await;
    tokio::time::timeout(Duration::from_secs(10), link.wait_for(|up| *up))
        .await
        .expect("the screen is back within 10 s")
        .expect("link watch");
    let deadline = Instant::now() + Duration::from_secs(5);
    while wall
        .order(&OrderId("WX-001".into()))
        .map(|o| o.kitchen().as_str())
        != Some("ready")
    {
        assert!(
            Instant::now() < deadline,
            "the missed bump reaches the screen"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Still signed in on the new connection: the cook bumps A004 from the wall.
    let res = wall
        .execute(Command::Bump {
            order_id: OrderId("WX-004".into()),
            staff_id: "21".into(),
            line: None,
        })
        .await;
    assert!(res.is_ok(), "{res:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_answer_within_a_frame_while_a_settlement_crosses_a_slow_link() {
    use passline::tui::app::Courier;
    use passline::tui::{keys, Message};
    let console = Console::open(None).await;
    let slow = api_support::delayed_link(&console.url, Duration::from_millis(500)).await;
    let remote = passline::api::client::Remote::connect(&slow, None, ScreenRole::Cashier)
        .await
        .expect("the screen attaches over the slow link");
    let mut desk = passline::tui::App::new(
        remote.clone(),
        remote.feed().borrow().clone(),
        remote.printers().borrow().clone(),
        console.lunch.options(passline::config::Language::En),
        None,
        None,
    );
    type_keys(&mut desk, "01\n1234\n").await;
    assert_eq!(desk.cashier_rows()[0].order.pickup_no, "A002");
    press(&mut desk, KeyCode::Enter).await;
    type_keys(&mut desk, "c100\n1234").await;

    // Enter sends the settlement off; the loop goes back to the keys.
    let mut courier = Courier::default();
    let sent = Instant::now();
    let enter = keys::message_for(&desk, tui_fixture::key(KeyCode::Enter)).expect("Enter settles");
    let work = desk
        .step(enter)
        .expect("the settlement goes to the console");
    courier.send(work);
    let frame = passline::tui::term::FRAME;
    for c in ['5', '6'] {
        let pressed = Instant::now();
        let msg = keys::message_for(&desk, tui_fixture::key(KeyCode::Char(c))).expect("a digit");
        assert!(desk.step(msg).is_none(), "a digit needs no engine");
        let _ = tui_fixture::draw(&desk, 80, 24);
        let answered = pressed.elapsed();
        assert!(
            answered < frame,
            "the key took {answered:?} while the settlement was in flight"
        );
    }
    let Some(passline::tui::app::Dialog::Settle(d)) = desk.dialog() else {
        panic!("the settle dialog is still open while the console has not answered");
    };
    assert_eq!(d.pin, "56", "both keys landed while waiting");

    // The answer comes back as a message, after the link's delay.
    let done = tokio::time::timeout(Duration::from_secs(10), courier.next())
        .await
        .expect("the console answers");
    assert!(matches!(done, Message::Done(_)));
    assert!(
        sent.elapsed() >= Duration::from_millis(500),
        "the answer crossed the slow link"
    );
    assert!(desk.step(done).is_none());
    assert!(desk.dialog().is_none(), "the dialog closes once paid");
    until(&mut desk, "the desk shows A002 paid", |a| {
        a.board().get(&wx002()).map(|o| o.payment()) == Some(PaymentSummary::PaidInStore)
    })
    .await;
}
