//! Money limits against the real `passline serve` over loopback
//! (docs/security.md, "Money"): a counter order is priced from the console's
//! menu whatever the client sends, a huge quantity is refused instead of
//! wrapping to a small total, and cash handed over is capped at what is due
//! plus the configured margin (no more 找零 ￥92233720368547757.07).

use futures_util::{SinkExt, StreamExt};
use passline::api::client::ApiClient;
use passline::api::message::CommandResult;
use passline::api::ScreenRole;
use passline::domain::command::{CounterLine, CounterTicket};
use passline::domain::*;
use std::path::Path;
use std::process::{Child, Command as Proc, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const TOKEN: &str = "till-token";

/// A `serve` on a free loopback port with the demo menu, ¥500 of change at
/// most (the default) and cashier 01 (PIN 1234).
struct Serve {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn passline(cfg: &Path, args: &[&str]) -> Proc {
    let mut c = Proc::new(env!("CARGO_BIN_EXE_passline"));
    c.arg("--config")
        .arg(cfg)
        .args(args)
        .env_remove("PASSLINE_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn serve() -> Serve {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        l.local_addr().expect("address").port()
    };
    let listen = format!("127.0.0.1:{port}");
    std::fs::write(
        dir.path().join("menu.toml"),
        passline::counter::menu::DEMO_MENU,
    )
    .expect("write the menu");
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\ndata_dir = \"{}\"\n[api]\nlisten = \"{listen}\"\ntoken = \"{TOKEN}\"\n[log]\ndir = \"{}\"\n",
            dir.path().join("data").display(),
            dir.path().join("logs").display()
        ),
    )
    .expect("write the config");
    let out = passline(
        &cfg,
        &[
            "staff", "add", "--id", "01", "--name", "小李", "--role", "cashier",
        ],
    )
    .env("PASSLINE_PIN", "1234")
    .output()
    .expect("staff add runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let child = passline(&cfg, &["serve"]).spawn().expect("serve starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(Instant::now() < deadline, "serve did not listen in 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    Serve {
        child,
        url: format!("ws://{listen}"),
        _dir: dir,
    }
}

async fn cashier(s: &Serve) -> ApiClient {
    let mut c = ApiClient::connect(&s.url, Some(TOKEN), ScreenRole::Cashier, false, None)
        .await
        .expect("the cashier's screen attaches");
    let r = c
        .command(
            "in",
            Command::SignIn {
                staff_id: "01".into(),
                pin: "1234".into(),
            },
            None,
        )
        .await
        .expect("answered");
    assert!(r.ok, "{r:?}");
    let r = c
        .command(
            "float",
            Command::OpenShift {
                staff_id: "01".into(),
                pin: Some("1234".into()),
                float: Fen(20000),
            },
            None,
        )
        .await
        .expect("answered");
    assert!(r.ok, "{r:?}");
    c
}

fn counter(sku: &str, qty: u32) -> Command {
    Command::PlaceCounterOrder {
        staff_id: "01".into(),
        store_id: "S001".into(),
        device_id: "till-2".into(),
        ticket: CounterTicket {
            dining: Dining::Takeaway,
            table: None,
            note: String::new(),
            items: vec![CounterLine {
                sku: sku.into(),
                qty,
                modifiers: Vec::new(),
                note: String::new(),
            }],
        },
    }
}

fn placed(r: &CommandResult) -> Order {
    r.committed
        .as_ref()
        .and_then(|c| {
            c.events.iter().find_map(|e| match &e.body {
                EventBody::OrderPlaced { order } => Some(order.clone()),
                _ => None,
            })
        })
        .unwrap_or_else(|| panic!("an order_placed event in {r:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_order_is_priced_from_the_menu_whatever_the_client_sends() {
    let s = serve();
    let mut c = cashier(&s).await;
    let r = c
        .command("o1", counter("gbjd", 2), None)
        .await
        .expect("answered");
    assert!(r.ok, "{r:?}");
    let o = placed(&r);
    assert_eq!(o.items[0].unit_price, Fen(3800), "the menu's price");
    assert_eq!(o.amount_due, Fen(7600));

    // A client that sends its own price (the old ticket shape) is refused
    // as a bad frame: nothing is placed at ¥0.01.
    let mut req = s.url.as_str().into_client_request().expect("a request");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("a header"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connects");
    ws.send(Message::text(r#"{"type":"hello","role":"cashier"}"#))
        .await
        .expect("hello");
    let priced = r#"{"type":"command","key":"cheap","command":{"place_counter_order":{"staff_id":"01","store_id":"S001","device_id":"till-2","ticket":{"dining":"takeaway","items":[{"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":2,"unit_price":1,"station":"hot"}]}}}}"#;
    ws.send(Message::text(priced)).await.expect("sent");
    let mut answer = String::new();
    while let Some(Ok(m)) = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("an answer in 5 s")
    {
        if let Message::Text(t) = m {
            if !t.contains("\"welcome\"") {
                answer = t.to_string();
                break;
            }
        }
    }
    assert!(answer.contains("bad_frame"), "{answer}");
    assert!(answer.contains("unknown field"), "{answer}");
    let orders = c
        .command("o2", counter("nmc", 1), None)
        .await
        .expect("answered");
    assert!(orders.ok);
    assert_eq!(
        placed(&orders).id.0,
        "S001-till-2-000002",
        "the priced frame placed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_quantity_counter_order_is_refused_not_wrapped() {
    let s = serve();
    let mut c = cashier(&s).await;
    // 3800 × 4294967295 fits an i64 and wraps nothing, but is over the
    // 999 a line may hold.
    let r = c
        .command("huge", counter("gbjd", u32::MAX), None)
        .await
        .expect("answered");
    assert!(!r.ok, "{r:?}");
    assert_eq!(r.code.as_deref(), Some("bad_line"), "{r:?}");
    assert!(
        r.message
            .as_deref()
            .unwrap_or("")
            .contains("more than the 999 allowed"),
        "{r:?}"
    );
    // 999 × ¥58 is within a line but 30 lines of it are over ¥50,000.
    let mut big = counter("gbjd", 999);
    if let Command::PlaceCounterOrder { ticket, .. } = &mut big {
        let l = ticket.items[0].clone();
        ticket.items = vec![l; 30];
    }
    let r = c.command("big", big, None).await.expect("answered");
    assert_eq!(r.code.as_deref(), Some("order_too_large"), "{r:?}");
    assert!(
        r.message.as_deref().unwrap_or("").contains("50000.00"),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_tendered_beyond_the_change_margin_is_refused() {
    let s = serve();
    let mut c = cashier(&s).await;
    let o = placed(
        &c.command("o1", counter("gbjd", 2), None)
            .await
            .expect("answered"),
    );
    let settle = |tendered: i64| Command::Settle {
        order_id: o.id.clone(),
        staff_id: "01".into(),
        pin: Some("1234".into()),
        tenders: vec![TenderInput {
            method: Method::Cash,
            amount: Fen(7600),
            tendered: Some(Fen(tendered)),
            reference: None,
        }],
    };
    let r = c
        .command("max", settle(i64::MAX), None)
        .await
        .expect("answered");
    assert_eq!(r.code.as_deref(), Some("too_much_cash"), "{r:?}");
    let r = c
        .command("over", settle(7600 + 50_001), None)
        .await
        .expect("answered");
    assert_eq!(r.code.as_deref(), Some("too_much_cash"), "{r:?}");
    let r = c
        .command("ok", settle(10_000), None)
        .await
        .expect("answered");
    assert!(r.ok, "{r:?}");
    let change: Vec<Fen> = r
        .committed
        .iter()
        .flat_map(|c| c.events.iter())
        .filter_map(|e| match &e.body {
            EventBody::Settled { tenders, .. } => Some(tenders[0].change),
            _ => None,
        })
        .collect();
    assert_eq!(change, [Fen(2400)]);
}
