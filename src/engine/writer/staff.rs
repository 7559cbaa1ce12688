//! Staff records and PIN checks. The lockout policy is the domain's
//! (`domain::lockout::wrong_pin`); this file stores its outcome.

use super::{Writer, Writes, STAFF};
use crate::domain::lockout::{locked_for, wrong_pin};
use crate::domain::{Actor, EventBody, Refusal, Staff, StaffId};
use crate::engine::{pins, EngineError};
use crate::store::{decode, encode, StaffRecord};

impl Writer {
    pub(super) fn staff_record(&self, id: &StaffId) -> Result<StaffRecord, EngineError> {
        self.get(STAFF, id.0.as_bytes())?
            .map(|v| decode::<StaffRecord>(&v))
            .transpose()?
            .ok_or_else(|| {
                Refusal::UnknownStaff {
                    staff_id: id.0.clone(),
                }
                .into()
            })
    }

    pub(super) fn active_staff(&self, id: &StaffId) -> Result<Staff, EngineError> {
        let rec = self.staff_record(id)?;
        if !rec.staff.active {
            return Err(Refusal::StaffDisabled {
                staff_id: id.0.clone(),
            }
            .into());
        }
        Ok(rec.staff)
    }

    /// Verifies a PIN. A wrong one is counted durably (the refusal is
    /// committed as a `PinRejected` event); the domain's `wrong_pin` says when
    /// that locks the person out.
    pub(super) fn check_pin(&mut self, id: &StaffId, pin: &str) -> Result<Staff, EngineError> {
        let mut rec = self.staff_record(id)?;
        if !rec.staff.active {
            return Err(Refusal::StaffDisabled {
                staff_id: id.0.clone(),
            }
            .into());
        }
        let now = self.now();
        if let Some(seconds) = locked_for(rec.locked_until, now) {
            return Err(Refusal::LockedOut {
                staff_id: id.0.clone(),
                seconds,
            }
            .into());
        }
        if pins::verify_pin(pin, &rec.pin_hash) {
            if rec.failures > 0 || rec.locked_until.is_some() {
                rec.failures = 0;
                rec.locked_until = None;
                let mut w = Writes::default();
                w.put(STAFF, id.0.clone().into_bytes(), encode(&rec));
                self.stage(w);
            }
            return Ok(rec.staff);
        }
        let wrong = wrong_pin(id, rec.failures, now);
        rec.failures = wrong.failures_kept;
        if wrong.locked_until.is_some() {
            rec.locked_until = wrong.locked_until;
        }
        let mut w = Writes::default();
        w.put(STAFF, id.0.clone().into_bytes(), encode(&rec));
        self.add_events(
            &mut w,
            Actor::Staff { id: id.clone() },
            vec![EventBody::PinRejected {
                staff_id: id.clone(),
                failures: wrong.failures,
                locked_until: rec.locked_until,
            }],
            now,
        )?;
        self.side_events.extend(w.events.clone());
        self.stage(w);
        tracing::warn!(staff = %id, failures = wrong.failures, "wrong PIN");
        Err(wrong.refusal.into())
    }
}
