//! The feed client: dials the platform, says `hello` with the committed
//! cursor, commits every event through the engine before acknowledging it,
//! sends the outbox until each report is acknowledged, keeps the link alive
//! and reconnects with jittered backoff. The pattern is Zed's `client`: the
//! link state goes out on a `watch`, every write is under a timeout, and any
//! frame resets a receive deadline.
//!
//! Events are pipelined: each is handed to the engine as soon as it is read
//! (in order, so the engine sees them in seq order and can group-commit
//! them), and acknowledged when its commit is durable. A seq that skips ahead
//! is never handed over: the client drains what is in flight and reconnects
//! with `resume_after` = the committed cursor.
//!
//! Link states: `Connecting` while dialling and between the first attempts,
//! `Offline { since }` once `offline_after_attempts` attempts in a row failed,
//! `Unauthorized` after an HTTP 401 (then every retry waits the longest delay).

use super::protocol::{self, ClientFrame, Decoded, QuarantineItem, ServerFrame, MAX_WIRE_BYTES};
use crate::domain::status::{FeedStatus, LinkState};
use crate::domain::Command;
use crate::engine::{Committed, EngineError, EngineHandle};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use rand::Rng;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header::AUTHORIZATION, HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use super::settings::{FeedConfig, FeedConfigError, FeedTiming};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Sink = SplitSink<Ws, Message>;
type Source = SplitStream<Ws>;
type Commit<'a> = Pin<Box<dyn Future<Output = Result<Committed, EngineError>> + Send + 'a>>;

/// Installs rustls' ring provider (once per process); without it a `wss://`
/// connect panics inside rustls.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Runs the feed until `shutdown` turns true (or its sender is dropped).
pub async fn run_feed(engine: EngineHandle, cfg: FeedConfig, shutdown: watch::Receiver<bool>) {
    install_crypto();
    // Both end with this call, so no engine handle outlives it.
    tokio::select! {
        _ = publish_counts(engine.clone(), cfg.status.clone()) => {}
        _ = link_loop(&engine, &cfg, shutdown) => {}
    }
}

async fn link_loop(engine: &EngineHandle, cfg: &FeedConfig, mut shutdown: watch::Receiver<bool>) {
    let tz = engine.config().tz;
    let now = move || chrono::Utc::now().with_timezone(&tz).fixed_offset();
    let mut failures: u32 = 0;
    let mut down_since = now();
    let mut unauthorized = false;
    loop {
        if stopping(&shutdown) {
            break;
        }
        if !unauthorized {
            set_link(
                cfg,
                LinkState::Connecting {
                    attempt: failures + 1,
                    next_try_secs: 0,
                },
            );
        }
        let started = Instant::now();
        let ended = Session::run(engine, cfg, &mut shutdown).await;
        let delay = match ended {
            Ended::Shutdown => break,
            Ended::Unauthorized => {
                tracing::warn!("feed: the platform refused the token (HTTP 401)");
                unauthorized = true;
                failures = failures.saturating_add(1);
                set_link(cfg, LinkState::Unauthorized);
                cfg.timing.backoff_max
            }
            Ended::Lost { reason, progress } => {
                if progress || started.elapsed() >= cfg.timing.backoff_max {
                    failures = 0;
                    down_since = now();
                }
                unauthorized = false;
                tracing::info!(%reason, failures, "feed link down");
                let ceiling = cfg.timing.backoff_ceiling(failures);
                failures = failures.saturating_add(1);
                jitter(ceiling)
            }
        };
        if wait_before_retry(
            cfg,
            delay,
            failures,
            unauthorized,
            down_since,
            &mut shutdown,
        )
        .await
        {
            break;
        }
    }
    set_link(cfg, LinkState::Offline { since: now() });
}

fn stopping(shutdown: &watch::Receiver<bool>) -> bool {
    *shutdown.borrow() || shutdown.has_changed().is_err()
}

fn jitter(ceiling: Duration) -> Duration {
    let ms = ceiling.as_millis().min(u128::from(u64::MAX)) as u64;
    Duration::from_millis(rand::thread_rng().gen_range(0..=ms))
}

/// Waits `delay`, counting down on the status; true when shutting down.
async fn wait_before_retry(
    cfg: &FeedConfig,
    delay: Duration,
    failures: u32,
    unauthorized: bool,
    down_since: chrono::DateTime<chrono::FixedOffset>,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    let until = Instant::now() + delay;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if !unauthorized {
            if failures >= cfg.timing.offline_after_attempts {
                set_link(cfg, LinkState::Offline { since: down_since });
            } else {
                set_link(
                    cfg,
                    LinkState::Connecting {
                        attempt: failures + 1,
                        next_try_secs: left.as_millis().div_ceil(1000) as u64,
                    },
                );
            }
        }
        if left.is_zero() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(left.min(Duration::from_secs(1))) => {}
            r = shutdown.changed() => {
                if r.is_err() || *shutdown.borrow() {
                    return true;
                }
            }
        }
    }
}

fn set_link(cfg: &FeedConfig, link: LinkState) {
    cfg.status.send_if_modified(|s| {
        if s.link == link {
            return false;
        }
        s.link = link;
        true
    });
}

/// Keeps the status' counters in step with the engine's.
async fn publish_counts(engine: EngineHandle, status: Arc<watch::Sender<FeedStatus>>) {
    let mut stats = engine.stats();
    loop {
        {
            let st = stats.borrow_and_update().clone();
            status.send_if_modified(|s| {
                let changed = s.quarantined != st.quarantined
                    || s.unsent_reports != st.outbox
                    || s.cursor != st.cursor;
                s.quarantined = st.quarantined;
                s.unsent_reports = st.outbox;
                s.cursor = st.cursor;
                changed
            });
        }
        if stats.changed().await.is_err() {
            return;
        }
    }
}

enum Ended {
    Shutdown,
    Unauthorized,
    /// The link went down; `progress` when the session committed something.
    Lost {
        reason: String,
        progress: bool,
    },
}

/// One command handed to the engine, in seq order, awaiting durability.
struct InFlight<'a> {
    /// The seq to acknowledge once durable.
    ack: Option<u64>,
    commit: Commit<'a>,
    done: Option<Result<Committed, EngineError>>,
}

impl<'a> InFlight<'a> {
    /// Hands the command to the engine now (its first poll sends it), so
    /// commands reach the writer in the order they were read.
    fn submit(engine: &'a EngineHandle, ack: Option<u64>, cmd: Command) -> InFlight<'a> {
        let mut commit: Commit<'a> = Box::pin(engine.execute(None, cmd));
        let mut cx = Context::from_waker(Waker::noop());
        let done = match commit.as_mut().poll(&mut cx) {
            Poll::Ready(r) => Some(r),
            Poll::Pending => None,
        };
        InFlight { ack, commit, done }
    }

    async fn finish(&mut self) -> Result<Committed, EngineError> {
        match self.done.take() {
            Some(r) => r,
            None => (&mut self.commit).await,
        }
    }

    fn try_finish(&mut self) -> Option<Result<Committed, EngineError>> {
        match self.done.take() {
            Some(r) => Some(r),
            None => (&mut self.commit).now_or_never(),
        }
    }
}

struct Session<'a> {
    engine: &'a EngineHandle,
    cfg: &'a FeedConfig,
    sink: Sink,
    in_flight: VecDeque<InFlight<'a>>,
    /// Commands read but not yet handed to the engine.
    batch: Vec<(Option<u64>, Command)>,
    /// The seq the next new event must carry.
    next_seq: u64,
    /// The outbox number of the last report sent on this connection.
    sent_up_to: u64,
    welcomed: bool,
    progress: bool,
}

impl<'a> Session<'a> {
    async fn run(
        engine: &'a EngineHandle,
        cfg: &'a FeedConfig,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Ended {
        let cursor = match engine.cursor() {
            Ok(c) => c,
            Err(e) => return lost(format!("cannot read the committed cursor: {e}"), false),
        };
        let ws = tokio::select! {
            r = connect(cfg) => match r {
                Ok(ws) => ws,
                Err(e) => return e,
            },
            _ = shutdown.changed() => return Ended::Shutdown,
        };
        let (sink, source) = ws.split();
        let mut s = Session {
            engine,
            cfg,
            sink,
            in_flight: VecDeque::new(),
            batch: Vec::new(),
            next_seq: cursor + 1,
            sent_up_to: 0,
            welcomed: false,
            progress: false,
        };
        let hello = ClientFrame::Hello {
            protocol: protocol::PROTOCOL_VERSION,
            store_id: cfg.store_id.clone(),
            device_id: cfg.device_id.clone(),
            resume_after: cursor,
        };
        if let Err(e) = s.write(vec![Message::text(hello.to_text())]).await {
            return lost(e, false);
        }
        tracing::info!(resume_after = cursor, "feed: hello sent");
        let ended = s.serve(source, shutdown).await;
        s.settle().await;
        let _ = timeout(cfg.timing.write_timeout, s.sink.close()).await;
        ended
    }

    async fn serve(&mut self, mut source: Source, shutdown: &mut watch::Receiver<bool>) -> Ended {
        let timing = self.cfg.timing;
        let mut ping =
            tokio::time::interval_at(Instant::now() + timing.ping_every, timing.ping_every);
        let mut stats = self.engine.stats();
        // Any frame resets the receive deadline; the timer is only re-armed
        // when it fires, so a busy link costs no timer work per frame.
        let mut last_frame = Instant::now();
        let deadline = tokio::time::sleep(timing.receive_deadline);
        tokio::pin!(deadline);
        loop {
            let room = self.in_flight.len() < self.cfg.max_in_flight;
            tokio::select! {
                r = shutdown.changed() => {
                    if r.is_err() || *shutdown.borrow() {
                        let _ = self.drain().await;
                        return Ended::Shutdown;
                    }
                }
                _ = &mut deadline => {
                    let due = last_frame + timing.receive_deadline;
                    if Instant::now() < due {
                        deadline.as_mut().reset(due);
                        continue;
                    }
                    let _ = self.drain().await;
                    return self.lost(format!("no frame for {} s", timing.receive_deadline.as_secs_f32()));
                }
                _ = ping.tick() => {
                    if let Err(e) = self.write(vec![Message::Ping(Default::default())]).await {
                        return self.lost(e);
                    }
                }
                (ack, r) = async {
                    let f = self.in_flight.front_mut().expect("guarded by is_empty");
                    let r = f.finish().await;
                    (f.ack, r)
                }, if !self.in_flight.is_empty() => {
                    self.in_flight.pop_front();
                    if let Err(e) = self.completed(ack, r).await {
                        return e;
                    }
                }
                r = stats.changed(), if self.welcomed => {
                    if r.is_err() {
                        return self.lost("the engine stopped".into());
                    }
                    let waiting = stats.borrow_and_update().outbox;
                    if waiting == 0 {
                        continue;
                    }
                    if let Err(e) = self.send_outbox().await {
                        return self.lost(e);
                    }
                }
                msg = source.next(), if room => {
                    last_frame = Instant::now();
                    let msg = match msg {
                        None => return self.end_after_drain("the platform closed the connection".into()).await,
                        Some(Err(e)) => return self.end_after_drain(format!("read failed: {e}")).await,
                        Some(Ok(m)) => m,
                    };
                    if let Some(end) = self.on_message(msg).await {
                        return end;
                    }
                    // Take every frame already here, then hand them over in
                    // one burst: the engine commits a burst with one flush.
                    while self.in_flight.len() + self.batch.len() < self.cfg.max_in_flight {
                        let Some(msg) = source.next().now_or_never() else { break };
                        let msg = match msg {
                            None => return self.end_after_drain("the platform closed the connection".into()).await,
                            Some(Err(e)) => return self.end_after_drain(format!("read failed: {e}")).await,
                            Some(Ok(m)) => m,
                        };
                        if let Some(end) = self.on_message(msg).await {
                            return end;
                        }
                    }
                    self.submit_batch();
                }
            }
        }
    }

    async fn end_after_drain(&mut self, reason: String) -> Ended {
        if let Err(e) = self.drain().await {
            return e;
        }
        self.lost(reason)
    }

    fn lost(&self, reason: String) -> Ended {
        lost(reason, self.progress)
    }

    async fn on_message(&mut self, msg: Message) -> Option<Ended> {
        let text = match msg {
            Message::Text(t) => t,
            Message::Binary(b) => {
                self.quarantine(QuarantineItem {
                    seq: None,
                    raw: String::from_utf8_lossy(
                        &b[..b.len().min(protocol::QUARANTINE_KEEP_BYTES)],
                    )
                    .into_owned(),
                    error: format!(
                        "binary frame of {} bytes: the protocol uses text frames",
                        b.len()
                    ),
                });
                return None;
            }
            Message::Close(frame) => {
                let why = frame
                    .map(|f| format!("{} {}", f.code, f.reason))
                    .unwrap_or_default();
                return Some(
                    self.end_after_drain(format!("the platform closed the connection {why}"))
                        .await,
                );
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return None,
        };
        match protocol::decode(text.as_str()) {
            Decoded::Frame(ServerFrame::Event { seq, event }) => {
                if seq > self.next_seq {
                    return Some(self.gap(seq).await);
                }
                tracing::debug!(seq, order_id = %event.order_id(), "feed event");
                self.push(Some(seq), Command::Platform { seq, event });
                self.next_seq = self.next_seq.max(seq + 1);
            }
            Decoded::Quarantine(q) => {
                if let Some(seq) = q.seq {
                    if seq > self.next_seq {
                        return Some(self.gap(seq).await);
                    }
                    self.next_seq = self.next_seq.max(seq + 1);
                }
                self.quarantine(q);
            }
            Decoded::Frame(ServerFrame::Welcome {
                store_id, last_seq, ..
            }) => {
                let cursor = self.next_seq - 1;
                if store_id != self.cfg.store_id {
                    tracing::error!(%store_id, expected = %self.cfg.store_id, "feed: welcome names another store");
                    return Some(self.lost(format!(
                        "the platform answered for store {store_id}, not {}: check [feed] url",
                        self.cfg.store_id
                    )));
                }
                if last_seq < cursor {
                    tracing::error!(last_seq, cursor, "feed: the platform's last seq is below ours; events it numbers again would be ignored");
                }
                tracing::info!(last_seq, cursor, "feed: welcome");
                self.welcomed = true;
                set_link(self.cfg, LinkState::Online);
                if let Err(e) = self.send_outbox().await {
                    return Some(self.lost(e));
                }
            }
            Decoded::Frame(ServerFrame::Error { code, message }) => {
                tracing::warn!(%code, %message, "feed: the platform reported an error");
                if code == "unauthorized" {
                    let _ = self.drain().await;
                    return Some(Ended::Unauthorized);
                }
            }
            Decoded::Frame(ServerFrame::ReportAck { id }) => {
                self.push(None, Command::ReportAcked { report_id: id });
            }
        }
        None
    }

    /// Queues a command; `submit_batch` hands the queue to the engine.
    fn push(&mut self, ack: Option<u64>, cmd: Command) {
        self.batch.push((ack, cmd));
    }

    fn submit_batch(&mut self) {
        for (ack, cmd) in self.batch.drain(..) {
            self.in_flight
                .push_back(InFlight::submit(self.engine, ack, cmd));
        }
    }

    fn quarantine(&mut self, q: QuarantineItem) {
        tracing::warn!(seq = q.seq, error = %q.error, "feed: frame quarantined");
        self.push(
            q.seq,
            Command::Quarantine {
                seq: q.seq,
                raw: q.raw,
                error: q.error,
            },
        );
    }

    /// A seq skipped ahead: nothing past the gap is applied. Finish what is
    /// in flight and reconnect with `resume_after` = the committed cursor.
    async fn gap(&mut self, seq: u64) -> Ended {
        tracing::warn!(seq, expected = self.next_seq, "feed: seq gap, resuming");
        if let Err(e) = self.drain().await {
            return e;
        }
        self.lost(format!("seq {seq} skipped ahead of {}", self.next_seq))
    }

    /// Waits for what was handed to the engine, unacknowledged (the link is
    /// gone), so the next `hello` names a cursor that is durable.
    async fn settle(&mut self) {
        let in_flight = &mut self.in_flight;
        let all = async move {
            while let Some(mut f) = in_flight.pop_front() {
                let _ = f.finish().await;
            }
        };
        let _ = timeout(self.cfg.timing.write_timeout, all).await;
    }

    /// Waits for everything in flight and acknowledges it.
    async fn drain(&mut self) -> Result<(), Ended> {
        self.submit_batch();
        let wait = self.cfg.timing.write_timeout;
        while let Some(f) = self.in_flight.front_mut() {
            let r = match timeout(wait, f.finish()).await {
                Ok(r) => r,
                Err(_) => {
                    return Err(lost(
                        "the engine did not commit in time".into(),
                        self.progress,
                    ))
                }
            };
            let ack = f.ack;
            self.in_flight.pop_front();
            self.completed(ack, r).await?;
        }
        Ok(())
    }

    /// A command is durable: collect every following one already done and
    /// acknowledge the last seq among them (acks are cumulative).
    async fn completed(
        &mut self,
        first_ack: Option<u64>,
        first: Result<Committed, EngineError>,
    ) -> Result<(), Ended> {
        let mut ack = None;
        let mut next = Some((first_ack, first));
        while let Some((seq, r)) = next.take() {
            match r {
                Ok(_) => {
                    if let Some(seq) = seq {
                        ack = Some(seq);
                        self.progress = true;
                    }
                }
                Err(EngineError::Gap { cursor, seq }) => {
                    return Err(
                        self.lost(format!("engine reports a gap: seq {seq} after {cursor}"))
                    );
                }
                Err(e) => {
                    tracing::error!(error = %e, "feed: the engine could not commit");
                    return Err(self.lost(format!("the engine could not commit: {e}")));
                }
            }
            if let Some(f) = self.in_flight.front_mut() {
                if let Some(r) = f.try_finish() {
                    next = Some((f.ack, r));
                    self.in_flight.pop_front();
                }
            }
        }
        if let Some(seq) = ack {
            let frame = ClientFrame::Ack { seq }.to_text();
            if let Err(e) = self.write(vec![Message::text(frame)]).await {
                return Err(self.lost(e));
            }
        }
        Ok(())
    }

    /// Sends every outbox entry not yet sent on this connection, oldest
    /// first. The outbox is keyed by a rising number, so only entries past the
    /// last one sent are read.
    async fn send_outbox(&mut self) -> Result<(), String> {
        let mut frames = Vec::new();
        let waiting = self
            .engine
            .outbox_after(self.sent_up_to)
            .map_err(|e| format!("cannot read the outbox: {e}"))?;
        for (seq, entry) in waiting {
            self.sent_up_to = seq;
            tracing::debug!(report_id = %entry.id, kind = entry.report.kind(), order_id = %entry.report.order_id(), "feed: report sent");
            frames.push(Message::text(entry.frame().to_string()));
        }
        self.write(frames).await
    }

    async fn write(&mut self, frames: Vec<Message>) -> Result<(), String> {
        if frames.is_empty() {
            return Ok(());
        }
        let sink = &mut self.sink;
        let send = async move {
            for f in frames {
                sink.feed(f).await?;
            }
            sink.flush().await
        };
        match timeout(self.cfg.timing.write_timeout, send).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("write failed: {e}")),
            Err(_) => Err(format!(
                "write took longer than {} s",
                self.cfg.timing.write_timeout.as_secs_f32()
            )),
        }
    }
}

fn lost(reason: String, progress: bool) -> Ended {
    Ended::Lost { reason, progress }
}

async fn connect(cfg: &FeedConfig) -> Result<Ws, Ended> {
    let mut req = cfg
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| lost(format!("bad feed url {}: {e}", cfg.url), false))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {}", cfg.token)).map_err(|_| {
        lost(
            "the feed token has characters a header cannot carry".into(),
            false,
        )
    })?;
    req.headers_mut().insert(AUTHORIZATION, bearer);
    let ws_cfg = WebSocketConfig::default()
        .max_message_size(Some(MAX_WIRE_BYTES))
        .max_frame_size(Some(MAX_WIRE_BYTES));
    let dial = tokio_tungstenite::connect_async_tls_with_config(req, Some(ws_cfg), true, None);
    match timeout(cfg.timing.write_timeout, dial).await {
        Err(_) => Err(lost("connect timed out".into(), false)),
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tungstenite::Error::Http(resp))) if resp.status() == StatusCode::UNAUTHORIZED => {
            Err(Ended::Unauthorized)
        }
        Ok(Err(e)) => Err(lost(format!("connect failed: {e}"), false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_delays_double_from_half_a_second_to_thirty() {
        let t = FeedTiming::default();
        let secs: Vec<f64> = (0..9).map(|n| t.backoff_ceiling(n).as_secs_f64()).collect();
        assert_eq!(secs, vec![0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]);
        assert_eq!(t.backoff_ceiling(1000), Duration::from_secs(30));
    }

    #[test]
    fn full_jitter_stays_under_the_ceiling() {
        for _ in 0..200 {
            assert!(jitter(Duration::from_millis(500)) <= Duration::from_millis(500));
        }
    }

    #[test]
    fn the_token_comes_from_token_file_when_no_token_is_given() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("token");
        std::fs::write(&path, "abc123\n").expect("write token");
        let mut cfg = crate::config::Config::default();
        cfg.feed.url = "wss://platform.example/v1/stores/S001/feed".into();
        cfg.feed.token_file = Some(path.clone());
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(
            matches!(
                FeedConfig::from_config(&cfg),
                Err(FeedConfigError::TokenFile { .. })
            ),
            "a token file others can read is refused"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let fc = FeedConfig::from_config(&cfg)
            .expect("valid")
            .expect("feed configured");
        assert_eq!(fc.token, "abc123");
        assert_eq!(fc.store_id, "S001");
        cfg.feed.token_file = Some(dir.path().join("missing"));
        assert!(matches!(
            FeedConfig::from_config(&cfg),
            Err(FeedConfigError::TokenFile { .. })
        ));
        cfg.feed.url = "http://platform.example".into();
        assert!(matches!(
            FeedConfig::from_config(&cfg),
            Err(FeedConfigError::BadUrl(_))
        ));
    }
}
