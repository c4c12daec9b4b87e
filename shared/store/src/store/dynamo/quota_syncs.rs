//! Quota sync: one versioned item per company beside its contract snapshot
//! (`COMPANY#<id>` / `QUOTA_SYNC`); a batch read is one `BatchGetItem`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use bridge_core::records::{QuotaSync, Versioned};

use super::DynamoStore;
use super::item::{attr, backend, body, get_n, get_s, key, key_of, s};
use crate::store::{
    QuotaSyncStore, StoreError, StoreResult, quota_sync_body, quota_sync_ids, quota_sync_what,
    validate,
};

#[async_trait]
impl QuotaSyncStore for DynamoStore {
    async fn get_quota_sync(&self, company_id: i64) -> StoreResult<Option<Versioned<QuotaSync>>> {
        validate::id("company_id", company_id)?;
        let what = quota_sync_what(company_id);
        self.get_doc(key::company(company_id), key::QUOTA_SYNC_SK, &what)
            .await
    }

    async fn get_quota_syncs(
        &self,
        company_ids: &[i64],
    ) -> StoreResult<BTreeMap<i64, Versioned<QuotaSync>>> {
        // Distinct ids: BatchGetItem refuses a request that names a key twice.
        let ids = quota_sync_ids(company_ids)?;
        let mut out = BTreeMap::new();
        if ids.is_empty() {
            // BatchGetItem refuses an empty request too.
            return Ok(out);
        }
        let keys = ids
            .iter()
            .map(|&id| key_of(key::company(id), key::QUOTA_SYNC_SK))
            .collect();
        let items = self.batch_get(keys).await?;
        for item in &items {
            let pk = get_s(item, attr::PK, "quota sync")?;
            let what = format!("quota sync {pk}");
            let value: QuotaSync = body(item, &what)?;
            if key::company(value.company_id) != pk {
                return Err(StoreError::corrupt(
                    what,
                    format!("body is of company {}", value.company_id),
                ));
            }
            let version = get_n(item, attr::VERSION, &what)?;
            out.insert(value.company_id, Versioned { value, version });
        }
        Ok(out)
    }

    async fn put_quota_sync(
        &self,
        record: &QuotaSync,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let body = quota_sync_body(record)?;
        self.put_versioned(
            key::company(record.company_id),
            key::QUOTA_SYNC_SK,
            quota_sync_what(record.company_id),
            s(body),
            expected_version,
        )
        .await
    }

    async fn delete_quota_sync(&self, company_id: i64) -> StoreResult<()> {
        validate::id("company_id", company_id)?;
        // Unconditional: deleting an absent record is no error.
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_of(key::company(company_id), key::QUOTA_SYNC_SK)))
            .send()
            .await
            .map_err(|e| backend("delete_quota_sync", e))?;
        Ok(())
    }
}
