//! The usage ledger: one write-once item per contract service and period.

use async_trait::async_trait;
use bridge_core::records::UsageLedgerEntry;

use super::item::{attr, backend, body, key, key_of, to_body};
use super::{DynamoStore, is_put_condition_failure};
use crate::store::{LedgerStore, StoreError, StoreResult, usage_what, validate};

#[async_trait]
impl LedgerStore for DynamoStore {
    async fn record_usage(&self, entry: &UsageLedgerEntry) -> StoreResult<()> {
        validate::id("contract_service_id", entry.contract_service_id)?;
        validate::name("period", &entry.period)?;
        let what = usage_what(entry.contract_service_id, &entry.period);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key_of(
                key::usage(entry.contract_service_id),
                key::period(&entry.period),
            )))
            .item(attr::BODY, to_body(entry, &what)?)
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_put_condition_failure(&err) => Err(StoreError::AlreadyExists { what }),
            Err(err) => Err(backend("record_usage", err)),
        }
    }

    async fn get_usage(
        &self,
        contract_service_id: i64,
        period: &str,
    ) -> StoreResult<Option<UsageLedgerEntry>> {
        validate::name("period", period)?;
        let what = usage_what(contract_service_id, period);
        let key = key_of(key::usage(contract_service_id), key::period(period));
        let item = self.get(key, "get_usage").await?;
        item.map(|item| body(&item, &what)).transpose()
    }
}
