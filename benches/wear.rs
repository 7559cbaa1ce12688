//! Flash wear benchmark (a bench binary, not a timed test): what a lunch
//! costs the disk. A fixed run of N orders (default 500) goes through the
//! real engine and its group commit, with the power-cut barrier on, as the
//! console sees a lunch: the platform places each order and pays it (eight
//! in ten online; the rest fail online and are settled in cash at the
//! counter, which prints a receipt and opens the drawer), the kitchen
//! tickets print (the printer worker's attempt and done), the kitchen bumps
//! the order, and the platform acks every report the engine queued.
//!
//! Around the run it reads this process's `/proc/self/io`: `write_bytes`
//! (bytes the process caused to be sent to the block device: every commit's
//! `fdatasync` writes its pages back before "done") and `syscw` (write
//! calls), plus the store folder's size. It prints bytes and writes per
//! order, throughput and commit latency (p50/p99 over every command).
//!
//! Run: `cargo bench --bench wear` (env: PASSLINE_BENCH_ORDERS,
//! PASSLINE_BENCH_DIR: it must be on a real disk, not tmpfs, or
//! `write_bytes` reads 0). Orders go one at a time and every command is
//! awaited before the next, as at a real lunch's pace: each commit is its own
//! flush and barrier (the worst case for wear; a rush groups commits).

use passline::domain::*;
use passline::engine::{Committed, Engine, EngineConfig, EngineHandle, SystemClock};
use passline::print::route::{PrinterRoute, Routes};
use passline::store::Store;
use std::sync::Arc;
use std::time::Instant;

const CACHE: u64 = 4 << 20;

fn order(n: u64) -> Order {
    serde_json::from_value(serde_json::json!({
        "id": format!("WX20261125-{n:07}"), "pickup_no": format!("A{:03}", n % 1000), "table": "12",
        "channel": "wechat_mini", "dining": "dine_in",
        "placed_at": "2026-11-25T12:01:05+08:00", "currency": "CNY", "amount_due": 5600, "note": "",
        "items": [
            {"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":1,"unit_price":3800,"station":"hot","modifiers":["少辣"],"note":"不要花生"},
            {"line":2,"sku":"MF","name":"米饭","qty":2,"unit_price":200,"station":"hot","modifiers":[],"note":""},
            {"line":3,"sku":"NMC","name":"柠檬茶","qty":1,"unit_price":1400,"station":"bar","modifiers":["少冰"],"note":""}
        ]
    }))
    .expect("bench order")
}

fn payment(id: &OrderId, n: u64, state: TradeState) -> PlatformEvent {
    let ok = state == TradeState::Success;
    PlatformEvent::PaymentUpdated(PaymentUpdate {
        order_id: id.clone(),
        channel: PayChannel::Wechat,
        trade_state: state,
        amount: Fen(5600),
        transaction_id: ok.then(|| format!("42000{n:010}")),
        error_code: (!ok).then(|| "NOTENOUGH".to_string()),
        error_message: None,
        at: chrono::DateTime::parse_from_rfc3339("2026-11-25T12:02:00+08:00").expect("time"),
    })
}

fn routes() -> Routes {
    let printer = |name: &str, stations: &[&str], counter: bool| PrinterRoute {
        name: name.into(),
        stations: stations.iter().map(|s| s.to_string()).collect(),
        receipts: counter,
        drawer: counter,
    };
    Routes {
        printers: vec![
            printer("hot", &["hot"], false),
            printer("bar", &["bar"], false),
            printer("counter", &[], true),
        ],
        receipt_on_settle: true,
    }
}

/// `write_bytes` and `syscw` of this process so far.
fn io_now() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/io").expect("/proc/self/io");
    let field = |name: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("write_bytes:"), field("syscw:"))
}

fn walk_size(dir: &std::path::Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            n += walk_size(&p);
        } else if let Ok(m) = e.metadata() {
            n += m.len();
        }
    }
    n
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// What the run counted.
#[derive(Default)]
struct Tally {
    /// Commits by what caused them.
    kinds: std::collections::BTreeMap<&'static str, u64>,
    commits: u64,
    events: u64,
    latency_ms: Vec<f64>,
}

impl Tally {
    async fn run(&mut self, h: &EngineHandle, cmd: Command) -> Committed {
        let kind = match &cmd {
            Command::Platform { .. } => "platform",
            Command::Settle { .. } => "settle",
            Command::Bump { .. } => "bump",
            Command::ReportAcked { .. } => "report ack",
            _ => "other",
        };
        *self.kinds.entry(kind).or_default() += 1;
        let t = Instant::now();
        let c = h.execute(None, cmd).await.expect("commit");
        self.note(t, &c);
        c
    }

    fn note(&mut self, t: Instant, c: &Committed) {
        self.latency_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        self.commits += 1;
        self.events += c.events.len() as u64;
    }

    /// The printer worker: each job's send started, then done.
    async fn print(&mut self, h: &EngineHandle, jobs: &[u64]) {
        for &job in jobs {
            *self.kinds.entry("print job (attempt + done)").or_default() += 2;
            let t = Instant::now();
            let c = h.spool_attempt(job).await.expect("attempt");
            self.note(t, &c);
            let t = Instant::now();
            let c = h.spool_done(job).await.expect("done");
            self.note(t, &c);
        }
    }
}

/// One order's lunch, start to finish; returns the reports to ack.
async fn one_order(h: &EngineHandle, tally: &mut Tally, n: u64, seq: &mut u64) -> Vec<String> {
    let o = order(n);
    let id = o.id.clone();
    let mut reports = Vec::new();
    let mut platform = |event| {
        *seq += 1;
        Command::Platform { seq: *seq, event }
    };
    let placed = platform(PlatformEvent::OrderPlaced { order: o });
    let paid = if n % 5 == 4 {
        platform(payment(&id, n, TradeState::Payerror))
    } else {
        platform(payment(&id, n, TradeState::Success))
    };
    for cmd in [placed, paid] {
        let c = tally.run(h, cmd).await;
        reports.extend(c.reports.iter().cloned());
        tally.print(h, &c.jobs).await;
    }
    if n % 5 == 4 {
        let settle = Command::Settle {
            order_id: id.clone(),
            staff_id: "01".into(),
            pin: None,
            tenders: vec![TenderInput {
                method: Method::Cash,
                amount: Fen(5600),
                tendered: Some(Fen(10000)),
                reference: None,
            }],
        };
        let c = tally.run(h, settle).await;
        reports.extend(c.reports.iter().cloned());
        tally.print(h, &c.jobs).await;
    }
    let bump = Command::Bump {
        order_id: id,
        staff_id: "21".into(),
        line: None,
    };
    let c = tally.run(h, bump).await;
    reports.extend(c.reports.iter().cloned());
    tally.print(h, &c.jobs).await;
    reports
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let orders: u64 = std::env::var("PASSLINE_BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let base = std::env::var("PASSLINE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir());
    std::fs::create_dir_all(&base).expect("bench dir");
    let dir = tempfile::tempdir_in(&base).expect("temp dir");
    let tz = chrono_tz::Asia::Shanghai;
    let engine = Engine::start(
        Store::open(dir.path(), CACHE).expect("store"),
        EngineConfig {
            rules: Rules::default(),
            routes: routes(),
            tz,
            clock: Arc::new(SystemClock { tz }),
            menu: None,
        },
    )
    .expect("engine");
    let h = engine.handle();
    for (id, role) in [
        ("01", Role::Cashier),
        ("21", Role::Kitchen),
        ("90", Role::Manager),
    ] {
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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let size_before = walk_size(dir.path());
    let (wb0, cw0) = io_now();
    let t = Instant::now();
    let mut tally = Tally::default();
    rt.block_on(async {
        let mut seq = 0u64;
        for n in 0..orders {
            let reports = one_order(&h, &mut tally, n, &mut seq).await;
            for report_id in reports {
                tally.run(&h, Command::ReportAcked { report_id }).await;
            }
        }
    });
    let secs = t.elapsed().as_secs_f64();
    let (wb1, cw1) = io_now();
    codec_cost(&h);
    drop(h);
    engine.shutdown();
    let (wb2, cw2) = io_now();
    let size = walk_size(dir.path());
    let per = |x: u64| x as f64 / orders as f64;
    let (p50, p99) = (
        pct(&mut tally.latency_ms, 0.5),
        pct(&mut tally.latency_ms, 0.99),
    );
    println!(
        "lunch: {orders} orders, {} events, {} commits ({:.1} per order) in {secs:.1} s: {:.1} orders/s, {:.0} commits/s",
        tally.events,
        tally.commits,
        per(tally.commits),
        orders as f64 / secs,
        tally.commits as f64 / secs
    );
    println!(
        "written to the block device: {:.1} KiB per order ({:.1} MiB), {:.0} bytes per commit; write calls {:.1} per order",
        per(wb1 - wb0) / 1024.0,
        (wb1 - wb0) as f64 / 1048576.0,
        (wb1 - wb0) as f64 / tally.commits as f64,
        per(cw1 - cw0)
    );
    println!(
        "with the shutdown: {:.1} KiB per order, write calls {:.1} per order",
        per(wb2 - wb0) / 1024.0,
        per(cw2 - cw0)
    );
    let kinds: Vec<String> = tally
        .kinds
        .iter()
        .map(|(k, n)| format!("{k} {:.1}", per(*n)))
        .collect();
    println!("commits per order: {}", kinds.join(", "));
    println!("commit latency: p50 {p50:.2} ms, p99 {p99:.2} ms");
    println!(
        "store folder: {:.1} MiB after ({:.1} MiB before the lunch)",
        size as f64 / 1048576.0,
        size_before as f64 / 1048576.0
    );
}

/// What encoding and decoding one record costs the writer, in each
/// encoding, for the projection and the event of an order of the run.
fn codec_cost(h: &EngineHandle) {
    use passline::store::codec::{decode, encode, encode_json};
    let st = h
        .order(&"WX20261125-0000001".into())
        .expect("read")
        .expect("an order of the run");
    let ev = h.events_after(0, 1).expect("log").remove(0);
    fn time<T: serde::Serialize + serde::de::DeserializeOwned>(
        what: &str,
        v: &T,
        enc: fn(&T) -> Vec<u8>,
    ) -> String {
        let n = 20_000;
        let t = Instant::now();
        let mut bytes = Vec::new();
        for _ in 0..n {
            bytes = enc(std::hint::black_box(v));
        }
        let e = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        let t = Instant::now();
        for _ in 0..n {
            let _: T = decode(std::hint::black_box(&bytes)).expect("decodes");
        }
        let d = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        format!(
            "{what} {} B, encode {e:.1} µs, decode {d:.1} µs",
            bytes.len()
        )
    }
    println!(
        "records: projection: {}; {}; first event: {}; {}",
        time("JSON", &st, encode_json),
        time("compact", &st, encode),
        time("JSON", &ev, encode_json),
        time("compact", &ev, |v| {
            let mut out = vec![passline::store::codec::FORMAT_CBOR];
            ciborium::into_writer(v, &mut out).expect("cbor");
            out
        }),
    );
}
