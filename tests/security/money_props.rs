//! No money arithmetic wraps (docs/security.md, "Money"): property tests
//! of `Fen` against 128-bit arithmetic, of platform orders against the
//! limits, and of cash tenders against the change margin; and a platform
//! order over the limits quarantined by the real engine.

use crate::common;

use common::{order, TestStore};
use passline::domain::limits::MoneyLimits;
use passline::domain::tender::quote;
use passline::domain::*;
use proptest::prelude::*;

fn fits(x: i128) -> Option<Fen> {
    i64::try_from(x).ok().map(Fen)
}

fn item(line: u32, qty: u32, unit_price: i64) -> Item {
    Item {
        line,
        sku: "GBJD".into(),
        name: "宫保鸡丁".into(),
        qty,
        unit_price: Fen(unit_price),
        station: "hot".into(),
        modifiers: Vec::new(),
        note: String::new(),
    }
}

/// Prices from the everyday to the edge of an i64.
fn price() -> impl Strategy<Value = i64> {
    prop_oneof![
        0i64..=2_000_000,
        any::<i64>(),
        Just(i64::MAX),
        Just(i64::MAX / 3)
    ]
}

fn qty() -> impl Strategy<Value = u32> {
    prop_oneof![1u32..=1200, any::<u32>(), Just(u32::MAX)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fen_arithmetic_is_exact_or_refused_never_wrapped(a in any::<i64>(), b in any::<i64>(), q in any::<u32>()) {
        let (a, b) = (Fen(a), Fen(b));
        let sum = i128::from(a.0) + i128::from(b.0);
        let diff = i128::from(a.0) - i128::from(b.0);
        let prod = i128::from(a.0) * i128::from(q);
        prop_assert_eq!(a.checked_add(b).ok(), fits(sum));
        prop_assert_eq!(a.checked_sub(b).ok(), fits(diff));
        prop_assert_eq!(a.times(q).ok(), fits(prod));
        // The operators never wrap: they are exact, or stop at the edge on
        // the side the true result lies.
        let clamp = |x: i128| Fen(x.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64);
        prop_assert_eq!(a + b, clamp(sum));
        prop_assert_eq!(a - b, clamp(diff));
        prop_assert_eq!(item(1, q, a.0).total(), clamp(prod));
    }

    #[test]
    fn a_platform_order_is_taken_only_within_the_limits_and_adds_up_exactly(
        lines in proptest::collection::vec((qty(), price()), 1..6),
        due in price(),
    ) {
        let rules = Rules::default();
        let l = MoneyLimits::default();
        let mut o = order("WX-PROP", 100);
        o.items = lines.iter().enumerate().map(|(i, (q, p))| item(i as u32 + 1, *q, *p)).collect();
        o.amount_due = Fen(due);
        let exact: i128 = lines.iter().map(|(q, p)| i128::from(*q) * i128::from(*p)).sum();
        let within = lines
            .iter()
            .all(|(q, p)| (1..=l.qty_max).contains(q) && (0..=l.unit_price_max.0).contains(p))
            && exact <= i128::from(l.order_max.0)
            && (0..=l.order_max.0).contains(&due);
        match rules.platform(None, &PlatformEvent::OrderPlaced { order: o.clone() }) {
            PlatformOutcome::Events(_) => {
                prop_assert!(within, "taken over the limits: {lines:?} due {due}");
                let total: Fen = o.items.iter().map(Item::total).sum();
                prop_assert_eq!(i128::from(total.0), exact);
            }
            PlatformOutcome::Quarantine(why) => {
                prop_assert!(!within, "quarantined within the limits: {why}");
            }
        }
    }

    #[test]
    fn cash_taken_never_gives_more_change_than_the_margin(
        remaining in 1i64..=5_000_000,
        amount in price(),
        tendered in prop_oneof![price(), any::<i64>()],
    ) {
        let l = MoneyLimits::default();
        let q = quote(Fen(remaining), Method::Cash, Fen(amount), Some(Fen(tendered)), CashRounding::Jiao);
        if let Ok(q) = q {
            if l.check_tendered(&q).is_ok() {
                prop_assert_eq!(i128::from(q.change.0), i128::from(q.tendered.0) - i128::from(q.amount.0));
                prop_assert!(q.change <= l.cash_over_max);
                prop_assert!(!q.change.is_negative());
            } else {
                prop_assert!(i128::from(tendered) - i128::from(q.amount.0) > i128::from(l.cash_over_max.0));
            }
        }
    }
}

#[test]
fn a_platform_order_over_the_limits_is_quarantined_by_the_engine() {
    let t = TestStore::new(Rules::default());
    let mut huge = order("WX-HUGE", 100);
    huge.items[0].qty = u32::MAX;
    huge.items[0].unit_price = Fen(2_147_483_648);
    let c = t
        .h()
        .execute_blocking(
            None,
            Command::Platform {
                seq: 1,
                event: PlatformEvent::OrderPlaced { order: huge },
            },
        )
        .expect("committed as a quarantine");
    let why: Vec<&str> = c
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::FrameQuarantined { error, .. } => Some(error.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(why.len(), 1, "{:?}", c.events);
    assert!(why[0].contains("more than the 999 allowed"), "{why:?}");
    assert!(t.h().order(&"WX-HUGE".into()).expect("store").is_none());

    // An add-on that pushes a taken order over ¥50,000 is quarantined too.
    let ok = order("WX-OK", 3800);
    t.h()
        .execute_blocking(
            None,
            Command::Platform {
                seq: 2,
                event: PlatformEvent::OrderPlaced { order: ok },
            },
        )
        .expect("taken");
    let c = t
        .h()
        .execute_blocking(
            None,
            Command::Platform {
                seq: 3,
                event: PlatformEvent::ItemsAdded {
                    order_id: "WX-OK".into(),
                    items: vec![item(2, 999, 1_000_000)],
                    amount_due: Fen(3800),
                },
            },
        )
        .expect("committed as a quarantine");
    assert!(
        c.events
            .iter()
            .any(|e| matches!(&e.body, EventBody::FrameQuarantined { error, .. } if error.contains("50000.00"))),
        "{:?}",
        c.events
    );
    let st = t.h().order(&"WX-OK".into()).expect("store").expect("order");
    assert_eq!(st.order.items.len(), 1, "the add-on was not applied");
}
