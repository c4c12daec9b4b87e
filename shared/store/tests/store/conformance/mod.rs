//! One conformance suite for every `Store` adapter.
//!
//! Each case is an async fn over `Arc<dyn Store>`; `conformance_suite!(fixture)` turns
//! every case into one `#[tokio::test]` for the adapter the fixture opens. Both adapters
//! must give the same answers, so nothing here knows which one it talks to. The cases
//! live in one file per record family, as the store's traits do.

#![allow(dead_code)]

mod alert_tickets;
mod audit;
mod job_runs;
mod leases;
mod ledger;
mod mappings;
mod quota_syncs;
mod reset;
mod settings;
mod snapshots;
mod usage_history;

pub use alert_tickets::*;
pub use audit::*;
pub use job_runs::*;
pub use leases::*;
pub use ledger::*;
pub use mappings::*;
pub use quota_syncs::*;
pub use reset::*;
pub use settings::*;
pub use snapshots::*;
pub use usage_history::*;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bridge_core::contracts::{Billing, CompanySnapshot, ContractSummary};
use bridge_core::mapping::{CustomerMapping, MappingOrigin};
use bridge_core::provisioning::{NewTenant, PendingProvisioning, PricingMode};
use bridge_core::records::{
    AlertTicket, AlertTicketState, AuditEntry, AuditQuery, UsageLedgerEntry,
};
use bridge_core::settings::Settings;
use bridge_store::store::{ExpectedMapping, MapOutcome, Store, StoreError, StoreResult};
use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::Barrier;

pub type SharedStore = Arc<dyn Store>;

/// Generates one test per case; `$fixture` is an async fn returning `(guard, store)`.
macro_rules! conformance_suite {
    ($fixture:path) => {
        conformance_suite!(@cases $fixture;
            settings_create_update_and_stale_conflict,
            settings_race_has_one_winner,
            pause_switch_is_versioned_and_apart_from_the_settings,
            database_identity_is_versioned,
            lease_race_has_one_winner,
            lease_of_crashed_holder_is_taken_after_ttl,
            lease_renew_and_release_only_by_holder,
            ledger_entries_are_versioned,
            ledger_entry_and_its_audit_entry_are_written_together,
            ledger_race_has_one_winner,
            ledger_batch_read_of_one_period,
            ledger_invalid_entries_write_nothing,
            mapping_both_directions_remap_conflict_delete,
            mapping_race_for_one_tenant_has_one_winner,
            mapping_identical_concurrent_maps_write_once,
            mapping_changes_only_as_read,
            mapping_list_pages_in_company_order,
            mapping_keeps_a_deprovisioning_hold,
            cursors_are_versioned,
            alert_tickets_create_and_versioned_update,
            alert_tickets_intent_then_ticket_race_has_one_winner,
            alert_tickets_list_by_company_then_key,
            alert_ticket_page_tokens_continue_only_their_listing,
            alert_ticket_invalid_records_write_nothing,
            skipped_alerts_upsert_and_list_newest_first,
            skipped_alerts_are_listed_for_the_retention_only,
            skipped_alert_invalid_records_write_nothing,
            contract_snapshots_are_versioned,
            pending_provisioning_create_once_update_list_delete,
            pending_provisioning_race_has_one_winner,
            audit_newest_first_with_filters,
            audit_pages_beyond_one_megabyte,
            audit_hides_expired_entries,
            page_tokens_are_validated,
            job_status_round_trip_and_overwrite,
            job_statuses_list_in_name_order,
            job_status_refuses_invalid_names,
            job_status_over_the_size_limit_is_refused,
            quota_sync_round_trip_and_idempotent_delete,
            quota_sync_puts_are_conditional,
            quota_sync_race_has_one_winner,
            quota_syncs_batch_read_leaves_out_missing_ids,
            quota_syncs_batch_read_of_100_ids,
            quota_syncs_batch_read_refuses_over_100_ids,
            quota_sync_invalid_records_write_nothing,
            quota_sync_over_the_size_limit_is_refused,
            usage_days_replace_the_same_day,
            usage_days_latest_within_the_range,
            usage_days_read_refuses_bad_arguments,
            usage_days_of_60_tenants_across_batch_write_chunks,
            usage_day_invalid_records_write_nothing,
            usage_reports_round_trip_batch_and_replace,
            usage_report_invalid_records_write_nothing,
            forgetting_the_database_keeps_what_is_not_its,
        );
    };
    (@cases $fixture:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (_guard, store) = $fixture().await;
                crate::conformance::$case(store).await;
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
        held: None,
        deletion: None,
        company_id,
        tenant_id: tenant_id.to_owned(),
        origin: MappingOrigin::Manual,
        created_at: t0(),
        no_services_since: None,
        tenant_kind: bridge_core::mapping::MappedTenantKind::Customer,
    }
}

/// An audit entry for a usage report, new at each call (the store refuses the same id
/// and instant twice).
pub fn usage_audit() -> AuditEntry {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    audit(&format!("usage-{n}"), t0(), "usage.reported")
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

/// An open ticket record for `tenant`'s alert `alert`.
fn ticket(tenant: &str, alert: &str, ticket_id: i64) -> AlertTicket {
    AlertTicket {
        alert_key: AlertTicket::key(tenant, alert),
        state: AlertTicketState::Open,
        ticket_id: Some(ticket_id),
        ticket_number: Some(format!("T20261001.{ticket_id:04}")),
        company_id: Some(174),
        tenant_id: tenant.to_owned(),
        alert_id: alert.to_owned(),
        alert_type: "BackupFailed".to_owned(),
        opened_at: t0(),
        last_seen_at: t0(),
        closed_at: None,
        last_action: Some("created".to_owned()),
        last_updated_at: Some(t0()),
        previous_ticket_ids: Vec::new(),
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

// --- across families ----------------------------------------------------------------

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
