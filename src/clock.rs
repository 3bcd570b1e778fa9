//! Time as the emulated services see it. Every read of "now" goes through a [`Clock`], so that a
//! test can move time forward (token expiry, resource lifecycles) without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::{datetime, format_description};

/// The latest moment a session's virtual time may show: `POST /_offcloud/clock` refuses to go
/// past it. Every time the services derive from "now" adds at most a few [`LONGEST`] durations
/// (a Hasura preview app's seven steps are the most), so derived times stay below year 9999, the
/// last one the ISO format can write and the `time` crate can hold.
pub const LATEST: OffsetDateTime = datetime!(9000-01-01 00:00 UTC);

/// The longest duration a flag may set (token lifetimes, lifecycle transitions): 100 years.
pub const LONGEST: Duration = Duration::from_secs(36_500 * 86_400);

/// Real time plus an offset that only moves forward or back when asked. One per session.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn new() -> Clock {
        Clock::default()
    }

    /// Never past [`LATEST`], whatever offset was set.
    pub fn now(&self) -> OffsetDateTime {
        let offset = self.offset_ms.load(Ordering::Relaxed);
        OffsetDateTime::now_utc()
            .saturating_add(time::Duration::milliseconds(offset))
            .min(LATEST)
    }

    /// Seconds since the Unix epoch, as JWT claims want them.
    pub fn unix_seconds(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// Moves virtual time forward, at most to [`LATEST`].
    pub fn advance(&self, by: Duration) {
        let by = millis(by);
        let _ = self
            .offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                Some(offset.saturating_add(by).min(latest_offset_ms()))
            });
    }

    /// Back to real time.
    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::Relaxed);
    }

    /// Puts virtual time this far ahead of real time (the control API's `set`), at most to
    /// [`LATEST`].
    pub fn set_offset(&self, offset: Duration) {
        self.offset_ms
            .store(millis(offset).min(latest_offset_ms()), Ordering::Relaxed);
    }

    /// How far virtual time is ahead of real time.
    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::Relaxed).max(0).unsigned_abs())
    }
}

/// How far ahead of real time [`LATEST`] is now.
pub fn latest_offset() -> Duration {
    Duration::from_millis(latest_offset_ms().max(0).unsigned_abs())
}

/// Rounded up, so that a clock set this far ahead shows [`LATEST`] itself.
fn latest_offset_ms() -> i64 {
    let ahead = LATEST - OffsetDateTime::now_utc();
    i64::try_from(ahead.whole_milliseconds()).map_or(i64::MAX, |ms| ms.saturating_add(1))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// `t + d`, or the latest time `time` can hold when that is further: for durations that come from
/// requests or stored rows, which no bound covers.
pub fn later(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    t.saturating_add(time::Duration::try_from(d).unwrap_or(time::Duration::MAX))
}

/// `t` in UTC. A time given with an offset may fall past year 9999 (or before -9999) in UTC,
/// which `time` cannot hold: it becomes the nearest time it can.
pub fn utc(t: OffsetDateTime) -> OffsetDateTime {
    t.checked_to_offset(time::UtcOffset::UTC)
        .unwrap_or_else(|| {
            if t.year() > 0 {
                time::PrimitiveDateTime::MAX.assume_utc()
            } else {
                time::PrimitiveDateTime::MIN.assume_utc()
            }
        })
}

/// ISO 8601 in UTC with microseconds, as pydantic writes datetimes: `2026-03-01T12:00:00.000000Z`.
/// Fixed width, so these strings also sort in time order in SQL.
const ISO: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

pub fn iso(t: OffsetDateTime) -> String {
    // Only years outside 0..=9999 fail to format: virtual time never goes there, and a time from
    // a request that does is not written as any time.
    utc(t).format(ISO).unwrap_or_default()
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
    fn the_clock_stops_at_the_latest_time_it_may_show() {
        let clock = Clock::new();
        clock.advance(Duration::from_secs(u64::MAX));
        assert_eq!(clock.now(), LATEST);
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now(), LATEST);
        clock.set_offset(Duration::MAX);
        assert_eq!(clock.now(), LATEST);
        assert!(clock.offset() <= latest_offset());
        // Everything derived from it is still representable and writable.
        let furthest = later(LATEST, 7 * LONGEST);
        assert!(furthest.year() < 9999);
        assert_eq!(iso(furthest).len(), "2026-03-01T12:00:00.000000Z".len());
    }

    #[test]
    fn times_past_the_representable_saturate_instead_of_panicking() {
        assert_eq!(
            iso(later(LATEST, Duration::MAX)),
            "9999-12-31T23:59:59.999999Z"
        );
        let west = time::macros::datetime!(9999-12-31 23:00 -05:00);
        assert_eq!(iso(west), "9999-12-31T23:59:59.999999Z");
        let east = time::macros::datetime!(-9999-01-01 01:00 +05:00);
        assert_eq!(utc(east), time::PrimitiveDateTime::MIN.assume_utc());
    }

    #[test]
    fn iso_is_fixed_width_utc() {
        let t = time::macros::datetime!(2026-03-01 12:00:00.5 UTC);
        assert_eq!(iso(t), "2026-03-01T12:00:00.500000Z");
    }
}
