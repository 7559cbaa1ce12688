//! Idempotency keys against the real `passline serve` over loopback
//! (docs/security.md, "Idempotency keys"): a key replays only the same
//! command, from the same device and staff member; the same key with
//! another command is `key_reused`; another device reusing a key gets no
//! one else's success; keys expire (on the engine, with a fixed clock).

use crate::common;
use crate::support as security_support;

use common::TestStore;
use passline::domain::command::{CounterLine, CounterTicket};
use passline::domain::*;
use security_support::*;
use serde_json::json;

fn counter(qty: u32) -> serde_json::Value {
    json!({"place_counter_order": {"staff_id": "01", "store_id": "S001", "device_id": "till-2",
        "ticket": {"dining": "takeaway", "items": [{"sku": "GBJD", "qty": qty}]}}})
}

fn order_id(r: &serde_json::Value) -> String {
    r["committed"]["events"]
        .as_array()
        .and_then(|evs| {
            evs.iter()
                .filter(|e| e["body"]["type"] == "order_placed")
                .find_map(|e| e["body"]["order"]["id"].as_str())
        })
        .unwrap_or_else(|| panic!("an order_placed in {r}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_replays_only_its_own_command_and_never_anothers_success() {
    let s = serve();
    let mut till = raw_from(&s, "127.0.0.1").await;
    assert_eq!(
        command(&mut till, "in", sign_in("01", "1234")).await["ok"],
        true
    );
    let first = command(&mut till, "K1", counter(2)).await;
    assert_eq!(first["ok"], true, "{first}");
    let again = command(&mut till, "K1", counter(2)).await;
    assert_eq!(again["committed"]["replay"], true, "{again}");
    assert_eq!(order_id(&again), order_id(&first));
    let other = command(&mut till, "K1", counter(3)).await;
    assert_eq!(other["code"], "key_reused", "{other}");
    assert!(
        other["message"]
            .as_str()
            .unwrap_or("")
            .contains("its own key"),
        "{other}"
    );
    // Another device reusing the key, with a wrong PIN, for a settle: no
    // replay of anyone's success, the PIN is checked.
    let mut stranger = raw_from(&s, "127.0.0.2").await;
    let r = command(
        &mut stranger,
        "K1",
        json!({"settle": {"order_id": order_id(&first), "staff_id": "01", "pin": "0000",
            "tenders": [{"method": "cash", "amount": 7600}]}}),
    )
    .await;
    assert_eq!(r["code"], "wrong_pin", "{r}");
    // The same key from the same device for another staff member is theirs.
    let mut kitchen = raw_from(&s, "127.0.0.3").await;
    assert_eq!(
        command(&mut kitchen, "in", sign_in("90", "909090")).await["ok"],
        true
    );
    let mine = command(
        &mut kitchen,
        "K1",
        json!({"place_counter_order": {"staff_id": "90", "store_id": "S001", "device_id": "till-3",
            "ticket": {"dining": "takeaway", "items": [{"sku": "GBJD", "qty": 2}]}}}),
    )
    .await;
    assert_eq!(mine["ok"], true, "{mine}");
    assert!(mine["committed"]["replay"] != true, "{mine}");
}

#[test]
fn a_key_expires_after_the_configured_days() {
    let t = TestStore::new(Rules {
        key_days: 7,
        ..Rules::default()
    });
    t.demo_staff();
    let place = || Command::PlaceCounterOrder {
        staff_id: "01".into(),
        store_id: "S001".into(),
        device_id: "box1".into(),
        ticket: CounterTicket {
            dining: Dining::Takeaway,
            table: None,
            note: String::new(),
            items: vec![CounterLine {
                sku: "GBJD".into(),
                qty: 1,
                modifiers: Vec::new(),
                note: String::new(),
            }],
        },
    };
    let h = t.h();
    let first = h
        .execute_blocking(Some("E1".into()), place())
        .expect("placed");
    t.clock.advance(chrono::Duration::days(6));
    let replay = h
        .execute_blocking(Some("E1".into()), place())
        .expect("replayed");
    assert!(replay.replay);
    assert_eq!(replay.events, first.events);
    t.clock.advance(chrono::Duration::days(2));
    let later = h
        .execute_blocking(Some("E1".into()), place())
        .expect("placed again");
    assert!(!later.replay, "an eight-day-old key is free again");
    assert_ne!(later.events, first.events);
}
