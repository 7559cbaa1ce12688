//! Shift reports: the Z-report (end of shift), the X-report (mid-shift) and
//! a business day's report, all derived from the event log.
//!
//! - `fold`: the pure fold of one window of events (and the spool's jobs)
//!   into a `ZReport`.
//! - `layout`: the report laid out as printed lines for a column width
//!   (32 on 58 mm paper, 48 on 80 mm), counting Chinese as two columns.
//! - `export`: JSON and CSV for `passline report`.
//! - `summary`: each archived day's report folded once at archive time, so
//!   a report over archived days adds summaries instead of folding events.
//! - here: finding a window in the store (a shift's record in `meta`, or a
//!   business date in the log) and reading it.

pub mod export;
pub mod fold;
pub mod layout;
pub mod sections;
pub mod summary;

pub use fold::{build, Folder};
pub use sections::{ReportKind, TenderKind, ZReport};

use crate::domain::shift::{shift_key, ShiftRecord};
use crate::domain::Event;
use crate::store::{be_u64, decode, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "no shift is open: an X-report needs an open shift (give --shift N for an earlier one)"
    )]
    NoOpenShift,
    #[error("no shift has been closed yet: close one first, or take an X-report")]
    NoClosedShift,
    #[error(
        "there is no shift {0}: `passline report z` without --shift reads the last closed one"
    )]
    UnknownShift(u64),
    #[error("shift {0} is still open: take an X-report, or close the shift first")]
    StillOpen(u64),
    #[error("'{0}' is not a date: write it as YYYY-MM-DD, like 2026-11-25")]
    BadDate(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sled::Error> for ReportError {
    fn from(e: sled::Error) -> Self {
        ReportError::Store(StoreError::Sled(e))
    }
}

/// Shift `n`'s record.
pub fn shift(store: &Store, n: u64) -> Result<Option<ShiftRecord>, ReportError> {
    Ok(store
        .meta
        .get(shift_key(n))?
        .map(|v| decode(&v))
        .transpose()?)
}

/// The shift open now, if any.
pub fn open_shift(store: &Store) -> Result<Option<ShiftRecord>, ReportError> {
    match store.meta.get("shift_open")? {
        Some(n) => shift(store, be_u64(&n)),
        None => Ok(None),
    }
}

/// The most recently closed shift.
pub fn last_closed(store: &Store) -> Result<Option<ShiftRecord>, ReportError> {
    for kv in store.meta.scan_prefix(b"shift/").rev() {
        let (_, v) = kv?;
        let rec: ShiftRecord = decode(&v)?;
        if rec.closed_event.is_some() {
            return Ok(Some(rec));
        }
    }
    Ok(None)
}

/// Events `from..=to` of the log (live or archived).
pub fn events_between(store: &Store, from: u64, to: u64) -> Result<Vec<Event>, ReportError> {
    if to < from {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(((to - from) as usize + 1).min(1 << 16));
    store.visit_events(from, to, |e| {
        out.push(e);
        Ok(true)
    })?;
    Ok(out)
}

/// The report of events `from..=to`: archived days from their summaries
/// where that gives the same report, the rest streamed through the fold
/// (memory grows with the orders of the window, not with its events).
fn build_from(store: &Store, kind: ReportKind, from: u64, to: u64) -> Result<ZReport, ReportError> {
    let jobs = store.jobs()?;
    Ok(summary::build_window(store, kind, from, to, &jobs)?)
}

/// The Z-report of shift `n`, or of the last closed shift.
pub fn z_report(store: &Store, n: Option<u64>) -> Result<ZReport, ReportError> {
    let rec = match n {
        Some(n) => shift(store, n)?.ok_or(ReportError::UnknownShift(n))?,
        None => last_closed(store)?.ok_or(ReportError::NoClosedShift)?,
    };
    let to = rec.closed_event.ok_or(ReportError::StillOpen(rec.number))?;
    build_from(store, ReportKind::Z, rec.opened_event, to)
}

/// The X-report of the open shift (or of shift `n` so far): closes nothing.
pub fn x_report(store: &Store, n: Option<u64>) -> Result<ZReport, ReportError> {
    let rec = match n {
        Some(n) => shift(store, n)?.ok_or(ReportError::UnknownShift(n))?,
        None => open_shift(store)?.ok_or(ReportError::NoOpenShift)?,
    };
    let to = match rec.closed_event {
        Some(c) => c.saturating_sub(1),
        None => store.last_event_id()?,
    };
    build_from(store, ReportKind::X, rec.opened_event, to)
}

/// The report of one business date (`YYYY-MM-DD`), whatever the shifts.
/// The log is in time order (one writer, one clock), so the date's window
/// is found by bisection. Orders placed on an earlier day count only by
/// what their events say.
pub fn day_report(store: &Store, date: &str, tz: chrono_tz::Tz) -> Result<ZReport, ReportError> {
    if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
        return Err(ReportError::BadDate(date.to_string()));
    }
    let last = store.last_event_id()?;
    let date_of = |id: u64| -> Result<String, ReportError> {
        Ok(store
            .event_date(id, tz)?
            .ok_or_else(|| StoreError::Decode(format!("the log has no event {id}")))?)
    };
    // The first id whose date is >= (or >) the date.
    let first_at = |after: bool| -> Result<u64, ReportError> {
        let (mut lo, mut hi) = (1u64, last + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let d = date_of(mid)?;
            let before = if after {
                d.as_str() <= date
            } else {
                d.as_str() < date
            };
            if before {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    };
    let from = first_at(false)?;
    let to = first_at(true)?.saturating_sub(1);
    let mut r = build_from(store, ReportKind::Day, from, to)?;
    r.date = Some(date.to_string());
    Ok(r)
}
