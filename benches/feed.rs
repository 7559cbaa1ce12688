//! Feed throughput and latency: events from the simulator through commit to
//! ack over loopback, against the engine alone (the ceiling).
//!
//! `cargo bench --bench feed` (about 30 s). Prints one line per measure;
//! docs/performance.md ("Feed") keeps the results.

use passline::domain::{CashRounding, Command, FirePolicy, PlatformEvent, Rules};
use passline::engine::{Committed, Engine, EngineConfig, EngineError, EngineHandle, FixedClock};
use passline::feed::status::LinkState;
use passline::feed::{run_feed, FeedConfig, FeedTiming};
use passline::print::route::Routes;
use passline::sim::platform::scenario::Planner;
use passline::sim::platform::{Scenario, SimConfig, Simulator, WireFaults};
use passline::store::Store;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::sync::watch;

const EVENTS: u64 = 10_000;
const TOKEN: &str = "bench-token";

fn engine(dir: &std::path::Path) -> Engine {
    let store = Store::open(dir, 16 << 20).expect("open store");
    Engine::start(
        store,
        EngineConfig {
            rules: Rules {
                fire: FirePolicy::OnOrder,
                cash_rounding: CashRounding::Fen,
                ..Default::default()
            },
            routes: Routes::default(),
            tz: chrono_tz::Asia::Shanghai,
            clock: Arc::new(FixedClock::at("2026-11-25T12:00:00+08:00")),
            menu: None,
        },
    )
    .expect("start engine")
}

/// The lunch-peak events, as the platform would number them.
fn lunch(n: u64) -> Vec<PlatformEvent> {
    let mut p = Planner::new(Scenario::LunchPeak, 42, 12.0, None);
    (0..n)
        .map(|_| {
            let (_, step) = p.next_step().expect("an endless lunch");
            serde_json::from_value(step.event(0)).expect("lunch-peak events are valid")
        })
        .collect()
}

type Commit = Pin<Box<dyn Future<Output = Result<Committed, EngineError>> + Send>>;

/// The ceiling: the same events handed to the engine with up to 256 in
/// flight (as the feed does), no network. With `ack_reports`, each report the
/// events cause is also acknowledged as the platform would (`ReportAcked`),
/// which is the same engine work the feed does.
async fn engine_only(h: &EngineHandle, events: Vec<PlatformEvent>, ack_reports: bool) -> f64 {
    let start = Instant::now();
    // Each command is sent by its first poll (which may already see it done).
    let mut window: VecDeque<Commit> = VecDeque::new();
    let mut acks: Vec<String> = Vec::new();
    let submit = |window: &mut VecDeque<Commit>, cmd: Command| {
        let h2 = h.clone();
        let mut f: Commit = Box::pin(async move { h2.execute(None, cmd).await });
        if let Poll::Ready(r) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            f = Box::pin(std::future::ready(r));
        }
        window.push_back(f);
    };
    for (i, event) in events.into_iter().enumerate() {
        for report_id in acks.drain(..) {
            submit(&mut window, Command::ReportAcked { report_id });
        }
        submit(
            &mut window,
            Command::Platform {
                seq: i as u64 + 1,
                event,
            },
        );
        if window.len() >= 256 {
            let c = window.pop_front().expect("full").await.expect("commit");
            if ack_reports {
                acks.extend(c.reports);
            }
        }
    }
    while let Some(f) = window.pop_front() {
        let c = f.await.expect("commit");
        if ack_reports {
            for report_id in c.reports {
                submit(&mut window, Command::ReportAcked { report_id });
            }
        }
    }
    EVENTS as f64 / start.elapsed().as_secs_f64()
}

fn feed_cfg(url: &str) -> FeedConfig {
    FeedConfig::new(url, TOKEN, "S001", "box-1").with_timing(FeedTiming {
        backoff_initial: Duration::from_millis(10),
        ..FeedTiming::default()
    })
}

async fn through_feed(h: &EngineHandle) -> f64 {
    let mut cfg = SimConfig::new(
        "127.0.0.1:0".parse().expect("loopback"),
        TOKEN,
        Scenario::LunchPeak,
    );
    cfg.seed = 42;
    cfg.rate = 6_000_000.0;
    cfg.max_events = Some(EVENTS);
    cfg.faults = WireFaults::none();
    let sim = Simulator::start(cfg).await.expect("simulator");
    // Let the simulator number everything first: this measures the feed, not the script.
    while sim.truth().last_seq < EVENTS {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (stop, stopped) = watch::channel(false);
    let start = Instant::now();
    let task = tokio::spawn(run_feed(h.clone(), feed_cfg(&sim.url()), stopped));
    assert!(
        sim.wait_acked(EVENTS, Duration::from_secs(60)).await,
        "feed finished"
    );
    let rate = EVENTS as f64 / start.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let _ = task.await;
    rate
}

async fn latency_at(
    h: &EngineHandle,
    per_sec: u64,
    secs: u64,
) -> (Duration, Duration, Duration, usize) {
    let mut cfg = SimConfig::new(
        "127.0.0.1:0".parse().expect("loopback"),
        TOKEN,
        Scenario::Idle,
    );
    cfg.faults = WireFaults::none();
    cfg.measure_latency = true;
    let sim = Simulator::start(cfg).await.expect("simulator");
    let (stop, stopped) = watch::channel(false);
    let fc = feed_cfg(&sim.url());
    let mut status = fc.status();
    let task = tokio::spawn(run_feed(h.clone(), fc, stopped));
    while status.borrow_and_update().link != LinkState::Online {
        let _ = status.changed().await;
    }
    let n = per_sec * secs;
    let events = lunch(n);
    let every = Duration::from_secs_f64(1.0 / per_sec as f64);
    let mut tick = tokio::time::interval(every);
    for ev in events {
        tick.tick().await;
        sim.push_event(serde_json::to_value(&ev).expect("event json"));
    }
    assert!(sim.wait_acked(n, Duration::from_secs(10)).await);
    let mut lat = sim.ack_latencies();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    let _ = stop.send(true);
    let _ = task.await;
    (
        pct(0.5),
        pct(0.99),
        *lat.last().expect("samples"),
        lat.len(),
    )
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // Alternate the two, five rounds each, and compare medians: the
        // machine is shared, so a single pair is at the mercy of its neighbours.
        let (mut ceilings, mut bare, mut feeds) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..5 {
            let d0 = tempfile::tempdir().expect("temp dir");
            let e0 = engine(d0.path());
            bare.push(engine_only(&e0.handle(), lunch(EVENTS), false).await);
            let d1 = tempfile::tempdir().expect("temp dir");
            let e1 = engine(d1.path());
            ceilings.push(engine_only(&e1.handle(), lunch(EVENTS), true).await);
            let d2 = tempfile::tempdir().expect("temp dir");
            let e2 = engine(d2.path());
            feeds.push(through_feed(&e2.handle()).await);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let rounds = |v: &[f64]| v.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(", ");
        println!("feed/engine_events    {EVENTS} lunch-peak events, reports left in the outbox: rounds {} events/s", rounds(&bare));
        println!("feed/engine_only      {EVENTS} lunch-peak events + their report acks: rounds {} events/s", rounds(&ceilings));
        println!("feed/through_loopback {EVENTS} events, commit+ack: rounds {} events/s", rounds(&feeds));
        let ceiling = median(&mut ceilings);
        let bare = median(&mut bare);
        let feed = median(&mut feeds);
        println!(
            "feed/median           engine-only {ceiling:.0} events/s, feed {feed:.0} events/s: {:.2} of engine-only (target >= 0.70); {:.2} of events alone ({bare:.0})",
            feed / ceiling,
            feed / bare
        );

        let d3 = tempfile::tempdir().expect("temp dir");
        let e3 = engine(d3.path());
        let (p50, p99, max, n) = latency_at(&e3.handle(), 200, 10).await;
        println!(
            "feed/latency_200_per_s send->ack over {n} events: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 < 25 ms)",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3
        );
    });
}
