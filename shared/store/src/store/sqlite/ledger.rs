//! The usage ledger: write-once rows keyed by contract service and period.

use async_trait::async_trait;
use bridge_core::records::UsageLedgerEntry;
use rusqlite::{OptionalExtension, params};

use super::{SqlError, SqliteStore, decode, encode};
use crate::store::{LedgerStore, StoreError, StoreResult, usage_what, validate};

#[async_trait]
impl LedgerStore for SqliteStore {
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
}
