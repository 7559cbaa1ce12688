//! Day summaries: a report over archived days, read from the summaries
//! written when each day moved to the archive, is exactly the report folding
//! every event gives; a day whose orders are touched from another day is
//! folded instead, and the answer is still the fold's.

use crate::common;

use chrono::Duration;
use common::TestStore;
use passline::domain::*;
use passline::engine::Clock;
use passline::print::route::{PrinterRoute, Routes};
use passline::report::{self, ReportKind, ZReport};
use passline::store::{decode, encode};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn order_on(id: &str, due: i64, at: &str) -> Order {
    serde_json::from_value(serde_json::json!({
        "id": id, "pickup_no": format!("A{}", &id[id.len() - 2..]), "table": null,
        "channel": if id.ends_with('1') { "alipay_mini" } else { "wechat_mini" },
        "dining": "takeaway", "placed_at": at, "currency": "CNY", "amount_due": due, "note": "",
        "items": [
            {"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":1,"unit_price":due,"station":"hot",
             "modifiers":[],"note":""}
        ]
    }))
    .expect("valid order")
}

fn manager() -> Approval {
    Approval {
        staff_id: "90".into(),
        pin: "909090".into(),
    }
}

struct Day<'a> {
    t: &'a TestStore,
    seq: u64,
}

impl Day<'_> {
    fn run(&self, c: Command) {
        // Refusals are part of a real day and commit nothing.
        let _ = self.t.h().execute_blocking(None, c);
    }

    fn platform(&mut self, event: PlatformEvent) {
        self.seq += 1;
        self.t
            .h()
            .execute_blocking(
                None,
                Command::Platform {
                    seq: self.seq,
                    event,
                },
            )
            .expect("platform events commit");
    }

    fn pay(&mut self, id: &str, due: i64, state: TradeState, tx: Option<&str>) {
        let at = self.t.clock.now();
        self.platform(PlatformEvent::PaymentUpdated(PaymentUpdate {
            order_id: id.into(),
            channel: if id.ends_with('1') {
                PayChannel::Alipay
            } else {
                PayChannel::Wechat
            },
            trade_state: state,
            amount: Fen(due),
            transaction_id: tx.map(str::to_string),
            error_code: (state == TradeState::Payerror).then(|| "BANKERROR".to_string()),
            error_message: None,
            at,
        }));
    }

    fn cash(&self, id: &str, due: i64, tendered: i64) {
        self.run(Command::Settle {
            order_id: id.into(),
            staff_id: "01".into(),
            pin: None,
            tenders: vec![TenderInput {
                method: Method::Cash,
                amount: Fen(due),
                tendered: Some(Fen(tendered)),
                reference: None,
            }],
        });
    }

    /// A lunch: every kind of thing a day has, on orders placed that day.
    fn lunch(&mut self, d: u32) {
        let at = self.t.clock.now().to_rfc3339();
        let id = |n: u32| format!("D{d}-{n:02}");
        for n in 1..=6u32 {
            let due = 1000 + i64::from(n * 370 + d * 13);
            self.platform(PlatformEvent::OrderPlaced {
                order: order_on(&id(n), due, &at),
            });
            self.t.clock.advance(Duration::seconds(40));
            match n {
                1 | 4 => self.pay(&id(n), due, TradeState::Success, Some(&format!("tx{d}{n}"))),
                2 => {
                    self.pay(&id(n), due, TradeState::Payerror, None);
                    self.cash(&id(n), due, (due / 1000 + 1) * 1000);
                    self.run(Command::Refund {
                        order_id: OrderId(id(n)),
                        staff_id: "01".into(),
                        approval: manager(),
                        amount: Fen(due / 3),
                        method: Method::Cash,
                        reason: "菜品退回".into(),
                    });
                }
                3 => {
                    self.pay(&id(n), due, TradeState::Payerror, None);
                    self.run(Command::Void {
                        order_id: OrderId(id(n)),
                        staff_id: "01".into(),
                        approval: manager(),
                        reason: "顾客离开".into(),
                    });
                }
                5 => {
                    // Paid twice: cash at the counter, then online; the
                    // cash goes back.
                    self.pay(&id(n), due, TradeState::Notpay, None);
                    self.cash(&id(n), due, due);
                    self.pay(&id(n), due, TradeState::Success, Some(&format!("tx{d}{n}")));
                    self.run(Command::ResolveDoublePayment {
                        order_id: OrderId(id(n)),
                        staff_id: "01".into(),
                        approval: manager(),
                        refund_in_store: true,
                        note: "退现金".into(),
                    });
                }
                // Left unpaid: an open issue at the day's end.
                _ => {}
            }
            self.t.clock.advance(Duration::minutes(7));
            self.run(Command::Bump {
                order_id: OrderId(id(n)),
                staff_id: "21".into(),
                line: None,
            });
        }
    }
}

fn routes() -> Routes {
    Routes {
        printers: vec![PrinterRoute {
            name: "counter".into(),
            stations: vec!["hot".into()],
            receipts: true,
            drawer: true,
        }],
        receipt_on_settle: true,
    }
}

/// Five business days in one shift; `touch_back` refunds on day 4 an order
/// of day 1. The first four days are archived (with their summaries).
fn month(touch_back: bool) -> TestStore {
    let t = TestStore::with_routes(Rules::default(), routes());
    t.clock.advance(Duration::days(-5));
    t.demo_staff();
    let mut day = Day { t: &t, seq: 0 };
    day.run(Command::OpenShift {
        staff_id: "01".into(),
        pin: None,
        float: Fen(50000),
    });
    for d in 1..=4u32 {
        day.lunch(d);
        if d == 4 && touch_back {
            day.run(Command::Refund {
                order_id: "D1-02".into(),
                staff_id: "01".into(),
                approval: manager(),
                amount: Fen(100),
                method: Method::Cash,
                reason: "顾客投诉".into(),
            });
        }
        t.clock
            .advance(Duration::days(1) - Duration::minutes(6 * 8));
    }
    day.lunch(5);
    // The next morning: the four days before yesterday move to the archive.
    t.clock.advance(Duration::days(1));
    let archived = t.h().archive(1).expect("archive");
    assert_eq!(archived.len(), 4, "{archived:?}");
    for d in &archived {
        assert!(
            t.h().store().day_summary(&d.date).expect("meta").is_some(),
            "{} has its summary",
            d.date
        );
    }
    t.h()
        .execute_blocking(
            None,
            Command::CloseShift {
                staff_id: "01".into(),
                approval: manager(),
                count: DrawerCount::default(),
                confirm_open_issues: true,
            },
        )
        .expect("closed");
    t
}

/// The report of `from..=to` as the plain fold of every event gives it.
fn folded(t: &TestStore, kind: ReportKind, from: u64, to: u64) -> ZReport {
    let h = t.h();
    let events: Vec<Event> = h
        .events_after(0, 1_000_000)
        .expect("log")
        .into_iter()
        .filter(|e| from <= e.id && e.id <= to)
        .collect();
    report::build(kind, &events, &h.jobs().expect("jobs"))
}

fn same(a: &ZReport, b: &ZReport) {
    assert_eq!(
        serde_json::to_value(a).expect("json"),
        serde_json::to_value(b).expect("json")
    );
}

#[test]
fn a_month_report_from_day_summaries_equals_the_fold() {
    let t = month(false);
    let h = t.h();
    let z = report::z_report(h.store(), None).expect("z-report");
    same(&z, &folded(&t, ReportKind::Z, z.first_event, z.last_event));
    assert!(z.sales_orders > 0 && !z.refunds.is_empty() && !z.doubles.is_empty());
    assert!(!z.voids.is_empty() && z.failures.total > 0);
    // Each archived day's own report, from its summary alone.
    for d in h.store().archived_days().expect("index") {
        let r = report::day_report(h.store(), &d.date, TZ).expect("day report");
        let mut want = folded(&t, ReportKind::Day, d.first_event, d.last_event);
        want.date = Some(d.date.clone());
        same(&r, &want);
    }
}

#[test]
fn a_day_whose_order_is_refunded_days_later_is_folded_and_the_report_is_the_same() {
    let t = month(true);
    let h = t.h();
    let z = report::z_report(h.store(), None).expect("z-report");
    same(&z, &folded(&t, ReportKind::Z, z.first_event, z.last_event));
    assert!(z.refunds.iter().any(|r| r.reason == "顾客投诉"));
    for d in h.store().archived_days().expect("index") {
        let r = report::day_report(h.store(), &d.date, TZ).expect("day report");
        let mut want = folded(&t, ReportKind::Day, d.first_event, d.last_event);
        want.date = Some(d.date.clone());
        same(&r, &want);
    }
}

#[test]
fn the_report_reads_a_days_summary_instead_of_its_events() {
    let t = month(false);
    let h = t.h();
    let day = h.store().archived_days().expect("index")[1].clone();
    let before = report::day_report(h.store(), &day.date, TZ).expect("day report");
    // Change what the summary says: the report follows it, so the events
    // were not read again.
    let key = format!("archive-sum/{}", day.date);
    let raw = h.store().meta.get(&key).expect("meta").expect("summary");
    let mut sum: report::summary::DaySummary = decode(&raw).expect("reads");
    sum.part.failures += 1000;
    h.store().meta.insert(&key, encode(&sum)).expect("write");
    let after = report::day_report(h.store(), &day.date, TZ).expect("day report");
    assert_eq!(after.failures.total, before.failures.total + 1000);
    let z = report::z_report(h.store(), None).expect("z-report");
    let want = folded(&t, ReportKind::Z, z.first_event, z.last_event);
    assert_eq!(
        z.failures.total,
        want.failures.total + 1000,
        "the month's report added the summary too"
    );
    // A summary that does not match the day's file is not used.
    sum.events += 1;
    h.store().meta.insert(&key, encode(&sum)).expect("write");
    let again = report::day_report(h.store(), &day.date, TZ).expect("day report");
    same(&again, &before);
}

#[test]
fn a_window_that_touches_an_archived_days_order_reads_no_summary() {
    let t = month(true);
    let h = t.h();
    let z = report::z_report(h.store(), None).expect("z-report");
    let day = h.store().archived_days().expect("index")[0].clone();
    let key = format!("archive-sum/{}", day.date);
    let raw = h.store().meta.get(&key).expect("meta").expect("summary");
    let mut sum: report::summary::DaySummary = decode(&raw).expect("reads");
    sum.part.failures += 1000;
    h.store().meta.insert(&key, encode(&sum)).expect("write");
    // Day 4 refunds an order of day 1: the window is folded, not summed.
    same(&report::z_report(h.store(), None).expect("z-report"), &z);
}
