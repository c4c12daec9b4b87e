//! Zone discovery, caching, re-discovery after a move, and the credential failures.

use crate::support::*;
use autotask::{AutotaskError, Query};
use simulators::autotask::{ApiUser, DEMO_INTEGRATION_CODE, DEMO_SECRET, DEMO_USER};

#[tokio::test]
async fn zone_is_discovered_lazily_once_and_cached() {
    let sim = sim(5).await;
    let client = client(&sim);
    assert_eq!(
        client.requests_made(),
        0,
        "nothing is sent before the first call"
    );
    assert!(client.cached_zone().await.is_none());

    for _ in 0..3 {
        assert_eq!(client.count("Companies", &Query::all()).await.unwrap(), 6);
    }
    let zone = client.zone().await.unwrap();
    assert_eq!(zone.url, sim.api_url());
    assert_eq!(zone.zone_name.as_deref(), Some("America West 2"));
    assert_eq!(zone.ci, Some(123456));
    assert_eq!(logged(&sim, "zoneInformation", "get"), 1);
    assert_eq!(logged(&sim, "Companies", "count"), 3);
    assert_eq!(client.requests_made(), 4);
    assert_eq!(sim.core().log.len(), 4);
}

#[tokio::test]
async fn parallel_first_calls_share_one_zone_lookup() {
    let sim = sim(5).await;
    let client = client(&sim);
    let calls = (0..8).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.count("Contracts", &Query::all()).await })
    });
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), 5);
    }
    assert_eq!(logged(&sim, "zoneInformation", "get"), 1);
}

#[tokio::test]
async fn zone_move_mid_run_is_rediscovered_and_the_call_succeeds() {
    let sim = sim(20).await;
    let client = client(&sim);
    assert_eq!(client.count("Companies", &Query::all()).await.unwrap(), 21);

    sim.move_zone(29);
    let companies: Vec<autotask::models::Company> = client.query(&Query::all()).await.unwrap();
    assert_eq!(companies.len(), 21);

    let zone = client.zone().await.unwrap();
    assert!(zone.url.contains("/zone29/"), "{}", zone.url);
    assert_eq!(logged(&sim, "zoneInformation", "get"), 2);
    assert_eq!(logged_status(&sim, 404), 1, "one request hit the old zone");
    // lookup, count, 404 on the old zone, lookup, query
    assert_eq!(client.requests_made(), 5);
}

#[tokio::test]
async fn wrong_secret_is_bad_credentials_after_one_rediscovery() {
    let sim = sim(1).await;
    let client = client_with(config_as(
        &sim,
        DEMO_USER,
        "not-the-secret",
        DEMO_INTEGRATION_CODE,
    ));
    let err = client.count("Companies", &Query::all()).await.unwrap_err();
    assert!(matches!(err, AutotaskError::BadCredentials), "{err:?}");
    assert!(err.is_credentials_problem());
    assert_eq!(logged_status(&sim, 401), 2);
    assert_eq!(logged(&sim, "zoneInformation", "get"), 2);
    assert!(!err.to_string().contains("not-the-secret"));
}

#[tokio::test]
async fn non_api_user_is_told_what_to_change() {
    let sim = sim(1).await;
    sim.add_user(ApiUser {
        username: "human@msp.example".into(),
        secret: "pw".into(),
        integration_code: DEMO_INTEGRATION_CODE.into(),
        api_only: false,
    });
    let client = client_with(config_as(
        &sim,
        "human@msp.example",
        "pw",
        DEMO_INTEGRATION_CODE,
    ));
    let err = client.count("Companies", &Query::all()).await.unwrap_err();
    assert!(matches!(err, AutotaskError::NotApiUser), "{err:?}");
    let text = err.to_string();
    for must in [
        "API User (system)",
        "Custom (Internal Integration)",
        "username, secret and integration code",
    ] {
        assert!(text.contains(must), "missing {must:?} in {text}");
    }
    assert_eq!(logged_status(&sim, 401), 1, "no pointless re-discovery");
}

#[tokio::test]
async fn unknown_user_has_no_zone() {
    let sim = sim(1).await;
    let client = client_with(config_as(
        &sim,
        "nobody@msp.example",
        "x",
        DEMO_INTEGRATION_CODE,
    ));
    let err = client.count("Companies", &Query::all()).await.unwrap_err();
    match err {
        AutotaskError::ZoneNotFound { user, detail } => {
            assert_eq!(user, "nobody@msp.example");
            assert!(detail.contains("could not be determined"), "{detail}");
        }
        other => panic!("expected ZoneNotFound, got {other:?}"),
    }
    assert_eq!(client.requests_made(), 1);
}

#[tokio::test]
async fn unknown_integration_code_is_reported_as_such() {
    let sim = sim(1).await;
    let client = client_with(config_as(&sim, DEMO_USER, DEMO_SECRET, "WRONGCODE"));
    let err = client.count("Companies", &Query::all()).await.unwrap_err();
    assert!(
        matches!(err, AutotaskError::UnknownUserOrIntegrationCode { ref message } if message.contains("tracking identifier")),
        "{err:?}"
    );
    assert_eq!(logged_status(&sim, 500), 1, "not retried");
}

#[tokio::test]
async fn unreachable_zone_lookup_is_zone_not_found_after_retries() {
    let sim = sim(1).await;
    let mut config = config(&sim);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    config.zone_lookup_url = format!("http://127.0.0.1:{port}/atservicesrest/");
    let client = client_with(config.clone());
    let err = client.count("Companies", &Query::all()).await.unwrap_err();
    assert!(matches!(err, AutotaskError::ZoneNotFound { .. }), "{err:?}");
    assert_eq!(
        client.requests_made(),
        1 + u64::from(config.backoff.max_retries)
    );
}

#[tokio::test]
async fn credentials_never_show_in_debug_output() {
    let sim = sim(1).await;
    let config = config(&sim);
    let client = client_with(config.clone());
    for text in [format!("{config:?}"), format!("{client:?}")] {
        assert!(!text.contains(DEMO_SECRET), "{text}");
    }
}

#[tokio::test]
async fn zone_move_between_pages_resumes_on_the_new_zone() {
    let sim = sim(1200).await;
    let client = client(&sim);
    // Hold the first next-page request long enough to move the database under it.
    sim.core().faults.add(fault(
        "/query/next",
        None,
        simulators::common::FaultKind::Latency { ms: 400 },
        1,
    ));
    let task = {
        let c = client.clone();
        tokio::spawn(async move {
            c.query::<autotask::models::Company>(&Query::new(autotask::Filter::gt("id", 0)))
                .await
        })
    };
    while logged(&sim, "Companies", "query") == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    sim.move_zone(29);
    let companies = task.await.unwrap().unwrap();
    assert_eq!(companies.len(), 1200);
    assert_eq!(logged(&sim, "zoneInformation", "get"), 2);
    assert_eq!(logged_status(&sim, 404), 1);
    assert_eq!(
        logged(&sim, "Companies", "next"),
        3,
        "one 404 + pages 2 and 3"
    );
}

#[tokio::test]
async fn a_known_zone_skips_the_lookup_on_a_cold_start() {
    let sim = sim(5).await;
    let client = client_with(config(&sim).with_zone_url(sim.api_url()));
    assert_eq!(client.requests_made(), 0);
    let cached = client
        .cached_zone()
        .await
        .expect("starts in the known zone");
    assert_eq!(cached.url, sim.api_url());
    assert_eq!(cached.ci, None, "only the URL is known without a lookup");

    for _ in 0..2 {
        assert_eq!(client.count("Companies", &Query::all()).await.unwrap(), 6);
    }
    assert_eq!(logged(&sim, "zoneInformation", "get"), 0);
    assert_eq!(logged(&sim, "Companies", "count"), 2);
    assert_eq!(client.requests_made(), 2);
    assert_eq!(sim.core().log.len(), 2);
}

#[tokio::test]
async fn a_stale_known_zone_is_rediscovered_and_the_call_succeeds() {
    let sim = sim(20).await;
    let saved = sim.api_url();
    sim.move_zone(29);
    let client = client_with(config(&sim).with_zone_url(saved));

    let companies: Vec<autotask::models::Company> = client.query(&Query::all()).await.unwrap();
    assert_eq!(companies.len(), 21);
    let zone = client.zone().await.unwrap();
    assert!(zone.url.contains("/zone29/"), "{}", zone.url);
    assert_eq!(zone.ci, Some(123456), "the lookup replaced the known zone");
    assert_eq!(logged_status(&sim, 404), 1, "one request hit the old zone");
    assert_eq!(logged(&sim, "zoneInformation", "get"), 1);
    // 404 on the old zone, lookup, query
    assert_eq!(client.requests_made(), 3);
}

#[tokio::test]
async fn an_unreachable_known_zone_is_rediscovered() {
    let sim = sim(1).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let client = client_with(
        config(&sim).with_zone_url(format!("http://127.0.0.1:{port}/zone1/ATServicesRest/")),
    );
    assert_eq!(client.count("Companies", &Query::all()).await.unwrap(), 2);
    assert_eq!(client.zone().await.unwrap().url, sim.api_url());
    assert_eq!(logged(&sim, "zoneInformation", "get"), 1);
    // refused connection, lookup, count
    assert_eq!(client.requests_made(), 3);
}

#[tokio::test]
async fn a_known_zone_still_rediscovers_once_on_401() {
    let sim = sim(1).await;
    let config = config_as(&sim, DEMO_USER, "not-the-secret", DEMO_INTEGRATION_CODE)
        .with_zone_url(sim.api_url());
    let client = client_with(config);
    let err = client.count("Companies", &Query::all()).await.unwrap_err();
    assert!(matches!(err, AutotaskError::BadCredentials), "{err:?}");
    assert_eq!(logged_status(&sim, 401), 2);
    assert_eq!(logged(&sim, "zoneInformation", "get"), 1);
}

#[tokio::test]
async fn a_known_zone_that_is_no_http_url_is_refused_when_the_client_is_built() {
    let sim = sim(1).await;
    for bad in [
        "webservices15.autotask.net/ATServicesRest/",
        "ftp://webservices15.autotask.net/ATServicesRest/",
    ] {
        let err = autotask::AutotaskClient::new(config(&sim).with_zone_url(bad)).unwrap_err();
        assert!(matches!(err, AutotaskError::Config(_)), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("zone_url"), "names the field: {text}");
        assert!(
            text.contains("ATServicesRest/"),
            "shows the expected form: {text}"
        );
    }
    assert_eq!(sim.core().log.len(), 0, "nothing was sent");

    let blank = client_with(config(&sim).with_zone_url("  "));
    assert_eq!(blank.count("Companies", &Query::all()).await.unwrap(), 2);
    assert_eq!(
        logged(&sim, "zoneInformation", "get"),
        1,
        "a blank known zone means: look it up"
    );
}
