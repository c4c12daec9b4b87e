//! Alert → ticket records.

use super::*;

use bridge_core::records::{Page, SkippedAlert};
use bridge_store::store::SKIPPED_ALERT_RETENTION_DAYS;

pub async fn alert_tickets_create_and_versioned_update(store: SharedStore) {
    let key = AlertTicket::key("tenant-1", "alert-9");
    assert!(store.get_alert_ticket(&key).await.expect("get").is_none());
    assert_eq!(
        store
            .put_alert_ticket(&ticket("tenant-1", "alert-9", 42), None)
            .await
            .expect("create"),
        1
    );

    // A second ingestion run racing to create the same alert's ticket loses.
    let err = store
        .put_alert_ticket(&ticket("tenant-1", "alert-9", 43), None)
        .await
        .expect_err("duplicate");
    assert_eq!(conflict_version(&err), Some(1));

    let mut closed = ticket("tenant-1", "alert-9", 42);
    closed.state = AlertTicketState::Closed;
    closed.closed_at = Some(t0() + secs(3600));
    closed.last_seen_at = t0() + secs(60);
    assert_eq!(
        store
            .put_alert_ticket(&closed, Some(1))
            .await
            .expect("update"),
        2
    );
    let err = store
        .put_alert_ticket(&ticket("tenant-1", "alert-9", 42), Some(1))
        .await
        .expect_err("stale");
    assert_eq!(conflict_version(&err), Some(2));

    let stored = store
        .get_alert_ticket(&key)
        .await
        .expect("get")
        .expect("present");
    assert_eq!((stored.value, stored.version), (closed, 2));
    let err = store
        .put_alert_ticket(&ticket("tenant-2", "alert-9", 1), Some(1))
        .await
        .expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

/// `ticket(..)` of another company (`None`: the tenant is not mapped).
fn of_company(tenant: &str, alert: &str, company_id: Option<i64>) -> AlertTicket {
    AlertTicket {
        company_id,
        ..ticket(tenant, alert, 1)
    }
}

/// Every page of a listing of alert tickets, following tokens; panics on a loop.
async fn all_ticket_pages(
    store: &SharedStore,
    company_id: Option<i64>,
    limit: u32,
) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut token = None;
    loop {
        let page = store
            .list_alert_tickets(company_id, limit, token.as_deref())
            .await
            .expect("list_alert_tickets");
        pages.push(
            page.items
                .iter()
                .map(|t| t.value.alert_key.clone())
                .collect(),
        );
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return pages,
        }
        assert!(pages.len() < 1000, "paging does not end");
    }
}

fn flat(pages: Vec<Vec<String>>) -> Vec<String> {
    pages.into_iter().flatten().collect()
}

pub async fn alert_tickets_intent_then_ticket_race_has_one_winner(store: SharedStore) {
    let intent = AlertTicket {
        state: AlertTicketState::Pending,
        ticket_id: None,
        ticket_number: None,
        last_action: None,
        ..ticket("tenant-1", "alert-1", 1)
    };
    // Two runs see the alert for the first time: only one may go on to create.
    let barrier = Arc::new(Barrier::new(2));
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let (store, barrier, intent) =
                (Arc::clone(&store), Arc::clone(&barrier), intent.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.put_alert_ticket(&intent, None).await
            })
        })
        .collect();
    let mut wins = 0;
    for writer in writers {
        match writer.await.expect("writer task") {
            Ok(version) => {
                assert_eq!(version, 1);
                wins += 1;
            }
            Err(err) => assert_eq!(conflict_version(&err), Some(1)),
        }
    }
    assert_eq!(wins, 1, "exactly one run records the intent");

    let created = ticket("tenant-1", "alert-1", 42);
    assert_eq!(
        store
            .put_alert_ticket(&created, Some(1))
            .await
            .expect("ticket recorded"),
        2
    );
    let stored = store
        .get_alert_ticket(&created.alert_key)
        .await
        .expect("get")
        .expect("present");
    assert_eq!((stored.value, stored.version), (created, 2));
}

pub async fn alert_tickets_list_by_company_then_key(store: SharedStore) {
    let records = [
        of_company("t-b", "a-2", Some(10)),
        of_company("t-a", "a-9", None),
        of_company("t-a", "a-1", Some(2)),
        of_company("t-c", "a-1", Some(10)),
        of_company("t-b", "a-1", Some(2)),
        of_company("t-0", "a-1", None),
    ];
    for record in &records {
        store.put_alert_ticket(record, None).await.expect("put");
    }
    let all = [
        "t-a/a-1", "t-b/a-1", "t-b/a-2", "t-c/a-1", "t-0/a-1", "t-a/a-9",
    ];
    for limit in [1, 2, 4, 1000] {
        let pages = all_ticket_pages(&store, None, limit).await;
        assert!(
            pages.iter().all(|page| page.len() <= limit as usize),
            "limit {limit}: {pages:?}"
        );
        assert_eq!(flat(pages), all, "limit {limit}");
    }
    assert_eq!(
        flat(all_ticket_pages(&store, Some(2), 1).await),
        ["t-a/a-1", "t-b/a-1"]
    );
    assert_eq!(
        flat(all_ticket_pages(&store, Some(10), 1000).await),
        ["t-b/a-2", "t-c/a-1"]
    );
    // Company 1 is a prefix of company 10 in decimal, not in the listing.
    assert!(flat(all_ticket_pages(&store, Some(1), 1000).await).is_empty());

    // Listings carry versions, and follow an update that changes the company.
    let moved = AlertTicket {
        company_id: Some(2),
        ..of_company("t-c", "a-1", Some(10))
    };
    assert_eq!(
        store
            .put_alert_ticket(&moved, Some(1))
            .await
            .expect("update"),
        2
    );
    let page = store
        .list_alert_tickets(Some(2), 1000, None)
        .await
        .expect("list");
    let listed: Vec<_> = page
        .items
        .iter()
        .map(|t| (t.value.alert_key.as_str(), t.version))
        .collect();
    assert_eq!(listed, [("t-a/a-1", 1), ("t-b/a-1", 1), ("t-c/a-1", 2)]);
    assert_eq!(page.items[2].value, moved);
    assert_eq!(
        flat(all_ticket_pages(&store, Some(10), 1000).await),
        ["t-b/a-2"]
    );
}

pub async fn alert_ticket_page_tokens_continue_only_their_listing(store: SharedStore) {
    for (tenant, company) in [
        ("t-1", Some(2)),
        ("t-2", Some(2)),
        ("t-3", Some(3)),
        ("t-4", None),
    ] {
        store
            .put_alert_ticket(&of_company(tenant, "a", company), None)
            .await
            .expect("put");
    }
    let token_of = |company: Option<i64>| {
        let store = Arc::clone(&store);
        async move {
            store
                .list_alert_tickets(company, 1, None)
                .await
                .expect("list")
                .next_page_token
                .expect("a next page")
        }
    };
    let all = token_of(None).await;
    let of_2 = token_of(Some(2)).await;
    let invalid = |err: StoreError| {
        assert!(
            matches!(
                err,
                StoreError::Invalid {
                    field: "page_token",
                    ..
                }
            ),
            "{err:?}"
        );
    };
    invalid(
        store
            .list_alert_tickets(Some(2), 1, Some(&all))
            .await
            .expect_err("unfiltered token"),
    );
    invalid(
        store
            .list_alert_tickets(None, 1, Some(&of_2))
            .await
            .expect_err("company token"),
    );
    invalid(
        store
            .list_alert_tickets(Some(3), 1, Some(&of_2))
            .await
            .expect_err("other company's token"),
    );
    invalid(
        store
            .list_alert_tickets(None, 1, Some("not a token!"))
            .await
            .expect_err("garbage"),
    );
    let mapping_token = {
        store
            .put_mapping(&mapping(1, "tenant-1"))
            .await
            .expect("put");
        store
            .put_mapping(&mapping(2, "tenant-2"))
            .await
            .expect("put");
        store
            .list_mappings(1, None)
            .await
            .expect("list")
            .next_page_token
            .expect("more")
    };
    invalid(
        store
            .list_alert_tickets(None, 1, Some(&mapping_token))
            .await
            .expect_err("mapping token"),
    );
    // Each token continues its own listing.
    let next = store
        .list_alert_tickets(Some(2), 1, Some(&of_2))
        .await
        .expect("next page");
    assert_eq!(next.items[0].value.alert_key, "t-2/a");
}

fn assert_invalid(err: StoreError, expected_field: &str) {
    match err {
        StoreError::Invalid { field, .. } => assert_eq!(field, expected_field),
        other => panic!("expected Invalid {expected_field}, got {other:?}"),
    }
}

pub async fn alert_ticket_invalid_records_write_nothing(store: SharedStore) {
    let good = ticket("tenant-1", "alert-1", 42);
    let cases: Vec<(&str, AlertTicket)> = vec![
        (
            "alert_key",
            AlertTicket {
                alert_key: " ".to_owned(),
                ..good.clone()
            },
        ),
        (
            "alert_key",
            AlertTicket {
                alert_key: "tenant-1/alert-2".to_owned(),
                ..good.clone()
            },
        ),
        (
            "tenant_id",
            AlertTicket {
                tenant_id: String::new(),
                alert_key: "/alert-1".to_owned(),
                ..good.clone()
            },
        ),
        (
            "alert_id",
            AlertTicket {
                alert_id: " ".to_owned(),
                alert_key: "tenant-1/ ".to_owned(),
                ..good.clone()
            },
        ),
        (
            "alert_type",
            AlertTicket {
                alert_type: " ".to_owned(),
                ..good.clone()
            },
        ),
        (
            "alert_type",
            AlertTicket {
                alert_type: "t".repeat(AlertTicket::MAX_ALERT_TYPE_CHARS + 1),
                ..good.clone()
            },
        ),
        (
            "ticket_id",
            AlertTicket {
                ticket_id: Some(-1),
                ..good.clone()
            },
        ),
        (
            "ticket_id",
            AlertTicket {
                ticket_id: None,
                ..good.clone()
            },
        ),
        (
            "ticket_id",
            AlertTicket {
                state: AlertTicketState::Pending,
                ..good.clone()
            },
        ),
        (
            "ticket_number",
            AlertTicket {
                ticket_number: Some("T".repeat(AlertTicket::MAX_TICKET_NUMBER_CHARS + 1)),
                ..good.clone()
            },
        ),
        (
            "ticket_number",
            AlertTicket {
                ticket_number: Some(String::new()),
                ..good.clone()
            },
        ),
        (
            "company_id",
            AlertTicket {
                company_id: Some(-5),
                ..good.clone()
            },
        ),
        (
            "last_action",
            AlertTicket {
                last_action: Some("a".repeat(AlertTicket::MAX_LAST_ACTION_CHARS + 1)),
                ..good.clone()
            },
        ),
        (
            "previous_ticket_ids",
            AlertTicket {
                previous_ticket_ids: vec![7, -7],
                ..good.clone()
            },
        ),
        (
            "previous_ticket_ids",
            AlertTicket {
                previous_ticket_ids: (0..=AlertTicket::MAX_PREVIOUS_TICKETS as i64).collect(),
                ..good.clone()
            },
        ),
    ];
    for (field, record) in cases {
        let err = store
            .put_alert_ticket(&record, None)
            .await
            .expect_err(field);
        assert_invalid(err, field);
    }
    assert!(
        store
            .get_alert_ticket(&good.alert_key)
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        store
            .list_alert_tickets(None, 1000, None)
            .await
            .expect("list")
            .items
            .is_empty(),
        "nothing written"
    );

    // At the limits, a record is accepted.
    let full = AlertTicket {
        alert_type: "t".repeat(AlertTicket::MAX_ALERT_TYPE_CHARS),
        ticket_number: Some("T".repeat(AlertTicket::MAX_TICKET_NUMBER_CHARS)),
        previous_ticket_ids: (0..AlertTicket::MAX_PREVIOUS_TICKETS as i64).collect(),
        ..good
    };
    assert_eq!(store.put_alert_ticket(&full, None).await.expect("put"), 1);

    assert_invalid(
        store
            .list_alert_tickets(Some(-1), 10, None)
            .await
            .expect_err("negative company"),
        "company_id",
    );
    for limit in [0, 1001] {
        assert_invalid(
            store
                .list_alert_tickets(None, limit, None)
                .await
                .expect_err("limit"),
            "limit",
        );
    }
}

pub(super) fn skipped(alert: &str, at: DateTime<Utc>, reason: &str) -> SkippedAlert {
    SkippedAlert::new(
        alert,
        Some("tenant-1"),
        reason,
        at,
        Some(r#"{"id":"a","type":"BackupFailed"}"#),
    )
}

fn skipped_keys(page: &Page<SkippedAlert>) -> Vec<String> {
    page.items.iter().map(|s| s.alert_key.clone()).collect()
}

pub async fn skipped_alerts_upsert_and_list_newest_first(store: SharedStore) {
    for (i, alert) in ["a-1", "a-2", "a-3"].iter().enumerate() {
        store
            .put_skipped_alert(&skipped(alert, t0() + secs(i as i64), "no tenant"))
            .await
            .expect("put");
    }
    // Two skips at the same instant order by key, newest first like the rest.
    store
        .put_skipped_alert(&skipped("a-0", t0() + secs(1), "unreadable"))
        .await
        .expect("put");
    let now = t0() + secs(60);
    let first = store.list_skipped_alerts(2, None, now).await.expect("list");
    assert_eq!(skipped_keys(&first), ["tenant-1/a-3", "tenant-1/a-2"]);
    let token = first.next_page_token.expect("a next page");
    let second = store
        .list_skipped_alerts(2, Some(&token), now)
        .await
        .expect("list");
    let mut rest = skipped_keys(&second);
    if let Some(token) = second.next_page_token {
        let third = store
            .list_skipped_alerts(2, Some(&token), now)
            .await
            .expect("list");
        assert!(third.next_page_token.is_none());
        rest.extend(skipped_keys(&third));
    }
    assert_eq!(rest, ["tenant-1/a-0", "tenant-1/a-1"]);

    // Skipped again: replaced, and first in the listing.
    let again = skipped("a-1", t0() + secs(30), "Autotask refused the ticket: 500");
    store.put_skipped_alert(&again).await.expect("upsert");
    let page = store
        .list_skipped_alerts(1000, None, now)
        .await
        .expect("list");
    assert_eq!(
        skipped_keys(&page),
        [
            "tenant-1/a-1",
            "tenant-1/a-3",
            "tenant-1/a-2",
            "tenant-1/a-0"
        ]
    );
    assert_eq!(page.items[0], again);

    // Without a tenant the key is the alert id.
    let untenanted = SkippedAlert::new("a-9", None, "no tenant", t0() + secs(40), None);
    store.put_skipped_alert(&untenanted).await.expect("put");
    let page = store.list_skipped_alerts(1, None, now).await.expect("list");
    assert_eq!(page.items, [untenanted]);
}

pub async fn skipped_alerts_are_listed_for_the_retention_only(store: SharedStore) {
    let retention = TimeDelta::days(SKIPPED_ALERT_RETENTION_DAYS);
    store
        .put_skipped_alert(&skipped("old", t0(), "no tenant"))
        .await
        .expect("put");
    store
        .put_skipped_alert(&skipped("new", t0() + TimeDelta::days(10), "no tenant"))
        .await
        .expect("put");
    let keys = |now: DateTime<Utc>| {
        let store = Arc::clone(&store);
        async move {
            skipped_keys(
                &store
                    .list_skipped_alerts(10, None, now)
                    .await
                    .expect("list"),
            )
        }
    };
    assert_eq!(
        keys(t0() + retention - secs(1)).await,
        ["tenant-1/new", "tenant-1/old"]
    );
    // Expired exactly at `at` + retention, like audit entries at `expires_at`.
    assert_eq!(keys(t0() + retention).await, ["tenant-1/new"]);
    assert!(
        keys(t0() + TimeDelta::days(10) + retention)
            .await
            .is_empty()
    );
}

pub async fn skipped_alert_invalid_records_write_nothing(store: SharedStore) {
    let good = skipped("a-1", t0(), "no tenant");
    let cases: Vec<(&str, SkippedAlert)> = vec![
        (
            "alert_key",
            SkippedAlert {
                alert_key: "tenant-1/other".to_owned(),
                ..good.clone()
            },
        ),
        (
            "alert_key",
            SkippedAlert {
                tenant: None,
                ..good.clone()
            },
        ),
        (
            "alert_id",
            SkippedAlert {
                alert_id: " ".to_owned(),
                alert_key: "tenant-1/ ".to_owned(),
                ..good.clone()
            },
        ),
        (
            "tenant",
            SkippedAlert {
                tenant: Some(String::new()),
                alert_key: "/a-1".to_owned(),
                ..good.clone()
            },
        ),
        (
            "reason",
            SkippedAlert {
                reason: "  ".to_owned(),
                ..good.clone()
            },
        ),
        (
            "reason",
            SkippedAlert {
                reason: "r".repeat(SkippedAlert::MAX_REASON_CHARS + 1),
                ..good.clone()
            },
        ),
        (
            "raw",
            SkippedAlert {
                raw: Some("x".repeat(SkippedAlert::MAX_RAW_BYTES + 1)),
                ..good.clone()
            },
        ),
    ];
    for (field, record) in cases {
        let err = store.put_skipped_alert(&record).await.expect_err(field);
        assert_invalid(err, field);
    }
    let now = t0() + secs(1);
    assert!(
        store
            .list_skipped_alerts(1000, None, now)
            .await
            .expect("list")
            .items
            .is_empty(),
        "nothing written"
    );
    let full = SkippedAlert {
        reason: "r".repeat(SkippedAlert::MAX_REASON_CHARS),
        raw: Some("x".repeat(SkippedAlert::MAX_RAW_BYTES)),
        ..good
    };
    store.put_skipped_alert(&full).await.expect("at the limits");
    for limit in [0, 1001] {
        assert_invalid(
            store
                .list_skipped_alerts(limit, None, now)
                .await
                .expect_err("limit"),
            "limit",
        );
    }
    // A token of the ticket listing does not continue this one.
    for tenant in ["t-1", "t-2"] {
        store
            .put_alert_ticket(&ticket(tenant, "a", 1), None)
            .await
            .expect("put");
    }
    let token = store
        .list_alert_tickets(None, 1, None)
        .await
        .expect("list")
        .next_page_token
        .expect("more");
    assert_invalid(
        store
            .list_skipped_alerts(10, Some(&token), now)
            .await
            .expect_err("ticket token"),
        "page_token",
    );
}
