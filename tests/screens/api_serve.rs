//! `passline serve` and `passline run` as systemd and the installer start
//! them: the real binary, a config in a temp dir, loopback only.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn config(dir: &Path, listen: &str, token: Option<&str>) -> std::path::PathBuf {
    let token = token
        .map(|t| format!("token = \"{t}\"\n"))
        .unwrap_or_default();
    let text = format!(
        "[store]\nname = \"老王川菜\"\ndata_dir = \"{}\"\n[api]\nlisten = \"{listen}\"\n{token}[log]\ndir = \"{}\"\n",
        dir.join("data").display(),
        dir.join("logs").display()
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write the config");
    path
}

fn passline(cfg: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_passline"));
    c.arg("--config")
        .arg(cfg)
        .args(args)
        .env_remove("PASSLINE_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Waits for a child to end, at most `limit`; kills it after that.
fn wait(mut child: std::process::Child, limit: Duration) -> (i32, String) {
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("passline did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_console_refuses_to_listen_on_the_network_without_a_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = config(dir.path(), "0.0.0.0:7878", None);
    for sub in ["serve", "run"] {
        let child = passline(&cfg, &[sub]).spawn().expect("starts");
        let (code, stderr) = wait(child, Duration::from_secs(20));
        assert_eq!(code, 1, "{sub}: {stderr}");
        assert!(
            stderr.contains("can be reached from the network, so it needs a token"),
            "{sub}: {stderr}"
        );
    }
    assert!(
        !dir.path().join("data").exists(),
        "refused before the store was opened"
    );
}

#[test]
fn serve_answers_ctl_and_stops_on_sigterm_with_the_store_flushed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        l.local_addr().expect("address").port()
    };
    let listen = format!("127.0.0.1:{port}");
    let cfg = config(dir.path(), &listen, Some("box-token"));
    let child = passline(&cfg, &["serve"]).spawn().expect("serve starts");
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(
            Instant::now() < deadline,
            "serve did not listen within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // ctl on the same box reads the URL and token from the same config.
    let out = passline(&cfg, &["ctl", "orders", "--json"])
        .output()
        .expect("ctl runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");

    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let (code, stderr) = wait(child, Duration::from_secs(20));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("stopped, the store is flushed"), "{stderr}");
    // The store is closed: it opens again.
    passline::store::Store::open(&dir.path().join("data"), 4 << 20).expect("the store reopens");
}

/// `serve` is the box under systemd: it takes the platform's orders and
/// prints them (it once ran the API alone, with no feed and no printers).
#[test]
fn serve_takes_the_platforms_orders_and_prints_them_in_the_kitchen() {
    use passline::print::status::PrinterState;
    use passline::sim::platform::{Scenario, SimConfig, Simulator, WireFaults};
    use passline::sim::printer::VirtualPrinter;
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("a runtime for the simulator");
    let (child, sim, printer) = rt.block_on(async {
        let mut sc = SimConfig::new(
            "127.0.0.1:0".parse().expect("loopback"),
            "feed-token",
            Scenario::Idle,
        );
        sc.faults = WireFaults::none();
        let sim = Simulator::start(sc).await.expect("the simulator starts");
        sim.push_event(serde_json::json!({"kind": "order.placed", "order": {
            "id": "WX20261125-000123", "pickup_no": "A023", "table": "12",
            "channel": "wechat_mini", "dining": "dine_in",
            "placed_at": "2026-11-25T12:01:05+08:00", "currency": "CNY", "amount_due": 3800,
            "items": [{"line": 1, "sku": "GBJD", "name": "宫保鸡丁", "qty": 1,
                "unit_price": 3800, "station": "hot", "modifiers": [], "note": ""}]}}));
        sim.push_event(serde_json::json!({"kind": "payment.updated",
            "order_id": "WX20261125-000123", "channel": "wechat", "trade_state": "SUCCESS",
            "amount": 3800, "transaction_id": "4200000000000000000000000001",
            "at": "2026-11-25T12:01:40+08:00"}));
        let printer = VirtualPrinter::start("127.0.0.1:0".parse().expect("loopback"), PrinterState::Online)
            .await
            .expect("the virtual printer starts");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().expect("address").port()
        };
        let text = format!(
            "[store]\nname = \"老王川菜\"\ndata_dir = \"{}\"\n[feed]\nurl = \"{}\"\ntoken = \"feed-token\"\n\
             [[printers]]\nname = \"kitchen\"\nprofile = \"xprinter-xp-80\"\nconnect = \"{}\"\nstations = [\"hot\"]\n\
             [api]\nlisten = \"127.0.0.1:{port}\"\n[log]\ndir = \"{}\"\n",
            dir.path().join("data").display(),
            sim.url(),
            printer.connect_url(),
            dir.path().join("logs").display()
        );
        let cfg = dir.path().join("config.toml");
        std::fs::write(&cfg, text).expect("write the config");
        let child = passline(&cfg, &["serve"]).spawn().expect("serve starts");
        (child, sim, printer)
    });
    let (acked, jobs) = rt.block_on(async {
        let acked = sim.wait_acked(2, Duration::from_secs(30)).await;
        (
            acked,
            printer.wait_for_jobs(1, Duration::from_secs(30)).await,
        )
    });
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let (code, stderr) = wait(child, Duration::from_secs(20));
    assert!(
        acked,
        "serve never acknowledged the platform's events: {stderr}"
    );
    assert_eq!(jobs.len(), 1, "one kitchen ticket: {stderr}");
    assert!(
        jobs[0]
            .text
            .iter()
            .any(|l| l.contains("单号 WX20261125-000123")),
        "{:?}",
        jobs[0].text
    );
    assert_eq!(code, 0, "{stderr}");
}
