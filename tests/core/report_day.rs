//! A seeded lunch peak through the real engine: about 300 orders with failed
//! payments, settlements by two cashiers, refunds, voids, a double payment
//! resolved and one left open, kitchen bumps and printer trouble. The shift
//! is closed and its Z-report checked against the truth the day was made from.

use crate::common;

use chrono::{Duration, Timelike};
use common::TestStore;
use passline::domain::*;
use passline::engine::{Committed, EngineError, EngineHandle};
use passline::print::job::JobDoc;
use passline::print::route::{PrinterRoute, Routes};
use passline::report::{self, layout, TenderKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

const DISHES: [(&str, &str, i64, &str); 6] = [
    ("GBJD", "宫保鸡丁", 3800, "hot"),
    ("YXRS", "鱼香肉丝", 3200, "hot"),
    ("MF", "米饭", 200, "hot"),
    ("PHG", "拍黄瓜", 1200, "cold"),
    ("SMT", "酸梅汤", 800, "drinks"),
    ("NMC", "柠檬茶", 1400, "drinks"),
];

fn routes() -> Routes {
    Routes {
        printers: vec![
            PrinterRoute {
                name: "kitchen".into(),
                stations: vec!["hot".into(), "cold".into()],
                receipts: false,
                drawer: false,
            },
            PrinterRoute {
                name: "counter".into(),
                stations: vec!["drinks".into()],
                receipts: true,
                drawer: true,
            },
        ],
        receipt_on_settle: true,
    }
}

/// What the day was made of, kept independently of the engine.
#[derive(Default)]
struct Truth {
    sales: BTreeMap<&'static str, (u32, i64, u32)>,
    gross: BTreeMap<TenderKind, i64>,
    refunds: BTreeMap<TenderKind, i64>,
    failures_by_code: BTreeMap<String, u32>,
    failures_by_hour: BTreeMap<u32, u32>,
    cashiers: BTreeMap<String, (u32, i64)>,
    stations: BTreeMap<String, (i64, u32)>,
    open: BTreeSet<(String, &'static str)>,
    voids: u32,
    doubles: u32,
}

struct Day {
    t: TestStore,
    h: EngineHandle,
    rng: StdRng,
    seq: u64,
    truth: Truth,
    /// Fired orders waiting to be bumped: (bump after, order, stations of its lines, fired at).
    rail: Vec<(chrono::DateTime<chrono::FixedOffset>, String, Vec<String>)>,
    fired_at: BTreeMap<String, chrono::DateTime<chrono::FixedOffset>>,
}

fn manager() -> Approval {
    Approval {
        staff_id: "90".into(),
        pin: "909090".into(),
    }
}

impl Day {
    fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        use passline::engine::Clock;
        self.t.clock.now()
    }

    fn platform(&mut self, event: PlatformEvent) -> Committed {
        self.seq += 1;
        self.h
            .execute_blocking(
                None,
                Command::Platform {
                    seq: self.seq,
                    event,
                },
            )
            .expect("platform event applied")
    }

    fn run(&self, cmd: Command) -> Committed {
        self.h
            .execute_blocking(None, cmd)
            .expect("command accepted")
    }

    fn note_fired(&mut self, c: &Committed) {
        for ev in &c.events {
            if let EventBody::Fired { order_id, .. } = &ev.body {
                let st = self.h.order(order_id).expect("read").expect("order");
                let stations = st.order.items.iter().map(|i| i.station.clone()).collect();
                let after = self.now() + Duration::seconds(self.rng.gen_range(180..720));
                self.rail.push((after, order_id.0.clone(), stations));
                self.fired_at.insert(order_id.0.clone(), self.now());
            }
        }
    }

    fn bump_due(&mut self) {
        let now = self.now();
        let (due, keep): (Vec<_>, Vec<_>) = self.rail.drain(..).partition(|r| r.0 <= now);
        self.rail = keep;
        for (_, id, stations) in due {
            self.run(Command::Bump {
                order_id: id.as_str().into(),
                staff_id: "21".into(),
                line: None,
            });
            let secs = (now - self.fired_at[&id]).num_seconds();
            for s in stations {
                let e = self.truth.stations.entry(s).or_default();
                e.0 += secs;
                e.1 += 1;
            }
        }
    }

    fn place(&mut self, i: u32, channel: Channel) -> (String, i64) {
        let id = format!("WX20261125-{i:04}");
        let n = self.rng.gen_range(1..=3);
        let mut items = Vec::new();
        let mut due = 0;
        for line in 1..=n {
            let (sku, name, price, station) = DISHES[self.rng.gen_range(0..DISHES.len())];
            // Prices vary by a few fen (member discounts) so totals are not round.
            let price = price - self.rng.gen_range(0..7);
            let qty = self.rng.gen_range(1..=2);
            due += price * i64::from(qty);
            items.push(json!({"line": line, "sku": sku, "name": name, "qty": qty,
                "unit_price": price, "station": station, "modifiers": [], "note": ""}));
        }
        let order: Order = serde_json::from_value(json!({
            "id": id, "pickup_no": format!("A{i:03}"), "table": null,
            "channel": channel.as_str(), "dining": "takeaway",
            "placed_at": self.now().to_rfc3339(), "currency": "CNY",
            "amount_due": due, "note": "", "items": items
        }))
        .expect("a valid order");
        self.platform(PlatformEvent::OrderPlaced { order });
        (id, due)
    }

    fn pay(
        &mut self,
        id: &str,
        ch: PayChannel,
        state: TradeState,
        amount: i64,
        tx: Option<String>,
        code: Option<&str>,
    ) -> Committed {
        if let Some(code) = code {
            *self.truth.failures_by_code.entry(code.into()).or_default() += 1;
            *self
                .truth
                .failures_by_hour
                .entry(self.now().hour())
                .or_default() += 1;
        }
        if state == TradeState::Success {
            *self.truth.gross.entry(TenderKind::online(ch)).or_default() += amount;
        }
        let c = self.platform(PlatformEvent::PaymentUpdated(PaymentUpdate {
            order_id: id.into(),
            channel: ch,
            trade_state: state,
            amount: Fen(amount),
            transaction_id: tx,
            error_code: code.map(str::to_string),
            error_message: None,
            at: self.now(),
        }));
        self.note_fired(&c);
        c
    }

    fn settle(&mut self, id: &str, due: i64, cashier: &str) -> Method {
        let method = [
            Method::Cash,
            Method::Cash,
            Method::Card,
            Method::Scan,
            Method::Voucher,
            Method::Other,
        ][self.rng.gen_range(0..6)];
        let split = self.rng.gen_bool(0.15);
        let mut tenders = Vec::new();
        let cash_part = if split {
            let card = due / 2;
            tenders.push(TenderInput {
                method: Method::Card,
                amount: Fen(card),
                tendered: None,
                reference: Some("slip".into()),
            });
            due - card
        } else if method == Method::Cash {
            due
        } else {
            tenders.push(TenderInput {
                method,
                amount: Fen(due),
                tendered: None,
                reference: None,
            });
            0
        };
        if cash_part > 0 {
            // The customer hands over the next round ten yuan: change comes back.
            let tendered = (cash_part / 1000 + 1) * 1000;
            tenders.push(TenderInput {
                method: Method::Cash,
                amount: Fen(cash_part),
                tendered: Some(Fen(tendered)),
                reference: None,
            });
        }
        for t in &tenders {
            *self
                .truth
                .gross
                .entry(TenderKind::of_method(t.method))
                .or_default() += t.amount.0;
        }
        let e = self.truth.cashiers.entry(cashier.into()).or_default();
        e.0 += 1;
        e.1 += due;
        let pin = if cashier == "01" { "1234" } else { "5678" };
        let c = self.run(Command::Settle {
            order_id: id.into(),
            staff_id: cashier.into(),
            pin: Some(pin.into()),
            tenders: tenders.clone(),
        });
        self.note_fired(&c);
        if split {
            Method::Card
        } else {
            method
        }
    }

    fn settle_cash_exact(&mut self, id: &str, due: i64, cashier: &str) {
        *self.truth.gross.entry(TenderKind::Cash).or_default() += due;
        let e = self.truth.cashiers.entry(cashier.into()).or_default();
        e.0 += 1;
        e.1 += due;
        let pin = if cashier == "01" { "1234" } else { "5678" };
        let c = self.run(Command::Settle {
            order_id: id.into(),
            staff_id: cashier.into(),
            pin: Some(pin.into()),
            tenders: vec![TenderInput {
                method: Method::Cash,
                amount: Fen(due),
                tendered: Some(Fen(due)),
                reference: None,
            }],
        });
        self.note_fired(&c);
    }

    fn sale(&mut self, channel: Channel, due: i64, void: bool) {
        let e = self.truth.sales.entry(channel.as_str()).or_default();
        if void {
            e.2 += 1;
        } else {
            e.0 += 1;
            e.1 += due;
        }
    }
}

fn failure_code(rng: &mut StdRng, ch: PayChannel) -> &'static str {
    match ch {
        PayChannel::Wechat => ["BANKERROR", "NOTENOUGH", "SYSTEMERROR"][rng.gen_range(0..3)],
        PayChannel::Alipay => {
            ["ACQ.BUYER_BALANCE_NOT_ENOUGH", "ACQ.SYSTEM_ERROR"][rng.gen_range(0..2)]
        }
    }
}

fn refused(r: Result<Committed, EngineError>) -> Refusal {
    match r {
        Err(EngineError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_lunch_peak_closes_to_the_fen() {
    let t = TestStore::with_routes(
        Rules {
            fire: FirePolicy::OnPayment,
            cash_rounding: CashRounding::Fen,
            ..Default::default()
        },
        routes(),
    );
    t.demo_staff();
    t.add_staff("02", "赵敏", Role::Cashier, "5678");
    let h = t.h();
    let mut d = Day {
        t,
        h,
        rng: StdRng::seed_from_u64(20261125),
        seq: 0,
        truth: Truth::default(),
        rail: Vec::new(),
        fired_at: BTreeMap::new(),
    };
    let float = 50000;
    d.run(Command::OpenShift {
        staff_id: "01".into(),
        pin: Some("1234".into()),
        float: Fen(float),
    });

    for i in 1..=300u32 {
        d.t.clock
            .advance(Duration::seconds(d.rng.gen_range(15..60)));
        d.bump_due();
        let roll = d.rng.gen_range(0..100);
        let channel = match roll % 10 {
            0 => Channel::Counter,
            1..=4 => Channel::AlipayMini,
            _ => Channel::WechatMini,
        };
        let ch = if channel == Channel::AlipayMini {
            PayChannel::Alipay
        } else {
            PayChannel::Wechat
        };
        let (id, due) = d.place(i, channel);
        let cashier = if d.rng.gen_bool(0.5) { "01" } else { "02" };
        let tx = Some(format!("tx-{i}"));
        let mut void = false;
        if i == 100 {
            // The channel timed out, the cashier took cash, then the payment succeeded anyway.
            d.pay(&id, ch, TradeState::Notpay, due, None, Some("TIMEOUT"));
            d.settle_cash_exact(&id, due, cashier);
            d.pay(&id, ch, TradeState::Success, due, tx, None);
            d.truth.doubles += 1;
            d.t.clock.advance(Duration::seconds(40));
            d.run(Command::ResolveDoublePayment {
                order_id: id.as_str().into(),
                staff_id: "90".into(),
                approval: manager(),
                refund_in_store: true,
                note: "退现金给顾客".into(),
            });
            *d.truth.refunds.entry(TenderKind::Cash).or_default() += due;
        } else if i == 200 {
            d.pay(&id, ch, TradeState::Payerror, due, None, Some("BANKERROR"));
            d.settle(&id, due, cashier);
            d.pay(&id, ch, TradeState::Success, due, tx, None);
            d.truth.doubles += 1;
            d.truth.open.insert((id.clone(), "double_paid"));
        } else if channel == Channel::Counter {
            d.settle(&id, due, cashier);
        } else {
            match roll {
                0..=69 => {
                    d.pay(&id, ch, TradeState::Success, due, tx.clone(), None);
                    if roll < 2 {
                        // The platform refunded it in full afterwards.
                        d.pay(&id, ch, TradeState::Refund, due, tx, None);
                        *d.truth.refunds.entry(TenderKind::online(ch)).or_default() += due;
                    }
                }
                70..=79 => {
                    let code = failure_code(&mut d.rng, ch);
                    d.pay(&id, ch, TradeState::Payerror, due, None, Some(code));
                    d.settle(&id, due, cashier);
                }
                80..=83 => {
                    let code = failure_code(&mut d.rng, ch);
                    d.pay(&id, ch, TradeState::Payerror, due, None, Some(code));
                    d.truth.open.insert((id.clone(), "failed"));
                }
                84..=86 => {
                    d.pay(&id, ch, TradeState::Userpaying, due, None, None);
                    d.truth.open.insert((id.clone(), "paying"));
                }
                87..=89 => {
                    d.pay(&id, ch, TradeState::Payerror, due, None, Some("NOTENOUGH"));
                    d.run(Command::Void {
                        order_id: id.as_str().into(),
                        staff_id: cashier.into(),
                        approval: manager(),
                        reason: "顾客离开".into(),
                    });
                    d.truth.voids += 1;
                    void = true;
                }
                _ => {
                    d.pay(&id, ch, TradeState::Closed, due, None, None);
                    let method = d.settle(&id, due, cashier);
                    // One dish came back: part of it refunded the way it was paid.
                    let back = d.rng.gen_range(50..=due / 2);
                    d.run(Command::Refund {
                        order_id: id.as_str().into(),
                        staff_id: cashier.into(),
                        approval: manager(),
                        amount: Fen(back),
                        method,
                        reason: "菜品退回".into(),
                    });
                    *d.truth
                        .refunds
                        .entry(TenderKind::of_method(method))
                        .or_default() += back;
                    // The engine then counts the refunded part as due again, and the
                    // online state is CLOSED: the order shows as failed until settled.
                    d.truth.open.insert((id.clone(), "failed"));
                }
            }
        }
        d.sale(channel, due, void);
    }
    // The CLOSED trade state (no code) counts as a failure under its state name.
    let closed = d.t.h().events_after(0, 100_000).expect("log").iter().filter(|e| matches!(&e.body, EventBody::PaymentUpdated { update, .. } if update.trade_state == TradeState::Closed)).count() as u32;
    if closed > 0 {
        d.truth.failures_by_code.insert("CLOSED".into(), closed);
    }
    d.t.clock.advance(Duration::minutes(15));
    d.bump_due();

    // Printer trouble: a kitchen ticket cut off mid-send and resent, one
    // failing until moved to the counter printer, and a receipt copy.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let jobs = d.h.jobs().expect("jobs");
    let kitchen: Vec<u64> = jobs
        .iter()
        .filter(|j| j.printer == "kitchen")
        .map(|j| j.job)
        .collect();
    let (cut, stuck) = (kitchen[0], kitchen[1]);
    rt.block_on(async {
        d.h.spool_attempt(cut).await.expect("attempt");
        d.h.spool_failed(cut, "connection reset".into(), true)
            .await
            .expect("failed");
        d.h.spool_attempt(cut).await.expect("attempt");
        d.h.spool_done(cut).await.expect("done");
        d.h.spool_attempt(stuck).await.expect("attempt");
        d.h.spool_failed(stuck, "缺纸 paper out".into(), false)
            .await
            .expect("failed");
        for j in kitchen.iter().skip(2) {
            d.h.spool_attempt(*j).await.expect("attempt");
            d.h.spool_done(*j).await.expect("done");
        }
        d.h.spool_move("kitchen".into(), "counter".into(), manager())
            .await
            .expect("moved");
    });
    d.run(Command::Reprint {
        order_id: "WX20261125-0001".into(),
        staff_id: "01".into(),
        job: None,
    });

    let truth_expected = float + d.truth.gross.get(&TenderKind::Cash).copied().unwrap_or(0)
        - d.truth.refunds.get(&TenderKind::Cash).copied().unwrap_or(0);

    // Mid-shift: the X-report already knows what the drawer should hold.
    let x = report::x_report(d.h.store(), None).expect("x-report");
    assert_eq!(x.cash.expected, Fen(truth_expected));
    assert_eq!(x.cash.counted, None);

    // The drawer is counted 1.00 and some fen short of what it should hold.
    let mut left = (truth_expected / 10) * 10 - 100;
    let mut count = DrawerCount::default();
    for den in passline::domain::shift::Denomination::ALL {
        let n = left / den.value().0;
        count.set(den, n as u32);
        left -= n * den.value().0;
    }
    let counted = count.total();
    let close = |confirm| Command::CloseShift {
        staff_id: "01".into(),
        approval: manager(),
        count,
        confirm_open_issues: confirm,
    };
    let r = refused(d.h.execute_blocking(None, close(false)));
    assert_eq!(r.code(), "open_issues");
    assert!(r.to_string().contains("WX20261125-0200"), "{r}");
    d.run(close(true));

    let z = report::z_report(d.h.store(), None).expect("z-report");
    let tr = &d.truth;
    // Sales by channel.
    for s in &z.sales {
        let (n, amount, cancelled) = tr.sales[s.channel.as_str()];
        assert_eq!(
            (s.orders, s.amount, s.cancelled),
            (n, Fen(amount), cancelled),
            "{:?}",
            s.channel
        );
    }
    assert_eq!(z.sales_orders + tr.voids, 300);
    // Payments by tender, to the fen.
    for t in &z.tenders {
        let gross = tr.gross.get(&t.tender).copied().unwrap_or(0);
        let refunds = tr.refunds.get(&t.tender).copied().unwrap_or(0);
        assert_eq!(
            (t.gross, t.refunds, t.net),
            (Fen(gross), Fen(refunds), Fen(gross - refunds)),
            "{:?}",
            t.tender
        );
    }
    // The drawer.
    assert_eq!(z.cash.float, Fen(float));
    assert_eq!(z.cash.expected, Fen(truth_expected));
    assert_eq!(z.cash.expected_at_close, Some(Fen(truth_expected)));
    assert_eq!(z.cash.counted, Some(counted));
    assert_eq!(z.cash.over_short, Some(counted - Fen(truth_expected)));
    assert!(z.cash.over_short.is_some_and(|o| o.is_negative()));
    // Voids, double payments, what is still open.
    assert_eq!(z.voids.len() as u32, tr.voids);
    assert!(z
        .voids
        .iter()
        .all(|v| v.approver.0 == "90" && v.reason == "顾客离开"));
    assert_eq!(z.doubles.len() as u32, tr.doubles);
    let resolved: Vec<_> = z
        .doubles
        .iter()
        .filter_map(|x| x.resolution.as_ref())
        .collect();
    assert_eq!(resolved.len(), 1);
    assert!(resolved[0].refunded_in_store.is_positive());
    assert_eq!(resolved[0].note, "退现金给顾客");
    let open: BTreeSet<(String, &str)> = z
        .open_orders
        .iter()
        .map(|i| (i.order_id.0.clone(), i.kind.as_str()))
        .collect();
    assert_eq!(open, tr.open);
    assert!(z.confirmed_open);
    // Failed payments by code and by hour.
    let by_code: BTreeMap<String, u32> = z
        .failures
        .by_code
        .iter()
        .map(|c| (c.code.clone(), c.count))
        .collect();
    assert_eq!(by_code, tr.failures_by_code);
    let by_hour: BTreeMap<u32, u32> = z
        .failures
        .by_hour
        .iter()
        .map(|h| (h.hour, h.count))
        .collect();
    let mut truth_hours = tr.failures_by_hour.clone();
    // CLOSED (no code) failures happen in the hours of their events too.
    for e in d.h.events_after(0, 100_000).expect("log") {
        if let EventBody::PaymentUpdated { update, .. } = &e.body {
            if update.trade_state == TradeState::Closed {
                *truth_hours.entry(e.at.hour()).or_default() += 1;
            }
        }
    }
    assert_eq!(by_hour, truth_hours);
    // Manual settlements by cashier.
    for c in &z.cashiers {
        let (n, amount) = tr.cashiers[&c.staff_id.0];
        assert_eq!(
            (c.settlements, c.amount),
            (n, Fen(amount)),
            "cashier {}",
            c.staff_id
        );
    }
    // Fire to bump, per station.
    for s in &z.kitchen {
        let (secs, n) = tr.stations[&s.station];
        assert_eq!(
            (s.dishes, s.avg_secs),
            (n, secs / i64::from(n)),
            "station {}",
            s.station
        );
    }
    // Printer faults and reprints.
    let faults: BTreeSet<u64> = z.printing.faults.iter().map(|f| f.job).collect();
    assert!(
        faults.contains(&cut) && faults.contains(&stuck),
        "{faults:?}"
    );
    assert!(z.printing.reprints >= 1);
    assert!(z.printing.possible_duplicates >= 1);
    assert_eq!(z.printing.reprint_requests, 1);

    // Printed on the receipt printer, laid out for 58 mm paper.
    let doc = layout::print_doc(&z, 32);
    let JobDoc::Text { title, lines } = &doc else {
        unreachable!()
    };
    assert!(title.starts_with("Z 报表"), "{title}");
    assert!(lines
        .iter()
        .all(|l| unicode_width::UnicodeWidthStr::width(l.as_str()) <= 32));
    let c = rt
        .block_on(d.h.spool_add("counter".into(), doc.clone()))
        .expect("spooled");
    let job = d.h.job(c.jobs[0]).expect("read").expect("the report job");
    assert_eq!(job.doc, doc);
}
