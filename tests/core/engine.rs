//! The engine against a real sled store: roles, PINs and lockout, idempotency,
//! replay, and a store that refuses to open rather than lose anything.

use crate::common;

use common::{order, payment, TestStore};
use passline::domain::replay::fold;
use passline::domain::*;
use passline::engine::EngineError;
use passline::store::{Store, StoreError};

fn place_failed(t: &TestStore, id: &str, seq: u64) {
    let h = t.h();
    h.execute_blocking(
        None,
        Command::Platform {
            seq,
            event: PlatformEvent::OrderPlaced {
                order: order(id, 5600),
            },
        },
    )
    .expect("placed");
    h.execute_blocking(
        None,
        Command::Platform {
            seq: seq + 1,
            event: payment(id, "PAYERROR", 5600, None),
        },
    )
    .expect("failed");
}

fn refused(r: Result<passline::engine::Committed, EngineError>) -> String {
    match r {
        Err(EngineError::Refused(r)) => r.code(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn settle_cash(staff: &str, pin: Option<&str>) -> Command {
    Command::Settle {
        order_id: "O1".into(),
        staff_id: staff.into(),
        pin: pin.map(str::to_string),
        tenders: vec![TenderInput {
            method: Method::Cash,
            amount: Fen(5600),
            tendered: Some(Fen(10000)),
            reference: None,
        }],
    }
}

fn approval(id: &str, pin: &str) -> Approval {
    Approval {
        staff_id: id.into(),
        pin: pin.into(),
    }
}

#[test]
fn kitchen_staff_cannot_settle_void_or_refund() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    place_failed(&t, "O1", 1);
    let h = t.h();
    assert_eq!(
        refused(h.execute_blocking(None, settle_cash("21", Some("2222")))),
        "forbidden"
    );
    let void = Command::Void {
        order_id: "O1".into(),
        staff_id: "21".into(),
        approval: approval("90", "909090"),
        reason: "x".into(),
    };
    assert_eq!(refused(h.execute_blocking(None, void)), "forbidden");
    let refund = Command::Refund {
        order_id: "O1".into(),
        staff_id: "21".into(),
        approval: approval("90", "909090"),
        amount: Fen(100),
        method: Method::Cash,
        reason: "x".into(),
    };
    assert_eq!(refused(h.execute_blocking(None, refund)), "forbidden");
    // A kitchen member bumps what was fired.
    h.execute_blocking(None, settle_cash("01", Some("1234")))
        .expect("cashier settles");
    h.execute_blocking(
        None,
        Command::Bump {
            order_id: "O1".into(),
            staff_id: "21".into(),
            line: None,
        },
    )
    .expect("kitchen bumps");
}

#[test]
fn a_void_needs_a_managers_approval() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    place_failed(&t, "O1", 1);
    let h = t.h();
    let by_cashier = Command::Void {
        order_id: "O1".into(),
        staff_id: "01".into(),
        approval: approval("01", "1234"),
        reason: "顾客走了".into(),
    };
    assert_eq!(refused(h.execute_blocking(None, by_cashier)), "forbidden");
    let wrong_pin = Command::Void {
        order_id: "O1".into(),
        staff_id: "01".into(),
        approval: approval("90", "0000"),
        reason: "顾客走了".into(),
    };
    assert_eq!(refused(h.execute_blocking(None, wrong_pin)), "wrong_pin");
    let ok = Command::Void {
        order_id: "O1".into(),
        staff_id: "01".into(),
        approval: approval("90", "909090"),
        reason: "顾客走了".into(),
    };
    let c = h.execute_blocking(None, ok).expect("approved void");
    assert!(c
        .events
        .iter()
        .any(|e| matches!(&e.body, EventBody::Voided { approver, .. } if approver.0 == "90")));
    let st = h.order(&"O1".into()).expect("read").expect("order");
    assert_eq!(st.payment(), PaymentSummary::Void);
}

#[test]
fn five_wrong_pins_lock_out_even_across_a_restart() {
    let mut t = TestStore::new(Rules::default());
    t.demo_staff();
    place_failed(&t, "O1", 1);
    for i in 1..=4 {
        let code = refused(
            t.h()
                .execute_blocking(None, settle_cash("01", Some("9999"))),
        );
        assert_eq!(code, "wrong_pin", "try {i}");
    }
    assert_eq!(
        refused(
            t.h()
                .execute_blocking(None, settle_cash("01", Some("9999")))
        ),
        "locked_out"
    );
    // Even the right PIN is refused while locked, and after a restart.
    assert_eq!(
        refused(
            t.h()
                .execute_blocking(None, settle_cash("01", Some("1234")))
        ),
        "locked_out"
    );
    t.restart();
    assert_eq!(
        refused(
            t.h()
                .execute_blocking(None, settle_cash("01", Some("1234")))
        ),
        "locked_out"
    );
    t.clock.advance(chrono::Duration::seconds(61));
    t.h()
        .execute_blocking(None, settle_cash("01", Some("1234")))
        .expect("unlocked after 60 s");
    // The log names who did each thing.
    let log = t.h().events_after(0, 1000).expect("log");
    assert_eq!(
        log.iter()
            .filter(|e| matches!(e.body, EventBody::PinRejected { .. }))
            .count(),
        5
    );
    let settled = log
        .iter()
        .find(|e| matches!(e.body, EventBody::Settled { .. }))
        .expect("settled");
    assert_eq!(settled.actor, Actor::Staff { id: "01".into() });
}

#[test]
fn a_retried_command_returns_the_first_result_and_changes_nothing() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    place_failed(&t, "O1", 1);
    let h = t.h();
    let first = h
        .execute_blocking(Some("till-1-0007".into()), settle_cash("01", None))
        .expect("settled");
    let again = h
        .execute_blocking(Some("till-1-0007".into()), settle_cash("01", None))
        .expect("replayed");
    assert!(again.replay);
    assert_eq!(first.events, again.events);
    assert_eq!(first.reports, again.reports);
    let st = h.order(&"O1".into()).expect("read").expect("order");
    assert_eq!(st.collected(), Fen(5600));
    assert_eq!(
        h.outbox()
            .expect("outbox")
            .iter()
            .filter(|e| e.report.kind() == "payment.settled")
            .count(),
        1
    );
}

#[test]
fn a_replayed_seq_is_ignored_and_a_gap_is_refused() {
    let t = TestStore::new(Rules::default());
    place_failed(&t, "O1", 1);
    let h = t.h();
    let again = h
        .execute_blocking(
            None,
            Command::Platform {
                seq: 2,
                event: payment("O1", "SUCCESS", 5600, Some("T1")),
            },
        )
        .expect("replay is fine");
    assert!(again.events.is_empty());
    match h.execute_blocking(
        None,
        Command::Platform {
            seq: 9,
            event: payment("O1", "SUCCESS", 5600, Some("T1")),
        },
    ) {
        Err(EngineError::Gap { cursor: 2, seq: 9 }) => {}
        other => panic!("expected a gap, got {other:?}"),
    }
    assert_eq!(h.cursor().expect("cursor"), 2);
    assert_eq!(
        h.order(&"O1".into())
            .expect("read")
            .expect("order")
            .payment(),
        PaymentSummary::Failed
    );
}

#[test]
fn a_payment_for_an_unknown_order_is_quarantined_and_the_feed_moves_on() {
    let t = TestStore::new(Rules::default());
    let h = t.h();
    h.execute_blocking(
        None,
        Command::Platform {
            seq: 1,
            event: payment("NOPE", "SUCCESS", 5600, Some("T1")),
        },
    )
    .expect("quarantined, not refused");
    assert_eq!(h.cursor().expect("cursor"), 1);
    let q = h.quarantined().expect("quarantine");
    assert_eq!(q.len(), 1);
    assert!(q[0].error.contains("never placed"), "{}", q[0].error);
}

#[test]
fn the_log_replays_to_the_stored_projections_across_a_restart() {
    let mut t = TestStore::new(Rules {
        fire: FirePolicy::OnOrder,
        cash_rounding: CashRounding::Jiao,
        ..Default::default()
    });
    t.demo_staff();
    place_failed(&t, "O1", 1);
    {
        let h = t.h();
        h.execute_blocking(
            None,
            Command::Platform {
                seq: 3,
                event: PlatformEvent::OrderPlaced {
                    order: order("O2", 3337),
                },
            },
        )
        .expect("placed");
        h.execute_blocking(None, settle_cash("01", None))
            .expect("settled");
        h.execute_blocking(
            None,
            Command::Platform {
                seq: 4,
                event: payment("O1", "SUCCESS", 5600, Some("T9")),
            },
        )
        .expect("late success");
        h.execute_blocking(
            None,
            Command::Bump {
                order_id: "O2".into(),
                staff_id: "21".into(),
                line: None,
            },
        )
        .expect("bumped");
        h.execute_blocking(
            None,
            Command::Recall {
                staff_id: "21".into(),
                order_id: None,
            },
        )
        .expect("recalled");
    }
    t.restart();
    let h = t.h();
    let log = h.events_after(0, 10_000).expect("log");
    let rebuilt = fold(&log);
    for (id, st) in &rebuilt {
        assert_eq!(
            Some(st.clone()),
            h.store().order(id).expect("read"),
            "order {id}"
        );
    }
    assert_eq!(
        rebuilt[&OrderId::from("O1")].payment(),
        PaymentSummary::DoublePaid
    );
    assert_eq!(rebuilt[&OrderId::from("O2")].kitchen(), Kitchen::Fired);
}

#[test]
fn a_store_from_a_newer_passline_refuses_to_open_and_is_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let s = Store::open(dir.path(), 1 << 20).expect("new store");
        s.meta
            .insert("schema", &99u64.to_be_bytes())
            .expect("write");
        s.flush().expect("flush");
    }
    match Store::open(dir.path(), 1 << 20) {
        Err(e @ StoreError::FutureSchema { found: 99, .. }) => {
            assert!(e.to_string().contains("upgrade passline"))
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a future store opened"),
    }
}

#[test]
fn a_damaged_store_refuses_to_open_and_names_the_last_backup() {
    let dir = tempfile::tempdir().expect("dir");
    let backup = dir.path().join("day.bak");
    let data = dir.path().join("data");
    {
        let s = Store::open(&data, 1 << 20).expect("new store");
        s.meta.insert("k", b"v".as_slice()).expect("write");
        passline::store::backup::write(&s, &backup).expect("backup");
    }
    // Scribble over sled's files, as a bad SD card would.
    for entry in walk(&data) {
        if entry.extension().is_none() && entry.file_name().is_some_and(|n| n != "last-backup.txt")
        {
            let len = std::fs::metadata(&entry).map(|m| m.len()).unwrap_or(0);
            if len > 64 {
                std::fs::write(&entry, vec![0xA5u8; len as usize]).expect("scribble");
            }
        }
    }
    match Store::open(&data, 1 << 20) {
        Err(e @ StoreError::Corrupt { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("day.bak"), "{msg}");
            assert!(msg.contains("passline restore --from"), "{msg}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(s) => {
            // sled may recover by discarding a torn tail; then nothing may be invented.
            assert!(s
                .meta
                .get("k")
                .expect("read")
                .is_none_or(|v| &v[..] == b"v"));
        }
    }
    // The backup restores.
    let (n, aside) = passline::store::backup::restore(&backup, &data, 1 << 20).expect("restore");
    assert!(n >= 2);
    assert!(aside.is_some());
    let s = Store::open(&data, 1 << 20).expect("restored store opens");
    assert_eq!(
        s.meta.get("k").expect("read").as_deref(),
        Some(b"v".as_slice())
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn a_second_console_on_the_same_store_is_told_it_is_locked() {
    let t = TestStore::new(Rules::default());
    match Store::open(t.dir.path(), 1 << 20) {
        Err(e @ StoreError::Locked { .. }) => assert!(e.to_string().contains("in use")),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("opened twice"),
    }
}

#[test]
fn a_queued_receipt_reads_back_from_the_spool() {
    use passline::print::route::{PrinterRoute, Routes};
    let routes = Routes {
        printers: vec![PrinterRoute {
            name: "counter".into(),
            stations: vec!["hot".into()],
            receipts: true,
            drawer: true,
        }],
        receipt_on_settle: true,
    };
    let t = TestStore::with_routes(Rules::default(), routes);
    t.demo_staff();
    place_failed(&t, "O1", 1);
    t.h()
        .execute_blocking(None, settle_cash("01", Some("1234")))
        .expect("settled");
    let jobs = t.h().jobs().expect("jobs read back");
    let mut kinds: Vec<&str> = jobs.iter().map(|j| j.doc.kind()).collect();
    kinds.sort();
    assert_eq!(kinds, ["drawer", "kitchen", "receipt"]);
}

#[test]
fn a_data_dir_that_cannot_be_used_says_what_to_do() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").expect("file");
    match Store::open(&file.join("data"), 1 << 20) {
        Err(e @ StoreError::Unusable { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("data_dir"), "{msg}");
            assert!(!msg.contains('\n'), "one line: {msg}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("opened a store inside a file"),
    }
}

#[test]
fn a_manager_moves_a_dead_printers_queue_and_the_log_says_who() {
    use passline::print::job::JobDoc;
    use passline::print::route::{PrinterRoute, Routes};
    use passline::store::JobState;
    let routes = Routes {
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
        receipt_on_settle: false,
    };
    let t = TestStore::with_routes(
        Rules {
            fire: FirePolicy::OnOrder,
            cash_rounding: CashRounding::Fen,
            ..Default::default()
        },
        routes,
    );
    t.demo_staff();
    let h = t.h();
    h.execute_blocking(
        None,
        Command::Platform {
            seq: 1,
            event: PlatformEvent::OrderPlaced {
                order: order("O1", 5600),
            },
        },
    )
    .expect("placed and fired");
    let move_to = |printer: &str, approver: &str, pin: &str| Command::MoveQueue {
        staff_id: "01".into(),
        from: "hot".into(),
        to: printer.into(),
        approval: approval(approver, pin),
    };
    assert_eq!(
        refused(h.execute_blocking(None, move_to("counter", "01", "1234"))),
        "forbidden"
    );
    assert_eq!(
        refused(h.execute_blocking(None, move_to("nowhere", "90", "909090"))),
        "unknown_printer"
    );
    let c = h
        .execute_blocking(None, move_to("counter", "90", "909090"))
        .expect("moved");
    let moved = c.events.iter().find_map(|e| match &e.body {
        EventBody::QueueMoved { approver, jobs, .. } => Some((approver.clone(), jobs.clone())),
        _ => None,
    });
    let (approver, jobs) = moved.expect("a queue_moved event");
    assert_eq!(approver.0, "90");
    assert_eq!(jobs.len(), 1);
    let all = h.jobs().expect("spool");
    let old = all
        .iter()
        .find(|j| j.printer == "hot")
        .expect("the old job");
    assert_eq!(old.state, JobState::Moved);
    let new = all.iter().find(|j| j.job == jobs[0]).expect("the new job");
    assert_eq!(
        (new.printer.as_str(), new.state),
        ("counter", JobState::Queued)
    );
    assert!(
        matches!(new.doc, JobDoc::Kitchen { .. }),
        "nothing was sent yet: no duplicate mark"
    );
}

#[test]
fn a_failing_disk_saves_nothing_says_to_try_again_and_the_retry_lands_once() {
    use passline::engine::{Engine, EngineConfig, FixedClock};
    use passline::store::{fault::WriteFault, Store};
    let dir = tempfile::tempdir().expect("dir");
    let failing = dir.path().join("disk-fails");
    let start = || {
        let mut store = Store::open(&dir.path().join("data"), 4 << 20).expect("store");
        store.fault = WriteFault::at(&failing);
        let tz = chrono_tz::Asia::Shanghai;
        Engine::start(
            store,
            EngineConfig {
                rules: Rules::default(),
                routes: passline::print::route::Routes::default(),
                tz,
                clock: std::sync::Arc::new(FixedClock::at("2026-11-25T12:00:00+08:00")),
                menu: None,
            },
        )
        .expect("engine")
    };
    let placed = |seq: u64| Command::Platform {
        seq,
        event: PlatformEvent::OrderPlaced {
            order: order("WX-DISK", 5600),
        },
    };
    let e = start();
    let h = e.handle();
    std::fs::write(&failing, b"x").expect("control file");
    let err = h
        .execute_blocking(None, placed(1))
        .expect_err("the disk refuses");
    let msg = err.to_string();
    assert!(
        msg.contains("not saved") && msg.contains("try again") && msg.contains("disk-fails"),
        "{msg}"
    );
    // Nothing of it is kept, in memory or on disk.
    assert!(h.board().is_empty());
    assert_eq!(h.store().cursor().expect("cursor"), 0);
    drop(h);
    e.shutdown();
    let e = start();
    let h = e.handle();
    assert!(h.board().is_empty(), "nothing came back after a restart");
    assert_eq!(h.store().last_event_id().expect("log"), 0);
    // The disk works again: the same event lands, once.
    std::fs::remove_file(&failing).expect("disk back");
    let c = h.execute_blocking(None, placed(1)).expect("saved");
    assert_eq!(c.events.len(), 1);
    assert_eq!(h.store().cursor().expect("cursor"), 1);
    assert!(h.board().contains_key(&OrderId::from("WX-DISK")));
    drop(h);
    e.shutdown();
}
