//! The store around the console under test: three virtual printers, the
//! simulated platform behind a feed proxy, the wiring that points the
//! console at them, and the verdict over what they all saw. The soak and the
//! power-cut run share it.

use super::cashier::CashierLog;
use super::checks::{self, PrinterOut, Tally};
use super::console::{ConsoleProc, Wiring};
use super::platform::Platform;
use super::proxy::FeedProxy;
use passline::print::status::PrinterState;
use passline::sim::printer::VirtualPrinter;
use std::path::Path;

/// The store's printers: name, stations, and whether it is the counter's
/// (receipts and the cash drawer).
pub const PRINTERS: [(&str, &[&str], bool); 3] = [
    ("kitchen", &["hot", "cold"], false),
    ("bar", &["bar"], false),
    ("counter", &["staple"], true),
];

pub struct Rig {
    pub printers: Vec<VirtualPrinter>,
    pub platform: Platform,
    pub proxy: FeedProxy,
    pub wiring: Wiring,
}

impl Rig {
    /// Printers online, the late-success lunch over the chaos wire at
    /// `rate` orders a minute, its history in `dir`.
    pub async fn start(dir: &Path, seed: u64, rate: f64) -> Rig {
        let mut printers = Vec::new();
        for _ in PRINTERS {
            printers.push(
                VirtualPrinter::start(
                    "127.0.0.1:0".parse().expect("loopback"),
                    PrinterState::Online,
                )
                .await
                .expect("a virtual printer on loopback"),
            );
        }
        let platform = Platform::start(seed, rate, dir.join("history.ndjson")).await;
        let proxy = FeedProxy::start(platform.addr()).await;
        let wiring = Wiring {
            feed_url: format!("ws://{}/v1/stores/S001/feed", proxy.addr()),
            printers: PRINTERS
                .iter()
                .zip(&printers)
                .map(|((name, stations, counter), p)| {
                    (
                        name.to_string(),
                        p.connect_url(),
                        stations.iter().map(|s| s.to_string()).collect(),
                        *counter,
                    )
                })
                .collect(),
        };
        Rig {
            printers,
            platform,
            proxy,
            wiring,
        }
    }

    /// Every printer online with paper again.
    pub fn printers_back(&self) {
        for p in &self.printers {
            p.paper_out_after_bytes(None);
            p.set_status(PrinterState::Online);
        }
    }

    /// The stopped console's store against the platform's record and the
    /// printers' output. `kills`: per crash or cut, the hellos seen so far
    /// and the highest seq acknowledged.
    pub fn verdict(
        &self,
        console: &ConsoleProc,
        cashier: &CashierLog,
        kills: &[(usize, u64)],
    ) -> Tally {
        let truth = self.platform.truth();
        let hellos = self.platform.hellos();
        let export_json = console.export("--json");
        let export_events = console.export("--events");
        let outputs: Vec<PrinterOut> = PRINTERS
            .iter()
            .zip(&self.printers)
            .map(|((name, stations, _), p)| PrinterOut {
                name: name.to_string(),
                stations: stations.iter().map(|s| s.to_string()).collect(),
                jobs: p.jobs(),
            })
            .collect();
        checks::check(&checks::Inputs {
            truth: &truth,
            history: &self.platform.history,
            export_json: &export_json,
            export_events: &export_events,
            printers: &outputs,
            cashier,
            kills,
            hellos: &hellos,
        })
    }
}
