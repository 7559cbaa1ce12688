//! `passline report` and `passline shift` on a stopped console: the binary
//! reads the store a console left behind and answers in JSON, CSV or text,
//! and says what to do when there is nothing to report or close.

use crate::common;

use common::{order, payment};
use passline::domain::*;
use passline::engine::{Engine, EngineConfig, FixedClock};
use passline::print::route::Routes;
use passline::store::Store;
use std::path::Path;
use std::process::{Command as Proc, Output};
use std::sync::Arc;

fn passline(config: &Path, args: &[&str], pin: &str) -> Output {
    Proc::new(env!("CARGO_BIN_EXE_passline"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("PASSLINE_PIN", pin)
        .output()
        .expect("passline runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A store with staff, an open shift, one online order and one failed order
/// settled in cash; then the console stops.
fn store_with_open_shift(data: &Path) {
    let engine = Engine::start(
        Store::open(data, 4 << 20).expect("store"),
        EngineConfig {
            rules: Rules::default(),
            routes: Routes::default(),
            tz: chrono_tz::Asia::Shanghai,
            clock: Arc::new(FixedClock::at("2026-11-25T12:00:00+08:00")),
            menu: None,
        },
    )
    .expect("engine");
    let h = engine.handle();
    let run = |c: Command| {
        h.execute_blocking(None, c).expect("accepted");
    };
    for (id, role, pin) in [
        ("01", Role::Cashier, "1234"),
        ("90", Role::Manager, "909090"),
    ] {
        run(Command::AddStaff {
            staff_id: id.into(),
            name: id.into(),
            role,
            pin: pin.into(),
        });
    }
    run(Command::OpenShift {
        staff_id: "01".into(),
        pin: Some("1234".into()),
        float: Fen(20000),
    });
    let events = [
        PlatformEvent::OrderPlaced {
            order: order("O1", 5600),
        },
        payment("O1", "SUCCESS", 5600, Some("tx-1")),
        PlatformEvent::OrderPlaced {
            order: order("O2", 3000),
        },
        serde_json::from_value(serde_json::json!({
            "kind": "payment.updated", "order_id": "O2", "channel": "alipay",
            "trade_state": "PAYERROR", "amount": 3000, "error_code": "BANKERROR",
            "at": "2026-11-25T12:03:00+08:00"
        }))
        .expect("a payment"),
    ];
    for (i, event) in events.into_iter().enumerate() {
        run(Command::Platform {
            seq: i as u64 + 1,
            event,
        });
    }
    run(Command::Settle {
        order_id: "O2".into(),
        staff_id: "01".into(),
        pin: None,
        tenders: vec![TenderInput {
            method: Method::Cash,
            amount: Fen(3000),
            tendered: Some(Fen(5000)),
            reference: None,
        }],
    });
    engine.shutdown();
}

#[test]
fn reports_and_shift_close_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\ndata_dir = \"{}\"\n\n[ui]\nlanguage = \"en\"\n",
            data.display()
        ),
    )
    .expect("config written");
    store_with_open_shift(&data);

    // Mid-shift: the X-report as JSON.
    let out = passline(&config, &["report", "x", "--json"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let x: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(x["kind"], "x");
    assert_eq!(x["shift"], 1);
    assert_eq!(x["cash"]["expected"], 23000);
    assert_eq!(x["tender_net"], 8600);

    // No Z-report before any close, and it says what to do.
    let out = passline(&config, &["report", "z"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no shift has been closed yet"));

    // A wrong PIN closes nothing.
    let close = [
        "shift",
        "close",
        "--staff",
        "01",
        "--manager",
        "90",
        "--count",
        "100=2,20=1,5=2",
    ];
    let out = passline(&config, &close, "0000");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("wrong PIN for 90"),
        "{}",
        text(&out.stderr)
    );

    // The manager closes: 230.00 expected, 230.00 counted.
    let out = passline(&config, &close, "909090");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("Z-report (shift close)"), "{printed}");
    assert!(printed.contains("Expected"), "{printed}");

    let out = passline(&config, &["report", "z", "--csv"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(
        csv.starts_with("section,item,detail,count,amount\n"),
        "{csv}"
    );
    assert!(csv.contains("cash,expected,,,230.00\n"), "{csv}");
    assert!(csv.contains("cash,over_short,,,0.00\n"), "{csv}");
    assert!(csv.contains("tender_net,online_wechat,,,56.00\n"), "{csv}");

    let out = passline(&config, &["report", "errors", "--json"], "");
    let errors: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(errors["total"], 1);
    assert_eq!(errors["by_code"][0]["code"], "BANKERROR");
    assert_eq!(errors["by_code"][0]["en"], "bank system error");

    let out = passline(
        &config,
        &["report", "x", "--date", "2026-11-25", "--json"],
        "",
    );
    let day: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(day["kind"], "day");
    assert_eq!(day["sales_orders"], 2);

    // Nothing left to close, nothing open to X-report.
    let out = passline(&config, &close, "909090");
    assert!(
        text(&out.stderr).contains("no shift is open"),
        "{}",
        text(&out.stderr)
    );
    let out = passline(&config, &["report", "x"], "");
    assert!(
        text(&out.stderr).contains("no shift is open"),
        "{}",
        text(&out.stderr)
    );
    let out = passline(&config, &["report", "z", "--date", "25/11/2026"], "");
    assert!(
        text(&out.stderr).contains("YYYY-MM-DD"),
        "{}",
        text(&out.stderr)
    );
}
