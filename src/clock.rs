//! Time as the emulated services see it. Every read of "now" goes through a [`Clock`], so that a
//! test can move time forward (token expiry, resource lifecycles) without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// Real time plus an offset that only moves forward or back when asked. One per session.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn new() -> Clock {
        Clock::default()
    }

    pub fn now(&self) -> OffsetDateTime {
        let offset = self.offset_ms.load(Ordering::Relaxed);
        OffsetDateTime::now_utc() + time::Duration::milliseconds(offset)
    }

    /// Seconds since the Unix epoch, as JWT claims want them.
    pub fn unix_seconds(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// Moves virtual time forward.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Back to real time.
    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::Relaxed);
    }

    /// Puts virtual time this far ahead of real time (the control API's `set`).
    pub fn set_offset(&self, offset: Duration) {
        let ms = i64::try_from(offset.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.store(ms, Ordering::Relaxed);
    }

    /// How far virtual time is ahead of real time.
    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::Relaxed).max(0).unsigned_abs())
    }
}

/// ISO 8601 in UTC with microseconds, as pydantic writes datetimes: `2026-03-01T12:00:00.000000Z`.
/// Fixed width, so these strings also sort in time order in SQL.
const ISO: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

pub fn iso(t: OffsetDateTime) -> String {
    // Only years outside 0..=9999 fail to format, and virtual time never goes there.
    t.to_offset(time::UtcOffset::UTC)
        .format(ISO)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward() {
        let clock = Clock::new();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        let moved = clock.now() - before;
        assert!(moved >= time::Duration::seconds(3600));
        clock.reset();
        assert!(clock.now() - before < time::Duration::seconds(3600));
    }

    #[test]
    fn iso_is_fixed_width_utc() {
        let t = time::macros::datetime!(2026-03-01 12:00:00.5 UTC);
        assert_eq!(iso(t), "2026-03-01T12:00:00.500000Z");
    }
}
