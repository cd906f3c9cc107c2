//! Retrying throttled calls. The SDK already retries a throttled call a
//! few times; this outer loop waits longer, so that a burst of CONNECTs
//! (a deployment reconnecting every client) rides out Scheduler's rate
//! limit instead of failing the batch. What still fails makes the whole
//! invocation fail, and Lambda runs the batch again (its asynchronous
//! retries, then the failure queue; idempotent: same schedule names).

use std::future::Future;
use std::time::Duration;

use crate::ports::CallError;

/// Exponential backoff: `first`, doubled each time, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// The wait after the first failure.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Default for Backoff {
    /// Five tries over about six seconds.
    fn default() -> Self {
        Backoff {
            attempts: 5,
            first: Duration::from_millis(400),
            max: Duration::from_secs(3),
        }
    }
}

impl Backoff {
    /// The wait after failed try number `attempt` (from 1).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.first.saturating_mul(factor).min(self.max)
    }
}

/// Calls `call` until it succeeds, fails for good, or `backoff.attempts`
/// retryable failures in a row.
pub async fn retry<T, F, Fut>(backoff: Backoff, mut call: F) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CallError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(CallError::Retryable(message)) if attempt < backoff.attempts => {
                tracing::warn!(attempt, error = %message, "retrying");
                tokio::time::sleep(backoff.delay(attempt)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn waits_double_up_to_the_max() {
        let backoff = Backoff::default();
        let waits: Vec<_> = (1..=5).map(|a| backoff.delay(a).as_millis()).collect();
        assert_eq!(waits, [400, 800, 1600, 3000, 3000]);
        assert_eq!(backoff.delay(60), backoff.max);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_throttling_then_succeeds() {
        let calls = Cell::new(0);
        let started = tokio::time::Instant::now();
        let outcome = retry(Backoff::default(), || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move {
                if n < 3 {
                    Err(CallError::Retryable("ThrottlingException".into()))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(outcome, Ok(3));
        // Waited 400 ms, then 800 ms (the clock is paused: no real wait).
        assert_eq!(started.elapsed(), Duration::from_millis(1200));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_the_last_attempt() {
        let calls = Cell::new(0);
        let outcome: Result<(), _> = retry(Backoff::default(), || {
            calls.set(calls.get() + 1);
            async { Err(CallError::Retryable("ThrottlingException".into())) }
        })
        .await;
        assert_eq!(
            outcome,
            Err(CallError::Retryable("ThrottlingException".into()))
        );
        assert_eq!(calls.get(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn does_not_retry_a_lasting_failure() {
        let calls = Cell::new(0);
        let outcome: Result<(), _> = retry(Backoff::default(), || {
            calls.set(calls.get() + 1);
            async { Err(CallError::Failed("AccessDeniedException".into())) }
        })
        .await;
        assert_eq!(
            outcome,
            Err(CallError::Failed("AccessDeniedException".into()))
        );
        assert_eq!(calls.get(), 1);
    }
}
