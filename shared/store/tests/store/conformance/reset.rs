//! Forgetting one Autotask database: what belongs to it goes, the rest stays.

use super::*;

use bridge_core::records::DatabaseIdentity;

pub async fn forgetting_the_database_keeps_what_is_not_its(store: SharedStore) {
    // What belongs to the database: two mappings, a snapshot, a pending provisioning, a
    // cursor, a quota sync, a ledger entry, a usage report, an alert ticket, a skip.
    for (company, tenant) in [(174, "tenant-174"), (180, "tenant-180")] {
        store
            .put_mapping(&mapping(company, tenant))
            .await
            .expect("map");
    }
    let snapshot = CompanySnapshot {
        company_id: 174,
        contracts: vec![ContractSummary {
            contract_id: 29_684_214,
            billing: Billing::Prepaid,
        }],
        items: Vec::new(),
        invalid_contracts: Vec::new(),
        notes: Vec::new(),
        reporting_lines: Vec::new(),
    };
    store
        .put_contract_snapshot(&snapshot, None)
        .await
        .expect("snapshot");
    store
        .put_pending_provisioning(&snapshots::pending(190), None)
        .await
        .expect("pending");
    store
        .put_cursor("contract-poller", "{}", None)
        .await
        .expect("cursor");
    store
        .put_quota_sync(&quota_syncs::quota_sync(174), None)
        .await
        .expect("quota sync");
    store
        .put_usage(
            &ledger::entry(7, "2026-10", 3),
            None,
            &audit("u1", t0(), "usage.reported"),
        )
        .await
        .expect("ledger");
    store
        .put_usage_reports(&[usage_history::report(174, 2)])
        .await
        .expect("report");
    store
        .put_alert_ticket(&ticket("tenant-174", "alert-1", 55), None)
        .await
        .expect("ticket");
    store
        .put_skipped_alert(&alert_tickets::skipped(
            "tenant-174/alert-2",
            t0(),
            "no mapping",
        ))
        .await
        .expect("skip");
    // What does not: settings, the identity, the audit log, a job status, usage days.
    store
        .put_settings(&Settings::default(), None)
        .await
        .expect("settings");
    let identity = DatabaseIdentity {
        ci: 1,
        zone_url: "https://webservices15.autotask.net/ATServicesRest/".to_owned(),
        recorded_at: t0(),
        recorded_by: "ops".to_owned(),
        mismatch: None,
    };
    store
        .put_database_identity(&identity, None)
        .await
        .expect("identity");
    store
        .append_audit(&audit("a1", t0(), "mapping.created"))
        .await
        .expect("audit");
    let day = usage_history::usage_day("tenant-174", 0, 5);
    store
        .put_usage_days(std::slice::from_ref(&day))
        .await
        .expect("usage day");

    let forgotten = store.forget_database().await.expect("forget");
    let expected: Vec<(&str, u64)> = vec![
        ("alert_tickets", 1),
        ("contract_snapshots", 1),
        ("cursors", 1),
        ("customer_mappings", 2),
        ("pending_provisionings", 1),
        ("quota_syncs", 1),
        ("skipped_alerts", 1),
        ("usage_ledger", 1),
        ("usage_reports", 1),
    ];
    let got: Vec<(&str, u64)> = forgotten.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(got, expected);

    assert!(
        store
            .get_mapping_by_company(174)
            .await
            .expect("store")
            .is_none()
    );
    assert!(
        store
            .get_mapping_by_tenant("tenant-180")
            .await
            .expect("store")
            .is_none()
    );
    assert!(
        store
            .get_contract_snapshot(174)
            .await
            .expect("store")
            .is_none()
    );
    assert!(
        store
            .get_pending_provisioning(190)
            .await
            .expect("store")
            .is_none()
    );
    assert!(
        store
            .get_cursor("contract-poller")
            .await
            .expect("store")
            .is_none()
    );
    assert!(store.get_quota_sync(174).await.expect("store").is_none());
    assert!(
        store
            .get_usage(7, "2026-10")
            .await
            .expect("store")
            .is_none()
    );
    assert!(
        store
            .get_usage_reports(&[174])
            .await
            .expect("store")
            .is_empty()
    );
    let key = AlertTicket::key("tenant-174", "alert-1");
    assert!(store.get_alert_ticket(&key).await.expect("store").is_none());
    assert!(
        store
            .list_skipped_alerts(10, None, t0())
            .await
            .expect("store")
            .items
            .is_empty()
    );
    // A tenant freed by the reset can be mapped again at once.
    store
        .put_mapping(&mapping(200, "tenant-174"))
        .await
        .expect("remap");

    assert!(store.get_settings().await.expect("store").is_some());
    assert_eq!(
        store
            .get_database_identity()
            .await
            .expect("store")
            .map(|i| i.value),
        Some(identity)
    );
    let entries = store
        .list_audit(&AuditQuery::default(), t0())
        .await
        .expect("store")
        .items;
    // The audit log is kept whole: the entry written with the ledger entry too.
    let mut kept_ids = ids(&entries);
    kept_ids.sort();
    assert_eq!(kept_ids, vec!["a1".to_owned(), "u1".to_owned()]);
    let kept = store
        .latest_usage_days(&["tenant-174".to_owned()], day.day, day.day)
        .await
        .expect("store");
    assert_eq!(kept.len(), 1);

    // Forgetting again finds only what was written since.
    let again: Vec<(String, u64)> = store
        .forget_database()
        .await
        .expect("again")
        .into_iter()
        .collect();
    assert_eq!(again, vec![("customer_mappings".to_owned(), 1)]);
    assert!(store.forget_database().await.expect("third").is_empty());
}
