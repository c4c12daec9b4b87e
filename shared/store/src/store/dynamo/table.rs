//! Creating the single table: for tests and local use (deployed, `infra/` declares it
//! with the same keys, GSI and TTL attribute).

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use super::item::{GSI1, attr, backend};
use crate::store::{StoreError, StoreResult};

/// How long to wait for a new table to become active.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// Creates the table (on-demand billing, GSI1, TTL on `ttl`) unless it already exists.
pub(super) async fn create(client: &Client, table_name: &str) -> StoreResult<()> {
    let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::backend("create_table", e);
    let string_attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(build)
    };
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(build)
    };
    let by_kind = GlobalSecondaryIndex::builder()
        .index_name(GSI1)
        .key_schema(key(attr::GSI1PK, KeyType::Hash)?)
        .key_schema(key(attr::GSI1SK, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(build)?;
    let created = client
        .create_table()
        .table_name(table_name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attr(attr::PK)?)
        .attribute_definitions(string_attr(attr::SK)?)
        .attribute_definitions(string_attr(attr::GSI1PK)?)
        .attribute_definitions(string_attr(attr::GSI1SK)?)
        .key_schema(key(attr::PK, KeyType::Hash)?)
        .key_schema(key(attr::SK, KeyType::Range)?)
        .global_secondary_indexes(by_kind)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(err)
            if matches!(
                err.as_service_error(),
                Some(CreateTableError::ResourceInUseException(_))
            ) =>
        {
            return Ok(());
        }
        Err(err) => return Err(backend("create_table", err)),
    }
    client
        .wait_until_table_exists()
        .table_name(table_name)
        .wait(ACTIVE_TIMEOUT)
        .await
        .map_err(|e| StoreError::backend("create_table", DisplayErrorContext(e)))?;
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name(attr::TTL)
        .enabled(true)
        .build()
        .map_err(build)?;
    client
        .update_time_to_live()
        .table_name(table_name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| backend("update_time_to_live", e))?;
    Ok(())
}
