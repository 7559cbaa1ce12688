//! How fast the console draws and answers: a frame with 300 open orders at
//! 200x60 on a `TestBackend` (target < 2 ms), and a key press to the changed
//! frame (target < 16 ms), both a screen-only key and a bump that goes
//! through the engine. Also what one `EngineHandle::board()` clone costs
//! against folding one event into the screen's own board.
//!
//! Run: `cargo bench --bench render`

use criterion::{criterion_group, criterion_main, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use passline::config::Language;
use passline::domain::*;
use passline::engine::{Engine, EngineConfig, FixedClock};
use passline::print::route::Routes;
use passline::store::Store;
use passline::tui::{keys, theme::Theme, App, UiOptions};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MENU: [(&str, &str, i64, &str); 10] = [
    ("GBJD", "宫保鸡丁", 3800, "hot"),
    ("YXRS", "鱼香肉丝", 3200, "hot"),
    ("MPDF", "麻婆豆腐", 2600, "hot"),
    ("HSR", "红烧肉", 4800, "hot"),
    ("SLT", "酸辣汤", 1800, "hot"),
    ("MF", "米饭", 200, "hot"),
    ("PHG", "拍黄瓜", 1200, "cold"),
    ("KSC", "口水鸡", 3600, "cold"),
    ("SMT", "酸梅汤", 800, "drinks"),
    ("NC", "奶茶", 1500, "drinks"),
];

struct Rush {
    _dir: tempfile::TempDir,
    engine: Engine,
    clock: Arc<FixedClock>,
}

/// 300 open dine-in orders in a pay-later store: all on the rail, all unpaid,
/// every tenth one's online payment failed.
fn rush() -> Rush {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(FixedClock::at("2026-11-25T11:00:00+08:00"));
    let store = Store::open(dir.path(), 8 << 20).expect("store");
    let engine = Engine::start(
        store,
        EngineConfig {
            rules: Rules {
                fire: FirePolicy::OnOrder,
                cash_rounding: CashRounding::Fen,
                ..Default::default()
            },
            routes: Routes::default(),
            tz: chrono_tz::Asia::Shanghai,
            clock: clock.clone(),
            menu: None,
        },
    )
    .expect("engine");
    let h = engine.handle();
    for (id, name, role, pin) in [
        ("01", "王芳", Role::Cashier, "1234"),
        ("21", "李强", Role::Kitchen, "2222"),
    ] {
        h.execute_blocking(
            None,
            Command::AddStaff {
                staff_id: id.into(),
                name: name.into(),
                role,
                pin: pin.into(),
            },
        )
        .expect("staff");
    }
    let mut seed: u64 = 7;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut seq = 0;
    for i in 0..300u64 {
        let lines = 1 + next(4);
        let items: Vec<serde_json::Value> = (0..lines)
            .map(|l| {
                let (sku, name, price, station) = MENU[next(MENU.len() as u64) as usize];
                json!({"line": l + 1, "sku": sku, "name": name, "qty": 1 + next(3), "unit_price": price,
                       "station": station, "modifiers": if next(3) == 0 { vec!["少辣"] } else { vec![] },
                       "note": if next(5) == 0 { "不要香菜" } else { "" }})
            })
            .collect();
        let due: i64 = items
            .iter()
            .map(|i| i["qty"].as_i64().unwrap_or(0) * i["unit_price"].as_i64().unwrap_or(0))
            .sum();
        let at = clock.now_rfc3339();
        let order: Order = serde_json::from_value(json!({
            "id": format!("WX-{i:04}"), "pickup_no": format!("A{:03}", i + 1), "table": format!("{}", 1 + i % 40),
            "channel": "wechat_mini", "dining": "dine_in", "placed_at": at, "currency": "CNY",
            "amount_due": due, "note": "", "items": items
        }))
        .expect("order");
        seq += 1;
        h.execute_blocking(
            None,
            Command::Platform {
                seq,
                event: PlatformEvent::OrderPlaced { order },
            },
        )
        .expect("placed");
        if i % 10 == 0 {
            seq += 1;
            let ev: PlatformEvent = serde_json::from_value(json!({
                "kind": "payment.updated", "order_id": format!("WX-{i:04}"), "channel": "wechat",
                "trade_state": "PAYERROR", "amount": due, "error_code": "BANKERROR", "at": at
            }))
            .expect("payment");
            h.execute_blocking(None, Command::Platform { seq, event: ev })
                .expect("payment");
        }
        clock.advance(chrono::Duration::seconds(6));
    }
    Rush {
        _dir: dir,
        engine,
        clock,
    }
}

trait Rfc {
    fn now_rfc3339(&self) -> String;
}
impl Rfc for FixedClock {
    fn now_rfc3339(&self) -> String {
        passline::engine::Clock::now(self).to_rfc3339()
    }
}

fn app(r: &Rush, who: Staff) -> App {
    let opts = UiOptions {
        store_name: "老王川菜".into(),
        language: Language::Zh,
        theme: Theme::default_dark(),
        theme_problem: None,
        warn_minutes: 5,
        late_minutes: 10,
        paying_alert_seconds: 90,
        stations: Vec::new(),
        clock: r.clock.clone(),
        profiles: Default::default(),
        shop: Default::default(),
    };
    App::new(
        r.engine.handle(),
        Default::default(),
        Vec::new(),
        opts,
        Some(who),
        None,
    )
}

fn staff(id: &str, role: Role) -> Staff {
    Staff {
        id: id.into(),
        name: "李强".into(),
        role,
        active: true,
    }
}

fn key(app: &App, c: KeyCode) -> passline::tui::Message {
    keys::message_for(app, KeyEvent::new(c, KeyModifiers::NONE))
        .expect("the key means something here")
}

fn bench(c: &mut Criterion) {
    let r = rush();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");

    let rail = app(&r, staff("21", Role::Kitchen));
    assert_eq!(rail.rail_orders().len(), 300);
    c.bench_function("frame: kitchen rail, 300 orders, 200x60", |b| {
        b.iter(|| {
            term.draw(|f| f.render_widget(&rail, f.area()))
                .expect("draw");
        })
    });

    let mut cashier = app(&r, staff("01", Role::Cashier));
    c.bench_function("frame: cashier table, 300 orders, 200x60", |b| {
        b.iter(|| {
            term.draw(|f| f.render_widget(&cashier, f.area()))
                .expect("draw");
        })
    });

    c.bench_function("key to frame: cashier arrow down", |b| {
        b.iter(|| {
            let m = key(&cashier, KeyCode::Down);
            rt.block_on(cashier.handle(m));
            term.draw(|f| f.render_widget(&cashier, f.area()))
                .expect("draw");
        })
    });

    // Bump card 1 (through the engine: commit, flush, event back) and draw;
    // recall it outside the timing so every round bumps the same order.
    let mut kitchen = app(&r, staff("21", Role::Kitchen));
    c.bench_function("key to frame: bump card 1 through the engine", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let m = key(&kitchen, KeyCode::Char('1'));
                rt.block_on(kitchen.handle(m));
                let m = key(&kitchen, KeyCode::Enter);
                rt.block_on(kitchen.handle(m));
                term.draw(|f| f.render_widget(&kitchen, f.area()))
                    .expect("draw");
                total += start.elapsed();
                let m = key(&kitchen, KeyCode::Char('-'));
                rt.block_on(kitchen.handle(m));
            }
            total
        })
    });

    let h = r.engine.handle();
    c.bench_function("EngineHandle::board() clone, 300 orders", |b| {
        b.iter(|| h.board().len())
    });
    let last = h
        .events_after(0, 100_000)
        .expect("log")
        .pop()
        .expect("an event");
    // What the loop does per engine event: fold it in, then refresh the alerts.
    let mut id = last.id;
    c.bench_function("fold one event into the screen's board (+ alerts)", |b| {
        b.iter(|| {
            id += 1;
            let ev = Arc::new(Event { id, ..last.clone() });
            cashier.update(passline::tui::Message::Engine(ev));
        })
    });
}

criterion_group! {
    name = render;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(render);
