//! Printing speed: kitchen tickets rendered per second (58 and 80 mm, with
//! Chinese), and the time from an order's commit to its ticket's first byte
//! at a virtual printer, p50/p99 at 200 orders a minute.
//!
//! `cargo bench --bench print` (PASSLINE_BENCH_ORDERS sets how many orders
//! the latency run places; default 120, 36 s).

use criterion::{criterion_group, Criterion, Throughput};
use passline::domain::*;
use passline::engine::{Engine, EngineConfig, FixedClock};
use passline::print::job::JobDoc;
use passline::print::layout::{JobInfo, Shop};
use passline::print::profile::Profile;
use passline::print::render::render_doc;
use passline::print::route::{PrinterRoute, Routes};
use passline::print::spool::{start_with, SpoolOptions, SpoolPrinter};
use passline::print::status::PrinterState;
use passline::print::transport::Endpoint;
use passline::sim::printer::VirtualPrinter;
use passline::store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn order(seq: u64) -> Order {
    serde_json::from_value(serde_json::json!({
        "id": format!("WX20261125-{seq:06}"), "pickup_no": format!("A{:03}", seq % 1000), "table": "12",
        "channel": "wechat_mini", "dining": "dine_in", "placed_at": "2026-11-25T12:01:05+08:00",
        "currency": "CNY", "amount_due": 15400, "note": "不要香菜",
        "items": [
            {"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":2,"unit_price":3800,"station":"hot",
             "modifiers":["少辣","不要花生"],"note":""},
            {"line":2,"sku":"PG","name":"招牌秘制酱香红烧大排骨配时令蔬菜","qty":1,"unit_price":6800,
             "station":"hot","modifiers":[],"note":"多加汤"},
            {"line":3,"sku":"SCY","name":"酸菜鱼 Pickled cabbage fish","qty":1,"unit_price":600,
             "station":"hot","modifiers":["微辣"],"note":""},
            {"line":4,"sku":"RICE","name":"米饭","qty":2,"unit_price":200,"station":"hot",
             "modifiers":[],"note":""}
        ]
    }))
    .expect("valid order")
}

fn render(c: &mut Criterion) {
    let o = order(1);
    let doc = JobDoc::Kitchen {
        order: o.clone(),
        station: "hot".into(),
        lines: vec![1, 2, 3, 4],
        addon: false,
        fired_at: o.placed_at,
    };
    let info = JobInfo {
        job: 1,
        created_at: o.placed_at,
    };
    let shop = Shop::default();
    let mut g = c.benchmark_group("kitchen ticket");
    g.throughput(Throughput::Elements(1));
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    for name in ["xprinter-xp-58", "xprinter-xp-80"] {
        let p = Profile::builtin(name).expect("shipped profile");
        g.bench_function(name, |b| {
            b.iter(|| render_doc(&doc, &info, &p, &shop).expect("renders"))
        });
    }
    g.finish();
}

criterion_group!(benches, render);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn latency() {
    let n: u64 = std::env::var("PASSLINE_BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = Store::open(dir.path(), 4 << 20).expect("store");
        let cfg = EngineConfig {
            rules: Rules {
                fire: FirePolicy::OnOrder,
                cash_rounding: CashRounding::Fen,
                ..Default::default()
            },
            routes: Routes {
                printers: vec![PrinterRoute {
                    name: "hot".into(),
                    stations: vec!["hot".into()],
                    receipts: true,
                    drawer: true,
                }],
                receipt_on_settle: true,
            },
            tz: chrono_tz::Asia::Shanghai,
            clock: Arc::new(FixedClock::at("2026-11-25T12:00:00+08:00")),
            menu: None,
        };
        let engine = Engine::start(store, cfg).expect("engine");
        let h = engine.handle();
        let vp = VirtualPrinter::start("127.0.0.1:0".parse().expect("addr"), PrinterState::Online)
            .await
            .expect("virtual printer");
        let printer = SpoolPrinter {
            name: "hot".into(),
            label: "厨房打印机".into(),
            endpoint: Endpoint::parse(&vp.connect_url()).expect("url"),
            profile: Profile::builtin("xprinter-xp-80").expect("profile"),
        };
        let spool = start_with(h.clone(), vec![printer], Shop::default(), SpoolOptions::default());
        let every = Duration::from_millis(60_000 / 200);
        let mut tick = tokio::time::interval(every);
        let mut committed = Vec::new();
        for seq in 1..=n {
            tick.tick().await;
            h.execute(None, Command::Platform { seq, event: PlatformEvent::OrderPlaced { order: order(seq) } })
                .await
                .expect("order placed");
            committed.push(Instant::now());
        }
        let jobs = vp.wait_for_jobs(n as usize, Duration::from_secs(30)).await;
        assert_eq!(jobs.len(), n as usize, "every ticket arrived");
        let mut lat: Vec<Duration> = committed
            .iter()
            .zip(&jobs)
            .map(|(c, j)| j.first_byte_at.saturating_duration_since(*c))
            .collect();
        lat.sort();
        println!(
            "commit → first byte at the virtual printer, {n} orders at 200/min: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            percentile(&lat, 0.50).as_secs_f64() * 1000.0,
            percentile(&lat, 0.99).as_secs_f64() * 1000.0,
            lat.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        );
        spool.shutdown().await;
        drop(h);
        tokio::task::spawn_blocking(move || engine.shutdown()).await.expect("engine stops");
    });
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    latency();
}
