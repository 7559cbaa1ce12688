//! The feed client against the real simulator over loopback: exactly-once
//! apply through drops, duplicates, replays and gaps; quarantine; a wrong
//! token; reports across a platform outage and a console restart; and a
//! payment that succeeds online after the store took cash.

use crate::feed_support;

use feed_support::*;
use passline::domain::*;
use passline::feed::status::LinkState;
use passline::sim::platform::{Scenario, SimConfig, Simulator, WireFaults};
use std::time::Duration;

const FAST: f64 = 600_000.0;

fn every_seq_once(h: &passline::engine::EngineHandle, last: u64) {
    let seen = applied_seqs(h);
    let want: Vec<u64> = (1..=last).collect();
    let got: Vec<u64> = seen.keys().copied().collect();
    assert_eq!(got, want, "every seq is applied");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "seqs applied more than once: {twice:?}");
}

/// Waits until the platform has `n` events acknowledged, then checks that
/// the console holds exactly the platform's truth, every seq applied once
/// and in order. Returns the truth for the test's own checks.
async fn assert_caught_up(
    sim: &Simulator,
    h: &passline::engine::EngineHandle,
    n: u64,
) -> passline::sim::platform::Truth {
    let done = eventually(Duration::from_secs(20), || sim.acked() >= n).await;
    assert!(
        done,
        "console reached seq {} of {n}",
        h.cursor().unwrap_or(0)
    );
    let truth = sim.truth();
    assert_eq!(differences(h, &truth), Vec::<String>::new());
    every_seq_once(h, n);
    let seqs = seqs_in_log_order(h);
    assert!(
        seqs.windows(2).all(|w| w[0] <= w[1]),
        "applied out of order"
    );
    truth
}

fn seqs_in_log_order(h: &passline::engine::EngineHandle) -> Vec<u64> {
    h.events_after(0, usize::MAX)
        .expect("read log")
        .into_iter()
        .filter_map(|e| match e.actor {
            Actor::Platform { seq } => Some(seq),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_events_through_a_drop_every_fifty_frames_arrive_exactly_once() {
    let sim = simulator(Scenario::LunchPeak, |c| {
        c.seed = 42;
        c.rate = FAST;
        c.max_events = Some(1000);
        c.faults = WireFaults {
            drop_every: Some(50),
            ..WireFaults::none()
        };
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = start_engine(dir.path());
    let h = engine.handle();
    let link = Link::start(h.clone(), &sim.url(), TOKEN);

    let truth = assert_caught_up(&sim, &h, 1000).await;
    assert!(
        sim.wait_acked(1000, Duration::from_secs(5)).await,
        "the platform heard the last ack"
    );
    assert_eq!(truth.last_seq, 1000);
    assert!(
        truth.connections >= 10,
        "only {} connections: the drops did not happen",
        truth.connections
    );
    assert_eq!(h.board().len(), truth.orders.len());
    link.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_and_replays_change_nothing_and_a_gap_resumes_in_order() {
    let sim = simulator(Scenario::LunchPeak, |c| {
        c.seed = 7;
        c.rate = FAST;
        c.max_events = Some(400);
        c.faults = WireFaults {
            drop_every: Some(100),
            duplicate: 0.1,
            skip_seq: 0.02,
            wrong_resume: 1.0,
            junk: 0.0,
        };
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = start_engine(dir.path());
    let h = engine.handle();
    let link = Link::start(h.clone(), &sim.url(), TOKEN);

    let truth = assert_caught_up(&sim, &h, 400).await;
    assert!(truth.connections >= 3, "gaps and drops force resumes");
    // Each resume asked for what was committed: never a seq already acked by a later hello.
    assert!(
        truth.hellos.windows(2).all(|w| w[0] <= w[1]),
        "hellos went backwards: {:?}",
        truth.hellos
    );
    link.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_frames_are_quarantined_and_counted_and_the_feed_goes_on() {
    let sim = simulator(Scenario::Chaos, |c| {
        c.seed = 3;
        c.rate = FAST;
        c.max_events = Some(600);
        c.faults = WireFaults {
            junk: 0.05,
            ..WireFaults::none()
        };
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = start_engine(dir.path());
    let h = engine.handle();
    let link = Link::start(h.clone(), &sim.url(), TOKEN);
    assert!(eventually(Duration::from_secs(20), || sim.acked() >= 600).await);
    // An oversized frame (over 1 MiB) after the scenario: quarantined, acked.
    let big = serde_json::json!({"kind": "order.cancelled", "order_id": "WX20261125-000001",
        "reason": "x".repeat((1 << 20) + 10)});
    let big_seq = sim.push_junk(big);
    assert!(
        sim.wait_acked(big_seq, Duration::from_secs(5)).await,
        "the oversized frame was acked"
    );

    let truth = sim.truth();
    assert!(
        !truth.junk_seqs.is_empty() && truth.junk_frames_sent > 0,
        "the scenario sent garbage"
    );
    let expected = truth.junk_seqs.len() + truth.junk_frames_sent as usize;
    let mut status = link.status.clone();
    let counted = eventually(Duration::from_secs(5), || {
        status.borrow_and_update().quarantined == expected
    })
    .await;
    assert!(
        counted,
        "screen counts {} of {expected}",
        link.status.borrow().quarantined
    );
    let q = h.quarantined().expect("read quarantine");
    let q_seqs: std::collections::BTreeSet<u64> = q.iter().filter_map(|f| f.seq).collect();
    assert_eq!(
        q_seqs, truth.junk_seqs,
        "every unreadable seq is quarantined under its seq"
    );
    assert!(q.iter().any(|f| f.error.contains("1 MiB")));
    assert_eq!(differences(&h, &truth), Vec::<String>::new());
    every_seq_once(&h, big_seq);
    link.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_shows_unauthorized_and_retries_slowly() {
    let sim = simulator(Scenario::Idle, |_| {}).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = start_engine(dir.path());
    let link = Link::start(engine.handle(), &sim.url(), "not-the-token");
    let mut status = link.status.clone();
    assert!(
        eventually(Duration::from_secs(3), || status.borrow_and_update().link
            == LinkState::Unauthorized)
        .await
    );
    let first = sim.truth().unauthorized;
    let window = Duration::from_millis(1500);
    tokio::time::sleep(window).await;
    let attempts = sim.truth().unauthorized - first;
    // With the longest delay (150 ms here) after every 401: about 10, never a hot loop.
    let most = (window.as_millis() / quick().backoff_max.as_millis()) as u64 + 1;
    assert!(
        attempts >= 3 && attempts <= most,
        "{attempts} attempts in {window:?} (at most {most})"
    );
    assert_eq!(link.status.borrow().link, LinkState::Unauthorized);
    assert_eq!(sim.truth().connections, 0, "no session without the token");
    link.shutdown().await;
}

fn cash(amount: i64) -> Vec<TenderInput> {
    vec![TenderInput {
        method: Method::Cash,
        amount: Fen(amount),
        tendered: Some(Fen(amount)),
        reference: None,
    }]
}

fn failed_order(id: &str, due: i64) -> [serde_json::Value; 2] {
    [
        serde_json::json!({"kind": "order.placed", "order": {
            "id": id, "pickup_no": "A023", "table": "12", "channel": "wechat_mini",
            "dining": "dine_in", "placed_at": "2026-11-25T12:01:05+08:00", "currency": "CNY",
            "amount_due": due, "note": "",
            "items": [{"line": 1, "sku": "GBJD", "name": "宫保鸡丁", "qty": 1, "unit_price": due,
                       "station": "hot", "modifiers": ["少辣"], "note": "不要花生"}]}}),
        serde_json::json!({"kind": "payment.updated", "order_id": id, "channel": "wechat",
            "trade_state": "PAYERROR", "amount": due, "transaction_id": null,
            "error_code": "BANKERROR", "error_message": "银行系统异常",
            "at": "2026-11-25T12:01:40+08:00"}),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settlement_made_while_the_platform_is_down_reaches_it_once_after_a_console_restart() {
    let sim_dir = tempfile::tempdir().expect("temp dir");
    let sim = simulator(Scenario::Idle, |c| {
        c.history = Some(sim_dir.path().join("history.ndjson"))
    })
    .await;
    for ev in failed_order("WX20261125-000123", 5600) {
        sim.push_event(ev);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = start_engine(dir.path());
    let h = engine.handle();
    add_cashier(&h).await;
    let link = Link::start(h.clone(), &sim.url(), TOKEN);
    assert!(eventually(Duration::from_secs(5), || sim.acked() >= 2).await);

    // The platform goes away; the cashier takes cash for the failed payment.
    let cfg: SimConfig = sim.stop().await;
    let done = h
        .execute(
            None,
            Command::Settle {
                order_id: "WX20261125-000123".into(),
                staff_id: "01".into(),
                pin: None,
                tenders: cash(5600),
            },
        )
        .await
        .expect("settle in cash");
    let settled_id = h
        .outbox()
        .expect("outbox")
        .into_iter()
        .find(|e| e.report.kind() == "payment.settled")
        .map(|e| e.id)
        .expect("a payment.settled report waits in the outbox");
    assert!(done.reports.contains(&settled_id));
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The console restarts (engine and feed) while the platform is still down.
    link.shutdown().await;
    drop(h);
    engine.shutdown();
    let engine = start_engine(dir.path());
    let h = engine.handle();
    let link = Link::start(h.clone(), &cfg_url(&cfg), TOKEN);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The platform comes back with its history.
    let sim = Simulator::start(cfg).await.expect("simulator restarts");
    let arrived = eventually(Duration::from_secs(5), || {
        sim.truth().reports.contains_key(&settled_id)
    })
    .await;
    assert!(arrived, "the settlement reached the platform");
    assert!(
        eventually(Duration::from_secs(5), || h
            .outbox()
            .map(|o| o.is_empty())
            .unwrap_or(false))
        .await
    );
    let truth = sim.truth();
    assert_eq!(truth.reports[&settled_id].received, 1, "sent once");
    assert_eq!(truth.reports_of("payment.settled").len(), 1, "applied once");
    assert!(truth.orders[&OrderId::from("WX20261125-000123")].trade_closed);
    assert_eq!(truth.last_seq, 2, "the restarted platform kept its history");
    link.shutdown().await;
}

fn cfg_url(cfg: &SimConfig) -> String {
    format!("ws://{}/v1/stores/{}/feed", cfg.listen, cfg.store_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_online_success_after_cash_is_a_double_payment_reported_to_the_platform() {
    let sim = simulator(Scenario::LateSuccess, |c| {
        c.seed = 5;
        c.rate = 1200.0;
        c.max_orders = Some(4);
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = start_engine(dir.path());
    let h = engine.handle();
    add_cashier(&h).await;
    let link = Link::start(h.clone(), &sim.url(), TOKEN);

    // The first order whose payment timed out.
    let mut timed_out = None;
    let found = eventually(Duration::from_secs(8), || {
        timed_out = h
            .board()
            .into_values()
            .find(|o| o.online.as_ref().and_then(|u| u.error_code.as_deref()) == Some("TIMEOUT"));
        timed_out.is_some()
    })
    .await;
    assert!(found, "a payment timed out");
    let order = timed_out.expect("found");
    let id = order.order.id.clone();
    h.execute(
        None,
        Command::Settle {
            order_id: id.clone(),
            staff_id: "01".into(),
            pin: None,
            tenders: cash(order.order.amount_due.0),
        },
    )
    .await
    .expect("cash taken");

    let flagged = eventually(Duration::from_secs(8), || {
        h.order(&id)
            .ok()
            .flatten()
            .is_some_and(|o| o.payment() == PaymentSummary::DoublePaid)
    })
    .await;
    assert!(
        flagged,
        "the order is double_paid: {:?}",
        h.order(&id).ok().flatten().map(|o| o.payment())
    );
    let reported = eventually(Duration::from_secs(5), || {
        sim.truth()
            .reports_of("payment.conflict")
            .iter()
            .any(|r| r.order_id.as_deref() == Some(id.0.as_str()))
    })
    .await;
    assert!(reported, "the platform heard of the conflict");
    let truth = sim.truth();
    let conflict = truth
        .reports_of("payment.conflict")
        .into_iter()
        .find(|r| r.order_id.as_deref() == Some(id.0.as_str()))
        .expect("conflict report")
        .report
        .clone();
    assert_eq!(
        conflict["in_store_amount"],
        serde_json::json!(order.order.amount_due.0)
    );
    assert_eq!(
        conflict["online_amount"],
        serde_json::json!(order.order.amount_due.0)
    );
    assert!(conflict["transaction_id"].is_string());
    link.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wss_connect_that_fails_its_tls_handshake_retries_without_panicking() {
    // The simulator speaks plain ws://, so the TLS handshake fails.
    let sim = simulator(Scenario::Idle, |_| {}).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = start_engine(dir.path());
    let url = format!("wss://{}/v1/stores/S001/feed", sim.addr());
    let link = Link::start(engine.handle(), &url, TOKEN);
    let mut status = link.status.clone();
    let retried = eventually(Duration::from_secs(3), || {
        matches!(
            status.borrow_and_update().link,
            LinkState::Connecting { attempt: 3.., .. } | LinkState::Offline { .. }
        )
    })
    .await;
    assert!(retried, "still {:?}", link.status.borrow().link);
    assert!(!link.task.is_finished(), "the feed task is alive");
    assert_eq!(sim.truth().connections, 0);
    link.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_simulator_replays_the_same_history_and_goes_on() {
    let sim_dir = tempfile::tempdir().expect("temp dir");
    let history = sim_dir.path().join("history.ndjson");
    let sim = simulator(Scenario::LunchPeak, |c| {
        c.seed = 11;
        c.rate = FAST;
        c.max_events = Some(60);
        c.history = Some(history.clone());
    })
    .await;
    assert!(eventually(Duration::from_secs(5), || sim.truth().last_seq == 60).await);
    let before = sim.truth();
    let sim = sim.restart().await.expect("restart");
    let after = sim.truth();
    assert_eq!(
        after.last_seq, 60,
        "the history was reloaded, not replayed into new seqs"
    );
    assert_eq!(after.orders, before.orders);

    let dir = tempfile::tempdir().expect("temp dir");
    let engine = start_engine(dir.path());
    let h = engine.handle();
    let link = Link::start(h.clone(), &sim.url(), TOKEN);
    assert!(eventually(Duration::from_secs(5), || sim.acked() >= 60).await);
    sim.drop_connections();
    assert!(
        eventually(Duration::from_secs(5), || sim.truth().hellos.len() >= 2).await,
        "reconnected after a drop"
    );
    assert_eq!(sim.truth().hellos.last().copied(), Some(60));
    assert_eq!(differences(&h, &sim.truth()), Vec::<String>::new());
    link.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chaos_scenario_ends_with_the_console_equal_to_the_platform() {
    let sim = simulator(Scenario::Chaos, |c| {
        c.seed = 2026;
        c.rate = FAST;
        c.max_events = Some(800);
        c.faults = WireFaults::chaos();
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = start_engine(dir.path());
    let h = engine.handle();
    let link = Link::start(h.clone(), &sim.url(), TOKEN);
    let truth = assert_caught_up(&sim, &h, 800).await;
    assert!(truth.connections >= 5, "chaos dropped and resumed");
    let q: std::collections::BTreeSet<u64> = h
        .quarantined()
        .expect("quarantine")
        .iter()
        .filter_map(|f| f.seq)
        .collect();
    assert_eq!(q, truth.junk_seqs);
    link.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recheck_from_the_cashier_brings_a_fresh_payment_state() {
    let sim = simulator(Scenario::Idle, |_| {}).await;
    let [placed, _] = failed_order("WX20261125-000200", 3800);
    sim.push_event(placed);
    sim.push_event(
        serde_json::json!({"kind": "payment.updated", "order_id": "WX20261125-000200",
        "channel": "wechat", "trade_state": "USERPAYING", "amount": 3800, "transaction_id": null,
        "error_code": null, "error_message": null, "at": "2026-11-25T12:01:40+08:00"}),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = start_engine(dir.path());
    let h = engine.handle();
    add_cashier(&h).await;
    let link = Link::start(h.clone(), &sim.url(), TOKEN);
    assert!(eventually(Duration::from_secs(5), || sim.acked() >= 2).await);

    h.execute(
        None,
        Command::Recheck {
            order_id: "WX20261125-000200".into(),
            staff_id: "01".into(),
        },
    )
    .await
    .expect("recheck asked");
    assert!(
        eventually(Duration::from_secs(5), || sim.acked() >= 3).await,
        "the answer arrived and was committed"
    );
    let truth = sim.truth();
    assert_eq!(truth.reports_of("payment.recheck").len(), 1);
    let o = h
        .order(&"WX20261125-000200".into())
        .expect("read")
        .expect("order");
    let online = o.online.expect("a payment state");
    assert_eq!(online.trade_state, TradeState::Userpaying);
    assert_ne!(
        online.at.to_rfc3339(),
        "2026-11-25T12:01:40+08:00",
        "a fresh answer, not the old one"
    );
    link.shutdown().await;
}

/// The platform side alone, as an independent console would see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_charges_a_scanned_code_once_and_refuses_unknown_prefixes() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};
    let sim = simulator(Scenario::Idle, |_| {}).await;
    let [placed, _] = failed_order("WX20261125-000300", 5600);
    sim.push_event(placed);
    let mut req = sim.url().into_client_request().expect("request");
    req.headers_mut().insert(
        "Authorization",
        format!("Bearer {TOKEN}").parse().expect("header"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    let hello =
        r#"{"type":"hello","protocol":1,"store_id":"S001","device_id":"box-9","resume_after":1}"#;
    ws.send(Message::text(hello)).await.expect("hello");
    let collect = |id: &str, code: &str| {
        serde_json::json!({"type": "report", "id": id, "report": {"kind": "payment.collect",
            "order_id": "WX20261125-000300", "auth_code": code, "amount": 5600, "channel": "wechat",
            "at": "2026-11-25T12:05:00+08:00"}})
        .to_string()
    };
    ws.send(Message::text(collect("C1", "134567890123456781")))
        .await
        .expect("collect");
    ws.send(Message::text(collect("C1", "134567890123456781")))
        .await
        .expect("same id again");
    ws.send(Message::text(collect("C2", "994567890123456781")))
        .await
        .expect("unknown prefix");

    let mut frames: Vec<serde_json::Value> = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while tokio::time::Instant::now() < until {
        match tokio::time::timeout_at(until, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                frames.push(serde_json::from_str(t.as_str()).expect("json"))
            }
            Ok(Some(Ok(_))) => {}
            _ => break,
        }
        let states: Vec<_> = frames
            .iter()
            .filter(|f| f["type"] == "event")
            .map(|f| f["event"]["trade_state"].clone())
            .collect();
        if states.len() >= 3 {
            break;
        }
    }
    assert_eq!(frames[0]["type"], "welcome");
    assert_eq!(frames[0]["last_seq"], 1);
    let acks: Vec<_> = frames
        .iter()
        .filter(|f| f["type"] == "report_ack")
        .map(|f| f["id"].clone())
        .collect();
    assert_eq!(
        acks,
        vec![
            serde_json::json!("C1"),
            serde_json::json!("C1"),
            serde_json::json!("C2")
        ]
    );
    let events: Vec<&serde_json::Value> = frames.iter().filter(|f| f["type"] == "event").collect();
    let seqs: Vec<u64> = events
        .iter()
        .map(|f| f["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, vec![2, 3, 4], "gapless after resume_after = 1");
    let outcome: Vec<(String, Option<String>)> = events
        .iter()
        .map(|f| {
            (
                f["event"]["trade_state"].as_str().unwrap_or("").to_string(),
                f["event"]["error_code"].as_str().map(str::to_string),
            )
        })
        .collect();
    // USERPAYING comes first; the refusal of C2 and the success of C1 may cross.
    assert_eq!(outcome[0], ("USERPAYING".to_string(), None));
    let mut rest = outcome[1..].to_vec();
    rest.sort();
    assert_eq!(
        rest,
        vec![
            (
                "PAYERROR".to_string(),
                Some("AUTH_CODE_INVALID".to_string())
            ),
            ("SUCCESS".to_string(), None),
        ],
        "one charge for C1, a refusal for C2"
    );
    assert_eq!(sim.truth().reports["C1"].received, 2);
}
