//! Quota sync: one versioned row per company in `quota_syncs`; a batch read is one query.

use std::collections::BTreeMap;

use async_trait::async_trait;
use bridge_core::records::{QuotaSync, Versioned};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::{SqlError, SqliteStore, check_version, decode, to_sql_version, to_version};
use crate::store::{
    QuotaSyncStore, StoreError, StoreResult, quota_sync_body, quota_sync_ids, quota_sync_what,
    validate,
};

/// A stored row as the caller sees it; the body must be of the row's company.
fn row_record(company_id: i64, version: i64, body: &str) -> StoreResult<Versioned<QuotaSync>> {
    let what = quota_sync_what(company_id);
    let value: QuotaSync = decode(&what, body)?;
    if value.company_id != company_id {
        return Err(StoreError::corrupt(
            what,
            format!("body is of company {}", value.company_id),
        ));
    }
    Ok(Versioned {
        value,
        version: to_version(&what, version)?,
    })
}

fn current_version(conn: &Connection, company_id: i64) -> Result<Option<u64>, SqlError> {
    let version: Option<i64> = conn
        .query_row(
            "SELECT version FROM quota_syncs WHERE company_id = ?1",
            params![company_id],
            |row| row.get(0),
        )
        .optional()?;
    Ok(version
        .map(|v| to_version(&quota_sync_what(company_id), v))
        .transpose()?)
}

#[async_trait]
impl QuotaSyncStore for SqliteStore {
    async fn get_quota_sync(&self, company_id: i64) -> StoreResult<Option<Versioned<QuotaSync>>> {
        validate::id("company_id", company_id)?;
        self.run("get_quota_sync", move |conn| {
            let row: Option<(i64, String)> = conn
                .query_row(
                    "SELECT version, body FROM quota_syncs WHERE company_id = ?1",
                    params![company_id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            Ok(row
                .map(|(version, body)| row_record(company_id, version, &body))
                .transpose()?)
        })
        .await
    }

    async fn get_quota_syncs(
        &self,
        company_ids: &[i64],
    ) -> StoreResult<BTreeMap<i64, Versioned<QuotaSync>>> {
        let ids = quota_sync_ids(company_ids)?;
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        self.run("get_quota_syncs", move |conn| {
            let placeholders = vec!["?"; ids.len()].join(", ");
            let mut stmt = conn.prepare(&format!(
                "SELECT company_id, version, body FROM quota_syncs WHERE company_id IN ({placeholders})"
            ))?;
            let rows = stmt.query_map(params_from_iter(&ids), |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?;
            let mut out = BTreeMap::new();
            for row in rows {
                let (company_id, version, body) = row?;
                out.insert(company_id, row_record(company_id, version, &body)?);
            }
            Ok(out)
        })
        .await
    }

    async fn put_quota_sync(
        &self,
        record: &QuotaSync,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let body = quota_sync_body(record)?;
        let company_id = record.company_id;
        self.write("put_quota_sync", move |tx| {
            let current = current_version(tx, company_id)?;
            check_version(&quota_sync_what(company_id), current, expected_version)?;
            let next = current.unwrap_or(0) + 1;
            tx.execute(
                "INSERT INTO quota_syncs (company_id, version, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (company_id) DO UPDATE SET version = excluded.version, body = excluded.body",
                params![company_id, to_sql_version(next)?, body],
            )?;
            Ok(next)
        })
        .await
    }

    async fn delete_quota_sync(&self, company_id: i64) -> StoreResult<()> {
        validate::id("company_id", company_id)?;
        self.write("delete_quota_sync", move |tx| {
            // Absent is no error.
            tx.execute(
                "DELETE FROM quota_syncs WHERE company_id = ?1",
                params![company_id],
            )?;
            Ok(())
        })
        .await
    }
}
