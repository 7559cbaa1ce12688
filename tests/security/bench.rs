//! The floods' benchmark (docs/performance.md, "Under attack"): the real
//! `passline serve` taking the simulator's lunch peak over loopback, quiet
//! and during each flood of docs/security.md (a PIN flood from 40 devices,
//! 1 MB frames from 20, 2,000 connections), measuring the feed's
//! send → commit → ack p50/p99, a cashier's sign-in from their own screen
//! every 250 ms, and serve's peak RSS.
//!
//! Ignored by `cargo test`; run it with
//! `cargo test --release --test security_bench -- --ignored --nocapture`
//! (or without `--release` for the debug build's figures).

use crate::support as security_support;

use futures_util::SinkExt;
use passline::sim::platform::{Scenario, SimConfig, Simulator, WireFaults};
use security_support::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;

const WARM_UP: Duration = Duration::from_secs(3);
const WINDOW: Duration = Duration::from_secs(12);

#[derive(Clone, Copy, Debug)]
enum Flood {
    Quiet,
    Pins,
    BigFrames,
    Connections,
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn peak_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn pin_flooder(s: Arc<(String, String)>, from: String, stop: Arc<AtomicBool>) {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let Some(mut ws) = dial(&s, &from).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        while !stop.load(Ordering::Relaxed) {
            for _ in 0..32 {
                n += 1;
                let f = serde_json::json!({"type":"command","key":format!("p{n}"),
                    "command": {"sign_in": {"staff_id": "01", "pin": format!("{:06}", n % 1_000_000)}}});
                if ws.send(Message::text(f.to_string())).await.is_err() {
                    break;
                }
            }
            let mut got = 0;
            while got < 32 {
                match tokio::time::timeout(Duration::from_secs(5), next_frame(&mut ws)).await {
                    Ok(Some(_)) => got += 1,
                    _ => break,
                }
            }
            if got < 32 {
                break;
            }
        }
    }
}

async fn big_flooder(s: Arc<(String, String)>, from: String, stop: Arc<AtomicBool>) {
    let big = format!(
        r#"{{"type":"get_order","key":"k","order_id":"{}"}}"#,
        "x".repeat(1 << 20)
    );
    while !stop.load(Ordering::Relaxed) {
        let Some(mut ws) = dial(&s, &from).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        while ws.send(Message::text(big.clone())).await.is_ok() {
            if stop.load(Ordering::Relaxed) {
                return;
            }
        }
    }
}

async fn connection_flooder(s: Arc<(String, String)>, stop: Arc<AtomicBool>) {
    let mut held = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        held.retain(|c: &tokio::net::TcpStream| c.peer_addr().is_ok());
        let mut i = 0usize;
        while held.len() < 2000 && !stop.load(Ordering::Relaxed) {
            i += 1;
            let from = format!("127.0.5.{}", 1 + i % 63);
            let Ok(sock) = TcpSocket::new_v4() else { break };
            if sock
                .bind(format!("{from}:0").parse().expect("addr"))
                .is_err()
            {
                break;
            }
            match sock.connect(s.0.parse().expect("addr")).await {
                Ok(c) => held.push(c),
                Err(_) => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

type Raw = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn dial(s: &(String, String), from: &str) -> Option<Raw> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let sock = TcpSocket::new_v4().ok()?;
    sock.bind(format!("{from}:0").parse().ok()?).ok()?;
    let stream = sock.connect(s.0.parse().ok()?).await.ok()?;
    let mut req = s.1.as_str().into_client_request().ok()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {TOKEN}").parse().ok()?);
    let (mut ws, _) = tokio_tungstenite::client_async(req, stream).await.ok()?;
    ws.send(Message::text(r#"{"type":"hello","role":"cashier"}"#))
        .await
        .ok()?;
    next_frame(&mut ws).await?;
    Some(ws)
}

async fn next_frame(ws: &mut Raw) -> Option<String> {
    use futures_util::StreamExt;
    loop {
        match ws.next().await? {
            Ok(Message::Text(t)) => return Some(t.to_string()),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

async fn one_run(flood: Flood) -> String {
    let mut sc = SimConfig::new(
        "127.0.0.1:0".parse().expect("loopback"),
        "feed-token",
        Scenario::LunchPeak,
    );
    sc.faults = WireFaults::none();
    sc.rate = 600.0;
    sc.measure_latency = true;
    let sim = Simulator::start(sc).await.expect("the simulator starts");
    let s = tokio::task::block_in_place(|| {
        serve_with(&format!(
            "[feed]\nurl = \"{}\"\ntoken = \"feed-token\"\n",
            sim.url()
        ))
    });
    let pid = s.child.id();
    let target = Arc::new((s.listen.clone(), s.url.clone()));
    // The cashier has signed in on their screen before the attack starts.
    let mut till = dial(&target, "127.0.0.1").await.expect("the till connects");
    let f = serde_json::json!({"type":"command","key":"first","command":{"sign_in":{"staff_id":"01","pin":"1234"}}});
    till.send(Message::text(f.to_string())).await.expect("sent");
    next_frame(&mut till).await.expect("answered");
    tokio::time::sleep(WARM_UP).await;
    let before = sim.ack_latencies().len();
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    match flood {
        Flood::Quiet => {}
        Flood::Pins => {
            for i in 0..40 {
                tasks.push(tokio::spawn(pin_flooder(
                    target.clone(),
                    format!("127.0.3.{}", i + 1),
                    stop.clone(),
                )));
            }
        }
        Flood::BigFrames => {
            for i in 0..20 {
                tasks.push(tokio::spawn(big_flooder(
                    target.clone(),
                    format!("127.0.4.{}", i + 1),
                    stop.clone(),
                )));
            }
        }
        Flood::Connections => {
            tasks.push(tokio::spawn(connection_flooder(
                target.clone(),
                stop.clone(),
            )));
        }
    }
    let mut sign_ins = Vec::new();
    let end = Instant::now() + WINDOW;
    let mut failed = 0;
    while Instant::now() < end {
        let t = Instant::now();
        match tokio::time::timeout(Duration::from_secs(10), async {
            let mut ws = dial(&target, "127.0.0.1").await?;
            let f = serde_json::json!({"type":"command","key":"me","command":{"sign_in":{"staff_id":"01","pin":"1234"}}});
            ws.send(Message::text(f.to_string())).await.ok()?;
            loop {
                let t = next_frame(&mut ws).await?;
                if t.contains("\"key\":\"me\"") {
                    return Some(t.contains("\"ok\":true"));
                }
            }
        })
        .await
        {
            Ok(Some(true)) => sign_ins.push(t.elapsed()),
            _ => failed += 1,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.abort();
    }
    let acks: Vec<Duration> = sim.ack_latencies().into_iter().skip(before).collect();
    let peak = peak_kib(pid);
    drop(s);
    sim.stop().await;
    format!(
        "| {:?} | {} | {:.1} / {:.1} ms | {} ({} failed) | {:.1} / {:.1} ms | {:.1} MiB |",
        flood,
        acks.len(),
        pct(acks.clone(), 0.5).as_secs_f64() * 1e3,
        pct(acks, 0.99).as_secs_f64() * 1e3,
        sign_ins.len(),
        failed,
        pct(sign_ins.clone(), 0.5).as_secs_f64() * 1e3,
        pct(sign_ins, 0.99).as_secs_f64() * 1e3,
        peak as f64 / 1024.0,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: cargo test --release --test security_bench -- --ignored --nocapture"]
async fn the_feed_and_a_sign_in_hold_under_every_flood() {
    let mut rows = Vec::new();
    for flood in [
        Flood::Quiet,
        Flood::Pins,
        Flood::BigFrames,
        Flood::Connections,
    ] {
        let row = one_run(flood).await;
        eprintln!("{row}");
        rows.push(row);
    }
    println!("| flood | events acked | feed send→ack p50 / p99 | sign-ins (failed) | sign-in p50 / p99 | serve peak RSS |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
}
