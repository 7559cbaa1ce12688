//! A command frame from a screen or `ctl`: who may send it (`access`), the
//! staff changes that need a manager's approval, and the engine's answer
//! sent back on the connection.

use super::MAX_IN_FLIGHT;
use super::{Outbox, Shared};
use crate::api::access;
use crate::api::access::{Denied, Session};
use crate::api::message::{CommandResult, ServerMsg};
use crate::domain::{Approval, Command, Role, Staff, StaffId};
use crate::engine::{EngineError, EngineHandle};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The staff member's record, when known.
fn staff_of(engine: &EngineHandle, id: &StaffId) -> Option<Staff> {
    engine
        .staff()
        .ok()?
        .into_iter()
        .find(|r| &r.staff.id == id)
        .map(|r| r.staff)
}

/// A key in the engine's idempotency space, apart from other adapters'.
fn engine_key(key: &str) -> Option<String> {
    (!key.is_empty()).then(|| format!("api:{key}"))
}

#[allow(clippy::too_many_arguments)] // one connection's state, passed down once
pub(super) async fn command_frame(
    sh: &Arc<Shared>,
    session: &mut Session,
    device: &str,
    in_flight: &Arc<std::sync::atomic::AtomicUsize>,
    out: &Outbox,
    key: String,
    command: Command,
    approval: Option<Approval>,
) {
    if let Err(d) = access::check(session, &command, approval.is_some()) {
        tracing::info!(
            code = d.code(),
            command = access::command_name(&command),
            "local API refused a command"
        );
        out.msg(&ServerMsg::Result(CommandResult::refused(
            key,
            d.code(),
            d.to_string(),
        )))
        .await;
        return;
    }
    if access::is_staff_change(&command) {
        let res = match approval {
            Some(a) => staff_change(&sh.engine, device, &key, command, a).await,
            None => Err(Denied::ApprovalNeeded.into()),
        };
        out.msg(&ServerMsg::Result(
            res.unwrap_or_else(|r| r.into_result(key)),
        ))
        .await;
        return;
    }
    if let Command::SignIn { staff_id, .. } = &command {
        // Never replayed by key: a sign-in always checks the PIN.
        let id = staff_id.clone();
        let res = sh.engine.execute_as(device, None, command).await;
        let mut r = CommandResult::from_engine(key, res);
        if r.ok {
            r.staff = staff_of(&sh.engine, &id);
            session.staff = Some(id);
        }
        out.msg(&ServerMsg::Result(r)).await;
        return;
    }
    // Each connection may have a few commands waiting; a client that sends
    // more before reading its answers is told to slow down, so one
    // connection cannot queue unbounded work (or memory) in the console.
    if in_flight.load(Ordering::Acquire) >= MAX_IN_FLIGHT {
        out.msg(&ServerMsg::Result(CommandResult::refused(
            key,
            "slow_down",
            format!("{MAX_IN_FLIGHT} commands are already waiting on this connection: wait for their answers, then send this again"),
        )))
        .await;
        return;
    }
    in_flight.fetch_add(1, Ordering::AcqRel);
    // Submitted in order now (its PINs checked first, off the writer);
    // answered whenever the engine is done, so one client's commands share
    // group commits.
    let pending = sh
        .engine
        .submit_checked(device, engine_key(&key), command)
        .await;
    let out = out.clone();
    let in_flight = in_flight.clone();
    tokio::spawn(async move {
        let res = pending.await.unwrap_or(Err(EngineError::Stopped));
        in_flight.fetch_sub(1, Ordering::AcqRel);
        out.msg(&ServerMsg::Result(CommandResult::from_engine(key, res)))
            .await;
    });
}

/// Why a staff change was not made.
enum StaffRefusal {
    Denied(Denied),
    Engine(EngineError),
}

impl From<Denied> for StaffRefusal {
    fn from(d: Denied) -> Self {
        StaffRefusal::Denied(d)
    }
}

impl StaffRefusal {
    fn into_result(self, key: String) -> CommandResult {
        match self {
            StaffRefusal::Denied(d) => CommandResult::refused(key, d.code(), d.to_string()),
            StaffRefusal::Engine(e) => CommandResult::from_engine(key, Err(e)),
        }
    }
}

/// Checks the manager's PIN (counted like any sign-in), then makes the change.
async fn staff_change(
    engine: &EngineHandle,
    device: &str,
    key: &str,
    command: Command,
    approval: Approval,
) -> Result<CommandResult, StaffRefusal> {
    engine
        .execute_as(
            device,
            None,
            Command::SignIn {
                staff_id: approval.staff_id.clone(),
                pin: approval.pin,
            },
        )
        .await
        .map_err(StaffRefusal::Engine)?;
    match staff_of(engine, &approval.staff_id) {
        Some(s) if s.role == Role::Manager => {}
        _ => return Err(Denied::NotAManager(approval.staff_id.0).into()),
    }
    tracing::info!(approver = %approval.staff_id, command = access::command_name(&command), "staff change through the API");
    let res = engine.execute_as(device, engine_key(key), command).await;
    Ok(CommandResult::from_engine(key.to_string(), res))
}
