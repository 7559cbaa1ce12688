//! Engine benchmark (a bench binary, not a timed test). Measures in one run:
//! 1. durable commit throughput of platform events through the engine, with
//!    the raw sled baseline (batched inserts + flush) beside it, as a ratio;
//! 2. commit latency p50/p99 at a steady 200 events/s;
//! 3. time to open a store holding N historical orders (default 1,000,000)
//!    and load the open ones, and the peak RSS of that process;
//! 4. the first start after a business day closes: archiving that day (on a
//!    copy of the history) while orders keep coming at 50 a second, the
//!    process's peak RSS and how long those orders' commits waited.
//!
//! Run: `cargo bench --bench engine` (env: PASSLINE_BENCH_ORDERS, PASSLINE_BENCH_DIR).

// The soak's cheap-box helpers; only the VmHWM reader is used here.
#[path = "../tests/soak_support/limits.rs"]
mod limits;

use passline::domain::*;
use passline::engine::{Committed, Engine, EngineConfig, FixedClock, SystemClock};
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
            menu: None,
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
    let flushes = h.stats().borrow().flushes;
    eprintln!("engine: {n} platform events in {flushes} flushes");
    drop(h);
    e.shutdown();
    rate
}

/// One batch of writes, as (tree index, key, value or delete).
type RawBatch = Vec<(usize, Vec<u8>, Option<Vec<u8>>)>;

/// The writes the engine commits for the throughput run, worked out with the
/// same rules and fold but none of the engine: per platform event the log
/// records the rules produce (an online payment also fires the kitchen),
/// the order projection, the `open` and `by_date` indexes and the cursor,
/// grouped as the engine groups them (512 in flight; a key written twice in
/// a batch is written once, as the engine's batch does).
fn raw_batches(n: u64) -> Vec<RawBatch> {
    let tz = chrono_tz::Asia::Shanghai;
    let rules = Rules::default();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:02:00+08:00").expect("time");
    let mut states: std::collections::HashMap<OrderId, OrderState> = Default::default();
    let mut out = Vec::new();
    let mut id = 0u64;
    for chunk in (1..=n).collect::<Vec<_>>().chunks(512) {
        let mut batch: std::collections::BTreeMap<(usize, Vec<u8>), Option<Vec<u8>>> =
            Default::default();
        for &seq in chunk {
            let ev = event(seq);
            let oid = match &ev {
                PlatformEvent::OrderPlaced { order } => order.id.clone(),
                PlatformEvent::PaymentUpdated(u) => u.order_id.clone(),
                _ => unreachable!("bench makes only these"),
            };
            let PlatformOutcome::Events(bodies) = rules.platform(states.get(&oid), &ev) else {
                panic!("bench events apply");
            };
            for body in bodies {
                id += 1;
                let st = match (states.remove(&oid), &body) {
                    (None, EventBody::OrderPlaced { order }) => {
                        let date = passline::engine::clock::business_date(&order.placed_at, tz);
                        batch.insert((3, date_key(&date, &order.id)), Some(Vec::new()));
                        OrderState::new(order.clone(), id, at)
                    }
                    (Some(st), _) => st,
                    (None, _) => unreachable!("placed first"),
                };
                let mut st = st;
                st.apply(id, at, &body);
                let rec = encode(&Event {
                    id,
                    at,
                    actor: Actor::Platform { seq },
                    body,
                });
                batch.insert((0, id.to_be_bytes().to_vec()), Some(rec));
                batch.insert((1, oid.0.clone().into_bytes()), Some(encode(&st)));
                let open = st.is_open().then(Vec::new);
                batch.insert((2, oid.0.clone().into_bytes()), open);
                states.insert(oid.clone(), st);
            }
            batch.insert((4, b"cursor".to_vec()), Some(seq.to_be_bytes().to_vec()));
        }
        out.push(batch.into_iter().map(|((t, k), v)| (t, k, v)).collect());
    }
    out
}

/// Raw sled, the engine's writes (see `raw_batches`) with nothing else: per
/// batch one `apply_batch` per tree (atomic per tree only) or, with
/// `transaction`, one transaction over the trees (atomic across them, as
/// the engine commits), then a flush. The ceiling for this workload.
fn raw_sled(batches: &[RawBatch], events: u64, transaction: bool) -> f64 {
    let dir = tempfile::tempdir().expect("dir");
    // The store's own sled settings (its segment size), nothing else of it.
    let db = passline::store::sled_config(dir.path())
        .cache_capacity(CACHE)
        .flush_every_ms(None)
        .open()
        .expect("sled");
    let trees: Vec<sled::Tree> = ["log", "orders", "open", "by_date", "meta"]
        .iter()
        .map(|n| db.open_tree(n).expect("tree"))
        .collect();
    let t = Instant::now();
    for batch in batches {
        if transaction {
            use sled::Transactional;
            trees
                .as_slice()
                .transaction(|tx| {
                    for (tree, k, v) in batch {
                        match v {
                            Some(v) => tx[*tree].insert(k.as_slice(), v.as_slice())?,
                            None => tx[*tree].remove(k.as_slice())?,
                        };
                    }
                    Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
                })
                .expect("transaction");
        } else {
            let mut per_tree: Vec<sled::Batch> = (0..5).map(|_| sled::Batch::default()).collect();
            for (tree, k, v) in batch {
                match v {
                    Some(v) => per_tree[*tree].insert(k.as_slice(), v.as_slice()),
                    None => per_tree[*tree].remove(k.as_slice()),
                }
            }
            for (tree, b) in trees.iter().zip(per_tree) {
                tree.apply_batch(b).expect("batch");
            }
        }
        db.flush().expect("flush");
    }
    events as f64 / t.elapsed().as_secs_f64()
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

/// The last day of the bench history (its "today").
const TODAY: &str = "2026-11-25";

fn day_before(today: &str, back: u64) -> String {
    let d = chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d").expect("date");
    (d - chrono::Days::new(back)).format("%Y-%m-%d").to_string()
}

fn history_engine(dir: &std::path::Path, clock: Arc<FixedClock>) -> Engine {
    Engine::start(
        Store::open(dir, CACHE).expect("store"),
        EngineConfig {
            rules: Rules::default(),
            routes: Routes::default(),
            tz: chrono_tz::Asia::Shanghai,
            clock,
            menu: None,
        },
    )
    .expect("engine")
}

/// The platform's `report_ack` for each report a commit queued, as the feed
/// sends it on (so the outbox stays as small as in a connected store).
fn ack(h: &passline::engine::EngineHandle, window: &mut VecDeque<Reply>, c: Committed) {
    for report_id in c.reports {
        window.push_back(h.submit(None, Command::ReportAcked { report_id }));
    }
}

type Reply = tokio::sync::oneshot::Receiver<Result<Committed, passline::engine::EngineError>>;

/// Builds a history of `n` closed orders over `days` business days before
/// TODAY, plus 50 open ones today, through the real code path: the engine
/// commits every order (placed, paid online, fired, bumped: closed) with the
/// clock on its day, the platform acks every report it sends, and after each day the archiving a console runs
/// (`EngineHandle::archive`, keeping 2 days live) moves what is over.
fn build_history(dir: &std::path::Path, n: u64, days: u64) {
    let clock = Arc::new(FixedClock::at(&format!(
        "{}T11:00:00+08:00",
        day_before(TODAY, days)
    )));
    let e = history_engine(dir, clock.clone());
    let h = e.handle();
    h.execute_blocking(
        None,
        Command::AddStaff {
            staff_id: "21".into(),
            name: "李强".into(),
            role: Role::Kitchen,
            pin: "2222".into(),
        },
    )
    .expect("kitchen staff");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut seq = 0u64;
    let mut placed = 0u64;
    let started = Instant::now();
    for back in (0..=days).rev() {
        let day = day_before(TODAY, back);
        let today = back == 0;
        let count = if today {
            50
        } else {
            // Spread n over the days, the remainder on the first ones.
            n / days + u64::from(days - back < n % days)
        };
        rt.block_on(async {
            let mut window = VecDeque::new();
            for k in 0..count {
                let o = order(placed + k, &day);
                let id = o.id.clone();
                seq += 1;
                let mut cmds = vec![Command::Platform {
                    seq,
                    event: PlatformEvent::OrderPlaced { order: o },
                }];
                if !today {
                    seq += 1;
                    cmds.push(Command::Platform {
                        seq,
                        event: success(&id, placed + k),
                    });
                    cmds.push(Command::Bump {
                        order_id: id,
                        staff_id: "21".into(),
                        line: None,
                    });
                }
                for c in cmds {
                    window.push_back(h.submit(None, c));
                    while window.len() >= 512 {
                        let r = window.pop_front().expect("non-empty");
                        ack(&h, &mut window, r.await.expect("reply").expect("commit"));
                    }
                }
            }
            while let Some(r) = window.pop_front() {
                ack(&h, &mut window, r.await.expect("reply").expect("commit"));
            }
        });
        placed += count;
        if !today {
            clock.advance(chrono::Duration::days(1));
            let archived = h.archive(2).expect("archive");
            if back % 30 == 0 || back == 1 {
                eprintln!(
                    "history: {day} done, {placed} orders in {:.0} s, archived {:?}",
                    started.elapsed().as_secs_f64(),
                    archived.iter().map(|d| d.date.as_str()).collect::<Vec<_>>()
                );
            }
        }
    }
    drop(h);
    e.shutdown();
}

/// This process's peak resident memory, KiB.
fn vm_hwm_kib() -> u64 {
    limits::vm_hwm_kib(std::process::id())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Child mode: open the store, load open orders, report time and peak RSS.
    if let Some(i) = args.iter().position(|a| a == "--open-child") {
        let dir = std::path::PathBuf::from(&args[i + 1]);
        let clock = Arc::new(FixedClock::at(&format!("{TODAY}T12:30:00+08:00")));
        let t = Instant::now();
        let e = history_engine(&dir, clock);
        let open = e.handle().board().len();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        println!("{ms:.1} {open} {}", vm_hwm_kib());
        e.shutdown();
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--month-child") {
        month_report(std::path::Path::new(&args[i + 1]));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--archive-child") {
        archive_next_day(std::path::Path::new(&args[i + 1]));
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
    // PASSLINE_BENCH_ONLY=commit or =history runs one half.
    let only = std::env::var("PASSLINE_BENCH_ONLY").unwrap_or_default();
    if only != "history" {
        // Interleaved runs, medians: the build box is shared and noisy.
        let batches = raw_batches(20_000);
        let (mut e, mut r, mut rt_) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..3 {
            e.push(throughput(&rt));
            r.push(raw_sled(&batches, 20_000, false));
            rt_.push(raw_sled(&batches, 20_000, true));
        }
        let ratios: Vec<String> = e
            .iter()
            .zip(&r)
            .map(|(e, r)| format!("{:.2}", e / r))
            .collect();
        let (engine_rate, raw, raw_tx) = (pct(&mut e, 0.5), pct(&mut r, 0.5), pct(&mut rt_, 0.5));
        println!("engine runs {e:.0?} events/s, raw batches {r:.0?}, raw transactions {rt_:.0?}; per-run ratios {ratios:?}");
        println!("durable commit throughput: engine {engine_rate:.0} events/s; raw sled, the same writes: {raw:.0} events/s in per-tree batches, {raw_tx:.0} events/s in one transaction per batch; engine / raw batches {:.2}, engine / raw transactions {:.2}", engine_rate / raw, engine_rate / raw_tx);
        let (p50, p99) = steady_latency(&rt);
        println!("commit latency at 200 events/s: p50 {p50:.2} ms, p99 {p99:.2} ms");
    }
    if only == "commit" {
        return;
    }

    let n: u64 = std::env::var("PASSLINE_BENCH_ORDERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let base = std::env::var("PASSLINE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("passline-bench"));
    let days: u64 = std::env::var("PASSLINE_BENCH_DAYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(365)
        .max(1);
    let dir = base.join(format!("history-{n}-{days}d-acked"));
    if !dir.join("built").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let t = Instant::now();
        build_history(&dir, n, days);
        std::fs::write(dir.join("built"), b"ok").expect("marker");
        println!(
            "built a history of {n} orders over {days} days in {:.0} s",
            t.elapsed().as_secs_f64()
        );
    }
    // As a console's next start does (`compact_if_bloated`): the archived
    // days' space is taken back from sled's file.
    let t = Instant::now();
    match passline::store::compact::compact_if_bloated(&dir).expect("compact") {
        Some((before, after)) => println!(
            "compacted the live store at start-up: {:.0} MiB -> {:.0} MiB in {:.1} s",
            before as f64 / 1048576.0,
            after as f64 / 1048576.0,
            t.elapsed().as_secs_f64()
        ),
        None => println!("live store compact already"),
    }
    let size: u64 = walk_size(&dir);
    let archived: u64 = walk_size(&dir.join(passline::store::archive::DIR));
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
        "open a store of {n} historical orders over {days} days ({:.0} MiB live, {:.0} MiB archive) and load {open} open: median {:.0} ms; peak RSS {:.1} MiB",
        (size - archived) as f64 / 1048576.0,
        archived as f64 / 1048576.0,
        times.get(times.len() / 2).copied().unwrap_or(f64::NAN),
        rss as f64 / 1024.0
    );
    for child in ["--month-child", "--archive-child"] {
        let out = std::process::Command::new(&exe)
            .args([child, &dir.display().to_string()])
            .output()
            .expect("child");
        println!("{}", String::from_utf8_lossy(&out.stdout).trim());
        if !out.status.success() {
            eprintln!("{child} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

/// The day after TODAY on a copy of the history: the archivist's first run
/// moves TODAY-2 out of the live store while orders arrive at 50 a second.
fn archive_next_day(history: &std::path::Path) {
    let tmp = tempfile::tempdir().expect("dir");
    let dir = tmp.path().join("store");
    let copied = std::process::Command::new("cp")
        .args([
            "-a",
            &history.display().to_string(),
            &dir.display().to_string(),
        ])
        .status()
        .expect("cp");
    assert!(copied.success(), "copy the history");
    let tomorrow = (chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").expect("date")
        + chrono::Days::new(1))
    .format("%Y-%m-%d")
    .to_string();
    let clock = Arc::new(FixedClock::at(&format!("{tomorrow}T12:30:00+08:00")));
    let e = history_engine(&dir, clock);
    let h = e.handle();
    let before = vm_hwm_kib();
    let mut seq = h.store().cursor().expect("cursor");
    let archivist = {
        let h = h.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            let days = h.archive(2).expect("archive");
            (days, t.elapsed())
        })
    };
    let mut lat = Vec::new();
    let mut n = 0;
    while !archivist.is_finished() || lat.len() < 50 {
        n += 1;
        seq += 1;
        let t = Instant::now();
        h.execute_blocking(
            None,
            Command::Platform {
                seq,
                event: PlatformEvent::OrderPlaced {
                    order: order(n, &tomorrow),
                },
            },
        )
        .expect("commit");
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(20));
    }
    let (days, took) = archivist.join().expect("archivist");
    let moved: Vec<String> = days
        .iter()
        .map(|d| format!("{} ({} orders, {} events)", d.date, d.orders, d.events))
        .collect();
    println!(
        "first start after a day closes: archived {} in {:.0} ms; peak RSS {:.1} MiB (open {:.1}); {} orders meanwhile, commit p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        moved.join(", "),
        took.as_secs_f64() * 1000.0,
        vm_hwm_kib() as f64 / 1024.0,
        before as f64 / 1024.0,
        lat.len(),
        pct(&mut lat.clone(), 0.5),
        pct(&mut lat.clone(), 0.99),
        pct(&mut lat, 1.0)
    );
    drop(h);
    e.shutdown();
}

/// Folds the last 30 archived days' events into one report, as a month
/// Z-report would read them.
fn month_report(dir: &std::path::Path) {
    let store = Store::open(dir, CACHE).expect("store");
    let days = store.archived_days().expect("index");
    let month: Vec<_> = days.iter().rev().take(30).collect();
    let (Some(last), Some(first)) = (month.first(), month.last()) else {
        println!("month report: no archived days");
        return;
    };
    let t = Instant::now();
    let mut f = passline::report::Folder::new(passline::report::ReportKind::Day);
    let mut n = 0u64;
    store
        .visit_events(first.first_event, last.last_event, |e| {
            f.push(&e);
            n += 1;
            Ok(true)
        })
        .expect("events");
    let r = f.finish(&[]);
    println!(
        "month report over {} archived days ({n} events, {} orders): {:.0} ms",
        month.len(),
        r.sales_orders,
        t.elapsed().as_secs_f64() * 1000.0
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
