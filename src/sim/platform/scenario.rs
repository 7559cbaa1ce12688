//! The simulator's scripts: a seeded, deterministic lunch service. Orders
//! arrive at a rate with bursts; each one brings its payment story (success,
//! a channel failure with the channel's own code and message, a customer who
//! leaves the page, a payment that times out and succeeds late), add-ons and
//! cancellations. Steps come out in time order; the same seed always gives
//! the same steps, so a restarted simulator continues where it stopped.

use crate::domain::{
    Channel, Dining, Fen, Item, Order, OrderId, PayChannel, PaymentUpdate, TradeState,
};
use chrono::{DateTime, Duration as ChronoDuration, FixedOffset};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Orders per minute at an ordinary lunch (the `--rate` default).
pub const DEFAULT_RATE: f64 = 12.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// A busy lunch: dine-in and takeaway, bursts, 10–20 % failed payments.
    LunchPeak,
    /// The same orders over a bad link: drops, duplicates, gaps, garbage.
    Chaos,
    /// Payments that time out, get settled in store, then succeed online anyway.
    LateSuccess,
    /// No orders of its own: tests add events themselves.
    Idle,
}

impl Scenario {
    pub fn parse(name: &str) -> Option<Scenario> {
        match name {
            "lunch-peak" => Some(Scenario::LunchPeak),
            "chaos" => Some(Scenario::Chaos),
            "late-success" => Some(Scenario::LateSuccess),
            "idle" => Some(Scenario::Idle),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scenario::LunchPeak => "lunch-peak",
            Scenario::Chaos => "chaos",
            Scenario::LateSuccess => "late-success",
            Scenario::Idle => "idle",
        }
    }
}

/// A frame the platform sends that the console cannot use (chaos only),
/// kept in the history with its own seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Junk {
    UnknownKind,
    SchemaBreak,
    Oversized,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    Placed(Order),
    /// `late`: sent even when the store has closed the trade (the channel had
    /// already taken the money).
    Payment {
        update: PaymentUpdate,
        late: bool,
    },
    Cancelled {
        reason: String,
    },
    AddOn {
        items: Vec<Item>,
        amount_due: Fen,
    },
    Junk(Junk),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub order_id: OrderId,
    pub kind: StepKind,
}

impl Step {
    /// The event body as the platform sends it.
    pub fn event(&self, rng_pad: usize) -> serde_json::Value {
        use serde_json::json;
        let id = &self.order_id;
        match &self.kind {
            StepKind::Placed(order) => json!({"kind": "order.placed", "order": order}),
            StepKind::Payment { update, .. } => {
                let mut v = serde_json::to_value(update).unwrap_or_default();
                v["kind"] = json!("payment.updated");
                v
            }
            StepKind::Cancelled { reason } => {
                json!({"kind": "order.cancelled", "order_id": id, "reason": reason})
            }
            StepKind::AddOn { items, amount_due } => {
                json!({"kind": "order.items_added", "order_id": id, "items": items, "amount_due": amount_due})
            }
            StepKind::Junk(Junk::UnknownKind) => {
                json!({"kind": "order.tip_added", "order_id": id, "amount": 500})
            }
            StepKind::Junk(Junk::SchemaBreak) => json!({
                "kind": "payment.updated", "order_id": id, "channel": "wechat",
                "trade_state": "SUCCESS", "amount": "56.00", "at": "yesterday"}),
            StepKind::Junk(Junk::Oversized) => json!({
                "kind": "order.cancelled", "order_id": id,
                "reason": "垃圾".repeat(rng_pad.max((1 << 20) / 6 + 1000))}),
        }
    }
}

struct Dish {
    sku: &'static str,
    name: &'static str,
    price: i64,
    station: &'static str,
}

const MENU: &[Dish] = &[
    Dish {
        sku: "GBJD",
        name: "宫保鸡丁",
        price: 3800,
        station: "hot",
    },
    Dish {
        sku: "YXRS",
        name: "鱼香肉丝",
        price: 3200,
        station: "hot",
    },
    Dish {
        sku: "MPDF",
        name: "麻婆豆腐",
        price: 2600,
        station: "hot",
    },
    Dish {
        sku: "SZNR",
        name: "水煮牛肉",
        price: 5800,
        station: "hot",
    },
    Dish {
        sku: "HGR",
        name: "回锅肉",
        price: 3600,
        station: "hot",
    },
    Dish {
        sku: "XHSCD",
        name: "西红柿炒鸡蛋",
        price: 2200,
        station: "hot",
    },
    Dish {
        sku: "GBSJD",
        name: "干煸四季豆",
        price: 2400,
        station: "hot",
    },
    Dish {
        sku: "PHG",
        name: "拍黄瓜",
        price: 1200,
        station: "cold",
    },
    Dish {
        sku: "KSJ",
        name: "口水鸡",
        price: 2800,
        station: "cold",
    },
    Dish {
        sku: "LBME",
        name: "凉拌木耳",
        price: 1600,
        station: "cold",
    },
    Dish {
        sku: "FQFP",
        name: "夫妻肺片",
        price: 3200,
        station: "cold",
    },
    Dish {
        sku: "MF",
        name: "米饭",
        price: 200,
        station: "staple",
    },
    Dish {
        sku: "YZCF",
        name: "扬州炒饭",
        price: 1800,
        station: "staple",
    },
    Dish {
        sku: "NRM",
        name: "牛肉面",
        price: 2600,
        station: "staple",
    },
    Dish {
        sku: "SLF",
        name: "酸辣粉",
        price: 1600,
        station: "staple",
    },
    Dish {
        sku: "CYB",
        name: "葱油饼",
        price: 800,
        station: "staple",
    },
    Dish {
        sku: "NMC",
        name: "柠檬茶",
        price: 1400,
        station: "bar",
    },
    Dish {
        sku: "SMT",
        name: "酸梅汤",
        price: 800,
        station: "bar",
    },
    Dish {
        sku: "KL",
        name: "可乐",
        price: 600,
        station: "bar",
    },
    Dish {
        sku: "ZZNC",
        name: "珍珠奶茶",
        price: 1600,
        station: "bar",
    },
    Dish {
        sku: "QDPJ",
        name: "青岛啤酒",
        price: 1200,
        station: "bar",
    },
];

fn modifiers_for(station: &str) -> &'static [&'static str] {
    match station {
        "hot" => &["少辣", "微辣", "特辣", "不要香菜", "不要葱", "少油"],
        "cold" => &["不要香菜", "少辣", "多放醋"],
        "staple" => &["大份", "加蛋", "不要葱"],
        _ => &["少冰", "去冰", "少糖", "热的"],
    }
}

const ITEM_NOTES: &[&str] = &["不要花生", "分开装", "快点上", "辣椒另放"];
const ORDER_NOTES: &[&str] = &["请尽快", "有小孩，少辣", "打包带走", "餐具两份"];

/// How an online payment fails, as the channel words it.
struct Failure {
    state: TradeState,
    wechat: (&'static str, &'static str),
    alipay: (&'static str, &'static str),
}

const FAILURES: &[Failure] = &[
    Failure {
        state: TradeState::Payerror,
        wechat: ("BANKERROR", "银行系统异常"),
        alipay: ("ACQ.SYSTEM_ERROR", "系统异常"),
    },
    Failure {
        state: TradeState::Payerror,
        wechat: ("NOTENOUGH", "余额不足"),
        alipay: ("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"),
    },
    Failure {
        state: TradeState::Payerror,
        wechat: ("SYSTEMERROR", "系统超时"),
        alipay: ("ACQ.SYSTEM_ERROR", "系统繁忙，请稍后再试"),
    },
    Failure {
        state: TradeState::Payerror,
        wechat: ("TIMEOUT", "支付渠道未及时返回结果，请稍后查询"),
        alipay: ("TIMEOUT", "支付渠道未及时返回结果，请稍后查询"),
    },
    Failure {
        state: TradeState::Closed,
        wechat: ("ORDERCLOSED", "用户离开支付页面，订单已关闭"),
        alipay: ("TRADE_CLOSED", "用户未付款，交易已关闭"),
    },
];

/// Plans a lunch service step by step.
pub struct Planner {
    rng: StdRng,
    scenario: Scenario,
    rate: f64,
    base: DateTime<FixedOffset>,
    /// Sim seconds at which the next order arrives.
    next_order_at: f64,
    burst_left: u32,
    orders: u64,
    max_orders: Option<u64>,
    pending: BinaryHeap<Reverse<(u64, u64)>>,
    steps: Vec<Option<(f64, Step)>>,
}

impl Planner {
    /// Places the first order at `base` instead of the fixed 11:30 of
    /// 2026-11-25 (the demo plays "now").
    pub fn starting_at(mut self, base: DateTime<FixedOffset>) -> Planner {
        self.base = base;
        self
    }

    pub fn new(scenario: Scenario, seed: u64, rate: f64, max_orders: Option<u64>) -> Planner {
        Planner {
            rng: StdRng::seed_from_u64(seed),
            scenario,
            rate: if rate > 0.0 { rate } else { DEFAULT_RATE },
            base: DateTime::parse_from_rfc3339("2026-11-25T11:30:00+08:00")
                .expect("valid base time"),
            next_order_at: 0.0,
            burst_left: 0,
            orders: 0,
            max_orders: if scenario == Scenario::Idle {
                Some(0)
            } else {
                max_orders
            },
            pending: BinaryHeap::new(),
            steps: Vec::new(),
        }
    }

    /// Sim seconds run this many times faster than real ones.
    pub fn speed(&self) -> f64 {
        self.rate / DEFAULT_RATE
    }

    /// The next step in time order, with its time in sim seconds.
    pub fn next_step(&mut self) -> Option<(f64, Step)> {
        loop {
            let more_orders = self.max_orders.is_none_or(|m| self.orders < m);
            let top = self.pending.peek().map(|Reverse((t, _))| *t);
            match top {
                Some(t) if !more_orders || (t as f64) / 1000.0 <= self.next_order_at => {
                    let Reverse((_, idx)) = self.pending.pop().expect("peeked");
                    return self.steps[idx as usize].take();
                }
                _ if more_orders => self.plan_order(),
                _ => return None,
            }
        }
    }

    fn push(&mut self, at: f64, step: Step) {
        let idx = self.steps.len() as u64;
        self.steps.push(Some((at, step)));
        self.pending.push(Reverse(((at * 1000.0) as u64, idx)));
    }

    fn time(&self, at: f64) -> DateTime<FixedOffset> {
        self.base + ChronoDuration::milliseconds((at * 1000.0) as i64)
    }

    fn plan_order(&mut self) {
        let at = self.next_order_at;
        self.orders += 1;
        let no = self.orders;
        // Arrivals: the base rate, with bursts of up to 2.5× (30/min at 12/min).
        if self.burst_left == 0 && self.rng.gen_bool(0.08) {
            self.burst_left = self.rng.gen_range(4..=10);
        }
        // In sim time the lunch runs at the ordinary rate; `speed()` turns
        // the configured rate into how fast sim time passes.
        let per_min = if self.burst_left > 0 {
            self.burst_left -= 1;
            DEFAULT_RATE * 2.5
        } else {
            DEFAULT_RATE * self.rng.gen_range(0.6..1.2)
        };
        self.next_order_at = at + 60.0 / per_min * self.rng.gen_range(0.5..1.5);

        let wechat = self.rng.gen_bool(0.7);
        let (prefix, channel, pay) = if wechat {
            ("WX", Channel::WechatMini, PayChannel::Wechat)
        } else {
            ("ZFB", Channel::AlipayMini, PayChannel::Alipay)
        };
        let id = OrderId(format!("{prefix}20261125-{no:06}"));
        let dine_in = self.rng.gen_bool(0.65);
        let mut items = Vec::new();
        let mut line = 0;
        let n = self.rng.gen_range(1..=5);
        for _ in 0..n {
            let item = self.item(line + 1);
            // One line per dish as asked for: a second pick adds to it.
            if let Some(same) = items.iter_mut().find(|i: &&mut Item| {
                i.sku == item.sku && i.modifiers == item.modifiers && i.note == item.note
            }) {
                same.qty += item.qty;
                continue;
            }
            line += 1;
            items.push(item);
        }
        let amount_due: Fen = Fen(items.iter().map(|i| i.total().0).sum());
        let order = Order {
            id: id.clone(),
            pickup_no: format!("A{:03}", no % 1000),
            table: dine_in.then(|| self.rng.gen_range(1..=30).to_string()),
            channel,
            dining: if dine_in {
                Dining::DineIn
            } else {
                Dining::Takeaway
            },
            placed_at: self.time(at),
            currency: "CNY".into(),
            amount_due,
            note: if self.rng.gen_bool(0.1) {
                ORDER_NOTES[self.rng.gen_range(0..ORDER_NOTES.len())].into()
            } else {
                String::new()
            },
            items,
        };
        self.push(
            at,
            Step {
                order_id: id.clone(),
                kind: StepKind::Placed(order),
            },
        );

        let mut t = at;
        let mut due = amount_due;
        if dine_in && self.rng.gen_bool(0.08) {
            t += self.rng.gen_range(20.0..90.0);
            let extra = vec![self.item(line + 1)];
            due = Fen(due.0 + extra[0].total().0);
            self.push(
                t,
                Step {
                    order_id: id.clone(),
                    kind: StepKind::AddOn {
                        items: extra,
                        amount_due: due,
                    },
                },
            );
        }
        if self.scenario == Scenario::Chaos && self.rng.gen_bool(0.03) {
            let junk = match self.rng.gen_range(0..10) {
                0 => Junk::Oversized,
                1..=4 => Junk::SchemaBreak,
                _ => Junk::UnknownKind,
            };
            self.push(
                t + 1.0,
                Step {
                    order_id: id.clone(),
                    kind: StepKind::Junk(junk),
                },
            );
        }
        if self.scenario == Scenario::LateSuccess && self.rng.gen_bool(0.6) {
            self.plan_late(&id, pay, due, t);
        } else {
            self.plan_payment(&id, pay, due, t);
        }
    }

    fn item(&mut self, line: u32) -> Item {
        let d = &MENU[self.rng.gen_range(0..MENU.len())];
        let mods = modifiers_for(d.station);
        let mut modifiers = Vec::new();
        if self.rng.gen_bool(0.35) {
            modifiers.push(mods[self.rng.gen_range(0..mods.len())].to_string());
        }
        let qty = if d.sku == "MF" {
            self.rng.gen_range(1..=4)
        } else if self.rng.gen_bool(0.8) {
            1
        } else {
            2
        };
        Item {
            line,
            sku: d.sku.into(),
            name: d.name.into(),
            qty,
            unit_price: Fen(d.price),
            station: d.station.into(),
            modifiers,
            note: if self.rng.gen_bool(0.08) {
                ITEM_NOTES[self.rng.gen_range(0..ITEM_NOTES.len())].into()
            } else {
                String::new()
            },
        }
    }

    fn update(
        &mut self,
        id: &OrderId,
        ch: PayChannel,
        state: TradeState,
        amount: Fen,
        at: f64,
    ) -> PaymentUpdate {
        PaymentUpdate {
            order_id: id.clone(),
            channel: ch,
            trade_state: state,
            amount,
            transaction_id: (state == TradeState::Success)
                .then(|| transaction_id(&mut self.rng, ch)),
            error_code: None,
            error_message: None,
            at: self.time(at),
        }
    }

    fn pay_step(&mut self, id: &OrderId, update: PaymentUpdate, at: f64, late: bool) {
        self.push(
            at,
            Step {
                order_id: id.clone(),
                kind: StepKind::Payment { update, late },
            },
        );
    }

    fn plan_payment(&mut self, id: &OrderId, ch: PayChannel, due: Fen, from: f64) {
        let mut t = from + self.rng.gen_range(3.0..15.0);
        let u = self.update(id, ch, TradeState::Userpaying, due, t);
        self.pay_step(id, u, t, false);
        let roll = self.rng.gen_range(0.0..1.0);
        if roll < 0.16 {
            // A failure, in the channel's words.
            t += self.rng.gen_range(5.0..40.0);
            let f = &FAILURES[self.rng.gen_range(0..FAILURES.len())];
            let (code, msg) = if ch == PayChannel::Wechat {
                f.wechat
            } else {
                f.alipay
            };
            let mut u = self.update(id, ch, f.state, due, t);
            u.error_code = Some(code.into());
            u.error_message = Some(msg.into());
            self.pay_step(id, u, t, false);
            let next = self.rng.gen_range(0.0..1.0);
            if next < 0.4 {
                // The customer tries again and it goes through.
                t += self.rng.gen_range(10.0..60.0);
                let u = self.update(id, ch, TradeState::Userpaying, due, t);
                self.pay_step(id, u, t, false);
                t += self.rng.gen_range(3.0..20.0);
                let u = self.update(id, ch, TradeState::Success, due, t);
                self.pay_step(id, u, t, false);
            } else if next < 0.55 {
                t += self.rng.gen_range(60.0..180.0);
                let reason = ["顾客取消", "等待太久", "点错了"][self.rng.gen_range(0..3)];
                self.push(
                    t,
                    Step {
                        order_id: id.clone(),
                        kind: StepKind::Cancelled {
                            reason: reason.into(),
                        },
                    },
                );
            }
        } else if roll < 0.22 {
            // USERPAYING for a long while, then it resolves.
            t += self.rng.gen_range(40.0..120.0);
            let u = self.update(id, ch, TradeState::Success, due, t);
            self.pay_step(id, u, t, false);
        } else {
            t += self.rng.gen_range(2.0..20.0);
            let u = self.update(id, ch, TradeState::Success, due, t);
            self.pay_step(id, u, t, false);
        }
    }

    /// USERPAYING, then the platform's TIMEOUT, then (long after the store
    /// has had time to settle) the channel's SUCCESS anyway.
    fn plan_late(&mut self, id: &OrderId, ch: PayChannel, due: Fen, from: f64) {
        let mut t = from + self.rng.gen_range(3.0..10.0);
        let u = self.update(id, ch, TradeState::Userpaying, due, t);
        self.pay_step(id, u, t, false);
        t += self.rng.gen_range(20.0..40.0);
        let mut u = self.update(id, ch, TradeState::Payerror, due, t);
        u.error_code = Some("TIMEOUT".into());
        u.error_message = Some("支付渠道未及时返回结果，请稍后查询".into());
        self.pay_step(id, u, t, false);
        t += self.rng.gen_range(150.0..300.0);
        let u = self.update(id, ch, TradeState::Success, due, t);
        self.pay_step(id, u, t, true);
    }
}

/// A channel's transaction id: WeChat `4200…` (28 digits), Alipay `2026…` (28).
pub fn transaction_id(rng: &mut impl Rng, ch: PayChannel) -> String {
    let a: u64 = rng.gen_range(0..1_000_000_000_000);
    let b: u64 = rng.gen_range(0..1_000_000_000_000);
    match ch {
        PayChannel::Wechat => format!("4200{a:012}{b:012}"),
        PayChannel::Alipay => format!("2026{a:012}{b:012}"),
    }
}

/// What the channel answers for a scanned pay code: the channel, then either
/// success or a failure `(code, message)`.
pub fn charge_outcome(
    auth_code: &str,
) -> Result<PayChannel, (Option<PayChannel>, &'static str, &'static str)> {
    let digits = auth_code.len() == 18 && auth_code.bytes().all(|b| b.is_ascii_digit());
    let prefix: u32 = auth_code.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let ch = match prefix {
        10..=15 if digits => PayChannel::Wechat,
        25..=30 if digits => PayChannel::Alipay,
        _ => return Err((None, "AUTH_CODE_INVALID", "付款码无效，请重新扫码")),
    };
    // The code's last digit stands in for the customer's wallet.
    let last = auth_code.as_bytes()[17] - b'0';
    match (ch, last) {
        (PayChannel::Wechat, 7) => Err((Some(ch), "NOTENOUGH", "余额不足")),
        (PayChannel::Wechat, 8) => Err((
            Some(ch),
            "AUTHCODEEXPIRE",
            "二维码已过期，请用户在微信上刷新后再试",
        )),
        (PayChannel::Alipay, 7) => Err((Some(ch), "ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足")),
        (PayChannel::Alipay, 8) => Err((
            Some(ch),
            "ACQ.PAYMENT_AUTH_CODE_INVALID",
            "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款",
        )),
        _ => Ok(ch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(seed: u64, n: usize) -> Vec<(f64, Step)> {
        let mut p = Planner::new(Scenario::LunchPeak, seed, DEFAULT_RATE, None);
        (0..n).filter_map(|_| p.next_step()).collect()
    }

    #[test]
    fn the_same_seed_plays_the_same_lunch() {
        assert_eq!(steps(7, 300), steps(7, 300));
        assert_ne!(steps(7, 50), steps(8, 50));
    }

    #[test]
    fn steps_come_in_time_order_and_orders_come_first() {
        let s = steps(3, 500);
        assert!(s.windows(2).all(|w| w[0].0 <= w[1].0));
        let mut placed = std::collections::HashSet::new();
        for (_, st) in &s {
            match &st.kind {
                StepKind::Placed(o) => {
                    assert!(o.validate().is_ok());
                    placed.insert(o.id.clone());
                }
                _ => assert!(
                    placed.contains(&st.order_id),
                    "{} before its order",
                    st.order_id
                ),
            }
        }
    }

    #[test]
    fn some_lunch_payments_fail_with_the_channels_codes() {
        let s = steps(11, 3000);
        let orders = s
            .iter()
            .filter(|(_, st)| matches!(st.kind, StepKind::Placed(_)))
            .count();
        let failed = s
            .iter()
            .filter(|(_, st)| matches!(&st.kind, StepKind::Payment { update, .. } if update.error_code.is_some()))
            .count();
        let share = failed as f64 / orders as f64;
        assert!(
            (0.10..=0.22).contains(&share),
            "{failed} failures in {orders} orders"
        );
    }

    #[test]
    fn pay_codes_are_told_apart_by_prefix() {
        assert_eq!(charge_outcome("134567890123456781"), Ok(PayChannel::Wechat));
        assert_eq!(charge_outcome("284567890123456781"), Ok(PayChannel::Alipay));
        assert_eq!(
            charge_outcome("134567890123456787").unwrap_err().1,
            "NOTENOUGH"
        );
        assert_eq!(
            charge_outcome("994567890123456781").unwrap_err().1,
            "AUTH_CODE_INVALID"
        );
        assert_eq!(charge_outcome("1345").unwrap_err().1, "AUTH_CODE_INVALID");
    }
}
