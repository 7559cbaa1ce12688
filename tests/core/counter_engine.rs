//! Counter orders and scanned pay codes through the real engine: numbering,
//! firing, the reports they leave in the outbox, and what is never stored.

use crate::common;

use common::TestStore;
use passline::counter::{Menu, OrderEntry};
use passline::domain::command::CounterTicket;
use passline::domain::*;
use passline::engine::EngineHandle;

const WECHAT: &str = "134567890123456781";
const ALIPAY: &str = "281234567890123451";

fn three_dishes() -> CounterTicket {
    let menu = Menu::demo();
    let mut e = OrderEntry::default();
    for q in ["gbjd", "mf", "nmc"] {
        e.query = q.into();
        assert!(e.add_best(&menu));
    }
    e.ticket()
}

fn place(h: &EngineHandle) -> OrderState {
    let c = h
        .execute_blocking(
            None,
            Command::PlaceCounterOrder {
                staff_id: "01".into(),
                store_id: "S001".into(),
                device_id: "box1".into(),
                ticket: three_dishes(),
            },
        )
        .expect("the counter order is placed");
    let id = c
        .events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::OrderPlaced { order } => Some(order.id.clone()),
            _ => None,
        })
        .expect("an order_placed event");
    h.order(&id).expect("store").expect("order")
}

fn scan(h: &EngineHandle, order: &OrderId, code: &str) -> Result<(), Refusal> {
    match h.execute_blocking(
        None,
        Command::CollectPayCode {
            order_id: order.clone(),
            staff_id: "01".into(),
            auth_code: AuthCode(code.into()),
        },
    ) {
        Ok(_) => Ok(()),
        Err(passline::engine::EngineError::Refused(r)) => Err(r),
        Err(e) => panic!("engine error: {e}"),
    }
}

#[test]
fn counter_orders_get_store_unique_ids_and_their_own_pickup_series() {
    let mut t = TestStore::new(Rules::default());
    t.demo_staff();
    let a = place(&t.h());
    let b = place(&t.h());
    assert_eq!(a.order.id.0, "S001-box1-000001");
    assert_eq!(b.order.id.0, "S001-box1-000002");
    assert_eq!(
        (a.order.pickup_no.as_str(), b.order.pickup_no.as_str()),
        ("C001", "C002")
    );
    assert_eq!(a.order.channel, Channel::Counter);
    assert_eq!(a.order.amount_due, Fen(3800 + 200 + 1400));
    // The counters are durable: a restart goes on from where it was.
    t.restart();
    let c = place(&t.h());
    assert_eq!(
        (c.order.id.0.as_str(), c.order.pickup_no.as_str()),
        ("S001-box1-000003", "C003")
    );
}

#[test]
fn a_counter_order_is_reported_and_fires_when_paid_in_a_pay_first_store() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    let h = t.h();
    let st = place(&h);
    assert_eq!(st.kitchen(), Kitchen::Waiting, "pay first: not fired yet");
    let outbox = h.outbox().expect("outbox");
    assert_eq!(outbox.len(), 1);
    match &outbox[0].report {
        Report::OrderPlaced { order, .. } => assert_eq!(order.id, st.order.id),
        other => panic!("expected order.placed, got {}", other.kind()),
    }
    h.execute_blocking(
        None,
        Command::Settle {
            order_id: st.order.id.clone(),
            staff_id: "01".into(),
            pin: Some("1234".into()),
            tenders: vec![TenderInput {
                method: Method::Cash,
                amount: Fen(5400),
                tendered: Some(Fen(10000)),
                reference: None,
            }],
        },
    )
    .expect("cash settles it");
    let st = h.order(&st.order.id).expect("store").expect("order");
    assert_eq!(st.change(), Fen(4600));
    assert_eq!(st.kitchen(), Kitchen::Fired);
    let kinds: Vec<&str> = h
        .outbox()
        .expect("outbox")
        .iter()
        .map(|e| e.report.kind())
        .collect();
    assert_eq!(kinds, ["order.placed", "payment.settled", "order.status"]);
}

#[test]
fn an_empty_counter_order_is_refused() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    let mut ticket = three_dishes();
    ticket.items.clear();
    let r = t.h().execute_blocking(
        None,
        Command::PlaceCounterOrder {
            staff_id: "01".into(),
            store_id: "S001".into(),
            device_id: "box1".into(),
            ticket,
        },
    );
    assert!(matches!(
        r,
        Err(passline::engine::EngineError::Refused(Refusal::EmptyOrder))
    ));
}

#[test]
fn a_scanned_code_goes_out_once_and_is_never_kept_in_full() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    let h = t.h();
    let st = place(&h);
    scan(&h, &st.order.id, WECHAT).expect("a WeChat code is taken");
    assert_eq!(
        scan(&h, &st.order.id, WECHAT),
        Err(Refusal::PayCodeRepeated {
            masked: "1345**********6781".into()
        }),
        "the same code twice is refused"
    );
    let collect: Vec<_> = h
        .outbox()
        .expect("outbox")
        .into_iter()
        .filter(|e| e.report.kind() == "payment.collect")
        .collect();
    assert_eq!(collect.len(), 1);
    match &collect[0].report {
        Report::PaymentCollect {
            auth_code,
            channel,
            amount,
            ..
        } => {
            assert_eq!(auth_code, WECHAT, "the platform needs the full code");
            assert_eq!(*channel, PayChannel::Wechat);
            assert_eq!(*amount, Fen(5400));
        }
        other => panic!("{}", other.kind()),
    }
    // The order and the log keep only the masked form.
    let st = h.order(&st.order.id).expect("store").expect("order");
    assert_eq!(st.pay_codes.len(), 1);
    assert_eq!(st.pay_codes[0].masked, "1345**********6781");
    let log = serde_json::to_string(&h.events_after(0, 1000).expect("log")).expect("json");
    let order = serde_json::to_string(&st).expect("json");
    assert!(!log.contains(WECHAT) && !order.contains(WECHAT));
}

#[test]
fn an_alipay_code_is_routed_to_alipay_and_a_malformed_one_refused() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    let h = t.h();
    let st = place(&h);
    assert_eq!(
        scan(&h, &st.order.id, "161234567890123456"),
        Err(Refusal::BadPayCode {
            masked: "1612**********3456".into()
        })
    );
    scan(&h, &st.order.id, ALIPAY).expect("an Alipay code is taken");
    let st = h.order(&st.order.id).expect("store").expect("order");
    assert_eq!(st.pay_codes[0].channel, PayChannel::Alipay);
}

#[test]
fn kitchen_staff_cannot_take_counter_orders() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    let r = t.h().execute_blocking(
        None,
        Command::PlaceCounterOrder {
            staff_id: "21".into(),
            store_id: "S001".into(),
            device_id: "box1".into(),
            ticket: three_dishes(),
        },
    );
    assert!(matches!(
        r,
        Err(passline::engine::EngineError::Refused(
            Refusal::Forbidden { .. }
        ))
    ));
}

#[test]
fn a_second_code_waits_while_the_first_is_being_confirmed() {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    let h = t.h();
    let st = place(&h);
    scan(&h, &st.order.id, WECHAT).expect("first code sent");
    let userpaying = |state: &str, code: Option<&str>| {
        PlatformEvent::PaymentUpdated(PaymentUpdate {
            order_id: st.order.id.clone(),
            channel: PayChannel::Wechat,
            trade_state: serde_json::from_value(serde_json::json!(state)).expect("state"),
            amount: Fen(5400),
            transaction_id: None,
            error_code: code.map(str::to_string),
            error_message: None,
            at: chrono::DateTime::parse_from_rfc3339("2026-11-25T12:02:00+08:00").expect("time"),
        })
    };
    h.execute_blocking(
        None,
        Command::Platform {
            seq: 1,
            event: userpaying("USERPAYING", None),
        },
    )
    .expect("applied");
    assert_eq!(
        scan(&h, &st.order.id, ALIPAY),
        Err(Refusal::CollectInProgress {
            masked: "1345**********6781".into()
        })
    );
    h.execute_blocking(
        None,
        Command::Platform {
            seq: 2,
            event: userpaying("PAYERROR", Some("NOTENOUGH")),
        },
    )
    .expect("applied");
    scan(&h, &st.order.id, ALIPAY).expect("after the failure, another code is taken");
}
