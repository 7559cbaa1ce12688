//! The real `passline serve` for the security tests: a temp dir, the demo
//! menu, a token, cashier 01 (PIN 1234), kitchen 21 (2222) and manager 90
//! (909090), the API on a free loopback port; and raw WebSocket clients
//! that can dial from another loopback address (127.0.0.2, …), so one test
//! box plays several devices.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub const TOKEN: &str = "till-token";

pub struct Serve {
    pub child: Child,
    pub url: String,
    pub listen: String,
    pub config: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn passline(cfg: &Path, args: &[&str]) -> Proc {
    let mut c = Proc::new(env!("CARGO_BIN_EXE_passline"));
    c.arg("--config")
        .arg(cfg)
        .args(args)
        .env_remove("PASSLINE_TOKEN")
        .env_remove("PASSLINE_PIN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Adds a staff member with the CLI (PIN from $PASSLINE_PIN); the output.
pub fn add_staff(cfg: &Path, id: &str, name: &str, role: &str, pin: &str) -> std::process::Output {
    passline(
        cfg,
        &["staff", "add", "--id", id, "--name", name, "--role", role],
    )
    .env("PASSLINE_PIN", pin)
    .output()
    .expect("staff add runs")
}

/// A config and store with the demo staff, not yet serving.
pub fn prepare(extra: &str) -> (tempfile::TempDir, PathBuf, String) {
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
            "[store]\ndata_dir = \"{}\"\n[api]\nlisten = \"{listen}\"\ntoken = \"{TOKEN}\"\n[log]\ndir = \"{}\"\n{extra}",
            dir.path().join("data").display(),
            dir.path().join("logs").display()
        ),
    )
    .expect("write the config");
    for (id, name, role, pin) in [
        ("01", "小李", "cashier", "1234"),
        ("21", "老张", "kitchen", "2222"),
        ("90", "张经理", "manager", "909090"),
    ] {
        let out = add_staff(&cfg, id, name, role, pin);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (dir, cfg, listen)
}

pub fn serve() -> Serve {
    serve_with("")
}

/// `serve` with extra config text appended.
pub fn serve_with(extra: &str) -> Serve {
    let (dir, config, listen) = prepare(extra);
    let child = passline(&config, &["serve"]).spawn().expect("serve starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(Instant::now() < deadline, "serve did not listen in 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    Serve {
        child,
        url: format!("ws://{listen}"),
        listen,
        config,
        dir,
    }
}

pub type Ws = WebSocketStream<tokio::net::TcpStream>;

/// A raw connection from `from` (a loopback address like 127.0.0.2) with
/// the token, after `hello` as a cashier screen.
pub async fn raw_from(s: &Serve, from: &str) -> Ws {
    let sock = TcpSocket::new_v4().expect("a socket");
    sock.bind(format!("{from}:0").parse().expect("an address"))
        .expect("bind the source address");
    let stream = sock
        .connect(s.listen.parse().expect("the listen address"))
        .await
        .expect("connects");
    let mut req = s.url.as_str().into_client_request().expect("a request");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("a header"),
    );
    let (mut ws, _) = tokio_tungstenite::client_async(req, stream)
        .await
        .expect("the handshake");
    ws.send(Message::text(r#"{"type":"hello","role":"cashier"}"#))
        .await
        .expect("hello");
    let welcome = next_json(&mut ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    ws
}

/// The next JSON frame (at most 20 s).
pub async fn next_json(ws: &mut Ws) -> serde_json::Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("a frame within 20 s")
            .expect("the connection is open")
            .expect("a frame");
        if let Message::Text(t) = m {
            return serde_json::from_str(&t).expect("JSON");
        }
    }
}

/// Sends a command frame.
pub async fn send_command(ws: &mut Ws, key: &str, command: serde_json::Value) {
    let frame = serde_json::json!({"type": "command", "key": key, "command": command});
    ws.send(Message::text(frame.to_string()))
        .await
        .expect("sent");
}

/// Sends a command and waits for its result.
pub async fn command(ws: &mut Ws, key: &str, command: serde_json::Value) -> serde_json::Value {
    send_command(ws, key, command).await;
    loop {
        let v = next_json(ws).await;
        if v["type"] == "result" && v["key"] == key {
            return v;
        }
    }
}

pub fn sign_in(staff: &str, pin: &str) -> serde_json::Value {
    serde_json::json!({"sign_in": {"staff_id": staff, "pin": pin}})
}
