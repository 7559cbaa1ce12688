//! Who may send what through the API, before the engine sees it. The engine
//! still checks every PIN, role and approval; this adds what only the API
//! knows: which screen a command comes from and who signed in on it.
//!
//! - Platform frames (`platform`, `quarantine`, `report_acked`) come only
//!   from the feed, never from a screen.
//! - A kitchen screen never settles, re-checks, voids, refunds, resolves a
//!   double payment or manages staff, whoever signs in there.
//! - A command that names a staff member needs that person signed in on
//!   this connection (`sign_in` with their PIN), except a `settle`, whose
//!   own PIN says who takes the money. A `settle` without a PIN is refused.
//! - Staff commands (`add_staff`, `disable_staff`, `set_pin`) need a
//!   manager's approval in the frame; the server checks that PIN with a
//!   `sign_in` of the manager (so wrong PINs count toward the lockout).

use super::message::ScreenRole;
use crate::domain::{Command, StaffId};

/// What the API knows about one connection.
#[derive(Debug, Clone)]
pub struct Session {
    pub role: ScreenRole,
    /// The staff member who last signed in on this connection.
    pub staff: Option<StaffId>,
}

/// Why the API refused a command before the engine saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("{what} comes only from the platform feed, never from a screen")]
    FeedOnly { what: &'static str },
    #[error("a kitchen screen cannot settle, void or refund ({what}): do it at a cashier screen")]
    KitchenScreen { what: &'static str },
    #[error("{staff_id} is not signed in on this screen: sign in with the PIN first")]
    SignInFirst { staff_id: String },
    #[error("taking money needs the cashier's PIN: send settle with \"pin\"")]
    PinNeeded,
    #[error("staff changes through the API need a manager's approval (\"approval\": id and PIN)")]
    ApprovalNeeded,
    #[error("{0} is not a manager: staff changes need a manager's approval")]
    NotAManager(String),
}

impl Denied {
    /// The stable code in the result frame.
    pub fn code(&self) -> &'static str {
        match self {
            Denied::FeedOnly { .. } => "feed_only",
            Denied::KitchenScreen { .. } => "kitchen_screen",
            Denied::SignInFirst { .. } => "sign_in_first",
            Denied::PinNeeded => "pin_needed",
            Denied::ApprovalNeeded => "approval_needed",
            Denied::NotAManager(_) => "forbidden",
        }
    }
}

/// The command's name as written in the JSON (`settle`, `void`, …).
pub fn command_name(cmd: &Command) -> &'static str {
    match cmd {
        Command::Platform { .. } => "platform",
        Command::Quarantine { .. } => "quarantine",
        Command::ReportAcked { .. } => "report_acked",
        Command::Settle { .. } => "settle",
        Command::Recheck { .. } => "recheck",
        Command::Bump { .. } => "bump",
        Command::Recall { .. } => "recall",
        Command::Serve { .. } => "serve",
        Command::Void { .. } => "void",
        Command::Refund { .. } => "refund",
        Command::ResolveDoublePayment { .. } => "resolve_double_payment",
        Command::Reprint { .. } => "reprint",
        Command::SignIn { .. } => "sign_in",
        Command::AddStaff { .. } => "add_staff",
        Command::DisableStaff { .. } => "disable_staff",
        Command::SetPin { .. } => "set_pin",
        Command::UnlockPins { .. } => "unlock_pins",
        Command::OpenShift { .. } => "open_shift",
        Command::CloseShift { .. } => "close_shift",
        Command::MoveQueue { .. } => "move_queue",
        Command::PlaceCounterOrder { .. } => "place_counter_order",
        Command::CollectPayCode { .. } => "collect_pay_code",
    }
}

/// Staff commands: a manager approves them through the API.
pub fn is_staff_change(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::AddStaff { .. }
            | Command::DisableStaff { .. }
            | Command::SetPin { .. }
            | Command::UnlockPins { .. }
    )
}

/// Checks a command against the connection (the approval itself is checked
/// by the server with the engine).
pub fn check(session: &Session, cmd: &Command, has_approval: bool) -> Result<(), Denied> {
    let what = command_name(cmd);
    match cmd {
        Command::Platform { .. } | Command::Quarantine { .. } | Command::ReportAcked { .. } => {
            return Err(Denied::FeedOnly { what })
        }
        Command::Settle { .. }
        | Command::Recheck { .. }
        | Command::Void { .. }
        | Command::Refund { .. }
        | Command::ResolveDoublePayment { .. }
        | Command::OpenShift { .. }
        | Command::CloseShift { .. }
        | Command::MoveQueue { .. }
        | Command::PlaceCounterOrder { .. }
        | Command::CollectPayCode { .. }
        | Command::AddStaff { .. }
        | Command::DisableStaff { .. }
        | Command::SetPin { .. }
        | Command::UnlockPins { .. }
            if session.role == ScreenRole::Kitchen =>
        {
            return Err(Denied::KitchenScreen { what })
        }
        _ => {}
    }
    if is_staff_change(cmd) {
        return if has_approval {
            Ok(())
        } else {
            Err(Denied::ApprovalNeeded)
        };
    }
    match cmd {
        Command::SignIn { .. } => Ok(()),
        Command::Settle { pin: None, .. } => Err(Denied::PinNeeded),
        Command::Settle { pin: Some(_), .. } => Ok(()),
        other => {
            let who = other
                .staff_id()
                .expect("every command but platform and staff changes names its staff member");
            if session.staff.as_ref() == Some(who) {
                Ok(())
            } else {
                Err(Denied::SignInFirst {
                    staff_id: who.0.clone(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Approval, Fen, Method, OrderId, Role, TenderInput};

    fn session(role: ScreenRole, staff: Option<&str>) -> Session {
        Session {
            role,
            staff: staff.map(StaffId::from),
        }
    }

    fn settle(pin: Option<&str>) -> Command {
        Command::Settle {
            order_id: OrderId("WX-1".into()),
            staff_id: "01".into(),
            pin: pin.map(str::to_string),
            tenders: vec![TenderInput {
                method: Method::Cash,
                amount: Fen(5600),
                tendered: None,
                reference: None,
            }],
        }
    }

    #[test]
    fn a_kitchen_screen_takes_no_money() {
        let s = session(ScreenRole::Kitchen, Some("01"));
        let e = check(&s, &settle(Some("1234")), false).expect_err("refused");
        assert_eq!(e.code(), "kitchen_screen");
        let void = Command::Void {
            order_id: OrderId("WX-1".into()),
            staff_id: "01".into(),
            approval: Approval {
                staff_id: "90".into(),
                pin: "909090".into(),
            },
            reason: "test".into(),
        };
        assert_eq!(
            check(&s, &void, false).expect_err("refused").code(),
            "kitchen_screen"
        );
    }

    #[test]
    fn a_kitchen_screen_bumps_for_whoever_signed_in() {
        let s = session(ScreenRole::Kitchen, Some("21"));
        let bump = Command::Bump {
            order_id: OrderId("WX-1".into()),
            staff_id: "21".into(),
            line: None,
        };
        check(&s, &bump, false).expect("bump");
        let other = session(ScreenRole::Kitchen, Some("22"));
        assert_eq!(
            check(&other, &bump, false)
                .expect_err("not signed in")
                .code(),
            "sign_in_first"
        );
    }

    #[test]
    fn settling_needs_a_pin_not_a_sign_in() {
        let s = session(ScreenRole::Cashier, None);
        check(&s, &settle(Some("1234")), false).expect("the PIN says who");
        assert_eq!(
            check(&s, &settle(None), false).expect_err("no pin").code(),
            "pin_needed"
        );
    }

    #[test]
    fn staff_changes_need_an_approval_and_platform_frames_are_the_feeds() {
        let s = session(ScreenRole::Cashier, Some("90"));
        let add = Command::AddStaff {
            staff_id: "05".into(),
            name: "新人".into(),
            role: Role::Cashier,
            pin: "5555".into(),
        };
        assert_eq!(
            check(&s, &add, false).expect_err("no approval").code(),
            "approval_needed"
        );
        check(&s, &add, true).expect("approved");
        let ack = Command::ReportAcked {
            report_id: "r".into(),
        };
        assert_eq!(
            check(&s, &ack, false).expect_err("feed only").code(),
            "feed_only"
        );
    }
}
