//! Shifts: a cash float when the shift opens, a drawer counted by
//! denomination when it closes, and the cash the drawer should hold. Pure:
//! the engine keeps the shift record in `meta` and commits the events.

use super::event::{Event, EventBody};
use super::money::Fen;
use super::order::OrderId;
use super::staff::StaffId;
use super::state::{OrderState, PaymentSummary};
use super::tender::Method;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// The notes and coins a drawer is counted in (人民币: 100, 50, 20, 10, 5,
/// 1 yuan, 5 jiao and 1 jiao).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Denomination {
    Y100,
    Y50,
    Y20,
    Y10,
    Y5,
    Y1,
    J5,
    J1,
}

impl Denomination {
    pub const ALL: [Denomination; 8] = [
        Denomination::Y100,
        Denomination::Y50,
        Denomination::Y20,
        Denomination::Y10,
        Denomination::Y5,
        Denomination::Y1,
        Denomination::J5,
        Denomination::J1,
    ];

    pub fn value(self) -> Fen {
        Fen(match self {
            Denomination::Y100 => 10000,
            Denomination::Y50 => 5000,
            Denomination::Y20 => 2000,
            Denomination::Y10 => 1000,
            Denomination::Y5 => 500,
            Denomination::Y1 => 100,
            Denomination::J5 => 50,
            Denomination::J1 => 10,
        })
    }

    /// How staff write it: `100`, `50`, … `1`, `0.5`, `0.1` (yuan).
    pub fn label(self) -> &'static str {
        match self {
            Denomination::Y100 => "100",
            Denomination::Y50 => "50",
            Denomination::Y20 => "20",
            Denomination::Y10 => "10",
            Denomination::Y5 => "5",
            Denomination::Y1 => "1",
            Denomination::J5 => "0.5",
            Denomination::J1 => "0.1",
        }
    }

    pub fn parse(s: &str) -> Option<Denomination> {
        let s = s.trim();
        Denomination::ALL.into_iter().find(|d| {
            d.label() == s
                || matches!(
                    (d, s),
                    (Denomination::J5, ".5" | "5j" | "5jiao")
                        | (Denomination::J1, ".1" | "1j" | "1jiao")
                )
        })
    }
}

/// A drawer counted piece by piece: how many of each denomination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DrawerCount {
    pub y100: u32,
    pub y50: u32,
    pub y20: u32,
    pub y10: u32,
    pub y5: u32,
    pub y1: u32,
    pub j5: u32,
    pub j1: u32,
}

impl DrawerCount {
    pub fn get(&self, d: Denomination) -> u32 {
        match d {
            Denomination::Y100 => self.y100,
            Denomination::Y50 => self.y50,
            Denomination::Y20 => self.y20,
            Denomination::Y10 => self.y10,
            Denomination::Y5 => self.y5,
            Denomination::Y1 => self.y1,
            Denomination::J5 => self.j5,
            Denomination::J1 => self.j1,
        }
    }

    pub fn set(&mut self, d: Denomination, n: u32) {
        let slot = match d {
            Denomination::Y100 => &mut self.y100,
            Denomination::Y50 => &mut self.y50,
            Denomination::Y20 => &mut self.y20,
            Denomination::Y10 => &mut self.y10,
            Denomination::Y5 => &mut self.y5,
            Denomination::Y1 => &mut self.y1,
            Denomination::J5 => &mut self.j5,
            Denomination::J1 => &mut self.j1,
        };
        *slot = n;
    }

    /// The money in the drawer.
    pub fn total(&self) -> Fen {
        Denomination::ALL
            .into_iter()
            .map(|d| Fen(d.value().0 * i64::from(self.get(d))))
            .sum()
    }

    /// Reads `100=3,50=2,0.5=4` (denomination in yuan = pieces). Anything
    /// else is refused with an example of what to write.
    pub fn parse(text: &str) -> Result<DrawerCount, String> {
        let mut c = DrawerCount::default();
        for part in text.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
            let bad = || {
                format!(
                    "'{part}' is not a count: write denomination=pieces, like 100=3,50=2,0.5=4 \
                     (denominations 100 50 20 10 5 1 0.5 0.1)"
                )
            };
            let (d, n) = part.split_once('=').ok_or_else(bad)?;
            let d = Denomination::parse(d).ok_or_else(bad)?;
            let n: u32 = n.trim().parse().map_err(|_| bad())?;
            c.set(d, c.get(d) + n);
        }
        Ok(c)
    }
}

/// A shift as the engine keeps it in `meta` (`shift/<n>`): where it starts
/// and ends in the log, so a report reads exactly its window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftRecord {
    pub number: u64,
    pub opened_by: StaffId,
    pub opened_at: DateTime<FixedOffset>,
    /// Log id of the `ShiftOpened` event.
    pub opened_event: u64,
    pub float: Fen,
    #[serde(default)]
    pub closed_at: Option<DateTime<FixedOffset>>,
    /// Log id of the `ShiftClosed` event.
    #[serde(default)]
    pub closed_event: Option<u64>,
}

/// The `meta` key of shift `n`'s record (`shift/` + n big-endian). The
/// key `shift_open` holds the open shift's number, `shift_seq` the last one.
pub fn shift_key(n: u64) -> Vec<u8> {
    let mut k = b"shift/".to_vec();
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// Why an order still needs a person at the end of a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// Paid twice and not yet resolved by a manager.
    DoublePaid,
    /// The customer may still be paying online.
    Paying,
    /// Cancelled or voided with money still on it: someone must refund it.
    RefundDue,
    /// The online payment failed and nobody settled it.
    Failed,
    /// Nothing paid yet.
    Unpaid,
}

impl IssueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::DoublePaid => "double_paid",
            IssueKind::Paying => "paying",
            IssueKind::RefundDue => "refund_due",
            IssueKind::Failed => "failed",
            IssueKind::Unpaid => "unpaid",
        }
    }

    /// Closing over these needs the manager's explicit confirmation.
    pub fn needs_confirmation(self) -> bool {
        matches!(self, IssueKind::DoublePaid | IssueKind::Paying)
    }
}

/// An order left unresolved at the end of a shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIssue {
    pub order_id: OrderId,
    pub pickup_no: String,
    pub kind: IssueKind,
    /// Still due (unpaid, paying, failed) or paid too much (double paid).
    pub amount: Fen,
}

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
    for ev in events {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawer_is_counted_to_the_fen() {
        let c = DrawerCount::parse("100=3, 50=1,20=2,1=7,0.5=3,0.1=4").expect("a count");
        assert_eq!(c.total(), Fen(30000 + 5000 + 4000 + 700 + 150 + 40));
        assert_eq!(DrawerCount::parse("100=3,100=2").map(|c| c.y100), Ok(5));
        assert!(DrawerCount::parse("3=1").is_err());
        assert!(DrawerCount::parse("100=-1").is_err());
        assert!(DrawerCount::parse("100").is_err());
    }
}
