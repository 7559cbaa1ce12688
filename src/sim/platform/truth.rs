//! What the simulated platform knows: every event it numbered (the history,
//! kept as NDJSON so a restarted simulator replays the same seqs), the state
//! of each order and its online payment, and every report it received by id.
//! Tests compare the console against this "truth".

use crate::domain::{Order, OrderId, PaymentUpdate, PlatformEvent, TradeState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// One line of the history file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum HistoryLine {
    Event {
        seq: u64,
        /// The scenario step it came from (reactive events have none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<u64>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        junk: bool,
        event: serde_json::Value,
    },
    /// A step that was not sent (its order's trade was already closed).
    Skip { step: u64 },
    Report {
        id: String,
        report: serde_json::Value,
    },
}

/// An order as the platform last told it.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthOrder {
    pub order: Order,
    pub cancelled: bool,
    /// The last payment state sent.
    pub payment: Option<PaymentUpdate>,
    /// Transaction ids of every SUCCESS sent.
    pub successes: Vec<String>,
    /// The store settled it and the platform closed the online trade.
    pub trade_closed: bool,
}

/// A report as received, with how often it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedReport {
    pub kind: String,
    pub order_id: Option<String>,
    pub report: serde_json::Value,
    pub received: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub last_seq: u64,
    /// The highest seq the console acknowledged.
    pub acked: u64,
    pub orders: BTreeMap<OrderId, TruthOrder>,
    /// Seqs whose frames the console cannot read (it must quarantine them).
    pub junk_seqs: BTreeSet<u64>,
    /// Garbage frames sent without a seq (chaos).
    pub junk_frames_sent: u64,
    pub reports: BTreeMap<String, ReceivedReport>,
    /// Orders taken at the counter (`order.placed` reports).
    pub counter_orders: Vec<Order>,
    pub connections: u64,
    /// Handshakes refused with HTTP 401.
    pub unauthorized: u64,
    /// `resume_after` of each `hello`, in order.
    pub hellos: Vec<u64>,
    /// Steps of the scenario consumed (sent or skipped).
    pub steps_done: u64,
}

impl Truth {
    /// Reports of one kind, by id.
    pub fn reports_of(&self, kind: &str) -> Vec<&ReceivedReport> {
        self.reports.values().filter(|r| r.kind == kind).collect()
    }

    pub(super) fn apply(&mut self, line: &HistoryLine) {
        match line {
            HistoryLine::Event {
                seq,
                step,
                junk,
                event,
            } => {
                self.last_seq = self.last_seq.max(*seq);
                if let Some(s) = step {
                    self.steps_done = self.steps_done.max(s + 1);
                }
                if *junk {
                    self.junk_seqs.insert(*seq);
                    return;
                }
                if let Ok(ev) = serde_json::from_value::<PlatformEvent>(event.clone()) {
                    self.apply_event(ev);
                }
            }
            HistoryLine::Skip { step } => self.steps_done = self.steps_done.max(step + 1),
            HistoryLine::Report { id, report } => {
                self.record_report(id, report);
            }
        }
    }

    fn apply_event(&mut self, ev: PlatformEvent) {
        match ev {
            PlatformEvent::OrderPlaced { order } => {
                self.orders.entry(order.id.clone()).or_insert(TruthOrder {
                    order,
                    cancelled: false,
                    payment: None,
                    successes: Vec::new(),
                    trade_closed: false,
                });
            }
            PlatformEvent::PaymentUpdated(u) => {
                if let Some(o) = self.orders.get_mut(&u.order_id) {
                    if u.trade_state == TradeState::Success {
                        if let Some(tx) = &u.transaction_id {
                            if !o.successes.contains(tx) {
                                o.successes.push(tx.clone());
                            }
                        }
                    }
                    o.payment = Some(u);
                }
            }
            PlatformEvent::OrderCancelled { order_id, .. } => {
                if let Some(o) = self.orders.get_mut(&order_id) {
                    o.cancelled = true;
                }
            }
            PlatformEvent::ItemsAdded {
                order_id,
                items,
                amount_due,
            } => {
                if let Some(o) = self.orders.get_mut(&order_id) {
                    o.order.items.extend(items);
                    o.order.amount_due = amount_due;
                }
            }
        }
    }

    /// Records a report; true when its id is new (apply it), false for a repeat.
    pub(super) fn record_report(&mut self, id: &str, report: &serde_json::Value) -> bool {
        if let Some(r) = self.reports.get_mut(id) {
            r.received += 1;
            return false;
        }
        let kind = report
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or("")
            .to_string();
        let order_id = report
            .get("order_id")
            .or_else(|| report.get("order").and_then(|o| o.get("id")))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        match kind.as_str() {
            "payment.settled" => {
                if let Some(o) = order_id
                    .as_deref()
                    .and_then(|id| self.orders.get_mut(&OrderId(id.into())))
                {
                    o.trade_closed = true;
                }
            }
            "order.placed" => {
                if let Some(order) = report
                    .get("order")
                    .and_then(|o| serde_json::from_value::<Order>(o.clone()).ok())
                {
                    self.counter_orders.push(order);
                }
            }
            _ => {}
        }
        self.reports.insert(
            id.to_string(),
            ReceivedReport {
                kind,
                order_id,
                report: report.clone(),
                received: 1,
            },
        );
        true
    }
}

/// The history file: appended and flushed line by line.
pub(super) struct HistoryFile {
    path: PathBuf,
    file: std::fs::File,
}

impl HistoryFile {
    /// Opens (or creates) the file and reads what is already in it.
    pub(super) fn open(path: &Path) -> std::io::Result<(HistoryFile, Vec<HistoryLine>)> {
        let mut lines = Vec::new();
        if path.exists() {
            let f = std::io::BufReader::new(std::fs::File::open(path)?);
            for (n, line) in f.lines().enumerate() {
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str(&line) {
                    Ok(l) => lines.push(l),
                    // A torn last line (killed mid-write) is dropped; anything else is kept out.
                    Err(e) => {
                        tracing::warn!(line = n + 1, error = %e, "simulator: history line unreadable, skipped")
                    }
                }
            }
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok((
            HistoryFile {
                path: path.to_path_buf(),
                file,
            },
            lines,
        ))
    }

    pub(super) fn append(&mut self, line: &HistoryLine) {
        let mut text = serde_json::to_string(line).unwrap_or_default();
        text.push('\n');
        if let Err(e) = self
            .file
            .write_all(text.as_bytes())
            .and_then(|_| self.file.flush())
        {
            tracing::error!(path = %self.path.display(), error = %e, "simulator: history append failed");
        }
    }
}
