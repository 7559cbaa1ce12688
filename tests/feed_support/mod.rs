//! Helpers for the feed tests: a console (engine on a temp dir + the real
//! feed client) against the real simulator on loopback, with short clocks.
#![allow(dead_code)]

use passline::domain::*;
use passline::engine::{Engine, EngineConfig, EngineHandle, FixedClock};
use passline::feed::status::{FeedStatus, LinkState};
use passline::feed::{run_feed, FeedConfig, FeedTiming};
use passline::print::route::Routes;
use passline::sim::platform::{Scenario, SimConfig, Simulator, Truth, WireFaults};
use passline::store::Store;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub const TOKEN: &str = "s3cret-store-token";

/// Clocks shortened so a test sees many reconnects in a second.
pub fn quick() -> FeedTiming {
    FeedTiming {
        ping_every: Duration::from_millis(200),
        receive_deadline: Duration::from_millis(1500),
        write_timeout: Duration::from_secs(2),
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(150),
        offline_after_attempts: 3,
    }
}

pub fn rules() -> Rules {
    Rules {
        fire: FirePolicy::OnOrder,
        cash_rounding: CashRounding::Fen,
        ..Default::default()
    }
}

pub fn start_engine(dir: &Path) -> Engine {
    let store = Store::open(dir, 8 << 20).expect("open store");
    let cfg = EngineConfig {
        rules: rules(),
        routes: Routes::default(),
        tz: chrono_tz::Asia::Shanghai,
        clock: Arc::new(FixedClock::at("2026-11-25T12:00:00+08:00")),
        menu: Some(std::sync::Arc::new(passline::counter::Menu::demo())),
    };
    Engine::start(store, cfg).expect("start engine")
}

/// The feed client running against `url`.
pub struct Link {
    pub stop: watch::Sender<bool>,
    pub status: watch::Receiver<FeedStatus>,
    pub task: tokio::task::JoinHandle<()>,
}

impl Link {
    pub fn start(engine: EngineHandle, url: &str, token: &str) -> Link {
        let cfg = FeedConfig::new(url, token, "S001", "box-1").with_timing(quick());
        let status = cfg.status();
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run_feed(engine, cfg, stopped));
        Link { stop, status, task }
    }

    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(3), self.task).await;
    }
}

pub async fn simulator(scenario: Scenario, configure: impl FnOnce(&mut SimConfig)) -> Simulator {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("FEED_TEST_LOG"))
        .with_test_writer()
        .try_init();
    let mut cfg = SimConfig::new("127.0.0.1:0".parse().expect("loopback"), TOKEN, scenario);
    cfg.faults = WireFaults::none();
    cfg.answer_delay = Duration::from_millis(30);
    configure(&mut cfg);
    Simulator::start(cfg).await.expect("simulator starts")
}

/// Polls `cond` every 10 ms until it holds or `within` passes.
pub async fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let until = tokio::time::Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn add_cashier(h: &EngineHandle) {
    h.execute(
        None,
        Command::AddStaff {
            staff_id: "01".into(),
            name: "王芳".into(),
            role: Role::Cashier,
            pin: "1234".into(),
        },
    )
    .await
    .expect("add cashier");
}

/// The platform event each committed seq produced, counted: every seq must
/// appear exactly once among the events that carry a platform seq first.
pub fn applied_seqs(h: &EngineHandle) -> BTreeMap<u64, usize> {
    let mut seen = BTreeMap::new();
    let events = h.events_after(0, usize::MAX).expect("read log");
    for e in events {
        if let Some(seq) = e.platform_seq_applied() {
            *seen.entry(seq).or_insert(0) += 1;
        }
    }
    seen
}

/// Differences between the console's orders and the platform's truth.
pub fn differences(h: &EngineHandle, truth: &Truth) -> Vec<String> {
    let mut diffs = Vec::new();
    for (id, t) in &truth.orders {
        let Some(o) = h.order(id).expect("read order") else {
            diffs.push(format!("{id}: missing at the console"));
            continue;
        };
        let mut mine = o.order.items.clone();
        mine.sort_by_key(|i| i.line);
        let mut theirs = t.order.items.clone();
        theirs.sort_by_key(|i| i.line);
        if mine != theirs || o.order.amount_due != t.order.amount_due {
            diffs.push(format!("{id}: items or amount differ"));
        }
        if o.cancelled.is_some() != t.cancelled {
            diffs.push(format!(
                "{id}: cancelled {} vs {}",
                o.cancelled.is_some(),
                t.cancelled
            ));
        }
        let state =
            |u: &Option<PaymentUpdate>| u.as_ref().map(|u| (u.trade_state, u.error_code.clone()));
        if state(&o.online) != state(&t.payment) {
            diffs.push(format!(
                "{id}: payment {:?} vs {:?}",
                state(&o.online),
                state(&t.payment)
            ));
        }
        if o.successes.len() != t.successes.len() {
            diffs.push(format!(
                "{id}: {} successes vs {}",
                o.successes.len(),
                t.successes.len()
            ));
        }
    }
    diffs
}

pub fn online(s: &FeedStatus) -> bool {
    s.link == LinkState::Online
}
