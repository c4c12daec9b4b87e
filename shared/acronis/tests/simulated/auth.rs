use crate::{PARTNER, client, config, count, customer, sim};
use acronis::{AcronisClient, AcronisConfig, Error};
use std::time::Duration;

#[tokio::test]
async fn one_token_serves_many_calls() {
    let sim = sim(3).await;
    let acronis = client(&sim);
    for i in 1..=3 {
        acronis.get_tenant(&customer(i)).await.expect("tenant");
    }
    acronis.children(PARTNER).await.expect("children");
    assert_eq!(count(&sim, "token", "create"), 1);
    assert_eq!(acronis.requests_made(), 5, "1 token + 4 calls");
    assert_eq!(acronis.requests_made() as usize, sim.core().log.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_token_request() {
    let sim = sim(8).await;
    let acronis = client(&sim);
    let calls = (1..=8).map(|i| {
        let acronis = acronis.clone();
        tokio::spawn(async move { acronis.get_tenant(&customer(i)).await })
    });
    for call in calls {
        call.await.expect("join").expect("tenant");
    }
    assert_eq!(count(&sim, "token", "create"), 1);
}

#[tokio::test]
async fn expired_token_is_replaced_once() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    acronis.get_tenant(PARTNER).await.expect("first");
    // Past the two-hour lifetime on the server's clock: the cached token now gets 401.
    sim.core().clock.advance(Duration::from_secs(2 * 3600 + 60));
    acronis.get_tenant(PARTNER).await.expect("after expiry");
    acronis
        .get_tenant(PARTNER)
        .await
        .expect("with the new token");
    assert_eq!(count(&sim, "token", "create"), 2);
    assert_eq!(count(&sim, "tenants", "get"), 4, "one 401, then success");
}

#[tokio::test]
async fn revoked_tokens_trigger_one_reauthentication() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    acronis.get_tenant(PARTNER).await.expect("first");
    sim.expire_tokens();
    acronis.children(PARTNER).await.expect("after revocation");
    assert_eq!(count(&sim, "token", "create"), 2);
}

#[tokio::test]
async fn wrong_secret_is_unauthorized_without_retrying() {
    let sim = sim(1).await;
    let mut cfg = config(&sim);
    cfg.client_secret = "not-the-secret".into();
    let acronis = AcronisClient::new(cfg).expect("config");
    let err = acronis.get_tenant(PARTNER).await.expect_err("bad secret");
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
    assert!(
        err.to_string().contains("invalid client credentials"),
        "{err}"
    );
    assert_eq!(count(&sim, "token", "create"), 1);
    assert_eq!(count(&sim, "tenants", "get"), 0);
    assert!(!format!("{err:?}").contains("not-the-secret"));
}

#[tokio::test]
async fn tenant_id_of_the_credentials_is_asked_once() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    assert_eq!(acronis.tenant_id().await.expect("tenant id"), PARTNER);
    assert_eq!(acronis.tenant_id().await.expect("cached"), PARTNER);
    assert_eq!(count(&sim, "clients", "get"), 1);
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused() {
    let err = AcronisClient::new(AcronisConfig::new(
        "http://eu2-cloud.acronis.com",
        "id",
        "secret",
    ))
    .expect_err("plain http");
    assert!(
        matches!(
            err,
            Error::InvalidConfig {
                field: "base_url",
                ..
            }
        ),
        "{err}"
    );
}
