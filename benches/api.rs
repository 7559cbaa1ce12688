//! Local API benchmark (a bench binary, not a timed test), over loopback:
//! 1. event fan-out latency to 10 attached screens: platform events are
//!    committed at a steady rate; for each event and screen, the time from
//!    the engine publishing it (seen by a subscriber in this process) to the
//!    screen reading its frame off the socket; p50 / p99 / max;
//!    then the same with the events submitted in one burst;
//! 2. commands per second through the API: 4 kitchen connections, each
//!    keeping 32 bump/recall commands in flight, every one answered after
//!    its durable commit; and one connection with one command at a time
//!    (the round trip a person waits for).
//!
//! Run: `cargo bench --bench api` (env: PASSLINE_BENCH_EVENTS, default 2000).

use passline::api::client::ApiClient;
use passline::api::message::{ClientMsg, ServerMsg};
use passline::api::{ApiOptions, ApiServer, ApiStatus, ScreenRole};
use passline::domain::*;
use passline::engine::{Engine, EngineConfig, EngineHandle, SystemClock};
use passline::feed::status::FeedStatus;
use passline::print::route::Routes;
use passline::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

const SCREENS: usize = 10;
const RATE_PER_S: u64 = 400;
const CMD_CLIENTS: usize = 4;
const IN_FLIGHT: usize = 32;
const CMDS_PER_CLIENT: usize = 1000;

fn order(n: u64) -> Order {
    serde_json::from_value(serde_json::json!({
        "id": format!("WX-{n:07}"), "pickup_no": format!("A{:03}", n % 1000), "table": "12",
        "channel": "wechat_mini", "dining": "dine_in",
        "placed_at": "2026-11-25T12:01:05+08:00", "currency": "CNY", "amount_due": 5600, "note": "",
        "items": [
            {"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":1,"unit_price":3800,"station":"hot","modifiers":["少辣"],"note":"不要花生"},
            {"line":2,"sku":"MF","name":"米饭","qty":2,"unit_price":200,"station":"staple","modifiers":[],"note":""},
            {"line":3,"sku":"NMC","name":"柠檬茶","qty":1,"unit_price":1400,"station":"bar","modifiers":["少冰"],"note":""}
        ]
    }))
    .expect("bench order")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn engine(dir: &std::path::Path) -> Engine {
    let tz = chrono_tz::Asia::Shanghai;
    Engine::start(
        Store::open(dir, 4 << 20).expect("store"),
        EngineConfig {
            rules: Rules {
                fire: FirePolicy::OnOrder,
                cash_rounding: CashRounding::Fen,
                ..Default::default()
            },
            routes: Routes::default(),
            tz,
            clock: Arc::new(SystemClock { tz }),
            menu: None,
        },
    )
    .expect("engine")
}

async fn fan_out(h: &EngineHandle, url: &str, events: u64, rate: Option<u64>, seq: &mut u64) {
    let mut screens = Vec::new();
    for _ in 0..SCREENS {
        let mut c = ApiClient::connect(url, None, ScreenRole::Kitchen, true, None)
            .await
            .expect("a screen attaches");
        match c.next().await.expect("snapshot") {
            ServerMsg::Snapshot { .. } => {}
            other => panic!("expected the snapshot, got {other:?}"),
        }
        screens.push(c);
    }
    let first = h.stats().borrow().last_event + 1;
    // The engine's own publish instants.
    let mut sub = h.subscribe();
    let published = tokio::spawn(async move {
        let mut at = HashMap::new();
        while let Ok(ev) = sub.recv().await {
            at.insert(ev.id, Instant::now());
            if at.len() as u64 >= events {
                break;
            }
        }
        at
    });
    let mut readers = Vec::new();
    for mut c in screens {
        readers.push(tokio::spawn(async move {
            let mut got = Vec::with_capacity(events as usize);
            while (got.len() as u64) < events {
                match c.next().await {
                    Ok(ServerMsg::Event { event }) if event.id >= first => {
                        got.push((event.id, Instant::now()))
                    }
                    Ok(ServerMsg::Dropped { message, .. }) => {
                        panic!("a screen was dropped: {message}")
                    }
                    Ok(_) => {}
                    Err(e) => panic!("a screen lost the API: {e}"),
                }
            }
            got
        }));
    }
    let mut tick = rate.map(|r| {
        let mut t = tokio::time::interval(Duration::from_micros(1_000_000 / r));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        t
    });
    let mut waits = Vec::new();
    for _ in 0..events {
        if let Some(t) = tick.as_mut() {
            t.tick().await;
        }
        *seq += 1;
        let o = order(100_000 + *seq);
        waits.push(h.submit(
            None,
            Command::Platform {
                seq: *seq,
                event: PlatformEvent::OrderPlaced { order: o },
            },
        ));
    }
    for w in waits {
        w.await.expect("answered").expect("committed");
    }
    let published = tokio::time::timeout(Duration::from_secs(30), published)
        .await
        .expect("published in time")
        .expect("publisher");
    let mut lat = Vec::new();
    for r in readers {
        let got = tokio::time::timeout(Duration::from_secs(30), r)
            .await
            .expect("every screen got every event")
            .expect("reader");
        for (id, at) in got {
            if let Some(p) = published.get(&id) {
                lat.push(at.saturating_duration_since(*p).as_secs_f64() * 1e3);
            }
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "fan-out to {SCREENS} screens, {events} events {} ({} deliveries): p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms{}",
        rate.map(|r| format!("at {r}/s")).unwrap_or_else(|| "in one burst".into()),
        lat.len(),
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
        // The target is for a store's steady flow; a burst is throughput-bound.
        if rate.is_some() { "  (target p99 < 20 ms)" } else { "  (no target: throughput-bound)" }
    );
}

/// One kitchen connection: signs in, then alternates bump and recall of its
/// own order, `window` in flight; returns the commands answered.
async fn kitchen_client(
    url: String,
    order_id: OrderId,
    total: usize,
    window: usize,
) -> (usize, Vec<f64>) {
    let mut c = ApiClient::connect(&url, None, ScreenRole::Kitchen, false, None)
        .await
        .expect("connects");
    let r = c
        .command(
            "sign-in",
            Command::SignIn {
                staff_id: "21".into(),
                pin: "2222".into(),
            },
            None,
        )
        .await
        .expect("answered");
    assert!(r.ok, "{r:?}");
    let cmd = |i: usize| {
        if i % 2 == 0 {
            Command::Bump {
                order_id: order_id.clone(),
                staff_id: "21".into(),
                line: None,
            }
        } else {
            Command::Recall {
                staff_id: "21".into(),
                order_id: Some(order_id.clone()),
            }
        }
    };
    let mut sent_at: HashMap<String, Instant> = HashMap::new();
    let mut rtt = Vec::with_capacity(total);
    let (mut sent, mut done) = (0, 0);
    while done < total {
        while sent < total && sent - done < window {
            let key = format!("{}-{sent}", order_id.0);
            sent_at.insert(key.clone(), Instant::now());
            c.send(&ClientMsg::Command {
                key,
                command: Box::new(cmd(sent)),
                approval: None,
            })
            .await
            .expect("sent");
            sent += 1;
        }
        match c.next().await.expect("answers") {
            ServerMsg::Result(r) => {
                assert!(r.ok, "{r:?}");
                if let Some(t) = sent_at.remove(&r.key) {
                    rtt.push(t.elapsed().as_secs_f64() * 1e3);
                }
                done += 1;
            }
            ServerMsg::Dropped { message, .. } => panic!("dropped: {message}"),
            _ => {}
        }
    }
    c.close().await;
    (done, rtt)
}

async fn commands(url: &str, order_ids: &[OrderId]) {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for id in order_ids.iter().take(CMD_CLIENTS) {
        tasks.push(tokio::spawn(kitchen_client(
            url.to_string(),
            id.clone(),
            CMDS_PER_CLIENT,
            IN_FLIGHT,
        )));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("client").0;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "commands through the API, {CMD_CLIENTS} connections x {IN_FLIGHT} in flight: {total} in {secs:.2} s = {:.0} commands/s (each answered after its durable commit)",
        total as f64 / secs
    );
    let (n, mut rtt) =
        kitchen_client(url.to_string(), order_ids[CMD_CLIENTS].clone(), 400, 1).await;
    rtt.sort_by(|a, b| a.total_cmp(b));
    println!(
        "one command at a time: {n} round trips, p50 {:.3} ms  p99 {:.3} ms = {:.0} commands/s",
        percentile(&rtt, 0.5),
        percentile(&rtt, 0.99),
        1e3 / (rtt.iter().sum::<f64>() / rtt.len().max(1) as f64)
    );
}

fn main() {
    let events: u64 = std::env::var("PASSLINE_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir().expect("temp dir");
    let eng = engine(dir.path());
    let h = eng.handle();
    h.execute_blocking(
        None,
        Command::AddStaff {
            staff_id: "21".into(),
            name: "李强".into(),
            role: Role::Kitchen,
            pin: "2222".into(),
        },
    )
    .expect("staff");
    let mut seq = 0;
    let mut ids = Vec::new();
    for n in 0..=CMD_CLIENTS as u64 {
        seq += 1;
        let o = order(n);
        ids.push(o.id.clone());
        h.execute_blocking(
            None,
            Command::Platform {
                seq,
                event: PlatformEvent::OrderPlaced { order: o },
            },
        )
        .expect("placed");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (_f, feed) = watch::channel(FeedStatus::default());
        let (_p, printers) = watch::channel(Vec::new());
        let server = ApiServer::start(
            ApiOptions {
                listen: "127.0.0.1:0".parse().expect("address"),
                token: None,
                queue: passline::api::CLIENT_QUEUE,
            },
            h.clone(),
            ApiStatus { feed, printers },
            "bench",
        )
        .await
        .expect("API starts");
        let url = format!("ws://{}", server.local_addr());
        fan_out(&h, &url, events, Some(RATE_PER_S), &mut seq).await;
        fan_out(&h, &url, events, None, &mut seq).await;
        commands(&url, &ids).await;
        server.stop().await;
    });
    drop(rt);
    eng.shutdown();
}
