//! What a ticket says and where: a job's document laid out as lines of an
//! exact printed width (32, 42 or 48 columns; half that in double size),
//! a QR code, a drawer kick, a cut. `render` turns the blocks into bytes.

use super::text::{cut, pad, sanitize, two_sides, width, wrap, Align, Charset};
use crate::domain::job::JobDoc;
use crate::domain::{Dining, Fen, Item, Method, Order, OrderState, PayChannel};
use chrono::{DateTime, FixedOffset};

/// The store as a receipt shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shop {
    pub name: String,
    pub store_id: String,
    /// The receipt's QR link; `{store_id}` and `{order_id}` are filled in.
    pub receipt_link: String,
}

impl Default for Shop {
    fn default() -> Self {
        Shop {
            name: "passline".into(),
            store_id: "S001".into(),
            receipt_link: String::new(),
        }
    }
}

impl Shop {
    /// The store's name and id from `[store]`, the QR link from `[print]`.
    pub fn from_config(c: &crate::config::Config) -> Shop {
        Shop {
            name: c.store.name.clone(),
            store_id: c.store.id.clone(),
            receipt_link: c.print.receipt_link.clone(),
        }
    }

    pub fn link_for(&self, order_id: &str) -> Option<String> {
        if self.receipt_link.trim().is_empty() {
            return None;
        }
        Some(
            self.receipt_link
                .replace("{store_id}", &self.store_id)
                .replace("{order_id}", order_id),
        )
    }
}

/// The job as printed in a ticket's footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobInfo {
    pub job: u64,
    pub created_at: DateTime<FixedOffset>,
}

/// One piece of a laid-out ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A line exactly `cols / size` columns wide, printed at `size`× width and height.
    Line {
        text: String,
        size: u8,
        bold: bool,
        reverse: bool,
    },
    Qr(String),
    Drawer,
    /// Feed and cut (or only feed, without a cutter).
    Cut,
}

/// Lays lines out at a fixed column count.
struct Sheet {
    cols: usize,
    cs: Charset,
    blocks: Vec<Block>,
}

#[derive(Clone, Copy, Default)]
struct Style {
    size: u8,
    bold: bool,
    reverse: bool,
}

const NORMAL: Style = Style {
    size: 1,
    bold: false,
    reverse: false,
};
const BOLD: Style = Style {
    size: 1,
    bold: true,
    reverse: false,
};
const BIG: Style = Style {
    size: 2,
    bold: true,
    reverse: false,
};
const BANNER: Style = Style {
    size: 2,
    bold: true,
    reverse: true,
};

impl Sheet {
    fn new(cols: usize, cs: Charset) -> Sheet {
        Sheet {
            cols,
            cs,
            blocks: Vec::new(),
        }
    }

    fn width_at(&self, st: Style) -> usize {
        self.cols / usize::from(st.size.max(1))
    }

    fn push(&mut self, text: String, st: Style) {
        self.blocks.push(Block::Line {
            text,
            size: st.size.max(1),
            bold: st.bold,
            reverse: st.reverse,
        });
    }

    /// Wrapped text, each line padded to the full width.
    fn text(&mut self, s: &str, st: Style, align: Align) {
        let w = self.width_at(st);
        for l in wrap(&sanitize(s, self.cs), w) {
            self.push(pad(&l, w, align), st);
        }
    }

    /// Wrapped text whose continuation lines are indented by `indent` columns.
    fn hanging(&mut self, s: &str, indent: usize, st: Style) {
        let w = self.width_at(st);
        let s = sanitize(s, self.cs);
        let first = wrap(&s, w).into_iter().next().unwrap_or_default();
        self.push(pad(&first, w, Align::Left), st);
        let rest = s[first.len()..].trim_start();
        if !rest.is_empty() {
            let ind = indent.min(w / 2);
            for l in wrap(rest, w - ind) {
                self.push(pad(&format!("{}{l}", " ".repeat(ind)), w, Align::Left), st);
            }
        }
    }

    fn sides(&mut self, left: &str, right: &str, st: Style) {
        let w = self.width_at(st);
        let l = sanitize(left, self.cs);
        let r = cut(&sanitize(right, self.cs), w);
        for line in two_sides(&l, &r, w) {
            self.push(line, st);
        }
    }

    fn rule(&mut self, c: char) {
        self.push(c.to_string().repeat(self.cols), NORMAL);
    }

    fn blank(&mut self) {
        self.push(" ".repeat(self.cols), NORMAL);
    }
}

fn yuan(f: Fen) -> String {
    if f.is_negative() {
        format!("-￥{}", Fen(-f.0))
    } else {
        format!("￥{f}")
    }
}

fn dining_label(d: Dining) -> &'static str {
    match d {
        Dining::DineIn => "堂食 DINE-IN",
        Dining::Takeaway => "外带 TAKEAWAY",
    }
}

fn method_label(m: Method) -> &'static str {
    match m {
        Method::Cash => "现金 Cash",
        Method::Card => "银行卡 Card",
        Method::Scan => "扫码 Scan",
        Method::Voucher => "代金券 Voucher",
        Method::Other => "其他 Other",
    }
}

fn channel_label(c: PayChannel) -> &'static str {
    match c {
        PayChannel::Wechat => "微信支付 WeChat Pay",
        PayChannel::Alipay => "支付宝 Alipay",
    }
}

fn hms(t: &DateTime<FixedOffset>) -> String {
    t.format("%H:%M:%S").to_string()
}

fn full_time(t: &DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Lays out a job's document on `cols` columns.
pub fn layout(doc: &JobDoc, info: &JobInfo, shop: &Shop, cols: usize, cs: Charset) -> Vec<Block> {
    let mut s = Sheet::new(cols, cs);
    lay(&mut s, doc, info, shop);
    s.blocks
}

fn lay(s: &mut Sheet, doc: &JobDoc, info: &JobInfo, shop: &Shop) {
    match doc {
        JobDoc::Kitchen {
            order,
            station,
            lines,
            addon,
            fired_at,
        } => {
            if *addon {
                s.text("加菜 ADD-ON", BANNER, Align::Center);
            }
            kitchen_head(s, order, station);
            s.rule('-');
            for it in items_of(order, lines) {
                kitchen_item(s, it);
            }
            order_note(s, order);
            s.rule('-');
            s.sides(&format!("单号 {}", order.id), "", NORMAL);
            s.sides(
                &format!("出单 fired {}", hms(fired_at)),
                &format!("job #{}", info.job),
                NORMAL,
            );
            s.blocks.push(Block::Cut);
        }
        JobDoc::Cancel {
            order,
            station,
            lines,
            reason,
        } => {
            s.text("退单 CANCEL", BANNER, Align::Center);
            kitchen_head(s, order, station);
            s.rule('-');
            for it in items_of(order, lines) {
                s.hanging(&format!("{}x {}", it.qty, it.name), 3, BIG);
            }
            s.rule('-');
            if !reason.trim().is_empty() {
                s.text(&format!("原因 Reason: {reason}"), BOLD, Align::Left);
            }
            s.text("停止制作 STOP COOKING", BOLD, Align::Center);
            s.sides(
                &format!("单号 {}", order.id),
                &format!("job #{}", info.job),
                NORMAL,
            );
            s.blocks.push(Block::Cut);
        }
        JobDoc::Receipt { state, copy } => receipt(s, state, *copy, info, shop),
        JobDoc::Drawer => s.blocks.push(Block::Drawer),
        JobDoc::Text { title, lines } => {
            s.text(title, BOLD, Align::Center);
            s.rule('-');
            for l in lines {
                s.text(l, NORMAL, Align::Left);
            }
            s.rule('-');
            s.sides(
                &full_time(&info.created_at),
                &format!("job #{}", info.job),
                NORMAL,
            );
            s.blocks.push(Block::Cut);
        }
        JobDoc::Reprint {
            of_job,
            original_at,
            possible_duplicate,
            doc,
        } => {
            if matches!(**doc, JobDoc::Drawer) {
                // Re-opening a drawer needs no paper banner.
                s.blocks.push(Block::Drawer);
                return;
            }
            s.text("重打 REPRINT", BANNER, Align::Center);
            if *possible_duplicate {
                s.text(
                    &format!("重打 REPRINT · possible duplicate of #{of_job}"),
                    BOLD,
                    Align::Left,
                );
            } else {
                s.text(&format!("重打 REPRINT of #{of_job}"), BOLD, Align::Left);
            }
            s.text(
                &format!("原时间 original {}", full_time(original_at)),
                BOLD,
                Align::Left,
            );
            s.rule('=');
            lay(s, doc, info, shop);
        }
    }
}

fn items_of<'a>(order: &'a Order, lines: &'a [u32]) -> impl Iterator<Item = &'a Item> + 'a {
    order
        .items
        .iter()
        .filter(move |it| lines.contains(&it.line))
}

fn kitchen_head(s: &mut Sheet, order: &Order, station: &str) {
    s.text(station, BOLD, Align::Center);
    let table = order
        .table
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| format!("桌{t}"))
        .unwrap_or_default();
    s.sides(&order.pickup_no, &table, BIG);
    s.sides(
        dining_label(order.dining),
        &format!("下单 {}", hms(&order.placed_at)),
        NORMAL,
    );
}

fn kitchen_item(s: &mut Sheet, it: &Item) {
    let qty = format!("{}x ", it.qty);
    s.hanging(&format!("{qty}{}", it.name), width(&qty), BIG);
    for m in &it.modifiers {
        s.hanging(&format!("   + {m}"), 5, BOLD);
    }
    if !it.note.trim().is_empty() {
        s.hanging(&format!("   ! {}", it.note), 5, BOLD);
    }
}

fn order_note(s: &mut Sheet, order: &Order) {
    if !order.note.trim().is_empty() {
        s.rule('-');
        s.text(&format!("备注 NOTE: {}", order.note), BIG, Align::Left);
    }
}

fn receipt(s: &mut Sheet, st: &OrderState, copy: bool, info: &JobInfo, shop: &Shop) {
    let o = &st.order;
    s.text(&shop.name, BIG, Align::Center);
    if copy {
        s.text("补打 COPY", BOLD, Align::Center);
    }
    s.blank();
    s.text(&format!("单号 Order {}", o.id), NORMAL, Align::Left);
    let table = o
        .table
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| format!("  桌 Table {t}"))
        .unwrap_or_default();
    s.text(
        &format!("取餐号 No. {}{table}", o.pickup_no),
        BOLD,
        Align::Left,
    );
    s.text(dining_label(o.dining), NORMAL, Align::Left);
    s.text(
        &format!("下单 {}", full_time(&o.placed_at)),
        NORMAL,
        Align::Left,
    );
    s.rule('-');
    let cols = s.cols;
    let amount_w = 11;
    let qty_w = 5;
    let name_w = cols - amount_w - qty_w;
    for it in &o.items {
        let name = sanitize(&it.name, s.cs);
        let qty = format!("x{}", it.qty);
        let amount = yuan(it.total());
        for (i, l) in wrap(&name, name_w).iter().enumerate() {
            let line = if i == 0 {
                format!(
                    "{}{}{}",
                    pad(l, name_w, Align::Left),
                    pad(&qty, qty_w, Align::Right),
                    pad(&amount, amount_w, Align::Right)
                )
            } else {
                pad(l, cols, Align::Left)
            };
            s.push(line, NORMAL);
        }
        for m in &it.modifiers {
            s.hanging(&format!("  + {m}"), 4, NORMAL);
        }
    }
    s.rule('-');
    let subtotal: Fen = o.items.iter().map(Item::total).sum();
    if subtotal != o.amount_due {
        s.sides("小计 Subtotal", &yuan(subtotal), NORMAL);
        let label = if o.amount_due < subtotal {
            "优惠 Discount"
        } else {
            "调整 Adjustment"
        };
        s.sides(label, &yuan(o.amount_due - subtotal), NORMAL);
    }
    if st.rounding != Fen::ZERO {
        s.sides("抹零 Rounding", &yuan(st.rounding), NORMAL);
    }
    s.sides("合计 Total", &yuan(st.effective_due()), BOLD);
    for p in &st.successes {
        s.sides(channel_label(p.channel), &yuan(p.amount), NORMAL);
    }
    for t in &st.tenders {
        let tender = &t.tender;
        s.sides(method_label(tender.method), &yuan(tender.amount), NORMAL);
        if tender.method == Method::Cash && tender.tendered != tender.amount {
            s.sides("  实收 Tendered", &yuan(tender.tendered), NORMAL);
        }
    }
    let change = st.change();
    if change.is_positive() {
        s.sides("找零 Change", &yuan(change), BOLD);
    }
    for r in &st.refunds {
        s.sides(
            &format!("退款 Refund ({})", method_label(r.method)),
            &yuan(-r.amount),
            NORMAL,
        );
    }
    s.rule('-');
    if let Some(link) = shop.link_for(&o.id.0) {
        s.blocks.push(Block::Qr(link));
        s.text("扫码查看订单 Scan to see your order", NORMAL, Align::Center);
    }
    s.sides(
        &full_time(&info.created_at),
        &format!("job #{}", info.job),
        NORMAL,
    );
    s.text("谢谢惠顾 Thank you", NORMAL, Align::Center);
    s.blocks.push(Block::Cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_exactly_as_wide_as_its_size_allows() {
        let order: Order = serde_json::from_value(serde_json::json!({
            "id": "WX1", "pickup_no": "A001", "table": "12", "channel": "wechat_mini",
            "dining": "dine_in", "placed_at": "2026-11-25T12:01:05+08:00", "currency": "CNY",
            "amount_due": 100, "note": "不要香菜",
            "items": [{"line":1,"sku":"X","name":"超级无敌特别长的招牌红烧牛肉面加大份 Extra large beef noodles","qty":12,
                "unit_price":100,"station":"hot","modifiers":["少辣","加蛋"],"note":"快"}]
        }))
        .expect("order");
        let doc = JobDoc::Kitchen {
            order: order.clone(),
            station: "热菜 hot".into(),
            lines: vec![1],
            addon: true,
            fired_at: order.placed_at,
        };
        let info = JobInfo {
            job: 7,
            created_at: order.placed_at,
        };
        for cols in [32, 42, 48] {
            for b in layout(&doc, &info, &Shop::default(), cols, Charset::CHINESE) {
                if let Block::Line { text, size, .. } = b {
                    assert_eq!(width(&text), cols / usize::from(size), "{text:?} at {cols}");
                }
            }
        }
    }
}
