//! The soak and fault run's parts: the console as a child process, the
//! simulated platform, a feed proxy to cut, the cashier, the printed output
//! read back, and the final checks. `tests/soak.rs` drives them.
// Shared by the soak and the power-cut run: each uses part of it.
#![allow(dead_code)]

pub mod cashier;
pub mod checks;
pub mod console;
pub mod limits;
pub mod platform;
pub mod prints;
pub mod proxy;
pub mod rig;

use std::time::Duration;

/// How long and how hard: from the environment, with the CI defaults.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// `PASSLINE_SOAK_SECS`: the busy part (default 60).
    pub secs: u64,
    /// `PASSLINE_SOAK_RATE`: orders per minute (default 60; bursts 2.5×).
    pub rate: f64,
    /// `PASSLINE_SOAK_KILL_EVERY`: mean seconds between console kills
    /// (default 8; each gap is drawn from 0.5× to 1.5× of it).
    pub kill_every: f64,
    /// `PASSLINE_SOAK_SEED`: the lunch and the dice (default 1).
    pub seed: u64,
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not understood")),
        Err(_) => default,
    }
}

impl Settings {
    pub fn from_env() -> Settings {
        let s = Settings {
            secs: env("PASSLINE_SOAK_SECS", 60),
            rate: env("PASSLINE_SOAK_RATE", 60.0),
            kill_every: env("PASSLINE_SOAK_KILL_EVERY", 8.0),
            seed: env("PASSLINE_SOAK_SEED", 1),
        };
        assert!(s.secs > 0 && s.rate > 0.0 && s.kill_every >= 1.0, "{s:?}");
        s
    }

    pub fn busy(&self) -> Duration {
        Duration::from_secs(self.secs)
    }
}

/// Waits until the console has applied every event the platform sent, the
/// platform has every report, and every printer's queue is empty: twice in
/// a row, a second and a half apart (a late success brought forward by a
/// settlement comes within a second).
pub async fn catch_up(
    console: &console::ConsoleProc,
    platform: &platform::Platform,
    within: Duration,
) -> bool {
    let until = tokio::time::Instant::now() + within;
    let mut good = 0;
    while tokio::time::Instant::now() < until {
        let feed = console.ctl(&["--json", "feed"]).await;
        let printers = console.ctl(&["--json", "printers"]).await;
        let feed: serde_json::Value = serde_json::from_str(&feed.stdout).unwrap_or_default();
        let printers: serde_json::Value =
            serde_json::from_str(&printers.stdout).unwrap_or_default();
        let last = platform.truth().last_seq;
        let done = feed["link"]["state"] == "online"
            && feed["cursor"].as_u64() == Some(last)
            && feed["unsent_reports"].as_u64() == Some(0)
            && printers.as_array().is_some_and(|ps| {
                !ps.is_empty()
                    && ps
                        .iter()
                        .all(|p| p["queued"].as_u64() == Some(0) && p["state"] == "online")
            });
        good = if done { good + 1 } else { 0 };
        if good >= 2 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    false
}
