//! Plain records the store persists for the jobs: versions, ledgers, leases, audit, job
//! runs, quota sync.
//!
//! Pure data with serde, so jobs and planners can use them without depending on the
//! store crate. The store decides how they are keyed; these types only say what they are.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A value with the version the store holds it at.
///
/// Versions start at 1 and grow by one per successful write; pass the version you read as
/// `expected_version` to write back, so a concurrent writer is detected instead of lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// One page of a listing; `next_page_token` is opaque and `None` on the last page.
///
/// A page may come back short (even empty) while a token is still given: keep asking
/// until the token is `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

/// What was reported for one PAYG contract service and one billing period.
///
/// Written once: the ledger is what makes a rerun of usage reporting change nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageLedgerEntry {
    /// Autotask `ContractServices.id`.
    pub contract_service_id: i64,
    /// The reported period, e.g. `2026-10` (the month the usage belongs to).
    pub period: String,
    /// Autotask `Companies.id`, for audit and display.
    pub company_id: i64,
    /// The unit count the contract service was brought to.
    pub units: i64,
    /// The `unitChange` of the adjustment written (0 when the count already matched).
    pub unit_change: i64,
    pub recorded_at: DateTime<Utc>,
}

/// The Autotask ticket opened for one Acronis alert (the alert → ticket table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertTicket {
    /// Dedup key: see [`AlertTicket::key`].
    pub alert_key: String,
    /// Autotask `Tickets.id`.
    pub ticket_id: i64,
    /// Autotask `Tickets.ticketNumber` (e.g. `T20261001.0042`), for display.
    #[serde(default)]
    pub ticket_number: Option<String>,
    /// Autotask company the ticket was opened for, when the tenant is mapped.
    #[serde(default)]
    pub company_id: Option<i64>,
    pub opened_at: DateTime<Utc>,
    /// Last time the alert was seen (a repeat re-opens the ticket within the window).
    pub last_seen_at: DateTime<Utc>,
    /// When the ticket was closed (by the bridge's auto-close, or seen closed); the
    /// re-opening window counts from here.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
}

impl AlertTicket {
    /// The dedup key: Acronis alert ids are only unique together with their tenant.
    pub fn key(tenant_id: &str, alert_id: &str) -> String {
        format!("{tenant_id}/{alert_id}")
    }
}

/// A job's exclusive right to run until `expires_at`.
///
/// A holder that crashes simply stops renewing; after `expires_at` anyone may take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub job: String,
    /// Who holds it (e.g. the Lambda request id or a process uuid).
    pub holder: String,
    pub acquired_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// One line of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// Unique id (a uuid); appending the same id twice is refused.
    pub id: String,
    pub at: DateTime<Utc>,
    /// Who did it: a job name (`quota-push`) or an operator identity.
    pub actor: String,
    /// What happened, e.g. `mapping.created`, `quota.conflict`; filterable.
    pub kind: String,
    /// What it happened to, e.g. `company:174` or `tenant:<uuid>`.
    pub subject: String,
    #[serde(default)]
    pub before: Option<serde_json::Value>,
    #[serde(default)]
    pub after: Option<serde_json::Value>,
    /// Why, in words (e.g. why an item was skipped).
    #[serde(default)]
    pub reason: Option<String>,
    /// Retention: after this instant the entry is no longer returned and may be purged.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A listing of the audit log, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Only entries at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only entries strictly before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Only entries of this kind.
    pub kind: Option<String>,
    /// Page size; `None` = [`AuditQuery::DEFAULT_LIMIT`], capped at [`AuditQuery::MAX_LIMIT`].
    pub limit: Option<u32>,
    /// From a previous page of the same query.
    pub page_token: Option<String>,
}

impl AuditQuery {
    pub const DEFAULT_LIMIT: u32 = 100;
    pub const MAX_LIMIT: u32 = 1000;

    /// The page size actually used.
    pub fn effective_limit(&self) -> u32 {
        self.limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT)
    }
}

/// The last run of a job and its last failure, as `GET /jobs` shows them.
///
/// One record per job, overwritten by each run (last write wins: a job writes it while it
/// holds its lease, so two runs never race on it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobStatus {
    /// The job's name, as its lease and schedule rule know it (e.g. `contract-poller`).
    pub job: String,
    #[serde(default)]
    pub last_run: Option<JobRunRecord>,
    /// Kept apart from `last_run`, so a failure stays visible after later successes.
    #[serde(default)]
    pub last_error: Option<JobErrorRecord>,
}

/// One finished run of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRunRecord {
    /// What started it: `schedule`, `event`, `run-now`, …
    pub trigger: String,
    pub dry_run: bool,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub ok: bool,
    /// The run's summary as JSON, bounded by the caller (the store refuses oversize
    /// statuses rather than truncating them).
    pub summary: serde_json::Value,
    #[serde(default)]
    pub error: Option<String>,
}

/// When a job last failed, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobErrorRecord {
    pub at: DateTime<Utc>,
    pub message: String,
}

/// What quota push last did for one company.
///
/// One record per mapped company, versioned: the sweep compares
/// `pushed_snapshot_version` with the company's contract snapshot version to find
/// companies whose snapshot moved ahead (a lost change event) or that were never pushed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSync {
    /// Autotask `Companies.id`.
    pub company_id: i64,
    /// The tenant it pushed to (a remapped company starts over: bases of another tenant
    /// do not apply).
    pub tenant_id: String,
    /// The contract snapshot version last pushed; `None` = never pushed.
    #[serde(default)]
    pub pushed_snapshot_version: Option<u64>,
    #[serde(default)]
    pub pushed_at: Option<DateTime<Utc>>,
    /// Merge bases of two-way sync, one per offering item.
    #[serde(default)]
    pub bases: Vec<QuotaBaseRecord>,
    /// The last failure for this customer (e.g. Acronis refused to switch an item off),
    /// cleared by a clean push.
    #[serde(default)]
    pub last_error: Option<JobErrorRecord>,
}

/// The merge base of two-way sync for one offering item: the last value both Acronis and
/// Autotask agreed on.
///
/// Plain fields (not the core's `OfferingItemRef` and `QuotaValue`), so the store depends
/// on nothing but this module; `(name, infra_id)` is the item's identity, as there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaBaseRecord {
    /// The Acronis offering item name (e.g. `pc_base`).
    pub name: String,
    /// The storage the item is on, for partners with several storages.
    #[serde(default)]
    pub infra_id: Option<String>,
    /// The agreed soft limit (`None` = unlimited); items, or binary bytes for storage.
    #[serde(default)]
    pub value: Option<u64>,
    /// What was allowed above it.
    #[serde(default)]
    pub overage: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_limit_defaults_and_is_capped() {
        let mut q = AuditQuery::default();
        assert_eq!(q.effective_limit(), AuditQuery::DEFAULT_LIMIT);
        q.limit = Some(0);
        assert_eq!(q.effective_limit(), 1);
        q.limit = Some(5000);
        assert_eq!(q.effective_limit(), AuditQuery::MAX_LIMIT);
    }

    #[test]
    fn alert_key_joins_tenant_and_alert() {
        assert_eq!(AlertTicket::key("t-1", "a-9"), "t-1/a-9");
    }

    #[test]
    fn audit_entry_rejects_unknown_fields() {
        let json = r#"{"id":"1","at":"2026-10-01T00:00:00Z","actor":"a","kind":"k",
                       "subject":"s","colour":"red"}"#;
        let err = serde_json::from_str::<AuditEntry>(json).expect_err("unknown field");
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn quota_sync_fields_default_when_absent() {
        let json = r#"{"company_id":174,"tenant_id":"t-1"}"#;
        let sync: QuotaSync = serde_json::from_str(json).expect("minimal record");
        assert_eq!(sync.pushed_snapshot_version, None);
        assert!(sync.bases.is_empty());
        assert_eq!(sync.last_error, None);
        let base: QuotaBaseRecord = serde_json::from_str(r#"{"name":"pc_base"}"#).expect("base");
        assert_eq!(
            (base.infra_id, base.value, base.overage),
            (None, None, None)
        );
    }
}
