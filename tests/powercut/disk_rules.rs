//! The power-cut disk's own tests: through std::fs on a real FUSE mount,
//! what an fsync keeps, what a cut drops, and a real sled store on it.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::disk::{fuse_available, Disk};

/// A disk mounted on a fresh temporary folder; the disk goes first on drop.
struct Mounted {
    disk: Disk,
    _dir: tempfile::TempDir,
}

impl Mounted {
    fn path(&self, name: &str) -> PathBuf {
        self.disk.mountpoint().join(name)
    }

    /// Cut and power on again: what is left is what was durable.
    fn power_cycle(&self) {
        self.disk.cut();
        assert!(self.disk.is_dead(), "the cut leaves the disk dead");
        self.disk.power_on();
        assert!(!self.disk.is_dead(), "power_on brings it back");
    }
}

fn mounted() -> Mounted {
    if let Err(why) = fuse_available() {
        panic!("FUSE is not usable here, so the power-cut disk cannot be tested: {why}");
    }
    let dir = tempfile::tempdir().expect("a temporary mount point");
    let disk = Disk::mount(dir.path()).expect("mounting the power-cut disk");
    Mounted { disk, _dir: dir }
}

fn sync_dir(dir: &Path) {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .unwrap_or_else(|e| panic!("fsync of the folder {}: {e}", dir.display()));
}

/// Creates `path` with `bytes`, fsyncs it and its folder: fully durable.
fn write_durable(path: &Path, bytes: &[u8]) {
    let mut f = File::create(path).expect("creating the file");
    f.write_all(bytes).expect("writing the file");
    f.sync_all().expect("fsync of the file");
    drop(f);
    sync_dir(path.parent().expect("the file has a folder"));
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn is_eio<T: std::fmt::Debug>(result: std::io::Result<T>) -> bool {
    match result {
        Err(e) => e.raw_os_error() == Some(libc::EIO),
        Ok(v) => panic!("expected EIO, got Ok({v:?})"),
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("listing the folder")
        .map(|e| {
            e.expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn a_write_without_fsync_is_lost_at_a_cut() {
    let m = mounted();
    let p = m.path("a");
    let mut f = File::create(&p).expect("creating the file");
    sync_dir(m.disk.mountpoint());
    f.write_all(b"not durable").expect("writing");
    drop(f);
    assert_eq!(
        read(&p),
        b"not durable",
        "the write is visible before the cut"
    );
    m.power_cycle();
    assert_eq!(
        read(&p),
        b"",
        "the name was durable, the data never fsynced"
    );
    let stats = m.disk.stats();
    assert_eq!(stats.cuts, 1);
    assert!(
        stats.dropped_bytes >= 11,
        "dropped {} bytes",
        stats.dropped_bytes
    );
}

#[test]
fn a_fsynced_write_is_kept_with_its_size_when_the_name_is_durable() {
    let m = mounted();
    let p = m.path("kept");
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    write_durable(&p, &bytes);
    m.power_cycle();
    assert_eq!(fs::metadata(&p).expect("stat after the cut").len(), 10_000);
    assert_eq!(read(&p), bytes);
    let stats = m.disk.stats();
    assert!(stats.fsyncs >= 1 && stats.dir_fsyncs >= 1, "{stats:?}");
    assert_eq!(stats.bytes_written, 10_000);
}

#[test]
fn fdatasync_also_makes_the_data_durable() {
    let m = mounted();
    let p = m.path("data");
    let mut f = File::create(&p).expect("creating the file");
    sync_dir(m.disk.mountpoint());
    f.write_all(b"datasync").expect("writing");
    f.sync_data().expect("fdatasync");
    f.write_all(b" and more").expect("writing past the sync");
    drop(f);
    m.power_cycle();
    assert_eq!(read(&p), b"datasync");
}

#[test]
fn a_created_and_fsynced_file_is_gone_when_its_dir_was_not_synced() {
    let m = mounted();
    let p = m.path("orphan");
    let mut f = File::create(&p).expect("creating the file");
    f.write_all(b"synced data, unsynced name").expect("writing");
    f.sync_all().expect("fsync of the file");
    drop(f);
    m.power_cycle();
    assert!(!p.exists(), "the name was never made durable");
    assert!(names(m.disk.mountpoint()).is_empty());
    assert!(m.disk.stats().dropped_names >= 1);
}

#[test]
fn an_unsynced_rename_is_lost_and_the_old_name_keeps_the_old_content() {
    let m = mounted();
    let (old, new) = (m.path("old"), m.path("new"));
    write_durable(&old, b"old content");
    fs::rename(&old, &new).expect("rename");
    assert!(!old.exists() && new.exists());
    m.power_cycle();
    assert_eq!(read(&old), b"old content");
    assert!(!new.exists(), "the rename never reached the disk");
}

#[test]
fn a_synced_rename_is_kept() {
    let m = mounted();
    let (old, new) = (m.path("old"), m.path("new"));
    write_durable(&old, b"moved content");
    fs::rename(&old, &new).expect("rename");
    sync_dir(m.disk.mountpoint());
    m.power_cycle();
    assert!(!old.exists());
    assert_eq!(read(&new), b"moved content");
}

#[test]
fn temp_fsync_rename_fsync_dir_replaces_a_file_atomically() {
    let m = mounted();
    let target = m.path("hint");
    let tmp = m.path("hint.tmp");
    write_durable(&target, b"version 1");

    // Without the final folder fsync the old version comes back whole.
    let mut f = File::create(&tmp).expect("creating the temp file");
    f.write_all(b"version 2, longer")
        .expect("writing the temp file");
    f.sync_all().expect("fsync of the temp file");
    drop(f);
    fs::rename(&tmp, &target).expect("rename over the target");
    assert_eq!(read(&target), b"version 2, longer");
    m.power_cycle();
    assert_eq!(read(&target), b"version 1");
    assert!(!tmp.exists(), "the temp name was never durable");

    // With it, the new version is there whole.
    let mut f = File::create(&tmp).expect("creating the temp file");
    f.write_all(b"version 2, longer")
        .expect("writing the temp file");
    f.sync_all().expect("fsync of the temp file");
    drop(f);
    fs::rename(&tmp, &target).expect("rename over the target");
    sync_dir(m.disk.mountpoint());
    m.power_cycle();
    assert_eq!(read(&target), b"version 2, longer");
    assert_eq!(names(m.disk.mountpoint()), ["hint"]);
}

#[test]
fn an_unlink_without_dir_fsync_comes_back() {
    let m = mounted();
    let p = m.path("victim");
    write_durable(&p, b"still here");
    fs::remove_file(&p).expect("unlink");
    assert!(!p.exists());
    m.power_cycle();
    assert_eq!(read(&p), b"still here");
    fs::remove_file(&p).expect("unlink again");
    sync_dir(m.disk.mountpoint());
    m.power_cycle();
    assert!(!p.exists(), "a synced unlink is kept");
}

#[test]
fn a_new_subdirectory_is_gone_when_its_parent_was_not_synced() {
    let m = mounted();
    let sub = m.path("sub");
    fs::create_dir(&sub).expect("mkdir");
    write_durable(&sub.join("inner"), b"inner data");
    m.power_cycle();
    assert!(!sub.exists(), "the parent never recorded the new folder");

    fs::create_dir(&sub).expect("mkdir again");
    write_durable(&sub.join("inner"), b"inner data");
    sync_dir(m.disk.mountpoint());
    m.power_cycle();
    assert_eq!(read(&sub.join("inner")), b"inner data");
}

#[test]
fn a_removed_subdirectory_comes_back_with_its_durable_files() {
    let m = mounted();
    let sub = m.path("sub");
    fs::create_dir(&sub).expect("mkdir");
    write_durable(&sub.join("f"), b"f data");
    sync_dir(m.disk.mountpoint());
    fs::remove_file(sub.join("f")).expect("unlink");
    fs::remove_dir(&sub).expect("rmdir");
    m.power_cycle();
    assert_eq!(read(&sub.join("f")), b"f data");
}

#[test]
fn overwriting_part_of_a_synced_file_without_fsync_reverts_to_the_old_bytes() {
    let m = mounted();
    let p = m.path("pages");
    let old: Vec<u8> = (0..3 * 4096 + 100).map(|i| (i % 7) as u8 + b'a').collect();
    write_durable(&p, &old);
    let f = OpenOptions::new()
        .write(true)
        .open(&p)
        .expect("open for write");
    f.write_all_at(&[b'X'; 5000], 3000)
        .expect("overwrite across pages");
    f.write_all_at(b"tail", old.len() as u64 + 50)
        .expect("grow past the end");
    drop(f);
    assert_eq!(fs::metadata(&p).expect("stat").len(), old.len() as u64 + 54);
    m.power_cycle();
    assert_eq!(read(&p), old);
}

#[test]
fn a_truncate_without_fsync_reverts() {
    let m = mounted();
    let p = m.path("trunc");
    write_durable(&p, &[b'a'; 9000]);
    let f = OpenOptions::new()
        .write(true)
        .open(&p)
        .expect("open for write");
    f.set_len(10).expect("truncate");
    drop(f);
    assert_eq!(fs::metadata(&p).expect("stat").len(), 10);
    m.power_cycle();
    assert_eq!(read(&p), vec![b'a'; 9000]);
}

#[test]
fn a_shrink_and_regrow_then_fsync_keeps_zeros_not_the_old_bytes() {
    let m = mounted();
    let p = m.path("regrow");
    write_durable(&p, &[b'a'; 20_000]);
    let f = OpenOptions::new()
        .write(true)
        .open(&p)
        .expect("open for write");
    f.set_len(100).expect("shrink");
    f.set_len(9000).expect("grow again");
    f.write_all_at(b"b", 8500)
        .expect("write in the regrown part");
    f.sync_all().expect("fsync");
    drop(f);
    m.power_cycle();
    let mut want = vec![b'a'; 100];
    want.resize(8500, 0);
    want.push(b'b');
    want.resize(9000, 0);
    assert_eq!(read(&p), want);
}

#[test]
fn operations_while_dead_fail_with_eio_and_change_nothing() {
    let m = mounted();
    let p = m.path("f");
    write_durable(&p, b"durable");
    let mut open = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&p)
        .expect("open before the cut");
    m.disk.cut();
    let before = m.disk.mutating_ops();
    assert!(is_eio(open.write_all(b"while dead")));
    assert!(is_eio(open.sync_all()));
    assert!(is_eio(File::create(m.path("new"))));
    assert!(is_eio(fs::create_dir(m.path("newdir"))));
    assert!(is_eio(fs::remove_file(&p)));
    assert!(is_eio(fs::rename(&p, m.path("moved"))));
    assert!(is_eio(fs::metadata(&p)));
    assert!(is_eio(fs::read_dir(m.disk.mountpoint())));
    assert_eq!(m.disk.mutating_ops(), before, "failed ops are not counted");
    m.disk.power_on();
    assert_eq!(names(m.disk.mountpoint()), ["f"]);
    assert_eq!(read(&p), b"durable");
    // A handle opened before the cut stays dead after power-on.
    let mut buf = Vec::new();
    open.seek(SeekFrom::Start(0)).expect("seek");
    assert!(is_eio(open.read_to_end(&mut buf)));
    assert!(is_eio(open.write_all(b"late")));
    assert!(is_eio(open.set_len(0)), "ftruncate through the old handle");
    assert!(is_eio(open.sync_all()));
    drop(open);
    assert_eq!(read(&p), b"durable");
}

#[test]
fn cut_after_ops_cuts_exactly_before_the_nth_mutating_op() {
    let m = mounted();
    let p = m.path("counted");
    let mut f = File::create(&p).expect("creating the file");
    sync_dir(m.disk.mountpoint());
    let start = m.disk.mutating_ops();
    f.write_all(b"one").expect("write 1");
    f.sync_all().expect("fsync");
    assert_eq!(m.disk.mutating_ops(), start + 2, "a write and an fsync");

    m.disk.cut_after_ops(3);
    let armed = m.disk.mutating_ops();
    f.write_all(b"two").expect("op 1: write");
    f.sync_all().expect("op 2: fsync");
    assert!(!m.disk.is_dead());
    assert!(is_eio(f.write_all(b"three")), "op 3 meets the cut");
    assert!(m.disk.is_dead());
    assert_eq!(m.disk.mutating_ops(), armed + 3);
    drop(f);
    m.disk.power_on();
    assert_eq!(read(&p), b"onetwo", "op 3 was never applied");
    assert_eq!(m.disk.stats().cuts, 1);
}

#[test]
fn rename_noreplace_refuses_an_existing_target_and_exchange_is_einval() {
    let m = mounted();
    let (a, b) = (m.path("a"), m.path("b"));
    fs::write(&a, b"a").expect("write a");
    fs::write(&b, b"b").expect("write b");
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).expect("no NUL");
    let (ca, cb, cc) = (c(&a), c(&b), c(&m.path("c")));
    let renameat2 = |from: &std::ffi::CString, to: &std::ffi::CString, flags: u32| {
        // SAFETY: both paths are valid NUL-terminated strings.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                flags,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    let e = renameat2(&ca, &cb, libc::RENAME_NOREPLACE).expect_err("b exists");
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    let e = renameat2(&ca, &cb, libc::RENAME_EXCHANGE).expect_err("exchange unsupported");
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    renameat2(&ca, &cc, libc::RENAME_NOREPLACE).expect("a free target");
    fs::rename(m.path("c"), &b).expect("plain rename over an existing file");
    assert_eq!(names(m.disk.mountpoint()), ["b"]);
    assert_eq!(read(&b), b"a");
}

#[test]
fn flock_works_on_the_mount_and_statfs_reports_free_space() {
    let m = mounted();
    let p = m.path("lock");
    let first = File::create(&p).expect("create");
    let second = File::open(&p).expect("open again");
    // SAFETY: the descriptors are open for the calls' duration.
    unsafe {
        assert_eq!(
            libc::flock(first.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB),
            0
        );
        assert_eq!(
            libc::flock(second.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB),
            -1
        );
    }
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::EWOULDBLOCK)
    );
    drop(first);
    // SAFETY: as above.
    assert_eq!(
        unsafe { libc::flock(second.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0,
        "the lock is free once its holder closes"
    );
    let path = std::ffi::CString::new(m.disk.mountpoint().as_os_str().as_bytes()).expect("no NUL");
    // SAFETY: statvfs is plain data; the call fills it in.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and `st` is writable.
    assert_eq!(unsafe { libc::statvfs(path.as_ptr(), &mut st) }, 0);
    assert!(
        st.f_bavail as u64 * st.f_frsize as u64 > 1 << 40,
        "at least 1 TiB free"
    );
}

#[test]
fn an_unlinked_open_file_stays_readable_and_a_cut_renumbers_inodes_like_a_reboot() {
    use std::os::unix::fs::MetadataExt;
    let m = mounted();
    let p = m.path("stable");
    write_durable(&p, b"stable");
    let ino = fs::metadata(&p).expect("stat").ino();
    m.power_cycle();
    assert_ne!(fs::metadata(&p).expect("stat after the cut").ino(), ino);
    let mut f = File::open(&p).expect("open");
    fs::remove_file(&p).expect("unlink while open");
    let mut s = String::new();
    f.read_to_string(&mut s).expect("read the unlinked file");
    assert_eq!(s, "stable");
}

// ---- sled on the disk -------------------------------------------------------

const SLED_CHILD_ENV: &str = "POWERCUT_DISK_SLED_CHILD";

/// The sled writer, run as a child process by the sled tests (like the real
/// driver runs `passline serve`): opens the store, makes its names durable,
/// inserts, flushes (optionally fdatasyncs `db`), says READY (at the end of
/// libtest's "test sled_writer_child ... " line) and waits to
/// be killed.
#[test]
#[ignore = "a helper: the sled tests run it as a child process"]
fn sled_writer_child() {
    let Ok(spec) = std::env::var(SLED_CHILD_ENV) else {
        return;
    };
    let (mode, dir) = spec.split_once(':').expect("mode:dir");
    let dir = Path::new(dir);
    let db = sled::Config::new()
        .path(dir)
        .flush_every_ms(None)
        .open()
        .expect("opening sled on the disk");
    for name in ["db", "conf"] {
        File::open(dir.join(name))
            .and_then(|f| f.sync_all())
            .expect("fsync of the store's files after creation");
    }
    sync_dir(dir);
    sync_dir(dir.parent().expect("the store has a parent"));
    db.insert("before", "durable").expect("insert");
    db.flush().expect("flush");
    File::open(dir.join("db"))
        .and_then(|f| f.sync_data())
        .expect("fdatasync of db");
    db.insert("key", "value").expect("insert");
    db.flush().expect("flush");
    if mode == "fdatasync" {
        File::open(dir.join("db"))
            .and_then(|f| f.sync_data())
            .expect("fdatasync of db");
    }
    println!("READY");
    std::io::stdout().flush().expect("flush stdout");
    std::thread::sleep(Duration::from_secs(600));
}

/// Kills the sled writer if a test fails before it does.
struct Writer(Child);

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the sled writer in a child, then cuts as the driver does: SIGSTOP,
/// cut, SIGKILL, wait, power on.
fn run_sled_child_and_cut(m: &Mounted, dir: &Path, mode: &str) {
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Writer(
        Command::new(exe)
            .args([
                "--exact",
                "disk_rules::sled_writer_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SLED_CHILD_ENV, format!("{mode}:{}", dir.display()))
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawning the sled writer"),
    );
    let out = child.0.stdout.take().expect("the child's stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // libtest prints "test sled_writer_child ... " first, on the same line.
        let ready = BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.trim_end().ends_with("READY"));
        let _ = tx.send(ready);
    });
    let ready = rx.recv_timeout(Duration::from_secs(120)).unwrap_or(false);
    assert!(ready, "the sled writer did not get to READY");
    let pid = child.0.id() as libc::pid_t;
    // SAFETY: signalling our own child, which has not been reaped yet.
    assert_eq!(
        unsafe { libc::kill(pid, libc::SIGSTOP) },
        0,
        "SIGSTOP the writer"
    );
    m.disk.cut();
    child.0.kill().expect("SIGKILL the writer");
    child.0.wait().expect("reaping the writer");
    m.disk.power_on();
}

fn reopen(dir: &Path) -> sled::Db {
    sled::Config::new()
        .path(dir)
        .flush_every_ms(None)
        .open()
        .expect("sled reopens cleanly after the cut")
}

#[test]
fn sled_insert_and_flush_without_fdatasync_is_lost_at_a_cut() {
    let m = mounted();
    let dir = m.path("store");
    run_sled_child_and_cut(&m, &dir, "flush");
    let db = reopen(&dir);
    assert_eq!(
        db.get("before").expect("get").as_deref(),
        Some(&b"durable"[..])
    );
    assert_eq!(
        db.get("key").expect("get"),
        None,
        "sled's flush is not durable"
    );
}

#[test]
fn sled_insert_flush_and_fdatasync_of_db_survives_a_cut_and_reopens_cleanly() {
    let m = mounted();
    let dir = m.path("store");
    run_sled_child_and_cut(&m, &dir, "fdatasync");
    let db = reopen(&dir);
    assert_eq!(
        db.get("before").expect("get").as_deref(),
        Some(&b"durable"[..])
    );
    assert_eq!(db.get("key").expect("get").as_deref(), Some(&b"value"[..]));
    db.insert("after", "restart")
        .expect("insert after the restart");
    db.flush().expect("flush after the restart");
    drop(db);
    let db = reopen(&dir);
    assert_eq!(
        db.get("after").expect("get").as_deref(),
        Some(&b"restart"[..])
    );
}

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[test]
fn random_writes_truncates_fsyncs_and_cuts_match_a_whole_copy_model() {
    let m = mounted();
    let p = m.path("model");
    File::create(&p).expect("creating the file");
    sync_dir(m.disk.mountpoint());
    let mut rng = Lcg(0x5eed);
    let (mut live, mut durable): (Vec<u8>, Vec<u8>) = (Vec::new(), Vec::new());
    let open = |p: &Path| {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(p)
            .expect("open the model file")
    };
    let mut f = open(&p);
    for step in 0..600 {
        match rng.below(20) {
            0..=10 => {
                let offset = rng.below(60_000) as usize;
                let len = 1 + rng.below(9_000) as usize;
                let byte = (step % 250) as u8 + 1;
                f.write_all_at(&vec![byte; len], offset as u64)
                    .expect("write");
                if live.len() < offset + len {
                    live.resize(offset + len, 0);
                }
                live[offset..offset + len].fill(byte);
            }
            11..=13 => {
                let size = rng.below(70_000);
                f.set_len(size).expect("truncate");
                live.resize(size as usize, 0);
            }
            14..=17 => {
                f.sync_data().expect("fdatasync");
                durable.clone_from(&live);
            }
            18 => assert_eq!(read(&p), live, "live content at step {step}"),
            _ => {
                drop(f);
                m.power_cycle();
                live.clone_from(&durable);
                assert_eq!(read(&p), durable, "content after the cut at step {step}");
                f = open(&p);
            }
        }
    }
    assert!(m.disk.stats().cuts > 10);
}

#[test]
fn many_small_fdatasyncs_on_a_large_file_stay_cheap() {
    let m = mounted();
    let p = m.path("db");
    let size = 32 << 20;
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&p)
        .expect("creating the large file");
    sync_dir(m.disk.mountpoint());
    for chunk in 0..size / (1 << 20) {
        f.write_all_at(&[b'x'; 1 << 20], (chunk << 20) as u64)
            .expect("filling the file");
    }
    f.sync_data().expect("first fdatasync");
    let mut rng = Lcg(42);
    let rounds = 1000;
    let started = std::time::Instant::now();
    for i in 0..rounds {
        let offset = rng.below(size as u64 - 100);
        f.write_all_at(format!("{i:>8}").as_bytes(), offset)
            .expect("small write");
        f.sync_data().expect("fdatasync");
    }
    let took = started.elapsed();
    let stats = m.disk.stats();
    assert!(
        stats.fsyncs > rounds && stats.writes > rounds,
        "every write and fdatasync reached the disk: {stats:?}"
    );
    eprintln!(
        "{rounds} write+fdatasync pairs on a 32 MiB file: {took:?} ({:.0}/s)",
        rounds as f64 / took.as_secs_f64()
    );
    f.write_all_at(b"lost", 0).expect("a last unsynced write");
    drop(f);
    m.power_cycle();
    let back = read(&p);
    assert_eq!(back.len(), size);
    assert_eq!(&back[..4], b"xxxx", "the unsynced write is gone");
}

#[test]
fn a_rename_across_folders_is_durable_in_both_once_either_folder_is_synced() {
    let m = mounted();
    let (a, b) = (m.path("a"), m.path("b"));
    std::fs::create_dir(&a).expect("mkdir a");
    std::fs::create_dir(&b).expect("mkdir b");
    sync_dir(m.disk.mountpoint());
    write_durable(&a.join("f"), b"moved");
    sync_dir(&b);
    std::fs::rename(a.join("f"), b.join("f")).expect("rename");
    // Only the target folder is synced: the rename is whole, never both.
    sync_dir(&b);
    m.power_cycle();
    assert!(
        !a.join("f").exists(),
        "the old name must not come back beside the new one"
    );
    assert_eq!(std::fs::read(b.join("f")).expect("read"), b"moved");
}

#[test]
fn a_disarmed_cut_never_comes() {
    let m = mounted();
    m.disk.cut_after_ops(2);
    m.disk.disarm();
    for i in 0..5 {
        write_durable(&m.path(&format!("f{i}")), b"kept");
    }
    assert!(!m.disk.is_dead());
}
