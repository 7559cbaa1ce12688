//! The platform simulator (`passline simulate`): plays the ordering platform
//! as protocol.md says, over a real WebSocket on loopback. It checks the
//! token (HTTP 401), answers `hello` with `welcome`, replays from
//! `resume_after`, numbers events gaplessly per store, acknowledges each
//! report id once (a repeat is acked and not applied again), closes the online
//! trade on `payment.settled`, answers `payment.recheck` and charges
//! `payment.collect`. Events are kept in an NDJSON history so a restarted
//! simulator replays the same seqs. Tests start it in-process, read its
//! `Truth`, and control it (drop connections, stop, restart, wire faults).

mod answers;
pub mod scenario;
pub mod truth;

use crate::domain::{OrderId, PaymentUpdate};
use crate::feed::protocol::{ClientFrame, ServerFrame, MAX_WIRE_BYTES};
use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
pub use scenario::{Scenario, DEFAULT_RATE};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{header::AUTHORIZATION, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use truth::{HistoryFile, HistoryLine};
pub use truth::{ReceivedReport, Truth, TruthOrder};

/// Faults the simulator puts on the wire (never in the history).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WireFaults {
    /// Drop the connection after about this many event frames (random, mean).
    pub drop_every: Option<u32>,
    /// Chance an event frame is sent twice.
    pub duplicate: f64,
    /// Chance an event frame is left out (the console sees a gap).
    pub skip_seq: f64,
    /// Chance a `hello` is answered by replaying from the wrong point.
    pub wrong_resume: f64,
    /// Chance a garbage frame without a seq comes before an event frame.
    pub junk: f64,
}

impl WireFaults {
    pub fn none() -> WireFaults {
        WireFaults {
            drop_every: None,
            duplicate: 0.0,
            skip_seq: 0.0,
            wrong_resume: 0.0,
            junk: 0.0,
        }
    }

    pub fn chaos() -> WireFaults {
        WireFaults {
            drop_every: Some(60),
            duplicate: 0.03,
            skip_seq: 0.01,
            wrong_resume: 0.3,
            junk: 0.01,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub listen: SocketAddr,
    pub token: String,
    pub store_id: String,
    pub scenario: Scenario,
    pub seed: u64,
    /// Orders per minute (bursts reach 2.5×); follow-up events speed up with it.
    pub rate: f64,
    pub history: Option<PathBuf>,
    /// Stop placing orders after this many.
    pub max_orders: Option<u64>,
    /// Stop the scenario once this many events are numbered.
    pub max_events: Option<u64>,
    pub faults: WireFaults,
    /// Delay before a reactive answer (collect outcome, late success).
    pub answer_delay: Duration,
    /// Keep the time from writing each event frame to its ack (benchmarks).
    pub measure_latency: bool,
    /// When the scenario's first order is placed (default: 2026-11-25 11:30).
    pub start: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl SimConfig {
    pub fn new(listen: SocketAddr, token: &str, scenario: Scenario) -> SimConfig {
        SimConfig {
            listen,
            token: token.to_string(),
            store_id: "S001".into(),
            scenario,
            seed: 1,
            rate: DEFAULT_RATE,
            history: None,
            max_orders: None,
            max_events: None,
            faults: if scenario == Scenario::Chaos {
                WireFaults::chaos()
            } else {
                WireFaults::none()
            },
            answer_delay: Duration::from_millis(800),
            measure_latency: false,
            start: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source} (is another simulator running?)")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open the history file {path}: {source}")]
    History {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the simulator listens on loopback only, not {0}")]
    NotLoopback(SocketAddr),
}

struct State {
    /// Frame text of each event, index seq - 1.
    frames: Vec<Arc<str>>,
    truth: Truth,
    history: Option<HistoryFile>,
    /// Late successes planned for orders, sent at once when the store settles.
    late: HashMap<OrderId, PaymentUpdate>,
    rng: StdRng,
}

struct Shared {
    cfg: SimConfig,
    state: Mutex<State>,
    last_seq: watch::Sender<u64>,
    /// Bumped to drop every open connection.
    drops: watch::Sender<u64>,
    shutdown: watch::Sender<bool>,
    latency: Mutex<Latency>,
    /// Connections accepted (seeds each one's fault dice).
    accepted: std::sync::atomic::AtomicU64,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Numbers an event and keeps it; returns its seq.
    fn append(&self, step: Option<u64>, junk: bool, event: serde_json::Value) -> u64 {
        let seq = {
            let mut st = self.lock();
            let seq = st.truth.last_seq + 1;
            let line = HistoryLine::Event {
                seq,
                step,
                junk,
                event,
            };
            push_line(&mut st, &line);
            if let Some(h) = &mut st.history {
                h.append(&line);
            }
            seq
        };
        self.last_seq.send_replace(seq);
        seq
    }

    fn skip(&self, step: u64) {
        let mut st = self.lock();
        let line = HistoryLine::Skip { step };
        st.truth.apply(&line);
        if let Some(h) = &mut st.history {
            h.append(&line);
        }
    }

    fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        let east8 = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
        chrono::Utc::now().with_timezone(&east8)
    }
}

/// Send-to-ack times of event frames (when `measure_latency`).
#[derive(Default)]
struct Latency {
    sent: std::collections::BTreeMap<u64, Instant>,
    samples: Vec<Duration>,
}

impl Shared {
    fn sent(&self, seq: u64) {
        if self.cfg.measure_latency {
            let mut l = self.latency.lock().unwrap_or_else(|e| e.into_inner());
            l.sent.entry(seq).or_insert_with(Instant::now);
        }
    }

    fn acked(&self, seq: u64) {
        {
            let mut st = self.lock();
            st.truth.acked = st.truth.acked.max(seq);
        }
        if self.cfg.measure_latency {
            let now = Instant::now();
            let mut l = self.latency.lock().unwrap_or_else(|e| e.into_inner());
            let rest = l.sent.split_off(&(seq + 1));
            let done = std::mem::replace(&mut l.sent, rest);
            l.samples.extend(done.into_values().map(|t| now - t));
        }
    }
}

fn push_line(st: &mut State, line: &HistoryLine) {
    if let HistoryLine::Event { seq, event, .. } = line {
        // Written in the contract's key order: type, seq, event.
        let frame = format!(r#"{{"type":"event","seq":{seq},"event":{event}}}"#);
        st.frames.push(Arc::from(frame));
    }
    st.truth.apply(line);
}

/// A running simulator.
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Simulator {
    /// Starts listening (port 0 picks a free one) and playing the scenario.
    pub async fn start(cfg: SimConfig) -> Result<Simulator, SimError> {
        if !cfg.listen.ip().is_loopback() {
            return Err(SimError::NotLoopback(cfg.listen));
        }
        let (history, lines) = match &cfg.history {
            Some(p) => {
                let (h, l) = HistoryFile::open(p).map_err(|source| SimError::History {
                    path: p.clone(),
                    source,
                })?;
                (Some(h), l)
            }
            None => (None, Vec::new()),
        };
        let mut st = State {
            frames: Vec::new(),
            truth: Truth::default(),
            history,
            late: HashMap::new(),
            rng: StdRng::seed_from_u64(cfg.seed ^ 0x5eed_cafe),
        };
        for l in &lines {
            push_line(&mut st, l);
        }
        Self::launch(cfg, st).await
    }

    async fn launch(cfg: SimConfig, st: State) -> Result<Simulator, SimError> {
        let listener = TcpListener::bind(cfg.listen)
            .await
            .map_err(|source| SimError::Listen {
                addr: cfg.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Listen {
            addr: cfg.listen,
            source,
        })?;
        let last = st.truth.last_seq;
        let shared = Arc::new(Shared {
            cfg,
            state: Mutex::new(st),
            last_seq: watch::channel(last).0,
            drops: watch::channel(0).0,
            shutdown: watch::channel(false).0,
            accepted: std::sync::atomic::AtomicU64::new(0),
            latency: Mutex::new(Latency::default()),
        });
        let tasks = vec![
            tokio::spawn(accept_loop(shared.clone(), listener)),
            tokio::spawn(answers::produce(shared.clone())),
        ];
        tracing::info!(%addr, scenario = shared.cfg.scenario.name(), "simulator listening");
        Ok(Simulator {
            shared,
            addr,
            tasks,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://127.0.0.1:PORT/v1/stores/S001/feed`
    pub fn url(&self) -> String {
        format!(
            "ws://{}/v1/stores/{}/feed",
            self.addr, self.shared.cfg.store_id
        )
    }

    /// A copy of what the platform knows now.
    pub fn truth(&self) -> Truth {
        self.shared.lock().truth.clone()
    }

    /// Drops every open connection (as a dead link would).
    pub fn drop_connections(&self) {
        self.shared.drops.send_modify(|g| *g += 1);
    }

    /// Adds an event by hand (tests); returns its seq.
    pub fn push_event(&self, event: serde_json::Value) -> u64 {
        self.shared.append(None, false, event)
    }

    /// Adds a frame the console cannot use, with its own seq (tests).
    pub fn push_junk(&self, event: serde_json::Value) -> u64 {
        self.shared.append(None, true, event)
    }

    /// The highest seq the console has acknowledged.
    pub fn acked(&self) -> u64 {
        self.shared.lock().truth.acked
    }

    /// Send-to-ack times of every acknowledged event frame so far.
    pub fn ack_latencies(&self) -> Vec<Duration> {
        self.shared
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .samples
            .clone()
    }

    /// Waits until the console has acknowledged `seq` (false on timeout).
    pub async fn wait_acked(&self, seq: u64, within: Duration) -> bool {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if self.shared.lock().truth.acked >= seq {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    /// Stops listening and drops every connection.
    /// Returns its config, listening on the address it had, for a later start.
    pub async fn stop(mut self) -> SimConfig {
        self.halt().await;
        let mut cfg = self.shared.cfg.clone();
        cfg.listen = self.addr;
        cfg
    }

    async fn halt(&mut self) {
        self.shared.shutdown.send_replace(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }

    /// Stops, then starts again on the same address from the history file
    /// (or, without one, from what it had in memory).
    pub async fn restart(mut self) -> Result<Simulator, SimError> {
        self.halt().await;
        let mut cfg = self.shared.cfg.clone();
        cfg.listen = self.addr;
        if cfg.history.is_some() {
            drop(self);
            return Simulator::start(cfg).await;
        }
        let st = {
            let mut g = self.shared.lock();
            State {
                frames: std::mem::take(&mut g.frames),
                truth: std::mem::take(&mut g.truth),
                history: None,
                late: std::mem::take(&mut g.late),
                rng: g.rng.clone(),
            }
        };
        Self::launch(cfg, st).await
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
    }
}

/// Runs a simulator until `shutdown` turns true: the entry for `simulate`
/// and the demo.
pub async fn serve(
    cfg: SimConfig,
    mut shutdown: watch::Receiver<bool>,
) -> Result<SocketAddr, SimError> {
    let sim = Simulator::start(cfg).await?;
    let addr = sim.addr();
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            break;
        }
    }
    sim.stop().await;
    Ok(addr)
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    let mut shutdown = shared.shutdown.subscribe();
    let mut conns: Vec<JoinHandle<()>> = Vec::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            r = listener.accept() => match r {
                Ok((tcp, peer)) => {
                    let _ = tcp.set_nodelay(true);
                    conns.retain(|c| !c.is_finished());
                    let n = shared.accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    conns.push(tokio::spawn(connection(shared.clone(), tcp, peer, n)));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "simulator: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
    for c in conns {
        c.abort();
    }
}

enum Hs {
    Ok,
    Unauthorized,
}

async fn connection(shared: Arc<Shared>, tcp: TcpStream, peer: SocketAddr, n: u64) {
    let token = format!("Bearer {}", shared.cfg.token);
    let verdict = Arc::new(Mutex::new(Hs::Ok));
    let v = verdict.clone();
    // tungstenite's callback signature: its error is an HTTP response by value.
    #[allow(clippy::result_large_err)]
    let check = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let ok = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            == Some(token.as_str());
        if ok {
            return Ok(resp);
        }
        *v.lock().unwrap_or_else(|e| e.into_inner()) = Hs::Unauthorized;
        let mut e = ErrorResponse::new(Some("bad token".into()));
        *e.status_mut() = StatusCode::UNAUTHORIZED;
        Err(e)
    };
    let ws_cfg = WebSocketConfig::default()
        .max_message_size(Some(MAX_WIRE_BYTES))
        .max_frame_size(Some(MAX_WIRE_BYTES));
    let accepted = timeout(
        Duration::from_secs(5),
        tokio_tungstenite::accept_hdr_async_with_config(tcp, check, Some(ws_cfg)),
    )
    .await;
    if matches!(
        *verdict.lock().unwrap_or_else(|e| e.into_inner()),
        Hs::Unauthorized
    ) {
        shared.lock().truth.unauthorized += 1;
        tracing::info!(%peer, "simulator: refused a bad token");
        return;
    }
    let Ok(Ok(ws)) = accepted else { return };
    let (mut sink, mut source) = ws.split();
    let faults = shared.cfg.faults;
    let mut rng = StdRng::seed_from_u64(shared.cfg.seed.wrapping_add(n.wrapping_mul(0x9e37_79b9)));

    // hello
    let hello = match timeout(Duration::from_secs(10), source.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => serde_json::from_str::<ClientFrame>(t.as_str()).ok(),
        _ => None,
    };
    let resume_after = match hello {
        Some(ClientFrame::Hello {
            protocol: 1,
            store_id,
            resume_after,
            ..
        }) if store_id == shared.cfg.store_id => resume_after,
        other => {
            let (code, message) = match other {
                Some(ClientFrame::Hello { protocol, .. }) if protocol != 1 => {
                    ("unsupported_protocol", "this platform speaks protocol 1")
                }
                Some(ClientFrame::Hello { .. }) => {
                    ("unknown_store", "no such store for this token")
                }
                _ => ("hello_expected", "the first frame must be hello"),
            };
            let _ = sink
                .send(Message::text(
                    ServerFrame::Error {
                        code: code.into(),
                        message: message.into(),
                    }
                    .to_text(),
                ))
                .await;
            let _ = sink.close().await;
            return;
        }
    };
    let last = {
        let mut st = shared.lock();
        st.truth.connections += 1;
        st.truth.hellos.push(resume_after);
        st.truth.last_seq
    };
    let welcome = ServerFrame::Welcome {
        store_id: shared.cfg.store_id.clone(),
        server_time: shared.now().to_rfc3339(),
        last_seq: last,
    };
    if sink.send(Message::text(welcome.to_text())).await.is_err() {
        return;
    }
    let mut next = resume_after + 1;
    if faults.wrong_resume > 0.0 && rng.gen_bool(faults.wrong_resume.min(1.0)) {
        next = if rng.gen_bool(0.5) {
            next.saturating_sub(rng.gen_range(1..=20)).max(1)
        } else {
            next + 1
        };
        tracing::info!(
            resume_after,
            from = next,
            "simulator: replaying from the wrong point"
        );
    }
    let mut last_rx = shared.last_seq.subscribe();
    let mut drops = shared.drops.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let mut until_drop = faults.drop_every.map(|m| rng.gen_range(1..=m.max(1) * 2));
    loop {
        let last = *last_rx.borrow_and_update();
        let have = next <= last;
        tokio::select! {
            biased;
            _ = shutdown.changed() => return,
            _ = drops.changed() => return,
            msg = source.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                let replies = answers::on_client_frame(&shared, text.as_str());
                for r in replies {
                    if sink.feed(Message::text(r)).await.is_err() {
                        return;
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
            _ = std::future::ready(()), if have => {
                let frames: Vec<Arc<str>> = {
                    let st = shared.lock();
                    let from = (next - 1) as usize;
                    let to = (last as usize).min(from + 64);
                    st.frames[from..to].to_vec()
                };
                for f in frames {
                    next += 1;
                    if let Some(left) = &mut until_drop {
                        *left = left.saturating_sub(1);
                        if *left == 0 {
                            tracing::info!(seq = next - 1, "simulator: dropping the connection");
                            let _ = sink.flush().await;
                            linger(&shared, &mut source).await;
                            return;
                        }
                    }
                    if faults.skip_seq > 0.0 && rng.gen_bool(faults.skip_seq) {
                        continue;
                    }
                    if faults.junk > 0.0 && rng.gen_bool(faults.junk) {
                        shared.lock().truth.junk_frames_sent += 1;
                        if sink.feed(Message::text(junk_frame(&mut rng))).await.is_err() {
                            return;
                        }
                    }
                    shared.sent(next - 1);
                    let dup = faults.duplicate > 0.0 && rng.gen_bool(faults.duplicate);
                    for _ in 0..(1 + usize::from(dup)) {
                        if sink.feed(Message::text(&*f)).await.is_err() {
                            return;
                        }
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
            r = last_rx.changed(), if !have => {
                if r.is_err() {
                    return;
                }
            }
        }
    }
}

/// Before a drop: what was sent is on its way, so read (and record acks)
/// for a moment rather than reset the connection under the console's feet.
async fn linger(
    shared: &Arc<Shared>,
    source: &mut futures_util::stream::SplitStream<tokio_tungstenite::WebSocketStream<TcpStream>>,
) {
    let until = Instant::now() + Duration::from_millis(30);
    while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(until, source.next()).await {
        if let Message::Text(t) = msg {
            if let Ok(ClientFrame::Ack { seq }) = serde_json::from_str::<ClientFrame>(t.as_str()) {
                shared.acked(seq);
            }
        }
    }
}

fn junk_frame(rng: &mut StdRng) -> String {
    match rng.gen_range(0..3) {
        0 => r#"{"type":"event","event":{"kind":"order.placed","order":"#.to_string(),
        1 => r#"{"type":"promotion","text":"满100减20"}"#.to_string(),
        _ => "HTTP/1.1 502 Bad Gateway".to_string(),
    }
}
