//! The soak and fault run's parts: the console as a child process, the
//! simulated platform, a feed proxy to cut, the cashier, the printed output
//! read back, and the final checks. `tests/soak.rs` drives them.

pub mod cashier;
pub mod checks;
pub mod console;
pub mod limits;
pub mod platform;
pub mod prints;
pub mod proxy;

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
