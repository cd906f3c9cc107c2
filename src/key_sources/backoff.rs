//! The wait between fetches while they keep failing: the base, doubled
//! after each further failure up to a cap; reset by a success.

use std::time::{Duration, Instant};

/// Failed fetches in a row and when the next may be made.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
    retry_at: Option<Instant>,
}

impl Backoff {
    /// Whether a fetch must not be made at `now`.
    pub fn blocks(&self, now: Instant) -> bool {
        self.retry_at.is_some_and(|retry_at| now < retry_at)
    }

    /// Whether the last fetch failed.
    pub fn failing(&self) -> bool {
        self.failures > 0
    }

    /// Records a failure at `now`; returns the wait before the next attempt:
    /// `base`, doubled for each failure before, at most `cap`.
    pub fn failed(&mut self, now: Instant, base: Duration, cap: Duration) -> Duration {
        let doublings = self.failures.min(16);
        self.failures = self.failures.saturating_add(1);
        let wait = base.saturating_mul(1 << doublings).min(cap);
        self.retry_at = Some(now + wait);
        wait
    }

    /// Records a success: no wait.
    pub fn succeeded(&mut self) {
        *self = Backoff::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap_and_resets_on_success() {
        let start = Instant::now();
        let (base, cap) = (Duration::from_secs(10), Duration::from_secs(30));
        let mut backoff = Backoff::default();
        assert!(!backoff.blocks(start) && !backoff.failing());
        let waits: Vec<u64> = (0..4)
            .map(|_| backoff.failed(start, base, cap).as_secs())
            .collect();
        assert_eq!(waits, [10, 20, 30, 30]);
        assert!(backoff.failing());
        assert!(backoff.blocks(start + Duration::from_secs(29)));
        assert!(!backoff.blocks(start + Duration::from_secs(30)));
        backoff.succeeded();
        assert_eq!(backoff, Backoff::default());
        // A cap below the base wins: the cap is the longest wait.
        assert_eq!(
            backoff
                .failed(start, base, Duration::from_secs(1))
                .as_secs(),
            1
        );
        // Many failures neither overflow nor pass the cap.
        for _ in 0..100 {
            backoff.failed(start, base, cap);
        }
        assert_eq!(backoff.failed(start, base, cap), cap);
    }
}
