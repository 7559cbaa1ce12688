//! The writer thread: the engine's only writer. It asks the domain to decide
//! each command, stages the events with what follows from them, commits a
//! batch in one transaction, flushes, then publishes. By concern:
//!
//! - `commit`: the loop: group commit, flush, answer, publish.
//! - `dispatch`: which decision a request or command goes to.
//! - `stage`: the batch's view of the store and the writes a command adds.
//! - `staff`, `shift`, `spool`, `counter`: loading what those decisions need
//!   and staging their outcome.
//!
//! This file holds the writer's state and its load from the store.

mod commit;
mod counter;
mod dispatch;
mod keys;
mod shift;
mod spool;
mod staff;
mod stage;

pub(crate) use keys::prune as prune_keys;
pub(crate) use staff::{staff_pins_key, StaffPins};

use super::{Board, EngineConfig, EngineError, EngineStats};
use crate::domain::business_day::business_date;
use crate::domain::job::{JobRecord, JobState};
use crate::domain::{Event, OrderId, OrderState, Staff};
use crate::store::{be_u64, Store};
use chrono::{DateTime, FixedOffset};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, watch};

// Indices into the transaction's tree list.
const LOG: usize = 0;
const ORDERS: usize = 1;
const OPEN: usize = 2;
const BY_DATE: usize = 3;
const OUTBOX: usize = 4;
const OUTBOX_IDS: usize = 5;
const SPOOL: usize = 6;
const QUARANTINE: usize = 7;
const IDEM: usize = 8;
const STAFF: usize = 9;
const META: usize = 10;

/// Everything one command writes, applied in a single transaction.
#[derive(Default)]
struct Writes {
    puts: Vec<(usize, Vec<u8>, Option<Vec<u8>>)>,
    events: Vec<Event>,
    orders: Vec<OrderState>,
    jobs: Vec<JobRecord>,
    reports: Vec<String>,
    outbox_delta: isize,
    quarantine_delta: usize,
    cursor: Option<u64>,
}

impl Writes {
    fn put(&mut self, tree: usize, key: impl Into<Vec<u8>>, val: Vec<u8>) {
        self.puts.push((tree, key.into(), Some(val)));
    }
    fn del(&mut self, tree: usize, key: impl Into<Vec<u8>>) {
        self.puts.push((tree, key.into(), None));
    }
}

pub(super) struct Writer {
    store: Arc<Store>,
    cfg: EngineConfig,
    board: Arc<RwLock<Board>>,
    events_tx: broadcast::Sender<Arc<Event>>,
    jobs_tx: broadcast::Sender<Arc<JobRecord>>,
    stats_tx: watch::Sender<EngineStats>,
    /// Open orders and today's closed ones: the writer's working set.
    orders: HashMap<OrderId, OrderState>,
    /// Recently bumped orders, most recent last (for recall).
    bumped: Vec<OrderId>,
    next_event: u64,
    next_outbox: u64,
    next_job: u64,
    next_quarantine: u64,
    cursor: u64,
    stats: EngineStats,
    /// Writes of the current batch, not yet in sled: reads look here first,
    /// and the whole batch commits in one transaction before the flush.
    pending: HashMap<(usize, Vec<u8>), Option<Vec<u8>>>,
    pending_orders: Vec<OrderState>,
    pending_jobs: Vec<JobRecord>,
    /// Events committed as a side effect of a refused command (wrong PINs).
    side_events: Vec<Event>,
    /// The device the command being decided came from, and its PINs as
    /// checked before the writer.
    device: String,
    verdicts: crate::engine::pins::Verdicts,
}

impl Writer {
    pub(super) fn load(
        store: Arc<Store>,
        cfg: EngineConfig,
        board: Arc<RwLock<Board>>,
        events_tx: broadcast::Sender<Arc<Event>>,
        jobs_tx: broadcast::Sender<Arc<JobRecord>>,
        stats_tx: watch::Sender<EngineStats>,
    ) -> Result<Writer, EngineError> {
        let mut orders = HashMap::new();
        for o in store.open_orders()? {
            orders.insert(o.order.id.clone(), o);
        }
        let today = business_date(&cfg.clock.now(), cfg.tz);
        for o in store.orders_on(&today)? {
            orders.entry(o.order.id.clone()).or_insert(o);
        }
        let mut bumped: Vec<(DateTime<FixedOffset>, OrderId)> = orders
            .values()
            .filter_map(|o| o.bumped_at.map(|b| (b, o.order.id.clone())))
            .collect();
        bumped.sort();
        let last_event = store.last_event_id()?;
        let next_outbox = match store.outbox.last()? {
            Some((k, _)) => be_u64(&k) + 1,
            None => store.meta_u64("next_outbox")?.max(1),
        };
        let next_job = store.meta_u64("next_job")?.max(1);
        let next_quarantine = store.meta_u64("next_quarantine")?.max(1);
        let cursor = store.cursor()?;
        let queued_jobs = store
            .jobs()?
            .iter()
            .filter(|j| j.state == JobState::Queued)
            .count();
        let stats = EngineStats {
            last_event,
            cursor,
            outbox: store.outbox.len(),
            quarantined: store.quarantine.len(),
            queued_jobs,
            flushes: 0,
        };
        {
            let mut b = board.write().unwrap_or_else(|e| e.into_inner());
            *b = orders.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        }
        let _ = stats_tx.send(stats.clone());
        Ok(Writer {
            store,
            cfg,
            board,
            events_tx,
            jobs_tx,
            stats_tx,
            orders,
            bumped: bumped.into_iter().map(|(_, id)| id).collect(),
            next_event: last_event + 1,
            next_outbox,
            next_job,
            next_quarantine,
            cursor,
            stats,
            pending: HashMap::new(),
            pending_orders: Vec::new(),
            pending_jobs: Vec::new(),
            side_events: Vec::new(),
            device: crate::engine::CONSOLE_DEVICE.to_string(),
            verdicts: Default::default(),
        })
    }

    /// After a failed write or flush: forget the batch and reload the
    /// working set from what sled holds.
    pub(super) fn reload(&mut self) {
        self.pending.clear();
        self.pending_orders.clear();
        self.pending_jobs.clear();
        self.side_events.clear();
        match Writer::load(
            self.store.clone(),
            self.cfg.clone(),
            self.board.clone(),
            self.events_tx.clone(),
            self.jobs_tx.clone(),
            self.stats_tx.clone(),
        ) {
            Ok(w) => *self = w,
            Err(e) => {
                tracing::error!(error = %e, "cannot reload the engine state after a failed write")
            }
        }
    }

    pub(super) fn now(&self) -> DateTime<FixedOffset> {
        self.cfg.clock.now()
    }
}

/// Refuses a staff member whose role does not allow the command.
pub(super) fn need_role(s: &Staff, allowed: bool, needed: &str) -> Result<(), EngineError> {
    if allowed {
        Ok(())
    } else {
        Err(crate::domain::refusal::forbidden(s, needed).into())
    }
}
