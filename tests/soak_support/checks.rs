//! The soak's verdict: the console's store (`export --json`, `export
//! --events`, after a clean stop) against the simulator's record (its truth
//! and history file) and the virtual printers' output. Every problem is
//! named; `lost`, `doubled` and `unmarked` count them.

use super::cashier::CashierLog;
use super::prints::{self, Kind, Printed};
use passline::domain::replay::fold;
use passline::domain::{Actor, Event, EventBody, OrderId};
use passline::sim::platform::Truth;
use passline::sim::printer::ReceivedJob;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One ticket's identity: printer, kind, order id, station. Each is printed
/// once unmarked at most; copies: (unmarked, marked).
type TicketKey = (String, Kind, String, Option<String>);

/// One virtual printer as the console is wired to it.
pub struct PrinterOut {
    pub name: String,
    pub stations: Vec<String>,
    pub jobs: Vec<ReceivedJob>,
}

pub struct Inputs<'a> {
    pub truth: &'a Truth,
    pub history: &'a Path,
    pub export_json: &'a str,
    pub export_events: &'a str,
    pub printers: &'a [PrinterOut],
    pub cashier: &'a CashierLog,
    /// Per console kill: how many hellos the platform had seen, and the
    /// highest seq acknowledged, at that moment.
    pub kills: &'a [(usize, u64)],
    pub hellos: &'a [u64],
}

#[derive(Debug, Default)]
pub struct Tally {
    pub orders: usize,
    pub events: u64,
    pub settled_in_store: usize,
    pub double_payments: usize,
    pub double_flagged: usize,
    pub conflicts_reported: usize,
    pub tickets: usize,
    pub marked: usize,
    pub fragments: usize,
    pub lost: usize,
    pub doubled: usize,
    pub unmarked: usize,
    pub problems: Vec<String>,
}

impl Tally {
    fn lost(&mut self, what: String) {
        self.lost += 1;
        self.problems.push(format!("lost: {what}"));
    }
    fn doubled(&mut self, what: String) {
        self.doubled += 1;
        self.problems.push(format!("doubled: {what}"));
    }
    fn wrong(&mut self, what: String) {
        self.problems.push(format!("differs: {what}"));
    }
}

/// Online successes the platform sent, per order: transaction id → amount.
fn successes_sent(history: &Path) -> BTreeMap<String, BTreeMap<String, i64>> {
    let text = std::fs::read_to_string(history).expect("read the simulator's history");
    let mut out: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let ev = &v["event"];
        if v["t"] != "event" || v["junk"] == true || ev["kind"] != "payment.updated" {
            continue;
        }
        if ev["trade_state"] != "SUCCESS" {
            continue;
        }
        if let (Some(order), Some(tx), Some(amount)) = (
            ev["order_id"].as_str(),
            ev["transaction_id"].as_str(),
            ev["amount"].as_i64(),
        ) {
            out.entry(order.to_string())
                .or_default()
                .insert(tx.to_string(), amount);
        }
    }
    out
}

pub fn check(i: &Inputs) -> Tally {
    let mut t = Tally::default();
    let truth = i.truth;

    // --- The console's log and projections.
    let log: Vec<Event> = i
        .export_events
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("export --events writes events"))
        .collect();
    let orders: Vec<Value> = serde_json::from_str(i.export_json).expect("export --json");
    let mut by_id: BTreeMap<String, Value> = BTreeMap::new();
    for o in &orders {
        let id = o["id"].as_str().unwrap_or_default().to_string();
        if by_id.insert(id.clone(), o.clone()).is_some() {
            t.doubled(format!("order {id} exported twice"));
        }
    }
    t.orders = by_id.len();
    let folded = fold(&log);
    for (id, st) in &folded {
        let from_log = passline::export::order_json(st);
        if by_id.get(&id.0) != Some(&from_log) {
            t.wrong(format!("{id}: the stored order differs from its log"));
        }
    }

    // --- Every platform seq applied exactly once; acknowledged ones survived.
    let mut seqs: BTreeMap<u64, usize> = BTreeMap::new();
    let mut placed: BTreeMap<String, usize> = BTreeMap::new();
    let mut settles: BTreeMap<String, usize> = BTreeMap::new();
    let mut fired: Vec<(String, Vec<u32>, bool)> = Vec::new();
    let mut quarantined: BTreeSet<u64> = BTreeSet::new();
    let mut bumped: BTreeSet<String> = BTreeSet::new();
    for e in &log {
        if let Some(seq) = e.platform_seq_applied() {
            *seqs.entry(seq).or_default() += 1;
            if matches!(e.body, EventBody::FrameQuarantined { .. }) {
                quarantined.insert(seq);
            }
        }
        match &e.body {
            EventBody::OrderPlaced { order } => *placed.entry(order.id.0.clone()).or_default() += 1,
            EventBody::Settled { order_id, .. } => {
                *settles.entry(order_id.0.clone()).or_default() += 1
            }
            EventBody::Fired {
                order_id,
                lines,
                addon,
            } => fired.push((order_id.0.clone(), lines.clone(), *addon)),
            EventBody::Bumped { order_id, .. } => {
                bumped.insert(order_id.0.clone());
            }
            _ => {}
        }
    }
    t.events = truth.last_seq;
    for seq in 1..=truth.last_seq {
        match seqs.get(&seq).copied().unwrap_or(0) {
            0 => t.lost(format!("platform seq {seq} never applied")),
            1 => {}
            n => t.doubled(format!("platform seq {seq} applied {n} times")),
        }
    }
    if let Some((&s, _)) = seqs.range(truth.last_seq + 1..).next() {
        t.wrong(format!("seq {s} applied but the platform never sent it"));
    }
    for s in &truth.junk_seqs {
        if !quarantined.contains(s) {
            t.wrong(format!("unreadable seq {s} was not quarantined"));
        }
    }
    for (n, (hello_at, acked)) in i.kills.iter().enumerate() {
        if let Some(low) = i.hellos[(*hello_at).min(i.hellos.len())..]
            .iter()
            .find(|r| **r < *acked)
        {
            t.lost(format!(
                "kill {}: seq {acked} was acknowledged, the console resumed after {low}",
                n + 1
            ));
        }
    }

    // --- Every order exactly once, agreeing with the platform to the fen.
    let sent = successes_sent(i.history);
    let settled_reports = |id: &str| -> Vec<&passline::sim::platform::ReceivedReport> {
        truth
            .reports_of("payment.settled")
            .into_iter()
            .filter(|r| r.order_id.as_deref() == Some(id))
            .collect()
    };
    let (mut due_console, mut due_platform) = (0i64, 0i64);
    let (mut online_console, mut online_platform) = (0i64, 0i64);
    let (mut store_console, mut store_platform) = (0i64, 0i64);
    for (id, to) in &truth.orders {
        let id = &id.0;
        match placed.get(id).copied().unwrap_or(0) {
            0 | 1 => {}
            n => t.doubled(format!("order {id} placed {n} times in the log")),
        }
        let Some(o) = by_id.get(id) else {
            t.lost(format!("order {id} is not in the console"));
            continue;
        };
        due_console += o["amount_due"].as_i64().unwrap_or(0);
        due_platform += to.order.amount_due.0;
        if o["amount_due"].as_i64() != Some(to.order.amount_due.0) {
            t.wrong(format!(
                "{id}: due {} vs the platform's {}",
                o["amount_due"], to.order.amount_due.0
            ));
        }
        if (o["kitchen"] == "cancelled") != to.cancelled {
            t.wrong(format!(
                "{id}: kitchen {} but cancelled at the platform: {}",
                o["kitchen"], to.cancelled
            ));
        }
        let state = to.payment.as_ref().map(|u| u.trade_state.as_str());
        if o["trade_state"].as_str() != state {
            t.wrong(format!(
                "{id}: payment {} vs the platform's {state:?}",
                o["trade_state"]
            ));
        }
        // Online money: each success once, amount to the fen.
        let mine: Vec<(String, i64)> = o["online"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| {
                        (
                            s["transaction_id"].as_str().unwrap_or_default().to_string(),
                            s["amount"].as_i64().unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let theirs: Vec<(String, i64)> = sent
            .get(id)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default();
        let mine_set: BTreeSet<(String, i64)> = mine.iter().cloned().collect();
        if mine_set.len() < mine.len() {
            t.doubled(format!("{id}: an online success counted twice"));
        }
        for s in &theirs {
            if !mine_set.contains(s) {
                t.lost(format!("{id}: online success {} ({} fen)", s.0, s.1));
            }
        }
        online_console += mine.iter().map(|s| s.1).sum::<i64>();
        online_platform += theirs.iter().map(|s| s.1).sum::<i64>();
        // In-store money: one settlement, reported once, amounts equal.
        let tenders: i64 = o["tenders"]
            .as_array()
            .map(|a| a.iter().map(|x| x["amount"].as_i64().unwrap_or(0)).sum())
            .unwrap_or(0);
        let reports = settled_reports(id);
        let reported: i64 = reports
            .iter()
            .map(|r| r.report["amount"].as_i64().unwrap_or(0))
            .sum();
        store_console += tenders;
        store_platform += reported;
        let n_settles = settles.get(id).copied().unwrap_or(0);
        if n_settles > 1 {
            t.doubled(format!("{id}: settled {n_settles} times"));
        }
        if n_settles > 0 {
            t.settled_in_store += 1;
        }
        match reports.len() {
            0 if n_settles > 0 => {
                t.lost(format!("{id}: the settlement never reached the platform"))
            }
            0 | 1 => {}
            n => t.doubled(format!("{id}: {n} settlement reports (different ids)")),
        }
        if tenders != reported {
            t.wrong(format!(
                "{id}: {tenders} fen taken in store, {reported} fen reported"
            ));
        }
        // A success after the store took the money: flagged and reported.
        let double = !reports.is_empty() && !theirs.is_empty();
        let flagged = o["flags"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x == "double_paid"));
        if double {
            t.double_payments += 1;
            if flagged {
                t.double_flagged += 1;
            } else {
                t.lost(format!("{id}: paid twice but not flagged"));
            }
            let conflict = truth
                .reports_of("payment.conflict")
                .iter()
                .any(|r| r.order_id.as_deref() == Some(id.as_str()));
            if conflict {
                t.conflicts_reported += 1;
            } else {
                t.lost(format!("{id}: paid twice but never reported"));
            }
        } else if flagged {
            t.wrong(format!(
                "{id}: flagged as paid twice, the platform disagrees"
            ));
        }
    }
    for id in by_id.keys() {
        if !truth.orders.contains_key(&OrderId(id.clone())) {
            t.wrong(format!("{id}: at the console, never sent by the platform"));
        }
    }
    for (what, a, b) in [
        ("due", due_console, due_platform),
        ("paid online", online_console, online_platform),
        ("paid in store", store_console, store_platform),
    ] {
        if a != b {
            t.wrong(format!("total {what}: console {a} fen, platform {b} fen"));
        }
    }

    // --- Acknowledged settlements survived.
    for id in &i.cashier.settled {
        if settles.get(id).copied().unwrap_or(0) == 0 {
            t.lost(format!("{id}: settlement confirmed to the cashier is gone"));
        }
    }

    for id in &i.cashier.bumped {
        if !bumped.contains(id) {
            t.lost(format!("{id}: bump confirmed to the cook is gone"));
        }
    }

    // --- What printed.
    let mut printed: Vec<Printed> = Vec::new();
    for p in i.printers {
        for j in &p.jobs {
            printed.push(prints::read(&p.name, &p.stations, j));
        }
    }
    let station_printer = |station: &str| -> Option<&str> {
        i.printers
            .iter()
            .find(|p| p.stations.iter().any(|s| s == station))
            .map(|p| p.name.as_str())
    };
    let mut copies: BTreeMap<TicketKey, (usize, usize)> = BTreeMap::new();
    for p in &printed {
        if p.kind == Kind::Other {
            continue;
        }
        t.tickets += 1;
        if p.marked {
            t.marked += 1;
        }
        let Some(order) = &p.order else {
            t.fragments += 1;
            continue;
        };
        if p.cut_off {
            t.fragments += 1;
        }
        let e = copies
            .entry((p.printer.clone(), p.kind, order.clone(), p.station.clone()))
            .or_default();
        if p.marked {
            e.1 += 1;
        } else {
            e.0 += 1;
        }
    }
    for ((printer, kind, order, station), (unmarked, _)) in &copies {
        if *unmarked > 1 {
            t.unmarked += unmarked - 1;
            t.problems.push(format!(
                "unmarked duplicate: {order} {kind:?} {station:?} printed {unmarked} times unmarked on {printer}"
            ));
        }
    }
    let items_of = |id: &str| {
        truth
            .orders
            .get(&OrderId(id.to_string()))
            .map(|o| o.order.items.clone())
            .unwrap_or_default()
    };
    for (id, lines, addon) in &fired {
        let kind = if *addon { Kind::AddOn } else { Kind::Kitchen };
        let stations: BTreeSet<String> = items_of(id)
            .iter()
            .filter(|it| lines.contains(&it.line))
            .map(|it| it.station.clone())
            .collect();
        for s in stations {
            let Some(printer) = station_printer(&s) else {
                continue;
            };
            let key = (printer.to_string(), kind, id.clone(), Some(s.clone()));
            if !copies.contains_key(&key) {
                t.lost(format!(
                    "{id}: {kind:?} ticket for {s} never printed on {printer}"
                ));
            }
        }
    }
    for (_, kind, order, station) in copies.keys() {
        let is_fired = fired
            .iter()
            .any(|(id, _, addon)| id == order && (*kind == Kind::AddOn) == *addon);
        if matches!(kind, Kind::Kitchen | Kind::AddOn) && !is_fired {
            t.wrong(format!(
                "{order}: a {kind:?} ticket for {station:?} printed, but it never fired"
            ));
        }
    }
    let fired_orders: BTreeSet<&str> = fired
        .iter()
        .filter(|f| !f.2)
        .map(|f| f.0.as_str())
        .collect();
    for (id, to) in &truth.orders {
        let paid =
            sent.get(&id.0).is_some_and(|m| !m.is_empty()) || !settled_reports(&id.0).is_empty();
        if paid && !to.cancelled && !fired_orders.contains(id.0.as_str()) {
            t.lost(format!("{id}: paid but never sent to the kitchen"));
        }
    }
    for id in settles.keys() {
        let got = copies
            .keys()
            .any(|(_, k, o, _)| *k == Kind::Receipt && o == id);
        if !got {
            t.lost(format!("{id}: settled but no receipt printed"));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    //! The checks themselves must be able to fail: a small lunch of one
    //! paid order, with its tickets printed as the real renderer prints them.
    use super::*;
    use passline::domain::{Fen, Order, PayChannel, PaymentUpdate, TradeState, UpdateEffect};
    use passline::print::job::JobDoc;
    use passline::print::layout::{JobInfo, Shop};
    use passline::print::profile::Profiles;
    use passline::sim::platform::TruthOrder;

    fn at() -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::parse_from_rfc3339("2026-11-25T12:01:05+08:00").expect("time")
    }

    fn order() -> Order {
        serde_json::from_value(serde_json::json!({
            "id": "WX1", "pickup_no": "A001", "table": "12", "channel": "wechat_mini",
            "dining": "dine_in", "placed_at": "2026-11-25T12:01:05+08:00", "currency": "CNY",
            "amount_due": 3800, "items": [{"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":1,
            "unit_price":3800,"station":"hot"}]
        }))
        .expect("order")
    }

    fn paid() -> PaymentUpdate {
        PaymentUpdate {
            order_id: "WX1".into(),
            channel: PayChannel::Wechat,
            trade_state: TradeState::Success,
            amount: Fen(3800),
            transaction_id: Some("T1".into()),
            error_code: None,
            error_message: None,
            at: at(),
        }
    }

    fn log() -> Vec<Event> {
        let ev = |id, actor, body| Event {
            id,
            at: at(),
            actor,
            body,
        };
        vec![
            ev(
                1,
                Actor::Platform { seq: 1 },
                EventBody::OrderPlaced { order: order() },
            ),
            ev(
                2,
                Actor::Platform { seq: 2 },
                EventBody::PaymentUpdated {
                    update: paid(),
                    effect: UpdateEffect::Applied,
                },
            ),
            ev(
                3,
                Actor::Console,
                EventBody::Fired {
                    order_id: "WX1".into(),
                    lines: vec![1],
                    addon: false,
                },
            ),
        ]
    }

    fn truth() -> Truth {
        let mut t = Truth {
            last_seq: 2,
            acked: 2,
            ..Truth::default()
        };
        t.orders.insert(
            "WX1".into(),
            TruthOrder {
                order: order(),
                cancelled: false,
                payment: Some(paid()),
                successes: vec!["T1".into()],
                trade_closed: false,
            },
        );
        t
    }

    fn ticket(doc: JobDoc) -> ReceivedJob {
        let profiles = Profiles::load(None).expect("built-in profiles");
        let profile = profiles.get("xprinter-xp-80").expect("a shipped profile");
        let info = JobInfo {
            job: 7,
            created_at: at(),
        };
        let bytes = passline::print::render::render_doc(&doc, &info, profile, &Shop::default())
            .expect("renders");
        ReceivedJob {
            text: passline::print::decode::decode(&bytes),
            bytes,
            first_byte_at: std::time::Instant::now(),
            while_paper_out: false,
            cut_off: false,
        }
    }

    fn kitchen() -> JobDoc {
        JobDoc::Kitchen {
            order: order(),
            station: "hot".into(),
            lines: vec![1],
            addon: false,
            fired_at: at(),
        }
    }

    fn run(truth: &Truth, jobs: Vec<ReceivedJob>) -> Tally {
        run_resumed(truth, jobs, &[2])
    }

    /// `hellos`: where the console resumed after a kill at which seq 2 was
    /// acknowledged.
    fn run_resumed(truth: &Truth, jobs: Vec<ReceivedJob>, hellos: &[u64]) -> Tally {
        let dir = tempfile::tempdir().expect("dir");
        let history = dir.path().join("history.ndjson");
        let success = serde_json::json!({"t": "event", "seq": 2, "event": {
            "kind": "payment.updated", "order_id": "WX1", "trade_state": "SUCCESS",
            "transaction_id": "T1", "amount": 3800}});
        std::fs::write(&history, format!("{success}\n")).expect("history");
        let log = log();
        let orders: Vec<Value> = fold(&log)
            .values()
            .map(passline::export::order_json)
            .collect();
        let events: Vec<String> = log
            .iter()
            .map(|e| serde_json::to_string(e).expect("event"))
            .collect();
        check(&Inputs {
            truth,
            history: &history,
            export_json: &serde_json::to_string(&orders).expect("json"),
            export_events: &events.join("\n"),
            printers: &[PrinterOut {
                name: "kitchen".into(),
                stations: vec!["hot".into()],
                jobs,
            }],
            cashier: &CashierLog::default(),
            kills: &[(0, 2)],
            hellos,
        })
    }

    #[test]
    fn one_order_paid_and_printed_once_is_clean() {
        let t = run(&truth(), vec![ticket(kitchen())]);
        assert!(t.problems.is_empty(), "{:?}", t.problems);
        assert_eq!((t.orders, t.tickets), (1, 1));
    }

    #[test]
    fn a_second_print_unmarked_is_an_unmarked_duplicate_and_a_marked_one_is_not() {
        let t = run(&truth(), vec![ticket(kitchen()), ticket(kitchen())]);
        assert_eq!(t.unmarked, 1, "{:?}", t.problems);
        let reprint = JobDoc::Reprint {
            of_job: 7,
            original_at: at(),
            possible_duplicate: true,
            doc: Box::new(kitchen()),
        };
        let t = run(&truth(), vec![ticket(kitchen()), ticket(reprint)]);
        assert_eq!((t.unmarked, t.marked), (0, 1), "{:?}", t.problems);
    }

    #[test]
    fn a_ticket_for_an_order_the_kitchen_never_got_is_wrong() {
        let addon = JobDoc::Kitchen {
            order: order(),
            station: "hot".into(),
            lines: vec![1],
            addon: true,
            fired_at: at(),
        };
        let t = run(&truth(), vec![ticket(kitchen()), ticket(addon)]);
        assert_eq!(t.problems.len(), 1, "{:?}", t.problems);
    }

    #[test]
    fn a_paid_order_that_never_printed_is_lost() {
        let t = run(&truth(), Vec::new());
        assert_eq!(t.lost, 1, "{:?}", t.problems);
    }

    #[test]
    fn an_order_the_platform_sent_and_the_console_lacks_is_lost() {
        let mut truth = truth();
        let mut other = truth.orders[&OrderId::from("WX1")].clone();
        other.order.id = "WX2".into();
        other.payment = None;
        other.successes.clear();
        truth.orders.insert("WX2".into(), other);
        truth.last_seq = 3;
        let t = run(&truth, vec![ticket(kitchen())]);
        // The order itself, and seq 3 never applied.
        assert_eq!(t.lost, 2, "{:?}", t.problems);
    }

    #[test]
    fn an_acknowledged_seq_the_console_resumed_before_is_lost() {
        let t = run_resumed(&truth(), vec![ticket(kitchen())], &[1]);
        assert_eq!(t.lost, 1, "{:?}", t.problems);
    }
}
