//! PIN attacks against the real `passline serve` over loopback
//! (docs/security.md, "PINs"), each device dialling from its own loopback
//! address: a guessing device is locked, then held for a manager, while the
//! cashier signs in on their own screen; an unknown staff id answers exactly
//! like a wrong PIN; a flood of PIN-checked commands neither stalls a
//! sign-in elsewhere nor miscounts; managers' PINs are 6 digits at least.
//! The escalation past the first lock needs a clock: it is shown on the
//! real engine with a fixed clock.

use crate::common;
use crate::support as security_support;

use common::TestStore;
use passline::domain::*;
use security_support::*;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guessing_device_is_locked_and_held_while_the_cashier_signs_in_on_their_own_screen() {
    let s = serve();
    let mut attacker = raw_from(&s, "127.0.0.2").await;
    let mut codes = Vec::new();
    for n in 0..6 {
        let r = command(
            &mut attacker,
            &format!("g{n}"),
            sign_in("01", &format!("{:04}", n)),
        )
        .await;
        codes.push(r["code"].as_str().unwrap_or("ok").to_string());
    }
    assert_eq!(
        codes,
        [
            "wrong_pin",
            "wrong_pin",
            "wrong_pin",
            "wrong_pin",
            "locked_out",
            "locked_out"
        ]
    );
    // The right PIN from the attacking device waits too.
    let r = command(&mut attacker, "right", sign_in("01", "1234")).await;
    assert_eq!(r["code"], "locked_out", "{r}");
    // The cashier's own screen is another device: not locked.
    let mut till = raw_from(&s, "127.0.0.1").await;
    let r = command(&mut till, "me", sign_in("01", "1234")).await;
    assert_eq!(r["ok"], true, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_from_many_devices_hold_the_id_but_not_on_the_cashiers_own_screen() {
    let s = serve();
    let mut till = raw_from(&s, "127.0.0.1").await;
    let r = command(&mut till, "in", sign_in("01", "1234")).await;
    assert_eq!(r["ok"], true, "{r}");
    let mut last = serde_json::Value::Null;
    for d in 1..=6 {
        let mut ws = raw_from(&s, &format!("127.0.2.{d}")).await;
        for n in 0..5 {
            last = command(
                &mut ws,
                &format!("g{n}"),
                sign_in("01", &format!("55{d}{n}")),
            )
            .await;
        }
    }
    assert_eq!(
        last["code"], "pin_held",
        "30 guesses from 6 devices: {last}"
    );
    // A device the cashier never used: held, even with the right PIN.
    let mut stranger = raw_from(&s, "127.0.2.9").await;
    let r = command(&mut stranger, "right", sign_in("01", "1234")).await;
    assert_eq!(r["code"], "pin_held", "{r}");
    // The cashier's own screen: still in.
    let r = command(&mut till, "again", sign_in("01", "1234")).await;
    assert_eq!(r["ok"], true, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_staff_id_answers_exactly_like_a_wrong_pin() {
    let s = serve();
    let mut a = raw_from(&s, "127.0.0.3").await;
    let mut b = raw_from(&s, "127.0.0.4").await;
    for n in 1..=3 {
        let known = command(&mut a, &format!("k{n}"), sign_in("01", "0000")).await;
        let unknown = command(&mut b, &format!("k{n}"), sign_in("77", "0000")).await;
        let strip = |v: &serde_json::Value, id: &str| {
            v.to_string()
                .replace(&format!("\"{id}\""), "\"ID\"")
                .replace(&format!(" {id} "), " ID ")
        };
        assert_eq!(strip(&known, "01"), strip(&unknown, "77"));
        assert_eq!(known["code"], "wrong_pin");
    }
    // And in time: the unknown id spends an Argon2 check too (medians of
    // five, each from a fresh device, so no lock cuts a check short).
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 1..=5 {
        for (id, from, times) in [
            ("01", format!("127.0.6.{i}"), &mut known),
            ("77", format!("127.0.7.{i}"), &mut unknown),
        ] {
            let mut ws = raw_from(&s, &from).await;
            let t = Instant::now();
            command(&mut ws, "t", sign_in(id, "0000")).await;
            times.push(t.elapsed());
        }
    }
    known.sort();
    unknown.sort();
    let (known, unknown) = (known[2], unknown[2]);
    assert!(
        unknown * 3 > known,
        "an unknown id answers in {unknown:?}, a known one in {known:?} (medians)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_pin_checks_neither_stalls_a_sign_in_elsewhere_nor_miscounts() {
    let s = serve();
    let mut flood = raw_from(&s, "127.0.0.5").await;
    // A thousand settles with wrong PINs, pipelined on one connection.
    for n in 0..1000 {
        send_command(
            &mut flood,
            &format!("f{n}"),
            serde_json::json!({"settle": {"order_id": "WX-1", "staff_id": "01", "pin": format!("{:04}", n % 10_000), "tenders": []}}),
        )
        .await;
    }
    let mut till = raw_from(&s, "127.0.0.1").await;
    let t = Instant::now();
    let r = command(&mut till, "me", sign_in("01", "1234")).await;
    let waited = t.elapsed();
    assert_eq!(r["ok"], true, "{r}");
    assert!(
        waited < Duration::from_secs(2),
        "a sign-in during the flood took {waited:?}"
    );
    let mut codes = std::collections::BTreeMap::<usize, String>::new();
    while codes.len() < 1000 {
        let v = next_json(&mut flood).await;
        if v["type"] != "result" {
            continue;
        }
        let n: usize = v["key"].as_str().unwrap_or("f0")[1..]
            .parse()
            .expect("a key f<n>");
        codes.insert(n, v["code"].as_str().unwrap_or("ok").to_string());
    }
    let wrong: Vec<usize> = codes
        .iter()
        .filter(|(_, c)| *c == "wrong_pin")
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(wrong, [0, 1, 2, 3], "exactly four wrong PINs counted");
    assert_eq!(codes.get(&4).map(String::as_str), Some("locked_out"));
    // Every one after waits: locked out, or told to slow down (the
    // connection's cap on commands in flight).
    let after: std::collections::BTreeSet<&str> =
        codes.range(5..).map(|(_, c)| c.as_str()).collect();
    assert!(
        after
            .iter()
            .all(|c| ["locked_out", "slow_down"].contains(c)),
        "{after:?}"
    );
}

#[test]
fn a_managers_pin_is_six_digits_at_least() {
    let (_dir, cfg, _) = prepare("");
    let out = add_staff(&cfg, "91", "李经理", "manager", "9191");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a manager's PIN is 6 to 12 digits"), "{err}");
    let out = add_staff(&cfg, "02", "小王", "cashier", "4321");
    assert!(out.status.success(), "a cashier's 4 digits are fine");
    // Configurable: a store may ask more of everyone.
    let text = std::fs::read_to_string(&cfg).expect("the config");
    std::fs::write(&cfg, format!("{text}[staff]\npin_min_length = 6\n")).expect("write");
    let out = add_staff(&cfg, "03", "小赵", "cashier", "4321");
    assert_eq!(out.status.code(), Some(1));
}

fn sign_in_cmd(id: &str, pin: &str) -> Command {
    Command::SignIn {
        staff_id: id.into(),
        pin: pin.into(),
    }
}

fn code(r: Result<passline::engine::Committed, passline::engine::EngineError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(passline::engine::EngineError::Refused(r)) => r.code(),
        Err(e) => panic!("engine error: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locks_grow_to_half_an_hour_then_hold_until_a_manager_unlocks_with_an_alert() {
    let t = tokio::task::block_in_place(|| {
        let t = TestStore::new(Rules::default());
        t.demo_staff();
        t
    });
    let h = t.h();
    let mut events = h.subscribe();
    let mut locks = Vec::new();
    for round in 0..4 {
        for n in 0..5 {
            let c = code(
                h.execute_as(
                    "api:10.0.0.9",
                    None,
                    sign_in_cmd("01", &format!("99{round}{n}")),
                )
                .await,
            );
            if n < 4 {
                assert_eq!(c, "wrong_pin", "round {round} try {n}");
            } else {
                locks.push(c);
            }
        }
        let r = h
            .execute_as("api:10.0.0.9", None, sign_in_cmd("01", "1234"))
            .await;
        match r {
            Err(passline::engine::EngineError::Refused(Refusal::LockedOut { seconds, .. })) => {
                t.clock.advance(chrono::Duration::seconds(seconds));
            }
            Err(passline::engine::EngineError::Refused(Refusal::PinHeld { .. })) => {}
            other => panic!("round {round}: {other:?}"),
        }
    }
    assert_eq!(
        locks,
        ["locked_out", "locked_out", "locked_out", "pin_held"]
    );
    // Held: no clock opens it.
    t.clock.advance(chrono::Duration::days(2));
    let c = code(
        h.execute_as("api:10.0.0.9", None, sign_in_cmd("01", "1234"))
            .await,
    );
    assert_eq!(c, "pin_held");
    // The managers hear of it: a PinRejected marked held, naming the device.
    let mut alert = None;
    while let Ok(ev) = events.try_recv() {
        if let EventBody::PinRejected {
            held: true, device, ..
        } = &ev.body
        {
            alert = device.clone();
        }
    }
    assert_eq!(alert.as_deref(), Some("api:10.0.0.9"));
    // The console's own screen still signs the cashier in.
    assert_eq!(code(h.execute(None, sign_in_cmd("01", "1234")).await), "ok");
    h.execute(
        None,
        Command::UnlockPins {
            staff_id: "01".into(),
        },
    )
    .await
    .expect("a manager unlocks");
    let c = code(
        h.execute_as("api:10.0.0.9", None, sign_in_cmd("01", "1234"))
            .await,
    );
    assert_eq!(c, "ok");
}
