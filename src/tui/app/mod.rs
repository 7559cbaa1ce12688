//! The console's state and its one way to change: `update(Message)`. The app
//! holds no sled and no sockets: only the engine's handle, its event
//! subscription and the two status watches' latest values. A message that
//! needs the engine returns an `Effect` (a command); its result comes back
//! as a message and goes through `finish`. Drawing (`view`) only reads.
//!
//! One file per screen, as in `tui/view/`: each screen's state and update
//! live together.
//!
//! - `options`: what the console shows and how (`UiOptions`).
//! - `message`: messages, effects and what a pending command waits for.
//! - `sign_in`, `rail`, `cashier`, `settle`, `counter`, `shift`, `printers`,
//!   `alerts`, `log`, `report`: each screen or dialog's state and update.
//! - `outgoing`: engine work sent off the loop; its outcome comes back as
//!   `Message::Done` (the screen never waits on the engine).
//! - `results`: a command's result folded back into the screens.
//!
//! This file holds `App` itself: its fields, the top-level `update` that
//! routes a message to its screen, and folding in the engine's events.

mod alerts;
pub mod cashier;
pub mod counter;
mod log;
pub mod message;
pub mod options;
pub mod outgoing;
mod printers;
pub mod rail;
mod report;
mod results;
pub mod settle;
pub mod shift;
pub mod sign_in;

pub use cashier::ManagerDialog;
pub use log::LogLine;
pub use message::{Done, Effect, ManagerAction, Message, Note, Pending, ShiftAction};
pub use options::UiOptions;
pub use outgoing::{Courier, Outgoing};
pub use rail::{pickup_digits, RailState};
pub use settle::{SettleDialog, SettleStage};
pub use shift::ShiftDialog;
pub use sign_in::{SignInField, SignInForm};

use crate::domain::business_day::business_date;
use crate::domain::status::{FeedStatus, SpoolStatus};
use crate::domain::{Event, EventBody, OrderId, OrderState, Role, Staff, StaffId};
use crate::engine::Board;
use crate::report::ZReport;
use crate::tui::alerts::{Alert, AlertKey};
use crate::tui::source::Source;
use crate::tui::text;
use crate::tui::text::Words;
use chrono::{DateTime, FixedOffset};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    SignIn,
    Rail,
    Cashier,
    Alerts,
    Log,
    /// Printers, their spooled jobs and a preview of each as printed.
    Printers,
    /// The shift report (managers): X of the open shift, else Z of the last.
    Report,
}

#[derive(Debug, Clone)]
pub enum Dialog {
    Settle(SettleDialog),
    Manager(ManagerDialog),
    Shift(ShiftDialog),
    /// A counter order being keyed in (`tui::counter`).
    Counter(crate::counter::OrderEntry),
}

pub struct App {
    pub(crate) source: Source,
    pub(crate) events: broadcast::Receiver<Arc<Event>>,
    pub(crate) opts: UiOptions,
    pub(crate) words: &'static Words,
    pub(crate) feed: FeedStatus,
    pub(crate) printers: SpoolStatus,
    pub(crate) board: Board,
    pub(crate) staff: Option<Staff>,
    pub(crate) screen: Screen,
    pub(crate) sign_in: SignInForm,
    pub(crate) rail: RailState,
    pub(crate) cashier_selected: Option<OrderId>,
    pub(crate) alerts_selected: usize,
    pub(crate) log_scroll: usize,
    /// The report on the report screen, or why there is none.
    pub(crate) report: Option<Result<ZReport, String>>,
    pub(crate) report_scroll: usize,
    pub(crate) dialog: Option<Dialog>,
    pub(crate) help: bool,
    pub(crate) alerts: Vec<Alert>,
    pub(crate) acknowledged: BTreeSet<AlertKey>,
    pub(crate) quarantined: BTreeMap<u64, (DateTime<FixedOffset>, String)>,
    /// Staff ids whose PINs are held, with the device that guessed.
    pub(crate) pins_held: BTreeMap<String, String>,
    pub(crate) bell: bool,
    pub(crate) log: VecDeque<LogLine>,
    pub(crate) codes_today: BTreeMap<String, u32>,
    pub(crate) today: String,
    pub(crate) note: Option<Note>,
    pub(crate) banner: Option<String>,
    /// Set while an attached screen cannot reach its console: shown above
    /// everything, since what is on screen may be stale.
    pub(crate) link_lost: Option<String>,
    pub(crate) quit: bool,
    /// The spool as last read (newest first) for the printers screen.
    pub(crate) jobs: Vec<crate::domain::job::JobRecord>,
    pub(crate) jobs_selected: usize,
    pub(crate) jobs_read_at: Option<std::time::Instant>,
    pub(crate) counter: Option<counter::CounterSetup>,
    pub(crate) collecting: Option<counter::Collecting>,
}

impl App {
    /// Builds the app on a running engine (or a console reached over the
    /// API). `signed_in` skips the sign-in prompt (the demo); `banner` is a
    /// line shown above every screen.
    pub fn new(
        source: impl Into<Source>,
        feed: FeedStatus,
        printers: SpoolStatus,
        opts: UiOptions,
        signed_in: Option<Staff>,
        banner: Option<String>,
    ) -> App {
        let source = source.into();
        let events = source.subscribe();
        let board = source.board();
        let words = text::words(opts.language);
        let today = business_date(&opts.clock.now(), source.tz());
        let note = opts.theme_problem.clone().map(Note::Refused);
        let mut app = App {
            jobs: Vec::new(),
            jobs_selected: 0,
            jobs_read_at: None,
            source,
            events,
            opts,
            words,
            feed,
            printers,
            board,
            staff: None,
            screen: Screen::SignIn,
            sign_in: SignInForm {
                id: String::new(),
                pin: String::new(),
                field: SignInField::Id,
                message: None,
            },
            rail: RailState::default(),
            cashier_selected: None,
            alerts_selected: 0,
            log_scroll: 0,
            report: None,
            report_scroll: 0,
            dialog: None,
            help: false,
            alerts: Vec::new(),
            acknowledged: BTreeSet::new(),
            quarantined: BTreeMap::new(),
            pins_held: BTreeMap::new(),
            bell: false,
            log: VecDeque::new(),
            codes_today: BTreeMap::new(),
            today,
            note,
            banner,
            link_lost: None,
            quit: false,
            counter: None,
            collecting: None,
        };
        app.backfill_log();
        if let Some(s) = signed_in {
            app.signed_in(s);
        }
        app.refresh_alerts();
        app.bell = false;
        app
    }

    pub fn screen(&self) -> Screen {
        self.screen
    }
    pub fn staff(&self) -> Option<&Staff> {
        self.staff.as_ref()
    }
    pub fn note(&self) -> Option<&Note> {
        self.note.as_ref()
    }
    pub fn sign_in_message(&self) -> Option<&str> {
        self.sign_in.message.as_deref()
    }
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }
    pub fn alerts_selected(&self) -> usize {
        self.alerts_selected
    }
    pub fn board(&self) -> &Board {
        &self.board
    }
    pub fn should_quit(&self) -> bool {
        self.quit
    }
    pub fn now(&self) -> DateTime<FixedOffset> {
        self.opts.clock.now()
    }
    /// Whether a new alert wants the bell; clears the request.
    pub fn take_bell(&mut self) -> bool {
        std::mem::take(&mut self.bell)
    }

    /// The screens the signed-in role may use, in Tab order.
    pub fn screens(&self) -> &'static [Screen] {
        let role = self.staff.as_ref().map(|s| match self.source.screen_cap() {
            Some(Role::Kitchen) => Role::Kitchen,
            _ => s.role,
        });
        // The spool, its preview and the shift report live in the console's
        // process: an attached screen (`attach`) does not offer them.
        let local = self.source.local().is_some();
        match (role, local) {
            (None, _) => &[Screen::SignIn],
            (Some(Role::Kitchen), true) => &[Screen::Rail, Screen::Printers],
            (Some(Role::Kitchen), false) => &[Screen::Rail],
            (Some(Role::Cashier), true) => &[
                Screen::Cashier,
                Screen::Rail,
                Screen::Alerts,
                Screen::Printers,
            ],
            (Some(Role::Cashier), false) => &[Screen::Cashier, Screen::Rail, Screen::Alerts],
            (Some(Role::Manager), true) => &[
                Screen::Cashier,
                Screen::Rail,
                Screen::Alerts,
                Screen::Log,
                Screen::Printers,
                Screen::Report,
            ],
            (Some(Role::Manager), false) => {
                &[Screen::Cashier, Screen::Rail, Screen::Alerts, Screen::Log]
            }
        }
    }

    /// Applies every event already waiting in the subscription.
    pub fn drain_events(&mut self) {
        loop {
            match self.events.try_recv() {
                Ok(ev) => self.apply_event(&ev),
                Err(broadcast::error::TryRecvError::Lagged(_)) => self.rebuild(),
                Err(_) => break,
            }
        }
        self.refresh_alerts();
        if self.screen == Screen::Printers {
            self.read_jobs(false);
        }
    }

    /// Subscribes again and rereads the engine's board (after `Lagged`, or a new day).
    pub fn rebuild(&mut self) {
        self.events = self.source.subscribe();
        self.board = self.source.board();
        self.today = business_date(&self.now(), self.source.tz());
    }

    pub fn update(&mut self, msg: Message) -> Option<Effect> {
        let eff = match msg {
            Message::Quit => {
                self.quit = true;
                None
            }
            Message::Link(lost) => {
                self.link_lost = lost;
                None
            }
            Message::Engine(ev) => {
                self.apply_event(&ev);
                None
            }
            Message::Lagged => {
                self.rebuild();
                None
            }
            Message::Feed(f) => {
                self.feed = f;
                None
            }
            Message::Printers(p) => {
                self.printers = p;
                None
            }
            Message::Tick => {
                let today = business_date(&self.now(), self.source.tz());
                if today != self.today {
                    self.rebuild();
                    self.codes_today.clear();
                }
                None
            }
            Message::Resize => None,
            Message::SignOut => {
                self.staff = None;
                self.dialog = None;
                self.help = false;
                self.screen = Screen::SignIn;
                self.note = None;
                None
            }
            Message::ToggleHelp => {
                self.help = !self.help;
                None
            }
            Message::Escape if self.help => {
                self.help = false;
                None
            }
            msg if self.staff.is_none() => self.update_sign_in(msg),
            Message::Show(s) => {
                if self.screens().contains(&s) {
                    self.screen = s;
                    self.help = false;
                    if s == Screen::Printers {
                        self.read_jobs(true);
                    }
                    if s == Screen::Report {
                        self.load_report();
                    }
                }
                None
            }
            Message::NextScreen if self.dialog.is_none() => {
                let list = self.screens();
                let i = list.iter().position(|s| *s == self.screen).unwrap_or(0);
                self.screen = list[(i + 1) % list.len()];
                if self.screen == Screen::Printers {
                    self.read_jobs(true);
                }
                if self.screen == Screen::Report {
                    self.load_report();
                }
                None
            }
            Message::JumpToAlert if self.dialog.is_none() => {
                if let Some(key) = self.visible_alerts().last().map(|a| a.key.clone()) {
                    self.jump_to(&key);
                }
                None
            }
            msg if self.dialog.is_some() => self.update_dialog(msg),
            msg => match self.screen {
                Screen::Rail => self.update_rail(msg),
                Screen::Cashier => self.update_cashier(msg),
                Screen::Alerts => self.update_alerts(msg),
                Screen::Log => self.update_log(msg),
                Screen::Printers => self.update_printers(msg),
                Screen::Report => self.update_report(msg),
                Screen::SignIn => None,
            },
        };
        self.refresh_alerts();
        eff
    }

    fn update_dialog(&mut self, msg: Message) -> Option<Effect> {
        let dialog = self.dialog.take()?;
        match dialog {
            Dialog::Settle(d) => self.update_settle(d, msg),
            Dialog::Manager(d) => self.update_manager(d, msg),
            Dialog::Shift(d) => self.update_shift(d, msg),
            Dialog::Counter(e) => self.update_counter(e, msg),
        }
    }

    /// Folds one committed event into the local board, the log and the alerts.
    pub fn apply_event(&mut self, ev: &Event) {
        if let Some(id) = ev.body.order_id() {
            match self.board.get_mut(id) {
                Some(st) if st.last_event >= ev.id => {}
                Some(st) => st.apply(ev.id, ev.at, &ev.body),
                None => {
                    let fresh = match &ev.body {
                        EventBody::OrderPlaced { order } => {
                            let mut st = OrderState::new(order.clone(), ev.id, ev.at);
                            st.apply(ev.id, ev.at, &ev.body);
                            Some(st)
                        }
                        // An order from an earlier day: read it as committed.
                        _ => self.source.order(id),
                    };
                    if let Some(st) = fresh {
                        self.board.insert(id.clone(), st);
                    }
                }
            }
        }
        if let EventBody::FrameQuarantined {
            quarantine_id,
            error,
            ..
        } = &ev.body
        {
            if !self
                .acknowledged
                .contains(&AlertKey::Quarantine(*quarantine_id))
            {
                self.quarantined
                    .insert(*quarantine_id, (ev.at, error.clone()));
            }
        }
        self.note_pins(ev);
        self.follow_collect(ev);
        self.log_event(ev);
        self.log_scroll = 0;
    }

    fn staff_id(&self) -> StaffId {
        self.staff
            .as_ref()
            .map(|s| s.id.clone())
            .expect("screens other than sign-in are reached only when signed in")
    }
}
