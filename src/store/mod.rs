//! sled trees, key layout, encoding, schema version, backup and restore.
//!
//! Trees (keys big-endian so sled's order is numeric order):
//! - `log`: event id (u64) → `Event` JSON, append-only, gapless from 1
//! - `orders`: order id → `OrderState` JSON (the projection)
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
pub mod compact;
pub mod durable;
pub mod fault;
pub mod records;

use crate::domain::{Event, OrderId, OrderState};
pub use records::{JobRecord, JobState, OutboxEntry, QuarantinedFrame, StaffRecord};
use serde::de::DeserializeOwned;
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
    /// The soak's write-failure hook (off unless `PASSLINE_FAULT_WRITES` is set).
    pub fault: fault::WriteFault,
    /// The fsyncs that make a flush survive a power cut (`durable`).
    barrier: durable::SledBarrier,
}

impl Store {
    /// Opens (or creates) the store with a cache of `cache_bytes`.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Store> {
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
            let opened = sled::Config::new()
                .path(path)
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
            fault: fault::WriteFault::from_env(),
            barrier,
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
        self.db.flush()?;
        self.barrier.after_flush()
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

pub fn encode<T: serde::Serialize>(v: &T) -> Vec<u8> {
    // Sized for a typical projection, so the writer does not regrow it.
    let mut out = Vec::with_capacity(1024);
    serde_json::to_writer(&mut out, v).expect("our own records always serialize");
    out
}

pub fn decode<T: DeserializeOwned>(b: &[u8]) -> Result<T> {
    serde_json::from_slice(b).map_err(|e| StoreError::Decode(e.to_string()))
}

pub fn date_key(date: &str, id: &OrderId) -> Vec<u8> {
    let mut k = date.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(id.0.as_bytes());
    k
}
