//! The writer thread: decides, commits in one transaction, flushes a batch, publishes.

use super::clock::business_date;
use super::{pins, Board, Committed, EngineConfig, EngineError, EngineStats, Op, Request};
use crate::domain::report::{reports_for, Report};
use crate::domain::shift::{self, shift_key, DrawerCount, ShiftRecord};
use crate::domain::staff::{locked_for, pin_is_well_formed, wrong_pin};
use crate::domain::{
    Actor, Approval, Command, Event, EventBody, Fen, OrderId, OrderState, PlatformOutcome, Refusal,
    Staff, StaffId,
};
use crate::print::job::JobDoc;
use crate::store::{
    be_u64, date_key, decode, encode, JobRecord, JobState, OutboxEntry, QuarantinedFrame,
    StaffRecord, Store, StoreError,
};
use chrono::{DateTime, FixedOffset};
use std::collections::HashMap;
use std::sync::{mpsc, Arc, RwLock};
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
        })
    }

    /// Reads a key as the current batch sees it.
    fn get(&self, tree: usize, key: &[u8]) -> Result<Option<Vec<u8>>, EngineError> {
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

    fn job(&self, job: u64) -> Result<Option<JobRecord>, EngineError> {
        Ok(self
            .get(SPOOL, &job.to_be_bytes())?
            .map(|v| decode(&v))
            .transpose()?)
    }

    /// Every job, as the current batch sees them.
    fn all_jobs(&self) -> Result<Vec<JobRecord>, EngineError> {
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

    /// Puts the batch's writes into sled in one transaction over the trees
    /// they touch (a sled transaction costs per tree).
    fn write_pending(&mut self) -> Result<(), EngineError> {
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

    /// After a failed write or flush: forget the batch and reload the
    /// working set from what sled holds.
    fn reload(&mut self) {
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

    pub(super) fn run(&mut self, rx: mpsc::Receiver<Request>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            // Group commit: take what is waiting; while more keeps arriving
            // (callers refilling a pipeline), yield briefly and take that too,
            // so one flush covers them. Alone, a command waits for no one.
            let mut idle_rounds = 0;
            while batch.len() < 1024 && idle_rounds < 3 {
                match rx.try_recv() {
                    Ok(r) => {
                        batch.push(r);
                        idle_rounds = 0;
                    }
                    Err(_) if batch.len() == 1 => break,
                    Err(_) => {
                        idle_rounds += 1;
                        std::thread::yield_now();
                    }
                }
            }
            let mut done = Vec::with_capacity(batch.len());
            let mut stop = false;
            for req in batch {
                if matches!(req.op, Op::Stop) || stop {
                    stop = true;
                    let _ = req.reply.send(Err(EngineError::Stopped));
                    continue;
                }
                let res = self.process(req.op);
                done.push((req.reply, res));
            }
            let written = self
                .write_pending()
                .and_then(|()| self.store.flush().map_err(EngineError::from));
            if let Err(e) = &written {
                tracing::error!(error = %e, "commit failed: the batch is not durable and was refused");
                let detail = match e {
                    EngineError::Store(StoreError::WriteFailed { detail }) => detail.clone(),
                    e => e.to_string(),
                };
                for (reply, res) in done {
                    let _ = reply.send(match res {
                        Ok(_) => Err(EngineError::Store(StoreError::WriteFailed {
                            detail: detail.clone(),
                        })),
                        r => r,
                    });
                }
                self.reload();
                continue;
            }
            self.stats.flushes += 1;
            self.publish_board();
            for j in std::mem::take(&mut self.pending_jobs) {
                let _ = self.jobs_tx.send(Arc::new(j));
            }
            for ev in std::mem::take(&mut self.side_events) {
                let _ = self.events_tx.send(Arc::new(ev));
            }
            for (reply, res) in done {
                if let Ok(c) = &res {
                    for ev in &c.events {
                        let _ = self.events_tx.send(Arc::new(ev.clone()));
                    }
                }
                let _ = reply.send(res);
            }
            let _ = self.stats_tx.send(self.stats.clone());
            if stop {
                break;
            }
        }
        if let Err(e) = self.store.flush() {
            tracing::error!(error = %e, "final flush failed");
        }
    }

    fn now(&self) -> DateTime<FixedOffset> {
        self.cfg.clock.now()
    }

    fn process(&mut self, op: Op) -> Result<Committed, EngineError> {
        match op {
            Op::Stop => Err(EngineError::Stopped),
            Op::Command { key, cmd } => {
                if let Some(k) = &key {
                    if let Some(v) = self.get(IDEM, k.as_bytes())? {
                        let mut c: Committed = decode(&v)?;
                        c.replay = true;
                        return Ok(c);
                    }
                }
                let mut w = self.command(*cmd)?;
                let committed = Committed {
                    events: w.events.clone(),
                    reports: w.reports.clone(),
                    jobs: w.jobs.iter().map(|j| j.job).collect(),
                    replay: false,
                };
                if let Some(k) = key {
                    if !committed.events.is_empty() {
                        w.put(IDEM, k.into_bytes(), encode(&committed));
                    }
                }
                self.stage(w);
                Ok(committed)
            }
            Op::SpoolAttempt { job } => self.spool_update(job, |j, _| {
                j.attempts += 1;
            }),
            Op::SpoolDone { job } => self.spool_update(job, |j, now| {
                j.state = JobState::Done;
                j.printed_at = Some(now);
                j.last_error = None;
            }),
            Op::SpoolFailed {
                job,
                error,
                interrupted,
            } => self.spool_update(job, move |j, _| {
                j.last_error = Some(error.clone());
                j.interrupted |= interrupted;
            }),
            Op::SpoolMove { from, to, approval } => {
                let mut w = Writes::default();
                self.move_queue(&mut w, from, to, &approval)?;
                let committed = Committed {
                    events: w.events.clone(),
                    jobs: w.jobs.iter().map(|j| j.job).collect(),
                    ..Committed::default()
                };
                self.stage(w);
                Ok(committed)
            }
            Op::Archive { plan } => {
                self.write_pending()?;
                self.store.commit_archive(&plan)?;
                Ok(Committed::default())
            }
            Op::SpoolAdd { printer, doc } => {
                let mut w = Writes::default();
                let j = self.new_job(&printer, *doc, 0, self.now());
                w.put(SPOOL, j.job.to_be_bytes().to_vec(), encode(&j));
                w.jobs.push(j);
                let committed = Committed {
                    jobs: w.jobs.iter().map(|j| j.job).collect(),
                    ..Committed::default()
                };
                self.stage(w);
                Ok(committed)
            }
        }
    }

    /// Moves every waiting job of `from` to `to`: each old job is marked
    /// moved and a copy queued on `to` (marked a possible duplicate when a
    /// send had started), with a `QueueMoved` event naming the approver.
    fn move_queue(
        &mut self,
        w: &mut Writes,
        from: String,
        to: String,
        approval: &Approval,
    ) -> Result<(), EngineError> {
        let approver = self.check_pin(&approval.staff_id, &approval.pin)?;
        need_role(&approver, approver.role.may_approve(), "manager to approve")?;
        let known = |name: &str| self.cfg.routes.printers.iter().any(|p| p.name == name);
        for name in [&from, &to] {
            if !self.cfg.routes.printers.is_empty() && !known(name) {
                return Err(Refusal::UnknownPrinter { name: name.clone() }.into());
            }
        }
        let now = self.now();
        let mut moved_jobs = Vec::new();
        for mut j in self.all_jobs()? {
            if j.printer != from || j.state != JobState::Queued {
                continue;
            }
            j.state = JobState::Moved;
            w.put(SPOOL, j.job.to_be_bytes().to_vec(), encode(&j));
            let doc = if j.interrupted || j.attempts > 0 {
                JobDoc::Reprint {
                    of_job: j.job,
                    original_at: j.created_at,
                    possible_duplicate: true,
                    doc: Box::new(j.doc.clone()),
                }
            } else {
                j.doc.clone()
            };
            let moved = self.new_job(&to, doc, j.event_id, now);
            w.put(SPOOL, moved.job.to_be_bytes().to_vec(), encode(&moved));
            moved_jobs.push(moved.job);
            w.jobs.push(j);
            w.jobs.push(moved);
        }
        self.add_events(
            w,
            Actor::Staff {
                id: approver.id.clone(),
            },
            vec![EventBody::QueueMoved {
                from,
                to,
                approver: approver.id,
                jobs: moved_jobs,
            }],
            now,
        )
    }

    fn spool_update(
        &mut self,
        job: u64,
        f: impl FnOnce(&mut JobRecord, DateTime<FixedOffset>),
    ) -> Result<Committed, EngineError> {
        let Some(mut j) = self.job(job)? else {
            return Ok(Committed::default());
        };
        f(&mut j, self.now());
        let mut w = Writes::default();
        w.put(SPOOL, job.to_be_bytes().to_vec(), encode(&j));
        w.jobs.push(j);
        self.stage(w);
        Ok(Committed {
            jobs: vec![job],
            ..Committed::default()
        })
    }

    fn new_job(
        &mut self,
        printer: &str,
        doc: JobDoc,
        event_id: u64,
        now: DateTime<FixedOffset>,
    ) -> JobRecord {
        let job = self.next_job;
        self.next_job += 1;
        JobRecord {
            job,
            printer: printer.to_string(),
            doc,
            event_id,
            created_at: now,
            state: JobState::Queued,
            attempts: 0,
            interrupted: false,
            last_error: None,
            printed_at: None,
        }
    }

    /// Turns a command into the writes that commit it, or a refusal.
    fn command(&mut self, cmd: Command) -> Result<Writes, EngineError> {
        let now = self.now();
        let mut w = Writes::default();
        match cmd {
            Command::Platform { seq, event } => {
                self.check_seq(seq)?;
                if seq <= self.cursor {
                    return Ok(w);
                }
                w.cursor = Some(seq);
                let order = self.load_order(event.order_id())?;
                match self.cfg.rules.platform(order.as_ref(), &event) {
                    PlatformOutcome::Events(bodies) => {
                        self.add_events(&mut w, Actor::Platform { seq }, bodies, now)?;
                    }
                    PlatformOutcome::Quarantine(error) => {
                        let raw = serde_json::to_string(&event).unwrap_or_default();
                        self.quarantine(&mut w, Some(seq), raw, error, now)?;
                    }
                }
            }
            Command::Quarantine { seq, raw, error } => {
                if let Some(seq) = seq {
                    self.check_seq(seq)?;
                    if seq <= self.cursor {
                        return Ok(w);
                    }
                    w.cursor = Some(seq);
                }
                self.quarantine(&mut w, seq, raw, error, now)?;
            }
            Command::ReportAcked { report_id } => {
                if let Some(k) = self.get(OUTBOX_IDS, report_id.as_bytes())? {
                    w.del(OUTBOX, k.to_vec());
                    w.del(OUTBOX_IDS, report_id.clone().into_bytes());
                    w.outbox_delta -= 1;
                    self.add_events(
                        &mut w,
                        Actor::Console,
                        vec![EventBody::ReportAcked { report_id }],
                        now,
                    )?;
                }
            }
            Command::AddStaff {
                staff_id,
                name,
                role,
                pin,
            } => {
                if self.get(STAFF, staff_id.0.as_bytes())?.is_some() {
                    return Err(Refusal::StaffExists {
                        staff_id: staff_id.0,
                    }
                    .into());
                }
                if !pin_is_well_formed(&pin) {
                    return Err(Refusal::BadPin.into());
                }
                let rec = StaffRecord {
                    staff: Staff {
                        id: staff_id.clone(),
                        name: name.clone(),
                        role,
                        active: true,
                    },
                    pin_hash: pins::hash_pin(&pin),
                    failures: 0,
                    locked_until: None,
                };
                w.put(STAFF, staff_id.0.clone().into_bytes(), encode(&rec));
                self.add_events(
                    &mut w,
                    Actor::Console,
                    vec![EventBody::StaffAdded {
                        staff_id,
                        name,
                        role,
                    }],
                    now,
                )?;
            }
            Command::DisableStaff { staff_id } => {
                let mut rec = self.staff_record(&staff_id)?;
                rec.staff.active = false;
                w.put(STAFF, staff_id.0.clone().into_bytes(), encode(&rec));
                self.add_events(
                    &mut w,
                    Actor::Console,
                    vec![EventBody::StaffDisabled { staff_id }],
                    now,
                )?;
            }
            Command::SetPin { staff_id, pin } => {
                if !pin_is_well_formed(&pin) {
                    return Err(Refusal::BadPin.into());
                }
                let mut rec = self.staff_record(&staff_id)?;
                rec.pin_hash = pins::hash_pin(&pin);
                rec.failures = 0;
                rec.locked_until = None;
                w.put(STAFF, staff_id.0.clone().into_bytes(), encode(&rec));
                self.add_events(
                    &mut w,
                    Actor::Console,
                    vec![EventBody::PinChanged { staff_id }],
                    now,
                )?;
            }
            Command::MoveQueue {
                staff_id,
                from,
                to,
                approval,
            } => {
                let staff = self.active_staff(&staff_id)?;
                need_role(&staff, staff.role.may_take_money(), "cashier or a manager")?;
                self.move_queue(&mut w, from, to, &approval)?;
            }
            Command::SignIn { staff_id, pin } => {
                self.check_pin(&staff_id, &pin)?;
            }
            Command::OpenShift {
                staff_id,
                pin,
                float,
            } => self.open_shift(&mut w, &staff_id, pin.as_deref(), float, now)?,
            Command::CloseShift {
                staff_id,
                approval,
                count,
                confirm_open_issues,
            } => self.close_shift(
                &mut w,
                &staff_id,
                &approval,
                count,
                confirm_open_issues,
                now,
            )?,
            Command::PlaceCounterOrder {
                staff_id,
                store_id,
                device_id,
                ticket,
            } => {
                let staff = self.active_staff(&staff_id)?;
                let order =
                    self.number_counter_order(&mut w, &store_id, &device_id, ticket, now)?;
                let bodies = self.cfg.rules.counter_order(order, &staff)?;
                self.add_events(&mut w, Actor::Staff { id: staff.id }, bodies, now)?;
            }
            cmd => {
                let staff_id = cmd
                    .staff_id()
                    .cloned()
                    .expect("every store command names its staff member");
                let staff = match pin_of(&cmd) {
                    Some(pin) => self.check_pin(&staff_id, pin)?,
                    None => self.active_staff(&staff_id)?,
                };
                let approver = match approval_of(&cmd) {
                    Some(a) => Some(self.check_pin(&a.staff_id, &a.pin)?),
                    None => None,
                };
                let cmd = match cmd {
                    Command::Recall {
                        staff_id,
                        order_id: None,
                    } => Command::Recall {
                        staff_id,
                        order_id: self.last_bumped(),
                    },
                    c => c,
                };
                let order_id = order_of(&cmd);
                let order = match &order_id {
                    Some(id) => self.load_order(id)?,
                    None => None,
                };
                let bodies =
                    self.cfg
                        .rules
                        .store(order.as_ref(), &cmd, &staff, approver.as_ref())?;
                self.add_events(&mut w, Actor::Staff { id: staff.id }, bodies, now)?;
                if let Command::CollectPayCode { auth_code, .. } = &cmd {
                    self.collect_report(&mut w, auth_code, now);
                }
            }
        }
        Ok(w)
    }

    /// The shift now open, if any (`meta` key `shift_open` names it).
    fn open_shift_record(&self) -> Result<Option<ShiftRecord>, EngineError> {
        let Some(n) = self.get(META, b"shift_open")? else {
            return Ok(None);
        };
        Ok(self
            .get(META, &shift_key(be_u64(&n)))?
            .map(|v| decode(&v))
            .transpose()?)
    }

    fn open_shift(
        &mut self,
        w: &mut Writes,
        staff_id: &StaffId,
        pin: Option<&str>,
        float: Fen,
        now: DateTime<FixedOffset>,
    ) -> Result<(), EngineError> {
        let staff = match pin {
            Some(p) => self.check_pin(staff_id, p)?,
            None => self.active_staff(staff_id)?,
        };
        shift::may_run_shift(&staff)?;
        if let Some(open) = self.open_shift_record()? {
            return Err(Refusal::ShiftOpen { shift: open.number }.into());
        }
        shift::check_float(float)?;
        let number = self
            .get(META, b"shift_seq")?
            .map(|v| be_u64(&v))
            .unwrap_or(0)
            + 1;
        let mut carried: Vec<OrderState> = self
            .orders
            .values()
            .filter(|o| o.is_open())
            .cloned()
            .collect();
        carried.sort_by(|a, b| a.order.id.cmp(&b.order.id));
        let opened_event = self.next_event + w.events.len() as u64;
        self.add_events(
            w,
            Actor::Staff {
                id: staff.id.clone(),
            },
            vec![EventBody::ShiftOpened {
                shift: number,
                by: staff.id.clone(),
                float,
                carried,
            }],
            now,
        )?;
        let rec = ShiftRecord {
            number,
            opened_by: staff.id,
            opened_at: now,
            opened_event,
            float,
            closed_at: None,
            closed_event: None,
        };
        w.put(META, shift_key(number), encode(&rec));
        w.put(META, "shift_seq", number.to_be_bytes().to_vec());
        w.put(META, "shift_open", number.to_be_bytes().to_vec());
        tracing::info!(shift = number, float = %float, "shift opened");
        Ok(())
    }

    fn close_shift(
        &mut self,
        w: &mut Writes,
        staff_id: &StaffId,
        approval: &Approval,
        count: DrawerCount,
        confirm_open_issues: bool,
        now: DateTime<FixedOffset>,
    ) -> Result<(), EngineError> {
        let staff = self.active_staff(staff_id)?;
        shift::may_run_shift(&staff)?;
        let approver = self.check_pin(&approval.staff_id, &approval.pin)?;
        shift::may_approve_close(&approver)?;
        let Some(mut rec) = self.open_shift_record()? else {
            return Err(Refusal::NoShiftOpen.into());
        };
        // Decode only what may move cash: the rest of a day's log is
        // thousands of events (docs/performance.md, "Reports").
        let window = self.log_of_kinds_after(rec.opened_event, &EventBody::CASH_KINDS)?;
        let closed = shift::close(
            &rec,
            &staff.id,
            &approver.id,
            self.orders.values().filter(|o| o.is_open()),
            window.iter(),
            count,
            confirm_open_issues,
        )?;
        let (expected, counted) = match &closed {
            EventBody::ShiftClosed {
                expected, counted, ..
            } => (*expected, *counted),
            _ => (Fen::ZERO, Fen::ZERO),
        };
        let closed_event = self.next_event + w.events.len() as u64;
        self.add_events(w, Actor::Staff { id: staff.id }, vec![closed], now)?;
        rec.closed_at = Some(now);
        rec.closed_event = Some(closed_event);
        w.put(META, shift_key(rec.number), encode(&rec));
        w.del(META, "shift_open");
        tracing::info!(shift = rec.number, expected = %expected, counted = %counted, "shift closed");
        Ok(())
    }

    /// The events after `after` of these kinds (their stored `type` tag),
    /// as the current batch sees the log. A cheap byte test spares decoding
    /// the rest; a false match (the tag inside a note) only costs a decode.
    fn log_of_kinds_after(&self, after: u64, kinds: &[&str]) -> Result<Vec<Event>, EngineError> {
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

    /// Gives a counter order its id and pickup number from durable counters
    /// in the meta tree: `{store}-{device}-{seq:06}` and `C001`… (daily).
    fn number_counter_order(
        &self,
        w: &mut Writes,
        store_id: &str,
        device_id: &str,
        ticket: crate::domain::command::CounterTicket,
        now: DateTime<FixedOffset>,
    ) -> Result<crate::domain::Order, EngineError> {
        let read = |v: Option<Vec<u8>>| v.filter(|v| v.len() == 8).map(|v| be_u64(&v)).unwrap_or(0);
        let seq = read(self.get(META, b"counter_seq")?) + 1;
        let day = business_date(&now, self.cfg.tz);
        let pickup_key = format!("counter_pickup:{day}");
        let pickup = read(self.get(META, pickup_key.as_bytes())?) % 999 + 1;
        w.put(META, "counter_seq", seq.to_be_bytes().to_vec());
        w.put(META, pickup_key, pickup.to_be_bytes().to_vec());
        let amount_due = ticket.items.iter().map(|i| i.total()).sum();
        Ok(crate::domain::Order {
            id: OrderId(format!("{store_id}-{device_id}-{seq:06}")),
            pickup_no: format!("C{pickup:03}"),
            table: ticket.table,
            channel: crate::domain::Channel::Counter,
            dining: ticket.dining,
            placed_at: now,
            currency: "CNY".into(),
            amount_due,
            note: ticket.note,
            items: ticket.items,
        })
    }

    /// The `payment.collect` report for the scan just committed: the only
    /// place the full pay code is written (docs/counter.md "Pay codes").
    fn collect_report(
        &mut self,
        w: &mut Writes,
        auth_code: &crate::domain::AuthCode,
        now: DateTime<FixedOffset>,
    ) {
        let scanned = w.events.iter().find_map(|e| match &e.body {
            EventBody::PayCodeScanned {
                order_id,
                channel,
                amount,
                ..
            } => Some((e.id, order_id.clone(), *channel, *amount)),
            _ => None,
        });
        if let Some((event_id, order_id, channel, amount)) = scanned {
            let report = Report::PaymentCollect {
                order_id,
                auth_code: auth_code.0.clone(),
                amount,
                channel,
                at: now,
            };
            self.push_report(w, report, event_id, now);
        }
    }

    fn check_seq(&self, seq: u64) -> Result<(), EngineError> {
        if seq > self.cursor + 1 {
            return Err(EngineError::Gap {
                cursor: self.cursor,
                seq,
            });
        }
        Ok(())
    }

    fn last_bumped(&self) -> Option<OrderId> {
        self.bumped
            .iter()
            .rev()
            .find(|id| self.orders.get(*id).is_some_and(|o| o.bumped_at.is_some()))
            .cloned()
    }

    fn quarantine(
        &mut self,
        w: &mut Writes,
        seq: Option<u64>,
        raw: String,
        error: String,
        now: DateTime<FixedOffset>,
    ) -> Result<(), EngineError> {
        let id = self.next_quarantine;
        self.next_quarantine += 1;
        let q = QuarantinedFrame {
            id,
            at: now,
            seq,
            raw,
            error: error.clone(),
        };
        tracing::warn!(seq, error = %error, "frame quarantined");
        w.put(QUARANTINE, id.to_be_bytes().to_vec(), encode(&q));
        w.put(
            META,
            "next_quarantine",
            self.next_quarantine.to_be_bytes().to_vec(),
        );
        w.quarantine_delta += 1;
        let actor = match seq {
            Some(seq) => Actor::Platform { seq },
            None => Actor::Console,
        };
        self.add_events(
            w,
            actor,
            vec![EventBody::FrameQuarantined {
                seq,
                error,
                quarantine_id: id,
            }],
            now,
        )
    }

    fn load_order(&self, id: &OrderId) -> Result<Option<OrderState>, EngineError> {
        if let Some(o) = self.orders.get(id) {
            return Ok(Some(o.clone()));
        }
        Ok(self
            .get(ORDERS, id.0.as_bytes())?
            .map(|v| decode(&v))
            .transpose()?)
    }

    /// Adds events to the commit with everything that follows from them:
    /// the order projection, the open and date indexes, reports and print jobs.
    fn add_events(
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
    fn push_report(
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

    fn plan_reprint(
        &self,
        order_id: &OrderId,
        job: Option<u64>,
        after: Option<&OrderState>,
    ) -> Result<Vec<(String, JobDoc)>, EngineError> {
        match job {
            Some(n) => {
                let Some(orig) = self.job(n)? else {
                    return Ok(Vec::new());
                };
                let inner = match orig.doc {
                    JobDoc::Reprint { doc, .. } => *doc,
                    d => d,
                };
                if inner.order_id() != Some(order_id.0.as_str()) {
                    return Ok(Vec::new());
                }
                Ok(vec![(
                    orig.printer,
                    JobDoc::Reprint {
                        of_job: n,
                        original_at: orig.created_at,
                        possible_duplicate: false,
                        doc: Box::new(inner),
                    },
                )])
            }
            None => Ok(match (self.cfg.routes.receipt_printer(), after) {
                (Some(p), Some(st)) => vec![(
                    p.to_string(),
                    JobDoc::Receipt {
                        state: Box::new(st.clone()),
                        copy: true,
                    },
                )],
                _ => Vec::new(),
            }),
        }
    }

    /// Adds a command's writes to the batch and updates the working set;
    /// the batch is written and flushed as one before anyone hears "done".
    fn stage(&mut self, mut w: Writes) {
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

    /// Shows the batch's orders on the board (after the flush).
    fn publish_board(&mut self) {
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

    fn staff_record(&self, id: &StaffId) -> Result<StaffRecord, EngineError> {
        self.get(STAFF, id.0.as_bytes())?
            .map(|v| decode::<StaffRecord>(&v))
            .transpose()?
            .ok_or_else(|| {
                Refusal::UnknownStaff {
                    staff_id: id.0.clone(),
                }
                .into()
            })
    }

    fn active_staff(&self, id: &StaffId) -> Result<Staff, EngineError> {
        let rec = self.staff_record(id)?;
        if !rec.staff.active {
            return Err(Refusal::StaffDisabled {
                staff_id: id.0.clone(),
            }
            .into());
        }
        Ok(rec.staff)
    }

    /// Verifies a PIN. A wrong one is counted durably (the refusal is
    /// committed as a `PinRejected` event); five lock the person out for 60 s.
    fn check_pin(&mut self, id: &StaffId, pin: &str) -> Result<Staff, EngineError> {
        let mut rec = self.staff_record(id)?;
        if !rec.staff.active {
            return Err(Refusal::StaffDisabled {
                staff_id: id.0.clone(),
            }
            .into());
        }
        let now = self.now();
        if let Some(seconds) = locked_for(rec.locked_until, now) {
            return Err(Refusal::LockedOut {
                staff_id: id.0.clone(),
                seconds,
            }
            .into());
        }
        if pins::verify_pin(pin, &rec.pin_hash) {
            if rec.failures > 0 || rec.locked_until.is_some() {
                rec.failures = 0;
                rec.locked_until = None;
                let mut w = Writes::default();
                w.put(STAFF, id.0.clone().into_bytes(), encode(&rec));
                self.stage(w);
            }
            return Ok(rec.staff);
        }
        let wrong = wrong_pin(id, rec.failures, now);
        rec.failures = wrong.failures_kept;
        if wrong.locked_until.is_some() {
            rec.locked_until = wrong.locked_until;
        }
        let mut w = Writes::default();
        w.put(STAFF, id.0.clone().into_bytes(), encode(&rec));
        self.add_events(
            &mut w,
            Actor::Staff { id: id.clone() },
            vec![EventBody::PinRejected {
                staff_id: id.clone(),
                failures: wrong.failures,
                locked_until: rec.locked_until,
            }],
            now,
        )?;
        self.side_events.extend(w.events.clone());
        self.stage(w);
        tracing::warn!(staff = %id, failures = wrong.failures, "wrong PIN");
        Err(wrong.refusal.into())
    }
}

fn pin_of(cmd: &Command) -> Option<&str> {
    match cmd {
        Command::Settle { pin, .. } => pin.as_deref(),
        _ => None,
    }
}

fn approval_of(cmd: &Command) -> Option<&Approval> {
    match cmd {
        Command::Void { approval, .. }
        | Command::Refund { approval, .. }
        | Command::ResolveDoublePayment { approval, .. } => Some(approval),
        _ => None,
    }
}

fn order_of(cmd: &Command) -> Option<OrderId> {
    match cmd {
        Command::Settle { order_id, .. }
        | Command::Recheck { order_id, .. }
        | Command::Bump { order_id, .. }
        | Command::Serve { order_id, .. }
        | Command::Void { order_id, .. }
        | Command::Refund { order_id, .. }
        | Command::ResolveDoublePayment { order_id, .. }
        | Command::Reprint { order_id, .. }
        | Command::CollectPayCode { order_id, .. } => Some(order_id.clone()),
        Command::Recall { order_id, .. } => order_id.clone(),
        _ => None,
    }
}

/// Refuses a staff member whose role does not allow the command.
fn need_role(s: &Staff, allowed: bool, needed: &str) -> Result<(), EngineError> {
    if allowed {
        Ok(())
    } else {
        Err(crate::domain::rules::forbidden(s, needed).into())
    }
}
