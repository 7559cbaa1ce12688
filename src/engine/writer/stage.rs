//! Staging: the current batch as reads see it (pending writes over sled),
//! the writes one command adds (events with their projections, reports and
//! print jobs), and the single transaction that puts a batch into sled.

use super::{
    Writer, Writes, BY_DATE, IDEM, LOG, META, OPEN, ORDERS, OUTBOX, OUTBOX_IDS, QUARANTINE, SPOOL,
    STAFF,
};
use crate::domain::business_day::business_date;
use crate::domain::job::{JobRecord, JobState};
use crate::domain::report::{reports_for, Report};
use crate::domain::{Actor, Event, EventBody, OrderId, OrderState};
use crate::engine::EngineError;
use crate::store::{be_u64, date_key, decode, encode, OutboxEntry};
use chrono::{DateTime, FixedOffset};
use std::collections::HashMap;

impl Writer {
    /// Reads a key as the current batch sees it.
    pub(super) fn get(&self, tree: usize, key: &[u8]) -> Result<Option<Vec<u8>>, EngineError> {
        if let Some(v) = self.pending.get(&(tree, key.to_vec())) {
            return Ok(v.clone());
        }
        let s = &self.store;
        let t = match tree {
            LOG => &s.log,
            ORDERS => &s.orders,
            OPEN => &s.open,
            BY_DATE => &s.by_date,
            OUTBOX => &s.outbox,
            OUTBOX_IDS => &s.outbox_ids,
            SPOOL => &s.spool,
            QUARANTINE => &s.quarantine,
            IDEM => &s.idem,
            STAFF => &s.staff,
            _ => &s.meta,
        };
        Ok(t.get(key)?.map(|v| v.to_vec()))
    }

    pub(super) fn job(&self, job: u64) -> Result<Option<JobRecord>, EngineError> {
        Ok(self
            .get(SPOOL, &job.to_be_bytes())?
            .map(|v| decode(&v))
            .transpose()?)
    }

    /// Every job, as the current batch sees them.
    pub(super) fn all_jobs(&self) -> Result<Vec<JobRecord>, EngineError> {
        let mut jobs: std::collections::BTreeMap<u64, JobRecord> =
            self.store.jobs()?.into_iter().map(|j| (j.job, j)).collect();
        for ((tree, key), v) in &self.pending {
            if *tree == SPOOL {
                match v {
                    Some(v) => {
                        jobs.insert(be_u64(key), decode(v)?);
                    }
                    None => {
                        jobs.remove(&be_u64(key));
                    }
                }
            }
        }
        Ok(jobs.into_values().collect())
    }

    pub(super) fn load_order(&self, id: &OrderId) -> Result<Option<OrderState>, EngineError> {
        if let Some(o) = self.orders.get(id) {
            return Ok(Some(o.clone()));
        }
        if let Some(v) = self.get(ORDERS, id.0.as_bytes())? {
            return Ok(Some(decode(&v)?));
        }
        // Its day may be archived already (a late cancellation or refund):
        // the event then makes it live again (live wins over the archive).
        Ok(self.store.archived_order(&id.0)?)
    }

    /// The events after `after` of these kinds (their stored `type` tag),
    /// as the current batch sees the log. A cheap byte test spares decoding
    /// the rest; a false match (the tag inside a note) only costs a decode.
    pub(super) fn log_of_kinds_after(
        &self,
        after: u64,
        kinds: &[&str],
    ) -> Result<Vec<Event>, EngineError> {
        let tags: Vec<String> = kinds.iter().map(|k| format!(r#""type":"{k}""#)).collect();
        let keep = |raw: &[u8]| {
            tags.iter()
                .any(|t| raw.windows(t.len()).any(|w| w == t.as_bytes()))
        };
        let mut out = std::collections::BTreeMap::new();
        for kv in self.store.log.range((after + 1).to_be_bytes()..) {
            let (k, v) = kv?;
            if keep(&v) {
                out.insert(be_u64(&k), decode::<Event>(&v)?);
            }
        }
        for ((tree, key), v) in &self.pending {
            if *tree == LOG && be_u64(key) > after {
                if let Some(v) = v.as_ref().filter(|v| keep(v)) {
                    out.insert(be_u64(key), decode::<Event>(v)?);
                }
            }
        }
        Ok(out.into_values().collect())
    }

    /// Adds events to the commit with everything that follows from them:
    /// the order projection, the open and date indexes, reports and print jobs.
    pub(super) fn add_events(
        &mut self,
        w: &mut Writes,
        actor: Actor,
        bodies: Vec<EventBody>,
        now: DateTime<FixedOffset>,
    ) -> Result<(), EngineError> {
        // Orders touched by this commit, as they stand mid-commit.
        let mut touched: HashMap<OrderId, OrderState> = HashMap::new();
        for body in bodies {
            let id = self.next_event + w.events.len() as u64;
            let ev = Event {
                id,
                at: now,
                actor: actor.clone(),
                body,
            };
            let (before, after) = match ev.body.order_id() {
                Some(oid) => {
                    let before = match touched.get(oid) {
                        Some(o) => Some(o.clone()),
                        None => self.load_order(oid)?,
                    };
                    let after = match (&before, &ev.body) {
                        (None, EventBody::OrderPlaced { order }) => {
                            let date = business_date(&order.placed_at, self.cfg.tz);
                            w.put(BY_DATE, date_key(&date, &order.id), Vec::new());
                            let mut st = OrderState::new(order.clone(), id, now);
                            st.apply(id, now, &ev.body);
                            Some(st)
                        }
                        (Some(b), _) => {
                            let mut st = b.clone();
                            st.apply(id, now, &ev.body);
                            Some(st)
                        }
                        (None, _) => None,
                    };
                    (before, after)
                }
                None => (None, None),
            };
            for report in reports_for(&ev.body, after.as_ref(), now) {
                self.push_report(w, report, id, now);
            }
            let mut planned = self.cfg.routes.plan(&ev, before.as_ref(), after.as_ref());
            if let EventBody::ReprintRequested { order_id, job } = &ev.body {
                planned.extend(self.plan_reprint(order_id, *job, after.as_ref())?);
            }
            if let Some(a) = after {
                touched.insert(a.order.id.clone(), a);
            }
            for (printer, doc) in planned {
                let j = self.new_job(&printer, doc, id, now);
                w.put(SPOOL, j.job.to_be_bytes().to_vec(), encode(&j));
                w.jobs.push(j);
            }
            w.put(LOG, id.to_be_bytes().to_vec(), encode(&ev));
            w.events.push(ev);
        }
        for (oid, st) in touched {
            w.put(ORDERS, oid.0.clone().into_bytes(), encode(&st));
            if st.is_open() {
                w.put(OPEN, oid.0.clone().into_bytes(), Vec::new());
            } else {
                w.del(OPEN, oid.0.clone().into_bytes());
            }
            w.orders.push(st);
        }
        Ok(())
    }

    /// Puts a report into the outbox; its id (a ULID) is the platform's
    /// idempotency key, so a re-send never acts twice.
    pub(super) fn push_report(
        &mut self,
        w: &mut Writes,
        report: Report,
        event_id: u64,
        now: DateTime<FixedOffset>,
    ) {
        let seq = self.next_outbox;
        self.next_outbox += 1;
        let rid = ulid::Ulid::new().to_string();
        let entry = OutboxEntry {
            seq,
            id: rid.clone(),
            report,
            event_id,
            created_at: now,
        };
        w.put(OUTBOX, seq.to_be_bytes().to_vec(), encode(&entry));
        w.put(
            OUTBOX_IDS,
            rid.clone().into_bytes(),
            seq.to_be_bytes().to_vec(),
        );
        w.put(META, "next_outbox", self.next_outbox.to_be_bytes().to_vec());
        w.reports.push(rid);
        w.outbox_delta += 1;
    }

    /// Adds a command's writes to the batch and updates the working set;
    /// the batch is written and flushed as one before anyone hears "done".
    pub(super) fn stage(&mut self, mut w: Writes) {
        if let Some(c) = w.cursor {
            w.put(META, "cursor", c.to_be_bytes().to_vec());
        }
        if !w.jobs.is_empty() {
            w.put(META, "next_job", self.next_job.to_be_bytes().to_vec());
        }
        for (tree, key, val) in std::mem::take(&mut w.puts) {
            self.pending.insert((tree, key), val);
        }
        self.next_event += w.events.len() as u64;
        if let Some(c) = w.cursor {
            self.cursor = c;
        }
        let today = business_date(&self.now(), self.cfg.tz);
        for st in w.orders {
            let keep = st.is_open() || business_date(&st.order.placed_at, self.cfg.tz) == today;
            if st.bumped_at.is_some() {
                self.bumped.retain(|id| *id != st.order.id);
                self.bumped.push(st.order.id.clone());
                if self.bumped.len() > 64 {
                    self.bumped.remove(0);
                }
            }
            if keep {
                self.orders.insert(st.order.id.clone(), st.clone());
            } else {
                self.orders.remove(&st.order.id);
            }
            self.pending_orders.push(st);
        }
        self.stats.last_event = self.next_event - 1;
        self.stats.cursor = self.cursor;
        self.stats.outbox = (self.stats.outbox as isize + w.outbox_delta).max(0) as usize;
        self.stats.quarantined += w.quarantine_delta;
        for j in w.jobs {
            match j.state {
                JobState::Queued if j.attempts == 0 && j.last_error.is_none() => {
                    self.stats.queued_jobs += 1
                }
                JobState::Done | JobState::Moved => {
                    self.stats.queued_jobs = self.stats.queued_jobs.saturating_sub(1)
                }
                _ => {}
            }
            self.pending_jobs.push(j);
        }
    }

    /// Puts the batch's writes into sled in one transaction over the trees
    /// they touch (a sled transaction costs per tree).
    pub(super) fn write_pending(&mut self) -> Result<(), EngineError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.store.fault.check()?;
        let s = &self.store;
        let all = [
            &s.log,
            &s.orders,
            &s.open,
            &s.by_date,
            &s.outbox,
            &s.outbox_ids,
            &s.spool,
            &s.quarantine,
            &s.idem,
            &s.staff,
            &s.meta,
        ];
        let mut slot = [usize::MAX; 11];
        let mut trees = Vec::with_capacity(11);
        for (tree, _) in self.pending.keys() {
            if slot[*tree] == usize::MAX {
                slot[*tree] = trees.len();
                trees.push(all[*tree]);
            }
        }
        let pending = &self.pending;
        use sled::Transactional;
        trees
            .as_slice()
            .transaction(|t| {
                for ((tree, key), val) in pending {
                    let tt = &t[slot[*tree]];
                    match val {
                        Some(v) => {
                            tt.insert(key.as_slice(), v.as_slice())?;
                        }
                        None => {
                            tt.remove(key.as_slice())?;
                        }
                    }
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(EngineError::from)?;
        self.pending.clear();
        Ok(())
    }

    /// Shows the batch's orders on the board (after the flush).
    pub(super) fn publish_board(&mut self) {
        if self.pending_orders.is_empty() {
            return;
        }
        let mut board = self.board.write().unwrap_or_else(|e| e.into_inner());
        for st in self.pending_orders.drain(..) {
            if self.orders.contains_key(&st.order.id) {
                board.insert(st.order.id.clone(), st);
            } else {
                board.remove(&st.order.id);
            }
        }
    }
}
