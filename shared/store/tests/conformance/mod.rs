//! One conformance suite for every `Store` adapter.
//!
//! Each case is an async fn over `Arc<dyn Store>`; `conformance_suite!(fixture)` turns
//! every case into one `#[tokio::test]` for the adapter the fixture opens. Both adapters
//! must give the same answers, so nothing here knows which one it talks to.

#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bridge_core::contracts::{Billing, CompanySnapshot, ContractSummary};
use bridge_core::mapping::{CustomerMapping, MappingOrigin};
use bridge_core::provisioning::{NewTenant, PendingProvisioning, PricingMode};
use bridge_core::records::{AlertTicket, AuditEntry, AuditQuery, UsageLedgerEntry};
use bridge_core::settings::Settings;
use bridge_store::store::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::Barrier;

pub type SharedStore = Arc<dyn Store>;

/// Generates one test per case; `$fixture` is an async fn returning `(guard, store)`.
macro_rules! conformance_suite {
    ($fixture:path) => {
        conformance_suite!(@cases $fixture;
            settings_create_update_and_stale_conflict,
            settings_race_has_one_winner,
            lease_race_has_one_winner,
            lease_of_crashed_holder_is_taken_after_ttl,
            lease_renew_and_release_only_by_holder,
            ledger_race_keeps_first_entry,
            mapping_both_directions_remap_conflict_delete,
            mapping_race_for_one_tenant_has_one_winner,
            mapping_list_pages_in_company_order,
            cursors_are_versioned,
            alert_tickets_create_and_versioned_update,
            contract_snapshots_are_versioned,
            pending_provisioning_create_once_update_list_delete,
            pending_provisioning_race_has_one_winner,
            audit_newest_first_with_filters,
            audit_pages_beyond_one_megabyte,
            audit_hides_expired_entries,
            page_tokens_are_validated,
        );
    };
    (@cases $fixture:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (_guard, store) = $fixture().await;
                conformance::$case(store).await;
            }
        )*
    };
}
pub(crate) use conformance_suite;

// --- fixtures and helpers -----------------------------------------------------------

/// A fixed instant, so tests never depend on the wall clock.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-10-01T08:00:00Z")
        .expect("valid timestamp")
        .with_timezone(&Utc)
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

fn mapping(company_id: i64, tenant_id: &str) -> CustomerMapping {
    CustomerMapping {
        company_id,
        tenant_id: tenant_id.to_owned(),
        origin: MappingOrigin::Manual,
        created_at: t0(),
        no_services_since: None,
    }
}

fn audit(id: &str, at: DateTime<Utc>, kind: &str) -> AuditEntry {
    AuditEntry {
        id: id.to_owned(),
        at,
        actor: "quota-push".to_owned(),
        kind: kind.to_owned(),
        subject: format!("company:{id}"),
        before: Some(serde_json::json!({ "quota": 1 })),
        after: Some(serde_json::json!({ "quota": 2 })),
        reason: None,
        expires_at: None,
    }
}

fn ticket(alert_key: &str, ticket_id: i64) -> AlertTicket {
    AlertTicket {
        alert_key: alert_key.to_owned(),
        ticket_id,
        ticket_number: Some(format!("T20261001.{ticket_id:04}")),
        company_id: Some(174),
        opened_at: t0(),
        last_seen_at: t0(),
        closed_at: None,
    }
}

fn conflict_version(err: &StoreError) -> Option<u64> {
    match err {
        StoreError::Conflict {
            current_version, ..
        } => *current_version,
        other => panic!("expected Conflict, got {other:?}"),
    }
}

/// Every page of an audit query, following tokens; panics on a loop.
async fn all_audit_pages(
    store: &SharedStore,
    mut query: AuditQuery,
    now: DateTime<Utc>,
) -> Vec<Vec<AuditEntry>> {
    let mut pages = Vec::new();
    loop {
        let page = store.list_audit(&query, now).await.expect("list_audit");
        pages.push(page.items);
        match page.next_page_token {
            Some(token) => query.page_token = Some(token),
            None => return pages,
        }
        assert!(pages.len() < 1000, "paging does not end");
    }
}

fn ids(entries: &[AuditEntry]) -> Vec<String> {
    entries.iter().map(|e| e.id.clone()).collect()
}

// --- settings -----------------------------------------------------------------------

pub async fn settings_create_update_and_stale_conflict(store: SharedStore) {
    assert!(store.get_settings().await.expect("get").is_none());
    let settings = Settings::default();

    let err = store
        .put_settings(&settings, Some(1))
        .await
        .expect_err("nothing at v1");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    assert_eq!(
        store.put_settings(&settings, None).await.expect("create"),
        1
    );
    let read = store.get_settings().await.expect("get").expect("present");
    assert_eq!((read.version, &read.value), (1, &settings));

    let err = store
        .put_settings(&settings, None)
        .await
        .expect_err("exists");
    assert_eq!(conflict_version(&err), Some(1));

    assert_eq!(
        store
            .put_settings(&settings, Some(1))
            .await
            .expect("update"),
        2
    );
    let err = store
        .put_settings(&settings, Some(1))
        .await
        .expect_err("stale");
    assert_eq!(conflict_version(&err), Some(2));
    let err = store
        .put_settings(&settings, Some(9))
        .await
        .expect_err("from the future");
    assert_eq!(conflict_version(&err), Some(2));
    assert_eq!(
        store
            .get_settings()
            .await
            .expect("get")
            .expect("present")
            .version,
        2
    );
}

pub async fn settings_race_has_one_winner(store: SharedStore) {
    // Round 0 races on creation, later rounds on the same expected version.
    for round in 0..5u64 {
        let expected = (round > 0).then_some(round);
        let barrier = Arc::new(Barrier::new(2));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.put_settings(&Settings::default(), expected).await
                })
            })
            .collect();
        let mut wins = 0;
        for writer in writers {
            match writer.await.expect("writer task") {
                Ok(version) => {
                    assert_eq!(version, round + 1);
                    wins += 1;
                }
                Err(err) => assert_eq!(conflict_version(&err), Some(round + 1), "round {round}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one writer wins");
    }
}

// --- leases -------------------------------------------------------------------------

pub async fn lease_race_has_one_winner(store: SharedStore) {
    let holders = 6;
    let barrier = Arc::new(Barrier::new(holders));
    let tasks: Vec<_> = (0..holders)
        .map(|i| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .acquire_lease(
                        "usage-reporting",
                        &format!("holder-{i}"),
                        Duration::from_secs(60),
                        t0(),
                    )
                    .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        if let Some(lease) = task.await.expect("task").expect("acquire") {
            winners.push(lease);
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one holder gets the lease: {winners:?}"
    );
    let winner = &winners[0];
    assert_eq!(winner.expires_at, t0() + secs(60));
    // The loser's view is the winner's: nobody else can take it while it is live.
    let late = store
        .acquire_lease(
            "usage-reporting",
            "latecomer",
            Duration::from_secs(60),
            t0() + secs(59),
        )
        .await
        .expect("acquire");
    assert!(late.is_none());
}

pub async fn lease_of_crashed_holder_is_taken_after_ttl(store: SharedStore) {
    let ttl = Duration::from_secs(30);
    let a = store
        .acquire_lease("contract-polling", "a", ttl, t0())
        .await
        .expect("acquire");
    assert_eq!(a.expect("free lease").holder, "a");
    // "a" crashes: it never renews nor releases.
    let early = store
        .acquire_lease("contract-polling", "b", ttl, t0() + secs(29))
        .await
        .expect("acquire");
    assert!(early.is_none(), "live lease must not be taken");
    let b = store
        .acquire_lease("contract-polling", "b", ttl, t0() + secs(30))
        .await
        .expect("acquire")
        .expect("expired lease is taken");
    assert_eq!(
        (b.holder.as_str(), b.acquired_at, b.expires_at),
        ("b", t0() + secs(30), t0() + secs(60))
    );
    // The crashed holder coming back has lost it.
    assert!(
        store
            .renew_lease("contract-polling", "a", ttl, t0() + secs(31))
            .await
            .expect("renew")
            .is_none()
    );
    assert!(
        !store
            .release_lease("contract-polling", "a")
            .await
            .expect("release")
    );
    // Other jobs' leases are independent.
    assert!(
        store
            .acquire_lease("alert-ingestion", "a", ttl, t0() + secs(31))
            .await
            .expect("acquire")
            .is_some()
    );
}

pub async fn lease_renew_and_release_only_by_holder(store: SharedStore) {
    let ttl = Duration::from_secs(30);
    let job = "quota-push";
    store
        .acquire_lease(job, "a", ttl, t0())
        .await
        .expect("acquire")
        .expect("free");

    assert!(
        store
            .renew_lease(job, "b", ttl, t0() + secs(10))
            .await
            .expect("renew")
            .is_none()
    );
    assert!(!store.release_lease(job, "b").await.expect("release"));

    let renewed = store
        .renew_lease(job, "a", ttl, t0() + secs(20))
        .await
        .expect("renew")
        .expect("ours");
    assert_eq!(
        (renewed.acquired_at, renewed.expires_at),
        (t0(), t0() + secs(50))
    );
    // The renewal holds past the original expiry.
    assert!(
        store
            .acquire_lease(job, "b", ttl, t0() + secs(40))
            .await
            .expect("acquire")
            .is_none()
    );
    // Re-acquiring one's own live lease is allowed (a retried invocation).
    let again = store
        .acquire_lease(job, "a", ttl, t0() + secs(41))
        .await
        .expect("acquire")
        .expect("ours");
    assert_eq!(again.expires_at, t0() + secs(71));

    assert!(store.release_lease(job, "a").await.expect("release"));
    assert!(!store.release_lease(job, "a").await.expect("release twice"));
    assert!(
        store
            .renew_lease(job, "a", ttl, t0() + secs(42))
            .await
            .expect("renew")
            .is_none()
    );
    let b = store
        .acquire_lease(job, "b", ttl, t0() + secs(42))
        .await
        .expect("acquire");
    assert_eq!(b.expect("released lease is free").holder, "b");
}

// --- usage ledger -------------------------------------------------------------------

pub async fn ledger_race_keeps_first_entry(store: SharedStore) {
    let writers = 5;
    let barrier = Arc::new(Barrier::new(writers));
    let tasks: Vec<_> = (0..writers)
        .map(|i| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            let entry = UsageLedgerEntry {
                contract_service_id: 9001,
                period: "2026-10".to_owned(),
                company_id: 174,
                units: 10 + i as i64,
                unit_change: i as i64,
                recorded_at: t0(),
            };
            tokio::spawn(async move {
                barrier.wait().await;
                store.record_usage(&entry).await.map(|()| entry)
            })
        })
        .collect();
    let mut winner = None;
    for task in tasks {
        match task.await.expect("task") {
            Ok(entry) => {
                assert!(winner.is_none(), "two writers won");
                winner = Some(entry);
            }
            Err(err) => assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}"),
        }
    }
    let winner = winner.expect("one writer wins");
    let stored = store
        .get_usage(9001, "2026-10")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(stored, winner, "the first write stays");

    // Another period or contract service is a different entry.
    assert!(
        store
            .get_usage(9001, "2026-09")
            .await
            .expect("get")
            .is_none()
    );
    let next = UsageLedgerEntry {
        period: "2026-11".to_owned(),
        ..winner.clone()
    };
    store.record_usage(&next).await.expect("next period");
    let err = store.record_usage(&next).await.expect_err("rerun");
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");
    assert_eq!(
        store.get_usage(9001, "2026-10").await.expect("get"),
        Some(winner)
    );
}

// --- mappings -----------------------------------------------------------------------

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

    assert_eq!(store.delete_mapping(1).await.expect("delete"), remapped);
    assert_eq!(store.get_mapping_by_company(1).await.expect("get"), None);
    assert_eq!(store.get_mapping_by_tenant(t2).await.expect("get"), None);
    let err = store.delete_mapping(1).await.expect_err("already gone");
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

// --- cursors, alert tickets, snapshots ----------------------------------------------

pub async fn cursors_are_versioned(store: SharedStore) {
    let name = "contracts.modified-since";
    assert!(store.get_cursor(name).await.expect("get").is_none());
    let err = store
        .put_cursor(name, "x", Some(1))
        .await
        .expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    assert_eq!(
        store
            .put_cursor(name, "2026-10-01T08:00:00Z", None)
            .await
            .expect("create"),
        1
    );
    assert_eq!(
        store
            .put_cursor(name, "2026-10-01T08:01:00Z", Some(1))
            .await
            .expect("advance"),
        2
    );
    let err = store
        .put_cursor(name, "2026-10-01T07:00:00Z", Some(1))
        .await
        .expect_err("stale");
    assert_eq!(conflict_version(&err), Some(2));

    let cursor = store.get_cursor(name).await.expect("get").expect("present");
    assert_eq!(
        (cursor.value.as_str(), cursor.version),
        ("2026-10-01T08:01:00Z", 2)
    );
    assert!(
        store
            .get_cursor("alerts.updated-since")
            .await
            .expect("get")
            .is_none()
    );
    let err = store.get_cursor("").await.expect_err("blank name");
    assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
}

pub async fn alert_tickets_create_and_versioned_update(store: SharedStore) {
    let key = AlertTicket::key("tenant-1", "alert-9");
    assert!(store.get_alert_ticket(&key).await.expect("get").is_none());
    assert_eq!(
        store
            .put_alert_ticket(&ticket(&key, 42), None)
            .await
            .expect("create"),
        1
    );

    // A second ingestion run racing to create the same alert's ticket loses.
    let err = store
        .put_alert_ticket(&ticket(&key, 43), None)
        .await
        .expect_err("duplicate");
    assert_eq!(conflict_version(&err), Some(1));

    let mut closed = ticket(&key, 42);
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
        .put_alert_ticket(&ticket(&key, 42), Some(1))
        .await
        .expect_err("stale");
    assert_eq!(conflict_version(&err), Some(2));

    let stored = store
        .get_alert_ticket(&key)
        .await
        .expect("get")
        .expect("present");
    assert_eq!((stored.value, stored.version), (closed, 2));
    let other = AlertTicket::key("tenant-2", "alert-9");
    let err = store
        .put_alert_ticket(&ticket(&other, 1), Some(1))
        .await
        .expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

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

// --- audit --------------------------------------------------------------------------

fn pending(company_id: i64) -> PendingProvisioning {
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

pub async fn audit_newest_first_with_filters(store: SharedStore) {
    // Ten entries a minute apart, alternating kinds; ids deliberately not in time order.
    let kinds = ["quota.changed", "mapping.created"];
    for i in 0..10i64 {
        let entry = audit(
            &format!("e{}", 9 - i),
            t0() + secs(60 * i),
            kinds[(i % 2) as usize],
        );
        store.append_audit(&entry).await.expect("append");
    }
    // Same instant, two entries: ordered by id, both kept.
    store
        .append_audit(&audit("z-same", t0() + secs(60 * 9), "quota.changed"))
        .await
        .expect("append");
    let err = store
        .append_audit(&audit("e0", t0() + secs(60 * 9), "quota.changed"))
        .await
        .expect_err("dup");
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");

    let now = t0() + secs(86_400);
    let all = store
        .list_audit(&AuditQuery::default(), now)
        .await
        .expect("list");
    assert_eq!(all.next_page_token, None);
    assert_eq!(
        ids(&all.items),
        [
            "z-same", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"
        ]
    );
    assert_eq!(
        all.items[1],
        audit("e0", t0() + secs(540), "mapping.created"),
        "round trip"
    );

    let quota = AuditQuery {
        kind: Some("quota.changed".to_owned()),
        ..AuditQuery::default()
    };
    let quota = store.list_audit(&quota, now).await.expect("list");
    assert_eq!(ids(&quota.items), ["z-same", "e1", "e3", "e5", "e7", "e9"]);

    // since is inclusive, until exclusive.
    let window = AuditQuery {
        since: Some(t0() + secs(120)),
        until: Some(t0() + secs(360)),
        ..AuditQuery::default()
    };
    let window = store.list_audit(&window, now).await.expect("list");
    assert_eq!(ids(&window.items), ["e4", "e5", "e6", "e7"]);

    let both = AuditQuery {
        since: Some(t0() + secs(120)),
        kind: Some("mapping.created".to_owned()),
        ..AuditQuery::default()
    };
    let both = store.list_audit(&both, now).await.expect("list");
    assert_eq!(ids(&both.items), ["e0", "e2", "e4", "e6"]);

    let only_until = AuditQuery {
        until: Some(t0() + secs(60)),
        ..AuditQuery::default()
    };
    assert_eq!(
        ids(&store
            .list_audit(&only_until, now)
            .await
            .expect("list")
            .items),
        ["e9"]
    );

    // Small pages continue exactly where the previous one stopped.
    let paged = AuditQuery {
        limit: Some(3),
        kind: Some("quota.changed".to_owned()),
        ..AuditQuery::default()
    };
    let pages = all_audit_pages(&store, paged, now).await;
    let flat: Vec<String> = pages.iter().flat_map(|p| ids(p)).collect();
    assert_eq!(flat, ["z-same", "e1", "e3", "e5", "e7", "e9"]);
    assert!(pages.iter().all(|p| p.len() <= 3));
}

pub async fn audit_pages_beyond_one_megabyte(store: SharedStore) {
    // ~300 entries of ~4 KB: well past DynamoDB's 1 MB page.
    let count = 300usize;
    let blob = "x".repeat(4096);
    let writes: Vec<_> = (0..count)
        .map(|i| {
            let mut entry = audit(
                &format!("big-{i:03}"),
                t0() + secs(i as i64),
                "usage.reported",
            );
            entry.after = Some(serde_json::json!({ "i": i, "blob": blob }));
            entry
        })
        .collect();
    for chunk in writes.chunks(25) {
        let tasks: Vec<_> = chunk
            .iter()
            .cloned()
            .map(|entry| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.append_audit(&entry).await })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").expect("append");
        }
    }
    let now = t0() + secs(86_400);
    let newest_first: Vec<String> = (0..count).rev().map(|i| format!("big-{i:03}")).collect();

    // One call whose page is larger than 1 MB: the adapter must follow the backend's
    // continuation itself.
    let one = AuditQuery {
        limit: Some(1000),
        ..AuditQuery::default()
    };
    let page = store.list_audit(&one, now).await.expect("list");
    assert_eq!(ids(&page.items), newest_first);
    assert_eq!(
        page.items[0].after.as_ref().expect("after")["blob"]
            .as_str()
            .map(str::len),
        Some(4096)
    );

    // Many pages, by kind (the index) and without: all entries, none twice.
    for kind in [None, Some("usage.reported".to_owned())] {
        let query = AuditQuery {
            limit: Some(70),
            kind: kind.clone(),
            ..AuditQuery::default()
        };
        let pages = all_audit_pages(&store, query, now).await;
        let flat: Vec<String> = pages.iter().flat_map(|p| ids(p)).collect();
        let unique: HashSet<&String> = flat.iter().collect();
        assert_eq!(unique.len(), flat.len(), "no entry twice ({kind:?})");
        assert_eq!(flat, newest_first, "all entries in order ({kind:?})");
        assert!(pages.len() >= 5, "{} pages ({kind:?})", pages.len());
    }
}

pub async fn audit_hides_expired_entries(store: SharedStore) {
    let now = t0() + secs(1000);
    let mut expired = audit("expired", t0(), "quota.changed");
    expired.expires_at = Some(now - secs(1));
    let mut at_now = audit("expires-now", t0() + secs(1), "quota.changed");
    at_now.expires_at = Some(now);
    let mut live = audit("live", t0() + secs(2), "quota.changed");
    live.expires_at = Some(now + TimeDelta::milliseconds(1));
    let forever = audit("forever", t0() + secs(3), "mapping.created");
    for entry in [&expired, &at_now, &live, &forever] {
        store.append_audit(entry).await.expect("append");
    }

    let listed = store
        .list_audit(&AuditQuery::default(), now)
        .await
        .expect("list");
    assert_eq!(
        ids(&listed.items),
        ["forever", "live"],
        "expires_at <= now is gone"
    );
    let by_kind = AuditQuery {
        kind: Some("quota.changed".to_owned()),
        ..AuditQuery::default()
    };
    assert_eq!(
        ids(&store.list_audit(&by_kind, now).await.expect("list").items),
        ["live"]
    );

    // Expired entries do not use up a page either.
    let one = AuditQuery {
        limit: Some(1),
        ..AuditQuery::default()
    };
    let pages = all_audit_pages(&store, one, now).await;
    let flat: Vec<String> = pages.iter().flat_map(|p| ids(p)).collect();
    assert_eq!(flat, ["forever", "live"]);

    let later = now + secs(1);
    assert_eq!(
        ids(&store
            .list_audit(&AuditQuery::default(), later)
            .await
            .expect("list")
            .items),
        ["forever"]
    );
}

pub async fn page_tokens_are_validated(store: SharedStore) {
    for i in 0..3 {
        store
            .append_audit(&audit(&format!("a{i}"), t0() + secs(i), "quota.changed"))
            .await
            .expect("append");
        store
            .put_mapping(&mapping(i, &format!("tenant-{i}")))
            .await
            .expect("put");
    }
    let now = t0() + secs(100);
    let first = AuditQuery {
        limit: Some(1),
        ..AuditQuery::default()
    };
    let audit_token = store
        .list_audit(&first, now)
        .await
        .expect("list")
        .next_page_token
        .expect("more");
    let mapping_token = store
        .list_mappings(1, None)
        .await
        .expect("list")
        .next_page_token
        .expect("more");

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
            .list_mappings(1, Some(&audit_token))
            .await
            .expect_err("audit token"),
    );
    invalid(
        store
            .list_mappings(1, Some("not a token!"))
            .await
            .expect_err("garbage"),
    );
    let mut foreign = AuditQuery {
        page_token: Some(mapping_token),
        ..AuditQuery::default()
    };
    invalid(
        store
            .list_audit(&foreign, now)
            .await
            .expect_err("mapping token"),
    );
    // A token of the unfiltered listing does not continue a kind-filtered one.
    foreign.page_token = Some(audit_token.clone());
    foreign.kind = Some("quota.changed".to_owned());
    invalid(
        store
            .list_audit(&foreign, now)
            .await
            .expect_err("other listing"),
    );

    let next = AuditQuery {
        limit: Some(1),
        page_token: Some(audit_token),
        ..AuditQuery::default()
    };
    assert_eq!(
        ids(&store.list_audit(&next, now).await.expect("list").items),
        ["a1"]
    );
}
