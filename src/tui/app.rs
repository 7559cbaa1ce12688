//! The console's state and its one way to change: `update(Message)`. The app
//! holds no sled and no sockets: only the engine's handle, its event
//! subscription and the two status watches' latest values. A message that
//! needs the engine returns an `Effect` (a command); its result comes back
//! through `finish`. Drawing (`view`) only reads.

use super::alerts::{self, Alert, AlertKey};
use super::source::Source;
use super::text::{self, Words};
use super::theme::Theme;
use crate::config::{Language, UiSection};
use crate::domain::staff::PIN_LOCK_AFTER;
use crate::domain::tender::quote_typed;
use crate::domain::{
    Approval, Command, Event, EventBody, Fen, Kitchen, Method, OrderId, OrderState, PaymentSummary,
    Refusal, Role, Staff, StaffId, TenderInput,
};
use crate::engine::{clock::business_date, Board, Clock, Committed, EngineError};
use crate::feed::status::FeedStatus;
use crate::print::status::SpoolStatus;
use crate::report::ZReport;
use chrono::{DateTime, FixedOffset};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many log lines the log screen keeps.
const LOG_LINES: usize = 500;
/// How far back the log screen reads at start.
const LOG_BACKFILL: u64 = 2000;

/// What the console shows and how, from `[ui]` and `[store]`.
#[derive(Clone)]
pub struct UiOptions {
    pub store_name: String,
    pub language: Language,
    pub theme: Theme,
    /// Set when the configured theme could not be used: shown once at start.
    pub theme_problem: Option<String>,
    pub warn_minutes: u32,
    pub late_minutes: u32,
    pub paying_alert_seconds: u32,
    /// Stations this screen's rail shows (empty: all).
    pub stations: Vec<String>,
    pub clock: Arc<dyn Clock>,
    /// Each printer's profile, for the print preview (printer name → profile).
    pub profiles: BTreeMap<String, crate::print::profile::Profile>,
    pub shop: crate::print::layout::Shop,
}

impl UiOptions {
    /// Adds the printers' profiles (for the print preview) and the store's
    /// receipt header.
    pub fn with_printers(
        mut self,
        cfg: &crate::config::Config,
        profiles: &crate::print::profile::Profiles,
    ) -> UiOptions {
        for p in &cfg.printers {
            if let Some(prof) = profiles.get(&p.profile) {
                self.profiles.insert(p.name.clone(), prof.clone());
            }
        }
        self.shop = crate::print::layout::Shop::from_config(cfg);
        self
    }

    pub fn from_config(ui: &UiSection, store_name: &str, clock: Arc<dyn Clock>) -> UiOptions {
        let (theme, theme_problem) = Theme::load_or_default(&ui.theme);
        UiOptions {
            store_name: store_name.to_string(),
            language: ui.language,
            theme,
            theme_problem,
            warn_minutes: ui.warn_minutes,
            late_minutes: ui.late_minutes.max(ui.warn_minutes),
            paying_alert_seconds: ui.paying_alert_seconds,
            stations: ui.stations.clone(),
            clock,
            profiles: BTreeMap::new(),
            shop: crate::print::layout::Shop {
                name: store_name.to_string(),
                ..Default::default()
            },
        }
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInField {
    Id,
    Pin,
}

#[derive(Debug, Clone)]
pub struct SignInForm {
    pub id: String,
    pub pin: String,
    pub field: SignInField,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RailState {
    pub selected: usize,
    /// Index of the selected dish among the selected card's cooking lines.
    pub item: Option<usize>,
    /// Digits typed on the keypad.
    pub input: String,
    /// Index into `stations()`; `None` shows every station.
    pub station: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettleStage {
    /// The online payment may still succeed: offer a re-check first.
    OutcomeOpen,
    Tender,
    Pin,
}

#[derive(Debug, Clone)]
pub struct SettleDialog {
    pub order_id: OrderId,
    pub stage: SettleStage,
    pub method: Method,
    /// The amount typed, in yuan.
    pub input: String,
    /// Tenders already added (a split).
    pub tenders: Vec<TenderInput>,
    pub pin: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagerAction {
    Void,
    ResolveDouble { refund_in_store: bool },
}

/// A manager-only action: the manager's id and PIN are asked on the spot.
#[derive(Debug, Clone)]
pub struct ManagerDialog {
    pub action: ManagerAction,
    pub order_id: OrderId,
    /// The reason (void) or the note (double payment).
    pub text: String,
    pub manager_id: String,
    pub pin: String,
    /// 0: text, 1: manager id, 2: PIN.
    pub field: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftAction {
    Open,
    Close,
}

/// Opening a shift (the float, the staff member's own PIN) or closing it
/// (the drawer counted piece by piece, a manager's id and PIN, and whether
/// to close with orders paid twice or still paying).
#[derive(Debug, Clone)]
pub struct ShiftDialog {
    pub action: ShiftAction,
    /// Open: the float in yuan. Close: pieces of 100, 50, 20, 10, 5, 1, 0.5, 0.1 yuan.
    pub values: Vec<String>,
    pub manager_id: String,
    pub pin: String,
    pub confirm: bool,
    /// Index into `values`, then the manager id (close), then the PIN.
    pub field: usize,
    pub error: Option<String>,
}

impl ShiftDialog {
    pub fn new(action: ShiftAction) -> ShiftDialog {
        let n = match action {
            ShiftAction::Open => 1,
            ShiftAction::Close => crate::domain::shift::Denomination::ALL.len(),
        };
        ShiftDialog {
            action,
            values: vec![String::new(); n],
            manager_id: String::new(),
            pin: String::new(),
            confirm: false,
            field: 0,
            error: None,
        }
    }

    /// How many fields: the values, the manager id (close only), the PIN.
    pub fn fields(&self) -> usize {
        self.values.len()
            + if self.action == ShiftAction::Close {
                2
            } else {
                1
            }
    }

    pub fn pin_field(&self) -> usize {
        self.fields() - 1
    }

    /// The drawer as typed (empty counts as none).
    pub fn count(&self) -> crate::domain::DrawerCount {
        let mut c = crate::domain::DrawerCount::default();
        for (d, v) in crate::domain::shift::Denomination::ALL
            .into_iter()
            .zip(&self.values)
        {
            c.set(d, v.parse().unwrap_or(0));
        }
        c
    }
}

#[derive(Debug, Clone)]
pub enum Dialog {
    Settle(SettleDialog),
    Manager(ManagerDialog),
    Shift(ShiftDialog),
    /// A counter order being keyed in (`tui::counter`).
    Counter(crate::counter::OrderEntry),
}

/// The last thing that happened, on the bottom line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    Done(String),
    Refused(String),
}

#[derive(Debug, Clone)]
pub struct LogLine {
    pub at: DateTime<FixedOffset>,
    pub name: &'static str,
    pub subject: String,
    pub detail: String,
}

/// What a key (or the outside world) asks of the app.
#[derive(Debug, Clone)]
pub enum Message {
    Quit,
    /// An attached screen lost its console (`Some`: what to show) or has it again.
    Link(Option<String>),
    SignOut,
    Show(Screen),
    NextScreen,
    ToggleHelp,
    Escape,
    JumpToAlert,
    Char(char),
    Backspace,
    Enter,
    NextField,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    NextItem,
    Recall,
    Serve,
    NextStation,
    OpenSettle,
    Recheck,
    Void,
    ResolveDouble,
    Method(Method),
    AddTender,
    Acknowledge,
    /// Reads the shift report again from the log.
    RefreshReport,
    /// Prints the report on the receipt printer.
    PrintReport,
    /// The open-shift dialog (float).
    OpenShift,
    /// The close-shift dialog (drawer count, manager's approval).
    CloseShift,
    /// Open order entry for a counter order.
    NewCounterOrder,
    Engine(Arc<Event>),
    /// The subscription fell behind: rebuild from the engine's board.
    Lagged,
    Feed(FeedStatus),
    Printers(SpoolStatus),
    Tick,
    Resize,
}

/// A command the app wants executed, and what to do with its result.
#[derive(Debug, Clone)]
pub struct Effect {
    pub cmd: Command,
    /// Commands run after `cmd` succeeds (a station's other dishes).
    pub then: Vec<Command>,
    pub pending: Pending,
}

#[derive(Debug, Clone)]
pub enum Pending {
    SignIn(StaffId),
    Bump {
        pickup: String,
    },
    Recall,
    Serve {
        pickup: String,
    },
    Settle {
        pickup: String,
        change: Fen,
    },
    Recheck {
        pickup: String,
    },
    Manager {
        pickup: String,
        action: ManagerAction,
    },
    Reprint {
        job: u64,
    },
    Shift(ShiftAction),
    CounterOrder,
    Collect {
        pickup: String,
        masked: String,
    },
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
    pub(crate) jobs: Vec<crate::store::JobRecord>,
    pub(crate) jobs_selected: usize,
    pub(crate) jobs_read_at: Option<std::time::Instant>,
    pub(crate) counter: Option<super::counter::CounterSetup>,
    pub(crate) collecting: Option<super::counter::Collecting>,
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

    // ----- read access for the runner, the views and the tests -----

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

    // ----- the loop's helpers -----

    /// Handles one message, runs the command it asks for, and folds in the
    /// events that command committed.
    pub async fn handle(&mut self, msg: Message) {
        if matches!(msg, Message::PrintReport) && self.screen == Screen::Report {
            self.print_report().await;
            return;
        }
        if let Some(eff) = self.update(msg) {
            let closing = matches!(eff.pending, Pending::Shift(ShiftAction::Close));
            let mut res = self.source.execute(eff.cmd).await;
            for cmd in eff.then {
                if res.is_err() {
                    break;
                }
                res = self.source.execute(cmd).await;
            }
            let closed = closing && res.is_ok();
            self.finish(eff.pending, res);
            self.drain_events();
            // The Z-report prints as the shift closes.
            if closed {
                let done = self.note.clone();
                self.print_report().await;
                if let (Some(Note::Done(a)), Some(Note::Done(b))) = (done, self.note.clone()) {
                    self.note = Some(Note::Done(format!("{a}; {b}")));
                }
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

    /// Rereads the spool for the printers screen: at most once a second
    /// unless `now`, and only while that screen is shown.
    pub fn read_jobs(&mut self, now: bool) {
        let fresh = self
            .jobs_read_at
            .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1));
        if fresh && !now {
            return;
        }
        if let Some(Ok(mut jobs)) = self.source.local().map(|h| h.jobs()) {
            jobs.reverse();
            jobs.truncate(200);
            self.jobs = jobs;
            self.jobs_selected = self.jobs_selected.min(self.jobs.len().saturating_sub(1));
        }
        self.jobs_read_at = Some(std::time::Instant::now());
    }

    /// Subscribes again and rereads the engine's board (after `Lagged`, or a new day).
    pub fn rebuild(&mut self) {
        self.events = self.source.subscribe();
        self.board = self.source.board();
        self.today = business_date(&self.now(), self.source.tz());
    }

    // ----- update -----

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

    fn update_sign_in(&mut self, msg: Message) -> Option<Effect> {
        let f = &mut self.sign_in;
        match msg {
            Message::Char(c) if c.is_ascii_alphanumeric() => {
                match f.field {
                    SignInField::Id if f.id.len() < 16 => f.id.push(c),
                    SignInField::Pin if f.pin.len() < 8 && c.is_ascii_digit() => f.pin.push(c),
                    _ => {}
                }
                None
            }
            Message::Backspace => {
                match f.field {
                    SignInField::Id => f.id.pop(),
                    SignInField::Pin => f.pin.pop(),
                };
                None
            }
            Message::NextField | Message::Up | Message::Down => {
                f.field = match f.field {
                    SignInField::Id => SignInField::Pin,
                    SignInField::Pin => SignInField::Id,
                };
                None
            }
            Message::Escape => {
                f.id.clear();
                f.pin.clear();
                f.field = SignInField::Id;
                None
            }
            Message::Enter => {
                if f.field == SignInField::Id || f.pin.is_empty() {
                    if !f.id.is_empty() {
                        f.field = SignInField::Pin;
                    }
                    return None;
                }
                let staff_id = StaffId(f.id.clone());
                let pin = std::mem::take(&mut f.pin);
                Some(Effect {
                    cmd: Command::SignIn {
                        staff_id: staff_id.clone(),
                        pin,
                    },
                    pending: Pending::SignIn(staff_id),
                    then: Vec::new(),
                })
            }
            _ => None,
        }
    }

    fn signed_in(&mut self, staff: Staff) {
        self.staff = Some(staff);
        self.screen = self.screens()[0];
        self.sign_in.id.clear();
        self.sign_in.pin.clear();
        self.sign_in.field = SignInField::Id;
        self.sign_in.message = None;
    }

    fn staff_id(&self) -> StaffId {
        self.staff
            .as_ref()
            .map(|s| s.id.clone())
            .expect("screens other than sign-in are reached only when signed in")
    }

    // ----- rail -----

    /// The stations this screen can filter by.
    pub fn stations(&self) -> Vec<String> {
        if !self.opts.stations.is_empty() {
            return self.opts.stations.clone();
        }
        let set: BTreeSet<&str> = self
            .board
            .values()
            .flat_map(|st| st.order.items.iter().map(|i| i.station.as_str()))
            .collect();
        set.into_iter().map(str::to_string).collect()
    }

    /// The station filter in force: one station, or the configured set.
    pub fn station_filter(&self) -> Option<Vec<String>> {
        match self.rail.station {
            Some(i) => self.stations().get(i).map(|s| vec![s.clone()]),
            None if !self.opts.stations.is_empty() => Some(self.opts.stations.clone()),
            None => None,
        }
    }

    /// Lines of an order that this rail shows (cooking or just bumped), in line order.
    pub fn rail_lines<'a>(
        &self,
        st: &'a OrderState,
        filter: &Option<Vec<String>>,
    ) -> Vec<&'a crate::domain::Item> {
        let mut items: Vec<&crate::domain::Item> = st
            .order
            .items
            .iter()
            .filter(|i| filter.as_ref().is_none_or(|f| f.contains(&i.station)))
            .filter(|i| {
                matches!(
                    st.lines.get(&i.line),
                    Some(Kitchen::Fired) | Some(Kitchen::Ready)
                )
            })
            .collect();
        items.sort_by_key(|i| i.line);
        items
    }

    /// Orders on the rail: something fired and not yet bumped, in arrival order.
    pub fn rail_orders(&self) -> Vec<&OrderState> {
        let filter = self.station_filter();
        let mut v: Vec<&OrderState> = self
            .board
            .values()
            .filter(|st| !st.is_closed_by_cancel())
            .filter(|st| {
                st.order.items.iter().any(|i| {
                    st.lines.get(&i.line) == Some(&Kitchen::Fired)
                        && filter.as_ref().is_none_or(|f| f.contains(&i.station))
                })
            })
            .collect();
        v.sort_by(|a, b| {
            (a.fired_at.unwrap_or(a.order.placed_at), &a.order.id)
                .cmp(&(b.fired_at.unwrap_or(b.order.placed_at), &b.order.id))
        });
        v
    }

    /// Bumped and not yet served, oldest first.
    pub fn ready_orders(&self) -> Vec<&OrderState> {
        let mut v: Vec<&OrderState> = self
            .board
            .values()
            .filter(|st| st.bumped_at.is_some() && !st.served && st.kitchen() == Kitchen::Ready)
            .collect();
        v.sort_by_key(|st| st.bumped_at);
        v
    }

    /// Open quantity of each dish on the rail (the "all-day" counts).
    pub fn all_day(&self) -> Vec<(String, u32)> {
        let filter = self.station_filter();
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        for st in self.rail_orders() {
            for it in &st.order.items {
                if st.lines.get(&it.line) == Some(&Kitchen::Fired)
                    && filter.as_ref().is_none_or(|f| f.contains(&it.station))
                {
                    *counts.entry(it.name.as_str()).or_default() += it.qty;
                }
            }
        }
        let mut v: Vec<(String, u32)> = counts
            .into_iter()
            .map(|(k, n)| (k.to_string(), n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// Finds an order by what was typed: 1-2 digits are a card number, more
    /// are the pickup number's digits (`7` is card 7, `007` is pickup A007).
    fn find_typed<'a>(&self, typed: &str, among: &[&'a OrderState]) -> Option<&'a OrderState> {
        let n: u64 = typed.parse().ok()?;
        if typed.len() <= 2 {
            if let Some(st) = usize::try_from(n)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| among.get(i))
            {
                return Some(st);
            }
        }
        among
            .iter()
            .copied()
            .find(|st| pickup_digits(&st.order.pickup_no) == Some(n))
    }

    /// What Enter bumps: the typed card or pickup number, else the selected
    /// card (or its selected dish). A station screen bumps only its own
    /// dishes: the whole order when they are all that still cooks.
    fn bump_target(&self, typed: &str) -> Option<(OrderId, String, Vec<Option<u32>>)> {
        let cards = self.rail_orders();
        let filter = self.station_filter();
        let (st, chosen) = if typed.is_empty() {
            let st = cards.get(self.rail.selected).copied()?;
            let chosen = self
                .rail
                .item
                .and_then(|i| self.rail_lines(st, &filter).get(i).map(|it| it.line));
            (st, chosen)
        } else {
            (self.find_typed(typed, &cards)?, None)
        };
        let fired: Vec<u32> = st
            .lines
            .iter()
            .filter(|(_, k)| **k == Kitchen::Fired)
            .map(|(l, _)| *l)
            .collect();
        let lines = match (chosen, &filter) {
            (Some(l), _) => vec![Some(l)],
            (None, None) => vec![None],
            (None, Some(_)) => {
                let mine: Vec<u32> = self
                    .rail_lines(st, &filter)
                    .iter()
                    .map(|i| i.line)
                    .filter(|l| fired.contains(l))
                    .collect();
                if mine.len() == fired.len() {
                    vec![None]
                } else {
                    mine.into_iter().map(Some).collect()
                }
            }
        };
        Some((st.order.id.clone(), st.order.pickup_no.clone(), lines))
    }

    fn update_rail(&mut self, msg: Message) -> Option<Effect> {
        let count = self.rail_orders().len();
        match msg {
            Message::Char(c) if c.is_ascii_digit() => {
                if self.rail.input.len() < 6 {
                    self.rail.input.push(c);
                }
                None
            }
            Message::Backspace => {
                self.rail.input.pop();
                None
            }
            Message::Escape => {
                self.rail.input.clear();
                self.rail.item = None;
                None
            }
            Message::Left | Message::Up => {
                self.rail.selected = self.rail.selected.saturating_sub(1);
                self.rail.item = None;
                None
            }
            Message::Right | Message::Down => {
                if self.rail.selected + 1 < count {
                    self.rail.selected += 1;
                }
                self.rail.item = None;
                None
            }
            Message::NextItem => {
                let filter = self.station_filter();
                let n = self
                    .rail_orders()
                    .get(self.rail.selected)
                    .map(|st| self.rail_lines(st, &filter).len())
                    .unwrap_or(0);
                self.rail.item = match self.rail.item {
                    None if n > 0 => Some(0),
                    Some(i) if i + 1 < n => Some(i + 1),
                    _ => None,
                };
                None
            }
            Message::NextStation => {
                let n = self.stations().len();
                self.rail.station = match self.rail.station {
                    None if n > 0 => Some(0),
                    Some(i) if i + 1 < n => Some(i + 1),
                    _ => None,
                };
                self.rail.selected = 0;
                self.rail.item = None;
                None
            }
            Message::Enter => {
                let typed = std::mem::take(&mut self.rail.input);
                let target = self.bump_target(&typed);
                self.rail.item = None;
                match target {
                    Some((order_id, pickup, lines)) => {
                        let staff_id = self.staff_id();
                        let mut cmds = lines.into_iter().map(|line| Command::Bump {
                            order_id: order_id.clone(),
                            staff_id: staff_id.clone(),
                            line,
                        });
                        let cmd = cmds.next()?;
                        Some(Effect {
                            cmd,
                            then: cmds.collect(),
                            pending: Pending::Bump { pickup },
                        })
                    }
                    None => {
                        self.note = Some(Note::Refused(format!(
                            "{}: {typed}",
                            self.words.no_such_card
                        )));
                        None
                    }
                }
            }
            Message::Recall => Some(Effect {
                cmd: Command::Recall {
                    staff_id: self.staff_id(),
                    order_id: None,
                },
                pending: Pending::Recall,
                then: Vec::new(),
            }),
            Message::Serve => {
                let typed = std::mem::take(&mut self.rail.input);
                let target = {
                    let ready = self.ready_orders();
                    let st = if typed.is_empty() {
                        ready.first().copied()
                    } else {
                        self.find_typed(&typed, &ready)
                    };
                    st.map(|st| (st.order.id.clone(), st.order.pickup_no.clone()))
                };
                let Some((order_id, pickup)) = target else {
                    self.note = Some(Note::Refused(format!(
                        "{}: {typed}",
                        self.words.no_such_card
                    )));
                    return None;
                };
                Some(Effect {
                    cmd: Command::Serve {
                        order_id,
                        staff_id: self.staff_id(),
                    },
                    pending: Pending::Serve { pickup },
                    then: Vec::new(),
                })
            }
            _ => None,
        }
    }

    // ----- cashier -----

    /// Orders for the cashier: those that need a person, then unpaid ones,
    /// then the rest; oldest first within each.
    pub fn cashier_rows(&self) -> Vec<&OrderState> {
        let now = self.now();
        let mut v: Vec<&OrderState> = self.board.values().collect();
        v.sort_by_key(|st| {
            (
                self.cashier_group(st, now),
                st.order.placed_at,
                st.order.id.clone(),
            )
        });
        v
    }

    /// 0: needs a person, 1: not paid yet, 2: the rest.
    pub fn cashier_group(&self, st: &OrderState, now: DateTime<FixedOffset>) -> u8 {
        let pay = st.payment();
        if (st.double_paid && !st.double_resolved)
            || (pay == PaymentSummary::Failed && !st.is_closed_by_cancel())
            || alerts::paying_too_long(st, now, self.opts.paying_alert_seconds)
        {
            0
        } else if matches!(
            pay,
            PaymentSummary::Unpaid | PaymentSummary::Paying | PaymentSummary::Failed
        ) && !st.is_closed_by_cancel()
        {
            1
        } else {
            2
        }
    }

    /// The index of the selected row (the first when none is chosen).
    pub fn cashier_index(&self, rows: &[&OrderState]) -> usize {
        self.cashier_selected
            .as_ref()
            .and_then(|id| rows.iter().position(|st| &st.order.id == id))
            .unwrap_or(0)
    }

    fn update_cashier(&mut self, msg: Message) -> Option<Effect> {
        let rows = self.cashier_rows();
        let i = self.cashier_index(&rows);
        let go = |to: usize| {
            rows.get(to.min(rows.len().saturating_sub(1)))
                .map(|st| st.order.id.clone())
        };
        match msg {
            Message::Up => self.cashier_selected = go(i.saturating_sub(1)),
            Message::Down => self.cashier_selected = go(i + 1),
            Message::PageUp => self.cashier_selected = go(i.saturating_sub(10)),
            Message::PageDown => self.cashier_selected = go(i + 10),
            Message::Enter | Message::OpenSettle => {
                let st = rows.get(i)?;
                let pay = st.payment();
                if pay.is_paid() || st.is_closed_by_cancel() || st.remaining() == Fen::ZERO {
                    self.note = Some(Note::Refused(refusal_text(
                        self.words,
                        &Refusal::AlreadyPaid,
                    )));
                    return None;
                }
                let open = pay == PaymentSummary::Paying
                    || st.online.as_ref().is_some_and(|u| u.outcome_open());
                self.dialog = Some(Dialog::Settle(SettleDialog {
                    order_id: st.order.id.clone(),
                    stage: if open {
                        SettleStage::OutcomeOpen
                    } else {
                        SettleStage::Tender
                    },
                    method: Method::Cash,
                    input: String::new(),
                    tenders: Vec::new(),
                    pin: String::new(),
                    error: None,
                }));
            }
            Message::NewCounterOrder => self.open_counter(),
            Message::Recheck => {
                let st = rows.get(i)?;
                return Some(Effect {
                    cmd: Command::Recheck {
                        order_id: st.order.id.clone(),
                        staff_id: self.staff_id(),
                    },
                    pending: Pending::Recheck {
                        pickup: st.order.pickup_no.clone(),
                    },
                    then: Vec::new(),
                });
            }
            Message::Void | Message::ResolveDouble => {
                let st = rows.get(i)?;
                let action = if matches!(msg, Message::Void) {
                    ManagerAction::Void
                } else {
                    ManagerAction::ResolveDouble {
                        refund_in_store: true,
                    }
                };
                self.dialog = Some(Dialog::Manager(ManagerDialog {
                    action,
                    order_id: st.order.id.clone(),
                    text: String::new(),
                    manager_id: String::new(),
                    pin: String::new(),
                    field: 0,
                    error: None,
                }));
            }
            _ => {}
        }
        None
    }

    /// What the settle dialog's current entry amounts to: (amount toward the
    /// order, tendered, change), or `None` when the text is not an amount.
    pub fn settle_preview(&self, d: &SettleDialog) -> Option<(Fen, Fen, Fen)> {
        let st = self.board.get(&d.order_id)?;
        let added: Fen = d.tenders.iter().map(|t| t.amount).sum();
        let left = st.remaining() - added;
        let left = if left.is_negative() { Fen::ZERO } else { left };
        let typed = if d.input.trim().is_empty() {
            None
        } else {
            Some(Fen::parse_yuan(&d.input).ok()?)
        };
        let q = quote_typed(left, d.method, typed, self.source.cash_rounding());
        Some((q.amount, q.tendered, q.change))
    }

    /// What is still due in the dialog after the tenders already added.
    pub fn settle_left(&self, d: &SettleDialog) -> Fen {
        let Some(st) = self.board.get(&d.order_id) else {
            return Fen::ZERO;
        };
        let added: Fen = d.tenders.iter().map(|t| t.amount).sum();
        let left = st.remaining() - added;
        if left.is_negative() {
            Fen::ZERO
        } else {
            left
        }
    }

    fn current_tender(&self, d: &SettleDialog) -> Option<TenderInput> {
        let (amount, tendered, _) = self.settle_preview(d)?;
        if !amount.is_positive() {
            return None;
        }
        Some(TenderInput {
            method: d.method,
            amount,
            tendered: (d.method == Method::Cash).then_some(tendered),
            reference: None,
        })
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

    fn update_shift(&mut self, mut d: ShiftDialog, msg: Message) -> Option<Effect> {
        let n = d.fields();
        let manager_field = d.values.len();
        match msg {
            Message::Escape => return None,
            Message::NextField | Message::Down => d.field = (d.field + 1) % n,
            Message::Up => d.field = (d.field + n - 1) % n,
            Message::Left | Message::Right if d.action == ShiftAction::Close => {
                d.confirm = !d.confirm
            }
            Message::Char(c) => {
                if d.field == d.pin_field() {
                    if d.pin.len() < 8 && c.is_ascii_digit() {
                        d.pin.push(c);
                    }
                } else if d.action == ShiftAction::Close && d.field == manager_field {
                    if d.manager_id.len() < 16 && c.is_ascii_alphanumeric() {
                        d.manager_id.push(c);
                    }
                } else if let Some(v) = d.values.get_mut(d.field) {
                    let money = d.action == ShiftAction::Open && (c == '.' || c.is_ascii_digit());
                    if v.len() < 9 && (c.is_ascii_digit() || money) {
                        v.push(c);
                    }
                }
            }
            Message::Backspace => {
                if d.field == d.pin_field() {
                    d.pin.pop();
                } else if d.action == ShiftAction::Close && d.field == manager_field {
                    d.manager_id.pop();
                } else if let Some(v) = d.values.get_mut(d.field) {
                    v.pop();
                }
            }
            Message::Enter if d.field < d.pin_field() || d.pin.is_empty() => {
                d.field = (d.field + 1).min(d.pin_field())
            }
            Message::Enter => {
                let staff_id = self.staff_id();
                let pin = std::mem::take(&mut d.pin);
                let cmd = match d.action {
                    ShiftAction::Open => {
                        let typed = if d.values[0].is_empty() {
                            "0"
                        } else {
                            &d.values[0]
                        };
                        match Fen::parse_yuan(typed) {
                            Ok(float) => Command::OpenShift {
                                staff_id,
                                pin: Some(pin),
                                float,
                            },
                            Err(e) => {
                                d.error = Some(e.to_string());
                                d.field = 0;
                                self.dialog = Some(Dialog::Shift(d));
                                return None;
                            }
                        }
                    }
                    ShiftAction::Close => Command::CloseShift {
                        staff_id,
                        approval: Approval {
                            staff_id: StaffId(d.manager_id.clone()),
                            pin,
                        },
                        count: d.count(),
                        confirm_open_issues: d.confirm,
                    },
                };
                let action = d.action;
                self.dialog = Some(Dialog::Shift(d));
                return Some(Effect {
                    cmd,
                    pending: Pending::Shift(action),
                    then: Vec::new(),
                });
            }
            _ => {}
        }
        self.dialog = Some(Dialog::Shift(d));
        None
    }

    fn update_settle(&mut self, mut d: SettleDialog, msg: Message) -> Option<Effect> {
        let pickup = self
            .board
            .get(&d.order_id)
            .map(|st| st.order.pickup_no.clone())
            .unwrap_or_default();
        match (d.stage, msg) {
            (_, Message::Escape) if d.stage == SettleStage::Pin => {
                d.stage = SettleStage::Tender;
                d.pin.clear();
            }
            (_, Message::Escape) => return None,
            (SettleStage::OutcomeOpen, Message::Char('r'))
            | (SettleStage::OutcomeOpen, Message::Recheck) => {
                self.dialog = None;
                return Some(Effect {
                    cmd: Command::Recheck {
                        order_id: d.order_id,
                        staff_id: self.staff_id(),
                    },
                    pending: Pending::Recheck { pickup },
                    then: Vec::new(),
                });
            }
            (SettleStage::OutcomeOpen, Message::Enter) => d.stage = SettleStage::Tender,
            (SettleStage::Tender, Message::Method(m)) => {
                d.method = m;
                d.error = None;
            }
            (SettleStage::Tender, Message::Char(c)) if c.is_ascii_digit() || c == '.' => {
                // A scanned pay code is 18 digits; an amount is shorter.
                let room = if d.method == Method::Scan { 20 } else { 12 };
                if d.input.len() < room {
                    d.input.push(c);
                }
                d.error = None;
            }
            (SettleStage::Tender, Message::Backspace) => {
                d.input.pop();
            }
            (SettleStage::Tender, Message::AddTender) => match self.current_tender(&d) {
                Some(t) if t.amount < self.settle_left(&d) => {
                    d.tenders.push(t);
                    d.input.clear();
                    d.method = Method::Cash;
                    d.error = None;
                }
                Some(_) => d.error = None,
                None => d.error = Some(self.words.bad_amount.to_string()),
            },
            (SettleStage::Tender, Message::Enter) if App::is_pay_code_entry(&d) => {
                return self.scan_code(d, pickup);
            }
            (SettleStage::Tender, Message::Enter) => match self.current_tender(&d) {
                Some(t) => {
                    d.tenders.push(t);
                    d.input.clear();
                    d.stage = SettleStage::Pin;
                    d.error = None;
                }
                None if !d.tenders.is_empty() && d.input.is_empty() => d.stage = SettleStage::Pin,
                None => d.error = Some(self.words.bad_amount.to_string()),
            },
            (SettleStage::Pin, Message::Char(c)) if c.is_ascii_digit() && d.pin.len() < 8 => {
                d.pin.push(c);
            }
            (SettleStage::Pin, Message::Backspace) => {
                d.pin.pop();
            }
            (SettleStage::Pin, Message::Enter) if !d.pin.is_empty() => {
                let change = d
                    .tenders
                    .iter()
                    .filter_map(|t| t.tendered.map(|x| x - t.amount))
                    .sum();
                let cmd = Command::Settle {
                    order_id: d.order_id.clone(),
                    staff_id: self.staff_id(),
                    pin: Some(std::mem::take(&mut d.pin)),
                    tenders: d.tenders.clone(),
                };
                self.dialog = Some(Dialog::Settle(d));
                return Some(Effect {
                    cmd,
                    pending: Pending::Settle { pickup, change },
                    then: Vec::new(),
                });
            }
            _ => {}
        }
        self.dialog = Some(Dialog::Settle(d));
        None
    }

    fn update_manager(&mut self, mut d: ManagerDialog, msg: Message) -> Option<Effect> {
        match msg {
            Message::Escape => return None,
            Message::NextField | Message::Down => d.field = (d.field + 1) % 3,
            Message::Up => d.field = (d.field + 2) % 3,
            Message::Left | Message::Right => {
                if let ManagerAction::ResolveDouble { refund_in_store } = d.action {
                    d.action = ManagerAction::ResolveDouble {
                        refund_in_store: !refund_in_store,
                    };
                }
            }
            Message::Char(c) => match d.field {
                0 if d.text.chars().count() < 60 => d.text.push(c),
                1 if d.manager_id.len() < 16 && c.is_ascii_alphanumeric() => d.manager_id.push(c),
                2 if d.pin.len() < 8 && c.is_ascii_digit() => d.pin.push(c),
                _ => {}
            },
            Message::Backspace => {
                match d.field {
                    0 => d.text.pop(),
                    1 => d.manager_id.pop(),
                    _ => d.pin.pop(),
                };
            }
            Message::Enter if d.field < 2 || d.pin.is_empty() => d.field = (d.field + 1).min(2),
            Message::Enter => {
                let pickup = self
                    .board
                    .get(&d.order_id)
                    .map(|st| st.order.pickup_no.clone())
                    .unwrap_or_default();
                let approval = Approval {
                    staff_id: StaffId(d.manager_id.clone()),
                    pin: std::mem::take(&mut d.pin),
                };
                let staff_id = self.staff_id();
                let cmd = match d.action {
                    ManagerAction::Void => Command::Void {
                        order_id: d.order_id.clone(),
                        staff_id,
                        approval,
                        reason: d.text.trim().to_string(),
                    },
                    ManagerAction::ResolveDouble { refund_in_store } => {
                        Command::ResolveDoublePayment {
                            order_id: d.order_id.clone(),
                            staff_id,
                            approval,
                            refund_in_store,
                            note: d.text.trim().to_string(),
                        }
                    }
                };
                let action = d.action;
                self.dialog = Some(Dialog::Manager(d));
                return Some(Effect {
                    cmd,
                    pending: Pending::Manager { pickup, action },
                    then: Vec::new(),
                });
            }
            _ => {}
        }
        self.dialog = Some(Dialog::Manager(d));
        None
    }

    // ----- alerts and log -----

    fn update_alerts(&mut self, msg: Message) -> Option<Effect> {
        let n = self.visible_alerts().len();
        match msg {
            Message::Up => self.alerts_selected = self.alerts_selected.saturating_sub(1),
            Message::Down if self.alerts_selected + 1 < n => self.alerts_selected += 1,
            Message::Enter => {
                if let Some(key) = self
                    .visible_alerts()
                    .get(self.alerts_selected)
                    .map(|a| a.key.clone())
                {
                    self.jump_to(&key);
                }
            }
            Message::Acknowledge | Message::Char('x') => {
                if let Some(key) = self
                    .visible_alerts()
                    .get(self.alerts_selected)
                    .map(|a| a.key.clone())
                {
                    if let AlertKey::Quarantine(id) = key {
                        self.quarantined.remove(&id);
                        self.acknowledged.insert(key);
                    }
                }
            }
            _ => {}
        }
        None
    }

    fn update_log(&mut self, msg: Message) -> Option<Effect> {
        match msg {
            Message::Up => self.log_scroll = self.log_scroll.saturating_sub(1),
            Message::Down => {
                self.log_scroll = (self.log_scroll + 1).min(self.log.len().saturating_sub(1))
            }
            Message::PageUp => self.log_scroll = self.log_scroll.saturating_sub(10),
            Message::PageDown => {
                self.log_scroll = (self.log_scroll + 10).min(self.log.len().saturating_sub(1))
            }
            _ => {}
        }
        None
    }

    fn update_printers(&mut self, msg: Message) -> Option<Effect> {
        let last = self.jobs.len().saturating_sub(1);
        match msg {
            Message::Up => self.jobs_selected = self.jobs_selected.saturating_sub(1),
            Message::Down => self.jobs_selected = (self.jobs_selected + 1).min(last),
            Message::PageUp => self.jobs_selected = self.jobs_selected.saturating_sub(10),
            Message::PageDown => self.jobs_selected = (self.jobs_selected + 10).min(last),
            Message::Enter => {
                let job = self.jobs.get(self.jobs_selected)?;
                let order_id = OrderId(job.doc.order_id()?.to_string());
                let staff_id = self.staff.as_ref()?.id.clone();
                return Some(Effect {
                    cmd: Command::Reprint {
                        order_id,
                        staff_id,
                        job: Some(job.job),
                    },
                    then: Vec::new(),
                    pending: Pending::Reprint { job: job.job },
                });
            }
            _ => {}
        }
        None
    }

    // ----- the shift report -----

    /// Reads the report from the log: the open shift so far, else the last
    /// closed shift.
    pub fn load_report(&mut self) {
        use crate::report::ReportError;
        let Some(engine) = self.source.local() else {
            self.report = Some(Err(if self.words.chinese {
                "报表只在主机上看: 请在收银主机上按 F6".into()
            } else {
                "reports are read on the main console: press F6 there".into()
            }));
            return;
        };
        self.report = Some(engine.shift_report().map_err(|e| match e {
            ReportError::NoClosedShift | ReportError::NoOpenShift => self.words.no_shift.into(),
            e if self.words.chinese => format!("报表出错: {e}"),
            e => e.to_string(),
        }));
        self.report_scroll = 0;
    }

    /// The report's lines for a width, in the console's language.
    pub fn report_lines(&self, cols: usize) -> Vec<String> {
        match &self.report {
            Some(Ok(r)) => crate::report::layout::lines(r, cols, self.words.chinese),
            Some(Err(_)) | None => Vec::new(),
        }
    }

    /// Lines of the narrowest layout: no scroll goes past them.
    fn report_len(&self) -> usize {
        self.report_lines(20).len()
    }

    fn update_report(&mut self, msg: Message) -> Option<Effect> {
        match msg {
            Message::Up => self.report_scroll = self.report_scroll.saturating_sub(1),
            Message::Down => self.report_scroll = (self.report_scroll + 1).min(self.report_len()),
            Message::PageUp => self.report_scroll = self.report_scroll.saturating_sub(10),
            Message::PageDown => {
                self.report_scroll = (self.report_scroll + 10).min(self.report_len())
            }
            Message::RefreshReport => self.load_report(),
            Message::OpenShift => {
                self.dialog = Some(Dialog::Shift(ShiftDialog::new(ShiftAction::Open)))
            }
            Message::CloseShift => {
                self.dialog = Some(Dialog::Shift(ShiftDialog::new(ShiftAction::Close)))
            }
            _ => {}
        }
        None
    }

    /// Spools the report on the receipt printer (32 columns: fits 58 and 80 mm).
    async fn print_report(&mut self) {
        let w = self.words;
        let Some(Ok(r)) = &self.report else {
            return;
        };
        let Some(engine) = self.source.local().cloned() else {
            return;
        };
        let Some(printer) = engine.config().routes.receipt_printer() else {
            self.note = Some(Note::Refused(w.no_receipt_printer.into()));
            return;
        };
        let doc = crate::report::layout::print_doc(r, 32);
        self.note = Some(match engine.spool_add(printer.to_string(), doc).await {
            Ok(_) => Note::Done(w.report_printed.into()),
            Err(e) => Note::Refused(error_text(w, &e)),
        });
    }

    fn jump_to(&mut self, key: &AlertKey) {
        match key {
            AlertKey::PaymentFailed(id)
            | AlertKey::DoublePaid(id)
            | AlertKey::PayingTooLong(id) => {
                if self.screens().contains(&Screen::Cashier) {
                    self.screen = Screen::Cashier;
                    self.cashier_selected = Some(id.clone());
                }
            }
            _ => {
                if self.screens().contains(&Screen::Alerts) {
                    self.screen = Screen::Alerts;
                    if let Some(i) = self.visible_alerts().iter().position(|a| &a.key == key) {
                        self.alerts_selected = i;
                    }
                }
            }
        }
        self.help = false;
    }

    /// The alerts this role handles (the kitchen sees printers and the feed).
    pub fn visible_alerts(&self) -> Vec<&Alert> {
        let kitchen = self.staff.as_ref().is_some_and(|s| s.role == Role::Kitchen);
        self.alerts
            .iter()
            .filter(|a| !kitchen || matches!(a.key, AlertKey::Printer(_) | AlertKey::Feed))
            .collect()
    }

    /// Raises new alerts (one bell each) and drops the handled ones.
    pub fn refresh_alerts(&mut self) {
        let now = self.now();
        let mut causes = alerts::current_causes(
            &self.board,
            &self.feed,
            &self.printers,
            now,
            self.opts.paying_alert_seconds,
            self.words.chinese,
        );
        for (id, (at, err)) in &self.quarantined {
            let _ = at;
            causes.push((AlertKey::Quarantine(*id), format!("#{id}"), err.clone()));
        }
        let keys: BTreeSet<&AlertKey> = causes.iter().map(|c| &c.0).collect();
        self.alerts.retain(|a| keys.contains(&a.key));
        let mut raised = Vec::new();
        for (key, subject, detail) in causes {
            match self.alerts.iter_mut().find(|a| a.key == key) {
                Some(a) => a.detail = detail,
                None => {
                    raised.push(key.clone());
                    self.alerts.push(Alert {
                        key,
                        raised_at: now,
                        subject,
                        detail,
                    });
                }
            }
        }
        if self.staff.is_some()
            && self
                .visible_alerts()
                .iter()
                .any(|a| raised.contains(&a.key))
        {
            self.bell = true;
        }
        let n = self.visible_alerts().len();
        if self.alerts_selected >= n {
            self.alerts_selected = n.saturating_sub(1);
        }
    }

    fn backfill_log(&mut self) {
        let last = self.source.last_event();
        let events = self
            .source
            .events_after(last.saturating_sub(LOG_BACKFILL), LOG_BACKFILL as usize);
        for ev in &events {
            if let EventBody::FrameQuarantined {
                quarantine_id,
                error,
                ..
            } = &ev.body
            {
                if business_date(&ev.at, self.source.tz()) == self.today {
                    self.quarantined
                        .insert(*quarantine_id, (ev.at, error.clone()));
                }
            }
            self.log_event(ev);
        }
    }

    fn log_event(&mut self, ev: &Event) {
        let subject = ev
            .body
            .order_id()
            .and_then(|id| self.board.get(id))
            .map(|st| st.order.pickup_no.clone())
            .unwrap_or_default();
        let mut detail = String::new();
        match &ev.body {
            EventBody::PaymentUpdated { update, .. } => {
                detail = update.trade_state.as_str().to_string();
                if let Some(code) = update.error_code.as_deref().filter(|c| !c.is_empty()) {
                    detail = format!("{detail} {code}");
                    if business_date(&ev.at, self.source.tz()) == self.today {
                        *self.codes_today.entry(code.to_string()).or_default() += 1;
                    }
                }
            }
            EventBody::Settled { tenders, .. } => {
                detail = tenders
                    .iter()
                    .map(|t| format!("{} {}", self.words.method(t.method), t.amount))
                    .collect::<Vec<_>>()
                    .join(" + ");
            }
            EventBody::FrameQuarantined { error, .. } => detail = error.clone(),
            EventBody::PinRejected {
                staff_id, failures, ..
            } => detail = format!("{staff_id} {failures}/5"),
            EventBody::OrderCancelled { reason, .. } => detail = reason.clone(),
            EventBody::Voided { reason, .. } => detail = reason.clone(),
            EventBody::ShiftOpened { shift, float, .. } => detail = format!("#{shift} {float}"),
            EventBody::ShiftClosed {
                shift,
                counted,
                over_short,
                ..
            } => detail = format!("#{shift} {counted} ({over_short})"),
            _ => {}
        }
        self.log.push_front(LogLine {
            at: ev.at,
            name: ev.body.name(),
            subject,
            detail,
        });
        self.log.truncate(LOG_LINES);
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
        self.follow_collect(ev);
        self.log_event(ev);
        self.log_scroll = 0;
    }

    // ----- results -----

    /// Takes a command's result: closes the dialog, or shows the refusal.
    pub fn finish(&mut self, pending: Pending, res: Result<Committed, EngineError>) {
        let w = self.words;
        match (pending, res) {
            (Pending::SignIn(id), Ok(_)) => {
                let staff = self.source.staff_member(&id);
                match staff {
                    Some(s) => {
                        self.note = Some(Note::Done(format!("{} {}", w.welcome, s.name)));
                        self.signed_in(s);
                    }
                    None => {
                        self.sign_in.message =
                            Some(refusal_text(w, &Refusal::UnknownStaff { staff_id: id.0 }))
                    }
                }
            }
            (Pending::SignIn(_), Err(e)) => {
                self.sign_in.message = Some(error_text(w, &e));
                self.sign_in.pin.clear();
                self.sign_in.field = SignInField::Pin;
            }
            (Pending::Bump { pickup }, Ok(_)) => {
                self.note = Some(Note::Done(format!("{pickup} {}", w.bumped)))
            }
            (Pending::Recall, Ok(c)) => {
                let pickup = c
                    .events
                    .iter()
                    .find_map(|e| e.body.order_id())
                    .and_then(|id| self.board.get(id))
                    .map(|st| st.order.pickup_no.clone())
                    .or_else(|| {
                        c.events.iter().find_map(|e| match &e.body {
                            EventBody::Recalled { order_id } => Some(order_id.0.clone()),
                            _ => None,
                        })
                    })
                    .unwrap_or_default();
                self.note = Some(Note::Done(format!("{pickup} {}", w.recalled)));
            }
            (Pending::Serve { pickup }, Ok(_)) => {
                self.note = Some(Note::Done(format!("{pickup} {}", w.served)))
            }
            (Pending::Recheck { pickup }, Ok(_)) => {
                self.note = Some(Note::Done(format!("{pickup} {}", w.recheck_sent)))
            }
            (Pending::Settle { pickup, change }, Ok(_)) => {
                self.dialog = None;
                self.note = Some(Note::Done(format!("{pickup} {} {change}", w.settled)));
            }
            (Pending::Settle { .. }, Err(e)) => {
                let msg = error_text(w, &e);
                if let Some(Dialog::Settle(d)) = &mut self.dialog {
                    let pin_problem = matches!(
                        e,
                        EngineError::Refused(
                            Refusal::WrongPin { .. } | Refusal::LockedOut { .. } | Refusal::BadPin
                        )
                    );
                    if !pin_problem {
                        d.stage = SettleStage::Tender;
                        d.tenders.clear();
                    }
                    d.error = Some(msg.clone());
                }
                self.note = Some(Note::Refused(msg));
            }
            (Pending::Manager { pickup, action }, Ok(_)) => {
                self.dialog = None;
                let what = match action {
                    ManagerAction::Void => w.voided,
                    ManagerAction::ResolveDouble { .. } => w.resolved,
                };
                self.note = Some(Note::Done(format!("{pickup} {what}")));
            }
            (Pending::Shift(action), Ok(c)) => {
                self.dialog = None;
                let (what, n) = c
                    .events
                    .iter()
                    .find_map(|e| match &e.body {
                        EventBody::ShiftOpened { shift, .. } => Some((w.shift_opened, *shift)),
                        EventBody::ShiftClosed { shift, .. } => Some((w.shift_closed, *shift)),
                        _ => None,
                    })
                    .unwrap_or((
                        match action {
                            ShiftAction::Open => w.shift_opened,
                            ShiftAction::Close => w.shift_closed,
                        },
                        0,
                    ));
                self.load_report();
                let verdict = match &self.report {
                    Some(Ok(r)) if action == ShiftAction::Close => r
                        .cash
                        .over_short
                        .map(|o| {
                            let sign = if o.is_positive() { "+" } else { "" };
                            format!(
                                " {} {} {} {sign}{o}",
                                w.counted,
                                r.cash.counted.unwrap_or_default(),
                                w.over_short
                            )
                        })
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                self.note = Some(Note::Done(format!("#{n} {what}{verdict}")));
            }
            (Pending::Shift(_), Err(e)) => {
                let msg = error_text(w, &e);
                if let Some(Dialog::Shift(d)) = &mut self.dialog {
                    d.error = Some(msg.clone());
                }
                self.note = Some(Note::Refused(msg));
            }
            (Pending::Manager { .. }, Err(e)) => {
                let msg = error_text(w, &e);
                if let Some(Dialog::Manager(d)) = &mut self.dialog {
                    d.error = Some(msg.clone());
                }
                self.note = Some(Note::Refused(msg));
            }
            (Pending::Reprint { job }, Ok(c)) => {
                self.read_jobs(true);
                let new = c.jobs.first().map(|n| format!(" #{n}")).unwrap_or_default();
                self.note = Some(Note::Done(format!("#{job} {}{new}", w.reprinted)));
            }
            (Pending::CounterOrder, Ok(c)) => self.counter_placed(&c.events),
            (Pending::CounterOrder, Err(e)) => {
                let msg = error_text(w, &e);
                if let Some(Dialog::Counter(entry)) = &mut self.dialog {
                    entry.error = Some(msg.clone());
                }
                self.note = Some(Note::Refused(msg));
            }
            (Pending::Collect { pickup, masked }, Ok(_)) => {
                let cw = super::counter::words(w.chinese);
                self.note = Some(Note::Done(format!("{pickup} {masked} {}", cw.sent)));
            }
            (Pending::Collect { .. }, Err(e)) => {
                self.collecting = None;
                let msg = error_text(w, &e);
                if let Some(Dialog::Settle(d)) = &mut self.dialog {
                    d.error = Some(msg.clone());
                }
                self.note = Some(Note::Refused(msg));
            }
            (_, Err(e)) => self.note = Some(Note::Refused(error_text(w, &e))),
        }
    }
}

/// The digits of a pickup number (`A007` → 7).
pub fn pickup_digits(pickup: &str) -> Option<u64> {
    let d: String = pickup.chars().filter(|c| c.is_ascii_digit()).collect();
    d.parse().ok()
}

/// An engine error in the staff's language.
pub fn error_text(w: &Words, e: &EngineError) -> String {
    match e {
        EngineError::Refused(r) => refusal_text(w, r),
        EngineError::Stopped if w.chinese => "系统已停止:请重启收银机".into(),
        other if w.chinese => format!("系统错误: {other}"),
        other => other.to_string(),
    }
}

/// A refusal in the staff's language (the engine's words are English).
pub fn refusal_text(w: &Words, r: &Refusal) -> String {
    if !w.chinese {
        return r.to_string();
    }
    match r {
        Refusal::WrongPin { staff_id, failures } => {
            format!("{staff_id} 密码错误(第 {failures} 次, 共 {PIN_LOCK_AFTER} 次)")
        }
        Refusal::LockedOut { staff_id, seconds } => {
            format!("{staff_id} 密码错误 {PIN_LOCK_AFTER} 次已锁定: 请等 {seconds} 秒")
        }
        Refusal::UnknownStaff { staff_id } => format!("没有工号 {staff_id}: 请核对"),
        Refusal::StaffDisabled { staff_id } => format!("{staff_id} 已停用: 请找经理"),
        Refusal::BadPin => "密码是 4 到 8 位数字".into(),
        Refusal::AlreadyPaid => "订单已付清: 无需收款".into(),
        Refusal::ApprovalNeeded => "需要经理密码批准".into(),
        Refusal::NotOnRail => "这张单不在厨房队列上".into(),
        Refusal::NothingToRecall => "没有可召回的单".into(),
        Refusal::ReasonNeeded => "请填写原因".into(),
        Refusal::OverTender { amount, due, .. } => {
            format!("金额 {amount} 超过还差的 {due}: 请改小")
        }
        Refusal::InsufficientCash { tendered, amount } => {
            format!("收到 {tendered} 不够 {amount}: 请再收现金")
        }
        Refusal::RefundFirst { collected } => format!("订单已收 {collected}: 请先退款再作废"),
        Refusal::Forbidden { who, .. } => format!("{who} 无权操作: 请找经理"),
        Refusal::NoShiftOpen => "没有开班: 请先开班(备用金)".into(),
        Refusal::ShiftOpen { shift } => format!("第 {shift} 班还没交班: 请先点钱箱交班"),
        Refusal::OpenIssues { count, orders } => {
            format!("{count} 单还需要处理 ({orders}): 请先处理, 或确认带未结订单交班")
        }
        Refusal::EmptyOrder => "还没有点菜: 请至少加一道菜".into(),
        Refusal::BadLine { line, problem } => {
            format!("第 {line} 行有误({problem}): 请改正后再下单")
        }
        Refusal::BadPayCode { masked } => {
            format!("付款码 {masked} 无效(应为 18 位微信或支付宝付款码): 请顾客刷新后重扫")
        }
        Refusal::PayCodeRepeated { masked } => {
            format!("付款码 {masked} 已扫过这张单: 请顾客刷新付款码")
        }
        Refusal::CollectInProgress { masked } => {
            format!("付款码 {masked} 还在确认中: 请等结果(或重新查询)再扫")
        }
        other => other.to_string(),
    }
}
