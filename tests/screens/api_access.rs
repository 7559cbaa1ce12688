//! Who gets in and who may do what through the local API: the token, the
//! loopback rule, PIN lockout (kept across a restart), managers' approval
//! for staff changes, and a screen that reconnects catching up.

use crate::api_support;
use crate::tui_fixture;

use api_support::Console;
use passline::api::client::ApiClient;
use passline::api::message::ServerMsg;
use passline::api::{ApiError, ApiOptions, ApiServer, ApiStatus, ScreenRole};
use passline::domain::{Approval, Command, EventBody, Order, PlatformEvent, Role};
use tokio::sync::watch;

fn sign_in(id: &str, pin: &str) -> Command {
    Command::SignIn {
        staff_id: id.into(),
        pin: pin.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_api_token_is_refused() {
    let console = Console::open(Some("kitchen-wall-7")).await;
    for token in [Some("guess"), None] {
        match ApiClient::connect(&console.url, token, ScreenRole::Kitchen, true, None).await {
            Err(ApiError::Unauthorized { .. }) => {}
            Err(e) => panic!("expected a 401, got {e}"),
            Ok(_) => panic!("token {token:?} must be refused"),
        }
    }
    let ok = ApiClient::connect(
        &console.url,
        Some("kitchen-wall-7"),
        ScreenRole::Kitchen,
        true,
        None,
    )
    .await
    .expect("the right token gets in");
    assert_eq!(ok.store.name, "老王川菜");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listening_off_the_loopback_without_a_token_refuses_to_start() {
    let lunch = tokio::task::block_in_place(tui_fixture::Lunch::new);
    let (_f, feed) = watch::channel(tui_fixture::feed_online());
    let (_p, printers) = watch::channel(tui_fixture::printers_ok());
    let opts = ApiOptions {
        listen: "0.0.0.0:0".parse().expect("an address"),
        token: None,
        queue: 16,
    };
    let res = ApiServer::start(opts, lunch.t.h(), ApiStatus { feed, printers }, "店").await;
    match res {
        Err(e @ ApiError::TokenNeeded(_)) => {
            let m = e.to_string();
            assert!(
                m.contains("needs a token") && m.contains("[api] token"),
                "{m}"
            );
        }
        Err(e) => panic!("expected the token rule, got {e}"),
        Ok(_) => panic!("must not listen on 0.0.0.0 without a token"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_pins_lock_out_also_after_a_restart() {
    let mut console = Console::open(None).await;
    let mut c = console.client(ScreenRole::Cashier, false).await;
    for n in 1..=4 {
        let r = c
            .command(&format!("k{n}"), sign_in("01", "0000"), None)
            .await
            .expect("answered");
        assert_eq!(r.code.as_deref(), Some("wrong_pin"));
        assert_eq!(
            r.message.as_deref(),
            Some(format!("wrong PIN for 01 ({n} of 5 tries)").as_str())
        );
    }
    let r = c
        .command("k5", sign_in("01", "0000"), None)
        .await
        .expect("answered");
    assert_eq!(r.code.as_deref(), Some("locked_out"), "{r:?}");
    let r = c
        .command("k6", sign_in("01", "1234"), None)
        .await
        .expect("answered");
    assert_eq!(
        r.code.as_deref(),
        Some("locked_out"),
        "even the right PIN waits"
    );
    c.close().await;

    console.restart().await;
    let mut c = console.client(ScreenRole::Cashier, false).await;
    let r = c
        .command("k7", sign_in("01", "1234"), None)
        .await
        .expect("answered");
    assert_eq!(
        r.code.as_deref(),
        Some("locked_out"),
        "the lock survives a restart: {r:?}"
    );
    assert!(r
        .message
        .as_deref()
        .is_some_and(|m| m.contains("locked out")));
    // Someone else is not affected.
    let r = c
        .command("k8", sign_in("90", "909090"), None)
        .await
        .expect("answered");
    assert!(r.ok, "{r:?}");
    assert_eq!(r.staff.map(|s| s.role), Some(Role::Manager));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_changes_need_a_managers_approval() {
    let console = Console::open(None).await;
    let mut c = console.client(ScreenRole::Cashier, false).await;
    let add = Command::AddStaff {
        staff_id: "05".into(),
        name: "新人".into(),
        role: Role::Cashier,
        pin: "5555".into(),
    };
    let r = c.command("a1", add.clone(), None).await.expect("answered");
    assert_eq!(r.code.as_deref(), Some("approval_needed"));
    let cashier = Approval {
        staff_id: "01".into(),
        pin: "1234".into(),
    };
    let r = c
        .command("a2", add.clone(), Some(cashier))
        .await
        .expect("answered");
    assert_eq!(
        r.code.as_deref(),
        Some("forbidden"),
        "a cashier cannot approve: {r:?}"
    );
    let wrong = Approval {
        staff_id: "90".into(),
        pin: "0000".into(),
    };
    let r = c
        .command("a3", add.clone(), Some(wrong))
        .await
        .expect("answered");
    assert_eq!(r.code.as_deref(), Some("wrong_pin"));
    let manager = Approval {
        staff_id: "90".into(),
        pin: "909090".into(),
    };
    let r = c.command("a4", add, Some(manager)).await.expect("answered");
    assert!(r.ok, "{r:?}");
    let r = c
        .command("a5", sign_in("05", "5555"), None)
        .await
        .expect("answered");
    assert!(r.ok, "the new cashier signs in: {r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_name_the_person_signed_in_and_the_feed_is_not_a_screen() {
    let console = Console::open(None).await;
    let mut c = console.client(ScreenRole::Kitchen, false).await;
    let bump = Command::Bump {
        order_id: "WX-001".into(),
        staff_id: "21".into(),
        line: None,
    };
    let r = c.command("b1", bump.clone(), None).await.expect("answered");
    assert_eq!(r.code.as_deref(), Some("sign_in_first"), "{r:?}");
    let r = c
        .command("b2", sign_in("21", "2222"), None)
        .await
        .expect("answered");
    assert!(r.ok);
    let r = c.command("b3", bump, None).await.expect("answered");
    assert!(r.ok, "{r:?}");
    let ack = Command::ReportAcked {
        report_id: "x".into(),
    };
    let r = c.command("b4", ack, None).await.expect("answered");
    assert_eq!(r.code.as_deref(), Some("feed_only"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnecting_screen_catches_up_from_its_last_event() {
    let console = Console::open(None).await;
    let mut first = console.client(ScreenRole::Kitchen, true).await;
    let ServerMsg::Snapshot { last_event, .. } = first.next().await.expect("snapshot") else {
        panic!("snapshot first");
    };
    first.close().await;
    // While it is away, the kitchen bumps A001.
    let mut k = console.client(ScreenRole::Kitchen, false).await;
    assert!(
        k.command("s", sign_in("21", "2222"), None)
            .await
            .expect("answered")
            .ok
    );
    let bump = Command::Bump {
        order_id: "WX-001".into(),
        staff_id: "21".into(),
        line: None,
    };
    assert!(k.command("b", bump, None).await.expect("answered").ok);

    let mut back = ApiClient::connect(
        &console.url,
        None,
        ScreenRole::Kitchen,
        true,
        Some(last_event),
    )
    .await
    .expect("reconnects");
    let mut missed = Vec::new();
    loop {
        match back.next().await.expect("frames") {
            ServerMsg::Event { event } => missed.push(event),
            ServerMsg::CaughtUp {
                last_event: now, ..
            } => {
                assert_eq!(missed.last().map(|e| e.id), Some(now));
                break;
            }
            ServerMsg::Snapshot { .. } => panic!("a short absence is caught up, not re-sent whole"),
            _ => {}
        }
    }
    assert_eq!(
        missed.first().map(|e| e.id),
        Some(last_event + 1),
        "nothing skipped"
    );
    assert!(
        missed.windows(2).all(|w| w[1].id == w[0].id + 1),
        "in order, no gaps"
    );
    assert!(missed
        .iter()
        .any(|e| matches!(&e.body, EventBody::Bumped { order_id, .. } if order_id.0 == "WX-001")));
}

/// A big order (40 dishes): its event frame is about 5 KiB, so 10,000 of
/// them (50 MiB) overflow what loopback's socket buffers hold (at most 4 MiB
/// sent + 6 MiB received by default) and keep the stuck screen's queue full
/// past the stall limit. (3,000 were enough while a burst took longer than
/// the stall limit to commit; with faster commits the burst was over, and
/// delivered, before the screen counted as stuck.)
fn big_order(n: u64) -> PlatformEvent {
    let items: Vec<serde_json::Value> = (1..=40)
        .map(|line| {
            serde_json::json!({"line": line, "sku": format!("D{line}"), "name": "宫保鸡丁加米饭套餐",
                "qty": 1, "unit_price": 100, "station": "hot", "modifiers": ["少辣", "不要花生"],
                "note": "请分开装, 一份不要葱"})
        })
        .collect();
    let order: Order = serde_json::from_value(serde_json::json!({
        "id": format!("WX-BIG-{n:05}"), "pickup_no": format!("B{n:03}"), "table": null,
        "channel": "wechat_mini", "dining": "takeaway", "placed_at": "2026-11-25T12:15:00+08:00",
        "currency": "CNY", "amount_due": 4000, "note": "", "items": items
    }))
    .expect("a valid order");
    PlatformEvent::OrderPlaced { order }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_that_stops_reading_is_dropped_and_catches_up_later() {
    let mut console = Console::open(None).await;
    console.queue = 8;
    console.stop_api().await;
    console.start_api().await;
    let mut stuck = console.client(ScreenRole::Kitchen, true).await;
    let ServerMsg::Snapshot { last_event, .. } = stuck.next().await.expect("snapshot") else {
        panic!("snapshot first");
    };
    let mut healthy = console.client(ScreenRole::Kitchen, true).await;
    let total = 10_000u64;
    let healthy_reads = tokio::spawn(async move {
        let mut n = 0u64;
        while n < total {
            match healthy.next().await.expect("the healthy screen stays") {
                ServerMsg::Event { .. } => n += 1,
                ServerMsg::Dropped { message, .. } => {
                    panic!("the healthy screen was dropped: {message}")
                }
                _ => {}
            }
        }
        n
    });
    // The platform sends a burst while the stuck screen reads nothing.
    let h = console.lunch.t.h();
    let started = std::time::Instant::now();
    let base = h.cursor().expect("the feed cursor");
    let mut waits = Vec::new();
    for n in 0..total {
        waits.push(h.submit(
            None,
            Command::Platform {
                seq: base + 1 + n,
                event: big_order(n),
            },
        ));
    }
    for w in waits {
        w.await.expect("answered").expect("committed");
    }
    let committing = started.elapsed();
    let got = tokio::time::timeout(std::time::Duration::from_secs(30), healthy_reads)
        .await
        .expect("the healthy screen gets every event within 30 s")
        .expect("reader");
    assert_eq!(got, total);
    // Now the stuck screen reads: the events its socket held, then it finds
    // itself closed (told `dropped` only if its socket had room for that).
    let mut seen = last_event;
    let ended = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            match stuck.next().await {
                Ok(ServerMsg::Event { event }) => seen = event.id,
                Ok(ServerMsg::Dropped { reason, .. }) => return Some(reason),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    })
    .await
    .expect("the stuck screen is closed, not kept waiting");
    println!(
        "burst committed in {committing:?}; stuck screen ended with {ended:?} after event {seen}"
    );
    let end = h.stats().borrow().last_event;
    assert!(seen < end, "it was dropped before the end of the burst");
    // Reconnecting, it catches up from the last event it saw.
    let mut back = ApiClient::connect(&console.url, None, ScreenRole::Kitchen, true, Some(seen))
        .await
        .expect("reconnects");
    let mut next = seen;
    loop {
        match back.next().await.expect("frames") {
            ServerMsg::Event { event } => {
                assert_eq!(event.id, next + 1, "no gap");
                next = event.id;
            }
            ServerMsg::CaughtUp { last_event, .. } => {
                assert_eq!(last_event, end);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
