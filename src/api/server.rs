//! The API server. One listener; per client a reader (its commands), a
//! subscriber (board, events, printers, feed) and a writer draining a
//! bounded queue to the socket. The engine's broadcast never waits for a
//! client: a client whose queue fills, or who falls behind the broadcast,
//! is told so (`dropped`, with the event id to resume after) and closed.

mod commands;

use super::access::Session;
use super::message::{self, ClientMsg, ServerMsg, StoreInfo, PROTOCOL};
use super::{same_token, ApiError, ApiOptions};
use crate::domain::status::FeedStatus;
use crate::domain::status::SpoolStatus;
use crate::domain::Event;
use crate::engine::EngineHandle;
use futures_util::stream::{SplitSink, StreamExt};
use futures_util::SinkExt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

/// A write that takes longer than this means the client is gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// A client being dropped gets this long to take the frames in flight and
/// the `dropped` farewell before the connection is closed without it.
const FAREWELL: Duration = Duration::from_secs(20);
/// A client whose queue stays full this long is dropped as too slow.
const STALL: Duration = Duration::from_secs(2);
/// Frames written to the socket per flush.
const WRITE_BATCH: usize = 64;
/// The kernel's send buffer for a client's socket. Left to autotuning it
/// grows to megabytes, and a screen that stops reading then looks healthy
/// for thousands of events; bounded, it shows up as a full queue at once.
const SEND_BUFFER: usize = 64 * 1024;
/// The handshake must be done within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once; one more is answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 256;
/// Connections from one address at once (a screen needs one, `ctl` one more).
pub const MAX_PER_ADDRESS: usize = 32;
/// A client has this long from connecting to say `hello`.
pub const HELLO_DEADLINE: Duration = Duration::from_secs(5);
/// A client that sends nothing (not even a ping) for this long is closed;
/// screens ping every 15 s.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Commands one connection may have waiting for their answers; one more is
/// answered `slow_down`.
pub const MAX_IN_FLIGHT: usize = 32;
/// Events of the log's tail sent with a snapshot.
const RECENT: u64 = 500;
/// A reconnect further behind than this gets a fresh snapshot instead.
const MAX_CATCH_UP: u64 = 20_000;
/// Frames over this are refused (as on the feed).
/// The largest frame a client may send: a counter order of a hundred
/// lines is a few KiB. Larger frames close the connection.
const MAX_FRAME: usize = 64 << 10;

/// The status watches the API passes on: the feed link and the printers.
#[derive(Clone)]
pub struct ApiStatus {
    pub feed: watch::Receiver<FeedStatus>,
    pub printers: watch::Receiver<SpoolStatus>,
}

/// One event, serialized once for every client.
#[derive(Clone)]
struct EventFrame {
    id: u64,
    text: Utf8Bytes,
}

struct Shared {
    engine: EngineHandle,
    /// Every committed event as a ready frame, gapless (see `hub`).
    frames: broadcast::Sender<EventFrame>,
    status: ApiStatus,
    token: Option<String>,
    queue: usize,
    store: StoreInfo,
    stop: watch::Receiver<bool>,
    /// Connections open now.
    open: std::sync::Mutex<Seats>,
}

/// Who holds the seats: connections per address, and those that have not
/// said `hello` yet (oldest first), which a newcomer may take the place of.
#[derive(Default)]
struct Seats {
    per_ip: std::collections::HashMap<std::net::IpAddr, usize>,
    total: usize,
    next: u64,
    /// Seats without a `hello` yet: (seat number, how to close it).
    waiting: std::collections::VecDeque<(u64, Arc<tokio::sync::Notify>)>,
}

/// A connection's place in the counts, given back when it ends.
struct Seat {
    sh: Arc<Shared>,
    ip: std::net::IpAddr,
    number: u64,
    /// Told when a newcomer takes this seat (it had not said hello).
    evicted: Arc<tokio::sync::Notify>,
}

impl Seat {
    /// A seat for a new connection from `ip`, or why there is none. When
    /// the console is full, the oldest connection that has not said hello
    /// gives up its seat: a flood of silent connections cannot keep a
    /// screen out, it only evicts itself.
    fn take(sh: &Arc<Shared>, ip: std::net::IpAddr) -> Result<Seat, &'static str> {
        let mut seats = sh.open.lock().unwrap_or_else(|e| e.into_inner());
        if seats.per_ip.get(&ip).copied().unwrap_or(0) >= MAX_PER_ADDRESS {
            return Err("too many connections from this address: close some screens");
        }
        if seats.total >= MAX_CONNECTIONS {
            match seats.waiting.pop_front() {
                // Its seat is given back when its task ends; counted here
                // as the newcomer's meanwhile.
                Some((_, close)) => close.notify_one(),
                None => return Err("the console has too many connections: try again in a minute"),
            }
        }
        *seats.per_ip.entry(ip).or_default() += 1;
        seats.total += 1;
        seats.next += 1;
        let number = seats.next;
        let evicted = Arc::new(tokio::sync::Notify::new());
        seats.waiting.push_back((number, evicted.clone()));
        Ok(Seat {
            sh: sh.clone(),
            ip,
            number,
            evicted,
        })
    }

    /// The connection said hello: its seat is no longer up for grabs.
    fn settled(&self) {
        let mut seats = self.sh.open.lock().unwrap_or_else(|e| e.into_inner());
        seats.waiting.retain(|(n, _)| *n != self.number);
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut seats = self.sh.open.lock().unwrap_or_else(|e| e.into_inner());
        seats.waiting.retain(|(n, _)| *n != self.number);
        seats.total = seats.total.saturating_sub(1);
        if let Some(n) = seats.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                seats.per_ip.remove(&self.ip);
            }
        }
    }
}

/// Answers a connection over the caps with a short HTTP 503 and closes it.
async fn turn_away(mut stream: TcpStream, why: &'static str) {
    use tokio::io::AsyncWriteExt;
    let body = format!("{why}\n");
    let resp = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(resp.as_bytes())).await;
}

/// The running API server.
pub struct ApiServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    /// The task that turns engine events into frames; it holds an engine
    /// handle, so `stop` waits for it too (the store can then be reopened).
    hub: tokio::task::JoinHandle<()>,
}

impl ApiServer {
    /// Checks the options, binds, and serves until `stop`.
    pub async fn start(
        opts: ApiOptions,
        engine: EngineHandle,
        status: ApiStatus,
        store_name: &str,
    ) -> Result<ApiServer, ApiError> {
        opts.check()?;
        let listener = TcpListener::bind(opts.listen)
            .await
            .map_err(|e| ApiError::Bind {
                addr: opts.listen.to_string(),
                detail: e.to_string(),
            })?;
        let addr = listener.local_addr().map_err(|e| ApiError::Bind {
            addr: opts.listen.to_string(),
            detail: e.to_string(),
        })?;
        let cfg = engine.config();
        let store = StoreInfo {
            name: store_name.to_string(),
            timezone: cfg.tz.name().to_string(),
            cash_rounding: cfg.rules.cash_rounding,
        };
        let (stop, stop_rx) = watch::channel(false);
        let (frames, _) = broadcast::channel(4096);
        let hub = tokio::spawn(hub(engine.clone(), frames.clone(), stop_rx.clone()));
        let shared = Arc::new(Shared {
            frames,
            engine,
            status,
            token: opts.token,
            queue: opts.queue.max(2),
            store,
            stop: stop_rx,
            open: std::sync::Mutex::new(Seats::default()),
        });
        tracing::info!(%addr, token = shared.token.is_some(), "local API listening");
        let task = tokio::spawn(accept_loop(listener, shared));
        Ok(ApiServer {
            addr,
            stop,
            task,
            hub,
        })
    }

    /// Where it listens (the real port when `:0` was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Tells every client the console is stopping, closes, and waits (at most
    /// a few seconds) for the connections to end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(Duration::from_secs(3), self.task)
            .await
            .is_err()
        {
            tracing::warn!("local API: some clients did not close in time");
        }
        let _ = tokio::time::timeout(Duration::from_secs(3), self.hub).await;
    }
}

async fn accept_loop(listener: TcpListener, sh: Arc<Shared>) {
    let mut stop = sh.stop.clone();
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, peer)) => match Seat::take(&sh, peer.ip()) {
                    Ok(seat) => {
                        conns.spawn(connection(stream, peer, seat));
                    }
                    Err(why) => {
                        tracing::warn!(%peer, why, "local API: connection turned away");
                        conns.spawn(turn_away(stream, why));
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "local API: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}

fn unauthorized() -> ErrorResponse {
    let mut r = ErrorResponse::new(Some(
        "unauthorized: send Authorization: Bearer <the [api] token>".to_string(),
    ));
    *r.status_mut() = StatusCode::UNAUTHORIZED;
    r
}

/// One frame waiting for the writer: its text and the event id it carries.
struct Out {
    text: Utf8Bytes,
    event: Option<u64>,
}

/// The sending side of one client's queue.
#[derive(Clone)]
struct Outbox {
    tx: mpsc::Sender<Out>,
    drop: mpsc::Sender<(&'static str, String)>,
}

impl Outbox {
    /// Queues a frame. A queue that stays full for `STALL` drops the
    /// client (only this client's task waits; the engine never does).
    /// False once the client is gone.
    async fn push(&self, text: Utf8Bytes, event: Option<u64>) -> bool {
        let out = match self.tx.try_send(Out { text, event }) {
            Ok(()) => return true,
            Err(mpsc::error::TrySendError::Closed(_)) => return false,
            Err(mpsc::error::TrySendError::Full(out)) => out,
        };
        match tokio::time::timeout(STALL, self.tx.send(out)).await {
            Ok(Ok(())) => true,
            Ok(Err(_)) => false,
            Err(_) => {
                self.bye(
                    "too_slow",
                    "this screen could not keep up: reconnect to catch up".into(),
                );
                false
            }
        }
    }

    async fn msg(&self, m: &ServerMsg) -> bool {
        self.push(message::text(m).into(), None).await
    }

    fn bye(&self, reason: &'static str, message: String) {
        let _ = self.drop.try_send((reason, message));
    }
}

async fn connection(stream: TcpStream, peer: SocketAddr, seat: Seat) {
    let sh = seat.sh.clone();
    let opened = tokio::time::Instant::now();
    let _ = stream.set_nodelay(true);
    if let Err(e) = socket2::SockRef::from(&stream).set_send_buffer_size(SEND_BUFFER) {
        tracing::warn!(%peer, error = %e, "local API: cannot bound the send buffer");
    }
    let token = sh.token.clone();
    #[allow(clippy::result_large_err)] // the shape tungstenite's callback asks for
    let check = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        // A page in a browser on the box sends its Origin; screens and
        // scripts never do. No page may drive the till.
        if req.headers().contains_key("origin") {
            let mut r = ErrorResponse::new(Some(
                "browser pages may not connect to the console's API: use passline attach or ctl"
                    .to_string(),
            ));
            *r.status_mut() = StatusCode::FORBIDDEN;
            return Err(r);
        }
        let Some(want) = &token else { return Ok(resp) };
        let given = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        match given {
            Some(g) if same_token(g, want) => Ok(resp),
            _ => Err(unauthorized()),
        }
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    let handshake = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(config)),
    );
    let ws = tokio::select! {
        r = handshake => match r {
            Ok(Ok(ws)) => ws,
            Ok(Err(e)) => {
                tracing::info!(%peer, error = %e, "local API: handshake refused");
                return;
            }
            Err(_) => return,
        },
        _ = seat.evicted.notified() => return,
    };
    let (sink, mut read) = ws.split();
    let (tx, rx) = mpsc::channel(sh.queue);
    let (drop_tx, drop_rx) = mpsc::channel(1);
    let written = Arc::new(AtomicU64::new(0));
    let mut writer = tokio::spawn(write_loop(sink, rx, drop_rx, written.clone()));
    let mut writer_done = false;
    let out = Outbox { tx, drop: drop_tx };
    let mut session: Option<Session> = None;
    let mut subscriber: Option<tokio::task::JoinHandle<()>> = None;
    let mut stop = sh.stop.clone();
    tracing::info!(%peer, "local API: client connected");
    // PIN failures are counted per device (docs/security.md, "PINs").
    let device = format!("api:{}", peer.ip());
    let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut last_frame = tokio::time::Instant::now();
    loop {
        // Before hello: the hello deadline from connecting; after: the idle timeout.
        let quiet_until = match session {
            None => opened + HELLO_DEADLINE,
            Some(_) => last_frame + IDLE_TIMEOUT,
        };
        let frame = tokio::select! {
            f = read.next() => f,
            _ = seat.evicted.notified(), if session.is_none() => {
                out.bye("no_hello", "the console is full and this connection had not said hello: reconnect and send hello at once".into());
                break;
            }
            _ = tokio::time::sleep_until(quiet_until) => {
                let (reason, words) = match session {
                    None => ("no_hello", "no hello within 5 s: send hello first"),
                    Some(_) => ("idle", "nothing heard for 60 s: reconnect (screens ping every 15 s)"),
                };
                tracing::info!(%peer, reason, "local API: closing a quiet connection");
                out.bye(reason, words.into());
                break;
            }
            // Dropped (too slow, behind) or the socket failed: close.
            _ = &mut writer => {
                writer_done = true;
                break;
            }
            _ = stop.changed() => {
                out.bye("stopping", "the console is stopping: reconnect when it is back".into());
                break;
            }
        };
        last_frame = tokio::time::Instant::now();
        let text = match frame {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(_))) | None => break,
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                tracing::info!(%peer, error = %e, "local API: client read failed");
                break;
            }
        };
        let msg: ClientMsg = match serde_json::from_str(&text) {
            Ok(m) => m,
            Err(e) => {
                out.msg(&ServerMsg::Error {
                    code: "bad_frame".into(),
                    message: format!("{e}: see docs/local-api.md for the frames"),
                })
                .await;
                continue;
            }
        };
        match (msg, session.as_mut()) {
            (
                ClientMsg::Hello {
                    role,
                    subscribe,
                    after,
                },
                None,
            ) => {
                session = Some(Session { role, staff: None });
                seat.settled();
                out.msg(&ServerMsg::Welcome {
                    protocol: PROTOCOL,
                    role,
                    store: sh.store.clone(),
                })
                .await;
                if subscribe {
                    subscriber = Some(tokio::spawn(subscribe_loop(sh.clone(), out.clone(), after)));
                }
            }
            (ClientMsg::Hello { .. }, Some(_)) => {
                out.msg(&ServerMsg::Error {
                    code: "hello_twice".into(),
                    message: "hello was already sent on this connection".into(),
                })
                .await;
            }
            (_, None) => {
                out.msg(&ServerMsg::Error {
                    code: "hello_first".into(),
                    message: "send hello (with the screen's role) first".into(),
                })
                .await;
            }
            (
                ClientMsg::Command {
                    key,
                    command,
                    approval,
                },
                Some(s),
            ) => {
                commands::command_frame(&sh, s, &device, &in_flight, &out, key, *command, approval)
                    .await
            }
            (ClientMsg::GetOrder { key, order_id }, Some(_)) => {
                let order = sh.engine.order(&order_id).ok().flatten();
                out.msg(&ServerMsg::Order { key, order }).await;
            }
            (ClientMsg::GetJob { key, job }, Some(_)) => {
                let job = sh.engine.job(job).ok().flatten();
                out.msg(&ServerMsg::Job { key, job }).await;
            }
        }
    }
    if let Some(s) = subscriber {
        s.abort();
    }
    drop(out);
    if !writer_done
        && tokio::time::timeout(Duration::from_secs(2), &mut writer)
            .await
            .is_err()
    {
        writer.abort();
    }
    tracing::info!(%peer, "local API: client gone");
}

type Sink = SplitSink<WebSocketStream<TcpStream>, Message>;

async fn write_loop(
    mut sink: Sink,
    mut rx: mpsc::Receiver<Out>,
    mut drops: mpsc::Receiver<(&'static str, String)>,
    written: Arc<AtomicU64>,
) {
    let farewell = loop {
        tokio::select! {
            biased;
            d = drops.recv() => break d,
            m = rx.recv() => match m {
                Some(first) => {
                    // Whatever else waits goes out with it, in one flush.
                    let mut batch = vec![first];
                    while batch.len() < WRITE_BATCH {
                        match rx.try_recv() {
                            Ok(o) => batch.push(o),
                            Err(_) => break,
                        }
                    }
                    let last = batch.iter().rev().find_map(|o| o.event);
                    let write = async {
                        for o in batch {
                            sink.feed(Message::Text(o.text)).await?;
                        }
                        sink.flush().await
                    };
                    tokio::pin!(write);
                    let done = match tokio::time::timeout(WRITE_TIMEOUT, &mut write).await {
                        Ok(r) => r.is_ok(),
                        // The socket took nothing for a while. A screen being
                        // dropped as too slow still gets its farewell if it
                        // reads again soon; otherwise it is gone.
                        Err(_) => match drops.try_recv() {
                            Ok(d) => {
                                let finished =
                                    matches!(tokio::time::timeout(FAREWELL, &mut write).await, Ok(Ok(())));
                                if finished {
                                    if let Some(id) = last {
                                        written.store(id, Ordering::Relaxed);
                                    }
                                    break Some(d);
                                }
                                false
                            }
                            Err(_) => false,
                        },
                    };
                    if !done {
                        return;
                    }
                    if let Some(id) = last {
                        written.store(id, Ordering::Relaxed);
                    }
                }
                None => break None,
            },
        }
    };
    if let Some((reason, message)) = farewell {
        let bye = ServerMsg::Dropped {
            reason: reason.into(),
            message,
            resume_after: written.load(Ordering::Relaxed),
        };
        let _ = tokio::time::timeout(FAREWELL, sink.send(Message::text(message::text(&bye)))).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
}

/// Sends the board (or the missed events), then every event, printer and
/// feed change until the client goes or falls behind.
/// Serializes each committed event once and passes it to every client's
/// subscriber, without gaps: what the engine's broadcast skipped (this task
/// lagged) or what came before the first event it saw is read from the log.
async fn hub(
    engine: EngineHandle,
    frames: broadcast::Sender<EventFrame>,
    mut stop: watch::Receiver<bool>,
) {
    let mut events = engine.subscribe();
    let mut last = engine.stats().borrow().last_event;
    let publish = |ev: &Event| {
        let _ = frames.send(EventFrame {
            id: ev.id,
            text: message::event_text(ev).into(),
        });
    };
    loop {
        let upto = tokio::select! {
            r = events.recv() => match r {
                Ok(ev) if ev.id <= last => continue,
                Ok(ev) if ev.id == last + 1 => {
                    publish(&ev);
                    last = ev.id;
                    continue;
                }
                Ok(ev) => Some(ev),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "local API: reading missed events from the log");
                    None
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = stop.changed() => return,
        };
        // Fill the gap from the log, then the event that showed it.
        loop {
            let batch = match engine.events_after(last, 500) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "local API: cannot read the log");
                    break;
                }
            };
            let mut progressed = false;
            for ev in &batch {
                if upto.as_ref().is_some_and(|u| ev.id >= u.id) {
                    break;
                }
                publish(ev);
                last = ev.id;
                progressed = true;
            }
            let reached = upto.as_ref().is_some_and(|u| last + 1 >= u.id);
            if !progressed || reached || batch.len() < 500 {
                break;
            }
        }
        if let Some(ev) = upto {
            if ev.id > last {
                publish(&ev);
                last = ev.id;
            }
        }
    }
}

async fn subscribe_loop(sh: Arc<Shared>, out: Outbox, after: Option<u64>) {
    let mut events = sh.frames.subscribe();
    let mut feed = sh.status.feed.clone();
    let mut printers = sh.status.printers.clone();
    let now = sh.engine.stats().borrow().last_event;
    let mut last = match after {
        Some(a) if now.saturating_sub(a) <= MAX_CATCH_UP => a,
        _ => {
            let orders = sh.engine.board().into_values().collect();
            let recent = sh
                .engine
                .events_after(now.saturating_sub(RECENT), RECENT as usize)
                .unwrap_or_default()
                .into_iter()
                // The log may already hold events committed after `now`
                // (published a moment later): they follow as events, once.
                .filter(|e| e.id <= now)
                .collect();
            let snap = ServerMsg::Snapshot {
                last_event: now,
                orders,
                printers: printers.borrow_and_update().clone(),
                feed: feed.borrow_and_update().clone(),
                recent,
            };
            if !out.msg(&snap).await {
                return;
            }
            now
        }
    };
    // Everything committed since `last` (also what the snapshot's moment
    // missed); live events already read here are skipped below by id.
    loop {
        let batch = match sh.engine.events_after(last, 500) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "local API: cannot read the log");
                out.bye(
                    "console_error",
                    format!("the console cannot read its log: {e}"),
                );
                return;
            }
        };
        let Some(end) = batch.last().map(|e| e.id) else {
            break;
        };
        for ev in &batch {
            if !out.push(message::event_text(ev).into(), Some(ev.id)).await {
                return;
            }
        }
        last = end;
    }
    if after.is_some() {
        let caught = ServerMsg::CaughtUp {
            last_event: last,
            printers: printers.borrow_and_update().clone(),
            feed: feed.borrow_and_update().clone(),
        };
        if !out.msg(&caught).await {
            return;
        }
    }
    let (mut feed_open, mut printers_open) = (true, true);
    loop {
        tokio::select! {
            r = events.recv() => match r {
                Ok(ev) => {
                    if ev.id <= last {
                        continue;
                    }
                    last = ev.id;
                    if !out.push(ev.text, Some(ev.id)).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "local API: a client fell behind the engine");
                    out.bye("fell_behind", format!("this screen fell {n} events behind: reconnect to catch up"));
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => {
                    out.bye("stopping", "the console is stopping: reconnect when it is back".into());
                    return;
                }
            },
            r = feed.changed(), if feed_open => match r {
                Ok(()) => {
                    let f = feed.borrow_and_update().clone();
                    if !out.msg(&ServerMsg::Feed { feed: f }).await {
                        return;
                    }
                }
                Err(_) => feed_open = false,
            },
            r = printers.changed(), if printers_open => match r {
                Ok(()) => {
                    let p = printers.borrow_and_update().clone();
                    if !out.msg(&ServerMsg::Printers { printers: p }).await {
                        return;
                    }
                }
                Err(_) => printers_open = false,
            },
        }
    }
}
