//! A virtual network printer for tests, the demo and `passline
//! printer-emulator`: it behaves like a cheap real one. One TCP connection
//! at a time; answers `DLE EOT` with the chosen status; keeps accepting data
//! while out of paper (printing "later"); refuses connections when off; can
//! cut a connection midway. What it receives is split into jobs at each cut
//! (or a new `ESC @` after printed content), decoded, and kept in memory and
//! optionally written to a folder. Loopback only.

use crate::domain::status::PrinterState;
use crate::print::decode::decode;
use crate::print::status::dle_eot_answer;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// One job as the virtual printer received it.
#[derive(Debug, Clone)]
pub struct ReceivedJob {
    pub bytes: Vec<u8>,
    pub text: Vec<String>,
    /// When its first byte arrived.
    pub first_byte_at: Instant,
    /// It arrived while the printer was out of paper (printed after reloading).
    pub while_paper_out: bool,
    /// The connection was cut before its cut command arrived.
    pub cut_off: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("the virtual printer listens on loopback only (127.0.0.1 or ::1), not {0}")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source} (is another printer-emulator running there?)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

#[derive(Default)]
struct Shared {
    jobs: Vec<ReceivedJob>,
    /// Cut the next connection after this many bytes (once).
    fail_after: Option<usize>,
    /// Stop taking in (and answering) data after this many bytes on the next
    /// connection, as a jammed printer does, until the sender goes away (once).
    stall_after: Option<usize>,
    /// Bytes received over all connections.
    received: usize,
    /// Run out of paper once this many bytes (all connections) have arrived.
    paper_out_at: Option<usize>,
    /// Cut whichever connection brings the total to this many bytes (once).
    cut_at: Option<usize>,
    out_dir: Option<PathBuf>,
    connections: usize,
}

/// A running virtual printer; dropping it stops it.
pub struct VirtualPrinter {
    addr: SocketAddr,
    state: Arc<watch::Sender<PrinterState>>,
    shared: Arc<Mutex<Shared>>,
    arrived: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Drop for VirtualPrinter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl VirtualPrinter {
    /// Starts listening (`127.0.0.1:0` picks a free port) in `state`.
    pub async fn start(
        listen: SocketAddr,
        state: PrinterState,
    ) -> Result<VirtualPrinter, EmulatorError> {
        if !listen.ip().is_loopback() {
            return Err(EmulatorError::NotLoopback(listen));
        }
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| EmulatorError::Bind {
                addr: listen,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: listen,
                source,
            })?;
        let (state_tx, state_rx) = watch::channel(state);
        let state_tx = Arc::new(state_tx);
        let shared = Arc::new(Mutex::new(Shared::default()));
        let arrived = Arc::new(Notify::new());
        let task = tokio::spawn(serve(
            addr,
            Some(listener),
            (state_tx.clone(), state_rx),
            shared.clone(),
            arrived.clone(),
        ));
        Ok(VirtualPrinter {
            addr,
            state: state_tx,
            shared,
            arrived,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `tcp://127.0.0.1:PORT`, for a printer's `connect` setting.
    pub fn connect_url(&self) -> String {
        format!("tcp://{}", self.addr)
    }

    /// Switches paper, cover or power at runtime. `Offline` drops the
    /// connection and refuses new ones until the state changes again.
    pub fn set_status(&self, s: PrinterState) {
        self.state.send_replace(s);
    }

    pub fn status(&self) -> PrinterState {
        self.state.borrow().clone()
    }

    /// Cuts the next connection after `n` bytes (once).
    pub fn fail_after_bytes(&self, n: Option<usize>) {
        self.lock().fail_after = n;
    }

    /// Stops processing the next connection after `n` bytes: no more data is
    /// printed and no status is answered until the sender goes away (once).
    pub fn stall_after_bytes(&self, n: Option<usize>) {
        self.lock().stall_after = n;
    }

    /// Runs out of paper once `n` bytes in all have arrived (mid-ticket, if
    /// `n` falls inside one): the rest of the ticket waits in the buffer.
    pub fn paper_out_after_bytes(&self, n: Option<usize>) {
        self.lock().paper_out_at = n;
    }

    /// Cuts whichever connection brings `n` more bytes (counted over all
    /// connections from now, status requests included), once: a cable
    /// pulled mid-ticket, whenever the next ticket happens to be going out.
    pub fn cut_after_more_bytes(&self, n: usize) {
        let mut sh = self.lock();
        sh.cut_at = Some(sh.received + n.max(1));
    }

    /// Bytes received so far, status requests included.
    pub fn received_bytes(&self) -> usize {
        self.lock().received
    }

    /// Writes every job received from now on into `dir` (decoded text and raw bytes).
    pub fn write_to(&self, dir: PathBuf) {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            tracing::warn!(error = %e, dir = %dir.display(), "virtual printer cannot create its output folder");
        }
        self.lock().out_dir = Some(dir);
    }

    pub fn jobs(&self) -> Vec<ReceivedJob> {
        self.lock().jobs.clone()
    }

    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// Waits until at least `n` jobs arrived, or `timeout`; returns them all.
    pub async fn wait_for_jobs(&self, n: usize, timeout: Duration) -> Vec<ReceivedJob> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.arrived.notified();
            let jobs = self.jobs();
            if jobs.len() >= n {
                return jobs;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.jobs();
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn serve(
    addr: SocketAddr,
    mut listener: Option<TcpListener>,
    (paper, mut state): (
        Arc<watch::Sender<PrinterState>>,
        watch::Receiver<PrinterState>,
    ),
    shared: Arc<Mutex<Shared>>,
    arrived: Arc<Notify>,
) {
    loop {
        let off = *state.borrow_and_update() == PrinterState::Offline;
        if off {
            // Powered off: nobody listens.
            listener = None;
            if state.changed().await.is_err() {
                return;
            }
            continue;
        }
        let l = match listener.take() {
            Some(l) => l,
            None => match TcpListener::bind(addr).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(%addr, error = %e, "virtual printer cannot listen again yet");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        tokio::select! {
            acc = l.accept() => {
                listener = Some(l);
                if let Ok((stream, _)) = acc {
                    // One connection at a time: the next waits in the backlog.
                    connection(stream, (&paper, &mut state), &shared, &arrived).await;
                }
            }
            ch = state.changed() => {
                if ch.is_err() { return; }
                listener = Some(l);
            }
        }
    }
}

/// The most a job may hold without a cut: a ticket is a few KiB, a logo a
/// few hundred. A stream that never cuts is split here (each piece kept as
/// a job cut off), so a client cannot make the emulator hold unbounded
/// memory.
pub const MAX_JOB_BYTES: usize = 4 << 20;

/// Splits the byte stream into jobs.
struct JobSplitter {
    cur: Vec<u8>,
    first: Option<Instant>,
    paper_out: bool,
    /// `cur` holds something that prints (not only init and mode bytes).
    content: bool,
}

impl JobSplitter {
    fn push(&mut self, b: u8, now: Instant, paper_out: bool, done: &mut Vec<ReceivedJob>) {
        let n = self.cur.len();
        // A new ESC @ after printed content starts a new job.
        if n >= 1 && self.cur[n - 1] == 0x1B && b == b'@' && self.content {
            self.cur.pop();
            let job = self.finish(false);
            done.extend(job);
            self.cur.push(0x1B);
            self.first = Some(now);
        }
        if self.cur.is_empty() {
            self.first = Some(now);
        }
        self.cur.push(b);
        self.paper_out |= paper_out;
        if b >= 0x20 && b != 0x7F && !(n >= 1 && matches!(self.cur[n - 1], 0x1B..=0x1D)) {
            self.content = true;
        }
        if n >= 1 && self.cur[n - 1] == 0x1B && b == b'p' {
            // A drawer kick counts as something the printer does.
            self.content = true;
        }
        // A cut ends a job: GS V m (m = 0, 1, 48, 49) or GS V m n (m = 65, 66).
        let c = &self.cur;
        let l = c.len();
        let cut3 =
            l >= 3 && c[l - 3] == 0x1D && c[l - 2] == b'V' && matches!(c[l - 1], 0 | 1 | 48 | 49);
        let cut4 = l >= 4 && c[l - 4] == 0x1D && c[l - 3] == b'V' && matches!(c[l - 2], 65 | 66);
        if cut3 || cut4 {
            done.extend(self.finish(false));
            return;
        }
        // A drawer kick on its own (after init and Chinese mode only) is a
        // whole job: the drawer opens now, nothing waits for a cut.
        let kick = l >= 5 && c[l - 5] == 0x1B && c[l - 4] == b'p';
        if kick && only_modes(&c[..l - 5]) {
            done.extend(self.finish(false));
            return;
        }
        if l >= MAX_JOB_BYTES {
            done.extend(self.finish(true));
        }
    }

    fn finish(&mut self, cut_off: bool) -> Option<ReceivedJob> {
        let bytes = std::mem::take(&mut self.cur);
        let had = std::mem::replace(&mut self.content, false);
        let paper_out = std::mem::replace(&mut self.paper_out, false);
        let first = self.first.take()?;
        if !had {
            return None;
        }
        Some(ReceivedJob {
            text: decode(&bytes),
            bytes,
            first_byte_at: first,
            while_paper_out: paper_out,
            cut_off,
        })
    }
}

/// The bytes are only `ESC @` and `FS &` (nothing printed yet).
fn only_modes(b: &[u8]) -> bool {
    b.chunks(2).all(|p| p == [0x1B, b'@'] || p == [0x1C, b'&'])
}

async fn connection(
    mut s: TcpStream,
    (paper, state): (
        &watch::Sender<PrinterState>,
        &mut watch::Receiver<PrinterState>,
    ),
    shared: &Arc<Mutex<Shared>>,
    arrived: &Arc<Notify>,
) {
    let lock = || shared.lock().unwrap_or_else(|e| e.into_inner());
    let (fail_after, stall_after) = {
        let mut sh = lock();
        sh.connections += 1;
        (sh.fail_after.take(), sh.stall_after.take())
    };
    let mut stalled = false;
    let mut split = JobSplitter {
        cur: Vec::new(),
        first: None,
        paper_out: false,
        content: false,
    };
    let mut received = 0usize;
    let mut buf = vec![0u8; 8192];
    // A status request split across reads: the bytes seen so far.
    let mut pending: Vec<u8> = Vec::new();
    let mut cut = false;
    loop {
        let n = tokio::select! {
            r = s.read(&mut buf) => match r { Ok(0) | Err(_) => break, Ok(n) => n },
            ch = state.changed() => {
                if ch.is_err() || *state.borrow() == PrinterState::Offline { cut = true; break; }
                continue;
            }
        };
        if stalled {
            continue;
        }
        let now = Instant::now();
        let mut take = n;
        if let Some(limit) = fail_after {
            if received + n >= limit {
                take = limit.saturating_sub(received);
                cut = true;
            }
        }
        {
            let mut sh = lock();
            if let Some(at) = sh.cut_at {
                if sh.received + take >= at {
                    take = at.saturating_sub(sh.received);
                    sh.cut_at = None;
                    cut = true;
                }
            }
        }
        if let Some(limit) = stall_after {
            if received + take >= limit {
                take = limit.saturating_sub(received);
                stalled = true;
            }
        }
        received += take;
        let run_out = {
            let mut sh = lock();
            sh.received += take;
            match sh.paper_out_at {
                Some(at) if sh.received >= at => {
                    sh.paper_out_at = None;
                    true
                }
                _ => false,
            }
        };
        if run_out {
            paper.send_replace(PrinterState::PaperOut);
            state.borrow_and_update();
        }
        let st = state.borrow().clone();
        let paper_out = st == PrinterState::PaperOut;
        let mut done = Vec::new();
        let mut answers = Vec::new();
        for &b in &buf[..take] {
            // DLE EOT n is answered at once and never printed.
            if !pending.is_empty() || b == 0x10 {
                pending.push(b);
                match pending.as_slice() {
                    [0x10] => continue,
                    [0x10, 0x04] => continue,
                    [0x10, 0x04, n] => {
                        answers.push(dle_eot_answer(&st, *n));
                        pending.clear();
                        continue;
                    }
                    _ => {
                        for x in std::mem::take(&mut pending) {
                            split.push(x, now, paper_out, &mut done);
                        }
                        continue;
                    }
                }
            }
            split.push(b, now, paper_out, &mut done);
        }
        record(shared, arrived, done);
        if !answers.is_empty() && s.write_all(&answers).await.is_err() {
            break;
        }
        if cut {
            break;
        }
    }
    let mut done = Vec::new();
    done.extend(split.finish(cut || stalled));
    record(shared, arrived, done);
}

fn record(shared: &Arc<Mutex<Shared>>, arrived: &Arc<Notify>, done: Vec<ReceivedJob>) {
    if done.is_empty() {
        return;
    }
    let mut sh = shared.lock().unwrap_or_else(|e| e.into_inner());
    for j in done {
        let n = sh.jobs.len() + 1;
        if let Some(dir) = &sh.out_dir {
            let mut text = j.text.join("\n");
            text.push('\n');
            if let Err(e) = std::fs::write(dir.join(format!("job-{n:04}.txt")), text)
                .and_then(|_| std::fs::write(dir.join(format!("job-{n:04}.bin")), &j.bytes))
            {
                tracing::warn!(error = %e, "virtual printer cannot write its output");
            }
        }
        sh.jobs.push(j);
    }
    drop(sh);
    arrived.notify_waiters();
}

/// `passline printer-emulator`: runs a virtual printer until Ctrl-C, saying
/// one line per job received.
pub fn run_emulator(
    listen: SocketAddr,
    status: PrinterState,
    fail_after_bytes: Option<usize>,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let p = VirtualPrinter::start(listen, status.clone()).await?;
        p.fail_after_bytes(fail_after_bytes);
        if let Some(dir) = &out {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create {} ({e}): choose another --out", dir.display()))?;
            p.write_to(dir.clone());
        }
        println!("virtual printer on {} ({}); Ctrl-C stops it", p.connect_url(), status.words());
        let mut seen = 0;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                jobs = p.wait_for_jobs(seen + 1, Duration::from_secs(3600)) => {
                    for j in jobs.iter().skip(seen) {
                        seen += 1;
                        let first = j.text.iter().find(|l| !l.trim().is_empty()).cloned().unwrap_or_default();
                        println!(
                            "job {seen}: {} bytes, {} lines{}{}: {first}",
                            j.bytes.len(),
                            j.text.len(),
                            if j.cut_off { ", cut off" } else { "" },
                            if j.while_paper_out { ", while out of paper" } else { "" },
                        );
                    }
                }
            }
        }
        Ok(())
    })
}

/// Reads `online`, `paper-out`, `cover-open` or `offline`.
pub fn parse_status(s: &str) -> Option<PrinterState> {
    match s {
        "online" => Some(PrinterState::Online),
        "paper-out" => Some(PrinterState::PaperOut),
        "cover-open" => Some(PrinterState::CoverOpen),
        "offline" => Some(PrinterState::Offline),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn send(p: &VirtualPrinter, bytes: &[u8]) {
        let mut s = TcpStream::connect(p.addr()).await.expect("connects");
        let _ = s.write_all(bytes).await;
        let _ = s.shutdown().await;
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest).await;
    }

    #[test]
    fn a_job_that_never_cuts_is_split_at_the_limit() {
        let mut split = JobSplitter {
            cur: Vec::new(),
            first: None,
            paper_out: false,
            content: false,
        };
        let mut done = Vec::new();
        let now = Instant::now();
        for _ in 0..(MAX_JOB_BYTES * 2 + 10) {
            split.push(b'A', now, false, &mut done);
        }
        assert_eq!(done.len(), 2);
        assert!(done
            .iter()
            .all(|j| j.cut_off && j.bytes.len() == MAX_JOB_BYTES));
        assert_eq!(split.cur.len(), 10, "only the rest waits");
    }

    fn ticket(text: &str) -> Vec<u8> {
        let mut b = vec![0x1B, b'@'];
        b.extend_from_slice(text.as_bytes());
        b.extend_from_slice(&[b'\n', 0x1D, b'V', 0]);
        b
    }

    #[tokio::test]
    async fn a_cable_pulled_mid_ticket_cuts_whichever_connection_carries_it() {
        let p = VirtualPrinter::start("127.0.0.1:0".parse().expect("addr"), PrinterState::Online)
            .await
            .expect("starts");
        p.cut_after_more_bytes(10);
        // A status check (3 bytes) passes: the cut waits for more bytes.
        send(&p, &[0x10, 0x04, 1]).await;
        send(&p, &ticket("A001 kitchen ticket")).await;
        send(&p, &ticket("A002 whole")).await;
        let jobs = p.wait_for_jobs(2, Duration::from_secs(5)).await;
        assert_eq!(jobs.len(), 2, "{jobs:?}");
        assert!(jobs[0].cut_off, "the first ticket was cut");
        assert_eq!(jobs[0].bytes.len(), 7, "3 status bytes + 7 of the ticket");
        assert!(!jobs[1].cut_off, "the cut happens once");
        assert!(jobs[1].text.iter().any(|l| l.contains("A002 whole")));
    }
}
