use crate::{client, count, customer, sim};
use acronis::AlertQuery;
use serde_json::json;

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
    assert_eq!(all.len(), 25);
    assert_eq!(count(&sim, "alerts", "list"), 3, "10 + 10 + 5");
    let mut ids: Vec<_> = all.iter().map(|a| a.id.clone()).collect();
    ids.sort();
    fired.sort();
    assert_eq!(ids, fired, "every alert once");
    let stamps: Vec<i64> = all.iter().filter_map(|a| a.updated_at_ns()).collect();
    assert_eq!(stamps.len(), 25);
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
    assert_eq!(found.len(), 3);
    assert!(
        found
            .iter()
            .all(|a| a.tenant_id() == Some(customer(1).as_str()))
    );
    let one_type = AlertQuery {
        types: vec!["BackupFailed".into()],
        ..AlertQuery::default()
    };
    assert_eq!(acronis.alerts(&one_type).await.expect("one type").len(), 5);
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
    assert_eq!(open.len(), 1);
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
}

#[tokio::test]
async fn lists_alert_types() {
    let sim = sim(0).await;
    let types = client(&sim).alert_types().await.expect("types");
    assert!(types.iter().any(|t| t.id == "NoBackupForXDays"));
    assert!(types.iter().any(|t| t.id == "BackupFailed"));
}
