//! The terminal loop. One `select!` over keys, engine events, the two status
//! watches, engine work coming back, a 1 s tick and the stop signals. The
//! loop never waits on the engine: a command goes off with the `Courier`
//! and its result comes back as a message. A frame is drawn only when
//! something changed, at most one per 10 ms, inside a synchronized update.
//! The terminal is restored when the loop ends, on a panic (ratatui's hook),
//! on SIGTERM and on SIGHUP.

use super::app::{App, Courier, Message, UiOptions};
use super::keys;
use super::source::Source;
use crate::domain::status::FeedStatus;
use crate::domain::status::SpoolStatus;
use crate::domain::Staff;
use crossterm::event::{Event as TermEvent, EventStream, KeyEvent};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures_util::StreamExt;
use std::io::{self, Write};
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{broadcast, watch};
use tokio::time::{Instant, MissedTickBehavior};

/// The shortest time between two frames.
pub const FRAME: Duration = Duration::from_millis(10);

/// Puts the terminal back however the loop ends.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// What woke the loop, before it becomes a message.
enum Wake {
    Key(KeyEvent),
    Resize,
    Other,
    Engine(Result<std::sync::Arc<crate::domain::Event>, broadcast::error::RecvError>),
    Feed(bool),
    Printers(bool),
    Link(Option<bool>),
    Tick,
    Stop,
    Frame,
    Done(Message),
    TerminalGone(io::Error),
}

/// Runs the console until Ctrl-C, SIGTERM or SIGHUP. The demo calls this
/// with a staff member already signed in and a banner line.
pub async fn run_app(
    engine: impl Into<Source>,
    feed: watch::Receiver<FeedStatus>,
    printers: watch::Receiver<SpoolStatus>,
    ui: UiOptions,
    signed_in: Option<Staff>,
    banner: Option<String>,
) -> io::Result<()> {
    run_app_with(engine, feed, printers, ui, signed_in, banner, None).await
}

/// `run_app` with the counter set up (menu, store and device id).
pub async fn run_app_with(
    engine: impl Into<Source>,
    mut feed: watch::Receiver<FeedStatus>,
    mut printers: watch::Receiver<SpoolStatus>,
    ui: UiOptions,
    signed_in: Option<Staff>,
    banner: Option<String>,
    counter: Option<super::app::counter::CounterSetup>,
) -> io::Result<()> {
    let mut term_sig = signal(SignalKind::terminate())?;
    let mut hup_sig = signal(SignalKind::hangup())?;
    let f = feed.borrow_and_update().clone();
    let p = printers.borrow_and_update().clone();
    let source: Source = engine.into();
    let mut link = source.link();
    let chinese = ui.language == crate::config::Language::Zh;
    let lost_text = source.link_lost_text(chinese);
    let mut app = App::new(source, f, p, ui, signed_in, banner);
    if let Some(c) = counter {
        app = app.with_counter(c);
    }
    let mut terminal = ratatui::try_init()?;
    let _restore = Restore;
    let mut keys = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut feed_open, mut printers_open) = (true, true);
    let mut courier = Courier::default();
    let mut dirty = true;
    let mut last_frame = Instant::now() - FRAME;
    loop {
        if dirty && Instant::now() >= last_frame + FRAME {
            let mut out = io::stdout();
            crossterm::queue!(out, BeginSynchronizedUpdate)?;
            terminal.draw(|frame| frame.render_widget(&app, frame.area()))?;
            crossterm::queue!(out, EndSynchronizedUpdate)?;
            if app.take_bell() {
                out.write_all(b"\x07")?;
            }
            out.flush()?;
            last_frame = Instant::now();
            dirty = false;
        }
        let wake = tokio::select! {
            _ = tokio::time::sleep_until(last_frame + FRAME), if dirty => Wake::Frame,
            k = keys.next() => match k {
                Some(Ok(TermEvent::Key(k))) => Wake::Key(k),
                Some(Ok(TermEvent::Resize(..))) => Wake::Resize,
                Some(Ok(_)) => Wake::Other,
                Some(Err(e)) => Wake::TerminalGone(e),
                None => Wake::Stop,
            },
            ev = app.events.recv() => Wake::Engine(ev),
            r = feed.changed(), if feed_open => Wake::Feed(r.is_ok()),
            r = printers.changed(), if printers_open => Wake::Printers(r.is_ok()),
            r = async { link.as_mut().expect("guarded by is_some").changed().await }, if link.is_some() => {
                Wake::Link(r.ok().and_then(|()| link.as_mut().map(|l| *l.borrow_and_update())))
            }
            m = courier.next() => Wake::Done(m),
            _ = tick.tick() => Wake::Tick,
            _ = term_sig.recv() => Wake::Stop,
            _ = hup_sig.recv() => Wake::Stop,
        };
        let msg = match wake {
            Wake::Frame | Wake::Other => continue,
            Wake::Key(k) => match keys::message_for(&app, k) {
                Some(m) => m,
                None => continue,
            },
            Wake::Resize => Message::Resize,
            Wake::Engine(Ok(ev)) => Message::Engine(ev),
            Wake::Engine(Err(broadcast::error::RecvError::Lagged(n))) => {
                tracing::warn!(
                    missed = n,
                    "console fell behind the engine: rereading the board"
                );
                Message::Lagged
            }
            Wake::Engine(Err(broadcast::error::RecvError::Closed)) => Message::Quit,
            Wake::Feed(true) => Message::Feed(feed.borrow_and_update().clone()),
            Wake::Printers(true) => Message::Printers(printers.borrow_and_update().clone()),
            Wake::Feed(false) => {
                feed_open = false;
                continue;
            }
            Wake::Printers(false) => {
                printers_open = false;
                continue;
            }
            Wake::Link(Some(up)) => Message::Link((!up).then(|| lost_text.clone())),
            Wake::Link(None) => {
                link = None;
                continue;
            }
            Wake::Done(m) => m,
            Wake::Tick => Message::Tick,
            Wake::Stop => Message::Quit,
            Wake::TerminalGone(e) => return Err(e),
        };
        if let Some(work) = app.step(msg) {
            courier.send(work);
        }
        dirty = true;
        if app.should_quit() {
            break;
        }
    }
    Ok(())
}
