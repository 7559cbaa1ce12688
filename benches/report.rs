//! Report benchmark (a bench binary, not a timed test): building the Z-report
//! of a shift of one day (5,000 orders) and of a month (150,000 orders),
//! 1. as the pure fold over events already in memory, and
//! 2. as `report::z_report` on a sled store: reading and decoding the
//!    shift's window of the log, then the fold.
//!
//! The day is made by the real rules (`Rules::platform` / `Rules::store`):
//! online successes, failures by code, settlements in cash (with change),
//! card and splits, refunds, voids, double payments resolved, kitchen fire and
//! bump. Run: `cargo bench --bench report` (env: PASSLINE_BENCH_DAYS=30 for
//! the month, PASSLINE_BENCH_DIR for where the stores go).

use chrono::{DateTime, Duration, FixedOffset};
use passline::domain::shift::{shift_key, ShiftRecord};
use passline::domain::*;
use passline::report::{self, Folder, ReportKind};
use passline::store::{encode, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::time::Instant;

const ORDERS_PER_DAY: u32 = 5_000;
const DISHES: [(&str, &str, i64, &str); 6] = [
    ("GBJD", "宫保鸡丁", 3800, "hot"),
    ("YXRS", "鱼香肉丝", 3200, "hot"),
    ("MF", "米饭", 200, "hot"),
    ("PHG", "拍黄瓜", 1200, "cold"),
    ("SMT", "酸梅汤", 800, "drinks"),
    ("NMC", "柠檬茶", 1400, "drinks"),
];

fn staff(id: &str, role: Role) -> Staff {
    Staff {
        id: id.into(),
        name: id.into(),
        role,
        active: true,
    }
}

/// A log being written the way the engine writes it: ids from 1, the rules decide.
struct Log {
    rules: Rules,
    orders: HashMap<OrderId, OrderState>,
    events: Vec<Event>,
    next: u64,
    cashier: Staff,
    manager: Staff,
}

impl Log {
    fn commit(&mut self, at: DateTime<FixedOffset>, actor: Actor, bodies: Vec<EventBody>) {
        for body in bodies {
            let id = self.next;
            self.next += 1;
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
            self.events.push(Event {
                id,
                at,
                actor: actor.clone(),
                body,
            });
        }
    }

    fn platform(&mut self, at: DateTime<FixedOffset>, e: PlatformEvent) {
        let st = self.orders.get(e.order_id());
        if let PlatformOutcome::Events(b) = self.rules.platform(st, &e) {
            self.commit(at, Actor::Platform { seq: 0 }, b);
        }
    }

    fn store(&mut self, at: DateTime<FixedOffset>, cmd: Command, approve: bool) {
        let id = match &cmd {
            Command::Settle { order_id, .. }
            | Command::Bump { order_id, .. }
            | Command::Void { order_id, .. }
            | Command::Refund { order_id, .. }
            | Command::ResolveDoublePayment { order_id, .. } => order_id.clone(),
            _ => return,
        };
        let approver = approve.then(|| self.manager.clone());
        let st = self.orders.get(&id);
        if let Ok(b) = self.rules.store(st, &cmd, &self.cashier, approver.as_ref()) {
            self.commit(at, Actor::Staff { id: "01".into() }, b);
        }
    }

    /// One business day of `ORDERS_PER_DAY` orders between 10:00 and 22:00.
    fn day(&mut self, rng: &mut StdRng, date: &str, day_no: u32) {
        let open = DateTime::parse_from_rfc3339(&format!("{date}T10:00:00+08:00")).expect("time");
        let step = (12 * 3600) as f64 / f64::from(ORDERS_PER_DAY);
        let approval = Approval {
            staff_id: "90".into(),
            pin: String::new(),
        };
        let mut rail: Vec<(DateTime<FixedOffset>, OrderId)> = Vec::new();
        for n in 0..ORDERS_PER_DAY {
            let at = open + Duration::milliseconds((f64::from(n) * step * 1000.0) as i64);
            let (due_now, waiting): (Vec<_>, Vec<_>) = rail.drain(..).partition(|r| r.0 <= at);
            rail = waiting;
            for (_, id) in due_now {
                let bump = Command::Bump {
                    order_id: id,
                    staff_id: "21".into(),
                    line: None,
                };
                self.store(at, bump, false);
            }
            let id = OrderId(format!("WX{}-{day_no:02}{n:05}", date.replace('-', "")));
            let k = rng.gen_range(1..=3);
            let items: Vec<Item> = (1..=k)
                .map(|line| {
                    let (sku, name, price, station) = DISHES[rng.gen_range(0..DISHES.len())];
                    Item {
                        line,
                        sku: sku.into(),
                        name: name.into(),
                        qty: rng.gen_range(1..=2),
                        unit_price: Fen(price - rng.gen_range(0..7)),
                        station: station.into(),
                        modifiers: Vec::new(),
                        note: String::new(),
                    }
                })
                .collect();
            let due = Fen(items.iter().map(|i| i.total().0).sum());
            let alipay = rng.gen_bool(0.4);
            let order = Order {
                id: id.clone(),
                pickup_no: format!("A{:03}", n % 1000),
                table: None,
                channel: if alipay {
                    Channel::AlipayMini
                } else {
                    Channel::WechatMini
                },
                dining: Dining::Takeaway,
                placed_at: at,
                currency: "CNY".into(),
                amount_due: due,
                note: String::new(),
                items,
            };
            self.platform(at, PlatformEvent::OrderPlaced { order });
            let pay = |state: TradeState, code: Option<&str>, tx: bool| {
                PlatformEvent::PaymentUpdated(PaymentUpdate {
                    order_id: id.clone(),
                    channel: if alipay {
                        PayChannel::Alipay
                    } else {
                        PayChannel::Wechat
                    },
                    trade_state: state,
                    amount: due,
                    transaction_id: tx.then(|| format!("tx-{day_no}-{n}")),
                    error_code: code.map(str::to_string),
                    error_message: None,
                    at,
                })
            };
            let cash = |tendered: Fen| Command::Settle {
                order_id: id.clone(),
                staff_id: "01".into(),
                pin: None,
                tenders: vec![TenderInput {
                    method: Method::Cash,
                    amount: due,
                    tendered: Some(tendered),
                    reference: None,
                }],
            };
            let later = at + Duration::seconds(30);
            match rng.gen_range(0..100) {
                0..=79 => self.platform(later, pay(TradeState::Success, None, true)),
                80..=89 => {
                    let code = ["BANKERROR", "NOTENOUGH", "SYSTEMERROR"][rng.gen_range(0..3)];
                    self.platform(later, pay(TradeState::Payerror, Some(code), false));
                    self.store(later, cash(Fen((due.0 / 1000 + 1) * 1000)), false);
                }
                90..=92 => {
                    self.platform(later, pay(TradeState::Payerror, Some("BANKERROR"), false));
                    let card = Fen(due.0 / 2);
                    let split = Command::Settle {
                        order_id: id.clone(),
                        staff_id: "01".into(),
                        pin: None,
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
                    };
                    self.store(later, split, false);
                }
                93..=94 => self.platform(later, pay(TradeState::Userpaying, None, false)),
                95..=96 => {
                    self.platform(later, pay(TradeState::Payerror, Some("NOTENOUGH"), false));
                    let void = Command::Void {
                        order_id: id.clone(),
                        staff_id: "01".into(),
                        approval: approval.clone(),
                        reason: "顾客离开".into(),
                    };
                    self.store(later, void, true);
                }
                97..=98 => {
                    self.platform(later, pay(TradeState::Payerror, Some("BANKERROR"), false));
                    self.store(later, cash(due), false);
                    let refund = Command::Refund {
                        order_id: id.clone(),
                        staff_id: "01".into(),
                        approval: approval.clone(),
                        amount: Fen(due.0 / 3),
                        method: Method::Cash,
                        reason: "菜品退回".into(),
                    };
                    self.store(later + Duration::minutes(5), refund, true);
                }
                _ => {
                    self.platform(later, pay(TradeState::Notpay, Some("TIMEOUT"), false));
                    self.store(later, cash(due), false);
                    self.platform(later, pay(TradeState::Success, None, true));
                    let resolve = Command::ResolveDoublePayment {
                        order_id: id.clone(),
                        staff_id: "01".into(),
                        approval: approval.clone(),
                        refund_in_store: true,
                        note: "退现金".into(),
                    };
                    self.store(later + Duration::minutes(2), resolve, true);
                }
            }
            if self
                .orders
                .get(&id)
                .is_some_and(|s| s.kitchen() == Kitchen::Fired)
            {
                let cook = Duration::seconds(rng.gen_range(180..900));
                rail.push((later + cook, id));
            }
        }
    }
}

fn new_log() -> Log {
    Log {
        rules: Rules::default(),
        orders: HashMap::new(),
        events: Vec::new(),
        next: 1,
        cashier: staff("01", Role::Cashier),
        manager: staff("90", Role::Manager),
    }
}

fn shift_events(log: &mut Log, open: DateTime<FixedOffset>) -> u64 {
    let opened_event = log.next;
    log.commit(
        open,
        Actor::Staff { id: "01".into() },
        vec![EventBody::ShiftOpened {
            shift: 1,
            by: "01".into(),
            float: Fen(50000),
            carried: Vec::new(),
        }],
    );
    opened_event
}

fn close_event(log: &mut Log, opened_event: u64, at: DateTime<FixedOffset>) -> ShiftRecord {
    let expected = passline::domain::closing::expected_cash(
        Fen(50000),
        log.events.iter().filter(|e| e.id >= opened_event),
    );
    let closed_event = log.next;
    log.commit(
        at,
        Actor::Staff { id: "01".into() },
        vec![EventBody::ShiftClosed {
            shift: 1,
            by: "01".into(),
            approver: "90".into(),
            float: Fen(50000),
            count: DrawerCount::default(),
            expected,
            counted: Fen::ZERO,
            over_short: -expected,
            open_issues: Vec::new(),
            confirmed: true,
        }],
    );
    ShiftRecord {
        number: 1,
        opened_by: "01".into(),
        opened_at: at,
        opened_event,
        float: Fen(50000),
        closed_at: Some(at),
        closed_event: Some(closed_event),
    }
}

fn median_ms(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn date(day: u32) -> String {
    let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")
        + Duration::days(i64::from(day));
    d.format("%Y-%m-%d").to_string()
}

fn main() {
    let days: u32 = std::env::var("PASSLINE_BENCH_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let base = std::env::var("PASSLINE_BENCH_DIR").map(std::path::PathBuf::from);
    let mut rng = StdRng::seed_from_u64(1125);

    // --- one day ---
    let mut log = new_log();
    let t0 = DateTime::parse_from_rfc3339("2026-11-01T09:55:00+08:00").expect("time");
    let opened = shift_events(&mut log, t0);
    log.day(&mut rng, &date(0), 0);
    let rec = close_event(&mut log, opened, t0 + Duration::hours(13));
    let n_events = log.events.len();
    let mut fold_ms = Vec::new();
    let mut z = None;
    for _ in 0..15 {
        let t = Instant::now();
        let r = report::build(ReportKind::Z, &log.events, &[]);
        fold_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        z = Some(r);
    }
    let z = z.expect("a report");
    println!(
        "day: {} orders, {n_events} events; net taken {}, failures {}",
        ORDERS_PER_DAY, z.tender_net, z.failures.total
    );
    println!(
        "  fold only (events in memory):        median {:8.1} ms",
        median_ms(fold_ms)
    );

    let dir = match &base {
        Ok(b) => tempfile::tempdir_in(b),
        Err(_) => tempfile::tempdir(),
    }
    .expect("temp dir");
    {
        let store = Store::open(dir.path(), 4 << 20).expect("store");
        let mut batch = sled::Batch::default();
        for ev in &log.events {
            batch.insert(&ev.id.to_be_bytes(), encode(ev));
        }
        store.log.apply_batch(batch).expect("log written");
        store.meta.insert(shift_key(1), encode(&rec)).expect("meta");
        store.flush().expect("flush");
        let mut ms = Vec::new();
        for _ in 0..9 {
            let t = Instant::now();
            let r = report::z_report(&store, None).expect("z-report");
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(r.tender_net, z.tender_net);
        }
        println!(
            "  z_report from sled (read+decode+fold): median {:8.1} ms",
            median_ms(ms)
        );
        let t = Instant::now();
        let lines = report::layout::lines(&z, 48, true);
        println!(
            "  layout for 80 mm paper: {} lines in {:.2} ms",
            lines.len(),
            t.elapsed().as_secs_f64() * 1000.0
        );
    }

    // --- closing that day's shift through the engine (expected cash from the log) ---
    {
        let dir = match &base {
            Ok(b) => tempfile::tempdir_in(b),
            Err(_) => tempfile::tempdir(),
        }
        .expect("temp dir");
        let store = Store::open(dir.path(), 4 << 20).expect("store");
        let mut batch = sled::Batch::default();
        // The day without its ShiftClosed: the shift is still open.
        for ev in log
            .events
            .iter()
            .filter(|e| e.id < rec.closed_event.unwrap_or(u64::MAX))
        {
            batch.insert(&ev.id.to_be_bytes(), encode(ev));
        }
        store.log.apply_batch(batch).expect("log written");
        let open = ShiftRecord {
            closed_at: None,
            closed_event: None,
            ..rec.clone()
        };
        store
            .meta
            .insert(shift_key(1), encode(&open))
            .expect("meta");
        store
            .meta
            .insert("shift_open", &1u64.to_be_bytes())
            .expect("meta");
        store
            .meta
            .insert("shift_seq", &1u64.to_be_bytes())
            .expect("meta");
        store.flush().expect("flush");
        let tz = chrono_tz::Asia::Shanghai;
        let engine = passline::engine::Engine::start(
            store,
            passline::engine::EngineConfig {
                rules: Rules::default(),
                routes: passline::print::route::Routes::default(),
                tz,
                clock: std::sync::Arc::new(passline::engine::SystemClock { tz }),
                menu: None,
            },
        )
        .expect("engine");
        let h = engine.handle();
        for (id, role) in [("01", Role::Cashier), ("90", Role::Manager)] {
            h.execute_blocking(
                None,
                Command::AddStaff {
                    staff_id: id.into(),
                    name: id.into(),
                    role,
                    pin: "909090".into(),
                },
            )
            .expect("staff");
        }
        let t = Instant::now();
        h.execute_blocking(
            None,
            Command::CloseShift {
                staff_id: "01".into(),
                approval: Approval {
                    staff_id: "90".into(),
                    pin: "909090".into(),
                },
                count: DrawerCount::default(),
                confirm_open_issues: true,
            },
        )
        .expect("closed");
        println!(
            "  CloseShift through the engine (PIN check + window read + commit): {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
        engine.shutdown();
    }

    // --- a month: one shift over `days` days, streamed through the fold ---
    let mut log = new_log();
    let opened = shift_events(&mut log, t0);
    let mut folder = Folder::new(ReportKind::Z);
    let mut fold_time = 0.0;
    let mut total_events = 0usize;
    let dir = match &base {
        Ok(b) => tempfile::tempdir_in(b),
        Err(_) => tempfile::tempdir(),
    }
    .expect("temp dir");
    let store = Store::open(dir.path(), 4 << 20).expect("store");
    for d in 0..days {
        log.day(&mut rng, &date(d), d);
        // Keep the orders (rules need them), hand the events to the fold and the store.
        let events = std::mem::take(&mut log.events);
        let t = Instant::now();
        for ev in &events {
            folder.push(ev);
        }
        fold_time += t.elapsed().as_secs_f64();
        let mut batch = sled::Batch::default();
        for ev in &events {
            batch.insert(&ev.id.to_be_bytes(), encode(ev));
        }
        store.log.apply_batch(batch).expect("log written");
        total_events += events.len();
        // Finished orders no longer need their state in the generator.
        log.orders.retain(|_, s| s.is_open());
    }
    let close_at = t0 + Duration::days(i64::from(days));
    let rec = close_event(&mut log, opened, close_at);
    for ev in &log.events {
        folder.push(ev);
        store
            .log
            .insert(ev.id.to_be_bytes(), encode(ev))
            .expect("log written");
    }
    store.meta.insert(shift_key(1), encode(&rec)).expect("meta");
    store.flush().expect("flush");
    let t = Instant::now();
    let month = folder.finish(&[]);
    fold_time += t.elapsed().as_secs_f64();
    println!(
        "month: {} days, {} orders, {} events; net taken {}",
        days,
        days * ORDERS_PER_DAY,
        total_events + log.events.len(),
        month.tender_net
    );
    println!(
        "  fold only (streamed):                 {:8.1} ms",
        fold_time * 1000.0
    );
    let t = Instant::now();
    let r = report::z_report(&store, Some(1)).expect("z-report");
    println!(
        "  z_report from sled (read+decode+fold): {:8.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(r.tender_net, month.tender_net);

    // --- the same month archived, as the console's archivist leaves it ---
    let tz = chrono_tz::Asia::Shanghai;
    let t = Instant::now();
    let mut archived = Vec::new();
    while let Some(plan) = store
        .prepare_archive(&date(days), tz, None)
        .expect("prepare")
    {
        archived.push(plan.day.clone());
        for step in plan.steps(passline::store::archive::STEP_KEYS) {
            store.commit_archive(&step).expect("archive step");
        }
    }
    println!(
        "  archived {} days (without summaries) in {:.1} s",
        archived.len(),
        t.elapsed().as_secs_f64()
    );
    let want = serde_json::to_value(&month).expect("json");
    let timed = |what: &str| {
        let mut ms = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let r = report::z_report(&store, Some(1)).expect("z-report");
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(serde_json::to_value(&r).expect("json"), want, "{what}");
        }
        println!(
            "  z_report over the archived month, {what}: median {:8.1} ms (runs {ms:.0?})",
            median_ms(ms.clone())
        );
    };
    timed("every event folded (days without summaries)");
    // The summaries archiving writes now, added to those days (one step
    // each that deletes nothing: the index entry again, with the summary).
    let t = Instant::now();
    let through = store.archived_through().expect("through");
    for day in archived {
        let summary = report::summary::of_archived_day(&store, &day.date).expect("summary");
        store
            .commit_archive(&passline::store::archive::Plan {
                day,
                events: Vec::new(),
                orders: Vec::new(),
                through,
                summary: Some(summary),
            })
            .expect("summary written");
    }
    println!(
        "  day summaries for the month made and written in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    timed("from the day summaries");
}
