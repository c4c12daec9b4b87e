//! The usage ledger: one versioned item per contract service and period
//! (`USAGE#<id>` / `PERIOD#<period>`); a batch read of one period is one `BatchGetItem`.
//!
//! Entries written while the ledger was write-once carry no `version` attribute: they
//! read as version 1, and a write at version 1 replaces them.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use bridge_core::records::{AuditEntry, UsageLedgerEntry, Versioned};

use super::item::{Item, attr, body, get_n, get_s, key, key_of, n, s};
use super::{DynamoStore, stale, transaction_build};
use crate::store::{
    LedgerStore, MAX_LEDGER_IDS, StoreError, StoreResult, batch_ids, usage_ledger_body, usage_what,
    validate,
};

/// The version of a stored entry (1 when it has none).
fn version_of(item: &Item, what: &str) -> StoreResult<u64> {
    if item.contains_key(attr::VERSION) {
        get_n(item, attr::VERSION, what)
    } else {
        Ok(1)
    }
}

/// A stored entry as the caller sees it; the body must be of the item's key.
fn entry_of(item: &Item, period: &str) -> StoreResult<Versioned<UsageLedgerEntry>> {
    let pk = get_s(item, attr::PK, "usage ledger entry")?;
    let what = format!("usage ledger entry {pk} for {period}");
    let value: UsageLedgerEntry = body(item, &what)?;
    if key::usage(value.contract_service_id) != pk || value.period != period {
        return Err(StoreError::corrupt(
            what,
            format!(
                "body is of contract service {} for {}",
                value.contract_service_id, value.period
            ),
        ));
    }
    Ok(Versioned {
        version: version_of(item, &what)?,
        value,
    })
}

#[async_trait]
impl LedgerStore for DynamoStore {
    async fn get_usage(
        &self,
        contract_service_id: i64,
        period: &str,
    ) -> StoreResult<Option<Versioned<UsageLedgerEntry>>> {
        validate::id("contract_service_id", contract_service_id)?;
        validate::name("period", period)?;
        let key = key_of(key::usage(contract_service_id), key::period(period));
        let item = self.get(key, "get_usage").await?;
        item.map(|item| entry_of(&item, period)).transpose()
    }

    async fn get_usages(
        &self,
        period: &str,
        contract_service_ids: &[i64],
    ) -> StoreResult<BTreeMap<i64, Versioned<UsageLedgerEntry>>> {
        validate::name("period", period)?;
        let ids = batch_ids("contract_service_ids", contract_service_ids, MAX_LEDGER_IDS)?;
        let keys = ids
            .iter()
            .map(|&id| key_of(key::usage(id), key::period(period)))
            .collect();
        let mut out = BTreeMap::new();
        for item in self.batch_get(keys).await? {
            let entry = entry_of(&item, period)?;
            out.insert(entry.value.contract_service_id, entry);
        }
        Ok(out)
    }

    async fn put_usage(
        &self,
        entry: &UsageLedgerEntry,
        expected_version: Option<u64>,
        audit: &AuditEntry,
    ) -> StoreResult<u64> {
        let json = usage_ledger_body(entry)?;
        let what = usage_what(entry.contract_service_id, &entry.period);
        let key = key_of(
            key::usage(entry.contract_service_id),
            key::period(&entry.period),
        );
        let next = expected_version.map_or(1, |v| v + 1);
        let mut item = key.clone();
        item.insert(attr::VERSION.to_owned(), n(next));
        item.insert(attr::BODY.to_owned(), s(json));
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match expected_version {
            None => put.condition_expression("attribute_not_exists(PK)"),
            // An entry without a version is at version 1.
            Some(1) => put
                .condition_expression(
                    "#version = :expected OR (attribute_exists(PK) AND attribute_not_exists(#version))",
                )
                .expression_attribute_names("#version", attr::VERSION)
                .expression_attribute_values(":expected", n(1)),
            Some(version) => put
                .condition_expression("#version = :expected")
                .expression_attribute_names("#version", attr::VERSION)
                .expression_attribute_values(":expected", n(version)),
        };
        let writes = vec![
            TransactWriteItem::builder()
                .put(put.build().map_err(transaction_build)?)
                .build(),
            TransactWriteItem::builder()
                .put(self.audit_put(audit)?)
                .build(),
        ];
        if self.transact(writes).await? {
            return Ok(next);
        }
        // Refused: the entry moved on, or the audit entry exists already.
        let current = self
            .get(key, "put_usage")
            .await?
            .map(|old| version_of(&old, &what))
            .transpose()?;
        if current == expected_version {
            Err(StoreError::AlreadyExists {
                what: format!("the audit entry {} of {what}", audit.id),
            })
        } else {
            Err(stale(what, current, expected_version))
        }
    }
}
