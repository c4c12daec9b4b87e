//! The deployed adapter: one DynamoDB table (PK/SK, one GSI), see `docs/store.md`.
//!
//! Every invariant is a conditional write or a `TransactWriteItems`, never a read
//! followed by an unconditional write; every Query follows `LastEvaluatedKey`, because
//! DynamoDB stops a page at 1 MB whatever the `Limit`.

mod alert_tickets;
mod audit;
mod batch;
mod item;
mod job_runs;
mod leases;
mod ledger;
mod mappings;
mod quota_syncs;
mod reset;
mod settings;
mod snapshots;
mod table;
mod usage_history;

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use bridge_core::records::Versioned;
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::item::{Item, attr, backend, body, get_n, key_of, n, to_body};
use super::{StoreError, StoreResult};

/// The DynamoDB [`Store`](super::Store): one `impl` per record family, one file each.
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
    /// template declares it): PK/SK strings, GSI1 (audit by kind, alert tickets by
    /// company, skipped alerts by time), on-demand billing,
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
        let body = to_body(value, &what)?;
        self.put_versioned(pk, sk, what, body, expected_version)
            .await
    }

    /// [`put_doc`](Self::put_doc) of a body already encoded (and checked) by the caller.
    async fn put_versioned(
        &self,
        pk: String,
        sk: &str,
        what: String,
        body: AttributeValue,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        self.put_versioned_with(pk, sk, what, body, Item::new(), expected_version)
            .await
    }

    /// [`put_versioned`](Self::put_versioned) of an item with further attributes (index
    /// keys), replaced with it on every write.
    async fn put_versioned_with(
        &self,
        pk: String,
        sk: &str,
        what: String,
        body: AttributeValue,
        extra: Item,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let next = expected_version.map_or(1, |v| v + 1);
        let mut item = key_of(pk.clone(), sk);
        item.extend(extra);
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .item(attr::VERSION, n(next))
            .item(attr::BODY, body)
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
}

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

fn is_put_condition_failure<R>(err: &aws_sdk_dynamodb::error::SdkError<PutItemError, R>) -> bool {
    matches!(
        err.as_service_error(),
        Some(PutItemError::ConditionalCheckFailedException(_))
    )
}
