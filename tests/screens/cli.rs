//! The real binary from the outside: config errors, staff, export, backup and
//! restore, and a clear word when a running console holds the store.

use std::process::Command;

fn passline(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_passline"))
        .args(args)
        .env_remove("PASSLINE_CONFIG")
        .output()
        .expect("run passline");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn config(dir: &std::path::Path, extra: &str) -> String {
    let p = dir.join("config.toml");
    std::fs::write(
        &p,
        format!(
            "[store]\ndata_dir = \"{}\"\n{extra}",
            dir.join("data").display()
        ),
    )
    .expect("write config");
    p.display().to_string()
}

#[test]
fn config_check_names_the_line_and_the_fix() {
    let dir = tempfile::tempdir().expect("dir");
    let c = config(dir.path(), "fire = \"on_pay\"\ncache_mib = \"big\"\n");
    let (code, out, _) = passline(&["config", "check", "--config", &c]);
    assert_eq!(code, 1);
    assert!(
        out.contains("config.toml:3") && out.contains("on_payment"),
        "{out}"
    );
    let good = config(dir.path(), "fire = \"on_order\"\n");
    let (code, out, _) = passline(&["--config", &good, "config", "check"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn staff_export_backup_and_restore_work_on_a_stopped_console() {
    let dir = tempfile::tempdir().expect("dir");
    let c = config(dir.path(), "");
    let out = Command::new(env!("CARGO_BIN_EXE_passline"))
        .args([
            "staff", "add", "--id", "01", "--name", "王芳", "--role", "cashier", "--config", &c,
        ])
        .env("PASSLINE_PIN", "1234")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, out, _) = passline(&["staff", "list", "--config", &c]);
    assert_eq!(code, 0);
    assert!(
        out.contains("王芳") && out.contains("cashier") && !out.contains("1234"),
        "{out}"
    );
    let (code, out, _) = passline(&["export", "--json", "--config", &c]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("a JSON array");
    assert!(v.as_array().is_some());
    let (code, out, _) = passline(&["export", "--events", "--config", &c]);
    assert_eq!(code, 0);
    assert!(out
        .lines()
        .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
    assert!(out.contains("staff_added"));
    let bak = dir.path().join("day.bak");
    let (code, _, err) = passline(&["backup", "--to", &bak.display().to_string(), "--config", &c]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = passline(&[
        "restore",
        "--from",
        &bak.display().to_string(),
        "--config",
        &c,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("moved to"), "{out}");
    let (_, out, _) = passline(&["staff", "list", "--config", &c]);
    assert!(out.contains("王芳"), "restored: {out}");
    let (code, _, err) = passline(&[
        "staff", "add", "--id", "02", "--name", "x", "--role", "chef", "--config", &c,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("kitchen, cashier or manager"), "{err}");
}

#[test]
fn export_says_when_a_running_console_holds_the_store() {
    let dir = tempfile::tempdir().expect("dir");
    let c = config(dir.path(), "");
    let held = passline::store::Store::open(&dir.path().join("data"), 1 << 20).expect("open");
    let (code, _, err) = passline(&["export", "--json", "--config", &c]);
    assert_eq!(code, 1);
    assert!(err.contains("in use by a running passline"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    drop(held);
}

#[test]
fn export_after_an_event_gives_only_what_changed_since() {
    use passline::domain::{CashRounding, Command as Cmd, FirePolicy, Order, PlatformEvent, Rules};
    use passline::engine::{Engine, EngineConfig, FixedClock};
    let dir = tempfile::tempdir().expect("dir");
    let c = config(dir.path(), "");
    let store = passline::store::Store::open(&dir.path().join("data"), 4 << 20).expect("store");
    let engine = Engine::start(
        store,
        EngineConfig {
            rules: Rules {
                fire: FirePolicy::OnOrder,
                cash_rounding: CashRounding::Fen,
                ..Default::default()
            },
            routes: Default::default(),
            tz: chrono_tz::Asia::Shanghai,
            clock: std::sync::Arc::new(FixedClock::at("2026-11-25T12:00:00+08:00")),
            menu: None,
        },
    )
    .expect("engine");
    let h = engine.handle();
    let mut ids = Vec::new();
    for n in 1..=3u64 {
        let order: Order = serde_json::from_value(serde_json::json!({
            "id": format!("WX-{n}"), "pickup_no": format!("A00{n}"), "table": "",
            "channel": "wechat_mini", "dining": "takeaway", "placed_at": "2026-11-25T12:01:05+08:00",
            "currency": "CNY", "amount_due": 3800, "note": "",
            "items": [{"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":1,"unit_price":3800,
                       "station":"hot","modifiers":[],"note":""}]
        }))
        .expect("order");
        let done = h
            .execute_blocking(
                None,
                Cmd::Platform {
                    seq: n,
                    event: PlatformEvent::OrderPlaced { order },
                },
            )
            .expect("placed");
        ids.push(done.events.last().map(|e| e.id).expect("an event"));
    }
    drop(h);
    engine.shutdown();
    let after = ids[0].to_string();
    let (code, out, err) = passline(&[
        "export",
        "--events",
        "--after-event",
        &after,
        "--config",
        &c,
    ]);
    assert_eq!(code, 0, "{err}");
    let evs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("an event per line"))
        .collect();
    assert!(!evs.is_empty());
    assert!(evs.iter().all(|e| e["id"].as_u64() > Some(ids[0])), "{out}");
    let (code, out, err) = passline(&["export", "--json", "--after-event", &after, "--config", &c]);
    assert_eq!(code, 0, "{err}");
    let orders: Vec<serde_json::Value> = serde_json::from_str(&out).expect("JSON");
    let got: Vec<&str> = orders.iter().filter_map(|o| o["id"].as_str()).collect();
    assert_eq!(
        got,
        vec!["WX-2", "WX-3"],
        "WX-1 did not change after its own event"
    );
}
