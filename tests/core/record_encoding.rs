//! The store's record encoding: every record type written by a real day
//! (orders, payments, tickets, receipts, the drawer, refunds, voids,
//! quarantined frames, retried commands, shifts, the archive) is in the
//! compact encoding (the log's events still JSON) and reads the same as
//! its JSON; what older builds wrote
//! in JSON, live and archived, still reads, beside new records.

use crate::common;

use chrono::Duration;
use common::{every_record_reads_the_same_in_both_encodings, order, payment, TestStore};
use passline::domain::*;
use passline::print::route::{PrinterRoute, Routes};
use passline::store::{codec, date_key, Store};

fn routes() -> Routes {
    Routes {
        printers: vec![
            PrinterRoute {
                name: "hot".into(),
                stations: vec!["hot".into()],
                receipts: false,
                drawer: false,
            },
            PrinterRoute {
                name: "counter".into(),
                stations: vec![],
                receipts: true,
                drawer: true,
            },
        ],
        receipt_on_settle: true,
    }
}

fn manager() -> Approval {
    Approval {
        staff_id: "90".into(),
        pin: "909090".into(),
    }
}

/// A day with something of every kind in every tree.
fn busy_day(t: &TestStore) {
    let h = t.h();
    let run = |key: Option<&str>, c: Command| {
        h.execute_blocking(key.map(str::to_string), c)
            .expect("the day's commands commit")
    };
    run(
        None,
        Command::OpenShift {
            staff_id: "01".into(),
            pin: None,
            float: Fen(50000),
        },
    );
    let platform = |seq: u64, event: PlatformEvent| Command::Platform { seq, event };
    run(
        None,
        platform(
            1,
            PlatformEvent::OrderPlaced {
                order: order("O1", 5600),
            },
        ),
    );
    run(
        None,
        platform(2, payment("O1", "SUCCESS", 5600, Some("tx1"))),
    );
    run(
        None,
        platform(
            3,
            PlatformEvent::OrderPlaced {
                order: order("O2", 3200),
            },
        ),
    );
    run(None, platform(4, payment("O2", "PAYERROR", 3200, None)));
    // A retried command keeps its first result under its key.
    run(
        Some("till-1-0001"),
        Command::Settle {
            order_id: "O2".into(),
            staff_id: "01".into(),
            pin: None,
            tenders: vec![TenderInput {
                method: Method::Cash,
                amount: Fen(3200),
                tendered: Some(Fen(5000)),
                reference: None,
            }],
        },
    );
    run(
        None,
        Command::Refund {
            order_id: "O2".into(),
            staff_id: "01".into(),
            approval: manager(),
            amount: Fen(1000),
            method: Method::Cash,
            reason: "菜品退回".into(),
        },
    );
    run(
        None,
        platform(
            5,
            PlatformEvent::OrderPlaced {
                order: order("O3", 1800),
            },
        ),
    );
    run(
        None,
        Command::Void {
            order_id: "O3".into(),
            staff_id: "01".into(),
            approval: manager(),
            reason: "顾客离开".into(),
        },
    );
    run(
        None,
        Command::Bump {
            order_id: "O1".into(),
            staff_id: "21".into(),
            line: None,
        },
    );
    run(
        None,
        Command::Quarantine {
            seq: Some(6),
            raw: "{\"kind\":\"order.placed\",".into(),
            error: "EOF while parsing".into(),
        },
    );
    run(
        None,
        Command::CloseShift {
            staff_id: "01".into(),
            approval: manager(),
            count: DrawerCount::default(),
            confirm_open_issues: true,
        },
    );
}

#[test]
fn every_stored_record_reads_the_same_from_the_compact_encoding_and_from_json() {
    let t = TestStore::with_routes(Rules::default(), routes());
    t.demo_staff();
    busy_day(&t);
    let h = t.h();
    let seen = every_record_reads_the_same_in_both_encodings(h.store());
    for tree in [
        "log",
        "orders",
        "outbox",
        "spool",
        "quarantine",
        "staff",
        "idem",
        "meta",
    ] {
        assert!(seen.get(tree).copied().unwrap_or(0) > 0, "{tree}: {seen:?}");
    }
    let before = h.events_after(0, 10_000).expect("log");

    // The day moves to the archive: its file holds the same records, and
    // the index entry is in the compact encoding too.
    t.clock.advance(Duration::days(3));
    let days = h.archive(2).expect("archive");
    assert_eq!(days.len(), 1, "{days:?}");
    every_record_reads_the_same_in_both_encodings(h.store());
    let after = h.events_after(0, 10_000).expect("log");
    assert_eq!(
        serde_json::to_value(&after).expect("json"),
        serde_json::to_value(&before).expect("json"),
        "the archived day reads back as it was"
    );
}

#[test]
fn a_store_an_older_build_wrote_in_json_still_reads_beside_new_records() {
    let dir = tempfile::tempdir().expect("dir");
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:01:05+08:00").expect("time");
    let placed = order("OLD1", 5600);
    let body = EventBody::OrderPlaced {
        order: placed.clone(),
    };
    let ev = Event {
        id: 1,
        at,
        actor: Actor::Platform { seq: 1 },
        body: body.clone(),
    };
    let mut st = OrderState::new(placed.clone(), 1, at);
    st.apply(1, at, &body);
    {
        // What an older build left: JSON records, as it wrote them.
        let store = Store::open(dir.path(), 1 << 20).expect("store");
        store
            .log
            .insert(1u64.to_be_bytes(), codec::encode_json(&ev))
            .expect("log");
        store
            .orders
            .insert("OLD1", codec::encode_json(&st))
            .expect("orders");
        store.open.insert("OLD1", Vec::<u8>::new()).expect("open");
        store
            .by_date
            .insert(date_key("2026-11-25", &placed.id), Vec::<u8>::new())
            .expect("by_date");
        store
            .meta
            .insert("cursor", &1u64.to_be_bytes())
            .expect("cursor");
        store.flush().expect("flush");
    }
    let t = TestStore::with_dir(dir, Rules::default());
    let h = t.h();
    assert_eq!(
        h.order(&"OLD1".into()).expect("read").map(|s| s.order.id),
        Some("OLD1".into()),
        "a JSON projection reads"
    );
    h.execute_blocking(
        None,
        Command::Platform {
            seq: 2,
            event: payment("OLD1", "SUCCESS", 5600, Some("tx1")),
        },
    )
    .expect("a new event on an old order");
    let log = h.events_after(0, 100).expect("log");
    assert_eq!(log.len(), 3, "placed (JSON), paid and fired (new): {log:?}");
    assert_eq!(
        serde_json::to_value(&log[0]).expect("json"),
        serde_json::to_value(&ev).expect("json")
    );
    let raw = h.store().log.get(1u64.to_be_bytes()).expect("get");
    assert_eq!(raw.as_deref().and_then(|v| v.first()), Some(&b'{'));
    let raw = h.store().orders.get("OLD1").expect("get");
    assert!(
        matches!(
            raw.as_deref().and_then(|v| v.first()),
            Some(&codec::FORMAT_CBOR | &codec::FORMAT_CBOR_LZ4)
        ),
        "the projection is rewritten in the compact encoding"
    );
    let st = h.order(&"OLD1".into()).expect("read").expect("the order");
    assert_eq!(st.collected(), Fen(5600));
}
