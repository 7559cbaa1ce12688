//! Property tests of the payment rules over random days of platform events and
//! store commands: money is never counted twice, totals add up to the fen, a
//! success after an in-store settlement is a double payment, a paid order never
//! goes back to unpaid without a refund or an add-on, and the log replays to
//! exactly the same projections.

use chrono::DateTime;
use passline::domain::replay::fold;
use passline::domain::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone)]
enum Step {
    Place(u8),
    Pay {
        o: u8,
        state: TradeState,
        tx: u8,
        amount: i64,
    },
    Refund {
        o: u8,
        tx: u8,
    },
    Cancel(u8),
    AddOn(u8),
    SettleCash {
        o: u8,
        extra: i64,
    },
    SettleSplit {
        o: u8,
    },
    StoreRefund {
        o: u8,
    },
    Void(u8),
    Resolve {
        o: u8,
        refund: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let o = 0u8..3;
    let state = prop_oneof![
        Just(TradeState::Success),
        Just(TradeState::Success),
        Just(TradeState::Userpaying),
        Just(TradeState::Payerror),
        Just(TradeState::Notpay),
        Just(TradeState::Closed),
    ];
    prop_oneof![
        3 => o.clone().prop_map(Step::Place),
        6 => (o.clone(), state, 0u8..4, prop_oneof![Just(5600i64), Just(1400), Just(700)])
            .prop_map(|(o, state, tx, amount)| Step::Pay { o, state, tx, amount }),
        1 => (o.clone(), 0u8..4).prop_map(|(o, tx)| Step::Refund { o, tx }),
        1 => o.clone().prop_map(Step::Cancel),
        1 => o.clone().prop_map(Step::AddOn),
        3 => (o.clone(), 0i64..5000).prop_map(|(o, extra)| Step::SettleCash { o, extra }),
        2 => o.clone().prop_map(|o| Step::SettleSplit { o }),
        1 => o.clone().prop_map(|o| Step::StoreRefund { o }),
        1 => o.clone().prop_map(Step::Void),
        1 => (o, any::<bool>()).prop_map(|(o, refund)| Step::Resolve { o, refund }),
    ]
}

fn oid(o: u8) -> OrderId {
    OrderId(format!("O{o}"))
}

fn staff(id: &str, role: Role) -> Staff {
    Staff {
        id: StaffId(id.into()),
        name: id.into(),
        role,
        active: true,
    }
}

/// A pure stand-in for the engine's decide-then-apply loop (no sled, no PINs).
struct Day {
    rules: Rules,
    orders: BTreeMap<OrderId, OrderState>,
    log: Vec<Event>,
    /// Independent bookkeeping from the inputs alone.
    online_by_tx: HashMap<(OrderId, String), i64>,
    refunded_tx: HashMap<(OrderId, String), bool>,
    store_net: HashMap<OrderId, i64>,
    addon_lines: HashMap<OrderId, u32>,
}

impl Day {
    fn new(rules: Rules) -> Day {
        Day {
            rules,
            orders: BTreeMap::new(),
            log: Vec::new(),
            online_by_tx: HashMap::new(),
            refunded_tx: HashMap::new(),
            store_net: HashMap::new(),
            addon_lines: HashMap::new(),
        }
    }

    fn commit(&mut self, bodies: Vec<EventBody>) {
        let at = DateTime::parse_from_rfc3339("2026-11-25T12:05:00+08:00").expect("time");
        for body in bodies {
            let id = self.log.len() as u64 + 1;
            match &body {
                EventBody::OrderPlaced { order } => {
                    let mut st = OrderState::new(order.clone(), id, at);
                    st.apply(id, at, &body);
                    self.orders.insert(order.id.clone(), st);
                }
                b => {
                    if let Some(st) = b.order_id().and_then(|i| self.orders.get_mut(i)) {
                        st.apply(id, at, b);
                    }
                }
            }
            self.log.push(Event {
                id,
                at,
                actor: Actor::Console,
                body,
            });
        }
    }

    fn platform(&mut self, ev: PlatformEvent) {
        let st = self.orders.get(ev.order_id()).cloned();
        if let PlatformOutcome::Events(b) = self.rules.platform(st.as_ref(), &ev) {
            self.commit(b);
        }
    }

    fn store(&mut self, o: &OrderId, cmd: Command) -> bool {
        let st = self.orders.get(o).cloned();
        let cashier = staff("01", Role::Cashier);
        let manager = staff("90", Role::Manager);
        match self
            .rules
            .store(st.as_ref(), &cmd, &cashier, Some(&manager))
        {
            Ok(b) => {
                self.commit(b);
                true
            }
            Err(_) => false,
        }
    }

    fn run(&mut self, s: &Step) {
        let at = DateTime::parse_from_rfc3339("2026-11-25T12:02:00+08:00").expect("time");
        match s {
            Step::Place(o) => {
                let order: Order = serde_json::from_value(serde_json::json!({
                    "id": oid(*o).0, "pickup_no": format!("A00{o}"), "table": null,
                    "channel": "wechat_mini", "dining": "takeaway",
                    "placed_at": "2026-11-25T12:01:05+08:00", "currency": "CNY",
                    "amount_due": 5600, "note": "",
                    "items": [{"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":1,"unit_price":5600,
                               "station":"hot","modifiers":[],"note":""}]
                }))
                .expect("order");
                self.platform(PlatformEvent::OrderPlaced { order });
            }
            Step::Pay {
                o,
                state,
                tx,
                amount,
            } => {
                let id = oid(*o);
                let txid = format!("T{o}{tx}");
                if *state == TradeState::Success && self.orders.contains_key(&id) {
                    self.online_by_tx
                        .entry((id.clone(), txid.clone()))
                        .or_insert(*amount);
                }
                self.platform(PlatformEvent::PaymentUpdated(PaymentUpdate {
                    order_id: id,
                    channel: PayChannel::Wechat,
                    trade_state: *state,
                    amount: Fen(*amount),
                    transaction_id: (*state == TradeState::Success).then_some(txid),
                    error_code: None,
                    error_message: None,
                    at,
                }));
            }
            Step::Refund { o, tx } => {
                let id = oid(*o);
                let txid = format!("T{o}{tx}");
                let Some(amount) = self.online_by_tx.get(&(id.clone(), txid.clone())).copied()
                else {
                    return;
                };
                self.refunded_tx.insert((id.clone(), txid.clone()), true);
                self.platform(PlatformEvent::PaymentUpdated(PaymentUpdate {
                    order_id: id,
                    channel: PayChannel::Wechat,
                    trade_state: TradeState::Refund,
                    amount: Fen(amount),
                    transaction_id: Some(txid),
                    error_code: None,
                    error_message: None,
                    at,
                }));
            }
            Step::Cancel(o) => self.platform(PlatformEvent::OrderCancelled {
                order_id: oid(*o),
                reason: "顾客取消".into(),
            }),
            Step::AddOn(o) => {
                let id = oid(*o);
                let Some(st) = self.orders.get(&id) else {
                    return;
                };
                let line = 10
                    + *self
                        .addon_lines
                        .entry(id.clone())
                        .and_modify(|n| *n += 1)
                        .or_insert(0);
                let due = st.order.amount_due + Fen(1400);
                let item: Item = serde_json::from_value(serde_json::json!({
                    "line": line, "sku": "NMC", "name": "柠檬茶", "qty": 1, "unit_price": 1400,
                    "station": "bar", "modifiers": [], "note": ""
                }))
                .expect("item");
                self.platform(PlatformEvent::ItemsAdded {
                    order_id: id,
                    items: vec![item],
                    amount_due: due,
                });
            }
            Step::SettleCash { o, extra } => {
                let id = oid(*o);
                let Some(st) = self.orders.get(&id) else {
                    return;
                };
                let due = self.rules.cash_rounding.apply(st.remaining());
                let cmd = Command::Settle {
                    order_id: id.clone(),
                    staff_id: StaffId("01".into()),
                    pin: None,
                    tenders: vec![TenderInput {
                        method: Method::Cash,
                        amount: due,
                        tendered: Some(due + Fen(*extra)),
                        reference: None,
                    }],
                };
                if self.store(&id, cmd) {
                    *self.store_net.entry(id).or_default() += due.0;
                }
            }
            Step::SettleSplit { o } => {
                let id = oid(*o);
                let Some(st) = self.orders.get(&id) else {
                    return;
                };
                let left = st.remaining();
                let card = Fen(left.0 / 2);
                let cash = self.rules.cash_rounding.apply(left - card);
                let cmd = Command::Settle {
                    order_id: id.clone(),
                    staff_id: StaffId("01".into()),
                    pin: None,
                    tenders: vec![
                        TenderInput {
                            method: Method::Card,
                            amount: card,
                            tendered: None,
                            reference: Some("slip".into()),
                        },
                        TenderInput {
                            method: Method::Cash,
                            amount: cash,
                            tendered: Some(cash + Fen(100)),
                            reference: None,
                        },
                    ],
                };
                if self.store(&id, cmd) {
                    *self.store_net.entry(id).or_default() += (card + cash).0;
                }
            }
            Step::StoreRefund { o } => {
                let id = oid(*o);
                let Some(st) = self.orders.get(&id) else {
                    return;
                };
                let amount = st.store_collected();
                let cmd = Command::Refund {
                    order_id: id.clone(),
                    staff_id: StaffId("01".into()),
                    approval: Approval {
                        staff_id: StaffId("90".into()),
                        pin: String::new(),
                    },
                    amount,
                    method: Method::Cash,
                    reason: "退款".into(),
                };
                if self.store(&id, cmd) {
                    *self.store_net.entry(id).or_default() -= amount.0;
                }
            }
            Step::Void(o) => {
                let id = oid(*o);
                let cmd = Command::Void {
                    order_id: id.clone(),
                    staff_id: StaffId("01".into()),
                    approval: Approval {
                        staff_id: StaffId("90".into()),
                        pin: String::new(),
                    },
                    reason: "顾客走了".into(),
                };
                self.store(&id, cmd);
            }
            Step::Resolve { o, refund } => {
                let id = oid(*o);
                let before = self.orders.get(&id).map(|s| s.store_collected());
                let cmd = Command::ResolveDoublePayment {
                    order_id: id.clone(),
                    staff_id: StaffId("01".into()),
                    approval: Approval {
                        staff_id: StaffId("90".into()),
                        pin: String::new(),
                    },
                    refund_in_store: *refund,
                    note: "退现金".into(),
                };
                if self.store(&id, cmd) {
                    let after = self.orders.get(&id).map(|s| s.store_collected());
                    if let (Some(b), Some(a)) = (before, after) {
                        *self.store_net.entry(id).or_default() -= (b - a).0;
                    }
                }
            }
        }
    }
}

fn rules() -> impl Strategy<Value = Rules> {
    (any::<bool>(), any::<bool>()).prop_map(|(on_order, jiao)| Rules {
        fire: if on_order {
            FirePolicy::OnOrder
        } else {
            FirePolicy::OnPayment
        },
        cash_rounding: if jiao {
            CashRounding::Jiao
        } else {
            CashRounding::Fen
        },
        ..Default::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn money_adds_up_and_is_never_counted_twice(rules in rules(), steps in prop::collection::vec(step(), 1..40)) {
        let mut day = Day::new(rules);
        for s in &steps {
            day.run(s);
        }
        for (id, st) in &day.orders {
            let online: i64 = day
                .online_by_tx
                .iter()
                .filter(|((o, tx), _)| o == id && !day.refunded_tx.contains_key(&(o.clone(), tx.clone())))
                .map(|(_, a)| *a)
                .sum();
            let store = day.store_net.get(id).copied().unwrap_or(0);
            prop_assert_eq!(st.online_collected().0, online, "online money of {}", id);
            prop_assert_eq!(st.store_collected().0, store, "store money of {}", id);
            prop_assert_eq!(st.collected().0, online + store);
            prop_assert!(st.change().0 >= 0);
        }
    }

    #[test]
    fn a_success_after_an_in_store_settlement_is_a_double_payment(rules in rules(), steps in prop::collection::vec(step(), 1..30), o in 0u8..3) {
        let mut day = Day::new(rules);
        day.run(&Step::Place(o));
        for s in &steps {
            day.run(s);
        }
        let id = oid(o);
        let st = day.orders.get(&id).cloned().expect("placed");
        // Settle whatever is due in store, then a new online success arrives.
        if st.is_closed_by_cancel() || st.remaining() == Fen::ZERO {
            return Ok(());
        }
        day.run(&Step::SettleCash { o, extra: 0 });
        day.run(&Step::Pay { o, state: TradeState::Success, tx: 9, amount: 700 });
        let st = day.orders.get(&id).expect("placed");
        prop_assert_eq!(st.payment(), PaymentSummary::DoublePaid);
        prop_assert!(st.double_paid);
    }

    #[test]
    fn a_paid_order_goes_back_only_through_a_refund_or_an_add_on(rules in rules(), steps in prop::collection::vec(step(), 1..40)) {
        let mut day = Day::new(rules);
        let mut paid: HashMap<OrderId, bool> = HashMap::new();
        for s in &steps {
            let excused = matches!(s, Step::Refund { .. } | Step::StoreRefund { .. } | Step::AddOn(_) | Step::Resolve { .. });
            day.run(s);
            for (id, st) in &day.orders {
                let now_paid = st.payment().is_paid();
                let was = paid.get(id).copied().unwrap_or(false);
                if was && !now_paid && !excused {
                    prop_assert!(false, "{} went from paid to {:?} on {:?}", id, st.payment(), s);
                }
                paid.insert(id.clone(), now_paid);
            }
        }
    }

    #[test]
    fn replaying_the_log_rebuilds_the_same_projections(rules in rules(), steps in prop::collection::vec(step(), 1..40)) {
        let mut day = Day::new(rules);
        for s in &steps {
            day.run(s);
        }
        let rebuilt = fold(&day.log);
        prop_assert_eq!(rebuilt, day.orders);
    }
}
