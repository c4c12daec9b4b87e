//! The single table's item shapes: key layout, attribute names, and conversions.
//!
//! Every key attribute is a string, so page tokens can carry keys as plain strings.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::page_token::TokenKey;
use crate::store::{StoreError, StoreResult};

pub(super) type Item = HashMap<String, AttributeValue>;

/// Attribute names. Non-key attributes always go through `#name` placeholders in
/// expressions (several, like `ttl`, are DynamoDB reserved words).
pub(super) mod attr {
    pub const PK: &str = "PK";
    pub const SK: &str = "SK";
    pub const GSI1PK: &str = "GSI1PK";
    pub const GSI1SK: &str = "GSI1SK";
    pub const VERSION: &str = "version";
    pub const BODY: &str = "body";
    pub const COMPANY_ID: &str = "company_id";
    pub const TENANT_ID: &str = "tenant_id";
    pub const HOLDER: &str = "holder";
    pub const ACQUIRED_MS: &str = "acquired_ms";
    pub const EXPIRES_MS: &str = "expires_ms";
    /// DynamoDB TTL attribute (epoch seconds): the table's TTL setting points here.
    pub const TTL: &str = "ttl";
}

/// The one GSI: audit entries by kind (`AUDIT#<kind>`), alert tickets by company
/// (`TICKETS`) and skipped alerts by time (`SKIPPED`); partitions never collide.
pub(super) const GSI1: &str = "GSI1";

/// Partition and sort keys of each item type.
pub(super) mod key {
    pub const SETTINGS: (&str, &str) = ("SETTINGS", "SETTINGS");
    /// Beside the settings, in their partition.
    pub const PAUSE: (&str, &str) = ("SETTINGS", "PAUSE");
    /// Beside the settings, in their partition.
    pub const DATABASE: (&str, &str) = ("SETTINGS", "DATABASE");
    pub const MAPPINGS_PK: &str = "MAPPINGS";
    pub const TENANT_MAPPING_SK: &str = "MAPPING";
    pub const CONTRACTS_SK: &str = "CONTRACTS";
    /// Beside the contract snapshot it was pushed from.
    pub const QUOTA_SYNC_SK: &str = "QUOTA_SYNC";
    /// Beside the contract snapshot it was reported from.
    pub const USAGE_REPORT_SK: &str = "USAGE_REPORT";
    pub const CURSOR_SK: &str = "CURSOR";
    pub const ALERT_SK: &str = "ALERT";
    /// `GSI1PK` of every alert ticket: the listing by company, then alert key.
    pub const TICKETS_GSI_PK: &str = "TICKETS";
    pub const SKIPPED_SK: &str = "SKIPPED";
    /// `GSI1PK` of every skipped alert: the listing newest first.
    pub const SKIPPED_GSI_PK: &str = "SKIPPED";
    pub const LEASE_SK: &str = "LEASE";
    pub const AUDIT_PK: &str = "AUDIT";
    /// One partition for the few unfinished provisionings, listed at every poll.
    pub const PENDING_PK: &str = "PENDING";
    /// One partition for the handful of job statuses, listed whole by `GET /jobs`.
    pub const JOBS_PK: &str = "JOBS";

    /// Zero-padded so string order is numeric order (ids are never negative).
    pub fn company(company_id: i64) -> String {
        format!("COMPANY#{company_id:020}")
    }
    pub fn tenant(tenant_id: &str) -> String {
        format!("TENANT#{tenant_id}")
    }
    pub fn cursor(name: &str) -> String {
        format!("CURSOR#{name}")
    }
    pub fn alert(alert_key: &str) -> String {
        format!("ALERT#{alert_key}")
    }
    pub fn skipped(alert_key: &str) -> String {
        format!("SKIPPED#{alert_key}")
    }
    pub fn lease(job: &str) -> String {
        format!("LEASE#{job}")
    }
    pub fn usage(contract_service_id: i64) -> String {
        format!("USAGE#{contract_service_id:020}")
    }
    pub fn period(period: &str) -> String {
        format!("PERIOD#{period}")
    }
    /// One partition per tenant, its days in date order.
    pub fn usage_days(tenant_id: &str) -> String {
        format!("USAGEDAY#{tenant_id}")
    }
    /// `day_key`: `yyyy-mm-dd`.
    pub fn day(day_key: &str) -> String {
        format!("DAY#{day_key}")
    }
    pub fn job(job: &str) -> String {
        format!("JOB#{job}")
    }
    pub fn audit_kind(kind: &str) -> String {
        format!("AUDIT#{kind}")
    }
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn key_of(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(attr::PK.to_owned(), s(pk)), (attr::SK.to_owned(), s(sk))])
}

/// A string attribute, or `Corrupt` naming the item and attribute.
pub(super) fn get_s<'a>(item: &'a Item, name: &str, what: &str) -> StoreResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(StoreError::corrupt(
            what,
            format!("missing string attribute {name}"),
        )),
    }
}

/// A number attribute, or `Corrupt` naming the item and attribute.
pub(super) fn get_n<T: FromStr>(item: &Item, name: &str, what: &str) -> StoreResult<T> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value
            .parse()
            .map_err(|_| StoreError::corrupt(what, format!("attribute {name} = {value:?}"))),
        _ => Err(StoreError::corrupt(
            what,
            format!("missing number attribute {name}"),
        )),
    }
}

/// The item's JSON body, decoded.
pub(super) fn body<T: DeserializeOwned>(item: &Item, what: &str) -> StoreResult<T> {
    let json = get_s(item, attr::BODY, what)?;
    serde_json::from_str(json).map_err(|e| StoreError::corrupt(what, e))
}

pub(super) fn to_body<T: Serialize + ?Sized>(value: &T, what: &str) -> StoreResult<AttributeValue> {
    serde_json::to_string(value)
        .map(s)
        .map_err(|e| StoreError::invalid("record", format!("{what}: {e}")))
}

/// A `LastEvaluatedKey` as a page token key (all our key attributes are strings).
pub(super) fn token_key(key: &Item) -> StoreResult<TokenKey> {
    key.iter()
        .map(|(name, value)| match value {
            AttributeValue::S(v) => Ok((name.clone(), v.clone())),
            _ => Err(StoreError::corrupt(
                "page key",
                format!("{name} is not a string"),
            )),
        })
        .collect()
}

pub(super) fn item_key(token: TokenKey) -> Item {
    token.into_iter().map(|(k, v)| (k, s(v))).collect()
}

/// Any SDK failure that is not an expected condition outcome.
///
/// Service errors read as `Code: message`; transport errors keep their whole chain.
pub(super) fn backend<E, R>(operation: &'static str, err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match err.as_service_error() {
        Some(service) => StoreError::backend(
            operation,
            format!(
                "{}: {}",
                service.code().unwrap_or("unknown error"),
                service.message().unwrap_or("no message")
            ),
        ),
        None => StoreError::backend(operation, DisplayErrorContext(err)),
    }
}
