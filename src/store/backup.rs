//! `backup --to FILE` and `restore --from FILE`: every tree, key and value in
//! one file, with a header and a checksum so a truncated backup is refused.
//!
//! Format: the line `PASSLINE-BACKUP 1\n`, then records
//! `[u8 kind][u32 name len][name][u32 key len][key][u32 val len][val]`
//! (kind 1 = key/value of tree `name`; kind 2 = an archive file, `name` its
//! path under the data dir, `key` empty, `val` its bytes), then
//! `[u8 0][u64 record count][u64 fnv1a checksum]`. A backup is checked whole
//! before a restore touches anything, then applied in a second pass, so
//! neither side holds the whole history in memory.

pub use super::fnv::fnv1a;
use super::fnv::Fnv;
use super::{Store, StoreError};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"PASSLINE-BACKUP 1\n";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("cannot write the backup to {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the backup {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a passline backup (or is damaged: {detail}); nothing was changed")]
    NotABackup { path: PathBuf, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
}

/// Writes every tree to `to` (through a temp file, renamed when complete).
pub fn write(store: &Store, to: &Path) -> Result<u64, BackupError> {
    store.flush()?;
    let werr = |source| BackupError::Write {
        path: to.to_path_buf(),
        source,
    };
    let tmp = to.with_extension("partial");
    let f = super::durable::create_private(&tmp).map_err(werr)?;
    let mut out = BufWriter::new(f);
    out.write_all(MAGIC).map_err(werr)?;
    let mut sum = Fnv::new();
    let mut count = 0u64;
    for name in store.db.tree_names() {
        let tree = store.db.open_tree(&name)?;
        for kv in tree.iter() {
            let (k, v) = kv?;
            let mut rec = vec![1u8];
            for part in [&name[..], &k[..], &v[..]] {
                rec.extend_from_slice(&(part.len() as u32).to_be_bytes());
                rec.extend_from_slice(part);
            }
            sum.feed(&rec);
            out.write_all(&rec).map_err(werr)?;
            count += 1;
        }
    }
    for rel in super::archive::files(&store.path)? {
        let bytes = std::fs::read(store.path.join(&rel)).map_err(werr)?;
        let name = rel.to_string_lossy();
        let mut rec = vec![2u8];
        for part in [name.as_bytes(), &[][..], &bytes[..]] {
            rec.extend_from_slice(&(part.len() as u32).to_be_bytes());
            rec.extend_from_slice(part);
        }
        sum.feed(&rec);
        out.write_all(&rec).map_err(werr)?;
        count += 1;
    }
    out.write_all(&[0]).map_err(werr)?;
    out.write_all(&count.to_be_bytes()).map_err(werr)?;
    out.write_all(&sum.0.to_be_bytes()).map_err(werr)?;
    let f = out.into_inner().map_err(|e| werr(e.into_error()))?;
    f.sync_all().map_err(werr)?;
    drop(f);
    // Renamed and its folder synced: a power cut leaves the old backup or this one.
    super::durable::rename(&tmp, to)?;
    let abs = std::fs::canonicalize(to).unwrap_or_else(|_| to.to_path_buf());
    store.record_backup(&abs);
    Ok(count)
}

/// One record of a backup: its kind (1 key/value, 2 archive file), name, key, value.
pub type Record = (u8, Vec<u8>, Vec<u8>, Vec<u8>);

/// Reads a whole backup, calling `each` with every record, and checks the
/// trailer; an error means the backup is not whole (records already passed
/// to `each` must then be thrown away).
pub fn scan(
    from: &Path,
    mut each: impl FnMut(Record) -> Result<(), BackupError>,
) -> Result<u64, BackupError> {
    let rerr = |source| BackupError::Read {
        path: from.to_path_buf(),
        source,
    };
    let bad = |detail: &str| BackupError::NotABackup {
        path: from.to_path_buf(),
        detail: detail.to_string(),
    };
    let f = std::fs::File::open(from).map_err(rerr)?;
    let mut r = BufReader::new(f);
    let mut magic = vec![0u8; MAGIC.len()];
    r.read_exact(&mut magic).map_err(|_| bad("too short"))?;
    if magic != MAGIC {
        return Err(bad("wrong header"));
    }
    let mut sum = Fnv::new();
    let mut count = 0u64;
    loop {
        let mut kind = [0u8; 1];
        r.read_exact(&mut kind).map_err(|_| bad("truncated"))?;
        if kind[0] == 0 {
            let mut n = [0u8; 8];
            let mut s = [0u8; 8];
            r.read_exact(&mut n).map_err(|_| bad("truncated trailer"))?;
            r.read_exact(&mut s).map_err(|_| bad("truncated trailer"))?;
            if u64::from_be_bytes(n) != count || u64::from_be_bytes(s) != sum.0 {
                return Err(bad("checksum mismatch"));
            }
            return Ok(count);
        }
        if kind[0] != 1 && kind[0] != 2 {
            return Err(bad("unknown record"));
        }
        sum.feed(&kind);
        let mut parts: Vec<Vec<u8>> = Vec::with_capacity(3);
        for _ in 0..3 {
            let mut len = [0u8; 4];
            r.read_exact(&mut len).map_err(|_| bad("truncated"))?;
            let n = u32::from_be_bytes(len) as usize;
            if n > 1 << 30 {
                return Err(bad("record too large"));
            }
            let mut buf = vec![0u8; n];
            r.read_exact(&mut buf).map_err(|_| bad("truncated"))?;
            sum.feed(&len);
            sum.feed(&buf);
            parts.push(buf);
        }
        count += 1;
        let v = parts.pop().unwrap_or_default();
        let k = parts.pop().unwrap_or_default();
        let name = parts.pop().unwrap_or_default();
        each((kind[0], name, k, v))?;
    }
}

/// Checks a whole backup; returns its number of records.
pub fn verify(from: &Path) -> Result<u64, BackupError> {
    scan(from, |_| Ok(()))
}

/// The folder a restore is built in, beside the data dir.
fn staging_dir(data_dir: &Path) -> PathBuf {
    sibling(data_dir, ".restoring")
}

fn sibling(data_dir: &Path, suffix: &str) -> PathBuf {
    let mut name = data_dir.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Written into the staging folder once the restored store in it is whole
/// and on the disk: from then on it may be swapped in.
const COMPLETE: &str = "restore-complete";

fn werr(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Restores `from` into `data_dir`, crash- and power-cut-safe: the backup is
/// checked whole, then restored into `<data_dir>.restoring` and read back
/// (every event and order must decode), synced to the disk and marked
/// complete; only then does the live store move aside (never deleted) to
/// `<data_dir>.before-restore-<time>` and the restored one take its place.
/// A bad backup leaves the live store exactly as it was. A cut between the
/// two moves leaves no data dir and a complete staging folder, which the
/// next open moves into place ([`finish_interrupted`]).
pub fn restore(
    from: &Path,
    data_dir: &Path,
    cache: u64,
) -> Result<(u64, Option<PathBuf>), BackupError> {
    verify(from)?;
    let live = data_dir.exists()
        && std::fs::read_dir(data_dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
    if live {
        // Opening proves no running console holds it (and finishes any
        // interrupted swap first).
        drop(Store::open(data_dir, cache)?);
    }
    let staging = staging_dir(data_dir);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(werr(&staging))?;
    }
    let n = build(from, &staging, cache).inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&staging);
    })?;
    super::durable::sync_tree(&staging)?;
    super::durable::write_atomic(&staging.join(COMPLETE), b"complete\n")?;
    let mut aside = None;
    if data_dir.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let mut dest = sibling(data_dir, &format!(".before-restore-{stamp}"));
        // Two restores in one second keep both earlier stores.
        let mut n = 1;
        while dest.exists() {
            n += 1;
            dest = sibling(data_dir, &format!(".before-restore-{stamp}-{n}"));
        }
        std::fs::rename(data_dir, &dest).map_err(werr(&dest))?;
        aside = Some(dest);
    }
    super::durable::rename(&staging, data_dir)?;
    let marker = data_dir.join(COMPLETE);
    std::fs::remove_file(&marker).map_err(werr(&marker))?;
    super::durable::sync_dir(data_dir)?;
    Ok((n, aside))
}

/// Finishes a restore that a crash or power cut stopped between moving the
/// live store aside and moving the restored one in: the data dir is missing
/// and a complete staging folder waits beside it. Called by `Store::open`.
pub fn finish_interrupted(data_dir: &Path) -> Result<(), StoreError> {
    let staging = staging_dir(data_dir);
    if data_dir.exists() || !staging.join(COMPLETE).exists() {
        return Ok(());
    }
    tracing::warn!(dir = %data_dir.display(), "finishing a restore that was interrupted");
    super::durable::rename(&staging, data_dir)?;
    let _ = std::fs::remove_file(data_dir.join(COMPLETE));
    super::durable::sync_dir(data_dir)
}

/// Restores `from` into a new store at `dir` and reads it back.
fn build(from: &Path, dir: &Path, cache: u64) -> Result<u64, BackupError> {
    let store = Store::open(dir, cache)?;
    let mut batches: std::collections::BTreeMap<Vec<u8>, sled::Batch> = Default::default();
    let mut pending = 0usize;
    let apply = |batches: &mut std::collections::BTreeMap<Vec<u8>, sled::Batch>| {
        for (name, batch) in std::mem::take(batches) {
            let tree = if name == b"__sled__default" {
                (*store.db).clone()
            } else {
                store.db.open_tree(&name)?
            };
            tree.apply_batch(batch)?;
        }
        Ok::<(), BackupError>(())
    };
    let n = scan(from, |(kind, name, k, v)| {
        if kind == 2 {
            let rel = PathBuf::from(String::from_utf8_lossy(&name).to_string());
            super::archive::restore_file(dir, &rel, &v)?;
            return Ok(());
        }
        batches.entry(name).or_default().insert(k, v);
        pending += 1;
        if pending >= 10_000 {
            pending = 0;
            apply(&mut batches)?;
        }
        Ok(())
    })?;
    apply(&mut batches)?;
    store.flush()?;
    check_readable(&store).map_err(|e| BackupError::NotABackup {
        path: from.to_path_buf(),
        detail: format!("a record does not read back: {e}"),
    })?;
    store.record_backup(&std::fs::canonicalize(from).unwrap_or_else(|_| from.to_path_buf()));
    Ok(n)
}

/// Every event and order of a restored store decodes.
fn check_readable(store: &Store) -> Result<(), StoreError> {
    store.visit_events(1, u64::MAX, |_| Ok(true))?;
    for o in store.all_orders() {
        o?;
    }
    store.open_orders()?;
    store.outbox_entries()?;
    store.staff_records()?;
    store.jobs()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backup file with one key/value record of tree `tree`.
    fn crafted(path: &Path, tree: &[u8], key: &[u8], val: &[u8]) {
        let mut rec = vec![1u8];
        for part in [tree, key, val] {
            rec.extend_from_slice(&(part.len() as u32).to_be_bytes());
            rec.extend_from_slice(part);
        }
        let mut sum = Fnv::new();
        sum.feed(&rec);
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&rec);
        bytes.push(0);
        bytes.extend_from_slice(&1u64.to_be_bytes());
        bytes.extend_from_slice(&sum.0.to_be_bytes());
        std::fs::write(path, bytes).expect("write the crafted backup");
    }

    fn live_store(data: &Path) {
        let s = Store::open(data, 1 << 20).expect("open");
        s.meta.insert("mark", b"live".as_slice()).expect("insert");
        s.flush().expect("flush");
    }

    fn mark(data: &Path) -> Option<Vec<u8>> {
        let s = Store::open(data, 1 << 20).expect("open");
        s.meta.get("mark").expect("get").map(|v| v.to_vec())
    }

    #[test]
    fn a_backup_with_a_record_that_does_not_read_leaves_the_live_store_as_it_was() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        live_store(&data);
        let bad = dir.path().join("bad.bak");
        crafted(&bad, b"log", &1u64.to_be_bytes(), b"{not an event");
        let err = restore(&bad, &data, 1 << 20).expect_err("refused");
        assert!(matches!(err, BackupError::NotABackup { .. }), "{err}");
        assert_eq!(mark(&data).as_deref(), Some(b"live".as_slice()));
        assert!(
            !staging_dir(&data).exists(),
            "the staging folder is cleaned up"
        );
        let siblings = std::fs::read_dir(dir.path()).expect("ls").count();
        assert_eq!(siblings, 2, "nothing moved aside: only data and the backup");
    }

    #[test]
    fn a_restore_cut_off_between_its_two_moves_is_finished_at_the_next_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let good = dir.path().join("good.bak");
        crafted(&good, b"meta", b"mark", b"restored");
        live_store(&data);
        // What a restore leaves when the power goes after the live store
        // moved aside and before the restored one moved in.
        let staging = staging_dir(&data);
        build(&good, &staging, 1 << 20).expect("build");
        super::super::durable::write_atomic(&staging.join(COMPLETE), b"complete\n")
            .expect("marker");
        std::fs::rename(&data, dir.path().join("data.before-restore-x")).expect("aside");
        assert_eq!(mark(&data).as_deref(), Some(b"restored".as_slice()));
        assert!(!staging.exists());
        assert!(!data.join(COMPLETE).exists());
    }

    #[test]
    fn a_whole_restore_moves_the_live_store_aside_and_the_backup_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let good = dir.path().join("good.bak");
        crafted(&good, b"meta", b"mark", b"restored");
        live_store(&data);
        let (n, aside) = restore(&good, &data, 1 << 20).expect("restore");
        assert_eq!(n, 1);
        assert_eq!(mark(&data).as_deref(), Some(b"restored".as_slice()));
        let aside = aside.expect("moved aside");
        assert_eq!(mark(&aside).as_deref(), Some(b"live".as_slice()));
    }
}
