//! Opening and closing a shift: the shift record in `meta` and the window
//! of the log it reads. What a close comes to is `domain::closing::close`.

use super::{Writer, Writes, META};
use crate::domain::closing;
use crate::domain::shift::{shift_key, DrawerCount, ShiftRecord};
use crate::domain::{Actor, Approval, EventBody, Fen, OrderState, Refusal, StaffId};
use crate::engine::EngineError;
use crate::store::{be_u64, decode, encode};
use chrono::{DateTime, FixedOffset};

impl Writer {
    /// The shift now open, if any (`meta` key `shift_open` names it).
    pub(super) fn open_shift_record(&self) -> Result<Option<ShiftRecord>, EngineError> {
        let Some(n) = self.get(META, b"shift_open")? else {
            return Ok(None);
        };
        Ok(self
            .get(META, &shift_key(be_u64(&n)))?
            .map(|v| decode(&v))
            .transpose()?)
    }

    pub(super) fn open_shift(
        &mut self,
        w: &mut Writes,
        staff_id: &StaffId,
        pin: Option<&str>,
        float: Fen,
        now: DateTime<FixedOffset>,
    ) -> Result<(), EngineError> {
        let staff = match pin {
            Some(p) => self.check_pin(staff_id, p)?,
            None => self.active_staff(staff_id)?,
        };
        closing::may_run_shift(&staff)?;
        if let Some(open) = self.open_shift_record()? {
            return Err(Refusal::ShiftOpen { shift: open.number }.into());
        }
        closing::check_float(float)?;
        self.cfg.rules.limits.check_float(float)?;
        let number = self
            .get(META, b"shift_seq")?
            .map(|v| be_u64(&v))
            .unwrap_or(0)
            + 1;
        let mut carried: Vec<OrderState> = self
            .orders
            .values()
            .filter(|o| o.is_open())
            .cloned()
            .collect();
        carried.sort_by(|a, b| a.order.id.cmp(&b.order.id));
        let opened_event = self.next_event + w.events.len() as u64;
        self.add_events(
            w,
            Actor::Staff {
                id: staff.id.clone(),
            },
            vec![EventBody::ShiftOpened {
                shift: number,
                by: staff.id.clone(),
                float,
                carried,
            }],
            now,
        )?;
        let rec = ShiftRecord {
            number,
            opened_by: staff.id,
            opened_at: now,
            opened_event,
            float,
            closed_at: None,
            closed_event: None,
        };
        w.put(META, shift_key(number), encode(&rec));
        w.put(META, "shift_seq", number.to_be_bytes().to_vec());
        w.put(META, "shift_open", number.to_be_bytes().to_vec());
        tracing::info!(shift = number, float = %float, "shift opened");
        Ok(())
    }

    pub(super) fn close_shift(
        &mut self,
        w: &mut Writes,
        staff_id: &StaffId,
        approval: &Approval,
        count: DrawerCount,
        confirm_open_issues: bool,
        now: DateTime<FixedOffset>,
    ) -> Result<(), EngineError> {
        let staff = self.active_staff(staff_id)?;
        closing::may_run_shift(&staff)?;
        let approver = self.check_pin(&approval.staff_id, &approval.pin)?;
        closing::may_approve_close(&approver)?;
        let Some(mut rec) = self.open_shift_record()? else {
            return Err(Refusal::NoShiftOpen.into());
        };
        // Decode only what may move cash: the rest of a day's log is
        // thousands of events (docs/performance.md, "Reports").
        let window = self.log_of_kinds_after(rec.opened_event, &EventBody::CASH_KINDS)?;
        let closed = closing::close(
            &rec,
            &staff.id,
            &approver.id,
            self.orders.values().filter(|o| o.is_open()),
            window.iter(),
            count,
            confirm_open_issues,
        )?;
        let (expected, counted) = match &closed {
            EventBody::ShiftClosed {
                expected, counted, ..
            } => (*expected, *counted),
            _ => (Fen::ZERO, Fen::ZERO),
        };
        let closed_event = self.next_event + w.events.len() as u64;
        self.add_events(w, Actor::Staff { id: staff.id }, vec![closed], now)?;
        rec.closed_at = Some(now);
        rec.closed_event = Some(closed_event);
        w.put(META, shift_key(rec.number), encode(&rec));
        w.del(META, "shift_open");
        tracing::info!(shift = rec.number, expected = %expected, counted = %counted, "shift closed");
        Ok(())
    }
}
