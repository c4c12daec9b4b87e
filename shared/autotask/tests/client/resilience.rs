//! 429 storms, 5xx, dropped connections, malformed bodies, the thread limit.

use crate::support::*;
use autotask::models::{Company, Ticket};
use autotask::{AutotaskError, Filter, Query};
use bridge_core::backoff::Backoff;
use simulators::common::FaultKind;
use std::time::{Duration, Instant};

fn ticket(title: &str) -> Ticket {
    Ticket {
        company_id: Some(1),
        title: Some(title.into()),
        status: Some(1),
        priority: Some(2),
        queue_id: Some(29682833),
        ..Ticket::default()
    }
}

#[tokio::test]
async fn a_storm_of_429s_is_ridden_out() {
    let sim = sim(30).await;
    let client = client(&sim);
    sim.core()
        .faults
        .add(fault("/Companies/query", None, status(429, Some(1)), 4));
    let companies: Vec<Company> = client.query(&Query::all()).await.unwrap();
    assert_eq!(companies.len(), 31);
    assert_eq!(
        logged(&sim, "Companies", "query"),
        5,
        "4 rejected + 1 served"
    );
    assert_eq!(logged_status(&sim, 429), 4);
    assert_eq!(
        logged(&sim, "ThresholdInformation", "get"),
        1,
        "one budget reading per storm"
    );
    assert_eq!(client.requests_made(), 7);
    assert!(client.budget().is_some());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let sim = sim(1).await;
    let mut config = config(&sim);
    config.backoff = Backoff {
        base: Duration::from_millis(1),
        max_delay: Duration::from_secs(5),
        max_retries: 2,
    };
    let client = client_with(config);
    client.zone().await.unwrap();
    sim.core().faults.add(fault(
        "/Companies/query/count",
        None,
        status(429, Some(1)),
        1,
    ));
    let started = Instant::now();
    client.count("Companies", &Query::all()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_reported() {
    let sim = sim(1).await;
    let client = client(&sim);
    sim.core()
        .faults
        .add(fault("/Companies/query", None, status(429, Some(7)), 100));
    let err = client.query::<Company>(&Query::all()).await.unwrap_err();
    assert!(
        matches!(err, AutotaskError::Throttled { retry_after: Some(d) } if d == Duration::from_secs(7)),
        "{err:?}"
    );
    assert_eq!(logged(&sim, "Companies", "query"), 6, "1 + max_retries");
}

#[tokio::test]
async fn unavailable_and_gateway_errors_are_retried() {
    let sim = sim(5).await;
    let client = client(&sim);
    sim.core()
        .faults
        .add(fault("/Companies/query", None, status(503, None), 1));
    sim.core()
        .faults
        .add(fault("/Companies/query", None, status(502, None), 1));
    let companies: Vec<Company> = client.query(&Query::all()).await.unwrap();
    assert_eq!(companies.len(), 6);
    assert_eq!(logged(&sim, "Companies", "query"), 3);
}

#[tokio::test]
async fn validation_errors_are_not_retried() {
    let sim = sim(5).await;
    let client = client(&sim);
    let err = client
        .query::<Company>(&Query::new(Filter::eq("noSuchField", 1)))
        .await
        .unwrap_err();
    match &err {
        AutotaskError::Api {
            status: 500,
            errors,
        } => {
            assert!(
                errors.iter().any(|e| e.contains("noSuchField")),
                "{errors:?}"
            )
        }
        other => panic!("expected a 500 Api error, got {other:?}"),
    }
    assert_eq!(logged(&sim, "Companies", "query"), 1);
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_reads() {
    let sim = sim(5).await;
    let client = client(&sim);
    sim.core()
        .faults
        .add(fault("/Companies/query", None, FaultKind::Drop, 1));
    let companies: Vec<Company> = client.query(&Query::all()).await.unwrap();
    assert_eq!(companies.len(), 6);
    assert_eq!(logged(&sim, "Companies", "query"), 2);
}

#[tokio::test]
async fn a_create_is_not_resent_once_it_may_have_reached_the_server() {
    let sim = sim(2).await;
    let client = client(&sim);
    for kind in [FaultKind::Drop, status(503, None)] {
        sim.core()
            .faults
            .add(fault("/Tickets", Some("POST"), kind, 1));
        let err = client
            .create("Tickets", &ticket("maybe twice"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                AutotaskError::Transport { .. } | AutotaskError::Api { status: 503, .. }
            ),
            "{err:?}"
        );
    }
    assert_eq!(
        logged(&sim, "Tickets", "create"),
        2,
        "one attempt per create"
    );
}

#[tokio::test]
async fn a_create_rejected_before_processing_is_resent() {
    let sim = sim(2).await;
    let client = client(&sim);
    sim.core()
        .faults
        .add(fault("/Tickets", Some("POST"), status(429, None), 2));
    let id = client.create("Tickets", &ticket("once")).await.unwrap();
    assert_eq!(logged(&sim, "Tickets", "create"), 3);
    let stored: Vec<Ticket> = client
        .query(&Query::new(Filter::eq("title", "once")))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "exactly one ticket");
    assert_eq!(stored[0].id, id);
}

#[tokio::test]
async fn a_malformed_body_is_a_decode_error_naming_the_entity() {
    let sim = sim(5).await;
    let client = client(&sim);
    sim.core()
        .faults
        .add(fault("/Companies/query", None, FaultKind::MalformedJson, 1));
    let err = client.query::<Company>(&Query::all()).await.unwrap_err();
    match &err {
        AutotaskError::Decode { entity, detail } => {
            assert_eq!(entity, "Companies");
            assert!(detail.contains("items[0]"), "{detail}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert!(err.to_string().contains("Companies"));
    assert_eq!(logged(&sim, "Companies", "query"), 1, "not retried");
}

async fn twenty_parallel_queries(cap: usize) -> (simulators::autotask::AutotaskSim, usize) {
    let sim = sim(40).await;
    // Long enough that parallel requests overlap even on a loaded machine.
    sim.set_processing_delay(150);
    let mut config = config(&sim);
    config.max_concurrent_per_entity = cap;
    config.backoff.max_retries = 10;
    let client = client_with(config);
    client.zone().await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let c = client.clone();
            tokio::spawn(async move { c.query::<Company>(&Query::new(Filter::gte("id", i))).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    (sim, ok)
}

#[tokio::test]
async fn the_thread_limit_holds_under_20_parallel_queries() {
    let (sim, ok) = twenty_parallel_queries(3).await;
    assert_eq!(ok, 20);
    assert_eq!(
        logged_status(&sim, 429),
        0,
        "the simulator never saw a 4th thread"
    );
    assert_eq!(logged(&sim, "Companies", "query"), 20);
}

#[tokio::test]
async fn without_the_cap_the_simulator_rejects_threads() {
    // The control experiment: proves the test above can fail.
    let (sim, _) = twenty_parallel_queries(20).await;
    assert!(logged_status(&sim, 429) > 0);
}
