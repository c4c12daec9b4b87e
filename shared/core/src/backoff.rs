//! Retry timing shared by the API clients.
//!
//! Pure: the caller supplies the attempt number and a random fraction, so the policy is
//! testable without sleeping or seeding a generator.

use std::time::Duration;

/// Exponential backoff with full jitter, capped, honouring a server's `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry (before jitter).
    pub base: Duration,
    /// No single wait is longer than this.
    pub max_delay: Duration,
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            max_retries: 5,
        }
    }
}

impl Backoff {
    /// Whether another attempt is allowed after `retries_done` retries.
    pub fn should_retry(&self, retries_done: u32) -> bool {
        retries_done < self.max_retries
    }

    /// The wait before retry number `retry` (0-based).
    ///
    /// `jitter` in `[0, 1)` picks a point in the upper half of the exponential window,
    /// which spreads parallel callers without ever retrying immediately. A server's
    /// `Retry-After` wins when it is longer, but is still capped by `max_delay`.
    pub fn delay(&self, retry: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(16));
        let window = self.base.saturating_mul(factor).min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        let computed = window.mul_f64(0.5 + jitter / 2.0);
        match retry_after {
            Some(server) if server > computed => server.min(self.max_delay),
            _ => computed,
        }
    }
}

/// Parses a `Retry-After` header given in seconds (the HTTP-date form is not used by
/// either API; it is ignored rather than guessed).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_and_caps() {
        let b = Backoff {
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            max_retries: 3,
        };
        assert_eq!(b.delay(0, 1.0, None), Duration::from_secs(1));
        assert_eq!(b.delay(1, 1.0, None), Duration::from_secs(2));
        assert_eq!(b.delay(2, 0.0, None), Duration::from_secs(2));
        assert_eq!(b.delay(10, 1.0, None), Duration::from_secs(10));
        assert!(b.should_retry(2));
        assert!(!b.should_retry(3));
    }

    #[test]
    fn retry_after_wins_when_longer_but_is_capped() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max_delay: Duration::from_secs(30),
            max_retries: 3,
        };
        assert_eq!(
            b.delay(0, 0.0, Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
        assert_eq!(
            b.delay(0, 0.0, Some(Duration::from_secs(500))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn parses_retry_after_seconds_only() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
