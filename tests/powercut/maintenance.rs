//! Power cuts inside the maintenance work: archiving (by `serve` at start),
//! `compact`, `backup` and `restore`, each run by the real binary with the
//! power going just before a random one of its disk operations.

use crate::common;
use crate::disk::Disk;
use crate::{env, mount_disk};
use passline::domain::{Command, PlatformEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

const OLD_DAY_ORDERS: u32 = 150;

/// A store whose history is an old business day (2026-11-25): paid and
/// bumped orders that the console's archivist moves to the archive at start.
fn old_day_store() -> common::TestStore {
    let mut t = common::TestStore::new(passline::domain::Rules::default());
    t.demo_staff();
    let h = t.h();
    let mut seq = 0;
    for i in 1..=OLD_DAY_ORDERS {
        let id = format!("WX-{i:04}");
        for event in [
            PlatformEvent::OrderPlaced {
                order: common::order(&id, 1200 + i64::from(i)),
            },
            common::payment(
                &id,
                "SUCCESS",
                1200 + i64::from(i),
                Some(&format!("4200{i:06}")),
            ),
        ] {
            seq += 1;
            h.execute_blocking(None, Command::Platform { seq, event })
                .expect("a platform event");
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
    if let Some(e) = t.engine.take() {
        e.shutdown();
    }
    t
}

/// Copies a folder onto the disk and makes the copy durable.
fn copy_durably(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("the copy's folder");
    for entry in std::fs::read_dir(from).expect("read the folder") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("its type").is_dir() {
            copy_durably(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
    passline::store::durable::sync_tree(to).expect("sync the copy");
    passline::store::durable::sync_dir(to.parent().expect("a parent")).expect("sync its parent");
}

/// A console's config with its store at `data`, its feed nowhere (the
/// maintenance runs need none) and no printers.
fn maintenance_config(dir: &Path, data: &Path) -> PathBuf {
    let api = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port");
    let text = format!(
        "[store]\nid = \"S001\"\nname = \"老王川菜\"\ndata_dir = \"{}\"\ntimezone = \"Asia/Shanghai\"\nkeep_days_live = 2\n\n\
         [feed]\nurl = \"ws://127.0.0.1:9/v1/stores/S001/feed\"\ntoken = \"t\"\n\n[api]\nlisten = \"{api}\"\n\n\
         [log]\ndir = \"{}\"\n",
        data.display(),
        dir.join("logs").display()
    );
    let path = dir.join(format!(
        "config-{}.toml",
        data.file_name().expect("a name").to_string_lossy()
    ));
    std::fs::write(&path, text).expect("write the config");
    path
}

fn passline(config: &Path, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_passline"));
    c.arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// `passline ARGS` to its end, with the power going just before the disk's
/// `cut_at`-th operation from now (None: no cut); `linger` keeps a `serve`
/// running that long. The power is back on when this returns; the count of
/// the disk's operations it did, and whether the power went.
fn run_with_cut(
    disk: &Disk,
    config: &Path,
    args: &[&str],
    cut_at: Option<u64>,
    linger: Duration,
) -> (u64, bool) {
    let before = disk.mutating_ops();
    if let Some(n) = cut_at {
        disk.cut_after_ops(n);
    }
    let mut child = passline(config, args).spawn().expect("start passline");
    let until = std::time::Instant::now() + linger.max(Duration::from_secs(60));
    let started = std::time::Instant::now();
    loop {
        if disk.is_dead() || std::time::Instant::now() > until {
            break;
        }
        if !linger.is_zero() && started.elapsed() >= linger {
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    if !disk.is_dead() && !linger.is_zero() {
        // A clean stop, during which the armed cut may still come: it
        // must stop either way (a failing disk must not hang it).
        // SAFETY: our own child, not yet waited.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let stop_by = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if disk.is_dead() || matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            if std::time::Instant::now() > stop_by {
                let _ = child.kill();
                panic!("passline {args:?} did not stop within 20 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let cut = disk.is_dead();
    if cut {
        // The power is out: whatever the program does now, nothing lands.
        let _ = child.kill();
        let _ = child.wait();
        disk.power_on();
    } else if !linger.is_zero() {
        let _ = child.wait();
    } else {
        let out = child.wait_with_output().expect("its output");
        assert!(
            out.status.success(),
            "passline {args:?} failed without a cut: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Disarm a cut that the run did not reach.
    disk.disarm();
    (disk.mutating_ops().saturating_sub(before), cut)
}

/// `export --events` and `--json` of a stopped store: it must open.
fn export(config: &Path) -> (String, String) {
    let one = |what: &str| {
        let out = passline(config, &["export", what])
            .output()
            .expect("run export");
        assert!(
            out.status.success(),
            "the store does not open after a cut: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    (one("--events"), one("--json"))
}

#[test]
fn power_cuts_in_archiving_compaction_backup_and_restore_leave_a_store_that_opens_whole() {
    let trials: u64 = env("PASSLINE_POWERCUT_OPS_TRIALS", 4);
    let dir = tempfile::Builder::new()
        .prefix("passline-powercut-ops-")
        .tempdir()
        .expect("a temp dir");
    let disk = mount_disk(dir.path());
    let mut rng = StdRng::seed_from_u64(env("PASSLINE_POWERCUT_SEED", 1));
    let old = old_day_store();
    let data = disk.mountpoint().join("data");
    copy_durably(old.dir.path(), &data);
    let config = maintenance_config(dir.path(), &data);
    let before = export(&config);
    let mut cut_runs = 0;

    // Archiving: `serve` moves the old day to the archive at start. Its span
    // is measured on a copy, then the power goes at random points in it.
    let probe = disk.mountpoint().join("probe");
    copy_durably(old.dir.path(), &probe);
    let probe_config = maintenance_config(dir.path(), &probe);
    let (span, _) = run_with_cut(
        &disk,
        &probe_config,
        &["serve"],
        None,
        Duration::from_secs(4),
    );
    assert!(
        passline::store::archive::files(&probe).is_ok_and(|f| !f.is_empty()),
        "serve did not archive the old day"
    );
    for _ in 0..trials {
        let (_, cut) = run_with_cut(
            &disk,
            &config,
            &["serve"],
            Some(rng.gen_range(1..=span)),
            Duration::from_secs(4),
        );
        cut_runs += u32::from(cut);
        assert!(
            export(&config) == before,
            "a cut in archiving changed the history"
        );
    }
    run_with_cut(&disk, &config, &["serve"], None, Duration::from_secs(4));
    assert!(
        passline::store::archive::files(&data).is_ok_and(|f| !f.is_empty()),
        "archiving did not finish after the cuts"
    );
    assert!(export(&config) == before, "archiving changed the history");

    // Compaction, a backup and a restore: each once whole to learn its
    // span, then cut at random points.
    for (what, args) in [
        ("compaction", vec!["compact"]),
        ("backup", vec!["backup", "--to", "BACKUP"]),
    ] {
        let backup = disk.mountpoint().join(format!("{what}.bak"));
        let args: Vec<&str> = args
            .iter()
            .map(|a| {
                if *a == "BACKUP" {
                    backup.to_str().expect("UTF-8 path")
                } else {
                    a
                }
            })
            .collect();
        let (span, _) = run_with_cut(&disk, &config, &args, None, Duration::ZERO);
        for _ in 0..trials {
            let (_, cut) = run_with_cut(
                &disk,
                &config,
                &args,
                Some(rng.gen_range(1..=span)),
                Duration::ZERO,
            );
            cut_runs += u32::from(cut);
            assert!(
                export(&config) == before,
                "a cut in {what} changed the history"
            );
            if backup.exists() {
                passline::store::backup::verify(&backup).unwrap_or_else(|e| {
                    panic!("a backup that exists after a cut must be whole: {e}")
                });
            }
        }
    }
    let backup = disk.mountpoint().join("backup.bak");
    let backup_arg = backup.to_str().expect("UTF-8 path");
    let staff_after_backup = |config: &Path| {
        let out = passline(
            config,
            &[
                "staff",
                "add",
                "--id",
                "77",
                "--name",
                "新来的",
                "--role",
                "cashier",
            ],
        )
        .env("PASSLINE_PIN", "7777")
        .output()
        .expect("staff add");
        // Still there when the cut came before the restore swapped.
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() || err.contains("already exists"),
            "{err}"
        );
    };
    staff_after_backup(&config);
    let (span, _) = run_with_cut(
        &disk,
        &config,
        &["restore", "--from", backup_arg],
        None,
        Duration::ZERO,
    );
    for _ in 0..trials {
        staff_after_backup(&config);
        let live = export(&config);
        let (_, cut) = run_with_cut(
            &disk,
            &config,
            &["restore", "--from", backup_arg],
            Some(rng.gen_range(1..=span)),
            Duration::ZERO,
        );
        cut_runs += u32::from(cut);
        // The live store as it was (with the staff added after the backup),
        // or the backup's; either way a store that opens whole.
        let now = export(&config);
        assert!(
            now == before || now == live,
            "a cut in a restore left neither the live store nor the backup"
        );
    }
    let stats = disk.stats();
    println!(
        "powercut ops: {cut_runs} cuts in archiving, compaction, backup and restore; fsyncs {}, bytes dropped {}",
        stats.fsyncs, stats.dropped_bytes
    );
}

#[test]
fn a_cut_while_serve_stops_still_lets_it_stop_and_the_store_opens() {
    let dir = tempfile::Builder::new()
        .prefix("passline-powercut-stop-")
        .tempdir()
        .expect("a temp dir");
    let disk = mount_disk(dir.path());
    let old = old_day_store();
    let data = disk.mountpoint().join("data");
    copy_durably(old.dir.path(), &data);
    let config = maintenance_config(dir.path(), &data);
    let before = export(&config);
    let mut child = passline(&config, &["serve"]).spawn().expect("start serve");
    // Up, and done archiving the old day.
    std::thread::sleep(Duration::from_secs(3));
    // The power goes at the stop's first write or sync.
    disk.cut_after_ops(1);
    // SAFETY: our own child, not yet waited.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let stop_by = std::time::Instant::now() + Duration::from_secs(20);
    while !matches!(child.try_wait(), Ok(Some(_))) {
        if std::time::Instant::now() > stop_by {
            let _ = child.kill();
            panic!("serve hung on a disk that failed while it stopped");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(disk.is_dead(), "the stop wrote nothing: the cut never came");
    disk.power_on();
    assert!(export(&config) == before, "the history changed");
}
