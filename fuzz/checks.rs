//! What each fuzz target checks, in one place: the targets in
//! `fuzz/fuzz_targets/` call these with libFuzzer's bytes, and
//! `tests/fuzz_findings.rs` replays the seeds and every finding through the
//! very same functions, so CI keeps exercising them. Each check calls the
//! crate's real entry point with the bytes (text as lossy UTF-8, which is the
//! bytes themselves when they are valid) and asserts a cheap invariant beyond
//! "no panic" where one exists. See docs/fuzzing.md.

use passline::config::Config;
use passline::counter::Menu;
use passline::feed::protocol::{self, ClientFrame, Decoded, ServerFrame, QUARANTINE_KEEP_BYTES};
use passline::print::decode;
use passline::print::layout::Block;
use passline::print::profile::{Profiles, BUILTIN};
use passline::print::render::render_blocks;
use passline::print::status::{dle_eot_answer, parse_dle_eot, PrinterState, PrinterStatus};
use passline::store::archive;
use passline::tui::theme::Theme;
use std::str::FromStr;

/// The feed's frame decoder: a frame it accepts reads back the same after the
/// console's own encoding; a quarantined one keeps a short raw copy and only
/// a seq that can be acknowledged (1 or more).
pub fn feed_frame(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match protocol::decode(&text) {
        Decoded::Frame(frame) => {
            if let ServerFrame::Event { seq, .. } = &frame {
                assert!(
                    *seq >= 1,
                    "an event frame is accepted only with seq 1 or more"
                );
            }
            let again = protocol::decode(&frame.to_text());
            assert_eq!(
                again,
                Decoded::Frame(frame),
                "a decoded frame must decode the same after encoding"
            );
        }
        Decoded::Quarantine(q) => {
            assert!(q.seq.is_none_or(|s| s >= 1), "quarantined seq {:?}", q.seq);
            // The raw copy is cut at QUARANTINE_KEEP_BYTES plus a short "…[N bytes in all]".
            assert!(
                q.raw.len() <= QUARANTINE_KEEP_BYTES + 64,
                "raw copy too long"
            );
            assert!(!q.error.is_empty(), "a quarantine says why");
        }
    }
    // A report body the platform echoes back: read, written, read again the same.
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        if let Ok(report) = ClientFrame::parse_report(&value) {
            let written = serde_json::to_value(&report).expect("a report serializes");
            assert_eq!(ClientFrame::parse_report(&written), Ok(report));
        }
    }
}

/// The ESC/POS decoder: every output string is one printed line (no line
/// break inside), and there are never more lines than input bytes.
pub fn escpos_decode(data: &[u8]) {
    let lines = decode::decode(data);
    assert!(
        lines.len() <= data.len(),
        "{} lines from {} bytes",
        lines.len(),
        data.len()
    );
    for line in &lines {
        assert!(
            !line.contains('\n'),
            "a decoded line holds a line break: {line:?}"
        );
    }
    let _ = decode::has_four_byte_gb18030(data);
}

/// The printer status parser (`DLE EOT 1/2/4` answers): an unreadable first
/// answer is an error; a state it reads is read again from the answers a
/// printer in that state gives; the screen words never panic.
pub fn printer_status(data: &[u8]) {
    let Some(&printer) = data.first() else {
        return;
    };
    let cause = data.get(1).copied();
    let paper = data.get(2).copied();
    let state = parse_dle_eot(printer, cause, paper);
    if printer & 0x93 != 0x12 {
        assert!(
            matches!(state, PrinterState::Error(_)),
            "unreadable {printer:#04x} read as {state:?}"
        );
    }
    if matches!(
        state,
        PrinterState::Online | PrinterState::PaperOut | PrinterState::CoverOpen
    ) {
        let again = parse_dle_eot(
            dle_eot_answer(&state, 1),
            Some(dle_eot_answer(&state, 2)),
            Some(dle_eot_answer(&state, 4)),
        );
        assert_eq!(again, state, "answers of {state:?} read back differently");
    }
    // Only the first answer: never paper out or cover open.
    let alone = parse_dle_eot(printer, None, None);
    assert!(matches!(
        alone,
        PrinterState::Online | PrinterState::Error(_)
    ));
    let line = PrinterStatus {
        name: "hot".into(),
        label: "厨房打印机".into(),
        state: state.clone(),
        queued: 0,
        last_error: None,
        since: None,
    }
    .line();
    assert!(!line.is_empty() && !state.words().is_empty());
}

/// The config loader: a config that loads checks again without error, and
/// written back as TOML it loads as the same config.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(c) = Config::parse(&text, "config.toml") else {
        return;
    };
    assert_eq!(
        c.check(&text, "config.toml"),
        vec![],
        "loaded, then refused"
    );
    let _ = (c.tz(), c.rules(), c.routes(), c.claimed_stations());
    let written = toml::to_string(&c).expect("a loaded config writes back as TOML");
    match Config::parse(&written, "written.toml") {
        Ok(again) => assert_eq!(again, c, "written back:\n{written}"),
        Err(e) => panic!("written back, refused: {e:?}\n{written}"),
    }
}

/// The theme loader: a theme that loads has colours that write back and read
/// as the same colours.
pub fn theme(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(t) = Theme::parse(&text, "fuzz.toml") else {
        return;
    };
    for c in [
        t.bg,
        t.fg,
        t.dim,
        t.accent,
        t.bar_bg,
        t.bar_fg,
        t.card_bg,
        t.card_fg,
        t.title_bg,
        t.title_fg,
        t.ok,
        t.warn,
        t.late,
        t.alert_bg,
        t.alert_fg,
        t.selected_bg,
        t.emphasis,
    ] {
        let written = c.to_string();
        assert_eq!(
            ratatui::style::Color::from_str(&written),
            Ok(c),
            "colour {c:?} written as {written:?}"
        );
    }
}

/// The counter's menu loader and its search: the first line is a typed
/// query, the rest a menu file. A menu that loads has positive prices, each
/// dish found by its sku, and a search returns at most what was asked.
pub fn menu(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (query, file) = text.split_once('\n').unwrap_or((&text, ""));
    let claimed = ["hot".to_string(), "cold".to_string()];
    for stations in [&[][..], &claimed[..]] {
        let Ok(m) = Menu::parse(file, "menu.toml", stations) else {
            continue;
        };
        for it in &m.items {
            assert!(it.price.is_positive(), "{} at {:?}", it.sku, it.price);
            assert!(it.category < m.categories.len());
            assert_eq!(m.by_sku(&it.sku).map(|x| &x.sku), Some(&it.sku));
        }
        assert!(m.search(query, 8).len() <= 8);
    }
    // The demo menu is parsed once per process, not once per input.
    static DEMO: std::sync::OnceLock<Menu> = std::sync::OnceLock::new();
    assert!(DEMO.get_or_init(Menu::demo).search(query, 8).len() <= 8);
}

/// The printer profile loader (a store's own `printers/*.toml`, beside the
/// shipped ones so `inherits` can name them): a profile that loads renders a
/// ticket with a QR code, a drawer kick and a cut, and the bytes decode.
pub fn printer_profile(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut files: Vec<(String, String)> = BUILTIN
        .iter()
        .map(|(f, t)| (format!("printers/{f}"), t.to_string()))
        .collect();
    files.push(("profiles/fuzz.toml".into(), text.into_owned()));
    let Ok(profiles) = Profiles::from_texts(files) else {
        return;
    };
    let blocks = [
        Block::Line {
            text: "A1 宫保鸡丁".into(),
            size: 2,
            bold: true,
            reverse: false,
        },
        Block::Qr("https://platform.example/o/WX1".into()),
        Block::Drawer,
        Block::Cut,
    ];
    let names: Vec<String> = profiles.names().map(str::to_string).collect();
    for name in names {
        let p = profiles.get(&name).expect("a listed profile is there");
        let bytes = render_blocks(&blocks, p)
            .unwrap_or_else(|e| panic!("profile {name} loads but cannot render: {e}"));
        let _ = decode::decode(&bytes);
    }
}

/// The archive's day-file reader (`store::archive::from_bytes`, which a
/// restore from a backup feeds files it did not write): the bytes as a whole
/// file, and the bytes after the first as the packed body of a file with a
/// good header and checksum (version 1 or 2 by the first byte's low bit), so
/// the fuzzer reaches the blocks and records behind the checksum. A file
/// that reads writes back to a file that reads the same.
pub fn archive_day(data: &[u8]) {
    let path = std::path::Path::new("fuzz.bin");
    let _ = archive::from_bytes(path, data);
    let Some((&v, packed)) = data.split_first() else {
        return;
    };
    let mut file: Vec<u8> = if v & 1 == 0 {
        b"PASSLINE-ARCHIVE 2\n".to_vec()
    } else {
        b"PASSLINE-ARCHIVE 1\n".to_vec()
    };
    let mut fnv: u64 = 0xcbf29ce484222325;
    for b in packed {
        fnv ^= u64::from(*b);
        fnv = fnv.wrapping_mul(0x100000001b3);
    }
    file.extend_from_slice(&(packed.len() as u64).to_be_bytes());
    file.extend_from_slice(&fnv.to_be_bytes());
    file.extend_from_slice(packed);
    match archive::from_bytes(path, &file) {
        Ok(recs) => {
            let again = archive::from_bytes(path, &archive::to_bytes(&recs))
                .expect("a day file archiving wrote reads back");
            assert_eq!(again, recs, "a day file reads back differently");
        }
        Err(e) => assert!(e.to_string().contains("damaged"), "{e}"),
    }
}

/// A frame a client sends the local API (docs/security.md): decoded as the
/// server decodes it; a frame that decodes encodes and decodes the same;
/// the access rules never let a kitchen screen carry a money or staff
/// command; a counter order is priced from the menu (never the client) and
/// its total is exact or refused, never wrapped.
pub fn api_frame(data: &[u8]) {
    use passline::api::access::{check, Session};
    use passline::api::message::ClientMsg;
    use passline::api::ScreenRole;
    use passline::domain::{Command, Fen, Item, MoneyLimits};
    let text = String::from_utf8_lossy(data);
    let Ok(msg) = serde_json::from_str::<ClientMsg>(&text) else {
        return;
    };
    let again: ClientMsg =
        serde_json::from_str(&serde_json::to_string(&msg).expect("a decoded frame encodes"))
            .expect("an encoded frame decodes");
    assert_eq!(again, msg, "a frame decodes differently after a round trip");
    let ClientMsg::Command {
        command, approval, ..
    } = msg
    else {
        return;
    };
    let kitchen = Session {
        role: ScreenRole::Kitchen,
        staff: command.staff_id().cloned(),
    };
    let money = matches!(
        *command,
        Command::Settle { .. }
            | Command::Void { .. }
            | Command::Refund { .. }
            | Command::ResolveDoublePayment { .. }
            | Command::CollectPayCode { .. }
            | Command::PlaceCounterOrder { .. }
            | Command::AddStaff { .. }
            | Command::SetPin { .. }
            | Command::UnlockPins { .. }
    );
    if money {
        assert!(
            check(&kitchen, &command, approval.is_some()).is_err(),
            "a kitchen screen carried {command:?}"
        );
    }
    let cashier = Session {
        role: ScreenRole::Cashier,
        staff: None,
    };
    let _ = check(&cashier, &command, approval.is_some());
    let _ = passline::engine::pins::pins_of(&command);
    if let Command::PlaceCounterOrder { ticket, .. } = *command {
        static MENU: std::sync::OnceLock<passline::counter::Menu> = std::sync::OnceLock::new();
        let menu = MENU.get_or_init(passline::counter::Menu::demo);
        if let Ok(items) = menu.price(&ticket) {
            for (it, line) in items.iter().zip(&ticket.items) {
                let dish = menu
                    .by_sku(&line.sku)
                    .expect("a priced line is on the menu");
                assert_eq!(it.unit_price, dish.price, "a line priced from the client");
            }
            let limits = MoneyLimits::default();
            let exact: i128 = items
                .iter()
                .map(|i| i128::from(i.unit_price.0) * i128::from(i.qty))
                .sum();
            match Fen::checked_sum(items.iter().map(Item::total)) {
                Ok(t) => assert_eq!(i128::from(t.0), exact),
                Err(_) => assert!(exact > i128::from(i64::MAX)),
            }
            if limits.check_items(&items).is_ok() {
                assert!(exact <= i128::from(limits.order_max.0));
            }
        }
    }
}

/// A backup file given to `restore` (a stick from anywhere): restored into
/// a fresh folder, it is refused with a message that says what is wrong, or
/// it restores into a store that opens and reads.
pub fn restore(data: &[u8]) {
    use passline::store::{backup, Store};
    static RUN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("passline-fuzz-restore-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("stick.bak");
    std::fs::write(&file, data).expect("write the backup");
    let data_dir = dir.join("data");
    let result = backup::restore(&file, &data_dir, 1 << 20);
    match result {
        Ok(_) => {
            let store = Store::open(&data_dir, 1 << 20).expect("a restored store opens");
            let _ = store.staff_records();
            let _ = store.open_orders();
            let _ = store.outbox_entries();
            let _ = store.cursor();
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
