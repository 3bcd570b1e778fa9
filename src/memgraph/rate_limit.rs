//! The real service's per-key rate limit (120 requests a minute, docs/spec/memgraph.md §6.11), when
//! `--memgraph-rate-limit` is on: a token bucket per API key (and session) that refills
//! steadily, so a client that waits the `Retry-After` it was told gets its next request in.
//! Counters are transient, like the real service's: they are not part of the stored state.

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

#[derive(Default)]
pub struct RateLimits {
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: OffsetDateTime,
}

impl RateLimits {
    /// Takes one request from `key`'s allowance at time `now`; `Err(seconds)` to wait when
    /// there is none left.
    pub fn take(&self, key: &str, per_minute: u32, now: OffsetDateTime) -> Result<(), u64> {
        let capacity = f64::from(per_minute.max(1));
        let per_second = capacity / 60.0;
        // Only ever holds whole entries, so a poisoned lock is still a valid one.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        // The session clock may have been reset to an earlier time: no refill then.
        let elapsed = (now - bucket.at).as_seconds_f64().max(0.0);
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / per_second).ceil();
            // The bucket never needs more than a minute to refill one token.
            Err((wait as u64).clamp(1, 60))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_empties_then_refills_with_time() {
        let limits = RateLimits::default();
        let t = OffsetDateTime::UNIX_EPOCH;
        for _ in 0..3 {
            assert_eq!(limits.take("k", 3, t), Ok(()));
        }
        assert_eq!(limits.take("k", 3, t), Err(20));
        assert_eq!(limits.take("other", 3, t), Ok(()), "keys are separate");
        assert_eq!(limits.take("k", 3, t + time::Duration::seconds(20)), Ok(()));
        assert!(
            limits
                .take("k", 3, t + time::Duration::seconds(20))
                .is_err()
        );
    }
}
