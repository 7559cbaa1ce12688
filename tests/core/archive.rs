//! Business days move to the archive and read back the same: the day's
//! orders, its events, its reports, the export, a backup and its restore;
//! an archiving run cut off at any step loses and doubles nothing; a store
//! written before the archive existed (schema 1) still opens.

use crate::common;

use common::{order, payment, TestStore};
use passline::domain::*;
use passline::report;
use passline::store::archive::{self, FailPoint};
use passline::store::{backup, Store};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;
const DAY: &str = "2026-11-25";

/// A lunch on 2026-11-25: a shift, `n` orders paid online and bumped
/// (closed), one left unpaid (open), and the shift closed.
fn lunch(t: &TestStore, n: u32) {
    t.demo_staff();
    let h = t.h();
    h.execute_blocking(
        None,
        Command::OpenShift {
            staff_id: "01".into(),
            pin: None,
            float: Fen(20000),
        },
    )
    .expect("shift opens");
    let mut seq = 0;
    for i in 1..=n {
        let id = format!("WX-{i:03}");
        for event in [
            PlatformEvent::OrderPlaced {
                order: order(&id, 5600),
            },
            payment(&id, "SUCCESS", 5600, Some(&format!("4200{i:06}"))),
        ] {
            seq += 1;
            h.execute_blocking(None, Command::Platform { seq, event })
                .expect("platform event");
        }
        h.execute_blocking(
            None,
            Command::Bump {
                order_id: id.as_str().into(),
                staff_id: "21".into(),
                line: None,
            },
        )
        .expect("bumped");
    }
    seq += 1;
    h.execute_blocking(
        None,
        Command::Platform {
            seq,
            event: PlatformEvent::OrderPlaced {
                order: order("WX-OPEN", 3000),
            },
        },
    )
    .expect("an unpaid order");
    h.execute_blocking(
        None,
        Command::CloseShift {
            staff_id: "01".into(),
            approval: Approval {
                staff_id: "90".into(),
                pin: "909090".into(),
            },
            count: DrawerCount::default(),
            confirm_open_issues: true,
        },
    )
    .expect("shift closes");
}

/// Everything a reader can see of the history, to compare before and after.
#[derive(Debug, PartialEq)]
struct History {
    day_orders: Vec<String>,
    events: Vec<Event>,
    all_orders: Vec<OrderState>,
    day_report: String,
    z_report: String,
}

fn history(store: &Store) -> History {
    let mut day_orders: Vec<String> = store
        .orders_on(DAY)
        .expect("orders_on")
        .iter()
        .map(|o| serde_json::to_string(o).expect("json"))
        .collect();
    day_orders.sort();
    let mut all_orders: Vec<OrderState> = store
        .all_orders()
        .collect::<Result<_, _>>()
        .expect("all orders");
    all_orders.sort_by(|a, b| a.order.id.cmp(&b.order.id));
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        // Small pages: a reader catching up crosses file and log boundaries.
        let page = store.events_after(after, 7).expect("events_after");
        let Some(last) = page.last() else { break };
        after = last.id;
        events.extend(page);
    }
    History {
        day_orders,
        events,
        all_orders,
        day_report: format!("{:?}", report::day_report(store, DAY, TZ).expect("day")),
        z_report: format!("{:?}", report::z_report(store, None).expect("z")),
    }
}

/// Compares two views field by field, so a failure names what differs.
#[track_caller]
fn same(a: &History, b: &History, when: &str) {
    assert_eq!(a.day_orders, b.day_orders, "orders_on, {when}");
    assert_eq!(a.events.len(), b.events.len(), "event count, {when}");
    assert_eq!(a.events, b.events, "events, {when}");
    assert_eq!(a.all_orders, b.all_orders, "all_orders, {when}");
    assert_eq!(a.day_report, b.day_report, "day report, {when}");
    assert_eq!(a.z_report, b.z_report, "z report, {when}");
}

fn three_days_later(t: &TestStore) {
    t.clock.advance(chrono::Duration::days(3));
}

/// Writes the lunch's day file and returns its live deletes in steps of
/// `keys`, none committed yet.
fn planned_steps(t: &TestStore, keys: usize) -> Vec<archive::Plan> {
    t.h()
        .store()
        .prepare_archive("2026-11-27", TZ, None)
        .expect("prepare")
        .expect("a day to archive")
        .steps(keys)
}

/// The day file a clean run writes for a lunch of `n` orders, to compare
/// with runs that were cut off.
fn clean_day_file(n: u32) -> Vec<u8> {
    let t = TestStore::new(Rules::default());
    lunch(&t, n);
    three_days_later(&t);
    t.h().archive(2).expect("archive");
    std::fs::read(archive::day_path(&t.h().store().path, DAY)).expect("day file")
}

#[test]
fn a_closed_day_moves_to_the_archive_and_reads_back_the_same() {
    let mut t = TestStore::new(Rules::default());
    lunch(&t, 12);
    let before = history(t.h().store());
    assert_eq!(before.day_orders.len(), 13);

    // Still inside the two live days: nothing moves.
    assert!(t.h().archive(2).expect("archive").is_empty());
    three_days_later(&t);
    let days = t.h().archive(2).expect("archive");
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(days[0].date, DAY);
    assert_eq!(days[0].orders, 12, "the unpaid order stays live");
    assert_eq!(days[0].events, before.events.len() as u64);

    {
        let h = t.h();
        let store = h.store();
        assert!(archive::day_path(&store.path, DAY).exists());
        assert_eq!(store.log.len(), 0, "the live log holds no archived event");
        assert_eq!(store.orders.len(), 1, "only the open order is live");
        same(&history(store), &before, "after archiving");
    }

    // A restart reads the same, and the open order is still on the board.
    t.restart();
    same(&history(t.h().store()), &before, "after a restart");
    assert!(t.h().board().contains_key(&OrderId::from("WX-OPEN")));
    // Running again finds nothing more to do.
    assert!(t.h().archive(2).expect("archive").is_empty());

    // New events continue the ids after the archived ones.
    let c = t
        .h()
        .execute_blocking(
            None,
            Command::Platform {
                seq: 26,
                event: payment("WX-OPEN", "SUCCESS", 3000, Some("4200999999")),
            },
        )
        .expect("late payment");
    assert_eq!(c.events[0].id, before.events.len() as u64 + 1);
    let all = t.h().events_after(0, 10_000).expect("events");
    assert_eq!(all.len(), before.events.len() + c.events.len());
    assert!(all.windows(2).all(|w| w[1].id == w[0].id + 1));
}

#[test]
fn an_archiving_run_cut_off_at_any_step_loses_and_doubles_nothing() {
    let clean = clean_day_file(5);
    for fail in [FailPoint::AfterTempFile, FailPoint::AfterRename] {
        let mut t = TestStore::new(Rules::default());
        lunch(&t, 5);
        let before = history(t.h().store());
        three_days_later(&t);
        let err = t
            .h()
            .store()
            .prepare_archive("2026-11-27", TZ, Some(fail))
            .expect_err("stopped");
        assert!(err.to_string().contains("injected"), "{err}");
        // As after a crash: the engine restarts on what is on disk.
        t.restart();
        same(&history(t.h().store()), &before, &format!("after {fail:?}"));
        assert!(t.h().store().archived_days().expect("index").is_empty());
        let days = t.h().archive(2).expect("archive again");
        assert_eq!(days.len(), 1);
        same(
            &history(t.h().store()),
            &before,
            &format!("re-archived after {fail:?}"),
        );
        let path = archive::day_path(&t.h().store().path, DAY);
        assert_eq!(
            std::fs::read(&path).expect("day file"),
            clean,
            "after {fail:?} the same file as a clean run"
        );
        assert!(!path.with_extension("bin.tmp").exists() || fail == FailPoint::AfterTempFile);
    }
}

#[test]
fn a_day_cut_off_between_steps_reads_whole_and_finishes_the_same() {
    // 40 orders make about 200 live records: steps of 16 give a dozen.
    let clean = clean_day_file(40);
    // Cut off after the first step, in the middle, and before the last
    // (events go first, so the last steps delete orders).
    for cut in [0.0, 0.5, 1.0] {
        let mut t = TestStore::new(Rules::default());
        lunch(&t, 40);
        let before = history(t.h().store());
        three_days_later(&t);
        let steps = planned_steps(&t, 16);
        assert!(steps.len() > 8, "{} steps", steps.len());
        let done = 1 + ((steps.len() - 2) as f64 * cut) as usize;
        if cut == 1.0 {
            assert!(steps[done - 1].events.is_empty(), "cut among the orders");
        }
        for step in &steps[..done] {
            t.h().store().commit_archive(step).expect("one step");
        }
        {
            let h = t.h();
            let store = h.store();
            assert!(store.archived_through().expect("through") > 0);
            assert!(
                !store.log.is_empty() || store.orders.len() > 1,
                "part of the day is still live"
            );
            same(&history(store), &before, &format!("after {done} steps"));
        }
        // As after a crash: the engine restarts on what is on disk, and
        // the next run finishes the day.
        t.restart();
        same(
            &history(t.h().store()),
            &before,
            &format!("restarted after {done} steps"),
        );
        let days = t.h().archive(2).expect("archive the rest");
        assert_eq!(days.len(), 1, "{days:?}");
        assert_eq!(days[0].orders, 40);
        let h = t.h();
        let store = h.store();
        assert_eq!(store.log.len(), 0, "after {done} steps");
        assert_eq!(store.orders.len(), 1, "only the open order is live");
        same(
            &history(store),
            &before,
            &format!("finished after {done} steps"),
        );
        assert_eq!(
            std::fs::read(archive::day_path(&store.path, DAY)).expect("day file"),
            clean,
            "after {done} steps the same file as a clean run"
        );
    }
}

#[test]
fn an_order_that_changes_between_steps_stays_live_and_is_archived_later() {
    let t = TestStore::new(Rules::default());
    lunch(&t, 3);
    three_days_later(&t);
    let steps = planned_steps(&t, 4);
    let (events_only, rest): (Vec<_>, Vec<_>) =
        steps.into_iter().partition(|s| s.orders.is_empty());
    for step in &events_only {
        t.h().store().commit_archive(step).expect("event steps");
    }
    // A second payment for WX-001 arrives after its day's file was written.
    t.h()
        .execute_blocking(
            None,
            Command::Platform {
                seq: 8,
                event: payment("WX-001", "SUCCESS", 5600, Some("4200999001")),
            },
        )
        .expect("a second payment");
    let before = history(t.h().store());
    for step in &rest {
        t.h().store().commit_archive(step).expect("order steps");
    }
    let live = t.h().store().order(&OrderId::from("WX-001")).expect("read");
    assert!(live.is_some(), "the changed order stays live");
    same(&history(t.h().store()), &before, "after the steps");
}

#[test]
fn a_late_event_on_an_archived_day_is_read_once_and_archived_again() {
    let mut t = TestStore::new(Rules::default());
    lunch(&t, 3);
    three_days_later(&t);
    t.h().archive(2).expect("archive");
    // The open order is closed by the platform days later; once its new
    // day is over too, it joins its own date's file.
    t.h()
        .execute_blocking(
            None,
            Command::Platform {
                seq: 8,
                event: payment("WX-OPEN", "SUCCESS", 3000, Some("4200777777")),
            },
        )
        .expect("late payment");
    t.h()
        .execute_blocking(
            None,
            Command::Bump {
                order_id: "WX-OPEN".into(),
                staff_id: "21".into(),
                line: None,
            },
        )
        .expect("bumped");
    let before = history(t.h().store());
    assert_eq!(before.day_orders.len(), 4);
    three_days_later(&t);
    let days = t.h().archive(2).expect("archive");
    assert!(
        days.iter().any(|d| d.date == DAY && d.orders == 4),
        "{days:?}"
    );
    t.restart();
    let after = history(t.h().store());
    same(&after, &before, "re-archived");
    assert_eq!(t.h().store().orders.len(), 0);
}

#[test]
fn a_backup_carries_the_archive_and_restores_it() {
    let t = TestStore::new(Rules::default());
    lunch(&t, 6);
    three_days_later(&t);
    t.h().archive(2).expect("archive");
    let before = history(t.h().store());
    let out = tempfile::tempdir().expect("dir");
    let file = out.path().join("backup.plb");
    let n = backup::write(t.h().store(), &file).expect("backup");
    assert!(n > 0);

    let target = out.path().join("restored");
    backup::restore(&file, &target, 4 << 20).expect("restore");
    let store = Store::open(&target, 4 << 20).expect("open restored");
    assert!(archive::day_path(&target, DAY).exists());
    same(&history(&store), &before, "restored");

    // A damaged backup is refused before anything is touched.
    let mut bytes = std::fs::read(&file).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    let bad = out.path().join("bad.plb");
    std::fs::write(&bad, bytes).expect("write");
    let elsewhere = out.path().join("never");
    assert!(backup::restore(&bad, &elsewhere, 4 << 20).is_err());
    assert!(!elsewhere.exists());
}

#[test]
fn a_store_written_before_the_archive_opens_and_archives() {
    let mut t = TestStore::new(Rules::default());
    lunch(&t, 4);
    let before = history(t.h().store());
    // Mark it as the previous build left it: schema 1, JSON records.
    if let Some(e) = t.engine.take() {
        e.shutdown();
    }
    {
        let s = Store::open(t.dir.path(), 4 << 20).expect("open");
        s.meta
            .insert("schema", &1u64.to_be_bytes())
            .expect("schema 1");
        s.flush().expect("flush");
    }
    t.start();
    let h = t.h();
    let store = h.store();
    assert_eq!(store.meta_u64("schema").expect("schema"), 2);
    same(&history(store), &before, "after archiving");
    three_days_later(&t);
    assert_eq!(t.h().archive(2).expect("archive").len(), 1);
    same(&history(t.h().store()), &before, "after a restart");
}

#[test]
fn compacting_the_live_store_keeps_everything_and_a_cut_off_swap_finishes() {
    let mut t = TestStore::new(Rules::default());
    lunch(&t, 6);
    three_days_later(&t);
    t.h().archive(2).expect("archive");
    let before = history(t.h().store());
    if let Some(e) = t.engine.take() {
        e.shutdown();
    }
    passline::store::compact::compact(t.dir.path()).expect("compact");
    t.start();
    same(&history(t.h().store()), &before, "after compacting");
    // Cut off after the old files moved out: the copy is complete, the next
    // open moves it in.
    if let Some(e) = t.engine.take() {
        e.shutdown();
    }
    let dir = t.dir.path().to_path_buf();
    let dir = dir.as_path();
    {
        let fresh = dir.join(".compact");
        let old = Store::open(dir, 4 << 20).expect("open");
        let new = sled::open(&fresh).expect("fresh");
        new.import(old.db.export());
        new.flush().expect("flush");
    }
    std::fs::create_dir_all(dir.join(".compact-old")).expect("dir");
    for entry in std::fs::read_dir(dir).expect("dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if ["conf", "db", "blobs"].contains(&name.as_str()) || name.starts_with("snap.") {
            std::fs::rename(dir.join(&name), dir.join(".compact-old").join(&name)).expect("move");
        }
    }
    std::fs::write(dir.join("compact-swap"), "in").expect("marker");
    t.start();
    same(&history(t.h().store()), &before, "after a cut-off swap");
    assert!(!dir.join("compact-swap").exists());
}

#[test]
fn a_late_cancellation_of_an_archived_closed_order_finds_it_and_cancels_it() {
    let mut t = TestStore::new(Rules::default());
    lunch(&t, 3);
    three_days_later(&t);
    t.h().archive(2).expect("archive");
    // A restart forgets every closed order: only the archive has WX-001.
    t.restart();
    assert!(t.h().store().orders.get("WX-001").expect("read").is_none());
    t.h()
        .execute_blocking(
            None,
            Command::Platform {
                seq: 8,
                event: PlatformEvent::OrderCancelled {
                    order_id: "WX-001".into(),
                    reason: "顾客取消".into(),
                },
            },
        )
        .expect("late cancellation");
    assert!(
        t.h().quarantined().expect("quarantine").is_empty(),
        "the late cancellation was quarantined"
    );
    let st = t
        .h()
        .order(&"WX-001".into())
        .expect("read")
        .expect("the order is live again");
    assert_eq!(st.kitchen(), Kitchen::Cancelled);
    let on_day = t.h().store().orders_on(DAY).expect("orders_on");
    let o = on_day
        .iter()
        .find(|o| o.order.id.0 == "WX-001")
        .expect("still on its day");
    assert_eq!(o.kitchen(), Kitchen::Cancelled);
    // Once the day is archived again it holds the cancelled order.
    three_days_later(&t);
    t.h().archive(2).expect("archive again");
    t.restart();
    let o = t
        .h()
        .store()
        .orders_on(DAY)
        .expect("orders_on")
        .into_iter()
        .find(|o| o.order.id.0 == "WX-001")
        .expect("archived again");
    assert_eq!(o.kitchen(), Kitchen::Cancelled);
}
