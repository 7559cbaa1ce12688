//! A loopback TCP proxy between the console's feed client and the simulated
//! platform, which the soak cuts at random: at once, or after a number of
//! bytes in one direction, so the cut falls in the middle of a WebSocket
//! frame (an event on its way down, an ack or a report on its way up).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Which way the bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Platform → console: events, report acks.
    Down = 0,
    /// Console → platform: hello, acks, reports.
    Up = 1,
}

struct Shared {
    upstream: SocketAddr,
    /// Bumped to cut every open connection now.
    cut: watch::Sender<u64>,
    /// Bytes still let through in each direction before the cut (armed once).
    budget: Mutex<[Option<usize>; 2]>,
    /// Connections cut after part of their bytes (mid-frame).
    cut_mid: AtomicU64,
}

impl Shared {
    /// How much of `n` bytes may pass, and whether the connection is cut after.
    fn take(&self, dir: Direction, n: usize) -> (usize, bool) {
        let mut b = self.budget.lock().unwrap_or_else(|e| e.into_inner());
        match &mut b[dir as usize] {
            Some(left) if *left <= n => {
                let k = *left;
                b[dir as usize] = None;
                (k, true)
            }
            Some(left) => {
                *left -= n;
                (n, false)
            }
            None => (n, false),
        }
    }
}

pub struct FeedProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for FeedProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.shared.cut.send_modify(|g| *g += 1);
    }
}

impl FeedProxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> FeedProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the proxy listens on loopback");
        let addr = listener.local_addr().expect("a bound address");
        let shared = Arc::new(Shared {
            upstream,
            cut: watch::channel(0).0,
            budget: Mutex::new([None, None]),
            cut_mid: AtomicU64::new(0),
        });
        let task = tokio::spawn(accept(listener, shared.clone()));
        FeedProxy { addr, shared, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cuts every open connection now.
    pub fn cut_now(&self) {
        self.shared.cut.send_modify(|g| *g += 1);
    }

    /// Lets `after` more bytes through in `dir`, then cuts that connection.
    pub fn cut_mid_frame(&self, dir: Direction, after: usize) {
        self.shared.budget.lock().unwrap_or_else(|e| e.into_inner())[dir as usize] =
            Some(after.max(1));
    }

    /// Cancels armed cuts (for the quiet end of a run).
    pub fn disarm(&self) {
        *self.shared.budget.lock().unwrap_or_else(|e| e.into_inner()) = [None, None];
    }

    /// Connections that were cut part way through their bytes.
    pub fn cut_mid_count(&self) -> u64 {
        self.shared.cut_mid.load(Ordering::Relaxed)
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        tokio::spawn(connection(client, shared.clone()));
    }
}

async fn connection(client: TcpStream, shared: Arc<Shared>) {
    let mut cut = shared.cut.subscribe();
    cut.borrow_and_update();
    // The platform is down: the console sees the connection close at once.
    let Ok(Ok(server)) =
        tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(shared.upstream)).await
    else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    tokio::select! {
        _ = pipe(sr, cw, Direction::Down, &shared) => {}
        _ = pipe(cr, sw, Direction::Up, &shared) => {}
        _ = cut.changed() => {}
    }
    // Both halves drop here: the sockets close under both ends.
}

async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, dir: Direction, shared: &Shared) {
    let mut buf = vec![0u8; 8192];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let (k, cut) = shared.take(dir, n);
        if k > 0 && to.write_all(&buf[..k]).await.is_err() {
            return;
        }
        if cut {
            shared.cut_mid.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
}
