//! The PIN lockout policy: after `PIN_LOCK_AFTER` wrong PINs in a row a
//! person is locked out for `PIN_LOCK_SECONDS`. The engine verifies PINs and
//! stores the counts; what they mean is decided here.

use super::refusal::Refusal;
use super::staff::{StaffId, PIN_LOCK_AFTER, PIN_LOCK_SECONDS};
use chrono::{DateTime, FixedOffset};

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

/// What one more wrong PIN does, after `failures` in a row: the count it
/// makes (as the `PinRejected` event records it), the failures kept for
/// next time (reset by a lock), the lock, and the refusal to give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongPin {
    pub failures: u32,
    pub failures_kept: u32,
    pub locked_until: Option<DateTime<FixedOffset>>,
    pub refusal: Refusal,
}

/// The lockout policy: [`PIN_LOCK_AFTER`] wrong PINs in a row lock the
/// person out for [`PIN_LOCK_SECONDS`].
pub fn wrong_pin(staff_id: &StaffId, failures_before: u32, now: DateTime<FixedOffset>) -> WrongPin {
    let failures = failures_before + 1;
    if failures >= PIN_LOCK_AFTER {
        WrongPin {
            failures,
            failures_kept: 0,
            locked_until: Some(now + chrono::Duration::seconds(PIN_LOCK_SECONDS)),
            refusal: Refusal::LockedOut {
                staff_id: staff_id.0.clone(),
                seconds: PIN_LOCK_SECONDS,
            },
        }
    } else {
        WrongPin {
            failures,
            failures_kept: failures,
            locked_until: None,
            refusal: Refusal::WrongPin {
                staff_id: staff_id.0.clone(),
                failures,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noon() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-25T12:00:00+08:00").expect("a fixed time")
    }

    #[test]
    fn the_fifth_wrong_pin_in_a_row_locks_the_cashier_out_for_a_minute() {
        let id = StaffId("01".into());
        let fourth = wrong_pin(&id, PIN_LOCK_AFTER - 2, noon());
        assert_eq!(fourth.locked_until, None);
        assert_eq!(fourth.failures_kept, PIN_LOCK_AFTER - 1);
        let fifth = wrong_pin(&id, PIN_LOCK_AFTER - 1, noon());
        assert_eq!(fifth.failures, PIN_LOCK_AFTER);
        assert_eq!(fifth.failures_kept, 0);
        assert!(
            matches!(fifth.refusal, Refusal::LockedOut { seconds, .. } if seconds == PIN_LOCK_SECONDS)
        );
        assert_eq!(
            locked_for(fifth.locked_until, noon()),
            Some(PIN_LOCK_SECONDS)
        );
        let later = noon() + chrono::Duration::seconds(PIN_LOCK_SECONDS);
        assert_eq!(locked_for(fifth.locked_until, later), None);
    }
}
