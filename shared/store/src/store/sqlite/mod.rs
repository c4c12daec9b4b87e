//! The embedded adapter for local mode: one SQLite file (WAL), same semantics as DynamoDB.
//!
//! One connection behind a mutex, used only from `spawn_blocking`, so the async runtime
//! never waits on disk. Every write runs in a `BEGIN IMMEDIATE` transaction: the check and
//! the write it guards are one atomic step, exactly like a DynamoDB conditional write.

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

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bridge_core::records::Versioned;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{StoreError, StoreResult};

/// Bump with a migration step in [`migrate`] whenever the schema changes.
///
/// 2 added `job_statuses`, 3 added `quota_syncs`; an older file gains them through
/// `CREATE TABLE IF NOT EXISTS`. 4 added `alert_tickets` (listed by company, so they
/// left `documents`: [`move_alert_tickets`]) and `skipped_alerts`. 5 versions the usage
/// ledger ([`version_usage_ledger`]: rows of older files are at version 1) and added
/// `usage_days` and `usage_reports`.
const SCHEMA_VERSION: i64 = 5;

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
    version             INTEGER NOT NULL DEFAULT 1,
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
CREATE TABLE IF NOT EXISTS job_statuses (
    job  TEXT PRIMARY KEY,
    body TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quota_syncs (
    company_id INTEGER PRIMARY KEY,
    version    INTEGER NOT NULL,
    body       TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_tickets (
    alert_key  TEXT    PRIMARY KEY,
    sort_key   TEXT    NOT NULL,
    company_id INTEGER,
    version    INTEGER NOT NULL,
    body       TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alert_tickets_by_sort_key ON alert_tickets (sort_key);
CREATE INDEX IF NOT EXISTS alert_tickets_by_company ON alert_tickets (company_id, sort_key);
CREATE TABLE IF NOT EXISTS skipped_alerts (
    alert_key  TEXT    PRIMARY KEY,
    at_key     TEXT    NOT NULL,
    expires_ms INTEGER NOT NULL,
    body       TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS skipped_alerts_by_time ON skipped_alerts (at_key, alert_key);
CREATE INDEX IF NOT EXISTS skipped_alerts_by_expiry ON skipped_alerts (expires_ms);
CREATE TABLE IF NOT EXISTS usage_days (
    tenant_id TEXT NOT NULL,
    day       TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, day)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_days_by_day ON usage_days (day);
CREATE TABLE IF NOT EXISTS usage_reports (
    company_id INTEGER PRIMARY KEY,
    body       TEXT    NOT NULL
);
";

/// Kinds of single versioned documents in the `documents` table.
mod kind {
    pub const SETTINGS: &str = "settings";
    pub const PAUSE: &str = "pause";
    pub const DATABASE: &str = "database";
    pub const CURSOR: &str = "cursor";
    /// Before schema 4 only: alert tickets have their own table since.
    pub const ALERT_TICKET: &str = "alert_ticket";
    pub const CONTRACT_SNAPSHOT: &str = "contract_snapshot";
    /// Keyed by the zero-padded company id, so key order is company order.
    pub const PENDING_PROVISIONING: &str = "pending_provisioning";
}

fn pending_key(company_id: i64) -> String {
    format!("{company_id:020}")
}

/// The embedded [`Store`](super::Store): one `impl` per record family, one file each.
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
    if version < 4 {
        move_alert_tickets(&tx)?;
    }
    if version < 5 {
        version_usage_ledger(&tx)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Schema 4: alert tickets move from `documents` to `alert_tickets`, keeping their
/// versions; a body that does not decode moves too (it reads as `Corrupt`, as before).
fn move_alert_tickets(tx: &Transaction<'_>) -> Result<(), SqlError> {
    let rows = {
        let mut stmt = tx.prepare("SELECT key, version, body FROM documents WHERE kind = ?1")?;
        let rows = stmt.query_map(params![kind::ALERT_TICKET], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    for (key, version, body) in rows {
        let company_id = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|doc| doc.get("company_id")?.as_i64())
            .filter(|id| *id >= 0);
        tx.execute(
            "INSERT INTO alert_tickets (alert_key, sort_key, company_id, version, body)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (alert_key) DO NOTHING",
            params![
                key,
                super::alert_ticket_sort_key(company_id, &key),
                company_id,
                version,
                body
            ],
        )?;
    }
    tx.execute(
        "DELETE FROM documents WHERE kind = ?1",
        params![kind::ALERT_TICKET],
    )?;
    Ok(())
}

/// Schema 5: the usage ledger gains its `version` column; the rows it holds are at
/// version 1. A table created by this schema has the column already.
fn version_usage_ledger(tx: &Transaction<'_>) -> Result<(), SqlError> {
    let versioned: i64 = tx.query_row(
        "SELECT count(*) FROM pragma_table_info('usage_ledger') WHERE name = 'version'",
        [],
        |row| row.get(0),
    )?;
    if versioned == 0 {
        tx.execute_batch("ALTER TABLE usage_ledger ADD COLUMN version INTEGER NOT NULL DEFAULT 1")?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn migrated(conn: &mut Connection) {
        migrate(conn)
            .map_err(|e| e.into_store("migrate"))
            .expect("migrate");
    }

    fn user_version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("user_version")
    }

    fn has_table(conn: &Connection, name: &str) -> bool {
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                params![name],
                |row| row.get(0),
            )
            .expect("count");
        tables == 1
    }

    /// Tables that schemas before 5 did not have, and the write-once ledger of those
    /// schemas.
    const SCHEMA_5_TABLES: &str = "DROP TABLE usage_days; DROP TABLE usage_reports;
        DROP TABLE usage_ledger;
        CREATE TABLE usage_ledger (
            contract_service_id INTEGER NOT NULL,
            period              TEXT    NOT NULL,
            body                TEXT    NOT NULL,
            PRIMARY KEY (contract_service_id, period)
        ) WITHOUT ROWID;";

    /// Tables that schemas before 4 did not have.
    const SCHEMA_4_TABLES: &str = "DROP TABLE alert_tickets; DROP TABLE skipped_alerts;";

    #[test]
    fn a_version_1_file_gains_the_job_statuses_and_quota_syncs_tables() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrated(&mut conn);
        conn.execute_batch(&format!(
            "DROP TABLE job_statuses; DROP TABLE quota_syncs; {SCHEMA_5_TABLES} {SCHEMA_4_TABLES}
             PRAGMA user_version = 1;"
        ))
        .expect("back to schema 1");

        migrated(&mut conn);
        assert_eq!(user_version(&conn), SCHEMA_VERSION);
        assert!(has_table(&conn, "job_statuses"));
        assert!(has_table(&conn, "quota_syncs"));
    }

    #[test]
    fn a_version_2_file_gains_the_quota_syncs_table_and_keeps_its_rows() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrated(&mut conn);
        conn.execute_batch(&format!(
            "DROP TABLE quota_syncs; {SCHEMA_5_TABLES} {SCHEMA_4_TABLES} PRAGMA user_version = 2;
             INSERT INTO job_statuses (job, body) VALUES ('quota-push', '{{}}');
             INSERT INTO documents (kind, key, version, body)
                 VALUES ('contract_snapshot', '174', 3, '{{}}');"
        ))
        .expect("a schema-2 file with rows");

        migrated(&mut conn);
        assert_eq!(user_version(&conn), SCHEMA_VERSION);
        assert!(has_table(&conn, "quota_syncs"));
        let kept: (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM job_statuses),
                        (SELECT version FROM documents WHERE key = '174')",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("rows");
        assert_eq!(kept, (1, 3));
        // Migrating again changes nothing.
        migrated(&mut conn);
        assert_eq!(user_version(&conn), SCHEMA_VERSION);
    }

    /// A schema-3 file with alert tickets in `documents`: one of company 174, one
    /// without company, one that does not decode.
    fn schema_3_file_with_alert_tickets() -> Connection {
        let mut conn = Connection::open_in_memory().expect("open");
        migrated(&mut conn);
        conn.execute_batch(&format!(
            r#"{SCHEMA_5_TABLES} {SCHEMA_4_TABLES} PRAGMA user_version = 3;
            INSERT INTO documents (kind, key, version, body) VALUES
              ('alert_ticket', 't-1/a-1', 3,
               '{{"alert_key":"t-1/a-1","ticket_id":42,"company_id":174,
                 "opened_at":"2026-10-01T08:00:00Z","last_seen_at":"2026-10-01T08:00:00Z"}}'),
              ('alert_ticket', 't-2/a-2', 1,
               '{{"alert_key":"t-2/a-2","ticket_id":43,
                 "opened_at":"2026-10-01T08:00:00Z","last_seen_at":"2026-10-01T08:00:00Z"}}'),
              ('alert_ticket', 't-3/a-3', 1, '{{not json'),
              ('cursor', 'alerts', 2, '"c1"');"#
        ))
        .expect("a schema-3 file with alert tickets");
        conn
    }

    #[test]
    fn a_version_3_file_moves_its_alert_tickets_to_their_table() {
        let mut conn = schema_3_file_with_alert_tickets();
        migrated(&mut conn);
        assert_eq!(user_version(&conn), SCHEMA_VERSION);
        assert!(has_table(&conn, "skipped_alerts"));
        let moved: Vec<(String, String, Option<i64>, i64)> = conn
            .prepare("SELECT alert_key, sort_key, company_id, version FROM alert_tickets ORDER BY sort_key")
            .expect("prepare")
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            moved,
            [
                (
                    "t-1/a-1".to_owned(),
                    "COMPANY#00000000000000000174#t-1/a-1".to_owned(),
                    Some(174),
                    3
                ),
                (
                    "t-2/a-2".to_owned(),
                    "NOCOMPANY#t-2/a-2".to_owned(),
                    None,
                    1
                ),
                (
                    "t-3/a-3".to_owned(),
                    "NOCOMPANY#t-3/a-3".to_owned(),
                    None,
                    1
                ),
            ]
        );
        let left: (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM documents WHERE kind = 'alert_ticket'),
                        (SELECT count(*) FROM documents WHERE kind = 'cursor')",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("counts");
        assert_eq!(left, (0, 1));
        // Migrating again changes nothing.
        migrated(&mut conn);
        let count: i64 = conn
            .query_row("SELECT count(*) FROM alert_tickets", [], |row| row.get(0))
            .expect("count");
        assert_eq!(count, 3);
    }

    #[tokio::test]
    async fn moved_alert_tickets_read_and_list_as_before() {
        use crate::store::AlertTicketStore;
        use bridge_core::records::AlertTicketState;

        let store = SqliteStore::init(schema_3_file_with_alert_tickets())
            .await
            .expect("open a schema-3 file");
        let old = store
            .get_alert_ticket("t-1/a-1")
            .await
            .expect("get")
            .expect("moved");
        assert_eq!(old.version, 3);
        assert_eq!(old.value.state, AlertTicketState::Open);
        assert_eq!(old.value.ticket_id, Some(42));
        let err = store
            .get_alert_ticket("t-3/a-3")
            .await
            .expect_err("corrupt");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        let page = store
            .list_alert_tickets(Some(174), 10, None)
            .await
            .expect("list");
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].value.alert_key, "t-1/a-1");
    }

    /// A schema-4 file with two write-once ledger entries.
    fn schema_4_file_with_ledger_entries() -> Connection {
        let mut conn = Connection::open_in_memory().expect("open");
        migrated(&mut conn);
        conn.execute_batch(&format!(
            r#"{SCHEMA_5_TABLES} PRAGMA user_version = 4;
            INSERT INTO usage_ledger (contract_service_id, period, body) VALUES
              (9001, '2026-10',
               '{{"contract_service_id":9001,"period":"2026-10","company_id":174,"units":12,
                 "unit_change":2,"recorded_at":"2026-10-01T08:00:00Z"}}'),
              (9002, '2026-10',
               '{{"contract_service_id":9002,"period":"2026-10","company_id":174,"units":3,
                 "unit_change":3,"recorded_at":"2026-10-01T08:00:00Z"}}');"#
        ))
        .expect("a schema-4 file with ledger entries");
        conn
    }

    #[test]
    fn a_version_4_file_versions_its_ledger_and_gains_the_usage_tables() {
        let mut conn = schema_4_file_with_ledger_entries();
        migrated(&mut conn);
        assert_eq!(user_version(&conn), SCHEMA_VERSION);
        assert!(has_table(&conn, "usage_days"));
        assert!(has_table(&conn, "usage_reports"));
        let versions: Vec<(i64, i64)> = conn
            .prepare("SELECT contract_service_id, version FROM usage_ledger ORDER BY 1")
            .expect("prepare")
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(versions, [(9001, 1), (9002, 1)]);
        // Migrating again changes nothing.
        migrated(&mut conn);
        assert_eq!(user_version(&conn), SCHEMA_VERSION);
    }

    /// The audit entry written with a usage report's ledger entry.
    fn usage_audit() -> bridge_core::records::AuditEntry {
        bridge_core::records::AuditEntry {
            id: uuid::Uuid::new_v4().to_string(),
            at: chrono::Utc::now(),
            actor: "usage-report".into(),
            kind: "usage.reported".into(),
            subject: "company:174".into(),
            before: None,
            after: None,
            reason: None,
            expires_at: None,
        }
    }

    #[tokio::test]
    async fn ledger_entries_of_a_version_4_file_update_from_version_1() {
        use crate::store::LedgerStore;

        let store = SqliteStore::init(schema_4_file_with_ledger_entries())
            .await
            .expect("open a schema-4 file");
        let old = store
            .get_usage(9001, "2026-10")
            .await
            .expect("get")
            .expect("kept");
        assert_eq!((old.version, old.value.units), (1, 12));
        let err = store
            .put_usage(&old.value, None, &usage_audit())
            .await
            .expect_err("exists");
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    current_version: Some(1),
                    ..
                }
            ),
            "{err:?}"
        );
        let mut corrected = old.value.clone();
        corrected.units = 14;
        assert_eq!(
            store
                .put_usage(&corrected, Some(1), &usage_audit())
                .await
                .expect("update"),
            2
        );
        let both = store
            .get_usages("2026-10", &[9001, 9002])
            .await
            .expect("batch");
        assert_eq!(
            both.iter()
                .map(|(id, e)| (*id, e.version, e.value.units))
                .collect::<Vec<_>>(),
            [(9001, 2, 14), (9002, 1, 3)]
        );
    }

    #[test]
    fn a_newer_file_is_refused() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("future schema");
        let err = migrate(&mut conn)
            .map_err(|e| e.into_store("migrate"))
            .expect_err("newer schema");
        assert!(err.to_string().contains("newer than this build"), "{err}");
    }
}
