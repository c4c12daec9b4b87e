use crate::{PARTNER, client, config, count, customer, sim};
use acronis::{AcronisClient, Error, TenantCreate, TenantKind};
use simulators::common::{FaultKind, FaultRule};
use std::time::Duration;

fn fault(route: &str, method: &str, kind: FaultKind, times: Option<u32>) -> FaultRule {
    FaultRule {
        route: route.into(),
        method: Some(method.into()),
        query: None,
        kind,
        times,
    }
}

fn status(status: u16, retry_after: Option<u64>) -> FaultKind {
    FaultKind::Status {
        status,
        retry_after,
        body: None,
    }
}

#[tokio::test]
async fn a_429_storm_is_waited_out() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    acronis
        .get_tenant(PARTNER)
        .await
        .expect("warm up the token");
    let before = acronis.requests_made();
    sim.core()
        .faults
        .add(fault("/tenants/", "GET", status(429, Some(0)), Some(3)));
    let t = acronis
        .get_tenant(&customer(1))
        .await
        .expect("after the storm");
    assert_eq!(t.id, customer(1));
    assert_eq!(acronis.requests_made() - before, 4, "3 throttled + 1");
    assert_eq!(count(&sim, "tenants", "get"), 5);
}

#[tokio::test]
async fn endless_throttling_gives_throttled() {
    let sim = sim(1).await;
    sim.core()
        .faults
        .add(fault("/tenants/", "GET", status(429, Some(1)), None));
    let acronis = client(&sim);
    let err = acronis
        .get_tenant(&customer(1))
        .await
        .expect_err("throttled");
    match err {
        Error::Throttled { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(1)))
        }
        other => panic!("expected Throttled, got {other:?}"),
    }
    assert_eq!(count(&sim, "tenants", "get"), 5, "first try + 4 retries");
}

#[tokio::test]
async fn gateway_errors_are_retried_for_reads() {
    let sim = sim(1).await;
    sim.core()
        .faults
        .add(fault("/children", "GET", status(503, None), Some(1)));
    sim.core()
        .faults
        .add(fault("/children", "GET", status(502, None), Some(1)));
    let acronis = client(&sim);
    let kids = acronis.children(PARTNER).await.expect("recovered");
    assert_eq!(kids, vec![customer(1)]);
    assert_eq!(count(&sim, "tenants", "children"), 3);
}

#[tokio::test]
async fn internal_error_is_not_retried() {
    let sim = sim(1).await;
    sim.core()
        .faults
        .add(fault("/children", "GET", status(500, None), Some(1)));
    let err = client(&sim).children(PARTNER).await.expect_err("500");
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err}");
    assert!(err.is_transient());
    assert_eq!(count(&sim, "tenants", "children"), 1);
}

#[tokio::test]
async fn creating_post_is_not_repeated_after_a_gateway_error() {
    let sim = sim(0).await;
    sim.core()
        .faults
        .add(fault("/api/2/tenants", "POST", status(503, None), Some(1)));
    let acronis = client(&sim);
    let create = TenantCreate::new("Once Only", TenantKind::Customer, PARTNER);
    let err = acronis.create_tenant(&create).await.expect_err("503");
    assert!(matches!(err, Error::Api { status: 503, .. }), "{err}");
    assert_eq!(count(&sim, "tenants", "create"), 1);
}

#[tokio::test]
async fn creating_post_is_repeated_after_a_429() {
    let sim = sim(0).await;
    sim.core().faults.add(fault(
        "/api/2/tenants",
        "POST",
        status(429, Some(0)),
        Some(2),
    ));
    let acronis = client(&sim);
    let create = TenantCreate::new("Throttled Co", TenantKind::Customer, PARTNER);
    let t = acronis
        .create_tenant(&create)
        .await
        .expect("created after 429s");
    assert_eq!(count(&sim, "tenants", "create"), 3);
    assert_eq!(acronis.children(PARTNER).await.expect("kids"), vec![t.id]);
}

#[tokio::test]
async fn dropped_connection_is_retried_for_reads() {
    let sim = sim(1).await;
    sim.core()
        .faults
        .add(fault("/tenants/", "GET", FaultKind::Drop, Some(1)));
    let t = client(&sim)
        .get_tenant(&customer(1))
        .await
        .expect("recovered");
    assert_eq!(t.id, customer(1));
    assert_eq!(count(&sim, "tenants", "get"), 2);
}

#[tokio::test]
async fn dropped_connection_on_create_is_a_transport_error() {
    let sim = sim(0).await;
    sim.core()
        .faults
        .add(fault("/api/2/tenants", "POST", FaultKind::Drop, Some(1)));
    let acronis = client(&sim);
    let create = TenantCreate::new("Maybe Created", TenantKind::Customer, PARTNER);
    let err = acronis.create_tenant(&create).await.expect_err("dropped");
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(err.is_transient());
    assert_eq!(count(&sim, "tenants", "create"), 1);
}

#[tokio::test]
async fn slow_answer_times_out_and_is_retried() {
    let sim = sim(1).await;
    let mut cfg = config(&sim);
    cfg.request_timeout = Duration::from_millis(300);
    let acronis = AcronisClient::new(cfg).expect("config");
    acronis.get_tenant(PARTNER).await.expect("token");
    sim.core().faults.add(fault(
        "/tenants/",
        "GET",
        FaultKind::Latency { ms: 1_000 },
        Some(1),
    ));
    acronis
        .get_tenant(&customer(1))
        .await
        .expect("second try is fast");
    assert_eq!(acronis.requests_made(), 4, "token, warm-up, timeout, retry");
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let sim = sim(1).await;
    sim.core()
        .faults
        .add(fault("/children", "GET", FaultKind::MalformedJson, Some(1)));
    let err = client(&sim)
        .children_details(PARTNER)
        .await
        .expect_err("malformed");
    match err {
        Error::Decode { resource, detail } => {
            assert_eq!(resource, "tenant children");
            assert!(detail.contains("items"), "{detail}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert_eq!(count(&sim, "tenants", "children"), 1, "not retried");
}
