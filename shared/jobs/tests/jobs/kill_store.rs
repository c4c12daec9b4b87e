//! A store that can die after a write: every call goes to the real store, and the Nth
//! write, once applied, is never answered. The chaos suite drops the job's future then,
//! as a Lambda killed between two store calls, with nothing outbound in between.

use async_trait::async_trait;
use bridge_core::contracts::CompanySnapshot;
use bridge_core::mapping::CustomerMapping;
use bridge_core::provisioning::PendingProvisioning;
use bridge_core::records::{
    AlertTicket, AuditEntry, AuditQuery, DatabaseIdentity, JobStatus, Lease, Page, PauseState,
    QuotaSync, SkippedAlert, UsageDay, UsageLedgerEntry, UsageReport, Versioned,
};
use bridge_core::settings::Settings;
use bridge_store::store::prelude::*;
use bridge_store::store::{ExpectedMapping, MapOutcome, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

pub struct KillStore {
    inner: Arc<dyn Store>,
    /// The write (0-based) after which the store never answers again.
    pub kill_after: Mutex<Option<usize>>,
    /// Told once that write is applied.
    pub killed: Notify,
    /// The writes since the last reset, by method name: their count numbers the next
    /// one, and a seed's trail shows them.
    pub log: Mutex<Vec<&'static str>>,
}

impl KillStore {
    pub fn new(inner: Arc<dyn Store>) -> KillStore {
        KillStore {
            inner,
            kill_after: Mutex::new(None),
            killed: Notify::new(),
            log: Mutex::new(Vec::new()),
        }
    }

    /// Forgets the writes so far: the next one is write 0.
    pub fn reset(&self) {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Writes since the last reset.
    pub fn writes(&self) -> usize {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn arm(&self, nth: Option<usize>) {
        *self.kill_after.lock().unwrap_or_else(|p| p.into_inner()) = nth;
    }

    /// Counts a write that was applied (or refused) and holds it forever if it is the
    /// one to die after.
    async fn written(&self, method: &'static str) {
        let n = {
            let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
            log.push(method);
            log.len() - 1
        };
        let kill = *self.kill_after.lock().unwrap_or_else(|p| p.into_inner());
        if kill == Some(n) {
            self.killed.notify_one();
            std::future::pending::<()>().await;
        }
    }
}

/// Implements one store trait by handing every call to the inner store; a `write`
/// method then passes [`KillStore::written`].
macro_rules! delegate {
    ($trait:ident { $($kind:ident fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)* }) => {
        #[async_trait]
        impl $trait for KillStore {
            $(
                async fn $name(&self, $($arg: $ty),*) -> StoreResult<$ret> {
                    let out = self.inner.$name($($arg),*).await;
                    if stringify!($kind) == "write" {
                        self.written(stringify!($name)).await;
                    }
                    out
                }
            )*
        }
    };
}

delegate!(DatabaseResetStore {
    write fn forget_database() -> BTreeMap<String, u64>;
});

delegate!(SettingsStore {
    read fn get_settings() -> Option<Versioned<Settings>>;
    write fn put_settings(settings: &Settings, expected_version: Option<u64>) -> u64;
    read fn get_pause() -> Option<Versioned<PauseState>>;
    write fn put_pause(pause: &PauseState, expected_version: Option<u64>) -> u64;
    read fn get_database_identity() -> Option<Versioned<DatabaseIdentity>>;
    write fn put_database_identity(
        identity: &DatabaseIdentity,
        expected_version: Option<u64>
    ) -> u64;
});

delegate!(MappingStore {
    read fn get_mapping_by_company(company_id: i64) -> Option<CustomerMapping>;
    read fn get_mapping_by_tenant(tenant_id: &str) -> Option<CustomerMapping>;
    read fn list_mappings(limit: u32, page_token: Option<&str>) -> Page<CustomerMapping>;
    write fn put_mapping(mapping: &CustomerMapping) -> Option<CustomerMapping>;
    write fn map_company(mapping: &CustomerMapping, expected: &ExpectedMapping) -> MapOutcome;
    write fn delete_mapping(company_id: i64, expected: &ExpectedMapping) -> CustomerMapping;
});

delegate!(SnapshotStore {
    read fn get_contract_snapshot(company_id: i64) -> Option<Versioned<CompanySnapshot>>;
    write fn put_contract_snapshot(
        snapshot: &CompanySnapshot,
        expected_version: Option<u64>
    ) -> u64;
    read fn get_pending_provisioning(
        company_id: i64
    ) -> Option<Versioned<PendingProvisioning>>;
    write fn put_pending_provisioning(
        pending: &PendingProvisioning,
        expected_version: Option<u64>
    ) -> u64;
    write fn delete_pending_provisioning(company_id: i64) -> ();
    read fn list_pending_provisioning() -> Vec<Versioned<PendingProvisioning>>;
});

delegate!(LeaseStore {
    read fn get_cursor(name: &str) -> Option<Versioned<String>>;
    write fn put_cursor(name: &str, value: &str, expected_version: Option<u64>) -> u64;
    write fn acquire_lease(
        job: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>
    ) -> Option<Lease>;
    write fn renew_lease(
        job: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>
    ) -> Option<Lease>;
    write fn release_lease(job: &str, holder: &str) -> bool;
});

delegate!(AuditStore {
    write fn append_audit(entry: &AuditEntry) -> ();
    read fn list_audit(query: &AuditQuery, now: DateTime<Utc>) -> Page<AuditEntry>;
});

delegate!(LedgerStore {
    read fn get_usage(
        contract_service_id: i64,
        period: &str
    ) -> Option<Versioned<UsageLedgerEntry>>;
    read fn get_usages(
        period: &str,
        contract_service_ids: &[i64]
    ) -> BTreeMap<i64, Versioned<UsageLedgerEntry>>;
    write fn put_usage(
        entry: &UsageLedgerEntry,
        expected_version: Option<u64>,
        audit: &AuditEntry
    ) -> u64;
});

delegate!(AlertTicketStore {
    read fn get_alert_ticket(alert_key: &str) -> Option<Versioned<AlertTicket>>;
    write fn put_alert_ticket(ticket: &AlertTicket, expected_version: Option<u64>) -> u64;
    read fn list_alert_tickets(
        company_id: Option<i64>,
        limit: u32,
        page_token: Option<&str>
    ) -> Page<Versioned<AlertTicket>>;
    write fn put_skipped_alert(skipped: &SkippedAlert) -> ();
    read fn list_skipped_alerts(
        limit: u32,
        page_token: Option<&str>,
        now: DateTime<Utc>
    ) -> Page<SkippedAlert>;
});

delegate!(JobRunStore {
    read fn get_job_status(job: &str) -> Option<JobStatus>;
    write fn put_job_status(status: &JobStatus) -> ();
    read fn list_job_statuses() -> Vec<JobStatus>;
});

delegate!(QuotaSyncStore {
    read fn get_quota_sync(company_id: i64) -> Option<Versioned<QuotaSync>>;
    read fn get_quota_syncs(company_ids: &[i64]) -> BTreeMap<i64, Versioned<QuotaSync>>;
    write fn put_quota_sync(record: &QuotaSync, expected_version: Option<u64>) -> u64;
    write fn delete_quota_sync(company_id: i64) -> ();
});

delegate!(UsageHistoryStore {
    write fn put_usage_days(days: &[UsageDay]) -> ();
    read fn latest_usage_days(
        tenant_ids: &[String],
        from: NaiveDate,
        to: NaiveDate
    ) -> BTreeMap<String, UsageDay>;
    write fn put_usage_reports(reports: &[UsageReport]) -> ();
    read fn get_usage_reports(company_ids: &[i64]) -> BTreeMap<i64, UsageReport>;
});
