//! The API's client side. `ApiClient` dials and speaks the frames (ctl,
//! tests, the benchmark); `Remote` is an attached screen's console source:
//! a mirror of the board kept by the socket, events re-published to the
//! screen, commands answered by the console, and a reconnect that resumes
//! from the last event seen (and signs the same person in again).

use super::message::{ClientMsg, CommandResult, ScreenRole, ServerMsg, StoreInfo};
use super::ApiError;
use crate::domain::status::FeedStatus;
use crate::domain::status::SpoolStatus;
use crate::domain::{CashRounding, Command, Event, EventBody, OrderId, OrderState, Staff, StaffId};
use crate::engine::{Board, Committed, EngineError};
use futures_util::{SinkExt, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Dialling gives up after this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A ping this often; no frame for `DEAD_AFTER` means the link is dead.
const PING_EVERY: Duration = Duration::from_secs(15);
const DEAD_AFTER: Duration = Duration::from_secs(45);
/// A command not answered in this long is reported as failed (and, if it
/// has not left yet, never sent).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// Log lines an attached screen keeps for its log view.
const RECENT: usize = 2000;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One connection to the API.
pub struct ApiClient {
    ws: Ws,
    url: String,
    /// The `welcome` frame's store.
    pub store: StoreInfo,
}

impl ApiClient {
    /// Dials, sends `hello` and reads `welcome`.
    pub async fn connect(
        url: &str,
        token: Option<&str>,
        role: ScreenRole,
        subscribe: bool,
        after: Option<u64>,
    ) -> Result<ApiClient, ApiError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let unreachable = |detail: String| ApiError::Unreachable {
            url: url.to_string(),
            detail,
        };
        let mut req = url
            .into_client_request()
            .map_err(|e| unreachable(format!("not a ws:// address ({e})")))?;
        if let Some(t) = token {
            let v = HeaderValue::from_str(&format!("Bearer {t}")).map_err(|_| {
                unreachable("the token has characters a header cannot carry".into())
            })?;
            req.headers_mut().insert("authorization", v);
        }
        let ws = match tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(req))
            .await
        {
            Err(_) => return Err(unreachable("no answer in 5 s".into())),
            Ok(Err(tungstenite::Error::Http(resp)))
                if resp.status() == StatusCode::UNAUTHORIZED =>
            {
                return Err(ApiError::Unauthorized {
                    url: url.to_string(),
                })
            }
            Ok(Err(e)) => return Err(unreachable(e.to_string())),
            Ok(Ok((ws, _))) => ws,
        };
        let mut c = ApiClient {
            ws,
            url: url.to_string(),
            store: StoreInfo {
                name: String::new(),
                timezone: String::new(),
                cash_rounding: CashRounding::Fen,
            },
        };
        c.send(&ClientMsg::Hello {
            role,
            subscribe,
            after,
        })
        .await?;
        match c.next().await? {
            ServerMsg::Welcome { store, .. } => c.store = store,
            other => return Err(c.protocol(format!("expected welcome, got {other:?}"))),
        }
        Ok(c)
    }

    fn protocol(&self, detail: String) -> ApiError {
        ApiError::Protocol {
            url: self.url.clone(),
            detail,
        }
    }

    fn gone(&self, detail: String) -> ApiError {
        ApiError::Unreachable {
            url: self.url.clone(),
            detail,
        }
    }

    pub async fn send(&mut self, msg: &ClientMsg) -> Result<(), ApiError> {
        let text = serde_json::to_string(msg).expect("client frames always serialize to JSON");
        self.send_text(text).await
    }

    async fn send_text(&mut self, text: String) -> Result<(), ApiError> {
        match tokio::time::timeout(CONNECT_TIMEOUT, self.ws.send(Message::text(text))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.gone(e.to_string())),
            Err(_) => Err(self.gone("a write took over 5 s".into())),
        }
    }

    async fn ping(&mut self) -> Result<(), ApiError> {
        match tokio::time::timeout(
            CONNECT_TIMEOUT,
            self.ws.send(Message::Ping(Default::default())),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            _ => Err(self.gone("the ping could not be sent".into())),
        }
    }

    /// The next frame from the console (pings are answered on the way).
    pub async fn next(&mut self) -> Result<ServerMsg, ApiError> {
        loop {
            let frame = match tokio::time::timeout(DEAD_AFTER, self.ws.next()).await {
                Err(_) => return Err(self.gone("silent for 45 s".into())),
                Ok(None) => return Err(self.gone("the console closed the connection".into())),
                Ok(Some(Err(e))) => return Err(self.gone(e.to_string())),
                Ok(Some(Ok(f))) => f,
            };
            match frame {
                Message::Text(t) => {
                    return serde_json::from_str(&t)
                        .map_err(|e| self.protocol(format!("{e} in {}", t.as_str())))
                }
                Message::Close(_) => {
                    return Err(self.gone("the console closed the connection".into()))
                }
                _ => continue,
            }
        }
    }

    /// Sends one command and waits for its result (other frames are skipped).
    pub async fn command(
        &mut self,
        key: &str,
        command: Command,
        approval: Option<crate::domain::Approval>,
    ) -> Result<CommandResult, ApiError> {
        self.send(&ClientMsg::Command {
            key: key.to_string(),
            command: Box::new(command),
            approval,
        })
        .await?;
        loop {
            match self.next().await? {
                ServerMsg::Result(r) if r.key == key => return Ok(r),
                ServerMsg::Dropped { message, .. } => return Err(self.gone(message)),
                _ => continue,
            }
        }
    }

    /// Waits for the reply to a `get_order` or `get_job` with this key.
    pub async fn reply(&mut self, key: &str) -> Result<ServerMsg, ApiError> {
        loop {
            match self.next().await? {
                m @ ServerMsg::Order { .. } | m @ ServerMsg::Job { .. } => {
                    let k = match &m {
                        ServerMsg::Order { key, .. } | ServerMsg::Job { key, .. } => key,
                        _ => unreachable!("matched above"),
                    };
                    if k == key {
                        return Ok(m);
                    }
                }
                ServerMsg::Dropped { message, .. } => return Err(self.gone(message)),
                _ => continue,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.ws.close(None)).await;
    }
}

/// Folds one event into a board (as the engine's projection does).
/// Returns false for an event of an order the board does not hold.
pub fn apply_to_board(board: &mut Board, ev: &Event) -> bool {
    let Some(id) = ev.body.order_id() else {
        return true;
    };
    match board.get_mut(id) {
        Some(st) if st.last_event >= ev.id => true,
        Some(st) => {
            st.apply(ev.id, ev.at, &ev.body);
            true
        }
        None => match &ev.body {
            EventBody::OrderPlaced { order } => {
                let mut st = OrderState::new(order.clone(), ev.id, ev.at);
                st.apply(ev.id, ev.at, &ev.body);
                board.insert(id.clone(), st);
                true
            }
            _ => false,
        },
    }
}

/// A request on its way to the connection task.
struct Request {
    key: String,
    text: String,
    reply: oneshot::Sender<CommandResult>,
    deadline: Instant,
    sign_in: bool,
}

struct Mirror {
    board: Board,
    recent: VecDeque<Event>,
}

struct RemoteShared {
    url: String,
    token: Option<String>,
    role: ScreenRole,
    store: StoreInfo,
    tz: chrono_tz::Tz,
    requests: mpsc::UnboundedSender<Request>,
    events: broadcast::Sender<Arc<Event>>,
    mirror: RwLock<Mirror>,
    last_event: AtomicU64,
    staff: Mutex<HashMap<StaffId, Staff>>,
    feed: watch::Sender<FeedStatus>,
    printers: watch::Sender<SpoolStatus>,
    connected: watch::Sender<bool>,
}

/// An attached screen's view of a console over the API. Clone freely.
#[derive(Clone)]
pub struct Remote {
    sh: Arc<RemoteShared>,
}

impl Remote {
    /// Connects, reads the snapshot and keeps the mirror live (reconnecting
    /// on its own) until the last clone is dropped.
    pub async fn connect(
        url: &str,
        token: Option<&str>,
        role: ScreenRole,
    ) -> Result<Remote, ApiError> {
        let mut c = ApiClient::connect(url, token, role, true, None).await?;
        let (last, orders, printers, feed, recent) = match c.next().await? {
            ServerMsg::Snapshot {
                last_event,
                orders,
                printers,
                feed,
                recent,
            } => (last_event, orders, printers, feed, recent),
            other => return Err(c.protocol(format!("expected the snapshot, got {other:?}"))),
        };
        let (requests, rx) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(4096);
        let tz = c
            .store
            .timezone
            .parse()
            .unwrap_or(chrono_tz::Asia::Shanghai);
        let mut recent: VecDeque<Event> = recent.into();
        recent.truncate(RECENT);
        let sh = Arc::new(RemoteShared {
            url: url.to_string(),
            token: token.map(str::to_string),
            role,
            store: c.store.clone(),
            tz,
            requests,
            events,
            mirror: RwLock::new(Mirror {
                board: orders
                    .into_iter()
                    .map(|o| (o.order.id.clone(), o))
                    .collect(),
                recent,
            }),
            last_event: AtomicU64::new(last),
            staff: Mutex::new(HashMap::new()),
            feed: watch::Sender::new(feed),
            printers: watch::Sender::new(printers),
            connected: watch::Sender::new(true),
        });
        tokio::spawn(run(Arc::downgrade(&sh), c, rx));
        Ok(Remote { sh })
    }

    pub fn url(&self) -> &str {
        &self.sh.url
    }
    pub fn role(&self) -> ScreenRole {
        self.sh.role
    }
    pub fn store(&self) -> &StoreInfo {
        &self.sh.store
    }
    pub fn tz(&self) -> chrono_tz::Tz {
        self.sh.tz
    }
    pub fn cash_rounding(&self) -> CashRounding {
        self.sh.store.cash_rounding
    }
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sh.events.subscribe()
    }
    pub fn board(&self) -> Board {
        self.sh
            .mirror
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .board
            .clone()
    }
    pub fn order(&self, id: &OrderId) -> Option<OrderState> {
        let m = self.sh.mirror.read().unwrap_or_else(|e| e.into_inner());
        m.board.get(id).cloned()
    }
    pub fn last_event(&self) -> u64 {
        self.sh.last_event.load(Ordering::Acquire)
    }
    /// The events after `after` that this screen has kept (the log's
    /// tail), oldest first, at most `limit`.
    pub fn events_after(&self, after: u64, limit: usize) -> Vec<Event> {
        let m = self.sh.mirror.read().unwrap_or_else(|e| e.into_inner());
        m.recent
            .iter()
            .filter(|e| e.id > after)
            .take(limit)
            .cloned()
            .collect()
    }
    /// Who signed in here (from the console's answer to the sign-in).
    pub fn staff_member(&self, id: &StaffId) -> Option<Staff> {
        self.sh
            .staff
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }
    pub fn feed(&self) -> watch::Receiver<FeedStatus> {
        self.sh.feed.subscribe()
    }
    pub fn printers(&self) -> watch::Receiver<SpoolStatus> {
        self.sh.printers.subscribe()
    }
    /// True while the socket is up.
    pub fn connected(&self) -> watch::Receiver<bool> {
        self.sh.connected.subscribe()
    }

    /// Sends a command with a fresh idempotency key and waits for the answer.
    pub async fn execute(&self, command: Command) -> Result<Committed, EngineError> {
        let key = ulid::Ulid::new().to_string();
        let sign_in = matches!(command, Command::SignIn { .. });
        let text = serde_json::to_string(&ClientMsg::Command {
            key: key.clone(),
            command: Box::new(command),
            approval: None,
        })
        .expect("client frames always serialize to JSON");
        let (reply, rx) = oneshot::channel();
        let req = Request {
            key,
            text,
            reply,
            deadline: Instant::now() + ANSWER_TIMEOUT,
            sign_in,
        };
        if self.sh.requests.send(req).is_err() {
            return Err(self.lost());
        }
        match tokio::time::timeout(ANSWER_TIMEOUT, rx).await {
            Ok(Ok(r)) => {
                if let Some(s) = &r.staff {
                    self.sh
                        .staff
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(s.id.clone(), s.clone());
                }
                r.into_engine()
            }
            Ok(Err(_)) | Err(_) => Err(self.lost()),
        }
    }

    fn lost(&self) -> EngineError {
        EngineError::Remote(format!(
            "no answer from the console at {}: check the order on screen, then try again",
            self.sh.url
        ))
    }
}

/// Folds a frame into the mirror; answers a waiting command.
fn apply(
    sh: &RemoteShared,
    msg: ServerMsg,
    pending: &mut HashMap<String, oneshot::Sender<CommandResult>>,
) {
    match msg {
        ServerMsg::Event { event } => {
            if event.id <= sh.last_event.load(Ordering::Acquire) {
                return;
            }
            {
                let mut m = sh.mirror.write().unwrap_or_else(|e| e.into_inner());
                apply_to_board(&mut m.board, &event);
                m.recent.push_back(event.clone());
                while m.recent.len() > RECENT {
                    m.recent.pop_front();
                }
            }
            sh.last_event.store(event.id, Ordering::Release);
            let _ = sh.events.send(Arc::new(event));
        }
        ServerMsg::Snapshot {
            last_event,
            orders,
            printers,
            feed,
            ..
        } => {
            // Only after a very long absence: the board starts over.
            let mut m = sh.mirror.write().unwrap_or_else(|e| e.into_inner());
            m.board = orders
                .into_iter()
                .map(|o| (o.order.id.clone(), o))
                .collect();
            sh.last_event.store(last_event, Ordering::Release);
            sh.printers.send_replace(printers);
            sh.feed.send_replace(feed);
        }
        ServerMsg::CaughtUp { printers, feed, .. } => {
            sh.printers.send_replace(printers);
            sh.feed.send_replace(feed);
        }
        ServerMsg::Printers { printers } => {
            sh.printers.send_replace(printers);
        }
        ServerMsg::Feed { feed } => {
            sh.feed.send_replace(feed);
        }
        ServerMsg::Result(r) => {
            if let Some(reply) = pending.remove(&r.key) {
                let _ = reply.send(r);
            }
        }
        ServerMsg::Dropped {
            reason, message, ..
        } => {
            tracing::warn!(%reason, %message, "the console dropped this screen")
        }
        ServerMsg::Error { code, message } => {
            tracing::warn!(%code, %message, "the console could not use a frame")
        }
        ServerMsg::Welcome { .. } | ServerMsg::Order { .. } | ServerMsg::Job { .. } => {}
    }
}

/// The connection task: frames in, requests out, pings; reconnects with a
/// growing delay (0.5 s doubling to 5 s) and resumes after the last event.
async fn run(
    weak: std::sync::Weak<RemoteShared>,
    mut conn: ApiClient,
    mut requests: mpsc::UnboundedReceiver<Request>,
) {
    let mut pending: HashMap<String, oneshot::Sender<CommandResult>> = HashMap::new();
    // The last sign-in that succeeded: sent again after a reconnect, so the
    // person stays signed in on the new connection.
    let mut sign_in: Option<String> = None;
    let mut sign_in_key: Option<(String, String)> = None;
    loop {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.reset();
        let why = loop {
            tokio::select! {
                r = requests.recv() => match r {
                    Some(req) => {
                        if req.deadline <= Instant::now() {
                            continue;
                        }
                        if req.sign_in {
                            sign_in_key = Some((req.key.clone(), req.text.clone()));
                        }
                        if let Err(e) = conn.send_text(req.text).await {
                            break e;
                        }
                        pending.insert(req.key, req.reply);
                    }
                    None => {
                        conn.close().await;
                        return;
                    }
                },
                m = conn.next() => match m {
                    Ok(msg) => {
                        let Some(sh) = weak.upgrade() else { return };
                        if let (ServerMsg::Result(r), Some((k, text))) = (&msg, &sign_in_key) {
                            if &r.key == k {
                                if r.ok {
                                    sign_in = Some(text.clone());
                                }
                                sign_in_key = None;
                            }
                        }
                        apply(&sh, msg, &mut pending);
                    }
                    Err(e) => break e,
                },
                _ = ping.tick() => {
                    if let Err(e) = conn.ping().await {
                        break e;
                    }
                }
            }
        };
        pending.clear();
        let Some(sh) = weak.upgrade() else { return };
        tracing::warn!(error = %why, "lost the console: reconnecting");
        sh.connected.send_replace(false);
        let (url, token, role) = (sh.url.clone(), sh.token.clone(), sh.role);
        drop(sh);
        let mut delay = Duration::from_millis(500);
        conn = loop {
            tokio::time::sleep(delay).await;
            let Some(sh) = weak.upgrade() else { return };
            let after = sh.last_event.load(Ordering::Acquire);
            drop(sh);
            match ApiClient::connect(&url, token.as_deref(), role, true, Some(after)).await {
                Ok(c) => break c,
                Err(e) => {
                    tracing::info!(error = %e, "console still unreachable");
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        };
        if let Some(text) = &sign_in {
            // Its answer (with a key nobody waits for) is ignored.
            if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(text) {
                v["key"] = ulid::Ulid::new().to_string().into();
                let _ = conn.send_text(v.to_string()).await;
            }
        }
        if let Some(sh) = weak.upgrade() {
            sh.connected.send_replace(true);
        }
        tracing::info!(%url, "console reached again");
    }
}
