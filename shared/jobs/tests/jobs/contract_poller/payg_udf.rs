//! The "Acronis PAYG" UDF: created as a Yes/No list, completed after a run died half
//! way, kept when it is text, and read through its labels when the list stores other
//! values.

use crate::support::*;
use bridge_core::contracts::{ItemBilling, OfferingItemRef};
use bridge_jobs::{Trigger, contract_poller};
use bridge_store::store::SqliteStore;
use serde_json::{Value, json};
use simulators::autotask::Seed;
use simulators::common::{FaultKind, FaultRule};
use std::sync::Arc;

/// The generated catalogue; `payg` replaces its text "Acronis PAYG" UDF: `None` drops
/// it, `Some(items)` makes it a list with these (display, export) items.
fn seed(payg: Option<&[(&str, &str)]>) -> Seed {
    let mut seed = Seed::generate(0);
    match payg {
        None => seed.user_defined_field_definitions.clear(),
        Some(items) => {
            // The simulator's "List" code (`UserDefinedFieldDefinitions.dataType`).
            seed.user_defined_field_definitions[0].insert("dataType".into(), json!(4));
            for (display, export) in items {
                let item =
                    json!({"udfFieldId": 1, "valueForDisplay": display, "valueForExport": export});
                if let Value::Object(row) = item {
                    seed.user_defined_field_list_items.push(row);
                }
            }
        }
    }
    seed
}

async fn world(seed: Seed) -> World {
    let store = SqliteStore::open_in_memory().await.expect("store");
    World::with(seed, settings(), Arc::new(store)).await
}

/// The "Acronis PAYG" definitions.
fn definitions(world: &World) -> Vec<Value> {
    world
        .autotask
        .records("UserDefinedFieldDefinitions")
        .into_iter()
        .filter(|d| d["name"] == "Acronis PAYG")
        .collect()
}

/// Every list item as (udfFieldId, display, export, active).
fn items(world: &World) -> Vec<(i64, String, String, bool)> {
    world
        .autotask
        .records("UserDefinedFieldListItems")
        .iter()
        .map(|i| {
            (
                i["udfFieldId"].as_i64().unwrap_or_default(),
                i["valueForDisplay"].as_str().unwrap_or_default().to_owned(),
                i["valueForExport"].as_str().unwrap_or_default().to_owned(),
                i["isActive"] == true,
            )
        })
        .collect()
}

fn yes_no(udf: i64) -> Vec<(i64, String, String, bool)> {
    vec![
        (udf, "Yes".into(), "Yes".into(), true),
        (udf, "No".into(), "No".into(), true),
    ]
}

/// Requests spent on UDFs: their field info, definitions and list items.
fn udf_requests(world: &World) -> usize {
    world
        .autotask
        .core()
        .log
        .counts()
        .iter()
        .filter(|(k, _)| k.starts_with("UserDefinedField") || k.ends_with("userDefinedFields"))
        .map(|(_, n)| *n)
        .sum()
}

/// A customer with one contract holding 3 workstations; `payg` is the UDF value.
fn customer(world: &World, company: i64, payg: &str) {
    let last = format!("Payg{company}");
    let email = format!("pat@payg{company}.example");
    world.add_company(
        company,
        &format!("Company {company}"),
        ("Pat", &last, &email),
    );
    world.add_contract(company * 10, company, Some(payg));
    world.add_service(company * 10, WORKSTATIONS, 3);
}

async fn workstations(world: &World, company: i64) -> Option<ItemBilling> {
    world
        .store
        .get_contract_snapshot(company)
        .await
        .expect("read")
        .expect("stored")
        .value
        .item(&OfferingItemRef::new("pw_base_workstations"))
        .map(|e| e.billing.clone())
}

fn set_payg(world: &World, contract: i64, value: &str) {
    world.autotask.patch(
        "Contracts",
        contract,
        json!({"userDefinedFields": [{"name": "Acronis PAYG", "value": value}]}),
    );
}

#[tokio::test]
async fn a_missing_udf_is_created_once_as_a_yes_no_list() {
    let world = world(seed(None)).await;
    let dry = contract_poller::run(&world.ctx, &Trigger::Manual, true)
        .await
        .expect("dry run");
    let plan = dry.plan.join("\n");
    assert!(
        plan.contains(
            "create the contract UDF \"Acronis PAYG\" (List) with the items \"Yes\" and \"No\""
        ),
        "{plan}"
    );
    assert!(definitions(&world).is_empty(), "a dry run creates nothing");

    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    let created = definitions(&world);
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(
        (&created[0]["udfType"], &created[0]["dataType"]),
        (&json!(10), &json!(4)),
        "the simulator's Contract and List codes, read from its picklists"
    );
    let udf = created[0]["id"].as_i64().expect("id");
    assert_eq!(items(&world), yes_no(udf));
    let audit = world.audit("udf.created").await;
    assert_eq!(audit.len(), 1);
    let after = audit[0].after.clone().expect("after");
    assert_eq!(
        (
            &after["id"],
            &after["dataType"],
            &after["items"][0]["valueForExport"],
            &after["items"][1]["valueForDisplay"]
        ),
        (&json!(udf), &json!("List"), &json!("Yes"), &json!("No")),
        "{after}"
    );

    // A plain Yes/No list costs nothing to read, in polls or sweeps.
    world.clear_logs();
    customer(&world, 191, "Yes");
    world.poll().await;
    assert_eq!(workstations(&world, 191).await, Some(ItemBilling::Payg));
    world.sweep().await;
    assert_eq!(
        udf_requests(&world),
        0,
        "{:?}",
        world.autotask.core().log.counts()
    );
    assert_eq!((definitions(&world).len(), items(&world).len()), (1, 2));
}

#[tokio::test]
async fn a_list_left_without_items_is_completed_by_the_next_sweep() {
    let world = world(seed(None)).await;
    // The run dies between creating the UDF and its first item.
    world.autotask.core().faults.add(FaultRule {
        route: "UserDefinedFields/".into(),
        method: Some("POST".into()),
        query: None,
        kind: FaultKind::Status {
            status: 503,
            retry_after: None,
            body: None,
        },
        times: Some(1),
    });
    let broken = world.sweep().await;
    assert!(
        notes(&broken).contains("udf:Acronis PAYG"),
        "{}",
        notes(&broken)
    );
    assert_eq!(definitions(&world).len(), 1);
    assert!(items(&world).is_empty());
    assert!(world.audit("udf.created").await.is_empty());

    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    let udf = definitions(&world)[0]["id"].as_i64().expect("id");
    assert_eq!(definitions(&world).len(), 1, "not created twice");
    assert_eq!(items(&world), yes_no(udf));
    let audit = world.audit("udf.completed").await;
    assert_eq!(audit.len(), 1);
    let after = audit[0].after.clone().expect("after");
    assert_eq!(
        after["itemsAdded"].as_array().map(Vec::len),
        Some(2),
        "{after}"
    );

    world.clear_logs();
    world.sweep().await;
    assert_eq!(udf_requests(&world), 0, "complete now");
}

#[tokio::test]
async fn a_list_with_only_yes_gets_no_and_nothing_twice() {
    let world = world(seed(Some(&[("Yes", "Yes")]))).await;
    let dry = contract_poller::run(&world.ctx, &Trigger::Manual, true)
        .await
        .expect("dry run");
    let plan = dry.plan.join("\n");
    assert!(
        plan.contains("add the item(s) \"No\" to the contract UDF \"Acronis PAYG\" (udf:1)"),
        "{plan}"
    );
    assert_eq!(items(&world).len(), 1);

    world.sweep().await;
    assert_eq!(items(&world), yes_no(1));
    assert_eq!(definitions(&world).len(), 1);
    let audit = world.audit("udf.completed").await;
    assert_eq!(audit.len(), 1);
    let before = audit[0].before.clone().expect("before");
    assert_eq!(before["items"][0]["valueForExport"], "Yes", "{before}");
    assert_eq!(
        audit[0].after.clone().expect("after")["itemsAdded"][0]["valueForExport"],
        "No"
    );
}

#[tokio::test]
async fn an_existing_text_udf_is_kept_and_read() {
    let world = world(Seed::generate(0)).await;
    customer(&world, 192, "Yes");
    customer(&world, 193, " no ");
    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    let kept = definitions(&world);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["dataType"], 1, "still text");
    assert!(items(&world).is_empty());
    assert!(world.audit("udf.created").await.is_empty());
    assert!(world.audit("udf.completed").await.is_empty());
    assert_eq!(workstations(&world, 192).await, Some(ItemBilling::Payg));
    assert_eq!(
        workstations(&world, 193).await,
        Some(ItemBilling::Prepaid { units: 3 })
    );
    world.clear_logs();
    world.sweep().await;
    assert_eq!(udf_requests(&world), 0);
}

#[tokio::test]
async fn a_list_exporting_1_and_0_reads_through_its_yes_no_labels() {
    let world = world(seed(Some(&[("Yes", "1"), ("No", "0")]))).await;
    customer(&world, 194, "1");
    customer(&world, 195, "0");
    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    assert_eq!(items(&world).len(), 2, "a complete list: nothing added");
    assert!(world.audit("udf.completed").await.is_empty());
    assert_eq!(workstations(&world, 194).await, Some(ItemBilling::Payg));
    assert_eq!(
        workstations(&world, 195).await,
        Some(ItemBilling::Prepaid { units: 3 })
    );

    // Polls use the translations the sweep remembered.
    world.clear_logs();
    set_payg(&world, 1950, "1");
    world.poll().await;
    assert_eq!(workstations(&world, 195).await, Some(ItemBilling::Payg));
    assert_eq!(udf_requests(&world), 0);

    // A cursor that holds no translations costs one read, once.
    let stored = world
        .store
        .get_cursor(contract_poller::CURSOR_NAME)
        .await
        .expect("read")
        .expect("cursor");
    let mut cursor: Value = serde_json::from_str(&stored.value).expect("json");
    assert_eq!(cursor["payg_labels"], json!({"0": "No", "1": "Yes"}));
    cursor
        .as_object_mut()
        .expect("object")
        .remove("payg_labels");
    world
        .store
        .put_cursor(
            contract_poller::CURSOR_NAME,
            &cursor.to_string(),
            Some(stored.version),
        )
        .await
        .expect("write");
    set_payg(&world, 1950, "0");
    world.poll().await;
    assert_eq!(
        workstations(&world, 195).await,
        Some(ItemBilling::Prepaid { units: 3 })
    );
    assert_eq!(udf_requests(&world), 1);
    set_payg(&world, 1950, "1");
    world.poll().await;
    assert_eq!(workstations(&world, 195).await, Some(ItemBilling::Payg));
    assert_eq!(udf_requests(&world), 1, "remembered again");

    // Sweeps refresh what is remembered: one request a night.
    world.clear_logs();
    world.sweep().await;
    assert_eq!(udf_requests(&world), 1);
}
