//! The engine: the only writer. A `Command` comes in, the rules decide its
//! events, and the events are committed with the order projections, the open
//! index, the outbox and the print spool in one sled transaction. Many
//! commands share one flush (group commit); a caller hears "done" only after
//! the flush. Committed events are then published to subscribers.
//!
//! The writer is a dedicated thread fed by a channel, so sled's blocking
//! calls never sit on the async runtime, and `EngineHandle` is cheap to clone.

pub mod clock;
pub mod pins;
mod writer;

use crate::domain::job::JobRecord;
use crate::domain::route::Routes;
use crate::domain::{Command, Event, OrderId, OrderState, Refusal, Rules};
use crate::store::{OutboxEntry, QuarantinedFrame, StaffRecord, Store, StoreError};
pub use clock::{Clock, FixedClock, SystemClock};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{mpsc, Arc, RwLock};
use tokio::sync::{broadcast, oneshot, watch};

/// What the engine needs to know about the store.
#[derive(Clone)]
pub struct EngineConfig {
    pub rules: Rules,
    pub routes: Routes,
    pub tz: chrono_tz::Tz,
    pub clock: Arc<dyn Clock>,
    /// The counter's menu: counter orders are priced from it, never from
    /// the client. `None`: counter orders are refused (`no_menu`).
    pub menu: Option<Arc<crate::counter::Menu>>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// A platform event skipped ahead: it is not applied; resume from `cursor`.
    #[error("feed gap: got seq {seq} but only {cursor} is committed")]
    Gap { cursor: u64, seq: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the engine has stopped")]
    Stopped,
    /// The engine's queue is full (`ENGINE_QUEUE` commands waiting): nothing
    /// was done; the caller may try again shortly.
    #[error("the console is busy: nothing was done, try again in a moment")]
    Busy,
    /// From a console reached over the local API: its refusal of a command
    /// (not the engine's), or the link to it failing; the text says what to do.
    #[error("{0}")]
    Remote(String),
}

impl From<sled::Error> for EngineError {
    fn from(e: sled::Error) -> Self {
        EngineError::Store(StoreError::Sled(e))
    }
}

impl From<sled::transaction::TransactionError<()>> for EngineError {
    fn from(e: sled::transaction::TransactionError<()>) -> Self {
        match e {
            sled::transaction::TransactionError::Storage(s) => s.into(),
            sled::transaction::TransactionError::Abort(()) => {
                EngineError::Store(StoreError::Decode("transaction aborted".into()))
            }
        }
    }
}

/// What a committed command did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committed {
    pub events: Vec<Event>,
    /// Ids of the reports placed in the outbox.
    pub reports: Vec<String>,
    /// Numbers of the print jobs placed in the spool.
    pub jobs: Vec<u64>,
    /// The command was already applied (a replayed seq or a retried key):
    /// nothing changed, and this is the first result where one was kept.
    pub replay: bool,
}

/// Counters the screens and the feed watch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineStats {
    pub last_event: u64,
    pub cursor: u64,
    pub outbox: usize,
    pub quarantined: usize,
    pub queued_jobs: usize,
    /// Batches committed (one flush each) since the engine started.
    #[serde(default)]
    pub flushes: u64,
}

/// Orders on the board: open ones and today's closed ones.
pub type Board = BTreeMap<OrderId, OrderState>;

pub(crate) enum Op {
    /// Finish the batch, flush, and stop (other handles then get `Stopped`).
    Stop,
    Command {
        key: Option<String>,
        cmd: Box<Command>,
        /// Where the command came from (`console`, `api:10.0.0.7`): PIN
        /// failures are counted per device.
        device: String,
        /// Its PINs, checked before the writer (`pins::Verdicts`).
        verdicts: pins::Verdicts,
    },
    /// A print writer is about to send a job (durable first, so a crash mid-send is known).
    SpoolAttempt {
        job: u64,
    },
    SpoolDone {
        job: u64,
    },
    SpoolFailed {
        job: u64,
        error: String,
        interrupted: bool,
    },
    /// Moves every queued job of one printer to another (a manager approved).
    SpoolMove {
        from: String,
        to: String,
        approval: crate::domain::Approval,
    },
    /// Commits an archiving step gathered outside the writer (see
    /// `store::archive`): the batch so far is written first.
    Archive {
        plan: Box<crate::store::archive::Plan>,
    },
    /// Places a document straight in the spool (reports, test prints).
    SpoolAdd {
        printer: String,
        doc: Box<crate::domain::job::JobDoc>,
    },
}

/// Requests that may wait for the writer. Above it, `Busy` is answered at
/// once: under a flood the queue, and the memory it holds, stays bounded.
/// The local API's caps (connections × commands in flight) and the feed's
/// window keep honest traffic well below it.
pub const ENGINE_QUEUE: usize = 16_384;

pub(crate) struct Request {
    op: Op,
    reply: oneshot::Sender<Result<Committed, EngineError>>,
}

/// A handle on the running engine; clone it freely.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::SyncSender<Request>,
    store: Arc<Store>,
    events: broadcast::Sender<Arc<Event>>,
    board: Arc<RwLock<Board>>,
    stats: watch::Receiver<EngineStats>,
    jobs_tx: broadcast::Sender<Arc<JobRecord>>,
    config: EngineConfig,
    /// One archiving run at a time.
    archiving: Arc<std::sync::Mutex<()>>,
    /// Who may run an Argon2 check now (`check_pins`).
    pin_gate: Arc<PinGate>,
}

/// PIN checks before the writer: at most `pins::AT_ONCE` at a time, one at
/// a time per device.
struct PinGate {
    checks: tokio::sync::Semaphore,
    /// Checks waiting for `checks` now.
    waiting: std::sync::atomic::AtomicUsize,
    lanes: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// The device name of the console's own screen and of commands run on the box.
pub const CONSOLE_DEVICE: &str = "console";

pub struct Engine {
    handle: EngineHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The background archivist and the sender whose drop stops it.
    archivist: Option<(mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
}

impl Engine {
    /// Loads the open orders and starts the writer thread.
    pub fn start(store: Store, config: EngineConfig) -> Result<Engine, EngineError> {
        let store = Arc::new(store);
        let pruned = writer::prune_keys(&store, config.clock.now(), config.rules.key_days);
        if pruned > 0 {
            tracing::info!(pruned, "expired idempotency keys removed");
        }
        let (tx, rx) = mpsc::sync_channel(ENGINE_QUEUE);
        let (events, _) = broadcast::channel(4096);
        let (jobs_tx, _) = broadcast::channel(1024);
        let board = Arc::new(RwLock::new(Board::new()));
        let (stats_tx, stats) = watch::channel(EngineStats::default());
        let mut w = writer::Writer::load(
            store.clone(),
            config.clone(),
            board.clone(),
            events.clone(),
            jobs_tx.clone(),
            stats_tx,
        )?;
        let thread = std::thread::Builder::new()
            .name("passline-engine".into())
            .spawn(move || w.run(rx))
            .map_err(|e| {
                EngineError::Store(StoreError::Unusable {
                    path: std::path::PathBuf::from("."),
                    detail: format!("cannot start the engine thread: {e}"),
                })
            })?;
        Ok(Engine {
            handle: EngineHandle {
                tx,
                store,
                events,
                board,
                stats,
                jobs_tx,
                config,
                archiving: Arc::new(std::sync::Mutex::new(())),
                pin_gate: Arc::new(PinGate {
                    checks: tokio::sync::Semaphore::new(pins::AT_ONCE),
                    waiting: std::sync::atomic::AtomicUsize::new(0),
                    lanes: std::sync::Mutex::new(HashMap::new()),
                }),
            },
            thread: Some(thread),
            archivist: None,
        })
    }

    /// Starts archiving in the background: now, then every ten minutes,
    /// each business day older than `keep_days` days moves to the archive
    /// (in small writer steps, so commands wait at most one of them). The
    /// thread runs at a lower priority: on a one-core box, orders and keys
    /// come first.
    pub fn start_archivist(&mut self, keep_days: u32) {
        if self.archivist.is_some() {
            return;
        }
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let h = self.handle.clone();
        let spawned = std::thread::Builder::new()
            .name("passline-archivist".into())
            .spawn(move || {
                lower_priority();
                loop {
                    match h.archive(keep_days) {
                        Ok(days) if !days.is_empty() => {
                            tracing::info!(days = days.len(), "archived business days")
                        }
                        Ok(_) => {}
                        Err(EngineError::Stopped) => return,
                        Err(e) => tracing::error!(error = %e, "archiving failed; will retry"),
                    }
                    match stop_rx.recv_timeout(std::time::Duration::from_secs(600)) {
                        Err(mpsc::RecvTimeoutError::Timeout) => continue,
                        _ => return,
                    }
                }
            });
        match spawned {
            Ok(t) => self.archivist = Some((stop_tx, t)),
            Err(e) => tracing::error!(error = %e, "cannot start the archivist; history stays live"),
        }
    }

    pub fn handle(&self) -> EngineHandle {
        self.handle.clone()
    }

    /// Stops the writer after the commands already sent, waits for its last
    /// flush; later commands from any handle get `EngineError::Stopped`.
    pub fn shutdown(mut self) {
        if let Some((stop, t)) = self.archivist.take() {
            drop(stop);
            let _ = t.join();
        }
        let (reply, _rx) = oneshot::channel();
        let _ = self.handle.tx.send(Request {
            op: Op::Stop,
            reply,
        });
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl EngineHandle {
    fn send(&self, op: Op) -> oneshot::Receiver<Result<Committed, EngineError>> {
        let (reply, rx) = oneshot::channel();
        let refused = match self.tx.try_send(Request { op, reply }) {
            Ok(()) => return rx,
            Err(mpsc::TrySendError::Full(_)) => EngineError::Busy,
            Err(mpsc::TrySendError::Disconnected(_)) => EngineError::Stopped,
        };
        let (t, r) = oneshot::channel();
        let _ = t.send(Err(refused));
        r
    }

    /// Executes a command from the console's own screen; returns once its
    /// events are durable.
    pub async fn execute(
        &self,
        key: Option<String>,
        cmd: Command,
    ) -> Result<Committed, EngineError> {
        self.execute_as(CONSOLE_DEVICE, key, cmd).await
    }

    /// Executes a command from `device` (its PIN failures are counted
    /// apart from other devices'). Its PINs are checked first, off the
    /// writer thread.
    pub async fn execute_as(
        &self,
        device: &str,
        key: Option<String>,
        cmd: Command,
    ) -> Result<Committed, EngineError> {
        self.submit_checked(device, key, cmd)
            .await
            .await
            .unwrap_or(Err(EngineError::Stopped))
    }

    /// Checks the command's PINs (on the blocking pool, at most
    /// `pins::AT_ONCE` at a time, one at a time per device, none while the
    /// device is locked out), then sends it; returns where its result will
    /// arrive. Commands submitted in turn reach the writer in that order.
    pub async fn submit_checked(
        &self,
        device: &str,
        key: Option<String>,
        cmd: Command,
    ) -> oneshot::Receiver<Result<Committed, EngineError>> {
        let verdicts = self.check_pins(device, &cmd).await;
        self.send(Op::Command {
            key,
            cmd: Box::new(cmd),
            device: device.to_string(),
            verdicts,
        })
    }

    async fn check_pins(&self, device: &str, cmd: &Command) -> pins::Verdicts {
        if pins::pins_of(cmd).is_empty() {
            return pins::Verdicts::default();
        }
        let lane = {
            let mut lanes = self
                .pin_gate
                .lanes
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            lanes.retain(|_, l| Arc::strong_count(l) > 1);
            lanes.entry(device.to_string()).or_default().clone()
        };
        let _turn = lane.lock().await;
        if self.pins_refused(device, cmd) {
            // The writer refuses it without a look at the PIN.
            return pins::Verdicts::default();
        }
        use std::sync::atomic::Ordering::AcqRel;
        self.pin_gate.waiting.fetch_add(1, AcqRel);
        let permit = self.pin_gate.checks.acquire().await;
        self.pin_gate.waiting.fetch_sub(1, AcqRel);
        let Ok(_permit) = permit else {
            return pins::Verdicts::default();
        };
        let store = self.store.clone();
        let cmd = cmd.clone();
        let verdicts = tokio::task::spawn_blocking(move || pins::Verdicts::check(&store, &cmd))
            .await
            .unwrap_or_default();
        drop(_permit);
        if verdicts.any_wrong()
            && self
                .pin_gate
                .waiting
                .load(std::sync::atomic::Ordering::Acquire)
                > 0
        {
            // While others wait for a check, a device that guessed wrong
            // waits before its next one (its lane is held; other devices go
            // on): devices guessing fast cannot take the Argon2 checks from
            // a cashier signing in.
            tokio::time::sleep(pins::WRONG_PIN_PAUSE).await;
        }
        verdicts
    }

    /// Whether a PIN of `cmd` would be refused from `device` now without a
    /// check (locked or held), as far as the store says.
    fn pins_refused(&self, device: &str, cmd: &Command) -> bool {
        let now = self.config.clock.now();
        pins::pins_of(cmd).into_iter().any(|(id, _)| {
            let key = writer::staff_pins_key(id);
            let counts: writer::StaffPins = match self.store.meta.get(key.as_bytes()) {
                Ok(Some(v)) => crate::store::decode(&v).unwrap_or_default(),
                _ => return false,
            };
            counts.refusal(id, device, now).is_some()
        })
    }

    /// The same as `execute`, for threads outside the async runtime (CLI,
    /// tests): the PINs are checked on the calling thread.
    pub fn execute_blocking(
        &self,
        key: Option<String>,
        cmd: Command,
    ) -> Result<Committed, EngineError> {
        self.submit(key, cmd)
            .blocking_recv()
            .unwrap_or(Err(EngineError::Stopped))
    }

    /// Sends a command now and returns where its result will arrive: lets a
    /// caller pipeline many commands in order (the feed, benchmarks). A PIN
    /// it carries is checked on the calling thread first.
    pub fn submit(
        &self,
        key: Option<String>,
        cmd: Command,
    ) -> oneshot::Receiver<Result<Committed, EngineError>> {
        let verdicts = if pins::pins_of(&cmd).is_empty() {
            pins::Verdicts::default()
        } else {
            pins::Verdicts::check(&self.store, &cmd)
        };
        self.send(Op::Command {
            key,
            cmd: Box::new(cmd),
            device: CONSOLE_DEVICE.to_string(),
            verdicts,
        })
    }

    pub(crate) async fn op(&self, op: Op) -> Result<Committed, EngineError> {
        self.send(op).await.unwrap_or(Err(EngineError::Stopped))
    }

    pub async fn spool_attempt(&self, job: u64) -> Result<Committed, EngineError> {
        self.op(Op::SpoolAttempt { job }).await
    }

    pub async fn spool_done(&self, job: u64) -> Result<Committed, EngineError> {
        self.op(Op::SpoolDone { job }).await
    }

    pub async fn spool_failed(
        &self,
        job: u64,
        error: String,
        interrupted: bool,
    ) -> Result<Committed, EngineError> {
        self.op(Op::SpoolFailed {
            job,
            error,
            interrupted,
        })
        .await
    }

    pub async fn spool_move(
        &self,
        from: String,
        to: String,
        approval: crate::domain::Approval,
    ) -> Result<Committed, EngineError> {
        self.op(Op::SpoolMove { from, to, approval }).await
    }

    pub async fn spool_add(
        &self,
        printer: String,
        doc: crate::domain::job::JobDoc,
    ) -> Result<Committed, EngineError> {
        self.op(Op::SpoolAdd {
            printer,
            doc: Box::new(doc),
        })
        .await
    }

    /// Every event committed from now on. A subscriber that falls behind gets
    /// `Lagged` and catches up with `events_after`.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    /// Print jobs as they are queued or change state.
    pub fn subscribe_jobs(&self) -> broadcast::Receiver<Arc<JobRecord>> {
        self.jobs_tx.subscribe()
    }

    pub fn stats(&self) -> watch::Receiver<EngineStats> {
        self.stats.clone()
    }

    /// Moves every business day older than `keep_days` days (by the
    /// engine's clock) to the archive, oldest first: the day's file is
    /// written here, then the writer deletes it from the live trees in steps
    /// of `STEP_KEYS` records; returns the days archived. Blocking: call it
    /// off the runtime.
    pub fn archive(
        &self,
        keep_days: u32,
    ) -> Result<Vec<crate::store::archive::ArchivedDay>, EngineError> {
        let _one = self.archiving.lock().unwrap_or_else(|e| e.into_inner());
        let today = self
            .config
            .clock
            .now()
            .with_timezone(&self.config.tz)
            .date_naive();
        let before = (today - chrono::Days::new(u64::from(keep_days)))
            .format("%Y-%m-%d")
            .to_string();
        let mut done = Vec::new();
        // Each step empties one day; the bound only guards against a step
        // that could not remove anything (every order changed meanwhile).
        for _ in 0..100_000 {
            let Some(mut plan) = self.store.prepare_archive(&before, self.config.tz, None)? else {
                break;
            };
            // The day's report, folded once from the file just written. A
            // day without one is folded when read, so its failure only warns.
            match crate::report::summary::of_archived_day(&self.store, &plan.day.date) {
                Ok(sum) => plan.summary = Some(sum),
                Err(e) => {
                    tracing::warn!(date = %plan.day.date, error = %e, "no report summary for the day")
                }
            }
            let day = plan.day.clone();
            let idle = plan.events.is_empty();
            // Small steps, so a command waits for one of them, not the day.
            for step in plan.steps(crate::store::archive::STEP_KEYS) {
                let (reply, rx) = oneshot::channel();
                self.tx
                    .send(Request {
                        op: Op::Archive {
                            plan: Box::new(step),
                        },
                        reply,
                    })
                    .map_err(|_| EngineError::Stopped)?;
                rx.blocking_recv().unwrap_or(Err(EngineError::Stopped))?;
            }
            if idle && done.last() == Some(&day) {
                break;
            }
            done.push(day);
        }
        Ok(done)
    }

    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, EngineError> {
        let _durable = self.store.durable_reads()?;
        Ok(self.store.events_after(after, limit)?)
    }

    /// Open orders and today's closed ones, as the writer last committed them.
    pub fn board(&self) -> Board {
        self.board.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn order(&self, id: &OrderId) -> Result<Option<OrderState>, EngineError> {
        if let Some(o) = self.board.read().unwrap_or_else(|e| e.into_inner()).get(id) {
            return Ok(Some(o.clone()));
        }
        let _durable = self.store.durable_reads()?;
        Ok(self.store.order(id)?)
    }

    pub fn cursor(&self) -> Result<u64, EngineError> {
        let _durable = self.store.durable_reads()?;
        Ok(self.store.cursor()?)
    }

    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, EngineError> {
        let _durable = self.store.durable_reads()?;
        Ok(self.store.outbox_entries()?)
    }

    pub fn quarantined(&self) -> Result<Vec<QuarantinedFrame>, EngineError> {
        let _durable = self.store.durable_reads()?;
        Ok(self.store.quarantined()?)
    }

    pub fn staff(&self) -> Result<Vec<StaffRecord>, EngineError> {
        let _durable = self.store.durable_reads()?;
        Ok(self.store.staff_records()?)
    }

    /// The reports waiting in the outbox after outbox number `after`, oldest
    /// first, with their numbers (the feed sends them to the platform).
    pub fn outbox_after(&self, after: u64) -> Result<Vec<(u64, OutboxEntry)>, EngineError> {
        // Only reports on the disk go out: one sent and then lost to a power
        // cut would reach the platform twice under two ids.
        let _durable = self.store.durable_reads()?;
        let mut out = Vec::new();
        for kv in self.store.outbox.range((after + 1).to_be_bytes()..) {
            let (key, value) = kv.map_err(crate::store::StoreError::from)?;
            out.push((crate::store::be_u64(&key), crate::store::decode(&value)?));
        }
        Ok(out)
    }

    pub fn jobs(&self) -> Result<Vec<JobRecord>, EngineError> {
        let _durable = self.store.durable_reads()?;
        Ok(self.store.jobs()?)
    }

    pub fn job(&self, job: u64) -> Result<Option<JobRecord>, EngineError> {
        let _durable = self.store.durable_reads()?;
        Ok(self.store.job(job)?)
    }

    /// The shift report as the log has it now: the X-report of the open
    /// shift, else the Z-report of the last closed one.
    pub fn shift_report(&self) -> Result<crate::report::ZReport, crate::report::ReportError> {
        match crate::report::open_shift(&self.store)? {
            Some(_) => crate::report::x_report(&self.store, None),
            None => crate::report::z_report(&self.store, None),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// Makes the calling thread yield the CPU to the rest of the console (nice
/// 10; on Linux the nice value is per thread). Best effort: a failure only
/// means the thread keeps normal priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with `who` 0 changes only the calling thread's
    // nice value; it takes no pointers.
    let lowered = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) } == 0;
    #[cfg(not(target_os = "linux"))]
    let lowered = false;
    if !lowered {
        tracing::debug!("the archivist runs at normal priority");
    }
}
