//! Where the console's data comes from: the engine in this process (`run`),
//! or a console reached over the local API (`attach`). The app asks the
//! same questions of both: the board, the events, the log's tail, who
//! signed in, and "execute this command".

use crate::api::client::Remote;
use crate::domain::{CashRounding, Command, Event, OrderId, OrderState, Role, Staff, StaffId};
use crate::engine::{Board, Committed, EngineError, EngineHandle};
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Clone)]
pub enum Source {
    Local(EngineHandle),
    Remote(Remote),
}

impl From<EngineHandle> for Source {
    fn from(h: EngineHandle) -> Source {
        Source::Local(h)
    }
}

impl From<Remote> for Source {
    fn from(r: Remote) -> Source {
        Source::Remote(r)
    }
}

impl Source {
    /// The engine itself, when this screen runs in the console's process:
    /// the spool, print preview and shift reports are read there only.
    pub fn local(&self) -> Option<&EngineHandle> {
        match self {
            Source::Local(h) => Some(h),
            Source::Remote(_) => None,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        match self {
            Source::Local(h) => h.subscribe(),
            Source::Remote(r) => r.subscribe(),
        }
    }

    pub fn board(&self) -> Board {
        match self {
            Source::Local(h) => h.board(),
            Source::Remote(r) => r.board(),
        }
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        match self {
            Source::Local(h) => h.config().tz,
            Source::Remote(r) => r.tz(),
        }
    }

    pub fn cash_rounding(&self) -> CashRounding {
        match self {
            Source::Local(h) => h.config().rules.cash_rounding,
            Source::Remote(r) => r.cash_rounding(),
        }
    }

    pub fn last_event(&self) -> u64 {
        match self {
            Source::Local(h) => h.stats().borrow().last_event,
            Source::Remote(r) => r.last_event(),
        }
    }

    pub fn events_after(&self, after: u64, limit: usize) -> Vec<Event> {
        match self {
            Source::Local(h) => h.events_after(after, limit).unwrap_or_default(),
            Source::Remote(r) => r.events_after(after, limit),
        }
    }

    pub fn order(&self, id: &OrderId) -> Option<OrderState> {
        match self {
            Source::Local(h) => h.order(id).ok().flatten(),
            Source::Remote(r) => r.order(id),
        }
    }

    /// The staff member's record (after they signed in).
    pub fn staff_member(&self, id: &StaffId) -> Option<Staff> {
        match self {
            Source::Local(h) => h
                .staff()
                .ok()
                .and_then(|list| list.into_iter().find(|r| &r.staff.id == id))
                .map(|r| r.staff),
            Source::Remote(r) => r.staff_member(id),
        }
    }

    /// The most a signed-in person may see here: a kitchen screen shows the
    /// rail only, whoever signs in.
    pub fn screen_cap(&self) -> Option<Role> {
        match self {
            Source::Local(_) => None,
            Source::Remote(r) => match r.role() {
                crate::api::ScreenRole::Kitchen => Some(Role::Kitchen),
                crate::api::ScreenRole::Cashier => None,
            },
        }
    }

    /// An attached screen's link to its console (true while up).
    pub fn link(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        match self {
            Source::Local(_) => None,
            Source::Remote(r) => Some(r.connected()),
        }
    }

    /// What an attached screen shows while its console cannot be reached.
    pub fn link_lost_text(&self, chinese: bool) -> String {
        let url = match self {
            Source::Remote(r) => r.url().to_string(),
            Source::Local(_) => String::new(),
        };
        if chinese {
            format!("连不上主机 {url}: 正在重连, 屏幕上的单可能不是最新的")
        } else {
            format!("lost the console at {url}: reconnecting, orders on screen may be out of date")
        }
    }

    pub async fn execute(&self, cmd: Command) -> Result<Committed, EngineError> {
        match self {
            Source::Local(h) => h.execute(None, cmd).await,
            Source::Remote(r) => r.execute(cmd).await,
        }
    }
}
