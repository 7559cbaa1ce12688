//! The local API's JSON frames, both ways. One JSON object per text frame,
//! each with a `"type"`. Commands are the engine's own `domain::Command`.

use crate::domain::job::JobRecord;
use crate::domain::status::FeedStatus;
use crate::domain::status::SpoolStatus;
use crate::domain::{Approval, CashRounding, Command, Event, OrderId, OrderState, Refusal, Staff};
use crate::engine::{Committed, EngineError};
use serde::{Deserialize, Serialize};

/// The protocol version in `welcome`.
pub const PROTOCOL: u32 = 1;

/// What a client's screen is for. A kitchen screen bumps, recalls and
/// serves; it never takes money, voids or refunds, whoever signs in there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScreenRole {
    Kitchen,
    Cashier,
}

impl ScreenRole {
    pub fn parse(s: &str) -> Option<ScreenRole> {
        match s {
            "kitchen" => Some(ScreenRole::Kitchen),
            "cashier" => Some(ScreenRole::Cashier),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ScreenRole::Kitchen => "kitchen",
            ScreenRole::Cashier => "cashier",
        }
    }
}

/// Client → console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// The first frame. `subscribe` asks for the board and every event;
    /// `after` (a reconnect) asks for the events after that id instead of a
    /// snapshot.
    Hello {
        role: ScreenRole,
        #[serde(default)]
        subscribe: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<u64>,
    },
    /// One engine command. `key` is its idempotency key: a retry with the
    /// same key is answered with the first result and changes nothing.
    Command {
        key: String,
        command: Box<Command>,
        /// A manager's approval, needed for staff commands.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approval: Option<Approval>,
    },
    /// One order (open, today's, or from the history).
    GetOrder { key: String, order_id: OrderId },
    /// One print job from the spool.
    GetJob { key: String, job: u64 },
}

/// The store as a screen needs it to compute what the console computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreInfo {
    pub name: String,
    pub timezone: String,
    pub cash_rounding: CashRounding,
}

/// Console → client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // short-lived frames; boxing buys nothing here
pub enum ServerMsg {
    /// The answer to `hello`.
    Welcome {
        protocol: u32,
        role: ScreenRole,
        store: StoreInfo,
    },
    /// Open orders and today's closed ones, printers and the feed, as of
    /// `last_event`; `recent` is the tail of the log (for the log screen).
    Snapshot {
        last_event: u64,
        orders: Vec<OrderState>,
        printers: SpoolStatus,
        feed: FeedStatus,
        recent: Vec<Event>,
    },
    /// A reconnect's missed events were all sent; live events follow.
    CaughtUp {
        last_event: u64,
        printers: SpoolStatus,
        feed: FeedStatus,
    },
    Event {
        event: Event,
    },
    Printers {
        printers: SpoolStatus,
    },
    Feed {
        feed: FeedStatus,
    },
    Result(CommandResult),
    Order {
        key: String,
        order: Option<OrderState>,
    },
    Job {
        key: String,
        job: Option<JobRecord>,
    },
    /// The console closes this connection (too slow, fell behind, stopping);
    /// reconnect with `after = resume_after` to catch up.
    Dropped {
        reason: String,
        message: String,
        resume_after: u64,
    },
    /// A frame the console could not use.
    Error {
        code: String,
        message: String,
    },
}

/// The answer to one command: what it committed, or why it was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandResult {
    pub key: String,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed: Option<Committed>,
    /// Who signed in (for `sign_in`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<Staff>,
    /// The stable refusal code (`already_paid`, `wrong_pin`, `kitchen_screen`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The engine's refusal with its fields, when the engine refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
}

impl CommandResult {
    pub fn done(key: String, committed: Committed, staff: Option<Staff>) -> CommandResult {
        CommandResult {
            key,
            ok: true,
            committed: Some(committed),
            staff,
            code: None,
            message: None,
            refusal: None,
        }
    }

    pub fn refused(key: String, code: &str, message: String) -> CommandResult {
        CommandResult {
            key,
            ok: false,
            committed: None,
            staff: None,
            code: Some(code.to_string()),
            message: Some(message),
            refusal: None,
        }
    }

    pub fn from_engine(key: String, res: Result<Committed, EngineError>) -> CommandResult {
        match res {
            Ok(c) => CommandResult::done(key, c, None),
            Err(EngineError::Refused(r)) => CommandResult {
                code: Some(r.code()),
                message: Some(r.to_string()),
                refusal: Some(r),
                ..CommandResult::refused(key, "", String::new())
            },
            Err(e @ EngineError::Stopped) => CommandResult::refused(key, "stopped", e.to_string()),
            Err(e @ EngineError::Gap { .. }) => CommandResult::refused(key, "gap", e.to_string()),
            Err(e @ EngineError::Busy) => CommandResult::refused(key, "slow_down", e.to_string()),
            Err(e) => CommandResult::refused(key, "console_error", e.to_string()),
        }
    }

    /// The result as the engine would have given it (for a screen's app).
    pub fn into_engine(self) -> Result<Committed, EngineError> {
        if self.ok {
            return Ok(self.committed.unwrap_or_default());
        }
        match self.refusal {
            Some(r) => Err(EngineError::Refused(r)),
            None => Err(EngineError::Remote(
                self.message.unwrap_or_else(|| "refused".to_string()),
            )),
        }
    }
}

/// An event frame written without copying the event.
#[derive(Serialize)]
struct EventOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    event: &'a Event,
}

pub fn event_text(ev: &Event) -> String {
    serde_json::to_string(&EventOut {
        kind: "event",
        event: ev,
    })
    .expect("an event always serializes to JSON")
}

pub fn text(msg: &ServerMsg) -> String {
    serde_json::to_string(msg).expect("server frames always serialize to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settle_command_reads_as_the_engine_command() {
        let m: ClientMsg = serde_json::from_str(
            r#"{"type":"command","key":"k1","command":{"settle":{"order_id":"WX-1","staff_id":"01","pin":"1234","tenders":[{"method":"cash","amount":5600,"tendered":10000}]}}}"#,
        )
        .expect("readable");
        match m {
            ClientMsg::Command {
                key,
                command,
                approval,
            } => {
                let Command::Settle { tenders, .. } = *command else {
                    panic!("not a settle: {command:?}");
                };
                assert_eq!(key, "k1");
                assert_eq!(tenders[0].amount.0, 5600);
                assert!(approval.is_none());
            }
            other => panic!("not a settle: {other:?}"),
        }
    }

    #[test]
    fn a_refusal_keeps_its_code_and_words() {
        let r =
            CommandResult::from_engine("k".into(), Err(EngineError::Refused(Refusal::AlreadyPaid)));
        let v = serde_json::to_value(ServerMsg::Result(r.clone())).expect("json");
        assert_eq!(v["type"], "result");
        assert_eq!(v["code"], "already_paid");
        assert_eq!(v["message"], "order is already paid: nothing is due");
        let back: ServerMsg = serde_json::from_value(v).expect("reads back");
        assert_eq!(back, ServerMsg::Result(r));
    }
}
