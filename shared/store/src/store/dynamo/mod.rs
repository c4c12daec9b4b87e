//! The deployed adapter: one DynamoDB table (PK/SK, one GSI), see `docs/store.md`.
//!
//! Every invariant is a conditional write or a `TransactWriteItems`, never a read
//! followed by an unconditional write; every Query follows `LastEvaluatedKey`, because
//! DynamoDB stops a page at 1 MB whatever the `Limit`.

mod item;
mod table;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use bridge_core::contracts::CompanySnapshot;
use bridge_core::mapping::CustomerMapping;
use bridge_core::provisioning::PendingProvisioning;
use bridge_core::records::{
    AlertTicket, AuditEntry, AuditQuery, Lease, Page, UsageLedgerEntry, Versioned,
};
use bridge_core::settings::Settings;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::item::{
    AUDIT_BY_KIND, Item, attr, backend, body, get_n, get_s, item_key, key, key_of, n, s, to_body,
    token_key,
};
use super::page_token;
use super::{
    Store, StoreError, StoreResult, audit_time_key, lease_from_millis, lease_span, pending_what,
    tenant_taken, usage_what, validate,
};

/// How often a mapping transaction is retried when a concurrent writer touched the same
/// items between our read and our write.
const MAPPING_ATTEMPTS: u32 = 5;

/// The DynamoDB [`Store`].
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table_name: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table_name.into(),
        }
    }

    /// Creates the table if it does not exist (tests and local use; deployed, the SAM
    /// template declares it): PK/SK strings, GSI1 for audit by kind, on-demand billing,
    /// TTL on the `ttl` attribute.
    pub async fn create_table(client: &Client, table_name: &str) -> StoreResult<()> {
        table::create(client, table_name).await
    }

    async fn get(&self, key: Item, operation: &'static str) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend(operation, e))?;
        Ok(out.item)
    }

    async fn get_doc<T: DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
        what: &str,
    ) -> StoreResult<Option<Versioned<T>>> {
        let Some(item) = self.get(key_of(pk, sk), "get").await? else {
            return Ok(None);
        };
        Ok(Some(Versioned {
            value: body(&item, what)?,
            version: get_n(&item, attr::VERSION, what)?,
        }))
    }

    /// A versioned write: `None` = must not exist, `Some(v)` = must be at `v`.
    async fn put_doc<T: Serialize + ?Sized>(
        &self,
        pk: String,
        sk: &str,
        what: String,
        value: &T,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let next = expected_version.map_or(1, |v| v + 1);
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key_of(pk.clone(), sk)))
            .item(attr::VERSION, n(next))
            .item(attr::BODY, to_body(value, &what)?)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let request = match expected_version {
            None => request.condition_expression("attribute_not_exists(PK)"),
            Some(version) => request
                .condition_expression("#version = :expected")
                .expression_attribute_names("#version", attr::VERSION)
                .expression_attribute_values(":expected", n(version)),
        };
        match request.send().await {
            Ok(_) => Ok(next),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let current = match failed.item() {
                        Some(old) => Some(get_n(old, attr::VERSION, &what)?),
                        // Older servers omit the old item: read it.
                        None => self
                            .get_doc::<serde_json::Value>(pk, sk, &what)
                            .await?
                            .map(|d| d.version),
                    };
                    Err(stale(what, current, expected_version))
                }
                _ => Err(backend("put", err)),
            },
        }
    }

    /// One page of a Query: asks for what is still missing and follows
    /// `LastEvaluatedKey` until the page is full or the query is exhausted.
    ///
    /// Returns the items and the key to resume after (`None` when exhausted).
    async fn query_page(
        &self,
        operation: &'static str,
        build: impl Fn() -> QueryFluentBuilder,
        limit: u32,
        mut start: Option<Item>,
    ) -> StoreResult<(Vec<Item>, Option<Item>)> {
        let mut items = Vec::new();
        loop {
            let missing = limit.saturating_sub(u32::try_from(items.len()).unwrap_or(u32::MAX));
            let out = build()
                .limit(i32::try_from(missing).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| backend(operation, e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(last) if items.len() < limit as usize => start = Some(last),
                last => return Ok((items, last)),
            }
        }
    }

    /// Runs a transaction; `Ok(false)` when a condition failed or a concurrent
    /// transaction collided (the caller re-reads and retries).
    async fn transact(&self, items: Vec<TransactWriteItem>) -> StoreResult<bool> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(canceled))
                    if canceled.cancellation_reasons().iter().all(|reason| {
                        matches!(
                            reason.code(),
                            None | Some("None" | "ConditionalCheckFailed" | "TransactionConflict")
                        )
                    }) =>
                {
                    Ok(false)
                }
                _ => Err(backend("transact_write_items", err)),
            },
        }
    }

    /// The company-side mapping item and its version.
    async fn company_mapping(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<(CustomerMapping, u64)>> {
        let what = format!("mapping of company {company_id}");
        let Some(item) = self
            .get(
                key_of(key::MAPPINGS_PK, key::company(company_id)),
                "get_mapping",
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((
            body(&item, &what)?,
            get_n(&item, attr::VERSION, &what)?,
        )))
    }

    /// The company → tenant item, written only if still at `version` (absent for `None`).
    fn put_company(&self, mapping: &CustomerMapping, version: Option<u64>) -> StoreResult<Put> {
        let mut item = key_of(key::MAPPINGS_PK, key::company(mapping.company_id));
        item.insert(attr::COMPANY_ID.to_owned(), n(mapping.company_id));
        item.insert(attr::TENANT_ID.to_owned(), s(&mapping.tenant_id));
        item.insert(attr::VERSION.to_owned(), n(version.map_or(1, |v| v + 1)));
        item.insert(attr::BODY.to_owned(), to_body(mapping, "mapping")?);
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match version {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(v) => put
                .condition_expression("#version = :version")
                .expression_attribute_names("#version", attr::VERSION)
                .expression_attribute_values(":version", n(v)),
        };
        put.build().map_err(transaction_build)
    }

    fn delete_company(&self, company_id: i64, version: u64) -> StoreResult<Delete> {
        Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(key::MAPPINGS_PK, key::company(company_id))))
            .condition_expression("#version = :version")
            .expression_attribute_names("#version", attr::VERSION)
            .expression_attribute_values(":version", n(version))
            .build()
            .map_err(transaction_build)
    }

    /// The tenant → company item, written only if the tenant is free or already ours.
    fn put_tenant(&self, mapping: &CustomerMapping) -> StoreResult<Put> {
        let mut item = key_of(key::tenant(&mapping.tenant_id), key::TENANT_MAPPING_SK);
        item.insert(attr::COMPANY_ID.to_owned(), n(mapping.company_id));
        item.insert(attr::BODY.to_owned(), to_body(mapping, "mapping")?);
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(TENANT_FREE_OR_OURS)
            .expression_attribute_names("#company", attr::COMPANY_ID)
            .expression_attribute_values(":company", n(mapping.company_id))
            .build()
            .map_err(transaction_build)
    }

    /// Frees a tenant, only if it is (still) ours.
    fn delete_tenant(&self, tenant_id: &str, company_id: i64) -> StoreResult<Delete> {
        Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(key::tenant(tenant_id), key::TENANT_MAPPING_SK)))
            .condition_expression(TENANT_FREE_OR_OURS)
            .expression_attribute_names("#company", attr::COMPANY_ID)
            .expression_attribute_values(":company", n(company_id))
            .build()
            .map_err(transaction_build)
    }
}

/// Condition on a tenant item: nobody maps it, or this company does.
const TENANT_FREE_OR_OURS: &str = "attribute_not_exists(PK) OR #company = :company";

fn transaction_build(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::backend("transact_write_items", e)
}

/// A failed versioned write, as the caller needs it.
fn stale(what: String, current: Option<u64>, expected: Option<u64>) -> StoreError {
    match (current, expected) {
        (None, Some(_)) => StoreError::NotFound { what },
        (current, _) => StoreError::Conflict {
            what,
            current_version: current,
        },
    }
}

/// Waits a little before retrying a collided transaction (grows with the attempt).
async fn pause(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(u64::from(attempt + 1) * 15)).await;
}

#[async_trait]
impl Store for DynamoStore {
    async fn get_settings(&self) -> StoreResult<Option<Versioned<Settings>>> {
        let (pk, sk) = key::SETTINGS;
        self.get_doc(pk.to_owned(), sk, "settings").await
    }

    async fn put_settings(
        &self,
        settings: &Settings,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let (pk, sk) = key::SETTINGS;
        self.put_doc(
            pk.to_owned(),
            sk,
            "settings".to_owned(),
            settings,
            expected_version,
        )
        .await
    }

    async fn get_mapping_by_company(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<CustomerMapping>> {
        Ok(self.company_mapping(company_id).await?.map(|(m, _)| m))
    }

    async fn get_mapping_by_tenant(&self, tenant_id: &str) -> StoreResult<Option<CustomerMapping>> {
        validate::name("tenant_id", tenant_id)?;
        let item = self
            .get(
                key_of(key::tenant(tenant_id), key::TENANT_MAPPING_SK),
                "get_mapping",
            )
            .await?;
        item.map(|item| body(&item, &format!("mapping of tenant {tenant_id}")))
            .transpose()
    }

    async fn list_mappings(
        &self,
        limit: u32,
        page_token: Option<&str>,
    ) -> StoreResult<Page<CustomerMapping>> {
        let limit = validate::limit(limit)?;
        let start = page_token
            .map(|token| {
                page_token::decode(token, &[attr::PK, attr::SK], attr::PK, key::MAPPINGS_PK)
            })
            .transpose()?
            .map(item_key);
        let build = || {
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(key::MAPPINGS_PK))
                .consistent_read(true)
        };
        let (items, last) = self
            .query_page("list_mappings", build, limit, start)
            .await?;
        let items = items
            .iter()
            .map(|item| body(item, "mapping"))
            .collect::<StoreResult<Vec<CustomerMapping>>>()?;
        let next_page_token = last
            .map(|last| token_key(&last).map(|key| page_token::encode(&key)))
            .transpose()?;
        Ok(Page {
            items,
            next_page_token,
        })
    }

    async fn put_mapping(&self, mapping: &CustomerMapping) -> StoreResult<Option<CustomerMapping>> {
        validate::id("company_id", mapping.company_id)?;
        validate::name("tenant_id", &mapping.tenant_id)?;
        let company_id = mapping.company_id;
        for attempt in 0..MAPPING_ATTEMPTS {
            let owner = self
                .get(
                    key_of(key::tenant(&mapping.tenant_id), key::TENANT_MAPPING_SK),
                    "put_mapping",
                )
                .await?;
            if let Some(owner) = owner {
                let owner: i64 = get_n(&owner, attr::COMPANY_ID, "tenant mapping")?;
                if owner != company_id {
                    return Err(tenant_taken(&mapping.tenant_id, owner));
                }
            }
            let previous = self.company_mapping(company_id).await?;
            let version = previous.as_ref().map(|(_, v)| *v);
            // Both directions in one transaction; on a remap the old tenant is freed in
            // the same one, so no direction is ever left without the other.
            let mut writes = vec![
                TransactWriteItem::builder()
                    .put(self.put_company(mapping, version)?)
                    .build(),
                TransactWriteItem::builder()
                    .put(self.put_tenant(mapping)?)
                    .build(),
            ];
            if let Some((old, _)) = &previous
                && old.tenant_id != mapping.tenant_id
            {
                let release = self.delete_tenant(&old.tenant_id, company_id)?;
                writes.push(TransactWriteItem::builder().delete(release).build());
            }
            if self.transact(writes).await? {
                return Ok(previous.map(|(m, _)| m));
            }
            pause(attempt).await;
        }
        Err(StoreError::Conflict {
            what: format!("mapping of company {company_id}: changed concurrently"),
            current_version: None,
        })
    }

    async fn delete_mapping(&self, company_id: i64) -> StoreResult<CustomerMapping> {
        for attempt in 0..MAPPING_ATTEMPTS {
            let Some((mapping, version)) = self.company_mapping(company_id).await? else {
                return Err(StoreError::NotFound {
                    what: format!("mapping of company {company_id}"),
                });
            };
            let writes = vec![
                TransactWriteItem::builder()
                    .delete(self.delete_company(company_id, version)?)
                    .build(),
                TransactWriteItem::builder()
                    .delete(self.delete_tenant(&mapping.tenant_id, company_id)?)
                    .build(),
            ];
            if self.transact(writes).await? {
                return Ok(mapping);
            }
            pause(attempt).await;
        }
        Err(StoreError::Conflict {
            what: format!("mapping of company {company_id}: changed concurrently"),
            current_version: None,
        })
    }

    async fn get_contract_snapshot(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<Versioned<CompanySnapshot>>> {
        let what = format!("contract snapshot of company {company_id}");
        self.get_doc(key::company(company_id), key::CONTRACTS_SK, &what)
            .await
    }

    async fn put_contract_snapshot(
        &self,
        snapshot: &CompanySnapshot,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        validate::id("company_id", snapshot.company_id)?;
        let what = format!("contract snapshot of company {}", snapshot.company_id);
        let pk = key::company(snapshot.company_id);
        self.put_doc(pk, key::CONTRACTS_SK, what, snapshot, expected_version)
            .await
    }

    async fn get_pending_provisioning(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<Versioned<PendingProvisioning>>> {
        validate::id("company_id", company_id)?;
        self.get_doc(
            key::PENDING_PK.to_owned(),
            &key::company(company_id),
            &pending_what(company_id),
        )
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
            key::PENDING_PK.to_owned(),
            &key::company(company_id),
            pending_what(company_id),
            pending,
            expected_version,
        )
        .await
    }

    async fn delete_pending_provisioning(&self, company_id: i64) -> StoreResult<()> {
        validate::id("company_id", company_id)?;
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_of(key::PENDING_PK, key::company(company_id))))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Err(StoreError::NotFound {
                    what: pending_what(company_id),
                })
            }
            Err(err) => Err(backend("delete_pending_provisioning", err)),
        }
    }

    async fn list_pending_provisioning(&self) -> StoreResult<Vec<Versioned<PendingProvisioning>>> {
        let build = || {
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(key::PENDING_PK))
                .consistent_read(true)
        };
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let (items, last) = self
                .query_page("list_pending_provisioning", build, 1000, start)
                .await?;
            for item in &items {
                let what = "pending provisioning";
                out.push(Versioned {
                    value: body(item, what)?,
                    version: get_n(item, attr::VERSION, what)?,
                });
            }
            match last {
                Some(last) => start = Some(last),
                None => return Ok(out),
            }
        }
    }

    async fn get_cursor(&self, name: &str) -> StoreResult<Option<Versioned<String>>> {
        validate::name("cursor name", name)?;
        self.get_doc(key::cursor(name), key::CURSOR_SK, &format!("cursor {name}"))
            .await
    }

    async fn put_cursor(
        &self,
        name: &str,
        value: &str,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        validate::name("cursor name", name)?;
        let what = format!("cursor {name}");
        self.put_doc(
            key::cursor(name),
            key::CURSOR_SK,
            what,
            value,
            expected_version,
        )
        .await
    }

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

    async fn get_alert_ticket(
        &self,
        alert_key: &str,
    ) -> StoreResult<Option<Versioned<AlertTicket>>> {
        validate::name("alert_key", alert_key)?;
        let what = format!("alert ticket {alert_key}");
        self.get_doc(key::alert(alert_key), key::ALERT_SK, &what)
            .await
    }

    async fn put_alert_ticket(
        &self,
        ticket: &AlertTicket,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        validate::name("alert_key", &ticket.alert_key)?;
        let what = format!("alert ticket {}", ticket.alert_key);
        let pk = key::alert(&ticket.alert_key);
        self.put_doc(pk, key::ALERT_SK, what, ticket, expected_version)
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
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key_of(key::lease(job), key::LEASE_SK)))
            .item(attr::HOLDER, s(holder))
            .item(attr::ACQUIRED_MS, n(now_ms))
            .item(attr::EXPIRES_MS, n(expires_ms))
            .condition_expression(
                "attribute_not_exists(PK) OR #expires <= :now OR #holder = :holder",
            )
            .expression_attribute_names("#expires", attr::EXPIRES_MS)
            .expression_attribute_names("#holder", attr::HOLDER)
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Some(lease_from_millis(job, holder, now_ms, expires_ms)?)),
            Err(err) if is_put_condition_failure(&err) => Ok(None),
            Err(err) => Err(backend("acquire_lease", err)),
        }
    }

    async fn renew_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Lease>> {
        let (_, expires_ms) = lease_span(job, holder, ttl, now)?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_of(key::lease(job), key::LEASE_SK)))
            .update_expression("SET #expires = :expires")
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#expires", attr::EXPIRES_MS)
            .expression_attribute_names("#holder", attr::HOLDER)
            .expression_attribute_values(":expires", n(expires_ms))
            .expression_attribute_values(":holder", s(holder))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let what = format!("lease {job}");
                let item = out
                    .attributes
                    .ok_or_else(|| StoreError::corrupt(&what, "renewal returned no item"))?;
                let acquired_ms = get_n(&item, attr::ACQUIRED_MS, &what)?;
                Ok(Some(lease_from_millis(
                    job,
                    holder,
                    acquired_ms,
                    expires_ms,
                )?))
            }
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(None)
            }
            Err(err) => Err(backend("renew_lease", err)),
        }
    }

    async fn release_lease(&self, job: &str, holder: &str) -> StoreResult<bool> {
        validate::name("job", job)?;
        validate::name("holder", holder)?;
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_of(key::lease(job), key::LEASE_SK)))
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", attr::HOLDER)
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(false)
            }
            Err(err) => Err(backend("release_lease", err)),
        }
    }

    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        validate::name("id", &entry.id)?;
        validate::name("kind", &entry.kind)?;
        let at_key = audit_time_key(entry.at);
        let sort_key = format!("{at_key}#{}", entry.id);
        let what = format!("audit entry {} at {at_key}", entry.id);
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key_of(key::AUDIT_PK, &sort_key)))
            .item(attr::GSI1PK, s(key::audit_kind(&entry.kind)))
            .item(attr::GSI1SK, s(&sort_key))
            .item(attr::BODY, to_body(entry, &what)?)
            .condition_expression("attribute_not_exists(PK)");
        if let Some(expires_at) = entry.expires_at {
            // Exact expiry for read filtering; whole seconds (rounded up) for DynamoDB
            // TTL, which deletes lazily (up to days later) — hence the read filter.
            let expires_ms = expires_at.timestamp_millis();
            request = request
                .item(attr::EXPIRES_MS, n(expires_ms))
                .item(attr::TTL, n(expires_ms.div_euclid(1000) + 1));
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(err) if is_put_condition_failure(&err) => Err(StoreError::AlreadyExists { what }),
            Err(err) => Err(backend("append_audit", err)),
        }
    }

    async fn list_audit(
        &self,
        query: &AuditQuery,
        now: DateTime<Utc>,
    ) -> StoreResult<Page<AuditEntry>> {
        if let Some(kind) = &query.kind {
            validate::name("kind", kind)?;
        }
        // Without a kind: the AUDIT partition of the table; with one: its GSI partition.
        let (index, pk_attr, sk_attr, partition) = match &query.kind {
            None => (None, attr::PK, attr::SK, key::AUDIT_PK.to_owned()),
            Some(kind) => (
                Some(AUDIT_BY_KIND),
                attr::GSI1PK,
                attr::GSI1SK,
                key::audit_kind(kind),
            ),
        };
        let token_fields: &[&str] = match index {
            None => &[attr::PK, attr::SK],
            Some(_) => &[attr::PK, attr::SK, attr::GSI1PK, attr::GSI1SK],
        };
        let start = query
            .page_token
            .as_deref()
            .map(|token| page_token::decode(token, token_fields, pk_attr, &partition))
            .transpose()?
            .map(item_key);
        // Sort keys are "<time>#<id>": `>= since` keeps entries at `since`, `< until`
        // drops entries at `until`, the same bounds the SQLite adapter applies.
        let since = query.since.map(audit_time_key);
        let until = query.until.map(audit_time_key);
        let range = match (&since, &until) {
            (Some(_), Some(_)) => " AND #sk BETWEEN :since AND :until",
            (Some(_), None) => " AND #sk >= :since",
            (None, Some(_)) => " AND #sk < :until",
            (None, None) => "",
        };
        let key_condition = format!("#pk = :pk{range}");
        let now_ms = now.timestamp_millis();
        let build = || {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression(&key_condition)
                .filter_expression("attribute_not_exists(#expires) OR #expires > :now")
                .expression_attribute_names("#pk", pk_attr)
                .expression_attribute_names("#expires", attr::EXPIRES_MS)
                .expression_attribute_values(":pk", s(&partition))
                .expression_attribute_values(":now", n(now_ms))
                .scan_index_forward(false)
                // A GSI read is eventually consistent; the table's own can be strong.
                .consistent_read(index.is_none());
            if !range.is_empty() {
                q = q.expression_attribute_names("#sk", sk_attr);
            }
            if let Some(since) = &since {
                q = q.expression_attribute_values(":since", s(since));
            }
            if let Some(until) = &until {
                q = q.expression_attribute_values(":until", s(until));
            }
            q
        };
        let limit = query.effective_limit();
        let (items, last) = self.query_page("list_audit", build, limit, start).await?;
        let items = items
            .iter()
            .map(|item| {
                let what = get_s(item, attr::SK, "audit entry").unwrap_or("audit entry");
                body(item, what)
            })
            .collect::<StoreResult<Vec<AuditEntry>>>()?;
        let next_page_token = last
            .map(|last| token_key(&last).map(|key| page_token::encode(&key)))
            .transpose()?;
        Ok(Page {
            items,
            next_page_token,
        })
    }
}

fn is_put_condition_failure<R>(err: &aws_sdk_dynamodb::error::SdkError<PutItemError, R>) -> bool {
    matches!(
        err.as_service_error(),
        Some(PutItemError::ConditionalCheckFailedException(_))
    )
}
