//! Leases and cursors: one item per job lease, one per cursor.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValue;
use bridge_core::records::{Lease, Versioned};
use chrono::{DateTime, Utc};

use super::item::{attr, backend, get_n, key, key_of, n, s};
use super::{DynamoStore, is_put_condition_failure};
use crate::store::{LeaseStore, StoreError, StoreResult, lease_from_millis, lease_span, validate};

#[async_trait]
impl LeaseStore for DynamoStore {
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
}
