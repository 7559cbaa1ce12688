//! Property test: for random days driven through the real engine (orders,
//! online payments and refunds, failures, settlements with change, splits,
//! in-store refunds, voids, double payments and their resolution), the
//! shift's report adds up to sums taken straight from the event log, to the
//! fen, and the drawer's expected − counted is exactly the shortfall.

use crate::common;

use chrono::Duration;
use common::{order, TestStore};
use passline::domain::closing::open_issues;
use passline::domain::replay::fold;
use passline::domain::shift::Denomination;
use passline::domain::*;
use passline::report::{self, TenderKind};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Step {
    Place(u8, i64),
    Pay {
        o: u8,
        state: TradeState,
        alipay: bool,
        tx: u8,
    },
    OnlineRefund {
        o: u8,
        tx: u8,
    },
    Cancel(u8),
    SettleCash {
        o: u8,
        extra: i64,
    },
    SettleSplit {
        o: u8,
    },
    StoreRefund {
        o: u8,
        cash: bool,
    },
    Void(u8),
    Resolve {
        o: u8,
        refund: bool,
    },
    Bump(u8),
    Wait(i64),
}

fn step() -> impl Strategy<Value = Step> {
    let o = 0u8..4;
    let state = prop_oneof![
        Just(TradeState::Success),
        Just(TradeState::Success),
        Just(TradeState::Userpaying),
        Just(TradeState::Payerror),
        Just(TradeState::Closed),
    ];
    prop_oneof![
        3 => (o.clone(), 500i64..9000).prop_map(|(o, due)| Step::Place(o, due)),
        5 => (o.clone(), state, any::<bool>(), 0u8..3)
            .prop_map(|(o, state, alipay, tx)| Step::Pay { o, state, alipay, tx }),
        1 => (o.clone(), 0u8..3).prop_map(|(o, tx)| Step::OnlineRefund { o, tx }),
        1 => o.clone().prop_map(Step::Cancel),
        3 => (o.clone(), 0i64..5000).prop_map(|(o, extra)| Step::SettleCash { o, extra }),
        2 => o.clone().prop_map(|o| Step::SettleSplit { o }),
        2 => (o.clone(), any::<bool>()).prop_map(|(o, cash)| Step::StoreRefund { o, cash }),
        1 => o.clone().prop_map(Step::Void),
        1 => (o.clone(), any::<bool>()).prop_map(|(o, refund)| Step::Resolve { o, refund }),
        2 => o.prop_map(Step::Bump),
        2 => (1i64..20).prop_map(Step::Wait),
    ]
}

fn oid(o: u8) -> String {
    format!("O{o}")
}

fn manager() -> Approval {
    Approval {
        staff_id: "90".into(),
        pin: "909090".into(),
    }
}

/// Runs the day; refusals are part of a random day and commit nothing.
fn run_day(t: &TestStore, steps: &[Step], float: i64) {
    let h = t.h();
    let mut seq = 0u64;
    let mut platform = |event: PlatformEvent| {
        seq += 1;
        h.execute_blocking(None, Command::Platform { seq, event })
            .expect("platform events always commit");
    };
    let cmd = |c: Command| {
        let _ = t.h().execute_blocking(None, c);
    };
    let state = |o: u8| t.h().order(&oid(o).as_str().into()).ok().flatten();
    cmd(Command::OpenShift {
        staff_id: "01".into(),
        pin: None,
        float: Fen(float),
    });
    for s in steps {
        match s {
            Step::Place(o, due) => {
                if state(*o).is_none() {
                    platform(PlatformEvent::OrderPlaced {
                        order: order(&oid(*o), *due),
                    });
                }
            }
            Step::Pay {
                o,
                state: ts,
                alipay,
                tx,
            } => {
                if let Some(st) = state(*o) {
                    platform(PlatformEvent::PaymentUpdated(PaymentUpdate {
                        order_id: st.order.id.clone(),
                        channel: if *alipay {
                            PayChannel::Alipay
                        } else {
                            PayChannel::Wechat
                        },
                        trade_state: *ts,
                        amount: st.order.amount_due,
                        transaction_id: Some(format!("tx-{o}-{tx}")),
                        error_code: match ts {
                            TradeState::Payerror => Some("BANKERROR".into()),
                            _ => None,
                        },
                        error_message: None,
                        at: st.updated_at,
                    }));
                }
            }
            Step::OnlineRefund { o, tx } => {
                if let Some(st) = state(*o) {
                    platform(PlatformEvent::PaymentUpdated(PaymentUpdate {
                        order_id: st.order.id.clone(),
                        channel: PayChannel::Wechat,
                        trade_state: TradeState::Refund,
                        amount: st.order.amount_due,
                        transaction_id: Some(format!("tx-{o}-{tx}")),
                        error_code: None,
                        error_message: None,
                        at: st.updated_at,
                    }));
                }
            }
            Step::Cancel(o) => {
                if state(*o).is_some() {
                    platform(PlatformEvent::OrderCancelled {
                        order_id: oid(*o).as_str().into(),
                        reason: "customer cancelled".into(),
                    });
                }
            }
            Step::SettleCash { o, extra } => {
                if let Some(st) = state(*o) {
                    let due = st.remaining();
                    cmd(Command::Settle {
                        order_id: st.order.id.clone(),
                        staff_id: "01".into(),
                        pin: Some("1234".into()),
                        tenders: vec![TenderInput {
                            method: Method::Cash,
                            amount: due,
                            tendered: Some(due + Fen(*extra)),
                            reference: None,
                        }],
                    });
                }
            }
            Step::SettleSplit { o } => {
                if let Some(st) = state(*o) {
                    let due = st.remaining();
                    let card = Fen(due.0 / 2);
                    cmd(Command::Settle {
                        order_id: st.order.id.clone(),
                        staff_id: "02".into(),
                        pin: Some("5678".into()),
                        tenders: vec![
                            TenderInput {
                                method: Method::Card,
                                amount: card,
                                tendered: None,
                                reference: None,
                            },
                            TenderInput {
                                method: Method::Cash,
                                amount: due - card,
                                tendered: None,
                                reference: None,
                            },
                        ],
                    });
                }
            }
            Step::StoreRefund { o, cash } => {
                if let Some(st) = state(*o) {
                    let held = st.store_collected();
                    cmd(Command::Refund {
                        order_id: st.order.id.clone(),
                        staff_id: "01".into(),
                        approval: manager(),
                        amount: Fen((held.0 / 3).max(1)),
                        method: if *cash { Method::Cash } else { Method::Voucher },
                        reason: "dish returned".into(),
                    });
                }
            }
            Step::Void(o) => cmd(Command::Void {
                order_id: oid(*o).as_str().into(),
                staff_id: "01".into(),
                approval: manager(),
                reason: "customer left".into(),
            }),
            Step::Resolve { o, refund } => cmd(Command::ResolveDoublePayment {
                order_id: oid(*o).as_str().into(),
                staff_id: "01".into(),
                approval: manager(),
                refund_in_store: *refund,
                note: "checked".into(),
            }),
            Step::Bump(o) => cmd(Command::Bump {
                order_id: oid(*o).as_str().into(),
                staff_id: "21".into(),
                line: None,
            }),
            Step::Wait(m) => t.clock.advance(Duration::minutes(*m)),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_report_adds_up_to_the_log_to_the_fen(
        steps in prop::collection::vec(step(), 1..40),
        float in 0i64..100_000,
        counts in prop::collection::vec(0u32..6, 8),
    ) {
        let t = TestStore::new(Rules::default());
        t.demo_staff();
        t.add_staff("02", "赵敏", Role::Cashier, "5678");
        run_day(&t, &steps, float);
        let h = t.h();
        let x = report::x_report(h.store(), None).expect("x-report");

        let mut count = DrawerCount::default();
        for (d, n) in Denomination::ALL.into_iter().zip(&counts) {
            count.set(d, *n);
        }
        h.execute_blocking(None, Command::CloseShift {
            staff_id: "01".into(),
            approval: manager(),
            count,
            confirm_open_issues: true,
        }).expect("the manager closes the shift");
        let z = report::z_report(h.store(), None).expect("z-report");

        // Sums straight from the log.
        let log = h.events_after(0, 1_000_000).expect("log");
        let mut gross: BTreeMap<TenderKind, Fen> = BTreeMap::new();
        let mut refunds: BTreeMap<TenderKind, Fen> = BTreeMap::new();
        let mut closed = None;
        for ev in &log {
            match &ev.body {
                EventBody::Settled { tenders, .. } => for t in tenders {
                    *gross.entry(TenderKind::of_method(t.method)).or_default() += t.amount;
                },
                EventBody::Refunded { amount, method, .. } => {
                    *refunds.entry(TenderKind::of_method(*method)).or_default() += *amount;
                }
                EventBody::PaymentUpdated { update, effect: UpdateEffect::Applied }
                    if update.trade_state == TradeState::Success => {
                    *gross.entry(TenderKind::online(update.channel)).or_default() += update.amount;
                }
                EventBody::ShiftClosed { expected, counted, over_short, .. } => {
                    closed = Some((*expected, *counted, *over_short));
                }
                _ => {}
            }
        }
        let orders = fold(&log);
        let mut online_net: BTreeMap<TenderKind, Fen> = BTreeMap::new();
        for st in orders.values() {
            for s in &st.successes {
                *online_net.entry(TenderKind::online(s.channel)).or_default() += s.amount - s.refunded;
            }
        }
        for line in &z.tenders {
            let g = gross.get(&line.tender).copied().unwrap_or_default();
            prop_assert_eq!(line.gross, g, "gross {:?}", line.tender);
            match line.tender {
                TenderKind::OnlineWechat | TenderKind::OnlineAlipay => {
                    let net = online_net.get(&line.tender).copied().unwrap_or_default();
                    prop_assert_eq!(line.net, net, "online net {:?}", line.tender);
                }
                _ => {
                    let r = refunds.get(&line.tender).copied().unwrap_or_default();
                    prop_assert_eq!(line.refunds, r, "refunds {:?}", line.tender);
                    prop_assert_eq!(line.net, g - r);
                }
            }
        }
        let held: Fen = orders.values().map(|s| s.collected()).sum();
        prop_assert_eq!(z.tender_net, held, "net taken equals the money the orders hold");
        let sales: Fen = orders.values().filter(|s| !s.is_closed_by_cancel()).map(|s| s.order.amount_due).sum();
        prop_assert_eq!(z.sales_amount, sales);

        // The drawer.
        let cash_in = gross.get(&TenderKind::Cash).copied().unwrap_or_default();
        let cash_out = refunds.get(&TenderKind::Cash).copied().unwrap_or_default();
        let expected = Fen(float) + cash_in - cash_out;
        let (at_close, counted, over_short) = closed.expect("a ShiftClosed event");
        prop_assert_eq!(x.cash.expected, expected);
        prop_assert_eq!(z.cash.expected, expected);
        prop_assert_eq!(at_close, expected);
        prop_assert_eq!(counted, count.total());
        prop_assert_eq!(expected - counted, -over_short);
        prop_assert_eq!(z.cash.over_short, Some(over_short));

        // What is still open is what the log says is open.
        prop_assert_eq!(&z.open_orders, &open_issues(orders.values()));
        prop_assert_eq!(&x.open_orders, &z.open_orders);

        // Every record the day wrote reads the same in both encodings.
        common::every_record_reads_the_same_in_both_encodings(h.store());
    }
}
