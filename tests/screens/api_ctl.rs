//! `passline ctl` as the installer and the owner use it: the real binary
//! against a console on loopback. Exit codes: 0 done, 1 refused by the
//! business rules, 2 usage, 3 cannot reach the console.

use crate::api_support;

use api_support::Console;
use passline::domain::{OrderId, PaymentSummary};
use serde_json::Value;
use std::time::Duration;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `passline ctl ARGS` with these variables (bounded to 20 s).
async fn ctl(url: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_passline"));
    cmd.arg("ctl")
        .arg("--url")
        .arg(url)
        .args(args)
        .env("PASSLINE_CONFIG", dir.path().join("none.toml"))
        .env_remove("PASSLINE_TOKEN")
        .env_remove("PASSLINE_PIN")
        .env_remove("PASSLINE_APPROVER_PIN")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(20), cmd.output())
        .await
        .expect("ctl finishes within 20 s")
        .expect("ctl runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cashier_settles_by_ctl_and_a_second_try_is_refused() {
    let console = Console::open(None).await;
    let pin = [("PASSLINE_PIN", "1234")];
    let r = ctl(
        &console.url,
        &[
            "settle",
            "WX-002",
            "--method",
            "cash",
            "--tendered",
            "100.00",
            "--staff",
            "01",
        ],
        &pin,
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("cash 40.00, change 60.00"),
        "{}",
        r.stdout
    );
    let st = console
        .lunch
        .t
        .h()
        .order(&OrderId("WX-002".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.payment(), PaymentSummary::PaidInStore);

    let again = ctl(
        &console.url,
        &[
            "settle", "WX-002", "--method", "card", "--staff", "01", "--json",
        ],
        &pin,
    )
    .await;
    assert_eq!(again.code, 1, "refused by the rules: {}", again.stderr);
    assert!(again.stderr.contains("already paid"), "{}", again.stderr);
    let v: Value = serde_json::from_str(&again.stdout).expect("the refusal as JSON");
    assert_eq!(v["code"], "already_paid");

    let wrong_pin = ctl(
        &console.url,
        &["settle", "WX-005", "--method", "card", "--staff", "01"],
        &[("PASSLINE_PIN", "0000")],
    )
    .await;
    assert_eq!(wrong_pin.code, 1);
    assert!(
        wrong_pin.stderr.contains("wrong PIN for 01 (1 of 5 tries)"),
        "{}",
        wrong_pin.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_and_flags_that_cannot_be_read_are_usage_errors() {
    let console = Console::open(None).await;
    let pin = [("PASSLINE_PIN", "1234")];
    for bad in ["1e2", "100.005", "-5", "abc", "1,00"] {
        let r = ctl(
            &console.url,
            &[
                "settle",
                "WX-002",
                "--method",
                "cash",
                "--tendered",
                bad,
                "--staff",
                "01",
            ],
            &pin,
        )
        .await;
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(
            r.stderr.contains("like --tendered 100.00"),
            "{bad}: {}",
            r.stderr
        );
    }
    let r = ctl(
        &console.url,
        &["settle", "WX-002", "--method", "bitcoin", "--staff", "01"],
        &pin,
    )
    .await;
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cash, card, scan, voucher or other"),
        "{}",
        r.stderr
    );
    let r = ctl(
        &console.url,
        &["settle", "WX-002", "--method", "card"],
        &pin,
    )
    .await;
    assert_eq!(r.code, 2, "no --staff");
    assert!(r.stderr.contains("--staff"), "{}", r.stderr);
    let r = ctl(&console.url, &["frobnicate"], &pin).await;
    assert_eq!(r.code, 2, "an unknown subcommand");
    let st = console
        .lunch
        .t
        .h()
        .order(&OrderId("WX-002".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.payment(), PaymentSummary::Failed, "nothing was taken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_that_cannot_be_reached_exits_3() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("ws://{}", free.local_addr().expect("address"));
    drop(free);
    let r = ctl(&url, &["orders"], &[]).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot reach the console"),
        "{}",
        r.stderr
    );

    let console = Console::open(Some("desk-token")).await;
    let r = ctl(&console.url, &["orders"], &[]).await;
    assert_eq!(r.code, 3, "no token: {}", r.stderr);
    assert!(r.stderr.contains("refused the token"), "{}", r.stderr);
    let r = ctl(
        &console.url,
        &["orders"],
        &[("PASSLINE_TOKEN", "desk-token")],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let file = tempfile::NamedTempFile::new().expect("a token file");
    std::fs::write(file.path(), "desk-token\n").expect("write the token");
    let path = file.path().display().to_string();
    let r = ctl(&console.url, &["orders", "--token-file", &path], &[]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Never on the command line, where `ps` shows it.
    let r = ctl(&console.url, &["orders", "--token", "desk-token"], &[]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--token-file FILE"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_as_json_use_the_export_field_names() {
    let console = Console::open(None).await;
    let r = ctl(&console.url, &["orders", "--json"], &[]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let list: Vec<Value> = serde_json::from_str(&r.stdout).expect("a JSON array");
    assert_eq!(list.len(), 6);
    let h = console.lunch.t.h();
    let wx1 = h
        .order(&OrderId("WX-001".into()))
        .expect("store")
        .expect("order");
    let export = passline::export::order_json(&wx1);
    let mine = list
        .iter()
        .find(|o| o["id"] == "WX-001")
        .expect("WX-001 listed");
    assert_eq!(mine, &export, "the same object as export --json");

    let open = ctl(&console.url, &["orders", "--open", "--json"], &[]).await;
    let open: Vec<Value> = serde_json::from_str(&open.stdout).expect("a JSON array");
    assert!(open.iter().all(|o| h
        .order(&OrderId(o["id"].as_str().unwrap_or_default().into()))
        .ok()
        .flatten()
        .is_some_and(|st| st.is_open())));

    let one = ctl(&console.url, &["order", "WX-002", "--json"], &[]).await;
    let v: Value = serde_json::from_str(&one.stdout).expect("one object");
    assert_eq!(v["payment"], "failed");
    assert_eq!(v["error_code"], "BANKERROR");
    let none = ctl(&console.url, &["order", "WX-999"], &[]).await;
    assert_eq!(none.code, 1);
    assert!(none.stderr.contains("no order WX-999"), "{}", none.stderr);

    let printers = ctl(&console.url, &["printers", "--json"], &[]).await;
    let p: Value = serde_json::from_str(&printers.stdout).expect("printers");
    assert_eq!(p[0]["name"], "kitchen");
    assert_eq!(p[0]["state"], "online");
    let feed = ctl(&console.url, &["feed"], &[]).await;
    assert_eq!(feed.code, 0);
    assert!(feed.stdout.contains("feed: online"), "{}", feed.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bump_recall_reprint_and_a_void_with_a_managers_pin() {
    let console = Console::open(None).await;
    let kitchen = [("PASSLINE_PIN", "2222")];
    let r = ctl(&console.url, &["bump", "WX-001", "--staff", "21"], &kitchen).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = ctl(&console.url, &["recall", "--staff", "21"], &kitchen).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = ctl(&console.url, &["recall", "--staff", "21"], &kitchen).await;
    assert_eq!(r.code, 1, "nothing left to recall: {}", r.stderr);

    let h = console.lunch.t.h();
    let job = h
        .jobs()
        .expect("spool")
        .into_iter()
        .find(|j| j.doc.order_id() == Some("WX-001"))
        .expect("A001's kitchen ticket");
    let r = ctl(
        &console.url,
        &["reprint", &job.job.to_string(), "--staff", "21", "--json"],
        &kitchen,
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("the result");
    assert_eq!(v["ok"], true);
    assert!(
        !v["committed"]["jobs"]
            .as_array()
            .map(Vec::is_empty)
            .unwrap_or(true),
        "a reprint job is queued"
    );
    let r = ctl(&console.url, &["reprint", "--staff", "21"], &kitchen).await;
    assert_eq!(r.code, 2, "reprint what? {}", r.stderr);

    let void = |approver_pin: &'static str| {
        let url = console.url.clone();
        async move {
            ctl(
                &url,
                &[
                    "void",
                    "WX-005",
                    "--reason",
                    "customer left",
                    "--approver",
                    "90",
                    "--staff",
                    "01",
                ],
                &[
                    ("PASSLINE_PIN", "1234"),
                    ("PASSLINE_APPROVER_PIN", approver_pin),
                ],
            )
            .await
        }
    };
    let r = void("0000").await;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("wrong PIN for 90"), "{}", r.stderr);
    let r = void("909090").await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st = h
        .order(&OrderId("WX-005".into()))
        .expect("store")
        .expect("order");
    assert_eq!(st.payment(), PaymentSummary::Void);
}
