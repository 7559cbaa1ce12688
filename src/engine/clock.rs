//! The engine's clock, in the store's time zone; a fixed clock for tests.

use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<FixedOffset>;
}

/// Wall-clock time in the store's time zone.
pub struct SystemClock {
    pub tz: Tz,
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        Utc::now().with_timezone(&self.tz).fixed_offset()
    }
}

/// A clock that only moves when told to (tests, snapshots).
pub struct FixedClock(Mutex<DateTime<FixedOffset>>);

impl FixedClock {
    pub fn new(at: DateTime<FixedOffset>) -> FixedClock {
        FixedClock(Mutex::new(at))
    }

    pub fn at(rfc3339: &str) -> FixedClock {
        FixedClock::new(
            DateTime::parse_from_rfc3339(rfc3339).expect("tests give a valid RFC 3339 time"),
        )
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub use crate::domain::business_day::business_date;
