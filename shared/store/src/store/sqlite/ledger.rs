//! The usage ledger: versioned rows keyed by contract service and period; a batch read of
//! one period is one query.

use std::collections::BTreeMap;

use async_trait::async_trait;
use bridge_core::records::{AuditEntry, UsageLedgerEntry, Versioned};
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};

use super::audit::AuditRow;
use super::{SqlError, SqliteStore, check_version, decode, to_sql_version, to_version};
use crate::store::{
    LedgerStore, MAX_LEDGER_IDS, StoreError, StoreResult, batch_ids, usage_ledger_body, usage_what,
    validate,
};

/// A stored row as the caller sees it; the body must be of the row's key.
fn row_entry(
    contract_service_id: i64,
    period: &str,
    version: i64,
    body: &str,
) -> StoreResult<Versioned<UsageLedgerEntry>> {
    let what = usage_what(contract_service_id, period);
    let value: UsageLedgerEntry = decode(&what, body)?;
    if value.contract_service_id != contract_service_id || value.period != period {
        return Err(StoreError::corrupt(
            what,
            format!(
                "body is of contract service {} for {}",
                value.contract_service_id, value.period
            ),
        ));
    }
    Ok(Versioned {
        value,
        version: to_version(&what, version)?,
    })
}

fn current_version(
    conn: &Connection,
    contract_service_id: i64,
    period: &str,
) -> Result<Option<u64>, SqlError> {
    let version: Option<i64> = conn
        .query_row(
            "SELECT version FROM usage_ledger WHERE contract_service_id = ?1 AND period = ?2",
            params![contract_service_id, period],
            |row| row.get(0),
        )
        .optional()?;
    Ok(version
        .map(|v| to_version(&usage_what(contract_service_id, period), v))
        .transpose()?)
}

#[async_trait]
impl LedgerStore for SqliteStore {
    async fn get_usage(
        &self,
        contract_service_id: i64,
        period: &str,
    ) -> StoreResult<Option<Versioned<UsageLedgerEntry>>> {
        validate::id("contract_service_id", contract_service_id)?;
        validate::name("period", period)?;
        let period = period.to_owned();
        self.run("get_usage", move |conn| {
            let row: Option<(i64, String)> = conn
                .query_row(
                    "SELECT version, body FROM usage_ledger
                     WHERE contract_service_id = ?1 AND period = ?2",
                    params![contract_service_id, period],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            Ok(row
                .map(|(version, body)| row_entry(contract_service_id, &period, version, &body))
                .transpose()?)
        })
        .await
    }

    async fn get_usages(
        &self,
        period: &str,
        contract_service_ids: &[i64],
    ) -> StoreResult<BTreeMap<i64, Versioned<UsageLedgerEntry>>> {
        validate::name("period", period)?;
        let ids = batch_ids("contract_service_ids", contract_service_ids, MAX_LEDGER_IDS)?;
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let period = period.to_owned();
        self.run("get_usages", move |conn| {
            let placeholders = vec!["?"; ids.len()].join(", ");
            let mut stmt = conn.prepare(&format!(
                "SELECT contract_service_id, version, body FROM usage_ledger
                 WHERE period = ? AND contract_service_id IN ({placeholders})"
            ))?;
            let args = std::iter::once(rusqlite::types::Value::Text(period.clone()))
                .chain(ids.iter().map(|&id| rusqlite::types::Value::Integer(id)));
            let rows = stmt.query_map(params_from_iter(args), |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?;
            let mut out = BTreeMap::new();
            for row in rows {
                let (id, version, body) = row?;
                out.insert(id, row_entry(id, &period, version, &body)?);
            }
            Ok(out)
        })
        .await
    }

    async fn put_usage(
        &self,
        entry: &UsageLedgerEntry,
        expected_version: Option<u64>,
        audit: &AuditEntry,
    ) -> StoreResult<u64> {
        let row = UsageRow::of(entry)?;
        let audit = AuditRow::of(audit)?;
        self.write("put_usage", move |tx| {
            let next = row.write(tx, expected_version)?;
            audit.insert(tx)?;
            Ok(next)
        })
        .await
    }
}

/// A ledger entry ready to write, encoded outside the transaction.
struct UsageRow {
    id: i64,
    period: String,
    body: String,
}

impl UsageRow {
    fn of(entry: &UsageLedgerEntry) -> StoreResult<UsageRow> {
        Ok(UsageRow {
            id: entry.contract_service_id,
            period: entry.period.clone(),
            body: usage_ledger_body(entry)?,
        })
    }

    /// Writes the entry if it is still at `expected_version`; returns the new version.
    fn write(&self, tx: &Transaction<'_>, expected_version: Option<u64>) -> Result<u64, SqlError> {
        let current = current_version(tx, self.id, &self.period)?;
        check_version(
            &usage_what(self.id, &self.period),
            current,
            expected_version,
        )?;
        let next = current.unwrap_or(0) + 1;
        tx.execute(
            "INSERT INTO usage_ledger (contract_service_id, period, body, version)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (contract_service_id, period)
             DO UPDATE SET body = excluded.body, version = excluded.version",
            params![self.id, self.period, self.body, to_sql_version(next)?],
        )?;
        Ok(next)
    }
}
