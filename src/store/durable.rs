//! The power-cut barrier: what makes a write survive losing the power, for
//! sled's files and for our own.
//!
//! sled 0.34.7's `Db::flush` is **not** a barrier. It writes its log with
//! `pwrite` and `sync_file_range`, which persists no metadata and does not
//! flush the drive's cache, and never calls `fsync` on that path, whatever its
//! documentation says. Its log file `db` is fsynced only by the background
//! flusher (which we turn off: `flush_every_ms(None)`), on segment
//! truncation, and on a clean close; it never fsyncs a directory, and it
//! writes large values (over about 128 KiB) to files under `blobs/` that it
//! never syncs. Measured under a strict disk-cache model, every power cut
//! rolled the store back to the moment it had started. So every commit goes
//! through [`SledBarrier::after_flush`]: `fdatasync` of `db`, then any new
//! blob file and the `blobs` folder. Removing it makes the power-cut test
//! (`tests/powercut/`) fail; do not remove it as redundant.
//!
//! sled's snapshot files (`snap.*`) need nothing more: sled fsyncs each one
//! before renaming it into place, and a cut that loses the rename (or the
//! removal of the older one) leaves an older snapshot, from which sled
//! replays the log exactly as after an ordinary crash (snapshots are only
//! taken every million operations and at a clean close anyway).
//!
//! Our own files follow one rule ([`write_atomic`]): write a temp file,
//! fsync it, rename it over the target, fsync the folder. A file that is
//! renamed or created is durable only once its folder is synced
//! ([`sync_dir`]). `docs/engine.md` ("Durability") states the contract.

use super::{Result, StoreError};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::WriteFailed {
        detail: format!("{}: {e}", path.display()),
    }
}

/// Fsyncs a folder, so the names created, renamed or removed in it survive a
/// power cut.
pub fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(dir, e))
}

/// Writes `bytes` to `path` so that after a power cut the file holds either
/// its old content or all of `bytes`: temp file, fsync, rename, fsync the
/// folder. The file is created 0600 (it may hold secrets or money).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_of(path);
    let tmp = temp_path(path);
    let mut f = create_private(&tmp).map_err(|e| io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))?;
    sync_dir(&dir)
}

/// Renames `from` to `to` and syncs both folders, so the move survives a
/// power cut.
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| io(to, e))?;
    let (a, b) = (parent_of(from), parent_of(to));
    sync_dir(&b)?;
    if a != b {
        sync_dir(&a)?;
    }
    Ok(())
}

/// Fsyncs every file and folder below `dir` (and `dir` itself), for a copy
/// that must be whole on the disk before it is swapped in.
pub fn sync_tree(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let entry = entry.map_err(|e| io(dir, e))?;
        let p = entry.path();
        if entry.file_type().map_err(|e| io(&p, e))?.is_dir() {
            sync_tree(&p)?;
        } else {
            std::fs::File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(|e| io(&p, e))?;
        }
    }
    sync_dir(dir)
}

/// Creates (truncating) a file readable and writable by its owner only.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Set to `1` to skip the barrier's fsyncs: **for the power-cut test's
/// demonstration only** (it shows what is lost without them). Never set it
/// in a store.
pub const UNSAFE_NO_FSYNC_ENV: &str = "PASSLINE_UNSAFE_NO_FSYNC";

/// The fsyncs that make a sled flush durable (see the module doc).
pub struct SledBarrier {
    dir: PathBuf,
    db: std::fs::File,
    /// `PASSLINE_UNSAFE_NO_FSYNC=1`: the demonstration without the barrier.
    skip: bool,
    state: Mutex<BarrierState>,
}

#[derive(Default)]
struct BarrierState {
    /// Blob files already synced (sled never rewrites one in place).
    synced_blobs: HashSet<std::ffi::OsString>,
    /// A sync failed: the page cache may no longer match the disk, so no
    /// later commit may be called durable until passline restarts.
    failed: Option<String>,
}

impl SledBarrier {
    /// Opens the barrier for the store at `dir` (sled already opened it) and
    /// makes the store's own names durable: `db`, `conf`, `blobs`, the store
    /// folder and its parent, so a store created a moment before a cut is
    /// still there after it.
    pub fn open(dir: &Path) -> Result<SledBarrier> {
        let db_path = dir.join("db");
        let db = std::fs::File::open(&db_path).map_err(|e| io(&db_path, e))?;
        db.sync_all().map_err(|e| io(&db_path, e))?;
        let conf = dir.join("conf");
        if conf.exists() {
            std::fs::File::open(&conf)
                .and_then(|f| f.sync_all())
                .map_err(|e| io(&conf, e))?;
        }
        let skip = std::env::var(UNSAFE_NO_FSYNC_ENV).as_deref() == Ok("1");
        if skip {
            tracing::warn!(
                "{UNSAFE_NO_FSYNC_ENV}=1: commits are NOT made durable; a power cut will lose them"
            );
        }
        let barrier = SledBarrier {
            dir: dir.to_path_buf(),
            db,
            skip,
            state: Mutex::new(BarrierState::default()),
        };
        barrier.sync_blobs(&mut barrier.lock())?;
        sync_dir(dir)?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        Ok(barrier)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BarrierState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The failure that poisoned the barrier, if a sync failed: the store
    /// must not be flushed or closed again (sled hangs in `flush` and
    /// panics in its close after an I/O error), only left.
    pub fn failed(&self) -> Option<String> {
        self.lock().failed.clone()
    }

    /// `Err` once a sync has failed: nothing may be made durable, or read
    /// to act on, until passline restarts.
    pub fn refuse_if_failed(&self) -> Result<()> {
        match self.failed() {
            Some(why) => Err(StoreError::WriteFailed {
                detail: format!("an earlier disk sync failed ({why}); restart passline"),
            }),
            None => Ok(()),
        }
    }

    /// Call after every `Db::flush`: only when this returns `Ok` is what the
    /// flush wrote on the disk.
    pub fn after_flush(&self) -> Result<()> {
        if self.skip {
            return Ok(());
        }
        self.refuse_if_failed()?;
        let mut st = self.lock();
        let synced = self
            .db
            .sync_data()
            .map_err(|e| io(&self.dir.join("db"), e))
            .and_then(|()| self.sync_blobs(&mut st));
        if let Err(StoreError::WriteFailed { detail }) = &synced {
            tracing::error!(%detail, "a disk sync failed: no later commit is durable until restart");
            st.failed = Some(detail.clone());
        }
        synced
    }

    /// Fsyncs blob files sled wrote since the last barrier, then their folder.
    fn sync_blobs(&self, st: &mut BarrierState) -> Result<()> {
        let blobs = self.dir.join("blobs");
        let rd = match std::fs::read_dir(&blobs) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(&blobs, e)),
        };
        let mut new = false;
        for entry in rd {
            let entry = entry.map_err(|e| io(&blobs, e))?;
            let name = entry.file_name();
            if st.synced_blobs.contains(&name) {
                continue;
            }
            let p = entry.path();
            match std::fs::File::open(&p).and_then(|f| f.sync_all()) {
                Ok(()) => {}
                // sled removed it meanwhile (garbage collection).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&p, e)),
            }
            st.synced_blobs.insert(name);
            new = true;
        }
        if new {
            sync_dir(&blobs)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_replaces_the_whole_file_and_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("hint.txt");
        write_atomic(&p, b"first").expect("write");
        write_atomic(&p, b"second").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"second");
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!dir.path().join("hint.txt.tmp").exists());
    }

    #[test]
    fn the_barrier_syncs_a_real_sled_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new()
            .path(dir.path().join("s"))
            .flush_every_ms(None)
            .open()
            .expect("sled");
        let b = SledBarrier::open(&dir.path().join("s")).expect("barrier");
        db.insert("k", vec![7u8; 300 << 10])
            .expect("insert a blob-sized value");
        db.flush().expect("flush");
        b.after_flush().expect("barrier");
        assert!(
            !b.lock().synced_blobs.is_empty(),
            "a 300 KiB value is a blob"
        );
    }
}
