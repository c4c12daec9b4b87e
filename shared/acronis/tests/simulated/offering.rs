use crate::{PARTNER, client, config, count, customer, sim};
use acronis::{AcronisClient, Error, OfferingItem, OfferingItemUpdate, Quota, TenantKind};
use simulators::common::{FaultKind, FaultRule};

const GB: u64 = 1 << 30;

fn item<'a>(items: &'a [OfferingItem], name: &str) -> &'a OfferingItem {
    items
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("item {name} missing"))
}

fn hard_quota(item: &OfferingItem, value: u64) -> OfferingItemUpdate {
    OfferingItemUpdate {
        quota: Some(Quota {
            value: Some(value),
            overage: Some(0),
            version: item.quota.map_or(0, |q| q.version),
        }),
        ..item.to_update()
    }
}

#[tokio::test]
async fn reads_items_of_an_edition_or_all() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    let all = acronis
        .offering_items(&customer(1), None)
        .await
        .expect("all");
    let pw = acronis
        .offering_items(&customer(1), Some("pck_per_workload"))
        .await
        .expect("one edition");
    assert!(all.len() > pw.len());
    assert!(
        pw.iter()
            .all(|i| i.edition.as_deref().is_none_or(|e| e == "pck_per_workload"))
    );
    let storage = item(&all, "pw_base_storage");
    assert!(storage.infra_id.is_some());
    assert_eq!(storage.measurement_unit.as_deref(), Some("bytes"));
    assert_eq!(
        storage.quota,
        Some(Quota::default()),
        "unlimited, never edited"
    );

    let grantable = acronis
        .available_for_child(PARTNER, TenantKind::Customer)
        .await
        .expect("available");
    assert!(grantable.iter().all(|i| i.is_enabled()));
    assert!(grantable.iter().any(|i| i.name == "pw_base_workstations"));
}

#[tokio::test]
async fn puts_quotas_and_refuses_a_stale_version() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    let items = acronis
        .offering_items(&customer(1), None)
        .await
        .expect("items");
    let ws = item(&items, "pw_base_workstations");
    let storage = item(&items, "pw_base_storage");
    let changed = acronis
        .put_offering_items(
            &customer(1),
            &[hard_quota(ws, 5), hard_quota(storage, 100 * GB)],
        )
        .await
        .expect("put");
    assert_eq!(changed.len(), 2);
    let new_ws = item(&changed, "pw_base_workstations");
    assert_eq!(new_ws.quota.and_then(|q| q.value), Some(5));
    assert_ne!(new_ws.quota.map(|q| q.version), Some(0));

    // The same update again still carries version 0: refused with 426.
    let err = acronis
        .put_offering_items(&customer(1), &[hard_quota(ws, 6)])
        .await
        .expect_err("stale");
    assert!(matches!(err, Error::QuotaVersionConflict { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_retry_rereads_after_a_concurrent_change() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    let other = AcronisClient::new(config(&sim)).expect("second writer");
    let tenant = customer(1);
    let mut planned = 0;
    let result = acronis
        .update_quotas_with_retry(&tenant, |items| {
            planned += 1;
            let ws = item(items, "pw_base_workstations");
            if planned == 1 {
                // Someone else changes the quota between our read and our write.
                let competing = [hard_quota(ws, 3)];
                tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current()
                        .block_on(other.put_offering_items(&tenant, &competing))
                })
                .expect("competing write");
            }
            vec![hard_quota(ws, 10)]
        })
        .await
        .expect("quota set after a retry");
    assert_eq!(planned, 2);
    assert_eq!(
        item(&result, "pw_base_workstations")
            .quota
            .and_then(|q| q.value),
        Some(10)
    );
    // Two writes of ours (the first got 426) and one of the competitor.
    assert_eq!(count(&sim, "offering_items", "update"), 3);
    let in_sim = sim.offering_items(&tenant);
    let ws = in_sim
        .iter()
        .find(|i| i["name"] == "pw_base_workstations")
        .expect("item");
    assert_eq!(ws["quota"]["value"], 10);
}

#[tokio::test]
async fn quota_retry_gives_up_after_repeated_conflicts() {
    let sim = sim(1).await;
    sim.core().faults.add(FaultRule {
        route: "/offering_items".into(),
        method: Some("PUT".into()),
        query: None,
        kind: FaultKind::Status {
            status: 426,
            retry_after: None,
            body: None,
        },
        times: None,
    });
    let acronis = client(&sim);
    let err = acronis
        .update_quotas_with_retry(&customer(1), |items| {
            vec![hard_quota(item(items, "pw_base_servers"), 1)]
        })
        .await
        .expect_err("never succeeds");
    assert!(matches!(err, Error::QuotaVersionConflict { .. }), "{err}");
    assert_eq!(count(&sim, "offering_items", "update"), 5);
}

#[tokio::test]
async fn empty_quota_plan_sends_nothing() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    let result = acronis
        .update_quotas_with_retry(&customer(1), |_| Vec::new())
        .await
        .expect("nothing to do");
    assert!(result.is_empty());
    assert_eq!(count(&sim, "offering_items", "update"), 0);
}

#[tokio::test]
async fn applications_and_bindings() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    let apps = acronis.applications().await.expect("apps");
    assert!(apps.iter().any(|a| a.id == acronis::BACKUP_APPLICATION_ID));
    acronis
        .enable_application(acronis::FILES_CLOUD_APPLICATION_ID, &customer(1))
        .await
        .expect("bind");
    let bound = acronis
        .tenant_applications(&customer(1))
        .await
        .expect("bound");
    assert!(
        bound
            .iter()
            .any(|a| a == acronis::FILES_CLOUD_APPLICATION_ID)
    );
    assert!(bound.iter().any(|a| a == acronis::BACKUP_APPLICATION_ID));
}

/// Items are sent with their edition as read; an update naming another edition names
/// another item, which the tenant does not have.
#[tokio::test]
async fn updates_carry_the_edition_as_read() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    let items = acronis
        .offering_items(&customer(1), None)
        .await
        .expect("items");
    let item = items
        .iter()
        .find(|i| i.edition.is_some() && i.quota.is_some())
        .expect("an item with an edition and a quota");
    let update = hard_quota(item, 3);
    assert_eq!(update.edition, item.edition, "to_update keeps the edition");
    let body = serde_json::to_value(&update).expect("json");
    assert_eq!(body["edition"], serde_json::json!(item.edition));
    acronis
        .put_offering_items(&customer(1), std::slice::from_ref(&update))
        .await
        .expect("its own edition is accepted");
    let mut other = hard_quota(item, 4);
    other.edition = Some("another_edition".into());
    let refused = acronis
        .put_offering_items(&customer(1), &[other])
        .await
        .expect_err("another edition is another item");
    assert!(refused.to_string().contains("not available"), "{refused}");
}
