//! Quota push end to end: contracts in the Autotask simulator, the real contract poller
//! storing snapshots and announcing changes, the real quota-push job, tenants in the
//! Acronis simulator, a real store.

use crate::support::*;
use bridge_core::events::CompanyContractsChanged;
use bridge_core::mapping::{MappedTenantKind, ServiceMapping};
use bridge_core::settings::{PeriodType, Settings};
use bridge_jobs::{JobSummary, Trigger, run_job};
use serde_json::{Value, json};
use simulators::common::{FaultKind, FaultRule};

const GIB: u64 = 1 << 30;
const ACME: i64 = 100;
const CONTRACT: i64 = 10;

/// The poller's settings plus a Free row and quotas to zero.
fn quota_settings() -> Settings {
    let mut s = settings();
    s.deprovisioning.set_quotas_to_zero = true;
    s.service_mappings.push(ServiceMapping {
        offering_item: "pw_base_o365_mailboxes".into(),
        free: true,
        ..ServiceMapping::default()
    });
    s
}

async fn push(world: &World, trigger: Trigger) -> JobSummary {
    run_job("quota-push", &world.ctx, &trigger, false)
        .await
        .unwrap_or_else(|e| panic!("quota push failed: {e}"))
}

fn sweep() -> Trigger {
    Trigger::Schedule {
        name: "sweep".into(),
    }
}

fn event(e: CompanyContractsChanged) -> Trigger {
    Trigger::ChangeEvent(e)
}

/// Acme: servers 2 and the protection bundle (a workstation and 1 GB each) × 5 on one
/// prepaid contract, provisioned by the poller. Returns its tenant id.
async fn acme(world: &mut World) -> String {
    world.add_company(ACME, "Acme", ("Ada", "Lovelace", "ada@acme.example"));
    world.add_contract(CONTRACT, ACME, None);
    world.add_service(CONTRACT, SERVERS, 2);
    world.add_bundle(CONTRACT, PROTECTION_BUNDLE, 5);
    let swept = world.sweep().await;
    assert!(swept.failed.is_empty(), "{}", notes(&swept));
    world.drain_events();
    world.tenant_of(ACME)["id"]
        .as_str()
        .expect("tenant id")
        .to_owned()
}

/// The quota of one item of a tenant as `(value, overage, status)`.
fn quota(world: &World, tenant: &str, name: &str) -> (Value, Value, Value) {
    let item = world
        .acronis
        .offering_items(tenant)
        .into_iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not an item of {tenant}"));
    (
        item["quota"]["value"].clone(),
        item["quota"]["overage"].clone(),
        item["status"].clone(),
    )
}

/// Sets an item's quota by hand in Acronis, as an operator in the Acronis console.
async fn set_by_hand(world: &World, tenant: &str, name: &str, value: u64) {
    let acronis = world.ctx.acronis().await.expect("client");
    acronis
        .update_quotas_with_retry(tenant, |items| {
            items
                .iter()
                .filter(|i| i.name == name)
                .map(|i| {
                    let mut update = i.to_update();
                    update.status = 1;
                    update.quota = Some(::acronis::Quota {
                        value: Some(value),
                        overage: Some(0),
                        version: 0,
                    });
                    update
                })
                .collect()
        })
        .await
        .expect("set by hand");
}

#[tokio::test]
async fn contract_units_become_hard_quotas_and_a_unit_change_follows_within_one_poll() {
    let mut world = World::start(quota_settings()).await;
    let tenant = acme(&mut world).await;
    let first = push(&world, sweep()).await;
    assert!(first.failed.is_empty(), "{}", notes(&first));
    assert_eq!(quota(&world, &tenant, "pw_base_servers").0, json!(2));
    assert_eq!(
        quota(&world, &tenant, "pw_base_servers").1,
        json!(0),
        "no overage"
    );
    assert_eq!(quota(&world, &tenant, "pw_base_workstations").0, json!(5));
    let storage = world
        .acronis
        .offering_items(&tenant)
        .into_iter()
        .find(|i| i["name"] == "pw_base_storage" && i["infra_id"] == STORAGE_INFRA)
        .expect("storage");
    assert_eq!(
        storage["quota"]["value"],
        json!(5 * GIB),
        "5 GB as binary bytes"
    );

    // Nothing changed: a second sweep has nobody to push.
    let idle = push(&world, sweep()).await;
    assert_eq!((idle.planned, idle.applied), (0, 0), "{idle}");

    // Staff add a server in Autotask; the next poll announces Acme; the push follows.
    world
        .adjust_units(CONTRACT, world.contract_service(CONTRACT, SERVERS), 1)
        .await;
    world.poll().await;
    let events = world.drain_events();
    assert_eq!(events.len(), 1, "{events:?}");
    let pushed = push(&world, event(events[0].clone())).await;
    assert_eq!(pushed.applied, 1, "{pushed}\n{:?}", pushed.plan);
    assert!(
        pushed.plan[0].contains("pw_base_servers"),
        "{:?}",
        pushed.plan
    );
    assert_eq!(quota(&world, &tenant, "pw_base_servers").0, json!(3));
    let audited = world.audit("quota.changed").await;
    let servers: Vec<_> = audited
        .iter()
        .filter(|a| {
            a.after
                .as_ref()
                .is_some_and(|v| v["item"] == "pw_base_servers")
        })
        .collect();
    assert_eq!(
        servers.len(),
        1,
        "the change (provisioning set the first quota)"
    );

    // The same event delivered twice changes nothing and audits nothing.
    let again = push(&world, event(events[0].clone())).await;
    assert_eq!(again.applied, 0, "{again}");
    assert_eq!(world.audit("quota.changed").await.len(), audited.len());
}

#[tokio::test]
async fn payg_free_and_items_outside_the_contract() {
    let mut world = World::start(quota_settings()).await;
    let tenant = acme(&mut world).await;
    // A PAYG contract with Microsoft 365 seats, and two items switched on by hand.
    world.add_contract(11, ACME, Some("Yes"));
    world.add_service(11, M365_SEATS, 0);
    set_by_hand(&world, &tenant, "pw_base_vms", 7).await;
    set_by_hand(&world, &tenant, "pw_base_o365_mailboxes", 3).await;
    world.poll().await;
    world.drain_events();
    let pushed = push(&world, sweep()).await;
    assert!(pushed.failed.is_empty(), "{}", notes(&pushed));
    let (seats, _, on) = quota(&world, &tenant, "pw_base_o365_seats");
    assert_eq!(
        (seats, on),
        (Value::Null, json!(1)),
        "PAYG: on and unlimited"
    );
    assert_eq!(
        quota(&world, &tenant, "pw_base_o365_mailboxes").0,
        Value::Null,
        "Free: unlimited"
    );
    assert_eq!(
        quota(&world, &tenant, "pw_base_vms").0,
        json!(0),
        "not in any contract, quotas to zero on"
    );

    // With zeroing off, an item outside the contract is left as it is.
    world
        .set_settings(|s| s.deprovisioning.set_quotas_to_zero = false)
        .await;
    set_by_hand(&world, &tenant, "pw_base_vms", 4).await;
    push(&world, Trigger::Manual).await;
    assert_eq!(quota(&world, &tenant, "pw_base_vms").0, json!(4));
}

#[tokio::test]
async fn two_way_sync_follows_each_side_and_autotask_wins_a_conflict() {
    let mut world = World::start(quota_settings()).await;
    let tenant = acme(&mut world).await;
    world
        .set_settings(|s| {
            s.features.two_way_sync = true;
            s.features.allocation_code = Some(1);
            s.features.period_type = Some(PeriodType::Monthly);
        })
        .await;
    push(&world, Trigger::Manual).await;
    let line = world.contract_service(CONTRACT, SERVERS);

    // Only Acronis changed: the contract follows, through an adjustment.
    set_by_hand(&world, &tenant, "pw_base_servers", 4).await;
    let pushed = push(&world, Trigger::Manual).await;
    assert!(pushed.failed.is_empty(), "{}", notes(&pushed));
    let units = world.units_today(line);
    assert_eq!(units, Some(4), "{:?}", pushed.plan);
    assert_eq!(quota(&world, &tenant, "pw_base_servers").0, json!(4));
    assert_eq!(world.audit("contract_units.changed").await.len(), 1);
    // The poller sees the new units; pushing again changes nothing.
    world.poll().await;
    world.drain_events();
    let settled = push(&world, Trigger::Manual).await;
    assert_eq!(settled.applied, 0, "{settled}\n{:?}", settled.plan);

    // Only Autotask changed, the next day: Acronis follows. (A second adjustment on the
    // day of the first changes that day's unit row in place, which only the nightly
    // sweep sees; see docs/contract-poller.md.)
    world.advance_days(1);
    world.adjust_units(CONTRACT, line, -1).await;
    world.poll().await;
    world.drain_events();
    push(&world, Trigger::Manual).await;
    assert_eq!(quota(&world, &tenant, "pw_base_servers").0, json!(3));

    // Both changed: Autotask wins, and the conflict is audited.
    world.advance_days(1);
    set_by_hand(&world, &tenant, "pw_base_servers", 9).await;
    world.adjust_units(CONTRACT, line, 2).await;
    world.poll().await;
    world.drain_events();
    push(&world, Trigger::Manual).await;
    assert_eq!(quota(&world, &tenant, "pw_base_servers").0, json!(5));
    assert_eq!(world.units_today(line), Some(5));
    assert_eq!(world.audit("quota.sync_conflict").await.len(), 1);
}

#[tokio::test]
async fn a_426_and_a_429_storm_in_the_middle_of_a_push_still_converge() {
    let mut world = World::start(quota_settings()).await;
    let tenant = acme(&mut world).await;
    world
        .adjust_units(CONTRACT, world.contract_service(CONTRACT, SERVERS), 4)
        .await;
    world.poll().await;
    world.drain_events();
    let faults = &world.acronis.core().faults;
    faults.add(FaultRule {
        route: "offering_items".into(),
        method: Some("PUT".into()),
        query: None,
        kind: FaultKind::Status {
            status: 426,
            retry_after: None,
            body: Some(
                json!({"error": {"code": 426, "message": "quota version is stale"}}).to_string(),
            ),
        },
        times: Some(1),
    });
    faults.add(FaultRule {
        route: "offering_items".into(),
        method: Some("GET".into()),
        query: None,
        kind: FaultKind::Status {
            status: 429,
            retry_after: Some(0),
            body: None,
        },
        times: Some(3),
    });
    let pushed = push(&world, sweep()).await;
    assert!(pushed.failed.is_empty(), "{}", notes(&pushed));
    assert_eq!(quota(&world, &tenant, "pw_base_servers").0, json!(6));
}

#[tokio::test]
async fn one_refused_item_does_not_hold_back_the_others_and_is_shown() {
    let mut world = World::start(quota_settings()).await;
    let tenant = acme(&mut world).await;
    push(&world, sweep()).await;
    // Two changes in one push: servers and the bundle (workstations, storage).
    world
        .adjust_units(CONTRACT, world.contract_service(CONTRACT, SERVERS), 1)
        .await;
    let bundle = world
        .autotask
        .records("ContractServiceBundles")
        .into_iter()
        .find(|r| r["contractID"] == CONTRACT)
        .and_then(|r| r["id"].as_i64())
        .expect("bundle line");
    let autotask = world.ctx.autotask().await.expect("client");
    autotask
        .create_child(
            "Contracts",
            CONTRACT,
            "ServiceBundleAdjustments",
            &json!({"contractID": CONTRACT, "contractServiceBundleID": bundle,
                    "effectiveDate": format!("{}T00:00:00Z", world.today()), "unitChange": 2}),
        )
        .await
        .expect("bundle adjustment");
    world.poll().await;
    world.drain_events();
    // Acronis refuses the whole request, then the first item on its own.
    world.acronis.core().faults.add(FaultRule {
        route: "offering_items".into(),
        method: Some("PUT".into()),
        query: None,
        kind: FaultKind::Status {
            status: 400,
            retry_after: None,
            body: Some(
                json!({"error": {"code": 1027, "message": "Offering item cannot be changed"}})
                    .to_string(),
            ),
        },
        times: Some(2),
    });
    let pushed = push(&world, sweep()).await;
    assert_eq!(pushed.failed.len(), 1, "{}", notes(&pushed));
    assert!(notes(&pushed).contains("Offering item cannot be changed"));
    assert!(pushed.applied >= 1, "{pushed}");
    let last_error = || async {
        let record = world.store.get_quota_sync(ACME).await.expect("read");
        record.expect("recorded").value.last_error
    };
    assert!(last_error().await.is_some());
    // The next sweep, with no contract change since, retries the refused item and
    // clears the error; the sweep after it finds no customer behind.
    let retried = push(&world, sweep()).await;
    assert_eq!(retried.read.get("customers behind"), Some(&1), "{retried}");
    assert!(retried.failed.is_empty(), "{}", notes(&retried));
    assert_eq!(quota(&world, &tenant, "pw_base_servers").0, json!(3));
    assert_eq!(quota(&world, &tenant, "pw_base_workstations").0, json!(7));
    assert!(last_error().await.is_none());
    let settled = push(&world, sweep()).await;
    assert_eq!(settled.read.get("customers behind"), Some(&0), "{settled}");
}

#[tokio::test]
async fn two_pushes_at_once_reach_one_end_state_with_one_audit_per_change() {
    let mut world = World::start(quota_settings()).await;
    let tenant = acme(&mut world).await;
    push(&world, sweep()).await;
    world
        .adjust_units(CONTRACT, world.contract_service(CONTRACT, SERVERS), 2)
        .await;
    world.poll().await;
    let events = world.drain_events();
    let before = world.audit("quota.changed").await.len();
    let (a, b) = tokio::join!(
        push(&world, event(events[0].clone())),
        push(&world, Trigger::Manual)
    );
    assert!(
        a.failed.is_empty() && b.failed.is_empty(),
        "{}\n{}",
        notes(&a),
        notes(&b)
    );
    assert_eq!(quota(&world, &tenant, "pw_base_servers").0, json!(4));
    assert_eq!(world.audit("quota.changed").await.len(), before + 1);
}

#[tokio::test]
async fn the_sweep_catches_a_lost_event_and_a_tenant_mapped_by_hand() {
    let mut world = World::start(quota_settings()).await;
    let tenant = acme(&mut world).await;
    push(&world, sweep()).await;
    // The event is lost.
    world
        .adjust_units(CONTRACT, world.contract_service(CONTRACT, SERVERS), 1)
        .await;
    world.poll().await;
    world.drain_events();
    // A customer whose existing tenant is mapped by hand (never pushed).
    world.add_company(101, "Fabrikam", ("Fay", "Brik", "fay@fabrikam.example"));
    world.add_contract(12, 101, None);
    world.add_service(12, SERVERS, 6);
    let existing = world
        .acronis_tenant("Fabrikam Inc", "customer", PARTNER)
        .await;
    world
        .map_by_hand(
            101,
            &existing,
            MappedTenantKind::Customer,
            chrono::Utc::now(),
        )
        .await;
    world.sweep().await;
    world.drain_events();

    let swept = push(&world, sweep()).await;
    assert!(swept.failed.is_empty(), "{}", notes(&swept));
    assert_eq!(quota(&world, &tenant, "pw_base_servers").0, json!(3));
    let (servers, _, on) = quota(&world, &existing, "pw_base_servers");
    assert_eq!(
        (servers, on),
        (json!(6), json!(1)),
        "enabled with its units"
    );
    let idle = push(&world, sweep()).await;
    assert_eq!(idle.applied, 0, "{idle}");
}

#[tokio::test]
async fn a_company_mapped_to_a_sub_partner_is_skipped_and_its_tenant_never_touched() {
    let mut world = World::start(quota_settings()).await;
    let tenant = acme(&mut world).await;
    // A reseller whose company holds servers in a prepaid contract: a customer mapping
    // would get a quota of 3.
    const WINGTIP: i64 = 102;
    world.add_company(
        WINGTIP,
        "Wingtip",
        ("Wanda", "Tip", "wanda@wingtip.example"),
    );
    world.add_contract(13, WINGTIP, None);
    world.add_service(13, SERVERS, 3);
    let reseller = world
        .acronis_tenant("Wingtip Reseller", "partner", PARTNER)
        .await;
    world
        .map_by_hand(
            WINGTIP,
            &reseller,
            MappedTenantKind::SubPartner,
            chrono::Utc::now(),
        )
        .await;
    let swept = world.sweep().await;
    assert!(swept.failed.is_empty(), "{}", notes(&swept));
    let announced = world
        .drain_events()
        .into_iter()
        .find(|e| e.company_id == WINGTIP)
        .expect("the sweep announces the mapped company");
    let items_before = world.acronis.offering_items(&reseller);
    world.clear_logs();

    let skipped = format!("company:{WINGTIP}: sub-partner tenant: usage is aggregated");
    for trigger in [sweep(), Trigger::Manual, event(announced)] {
        let name = format!("{trigger:?}");
        let summary = push(&world, trigger).await;
        assert!(summary.failed.is_empty(), "{name}: {}", notes(&summary));
        assert!(
            notes(&summary).contains(&skipped),
            "{name}: {}",
            notes(&summary)
        );
        assert!(
            !summary.plan.iter().any(|l| l.contains(&reseller)),
            "{name}: {:?}",
            summary.plan
        );
    }
    assert_eq!(world.acronis.offering_items(&reseller), items_before);
    let touched: Vec<String> = world
        .acronis
        .core()
        .log
        .entries()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .filter(|r| r.contains(&reseller))
        .collect();
    assert!(
        touched.is_empty(),
        "the sub-partner is not even read: {touched:?}"
    );
    assert!(
        world
            .audit("quota.changed")
            .await
            .iter()
            .all(|a| a.subject != format!("tenant:{reseller}"))
    );
    assert!(
        world
            .store
            .get_quota_sync(WINGTIP)
            .await
            .expect("read")
            .is_none(),
        "no push is recorded for it"
    );
    // The customer beside it is pushed as usual.
    let acme = world.store.get_quota_sync(ACME).await.expect("read");
    assert_eq!(acme.map(|p| p.value.tenant_id), Some(tenant));
}

/// The ledger paths on the deployed store: merge bases and pushed versions in DynamoDB
/// (moto's server), two-way sync writing back through Autotask.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_push_and_two_way_sync_on_dynamodb() {
    use bridge_store::store::DynamoStore;
    let moto = test_harness::Moto::start().await;
    let client = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    DynamoStore::create_table(&client, "bridge")
        .await
        .expect("table");
    let mut settings = quota_settings();
    settings.features.two_way_sync = true;
    settings.features.allocation_code = Some(1);
    settings.features.period_type = Some(PeriodType::Monthly);
    let mut world = World::with(
        simulators::autotask::Seed::generate(0),
        settings,
        std::sync::Arc::new(DynamoStore::new(client, "bridge")),
    )
    .await;
    let tenant = acme(&mut world).await;
    let first = push(&world, sweep()).await;
    assert!(first.failed.is_empty(), "{}", notes(&first));
    let recorded = world
        .store
        .get_quota_sync(ACME)
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(recorded.value.tenant_id, tenant);
    assert!(recorded.value.pushed_snapshot_version.is_some());
    assert!(!recorded.value.bases.is_empty(), "merge bases stored");

    set_by_hand(&world, &tenant, "pw_base_servers", 5).await;
    let pushed = push(&world, Trigger::Manual).await;
    assert!(pushed.failed.is_empty(), "{}", notes(&pushed));
    assert_eq!(
        world.units_today(world.contract_service(CONTRACT, SERVERS)),
        Some(5)
    );
    let idle = push(&world, sweep()).await;
    assert_eq!(idle.applied, 0, "{idle}");
}

#[tokio::test]
async fn a_quota_applied_as_its_run_was_killed_is_audited_once_by_the_next_push() {
    let mut world = World::start(quota_settings()).await;
    let tenant = acme(&mut world).await;
    push(&world, sweep()).await;
    world
        .adjust_units(CONTRACT, world.contract_service(CONTRACT, SERVERS), 2)
        .await;
    world.poll().await;
    let events = world.drain_events();
    let before = world.audit("quota.changed").await.len();
    // Killed once Acronis has applied the quota, before its answer arrives.
    let acronis = world.acronis.core().clone();
    acronis.faults.add(FaultRule::once(
        "/offering_items",
        "PUT",
        FaultKind::Hang { applied: true },
    ));
    let change = event(events[0].clone());
    acronis
        .kill_when_held(run_job("quota-push", &world.ctx, &change, false))
        .await;
    assert_eq!(
        quota(&world, &tenant, "pw_base_servers").0,
        json!(4),
        "applied"
    );
    assert_eq!(world.audit("quota.changed").await.len(), before);

    // Past the killed run's lease, the sweep finds the quota right and audits the change
    // the killed run made, once.
    world.clock.advance(chrono::Duration::minutes(6));
    let next = push(&world, sweep()).await;
    assert_eq!(next.applied, 0, "nothing left to write: {next}");
    let audited = world.audit("quota.changed").await;
    assert_eq!(audited.len(), before + 1, "{audited:?}");
    assert_eq!(
        audited[0]
            .after
            .as_ref()
            .map(|a| a["quota"]["value"].clone()),
        Some(json!(4))
    );
    push(&world, sweep()).await;
    assert_eq!(
        world.audit("quota.changed").await.len(),
        before + 1,
        "audited once"
    );
}

#[tokio::test]
async fn a_sweep_stopped_at_its_deadline_is_finished_by_the_next_with_nothing_done_twice() {
    let mut world = World::start(quota_settings()).await;
    let companies: Vec<i64> = (201..=206).collect();
    for &company in &companies {
        let (name, last) = (format!("Customer {company}"), format!("Stomer{company}"));
        let email = format!("cy@customer{company}.example");
        world.add_company(company, &name, ("Cy", &last, &email));
        world.add_contract(company, company, None);
        world.add_service(company, SERVERS, company - 200);
    }
    let swept = world.sweep().await;
    assert!(swept.failed.is_empty(), "{}", notes(&swept));
    // Ten more servers each, the events lost: every customer is behind.
    for &company in &companies {
        world
            .adjust_units(company, world.contract_service(company, SERVERS), 10)
            .await;
    }
    world.poll().await;
    world.drain_events();
    let servers_of = |world: &World| -> Vec<Value> {
        companies
            .iter()
            .map(|&c| {
                let tenant = world.tenant_of(c)["id"]
                    .as_str()
                    .expect("tenant")
                    .to_owned();
                quota(world, &tenant, "pw_base_servers").0
            })
            .collect()
    };
    let before = servers_of(&world);
    assert_eq!(
        before,
        companies.iter().map(|c| json!(c - 200)).collect::<Vec<_>>()
    );
    let whole = bridge_jobs::harness::run(
        bridge_jobs::job::find("quota-push").expect("job"),
        &world.ctx,
        &bridge_jobs::Invocation::new(sweep(), true),
    )
    .await
    .expect("dry run");

    // The deadline passes after two customers are started.
    let quota_push = bridge_jobs::job::find("quota-push").expect("job");
    let stopped = bridge_jobs::harness::run(
        quota_push,
        &world.ctx,
        &bridge_jobs::Invocation::new(sweep(), false)
            .with_deadline(bridge_jobs::Deadline::after_units(2)),
    )
    .await
    .expect("stopped run");
    assert!(stopped.failed.is_empty(), "{}", notes(&stopped));
    assert_eq!(stopped.read["customers"], 2, "{stopped}");
    let deadline = stopped
        .skipped
        .iter()
        .find(|n| n.subject == "deadline")
        .unwrap_or_else(|| panic!("no deadline note: {stopped}"));
    assert!(
        deadline.reason.contains("4 customers left"),
        "{}",
        deadline.reason
    );
    let halfway = servers_of(&world);
    let pushed = (0..companies.len())
        .filter(|&i| halfway[i] != before[i])
        .count();
    assert_eq!(pushed, 2, "two customers pushed: {halfway:?}");

    let rest = push(&world, sweep()).await;
    assert!(rest.failed.is_empty(), "{}", notes(&rest));
    assert_eq!(rest.read["customers"], 4, "only the ones left: {rest}");
    assert!(
        rest.skipped.iter().all(|n| n.subject != "deadline"),
        "{rest}"
    );
    assert_eq!(
        stopped.applied + rest.applied,
        whole.planned,
        "the two runs together did what one would have"
    );
    let units: Vec<Value> = companies.iter().map(|c| json!(c - 200 + 10)).collect();
    assert_eq!(servers_of(&world), units);
    let idle = push(&world, sweep()).await;
    assert_eq!(
        (idle.applied, idle.read.get("customers")),
        (0, None),
        "{idle}"
    );
}
