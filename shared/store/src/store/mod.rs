//! The store ports: everything the jobs remember between runs.
//!
//! One narrow trait per record family ([`SettingsStore`], [`MappingStore`],
//! [`SnapshotStore`], [`LeaseStore`], [`AuditStore`], [`LedgerStore`],
//! [`AlertTicketStore`], [`JobRunStore`], [`QuotaSyncStore`], [`UsageHistoryStore`],
//! [`DatabaseResetStore`]), so a
//! piece of code can say which records it touches; [`Store`] is all of them, for the
//! jobs that hold an `Arc<dyn Store>`.
//!
//! Jobs may be killed at any point and run twice at once, so every write here is either
//! conditional (versions, "must not exist yet") or transactional; the two adapters —
//! [`DynamoStore`] (deployed) and `SqliteStore` (local mode, behind the `embedded`
//! feature so the Lambda binaries carry no SQLite) — give the same answers, which
//! `tests/store/conformance` checks against both.

mod dynamo;
mod error;
mod page_token;
#[cfg(feature = "embedded")]
mod sqlite;
mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use bridge_core::contracts::CompanySnapshot;
use bridge_core::mapping::CustomerMapping;
use bridge_core::provisioning::PendingProvisioning;
use bridge_core::records::{
    AlertTicket, AlertTicketState, AuditEntry, AuditQuery, DatabaseIdentity, JobStatus, Lease,
    Page, PauseState, QuotaSync, SkippedAlert, UsageDay, UsageLedgerEntry, UsageReport, Versioned,
};
use bridge_core::settings::Settings;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

pub use dynamo::DynamoStore;
pub use error::StoreError;
#[cfg(feature = "embedded")]
pub use sqlite::SqliteStore;

/// Result of every store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Every store trait, for code that calls methods on a concrete adapter
/// (`SqliteStore`, `DynamoStore`): `use bridge_store::store::prelude::*;`. Calls through
/// `dyn Store` (or a `T: Store` bound) need no import beyond `Store` itself.
pub mod prelude {
    pub use super::{
        AlertTicketStore, AuditStore, DatabaseResetStore, JobRunStore, LeaseStore, LedgerStore,
        MappingStore, QuotaSyncStore, SettingsStore, SnapshotStore, Store, UsageHistoryStore,
    };
}

/// Everything the jobs persist. Object-safe: jobs hold an `Arc<dyn Store>`.
///
/// The sum of the family traits, implemented for every type that implements them all.
///
/// Versioned writes take `expected_version`: `None` means "must not exist yet", `Some(v)`
/// means "must still be at version `v`". A stale write fails with
/// [`StoreError::Conflict`] carrying the current version, so the caller can re-read and
/// retry; writing at a version that does not exist fails with [`StoreError::NotFound`].
pub trait Store:
    SettingsStore
    + MappingStore
    + SnapshotStore
    + LeaseStore
    + AuditStore
    + LedgerStore
    + AlertTicketStore
    + JobRunStore
    + QuotaSyncStore
    + UsageHistoryStore
    + DatabaseResetStore
    + Send
    + Sync
{
}

impl<T> Store for T where
    T: SettingsStore
        + MappingStore
        + SnapshotStore
        + LeaseStore
        + AuditStore
        + LedgerStore
        + AlertTicketStore
        + JobRunStore
        + QuotaSyncStore
        + UsageHistoryStore
        + DatabaseResetStore
        + Send
        + Sync
{
}

/// Forgetting one Autotask database, when the operator starts over with another: its
/// company ids, contract service ids and ticket ids mean nothing in the new one.
#[async_trait]
pub trait DatabaseResetStore: Send + Sync {
    /// Deletes every customer mapping (both directions, with their deprovisioning
    /// clocks and holds), contract snapshot, pending provisioning, cursor, quota sync,
    /// usage ledger entry, usage report, alert ticket and skipped alert. Keeps the
    /// settings, the pause switch, the database identity, the audit log, job statuses,
    /// leases and usage days (what Acronis measured). Answers how many records of each
    /// family went (families with none are absent). Not atomic: a failure part-way
    /// leaves fewer records, and calling it again finishes the work.
    async fn forget_database(&self) -> StoreResult<BTreeMap<String, u64>>;
}

/// The bridge's settings: one versioned document; and beside it the pause switch,
/// another versioned document, kept apart so pausing never races a settings save.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn get_settings(&self) -> StoreResult<Option<Versioned<Settings>>>;
    /// Returns the new version.
    async fn put_settings(
        &self,
        settings: &Settings,
        expected_version: Option<u64>,
    ) -> StoreResult<u64>;
    /// The pause switch's last change; `None` when it was never used (not paused).
    async fn get_pause(&self) -> StoreResult<Option<Versioned<PauseState>>>;
    /// Returns the new version; versioned like the settings.
    async fn put_pause(
        &self,
        pause: &PauseState,
        expected_version: Option<u64>,
    ) -> StoreResult<u64>;
    /// The Autotask database the bridge works on; `None` before the first credential save.
    async fn get_database_identity(&self) -> StoreResult<Option<Versioned<DatabaseIdentity>>>;
    /// Returns the new version; versioned like the settings.
    async fn put_database_identity(
        &self,
        identity: &DatabaseIdentity,
        expected_version: Option<u64>,
    ) -> StoreResult<u64>;
}

/// Customer mappings (company ↔ tenant, both directions in one transaction).
#[async_trait]
pub trait MappingStore: Send + Sync {
    async fn get_mapping_by_company(&self, company_id: i64)
    -> StoreResult<Option<CustomerMapping>>;
    async fn get_mapping_by_tenant(&self, tenant_id: &str) -> StoreResult<Option<CustomerMapping>>;
    /// Mappings ordered by company id, `limit` per page (1..=1000).
    async fn list_mappings(
        &self,
        limit: u32,
        page_token: Option<&str>,
    ) -> StoreResult<Page<CustomerMapping>>;
    /// Creates or replaces the company's mapping and returns the one it replaced.
    ///
    /// A tenant mapped to another company is a [`StoreError::Conflict`] and nothing is
    /// written; remapping a company to a new tenant frees its old tenant atomically.
    async fn put_mapping(&self, mapping: &CustomerMapping) -> StoreResult<Option<CustomerMapping>>;
    /// [`put_mapping`](Self::put_mapping), unless the company is mapped to this tenant
    /// already: then nothing is written and the stored mapping is answered unchanged.
    /// The check and the write are one conditional write, so of concurrent identical
    /// requests exactly one writes. The company's mapping must be as `expected` (what
    /// the caller read), else [`StoreError::NotAsRead`] and nothing is written.
    async fn map_company(
        &self,
        mapping: &CustomerMapping,
        expected: &ExpectedMapping,
    ) -> StoreResult<MapOutcome>;
    /// Removes the company's mapping (both directions) and returns it; it must be as
    /// `expected`, else [`StoreError::NotAsRead`] and nothing is removed.
    async fn delete_mapping(
        &self,
        company_id: i64,
        expected: &ExpectedMapping,
    ) -> StoreResult<CustomerMapping>;
}

/// What a caller read of a company's mapping before changing it, checked in the same
/// conditional write as the change: an operator who read "mapped to A" never silently
/// overwrites another's remap to B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedMapping {
    /// Whatever is there (the jobs, and callers that read nothing).
    Any,
    /// The company must not be mapped.
    Unmapped,
    /// The company must be mapped to this tenant.
    MappedTo(String),
}

impl ExpectedMapping {
    /// `Ok` when `current` is as expected, else the refusal naming what is there now.
    pub fn check(&self, company_id: i64, current: Option<&CustomerMapping>) -> StoreResult<()> {
        let met = match (self, current) {
            (ExpectedMapping::Any, _) | (ExpectedMapping::Unmapped, None) => true,
            (ExpectedMapping::MappedTo(tenant), Some(m)) => m.tenant_id == *tenant,
            _ => false,
        };
        if met {
            return Ok(());
        }
        let now = match current {
            Some(m) => format!("mapped to tenant {}", m.tenant_id),
            None => "not mapped".to_owned(),
        };
        let read = match self {
            ExpectedMapping::MappedTo(tenant) => format!("mapped to tenant {tenant}"),
            _ => "not mapped".to_owned(),
        };
        Err(StoreError::NotAsRead {
            what: format!("company {company_id} is {now} now; it was {read} when read"),
        })
    }
}

/// What [`MappingStore::map_company`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum MapOutcome {
    /// The company was mapped to this tenant already; this is the stored mapping.
    Unchanged(CustomerMapping),
    /// Written; the mapping it replaced, if any.
    Written(Option<CustomerMapping>),
}

/// What the poller learnt about a company's contracts: the contract snapshot (read by
/// quota push and usage reporting) and a tenant creation in progress.
#[async_trait]
pub trait SnapshotStore: Send + Sync {
    async fn get_contract_snapshot(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<Versioned<CompanySnapshot>>>;
    /// Returns the new version: the `snapshot_version` of the change event.
    async fn put_contract_snapshot(
        &self,
        snapshot: &CompanySnapshot,
        expected_version: Option<u64>,
    ) -> StoreResult<u64>;

    /// The company's unfinished provisioning, if any.
    async fn get_pending_provisioning(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<Versioned<PendingProvisioning>>>;
    /// Writes the record before a tenant is created (`None`: must not exist yet, so two
    /// runs never both start one company) and again once the tenant id is known.
    /// Returns the new version.
    async fn put_pending_provisioning(
        &self,
        pending: &PendingProvisioning,
        expected_version: Option<u64>,
    ) -> StoreResult<u64>;
    /// Drops the record once the mapping is written; absent → [`StoreError::NotFound`].
    async fn delete_pending_provisioning(&self, company_id: i64) -> StoreResult<()>;
    /// Every unfinished provisioning, by company id. Few by nature: only a run killed
    /// between "tenant created" and "mapping written" leaves one behind.
    async fn list_pending_provisioning(&self) -> StoreResult<Vec<Versioned<PendingProvisioning>>>;
}

/// Where each job stands: its lease (who may run it now) and its cursors (how far its
/// committed work goes).
#[async_trait]
pub trait LeaseStore: Send + Sync {
    async fn get_cursor(&self, name: &str) -> StoreResult<Option<Versioned<String>>>;
    async fn put_cursor(
        &self,
        name: &str,
        value: &str,
        expected_version: Option<u64>,
    ) -> StoreResult<u64>;

    /// Takes the job's lease for `ttl` if it is free, expired or already ours; `None`
    /// while another holder's lease is live. Times are kept to the millisecond.
    async fn acquire_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Lease>>;
    /// Extends our lease to `now + ttl`; `None` if someone else holds it (or nobody).
    async fn renew_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Lease>>;
    /// Frees the lease if `holder` holds it; `false` (and nothing changed) otherwise.
    async fn release_lease(&self, job: &str, holder: &str) -> StoreResult<bool>;
}

/// The append-only audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry; the same entry (id and instant) twice is
    /// [`StoreError::AlreadyExists`].
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// Entries newest first. Entries whose `expires_at` ≤ `now` are never returned, even
    /// before the backend has purged them.
    async fn list_audit(
        &self,
        query: &AuditQuery,
        now: DateTime<Utc>,
    ) -> StoreResult<Page<AuditEntry>>;
}

/// The usage ledger: what was reported per contract service and period, so a rerun of
/// usage reporting changes nothing.
///
/// Versioned like the other records: a correction inside an open period replaces the
/// entry at the version it was read. Entries of one period are read in batches.
#[async_trait]
pub trait LedgerStore: Send + Sync {
    async fn get_usage(
        &self,
        contract_service_id: i64,
        period: &str,
    ) -> StoreResult<Option<Versioned<UsageLedgerEntry>>>;
    /// The entries of these contract services for one period ([`MAX_LEDGER_IDS`] per
    /// call; more, or a negative id, is [`StoreError::Invalid`]): missing ones are absent
    /// from the map, a repeated id is read once. DynamoDB: one `BatchGetItem`; SQLite:
    /// one query.
    async fn get_usages(
        &self,
        period: &str,
        contract_service_ids: &[i64],
    ) -> StoreResult<BTreeMap<i64, Versioned<UsageLedgerEntry>>>;
    /// Writes the entry and the audit entry of that report in one transaction, so a
    /// run that dies leaves both or neither and no reported period goes unaudited.
    /// `None` = must not exist yet, `Some(v)` = must still be at `v`; returns the new
    /// version. Stale → [`StoreError::Conflict`] with the current version; `Some(_)` for
    /// an absent entry → [`StoreError::NotFound`]; an audit entry of that id and instant
    /// already there → [`StoreError::AlreadyExists`]. Nothing is written then.
    async fn put_usage(
        &self,
        entry: &UsageLedgerEntry,
        expected_version: Option<u64>,
        audit: &AuditEntry,
    ) -> StoreResult<u64>;
}

/// Most contract service ids one [`LedgerStore::get_usages`] call takes: DynamoDB's
/// `BatchGetItem` limit.
pub const MAX_LEDGER_IDS: usize = 100;

/// A ledger entry as stored: its ids and period checked like every key.
fn usage_ledger_body(entry: &UsageLedgerEntry) -> StoreResult<String> {
    validate::id("contract_service_id", entry.contract_service_id)?;
    validate::name("period", &entry.period)?;
    validate::id("company_id", entry.company_id)?;
    serde_json::to_string(entry).map_err(|e| {
        StoreError::invalid(
            "usage_ledger_entry",
            format!(
                "{}: {e}",
                usage_what(entry.contract_service_id, &entry.period)
            ),
        )
    })
}

/// Alert → ticket: which Autotask ticket an Acronis alert opened, and the alerts the
/// alert job could not process.
///
/// Alert ticket records are versioned like the other records and checked before
/// anything is written (see [`alert_ticket_body`] for the rules); a refused one is
/// [`StoreError::Invalid`] naming the field.
#[async_trait]
pub trait AlertTicketStore: Send + Sync {
    async fn get_alert_ticket(
        &self,
        alert_key: &str,
    ) -> StoreResult<Option<Versioned<AlertTicket>>>;
    /// `None` = must not exist yet (two runs cannot both record the intent to create
    /// an alert's ticket), `Some(v)` = must still be at `v`; returns the new version.
    async fn put_alert_ticket(
        &self,
        ticket: &AlertTicket,
        expected_version: Option<u64>,
    ) -> StoreResult<u64>;
    /// Records ordered by company id, then alert key, records without a company last;
    /// with `company_id`, only that company's. The order does not move while a record
    /// is updated (unless its company changes), so paging neither skips nor repeats.
    /// `limit` 1..=1000. DynamoDB answers from its index, eventually consistent: a record
    /// written a moment ago may be missing or old.
    async fn list_alert_tickets(
        &self,
        company_id: Option<i64>,
        limit: u32,
        page_token: Option<&str>,
    ) -> StoreResult<Page<Versioned<AlertTicket>>>;
    /// Creates or replaces the skipped alert with the same key (last write wins). It is
    /// listed for [`SKIPPED_ALERT_RETENTION_DAYS`] after its `at`.
    async fn put_skipped_alert(&self, skipped: &SkippedAlert) -> StoreResult<()>;
    /// Skipped alerts newest first (by `at`, then key descending); those older than the
    /// retention at `now` are never returned. `limit` 1..=1000.
    async fn list_skipped_alerts(
        &self,
        limit: u32,
        page_token: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Page<SkippedAlert>>;
}

/// How long a skipped alert stays listed (and, in DynamoDB, until TTL removes it).
pub const SKIPPED_ALERT_RETENTION_DAYS: i64 = 30;

/// An alert ticket record as stored, after its checks:
///
/// - `alert_key`, `tenant_id`, `alert_id`: checked like every key, and the key must be
///   [`AlertTicket::key`] of the tenant and alert (`alert_key`);
/// - `alert_type`: not blank, at most [`AlertTicket::MAX_ALERT_TYPE_CHARS`] characters;
/// - `ticket_id`: absent while `Pending`, present once `Open` or `Closed`, never
///   negative; `company_id` and `previous_ticket_ids` never negative, at most
///   [`AlertTicket::MAX_PREVIOUS_TICKETS`] of the latter;
/// - `ticket_number`, `last_action`: not blank when given, at most
///   [`AlertTicket::MAX_TICKET_NUMBER_CHARS`] / [`AlertTicket::MAX_LAST_ACTION_CHARS`].
///
/// Both adapters store exactly this body.
fn alert_ticket_body(record: &AlertTicket) -> StoreResult<String> {
    validate::name("alert_key", &record.alert_key)?;
    validate::name("tenant_id", &record.tenant_id)?;
    validate::name("alert_id", &record.alert_id)?;
    let expected_key = AlertTicket::key(&record.tenant_id, &record.alert_id);
    if record.alert_key != expected_key {
        return Err(StoreError::invalid(
            "alert_key",
            format!(
                "{:?} is not the key of tenant_id and alert_id ({expected_key:?})",
                record.alert_key
            ),
        ));
    }
    validate::text(
        "alert_type",
        &record.alert_type,
        AlertTicket::MAX_ALERT_TYPE_CHARS,
    )?;
    match (record.state, record.ticket_id) {
        (AlertTicketState::Pending, Some(_)) => {
            return Err(StoreError::invalid(
                "ticket_id",
                "a pending record has no ticket yet (leave it out)",
            ));
        }
        (AlertTicketState::Open | AlertTicketState::Closed, None) => {
            return Err(StoreError::invalid(
                "ticket_id",
                "required once the ticket exists (state open or closed)",
            ));
        }
        (_, Some(id)) => validate::id("ticket_id", id)?,
        (AlertTicketState::Pending, None) => {}
    }
    if let Some(number) = &record.ticket_number {
        validate::text(
            "ticket_number",
            number,
            AlertTicket::MAX_TICKET_NUMBER_CHARS,
        )?;
    }
    if let Some(company_id) = record.company_id {
        validate::id("company_id", company_id)?;
    }
    if let Some(action) = &record.last_action {
        validate::text("last_action", action, AlertTicket::MAX_LAST_ACTION_CHARS)?;
    }
    if record.previous_ticket_ids.len() > AlertTicket::MAX_PREVIOUS_TICKETS {
        return Err(StoreError::invalid(
            "previous_ticket_ids",
            format!(
                "{} ids, over the limit of {}",
                record.previous_ticket_ids.len(),
                AlertTicket::MAX_PREVIOUS_TICKETS
            ),
        ));
    }
    for &id in &record.previous_ticket_ids {
        validate::id("previous_ticket_ids", id)?;
    }
    serde_json::to_string(record).map_err(|e| {
        StoreError::invalid(
            "alert_ticket",
            format!("{}: {e}", alert_ticket_what(&record.alert_key)),
        )
    })
}

fn alert_ticket_what(alert_key: &str) -> String {
    format!("alert ticket {alert_key}")
}

/// Where a record sorts in the listing, the same string in both adapters (DynamoDB's
/// `GSI1SK`): `COMPANY#<id, 20 digits>#<alert key>`, or `NOCOMPANY#<alert key>`, which
/// sorts after every company.
fn alert_ticket_sort_key(company_id: Option<i64>, alert_key: &str) -> String {
    match company_id {
        Some(company_id) => format!("{}{alert_key}", alert_ticket_company_prefix(company_id)),
        None => format!("NOCOMPANY#{alert_key}"),
    }
}

fn alert_ticket_company_prefix(company_id: i64) -> String {
    format!("COMPANY#{company_id:020}#")
}

/// Which listing a page token continues: all records, or one company's.
fn alert_tickets_scope(company_id: Option<i64>) -> String {
    match company_id {
        Some(company_id) => format!("tickets#{company_id}"),
        None => "tickets".to_owned(),
    }
}

/// The arguments of a listing of alert tickets, checked.
fn alert_tickets_listing(company_id: Option<i64>, limit: u32) -> StoreResult<u32> {
    if let Some(company_id) = company_id {
        validate::id("company_id", company_id)?;
    }
    validate::limit(limit)
}

/// A skipped alert as stored, after its checks (`alert_key` must be the key of its
/// tenant and alert, or the alert id alone without tenant; `reason` not blank and at
/// most [`SkippedAlert::MAX_REASON_CHARS`] characters; `raw` at most
/// [`SkippedAlert::MAX_RAW_BYTES`] bytes), with the instant (ms) it stops being listed.
fn skipped_alert_body(skipped: &SkippedAlert) -> StoreResult<(String, i64)> {
    validate::name("alert_key", &skipped.alert_key)?;
    validate::name("alert_id", &skipped.alert_id)?;
    if let Some(tenant) = &skipped.tenant {
        validate::name("tenant", tenant)?;
    }
    let expected_key = match &skipped.tenant {
        Some(tenant) => AlertTicket::key(tenant, &skipped.alert_id),
        None => skipped.alert_id.clone(),
    };
    if skipped.alert_key != expected_key {
        return Err(StoreError::invalid(
            "alert_key",
            format!(
                "{:?} is not the key of tenant and alert_id ({expected_key:?})",
                skipped.alert_key
            ),
        ));
    }
    validate::text("reason", &skipped.reason, SkippedAlert::MAX_REASON_CHARS)?;
    if let Some(raw) = &skipped.raw
        && raw.len() > SkippedAlert::MAX_RAW_BYTES
    {
        return Err(StoreError::invalid(
            "raw",
            format!(
                "{} bytes, over the limit of {} (cut it with SkippedAlert::new)",
                raw.len(),
                SkippedAlert::MAX_RAW_BYTES
            ),
        ));
    }
    let expires_ms = skipped
        .at
        .checked_add_signed(TimeDelta::days(SKIPPED_ALERT_RETENTION_DAYS))
        .map(|expires| expires.timestamp_millis())
        .ok_or_else(|| StoreError::invalid("at", "out of range"))?;
    let body = serde_json::to_string(skipped).map_err(|e| {
        StoreError::invalid(
            "skipped_alert",
            format!("skipped alert {}: {e}", skipped.alert_key),
        )
    })?;
    Ok((body, expires_ms))
}

/// Each job's last run and last failure, for the operator's `GET /jobs`.
///
/// Unversioned, last write wins: a job writes its own status while it holds its lease.
/// A status whose JSON exceeds [`MAX_JOB_STATUS_BYTES`] is refused
/// ([`StoreError::Invalid`]), never truncated.
#[async_trait]
pub trait JobRunStore: Send + Sync {
    async fn get_job_status(&self, job: &str) -> StoreResult<Option<JobStatus>>;
    async fn put_job_status(&self, status: &JobStatus) -> StoreResult<()>;
    /// Every job's status, ordered by job name.
    async fn list_job_statuses(&self) -> StoreResult<Vec<JobStatus>>;
}

/// Largest job status accepted, as serialized JSON. Far below DynamoDB's 400 KB item
/// limit, so a status never fails at the database, and small enough to list every job
/// in one response.
pub const MAX_JOB_STATUS_BYTES: usize = 64 * 1024;

/// A job status as stored: its name checked like every key, its JSON within
/// [`MAX_JOB_STATUS_BYTES`]. Both adapters store exactly this body.
fn job_status_body(status: &JobStatus) -> StoreResult<String> {
    validate::name("job", &status.job)?;
    let body = serde_json::to_string(status)
        .map_err(|e| StoreError::invalid("status", format!("job {}: {e}", status.job)))?;
    if body.len() > MAX_JOB_STATUS_BYTES {
        return Err(StoreError::invalid(
            "status",
            format!(
                "job {} status is {} bytes as JSON, over the limit of {MAX_JOB_STATUS_BYTES}; \
                 shorten its summary",
                status.job,
                body.len()
            ),
        ));
    }
    Ok(body)
}

fn job_what(job: &str) -> String {
    format!("status of job {job}")
}

/// What quota push last did for each mapped company: the contract snapshot version it
/// pushed, the merge bases of two-way sync and the customer's last failure.
///
/// Versioned like the other records. A record is checked before anything is written
/// (see [`MAX_QUOTA_BASES`], [`MAX_QUOTA_NAME_CHARS`], [`MAX_QUOTA_ERROR_CHARS`],
/// [`MAX_QUOTA_SYNC_BYTES`]); a refused one is [`StoreError::Invalid`] naming the field.
#[async_trait]
pub trait QuotaSyncStore: Send + Sync {
    async fn get_quota_sync(&self, company_id: i64) -> StoreResult<Option<Versioned<QuotaSync>>>;
    /// Several at once (the sweep reads thousands, [`MAX_QUOTA_SYNC_IDS`] per call; more
    /// is [`StoreError::Invalid`]): missing ones are absent from the map. A repeated id
    /// is read once. DynamoDB: one `BatchGetItem` (its unprocessed keys retried a few
    /// times with a short backoff); SQLite: one query.
    async fn get_quota_syncs(
        &self,
        company_ids: &[i64],
    ) -> StoreResult<BTreeMap<i64, Versioned<QuotaSync>>>;
    /// `None` = must not exist yet, `Some(v)` = must still be at `v`; returns the new
    /// version. Stale → [`StoreError::Conflict`] with the current version; `Some(_)` for
    /// an absent record → [`StoreError::NotFound`].
    async fn put_quota_sync(
        &self,
        record: &QuotaSync,
        expected_version: Option<u64>,
    ) -> StoreResult<u64>;
    /// Removes the company's record (an unmapped company); absent is `Ok(())`.
    async fn delete_quota_sync(&self, company_id: i64) -> StoreResult<()>;
}

/// Most company ids one [`QuotaSyncStore::get_quota_syncs`] call takes: DynamoDB's
/// `BatchGetItem` limit.
pub const MAX_QUOTA_SYNC_IDS: usize = 100;
/// Most merge bases one quota sync record holds: a cheap first guard, as
/// [`MAX_QUOTA_SYNC_BYTES`] binds first (a base is about 60–100 bytes of JSON).
pub const MAX_QUOTA_BASES: usize = 2_000;
/// Longest offering item name or infra id of a merge base, in characters.
pub const MAX_QUOTA_NAME_CHARS: usize = 200;
/// Longest `last_error.message`, in characters.
pub const MAX_QUOTA_ERROR_CHARS: usize = 2_000;
/// Largest quota sync record accepted, as serialized JSON: like job statuses, far below
/// DynamoDB's 400 KB item limit, and 100 of them fit one `BatchGetItem` answer (16 MB).
pub const MAX_QUOTA_SYNC_BYTES: usize = 64 * 1024;

/// A quota sync record as stored: its keys and bounds checked, its JSON within
/// [`MAX_QUOTA_SYNC_BYTES`]. Both adapters store exactly this body.
fn quota_sync_body(record: &QuotaSync) -> StoreResult<String> {
    validate::id("company_id", record.company_id)?;
    validate::name("tenant_id", &record.tenant_id)?;
    if record.bases.len() > MAX_QUOTA_BASES {
        return Err(StoreError::invalid(
            "bases",
            format!(
                "{} merge bases, over the limit of {MAX_QUOTA_BASES}",
                record.bases.len()
            ),
        ));
    }
    let too_long = |value: &str, max: usize| value.chars().count() > max;
    let mut seen = BTreeSet::new();
    for (index, base) in record.bases.iter().enumerate() {
        if base.name.trim().is_empty() {
            return Err(StoreError::invalid(
                "bases.name",
                format!("bases[{index}]: must not be blank"),
            ));
        }
        if too_long(&base.name, MAX_QUOTA_NAME_CHARS) {
            return Err(StoreError::invalid(
                "bases.name",
                format!("bases[{index}]: longer than {MAX_QUOTA_NAME_CHARS} characters"),
            ));
        }
        if let Some(infra_id) = &base.infra_id {
            if infra_id.trim().is_empty() {
                return Err(StoreError::invalid(
                    "bases.infra_id",
                    format!("bases[{index}]: must not be blank (leave it out instead)"),
                ));
            }
            if too_long(infra_id, MAX_QUOTA_NAME_CHARS) {
                return Err(StoreError::invalid(
                    "bases.infra_id",
                    format!("bases[{index}]: longer than {MAX_QUOTA_NAME_CHARS} characters"),
                ));
            }
        }
        // One base per offering item: two would leave the merge ambiguous.
        if !seen.insert((base.name.as_str(), base.infra_id.as_deref())) {
            return Err(StoreError::invalid(
                "bases",
                format!(
                    "bases[{index}]: a second base for item {}{}",
                    base.name,
                    base.infra_id
                        .as_deref()
                        .map(|infra| format!(" on {infra}"))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    if let Some(error) = &record.last_error
        && too_long(&error.message, MAX_QUOTA_ERROR_CHARS)
    {
        return Err(StoreError::invalid(
            "last_error.message",
            format!("longer than {MAX_QUOTA_ERROR_CHARS} characters; shorten it"),
        ));
    }
    let what = quota_sync_what(record.company_id);
    let body = serde_json::to_string(record)
        .map_err(|e| StoreError::invalid("quota_sync", format!("{what}: {e}")))?;
    if body.len() > MAX_QUOTA_SYNC_BYTES {
        return Err(StoreError::invalid(
            "quota_sync",
            format!(
                "{what} is {} bytes as JSON, over the limit of {MAX_QUOTA_SYNC_BYTES}",
                body.len()
            ),
        ));
    }
    Ok(body)
}

/// The ids of one batch read of quota syncs: see [`batch_ids`].
fn quota_sync_ids(company_ids: &[i64]) -> StoreResult<Vec<i64>> {
    batch_ids("company_ids", company_ids, MAX_QUOTA_SYNC_IDS)
}

/// The ids of one batch read: at most `max`, none negative; returned once each, in
/// order (`BatchGetItem` refuses a request that names a key twice).
fn batch_ids(field: &'static str, ids: &[i64], max: usize) -> StoreResult<Vec<i64>> {
    if ids.len() > max {
        return Err(StoreError::invalid(
            field,
            format!("{} ids, over the limit of {max} per call", ids.len()),
        ));
    }
    for &id in ids {
        validate::id(field, id)?;
    }
    Ok(ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

fn quota_sync_what(company_id: i64) -> String {
    format!("quota sync of company {company_id}")
}

/// What usage reporting remembers beside the ledger: the figures it read of each tenant
/// per UTC day (so a past period is reported from the last day inside it) and the
/// outcome of each company's last report (shown by the accounts route).
///
/// Unversioned, last write wins: the usage job writes them while it holds its lease.
/// Every record is checked before anything is written (see [`MAX_USAGE_FIGURES`],
/// [`MAX_USAGE_NAME_CHARS`], [`MAX_USAGE_REPORT_ENTRIES`], [`MAX_USAGE_WHAT_CHARS`],
/// [`MAX_USAGE_REASON_CHARS`], [`MAX_USAGE_RECORD_BYTES`]): one refused record is
/// [`StoreError::Invalid`] naming the field, and nothing of that call is written.
#[async_trait]
pub trait UsageHistoryStore: Send + Sync {
    /// Stores each record, replacing the one of the same tenant and day (of two in one
    /// call, the later stays). Any number of records: DynamoDB writes them
    /// `BatchWriteItem` by `BatchWriteItem` (25 each, unprocessed items sent again with a
    /// growing pause), so a backend failure may leave the earlier ones written; SQLite
    /// writes them in one transaction.
    ///
    /// Records are kept [`USAGE_HISTORY_DAYS`] after their day: DynamoDB items carry the
    /// table's `ttl` (the day plus that many days, epoch seconds), and SQLite deletes the
    /// rows expired at the newest `seen_at` of the call in the same transaction. The
    /// store does not check that `day` is the date of `seen_at`; records are ordered by
    /// `day`.
    async fn put_usage_days(&self, days: &[UsageDay]) -> StoreResult<()>;
    /// The latest record of each tenant whose day is within `from..=to`: at most
    /// [`MAX_USAGE_HISTORY_KEYS`] tenants a call (more, or a blank one, is
    /// [`StoreError::Invalid`], as is `from` after `to`). Tenants with none are absent
    /// from the map; a repeated tenant is read once.
    ///
    /// DynamoDB: one `BatchGetItem` of every tenant's day `to` (most tenants were read
    /// that day), then, for the tenants it did not find, one `Query` each (newest first,
    /// one item), a few at a time.
    async fn latest_usage_days(
        &self,
        tenant_ids: &[String],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<BTreeMap<String, UsageDay>>;
    /// Replaces each company's report record (last write wins; of two in one call, the
    /// later stays). Any number, written like [`put_usage_days`](Self::put_usage_days).
    async fn put_usage_reports(&self, reports: &[UsageReport]) -> StoreResult<()>;
    /// At most [`MAX_USAGE_HISTORY_KEYS`] companies a call (more, or a negative id, is
    /// [`StoreError::Invalid`]); missing ones are absent from the map, a repeated id is
    /// read once.
    async fn get_usage_reports(
        &self,
        company_ids: &[i64],
    ) -> StoreResult<BTreeMap<i64, UsageReport>>;
}

/// How many days a usage day record is kept after its day.
pub const USAGE_HISTORY_DAYS: i64 = 120;
/// Most tenants (or companies) one read of [`UsageHistoryStore`] takes: DynamoDB's
/// `BatchGetItem` limit.
pub const MAX_USAGE_HISTORY_KEYS: usize = 100;
/// Most figures one usage day holds: a cheap first guard, as [`MAX_USAGE_RECORD_BYTES`]
/// binds first for long names (a figure is about 150 bytes of JSON).
pub const MAX_USAGE_FIGURES: usize = 2_000;
/// Longest offering item name or infra id of a figure, in characters.
pub const MAX_USAGE_NAME_CHARS: usize = 200;
/// Most entries of each of a usage report's `skipped` and `overuse` lists.
pub const MAX_USAGE_REPORT_ENTRIES: usize = 500;
/// Longest `what` of a skipped or overused line, in characters.
pub const MAX_USAGE_WHAT_CHARS: usize = 500;
/// Longest `reason` of a skipped line, and `last_error.message`, in characters.
pub const MAX_USAGE_REASON_CHARS: usize = 2_000;
/// Largest usage day or usage report accepted, as serialized JSON: room for 2,000
/// figures of usual names, below DynamoDB's 400 KB item limit with the keys, and 25 of
/// them fit one `BatchWriteItem` request (16 MB).
pub const MAX_USAGE_RECORD_BYTES: usize = 320 * 1024;

/// A usage day's key in both adapters: `yyyy-mm-dd` (years are checked to have four
/// digits, so string order is date order).
fn usage_day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn usage_day_what(tenant_id: &str, day: NaiveDate) -> String {
    format!("usage of tenant {tenant_id} on {}", usage_day_key(day))
}

fn usage_report_what(company_id: i64) -> String {
    format!("usage report of company {company_id}")
}

/// The instant (epoch seconds) a usage day expires: its day plus [`USAGE_HISTORY_DAYS`],
/// at midnight UTC.
fn usage_day_expiry(day: NaiveDate) -> StoreResult<i64> {
    day.checked_add_days(chrono::Days::new(USAGE_HISTORY_DAYS.unsigned_abs()))
        .and_then(|expiry| expiry.and_hms_opt(0, 0, 0))
        .map(|expiry| expiry.and_utc().timestamp())
        .ok_or_else(|| StoreError::invalid("day", "out of range"))
}

/// The newest day that has expired at `now`: records of that day and before are gone.
#[cfg(feature = "embedded")]
fn usage_history_cutoff(now: DateTime<Utc>) -> Option<NaiveDate> {
    now.date_naive()
        .checked_sub_days(chrono::Days::new(USAGE_HISTORY_DAYS.unsigned_abs()))
}

/// `true` if `value` is longer than `max` characters.
fn too_long(value: &str, max: usize) -> bool {
    value.chars().count() > max
}

/// A list's length within `max` (`field` names it).
fn bounded_list<T>(field: &'static str, list: &[T], max: usize) -> StoreResult<()> {
    if list.len() > max {
        return Err(StoreError::invalid(
            field,
            format!("{} entries, over the limit of {max}", list.len()),
        ));
    }
    Ok(())
}

/// A text field of entry `index` of a list: not blank, at most `max` characters.
fn bounded_entry(field: &'static str, index: usize, value: &str, max: usize) -> StoreResult<()> {
    if value.trim().is_empty() {
        return Err(StoreError::invalid(
            field,
            format!("[{index}]: must not be blank"),
        ));
    }
    if too_long(value, max) {
        return Err(StoreError::invalid(
            field,
            format!("[{index}]: longer than {max} characters"),
        ));
    }
    Ok(())
}

/// A record's JSON within [`MAX_USAGE_RECORD_BYTES`] (`field` names the record).
fn usage_record_json<T: serde::Serialize>(
    field: &'static str,
    what: &str,
    record: &T,
) -> StoreResult<String> {
    let body = serde_json::to_string(record)
        .map_err(|e| StoreError::invalid(field, format!("{what}: {e}")))?;
    if body.len() > MAX_USAGE_RECORD_BYTES {
        return Err(StoreError::invalid(
            field,
            format!(
                "{what} is {} bytes as JSON, over the limit of {MAX_USAGE_RECORD_BYTES}",
                body.len()
            ),
        ));
    }
    Ok(body)
}

/// A usage day as stored, after its checks: `tenant_id` like every key, `day` within
/// years 1970–9999, at most [`MAX_USAGE_FIGURES`] figures whose item name and infra id
/// are not blank and at most [`MAX_USAGE_NAME_CHARS`] characters, the JSON within
/// [`MAX_USAGE_RECORD_BYTES`]. Both adapters store exactly this body.
fn usage_day_body(record: &UsageDay) -> StoreResult<String> {
    validate::name("tenant_id", &record.tenant_id)?;
    validate::day("day", record.day)?;
    bounded_list("figures", &record.figures, MAX_USAGE_FIGURES)?;
    for (index, figure) in record.figures.iter().enumerate() {
        bounded_entry(
            "figures.item.name",
            index,
            &figure.item.name,
            MAX_USAGE_NAME_CHARS,
        )?;
        if let Some(infra_id) = &figure.item.infra_id {
            bounded_entry(
                "figures.item.infra_id",
                index,
                infra_id,
                MAX_USAGE_NAME_CHARS,
            )?;
        }
    }
    usage_record_json(
        "usage_day",
        &usage_day_what(&record.tenant_id, record.day),
        record,
    )
}

/// A usage report as stored, after its checks: `company_id` never negative, `tenant_id`
/// and `period` like every key, at most [`MAX_USAGE_REPORT_ENTRIES`] skipped and as many
/// overused lines, their `what` and `reason` not blank and at most
/// [`MAX_USAGE_WHAT_CHARS`] / [`MAX_USAGE_REASON_CHARS`] characters, a
/// `last_error.message` of at most [`MAX_USAGE_REASON_CHARS`], the JSON within
/// [`MAX_USAGE_RECORD_BYTES`]. Both adapters store exactly this body.
fn usage_report_body(record: &UsageReport) -> StoreResult<String> {
    validate::id("company_id", record.company_id)?;
    validate::name("tenant_id", &record.tenant_id)?;
    if let Some(period) = &record.period {
        validate::name("period", period)?;
    }
    bounded_list("skipped", &record.skipped, MAX_USAGE_REPORT_ENTRIES)?;
    for (index, skipped) in record.skipped.iter().enumerate() {
        bounded_entry("skipped.what", index, &skipped.what, MAX_USAGE_WHAT_CHARS)?;
        bounded_entry(
            "skipped.reason",
            index,
            &skipped.reason,
            MAX_USAGE_REASON_CHARS,
        )?;
    }
    bounded_list("overuse", &record.overuse, MAX_USAGE_REPORT_ENTRIES)?;
    for (index, overuse) in record.overuse.iter().enumerate() {
        bounded_entry("overuse.what", index, &overuse.what, MAX_USAGE_WHAT_CHARS)?;
    }
    if let Some(error) = &record.last_error
        && too_long(&error.message, MAX_USAGE_REASON_CHARS)
    {
        return Err(StoreError::invalid(
            "last_error.message",
            format!("longer than {MAX_USAGE_REASON_CHARS} characters; shorten it"),
        ));
    }
    usage_record_json(
        "usage_report",
        &usage_report_what(record.company_id),
        record,
    )
}

/// The records of one write, checked and encoded: each with its key, the later of two
/// with the same key kept (a batch write refuses a key twice). In key order.
fn latest_by_key<R, K: Ord>(
    records: &[R],
    key: impl Fn(&R) -> K,
    body: impl Fn(&R) -> StoreResult<String>,
) -> StoreResult<Vec<(K, &R, String)>> {
    let mut out = BTreeMap::new();
    for record in records {
        out.insert(key(record), (record, body(record)?));
    }
    Ok(out
        .into_iter()
        .map(|(key, (record, body))| (key, record, body))
        .collect())
}

/// The tenants of one read of usage days: at most [`MAX_USAGE_HISTORY_KEYS`], each
/// checked like every key; returned once each, in order.
fn usage_tenant_ids(tenant_ids: &[String]) -> StoreResult<Vec<String>> {
    if tenant_ids.len() > MAX_USAGE_HISTORY_KEYS {
        return Err(StoreError::invalid(
            "tenant_ids",
            format!(
                "{} tenants, over the limit of {MAX_USAGE_HISTORY_KEYS} per call",
                tenant_ids.len()
            ),
        ));
    }
    for tenant_id in tenant_ids {
        validate::name("tenant_ids", tenant_id)?;
    }
    Ok(tenant_ids
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

/// The day range of a read, checked, as keys.
fn usage_day_range(from: NaiveDate, to: NaiveDate) -> StoreResult<(String, String)> {
    validate::day("from", from)?;
    validate::day("to", to)?;
    if from > to {
        return Err(StoreError::invalid(
            "from",
            format!("{from} is after to ({to})"),
        ));
    }
    Ok((usage_day_key(from), usage_day_key(to)))
}

/// A stored usage day as the caller sees it; the body must be of the key it is stored at.
fn usage_day_record(tenant_id: &str, day_key: &str, body: &str) -> StoreResult<UsageDay> {
    let what = format!("usage of tenant {tenant_id} on {day_key}");
    let value: UsageDay = serde_json::from_str(body).map_err(|e| StoreError::corrupt(&what, e))?;
    if value.tenant_id != tenant_id || usage_day_key(value.day) != day_key {
        return Err(StoreError::corrupt(
            what,
            format!(
                "body is of tenant {} on {}",
                value.tenant_id,
                usage_day_key(value.day)
            ),
        ));
    }
    Ok(value)
}

/// A stored usage report as the caller sees it; the body must be of its company.
fn usage_report_record(company_id: i64, body: &str) -> StoreResult<UsageReport> {
    let what = usage_report_what(company_id);
    let value: UsageReport =
        serde_json::from_str(body).map_err(|e| StoreError::corrupt(&what, e))?;
    if value.company_id != company_id {
        return Err(StoreError::corrupt(
            what,
            format!("body is of company {}", value.company_id),
        ));
    }
    Ok(value)
}

fn tenant_taken(tenant_id: &str, owner: i64) -> StoreError {
    StoreError::Conflict {
        what: format!("tenant {tenant_id}: already mapped to company {owner}"),
        current_version: None,
    }
}

fn pending_what(company_id: i64) -> String {
    format!("pending provisioning of company {company_id}")
}

fn usage_what(contract_service_id: i64, period: &str) -> String {
    format!("usage of contract service {contract_service_id} for {period}")
}

/// The audit log's sort key: fixed-width UTC with microseconds, so string order is time
/// order in both adapters.
fn audit_time_key(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A lease's span in whole milliseconds (both adapters store milliseconds).
fn lease_span(
    job: &str,
    holder: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> StoreResult<(i64, i64)> {
    validate::name("job", job)?;
    validate::name("holder", holder)?;
    let ttl_ms = i64::try_from(ttl.as_millis())
        .ok()
        .filter(|ms| *ms > 0)
        .ok_or_else(|| StoreError::invalid("ttl", "must be between 1 ms and i64::MAX ms"))?;
    let now_ms = now.timestamp_millis();
    let expires_ms = now_ms
        .checked_add(ttl_ms)
        .ok_or_else(|| StoreError::invalid("ttl", "now + ttl overflows"))?;
    Ok((now_ms, expires_ms))
}

fn lease_from_millis(
    job: &str,
    holder: &str,
    acquired_ms: i64,
    expires_ms: i64,
) -> StoreResult<Lease> {
    let at = |ms: i64| {
        DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt {
            key: format!("lease {job}"),
            detail: format!("timestamp {ms} ms out of range"),
        })
    };
    Ok(Lease {
        job: job.to_owned(),
        holder: holder.to_owned(),
        acquired_at: at(acquired_ms)?,
        expires_at: at(expires_ms)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_time_key_is_fixed_width_and_ordered() {
        let a = DateTime::from_timestamp(1_790_000_000, 5_000).expect("valid");
        let b = DateTime::from_timestamp(1_790_000_000, 120_000_000).expect("valid");
        let (ka, kb) = (audit_time_key(a), audit_time_key(b));
        assert_eq!(ka.len(), kb.len());
        assert!(ka < kb, "{ka} < {kb}");
        assert!(ka.ends_with(".000005Z"), "{ka}");
    }

    #[test]
    fn lease_span_rejects_zero_ttl_and_blank_names() {
        let now = Utc::now();
        assert!(lease_span("job", "me", Duration::ZERO, now).is_err());
        assert!(lease_span("", "me", Duration::from_secs(1), now).is_err());
        let (a, e) = lease_span("job", "me", Duration::from_secs(2), now).expect("valid");
        assert_eq!(e - a, 2000);
    }
}
