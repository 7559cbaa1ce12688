//! Golden tests of a printed Z-report: a small, fixed shift through the real
//! engine, laid out on 32 columns (58 mm) and 48 columns (80 mm). No line is
//! wider than the paper, counting Chinese as two columns.

use crate::common;

use chrono::Duration;
use common::TestStore;
use passline::domain::*;
use passline::report::{self, layout};
use serde_json::json;
use unicode_width::UnicodeWidthStr;

struct Shift {
    t: TestStore,
    seq: u64,
}

fn manager() -> Approval {
    Approval {
        staff_id: "90".into(),
        pin: "909090".into(),
    }
}

impl Shift {
    fn cmd(&self, c: Command) {
        self.t.h().execute_blocking(None, c).expect("accepted");
    }

    fn feed(&mut self, event: PlatformEvent) {
        self.seq += 1;
        self.cmd(Command::Platform {
            seq: self.seq,
            event,
        });
    }

    fn place(&mut self, n: u32, channel: &str, dish: (&str, &str, i64, &str)) {
        self.t.clock.advance(Duration::minutes(3));
        use passline::engine::Clock;
        let order = serde_json::from_value(json!({
            "id": format!("WX-{n:03}"), "pickup_no": format!("A{n:03}"), "table": null,
            "channel": channel, "dining": "takeaway",
            "placed_at": self.t.clock.now().to_rfc3339(), "currency": "CNY",
            "amount_due": dish.2, "note": "",
            "items": [{"line": 1, "sku": dish.0, "name": dish.1, "qty": 1,
                       "unit_price": dish.2, "station": dish.3}]
        }))
        .expect("a valid order");
        self.feed(PlatformEvent::OrderPlaced { order });
    }

    fn pay(&mut self, n: u32, state: &str, amount: i64, code: Option<&str>) {
        use passline::engine::Clock;
        let update = serde_json::from_value(json!({
            "order_id": format!("WX-{n:03}"), "channel": "wechat", "trade_state": state,
            "amount": amount, "transaction_id": format!("tx-{n}"), "error_code": code,
            "error_message": null, "at": self.t.clock.now().to_rfc3339()
        }))
        .expect("a valid update");
        self.feed(PlatformEvent::PaymentUpdated(update));
    }

    fn settle(&self, n: u32, tenders: Vec<(Method, i64, Option<i64>)>) {
        self.cmd(Command::Settle {
            order_id: format!("WX-{n:03}").as_str().into(),
            staff_id: "01".into(),
            pin: Some("1234".into()),
            tenders: tenders
                .into_iter()
                .map(|(method, amount, tendered)| TenderInput {
                    method,
                    amount: Fen(amount),
                    tendered: tendered.map(Fen),
                    reference: None,
                })
                .collect(),
        });
    }
}

/// Seven orders between 12:00 and 12:30: online, failed and settled, split,
/// void, refund, a double payment resolved, one still paying.
fn small_shift() -> report::ZReport {
    let t = TestStore::new(Rules::default());
    t.demo_staff();
    let mut s = Shift { t, seq: 0 };
    s.cmd(Command::OpenShift {
        staff_id: "01".into(),
        pin: None,
        float: Fen(50000),
    });
    s.place(1, "wechat_mini", ("GBJD", "宫保鸡丁", 5600, "hot"));
    s.pay(1, "SUCCESS", 5600, None);
    s.place(2, "alipay_mini", ("YXRS", "鱼香肉丝", 3250, "hot"));
    s.pay(2, "PAYERROR", 3250, Some("ACQ.BUYER_BALANCE_NOT_ENOUGH"));
    s.settle(2, vec![(Method::Cash, 3250, Some(5000))]);
    s.place(3, "wechat_mini", ("SZY", "水煮鱼", 8800, "hot"));
    s.pay(3, "PAYERROR", 8800, Some("BANKERROR"));
    s.settle(
        3,
        vec![(Method::Card, 4000, None), (Method::Cash, 4800, Some(5000))],
    );
    s.place(4, "wechat_mini", ("NMC", "柠檬茶", 1200, "drinks"));
    s.pay(4, "USERPAYING", 1200, None);
    s.place(5, "wechat_mini", ("PHG", "拍黄瓜", 2000, "cold"));
    s.pay(5, "PAYERROR", 2000, Some("BANKERROR"));
    s.cmd(Command::Void {
        order_id: "WX-005".into(),
        staff_id: "01".into(),
        approval: manager(),
        reason: "顾客离开".into(),
    });
    s.place(6, "counter", ("MPDF", "麻婆豆腐", 3000, "hot"));
    s.settle(6, vec![(Method::Cash, 3000, Some(10000))]);
    s.cmd(Command::Refund {
        order_id: "WX-006".into(),
        staff_id: "01".into(),
        approval: manager(),
        amount: Fen(1000),
        method: Method::Cash,
        reason: "少上一道菜".into(),
    });
    s.place(7, "wechat_mini", ("HSR", "红烧肉", 4500, "hot"));
    s.pay(7, "NOTPAY", 4500, Some("TIMEOUT"));
    s.settle(7, vec![(Method::Cash, 4500, Some(4500))]);
    s.pay(7, "SUCCESS", 4500, None);
    s.cmd(Command::ResolveDoublePayment {
        order_id: "WX-007".into(),
        staff_id: "01".into(),
        approval: manager(),
        refund_in_store: true,
        note: "退现金".into(),
    });
    s.t.clock.advance(Duration::minutes(6));
    for n in [1, 2, 3, 6, 7] {
        s.cmd(Command::Bump {
            order_id: format!("WX-{n:03}").as_str().into(),
            staff_id: "21".into(),
            line: None,
        });
    }
    // Expected 500 + 32.50 + 48 + 30 − 10 + 45 − 45 = 600.50; counted 600.20.
    s.t.clock.advance(Duration::minutes(30));
    s.cmd(Command::CloseShift {
        staff_id: "01".into(),
        approval: manager(),
        count: DrawerCount::parse("100=5,50=1,20=2,10=1,0.1=2").expect("count"),
        confirm_open_issues: true,
    });
    report::z_report(s.t.h().store(), None).expect("z-report")
}

fn check_width(lines: &[String], cols: usize) {
    for l in lines {
        assert!(l.width() <= cols, "{l:?} is wider than {cols} columns");
    }
}

#[test]
fn a_z_report_printed_on_58mm_paper() {
    let z = small_shift();
    assert_eq!(z.cash.expected, Fen(60050));
    assert_eq!(z.cash.over_short, Some(Fen(-30)));
    let lines = layout::lines(&z, 32, true);
    check_width(&lines, 32);
    insta::assert_snapshot!("z_report_zh_32", lines.join("\n"));
}

#[test]
fn a_z_report_printed_on_80mm_paper() {
    let z = small_shift();
    let lines = layout::lines(&z, 48, true);
    check_width(&lines, 48);
    insta::assert_snapshot!("z_report_zh_48", lines.join("\n"));
    let en = layout::lines(&z, 48, false);
    check_width(&en, 48);
    insta::assert_snapshot!("z_report_en_48", en.join("\n"));
}
