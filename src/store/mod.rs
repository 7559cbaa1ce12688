//! sled trees, key layout, encoding, schema version, backup and restore.
//!
//! Values are records in the compact encoding (`codec`: CBOR, lz4-packed
//! when that is smaller, behind a format byte; JSON written by older builds
//! is still read).
//!
//! Trees (keys big-endian so sled's order is numeric order):
//! - `log`: event id (u64) → `Event`, append-only, gapless from 1
//! - `orders`: order id → `OrderState` (the projection)
//! - `open`: order id → empty (orders not yet closed)
//! - `by_date`: `YYYY-MM-DD` 0x00 order id → empty (business-date index)
//! - `outbox`: outbox seq (u64) → `OutboxEntry`; `outbox_ids`: report id → seq
//! - `spool`: job number (u64) → `JobRecord`
//! - `quarantine`: id (u64) → `QuarantinedFrame`
//! - `idem`: idempotency key → the first result
//! - `staff`: staff id → `StaffRecord`
//! - `meta`: `schema`, `cursor`, counters; the archive index (`archive/…`,
//!   `archived_through`, see `archive`)
//!
//! Business days that are over move out of these trees into the archive
//! (`archive`): one file per day under `<data_dir>/archive/`. The readers
//! here (`orders_on`, `events_after`, `all_orders`, `visit_events`) read both.

pub mod archive;
pub mod backup;
pub mod codec;
pub mod compact;
pub mod durable;
pub mod fault;
pub mod fnv;
pub mod records;

use crate::domain::{Event, OrderId, OrderState};
pub use codec::{decode, encode};
pub use records::{JobRecord, JobState, OutboxEntry, QuarantinedFrame, StaffRecord};
use std::path::{Path, PathBuf};

/// How long an open waits for a lock that is being released.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// The on-disk layout this build reads and writes. 2: the log and the
/// projections may be partly in the archive (an older build would miss them).
/// A schema-1 store has no archive yet and is simply marked 2 at open.
pub const SCHEMA_VERSION: u64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store at {path} is in use by a running passline (stop it first, or use `passline ctl` against it)")]
    Locked { path: PathBuf },
    #[error("the store at {path} is damaged ({detail}). Nothing was changed. Restore the last backup with `passline restore --from {backup}`, or move the folder aside to start empty")]
    Corrupt {
        path: PathBuf,
        detail: String,
        backup: String,
    },
    #[error("the store at {path} was written by a newer passline (schema {found}, this build reads {SCHEMA_VERSION}): upgrade passline; nothing was changed")]
    FutureSchema { path: PathBuf, found: u64 },
    #[error("cannot use the data dir {path}: {detail} (check that it exists and this user may write to it, or set [store] data_dir)")]
    Unusable { path: PathBuf, detail: String },
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    #[error("a stored record could not be read ({0}); the store may be damaged")]
    Decode(String),
    /// A commit that did not reach the disk: nothing of it was kept.
    #[error("not saved: the store could not write to the disk ({detail}). Nothing changed; try again, and if it keeps failing check that the disk is not full or read-only")]
    WriteFailed { detail: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The file beside the data dir's trees that names the latest backup, so a
/// corruption message can say where to restore from even when sled cannot open.
const LAST_BACKUP_FILE: &str = "last-backup.txt";

pub struct Store {
    pub db: sled::Db,
    pub path: PathBuf,
    pub log: sled::Tree,
    pub orders: sled::Tree,
    pub open: sled::Tree,
    pub by_date: sled::Tree,
    pub outbox: sled::Tree,
    pub outbox_ids: sled::Tree,
    pub spool: sled::Tree,
    pub quarantine: sled::Tree,
    pub idem: sled::Tree,
    pub staff: sled::Tree,
    pub meta: sled::Tree,
    /// The last archive day read (date, records).
    archive_cache: std::sync::Mutex<Option<(String, std::sync::Arc<archive::DayRecords>)>>,
    /// The order ids of the newest archived days, for late platform events
    /// (`archive::LATE_EVENT_DAYS`): date → ids.
    archived_ids: std::sync::Mutex<
        std::collections::HashMap<String, std::sync::Arc<std::collections::HashSet<String>>>,
    >,
    /// The soak's write-failure hook (off unless `PASSLINE_FAULT_WRITES` is set).
    pub fault: fault::WriteFault,
    /// The fsyncs that make a flush survive a power cut (`durable`).
    barrier: durable::SledBarrier,
    /// Between a commit's transaction and its barrier, sled already shows
    /// the new records to readers although a power cut would still take
    /// them. The writer holds this for writing across both; readers that
    /// act on what they read (the feed sending reports, the spool printing,
    /// screens and `ctl`) hold it for reading, so they only ever see what is
    /// on the disk ([`Store::durable_reads`]).
    gate: std::sync::RwLock<()>,
}

impl Store {
    /// Opens (or creates) the store with a cache of `cache_bytes`.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Store> {
        // A restore cut off between its two moves is finished first.
        backup::finish_interrupted(path)?;
        std::fs::create_dir_all(path).map_err(|e| StoreError::Unusable {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        let probe = path.join(".write-test");
        std::fs::write(&probe, b"ok").map_err(|e| StoreError::Unusable {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        let _ = std::fs::remove_file(&probe);
        // The store holds PIN hashes and, until acknowledged, pay codes:
        // its folder is 0700 and its files 0600 (docs/security.md, "Files").
        crate::secret::make_private(path).map_err(|e| StoreError::Unusable {
            path: path.to_path_buf(),
            detail: format!("cannot make it private to this user ({e}): check its owner"),
        })?;
        // A compaction cut off mid-swap is finished before sled looks.
        compact::recover(path)?;
        // A store this process closed a moment ago can still be locked by
        // sled's own threads winding down: wait briefly before saying that
        // another passline holds it.
        let since = std::time::Instant::now();
        let db = loop {
            let opened = sled_config(path)
                .cache_capacity(cache_bytes)
                .flush_every_ms(None)
                .open()
                .map_err(|e| classify_open_error(path, e));
            match opened {
                Err(StoreError::Locked { .. }) if since.elapsed() < LOCK_GRACE => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other?,
            }
        };
        let barrier = durable::SledBarrier::open(path)?;
        let t = |name: &str| db.open_tree(name);
        let store = Store {
            log: t("log")?,
            orders: t("orders")?,
            open: t("open")?,
            by_date: t("by_date")?,
            outbox: t("outbox")?,
            outbox_ids: t("outbox_ids")?,
            spool: t("spool")?,
            quarantine: t("quarantine")?,
            idem: t("idem")?,
            staff: t("staff")?,
            meta: t("meta")?,
            path: path.to_path_buf(),
            db,
            archive_cache: std::sync::Mutex::new(None),
            archived_ids: std::sync::Mutex::new(std::collections::HashMap::new()),
            fault: fault::WriteFault::from_env(),
            barrier,
            gate: std::sync::RwLock::new(()),
        };
        match store.meta.get("schema")? {
            None => {
                store.meta.insert("schema", &SCHEMA_VERSION.to_be_bytes())?;
                store.flush()?;
            }
            Some(v) => {
                let found = be_u64(&v);
                if found > SCHEMA_VERSION {
                    return Err(StoreError::FutureSchema {
                        path: path.to_path_buf(),
                        found,
                    });
                }
                if found < SCHEMA_VERSION {
                    store.meta.insert("schema", &SCHEMA_VERSION.to_be_bytes())?;
                    store.flush()?;
                }
            }
        }
        Ok(store)
    }

    /// Writes everything committed so far to the disk: sled's flush, then
    /// the fsyncs that make it survive a power cut (`durable`). Nobody may
    /// hear "done" about a write before this returns `Ok`.
    pub fn flush(&self) -> Result<()> {
        // After an I/O error sled's own flush can wait forever.
        self.barrier.refuse_if_failed()?;
        self.db.flush()?;
        self.barrier.after_flush()
    }

    /// Held by a reader that acts on what it reads: no commit is between
    /// its transaction and its barrier meanwhile, so everything seen is on
    /// the disk. Not reentrant: never held by the writer.
    ///
    /// After a failed sync sled's memory holds what the disk may not: then
    /// nothing may be read to act on (a report sent from it could reach the
    /// platform and vanish), until passline restarts.
    pub fn durable_reads(&self) -> Result<std::sync::RwLockReadGuard<'_, ()>> {
        let guard = self.gate.read().unwrap_or_else(|e| e.into_inner());
        self.barrier.refuse_if_failed()?;
        Ok(guard)
    }

    /// Held by the writer from a commit's transaction to its barrier.
    pub fn commit_gate(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.gate.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn meta_u64(&self, key: &str) -> Result<u64> {
        Ok(self.meta.get(key)?.map(|v| be_u64(&v)).unwrap_or(0))
    }

    /// The highest platform seq durably committed.
    pub fn cursor(&self) -> Result<u64> {
        self.meta_u64("cursor")
    }

    /// The highest event id, live or archived (ids never restart).
    pub fn last_event_id(&self) -> Result<u64> {
        Ok(match self.log.last()? {
            Some((k, _)) => be_u64(&k),
            None => self.archived_through()?,
        })
    }

    pub fn order(&self, id: &OrderId) -> Result<Option<OrderState>> {
        self.orders
            .get(id.0.as_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    pub fn open_orders(&self) -> Result<Vec<OrderState>> {
        let mut out = Vec::new();
        for kv in self.open.iter() {
            let (k, _) = kv?;
            if let Some(v) = self.orders.get(&k)? {
                out.push(decode(&v)?);
            }
        }
        Ok(out)
    }

    /// Orders of one business date (`YYYY-MM-DD`), open or closed, live or
    /// archived (an order in both is taken as it is live).
    pub fn orders_on(&self, date: &str) -> Result<Vec<OrderState>> {
        let mut prefix = date.as_bytes().to_vec();
        prefix.push(0);
        let mut archived = self.archived_orders_on(date)?;
        let mut out = Vec::new();
        for kv in self.by_date.scan_prefix(&prefix) {
            let (k, _) = kv?;
            if let Some(v) = self.orders.get(&k[prefix.len()..])? {
                let st: OrderState = decode(&v)?;
                archived.remove(&st.order.id.0);
                out.push(st);
            }
        }
        let mut old = Vec::with_capacity(archived.len());
        for (id, st) in archived {
            // An archived order that got a new event since is live again.
            old.push(match self.orders.get(id.as_bytes())? {
                Some(v) => decode(&v)?,
                None => st,
            });
        }
        old.sort_by(|a, b| a.order.id.cmp(&b.order.id));
        old.extend(out);
        Ok(old)
    }

    /// Up to `limit` events after `after`, from the archive where they are
    /// older than the live log.
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        self.visit_events(after.saturating_add(1), u64::MAX, |e| {
            out.push(e);
            Ok(out.len() < limit)
        })?;
        Ok(out)
    }

    pub fn outbox_entries(&self) -> Result<Vec<OutboxEntry>> {
        self.outbox
            .iter()
            .map(|kv| kv.map_err(StoreError::from).and_then(|(_, v)| decode(&v)))
            .collect()
    }

    pub fn quarantined(&self) -> Result<Vec<QuarantinedFrame>> {
        self.quarantine
            .iter()
            .map(|kv| kv.map_err(StoreError::from).and_then(|(_, v)| decode(&v)))
            .collect()
    }

    pub fn staff_records(&self) -> Result<Vec<StaffRecord>> {
        self.staff
            .iter()
            .map(|kv| kv.map_err(StoreError::from).and_then(|(_, v)| decode(&v)))
            .collect()
    }

    pub fn staff_record(&self, id: &str) -> Result<Option<StaffRecord>> {
        self.staff.get(id)?.map(|v| decode(&v)).transpose()
    }

    pub fn jobs(&self) -> Result<Vec<JobRecord>> {
        self.spool
            .iter()
            .map(|kv| kv.map_err(StoreError::from).and_then(|(_, v)| decode(&v)))
            .collect()
    }

    pub fn job(&self, job: u64) -> Result<Option<JobRecord>> {
        self.spool
            .get(job.to_be_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    pub fn last_backup_hint(path: &Path) -> String {
        std::fs::read_to_string(path.join(LAST_BACKUP_FILE))
            .map(|s| s.trim().to_string())
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "<your last backup file> (no backup was recorded)".into())
    }

    pub fn record_backup(&self, file: &Path) {
        let hint = self.path.join(LAST_BACKUP_FILE);
        if let Err(e) = durable::write_atomic(&hint, file.display().to_string().as_bytes()) {
            tracing::warn!(error = %e, "could not record the last backup's name");
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if self.barrier.failed().is_some() {
            // sled's close flushes and fsyncs again, and after an I/O error
            // that hangs or panics: leave it open instead (the process is
            // ending or restarting; nothing more could be made durable).
            tracing::error!("the disk failed a sync: leaving the store without closing it");
            std::mem::forget(self.db.clone());
        }
    }
}

/// sled's segment size for a store created now: 2 MiB instead of sled's
/// 512 KiB. Measured over a lunch (`benches/wear.rs`), it writes about 11 %
/// fewer bytes to the disk per order (sled cleans and rewrites segments
/// less often), for about 4 MiB more preallocated file.
pub const NEW_SEGMENT_SIZE: usize = 2 << 20;

/// The segment size a store was created with, from sled's `conf` file
/// (`segment_size: N`); `None` for a new store or an unreadable file.
fn created_segment_size(path: &Path) -> Option<usize> {
    let conf = std::fs::read(path.join("conf")).ok()?;
    let text = String::from_utf8_lossy(&conf);
    let n: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("segment_size:"))?
        .trim()
        .parse()
        .ok()?;
    Some(n)
}

/// sled's settings for the store at `path`: the segment size it was created
/// with (sled refuses to open a store with another one), or
/// [`NEW_SEGMENT_SIZE`] for a new store. A store whose `conf` cannot be read
/// gets sled's own default, as before this setting existed, and sled says
/// what is wrong. Every open of a store goes through here.
pub fn sled_config(path: &Path) -> sled::Config {
    let cfg = sled::Config::new().path(path);
    let conf_exists = path.join("conf").exists();
    match created_segment_size(path) {
        Some(n) => cfg.segment_size(n),
        None if !conf_exists => cfg.segment_size(NEW_SEGMENT_SIZE),
        None => cfg,
    }
}

fn classify_open_error(path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(ref io)
            if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock") =>
        {
            StoreError::Locked {
                path: path.to_path_buf(),
            }
        }
        sled::Error::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            StoreError::Unusable {
                path: path.to_path_buf(),
                detail: io.to_string(),
            }
        }
        sled::Error::Corruption { .. } | sled::Error::Unsupported(_) => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: e.to_string(),
            backup: Store::last_backup_hint(path),
        },
        other => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: other.to_string(),
            backup: Store::last_backup_hint(path),
        },
    }
}

pub fn be_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    let n = b.len().min(8);
    a[8 - n..].copy_from_slice(&b[b.len() - n..]);
    u64::from_be_bytes(a)
}

pub fn date_key(date: &str, id: &OrderId) -> Vec<u8> {
    let mut k = date.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(id.0.as_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_gets_the_larger_segments_and_an_older_one_keeps_its_own() {
        let dir = tempfile::tempdir().expect("dir");
        let new = dir.path().join("new");
        drop(Store::open(&new, 1 << 20).expect("a new store"));
        assert_eq!(created_segment_size(&new), Some(NEW_SEGMENT_SIZE));
        drop(Store::open(&new, 1 << 20).expect("opens again"));

        // A store an older build made, with sled's default segments.
        let old = dir.path().join("old");
        {
            let db = sled::Config::new()
                .path(&old)
                .flush_every_ms(None)
                .open()
                .expect("sled");
            db.insert("k", b"v").expect("insert");
            db.flush().expect("flush");
        }
        assert_eq!(created_segment_size(&old), Some(512 << 10));
        let store = Store::open(&old, 1 << 20).expect("an older store still opens");
        assert_eq!(store.db.get("k").expect("get").as_deref(), Some(&b"v"[..]));
        drop(store);
        // Compacting it copies into a store with the new segments (once
        // sled's threads have let go of the store just closed).
        let since = std::time::Instant::now();
        while let Err(e) = compact::compact(&old) {
            assert!(since.elapsed() < LOCK_GRACE, "compact: {e}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(created_segment_size(&old), Some(NEW_SEGMENT_SIZE));
        let store = Store::open(&old, 1 << 20).expect("opens after compaction");
        assert_eq!(store.db.get("k").expect("get").as_deref(), Some(&b"v"[..]));
    }
}
