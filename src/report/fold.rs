//! The Z-report (and X-report) as a pure fold over the events of one window of
//! the log, plus the spool's job records for the printer section. No sled,
//! no clock: the same events always give the same report, to the fen.
//!
//! Money is measured the way the order projection measures it: online money
//! is the change in each order's online successes (net of platform refunds)
//! per channel, so a repeated REFUND notification counts once; in-store
//! money is the tenders' `amount` (already net of change) less in-store refunds.

use super::sections::{
    CashLine, CashierLine, ChannelSales, CodeCount, DoubleLine, Failures, HourCount, PrinterFault,
    Printing, RefundLine, ReportKind, Resolution, StationTime, TenderKind, TenderLine, VoidLine,
    ZReport,
};
use crate::domain::closing::{open_issues, sort_issues};
use crate::domain::job::JobDoc;
use crate::domain::job::JobRecord;
use crate::domain::shift::{DrawerCount, OpenIssue};
use crate::domain::{
    Event, EventBody, Fen, Kitchen, OrderId, OrderState, PayChannel, StaffId, TradeState,
};
use chrono::{DateTime, FixedOffset, Timelike};
use std::collections::{BTreeMap, HashMap};

mod part;
pub use part::{FoldPart, ShiftMark};

#[derive(Default)]
struct TenderAcc {
    count: u32,
    gross: Fen,
    refunds: Fen,
}

#[derive(Default)]
struct CashierAcc {
    settlements: u32,
    amount: Fen,
    by: BTreeMap<TenderKind, Fen>,
}

fn online_by(st: &OrderState, ch: PayChannel) -> Fen {
    st.successes
        .iter()
        .filter(|s| s.channel == ch)
        .map(|s| s.amount - s.refunded)
        .sum()
}

fn is_failure(state: TradeState, code: Option<&str>) -> bool {
    matches!(
        state,
        TradeState::Payerror | TradeState::Closed | TradeState::Revoked
    ) || (code.is_some_and(|c| !c.is_empty())
        && !matches!(state, TradeState::Success | TradeState::Refund))
}

/// The fold itself: feed it the window's events in log order, then `finish`.
/// It holds the orders it has seen, never the events, so a month streams
/// through it in the memory of its orders.
pub struct Folder {
    r: ZReport,
    orders: HashMap<OrderId, OrderState>,
    placed: Vec<OrderId>,
    tenders: BTreeMap<TenderKind, TenderAcc>,
    cashiers: BTreeMap<StaffId, CashierAcc>,
    voids: Vec<VoidLine>,
    refunds: Vec<RefundLine>,
    doubles: Vec<DoubleLine>,
    codes: BTreeMap<String, u32>,
    hours: BTreeMap<u32, u32>,
    failures: u32,
    fired: HashMap<(OrderId, u32), DateTime<FixedOffset>>,
    stations: BTreeMap<String, (i64, u32)>,
    reprint_requests: u32,
    last_refund: Option<(u64, OrderId, Fen)>,
    closed_issues: Option<Vec<OpenIssue>>,
    span: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
    /// The window's shift events, in order (kept for [`Folder::part`]).
    marks: Vec<ShiftMark>,
    /// Sales and open orders of the days added whole ([`Folder::absorb`]).
    absorbed_sales: Vec<ChannelSales>,
    absorbed_open: Vec<OpenIssue>,
}

fn pickup(orders: &HashMap<OrderId, OrderState>, id: &OrderId) -> String {
    orders
        .get(id)
        .map(|s| s.order.pickup_no.clone())
        .unwrap_or_default()
}

/// Folds one window of the log (in log order) into a report. `jobs` are the
/// spool's records; those created inside the window's time span are counted.
pub fn build(kind: ReportKind, events: &[Event], jobs: &[JobRecord]) -> ZReport {
    let mut f = Folder::new(kind);
    for ev in events {
        f.push(ev);
    }
    f.finish(jobs)
}

impl Folder {
    pub fn new(kind: ReportKind) -> Folder {
        Folder {
            r: ZReport {
                kind,
                shift: None,
                date: None,
                opened_at: None,
                opened_by: None,
                closed_at: None,
                closed_by: None,
                approver: None,
                first_event: 0,
                last_event: 0,
                sales: Vec::new(),
                sales_orders: 0,
                sales_amount: Fen::ZERO,
                tenders: Vec::new(),
                tender_gross: Fen::ZERO,
                tender_refunds: Fen::ZERO,
                tender_net: Fen::ZERO,
                cash: CashLine {
                    float: Fen::ZERO,
                    cash_in: Fen::ZERO,
                    cash_refunds: Fen::ZERO,
                    expected: Fen::ZERO,
                    count: None,
                    counted: None,
                    over_short: None,
                    expected_at_close: None,
                },
                voids: Vec::new(),
                refunds: Vec::new(),
                doubles: Vec::new(),
                open_orders: Vec::new(),
                confirmed_open: false,
                failures: Failures::default(),
                cashiers: Vec::new(),
                kitchen: Vec::new(),
                printing: Printing::default(),
            },
            orders: HashMap::new(),
            placed: Vec::new(),
            tenders: BTreeMap::new(),
            cashiers: BTreeMap::new(),
            voids: Vec::new(),
            refunds: Vec::new(),
            doubles: Vec::new(),
            codes: BTreeMap::new(),
            hours: BTreeMap::new(),
            failures: 0,
            fired: HashMap::new(),
            stations: BTreeMap::new(),
            reprint_requests: 0,
            last_refund: None,
            closed_issues: None,
            span: None,
            marks: Vec::new(),
            absorbed_sales: Vec::new(),
            absorbed_open: Vec::new(),
        }
    }

    /// Whether the fold holds order `id` (placed in the window, or carried
    /// into it by a shift's opening).
    pub fn knows(&self, id: &OrderId) -> bool {
        self.orders.contains_key(id)
    }

    /// The ids of the orders the fold holds.
    pub fn order_ids(&self) -> impl Iterator<Item = &OrderId> + '_ {
        self.orders.keys()
    }

    /// Folds the next event of the window.
    pub fn push(&mut self, ev: &Event) {
        if self.r.first_event == 0 {
            self.r.first_event = ev.id;
        }
        self.r.last_event = ev.id;
        self.span = Some(match self.span {
            Some((a, _)) => (a, ev.at),
            None => (ev.at, ev.at),
        });
        let body = &ev.body;
        match body {
            EventBody::OrderPlaced { order } if !self.orders.contains_key(&order.id) => {
                self.orders.insert(
                    order.id.clone(),
                    OrderState::new(order.clone(), ev.id, ev.at),
                );
                self.placed.push(order.id.clone());
            }
            EventBody::ShiftOpened {
                shift,
                by,
                float,
                carried,
            } => {
                self.shift_mark(&ShiftMark::Opened {
                    shift: *shift,
                    at: ev.at,
                    by: by.clone(),
                    float: *float,
                });
                for st in carried {
                    self.orders
                        .entry(st.order.id.clone())
                        .or_insert_with(|| st.clone());
                }
            }
            EventBody::ShiftClosed {
                shift,
                by,
                approver,
                count,
                expected,
                counted,
                over_short,
                open_issues,
                confirmed,
                ..
            } => self.shift_mark(&ShiftMark::Closed {
                shift: *shift,
                at: ev.at,
                by: by.clone(),
                approver: approver.clone(),
                count: *count,
                expected: *expected,
                counted: *counted,
                over_short: *over_short,
                open_issues: open_issues.clone(),
                confirmed: *confirmed,
            }),
            EventBody::PaymentUpdated { update, effect } => {
                if is_failure(update.trade_state, update.error_code.as_deref()) {
                    self.failures += 1;
                    let code = update
                        .error_code
                        .clone()
                        .filter(|c| !c.is_empty())
                        .unwrap_or_else(|| update.trade_state.as_str().to_string());
                    *self.codes.entry(code).or_default() += 1;
                    *self.hours.entry(ev.at.hour()).or_default() += 1;
                }
                if let Some(st) = self.orders.get(&update.order_id) {
                    let before = [
                        online_by(st, PayChannel::Wechat),
                        online_by(st, PayChannel::Alipay),
                    ];
                    let st = self
                        .orders
                        .get_mut(&update.order_id)
                        .expect("the order was just found");
                    st.apply(ev.id, ev.at, body);
                    for (i, ch) in [PayChannel::Wechat, PayChannel::Alipay]
                        .into_iter()
                        .enumerate()
                    {
                        let delta = online_by(st, ch) - before[i];
                        let acc = self.tenders.entry(TenderKind::online(ch)).or_default();
                        if delta.is_positive() {
                            acc.gross += delta;
                            acc.count += 1;
                        } else if delta.is_negative() {
                            acc.refunds -= delta;
                        }
                    }
                    return;
                }
                // An order this window never saw placed: count what the event says.
                if *effect == crate::domain::UpdateEffect::Applied {
                    let acc = self
                        .tenders
                        .entry(TenderKind::online(update.channel))
                        .or_default();
                    match update.trade_state {
                        TradeState::Success => {
                            acc.gross += update.amount;
                            acc.count += 1;
                        }
                        TradeState::Refund => acc.refunds += update.amount,
                        _ => {}
                    }
                }
                return;
            }
            EventBody::Settled {
                order_id: _,
                staff_id,
                tenders: ts,
                ..
            } => {
                let c = self.cashiers.entry(staff_id.clone()).or_default();
                c.settlements += 1;
                for t in ts {
                    let k = TenderKind::of_method(t.method);
                    let acc = self.tenders.entry(k).or_default();
                    acc.gross += t.amount;
                    acc.count += 1;
                    c.amount += t.amount;
                    *c.by.entry(k).or_default() += t.amount;
                }
            }
            EventBody::Refunded {
                order_id,
                amount,
                method,
                reason,
                approver,
            } => {
                let k = TenderKind::of_method(*method);
                self.tenders.entry(k).or_default().refunds += *amount;
                self.refunds.push(RefundLine {
                    at: ev.at,
                    order_id: order_id.clone(),
                    pickup_no: pickup(&self.orders, order_id),
                    tender: k,
                    amount: *amount,
                    approver: Some(approver.clone()),
                    reason: reason.clone(),
                });
                self.last_refund = Some((ev.id, order_id.clone(), *amount));
            }
            EventBody::Voided {
                order_id,
                reason,
                approver,
            } => self.voids.push(VoidLine {
                at: ev.at,
                order_id: order_id.clone(),
                pickup_no: pickup(&self.orders, order_id),
                approver: approver.clone(),
                reason: reason.clone(),
            }),
            EventBody::DoublePayment {
                order_id,
                collected,
                due,
                ..
            } => self.doubles.push(DoubleLine {
                at: Some(ev.at),
                order_id: order_id.clone(),
                pickup_no: pickup(&self.orders, order_id),
                excess: *collected - *due,
                resolution: None,
            }),
            EventBody::DoublePaymentResolved {
                order_id,
                approver,
                note,
            } => {
                let refunded_in_store = match &self.last_refund {
                    Some((id, o, amount)) if *id + 1 == ev.id && o == order_id => *amount,
                    _ => Fen::ZERO,
                };
                let res = Resolution {
                    at: ev.at,
                    approver: approver.clone(),
                    note: note.clone(),
                    refunded_in_store,
                };
                match self
                    .doubles
                    .iter_mut()
                    .rev()
                    .find(|d| &d.order_id == order_id && d.resolution.is_none())
                {
                    Some(d) => d.resolution = Some(res),
                    None => {
                        let excess = self
                            .orders
                            .get(order_id)
                            .map(|st| st.collected() + refunded_in_store - st.effective_due())
                            .unwrap_or(Fen::ZERO);
                        self.doubles.push(DoubleLine {
                            at: None,
                            order_id: order_id.clone(),
                            pickup_no: pickup(&self.orders, order_id),
                            excess,
                            resolution: Some(res),
                        });
                    }
                }
            }
            EventBody::Fired {
                order_id, lines, ..
            } => {
                for l in lines {
                    self.fired.entry((order_id.clone(), *l)).or_insert(ev.at);
                }
            }
            EventBody::Bumped { order_id, line } => {
                if let Some(st) = self.orders.get(order_id) {
                    for (l, k) in &st.lines {
                        if *k != Kitchen::Fired || line.is_some_and(|x| x != *l) {
                            return;
                        }
                        if let Some(start) = self.fired.remove(&(order_id.clone(), *l)) {
                            let station = st
                                .order
                                .items
                                .iter()
                                .find(|i| i.line == *l)
                                .map(|i| i.station.clone())
                                .unwrap_or_default();
                            let e = self.stations.entry(station).or_default();
                            e.0 += (ev.at - start).num_seconds().max(0);
                            e.1 += 1;
                        }
                    }
                }
            }
            EventBody::Recalled { order_id } => {
                if let Some(st) = self.orders.get(order_id) {
                    for (l, k) in &st.lines {
                        if *k == Kitchen::Ready {
                            self.fired.insert((order_id.clone(), *l), ev.at);
                        }
                    }
                }
            }
            EventBody::ReprintRequested { .. } => self.reprint_requests += 1,
            _ => {}
        }
        if let Some(st) = body.order_id().and_then(|id| self.orders.get_mut(id)) {
            st.apply(ev.id, ev.at, body);
        }
    }

    /// The report, with the spool's jobs of the window's time span.
    pub fn finish(mut self, jobs: &[JobRecord]) -> ZReport {
        // Sales by channel: the orders placed in the window, and those of
        // the stretches absorbed whole.
        let mut sales: BTreeMap<&'static str, ChannelSales> = BTreeMap::new();
        for s in self.absorbed_sales.iter().chain(&self.own_sales()) {
            add_sale(&mut sales, s);
        }
        self.r.sales = sales.into_values().collect();
        self.r.sales_orders = self.r.sales.iter().map(|s| s.orders).sum();
        self.r.sales_amount = self.r.sales.iter().map(|s| s.amount).sum();

        for k in TenderKind::ALL {
            let a = self.tenders.remove(&k).unwrap_or_default();
            self.r.tenders.push(TenderLine {
                tender: k,
                count: a.count,
                gross: a.gross,
                refunds: a.refunds,
                net: a.gross - a.refunds,
            });
        }
        self.r.tender_gross = self.r.tenders.iter().map(|t| t.gross).sum();
        self.r.tender_refunds = self.r.tenders.iter().map(|t| t.refunds).sum();
        self.r.tender_net = self.r.tenders.iter().map(|t| t.net).sum();
        let cash = self
            .r
            .tenders
            .iter()
            .find(|t| t.tender == TenderKind::Cash)
            .expect("every tender kind has a line");
        self.r.cash.cash_in = cash.gross;
        self.r.cash.cash_refunds = cash.refunds;
        self.r.cash.expected = self.r.cash.float + cash.gross - cash.refunds;

        self.r.voids = self.voids;
        self.r.refunds = self.refunds;
        self.r.doubles = self.doubles;
        let absorbed_open = std::mem::take(&mut self.absorbed_open);
        self.r.open_orders = self.closed_issues.take().unwrap_or_else(|| {
            let mut v = open_issues(self.orders.values());
            if !absorbed_open.is_empty() {
                v.extend(absorbed_open);
                sort_issues(&mut v);
            }
            v
        });

        let mut by_code: Vec<CodeCount> = self
            .codes
            .into_iter()
            .map(|(code, count)| CodeCount { code, count })
            .collect();
        by_code.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
        self.r.failures = Failures {
            total: self.failures,
            by_code,
            by_hour: self
                .hours
                .into_iter()
                .map(|(hour, count)| HourCount { hour, count })
                .collect(),
        };
        self.r.cashiers = self
            .cashiers
            .into_iter()
            .map(|(staff_id, c)| CashierLine {
                staff_id,
                settlements: c.settlements,
                amount: c.amount,
                by_tender: c.by.into_iter().collect(),
            })
            .collect();
        self.r.kitchen = self
            .stations
            .into_iter()
            .map(|(station, (secs, n))| StationTime {
                station,
                dishes: n,
                avg_secs: if n == 0 { 0 } else { secs / i64::from(n) },
            })
            .collect();
        self.r.printing = printing(self.span, jobs, self.reprint_requests);
        self.r
    }
}

/// Adds one channel's sales into the report's lines (keyed as they print).
fn add_sale(sales: &mut BTreeMap<&'static str, ChannelSales>, s: &ChannelSales) {
    let line = sales.entry(s.channel.as_str()).or_insert(ChannelSales {
        channel: s.channel,
        orders: 0,
        amount: Fen::ZERO,
        cancelled: 0,
    });
    line.orders += s.orders;
    line.amount += s.amount;
    line.cancelled += s.cancelled;
}

/// The spool's jobs created within the window's time span.
fn printing(
    span: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
    jobs: &[JobRecord],
    reprint_requests: u32,
) -> Printing {
    let mut p = Printing {
        reprint_requests,
        ..Printing::default()
    };
    let Some((first, last)) = span else {
        return p;
    };
    for j in jobs
        .iter()
        .filter(|j| j.created_at >= first && j.created_at <= last)
    {
        p.jobs += 1;
        if let JobDoc::Reprint {
            possible_duplicate, ..
        } = &j.doc
        {
            p.reprints += 1;
            if *possible_duplicate {
                p.possible_duplicates += 1;
            }
        }
        if j.last_error.is_some() || j.interrupted || j.attempts > 1 {
            p.faults.push(PrinterFault {
                job: j.job,
                printer: j.printer.clone(),
                at: j.created_at,
                attempts: j.attempts,
                error: j.last_error.clone(),
                printed: j.printed_at.is_some(),
            });
        }
    }
    p
}
