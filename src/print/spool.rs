//! The durable spool's writers: one task per printer drains that printer's
//! queued jobs in job order. For each job: connect, ask the status
//! (`DLE EOT`, where the profile and the link allow), record the attempt in
//! the store (so a crash mid-send is known), write under a timeout, confirm
//! with another status answer, then mark it done. A job that was sent before
//! (a crash, a cut connection, paper running out mid-ticket) goes out again
//! marked "重打 REPRINT · possible duplicate": never dropped, never silently twice.
//!
//! A printer that is off, out of paper or open holds its queue, shows why on
//! the `watch` of `SpoolStatus`, and resumes by itself when it recovers.

use super::layout::Shop;
use super::profile::{Profile, Profiles};
use super::render::render_job;
use super::transport::{Connection, Endpoint, Timeouts, TransportError};
use crate::config::PrinterSection;
use crate::domain::job::JobDoc;
use crate::domain::job::{JobRecord, JobState};
use crate::domain::status::{PrinterState, PrinterStatus, SpoolStatus};
use crate::engine::{EngineError, EngineHandle};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

/// One printer the spool drives.
#[derive(Debug, Clone)]
pub struct SpoolPrinter {
    pub name: String,
    pub label: String,
    pub endpoint: Endpoint,
    pub profile: Profile,
}

#[derive(Debug, Clone, Copy)]
pub struct SpoolOptions {
    pub timeouts: Timeouts,
    /// How often a held printer is tried again.
    pub retry_every: Duration,
    /// While idle, look at the printer this often (a short connection and a
    /// status request), so paper running out shows before the next ticket.
    /// Only for printers that answer `DLE EOT` over TCP.
    pub idle_check_every: Option<Duration>,
}

impl Default for SpoolOptions {
    fn default() -> Self {
        SpoolOptions {
            timeouts: Timeouts::default(),
            retry_every: Duration::from_millis(500),
            idle_check_every: Some(Duration::from_secs(5)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("printer `{printer}` uses profile `{profile}`, which is not known: use one of {known}, or add printers/{profile}.toml")]
    UnknownProfile {
        printer: String,
        profile: String,
        known: String,
    },
    #[error("printer `{printer}`: {source}")]
    Endpoint {
        printer: String,
        source: TransportError,
    },
}

/// The running spool: its writer tasks and the printers' state.
pub struct Spool {
    pub handles: Vec<JoinHandle<()>>,
    pub status: watch::Receiver<SpoolStatus>,
    stop: watch::Sender<bool>,
}

impl Spool {
    /// Stops the writers after their current step; queued jobs stay in the store.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for h in self.handles {
            let _ = h.await;
        }
    }
}

/// The spool's printers from the config, with their profiles.
pub fn printers_from_config(
    sections: &[PrinterSection],
    profiles: &Profiles,
) -> Result<Vec<SpoolPrinter>, SpoolError> {
    sections
        .iter()
        .map(|p| {
            let profile =
                profiles
                    .get(&p.profile)
                    .cloned()
                    .ok_or_else(|| SpoolError::UnknownProfile {
                        printer: p.name.clone(),
                        profile: p.profile.clone(),
                        known: profiles.names().collect::<Vec<_>>().join(", "),
                    })?;
            let endpoint = Endpoint::parse(&p.connect).map_err(|source| SpoolError::Endpoint {
                printer: p.name.clone(),
                source,
            })?;
            Ok(SpoolPrinter {
                name: p.name.clone(),
                label: p.label.clone().unwrap_or_else(|| p.name.clone()),
                endpoint,
                profile,
            })
        })
        .collect()
}

/// Starts one writer per configured printer. Must run inside a tokio runtime.
pub fn start_spool(
    engine: EngineHandle,
    sections: &[PrinterSection],
    profiles: &Profiles,
    shop: Shop,
) -> Result<Spool, SpoolError> {
    let printers = printers_from_config(sections, profiles)?;
    warn_orphans(&engine, &printers);
    Ok(start_with(engine, printers, shop, SpoolOptions::default()))
}

/// A drawer kick prints nothing, so it can go while the paper is out.
fn needs_no_paper(doc: &JobDoc) -> bool {
    match doc {
        JobDoc::Drawer => true,
        JobDoc::Reprint { doc, .. } => matches!(**doc, JobDoc::Drawer),
        _ => false,
    }
}

/// Queued jobs for a printer that is no longer configured print nowhere
/// until a manager moves them: say so in the log.
fn warn_orphans(engine: &EngineHandle, printers: &[SpoolPrinter]) {
    let Ok(jobs) = engine.jobs() else { return };
    let mut orphans: BTreeMap<&str, usize> = BTreeMap::new();
    for j in &jobs {
        if j.state == JobState::Queued && !printers.iter().any(|p| p.name == j.printer) {
            *orphans.entry(j.printer.as_str()).or_default() += 1;
        }
    }
    for (printer, n) in orphans {
        tracing::warn!(printer, waiting = n, "jobs wait for a printer that is not in the config: add it back or move its jobs to another printer");
    }
}

pub fn start_with(
    engine: EngineHandle,
    printers: Vec<SpoolPrinter>,
    shop: Shop,
    opts: SpoolOptions,
) -> Spool {
    let initial: SpoolStatus = printers
        .iter()
        .map(|p| PrinterStatus {
            name: p.name.clone(),
            label: p.label.clone(),
            state: PrinterState::Unknown,
            queued: 0,
            last_error: None,
            since: None,
        })
        .collect();
    let (status_tx, status) = watch::channel(initial);
    let (stop, stop_rx) = watch::channel(false);
    let handles = printers
        .into_iter()
        .enumerate()
        .map(|(slot, printer)| {
            let w = PrinterWriter {
                slot,
                engine: engine.clone(),
                jobs: engine.subscribe_jobs(),
                printer,
                shop: shop.clone(),
                opts,
                status: status_tx.clone(),
                stop: stop_rx.clone(),
                queue: BTreeMap::new(),
                conn: None,
            };
            tokio::spawn(w.run())
        })
        .collect();
    Spool {
        handles,
        status,
        stop,
    }
}

struct PrinterWriter {
    slot: usize,
    engine: EngineHandle,
    jobs: broadcast::Receiver<std::sync::Arc<JobRecord>>,
    printer: SpoolPrinter,
    shop: Shop,
    opts: SpoolOptions,
    status: watch::Sender<SpoolStatus>,
    stop: watch::Receiver<bool>,
    /// This printer's queued jobs, by job number.
    queue: BTreeMap<u64, JobRecord>,
    conn: Option<Connection>,
}

/// What one try at the head of the queue came to.
enum Step {
    Printed,
    /// The printer cannot print now: wait, then try again.
    Held,
    /// The engine has stopped.
    Stop,
}

impl PrinterWriter {
    async fn run(mut self) {
        // The store could not be read: say so and keep trying.
        while self.reload().is_err() {
            self.set_state(
                PrinterState::Error("cannot read the print spool".into()),
                Some("cannot read the print spool: see the log".into()),
            );
            if !self.wait(Some(Duration::from_secs(2)), true).await {
                return;
            }
        }
        loop {
            if *self.stop.borrow() {
                break;
            }
            self.drain_notices();
            self.publish_queue();
            let Some(job) = self.queue.values().next().cloned() else {
                // Idle: free the printer for other senders, then wait for
                // work, looking at the printer now and then.
                self.conn = None;
                let every = self
                    .opts
                    .idle_check_every
                    .filter(|_| self.printer.profile.status.dle_eot);
                let before = tokio::time::Instant::now();
                if !self.wait(every, false).await {
                    break;
                }
                if every.is_some_and(|d| before.elapsed() >= d) && self.queue.is_empty() {
                    self.idle_check().await;
                }
                continue;
            };
            match self.try_job(job).await {
                Step::Printed => {}
                Step::Held => {
                    if !self.wait(Some(self.opts.retry_every), true).await {
                        break;
                    }
                }
                Step::Stop => break,
            }
        }
    }

    /// Reads this printer's queued jobs from the store.
    fn reload(&mut self) -> Result<(), ()> {
        match self.engine.jobs() {
            Ok(all) => {
                self.queue = all
                    .into_iter()
                    .filter(|j| j.printer == self.printer.name && j.state == JobState::Queued)
                    .map(|j| (j.job, j))
                    .collect();
                Ok(())
            }
            Err(e) => {
                tracing::error!(printer = %self.printer.name, error = %e, "cannot read the spool");
                Err(())
            }
        }
    }

    fn notice(&mut self, j: &JobRecord) {
        if j.printer != self.printer.name {
            return;
        }
        if j.state == JobState::Queued {
            self.queue.insert(j.job, j.clone());
        } else {
            self.queue.remove(&j.job);
        }
    }

    /// Applies job changes already announced, without waiting.
    fn drain_notices(&mut self) {
        loop {
            match self.jobs.try_recv() {
                Ok(j) => self.notice(&j),
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    let _ = self.reload();
                }
                Err(_) => break,
            }
        }
    }

    /// Waits for a job notice (when idle), the delay, or the stop signal.
    /// While held (`hold`), notices only update the count and the full delay
    /// is kept, so a burst of orders does not hammer a printer that is out.
    /// False on stop.
    async fn wait(&mut self, delay: Option<Duration>, hold: bool) -> bool {
        let deadline = delay.map(|d| tokio::time::Instant::now() + d);
        loop {
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep => return true,
                r = self.jobs.recv() => {
                    match r {
                        Ok(j) => self.notice(&j),
                        Err(broadcast::error::RecvError::Lagged(_)) => { let _ = self.reload(); }
                        Err(broadcast::error::RecvError::Closed) => return false,
                    }
                    if !hold {
                        return true;
                    }
                    self.publish_queue();
                }
                _ = self.stop.changed() => return false,
            }
        }
    }

    async fn try_job(&mut self, job: JobRecord) -> Step {
        let t = self.opts.timeouts;
        if self.conn.is_none() {
            match Connection::open(&self.printer.endpoint, &t).await {
                Ok(c) => self.conn = Some(c),
                Err(e) => {
                    self.set_state(PrinterState::Offline, Some(e.to_string()));
                    return Step::Held;
                }
            }
        }
        let ask = self.printer.profile.status.dle_eot;
        // Preflight: never send into a printer that says it cannot print.
        // Out of paper it can still kick the drawer: a waiting drawer job
        // goes first, so the cashier can give change.
        let mut job = job;
        let mut paperless = false;
        match self.ask_status(ask).await {
            None => return Step::Held,
            Some(st) if st.is_ready() => {}
            Some(PrinterState::PaperOut) => {
                self.set_state(PrinterState::PaperOut, None);
                match self
                    .queue
                    .values()
                    .find(|j| needs_no_paper(&j.doc))
                    .cloned()
                {
                    Some(d) => {
                        job = d;
                        paperless = true;
                    }
                    None => return Step::Held,
                }
            }
            Some(st) => {
                self.set_state(st, None);
                return Step::Held;
            }
        }
        let bytes = match render_job(&job, &self.printer.profile, &self.shop) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(printer = %self.printer.name, job = job.job, error = %e, "cannot render a job");
                self.set_state(PrinterState::Error(e.to_string()), Some(e.to_string()));
                return Step::Held;
            }
        };
        // Durable before the first byte leaves: a crash from here on is known.
        if let Err(e) = self.engine.spool_attempt(job.job).await {
            return self.engine_failed(job.job, e);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Step::Held;
        };
        if let Err(e) = conn.write_all(&bytes, &t).await {
            tracing::warn!(printer = %self.printer.name, job = job.job, error = %e, "a send was cut off");
            self.conn = None;
            return self
                .interrupted(job.job, PrinterState::Offline, e.to_string())
                .await;
        }
        // Confirm: a status answer after the data means it all arrived; a
        // fault now means the ticket may be cut short.
        match self.ask_status(ask).await {
            Some(PrinterState::Online) => {}
            Some(PrinterState::PaperOut) if paperless => {}
            Some(st) => {
                let why = format!("{} while printing job #{}", st.words(), job.job);
                return self.interrupted(job.job, st, why).await;
            }
            None => {
                let why = format!("no confirmation for job #{}", job.job);
                return self.interrupted(job.job, PrinterState::Offline, why).await;
            }
        }
        if let Err(e) = self.engine.spool_done(job.job).await {
            // Printed but not recorded: the next send is marked as a reprint.
            return self.engine_failed(job.job, e);
        }
        tracing::info!(printer = %self.printer.name, job = job.job, kind = job.doc.kind(), order_id = job.doc.order_id().unwrap_or("-"), "printed");
        self.queue.remove(&job.job);
        if !paperless {
            self.set_state(PrinterState::Online, None);
        }
        self.publish_queue();
        Step::Printed
    }

    /// Connects, asks the status, publishes it and lets go.
    async fn idle_check(&mut self) {
        match Connection::open(&self.printer.endpoint, &self.opts.timeouts).await {
            Ok(c) => {
                self.conn = Some(c);
                if let Some(st) = self.ask_status(true).await {
                    self.set_state(st, None);
                }
                self.conn = None;
            }
            Err(e) => self.set_state(PrinterState::Offline, Some(e.to_string())),
        }
    }

    /// The printer's state, or None when the link failed (then it is closed
    /// and the state published as offline).
    async fn ask_status(&mut self, ask: bool) -> Option<PrinterState> {
        let conn = self.conn.as_mut()?;
        if !ask || !conn.can_ask_status() {
            return Some(PrinterState::Online);
        }
        match conn.status(&self.opts.timeouts).await {
            Ok(s) => Some(s),
            Err(e) => {
                self.conn = None;
                self.set_state(PrinterState::Offline, Some(e.to_string()));
                None
            }
        }
    }

    /// The engine refused a spool update: stop when it has stopped, else
    /// hold the queue and show why (the job stays queued, nothing is lost).
    fn engine_failed(&mut self, job: u64, e: EngineError) -> Step {
        if matches!(e, EngineError::Stopped) {
            return Step::Stop;
        }
        tracing::error!(printer = %self.printer.name, job, error = %e, "the spool could not record a job");
        self.set_state(
            PrinterState::Error(format!("cannot record job #{job}")),
            Some(e.to_string()),
        );
        Step::Held
    }

    async fn interrupted(&mut self, job: u64, state: PrinterState, why: String) -> Step {
        if let Err(e) = self.engine.spool_failed(job, why.clone(), true).await {
            return self.engine_failed(job, e);
        }
        if let Ok(Some(j)) = self.engine.job(job) {
            self.notice(&j);
        }
        self.set_state(state, Some(why));
        Step::Held
    }

    fn publish_queue(&self) {
        let n = self.queue.len();
        let slot = self.slot;
        self.status.send_if_modified(|v| match v.get_mut(slot) {
            Some(s) if s.queued != n => {
                s.queued = n;
                true
            }
            _ => false,
        });
    }

    fn set_state(&self, state: PrinterState, error: Option<String>) {
        let slot = self.slot;
        let n = self.queue.len();
        let now = self.engine.config().clock.now();
        let name = &self.printer.name;
        self.status.send_if_modified(|v| {
            let Some(s) = v.get_mut(slot) else {
                return false;
            };
            // Back online, the last fault is history: clear it from the screen.
            let error = match state {
                PrinterState::Online => None,
                _ => error.or_else(|| s.last_error.clone()),
            };
            let changed = s.state != state || s.queued != n || s.last_error != error;
            if s.state != state {
                tracing::info!(printer = %name, from = ?s.state, to = ?state, "printer state");
                s.since = Some(now);
            }
            s.state = state;
            s.queued = n;
            s.last_error = error;
            changed
        });
    }
}
