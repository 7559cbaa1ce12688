//! Day summaries: each archived business day's report folded once, when
//! the day moves to the archive, so a report over many archived days adds
//! their summaries instead of reading and folding every event again (a
//! month's Z-report: seconds of decoding become milliseconds).
//!
//! A summary is the day's events folded on their own ([`FoldPart`]), the
//! day's event range (it must match the archive index's, or it is not
//! used), whether the day stands alone (no event of it touches an order
//! placed before it, or before its own placing event), and a 64-bit hash
//! (FNV-1a) of every order id placed in it. It is exact to add into a
//! window's fold only when nothing else in the window touches the day's
//! orders; [`build_window`] checks that as it goes (a hash match, even a
//! false one, only means folding instead) and folds the whole window, as
//! before summaries, whenever it does not hold. A day archived before
//! summaries existed is folded as it always was.
//!
//! Stored in the `meta` tree beside the day's index entry
//! (`store::archive`), in the same transaction, so it describes the file the
//! index describes.

use super::fold::{FoldPart, Folder};
use super::sections::{ReportKind, ZReport};
use crate::domain::{Event, EventBody, OrderId};
use crate::store::archive::ArchivedDay;
use crate::store::{backup::fnv1a, decode, encode, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The summary layout this build writes and reads.
const VERSION: u32 = 1;

/// One archived business day's report, folded once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySummary {
    pub version: u32,
    pub date: String,
    /// The day file's event range and count, as its index entry has them.
    pub first_event: u64,
    pub last_event: u64,
    pub events: u64,
    /// No event of the day touches an order it had not placed itself by then.
    pub stands_alone: bool,
    /// FNV-1a of each order id placed in the day, sorted.
    pub placed: Vec<u64>,
    pub part: FoldPart,
}

fn order_hash(id: &OrderId) -> u64 {
    fnv1a(id.0.as_bytes())
}

/// The orders an event touches: its own, and those a shift's opening
/// carries in.
fn touched(ev: &Event) -> impl Iterator<Item = &OrderId> {
    let carried: &[crate::domain::OrderState] = match &ev.body {
        EventBody::ShiftOpened { carried, .. } => carried,
        _ => &[],
    };
    ev.body
        .order_id()
        .into_iter()
        .chain(carried.iter().map(|st| &st.order.id))
}

/// Folds one day's events (in id order) into its summary.
pub fn summarize(date: &str, events: impl IntoIterator<Item = Event>) -> DaySummary {
    let mut f = Folder::new(ReportKind::Day);
    let mut placed: HashSet<OrderId> = HashSet::new();
    let mut stands_alone = true;
    let mut count = 0u64;
    for ev in events {
        count += 1;
        if let EventBody::OrderPlaced { order } = &ev.body {
            placed.insert(order.id.clone());
        } else if touched(&ev).any(|id| !placed.contains(id)) {
            stands_alone = false;
        }
        f.push(&ev);
    }
    let part = f.part();
    let mut hashes: Vec<u64> = placed.iter().map(order_hash).collect();
    hashes.sort_unstable();
    DaySummary {
        version: VERSION,
        date: date.to_string(),
        first_event: part.first_event,
        last_event: part.last_event,
        events: count,
        stands_alone,
        placed: hashes,
        part,
    }
}

/// The summary of an archived day, made from its file (as archiving just
/// wrote it), encoded for `store::archive::Plan::summary`.
pub fn of_archived_day(store: &Store, date: &str) -> Result<Vec<u8>, StoreError> {
    let recs = crate::store::archive::read_day(&store.path, date)?.unwrap_or_default();
    let mut events = Vec::with_capacity(recs.events.len());
    for v in recs.events.values() {
        events.push(decode::<Event>(v)?);
    }
    Ok(encode(&summarize(date, events)))
}

/// A day's summary, if it has one this build reads and it describes the
/// day's file as indexed.
fn usable_summary(store: &Store, day: &ArchivedDay) -> Result<Option<DaySummary>, StoreError> {
    let Some(raw) = store.day_summary(&day.date)? else {
        return Ok(None);
    };
    let sum: DaySummary = match decode(&raw) {
        Ok(s) => s,
        // A summary that does not read is only a lost shortcut.
        Err(e) => {
            tracing::warn!(date = %day.date, error = %e, "a day summary does not read; folding the day");
            return Ok(None);
        }
    };
    let matches = sum.version == VERSION
        && sum.date == day.date
        && sum.first_event == day.first_event
        && sum.last_event == day.last_event
        && sum.events == day.events
        && sum.stands_alone;
    Ok(matches.then_some(sum))
}

/// Why a window could not use its summaries (it is folded whole instead).
struct NotAlone;

/// The report of events `from..=to`: archived days wholly inside the window
/// added from their summaries, everything else folded; exactly the report
/// folding every event gives (see the module doc). `jobs` as for `finish`.
pub fn build_window(
    store: &Store,
    kind: ReportKind,
    from: u64,
    to: u64,
    jobs: &[crate::store::JobRecord],
) -> Result<ZReport, StoreError> {
    let days = summaries_inside(store, from, to)?;
    if !days.is_empty() {
        if let Ok(r) = with_summaries(store, kind, from, to, &days)? {
            return Ok(r.finish(jobs));
        }
        tracing::debug!(
            from,
            to,
            "a day's orders are touched from outside it: folding the window"
        );
    }
    let mut f = Folder::new(kind);
    store.visit_events(from, to, |e| {
        f.push(&e);
        Ok(true)
    })?;
    Ok(f.finish(jobs))
}

/// The summaries of the archived days wholly inside `from..=to` whose id
/// range no other day's overlaps, in id order.
fn summaries_inside(store: &Store, from: u64, to: u64) -> Result<Vec<DaySummary>, StoreError> {
    let through = store.archived_through()?;
    if through < from {
        return Ok(Vec::new());
    }
    let mut days: Vec<ArchivedDay> = store
        .archived_days()?
        .into_iter()
        .filter(|d| d.events > 0)
        .collect();
    days.sort_by_key(|d| d.first_event);
    let mut out = Vec::new();
    for (i, d) in days.iter().enumerate() {
        let inside = from <= d.first_event && d.last_event <= to.min(through);
        let overlaps = (i > 0 && days[i - 1].last_event >= d.first_event)
            || days
                .get(i + 1)
                .is_some_and(|n| n.first_event <= d.last_event);
        if inside && !overlaps {
            if let Some(s) = usable_summary(store, d)? {
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// The fold with `days` absorbed; `Err(NotAlone)` when something in the
/// window touches an absorbed day's orders (or a day places an order the
/// fold already holds), so the summaries would not give the fold's answer.
fn with_summaries(
    store: &Store,
    kind: ReportKind,
    from: u64,
    to: u64,
    days: &[DaySummary],
) -> Result<Result<Folder, NotAlone>, StoreError> {
    let mut f = Folder::new(kind);
    // Hashes of the orders placed in the days absorbed so far.
    let mut absorbed: HashSet<u64> = HashSet::new();
    let mut next = from;
    for d in days {
        if d.first_event > next && !fold_checked(store, &mut f, &absorbed, next, d.first_event - 1)?
        {
            return Ok(Err(NotAlone));
        }
        let held_before = f
            .order_ids()
            .any(|id| d.placed.binary_search(&order_hash(id)).is_ok());
        if held_before || d.placed.iter().any(|h| absorbed.contains(h)) {
            return Ok(Err(NotAlone));
        }
        f.absorb(&d.part);
        absorbed.extend(d.placed.iter().copied());
        next = d.last_event + 1;
    }
    if next <= to && !fold_checked(store, &mut f, &absorbed, next, to)? {
        return Ok(Err(NotAlone));
    }
    Ok(Ok(f))
}

/// Folds events `a..=b` into `f`; false (stopping there) at the first event
/// that touches an order of an absorbed day the fold does not hold.
fn fold_checked(
    store: &Store,
    f: &mut Folder,
    absorbed: &HashSet<u64>,
    a: u64,
    b: u64,
) -> Result<bool, StoreError> {
    let mut clean = true;
    store.visit_events(a, b, |e| {
        if !absorbed.is_empty()
            && touched(&e).any(|id| !f.knows(id) && absorbed.contains(&order_hash(id)))
        {
            clean = false;
            return Ok(false);
        }
        f.push(&e);
        Ok(true)
    })?;
    Ok(clean)
}
