//! Kitchen tickets and receipts as the printer gets them: decoded golden
//! text on 32, 42 and 48 columns, and the raw bytes' rules (FS & after every
//! ESC @, QR Model 2, the full drawer pulse, no 4-byte GB18030).

use chrono::DateTime;
use passline::domain::state::TenderRecord;
use passline::domain::*;
use passline::print::decode::{decode, has_four_byte_gb18030};
use passline::print::job::JobDoc;
use passline::print::layout::{layout, Block, JobInfo, Shop};
use passline::print::profile::Profile;
use passline::print::render::{render_doc, render_job};
use passline::print::text::{width, Charset};
use passline::store::{JobRecord, JobState};
use proptest::prelude::*;

fn profile(name: &str) -> Profile {
    Profile::builtin(name).expect("a shipped profile")
}

fn lunch_order() -> Order {
    serde_json::from_value(serde_json::json!({
        "id": "WX20261125-000123", "pickup_no": "A023", "table": "12", "channel": "wechat_mini",
        "dining": "dine_in", "placed_at": "2026-11-25T12:01:05+08:00", "currency": "CNY",
        "amount_due": 15200, "note": "不要香菜 no coriander",
        "items": [
            {"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":2,"unit_price":3800,"station":"hot",
             "modifiers":["少辣","不要花生"],"note":""},
            {"line":2,"sku":"PG","name":"招牌秘制酱香红烧大排骨配时令蔬菜 Signature braised pork ribs","qty":1,
             "unit_price":6800,"station":"hot","modifiers":[],"note":"多加汤 extra sauce"},
            {"line":3,"sku":"RICE","name":"𠮷野家米饭","qty":3,"unit_price":200,"station":"hot",
             "modifiers":[],"note":""},
            {"line":4,"sku":"PC","name":"拍黄瓜","qty":1,"unit_price":400,"station":"cold",
             "modifiers":[],"note":""}
        ]
    }))
    .expect("valid order")
}

fn at(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("time")
}

fn kitchen_doc(addon: bool) -> JobDoc {
    JobDoc::Kitchen {
        order: lunch_order(),
        station: "hot".into(),
        lines: vec![1, 2, 3],
        addon,
        fired_at: at("2026-11-25T12:02:10+08:00"),
    }
}

fn paid_in_cash() -> OrderState {
    let order = lunch_order();
    let mut st = OrderState::new(order.clone(), 1, order.placed_at);
    st.tenders.push(TenderRecord {
        tender: Tender {
            method: Method::Cash,
            amount: Fen(15200),
            tendered: Fen(20000),
            change: Fen(4800),
            reference: None,
        },
        staff_id: StaffId("01".into()),
        at: at("2026-11-25T12:30:00+08:00"),
    });
    st
}

fn shop() -> Shop {
    Shop {
        name: "老王面馆 Lao Wang Noodles".into(),
        store_id: "S001".into(),
        receipt_link: "https://m.example.cn/o/{store_id}/{order_id}".into(),
    }
}

fn info(job: u64) -> JobInfo {
    JobInfo {
        job,
        created_at: at("2026-11-25T12:02:10+08:00"),
    }
}

fn printed(doc: &JobDoc, profile_name: &str) -> String {
    let bytes = render_doc(doc, &info(42), &profile(profile_name), &shop()).expect("renders");
    decode(&bytes).join("\n")
}

#[test]
fn kitchen_ticket_on_58mm() {
    insta::assert_snapshot!(printed(&kitchen_doc(false), "xprinter-xp-58"));
}

#[test]
fn kitchen_add_on_ticket_on_80mm() {
    insta::assert_snapshot!(printed(&kitchen_doc(true), "generic-80"));
}

#[test]
fn cancel_ticket_on_80mm() {
    let doc = JobDoc::Cancel {
        order: lunch_order(),
        station: "hot".into(),
        lines: vec![1],
        reason: "顾客取消 customer left".into(),
    };
    insta::assert_snapshot!(printed(&doc, "epson-tm-t88v"));
}

#[test]
fn receipt_on_58mm() {
    let doc = JobDoc::Receipt {
        state: Box::new(paid_in_cash()),
        copy: false,
    };
    insta::assert_snapshot!(printed(&doc, "xprinter-xp-58"));
}

#[test]
fn receipt_on_80mm() {
    let doc = JobDoc::Receipt {
        state: Box::new(paid_in_cash()),
        copy: true,
    };
    insta::assert_snapshot!(printed(&doc, "generic-80"));
}

#[test]
fn a_resent_job_says_it_may_be_a_duplicate() {
    let job = JobRecord {
        job: 17,
        printer: "hot".into(),
        doc: kitchen_doc(false),
        event_id: 3,
        created_at: at("2026-11-25T12:02:10+08:00"),
        state: JobState::Queued,
        attempts: 1,
        interrupted: true,
        last_error: Some("cut off".into()),
        printed_at: None,
    };
    let text = decode(&render_job(&job, &profile("generic-80"), &shop()).expect("renders"));
    assert!(
        text.iter()
            .any(|l| l.contains("重打 REPRINT · possible duplicate of #17")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|l| l.contains("原时间 original 2026-11-25 12:02:10")),
        "{text:#?}"
    );
    assert!(text.iter().any(|l| l.contains("job #17")), "{text:#?}");
}

fn positions(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn every_init_is_followed_by_chinese_mode() {
    for doc in [
        kitchen_doc(true),
        JobDoc::Drawer,
        JobDoc::Receipt {
            state: Box::new(paid_in_cash()),
            copy: false,
        },
    ] {
        let bytes = render_doc(&doc, &info(1), &profile("generic-80"), &shop()).expect("renders");
        let inits = positions(&bytes, &[0x1B, 0x40]);
        assert!(!inits.is_empty());
        for i in inits {
            assert_eq!(
                &bytes[i + 2..i + 4],
                &[0x1C, 0x26],
                "ESC @ at {i} without FS &"
            );
        }
        assert!(
            !has_four_byte_gb18030(&bytes),
            "a 4-byte GB18030 sequence went out"
        );
    }
}

#[test]
fn the_receipt_qr_is_model_2_with_the_lookup_link() {
    let doc = JobDoc::Receipt {
        state: Box::new(paid_in_cash()),
        copy: false,
    };
    let bytes = render_doc(&doc, &info(1), &profile("generic-80"), &shop()).expect("renders");
    assert_eq!(
        positions(&bytes, &[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32]).len(),
        1
    );
    let text = decode(&bytes);
    assert!(
        text.contains(&"[QR model2: https://m.example.cn/o/S001/WX20261125-000123]".to_string()),
        "{text:#?}"
    );
}

#[test]
fn the_drawer_gets_the_full_five_byte_pulse() {
    let bytes =
        render_doc(&JobDoc::Drawer, &info(1), &profile("generic-80"), &shop()).expect("renders");
    assert_eq!(positions(&bytes, &[0x1B, 0x70, 0x00, 0x19, 0xFA]).len(), 1);
    assert_eq!(decode(&bytes), vec!["[DRAWER pin2 50ms/500ms]"]);
}

#[test]
fn a_printer_without_a_cutter_gets_no_cut() {
    let bytes = render_doc(
        &kitchen_doc(false),
        &info(1),
        &profile("generic-58-nocut"),
        &shop(),
    )
    .expect("renders");
    assert!(positions(&bytes, &[0x1D, b'V']).is_empty());
}

fn mixed_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 ,.+-]{1,12}",
        prop::sample::select(vec![
            "宫保鸡丁",
            "红烧",
            "牛肉面",
            "加辣",
            "￥",
            "·",
            "𠮷",
            "🍜",
            "¥",
            "酸菜鱼"
        ])
        .prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 1..12).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn every_laid_out_line_fits_the_columns_exactly(
        name in mixed_text(),
        note in mixed_text(),
        modifier in mixed_text(),
        qty in 1u32..200,
        cols in prop::sample::select(vec![32usize, 42, 48]),
    ) {
        let mut order = lunch_order();
        order.items[0].name = name;
        order.items[0].qty = qty;
        order.items[0].note = note.clone();
        let modifier_again = modifier.clone();
        order.items[0].modifiers = vec![modifier];
        order.note = note;
        let state = OrderState::new(order.clone(), 1, order.placed_at);
        let docs = [
            JobDoc::Kitchen { order: order.clone(), station: "hot".into(), lines: vec![1, 2, 3, 4], addon: true, fired_at: order.placed_at },
            JobDoc::Receipt { state: Box::new(state), copy: false },
            JobDoc::Reprint {
                of_job: 12,
                original_at: order.placed_at,
                possible_duplicate: true,
                doc: Box::new(JobDoc::Cancel { order: order.clone(), station: "hot".into(), lines: vec![1], reason: modifier_again }),
            },
        ];
        for doc in &docs {
            for b in layout(doc, &info(9), &shop(), cols, Charset::CHINESE) {
                if let Block::Line { text, size, .. } = b {
                    prop_assert_eq!(width(&text), cols / usize::from(size), "{:?}", text);
                }
            }
        }
    }
}

#[test]
fn the_screen_preview_is_the_decoded_ticket() {
    let job = JobRecord {
        job: 5,
        printer: "counter".into(),
        doc: JobDoc::Text {
            title: "交班报表 Z-REPORT".into(),
            lines: vec!["现金 Cash ￥1,234.00".into(), "失败 BANKERROR x3".into()],
        },
        event_id: 0,
        created_at: at("2026-11-25T22:00:00+08:00"),
        state: JobState::Queued,
        attempts: 0,
        interrupted: false,
        last_error: None,
        printed_at: None,
    };
    let lines = passline::print::preview_text(&job, &profile("xprinter-xp-58"));
    assert!(
        lines.iter().any(|l| l.contains("交班报表 Z-REPORT")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("现金 Cash ￥1,234.00")),
        "{lines:#?}"
    );
    assert_eq!(lines.last().map(String::as_str), Some("[CUT]"));
}

#[test]
fn a_printer_without_chinese_gets_question_marks_not_garbage() {
    let ascii = passline::print::profile::Profiles::from_texts(vec![
        (
            "generic-80.toml".into(),
            passline::print::profile::BUILTIN[0].1.into(),
        ),
        (
            "ascii.toml".into(),
            "name = \"ascii\"\ninherits = \"generic-80\"\n[chinese]\nencoding = \"none\"\n".into(),
        ),
    ])
    .expect("profiles");
    let p = ascii.get("ascii").expect("ascii profile");
    let bytes = render_doc(&kitchen_doc(false), &info(1), p, &shop()).expect("renders");
    assert!(bytes.iter().all(|b| *b < 0x80), "only ASCII goes out");
    assert!(
        positions(&bytes, &[0x1C, 0x26]).is_empty(),
        "no Chinese mode"
    );
    let text = decode(&bytes);
    assert!(text.iter().any(|l| l.contains("2x ????")), "{text:#?}");
}

#[test]
fn the_preview_of_a_printed_job_shows_it_as_printed_not_as_a_reprint() {
    use passline::store::{JobRecord, JobState};
    let order: passline::domain::Order = serde_json::from_value(serde_json::json!({
        "id": "WX-1", "pickup_no": "A001", "table": "3", "channel": "wechat_mini", "dining": "dine_in",
        "placed_at": "2026-11-25T12:01:05+08:00", "currency": "CNY", "amount_due": 3800, "note": "",
        "items": [{"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":1,"unit_price":3800,"station":"hot","modifiers":[],"note":""}]
    }))
    .expect("order");
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:02:00+08:00").expect("time");
    let mut job = JobRecord {
        job: 7,
        printer: "hot".into(),
        doc: passline::print::job::JobDoc::Kitchen {
            order,
            station: "hot".into(),
            lines: vec![1],
            addon: false,
            fired_at: at,
        },
        event_id: 3,
        created_at: at,
        state: JobState::Done,
        attempts: 1,
        interrupted: false,
        last_error: None,
        printed_at: Some(at),
    };
    let profile = passline::print::profile::Profile::builtin("generic-80").expect("profile");
    let text = passline::print::preview_text(&job, &profile).join("\n");
    assert!(!text.contains("REPRINT"), "{text}");
    // Sent twice (the first cut off): it printed with the mark.
    job.attempts = 2;
    job.interrupted = true;
    let text = passline::print::preview_text(&job, &profile).join("\n");
    assert!(text.contains("possible duplicate of #7"), "{text}");
}
