//! A command frame from a screen or `ctl`: who may send it (`access`), the
//! staff changes that need a manager's approval, and the engine's answer
//! sent back on the connection.

use super::{Outbox, Shared};
use crate::api::access;
use crate::api::access::{Denied, Session};
use crate::api::message::{CommandResult, ServerMsg};
use crate::domain::{Approval, Command, Role, Staff, StaffId};
use crate::engine::{EngineError, EngineHandle};
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

pub(super) async fn command_frame(
    sh: &Arc<Shared>,
    session: &mut Session,
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
            Some(a) => staff_change(&sh.engine, &key, command, a).await,
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
        let res = sh.engine.execute(None, command).await;
        let mut r = CommandResult::from_engine(key, res);
        if r.ok {
            r.staff = staff_of(&sh.engine, &id);
            session.staff = Some(id);
        }
        out.msg(&ServerMsg::Result(r)).await;
        return;
    }
    // Submitted in order now; answered whenever the engine is done, so one
    // client's commands share group commits.
    let pending = sh.engine.submit(engine_key(&key), command);
    let out = out.clone();
    tokio::spawn(async move {
        let res = pending.await.unwrap_or(Err(EngineError::Stopped));
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
    key: &str,
    command: Command,
    approval: Approval,
) -> Result<CommandResult, StaffRefusal> {
    engine
        .execute(
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
    let res = engine.execute(engine_key(key), command).await;
    Ok(CommandResult::from_engine(key.to_string(), res))
}
