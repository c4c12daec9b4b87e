//! The embedded adapter for local mode: one SQLite file (WAL), same semantics as DynamoDB.
//!
//! One connection behind a mutex, used only from `spawn_blocking`, so the async runtime
//! never waits on disk. Every write runs in a `BEGIN IMMEDIATE` transaction: the check and
//! the write it guards are one atomic step, exactly like a DynamoDB conditional write.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bridge_core::contracts::CompanySnapshot;
use bridge_core::mapping::CustomerMapping;
use bridge_core::provisioning::PendingProvisioning;
use bridge_core::records::{
    AlertTicket, AuditEntry, AuditQuery, Lease, Page, UsageLedgerEntry, Versioned,
};
use bridge_core::settings::Settings;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::page_token::{self, TokenKey};
use super::{
    Store, StoreError, StoreResult, audit_time_key, lease_from_millis, lease_span, pending_what,
    tenant_taken, usage_what, validate,
};

/// Bump with a migration step in [`migrate`] whenever the schema changes.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS documents (
    kind    TEXT    NOT NULL,
    key     TEXT    NOT NULL,
    version INTEGER NOT NULL,
    body    TEXT    NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS customer_mappings (
    company_id INTEGER PRIMARY KEY,
    tenant_id  TEXT    NOT NULL UNIQUE,
    body       TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS usage_ledger (
    contract_service_id INTEGER NOT NULL,
    period              TEXT    NOT NULL,
    body                TEXT    NOT NULL,
    PRIMARY KEY (contract_service_id, period)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
    job         TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    acquired_ms INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_log (
    at_key     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    expires_ms INTEGER,
    body       TEXT    NOT NULL,
    PRIMARY KEY (at_key, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_by_kind ON audit_log (kind, at_key, id);
CREATE INDEX IF NOT EXISTS audit_by_expiry ON audit_log (expires_ms) WHERE expires_ms IS NOT NULL;
";

/// Kinds of single versioned documents in the `documents` table.
mod kind {
    pub const SETTINGS: &str = "settings";
    pub const CURSOR: &str = "cursor";
    pub const ALERT_TICKET: &str = "alert_ticket";
    pub const CONTRACT_SNAPSHOT: &str = "contract_snapshot";
    /// Keyed by the zero-padded company id, so key order is company order.
    pub const PENDING_PROVISIONING: &str = "pending_provisioning";
}

fn pending_key(company_id: i64) -> String {
    format!("{company_id:020}")
}

/// The embedded [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store file, in WAL mode, and migrates its schema.
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<SqliteStore> {
        let path = path.as_ref().to_owned();
        let conn = tokio::task::spawn_blocking(move || -> StoreResult<Connection> {
            let conn = Connection::open(&path).map_err(|e| {
                StoreError::backend("open", format!("cannot open {}: {e}", path.display()))
            })?;
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(|e| StoreError::backend("open", e))?;
            Ok(conn)
        })
        .await
        .map_err(|e| StoreError::backend("open", e))??;
        Self::init(conn).await
    }

    /// A private store that lives as long as this value (tests, dry runs).
    pub async fn open_in_memory() -> StoreResult<SqliteStore> {
        let conn = Connection::open_in_memory().map_err(|e| StoreError::backend("open", e))?;
        Self::init(conn).await
    }

    async fn init(conn: Connection) -> StoreResult<SqliteStore> {
        let store = SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        };
        store
            .run("migrate", |conn| {
                // Another process (a second local runner) may hold the write lock briefly.
                conn.busy_timeout(Duration::from_secs(5))?;
                migrate(conn)
            })
            .await?;
        Ok(store)
    }

    /// Runs `work` on the connection in a blocking thread.
    async fn run<T, F>(&self, operation: &'static str, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, SqlError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let joined = tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| {
                SqlError::Store(StoreError::backend(operation, "connection poisoned"))
            })?;
            work(&mut guard)
        })
        .await
        .map_err(|e| StoreError::backend(operation, e))?;
        joined.map_err(|e| e.into_store(operation))
    }

    /// Runs `work` inside one `BEGIN IMMEDIATE` transaction, committed if it succeeds.
    async fn write<T, F>(&self, operation: &'static str, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, SqlError> + Send + 'static,
    {
        self.run(operation, move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = work(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    async fn get_doc<T>(&self, kind: &'static str, key: String) -> StoreResult<Option<Versioned<T>>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.run("get", move |conn| {
            let row: Option<(i64, String)> = conn
                .query_row(
                    "SELECT version, body FROM documents WHERE kind = ?1 AND key = ?2",
                    params![kind, key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            row.map(|(version, body)| {
                let what = format!("{kind} {key}");
                Ok(Versioned {
                    value: decode(&what, &body)?,
                    version: to_version(&what, version)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn put_doc<T: Serialize>(
        &self,
        kind: &'static str,
        key: String,
        value: &T,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let body = encode(kind, value)?;
        self.write("put", move |tx| {
            let what = format!("{kind} {key}");
            let current: Option<i64> = tx
                .query_row(
                    "SELECT version FROM documents WHERE kind = ?1 AND key = ?2",
                    params![kind, key],
                    |row| row.get(0),
                )
                .optional()?;
            let current = current.map(|v| to_version(&what, v)).transpose()?;
            check_version(&what, current, expected_version)?;
            let next = current.unwrap_or(0) + 1;
            tx.execute(
                "INSERT INTO documents (kind, key, version, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version, body = excluded.body",
                params![kind, key, to_sql_version(next)?, body],
            )?;
            Ok(next)
        })
        .await
    }
}

fn migrate(conn: &mut Connection) -> Result<(), SqlError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(SqlError::Store(StoreError::backend(
            "migrate",
            format!("store schema {version} is newer than this build ({SCHEMA_VERSION})"),
        )));
    }
    tx.execute_batch(SCHEMA)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// The same rule as the DynamoDB condition expressions: `None` = must not exist.
fn check_version(what: &str, current: Option<u64>, expected: Option<u64>) -> Result<(), SqlError> {
    match (current, expected) {
        (None, None) => Ok(()),
        (Some(current), Some(expected)) if current == expected => Ok(()),
        (None, Some(_)) => Err(SqlError::Store(StoreError::NotFound {
            what: what.to_owned(),
        })),
        (Some(current), _) => Err(SqlError::Store(StoreError::Conflict {
            what: what.to_owned(),
            current_version: Some(current),
        })),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn get_settings(&self) -> StoreResult<Option<Versioned<Settings>>> {
        self.get_doc(kind::SETTINGS, String::new()).await
    }

    async fn put_settings(
        &self,
        settings: &Settings,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        self.put_doc(kind::SETTINGS, String::new(), settings, expected_version)
            .await
    }

    async fn get_mapping_by_company(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<CustomerMapping>> {
        self.run("get_mapping_by_company", move |conn| {
            mapping_where(conn, "company_id = ?1", company_id)
        })
        .await
    }

    async fn get_mapping_by_tenant(&self, tenant_id: &str) -> StoreResult<Option<CustomerMapping>> {
        validate::name("tenant_id", tenant_id)?;
        let tenant_id = tenant_id.to_owned();
        self.run("get_mapping_by_tenant", move |conn| {
            mapping_where(conn, "tenant_id = ?1", tenant_id)
        })
        .await
    }

    async fn list_mappings(
        &self,
        limit: u32,
        page_token: Option<&str>,
    ) -> StoreResult<Page<CustomerMapping>> {
        let limit = validate::limit(limit)?;
        let after: i64 = match page_token {
            None => -1,
            Some(token) => {
                let key = page_token::decode(token, &["scope", "company_id"], "scope", "mappings")?;
                key["company_id"]
                    .parse()
                    .map_err(|_| StoreError::invalid("page_token", "not a page token"))?
            }
        };
        self.run("list_mappings", move |conn| {
            let mut stmt = conn.prepare(
                "SELECT company_id, body FROM customer_mappings WHERE company_id > ?1
                 ORDER BY company_id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after, i64::from(limit) + 1], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut items = Vec::new();
            let mut more = false;
            for row in rows {
                let (company_id, body) = row?;
                if items.len() == limit as usize {
                    more = true;
                    break;
                }
                items.push(decode::<CustomerMapping>(
                    &format!("mapping {company_id}"),
                    &body,
                )?);
            }
            let next_page_token = match (more, items.last()) {
                (true, Some(last)) => Some(page_token::encode(&TokenKey::from([
                    ("scope".to_owned(), "mappings".to_owned()),
                    ("company_id".to_owned(), last.company_id.to_string()),
                ]))),
                _ => None,
            };
            Ok(Page {
                items,
                next_page_token,
            })
        })
        .await
    }

    async fn put_mapping(&self, mapping: &CustomerMapping) -> StoreResult<Option<CustomerMapping>> {
        validate::id("company_id", mapping.company_id)?;
        validate::name("tenant_id", &mapping.tenant_id)?;
        let body = encode("mapping", mapping)?;
        let (company_id, tenant_id) = (mapping.company_id, mapping.tenant_id.clone());
        self.write("put_mapping", move |tx| {
            let owner: Option<i64> = tx
                .query_row(
                    "SELECT company_id FROM customer_mappings WHERE tenant_id = ?1",
                    params![tenant_id],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(owner) = owner.filter(|owner| *owner != company_id) {
                return Err(SqlError::Store(tenant_taken(&tenant_id, owner)));
            }
            let previous = mapping_where(tx, "company_id = ?1", company_id)?;
            // One row holds both directions (tenant_id is UNIQUE), so replacing it frees
            // the old tenant in the same statement.
            tx.execute(
                "INSERT INTO customer_mappings (company_id, tenant_id, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (company_id) DO UPDATE SET tenant_id = excluded.tenant_id, body = excluded.body",
                params![company_id, tenant_id, body],
            )?;
            Ok(previous)
        })
        .await
    }

    async fn delete_mapping(&self, company_id: i64) -> StoreResult<CustomerMapping> {
        self.write("delete_mapping", move |tx| {
            let previous = mapping_where(tx, "company_id = ?1", company_id)?.ok_or_else(|| {
                SqlError::Store(StoreError::NotFound {
                    what: format!("mapping of company {company_id}"),
                })
            })?;
            tx.execute(
                "DELETE FROM customer_mappings WHERE company_id = ?1",
                params![company_id],
            )?;
            Ok(previous)
        })
        .await
    }

    async fn get_contract_snapshot(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<Versioned<CompanySnapshot>>> {
        self.get_doc(kind::CONTRACT_SNAPSHOT, company_id.to_string())
            .await
    }

    async fn put_contract_snapshot(
        &self,
        snapshot: &CompanySnapshot,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        validate::id("company_id", snapshot.company_id)?;
        let key = snapshot.company_id.to_string();
        self.put_doc(kind::CONTRACT_SNAPSHOT, key, snapshot, expected_version)
            .await
    }

    async fn get_pending_provisioning(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<Versioned<PendingProvisioning>>> {
        validate::id("company_id", company_id)?;
        self.get_doc(kind::PENDING_PROVISIONING, pending_key(company_id))
            .await
    }

    async fn put_pending_provisioning(
        &self,
        pending: &PendingProvisioning,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let company_id = pending.tenant.company_id;
        validate::id("tenant.company_id", company_id)?;
        self.put_doc(
            kind::PENDING_PROVISIONING,
            pending_key(company_id),
            pending,
            expected_version,
        )
        .await
    }

    async fn delete_pending_provisioning(&self, company_id: i64) -> StoreResult<()> {
        validate::id("company_id", company_id)?;
        self.write("delete_pending_provisioning", move |tx| {
            let deleted = tx.execute(
                "DELETE FROM documents WHERE kind = ?1 AND key = ?2",
                params![kind::PENDING_PROVISIONING, pending_key(company_id)],
            )?;
            if deleted == 0 {
                return Err(SqlError::Store(StoreError::NotFound {
                    what: pending_what(company_id),
                }));
            }
            Ok(())
        })
        .await
    }

    async fn list_pending_provisioning(&self) -> StoreResult<Vec<Versioned<PendingProvisioning>>> {
        self.run("list_pending_provisioning", |conn| {
            let mut stmt = conn
                .prepare("SELECT key, version, body FROM documents WHERE kind = ?1 ORDER BY key")?;
            let rows = stmt.query_map(params![kind::PENDING_PROVISIONING], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (key, version, body) = row?;
                let what = format!("{} {key}", kind::PENDING_PROVISIONING);
                out.push(Versioned {
                    value: decode(&what, &body)?,
                    version: to_version(&what, version)?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn get_cursor(&self, name: &str) -> StoreResult<Option<Versioned<String>>> {
        validate::name("cursor name", name)?;
        self.get_doc(kind::CURSOR, name.to_owned()).await
    }

    async fn put_cursor(
        &self,
        name: &str,
        value: &str,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        validate::name("cursor name", name)?;
        self.put_doc(kind::CURSOR, name.to_owned(), &value, expected_version)
            .await
    }

    async fn record_usage(&self, entry: &UsageLedgerEntry) -> StoreResult<()> {
        validate::id("contract_service_id", entry.contract_service_id)?;
        validate::name("period", &entry.period)?;
        let body = encode("usage ledger entry", entry)?;
        let (id, period) = (entry.contract_service_id, entry.period.clone());
        self.write("record_usage", move |tx| {
            let inserted = tx.execute(
                "INSERT INTO usage_ledger (contract_service_id, period, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![id, period, body],
            )?;
            if inserted == 0 {
                return Err(SqlError::Store(StoreError::AlreadyExists {
                    what: usage_what(id, &period),
                }));
            }
            Ok(())
        })
        .await
    }

    async fn get_usage(
        &self,
        contract_service_id: i64,
        period: &str,
    ) -> StoreResult<Option<UsageLedgerEntry>> {
        validate::name("period", period)?;
        let period = period.to_owned();
        self.run("get_usage", move |conn| {
            let body: Option<String> = conn
                .query_row(
                    "SELECT body FROM usage_ledger WHERE contract_service_id = ?1 AND period = ?2",
                    params![contract_service_id, period],
                    |row| row.get(0),
                )
                .optional()?;
            let what = usage_what(contract_service_id, &period);
            Ok(body.map(|body| decode(&what, &body)).transpose()?)
        })
        .await
    }

    async fn get_alert_ticket(
        &self,
        alert_key: &str,
    ) -> StoreResult<Option<Versioned<AlertTicket>>> {
        validate::name("alert_key", alert_key)?;
        self.get_doc(kind::ALERT_TICKET, alert_key.to_owned()).await
    }

    async fn put_alert_ticket(
        &self,
        ticket: &AlertTicket,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        validate::name("alert_key", &ticket.alert_key)?;
        let key = ticket.alert_key.clone();
        self.put_doc(kind::ALERT_TICKET, key, ticket, expected_version)
            .await
    }

    async fn acquire_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Lease>> {
        let (now_ms, expires_ms) = lease_span(job, holder, ttl, now)?;
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.write("acquire_lease", move |tx| {
            // Taken when free, expired, or already ours — the DynamoDB condition, verbatim.
            let taken = tx.execute(
                "INSERT INTO leases (job, holder, acquired_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (job) DO UPDATE SET holder = excluded.holder,
                     acquired_ms = excluded.acquired_ms, expires_ms = excluded.expires_ms
                 WHERE leases.expires_ms <= ?3 OR leases.holder = ?2",
                params![job, holder, now_ms, expires_ms],
            )?;
            if taken == 0 {
                return Ok(None);
            }
            Ok(Some(lease_from_millis(&job, &holder, now_ms, expires_ms)?))
        })
        .await
    }

    async fn renew_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Lease>> {
        let (_, expires_ms) = lease_span(job, holder, ttl, now)?;
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.write("renew_lease", move |tx| {
            let acquired_ms: Option<i64> = tx
                .query_row(
                    "UPDATE leases SET expires_ms = ?3 WHERE job = ?1 AND holder = ?2
                     RETURNING acquired_ms",
                    params![job, holder, expires_ms],
                    |row| row.get(0),
                )
                .optional()?;
            acquired_ms
                .map(|acquired_ms| lease_from_millis(&job, &holder, acquired_ms, expires_ms))
                .transpose()
                .map_err(SqlError::Store)
        })
        .await
    }

    async fn release_lease(&self, job: &str, holder: &str) -> StoreResult<bool> {
        validate::name("job", job)?;
        validate::name("holder", holder)?;
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.write("release_lease", move |tx| {
            let deleted = tx.execute(
                "DELETE FROM leases WHERE job = ?1 AND holder = ?2",
                params![job, holder],
            )?;
            Ok(deleted == 1)
        })
        .await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        validate::name("id", &entry.id)?;
        validate::name("kind", &entry.kind)?;
        let body = encode("audit entry", entry)?;
        let at_key = audit_time_key(entry.at);
        let (id, kind) = (entry.id.clone(), entry.kind.clone());
        let expires_ms = entry.expires_at.map(|t| t.timestamp_millis());
        self.write("append_audit", move |tx| {
            let inserted = tx.execute(
                "INSERT INTO audit_log (at_key, id, kind, expires_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO NOTHING",
                params![at_key, id, kind, expires_ms, body],
            )?;
            if inserted == 0 {
                return Err(SqlError::Store(StoreError::AlreadyExists {
                    what: format!("audit entry {id} at {at_key}"),
                }));
            }
            Ok(())
        })
        .await
    }

    async fn list_audit(
        &self,
        query: &AuditQuery,
        now: DateTime<Utc>,
    ) -> StoreResult<Page<AuditEntry>> {
        if let Some(kind) = &query.kind {
            validate::name("kind", kind)?;
        }
        let scope = audit_scope(query.kind.as_deref());
        let after = query
            .page_token
            .as_deref()
            .map(|token| page_token::decode(token, &["scope", "at_key", "id"], "scope", &scope))
            .transpose()?;
        let limit = query.effective_limit();
        let kind = query.kind.clone();
        let since = query.since.map(audit_time_key);
        let until = query.until.map(audit_time_key);
        let now_ms = now.timestamp_millis();
        self.run("list_audit", move |conn| {
            // Retention: purge what has expired, and filter in the query anyway.
            conn.execute(
                "DELETE FROM audit_log WHERE expires_ms IS NOT NULL AND expires_ms <= ?1",
                params![now_ms],
            )?;
            let (after_at, after_id) = match &after {
                Some(key) => (Some(key["at_key"].clone()), Some(key["id"].clone())),
                None => (None, None),
            };
            let mut stmt = conn.prepare(
                "SELECT at_key, id, body FROM audit_log
                 WHERE (?1 IS NULL OR kind = ?1)
                   AND (?2 IS NULL OR at_key >= ?2)
                   AND (?3 IS NULL OR at_key < ?3)
                   AND (expires_ms IS NULL OR expires_ms > ?4)
                   AND (?5 IS NULL OR (at_key, id) < (?5, ?6))
                 ORDER BY at_key DESC, id DESC
                 LIMIT ?7",
            )?;
            let rows = stmt.query_map(
                params![
                    kind,
                    since,
                    until,
                    now_ms,
                    after_at,
                    after_id,
                    i64::from(limit) + 1
                ],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                },
            )?;
            let mut items = Vec::new();
            let mut last_key = None;
            let mut more = false;
            for row in rows {
                let (at_key, id, body) = row?;
                if items.len() == limit as usize {
                    more = true;
                    break;
                }
                items.push(decode::<AuditEntry>(&format!("audit entry {id}"), &body)?);
                last_key = Some((at_key, id));
            }
            let next_page_token = match (more, last_key) {
                (true, Some((at_key, id))) => Some(page_token::encode(&TokenKey::from([
                    ("scope".to_owned(), scope),
                    ("at_key".to_owned(), at_key),
                    ("id".to_owned(), id),
                ]))),
                _ => None,
            };
            Ok(Page {
                items,
                next_page_token,
            })
        })
        .await
    }
}

/// Tokens of a kind-filtered listing only continue that listing.
fn audit_scope(kind: Option<&str>) -> String {
    match kind {
        Some(kind) => format!("audit#{kind}"),
        None => "audit".to_owned(),
    }
}

fn mapping_where(
    conn: &Connection,
    condition: &str,
    value: impl rusqlite::ToSql,
) -> Result<Option<CustomerMapping>, SqlError> {
    let sql = format!("SELECT company_id, body FROM customer_mappings WHERE {condition}");
    let row: Option<(i64, String)> = conn
        .query_row(&sql, params![value], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(row
        .map(|(company_id, body)| decode(&format!("mapping {company_id}"), &body))
        .transpose()?)
}

fn encode<T: Serialize + ?Sized>(what: &str, value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::invalid("record", format!("{what}: {e}")))
}

fn decode<T: DeserializeOwned>(what: &str, body: &str) -> StoreResult<T> {
    serde_json::from_str(body).map_err(|e| StoreError::corrupt(what, e))
}

fn to_version(what: &str, version: i64) -> StoreResult<u64> {
    u64::try_from(version).map_err(|_| StoreError::corrupt(what, format!("version {version}")))
}

fn to_sql_version(version: u64) -> StoreResult<i64> {
    i64::try_from(version).map_err(|_| StoreError::backend("put", "version overflow"))
}

/// Errors inside a blocking closure: SQLite's own, or a decided store outcome.
enum SqlError {
    Sqlite(rusqlite::Error),
    Store(StoreError),
}

impl SqlError {
    fn into_store(self, operation: &'static str) -> StoreError {
        match self {
            SqlError::Sqlite(e) => StoreError::backend(operation, e),
            SqlError::Store(e) => e,
        }
    }
}

impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> Self {
        SqlError::Sqlite(e)
    }
}

impl From<StoreError> for SqlError {
    fn from(e: StoreError) -> Self {
        SqlError::Store(e)
    }
}
