//! Plain records the store persists for the jobs: versions, ledgers, alert tickets and
//! skipped alerts, leases, audit, job runs, quota sync, usage history and reports.
//!
//! Pure data with serde, so jobs and planners can use them without depending on the
//! store crate. The store decides how they are keyed; these types only say what they are.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::usage::{Overuse, SkippedUsage, UsageFigure};

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
/// One versioned entry per contract service and period: a rerun that finds the same
/// units changes nothing, and a correction inside an open period replaces the entry.
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
///
/// One record per alert key, versioned by the store. Creating a ticket is two writes
/// around one Autotask call: the record goes `Pending` (the intent) before the create
/// call and `Open` with the ticket id after it. A run killed in between leaves a
/// `Pending` record, and the next run first looks for a ticket whose `externalID` is the
/// alert key before it creates one, so an alert never gets two tickets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertTicket {
    /// Dedup key: see [`AlertTicket::key`]. Also the ticket's `externalID`.
    pub alert_key: String,
    /// Records written before the state existed had a ticket, hence `Open`.
    #[serde(default)]
    pub state: AlertTicketState,
    /// Autotask `Tickets.id`; `None` only while `Pending`.
    #[serde(default)]
    pub ticket_id: Option<i64>,
    /// Autotask `Tickets.ticketNumber` (e.g. `T20261001.0042`), for display.
    #[serde(default)]
    pub ticket_number: Option<String>,
    /// Autotask company the ticket was opened for, when the tenant is mapped.
    #[serde(default)]
    pub company_id: Option<i64>,
    /// Acronis tenant uuid of the alert.
    #[serde(default)]
    pub tenant_id: String,
    /// Acronis alert id.
    #[serde(default)]
    pub alert_id: String,
    /// Acronis alert `type` (a short name or a CTI id).
    #[serde(default)]
    pub alert_type: String,
    /// When the current ticket was opened (for `Pending`: when the intent was recorded).
    pub opened_at: DateTime<Utc>,
    /// When the bridge last handled the alert.
    pub last_seen_at: DateTime<Utc>,
    /// When the ticket was closed (by the bridge's auto-close, or seen closed); the
    /// re-opening window counts from here when Autotask's `completedDate` is unknown.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// What the bridge last did: see `tickets::TicketAction::name` (`created`, `note`,
    /// `reopened`, `closed`, `adopted`).
    #[serde(default)]
    pub last_action: Option<String>,
    /// The alert's `updatedAt` the last action handled (for `Pending`: the update the
    /// ticket is being created for). A re-read alert at this instant changes nothing.
    #[serde(default)]
    pub last_updated_at: Option<DateTime<Utc>>,
    /// Earlier tickets of the alert, oldest first: a repeat long after its ticket was
    /// closed gets a new ticket with the same `externalID`, so recovery must tell the
    /// new one from these. At most [`AlertTicket::MAX_PREVIOUS_TICKETS`], newest kept.
    #[serde(default)]
    pub previous_ticket_ids: Vec<i64>,
}

/// Where an alert's ticket stands, as the bridge last knew it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertTicketState {
    /// The create call is about to be made (or was, by a run that was killed).
    Pending,
    #[default]
    Open,
    Closed,
}

impl AlertTicket {
    /// Most earlier ticket ids kept in `previous_ticket_ids`.
    pub const MAX_PREVIOUS_TICKETS: usize = 100;
    /// Longest `alert_type` kept (CTI ids are long, but not this long).
    pub const MAX_ALERT_TYPE_CHARS: usize = 500;
    /// Longest `ticket_number` accepted (Autotask's are `T20261001.0042`).
    pub const MAX_TICKET_NUMBER_CHARS: usize = 50;
    /// Longest `last_action` accepted.
    pub const MAX_LAST_ACTION_CHARS: usize = 50;

    /// The dedup key: Acronis alert ids are only unique together with their tenant.
    pub fn key(tenant_id: &str, alert_id: &str) -> String {
        format!("{tenant_id}/{alert_id}")
    }

    /// Whether `ticket_id` is the alert's current or an earlier ticket.
    pub fn knows_ticket(&self, ticket_id: i64) -> bool {
        self.ticket_id == Some(ticket_id) || self.previous_ticket_ids.contains(&ticket_id)
    }
}

/// An alert the alert job could not turn into a ticket action (no tenant, a payload it
/// cannot read, an Autotask refusal), kept so the operator can see why.
///
/// One record per alert key, overwritten by a later skip of the same alert. Build it
/// with [`SkippedAlert::new`], which bounds the texts to what the store accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkippedAlert {
    /// [`AlertTicket::key`] of the alert, or the alert id alone when it names no tenant.
    pub alert_key: String,
    pub alert_id: String,
    /// Acronis tenant uuid, when the alert names one.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Why, in words; at most [`SkippedAlert::MAX_REASON_CHARS`] characters.
    pub reason: String,
    pub at: DateTime<Utc>,
    /// The alert as received (JSON), at most [`SkippedAlert::MAX_RAW_BYTES`] bytes.
    #[serde(default)]
    pub raw: Option<String>,
}

impl SkippedAlert {
    pub const MAX_REASON_CHARS: usize = 500;
    pub const MAX_RAW_BYTES: usize = 2048;

    /// A skipped alert with `reason` and `raw` cut to the store's limits (marked `…`).
    /// The key is [`AlertTicket::key`] with a tenant, the alert id without one.
    pub fn new(
        alert_id: &str,
        tenant: Option<&str>,
        reason: &str,
        at: DateTime<Utc>,
        raw: Option<&str>,
    ) -> SkippedAlert {
        SkippedAlert {
            alert_key: match tenant {
                Some(tenant) => AlertTicket::key(tenant, alert_id),
                None => alert_id.to_owned(),
            },
            alert_id: alert_id.to_owned(),
            tenant: tenant.map(str::to_owned),
            reason: crate::text::fit(reason, Self::MAX_REASON_CHARS),
            at,
            raw: raw.map(|raw| crate::text::fit_bytes(raw, Self::MAX_RAW_BYTES)),
        }
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

/// The pause switch: while `paused`, every job runs as a dry run (reads and plans go
/// on, nothing is written). The record keeps the last change: who paused or resumed,
/// when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseState {
    pub paused: bool,
    /// The operator who made the last change.
    pub by: String,
    pub at: DateTime<Utc>,
    /// Required to pause, optional to resume.
    #[serde(default)]
    pub reason: Option<String>,
}

impl PauseState {
    /// The note a paused run carries in its summary.
    pub fn note(&self) -> String {
        format!(
            "paused by {} at {}: {}",
            self.by,
            self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.reason.as_deref().unwrap_or("no reason given")
        )
    }
}

/// Which Autotask database the bridge works on: what the zone lookup answered at the
/// first successful Autotask credential save. `ci` identifies the database; the zone
/// may change when Autotask moves the database to another server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseIdentity {
    pub ci: i64,
    /// The zone's REST base when recorded.
    pub zone_url: String,
    pub recorded_at: DateTime<Utc>,
    /// The operator whose credential save recorded it.
    pub recorded_by: String,
    /// Another database the saved credentials reach, while the operator has not decided
    /// between going back and starting over; every job that writes stops meanwhile.
    /// Stored only while there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<DatabaseMismatch>,
}

/// Credentials that reach another Autotask database than the recorded one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseMismatch {
    pub ci: i64,
    pub zone_url: String,
    /// When it was first seen, and by whom (an operator's save or a job).
    pub seen_at: DateTime<Utc>,
    pub seen_by: String,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The quota changes a push was about to write, kept until it records itself: the
    /// next push audits those a killed run got Acronis to apply.
    #[serde(default)]
    pub intent: Option<QuotaIntent>,
}

/// Quota changes a push is about to write to a tenant.
///
/// Acronis may apply a write whose answer never reaches a run that dies meanwhile; the
/// next push then finds the quotas right and has nothing to change. With the intent it
/// can still audit the change, once: the audit entries' id and instant derive from the
/// intent, whichever run writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaIntent {
    /// When the push planned them: the instant of their audit entries.
    pub at: DateTime<Utc>,
    /// The contract snapshot version they were planned from.
    #[serde(default)]
    pub snapshot_version: Option<u64>,
    pub changes: Vec<IntendedQuota>,
}

/// One planned quota change, as its audit entry will say it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntendedQuota {
    /// The offering item (`name`, or `name` on its storage).
    pub item: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub reason: String,
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

/// What the usage job read of one tenant on one UTC day: the last figures seen that day.
///
/// One record per tenant and day, replaced by a later read of the same day. A past
/// reporting period is reported from the last record inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageDay {
    /// Acronis tenant uuid.
    pub tenant_id: String,
    /// The UTC date of `seen_at`.
    pub day: NaiveDate,
    #[serde(default)]
    pub figures: Vec<UsageFigure>,
    pub seen_at: DateTime<Utc>,
}

/// The outcome of the last usage report of one company (shown by the config API's
/// accounts route).
///
/// One record per company, replaced by each run (last write wins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageReport {
    /// Autotask `Companies.id`.
    pub company_id: i64,
    /// The tenant whose usage was reported.
    pub tenant_id: String,
    /// Ledger key of the period reported (`2026-11`, or `2026-10-15` for a custom
    /// billing month); `None` when no period was due.
    #[serde(default)]
    pub period: Option<String>,
    pub reported_at: DateTime<Utc>,
    /// Contract service unit updates written in that run.
    #[serde(default)]
    pub written: u32,
    #[serde(default)]
    pub skipped: Vec<SkippedUsage>,
    #[serde(default)]
    pub overuse: Vec<Overuse>,
    #[serde(default)]
    pub last_error: Option<JobErrorRecord>,
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
    fn an_alert_ticket_written_before_states_reads_as_open() {
        let json = r#"{"alert_key":"t-1/a-9","ticket_id":42,"ticket_number":"T20261001.0042",
                       "company_id":174,"opened_at":"2026-10-01T08:00:00Z",
                       "last_seen_at":"2026-10-01T08:00:00Z"}"#;
        let record: AlertTicket = serde_json::from_str(json).expect("old record");
        assert_eq!(record.state, AlertTicketState::Open);
        assert_eq!(record.ticket_id, Some(42));
        assert_eq!(
            (record.tenant_id.as_str(), record.alert_id.as_str()),
            ("", "")
        );
        assert_eq!((record.last_action, record.last_updated_at), (None, None));
        assert!(record.previous_ticket_ids.is_empty());
    }

    #[test]
    fn a_record_knows_its_current_and_earlier_tickets() {
        let json = r#"{"alert_key":"t-1/a-9","ticket_id":42,"previous_ticket_ids":[7],
                       "opened_at":"2026-10-01T08:00:00Z","last_seen_at":"2026-10-01T08:00:00Z"}"#;
        let record: AlertTicket = serde_json::from_str(json).expect("record");
        assert!(record.knows_ticket(42) && record.knows_ticket(7));
        assert!(!record.knows_ticket(43));
    }

    #[test]
    fn skipped_alert_texts_are_cut_to_the_store_limits() {
        let at = DateTime::parse_from_rfc3339("2026-10-01T08:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let long_reason = "x".repeat(2 * SkippedAlert::MAX_REASON_CHARS);
        let raw = format!(
            "{{\"details\":\"{}\"}}",
            "é".repeat(SkippedAlert::MAX_RAW_BYTES)
        );
        let skipped = SkippedAlert::new("a-9", Some("t-1"), &long_reason, at, Some(&raw));
        assert_eq!(skipped.alert_key, "t-1/a-9");
        assert_eq!(
            skipped.reason.chars().count(),
            SkippedAlert::MAX_REASON_CHARS
        );
        assert!(skipped.reason.ends_with('…'));
        let kept = skipped.raw.expect("raw kept");
        assert!(kept.len() <= SkippedAlert::MAX_RAW_BYTES, "{}", kept.len());
        assert!(kept.ends_with('…'));

        let untenanted = SkippedAlert::new("a-9", None, "no tenant", at, None);
        assert_eq!(
            (untenanted.alert_key.as_str(), untenanted.raw),
            ("a-9", None)
        );
    }

    #[test]
    fn audit_entry_rejects_unknown_fields() {
        let json = r#"{"id":"1","at":"2026-10-01T00:00:00Z","actor":"a","kind":"k",
                       "subject":"s","colour":"red"}"#;
        let err = serde_json::from_str::<AuditEntry>(json).expect_err("unknown field");
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn usage_report_lists_default_when_absent() {
        let json = r#"{"company_id":174,"tenant_id":"t-1","reported_at":"2026-10-01T08:00:00Z"}"#;
        let report: UsageReport = serde_json::from_str(json).expect("minimal report");
        assert_eq!((report.period, report.written), (None, 0));
        assert!(report.skipped.is_empty() && report.overuse.is_empty());
        assert_eq!(report.last_error, None);
        let json = r#"{"tenant_id":"t-1","day":"2026-10-01","seen_at":"2026-10-01T08:00:00Z"}"#;
        let day: UsageDay = serde_json::from_str(json).expect("minimal day");
        assert_eq!(day.day, NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"));
        assert!(day.figures.is_empty());
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
