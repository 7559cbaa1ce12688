//! The simulated platform of the soak: the real simulator on loopback, the
//! `late-success` lunch over the `chaos` wire (drops, duplicates, gaps,
//! replays from the wrong point, garbage frames), plus unreadable events with
//! a seq pushed now and then. It keeps its history in a file, so "killing"
//! it (stopping every task and socket, dropping what it held in memory) and
//! starting it again replays the same seqs. The acks and hellos it saw are
//! kept here across restarts (a restarted simulator forgets them).

use passline::sim::platform::{Scenario, SimConfig, Simulator, Truth, WireFaults};
use std::path::PathBuf;
use std::time::Duration;

pub const TOKEN: &str = "soak-store-token";

pub struct Platform {
    sim: Option<Simulator>,
    /// `resume_after` of every hello, over every life of the simulator.
    earlier_hellos: Vec<u64>,
    /// The highest seq the console acknowledged, over every life.
    earlier_acked: u64,
    pub restarts: u32,
    pub history: PathBuf,
}

impl Platform {
    pub async fn start(seed: u64, rate: f64, history: PathBuf) -> Platform {
        let mut cfg = SimConfig::new(
            "127.0.0.1:0".parse().expect("loopback"),
            TOKEN,
            Scenario::LateSuccess,
        );
        cfg.seed = seed;
        cfg.rate = rate;
        cfg.faults = WireFaults::chaos();
        cfg.history = Some(history.clone());
        let sim = Simulator::start(cfg)
            .await
            .expect("the simulator starts on loopback");
        Platform {
            sim: Some(sim),
            earlier_hellos: Vec::new(),
            earlier_acked: 0,
            restarts: 0,
            history,
        }
    }

    pub fn sim(&self) -> &Simulator {
        self.sim.as_ref().expect("the simulator is running")
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.sim().addr()
    }

    pub fn truth(&self) -> Truth {
        self.sim().truth()
    }

    /// The highest seq the console has acknowledged, ever.
    pub fn acked(&self) -> u64 {
        self.earlier_acked.max(self.sim().acked())
    }

    /// Every hello's `resume_after`, in order, over every life.
    pub fn hellos(&self) -> Vec<u64> {
        let mut h = self.earlier_hellos.clone();
        h.extend(self.sim().truth().hellos);
        h
    }

    async fn stop(&mut self) -> SimConfig {
        let sim = self.sim.take().expect("the simulator is running");
        let t = sim.truth();
        self.earlier_hellos.extend(t.hellos);
        self.earlier_acked = self.earlier_acked.max(t.acked);
        sim.stop().await
    }

    /// Kills the simulator, keeps it down for `down`, starts it again from
    /// its history on the same address.
    pub async fn kill_and_restart(&mut self, down: Duration) {
        let cfg = self.stop().await;
        tokio::time::sleep(down).await;
        self.sim = Some(
            Simulator::start(cfg)
                .await
                .expect("the simulator starts again on its address"),
        );
        self.restarts += 1;
    }

    /// The end of the lunch: starts again with no more scenario steps and a
    /// clean wire.
    pub async fn close_kitchen(&mut self) {
        let last = self.sim().truth().last_seq;
        let mut cfg = self.stop().await;
        cfg.max_events = Some(last);
        cfg.faults = WireFaults::none();
        self.sim = Some(
            Simulator::start(cfg)
                .await
                .expect("the simulator starts again on its address"),
        );
    }

    /// An event the console cannot use, with its own seq: it must be
    /// quarantined and acknowledged.
    pub fn push_junk(&self, n: u64) -> u64 {
        let ev = if n % 2 == 0 {
            serde_json::json!({"kind": "order.tip_added", "order_id": format!("TIP-{n}"), "amount": 500})
        } else {
            serde_json::json!({"kind": "payment.updated", "order_id": format!("BAD-{n}"),
                "channel": "wechat", "trade_state": "SUCCESS", "amount": "56.00", "at": "yesterday"})
        };
        self.sim().push_junk(ev)
    }
}
