//! Power cuts under the real `passline serve` (docs/reliability.md, "Power
//! cuts"). The console's data dir is on a FUSE filesystem that models a disk
//! cache strictly (`tests/powercut/disk.rs`): only what was fsynced (file
//! data) or whose folder was fsynced (names) survives a cut. The lunch is the
//! soak's: the simulator's late-success lunch over the chaos wire, a cashier
//! settling failed payments through `ctl`, a cook bumping, three printers.
//! At random moments the power goes: the console is frozen, everything its
//! disk had not made durable is dropped, it is killed, the power comes back
//! and it starts again on what survived. Half the cuts land at a random
//! point between two of the disk's operations (inside a commit, between its
//! write and its fsync). After every restart the store must open; at the
//! end the soak's checks must find nothing lost, doubled or printed twice
//! unmarked, no acknowledged seq forgotten and every settlement the cashier
//! was told about still there.
//!
//! `PASSLINE_POWERCUT_CUTS` (default 10; `scripts/powercut` runs 100+),
//! `PASSLINE_POWERCUT_EVERY` (mean seconds between cuts, default 2.5),
//! `PASSLINE_POWERCUT_SEED` (default 1).
//!
//! It also cuts the power in the middle of archiving, compaction, a backup
//! and a restore, run by the real binary.
//!
//! One test binary: the disk's own rules (`disk_rules`), the lunch
//! (`lunch`) and the maintenance work (`maintenance`).

#[path = "../common/mod.rs"]
mod common;
mod disk;
mod disk_rules;
mod lunch;
mod maintenance;
#[path = "../soak_support/mod.rs"]
mod soak_support;

use disk::{fuse_available, Disk};

pub fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not understood")),
        Err(_) => default,
    }
}

/// Mounts a fresh strict-cache disk at `<dir>/disk`, or fails the test with
/// what to install: this test must never pass by skipping.
pub fn mount_disk(dir: &std::path::Path) -> Disk {
    if let Err(why) = fuse_available() {
        panic!("the power-cut test needs FUSE: {why}");
    }
    let at = dir.join("disk");
    std::fs::create_dir_all(&at).expect("the mount point");
    Disk::mount(&at)
        .unwrap_or_else(|e| panic!("cannot mount the power-cut disk at {}: {e}", at.display()))
}
