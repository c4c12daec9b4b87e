use crate::{client, count, customer, sim};
use acronis::AlertQuery;
use serde_json::json;
use simulators::acronis::{CTI_LICENSE, CTI_MALWARE, generated_alerts};

fn fire(sim: &simulators::acronis::AcronisSim, tenant: &str, kind: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            sim.fire_alert(json!({
                "type": kind,
                "tenant_id": tenant,
                "details": {"planName": format!("Plan {i}"), "resourceName": "srv-01"},
            }))
        })
        .collect()
}

/// Ids of the alerts the generated scenario seeds for `companies` customers.
fn seeded(companies: usize) -> Vec<String> {
    generated_alerts(companies)
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn pages_through_alerts_and_resumes_from_the_cursor() {
    let sim = sim(2).await;
    let mut fired = fire(&sim, &customer(1), "BackupFailed", 17);
    fired.extend(fire(&sim, &customer(2), "NoBackupForXDays", 8));
    let acronis = client(&sim);
    let all = acronis
        .alerts(&AlertQuery {
            limit: Some(10),
            ..AlertQuery::default()
        })
        .await
        .expect("alerts");
    assert_eq!(
        all.len(),
        27,
        "25 fired + the 2 the generated scenario seeds"
    );
    assert_eq!(count(&sim, "alerts", "list"), 3, "10 + 10 + 7");
    let mut ids: Vec<_> = all.iter().map(|a| a.id.clone()).collect();
    ids.sort();
    let mut expected = fired.clone();
    expected.extend(seeded(2));
    expected.sort();
    assert_eq!(ids, expected, "every alert once");
    let stamps: Vec<i64> = all.iter().filter_map(|a| a.updated_at_ns()).collect();
    assert_eq!(stamps.len(), 27);
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "oldest update first"
    );

    // The job's cursor: the newest updatedAt it has seen.
    let cursor = *stamps.last().expect("some");
    let newer = fire(&sim, &customer(2), "BackupDidNotStart", 2);
    let since = acronis
        .alerts(&AlertQuery {
            updated_since: Some(cursor),
            limit: Some(10),
            ..AlertQuery::default()
        })
        .await
        .expect("incremental");
    let since_ids: Vec<_> = since.iter().map(|a| a.id.clone()).collect();
    assert_eq!(since_ids, newer);
    assert_eq!(since[0].tenant_id(), Some(customer(2).as_str()));
    assert_eq!(since[0].details.resource_name.as_deref(), Some("srv-01"));
}

#[tokio::test]
async fn filters_by_tenant_and_types() {
    let sim = sim(2).await;
    fire(&sim, &customer(1), "BackupFailed", 2);
    fire(&sim, &customer(1), "MachineOffline30", 1);
    fire(&sim, &customer(1), "AgentAutoUpdateFailed", 1);
    fire(&sim, &customer(2), "BackupFailed", 3);
    let acronis = client(&sim);
    let query = AlertQuery {
        tenant: Some(customer(1)),
        types: vec!["BackupFailed".into(), "MachineOffline30".into()],
        ..AlertQuery::default()
    };
    let found = acronis.alerts(&query).await.expect("filtered");
    assert_eq!(found.len(), 4, "3 fired + customer 1's seeded BackupFailed");
    assert!(
        found
            .iter()
            .all(|a| a.tenant_id() == Some(customer(1).as_str()))
    );
    let one_type = AlertQuery {
        types: vec!["BackupFailed".into()],
        ..AlertQuery::default()
    };
    assert_eq!(
        acronis.alerts(&one_type).await.expect("one type").len(),
        6,
        "5 fired + 1 seeded"
    );
    let cti = AlertQuery {
        types: vec![CTI_MALWARE.into(), CTI_LICENSE.into()],
        ..AlertQuery::default()
    };
    let found = acronis.alerts(&cti).await.expect("CTI types");
    assert_eq!(found.len(), 1, "customer 2's seeded malware alert");
    assert_eq!(found[0].alert_type, CTI_MALWARE);
}

#[tokio::test]
async fn dismissal_shows_up_with_show_deleted() {
    let sim = sim(1).await;
    let ids = fire(&sim, &customer(1), "BackupFailed", 2);
    let acronis = client(&sim);
    let before = acronis.alert(&ids[0]).await.expect("alert");
    assert!(!before.is_dismissed());
    assert_eq!(before.alert_type, "BackupFailed");
    let cursor = acronis
        .alerts(&AlertQuery::default())
        .await
        .expect("all")
        .iter()
        .filter_map(|a| a.updated_at_ns())
        .max();

    acronis.dismiss_alert(&ids[0]).await.expect("dismiss");
    let open = acronis.alerts(&AlertQuery::default()).await.expect("open");
    assert_eq!(open.len(), 2, "the other fired one and the seeded one");
    assert!(open.iter().all(|a| a.id != ids[0]));
    let changes = acronis
        .alerts(&AlertQuery {
            updated_since: cursor,
            show_deleted: true,
            ..AlertQuery::default()
        })
        .await
        .expect("changes");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].id, ids[0]);
    assert!(changes[0].is_dismissed());
    assert!(changes[0].deleted_time().is_some());
    assert_eq!(changes[0].updated_time(), changes[0].deleted_time());
}

#[tokio::test]
async fn lists_alert_types() {
    let sim = sim(0).await;
    let types = client(&sim).alert_types().await.expect("types");
    assert!(types.iter().any(|t| t.id == "NoBackupForXDays"));
    assert!(types.iter().any(|t| t.id == "BackupFailed"));
    assert!(types.iter().any(|t| t.id == CTI_MALWARE));
}

#[tokio::test]
async fn both_tenant_shapes_and_both_kinds_of_type() {
    let sim = sim(3).await;
    let legacy = sim.fire_alert(json!({"type": "BackupFailed", "tenant_id": customer(3),
        "details": {"planName": "Nightly", "resourceName": "SRV-3",
                    "errorMessage": {"reason": "Disk full"}}}));
    let newer = sim.fire_alert(json!({"type": CTI_MALWARE, "tenant_id": customer(3),
        "tenant_shape": "uuid",
        "details": {"title": "Malware detected", "description": "Quarantined",
                    "fields": {"Threat": "EICAR", "Count": 2}}}));
    let numeric = sim.fire_alert(json!({"type": "NoBackupForXDays", "tenant_id": customer(3),
        "tenant_shape": "numeric", "details": {"daysPassed": 4}}));
    let acronis = client(&sim);
    let found = acronis
        .alerts(&AlertQuery {
            tenant: Some(customer(3)),
            ..AlertQuery::default()
        })
        .await
        .expect("alerts");
    let by_id = |id: &str| found.iter().find(|a| a.id == id).expect("listed");

    let a = by_id(&legacy);
    assert_eq!(a.tenant_id(), Some(customer(3).as_str()));
    assert!(a.tenant.as_ref().is_some_and(|t| t.uuid.is_some()));
    assert_eq!(a.key(), Some(format!("{}/{legacy}", customer(3))));
    assert_eq!(a.type_name(), "Backup failed");
    assert!(!a.is_cti_type());
    assert_eq!(a.details.error_message.as_deref(), Some("Disk full"));
    assert_eq!(a.details.plan_name.as_deref(), Some("Nightly"));
    assert_eq!(a.details.title, None);

    let b = by_id(&newer);
    assert_eq!(b.tenant_id(), Some(customer(3).as_str()));
    assert!(b.tenant.as_ref().is_some_and(|t| t.uuid.is_none()));
    assert!(b.is_cti_type());
    assert_eq!(b.type_name(), "Malware detected");
    assert_eq!(b.details.title.as_deref(), Some("Malware detected"));
    let mut fields = b.details.fields.clone();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("Count".to_string(), "2".to_string()),
            ("Threat".to_string(), "EICAR".to_string())
        ]
    );
    assert_eq!(
        b.details.resource_name, None,
        "a missing detail is just absent"
    );

    let c = by_id(&numeric);
    assert_eq!(
        c.tenant_id(),
        None,
        "numbers only: the tenant cannot be told"
    );
    assert_eq!(c.key(), None);
    assert_eq!(c.details.days_passed, Some(4));
    assert_eq!(c.type_name(), "No backup for X days");

    let one = acronis.alert(&newer).await.expect("by id");
    assert_eq!(one.tenant_id(), Some(customer(3).as_str()));
}

#[tokio::test]
async fn odd_details_never_break_a_page() {
    let sim = sim(1).await;
    for details in [
        json!({"resourceName": 42, "planName": null, "errorMessage": ["a", "b"]}),
        json!("just text"),
        json!(null),
        json!({"fields": "not an object", "title": {"nested": true}}),
        json!({"description": "x".repeat(50_000)}),
    ] {
        sim.fire_alert(
            json!({"type": "BackupFailed", "tenant_id": customer(1), "details": details}),
        );
    }
    let found = client(&sim)
        .alerts(&AlertQuery::default())
        .await
        .expect("every alert decodes");
    assert_eq!(found.len(), 6, "5 fired + 1 seeded");
    let numeric = found
        .iter()
        .find(|a| a.details.resource_name.as_deref() == Some("42"))
        .expect("a number where a string was expected");
    assert_eq!(numeric.details.plan_name, None);
    assert_eq!(numeric.details.error_message, None);
    let long = found
        .iter()
        .find_map(|a| a.details.description.as_ref())
        .expect("long description");
    assert!(long.chars().count() <= 2_000, "bounded");
    assert!(
        found
            .iter()
            .all(|a| a.details.raw().to_string().len() < 20_000)
    );
}

#[tokio::test]
async fn pages_by_cursor_through_a_burst_with_the_update_filter() {
    let sim = sim(2).await;
    let acronis = client(&sim);
    let start = acronis
        .alerts(&AlertQuery::default())
        .await
        .expect("seeded")
        .iter()
        .filter_map(|a| a.updated_at_ns())
        .max();
    let burst = sim.fire_alerts(45, &customer(1));
    assert_eq!(burst.len(), 45);
    sim.core().log.clear();
    let query = AlertQuery {
        updated_since: start,
        limit: Some(20),
        ..AlertQuery::default()
    };
    // Page by page, as a job committing its progress would.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = acronis
            .alerts_page(&query, after.as_deref())
            .await
            .expect("page");
        pages += 1;
        seen.extend(page.items.iter().map(|a| a.id.clone()));
        match page.after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3, "20 + 20 + 5");
    assert_eq!(
        seen, burst,
        "oldest update first, none of the older seeded ones"
    );
    assert_eq!(count(&sim, "alerts", "list"), 3);

    // A repeat and a dismissal move alerts past the cursor again.
    let cursor = {
        let all = acronis.alerts(&query).await.expect("all");
        all.iter().filter_map(|a| a.updated_at_ns()).max()
    };
    sim.repeat_alert(&burst[3]);
    sim.dismiss_alert(&burst[7]);
    let changed = acronis
        .alerts(&AlertQuery {
            updated_since: cursor,
            show_deleted: true,
            ..AlertQuery::default()
        })
        .await
        .expect("changes");
    let ids: Vec<_> = changed.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, vec![burst[3].as_str(), burst[7].as_str()]);
    assert!(!changed[0].is_dismissed());
    assert!(changed[1].is_dismissed());
    let without_dismissed = acronis
        .alerts(&AlertQuery {
            updated_since: cursor,
            ..AlertQuery::default()
        })
        .await
        .expect("changes without dismissed");
    assert_eq!(without_dismissed.len(), 1);
}

#[tokio::test]
async fn a_zero_page_size_is_refused_without_a_request() {
    let sim = sim(0).await;
    let acronis = client(&sim);
    let err = acronis
        .alerts(&AlertQuery {
            limit: Some(0),
            ..AlertQuery::default()
        })
        .await
        .expect_err("limit 0");
    assert!(err.to_string().contains("limit"), "{err}");
    assert_eq!(acronis.requests_made(), 0);
}
