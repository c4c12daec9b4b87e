//! Threshold readings: cadence, after a 429, slowing down as the budget fills.

use crate::support::*;
use autotask::{BudgetPolicy, Query};
use std::time::{Duration, Instant};

fn policy(every: u64) -> BudgetPolicy {
    BudgetPolicy {
        check_every_requests: every,
        check_every: Duration::from_secs(3600),
        ..BudgetPolicy::default()
    }
}

#[tokio::test]
async fn threshold_is_read_every_n_requests_and_never_first() {
    let sim = sim(3).await;
    let mut config = config(&sim);
    config.budget = policy(10);
    let client = client_with(config);
    for _ in 0..25 {
        client.count("Companies", &Query::all()).await.unwrap();
    }
    assert_eq!(
        logged(&sim, "ThresholdInformation", "get"),
        2,
        "before calls 11 and 21"
    );
    let first_api_call = &sim.core().log.entries()[1];
    assert_eq!(first_api_call.entity, "Companies");
    assert_eq!(client.requests_made(), 1 + 25 + 2);
    let reading = client.budget().unwrap();
    assert_eq!(reading.external_request_threshold, 10_000);
    assert!(reading.current_timeframe_request_count >= 20);
}

#[tokio::test]
async fn default_cadence_spends_nothing_on_short_runs() {
    let sim = sim(3).await;
    let client = client(&sim);
    for _ in 0..30 {
        client.count("Companies", &Query::all()).await.unwrap();
    }
    assert_eq!(logged(&sim, "ThresholdInformation", "get"), 0);
    assert!(client.budget().is_none());
}

#[tokio::test]
async fn a_429_triggers_a_reading_before_the_next_call() {
    let sim = sim(3).await;
    let mut config = config(&sim);
    config.budget = policy(1000);
    let client = client_with(config);
    client.count("Companies", &Query::all()).await.unwrap();
    assert_eq!(logged(&sim, "ThresholdInformation", "get"), 0);
    sim.core()
        .faults
        .add(fault("/Companies/query/count", None, status(429, None), 1));
    client.count("Companies", &Query::all()).await.unwrap();
    assert_eq!(logged(&sim, "ThresholdInformation", "get"), 1);
}

#[tokio::test]
async fn calls_slow_down_as_the_budget_fills() {
    let sim = sim(3).await;
    sim.set_threshold(1000, 600);
    let mut config = config(&sim);
    config.budget = BudgetPolicy {
        slow_delay: Duration::from_millis(300),
        slower_delay: Duration::from_millis(1500),
        ..policy(1)
    };
    let client = client_with(config);
    client.count("Companies", &Query::all()).await.unwrap();
    let started = Instant::now();
    client.count("Companies", &Query::all()).await.unwrap();
    let at_60 = started.elapsed();
    let reading = client.budget().unwrap();
    assert_eq!(reading.external_request_threshold, 1000);
    assert!(
        reading.used_fraction() > 0.5 && reading.used_fraction() < 0.8,
        "{reading:?}"
    );
    assert!(at_60 >= Duration::from_millis(300), "{at_60:?}");
    assert!(at_60 < Duration::from_millis(1500), "{at_60:?}");

    sim.set_threshold(1000, 850);
    client.count("Companies", &Query::all()).await.unwrap();
    let started = Instant::now();
    client.count("Companies", &Query::all()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn explicit_threshold_reading() {
    let sim = sim(3).await;
    sim.set_threshold(5000, 1234);
    let client = client(&sim);
    let t = client.threshold().await.unwrap();
    assert_eq!(t.external_request_threshold, 5000);
    assert_eq!(t.request_threshold_timeframe, 60);
    // The simulator counts the reading itself; either is plausible for the real API.
    assert!(
        (1234..=1235).contains(&t.current_timeframe_request_count),
        "{t:?}"
    );
    assert_eq!(client.budget(), Some(t));
    assert_eq!(logged(&sim, "ThresholdInformation", "get"), 1);
}
