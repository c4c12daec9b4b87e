//! When a run must stop taking on new work so that everything it started is committed
//! before Lambda ends the invocation.
//!
//! A job that loops over many units of work (customers, pages of alerts) asks
//! [`Deadline::passed`] before each one; once it has passed, the job finishes what is in
//! flight, records where it stopped (its cursor, or the per-customer records its next
//! run reads) and says so in the summary, and its next run carries on from there. Local
//! runs and the demo have no deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Time kept back from Lambda's deadline: the work in flight finishing (a customer's
/// few requests, with retries), the cursor, the lease and the run's record.
pub const SAFETY_MARGIN: Duration = Duration::from_secs(30);

/// A run's deadline; the default is none.
#[derive(Debug, Clone, Default)]
pub struct Deadline(Inner);

#[derive(Debug, Clone, Default)]
enum Inner {
    #[default]
    None,
    At(Instant),
    /// Passed once this many checks have been answered "not yet".
    AfterChecks(Arc<AtomicU64>),
}

impl Deadline {
    /// No deadline: the run goes on until its work is done.
    pub fn none() -> Deadline {
        Deadline(Inner::None)
    }

    /// Passes at `at`.
    pub fn at(at: Instant) -> Deadline {
        Deadline(Inner::At(at))
    }

    /// Lambda's deadline for the invocation (milliseconds since the epoch, as the
    /// Runtime API gives it) less [`SAFETY_MARGIN`].
    pub fn from_lambda(deadline_ms: u64) -> Deadline {
        let end = UNIX_EPOCH + Duration::from_millis(deadline_ms);
        let left = end
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            .saturating_sub(SAFETY_MARGIN);
        Deadline::at(Instant::now() + left)
    }

    /// Passes after `units` units of work have been let through: a deadline that falls
    /// at a known point of a run, for tests and drills.
    pub fn after_units(units: u64) -> Deadline {
        Deadline(Inner::AfterChecks(Arc::new(AtomicU64::new(units))))
    }

    /// Whether the run should stop taking on new work. Each "no" lets one unit through.
    pub fn passed(&self) -> bool {
        match &self.0 {
            Inner::None => false,
            Inner::At(at) => Instant::now() >= *at,
            Inner::AfterChecks(left) => left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_err(),
        }
    }

    /// Whether there is a deadline at all.
    pub fn is_set(&self) -> bool {
        !matches!(self.0, Inner::None)
    }
}

impl PartialEq for Deadline {
    fn eq(&self, other: &Deadline) -> bool {
        match (&self.0, &other.0) {
            (Inner::None, Inner::None) => true,
            (Inner::At(a), Inner::At(b)) => a == b,
            (Inner::AfterChecks(a), Inner::AfterChecks(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_never_passes_and_units_pass_after_their_count() {
        let none = Deadline::none();
        assert!((0..1000).all(|_| !none.passed()));
        let two = Deadline::after_units(2);
        assert!(!two.passed());
        assert!(!two.clone().passed(), "clones share the count");
        assert!(two.passed());
        assert!(two.passed());
    }

    #[test]
    fn lambdas_deadline_keeps_the_margin_back() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        assert!(
            Deadline::from_lambda(now_ms + 10_000).passed(),
            "10 s is inside the margin"
        );
        assert!(!Deadline::from_lambda(now_ms + 120_000).passed());
        assert!(
            Deadline::from_lambda(0).passed(),
            "a deadline in the past has passed"
        );
    }
}
