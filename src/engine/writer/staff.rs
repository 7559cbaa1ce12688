//! Staff records and PIN checks. The lockout policy is the domain's
//! (`domain::lockout::PinCount`); this file keeps its counts and stores the
//! outcome. Argon2 runs before a command reaches the writer (on a blocking
//! pool, `engine::pins::Verdicts`), so a flood of PIN checks cannot hold up
//! commits; the writer only looks the verdict up, and counts, so the count
//! stays exact: a check that arrives while its device is locked is refused
//! and not counted.
//!
//! Counts (meta tree): `pin:staff:{id}` holds, per staff id, the count
//! across all devices and one count per device; `pin:device:{device}` the
//! wrong PINs of one device for any id on one business day. An unknown staff
//! id is counted and refused exactly like a wrong PIN.

use super::{Writer, Writes, META, STAFF};
use crate::domain::business_day::business_date;
use crate::domain::lockout::PinCount;
use crate::domain::staff::PIN_DEVICE_DAILY_MAX;
use crate::domain::{Actor, EventBody, Refusal, Staff, StaffId};
use crate::engine::{pins, EngineError};
use crate::store::{decode, encode, StaffRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One staff id's PIN counts: across all devices, and per device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StaffPins {
    pub anywhere: PinCount,
    pub devices: BTreeMap<String, PinCount>,
    /// Devices this person last signed in on with the right PIN (at most
    /// [`TRUSTED_DEVICES`]): a hold across devices does not apply there, so
    /// guesses from many strange devices do not lock the cashier out of
    /// their own screen.
    #[serde(default)]
    pub trusted: Vec<String>,
}

/// The devices remembered per staff member as their own.
const TRUSTED_DEVICES: usize = 8;

impl StaffPins {
    /// Why a PIN for `id` may not be tried from `device` now, if not.
    pub(crate) fn refusal(
        &self,
        id: &StaffId,
        device: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Option<Refusal> {
        let here = self.devices.get(device).copied().unwrap_or_default();
        here.refusal(id, now).or_else(|| {
            if self.trusted.iter().any(|d| d == device) {
                None
            } else {
                self.anywhere.refusal(id, now)
            }
        })
    }
}

/// One device's wrong PINs (any staff id) on one business day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DevicePins {
    pub day: String,
    pub wrong: u32,
}

pub(crate) fn staff_pins_key(id: &StaffId) -> String {
    format!("pin:staff:{}", id.0)
}

fn device_pins_key(device: &str) -> String {
    format!("pin:device:{device}")
}

impl Writer {
    pub(super) fn staff_record(&self, id: &StaffId) -> Result<StaffRecord, EngineError> {
        self.staff_record_opt(id)?.ok_or_else(|| {
            Refusal::UnknownStaff {
                staff_id: id.0.clone(),
            }
            .into()
        })
    }

    fn staff_record_opt(&self, id: &StaffId) -> Result<Option<StaffRecord>, EngineError> {
        Ok(self
            .get(STAFF, id.0.as_bytes())?
            .map(|v| decode::<StaffRecord>(&v))
            .transpose()?)
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

    pub(super) fn staff_pins(&self, id: &StaffId) -> Result<StaffPins, EngineError> {
        Ok(self
            .get(META, staff_pins_key(id).as_bytes())?
            .map(|v| decode(&v))
            .transpose()?
            .unwrap_or_default())
    }

    /// Checks a PIN for the command being decided, from the device it came
    /// from. A locked device or id is refused without looking at the PIN
    /// (and without counting). A wrong PIN or an unknown id is counted
    /// durably (committed as a `PinRejected` event even though the command
    /// is refused) and refused alike.
    pub(super) fn check_pin(&mut self, id: &StaffId, pin: &str) -> Result<Staff, EngineError> {
        let now = self.now();
        let device = self.device.clone();
        let day = business_date(&now, self.cfg.tz);
        let dkey = device_pins_key(&device);
        let mut dev: DevicePins = self
            .get(META, dkey.as_bytes())?
            .map(|v| decode(&v))
            .transpose()?
            .unwrap_or_default();
        if dev.day != day {
            dev = DevicePins {
                day: day.clone(),
                wrong: 0,
            };
        }
        if dev.wrong >= PIN_DEVICE_DAILY_MAX {
            return Err(Refusal::ScreenLocked { wrong: dev.wrong }.into());
        }
        let mut pins_of = self.staff_pins(id)?;
        let here = pins_of.devices.get(&device).copied().unwrap_or_default();
        if let Some(r) = pins_of.refusal(id, &device, now) {
            return Err(r.into());
        }
        let rec = self.staff_record_opt(id)?;
        let phc = rec.as_ref().map(|r| r.pin_hash.as_str());
        let right = match self.verdicts.take(id, pin, phc) {
            Some(v) => v,
            // A command that came without a verdict (pipelined with
            // `submit`): checked here, as before.
            None => pins::verify_or_dummy(pin, phc),
        };
        let mut w = Writes::default();
        if right {
            let rec = rec.expect("a right PIN has a staff record to match");
            if !rec.staff.active {
                return Err(Refusal::StaffDisabled {
                    staff_id: id.0.clone(),
                }
                .into());
            }
            let before = pins_of.clone();
            pins_of.devices.remove(&device);
            // A hold stays until a manager lifts it, right PIN or not.
            if !pins_of.anywhere.held {
                pins_of.anywhere = PinCount::default();
            }
            pins_of.trusted.retain(|d| d != &device);
            pins_of.trusted.push(device.clone());
            if pins_of.trusted.len() > TRUSTED_DEVICES {
                pins_of.trusted.remove(0);
            }
            if pins_of != before {
                w.put(META, staff_pins_key(id), encode(&pins_of));
                self.stage(w);
            }
            return Ok(rec.staff);
        }
        let wrong_here = here.wrong(now);
        let wrong_anywhere = pins_of.anywhere.wrong_anywhere();
        pins_of.devices.insert(device.clone(), wrong_here.count);
        pins_of.anywhere = wrong_anywhere.count;
        dev.wrong += 1;
        w.put(META, staff_pins_key(id), encode(&pins_of));
        w.put(META, dkey, encode(&dev));
        let held = wrong_here.held || wrong_anywhere.held;
        self.add_events(
            &mut w,
            Actor::Staff { id: id.clone() },
            vec![EventBody::PinRejected {
                staff_id: id.clone(),
                failures: here.failures + 1,
                locked_until: wrong_here.count.locked_until,
                device: Some(device.clone()),
                held,
            }],
            now,
        )?;
        self.side_events.extend(w.events.clone());
        self.stage(w);
        if held {
            tracing::error!(staff = %id, device = %device, "PINs held after too many wrong ones: a manager must unlock (passline staff unlock)");
        } else {
            tracing::warn!(staff = %id, device = %device, failures = wrong_here.count.total, "wrong PIN");
        }
        let refusal = if held {
            Refusal::PinHeld {
                staff_id: id.0.clone(),
            }
        } else if let Some(seconds) = wrong_here.locked {
            Refusal::LockedOut {
                staff_id: id.0.clone(),
                seconds,
            }
        } else {
            Refusal::WrongPin {
                staff_id: id.0.clone(),
                failures: wrong_here.count.failures,
            }
        };
        Err(refusal.into())
    }

    /// A manager unlocked a staff id: every count on it starts again.
    pub(super) fn unlock_pins(&mut self, w: &mut Writes, id: &StaffId) -> Result<(), EngineError> {
        self.staff_record(id)?;
        w.del(META, staff_pins_key(id));
        self.add_events(
            w,
            Actor::Console,
            vec![EventBody::PinsUnlocked {
                staff_id: id.clone(),
            }],
            self.now(),
        )
    }
}
