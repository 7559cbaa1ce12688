//! The cashier of the soak: watches the open orders through `passline ctl`
//! and, a moment after an online payment failed (the customer walks to the
//! counter), settles it another way: cash with a note handed over, or card
//! with the slip's number. A timed-out payment may still succeed: half of
//! those customers wait for it instead, half pay at the counter (and may pay
//! twice). The console may be dead at that moment (exit 3): the cashier
//! tries again later, and a settlement that had gone through is then refused
//! as already paid, as on the real screen. The cook bumps what the kitchen
//! has finished, a few seconds after it fired.

use super::console::{ctl, ctl_as, COOK, COOK_PIN};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// What the cashier did.
#[derive(Debug, Default)]
pub struct CashierLog {
    /// Settlements the console confirmed (exit 0), by order id.
    pub settled: BTreeSet<String>,
    /// Bumps the console confirmed, by order id.
    pub bumped: BTreeSet<String>,
    /// Refusals by their code (`already_paid`, …).
    pub refused: BTreeMap<String, u32>,
    /// Runs with no answer (the console was down): tried again.
    pub unanswered: u32,
    /// Commands the console could not save (its disk failing): tried again.
    pub not_saved: u32,
    /// `ctl orders` runs that listed the orders.
    pub looks: u32,
    /// Anything else (a usage error would be a soak bug).
    pub odd: Vec<String>,
}

pub async fn run(
    config: PathBuf,
    api: String,
    seed: u64,
    // Open orders of the history the store started with: not this lunch's.
    history_open: BTreeSet<String>,
    mut stop: watch::Receiver<bool>,
) -> CashierLog {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xca54);
    let mut log = CashierLog::default();
    // Failed orders seen, and when the customer reaches the counter (None:
    // the customer waits for the online payment instead).
    let mut waiting: HashMap<String, Option<Instant>> = HashMap::new();
    // Orders cooking, and when the cook bumps them.
    let mut cooking: HashMap<String, Instant> = HashMap::new();
    let mut slip = 1000u32;
    loop {
        if *stop.borrow() {
            break;
        }
        let out = ctl(&config, &api, &["--json", "orders", "--open"]).await;
        if out.code == Some(0) {
            log.looks += 1;
            let mut orders: Vec<serde_json::Value> =
                serde_json::from_str(&out.stdout).unwrap_or_default();
            orders.retain(|o| !o["id"].as_str().is_some_and(|id| history_open.contains(id)));
            let now = Instant::now();
            let failed: BTreeMap<String, bool> = orders
                .iter()
                .filter(|o| o["payment"] == "failed" && o["remaining"].as_i64().unwrap_or(0) > 0)
                .filter(|o| o["kitchen"] != "cancelled")
                .filter_map(|o| {
                    let open = o["flags"]
                        .as_array()
                        .is_some_and(|f| f.iter().any(|x| x == "outcome_open"));
                    o["id"].as_str().map(|id| (id.to_string(), open))
                })
                .collect();
            waiting.retain(|id, _| failed.contains_key(id));
            for (id, open) in &failed {
                // The screen warns that a timed-out payment may still
                // succeed: half the time the customer waits for it, half
                // the time they pay at the counter (and may pay twice).
                if *open && !waiting.contains_key(id) && rng.gen_bool(0.5) {
                    waiting.insert(id.clone(), None);
                    continue;
                }
                waiting
                    .entry(id.clone())
                    .or_insert_with(|| Some(now + Duration::from_millis(rng.gen_range(300..3000))));
            }
            let fired: BTreeSet<String> = orders
                .iter()
                .filter(|o| o["kitchen"] == "fired")
                .filter_map(|o| o["id"].as_str().map(str::to_string))
                .collect();
            cooking.retain(|id, _| fired.contains(id));
            for id in &fired {
                cooking
                    .entry(id.clone())
                    .or_insert_with(|| now + Duration::from_millis(rng.gen_range(1000..6000)));
            }
            let done: Vec<String> = cooking
                .iter()
                .filter(|(_, at)| **at <= now)
                .map(|(id, _)| id.clone())
                .collect();
            for id in done {
                let out = ctl_as(&config, &api, (COOK, COOK_PIN), &["bump", &id]).await;
                match out.code {
                    Some(0) => {
                        log.bumped.insert(id.clone());
                        cooking.remove(&id);
                    }
                    Some(1) if not_saved(&out.stderr) => log.not_saved += 1,
                    Some(1) => {
                        *log.refused.entry(refusal(&out.stderr)).or_default() += 1;
                        cooking.remove(&id);
                    }
                    Some(3) | None => log.unanswered += 1,
                    Some(c) => log.odd.push(format!("bump {id}: exit {c}: {}", out.stderr)),
                }
            }
            let due: Vec<String> = waiting
                .iter()
                .filter(|(_, at)| at.is_some_and(|at| at <= now))
                .map(|(id, _)| id.clone())
                .collect();
            for id in due {
                let remaining = orders
                    .iter()
                    .find(|o| o["id"] == id.as_str())
                    .and_then(|o| o["remaining"].as_i64())
                    .unwrap_or(0);
                let out = if rng.gen_bool(0.6) {
                    // A note that covers it: the next 10, 50 or 100 yuan.
                    let step = [1000, 5000, 10000][rng.gen_range(0..3)];
                    let tendered = (remaining + step - 1) / step * step;
                    let yuan = format!("{}.{:02}", tendered / 100, tendered % 100);
                    ctl(
                        &config,
                        &api,
                        &["settle", &id, "--method", "cash", "--tendered", &yuan],
                    )
                    .await
                } else {
                    slip += 1;
                    let reference = format!("slip {slip}");
                    ctl(
                        &config,
                        &api,
                        &["settle", &id, "--method", "card", "--reference", &reference],
                    )
                    .await
                };
                match out.code {
                    Some(0) => {
                        log.settled.insert(id.clone());
                        waiting.remove(&id);
                    }
                    Some(1) if not_saved(&out.stderr) => log.not_saved += 1,
                    Some(1) => {
                        *log.refused.entry(refusal(&out.stderr)).or_default() += 1;
                        waiting.remove(&id);
                    }
                    Some(3) | None => log.unanswered += 1,
                    Some(c) => log
                        .odd
                        .push(format!("settle {id}: exit {c}: {}", out.stderr)),
                }
            }
        } else if matches!(out.code, Some(3) | None) {
            log.unanswered += 1;
        } else {
            log.odd
                .push(format!("orders: exit {:?}: {}", out.code, out.stderr));
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(rng.gen_range(300..900))) => {}
            _ = stop.changed() => {}
        }
    }
    log
}

/// The console said nothing was saved (its disk failing): a cashier tries
/// again, as the message says.
fn not_saved(stderr: &str) -> bool {
    stderr.contains("not saved:") && stderr.contains("try again")
}

/// The code of a refusal from ctl's stderr: `refused (already_paid): …`.
fn refusal(stderr: &str) -> String {
    stderr
        .split_once("refused (")
        .and_then(|(_, r)| r.split_once(')'))
        .map(|(c, _)| c.to_string())
        .unwrap_or_else(|| "refused".into())
}
