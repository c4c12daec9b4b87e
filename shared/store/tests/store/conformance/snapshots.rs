//! Contract snapshots and pending provisionings.

use super::*;

pub async fn contract_snapshots_are_versioned(store: SharedStore) {
    let mut snapshot = CompanySnapshot {
        company_id: 174,
        contracts: vec![ContractSummary {
            contract_id: 29_684_214,
            billing: Billing::Prepaid,
        }],
        items: Vec::new(),
        invalid_contracts: Vec::new(),
        notes: vec!["first sweep".to_owned()],
        reporting_lines: Vec::new(),
    };
    assert!(
        store
            .get_contract_snapshot(174)
            .await
            .expect("get")
            .is_none()
    );
    assert_eq!(
        store
            .put_contract_snapshot(&snapshot, None)
            .await
            .expect("create"),
        1
    );
    snapshot.contracts[0].billing = Billing::Payg;
    snapshot.notes.push("billing changed".to_owned());
    assert_eq!(
        store
            .put_contract_snapshot(&snapshot, Some(1))
            .await
            .expect("update"),
        2
    );
    let err = store
        .put_contract_snapshot(&snapshot, Some(1))
        .await
        .expect_err("stale");
    assert_eq!(conflict_version(&err), Some(2));
    let stored = store
        .get_contract_snapshot(174)
        .await
        .expect("get")
        .expect("present");
    assert_eq!((stored.value, stored.version), (snapshot, 2));
    assert!(
        store
            .get_contract_snapshot(175)
            .await
            .expect("get")
            .is_none()
    );
}

pub(super) fn pending(company_id: i64) -> PendingProvisioning {
    PendingProvisioning {
        tenant: NewTenant {
            company_id,
            name: format!("Company {company_id}"),
            admin_login: format!("company.{company_id}"),
            activation_email: "admin@msp.example".to_owned(),
            mfa: true,
            pricing: PricingMode::Trial,
            default_storage_needed: false,
            customer_id: company_id.to_string(),
        },
        started_at: t0(),
        tenant_id: None,
    }
}

pub async fn pending_provisioning_create_once_update_list_delete(store: SharedStore) {
    assert!(
        store
            .list_pending_provisioning()
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .get_pending_provisioning(175)
            .await
            .expect("get")
            .is_none()
    );
    let mut record = pending(175);
    assert_eq!(
        store
            .put_pending_provisioning(&record, None)
            .await
            .expect("create"),
        1
    );
    let again = store
        .put_pending_provisioning(&record, None)
        .await
        .expect_err("a second start of the same company");
    assert!(
        matches!(
            again,
            StoreError::Conflict {
                current_version: Some(1),
                ..
            }
        ),
        "{again:?}"
    );
    record.tenant_id = Some("c1000000-0000-4000-8000-000000000175".to_owned());
    assert_eq!(
        store
            .put_pending_provisioning(&record, Some(1))
            .await
            .expect("tenant id recorded"),
        2
    );
    let stale = store
        .put_pending_provisioning(&record, Some(1))
        .await
        .expect_err("stale");
    assert!(matches!(stale, StoreError::Conflict { .. }), "{stale:?}");
    store
        .put_pending_provisioning(&pending(9), None)
        .await
        .expect("second company");
    let read = store
        .get_pending_provisioning(175)
        .await
        .expect("get")
        .expect("present");
    assert_eq!((read.value.clone(), read.version), (record.clone(), 2));
    let listed = store.list_pending_provisioning().await.expect("list");
    let companies: Vec<i64> = listed.iter().map(|p| p.value.tenant.company_id).collect();
    assert_eq!(companies, vec![9, 175], "ordered by company id");
    assert_eq!(listed[1], read);

    store
        .delete_pending_provisioning(175)
        .await
        .expect("delete");
    assert!(
        store
            .get_pending_provisioning(175)
            .await
            .expect("get")
            .is_none()
    );
    let gone = store
        .delete_pending_provisioning(175)
        .await
        .expect_err("already gone");
    assert!(matches!(gone, StoreError::NotFound { .. }), "{gone:?}");
    let bad = store
        .get_pending_provisioning(-1)
        .await
        .expect_err("negative id");
    assert!(matches!(bad, StoreError::Invalid { .. }), "{bad:?}");
    assert_eq!(
        store.list_pending_provisioning().await.expect("list").len(),
        1
    );
}

pub async fn pending_provisioning_race_has_one_winner(store: SharedStore) {
    let barrier = Arc::new(Barrier::new(4));
    let mut runs = Vec::new();
    for _ in 0..4 {
        let (store, barrier) = (store.clone(), barrier.clone());
        runs.push(tokio::spawn(async move {
            barrier.wait().await;
            store.put_pending_provisioning(&pending(42), None).await
        }));
    }
    let mut won = 0;
    for run in runs {
        match run.await.expect("join") {
            Ok(1) => won += 1,
            Err(StoreError::Conflict { .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one run starts the provisioning");
}
