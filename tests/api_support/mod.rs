//! A console for the API tests: the lunch rush in a real engine, the local
//! API on a free loopback port, and helpers to attach screens to it.
#![allow(dead_code)]

use crate::tui_fixture::{feed_online, printers_ok, Lunch};
use passline::api::client::{ApiClient, Remote};
use passline::api::{ApiOptions, ApiServer, ApiStatus, ScreenRole};
use passline::config::Language;
use passline::feed::status::FeedStatus;
use passline::print::status::SpoolStatus;
use passline::tui::App;
use std::time::Duration;
use tokio::sync::watch;

pub struct Console {
    pub lunch: Lunch,
    pub server: Option<ApiServer>,
    pub url: String,
    pub token: Option<String>,
    /// Frames waiting per client before it counts as slow.
    pub queue: usize,
    pub feed: watch::Sender<FeedStatus>,
    pub printers: watch::Sender<SpoolStatus>,
}

impl Console {
    /// The lunch rush with the API on 127.0.0.1 (a free port).
    pub async fn open(token: Option<&str>) -> Console {
        let lunch = tokio::task::block_in_place(Lunch::new);
        let (feed, _) = watch::channel(feed_online());
        let (printers, _) = watch::channel(printers_ok());
        let mut c = Console {
            lunch,
            server: None,
            url: String::new(),
            token: token.map(str::to_string),
            queue: passline::api::CLIENT_QUEUE,
            feed,
            printers,
        };
        c.start_api().await;
        c
    }

    pub async fn start_api(&mut self) {
        self.start_api_on("127.0.0.1:0").await;
    }

    /// Starts the API again where it was (screens reconnect to the same URL).
    pub async fn start_api_again(&mut self) {
        let addr = self.url.trim_start_matches("ws://").to_string();
        self.start_api_on(&addr).await;
    }

    async fn start_api_on(&mut self, listen: &str) {
        let opts = ApiOptions {
            listen: listen.parse().expect("an address"),
            token: self.token.clone(),
            queue: self.queue,
        };
        let status = ApiStatus {
            feed: self.feed.subscribe(),
            printers: self.printers.subscribe(),
        };
        let server = ApiServer::start(opts, self.lunch.t.h(), status, "老王川菜")
            .await
            .expect("the API starts on loopback");
        self.url = format!("ws://{}", server.local_addr());
        self.server = Some(server);
    }

    pub async fn stop_api(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
    }

    /// Stops the API and the engine, starts both again on the same store.
    pub async fn restart(&mut self) {
        self.stop_api().await;
        tokio::task::block_in_place(|| self.lunch.t.restart());
        self.start_api().await;
    }

    pub async fn client(&self, role: ScreenRole, subscribe: bool) -> ApiClient {
        ApiClient::connect(&self.url, self.token.as_deref(), role, subscribe, None)
            .await
            .expect("the API answers")
    }

    pub async fn remote(&self, role: ScreenRole) -> Remote {
        Remote::connect(&self.url, self.token.as_deref(), role)
            .await
            .expect("the screen attaches")
    }

    /// An attached screen: the console's app on a `Remote` source.
    pub async fn screen(&self, role: ScreenRole) -> (Remote, App) {
        let r = self.remote(role).await;
        let app = App::new(
            r.clone(),
            r.feed().borrow().clone(),
            r.printers().borrow().clone(),
            self.lunch.options(Language::En),
            None,
            None,
        );
        (r, app)
    }
}

/// Waits (bounded) until `f` holds, draining the app's events meanwhile.
pub async fn until(app: &mut App, what: &str, f: impl Fn(&App) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        app.drain_events();
        if f(app) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A slow link to the console: a TCP relay on loopback that holds every
/// chunk `delay` before passing it on, both ways. Returns its `ws://` URL.
pub async fn delayed_link(url: &str, delay: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    let target = url.trim_start_matches("ws://").to_string();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port for the relay");
    let addr = listener.local_addr().expect("the relay's address");
    // One direction: chunks keep their order and each waits `delay`.
    async fn carry(
        mut from: tokio::net::tcp::OwnedReadHalf,
        mut to: tokio::net::tcp::OwnedWriteHalf,
        delay: Duration,
    ) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some((due, bytes)) = rx.recv().await {
                tokio::time::sleep_until(due).await;
                let bytes: Vec<u8> = bytes;
                if to.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        });
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = from.read(&mut buf).await {
            if n == 0
                || tx
                    .send((tokio::time::Instant::now() + delay, buf[..n].to_vec()))
                    .is_err()
            {
                return;
            }
        }
    }
    tokio::spawn(async move {
        while let Ok((screen, _)) = listener.accept().await {
            let Ok(console) = TcpStream::connect(&target).await else {
                continue;
            };
            let (sr, sw) = screen.into_split();
            let (cr, cw) = console.into_split();
            tokio::spawn(carry(sr, cw, delay));
            tokio::spawn(carry(cr, sw, delay));
        }
    });
    format!("ws://{addr}")
}
