//! A report laid out as lines of text for a given column width: 32 columns on
//! 58 mm paper, 48 on 80 mm, or the screen's width. Widths are counted in
//! printed columns (ASCII 1, Chinese 2) and no line is ever longer than the
//! width: a label too long for its amount puts the amount on the next line.
//! Printed reports are in Chinese; the screen follows the console's language.

use super::sections::{ReportKind, TenderKind, ZReport};
use crate::domain::job::JobDoc;
use crate::domain::shift::{Denomination, IssueKind};
use crate::domain::{Channel, Fen};
use chrono::{DateTime, FixedOffset};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts to at most `w` columns, never splitting a wide character (`~` marks a cut).
fn fit(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let cw = UnicodeWidthChar::width(ch).unwrap_or(0);
        if used + cw + 1 > w {
            break;
        }
        out.push(ch);
        used += cw;
    }
    out.push('~');
    out
}

struct Page {
    cols: usize,
    lines: Vec<String>,
}

impl Page {
    fn text(&mut self, s: &str) {
        self.lines.push(fit(s, self.cols));
    }

    /// Free text (reasons, notes, errors) wrapped onto as many lines as it
    /// needs, each continuation indented like the first.
    fn wrap(&mut self, indent: &str, s: &str) {
        let room = self.cols.saturating_sub(width(indent)).max(4);
        let mut line = String::new();
        let mut used = 0;
        for ch in s.chars() {
            let cw = UnicodeWidthChar::width(ch).unwrap_or(0);
            if used + cw > room {
                self.lines.push(format!("{indent}{line}"));
                line.clear();
                used = 0;
            }
            line.push(ch);
            used += cw;
        }
        if !line.is_empty() || s.is_empty() {
            self.lines.push(format!("{indent}{line}"));
        }
    }

    /// Label on the left, value flush right; on two lines when both do not fit.
    fn lr(&mut self, left: &str, right: &str) {
        let (l, r) = (width(left), width(right));
        if l + r < self.cols {
            self.lines
                .push(format!("{left}{}{right}", " ".repeat(self.cols - l - r)));
        } else {
            self.text(left);
            let r = r.min(self.cols);
            self.lines.push(format!(
                "{}{}",
                " ".repeat(self.cols - r),
                fit(right, self.cols)
            ));
        }
    }

    fn center(&mut self, s: &str) {
        let s = fit(s, self.cols);
        let pad = (self.cols - width(&s)) / 2;
        self.lines.push(format!("{}{s}", " ".repeat(pad)));
    }

    fn rule(&mut self, ch: char) {
        self.lines.push(ch.to_string().repeat(self.cols));
    }

    fn section(&mut self, title: &str) {
        self.rule('-');
        self.text(title);
    }
}

/// The words of a report, in one language.
struct Words {
    zh: bool,
}

impl Words {
    fn w(&self, zh: &'static str, en: &'static str) -> &'static str {
        if self.zh {
            zh
        } else {
            en
        }
    }

    fn title(&self, kind: ReportKind) -> &'static str {
        match kind {
            ReportKind::Z => self.w("Z 报表 (交班)", "Z-report (shift close)"),
            ReportKind::X => self.w("X 报表 (未交班)", "X-report (shift open)"),
            ReportKind::Day => self.w("日报表", "Day report"),
        }
    }

    fn channel(&self, c: Channel) -> &'static str {
        match c {
            Channel::WechatMini => self.w("微信小程序", "WeChat mini"),
            Channel::AlipayMini => self.w("支付宝小程序", "Alipay mini"),
            Channel::Counter => self.w("柜台", "Counter"),
            Channel::Delivery => self.w("外卖", "Delivery"),
        }
    }

    fn tender(&self, t: TenderKind) -> &'static str {
        match t {
            TenderKind::OnlineWechat => self.w("微信在线", "WeChat online"),
            TenderKind::OnlineAlipay => self.w("支付宝在线", "Alipay online"),
            TenderKind::Cash => self.w("现金", "Cash"),
            TenderKind::Card => self.w("银行卡", "Card"),
            TenderKind::Scan => self.w("扫码", "Scan"),
            TenderKind::Voucher => self.w("代金券", "Voucher"),
            TenderKind::Other => self.w("其他", "Other"),
        }
    }

    fn issue(&self, k: IssueKind) -> &'static str {
        match k {
            IssueKind::DoublePaid => self.w("重复付款", "paid twice"),
            IssueKind::Paying => self.w("付款中", "paying"),
            IssueKind::RefundDue => self.w("待退款", "refund due"),
            IssueKind::Failed => self.w("付款失败", "failed"),
            IssueKind::Unpaid => self.w("未付款", "unpaid"),
        }
    }

    fn count(&self, n: u32) -> String {
        if self.zh {
            format!("{n}笔")
        } else {
            format!("x{n}")
        }
    }
}

fn time(at: &DateTime<FixedOffset>) -> String {
    at.format("%m-%d %H:%M").to_string()
}

fn signed(f: Fen) -> String {
    if f.is_positive() {
        format!("+{f}")
    } else {
        f.to_string()
    }
}

/// Money taken out: `-10.00`, and `0.00` when nothing was.
fn minus(f: Fen) -> String {
    if f == Fen::ZERO {
        f.to_string()
    } else {
        format!("-{f}")
    }
}

fn mmss(secs: i64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The report as lines of exactly-bounded width (`cols` ≥ 20).
pub fn lines(r: &ZReport, cols: usize, chinese: bool) -> Vec<String> {
    let w = Words { zh: chinese };
    let mut p = Page {
        cols: cols.max(20),
        lines: Vec::new(),
    };
    header(&w, r, &mut p);
    sales(&w, r, &mut p);
    tenders(&w, r, &mut p);
    cash(&w, r, &mut p);
    voids_and_refunds(&w, r, &mut p);
    doubles(&w, r, &mut p);
    open_orders(&w, r, &mut p);
    failures(&w, r, &mut p);
    cashiers(&w, r, &mut p);
    kitchen(&w, r, &mut p);
    printing(&w, r, &mut p);
    p.rule('=');
    p.lines
}

/// The report as a spool document for the receipt printer (Chinese).
pub fn print_doc(r: &ZReport, cols: usize) -> JobDoc {
    let w = Words { zh: true };
    let title = match r.shift {
        Some(n) => format!("{} #{n}", w.title(r.kind)),
        None => w.title(r.kind).to_string(),
    };
    JobDoc::Text {
        title,
        lines: lines(r, cols, true),
    }
}

fn header(w: &Words, r: &ZReport, p: &mut Page) {
    p.rule('=');
    p.center(w.title(r.kind));
    p.rule('=');
    if let Some(n) = r.shift {
        p.lr(w.w("班次", "Shift"), &format!("#{n}"));
    }
    if let Some(d) = &r.date {
        p.lr(w.w("日期", "Date"), d);
    }
    if let (Some(at), Some(by)) = (&r.opened_at, &r.opened_by) {
        p.lr(w.w("开班", "Opened"), &format!("{} {by}", time(at)));
    }
    if let (Some(at), Some(by)) = (&r.closed_at, &r.closed_by) {
        p.lr(w.w("交班", "Closed"), &format!("{} {by}", time(at)));
    }
    if let Some(a) = &r.approver {
        p.lr(w.w("批准经理", "Approved by"), &a.0);
    }
    p.lr(
        w.w("日志", "Log"),
        &format!("#{}-#{}", r.first_event, r.last_event),
    );
}

fn sales(w: &Words, r: &ZReport, p: &mut Page) {
    p.section(w.w("销售 (按渠道)", "Sales by channel"));
    for s in &r.sales {
        let mut left = format!(" {} {}", w.channel(s.channel), w.count(s.orders));
        if s.cancelled > 0 {
            left.push_str(&format!(" ({}{})", w.w("取消", "cancelled "), s.cancelled));
        }
        p.lr(&left, &s.amount.to_string());
    }
    p.lr(
        &format!(" {} {}", w.w("合计", "Total"), w.count(r.sales_orders)),
        &r.sales_amount.to_string(),
    );
}

fn tenders(w: &Words, r: &ZReport, p: &mut Page) {
    p.section(w.w("收款 (按方式, 净额)", "Payments by tender (net)"));
    for t in r
        .tenders
        .iter()
        .filter(|t| t.count > 0 || t.refunds != Fen::ZERO)
    {
        p.lr(
            &format!(" {} {}", w.tender(t.tender), w.count(t.count)),
            &t.net.to_string(),
        );
        if t.refunds != Fen::ZERO {
            p.lr(
                &format!("   {} {}", w.w("收", "in"), t.gross),
                &format!("{} -{}", w.w("退", "refunded"), t.refunds),
            );
        }
    }
    p.lr(w.w(" 收款合计", " Taken"), &r.tender_gross.to_string());
    p.lr(w.w(" 退款合计", " Refunded"), &minus(r.tender_refunds));
    p.lr(w.w(" 净收款", " Net"), &r.tender_net.to_string());
}

fn cash(w: &Words, r: &ZReport, p: &mut Page) {
    let c = &r.cash;
    p.section(w.w("钱箱", "Cash drawer"));
    p.lr(w.w(" 备用金", " Float"), &c.float.to_string());
    p.lr(w.w(" 现金收入", " Cash taken"), &format!("+{}", c.cash_in));
    p.lr(w.w(" 现金退款", " Cash refunded"), &minus(c.cash_refunds));
    p.lr(w.w(" 应有现金", " Expected"), &c.expected.to_string());
    if let Some(count) = &c.count {
        for d in Denomination::ALL {
            let n = count.get(d);
            if n > 0 {
                p.lr(
                    &format!("   {}{} x {n}", d.label(), w.w("元", " yuan")),
                    &Fen(d.value().0 * i64::from(n)).to_string(),
                );
            }
        }
    }
    if let Some(counted) = c.counted {
        p.lr(w.w(" 实点现金", " Counted"), &counted.to_string());
    }
    if let Some(os) = c.over_short {
        let label = if os.is_negative() {
            w.w(" 短款", " Short")
        } else if os.is_positive() {
            w.w(" 长款", " Over")
        } else {
            w.w(" 长短款", " Over/short")
        };
        p.lr(label, &signed(os));
    }
}

fn voids_and_refunds(w: &Words, r: &ZReport, p: &mut Page) {
    p.section(&format!(
        "{} {} / {} {}",
        w.w("作废", "Voids"),
        r.voids.len(),
        w.w("退款", "refunds"),
        r.refunds.len()
    ));
    for v in &r.voids {
        p.lr(
            &format!(" {} {}", v.pickup_no, w.w("作废", "void")),
            &format!("{} {}", w.w("经理", "mgr"), v.approver),
        );
        p.wrap("   ", &format!("{} {}", time(&v.at), v.reason));
    }
    for f in &r.refunds {
        p.lr(
            &format!(" {} {}", f.pickup_no, w.tender(f.tender)),
            &format!("-{}", f.amount),
        );
        let who = f
            .approver
            .as_ref()
            .map(|a| format!("{} {a} ", w.w("经理", "mgr")))
            .unwrap_or_default();
        let reason = if f.reason == "double payment" {
            w.w("重复付款", "double payment")
        } else {
            f.reason.as_str()
        };
        p.wrap("   ", &format!("{} {who}{reason}", time(&f.at)));
    }
}

fn doubles(w: &Words, r: &ZReport, p: &mut Page) {
    p.section(&format!(
        "{} {}",
        w.w("重复付款", "Paid twice"),
        r.doubles.len()
    ));
    for d in &r.doubles {
        p.lr(
            &format!(" {} {}", d.pickup_no, w.w("多收", "excess")),
            &d.excess.to_string(),
        );
        match &d.resolution {
            Some(res) => {
                let how = if res.refunded_in_store.is_positive() {
                    format!(
                        "{} {}",
                        w.w("店内退", "refunded in store"),
                        res.refunded_in_store
                    )
                } else {
                    w.w("线上退", "refund online").to_string()
                };
                p.text(&format!(
                    "   {} {} {how}",
                    w.w("已处理", "resolved"),
                    res.approver
                ));
                if !res.note.is_empty() {
                    p.wrap("   ", &res.note);
                }
            }
            None => p.text(&format!("   {}", w.w("未处理!", "NOT RESOLVED"))),
        }
    }
}

fn open_orders(w: &Words, r: &ZReport, p: &mut Page) {
    p.section(&format!(
        "{} {}",
        w.w("未结订单", "Still open"),
        r.open_orders.len()
    ));
    for i in &r.open_orders {
        p.lr(
            &format!(" {} {}", i.pickup_no, w.issue(i.kind)),
            &i.amount.to_string(),
        );
    }
    if r.confirmed_open {
        p.text(w.w(
            " 经理已确认带未结订单交班",
            " manager confirmed closing with these open",
        ));
    }
}

fn failures(w: &Words, r: &ZReport, p: &mut Page) {
    p.section(&format!(
        "{} {}",
        w.w("支付失败", "Failed payments"),
        r.failures.total
    ));
    for c in &r.failures.by_code {
        p.lr(&format!(" {}", c.code), &c.count.to_string());
    }
    if !r.failures.by_hour.is_empty() {
        p.text(w.w(" 按小时:", " by hour:"));
        for h in &r.failures.by_hour {
            p.lr(&format!("   {:02}:00", h.hour), &h.count.to_string());
        }
    }
}

fn cashiers(w: &Words, r: &ZReport, p: &mut Page) {
    p.section(w.w("店内收款 (按收银员)", "Settled in store, by cashier"));
    for c in &r.cashiers {
        p.lr(
            &format!(" {} {}", c.staff_id, w.count(c.settlements)),
            &c.amount.to_string(),
        );
        for (t, a) in &c.by_tender {
            p.lr(&format!("   {}", w.tender(*t)), &a.to_string());
        }
    }
}

fn kitchen(w: &Words, r: &ZReport, p: &mut Page) {
    p.section(w.w("出餐 (下厨到出单平均)", "Kitchen: fire to bump, average"));
    for s in &r.kitchen {
        p.lr(
            &format!(" {} {}{}", s.station, s.dishes, w.w("道", " dishes")),
            &mmss(s.avg_secs),
        );
    }
}

fn printing(w: &Words, r: &ZReport, p: &mut Page) {
    let pr = &r.printing;
    p.section(w.w("打印", "Printing"));
    p.lr(w.w(" 打印任务", " Jobs"), &pr.jobs.to_string());
    p.lr(w.w(" 故障", " Faults"), &pr.faults.len().to_string());
    for f in &pr.faults {
        let state = if f.printed {
            w.w("已打印", "printed")
        } else {
            w.w("未打印", "not printed")
        };
        p.text(&format!("   #{} {} {state}", f.job, f.printer));
        if let Some(e) = &f.error {
            p.wrap("   ", e);
        }
    }
    p.lr(w.w(" 重打", " Reprints"), &pr.reprints.to_string());
    p.lr(
        w.w(" 可能重复出票", " Possible duplicates"),
        &pr.possible_duplicates.to_string(),
    );
    p.lr(
        w.w(" 员工要求重打", " Reprints asked"),
        &pr.reprint_requests.to_string(),
    );
}
