//! Closing a shift, decided: who may open or close one, the open issues of
//! the orders still open, the cash the drawer should hold (from the events
//! that move cash) and the count's over/short. The engine loads the shift's
//! window and commits the `ShiftClosed` this returns.

use super::event::{Event, EventBody};
use super::money::Fen;
use super::refusal::{forbidden, Refusal};
use super::shift::{DrawerCount, IssueKind, OpenIssue, ShiftRecord};
use super::staff::{Staff, StaffId};
use super::state::{OrderState, PaymentSummary};
use super::tender::Method;

/// What an order still needs at the end of a shift, if anything. Cancelled
/// orders with nothing to refund and paid orders need nothing; a cancelled
/// order that still holds money needs a refund.
pub fn open_issue(st: &OrderState) -> Option<OpenIssue> {
    let kind = if st.double_paid && !st.double_resolved {
        IssueKind::DoublePaid
    } else if st.is_closed_by_cancel() {
        if !st.collected().is_positive() {
            return None;
        }
        IssueKind::RefundDue
    } else {
        match st.payment() {
            PaymentSummary::Paying => IssueKind::Paying,
            PaymentSummary::Failed => IssueKind::Failed,
            PaymentSummary::Unpaid => IssueKind::Unpaid,
            _ => return None,
        }
    };
    let amount = match kind {
        IssueKind::DoublePaid => st.collected() - st.effective_due(),
        IssueKind::RefundDue => st.collected(),
        _ => st.remaining(),
    };
    Some(OpenIssue {
        order_id: st.order.id.clone(),
        pickup_no: st.order.pickup_no.clone(),
        kind,
        amount,
    })
}

/// The open issues of a set of orders, most urgent first, then by order id.
pub fn open_issues<'a>(orders: impl IntoIterator<Item = &'a OrderState>) -> Vec<OpenIssue> {
    let mut v: Vec<OpenIssue> = orders.into_iter().filter_map(open_issue).collect();
    sort_issues(&mut v);
    v
}

/// The order open issues are listed in: by kind, then by order id.
pub fn sort_issues(v: &mut [OpenIssue]) {
    v.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.order_id.cmp(&b.order_id)));
}

/// Cash the drawer should hold: the float, plus every cash tender (its
/// `amount` is already net of change), minus cash refunded in the store.
pub fn expected_cash<'a>(float: Fen, events: impl IntoIterator<Item = &'a Event>) -> Fen {
    let mut cash = float;
    for ev in events.into_iter().filter(|e| e.body.moves_cash()) {
        match &ev.body {
            EventBody::Settled { tenders, .. } => {
                cash += tenders
                    .iter()
                    .filter(|t| t.method == Method::Cash)
                    .map(|t| t.amount)
                    .sum::<Fen>();
            }
            EventBody::Refunded {
                amount,
                method: Method::Cash,
                ..
            } => cash -= *amount,
            _ => {}
        }
    }
    cash
}

/// Who may open or close a shift: a cashier or a manager.
pub fn may_run_shift(staff: &Staff) -> Result<(), Refusal> {
    if staff.role.may_take_money() {
        Ok(())
    } else {
        Err(forbidden(staff, "cashier or a manager"))
    }
}

/// Who may approve closing a shift: a manager.
pub fn may_approve_close(approver: &Staff) -> Result<(), Refusal> {
    if approver.role.may_approve() {
        Ok(())
    } else {
        Err(forbidden(approver, "manager to close the shift"))
    }
}

/// A float a shift may open with: nothing negative.
pub fn check_float(float: Fen) -> Result<(), Refusal> {
    if float.is_negative() {
        return Err(Refusal::InvalidAmount {
            amount: float.to_string(),
        });
    }
    Ok(())
}

/// Closes shift `rec`: the open orders' issues (refused while any needs a
/// manager's confirmation and none was given), the cash the drawer should
/// hold from the shift's events (those that [`EventBody::moves_cash`]), and
/// the count's over/short. Returns the `ShiftClosed` event to commit.
pub fn close<'a>(
    rec: &ShiftRecord,
    by: &StaffId,
    approver: &StaffId,
    open_orders: impl IntoIterator<Item = &'a OrderState>,
    window: impl IntoIterator<Item = &'a Event>,
    count: DrawerCount,
    confirm_open_issues: bool,
) -> Result<EventBody, Refusal> {
    let issues = open_issues(open_orders);
    let pressing: Vec<&OpenIssue> = issues
        .iter()
        .filter(|i| i.kind.needs_confirmation())
        .collect();
    if !pressing.is_empty() && !confirm_open_issues {
        return Err(Refusal::OpenIssues {
            count: pressing.len(),
            orders: pressing
                .iter()
                .map(|i| format!("{} {} {}", i.pickup_no, i.order_id, i.kind.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let confirmed = confirm_open_issues && !pressing.is_empty();
    let expected = expected_cash(rec.float, window);
    let counted = count.total();
    Ok(EventBody::ShiftClosed {
        shift: rec.number,
        by: by.clone(),
        approver: approver.clone(),
        float: rec.float,
        count,
        expected,
        counted,
        over_short: counted - expected,
        confirmed,
        open_issues: issues,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drawer_should_hold_the_float_plus_cash_taken_less_cash_refunded() {
        use super::super::event::Actor;
        use super::super::order::OrderId;
        use super::super::tender::Tender;
        use chrono::DateTime;
        let at = DateTime::parse_from_rfc3339("2026-11-25T12:00:00+08:00").expect("a fixed time");
        let ev = |id, body| Event {
            id,
            at,
            actor: Actor::Console,
            body,
        };
        let cash = |amount| Tender {
            method: Method::Cash,
            amount: Fen(amount),
            tendered: Fen(10000),
            change: Fen(10000 - amount),
            reference: None,
        };
        let events = [
            ev(
                2,
                EventBody::Settled {
                    order_id: OrderId("WX-1".into()),
                    staff_id: StaffId("01".into()),
                    tenders: vec![cash(4000)],
                    rounding: Fen::ZERO,
                },
            ),
            ev(
                3,
                EventBody::Refunded {
                    order_id: OrderId("WX-1".into()),
                    amount: Fen(500),
                    method: Method::Cash,
                    reason: "cold".into(),
                    approver: StaffId("90".into()),
                },
            ),
        ];
        let rec = ShiftRecord {
            number: 4,
            opened_by: StaffId("01".into()),
            opened_at: at,
            opened_event: 1,
            float: Fen(20000),
            closed_at: None,
            closed_event: None,
        };
        let count = DrawerCount::parse("100=2,20=1,10=1,5=1").expect("a count");
        let closed = close(
            &rec,
            &StaffId("01".into()),
            &StaffId("90".into()),
            [],
            events.iter(),
            count,
            false,
        )
        .expect("nothing open");
        match closed {
            EventBody::ShiftClosed {
                expected,
                counted,
                over_short,
                ..
            } => {
                assert_eq!(expected, Fen(23500));
                assert_eq!(counted, Fen(23500));
                assert_eq!(over_short, Fen::ZERO);
            }
            other => panic!("not a shift close: {other:?}"),
        }
    }
}
