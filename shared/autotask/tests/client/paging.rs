//! Automatic paging, in-list chunking, counting, and the origin check on nextPageUrl.

use crate::support::*;
use autotask::models::{Company, Contact, Contract};
use autotask::{AutotaskError, Filter, Query};
use simulators::common::FaultKind;
use std::time::Duration;

#[tokio::test]
async fn pages_through_1200_companies_with_exact_request_counts() {
    let sim = sim(1200).await;
    let client = client(&sim);
    let companies: Vec<Company> = client
        .query(&Query::new(Filter::gt("id", 0)))
        .await
        .unwrap();

    assert_eq!(companies.len(), 1200);
    let ids: Vec<i64> = companies.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        (1..=1200).collect::<Vec<_>>(),
        "every company once, in id order"
    );
    assert_eq!(companies[41].company_name.as_deref(), Some("Company 00042"));
    assert_eq!(logged(&sim, "Companies", "query"), 1);
    assert_eq!(
        logged(&sim, "Companies", "next"),
        2,
        "pages 2 and 3 via nextPageUrl"
    );
    assert_eq!(logged(&sim, "zoneInformation", "get"), 1);
    assert_eq!(client.requests_made(), 4);
    let next_posts = sim
        .core()
        .log
        .entries()
        .iter()
        .filter(|r| r.verb == "next" && r.method == "POST")
        .count();
    assert_eq!(next_posts, 2, "next pages of a POST query are POSTed");
}

#[tokio::test]
async fn small_pages_and_field_selection() {
    let sim = sim(250).await;
    let client = client(&sim);
    let q = Query::all()
        .include_fields(["id", "contractName"])
        .max_records(100);
    let contracts: Vec<Contract> = client.query(&q).await.unwrap();
    assert_eq!(contracts.len(), 250);
    assert!(contracts.iter().all(|c| c.contract_name.is_some()));
    assert!(
        contracts.iter().all(|c| c.company_id.is_none()),
        "not requested"
    );
    assert_eq!(
        logged(&sim, "Contracts", "query") + logged(&sim, "Contracts", "next"),
        3
    );
}

#[tokio::test]
async fn query_in_chunks_splits_1200_ids_into_queries_of_at_most_500() {
    let sim = sim(1200).await;
    let client = client(&sim);
    let mut ids: Vec<i64> = (1..=1200).collect();
    ids.extend(1..=10); // duplicates cost nothing
    let contacts: Vec<Contact> = client
        .query_in_chunks("companyID", &ids, &Query::new(Filter::eq("isActive", 1)))
        .await
        .unwrap();
    assert_eq!(contacts.len(), 1200);
    assert!(contacts.iter().all(|c| c.active() == Some(true)));
    assert_eq!(logged(&sim, "Contacts", "query"), 3, "500 + 500 + 200");
    assert_eq!(logged(&sim, "Contacts", "next"), 0);
}

#[tokio::test]
async fn chunks_leave_room_for_or_conditions_of_the_base_query() {
    let sim = sim(600).await;
    let client = client(&sim);
    let base = Query::new(Filter::or([
        Filter::eq("primaryContact", true),
        Filter::eq("primaryContact", false),
    ]));
    let ids: Vec<i64> = (1..=600).collect();
    let contacts: Vec<Contact> = client
        .query_in_chunks("companyID", &ids, &base)
        .await
        .unwrap();
    assert_eq!(contacts.len(), 600);
    assert_eq!(logged(&sim, "Contacts", "query"), 2, "498 + 102");
    assert_eq!(logged_status(&sim, 500), 0);
}

#[tokio::test]
async fn oversized_in_list_is_refused_without_a_request() {
    let sim = sim(1).await;
    let client = client(&sim);
    let q = Query::new(Filter::in_list("id", 0..501i64));
    let err = client.query::<Company>(&q).await.unwrap_err();
    assert!(matches!(err, AutotaskError::InvalidQuery(_)), "{err:?}");
    assert_eq!(client.requests_made(), 0);
}

#[tokio::test]
async fn count_is_one_request() {
    let sim = sim(1200).await;
    let client = client(&sim);
    let n = client
        .count("Companies", &Query::new(Filter::gt("id", 0)))
        .await
        .unwrap();
    assert_eq!(n, 1200);
    let payg = client
        .count(
            "Contracts",
            &Query::new(Filter::eq("Acronis PAYG", "Yes").udf()),
        )
        .await
        .unwrap();
    assert_eq!(payg, 300, "every fourth contract");
    assert_eq!(
        logged(&sim, "Companies", "count") + logged(&sim, "Contracts", "count"),
        2
    );
}

#[tokio::test]
async fn next_page_url_to_another_origin_is_never_followed() {
    let sim = sim(3).await;
    let client = client(&sim);
    // A listener that must never see a connection: the credentials would go there.
    let trap = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let trap_url = format!(
        "http://{}/zone15/ATServicesRest/V1.0/Companies/query/next?paging=%7B%7D",
        trap.local_addr().unwrap()
    );
    let body = serde_json::json!({
        "items": [{"id": 1, "companyName": "Company 00001"}],
        "pageDetails": {"count": 1, "requestCount": 500, "prevPageUrl": null, "nextPageUrl": trap_url},
    });
    sim.core().faults.add(fault(
        "/Companies/query",
        Some("POST"),
        FaultKind::Status {
            status: 200,
            retry_after: None,
            body: Some(body.to_string()),
        },
        1,
    ));
    let err = client.query::<Company>(&Query::all()).await.unwrap_err();
    match &err {
        AutotaskError::UntrustedPageUrl { url, zone } => {
            assert!(url.starts_with(&format!("http://{}", trap.local_addr().unwrap())));
            assert_eq!(zone, &sim.api_url());
        }
        other => panic!("expected UntrustedPageUrl, got {other:?}"),
    }
    let contacted = tokio::time::timeout(Duration::from_millis(200), trap.accept()).await;
    assert!(contacted.is_err(), "the foreign host was contacted");
    assert_eq!(client.requests_made(), 2, "zone lookup + first page only");
}

#[tokio::test]
async fn list_child_reads_a_parents_collection() {
    let sim = sim(10).await;
    let client = client(&sim);
    let contacts: Vec<Contact> = client.list_child("Companies", 7, "Contacts").await.unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].company_id, Some(7));
    assert_eq!(logged(&sim, "Contacts", "list"), 1);
}
