//! Usage history: one item per tenant and day (`USAGEDAY#<tenant>` / `DAY#<yyyy-mm-dd>`),
//! removed by the table's TTL [`USAGE_HISTORY_DAYS`](crate::store::USAGE_HISTORY_DAYS)
//! after its day, and one report item per company beside its contract snapshot
//! (`COMPANY#<id>` / `USAGE_REPORT`). Writes are `BatchWriteItem`s, reads `BatchGetItem`s
//! (and one `Query` per tenant not read on the last day of the range).

use std::collections::BTreeMap;

use async_trait::async_trait;
use bridge_core::records::{UsageDay, UsageReport};
use chrono::NaiveDate;
use futures_util::{StreamExt, TryStreamExt};

use super::DynamoStore;
use super::item::{Item, attr, backend, get_s, key, key_of, n, s};
use crate::store::{
    MAX_USAGE_HISTORY_KEYS, StoreError, StoreResult, UsageHistoryStore, batch_ids, latest_by_key,
    usage_day_body, usage_day_expiry, usage_day_key, usage_day_range, usage_day_record,
    usage_report_body, usage_report_record, usage_tenant_ids,
};

/// How many tenants' queries run at once when the day `to` did not find them.
const QUERY_CONCURRENCY: usize = 16;

/// The tenant of a usage day item (from its partition key).
fn tenant_of(item: &Item) -> StoreResult<&str> {
    let pk = get_s(item, attr::PK, "usage day")?;
    pk.strip_prefix(key::usage_days("").as_str())
        .ok_or_else(|| StoreError::corrupt(pk, "not a usage day partition"))
}

/// A usage day item as the caller sees it.
fn day_of(item: &Item) -> StoreResult<UsageDay> {
    let tenant_id = tenant_of(item)?;
    let sk = get_s(item, attr::SK, "usage day")?;
    let day = sk
        .strip_prefix(key::day("").as_str())
        .ok_or_else(|| StoreError::corrupt(sk, "not a usage day key"))?;
    let body = get_s(
        item,
        attr::BODY,
        &format!("usage of tenant {tenant_id} on {day}"),
    )?;
    usage_day_record(tenant_id, day, body)
}

impl DynamoStore {
    /// The newest usage day of one tenant within the range (keys), if any: one Query,
    /// newest first, one item (no filter, so `Limit` 1 is exact).
    async fn latest_usage_day_in(
        &self,
        tenant_id: &str,
        from: &str,
        to: &str,
    ) -> StoreResult<Option<UsageDay>> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(key::usage_days(tenant_id)))
            .expression_attribute_values(":from", s(key::day(from)))
            .expression_attribute_values(":to", s(key::day(to)))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("latest_usage_days", e))?;
        out.items
            .unwrap_or_default()
            .first()
            .map(day_of)
            .transpose()
    }
}

#[async_trait]
impl UsageHistoryStore for DynamoStore {
    async fn put_usage_days(&self, days: &[UsageDay]) -> StoreResult<()> {
        let mut items = Vec::with_capacity(days.len());
        let records = latest_by_key(
            days,
            |d| (d.tenant_id.clone(), usage_day_key(d.day)),
            usage_day_body,
        )?;
        for ((tenant_id, day), record, body) in records {
            let mut item = key_of(key::usage_days(&tenant_id), key::day(&day));
            item.insert(attr::BODY.to_owned(), s(body));
            item.insert(attr::TTL.to_owned(), n(usage_day_expiry(record.day)?));
            items.push(item);
        }
        self.batch_put(items).await
    }

    async fn latest_usage_days(
        &self,
        tenant_ids: &[String],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<BTreeMap<String, UsageDay>> {
        let tenants = usage_tenant_ids(tenant_ids)?;
        let (from, to) = usage_day_range(from, to)?;
        let keys = tenants
            .iter()
            .map(|tenant_id| key_of(key::usage_days(tenant_id), key::day(&to)))
            .collect();
        let mut out = BTreeMap::new();
        for item in self.batch_get(keys).await? {
            let record = day_of(&item)?;
            out.insert(record.tenant_id.clone(), record);
        }
        let missing: Vec<String> = tenants
            .into_iter()
            .filter(|tenant_id| !out.contains_key(tenant_id))
            .collect();
        let (from, to) = (from.as_str(), to.as_str());
        let older: Vec<Option<UsageDay>> = futures_util::stream::iter(missing)
            .map(|tenant_id| async move { self.latest_usage_day_in(&tenant_id, from, to).await })
            .buffer_unordered(QUERY_CONCURRENCY)
            .try_collect()
            .await?;
        for record in older.into_iter().flatten() {
            out.insert(record.tenant_id.clone(), record);
        }
        Ok(out)
    }

    async fn put_usage_reports(&self, reports: &[UsageReport]) -> StoreResult<()> {
        let items = latest_by_key(reports, |r| r.company_id, usage_report_body)?
            .into_iter()
            .map(|(company_id, _, body)| {
                let mut item = key_of(key::company(company_id), key::USAGE_REPORT_SK);
                item.insert(attr::BODY.to_owned(), s(body));
                item
            })
            .collect();
        self.batch_put(items).await
    }

    async fn get_usage_reports(
        &self,
        company_ids: &[i64],
    ) -> StoreResult<BTreeMap<i64, UsageReport>> {
        let ids = batch_ids("company_ids", company_ids, MAX_USAGE_HISTORY_KEYS)?;
        let keys = ids
            .iter()
            .map(|&id| key_of(key::company(id), key::USAGE_REPORT_SK))
            .collect();
        let mut out = BTreeMap::new();
        for item in self.batch_get(keys).await? {
            let pk = get_s(&item, attr::PK, "usage report")?;
            let company_id = pk
                .strip_prefix("COMPANY#")
                .and_then(|id| id.parse::<i64>().ok())
                .filter(|id| key::company(*id) == pk)
                .ok_or_else(|| StoreError::corrupt(pk, "not a company partition"))?;
            let body = get_s(&item, attr::BODY, pk)?;
            out.insert(company_id, usage_report_record(company_id, body)?);
        }
        Ok(out)
    }
}
