//! Compacting the live sled store at start-up. sled 0.34 hardly reclaims the
//! space of deleted records, so a store whose old days went to the archive
//! still has a file as big as everything it ever held, and an open reads
//! most of it. Copying the live records into a fresh sled (export/import)
//! and swapping the files makes the open cost the live days again.
//!
//! When: `compact_if_bloated` at the start of a console (before the engine
//! opens the store), when the `db` file is over 256 MiB and over four times
//! its size after the last compaction (kept in `compacted-size`).
//!
//! Crash safety: the copy is built in `<data_dir>/.compact` and flushed;
//! only then is the marker `compact-swap` written (fsync), saying `out`: the
//! old sled files move to `.compact-old`; then it says `in`: the new ones move
//! in from `.compact`; then the marker and the old files go. An open that finds the marker finishes the swap
//! first (the copy is complete whenever the marker exists), so a crash at any
//! point leaves either the old store or the new one, never neither.

use super::{Result, StoreError};
use std::path::Path;

const WORK: &str = ".compact";
const OLD: &str = ".compact-old";
const MARKER: &str = "compact-swap";
const SIZE_FILE: &str = "compacted-size";
/// Never compact a file smaller than this.
const MIN_BYTES: u64 = 256 << 20;

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unusable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

/// The files sled keeps in a data dir.
fn is_sled_file(name: &str) -> bool {
    name == "conf" || name == "db" || name == "blobs" || name.starts_with("snap.")
}

use super::durable::sync_dir;

/// Finishes a swap that a crash interrupted (see the module doc).
pub fn recover(data_dir: &Path) -> Result<()> {
    if !data_dir.join(MARKER).exists() {
        let _ = std::fs::remove_dir_all(data_dir.join(WORK));
        let _ = std::fs::remove_dir_all(data_dir.join(OLD));
        return Ok(());
    }
    swap(data_dir)
}

fn set_phase(data_dir: &Path, phase: &str) -> Result<()> {
    let marker = data_dir.join(MARKER);
    super::durable::write_atomic(&marker, phase.as_bytes())
}

/// Phase "out": every old sled file moves to `.compact-old` (none of the new
/// ones is in yet). Phase "in": the new files move in from `.compact`.
fn swap(data_dir: &Path) -> Result<()> {
    let work = data_dir.join(WORK);
    let old = data_dir.join(OLD);
    let phase = std::fs::read_to_string(data_dir.join(MARKER)).unwrap_or_default();
    if phase.trim() != "in" {
        std::fs::create_dir_all(&old).map_err(|e| io(&old, e))?;
        for entry in std::fs::read_dir(data_dir).map_err(|e| io(data_dir, e))? {
            let entry = entry.map_err(|e| io(data_dir, e))?;
            let name = entry.file_name().to_string_lossy().to_string();
            if is_sled_file(&name) {
                std::fs::rename(entry.path(), old.join(&name)).map_err(|e| io(&entry.path(), e))?;
            }
        }
        sync_dir(data_dir)?;
        set_phase(data_dir, "in")?;
    }
    if work.exists() {
        for entry in std::fs::read_dir(&work).map_err(|e| io(&work, e))? {
            let entry = entry.map_err(|e| io(&work, e))?;
            std::fs::rename(entry.path(), data_dir.join(entry.file_name()))
                .map_err(|e| io(&entry.path(), e))?;
        }
    }
    sync_dir(data_dir)?;
    std::fs::remove_file(data_dir.join(MARKER)).map_err(|e| io(data_dir, e))?;
    sync_dir(data_dir)?;
    let _ = std::fs::remove_dir_all(&work);
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

fn db_bytes(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("db"))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// Compacts the store at `data_dir` when its file has grown well past its
/// live content; returns the file size before and after when it did.
/// The store must not be open.
pub fn compact_if_bloated(data_dir: &Path) -> Result<Option<(u64, u64)>> {
    recover(data_dir)?;
    let before = db_bytes(data_dir);
    let last: u64 = std::fs::read_to_string(data_dir.join(SIZE_FILE))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if before <= MIN_BYTES.max(last.saturating_mul(4)) {
        return Ok(None);
    }
    compact(data_dir).map(|after| Some((before, after)))
}

/// Copies the live store into a fresh sled and swaps it in.
pub fn compact(data_dir: &Path) -> Result<u64> {
    recover(data_dir)?;
    let work = data_dir.join(WORK);
    {
        let old = super::sled_config(data_dir)
            .cache_capacity(4 << 20)
            .open()
            .map_err(StoreError::Sled)?;
        let new = super::sled_config(&work)
            .cache_capacity(4 << 20)
            .flush_every_ms(None)
            .open()
            .map_err(StoreError::Sled)?;
        new.import(old.export());
        new.flush()?;
    }
    // sled's flush is not a barrier (`durable`): the copy must be whole on
    // the disk before the marker says the swap may begin.
    super::durable::sync_tree(&work)?;
    sync_dir(data_dir)?;
    set_phase(data_dir, "out")?;
    swap(data_dir)?;
    let after = db_bytes(data_dir);
    if let Err(e) =
        super::durable::write_atomic(&data_dir.join(SIZE_FILE), after.to_string().as_bytes())
    {
        tracing::warn!(error = %e, "could not record the compacted size");
    }
    Ok(after)
}
