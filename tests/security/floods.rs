//! Floods against the real `passline serve` over loopback (docs/security.md,
//! "Backpressure"): thousands of idle connections, 1 MB frames, a client
//! pipelining without reading, a browser page, a connection that never says
//! hello. After each, a cashier still signs in promptly on their own screen
//! and serve's peak memory stays under 64 MiB.

use crate::support as security_support;

use futures_util::{SinkExt, StreamExt};
use passline::api::server::{MAX_CONNECTIONS, MAX_PER_ADDRESS};
use security_support::*;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const PEAK_LIMIT_KIB: u64 = 64 * 1024;

/// serve's peak resident memory so far (VmHWM), in KiB.
fn peak_kib(s: &Serve) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", s.child.id())).expect("serve's status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// A cashier signs in from 127.0.0.1; how long it took.
async fn cashier_signs_in(s: &Serve) -> Duration {
    let t = Instant::now();
    let mut till = raw_from(s, "127.0.0.1").await;
    let r = command(&mut till, "me", sign_in("01", "1234")).await;
    assert_eq!(r["ok"], true, "{r}");
    t.elapsed()
}

async fn tcp_from(s: &Serve, from: &str) -> TcpStream {
    let sock = TcpSocket::new_v4().expect("a socket");
    sock.bind(format!("{from}:0").parse().expect("an address"))
        .expect("bind");
    sock.connect(s.listen.parse().expect("address"))
        .await
        .expect("connects")
}

/// What the console says to a bare connection within `wait`: its first
/// bytes, or "" when it says nothing (or closes).
async fn first_words(c: &mut TcpStream, wait: Duration) -> String {
    let mut buf = vec![0u8; 512];
    match tokio::time::timeout(wait, c.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        _ => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_connections_are_capped_and_closed_at_the_hello_deadline() {
    let s = serve();
    // 2,000 connections from one address: 32 are seated, the rest turned away.
    let mut conns = Vec::new();
    for _ in 0..2000 {
        conns.push(tcp_from(&s, "127.0.0.2").await);
    }
    let mut turned_away = 0;
    for c in conns.iter_mut().skip(MAX_PER_ADDRESS) {
        let words = first_words(c, Duration::from_secs(5)).await;
        if words.starts_with("HTTP/1.1 503")
            && words.contains("too many connections from this address")
        {
            turned_away += 1;
        }
    }
    assert_eq!(turned_away, 2000 - MAX_PER_ADDRESS);
    // Spread over many addresses, more than the console seats: each
    // newcomer takes the seat of the oldest that has not said hello, so the
    // cashier's screen still gets in, at once.
    let mut spread = Vec::new();
    for i in 3..15 {
        for _ in 0..MAX_PER_ADDRESS {
            spread.push(tcp_from(&s, &format!("127.0.0.{i}")).await);
        }
    }
    assert!(spread.len() > MAX_CONNECTIONS);
    let waited = cashier_signs_in(&s).await;
    assert!(
        waited < Duration::from_secs(2),
        "sign-in with the console full of silent connections took {waited:?}"
    );
    // None of them said hello: 5 s later they are all closed, and the
    // cashier's screen connects and signs in.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut still_open = 0;
    for c in conns.iter_mut().take(MAX_PER_ADDRESS) {
        let mut b = [0u8; 64];
        if let Err(_) | Ok(Ok(1..)) =
            tokio::time::timeout(Duration::from_millis(200), c.read(&mut b)).await
        {
            still_open += 1;
        }
    }
    assert_eq!(still_open, 0, "the handshake/hello deadline closed them");
    let waited = cashier_signs_in(&s).await;
    assert!(waited < Duration::from_secs(2), "sign-in took {waited:?}");
    let peak = peak_kib(&s);
    assert!(peak < PEAK_LIMIT_KIB, "serve peaked at {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_one_megabyte_frames_is_cut_off_at_the_first() {
    let s = serve();
    let mut flooders = Vec::new();
    for i in 0..10 {
        let mut ws = raw_from(&s, &format!("127.0.1.{i}")).await;
        let big = format!(
            r#"{{"type":"get_order","key":"k","order_id":"{}"}}"#,
            "x".repeat(1 << 20)
        );
        let mut sent = 0;
        for _ in 0..30 {
            if ws.send(Message::text(big.clone())).await.is_err() {
                break;
            }
            sent += 1;
        }
        flooders.push((ws, sent));
    }
    for (ws, sent) in flooders.iter_mut() {
        // The console closes the connection: no answer to any frame.
        let mut answers = 0;
        while let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            if matches!(m, Message::Text(_)) {
                answers += 1;
            }
        }
        assert_eq!(answers, 0, "after {sent} frames sent");
    }
    let waited = cashier_signs_in(&s).await;
    assert!(waited < Duration::from_secs(2), "sign-in took {waited:?}");
    let peak = peak_kib(&s);
    assert!(peak < PEAK_LIMIT_KIB, "serve peaked at {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_pipelining_without_reading_is_told_to_slow_down() {
    let s = serve();
    let mut ws = raw_from(&s, "127.0.0.2").await;
    let r = command(&mut ws, "in", sign_in("01", "1234")).await;
    assert_eq!(r["ok"], true);
    for n in 0..1000 {
        send_command(
            &mut ws,
            &format!("r{n}"),
            serde_json::json!({"recheck": {"order_id": format!("WX-{n}"), "staff_id": "01"}}),
        )
        .await;
    }
    let waited = cashier_signs_in(&s).await;
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    let mut answered = 0;
    while answered < 1000 {
        let v = next_json(&mut ws).await;
        if v["type"] == "result" {
            answered += 1;
            *codes
                .entry(v["code"].as_str().unwrap_or("ok").to_string())
                .or_default() += 1;
        }
    }
    assert!(
        codes.get("slow_down").copied().unwrap_or(0) > 0,
        "{codes:?}"
    );
    assert_eq!(
        codes.values().sum::<usize>(),
        1000,
        "every command answered"
    );
    assert!(waited < Duration::from_secs(2), "sign-in took {waited:?}");
    assert!(peak_kib(&s) < PEAK_LIMIT_KIB);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_page_on_the_box_cannot_connect() {
    let s = serve();
    let mut req = s.url.as_str().into_client_request().expect("a request");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("a header"),
    );
    req.headers_mut()
        .insert("origin", "http://evil.example".parse().expect("a header"));
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 403);
            let body =
                String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default()).to_string();
            assert!(body.contains("browser pages may not connect"), "{body}");
        }
        other => panic!(
            "a page's handshake must be refused, got {:?}",
            other.map(|_| ())
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_says_hello_is_closed() {
    let s = serve();
    let mut req = s.url.as_str().into_client_request().expect("a request");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("a header"),
    );
    let stream = TcpStream::connect(&s.listen).await.expect("connects");
    let (mut ws, _) = tokio_tungstenite::client_async(req, stream)
        .await
        .expect("the handshake");
    let t = Instant::now();
    let v = next_json(&mut ws).await;
    assert_eq!(v["type"], "dropped", "{v}");
    assert_eq!(v["reason"], "no_hello", "{v}");
    assert!(t.elapsed() < Duration::from_secs(7));
}
