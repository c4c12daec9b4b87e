//! The contract model through the real reads: PAYG/prepaid conflicts, bundles, unit
//! adjustments and UDF edits caught by the poll, idle polls, dry runs.

use crate::support::*;
use autotask::models::{ContractServiceAdjustment, ContractServiceBundleAdjustment};
use bridge_core::contracts::{ItemBilling, OfferingItemRef};
use bridge_core::events::ChangeReason;
use bridge_jobs::{Trigger, contract_poller};
use chrono::{Datelike, NaiveDate};
use serde_json::json;

/// A day to adjust units on that splits the current monthly period (adjusting on the
/// 1st changes rows in place, which only the sweep sees), with the clock moved there.
fn adjustment_day(world: &World) -> NaiveDate {
    let today = world.today();
    if today.day() == 1 {
        world.advance_days(1);
    }
    world.today()
}

fn midnight(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

#[tokio::test]
async fn payg_and_prepaid_on_one_item_is_a_conflict_that_is_not_applied() {
    let world = World::start(settings()).await;
    world.add_company(181, "Mixed Co", ("Max", "Mix", "max@mixed.example"));
    world.add_contract(8101, 181, Some("Yes"));
    world.add_service(8101, WORKSTATIONS, 5);
    world.add_contract(8102, 181, None);
    world.add_service(8102, WORKSTATIONS, 3);
    world.add_service(8102, SERVERS, 2);
    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));

    let snapshot = world
        .store
        .get_contract_snapshot(181)
        .await
        .expect("read")
        .expect("stored")
        .value;
    let workstations = snapshot
        .item(&OfferingItemRef::new("pw_base_workstations"))
        .expect("item");
    assert_eq!(
        workstations.billing,
        ItemBilling::Conflict {
            payg_contract_ids: vec![8101],
            prepaid_contract_ids: vec![8102],
        }
    );
    let conflicts = world.audit("contracts.conflict").await;
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let reason = conflicts[0].reason.clone().unwrap_or_default();
    assert!(
        reason.contains("8101") && reason.contains("8102"),
        "{reason}"
    );
    assert_eq!(conflicts[0].subject, "company:181");

    // The tenant gets the servers; the item in conflict stays off.
    let tenant = world.tenant_of(181);
    let items = world.enabled_items(tenant["id"].as_str().expect("id"));
    assert!(
        items.contains(&("pw_base_servers".into(), json!(2))),
        "{items:?}"
    );
    assert!(
        !items.iter().any(|(k, _)| k == "pw_base_workstations"),
        "conflicting item not applied: {items:?}"
    );

    // A sweep that finds the same conflict audits nothing new.
    world.sweep().await;
    assert_eq!(world.audit("contracts.conflict").await.len(), 1);
}

#[tokio::test]
async fn bundles_count_each_service_times_the_bundle_units_and_adjustments_are_polled() {
    let mut world = World::start(settings()).await;
    world.add_company(182, "Bundle Co", ("Bea", "Bundle", "bea@bundle.example"));
    world.add_contract(8201, 182, None);
    let bundle = world.add_bundle(8201, PROTECTION_BUNDLE, 4);
    world.add_service(8201, WORKSTATIONS, 2);
    world.sweep().await;
    let snapshot = world
        .store
        .get_contract_snapshot(182)
        .await
        .expect("read")
        .expect("stored");
    let billing = |s: &bridge_core::contracts::CompanySnapshot, item: OfferingItemRef| {
        s.item(&item).map(|e| e.billing.clone())
    };
    assert_eq!(
        billing(
            &snapshot.value,
            OfferingItemRef::new("pw_base_workstations")
        ),
        Some(ItemBilling::Prepaid { units: 6 }),
        "2 direct + 4 from the bundle"
    );
    assert_eq!(
        billing(
            &snapshot.value,
            OfferingItemRef::on_infra("pw_base_storage", STORAGE_INFRA)
        ),
        Some(ItemBilling::Prepaid { units: 4 })
    );
    let tenant = world.tenant_of(182);
    let items = world.enabled_items(tenant["id"].as_str().expect("id"));
    assert!(
        items.contains(&("pw_base_workstations".into(), json!(6))),
        "{items:?}"
    );
    world.poll().await;
    world.drain_events();

    // The MSP adds a bundle unit through the API: the next poll sees the new unit rows.
    let day = adjustment_day(&world);
    let at = world.ctx.autotask().await.expect("client");
    at.create(
        "ContractServiceBundleAdjustments",
        &ContractServiceBundleAdjustment {
            contract_id: Some(8201),
            contract_service_bundle_id: Some(bundle),
            service_bundle_id: Some(PROTECTION_BUNDLE),
            unit_change: Some(1),
            effective_date: Some(midnight(day)),
            ..Default::default()
        },
    )
    .await
    .expect("bundle adjustment");
    world.poll().await;
    let after = world
        .store
        .get_contract_snapshot(182)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(after.version, snapshot.version + 1);
    assert_eq!(
        billing(&after.value, OfferingItemRef::new("pw_base_workstations")),
        Some(ItemBilling::Prepaid { units: 7 })
    );
    let events = world.drain_events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (
            events[0].company_id,
            events[0].snapshot_version,
            events[0].reason
        ),
        (182, after.version, ChangeReason::ServicesChanged)
    );
}

#[tokio::test]
async fn unit_adjustments_and_udf_edits_are_caught_by_the_poll() {
    let mut world = World::start(settings()).await;
    world.add_company(183, "Adjust Co", ("Ada", "Just", "ada@adjust.example"));
    world.add_contract(8301, 183, None);
    let cs = world.add_service(8301, WORKSTATIONS, 10);
    world.sweep().await;
    world.poll().await;
    world.drain_events();

    let day = adjustment_day(&world);
    let at = world.ctx.autotask().await.expect("client");
    at.create(
        "ContractServiceAdjustments",
        &ContractServiceAdjustment {
            contract_id: Some(8301),
            contract_service_id: Some(cs),
            service_id: Some(WORKSTATIONS),
            unit_change: Some(5),
            effective_date: Some(midnight(day)),
            ..Default::default()
        },
    )
    .await
    .expect("adjustment");
    world.poll().await;
    let snapshot = world
        .store
        .get_contract_snapshot(183)
        .await
        .expect("read")
        .expect("stored")
        .value;
    assert_eq!(
        snapshot
            .item(&OfferingItemRef::new("pw_base_workstations"))
            .map(|e| e.billing.clone()),
        Some(ItemBilling::Prepaid { units: 15 })
    );
    assert_eq!(world.drain_events().len(), 1);

    // The contract becomes PAYG in the UI: a contract modification.
    world.autotask.patch(
        "Contracts",
        8301,
        json!({"userDefinedFields": [{"name": "Acronis PAYG", "value": "Yes"}]}),
    );
    world.poll().await;
    let snapshot = world
        .store
        .get_contract_snapshot(183)
        .await
        .expect("read")
        .expect("stored")
        .value;
    assert_eq!(
        snapshot
            .item(&OfferingItemRef::new("pw_base_workstations"))
            .map(|e| e.billing.clone()),
        Some(ItemBilling::Payg)
    );
    assert_eq!(world.drain_events().len(), 1);
}

#[tokio::test]
async fn an_idle_poll_spends_three_autotask_requests_and_nothing_else() {
    let mut world = World::start(settings()).await;
    world.add_company(184, "Idle Co", ("Ida", "Idle", "ida@idle.example"));
    world.add_contract(8401, 184, None);
    world.add_service(8401, WORKSTATIONS, 1);
    world.add_service(8401, SERVERS, 1);
    world.sweep().await;
    world.poll().await;
    world.drain_events();
    world.clear_logs();

    let idle = world.poll().await;
    assert_eq!(
        world.autotask_requests(),
        3,
        "{:?}",
        world.autotask.core().log.counts()
    );
    assert_eq!(idle.requests.get("autotask"), Some(&3));
    assert_eq!(world.acronis.core().log.len(), 0, "Acronis is not asked");
    assert_eq!(idle.requests.get("acronis"), Some(&0));
    assert!(world.drain_events().is_empty());
    assert_eq!((idle.planned, idle.applied), (0, 0), "{idle}");
    let counts = world.autotask.core().log.counts();
    for entity in [
        "Contracts query",
        "ContractServiceUnits query",
        "ContractServiceBundleUnits query",
    ] {
        assert_eq!(counts.get(entity), Some(&1), "{counts:?}");
    }
}

#[tokio::test]
async fn a_dry_run_plans_but_writes_nothing_anywhere() {
    let mut world = World::start(settings()).await;
    world.add_company(185, "Dry Co", ("Dee", "Dry", "dee@dry.example"));
    world.add_contract(8501, 185, None);
    world.add_service(8501, WORKSTATIONS, 4);
    let summary = contract_poller::run(&world.ctx, &Trigger::Manual, true)
        .await
        .expect("dry run");
    assert!(summary.dry_run);
    let plan = summary.plan.join("\n");
    assert!(
        plan.contains("company 185: store contract snapshot v1"),
        "{plan}"
    );
    assert!(
        plan.contains("create customer tenant \"Dee Dry\""),
        "{plan}"
    );
    assert!(plan.contains("publish 1 change event"), "{plan}");
    assert_eq!(summary.applied, 0);
    assert!(world.tenants_of(185).is_empty());
    assert!(
        world
            .store
            .get_contract_snapshot(185)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        world
            .store
            .get_cursor(contract_poller::CURSOR_NAME)
            .await
            .expect("read")
            .is_none(),
        "not even the cursor"
    );
    assert!(world.drain_events().is_empty());
    assert!(
        world
            .store
            .get_mapping_by_company(185)
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test]
async fn a_mapping_change_makes_the_next_run_a_sweep() {
    let mut world = World::start(settings()).await;
    world.add_company(186, "Remap Co", ("Rem", "Ap", "rem@remap.example"));
    world.add_contract(8601, 186, None);
    world.add_service(8601, SERVERS, 2);
    world.add_service(8601, 3, 4); // virtual machines: not mapped yet
    world.sweep().await;
    world.poll().await;
    world.drain_events();
    let vms = OfferingItemRef::new("pw_base_vms");
    assert!(stored(&world, 186).await.item(&vms).is_none());

    world
        .set_settings(|s| {
            s.service_mappings
                .push(bridge_core::mapping::ServiceMapping {
                    offering_item: "pw_base_vms".into(),
                    service: Some(bridge_core::mapping::ServiceRef::Id(3)),
                    ..Default::default()
                })
        })
        .await;
    let run = world.poll().await;
    assert!(run.read.contains_key("sweep"), "{run}");
    assert_eq!(
        stored(&world, 186)
            .await
            .item(&vms)
            .map(|e| e.billing.clone()),
        Some(ItemBilling::Prepaid { units: 4 })
    );
    assert_eq!(world.drain_events().len(), 1);
    let next = world.poll().await;
    assert!(next.read.contains_key("poll"), "back to polling: {next}");
}

async fn stored(world: &World, company: i64) -> bridge_core::contracts::CompanySnapshot {
    world
        .store
        .get_contract_snapshot(company)
        .await
        .expect("read")
        .expect("stored")
        .value
}
