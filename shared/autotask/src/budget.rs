//! When to read the hourly threshold and how much to slow down.
//!
//! Reading costs a request (and a thread slot), so it happens at most every N requests
//! or T minutes, never before the first real call, and right after a 429 (once per
//! storm: not again while the last reading is younger than `after_throttle_gap`).
//! Between readings the last one sets a per-call pause.

use crate::config::BudgetPolicy;
use crate::models::ThresholdInfo;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) struct Budget {
    policy: BudgetPolicy,
    state: Mutex<State>,
}

struct State {
    real_requests: u64,
    since_reading: u64,
    /// Start of the current T window: the last reading, or the client's creation.
    last_reading_at: Instant,
    /// When a reading was really taken (none yet: `None`).
    last_taken_at: Option<Instant>,
    forced: bool,
    reading_in_flight: bool,
    last: Option<ThresholdInfo>,
}

impl Budget {
    pub fn new(policy: BudgetPolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(State {
                real_requests: 0,
                since_reading: 0,
                last_reading_at: Instant::now(),
                last_taken_at: None,
                forced: false,
                reading_in_flight: false,
                last: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One API request (not a threshold reading) is about to be sent.
    pub fn note_request(&self) {
        let mut s = self.state();
        s.real_requests += 1;
        s.since_reading += 1;
    }

    /// A 429 or thread-limit answer: read the threshold before the next call, unless
    /// a reading was just taken (a storm of 429s costs one reading, not one per retry).
    pub fn note_throttled(&self) {
        let mut s = self.state();
        let recent = s
            .last_taken_at
            .is_some_and(|at| at.elapsed() < self.policy.after_throttle_gap);
        if !recent {
            s.forced = true;
        }
    }

    /// Whether a reading is due; if so the caller owns it and must call
    /// [`Budget::record`]. Concurrent callers see `false` while one is in flight.
    pub fn claim_reading(&self) -> bool {
        let mut s = self.state();
        let by_count = self.policy.check_every_requests > 0
            && s.since_reading >= self.policy.check_every_requests;
        let by_time = s.last_reading_at.elapsed() >= self.policy.check_every;
        let due = s.real_requests > 0 && !s.reading_in_flight && (s.forced || by_count || by_time);
        if due {
            s.reading_in_flight = true;
            s.forced = false;
            s.since_reading = 0;
            s.last_reading_at = Instant::now();
            s.last_taken_at = Some(Instant::now());
        }
        due
    }

    /// Ends a claimed reading (`None` when it failed; the cadence still restarts so a
    /// broken endpoint is not hammered).
    pub fn record(&self, reading: Option<ThresholdInfo>) {
        let mut s = self.state();
        s.reading_in_flight = false;
        if reading.is_some() {
            s.last = reading;
        }
    }

    pub fn last(&self) -> Option<ThresholdInfo> {
        self.state().last
    }

    /// The pause before the next call, from the last reading.
    pub fn delay(&self) -> Duration {
        self.last()
            .map_or(Duration::ZERO, |t| self.policy.delay_for(t.used_fraction()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(every: u64) -> BudgetPolicy {
        BudgetPolicy {
            check_every_requests: every,
            check_every: Duration::from_secs(3600),
            ..BudgetPolicy::default()
        }
    }

    fn reading(used: i64) -> ThresholdInfo {
        ThresholdInfo {
            external_request_threshold: 100,
            request_threshold_timeframe: 60,
            current_timeframe_request_count: used,
        }
    }

    #[test]
    fn never_before_the_first_request_then_every_n() {
        let b = Budget::new(BudgetPolicy {
            check_every: Duration::ZERO,
            ..policy(3)
        });
        assert!(!b.claim_reading(), "no reading before any real call");
        let b = Budget::new(policy(3));
        let mut readings = 0;
        for _ in 0..10 {
            if b.claim_reading() {
                readings += 1;
                b.record(Some(reading(10)));
            }
            b.note_request();
        }
        assert_eq!(readings, 3, "before calls 4, 7 and 10");
    }

    #[test]
    fn a_429_forces_the_next_reading_and_only_one_claims_it() {
        let b = Budget::new(policy(1000));
        b.note_request();
        assert!(!b.claim_reading());
        b.note_throttled();
        assert!(b.claim_reading());
        assert!(!b.claim_reading(), "in flight");
        b.record(None);
        assert!(!b.claim_reading(), "forced flag consumed");
        b.note_throttled();
        assert!(!b.claim_reading(), "a reading was just taken");
    }

    #[test]
    fn delay_follows_the_last_reading() {
        let b = Budget::new(policy(1));
        assert_eq!(b.delay(), Duration::ZERO);
        b.note_request();
        assert!(b.claim_reading());
        b.record(Some(reading(90)));
        assert_eq!(b.delay(), BudgetPolicy::default().slower_delay);
        assert_eq!(
            b.last().map(|t| t.current_timeframe_request_count),
            Some(90)
        );
    }
}
