//! The same end-to-end path on the deployed store: DynamoDB (moto's server).

use crate::support::*;
use bridge_store::store::DynamoStore;
use simulators::common::{FaultKind, FaultRule};
use std::sync::Arc;
use test_harness::Moto;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_crash_and_resume_and_deprovisioning_clock_on_dynamodb() {
    let moto = Moto::start().await;
    let client = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    DynamoStore::create_table(&client, "bridge")
        .await
        .expect("table");
    let store = DynamoStore::new(client, "bridge");
    let mut settings = settings();
    settings.deprovisioning.disable_customer = true;
    let mut world = World::with(
        simulators::autotask::Seed::generate(0),
        settings,
        Arc::new(store),
    )
    .await;
    world.sweep().await;
    world.add_company(300, "Dynamo Co", ("Dyna", "Mo", "dyna@dynamo.example"));
    world.add_contract(9300, 300, Some("Yes"));
    world.add_service(9300, M365_SEATS, 0);
    world.acronis.core().faults.add(FaultRule {
        route: "/api/2/tenants".into(),
        method: Some("POST".into()),
        query: None,
        kind: FaultKind::Drop,
        times: Some(1),
    });
    world.poll().await;
    assert_eq!(
        world
            .store
            .list_pending_provisioning()
            .await
            .expect("list")
            .len(),
        1
    );
    let resumed = world.poll().await;
    assert!(resumed.failed.is_empty(), "{}", notes(&resumed));
    let tenant = world.tenant_of(300);
    let tenant_id = tenant["id"].as_str().expect("id").to_owned();
    let items = world.enabled_items(&tenant_id);
    assert!(
        items.contains(&("pw_base_o365_seats".into(), serde_json::Value::Null)),
        "PAYG: enabled without a quota: {items:?}"
    );
    let events = world.drain_events();
    assert_eq!(events.len(), 1, "{events:?}");

    world
        .autotask
        .patch("Contracts", 9300, serde_json::json!({"status": 0}));
    world.poll().await;
    let mapping = world
        .store
        .get_mapping_by_company(300)
        .await
        .expect("read")
        .expect("mapped");
    assert!(mapping.no_services_since.is_some());
    world.advance_days(10);
    world.sweep().await;
    assert_eq!(
        world.acronis.tenant(&tenant_id).expect("tenant")["enabled"],
        false
    );
    assert_eq!(world.audit("tenant.disabled").await.len(), 1);
    let cursor = world
        .store
        .get_cursor(bridge_jobs::contract_poller::CURSOR_NAME)
        .await
        .expect("read")
        .expect("cursor");
    assert!(
        cursor.version >= 5,
        "one cursor write per run: {}",
        cursor.version
    );
}
