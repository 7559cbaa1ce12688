//! The business day: which day's takings a moment belongs to, in the
//! store's zone. The engine, the archive, reports and screens all ask here.

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

/// The business date (`YYYY-MM-DD`) of a moment in the store's zone.
pub fn business_date(at: &DateTime<FixedOffset>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d").to_string()
}
