//! Menu search at the till: a 500-dish menu, the time of one keystroke
//! (search for the query so far, the best 4 shown, the first added on Enter).
//! Target: under 1 ms per keystroke.
//!
//! `cargo bench --bench menu`

use criterion::{criterion_group, BenchmarkId, Criterion};
use passline::counter::{Menu, OrderEntry};
use std::hint::black_box;

/// 500 dishes: every pairing of a cooking word and an ingredient, with
/// unique skus, prices and modifiers, as a real menu.toml text.
fn big_menu() -> Menu {
    const HOW: &[&str] = &[
        "红烧", "清蒸", "干煸", "宫保", "鱼香", "糖醋", "麻辣", "香辣", "酸菜", "水煮", "葱爆",
        "蒜蓉", "黑椒", "椒盐", "回锅", "凉拌", "酱爆", "孜然", "干锅", "铁板", "小炒", "油焖",
        "爆炒", "清炒", "白灼",
    ];
    const WHAT: &[&str] = &[
        "鸡丁",
        "肉丝",
        "豆腐",
        "牛肉",
        "排骨",
        "鲈鱼",
        "虾仁",
        "茄子",
        "土豆丝",
        "四季豆",
        "花菜",
        "羊肉",
        "鸡翅",
        "五花肉",
        "木耳",
        "豆角",
        "鱿鱼",
        "肥肠",
        "里脊",
        "青菜",
    ];
    let mut text = String::from("[[category]]\nname = \"全部\"\n");
    let mut n = 0;
    for h in HOW {
        for w in WHAT {
            n += 1;
            text.push_str(&format!(
                "[[category.item]]\nsku = \"D{n:03}\"\nname = \"{h}{w}\"\nprice = \"{}.{:02}\"\nstation = \"hot\"\nmodifiers = [\"少辣\", \"微辣\", \"不要葱\"]\n",
                10 + n % 60,
                n % 100
            ));
        }
    }
    let menu = Menu::parse(&text, "bench", &[]).expect("the bench menu parses");
    assert_eq!(menu.items.len(), 500);
    menu
}

fn keystrokes(c: &mut Criterion) {
    let menu = big_menu();
    let mut g = c.benchmark_group("menu_keystroke_500");
    // Each keystroke of "gbjd" (宫保鸡丁 by pinyin initials), of a sku, and
    // of a query that matches nothing (a full scan).
    for query in ["g", "gb", "gbj", "gbjd", "d42", "zzzz"] {
        g.bench_with_input(BenchmarkId::from_parameter(query), query, |b, q| {
            b.iter(|| {
                let e = OrderEntry {
                    query: q.to_string(),
                    ..OrderEntry::default()
                };
                black_box(e.matches(&menu, 4).len())
            })
        });
    }
    g.finish();
    c.bench_function("menu_parse_500", |b| {
        b.iter(|| black_box(big_menu().items.len()))
    });
}

criterion_group!(benches, keystrokes);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
