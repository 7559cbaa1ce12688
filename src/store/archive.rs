//! The archive: business days that are over, moved out of the live sled trees
//! into one compact, checksummed file per day, so opening the store costs the
//! last few days, not the whole history (sled rebuilds its page table for
//! every live page at open).
//!
//! Layout: `<data_dir>/archive/YYYY-MM/YYYY-MM-DD.bin`. A file is
//! `PASSLINE-ARCHIVE 1\n`, `[u64 body len][u64 fnv1a of body]`, then the body,
//! lz4-compressed; uncompressed the body is records
//! `[u8 kind][u64 event id | 0][u32 len][bytes]`: kind 1 a log event, kind 2
//! an order projection, each the same bytes the live tree held. Records are
//! sorted (events by id, orders by id), so archiving the same inputs again
//! writes the same file.
//!
//! The index is in the `meta` tree: `archive/YYYY-MM-DD` → [`ArchivedDay`],
//! and `archived_through` → the highest archived event id. Events with ids up
//! to it are read from the files, later ones from the live log. An order that
//! is both live and archived (an old order that got a new event) is read from
//! the live tree: live wins.
//!
//! Archiving a day (see [`prepare`] and [`commit`]): gather the day's closed
//! orders and the log events up to the end of the day, merge with the day's
//! file if there is one, write `….bin.tmp`, fsync, rename, fsync the folder;
//! then, in one sled transaction, delete what the file now holds from the
//! live trees and record the index; flush. A crash before the transaction
//! leaves the data live and an unindexed (or merged) file that the next run
//! rewrites identically; a crash after it leaves nothing to do.

use super::backup::Fnv;
use super::{be_u64, decode, encode, Result, Store, StoreError};
use crate::domain::{Event, OrderState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The archive's folder inside the data dir.
pub const DIR: &str = "archive";
const MAGIC: &[u8] = b"PASSLINE-ARCHIVE 1\n";
const KIND_EVENT: u8 = 1;
const KIND_ORDER: u8 = 2;
const INDEX_PREFIX: &str = "archive/";
const THROUGH: &str = "archived_through";

/// One archived business day, as the index records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedDay {
    pub date: String,
    /// The lowest and highest event ids in the file (0 and 0 when it holds none).
    pub first_event: u64,
    pub last_event: u64,
    pub events: u64,
    pub orders: u64,
    /// Size of the file on disk.
    pub bytes: u64,
}

/// A day file's records, as stored (encoded bytes).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DayRecords {
    pub events: BTreeMap<u64, Vec<u8>>,
    /// order id → projection bytes
    pub orders: BTreeMap<String, Vec<u8>>,
}

impl DayRecords {
    pub fn decode_orders(&self) -> Result<Vec<OrderState>> {
        self.orders.values().map(|v| decode(v)).collect()
    }
}

/// Where a test may make archiving stop, as a crash would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// The temp file is written and synced, not yet renamed.
    AfterTempFile,
    /// The file is in place; the live trees are untouched.
    AfterRename,
}

/// What one archiving step will do, gathered without holding the writer.
#[derive(Debug)]
pub struct Plan {
    pub day: ArchivedDay,
    /// Event ids to delete from the live log (all `<= through`).
    pub events: Vec<u64>,
    /// Orders to delete: id, by_date key, and the bytes archived (deleted
    /// only if the live value is still exactly these).
    pub orders: Vec<(String, Vec<u8>, Vec<u8>)>,
    pub through: u64,
}

pub fn day_path(data_dir: &Path, date: &str) -> PathBuf {
    let month = date.get(..7).unwrap_or(date);
    data_dir.join(DIR).join(month).join(format!("{date}.bin"))
}

fn index_key(date: &str) -> String {
    format!("{INDEX_PREFIX}{date}")
}

fn io_err(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unusable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

fn damaged(path: &Path, detail: &str) -> StoreError {
    StoreError::Decode(format!(
        "the archive file {} is damaged ({detail}); restore it from a backup",
        path.display()
    ))
}

/// Encodes a day's records into the file's bytes.
pub fn to_bytes(recs: &DayRecords) -> Vec<u8> {
    let mut body = Vec::new();
    let mut put = |kind: u8, id: u64, v: &[u8]| {
        body.push(kind);
        body.extend_from_slice(&id.to_be_bytes());
        body.extend_from_slice(&(v.len() as u32).to_be_bytes());
        body.extend_from_slice(v);
    };
    for (id, v) in &recs.events {
        put(KIND_EVENT, *id, v);
    }
    for v in recs.orders.values() {
        put(KIND_ORDER, 0, v);
    }
    let packed = lz4_flex::compress_prepend_size(&body);
    let mut sum = Fnv::new();
    sum.feed(&packed);
    let mut out = Vec::with_capacity(packed.len() + MAGIC.len() + 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(packed.len() as u64).to_be_bytes());
    out.extend_from_slice(&sum.0.to_be_bytes());
    out.extend_from_slice(&packed);
    out
}

/// Reads a day file's bytes back, checking the header and checksum.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<DayRecords> {
    let head = MAGIC.len() + 16;
    if bytes.len() < head || &bytes[..MAGIC.len()] != MAGIC {
        return Err(damaged(path, "wrong header"));
    }
    let len = be_u64(&bytes[MAGIC.len()..MAGIC.len() + 8]) as usize;
    let want = be_u64(&bytes[MAGIC.len() + 8..head]);
    let packed = &bytes[head..];
    if packed.len() != len {
        return Err(damaged(path, "truncated"));
    }
    let mut sum = Fnv::new();
    sum.feed(packed);
    if sum.0 != want {
        return Err(damaged(path, "checksum mismatch"));
    }
    let body =
        lz4_flex::decompress_size_prepended(packed).map_err(|e| damaged(path, &e.to_string()))?;
    let mut recs = DayRecords::default();
    let mut at = 0usize;
    while at < body.len() {
        if body.len() - at < 13 {
            return Err(damaged(path, "short record"));
        }
        let kind = body[at];
        let id = be_u64(&body[at + 1..at + 9]);
        let n = be_u64(&body[at + 9..at + 13]) as usize;
        at += 13;
        let v = body
            .get(at..at + n)
            .ok_or_else(|| damaged(path, "short record"))?
            .to_vec();
        at += n;
        match kind {
            KIND_EVENT => {
                recs.events.insert(id, v);
            }
            KIND_ORDER => {
                let st: OrderState = decode(&v)?;
                recs.orders.insert(st.order.id.0, v);
            }
            _ => return Err(damaged(path, "unknown record")),
        }
    }
    Ok(recs)
}

/// Reads a day's file; `None` when there is none.
pub fn read_day(data_dir: &Path, date: &str) -> Result<Option<DayRecords>> {
    let path = day_path(data_dir, date);
    match std::fs::read(&path) {
        Ok(b) => from_bytes(&path, &b).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&path, e)),
    }
}

/// Writes `bytes` as the day's file: temp file, fsync, rename, fsync the folders.
fn write_file(path: &Path, bytes: &[u8], fail: Option<FailPoint>) -> Result<()> {
    let dir = path.parent().expect("a day file lives in a month folder");
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let tmp = path.with_extension("bin.tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    f.write_all(bytes).map_err(|e| io_err(&tmp, e))?;
    f.sync_all().map_err(|e| io_err(&tmp, e))?;
    drop(f);
    if fail == Some(FailPoint::AfterTempFile) {
        return Err(injected());
    }
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
    for d in [Some(dir), dir.parent()].into_iter().flatten() {
        if let Ok(h) = std::fs::File::open(d) {
            h.sync_all().map_err(|e| io_err(d, e))?;
        }
    }
    Ok(())
}

fn injected() -> StoreError {
    StoreError::Unusable {
        path: PathBuf::from(DIR),
        detail: "archiving stopped at an injected failure point".into(),
    }
}

impl Store {
    /// The days in the archive, oldest first.
    pub fn archived_days(&self) -> Result<Vec<ArchivedDay>> {
        self.meta
            .scan_prefix(INDEX_PREFIX)
            .map(|kv| kv.map_err(StoreError::from).and_then(|(_, v)| decode(&v)))
            .collect()
    }

    pub fn archived_day(&self, date: &str) -> Result<Option<ArchivedDay>> {
        self.meta
            .get(index_key(date))?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Events with ids up to this are in the archive, later ones live.
    pub fn archived_through(&self) -> Result<u64> {
        self.meta_u64(THROUGH)
    }

    /// A day's archived records, through a one-day cache (a reader paging
    /// through `events_after` reads the same file many times).
    pub fn archive_records(&self, date: &str) -> Result<std::sync::Arc<DayRecords>> {
        let mut cache = self.archive_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((d, recs)) = cache.as_ref() {
            if d == date {
                return Ok(recs.clone());
            }
        }
        let recs = std::sync::Arc::new(read_day(&self.path, date)?.unwrap_or_default());
        *cache = Some((date.to_string(), recs.clone()));
        Ok(recs)
    }

    /// Calls `f` with each event `from..=to` in id order, archive first then
    /// the live log, until `f` returns false.
    pub fn visit_events(
        &self,
        from: u64,
        to: u64,
        mut f: impl FnMut(Event) -> Result<bool>,
    ) -> Result<()> {
        if to < from {
            return Ok(());
        }
        let through = self.archived_through()?;
        if from <= through {
            let mut days = self.archived_days()?;
            days.retain(|d| d.events > 0 && d.last_event >= from && d.first_event <= to);
            days.sort_by_key(|d| d.first_event);
            // Files cover disjoint id ranges unless the clock went back over
            // a day boundary; a small merge buffer keeps id order either way.
            let mut buf: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
            for (i, d) in days.iter().enumerate() {
                let recs = self.archive_records(&d.date)?;
                for (id, v) in recs.events.range(from..=to.min(through)) {
                    buf.insert(*id, v.clone());
                }
                let next = days.get(i + 1).map_or(u64::MAX, |n| n.first_event);
                while let Some(e) = buf.first_entry() {
                    if *e.key() >= next {
                        break;
                    }
                    if !f(decode(&e.remove())?)? {
                        return Ok(());
                    }
                }
            }
        }
        let start = from.max(through + 1);
        if start > to {
            return Ok(());
        }
        for kv in self.log.range(start.to_be_bytes()..=to.to_be_bytes()) {
            let (_, v) = kv?;
            if !f(decode(&v)?)? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// One event, wherever it is.
    pub fn event(&self, id: u64) -> Result<Option<Event>> {
        let mut out = None;
        self.visit_events(id, id, |e| {
            out = Some(e);
            Ok(false)
        })?;
        Ok(out)
    }

    /// The business date of event `id`: an archived event's is its file's
    /// (no file is read), a live one's from its time.
    pub fn event_date(&self, id: u64, tz: chrono_tz::Tz) -> Result<Option<String>> {
        if id <= self.archived_through()? {
            if let Some(d) = self
                .archived_days()?
                .into_iter()
                .find(|d| d.events > 0 && d.first_event <= id && id <= d.last_event)
            {
                return Ok(Some(d.date));
            }
        }
        Ok(self
            .event(id)?
            .map(|e| crate::engine::clock::business_date(&e.at, tz)))
    }

    /// Every order, archived days first (oldest first), then the live tree;
    /// an order both live and archived comes once, as it is live.
    pub fn all_orders(&self) -> impl Iterator<Item = Result<OrderState>> + '_ {
        let days = self.archived_days();
        let live: Result<HashSet<Vec<u8>>> = self
            .orders
            .iter()
            .keys()
            .map(|k| k.map(|k| k.to_vec()).map_err(StoreError::from))
            .collect();
        let (days, live, first_err) = match (days, live) {
            (Ok(d), Ok(l)) => (d, l, None),
            (Err(e), _) | (_, Err(e)) => (Vec::new(), HashSet::new(), Some(e)),
        };
        let archived = days.into_iter().flat_map(move |d| {
            let out: Vec<Result<OrderState>> = match self.archive_records(&d.date) {
                Ok(recs) => recs
                    .orders
                    .iter()
                    .filter(|(id, _)| !live.contains(id.as_bytes()))
                    .map(|(_, v)| decode(v))
                    .collect(),
                Err(e) => vec![Err(e)],
            };
            out
        });
        first_err.map(Err).into_iter().chain(archived).chain(
            self.orders
                .iter()
                .map(|kv| kv.map_err(StoreError::from).and_then(|(_, v)| decode(&v))),
        )
    }

    /// Gathers the next day to archive: the oldest business date before
    /// `before` (`YYYY-MM-DD`) that still has live log events or closed
    /// orders. `None` when there is nothing to do. Reads only; the writer
    /// commits the plan (see [`commit`]).
    pub fn prepare_archive(
        &self,
        before: &str,
        tz: chrono_tz::Tz,
        fail: Option<FailPoint>,
    ) -> Result<Option<Plan>> {
        let through = self.archived_through()?;
        let date_of = |v: &[u8]| -> Result<String> {
            let ev: Event = decode(v)?;
            Ok(crate::engine::clock::business_date(&ev.at, tz))
        };
        let log_date = match self.log.first()? {
            Some((_, v)) => Some(date_of(&v)?),
            None => None,
        };
        let mut order_date = None;
        for kv in self.by_date.iter() {
            let (k, _) = kv?;
            let Some(sep) = k.iter().position(|b| *b == 0) else {
                continue;
            };
            let date = String::from_utf8_lossy(&k[..sep]).to_string();
            if date.as_str() >= before {
                break;
            }
            if !self.open.contains_key(&k[sep + 1..])? {
                order_date = Some(date);
                break;
            }
        }
        let date = match (log_date.filter(|d| d.as_str() < before), order_date) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return Ok(None),
        };
        // The file as it stands (a merge when the day was archived before,
        // or when an earlier attempt stopped after writing it).
        let mut recs = read_day(&self.path, &date)?.unwrap_or_default();
        recs.events.retain(|id, _| *id <= through);
        let mut events = Vec::new();
        let mut last = through;
        for kv in self.log.range((through + 1).to_be_bytes()..) {
            let (k, v) = kv?;
            if date_of(&v)?.as_str() > date.as_str() {
                break;
            }
            let id = be_u64(&k);
            recs.events.insert(id, v.to_vec());
            events.push(id);
            last = id;
        }
        let mut prefix = date.as_bytes().to_vec();
        prefix.push(0);
        let mut orders = Vec::new();
        for kv in self.by_date.scan_prefix(&prefix) {
            let (k, _) = kv?;
            let id = &k[prefix.len()..];
            if self.open.contains_key(id)? {
                continue;
            }
            if let Some(v) = self.orders.get(id)? {
                let sid = String::from_utf8_lossy(id).to_string();
                recs.orders.insert(sid.clone(), v.to_vec());
                orders.push((sid, k.to_vec(), v.to_vec()));
            } else {
                orders.push((
                    String::from_utf8_lossy(id).to_string(),
                    k.to_vec(),
                    Vec::new(),
                ));
            }
        }
        let bytes = to_bytes(&recs);
        let path = day_path(&self.path, &date);
        write_file(&path, &bytes, fail)?;
        if fail == Some(FailPoint::AfterRename) {
            return Err(injected());
        }
        let day = ArchivedDay {
            first_event: recs.events.keys().next().copied().unwrap_or(0),
            last_event: recs.events.keys().next_back().copied().unwrap_or(0),
            events: recs.events.len() as u64,
            orders: recs.orders.len() as u64,
            bytes: bytes.len() as u64,
            date,
        };
        Ok(Some(Plan {
            day,
            events,
            orders,
            through: last,
        }))
    }

    /// Deletes what the plan's file holds from the live trees and records
    /// the day in the index, in one transaction, then flushes. An order whose
    /// live value changed since the plan was made stays live (live wins).
    pub fn commit_archive(&self, plan: &Plan) -> Result<()> {
        use sled::transaction::ConflictableTransactionError as Abort;
        use sled::Transactional;
        let trees = [&self.log, &self.orders, &self.by_date, &self.meta];
        trees
            .as_slice()
            .transaction(|t| {
                let (log, orders, by_date, meta) = (&t[0], &t[1], &t[2], &t[3]);
                let through = meta.get(THROUGH)?.map(|v| be_u64(&v)).unwrap_or(0);
                for id in &plan.events {
                    log.remove(&id.to_be_bytes())?;
                }
                for (id, date_key, archived) in &plan.orders {
                    let live = orders.get(id.as_bytes())?;
                    let unchanged = match &live {
                        Some(v) => v.as_ref() == archived.as_slice(),
                        None => archived.is_empty(),
                    };
                    if unchanged {
                        orders.remove(id.as_bytes())?;
                        by_date.remove(date_key.as_slice())?;
                    }
                }
                meta.insert(index_key(&plan.day.date).as_bytes(), encode(&plan.day))?;
                meta.insert(THROUGH, &plan.through.max(through).to_be_bytes())?;
                Ok::<(), Abort<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(s) => StoreError::Sled(s),
                sled::transaction::TransactionError::Abort(()) => {
                    StoreError::Decode("archive transaction aborted".into())
                }
            })?;
        self.db.flush()?;
        *self.archive_cache.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }

    /// Orders of an archived day (live ones of that date are added by
    /// `orders_on`).
    pub(super) fn archived_orders_on(&self, date: &str) -> Result<HashMap<String, OrderState>> {
        if self.archived_day(date)?.is_none() {
            return Ok(HashMap::new());
        }
        let recs = self.archive_records(date)?;
        recs.orders
            .iter()
            .map(|(id, v)| Ok((id.clone(), decode(v)?)))
            .collect()
    }
}

/// Every archive file under the data dir, as paths relative to it.
pub fn files(data_dir: &Path) -> Result<Vec<PathBuf>> {
    let root = data_dir.join(DIR);
    let mut out = Vec::new();
    let months = match std::fs::read_dir(&root) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err(&root, e)),
    };
    for m in months {
        let m = m.map_err(|e| io_err(&root, e))?;
        if !m.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(m.path()).map_err(|e| io_err(&m.path(), e))? {
            let f = f.map_err(|e| io_err(&m.path(), e))?;
            if f.path().extension().is_some_and(|x| x == "bin") {
                out.push(PathBuf::from(DIR).join(m.file_name()).join(f.file_name()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes a file restored from a backup (same temp + rename + fsync path).
pub fn restore_file(data_dir: &Path, rel: &Path, bytes: &[u8]) -> Result<()> {
    let ok = rel.components().count() == 3
        && rel.starts_with(DIR)
        && rel.extension().is_some_and(|x| x == "bin")
        && rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !ok {
        return Err(StoreError::Decode(format!(
            "the backup names an archive file outside the archive: {}",
            rel.display()
        )));
    }
    write_file(&data_dir.join(rel), bytes, None)
}
