//! The PIN rules: the lockout policy and what a PIN must look like. Wrong
//! PINs are counted per device and per staff id across devices; every
//! `PIN_LOCK_AFTER` on one device lock it for the next of `PIN_LOCK_STEPS`
//! (60 s, 5 min, 30 min), after which it is held until a manager unlocks;
//! `PIN_HOLD_STAFF_AFTER` from all devices hold the person. The engine
//! verifies PINs and stores the counts; what they mean is decided here.

use super::refusal::Refusal;
use super::staff::{Role, StaffId, PIN_HOLD_STAFF_AFTER, PIN_LOCK_AFTER, PIN_LOCK_STEPS};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// The seconds a person must still wait before trying a PIN again, if they
/// are locked out now (at least 1 while the lock holds).
pub fn locked_for(
    locked_until: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
) -> Option<i64> {
    locked_until
        .filter(|until| *until > now)
        .map(|until| (until - now).num_seconds().max(1))
}

/// Wrong PINs counted for one thing (a device, or a staff id across all
/// devices): the failures since the last lock, the locks so far, the lock
/// now running, and whether it is held for a manager. Kept durably by the
/// engine (`pin:…` keys in the meta tree).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PinCount {
    pub failures: u32,
    pub locks: u32,
    pub locked_until: Option<DateTime<FixedOffset>>,
    pub held: bool,
    /// Failures since the last right PIN, locks or not.
    #[serde(default)]
    pub total: u32,
}

/// What one more wrong PIN does to a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongPin {
    pub count: PinCount,
    /// This failure started a lock (its seconds), or a hold.
    pub locked: Option<i64>,
    pub held: bool,
}

impl PinCount {
    /// Why a PIN may not be tried now, if it may not.
    pub fn refusal(&self, staff_id: &StaffId, now: DateTime<FixedOffset>) -> Option<Refusal> {
        if self.held {
            return Some(Refusal::PinHeld {
                staff_id: staff_id.0.clone(),
            });
        }
        locked_for(self.locked_until, now).map(|seconds| Refusal::LockedOut {
            staff_id: staff_id.0.clone(),
            seconds,
        })
    }

    /// A device's count: every [`PIN_LOCK_AFTER`] wrong PINs lock it for
    /// the next step of [`PIN_LOCK_STEPS`]; after the last, it is held.
    pub fn wrong(self, now: DateTime<FixedOffset>) -> WrongPin {
        let mut c = self;
        c.failures += 1;
        c.total = c.total.saturating_add(1);
        if c.failures < PIN_LOCK_AFTER {
            return WrongPin {
                count: c,
                locked: None,
                held: false,
            };
        }
        c.failures = 0;
        match PIN_LOCK_STEPS.get(c.locks as usize) {
            Some(&seconds) => {
                c.locks += 1;
                c.locked_until = Some(now + chrono::Duration::seconds(seconds));
                WrongPin {
                    count: c,
                    locked: Some(seconds),
                    held: false,
                }
            }
            None => {
                c.held = true;
                c.locked_until = None;
                WrongPin {
                    count: c,
                    locked: None,
                    held: true,
                }
            }
        }
    }

    /// A staff id's count across devices: held after
    /// [`PIN_HOLD_STAFF_AFTER`] wrong PINs since the last right one.
    pub fn wrong_anywhere(self) -> WrongPin {
        let mut c = self;
        c.total = c.total.saturating_add(1);
        c.failures = c.total;
        let held = !c.held && c.total >= PIN_HOLD_STAFF_AFTER;
        c.held |= held;
        WrongPin {
            count: c,
            locked: None,
            held,
        }
    }
}

/// What a PIN must look like: digits only, at least `min_len` of them
/// (`manager_min_len` for managers), at most 12. `[staff]` in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinPolicy {
    pub min_len: usize,
    pub manager_min_len: usize,
}

/// The longest PIN: longer is a password, and the keypad is for PINs.
pub const PIN_MAX_LEN: usize = 12;

impl Default for PinPolicy {
    /// 4 digits for cashiers and kitchen staff, 6 for managers.
    fn default() -> Self {
        PinPolicy {
            min_len: 4,
            manager_min_len: 6,
        }
    }
}

impl PinPolicy {
    /// The fewest digits a PIN for this role may have.
    pub fn min_for(&self, role: Role) -> usize {
        match role {
            Role::Manager => self.manager_min_len.max(self.min_len),
            _ => self.min_len,
        }
    }

    /// Checks a new PIN for a person of this role.
    pub fn check(&self, pin: &str, role: Role) -> Result<(), Refusal> {
        let min = self.min_for(role);
        if (min..=PIN_MAX_LEN).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(Refusal::PinTooWeak {
                role: role.as_str().into(),
                min,
                max: PIN_MAX_LEN,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::staff::PIN_LOCK_SECONDS;

    fn noon() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-25T12:00:00+08:00").expect("a fixed time")
    }

    #[test]
    fn locks_grow_from_a_minute_to_half_an_hour_then_hold_for_a_manager() {
        let id = StaffId("01".into());
        let mut c = PinCount::default();
        let mut locks = Vec::new();
        for _ in 0..(PIN_LOCK_AFTER * 4) {
            let w = c.wrong(noon());
            c = w.count;
            if let Some(s) = w.locked {
                locks.push(s);
            }
            if w.held {
                locks.push(-1);
            }
        }
        assert_eq!(locks, [60, 300, 1800, -1]);
        assert!(matches!(
            c.refusal(&id, noon()),
            Some(Refusal::PinHeld { .. })
        ));
        let later = noon() + chrono::Duration::days(7);
        assert!(c.refusal(&id, later).is_some(), "a hold does not expire");
    }

    #[test]
    fn the_fifth_wrong_pin_in_a_row_locks_for_a_minute() {
        let id = StaffId("01".into());
        let mut c = PinCount::default();
        for _ in 1..PIN_LOCK_AFTER {
            c = c.wrong(noon()).count;
            assert_eq!(c.refusal(&id, noon()), None);
        }
        let fifth = c.wrong(noon());
        assert_eq!(fifth.locked, Some(PIN_LOCK_SECONDS));
        let later = noon() + chrono::Duration::seconds(PIN_LOCK_SECONDS);
        assert_eq!(fifth.count.refusal(&id, later), None);
    }

    #[test]
    fn a_staff_id_is_held_only_after_more_than_one_device_could_try() {
        let mut c = PinCount::default();
        let mut held_at = None;
        for n in 1..=PIN_HOLD_STAFF_AFTER {
            let w = c.wrong_anywhere();
            c = w.count;
            if w.held {
                held_at = Some(n);
            }
        }
        assert_eq!(held_at, Some(PIN_HOLD_STAFF_AFTER));
        const { assert!(PIN_HOLD_STAFF_AFTER > PIN_LOCK_AFTER * 4) };
    }

    #[test]
    fn managers_need_six_digits_by_default() {
        let p = PinPolicy::default();
        assert!(p.check("1234", Role::Cashier).is_ok());
        assert!(matches!(
            p.check("9090", Role::Manager),
            Err(Refusal::PinTooWeak { min: 6, .. })
        ));
        assert!(p.check("909090", Role::Manager).is_ok());
        assert!(p.check("12a4", Role::Cashier).is_err());
        assert!(p.check("1234567890123", Role::Cashier).is_err());
    }
}
