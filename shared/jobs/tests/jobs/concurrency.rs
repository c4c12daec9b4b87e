//! Every job twice at once, as a deployment sees it: an overlapping schedule and an event
//! (or "run now") in separate Lambda containers, and every event delivered twice, on
//! the deployed store (DynamoDB, moto's server). Leases and conditional writes must leave
//! one effect: one tenant, one quota change, one bill, one ticket per alert.

use crate::support::*;
use bridge_core::events::{ChangeReason, CompanyContractsChanged};
use bridge_core::mapping::{AlertMapping, MappedTenantKind};
use bridge_core::settings::{ReportingPeriod, Settings};
use bridge_jobs::{Context, JobSummary, Trigger, run_job};
use bridge_store::store::DynamoStore;
use chrono::{TimeZone, Utc};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use test_harness::Moto;

const ACME: i64 = 100;
const CONTRACT: i64 = 10;

/// A world on a fresh DynamoDB table of its own moto server.
async fn world_on_dynamodb(settings: Settings) -> (World, Moto) {
    let moto = Moto::start().await;
    let client = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    DynamoStore::create_table(&client, "bridge")
        .await
        .expect("table");
    let world = World::with(
        simulators::autotask::Seed::generate(0),
        settings,
        Arc::new(DynamoStore::new(client, "bridge")),
    )
    .await;
    (world, moto)
}

async fn run(ctx: &Context, job: &str, trigger: Trigger) -> JobSummary {
    let summary = run_job(job, ctx, &trigger, false)
        .await
        .unwrap_or_else(|e| panic!("{job} failed: {e}"));
    assert!(summary.failed.is_empty(), "{job}: {}", notes(&summary));
    summary
}

fn schedule(name: &str) -> Trigger {
    Trigger::Schedule { name: name.into() }
}

fn held_off(summary: &JobSummary) -> bool {
    summary
        .skipped
        .iter()
        .any(|n| n.reason.contains("another run holds the lease"))
}

/// How many requests of `method` to a path containing `path` a simulator log holds.
fn writes(log: &simulators::common::RequestLog, method: &str, path: &str) -> usize {
    log.entries()
        .iter()
        .filter(|e| e.method == method && e.path.contains(path))
        .count()
}

/// Once every run has finished, one more finds nothing to do: `written` counts its writes
/// in the simulators' logs.
async fn nothing_left(world: &World, job: &str, trigger: Trigger, written: fn(&World) -> usize) {
    world.clear_logs();
    let after = run(&world.ctx, job, trigger).await;
    assert_eq!(after.applied, 0, "{after}");
    assert_eq!(written(world), 0, "{job} wrote again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pollers_in_two_containers_create_one_tenant_and_announce_each_change_once() {
    let (mut world, _moto) = world_on_dynamodb(settings()).await;
    world.add_company(ACME, "Acme", ("Ada", "Lovelace", "ada@acme.example"));
    world.add_contract(CONTRACT, ACME, None);
    world.add_service(CONTRACT, WORKSTATIONS, 3);
    let other = world.another_container();
    let (a, b) = tokio::join!(
        run(&world.ctx, "contract-poller", schedule("poll")),
        run(&other, "contract-poller", schedule("poll"))
    );
    assert!(held_off(&a) != held_off(&b), "one worked:\n{a}\n{b}");
    assert_eq!(world.tenants_of(ACME).len(), 1, "one tenant");
    assert_eq!(writes(&world.acronis.core().log, "POST", "/tenants"), 1);
    let events = world.drain_events();
    assert_eq!(events.len(), 1, "one announcement: {events:?}");

    // The sweep and a poll at once (the nightly schedule overlapping the minute's):
    // nothing changed, so nothing is written or announced twice.
    world.clear_logs();
    let (sweep, poll) = tokio::join!(
        run(&world.ctx, "contract-poller", schedule("sweep")),
        run(&other, "contract-poller", schedule("poll"))
    );
    assert!(held_off(&sweep) || held_off(&poll), "{sweep}\n{poll}");
    assert_eq!(world.tenants_of(ACME).len(), 1);
    assert_eq!(writes(&world.acronis.core().log, "POST", "/tenants"), 0);
    let changed: Vec<_> = world
        .drain_events()
        .into_iter()
        .filter(|e| e.reason != ChangeReason::Sweep)
        .collect();
    assert!(changed.is_empty(), "{changed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_sweep_and_its_event_delivered_twice_change_the_quota_once() {
    let (mut world, _moto) = world_on_dynamodb(settings()).await;
    world.add_company(ACME, "Acme", ("Ada", "Lovelace", "ada@acme.example"));
    world.add_contract(CONTRACT, ACME, None);
    world.add_service(CONTRACT, WORKSTATIONS, 3);
    world.sweep().await;
    world.drain_events();
    let tenant = world.tenant_of(ACME)["id"]
        .as_str()
        .expect("tenant id")
        .to_owned();
    run(&world.ctx, "quota-push", schedule("sweep")).await;
    assert_eq!(world.workstations_quota(&tenant), json!(3));

    let service = world.contract_service(CONTRACT, WORKSTATIONS);
    world.adjust_units(CONTRACT, service, 2).await;
    world.poll().await;
    let events = world.drain_events();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = Trigger::ChangeEvent(events[0].clone());
    let before = world.audit("quota.changed").await.len();
    world.clear_logs();
    let (second, third) = (world.another_container(), world.another_container());
    let (sweep, first_delivery, second_delivery) = tokio::join!(
        run(&world.ctx, "quota-push", schedule("sweep")),
        run(&second, "quota-push", event.clone()),
        run(&third, "quota-push", event)
    );
    assert_eq!(world.workstations_quota(&tenant), json!(5));
    assert_eq!(
        world.audit("quota.changed").await.len(),
        before + 1,
        "one change audited:\n{sweep}\n{first_delivery}\n{second_delivery}"
    );
    let written = writes(&world.acronis.core().log, "PUT", "/offering_items");
    assert!(
        (1..=2).contains(&written),
        "the quota written once, or twice with the same value by runs that read it \
         before the other wrote: {written}"
    );
    nothing_left(&world, "quota-push", schedule("sweep"), |w| {
        writes(&w.acronis.core().log, "PUT", "/offering_items")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usage_report_and_its_event_delivered_twice_bill_once() {
    let mut settings = settings();
    settings.usage_reporting.period = ReportingPeriod::CurrentCalendarMonth;
    let (mut world, _moto) = world_on_dynamodb(settings).await;
    let now = Utc
        .with_ymd_and_hms(2026, 11, 12, 9, 0, 0)
        .single()
        .expect("a valid time");
    world.set_now(now);
    world.autotask.core().clock.set(now);
    world.acronis.core().clock.set(now);
    world.add_company(ACME, "Acme", ("Ada", "Lovelace", "ada@acme.example"));
    world.add_contract(CONTRACT, ACME, Some("Yes"));
    world.add_service(CONTRACT, WORKSTATIONS, 0);
    world.add_service(CONTRACT, SERVERS, 0);
    world.sweep().await;
    world.drain_events();
    let tenant = world.tenant_of(ACME)["id"]
        .as_str()
        .expect("tenant id")
        .to_owned();
    world
        .acronis
        .set_usage(&tenant, json!({"name": "pw_base_workstations", "value": 3}));
    world
        .acronis
        .set_usage(&tenant, json!({"name": "pw_base_servers", "value": 2}));
    let event = Trigger::ChangeEvent(CompanyContractsChanged {
        version: bridge_core::events::DETAIL_VERSION,
        company_id: ACME,
        snapshot_version: 1,
        changed_at: now,
        reason: ChangeReason::ContractChanged,
    });
    world.clear_logs();
    let (second, third) = (world.another_container(), world.another_container());
    let (scheduled, first_delivery, second_delivery) = tokio::join!(
        run(&world.ctx, "usage-report", schedule("report")),
        run(&second, "usage-report", event.clone()),
        run(&third, "usage-report", event)
    );
    let units = |service| {
        world
            .units_today(world.contract_service(CONTRACT, service))
            .expect("units row")
    };
    assert_eq!((units(WORKSTATIONS), units(SERVERS)), (3, 2));
    let log = &world.autotask.core().log;
    assert_eq!(
        writes(log, "POST", "ServiceAdjustments"),
        2,
        "one adjustment per line:\n{scheduled}\n{first_delivery}\n{second_delivery}"
    );
    assert_eq!(
        scheduled.applied + first_delivery.applied + second_delivery.applied,
        2
    );
    assert_eq!(world.audit("usage.reported").await.len(), 2);

    nothing_left(&world, "usage-report", schedule("report"), |w| {
        writes(&w.autotask.core().log, "POST", "ServiceAdjustments")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_alert_polls_and_a_run_now_ticket_each_alert_once() {
    let mut settings = settings();
    settings.features.ticket_creation = true;
    settings.tickets.note_type = Some(1);
    settings.tickets.note_publish = Some(1);
    settings.alert_mappings = vec![AlertMapping {
        alert_type: "BackupFailed".into(),
        priority: Some(1),
        status: Some(1),
        queue: Some(29682833),
        ..AlertMapping::default()
    }];
    let (world, _moto) = world_on_dynamodb(settings).await;
    world.add_company(ACME, "Acme", ("Ada", "Lovelace", "ada@acme.example"));
    let tenant = world.acronis_tenant("Acme Corp", "customer", PARTNER).await;
    world
        .map_by_hand(ACME, &tenant, MappedTenantKind::Customer, Utc::now())
        .await;
    let fired = world.acronis.fire_alerts(40, &tenant);
    let (second, third) = (world.another_container(), world.another_container());
    let (a, b, c) = tokio::join!(
        run(&world.ctx, "alert-ingest", schedule("poll")),
        run(&second, "alert-ingest", schedule("poll")),
        run(&third, "alert-ingest", Trigger::Manual)
    );
    let tickets = world.autotask.records("Tickets");
    let mut per_marker: BTreeMap<String, usize> = BTreeMap::new();
    for ticket in &tickets {
        let marker = ticket["externalID"].as_str().unwrap_or_default().to_owned();
        *per_marker.entry(marker).or_default() += 1;
    }
    assert_eq!(
        per_marker.len(),
        fired.len(),
        "every alert ticketed:\n{a}\n{b}\n{c}"
    );
    assert!(
        per_marker.values().all(|n| *n == 1),
        "no alert ticketed twice: {per_marker:?}"
    );
    // Another poll finds every alert handled.
    let again = run(&world.ctx, "alert-ingest", schedule("poll")).await;
    assert_eq!(again.applied, 0, "{again}");
    assert_eq!(world.autotask.records("Tickets").len(), fired.len());
}
