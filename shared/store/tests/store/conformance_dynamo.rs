//! The conformance suite against the DynamoDB adapter on moto's server, plus checks of
//! the table itself (TTL, GSI) and of corrupt items.
//!
//! One moto server is shared by the tests of this module while any of them runs (each
//! test gets its own table); when the last test holding it ends, the server is stopped.

use std::sync::{Arc, Mutex, Weak};

use crate::conformance::{SharedStore, conformance_suite};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use bridge_store::store::prelude::*;
use bridge_store::store::{DynamoStore, StoreError};
use test_harness::Moto;

static MOTO: Mutex<Weak<Moto>> = Mutex::new(Weak::new());

async fn shared_moto() -> Arc<Moto> {
    if let Some(moto) = MOTO.lock().expect("moto slot").upgrade() {
        return moto;
    }
    let started = Arc::new(Moto::start().await);
    let mut slot = MOTO.lock().expect("moto slot");
    if let Some(moto) = slot.upgrade() {
        // Another test started one meanwhile; ours stops when dropped here.
        return moto;
    }
    *slot = Arc::downgrade(&started);
    started
}

async fn client_and_table() -> (Arc<Moto>, Client, String) {
    let moto = shared_moto().await;
    let client = Client::new(&moto.sdk_config().await);
    let table = format!("bridge-{}", uuid::Uuid::new_v4());
    DynamoStore::create_table(&client, &table)
        .await
        .expect("create table");
    (moto, client, table)
}

async fn dynamo_store() -> (Arc<Moto>, SharedStore) {
    let (moto, client, table) = client_and_table().await;
    (moto, Arc::new(DynamoStore::new(client, table)))
}

conformance_suite!(dynamo_store);

#[tokio::test]
async fn create_table_is_idempotent_with_ttl_and_kind_index() {
    let (_moto, client, table) = client_and_table().await;
    DynamoStore::create_table(&client, &table)
        .await
        .expect("second create is a no-op");

    let ttl = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .expect("describe ttl");
    let ttl = ttl.time_to_live_description().expect("ttl description");
    assert_eq!(ttl.attribute_name(), Some("ttl"));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));

    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .expect("describe");
    let described = described.table().expect("table");
    let indexes: Vec<_> = described
        .global_secondary_indexes()
        .iter()
        .filter_map(|index| index.index_name())
        .collect();
    assert_eq!(indexes, ["GSI1"]);
    let billing = described
        .billing_mode_summary()
        .and_then(|b| b.billing_mode());
    assert_eq!(billing.map(|b| b.as_str()), Some("PAY_PER_REQUEST"));
}

#[tokio::test]
async fn corrupt_items_are_reported_with_their_key() {
    let (_moto, client, table) = client_and_table().await;
    client
        .put_item()
        .table_name(&table)
        .item("PK", AttributeValue::S("CURSOR#alerts".to_owned()))
        .item("SK", AttributeValue::S("CURSOR".to_owned()))
        .item("version", AttributeValue::N("1".to_owned()))
        .item("body", AttributeValue::S("{not json".to_owned()))
        .send()
        .await
        .expect("raw put");
    let store = DynamoStore::new(client, table);
    let err = store.get_cursor("alerts").await.expect_err("corrupt");
    match err {
        StoreError::Corrupt { key, .. } => assert!(key.contains("alerts"), "{key}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn usage_days_carry_the_ttl_of_their_retention() {
    use bridge_core::records::UsageDay;
    use bridge_store::store::USAGE_HISTORY_DAYS;
    use chrono::{NaiveDate, TimeDelta};

    let (_moto, client, table) = client_and_table().await;
    let store = DynamoStore::new(client.clone(), table.clone());
    let day = NaiveDate::from_ymd_opt(2026, 10, 1).expect("date");
    let record = UsageDay {
        tenant_id: "t-1".to_owned(),
        day,
        figures: Vec::new(),
        seen_at: day.and_hms_opt(23, 59, 0).expect("time").and_utc(),
    };
    store.put_usage_days(&[record]).await.expect("put");

    let item = client
        .get_item()
        .table_name(&table)
        .key("PK", AttributeValue::S("USAGEDAY#t-1".to_owned()))
        .key("SK", AttributeValue::S("DAY#2026-10-01".to_owned()))
        .send()
        .await
        .expect("raw get")
        .item
        .expect("stored under its key");
    let expiry =
        day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + TimeDelta::days(USAGE_HISTORY_DAYS);
    assert_eq!(
        item.get("ttl"),
        Some(&AttributeValue::N(expiry.timestamp().to_string())),
        "the day plus {USAGE_HISTORY_DAYS} days, in epoch seconds"
    );
}

#[tokio::test]
async fn ledger_entries_written_without_a_version_are_at_version_1() {
    let (_moto, client, table) = client_and_table().await;
    let body = r#"{"contract_service_id":9001,"period":"2026-10","company_id":174,"units":12,
                   "unit_change":2,"recorded_at":"2026-10-01T08:00:00Z"}"#;
    client
        .put_item()
        .table_name(&table)
        .item(
            "PK",
            AttributeValue::S("USAGE#00000000000000009001".to_owned()),
        )
        .item("SK", AttributeValue::S("PERIOD#2026-10".to_owned()))
        .item("body", AttributeValue::S(body.to_owned()))
        .send()
        .await
        .expect("raw put");
    let store = DynamoStore::new(client, table);
    let old = store
        .get_usage(9001, "2026-10")
        .await
        .expect("get")
        .expect("present");
    assert_eq!((old.version, old.value.units), (1, 12));
    let batch = store.get_usages("2026-10", &[9001]).await.expect("batch");
    assert_eq!(batch.get(&9001), Some(&old));

    let err = store
        .put_usage(&old.value, None, &crate::conformance::usage_audit())
        .await
        .expect_err("exists");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                current_version: Some(1),
                ..
            }
        ),
        "{err:?}"
    );
    let err = store
        .put_usage(&old.value, Some(2), &crate::conformance::usage_audit())
        .await
        .expect_err("not at 2");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                current_version: Some(1),
                ..
            }
        ),
        "{err:?}"
    );
    let mut corrected = old.value.clone();
    corrected.units = 14;
    assert_eq!(
        store
            .put_usage(&corrected, Some(1), &crate::conformance::usage_audit())
            .await
            .expect("update"),
        2
    );
    let now = store
        .get_usage(9001, "2026-10")
        .await
        .expect("get")
        .expect("present");
    assert_eq!((now.version, now.value.units), (2, 14));
}
