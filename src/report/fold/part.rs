//! One stretch of the log folded on its own, to be added whole into a
//! larger window's fold (the day summaries of `report::summary`): the
//! shift marks and the part a `Folder` gives and absorbs.

use super::*;
use serde::{Deserialize, Serialize};

/// A shift opening or closing as the report reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ShiftMark {
    Opened {
        shift: u64,
        at: DateTime<FixedOffset>,
        by: StaffId,
        float: Fen,
    },
    Closed {
        shift: u64,
        at: DateTime<FixedOffset>,
        by: StaffId,
        approver: StaffId,
        count: DrawerCount,
        expected: Fen,
        counted: Fen,
        over_short: Fen,
        open_issues: Vec<OpenIssue>,
        confirmed: bool,
    },
}

/// One stretch of the log folded on its own (a business day, for its
/// summary: `report::summary`), in the form that adds into a larger
/// window's fold with [`Folder::absorb`]. It holds only sums, lines and
/// the stretch's own orders' end state, never an order another stretch
/// may still change: the summary says when that holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldPart {
    pub first_event: u64,
    pub last_event: u64,
    pub span: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
    pub shifts: Vec<ShiftMark>,
    /// Sales of the orders placed in the stretch, as they stand at its end.
    pub sales: Vec<ChannelSales>,
    /// (tender, count, gross, refunds)
    pub tenders: Vec<(TenderKind, u32, Fen, Fen)>,
    pub cashiers: Vec<CashierLine>,
    pub voids: Vec<VoidLine>,
    pub refunds: Vec<RefundLine>,
    pub doubles: Vec<DoubleLine>,
    /// Open issues of the stretch's orders at its end.
    pub open_orders: Vec<OpenIssue>,
    pub codes: Vec<(String, u32)>,
    pub hours: Vec<(u32, u32)>,
    pub failures: u32,
    /// (station, seconds from fire to bump summed, dishes)
    pub stations: Vec<(String, i64, u32)>,
    pub reprint_requests: u32,
}

impl Folder {
    /// A shift's opening or closing, for `push` and `absorb` alike.
    pub(super) fn shift_mark(&mut self, m: &ShiftMark) {
        match m {
            ShiftMark::Opened {
                shift,
                at,
                by,
                float,
            } => {
                if self.r.opened_at.is_none() {
                    self.r.shift = Some(*shift);
                    self.r.opened_at = Some(*at);
                    self.r.opened_by = Some(by.clone());
                    self.r.cash.float = *float;
                }
            }
            ShiftMark::Closed {
                shift,
                at,
                by,
                approver,
                count,
                expected,
                counted,
                over_short,
                open_issues,
                confirmed,
            } => {
                self.r.shift = Some(*shift);
                self.r.closed_at = Some(*at);
                self.r.closed_by = Some(by.clone());
                self.r.approver = Some(approver.clone());
                self.r.cash.count = Some(*count);
                self.r.cash.counted = Some(*counted);
                self.r.cash.over_short = Some(*over_short);
                self.r.cash.expected_at_close = Some(*expected);
                self.r.confirmed_open = *confirmed;
                self.closed_issues = Some(open_issues.clone());
            }
        }
        self.marks.push(m.clone());
    }

    /// Sales of the orders placed in the window (not those absorbed), by channel.
    pub(super) fn own_sales(&self) -> Vec<ChannelSales> {
        let mut sales: BTreeMap<&'static str, ChannelSales> = BTreeMap::new();
        for id in &self.placed {
            let st = &self.orders[id];
            add_sale(
                &mut sales,
                &ChannelSales {
                    channel: st.order.channel,
                    orders: u32::from(!st.is_closed_by_cancel()),
                    amount: if st.is_closed_by_cancel() {
                        Fen::ZERO
                    } else {
                        st.order.amount_due
                    },
                    cancelled: u32::from(st.is_closed_by_cancel()),
                },
            );
        }
        sales.into_values().collect()
    }

    /// What this fold has gathered, as a part another fold can absorb.
    pub fn part(&self) -> FoldPart {
        FoldPart {
            first_event: self.r.first_event,
            last_event: self.r.last_event,
            span: self.span,
            shifts: self.marks.clone(),
            sales: self.own_sales(),
            tenders: self
                .tenders
                .iter()
                .map(|(k, a)| (*k, a.count, a.gross, a.refunds))
                .collect(),
            cashiers: self
                .cashiers
                .iter()
                .map(|(id, c)| CashierLine {
                    staff_id: id.clone(),
                    settlements: c.settlements,
                    amount: c.amount,
                    by_tender: c.by.iter().map(|(k, f)| (*k, *f)).collect(),
                })
                .collect(),
            voids: self.voids.clone(),
            refunds: self.refunds.clone(),
            doubles: self.doubles.clone(),
            open_orders: open_issues(self.orders.values()),
            codes: self.codes.iter().map(|(c, n)| (c.clone(), *n)).collect(),
            hours: self.hours.iter().map(|(h, n)| (*h, *n)).collect(),
            failures: self.failures,
            stations: self
                .stations
                .iter()
                .map(|(s, (secs, n))| (s.clone(), *secs, *n))
                .collect(),
            reprint_requests: self.reprint_requests,
        }
    }

    /// Adds a stretch folded on its own, as if its events had been pushed
    /// here. Exact only when none of the stretch's events touches an order
    /// this fold holds, and no later event touches one of the stretch's
    /// orders (`report::summary` checks both, or folds instead).
    pub fn absorb(&mut self, p: &FoldPart) {
        if p.first_event == 0 {
            return;
        }
        if self.r.first_event == 0 {
            self.r.first_event = p.first_event;
        }
        self.r.last_event = p.last_event;
        if let Some((a, b)) = p.span {
            self.span = Some(match self.span {
                Some((first, _)) => (first, b),
                None => (a, b),
            });
        }
        for m in &p.shifts {
            self.shift_mark(m);
        }
        for (k, count, gross, refunds) in &p.tenders {
            let acc = self.tenders.entry(*k).or_default();
            acc.count += count;
            acc.gross += *gross;
            acc.refunds += *refunds;
        }
        for line in &p.cashiers {
            let c = self.cashiers.entry(line.staff_id.clone()).or_default();
            c.settlements += line.settlements;
            c.amount += line.amount;
            for (k, f) in &line.by_tender {
                *c.by.entry(*k).or_default() += *f;
            }
        }
        self.voids.extend(p.voids.iter().cloned());
        self.refunds.extend(p.refunds.iter().cloned());
        self.doubles.extend(p.doubles.iter().cloned());
        for (code, n) in &p.codes {
            *self.codes.entry(code.clone()).or_default() += n;
        }
        for (hour, n) in &p.hours {
            *self.hours.entry(*hour).or_default() += n;
        }
        self.failures += p.failures;
        for (station, secs, n) in &p.stations {
            let e = self.stations.entry(station.clone()).or_default();
            e.0 += secs;
            e.1 += n;
        }
        self.reprint_requests += p.reprint_requests;
        self.absorbed_sales.extend(p.sales.iter().cloned());
        self.absorbed_open.extend(p.open_orders.iter().cloned());
        // A refund resolves a double payment only from the event just before.
        self.last_refund = None;
    }
}
