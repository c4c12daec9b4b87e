//! Customer mappings, both directions.

use super::*;

pub async fn mapping_both_directions_remap_conflict_delete(store: SharedStore) {
    let t1 = "11111111-1111-4111-8111-111111111111";
    let t2 = "22222222-2222-4222-8222-222222222222";
    let t3 = "33333333-3333-4333-8333-333333333333";

    assert_eq!(
        store.put_mapping(&mapping(1, t1)).await.expect("create"),
        None
    );
    assert_eq!(
        store.get_mapping_by_company(1).await.expect("get"),
        Some(mapping(1, t1))
    );
    assert_eq!(
        store.get_mapping_by_tenant(t1).await.expect("get"),
        Some(mapping(1, t1))
    );
    // Writing the same mapping again is harmless.
    assert_eq!(
        store.put_mapping(&mapping(1, t1)).await.expect("rewrite"),
        Some(mapping(1, t1))
    );

    // Remap company 1 to t2: t1 is freed in the same step.
    let mut remapped = mapping(1, t2);
    remapped.no_services_since = Some(t0() + secs(5));
    assert_eq!(
        store.put_mapping(&remapped).await.expect("remap"),
        Some(mapping(1, t1))
    );
    assert_eq!(store.get_mapping_by_tenant(t1).await.expect("get"), None);
    assert_eq!(
        store.get_mapping_by_tenant(t2).await.expect("get"),
        Some(remapped.clone())
    );
    assert_eq!(
        store.get_mapping_by_company(1).await.expect("get"),
        Some(remapped.clone())
    );

    // t2 belongs to company 1: company 2 cannot take it, and nothing is half-written.
    let err = store
        .put_mapping(&mapping(2, t2))
        .await
        .expect_err("tenant taken");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert!(err.to_string().contains(t2), "{err}");
    assert_eq!(store.get_mapping_by_company(2).await.expect("get"), None);
    assert_eq!(
        store.get_mapping_by_tenant(t2).await.expect("get"),
        Some(remapped.clone())
    );
    // Also when company 2 already has a mapping of its own: it keeps it.
    store.put_mapping(&mapping(2, t3)).await.expect("create");
    let err = store
        .put_mapping(&mapping(2, t2))
        .await
        .expect_err("tenant taken");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(
        store.get_mapping_by_company(2).await.expect("get"),
        Some(mapping(2, t3))
    );
    assert_eq!(
        store.get_mapping_by_tenant(t3).await.expect("get"),
        Some(mapping(2, t3))
    );
    assert_eq!(
        store.get_mapping_by_company(1).await.expect("get"),
        Some(remapped.clone())
    );

    // The freed tenant can be mapped by another company.
    store
        .put_mapping(&mapping(3, t1))
        .await
        .expect("t1 is free again");

    assert_eq!(
        store
            .delete_mapping(1, &ExpectedMapping::Any)
            .await
            .expect("delete"),
        remapped
    );
    assert_eq!(store.get_mapping_by_company(1).await.expect("get"), None);
    assert_eq!(store.get_mapping_by_tenant(t2).await.expect("get"), None);
    let err = store
        .delete_mapping(1, &ExpectedMapping::Any)
        .await
        .expect_err("already gone");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    store
        .put_mapping(&mapping(4, t2))
        .await
        .expect("t2 is free again");

    let err = store
        .put_mapping(&mapping(-1, t3))
        .await
        .expect_err("negative id");
    assert!(
        matches!(
            err,
            StoreError::Invalid {
                field: "company_id",
                ..
            }
        ),
        "{err:?}"
    );
    let err = store
        .put_mapping(&mapping(5, " "))
        .await
        .expect_err("blank tenant");
    assert!(
        matches!(
            err,
            StoreError::Invalid {
                field: "tenant_id",
                ..
            }
        ),
        "{err:?}"
    );
}

pub async fn mapping_race_for_one_tenant_has_one_winner(store: SharedStore) {
    let tenant = "44444444-4444-4444-8444-444444444444";
    let companies = [10, 11, 12, 13];
    let barrier = Arc::new(Barrier::new(companies.len()));
    let tasks: Vec<_> = companies
        .iter()
        .map(|&company| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .put_mapping(&mapping(company, tenant))
                    .await
                    .map(|_| company)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(company) => winners.push(company),
            Err(err) => assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one company maps the tenant: {winners:?}"
    );
    let winner = winners[0];
    assert_eq!(
        store.get_mapping_by_tenant(tenant).await.expect("get"),
        Some(mapping(winner, tenant))
    );
    for company in companies.into_iter().filter(|c| *c != winner) {
        assert_eq!(
            store.get_mapping_by_company(company).await.expect("get"),
            None,
            "company {company}"
        );
    }
}

pub async fn mapping_identical_concurrent_maps_write_once(store: SharedStore) {
    let tenant = "55555555-5555-4555-8555-555555555555";
    let barrier = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            tokio::spawn(async move {
                let mut m = mapping(20, tenant);
                m.created_at = t0() + secs(i64::from(i));
                barrier.wait().await;
                store.map_company(&m, &ExpectedMapping::Any).await
            })
        })
        .collect();
    let mut written = Vec::new();
    for task in tasks {
        match task.await.expect("task").expect("map") {
            MapOutcome::Written(previous) => written.push(previous),
            MapOutcome::Unchanged(current) => assert_eq!(current.tenant_id, tenant),
        }
    }
    assert_eq!(written, vec![None], "exactly one write, a creation");
    let stored = store
        .get_mapping_by_company(20)
        .await
        .expect("get")
        .expect("mapped");
    // Mapping the same tenant again leaves the stored record as it is.
    let mut again = mapping(20, tenant);
    again.created_at = t0() + secs(999);
    assert_eq!(
        store
            .map_company(&again, &ExpectedMapping::Any)
            .await
            .expect("again"),
        MapOutcome::Unchanged(stored.clone())
    );
    assert_eq!(
        store.get_mapping_by_company(20).await.expect("get"),
        Some(stored.clone())
    );
    // Another tenant is a remap, written as with put_mapping.
    let other = mapping(20, "66666666-6666-4666-8666-666666666666");
    assert_eq!(
        store
            .map_company(&other, &ExpectedMapping::Any)
            .await
            .expect("remap"),
        MapOutcome::Written(Some(stored))
    );
    assert_eq!(
        store.get_mapping_by_tenant(tenant).await.expect("get"),
        None
    );
}

pub async fn mapping_list_pages_in_company_order(store: SharedStore) {
    // Inserted out of order, with ids of different widths.
    let mut companies: Vec<i64> = (0..25).map(|i| (i * 7919) % 1000 + i).collect();
    for &company in &companies {
        store
            .put_mapping(&mapping(company, &format!("tenant-{company}")))
            .await
            .expect("put");
    }
    companies.sort_unstable();

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store
            .list_mappings(10, token.as_deref())
            .await
            .expect("list");
        assert!(page.items.len() <= 10);
        seen.extend(page.items.iter().map(|m| m.company_id));
        pages += 1;
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, companies, "every mapping once, in company order");
    assert!((3..=4).contains(&pages), "{pages} pages for 25 items by 10");

    let one = store.list_mappings(1000, None).await.expect("list");
    assert_eq!(one.items.len(), 25);
    assert_eq!(one.next_page_token, None);
    let err = store.list_mappings(0, None).await.expect_err("zero limit");
    assert!(
        matches!(err, StoreError::Invalid { field: "limit", .. }),
        "{err:?}"
    );
}

pub async fn mapping_keeps_a_deprovisioning_hold(store: SharedStore) {
    use bridge_core::provisioning::{Action, DeprovisioningHold};
    let t1 = "44444444-4444-4444-8444-444444444444";
    let mut held = mapping(4, t1);
    held.held = Some(DeprovisioningHold {
        held_at: t0(),
        actions: vec![
            Action::ZeroQuotas {
                tenant_id: t1.into(),
            },
            Action::StartDeprovisioningClock {
                tenant_id: t1.into(),
                since: t0(),
            },
        ],
        released_at: None,
        released_by: None,
    });
    store.put_mapping(&held).await.expect("hold");
    assert_eq!(
        store.get_mapping_by_company(4).await.expect("get"),
        Some(held.clone())
    );
    assert_eq!(
        store.get_mapping_by_tenant(t1).await.expect("get"),
        Some(held.clone())
    );
    let mut released = held.clone();
    if let Some(h) = released.held.as_mut() {
        h.released_at = Some(t0() + secs(60));
        h.released_by = Some("operator".into());
    }
    store.put_mapping(&released).await.expect("release");
    let listed = store.list_mappings(10, None).await.expect("list");
    assert_eq!(listed.items, vec![released.clone()]);
    // Clearing the hold stores a record without it again.
    let cleared = mapping(4, t1);
    store.put_mapping(&cleared).await.expect("clear");
    assert_eq!(
        store.get_mapping_by_company(4).await.expect("get"),
        Some(cleared)
    );
}

/// A change made on what the caller read: refused, and nothing written, once the
/// mapping is no longer that; of concurrent remaps on one read, exactly one is written.
pub async fn mapping_changes_only_as_read(store: SharedStore) {
    let a = "a0000000-0000-4000-8000-000000000001";
    let b = "b0000000-0000-4000-8000-000000000002";
    let unmapped = ExpectedMapping::Unmapped;
    let to = |t: &str| ExpectedMapping::MappedTo(t.to_owned());
    let not_as_read = |r: StoreResult<MapOutcome>| match r {
        Err(StoreError::NotAsRead { what }) => what,
        other => panic!("expected NotAsRead, got {other:?}"),
    };

    let what = not_as_read(store.map_company(&mapping(30, a), &to(b)).await);
    assert!(what.contains("not mapped"), "{what}");
    assert_eq!(
        store
            .map_company(&mapping(30, a), &unmapped)
            .await
            .expect("map"),
        MapOutcome::Written(None)
    );
    let what = not_as_read(store.map_company(&mapping(30, b), &unmapped).await);
    assert!(what.contains(a), "names what is there now: {what}");
    let what = not_as_read(store.map_company(&mapping(30, b), &to(b)).await);
    assert!(what.contains(a), "{what}");
    assert_eq!(
        store.get_mapping_by_company(30).await.expect("get"),
        Some(mapping(30, a)),
        "nothing written"
    );
    assert_eq!(store.get_mapping_by_tenant(b).await.expect("get"), None);

    let err = store
        .delete_mapping(30, &to(b))
        .await
        .expect_err("not mapped to b");
    assert!(matches!(err, StoreError::NotAsRead { .. }), "{err:?}");
    assert!(
        store
            .get_mapping_by_company(30)
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(
        store.delete_mapping(30, &to(a)).await.expect("delete"),
        mapping(30, a)
    );

    // Eight operators read "mapped to a" and remap to eight tenants at once.
    store
        .map_company(&mapping(31, a), &unmapped)
        .await
        .expect("map");
    let barrier = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            let tenant = format!("c0000000-0000-4000-8000-00000000000{i}");
            tokio::spawn(async move {
                barrier.wait().await;
                let read = ExpectedMapping::MappedTo(a.to_owned());
                (
                    tenant.clone(),
                    store.map_company(&mapping(31, &tenant), &read).await,
                )
            })
        })
        .collect();
    let mut written = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            (tenant, Ok(MapOutcome::Written(previous))) => {
                assert_eq!(previous, Some(mapping(31, a)));
                written.push(tenant);
            }
            (_, Err(StoreError::NotAsRead { .. })) => {}
            (_, other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        written.len(),
        1,
        "exactly one remap on that read: {written:?}"
    );
    let stored = store
        .get_mapping_by_company(31)
        .await
        .expect("get")
        .expect("mapped");
    assert_eq!(stored.tenant_id, written[0]);
    assert_eq!(store.get_mapping_by_tenant(a).await.expect("get"), None);
}
