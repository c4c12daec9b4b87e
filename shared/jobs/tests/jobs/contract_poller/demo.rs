//! The demo scenario (`tests/scenarios/demo`, what `run --demo` serves): the first run
//! provisions the customers with Acronis contracts, and a contract created in the
//! simulator afterwards leads to a tenant at the next poll.

use crate::support::*;
use bridge_core::mapping::{ServiceMapping, ServiceRef, StorageMapping};
use bridge_core::settings::Settings;
use bridge_jobs::Trigger;
use bridge_jobs::run_job;
use bridge_store::store::SqliteStore;
use serde_json::json;
use simulators::scenario::Scenario;
use std::sync::Arc;

/// The demo's mapping: services 501… of `tests/scenarios/demo/autotask.json`.
fn demo_settings() -> Settings {
    let row = |item: &str, id: i64| ServiceMapping {
        offering_item: item.into(),
        service: Some(ServiceRef::Id(id)),
        ..ServiceMapping::default()
    };
    let mut s = settings();
    s.service_mappings = vec![
        row("pw_base_workstations", 501),
        row("pw_base_servers", 502),
        row("pw_base_vms", 503),
        row("pw_base_o365_seats", 504),
        row("pw_base_gsuite_seats", 505),
    ];
    s.storage_mappings = vec![StorageMapping {
        infra_id: "9b8a7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c60".into(),
        quota_and_total: Some(ServiceRef::Id(506)),
        class1_free: Some(ServiceRef::Id(507)),
        class2_billed: Some(ServiceRef::Id(508)),
        ..StorageMapping::default()
    }];
    s.public_cloud_mappings.microsoft_azure = Some(ServiceRef::Id(509));
    s.provisioning.default_storage = Some("9b8a7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c60".into());
    s
}

#[tokio::test]
async fn the_demo_provisions_its_customers_and_a_new_contract_becomes_a_tenant() {
    assert!(
        bridge_jobs::job::names().contains(&"contract-poller"),
        "the local runner schedules it"
    );
    let scenario = Scenario::demo().expect("demo scenario");
    let autotask = simulators::autotask::start(scenario.autotask)
        .await
        .expect("autotask");
    let acronis = simulators::acronis::start(scenario.acronis)
        .await
        .expect("acronis");
    let store = SqliteStore::open_in_memory().await.expect("store");
    let world = World::assemble(autotask, acronis, demo_settings(), Arc::new(store)).await;

    let first = run_job("contract-poller", &world.ctx, &Trigger::Manual, false)
        .await
        .expect("first run");
    assert!(first.failed.is_empty(), "{}", notes(&first));
    // Active Acronis contracts: Northwind (prepaid), Contoso (PAYG), Fabrikam (bundle),
    // Wide World (Microsoft 365). Expired, future and inactive ones get nothing.
    for (company, name) in [
        (174, "Nancy Davolio"),
        (175, "Carlos Grilo"),
        (176, "Fiona Bauer"),
        (179, "Wim Imre"),
    ] {
        assert_eq!(world.tenant_of(company)["name"], name, "company {company}");
    }
    for company in [177, 178, 180] {
        assert!(world.tenants_of(company).is_empty(), "company {company}");
    }

    // In the running demo: a contract created for the prospect Litware (company 180).
    world.autotask.insert(
        "Contracts",
        json!({"id": 809, "companyID": 180, "contractName": "Litware - Acronis Backup",
               "contractType": 7, "contractPeriodType": 1, "status": 1,
               "startDate": "2026-01-01T00:00:00Z", "endDate": "2030-12-31T00:00:00Z",
               "timeReportingRequiresStartAndStopTimes": 0}),
    );
    world.autotask.insert(
        "Contacts",
        json!({"companyID": 180, "firstName": "Lars", "lastName": "Ware",
               "emailAddress": "lars@litware.example", "isActive": 1, "primaryContact": true}),
    );
    world.autotask.insert(
        "ContractServices",
        json!({"contractID": 809, "serviceID": 501, "units": 8}),
    );
    let poll = run_job(
        "contract-poller",
        &world.ctx,
        &Trigger::Schedule {
            name: "poll".into(),
        },
        false,
    )
    .await
    .expect("poll");
    assert!(poll.failed.is_empty(), "{}", notes(&poll));
    let tenant = world.tenant_of(180);
    assert_eq!(tenant["name"], "Lars Ware");
    let items = world.enabled_items(tenant["id"].as_str().expect("id"));
    assert!(
        items.contains(&("pw_base_workstations".into(), json!(8))),
        "{items:?}"
    );
    assert!(
        poll.to_string().starts_with("contract-poller: read "),
        "{poll}"
    );
}
