//! The audit log: append-only rows, purged of expired entries at each listing.

use async_trait::async_trait;
use bridge_core::records::{AuditEntry, AuditQuery, Page};
use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};

use super::{SqlError, SqliteStore, decode, encode};
use crate::store::page_token::{self, TokenKey};
use crate::store::{AuditStore, StoreError, StoreResult, audit_time_key, validate};

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let row = AuditRow::of(entry)?;
        self.write("append_audit", move |tx| row.insert(tx)).await
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

/// An audit entry ready to insert, checked and encoded outside the transaction.
pub(super) struct AuditRow {
    at_key: String,
    id: String,
    kind: String,
    expires_ms: Option<i64>,
    body: String,
}

impl AuditRow {
    pub(super) fn of(entry: &AuditEntry) -> StoreResult<AuditRow> {
        validate::name("id", &entry.id)?;
        validate::name("kind", &entry.kind)?;
        Ok(AuditRow {
            at_key: audit_time_key(entry.at),
            id: entry.id.clone(),
            kind: entry.kind.clone(),
            expires_ms: entry.expires_at.map(|t| t.timestamp_millis()),
            body: encode("audit entry", entry)?,
        })
    }

    /// Appends the row; the same id and instant twice is `AlreadyExists`.
    pub(super) fn insert(&self, tx: &Transaction<'_>) -> Result<(), SqlError> {
        let inserted = tx.execute(
            "INSERT INTO audit_log (at_key, id, kind, expires_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO NOTHING",
            params![self.at_key, self.id, self.kind, self.expires_ms, self.body],
        )?;
        if inserted == 0 {
            return Err(SqlError::Store(StoreError::AlreadyExists {
                what: format!("audit entry {} at {}", self.id, self.at_key),
            }));
        }
        Ok(())
    }
}
