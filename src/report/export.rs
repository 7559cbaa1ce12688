//! `passline report` output: the whole report as JSON, or flat CSV rows
//! (`section,item,detail,count,amount`, amounts in yuan with two decimals,
//! exact), and the error log (failed payments by code and hour) alone.

use super::sections::ZReport;
use crate::domain::catalogue;
use crate::domain::shift::Denomination;
use crate::domain::Fen;
use serde_json::{json, Value};

/// The error log: failed payments by code (with plain words) and by hour.
pub fn errors_json(r: &ZReport) -> Value {
    let codes: Vec<Value> = r
        .failures
        .by_code
        .iter()
        .map(|c| {
            let info = catalogue::explain(&c.code);
            json!({
                "code": c.code,
                "count": c.count,
                "zh": info.map(|i| i.zh),
                "zh_action": info.map(|i| i.zh_action),
                "en": info.map(|i| i.en),
                "en_action": info.map(|i| i.en_action),
            })
        })
        .collect();
    json!({
        "kind": r.kind,
        "shift": r.shift,
        "date": r.date,
        "first_event": r.first_event,
        "last_event": r.last_event,
        "total": r.failures.total,
        "by_code": codes,
        "by_hour": r.failures.by_hour,
    })
}

fn q(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

struct Csv(String);

impl Csv {
    fn row(
        &mut self,
        section: &str,
        item: &str,
        detail: &str,
        count: Option<u64>,
        amount: Option<Fen>,
    ) {
        let count = count.map(|c| c.to_string()).unwrap_or_default();
        let amount = amount.map(|a| a.to_string()).unwrap_or_default();
        self.0.push_str(&format!(
            "{},{},{},{count},{amount}\n",
            q(section),
            q(item),
            q(detail)
        ));
    }
}

const HEAD: &str = "section,item,detail,count,amount\n";

/// The error log as CSV rows.
pub fn errors_csv(r: &ZReport) -> String {
    let mut c = Csv(HEAD.to_string());
    c.row("failures", "total", "", Some(r.failures.total.into()), None);
    for x in &r.failures.by_code {
        let plain = catalogue::explain(&x.code).map(|i| i.en).unwrap_or("");
        c.row("failures", &x.code, plain, Some(x.count.into()), None);
    }
    for h in &r.failures.by_hour {
        c.row(
            "failures_by_hour",
            &format!("{:02}:00", h.hour),
            "",
            Some(h.count.into()),
            None,
        );
    }
    c.0
}

/// The whole report as CSV rows.
pub fn report_csv(r: &ZReport) -> String {
    let mut c = Csv(HEAD.to_string());
    let kind = serde_json::to_value(r.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    c.row("report", "kind", &kind, None, None);
    if let Some(n) = r.shift {
        c.row("report", "shift", &n.to_string(), None, None);
    }
    if let Some(d) = &r.date {
        c.row("report", "date", d, None, None);
    }
    if let Some(at) = &r.opened_at {
        c.row("report", "opened_at", &at.to_rfc3339(), None, None);
    }
    if let Some(at) = &r.closed_at {
        c.row("report", "closed_at", &at.to_rfc3339(), None, None);
    }
    for s in &r.sales {
        c.row(
            "sales",
            s.channel.as_str(),
            "",
            Some(s.orders.into()),
            Some(s.amount),
        );
        c.row(
            "sales_cancelled",
            s.channel.as_str(),
            "",
            Some(s.cancelled.into()),
            None,
        );
    }
    c.row(
        "sales",
        "total",
        "",
        Some(r.sales_orders.into()),
        Some(r.sales_amount),
    );
    for t in &r.tenders {
        let k = t.tender.as_str();
        c.row("tender_gross", k, "", Some(t.count.into()), Some(t.gross));
        c.row("tender_refunds", k, "", None, Some(t.refunds));
        c.row("tender_net", k, "", None, Some(t.net));
    }
    c.row("tender_net", "total", "", None, Some(r.tender_net));
    let cash = &r.cash;
    c.row("cash", "float", "", None, Some(cash.float));
    c.row("cash", "cash_in", "", None, Some(cash.cash_in));
    c.row("cash", "cash_refunds", "", None, Some(cash.cash_refunds));
    c.row("cash", "expected", "", None, Some(cash.expected));
    if let Some(count) = &cash.count {
        for d in Denomination::ALL {
            let n = count.get(d);
            c.row(
                "drawer",
                d.label(),
                "",
                Some(n.into()),
                Some(Fen(d.value().0 * i64::from(n))),
            );
        }
    }
    if let Some(x) = cash.counted {
        c.row("cash", "counted", "", None, Some(x));
    }
    if let Some(x) = cash.over_short {
        c.row("cash", "over_short", "", None, Some(x));
    }
    for v in &r.voids {
        let d = format!("{} by {}: {}", v.pickup_no, v.approver, v.reason);
        c.row("void", &v.order_id.0, &d, None, None);
    }
    for f in &r.refunds {
        let who = f.approver.as_ref().map(|a| a.0.as_str()).unwrap_or("");
        let d = format!(
            "{} {} by {who}: {}",
            f.pickup_no,
            f.tender.as_str(),
            f.reason
        );
        c.row("refund", &f.order_id.0, &d, None, Some(f.amount));
    }
    for d in &r.doubles {
        let how = match &d.resolution {
            Some(res) if res.refunded_in_store.is_positive() => format!(
                "resolved by {}: refunded {} in store; {}",
                res.approver, res.refunded_in_store, res.note
            ),
            Some(res) => format!("resolved by {}: refund online; {}", res.approver, res.note),
            None => "not resolved".to_string(),
        };
        c.row("double_payment", &d.order_id.0, &how, None, Some(d.excess));
    }
    for i in &r.open_orders {
        c.row(
            "open_order",
            &i.order_id.0,
            i.kind.as_str(),
            None,
            Some(i.amount),
        );
    }
    for x in &r.failures.by_code {
        c.row("failures", &x.code, "", Some(x.count.into()), None);
    }
    for h in &r.failures.by_hour {
        c.row(
            "failures_by_hour",
            &format!("{:02}:00", h.hour),
            "",
            Some(h.count.into()),
            None,
        );
    }
    for s in &r.cashiers {
        c.row(
            "cashier",
            &s.staff_id.0,
            "",
            Some(s.settlements.into()),
            Some(s.amount),
        );
        for (t, a) in &s.by_tender {
            c.row("cashier_tender", &s.staff_id.0, t.as_str(), None, Some(*a));
        }
    }
    for k in &r.kitchen {
        c.row(
            "kitchen_avg_secs",
            &k.station,
            &k.avg_secs.to_string(),
            Some(k.dishes.into()),
            None,
        );
    }
    let p = &r.printing;
    c.row("printing", "jobs", "", Some(p.jobs.into()), None);
    for f in &p.faults {
        let d = format!(
            "{} attempts {}: {}",
            f.printer,
            f.attempts,
            f.error.as_deref().unwrap_or("")
        );
        c.row("printer_fault", &f.job.to_string(), &d, None, None);
    }
    c.row("printing", "reprints", "", Some(p.reprints.into()), None);
    c.row(
        "printing",
        "possible_duplicates",
        "",
        Some(p.possible_duplicates.into()),
        None,
    );
    c.row(
        "printing",
        "reprint_requests",
        "",
        Some(p.reprint_requests.into()),
        None,
    );
    c.0
}
