//! What a key (or the outside world) asks of the app (`Message`), the
//! command an update sends to the engine (`Effect`), and what the app does
//! with its result when it comes back (`Pending`).

use super::Screen;
use crate::domain::status::{FeedStatus, SpoolStatus};
use crate::domain::{Command, Event, Fen, Method, StaffId};
use crate::engine::{Committed, EngineError};
use std::sync::Arc;

/// The last thing that happened, on the bottom line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    Done(String),
    Refused(String),
}

/// What a key (or the outside world) asks of the app.
#[derive(Debug)]
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
    /// Engine work sent off earlier came back (`outgoing`).
    Done(Box<Done>),
}

/// How engine work sent off the loop ended.
#[derive(Debug)]
pub enum Done {
    Command {
        pending: Pending,
        res: Result<Committed, EngineError>,
    },
    Printed {
        res: Result<(), EngineError>,
        after_close: Option<Option<Note>>,
    },
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

/// What a manager approves on the spot (the cashier screen's dialog).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagerAction {
    Void,
    ResolveDouble { refund_in_store: bool },
}

/// Opening or closing a shift (the shift dialog).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftAction {
    Open,
    Close,
}
