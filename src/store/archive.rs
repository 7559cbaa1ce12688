//! The archive: business days that are over, moved out of the live sled trees
//! into one compact, checksummed file per day, so opening the store costs the
//! last few days, not the whole history (sled rebuilds its page table for
//! every live page at open).
//!
//! Layout: `<data_dir>/archive/YYYY-MM/YYYY-MM-DD.bin`. A file is
//! `PASSLINE-ARCHIVE 2\n`, `[u64 packed len][u64 fnv1a of packed]`, then the
//! packed body: lz4 blocks `[u32 raw len][u32 block len][block]` of about
//! 64 KiB raw each, so a day is written (and can be read) a block at a time.
//! Raw, the body is records `[u8 kind][u64 event id | 0][u32 len][bytes]`:
//! kind 1 a log event, kind 2 an order projection, each the same bytes the
//! live tree held. Records are sorted (events by id, orders by id), so
//! archiving the same inputs again writes the same file. Files of version 1
//! (the body as one lz4 block with its size in front) are still read.
//!
//! The index is in the `meta` tree: `archive/YYYY-MM-DD` → [`ArchivedDay`],
//! and `archived_through` → the highest archived event id. Beside it,
//! `archive-sum/YYYY-MM-DD` → the day's report summary (opaque bytes here;
//! `report::summary` makes and reads them), written by the archiving step
//! that first records the day, in the same transaction as its index entry,
//! so it always describes the file the index describes. Events with ids up
//! to it are read from the files, later ones from the live log. An order that
//! is both live and archived (an old order that got a new event) is read from
//! the live tree: live wins.
//!
//! Archiving a day ([`Store::prepare_archive`], then
//! [`Store::commit_archive`] for each of [`Plan::steps`]): stream the day's
//! closed orders and the log events up to the end of the day, merged with
//! the day's file if there is one, into `….bin.tmp`; fsync, rename, fsync
//! the folder. Then delete what the file holds from the live trees in steps
//! of at most [`STEP_KEYS`] records, each one sled transaction that also
//! records the day in the index and moves `archived_through` up to its last
//! event; flush after each. Between steps the day is partly live, partly
//! archived, and every reader sees it whole: events up to `archived_through`
//! come from the file, later ones from the log; an order in both is read
//! live. A crash before the first step leaves the data live and an
//! unindexed (or merged) file that the next run rewrites identically; a
//! crash between steps leaves a file whose remaining live part the next run
//! gathers again, writing the same file and carrying on.

use super::fnv::Fnv;
use super::{be_u64, decode, encode, Result, Store, StoreError};
use crate::domain::{Event, OrderState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

mod file;
#[cfg(test)]
use file::unpack_blocks;
use file::DayWriter;
pub use file::{from_bytes, to_bytes};

/// The archive's folder inside the data dir.
pub const DIR: &str = "archive";
const MAGIC: &[u8] = b"PASSLINE-ARCHIVE 2\n";
/// The first version: the whole body as one lz4 block, its size in front.
const MAGIC_V1: &[u8] = b"PASSLINE-ARCHIVE 1\n";
/// Raw bytes gathered before a block is compressed and written.
const BLOCK: usize = 64 << 10;
/// Live records deleted per transaction when a day moves: small enough that
/// sled's transaction stays a few MiB and a command waits a few ms for it.
pub const STEP_KEYS: usize = 256;
const KIND_EVENT: u8 = 1;
const KIND_ORDER: u8 = 2;
const INDEX_PREFIX: &str = "archive/";
/// How many of the newest archived days a late platform event's order is
/// looked for in ([`Store::archived_order`]).
pub const LATE_EVENT_DAYS: usize = 7;
const SUMMARY_PREFIX: &str = "archive-sum/";
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

/// What archiving a day will delete from the live trees, gathered without
/// holding the writer once the day's file is in place.
#[derive(Debug, Clone)]
pub struct Plan {
    pub day: ArchivedDay,
    /// Event ids to delete from the live log (ascending, all `<= through`).
    pub events: Vec<u64>,
    /// Orders to delete, each only if its live value is still the one archived.
    pub orders: Vec<PlannedOrder>,
    pub through: u64,
    /// The day's report summary (encoded), made from the day's file after
    /// [`Store::prepare_archive`] wrote it; written with the index entry.
    pub summary: Option<Vec<u8>>,
}

/// An order the day's file holds, to delete from the live trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedOrder {
    pub id: String,
    /// Its key in `by_date`.
    pub date_key: Vec<u8>,
    /// Length and FNV-1a of the bytes archived; `None` when it had no live
    /// value (only its `by_date` key is left to delete).
    pub archived: Option<(u64, u64)>,
}

/// Length and FNV-1a of a record's bytes: how a step tells that an order
/// changed after its day's file was written, without keeping a copy.
fn fingerprint(v: &[u8]) -> (u64, u64) {
    let mut sum = Fnv::new();
    sum.feed(v);
    (v.len() as u64, sum.0)
}

impl Plan {
    /// The plan as steps of at most `keys` records, events first (ascending,
    /// so each step's `through` is its last event), then orders. Always at
    /// least one step, which records the day in the index.
    pub fn steps(self, keys: usize) -> Vec<Plan> {
        let keys = keys.max(1);
        let mut out = Vec::new();
        let mut events = self.events.into_iter().peekable();
        let mut orders = self.orders.into_iter().peekable();
        let mut summary = self.summary;
        while events.peek().is_some() || orders.peek().is_some() || out.is_empty() {
            let ev: Vec<u64> = events.by_ref().take(keys).collect();
            let od: Vec<PlannedOrder> = orders.by_ref().take(keys - ev.len()).collect();
            out.push(Plan {
                day: self.day.clone(),
                through: ev.last().copied().unwrap_or(self.through),
                events: ev,
                orders: od,
                // The first step records the day, and its summary with it.
                summary: summary.take(),
            });
        }
        out
    }
}

pub fn day_path(data_dir: &Path, date: &str) -> PathBuf {
    let month = date.get(..7).unwrap_or(date);
    data_dir.join(DIR).join(month).join(format!("{date}.bin"))
}

fn index_key(date: &str) -> String {
    format!("{INDEX_PREFIX}{date}")
}

fn summary_key(date: &str) -> String {
    format!("{SUMMARY_PREFIX}{date}")
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
    let tmp = temp_file(path)?;
    let mut f = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    f.write_all(bytes).map_err(|e| io_err(&tmp, e))?;
    place(f, &tmp, path, fail)
}

/// The temp file a day file is written to first (its folders made).
fn temp_file(path: &Path) -> Result<PathBuf> {
    let dir = path.parent().expect("a day file lives in a month folder");
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    Ok(path.with_extension("bin.tmp"))
}

/// Syncs the written temp file and renames it over the day's file, then
/// syncs the month and archive folders and the data dir so the rename (and
/// any new folder) is durable.
fn place(f: std::fs::File, tmp: &Path, path: &Path, fail: Option<FailPoint>) -> Result<()> {
    f.sync_all().map_err(|e| io_err(tmp, e))?;
    drop(f);
    if fail == Some(FailPoint::AfterTempFile) {
        return Err(injected());
    }
    std::fs::rename(tmp, path).map_err(|e| io_err(path, e))?;
    // The month folder holds the new name; the archive folder and the data
    // dir hold the folders, which may be new too.
    let month = path.parent().expect("a day file lives in a month folder");
    let archive = month.parent();
    let data_dir = archive.and_then(Path::parent);
    for d in [Some(month), archive, data_dir].into_iter().flatten() {
        super::durable::sync_dir(d)?;
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

    /// The report summary recorded with an archived day, as stored (see
    /// `report::summary`); `None` for days archived before summaries.
    pub fn day_summary(&self, date: &str) -> Result<Option<sled::IVec>> {
        Ok(self.meta.get(summary_key(date))?)
    }

    /// An order that has moved to the archive, looked for in the newest
    /// [`LATE_EVENT_DAYS`] archived days: a platform event can come after
    /// its order's day was archived (a late cancellation or refund), and
    /// must find the order, not be quarantined as naming one never placed.
    /// Each day's order ids are read once and kept, so an event naming an
    /// unknown order costs a few set lookups, not a file read per day.
    pub fn archived_order(&self, id: &str) -> Result<Option<OrderState>> {
        let days = self.archived_days()?;
        let newest: Vec<&ArchivedDay> = days.iter().rev().take(LATE_EVENT_DAYS).collect();
        for day in &newest {
            let ids = {
                let mut cache = self.archived_ids.lock().unwrap_or_else(|e| e.into_inner());
                cache.retain(|d, _| newest.iter().any(|n| &n.date == d));
                match cache.get(&day.date) {
                    Some(ids) => ids.clone(),
                    None => {
                        let recs = self.archive_records(&day.date)?;
                        let ids = std::sync::Arc::new(recs.orders.keys().cloned().collect());
                        cache.insert(day.date.clone(), ids);
                        cache[&day.date].clone()
                    }
                }
            };
            if ids.contains(id) {
                let recs = self.archive_records(&day.date)?;
                return recs.orders.get(id).map(|v| decode(v)).transpose();
            }
        }
        Ok(None)
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
            .map(|e| crate::domain::business_day::business_date(&e.at, tz)))
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
        self.fault.check()?;
        let through = self.archived_through()?;
        let date_of = |v: &[u8]| -> Result<String> {
            let ev: Event = decode(v)?;
            Ok(crate::domain::business_day::business_date(&ev.at, tz))
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
        // or when an earlier attempt stopped part way): its events up to
        // `through` stay, later ones are still live and come from the log.
        let mut old = read_day(&self.path, &date)?.unwrap_or_default();
        old.events.retain(|id, _| *id <= through);
        let path = day_path(&self.path, &date);
        let tmp = temp_file(&path)?;
        let file = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
        let werr = |e| io_err(&tmp, e);
        let mut w = DayWriter::new(file).map_err(werr)?;
        for (id, v) in std::mem::take(&mut old.events) {
            w.event(id, &v).map_err(werr)?;
        }
        let mut events = Vec::new();
        let mut last = through;
        for kv in self.log.range((through + 1).to_be_bytes()..) {
            let (k, v) = kv?;
            if date_of(&v)?.as_str() > date.as_str() {
                break;
            }
            let id = be_u64(&k);
            w.event(id, &v).map_err(werr)?;
            events.push(id);
            last = id;
        }
        // Orders in id order: the file's, with the live closed ones of the
        // date merged in (live wins); `by_date` keys sort by id within a date.
        let mut older = std::mem::take(&mut old.orders).into_iter().peekable();
        let mut prefix = date.as_bytes().to_vec();
        prefix.push(0);
        let mut orders = Vec::new();
        for kv in self.by_date.scan_prefix(&prefix) {
            let (k, _) = kv?;
            let id = &k[prefix.len()..];
            if self.open.contains_key(id)? {
                continue;
            }
            let sid = String::from_utf8_lossy(id).to_string();
            let live = self.orders.get(id)?;
            while let Some((oid, _)) = older.peek() {
                if oid.as_str() > sid.as_str() || (live.is_none() && *oid == sid) {
                    break;
                }
                let (oid, v) = older.next().expect("peeked");
                if oid != sid {
                    w.order(&v).map_err(werr)?;
                }
            }
            if let Some(v) = &live {
                w.order(v).map_err(werr)?;
            }
            orders.push(PlannedOrder {
                id: sid,
                date_key: k.to_vec(),
                archived: live.as_deref().map(fingerprint),
            });
        }
        for (_, v) in older {
            w.order(&v).map_err(werr)?;
        }
        let (file, day) = w.finish(date).map_err(werr)?;
        place(file, &tmp, &path, fail)?;
        if fail == Some(FailPoint::AfterRename) {
            return Err(injected());
        }
        Ok(Some(Plan {
            day,
            events,
            orders,
            through: last,
            summary: None,
        }))
    }

    /// Deletes what one step of a plan (see [`Plan::steps`]) holds from the
    /// live trees, records the day in the index and moves `archived_through`
    /// up, in one transaction, then flushes. An order whose live value
    /// changed since the day's file was written stays live (live wins).
    pub fn commit_archive(&self, plan: &Plan) -> Result<()> {
        use sled::transaction::ConflictableTransactionError as Abort;
        use sled::Transactional;
        self.fault.check()?;
        let trees = [&self.log, &self.orders, &self.by_date, &self.meta];
        trees
            .as_slice()
            .transaction(|t| {
                let (log, orders, by_date, meta) = (&t[0], &t[1], &t[2], &t[3]);
                let through = meta.get(THROUGH)?.map(|v| be_u64(&v)).unwrap_or(0);
                for id in &plan.events {
                    log.remove(&id.to_be_bytes())?;
                }
                for o in &plan.orders {
                    let live = orders.get(o.id.as_bytes())?;
                    if live.as_deref().map(fingerprint) == o.archived {
                        orders.remove(o.id.as_bytes())?;
                        by_date.remove(o.date_key.as_slice())?;
                    }
                }
                meta.insert(index_key(&plan.day.date).as_bytes(), encode(&plan.day))?;
                if let Some(sum) = &plan.summary {
                    meta.insert(summary_key(&plan.day.date).as_bytes(), sum.as_slice())?;
                }
                meta.insert(THROUGH, &plan.through.max(through).to_be_bytes())?;
                Ok::<(), Abort<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(s) => StoreError::Sled(s),
                sled::transaction::TransactionError::Abort(()) => {
                    StoreError::Decode("archive transaction aborted".into())
                }
            })?;
        self.flush()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> DayRecords {
        let mut recs = DayRecords::default();
        // Enough bytes for several blocks.
        for id in 1..=3000u64 {
            recs.events.insert(
                id,
                format!(
                    "{{\"event\":{id},\"pad\":\"{}\"}}",
                    "x".repeat(id as usize % 97)
                )
                .into_bytes(),
            );
        }
        recs
    }

    #[test]
    fn a_day_file_reads_back_what_was_written_in_blocks() {
        let recs = records();
        let bytes = to_bytes(&recs);
        assert!(bytes.starts_with(MAGIC));
        let back = from_bytes(Path::new("d.bin"), &bytes).expect("reads");
        assert_eq!(back, recs);
        // Each damaged byte past the header is caught by the checksum.
        let mut bad = bytes.clone();
        let at = bad.len() - 10;
        bad[at] ^= 1;
        let e = from_bytes(Path::new("d.bin"), &bad).expect_err("damaged");
        assert!(e.to_string().contains("restore it from a backup"), "{e}");
    }

    #[test]
    fn a_version_1_file_still_reads() {
        let recs = records();
        let mut body = Vec::new();
        for (id, v) in &recs.events {
            body.push(KIND_EVENT);
            body.extend_from_slice(&id.to_be_bytes());
            body.extend_from_slice(&(v.len() as u32).to_be_bytes());
            body.extend_from_slice(v);
        }
        let file = v1_file(&lz4_flex::compress_prepend_size(&body));
        assert_eq!(from_bytes(Path::new("v1.bin"), &file).expect("v1"), recs);
    }

    /// A version-1 file around `packed` (header and checksum as written then).
    fn v1_file(packed: &[u8]) -> Vec<u8> {
        let mut sum = Fnv::new();
        sum.feed(packed);
        let mut file = MAGIC_V1.to_vec();
        file.extend_from_slice(&(packed.len() as u64).to_be_bytes());
        file.extend_from_slice(&sum.0.to_be_bytes());
        file.extend_from_slice(packed);
        file
    }

    #[test]
    fn a_block_claiming_more_than_it_can_hold_is_damage_not_an_allocation() {
        let mut packed = Vec::new();
        packed.extend_from_slice(&u32::MAX.to_be_bytes());
        packed.extend_from_slice(&1u32.to_be_bytes());
        packed.push(0);
        let e = unpack_blocks(Path::new("d.bin"), &packed).expect_err("damaged");
        assert!(e.to_string().contains("block size"), "{e}");
        // The same for a version-1 body claiming 4 GiB in its size prefix.
        let file = v1_file(&[0xff, 0xff, 0xff, 0xff, 0x10, b'x']);
        let e = from_bytes(Path::new("v1.bin"), &file).expect_err("damaged");
        assert!(e.to_string().contains("block size"), "{e}");
    }

    fn plan(events: u64, orders: usize) -> Plan {
        Plan {
            day: ArchivedDay {
                date: "2026-11-23".into(),
                first_event: 1,
                last_event: events,
                events,
                orders: orders as u64,
                bytes: 0,
            },
            events: (1..=events).collect(),
            orders: (0..orders)
                .map(|i| PlannedOrder {
                    id: format!("WX-{i:03}"),
                    date_key: format!("2026-11-23\0WX-{i:03}").into_bytes(),
                    archived: Some((1, 1)),
                })
                .collect(),
            through: events,
            summary: Some(b"sum".to_vec()),
        }
    }

    #[test]
    fn steps_cover_the_plan_in_order_and_move_the_mark_up() {
        let p = plan(1000, 300);
        let steps = p.clone().steps(256);
        assert!(steps.iter().all(|s| s.events.len() + s.orders.len() <= 256));
        let events: Vec<u64> = steps.iter().flat_map(|s| s.events.clone()).collect();
        let orders: Vec<PlannedOrder> = steps.iter().flat_map(|s| s.orders.clone()).collect();
        assert_eq!(events, p.events);
        assert_eq!(orders, p.orders);
        let marks: Vec<u64> = steps.iter().map(|s| s.through).collect();
        assert!(marks.windows(2).all(|w| w[0] <= w[1]), "{marks:?}");
        assert_eq!(marks.last(), Some(&1000));
        let sums: Vec<bool> = steps.iter().map(|s| s.summary.is_some()).collect();
        assert!(
            sums[0] && !sums[1..].iter().any(|s| *s),
            "the first step only"
        );
        for s in &steps {
            if let Some(last) = s.events.last() {
                assert_eq!(s.through, *last, "a step marks only what it deleted");
            }
        }
        // A day with nothing left live still gets its index entry.
        let idle = plan(0, 0).steps(256);
        assert_eq!(idle.len(), 1);
        assert_eq!(idle[0].day.date, "2026-11-23");
    }
}
