//! Engine benchmark (a bench binary, not a timed test). Measures in one run:
//! 1. durable commit throughput of platform events through the engine, with
//!    the raw sled baseline (batched inserts + flush) beside it, as a ratio;
//! 2. commit latency p50/p99 at a steady 200 events/s;
//! 3. time to open a store holding N historical orders (default 1,000,000)
//!    and load the open ones, and the peak RSS of that process.
//!
//! Run: `cargo bench --bench engine` (env: PASSLINE_BENCH_ORDERS, PASSLINE_BENCH_DIR).

use passline::domain::*;
use passline::engine::{Engine, EngineConfig, SystemClock};
use passline::print::route::Routes;
use passline::store::{date_key, encode, Store};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CACHE: u64 = 4 << 20;

fn order(n: u64, day: &str) -> Order {
    serde_json::from_value(serde_json::json!({
        "id": format!("WX{day}-{n:07}"), "pickup_no": format!("A{:03}", n % 1000), "table": "12",
        "channel": "wechat_mini", "dining": "dine_in",
        "placed_at": format!("{day}T12:01:05+08:00"), "currency": "CNY", "amount_due": 5600, "note": "",
        "items": [
            {"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":1,"unit_price":3800,"station":"hot","modifiers":["少辣"],"note":"不要花生"},
            {"line":2,"sku":"MF","name":"米饭","qty":2,"unit_price":200,"station":"staple","modifiers":[],"note":""},
            {"line":3,"sku":"NMC","name":"柠檬茶","qty":1,"unit_price":1400,"station":"bar","modifiers":["少冰"],"note":""}
        ]
    }))
    .expect("bench order")
}

fn success(id: &OrderId, n: u64) -> PlatformEvent {
    PlatformEvent::PaymentUpdated(PaymentUpdate {
        order_id: id.clone(),
        channel: PayChannel::Wechat,
        trade_state: TradeState::Success,
        amount: Fen(5600),
        transaction_id: Some(format!("42000{n:010}")),
        error_code: None,
        error_message: None,
        at: chrono::DateTime::parse_from_rfc3339("2026-11-25T12:02:00+08:00").expect("time"),
    })
}

fn event(seq: u64) -> PlatformEvent {
    let n = seq.div_ceil(2);
    let o = order(n, "2026-11-25");
    if seq % 2 == 1 {
        PlatformEvent::OrderPlaced { order: o }
    } else {
        success(&o.id, n)
    }
}

fn engine(dir: &std::path::Path) -> Engine {
    let tz = chrono_tz::Asia::Shanghai;
    Engine::start(
        Store::open(dir, CACHE).expect("store"),
        EngineConfig {
            rules: Rules::default(),
            routes: Routes::default(),
            tz,
            clock: Arc::new(SystemClock { tz }),
        },
    )
    .expect("engine")
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn throughput(rt: &tokio::runtime::Runtime) -> f64 {
    let dir = tempfile::tempdir().expect("dir");
    let e = engine(dir.path());
    let h = e.handle();
    let n = 20_000u64;
    let t = Instant::now();
    rt.block_on(async {
        let mut window = VecDeque::new();
        for seq in 1..=n {
            window.push_back(h.submit(
                None,
                Command::Platform {
                    seq,
                    event: event(seq),
                },
            ));
            if window.len() >= 512 {
                window
                    .pop_front()
                    .expect("non-empty")
                    .await
                    .expect("reply")
                    .expect("commit");
            }
        }
        for r in window {
            r.await.expect("reply").expect("commit");
        }
    });
    let rate = n as f64 / t.elapsed().as_secs_f64();
    drop(h);
    e.shutdown();
    rate
}

/// Raw sled: what the engine writes for each event (the log record, the
/// order projection, the cursor), in batches of 512 with a flush each: the
/// ceiling for this workload without rules, transactions or channels.
fn raw_sled() -> f64 {
    let dir = tempfile::tempdir().expect("dir");
    let db = sled::Config::new()
        .path(dir.path())
        .cache_capacity(CACHE)
        .flush_every_ms(None)
        .open()
        .expect("sled");
    let log = db.open_tree("log").expect("tree");
    let orders = db.open_tree("orders").expect("tree");
    let meta = db.open_tree("meta").expect("tree");
    let n = 20_000u64;
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:02:00+08:00").expect("time");
    let recs: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = (1..=n)
        .map(|seq| {
            let o = order(seq.div_ceil(2), "2026-11-25");
            let body = match event(seq) {
                PlatformEvent::OrderPlaced { order } => EventBody::OrderPlaced { order },
                PlatformEvent::PaymentUpdated(update) => EventBody::PaymentUpdated {
                    update,
                    effect: UpdateEffect::Applied,
                },
                _ => unreachable!("bench makes only these"),
            };
            let mut st = OrderState::new(o.clone(), seq, at);
            st.apply(seq, at, &body);
            (
                o.id.0.into_bytes(),
                encode(&Event {
                    id: seq,
                    at,
                    actor: Actor::Platform { seq },
                    body,
                }),
                encode(&st),
            )
        })
        .collect();
    let t = Instant::now();
    for (chunk_i, chunk) in recs.chunks(512).enumerate() {
        let (mut lb, mut ob) = (sled::Batch::default(), sled::Batch::default());
        for (i, (id, ev, st)) in chunk.iter().enumerate() {
            lb.insert(&((chunk_i * 512 + i) as u64).to_be_bytes(), ev.as_slice());
            ob.insert(id.as_slice(), st.as_slice());
        }
        log.apply_batch(lb).expect("batch");
        orders.apply_batch(ob).expect("batch");
        meta.insert(
            "cursor",
            &((chunk_i * 512 + chunk.len()) as u64).to_be_bytes(),
        )
        .expect("cursor");
        db.flush().expect("flush");
    }
    n as f64 / t.elapsed().as_secs_f64()
}

fn steady_latency(rt: &tokio::runtime::Runtime) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("dir");
    let e = engine(dir.path());
    let h = e.handle();
    let mut lat = Vec::new();
    rt.block_on(async {
        let mut tick = tokio::time::interval(Duration::from_millis(5));
        for seq in 1..=2000u64 {
            tick.tick().await;
            let t = Instant::now();
            h.execute(
                None,
                Command::Platform {
                    seq,
                    event: event(seq),
                },
            )
            .await
            .expect("commit");
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    });
    drop(h);
    e.shutdown();
    (pct(&mut lat.clone(), 0.5), pct(&mut lat, 0.99))
}

/// Writes a history of `n` closed orders (30 days back) plus 50 open ones,
/// straight into the trees the engine uses.
fn build_history(dir: &std::path::Path, n: u64) {
    let store = Store::open(dir, 64 << 20).expect("store");
    let at = chrono::DateTime::parse_from_rfc3339("2026-10-25T12:02:00+08:00").expect("time");
    let mut id = 0u64;
    let chunk = 5_000u64;
    let mut done = 0;
    while done < n + 50 {
        let (mut log, mut orders, mut dates, mut open) = (
            sled::Batch::default(),
            sled::Batch::default(),
            sled::Batch::default(),
            sled::Batch::default(),
        );
        for k in 0..chunk.min(n + 50 - done) {
            let i = done + k;
            let closed = i < n;
            let day = if closed {
                format!("2026-10-{:02}", 1 + (i * 30 / n.max(1)).min(29))
            } else {
                "2026-11-25".to_string()
            };
            let o = order(i, &day);
            let mut st = OrderState::new(o.clone(), id + 1, at);
            id += 1;
            log.insert(
                &id.to_be_bytes(),
                encode(&Event {
                    id,
                    at,
                    actor: Actor::Platform { seq: id },
                    body: EventBody::OrderPlaced { order: o.clone() },
                }),
            );
            if closed {
                let body = EventBody::PaymentUpdated {
                    update: match success(&o.id, i) {
                        PlatformEvent::PaymentUpdated(u) => u,
                        _ => unreachable!("a payment"),
                    },
                    effect: UpdateEffect::Applied,
                };
                id += 1;
                st.apply(id, at, &body);
                log.insert(
                    &id.to_be_bytes(),
                    encode(&Event {
                        id,
                        at,
                        actor: Actor::Platform { seq: id },
                        body,
                    }),
                );
                for b in [
                    EventBody::Fired {
                        order_id: o.id.clone(),
                        lines: vec![1, 2, 3],
                        addon: false,
                    },
                    EventBody::Served {
                        order_id: o.id.clone(),
                    },
                ] {
                    id += 1;
                    st.apply(id, at, &b);
                    log.insert(
                        &id.to_be_bytes(),
                        encode(&Event {
                            id,
                            at,
                            actor: Actor::Console,
                            body: b,
                        }),
                    );
                }
            } else {
                open.insert(o.id.0.as_bytes(), &[]);
            }
            orders.insert(o.id.0.as_bytes(), encode(&st));
            dates.insert(date_key(&day, &o.id), &[]);
        }
        store.log.apply_batch(log).expect("log");
        store.orders.apply_batch(orders).expect("orders");
        store.by_date.apply_batch(dates).expect("dates");
        store.open.apply_batch(open).expect("open");
        done += chunk;
    }
    store
        .meta
        .insert("cursor", &id.to_be_bytes())
        .expect("cursor");
    store.flush().expect("flush");
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Child mode: open the store, load open orders, report time and peak RSS.
    if let Some(i) = args.iter().position(|a| a == "--open-child") {
        let dir = std::path::PathBuf::from(&args[i + 1]);
        let t = Instant::now();
        let e = engine(&dir);
        let open = e.handle().board().len();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        println!("{ms:.1} {open} {}", vm_hwm_kib());
        e.shutdown();
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let engine_rate = throughput(&rt);
    let raw = raw_sled();
    println!("durable commit throughput: engine {engine_rate:.0} events/s, raw sled {raw:.0} events/s (same writes, batched), ratio {:.2}", engine_rate / raw);
    let (p50, p99) = steady_latency(&rt);
    println!("commit latency at 200 events/s: p50 {p50:.2} ms, p99 {p99:.2} ms");

    let n: u64 = std::env::var("PASSLINE_BENCH_ORDERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let base = std::env::var("PASSLINE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("passline-bench"));
    let dir = base.join(format!("history-{n}"));
    if !dir.join("built").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let t = Instant::now();
        build_history(&dir, n);
        std::fs::write(dir.join("built"), b"ok").expect("marker");
        println!(
            "built a history of {n} orders in {:.0} s",
            t.elapsed().as_secs_f64()
        );
    }
    let size: u64 = walk_size(&dir);
    let exe = std::env::current_exe().expect("exe");
    let mut times = Vec::new();
    let mut rss = 0;
    let mut open = 0;
    for _ in 0..3 {
        let out = std::process::Command::new(&exe)
            .args(["--open-child", &dir.display().to_string()])
            .output()
            .expect("child");
        let s = String::from_utf8_lossy(&out.stdout);
        let f: Vec<&str> = s.split_whitespace().collect();
        if f.len() == 3 {
            times.push(f[0].parse::<f64>().unwrap_or(f64::NAN));
            open = f[1].parse().unwrap_or(0);
            rss = rss.max(f[2].parse::<u64>().unwrap_or(0));
        } else {
            eprintln!(
                "open child failed: {s} {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    times.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    println!(
        "open a store of {n} historical orders ({:.0} MiB on disk) and load {open} open: median {:.0} ms; peak RSS {:.1} MiB",
        size as f64 / 1048576.0,
        times.get(times.len() / 2).copied().unwrap_or(f64::NAN),
        rss as f64 / 1024.0
    );
}

fn walk_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            total += if p.is_dir() {
                walk_size(&p)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            };
        }
    }
    total
}
