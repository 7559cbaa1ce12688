//! Shifts against the real engine: numbers in sequence and never reused, the
//! drawer counted against the cash it should hold, and the ways a close is
//! refused (no shift, not a manager, a wrong PIN, orders that need a decision).

use crate::common;

use common::{order, payment, TestStore};
use passline::domain::*;
use passline::engine::{Committed, EngineError};
use passline::report;

fn refused(r: Result<Committed, EngineError>) -> Refusal {
    match r {
        Err(EngineError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn open(t: &TestStore, who: &str, float: i64) -> Result<Committed, EngineError> {
    t.h().execute_blocking(
        None,
        Command::OpenShift {
            staff_id: who.into(),
            pin: None,
            float: Fen(float),
        },
    )
}

fn close(
    t: &TestStore,
    manager: &str,
    pin: &str,
    count: &str,
    confirm: bool,
) -> Result<Committed, EngineError> {
    t.h().execute_blocking(
        None,
        Command::CloseShift {
            staff_id: "01".into(),
            approval: Approval {
                staff_id: manager.into(),
                pin: pin.into(),
            },
            count: DrawerCount::parse(count).expect("a drawer count"),
            confirm_open_issues: confirm,
        },
    )
}

fn place(t: &TestStore, seq: u64, id: &str, due: i64) {
    t.h()
        .execute_blocking(
            None,
            Command::Platform {
                seq,
                event: PlatformEvent::OrderPlaced {
                    order: order(id, due),
                },
            },
        )
        .expect("placed");
}

fn pay(t: &TestStore, seq: u64, id: &str, state: &str, due: i64, tx: Option<&str>) {
    t.h()
        .execute_blocking(
            None,
            Command::Platform {
                seq,
                event: payment(id, state, due, tx),
            },
        )
        .expect("payment update");
}

fn settle_cash(t: &TestStore, id: &str, amount: i64, tendered: i64) {
    t.h()
        .execute_blocking(
            None,
            Command::Settle {
                order_id: id.into(),
                staff_id: "01".into(),
                pin: Some("1234".into()),
                tenders: vec![TenderInput {
                    method: Method::Cash,
                    amount: Fen(amount),
                    tendered: Some(Fen(tendered)),
                    reference: None,
                }],
            },
        )
        .expect("settled");
}

fn closed_event(c: &Committed) -> EventBody {
    c.events
        .iter()
        .find(|e| matches!(e.body, EventBody::ShiftClosed { .. }))
        .map(|e| e.body.clone())
        .expect("a ShiftClosed event")
}

#[test]
fn shift_numbers_run_in_sequence_and_survive_a_restart() {
    let mut t = TestStore::new(Rules::default());
    t.demo_staff();
    open(&t, "01", 50000).expect("shift 1 opens");
    assert_eq!(refused(open(&t, "90", 0)).code(), "shift_open");
    close(&t, "90", "909090", "100=5", false).expect("shift 1 closes");
    t.restart();
    let c = open(&t, "01", 30000).expect("shift 2 opens");
    assert!(matches!(
        c.events[0].body,
        EventBody::ShiftOpened { shift: 2, .. }
    ));
    close(&t, "90", "909090", "100=3", false).expect("shift 2 closes");
    open(&t, "01", 30000).expect("shift 3 opens");
    let store = t.h();
    let r3 = report::open_shift(store.store())
        .expect("read")
        .expect("open");
    assert_eq!(r3.number, 3);
    assert_eq!(
        report::last_closed(store.store())
            .expect("read")
            .map(|r| r.number),
        Some(2)
    );
}

#[test]
fn the_drawer_should_hold_the_float_plus_cash_net_of_change_and_refunds() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    open(&t, "01", 50000).expect("open");
    place(&t, 1, "O1", 5600);
    pay(&t, 2, "O1", "PAYERROR", 5600, None);
    // 100 handed over, 44 back: the drawer gains 56.
    settle_cash(&t, "O1", 5600, 10000);
    t.h()
        .execute_blocking(
            None,
            Command::Refund {
                order_id: "O1".into(),
                staff_id: "01".into(),
                approval: Approval {
                    staff_id: "90".into(),
                    pin: "909090".into(),
                },
                amount: Fen(1200),
                method: Method::Cash,
                reason: "菜品退回".into(),
            },
        )
        .expect("refund");
    place(&t, 3, "O2", 3000);
    pay(&t, 4, "O2", "SUCCESS", 3000, Some("tx-2"));
    // Expected 500 + 56 − 12 = 544.00; counted 543.50: short 0.50.
    let c = close(&t, "90", "909090", "100=5,20=2,1=3,0.5=1", false).expect("close");
    let EventBody::ShiftClosed {
        expected,
        counted,
        over_short,
        ..
    } = closed_event(&c)
    else {
        unreachable!()
    };
    assert_eq!(expected, Fen(54400));
    assert_eq!(counted, Fen(54350));
    assert_eq!(over_short, Fen(-50));
    assert_eq!(expected - counted, -over_short);
    let z = report::z_report(t.h().store(), None).expect("z");
    assert_eq!(z.cash.expected, expected);
    assert_eq!(z.cash.over_short, Some(Fen(-50)));
    assert_eq!(z.refunds.len(), 1);
    assert_eq!(z.refunds[0].approver, Some(StaffId::from("90")));
    assert_eq!(z.refunds[0].reason, "菜品退回");
}

#[test]
fn closing_without_an_open_shift_is_refused() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    assert_eq!(
        refused(close(&t, "90", "909090", "100=1", false)).code(),
        "no_shift_open"
    );
    open(&t, "01", 0).expect("open");
    close(&t, "90", "909090", "", false).expect("close");
    assert_eq!(
        refused(close(&t, "90", "909090", "", false)).code(),
        "no_shift_open"
    );
}

#[test]
fn only_a_manager_may_approve_a_close_and_only_with_the_right_pin() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    open(&t, "01", 20000).expect("open");
    // A cashier's own PIN is not a manager's approval.
    assert_eq!(
        refused(close(&t, "01", "1234", "100=2", false)).code(),
        "forbidden"
    );
    assert_eq!(
        refused(close(&t, "90", "0000", "100=2", false)),
        Refusal::WrongPin {
            staff_id: "90".into(),
            failures: 1
        }
    );
    // Kitchen staff neither open nor close.
    let kitchen_close = t.h().execute_blocking(
        None,
        Command::CloseShift {
            staff_id: "21".into(),
            approval: Approval {
                staff_id: "90".into(),
                pin: "909090".into(),
            },
            count: DrawerCount::default(),
            confirm_open_issues: false,
        },
    );
    assert_eq!(refused(kitchen_close).code(), "forbidden");
    // The shift is still open after every refusal.
    assert!(report::open_shift(t.h().store()).expect("read").is_some());
    close(&t, "90", "909090", "100=2", false).expect("the manager closes");
}

#[test]
fn orders_paid_twice_or_still_paying_need_the_managers_confirmation() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    open(&t, "01", 10000).expect("open");
    place(&t, 1, "O1", 5600);
    pay(&t, 2, "O1", "USERPAYING", 5600, None);
    place(&t, 3, "O2", 3000);
    pay(&t, 4, "O2", "PAYERROR", 3000, None);
    settle_cash(&t, "O2", 3000, 3000);
    pay(&t, 5, "O2", "SUCCESS", 3000, Some("tx-late"));
    place(&t, 6, "O3", 800);
    let r = refused(close(&t, "90", "909090", "100=1,20=2", false));
    assert_eq!(r.code(), "open_issues");
    let text = r.to_string();
    assert!(text.contains("O1") && text.contains("paying"), "{text}");
    assert!(
        text.contains("O2") && text.contains("double_paid"),
        "{text}"
    );
    assert!(
        !text.contains("O3"),
        "an unpaid order needs no confirmation: {text}"
    );
    let c = close(&t, "90", "909090", "100=1,20=2", true).expect("confirmed close");
    let EventBody::ShiftClosed {
        open_issues,
        confirmed,
        ..
    } = closed_event(&c)
    else {
        unreachable!()
    };
    assert!(confirmed);
    let kinds: Vec<(String, &str)> = open_issues
        .iter()
        .map(|i| (i.order_id.0.clone(), i.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("O2".to_string(), "double_paid"),
            ("O1".to_string(), "paying"),
            ("O3".to_string(), "unpaid"),
        ]
    );
    let z = report::z_report(t.h().store(), None).expect("z");
    assert_eq!(z.open_orders, open_issues);
    assert!(z.confirmed_open);
    assert_eq!(z.doubles.len(), 1);
    assert!(z.doubles[0].resolution.is_none());
}

#[test]
fn an_order_cancelled_after_payment_is_listed_as_a_refund_due() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    open(&t, "01", 0).expect("open");
    place(&t, 1, "O1", 5600);
    pay(&t, 2, "O1", "SUCCESS", 5600, Some("tx-1"));
    t.h()
        .execute_blocking(
            None,
            Command::Platform {
                seq: 3,
                event: PlatformEvent::OrderCancelled {
                    order_id: "O1".into(),
                    reason: "customer cancelled".into(),
                },
            },
        )
        .expect("cancelled");
    // A refund due needs no confirmation, but it is on the report.
    close(&t, "90", "909090", "", false).expect("close");
    let z = report::z_report(t.h().store(), None).expect("z");
    let kinds: Vec<(&str, Fen)> = z
        .open_orders
        .iter()
        .map(|i| (i.kind.as_str(), i.amount))
        .collect();
    assert_eq!(kinds, vec![("refund_due", Fen(5600))]);
    assert_eq!(z.sales_orders, 0);
    assert_eq!(z.sales[0].cancelled, 1);
}
