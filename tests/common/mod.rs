//! Helpers shared by the integration tests: a store in a temp dir with an engine.
#![allow(dead_code)]

use passline::domain::*;
use passline::engine::{Engine, EngineConfig, EngineHandle, FixedClock};
use passline::print::route::Routes;
use passline::store::Store;
use std::sync::Arc;

pub struct TestStore {
    pub dir: tempfile::TempDir,
    pub engine: Option<Engine>,
    pub clock: Arc<FixedClock>,
    pub rules: Rules,
    pub routes: Routes,
    /// The menu counter orders are priced from (the demo menu at first).
    pub menu: Option<Arc<passline::counter::Menu>>,
}

impl TestStore {
    pub fn new(rules: Rules) -> TestStore {
        Self::with_routes(rules, Routes::default())
    }

    pub fn with_routes(rules: Rules, routes: Routes) -> TestStore {
        Self::in_dir(tempfile::tempdir().expect("temp dir"), rules, routes)
    }

    /// An engine on a store already in `dir` (one a test wrote itself).
    pub fn with_dir(dir: tempfile::TempDir, rules: Rules) -> TestStore {
        Self::in_dir(dir, rules, Routes::default())
    }

    fn in_dir(dir: tempfile::TempDir, rules: Rules, routes: Routes) -> TestStore {
        let clock = Arc::new(FixedClock::at("2026-11-25T12:00:00+08:00"));
        let mut t = TestStore {
            dir,
            engine: None,
            clock,
            rules,
            routes,
            menu: Some(Arc::new(passline::counter::Menu::demo())),
        };
        t.start();
        t
    }

    pub fn start(&mut self) {
        // Tasks that held an engine handle (an API server, a feed) may still
        // be finishing after a restart: wait for the store's lock, briefly.
        let mut tries = 0;
        let store = loop {
            match Store::open(self.dir.path(), 4 << 20) {
                Err(passline::store::StoreError::Locked { .. }) if tries < 50 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                other => break other.expect("open store"),
            }
        };
        let cfg = EngineConfig {
            rules: self.rules,
            routes: self.routes.clone(),
            tz: chrono_tz::Asia::Shanghai,
            clock: self.clock.clone(),
            menu: self.menu.clone(),
        };
        self.engine = Some(Engine::start(store, cfg).expect("start engine"));
    }

    pub fn restart(&mut self) {
        if let Some(e) = self.engine.take() {
            e.shutdown();
        }
        self.start();
    }

    pub fn h(&self) -> EngineHandle {
        self.engine.as_ref().expect("engine running").handle()
    }

    pub fn add_staff(&self, id: &str, name: &str, role: Role, pin: &str) {
        self.h()
            .execute_blocking(
                None,
                Command::AddStaff {
                    staff_id: id.into(),
                    name: name.into(),
                    role,
                    pin: pin.into(),
                },
            )
            .expect("add staff");
    }

    pub fn demo_staff(&self) {
        self.add_staff("01", "王芳", Role::Cashier, "1234");
        self.add_staff("21", "李强", Role::Kitchen, "2222");
        self.add_staff("90", "张经理", Role::Manager, "909090");
    }
}

pub fn order(id: &str, due: i64) -> Order {
    serde_json::from_value(serde_json::json!({
        "id": id, "pickup_no": "A001", "table": "12", "channel": "wechat_mini",
        "dining": "dine_in", "placed_at": "2026-11-25T12:01:05+08:00", "currency": "CNY",
        "amount_due": due, "note": "",
        "items": [
            {"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":1,"unit_price":due,"station":"hot",
             "modifiers":["少辣"],"note":""}
        ]
    }))
    .expect("valid order")
}

pub fn payment(id: &str, state: &str, amount: i64, tx: Option<&str>) -> PlatformEvent {
    serde_json::from_value(serde_json::json!({
        "kind": "payment.updated", "order_id": id, "channel": "wechat",
        "trade_state": state, "amount": amount, "transaction_id": tx,
        "error_code": null, "error_message": null, "at": "2026-11-25T12:02:00+08:00"
    }))
    .expect("valid payment")
}

/// Every record in the store's trees, decoded as its type, reads back the
/// same from the compact encoding and from the JSON older builds wrote, and
/// its JSON (what `export` and the API show) is the same either way. New
/// records are in the compact encoding. Returns how many were checked per tree.
pub fn every_record_reads_the_same_in_both_encodings(
    store: &Store,
) -> std::collections::BTreeMap<&'static str, usize> {
    use passline::store::{codec, decode, encode};
    fn check<T: serde::Serialize + serde::de::DeserializeOwned>(what: &str, stored: &[u8]) {
        // The log stays JSON until the writer's close-shift byte test reads
        // through `codec` (src/store/codec.rs).
        let compact = matches!(
            stored.first(),
            Some(&codec::FORMAT_CBOR | &codec::FORMAT_CBOR_LZ4)
        );
        assert_eq!(compact, what != "log", "{what} is in its encoding");
        let v: T = decode(stored).expect("a stored record decodes");
        let json = serde_json::to_value(&v).expect("as JSON");
        let from_json: T = decode(&codec::encode_json(&v)).expect("the JSON encoding decodes");
        let from_cbor: T = decode(&encode(&v)).expect("the compact encoding decodes");
        assert_eq!(
            serde_json::to_value(&from_json).expect("json"),
            json,
            "{what}"
        );
        assert_eq!(
            serde_json::to_value(&from_cbor).expect("json"),
            json,
            "{what}"
        );
    }
    let mut seen = std::collections::BTreeMap::new();
    let mut walk = |name: &'static str, tree: &sled::Tree, f: &dyn Fn(&[u8], &[u8])| {
        for kv in tree.iter() {
            let (k, v) = kv.expect("tree reads");
            f(&k, &v);
            *seen.entry(name).or_insert(0) += 1;
        }
    };
    walk("log", &store.log, &|_, v| check::<Event>("log", v));
    walk("orders", &store.orders, &|_, v| {
        check::<OrderState>("orders", v)
    });
    walk("outbox", &store.outbox, &|_, v| {
        check::<passline::store::OutboxEntry>("outbox", v)
    });
    walk("spool", &store.spool, &|_, v| {
        check::<passline::store::JobRecord>("spool", v)
    });
    walk("quarantine", &store.quarantine, &|_, v| {
        check::<passline::store::QuarantinedFrame>("quarantine", v)
    });
    walk("staff", &store.staff, &|_, v| {
        check::<passline::store::StaffRecord>("staff", v)
    });
    // An idempotency key's record as the writer keeps it (engine::writer::keys).
    #[derive(serde::Serialize, serde::Deserialize)]
    struct KeyRecord {
        command: String,
        at: chrono::DateTime<chrono::FixedOffset>,
        committed: passline::engine::Committed,
    }
    walk("idem", &store.idem, &|_, v| check::<KeyRecord>("idem", v));
    walk("meta", &store.meta, &|k, v| {
        if k.starts_with(b"shift/") {
            check::<passline::domain::shift::ShiftRecord>("shift", v)
        } else if k.starts_with(b"archive/") {
            check::<passline::store::archive::ArchivedDay>("archive index", v)
        }
    });
    seen
}
