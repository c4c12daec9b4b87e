//! Crashes between "tenant created" and "mapping written", and two pollers at once.

use crate::support::*;
use bridge_jobs::{Trigger, contract_poller};
use simulators::common::{FaultKind, FaultRule};

#[tokio::test]
async fn a_crash_right_after_tenant_creation_then_a_rerun_leaves_exactly_one_tenant() {
    let world = World::start(settings()).await;
    world.sweep().await;
    world.add_company(200, "Crashy Co", ("Cris", "Ash", "cris@crashy.example"));
    world.add_contract(9900, 200, None);
    world.add_service(9900, WORKSTATIONS, 3);
    // The answer to "create tenant" never arrives (connection dropped): the poller
    // cannot know whether Acronis created it, records the failure and keeps its
    // pending-provisioning record.
    world
        .acronis
        .core()
        .faults
        .add(FaultRule::once("/api/2/tenants", "POST", FaultKind::Drop));
    let crashed = world.poll().await;
    assert!(
        notes(&crashed).contains("company:200"),
        "the failure is recorded: {}",
        notes(&crashed)
    );
    assert!(
        world
            .store
            .get_mapping_by_company(200)
            .await
            .expect("read")
            .is_none()
    );
    let pending = world.store.list_pending_provisioning().await.expect("list");
    assert_eq!(pending.len(), 1, "the intent survives the crash");
    assert_eq!(pending[0].value.tenant_id, None, "its id was never learned");

    // The worst case of that crash: Acronis did create the tenant (the simulator drops
    // the connection before its handler runs, so the creation is replayed here exactly
    // as the poller sent it, through the API).
    let intent = &pending[0].value.tenant;
    let ac = world.ctx.acronis().await.expect("client");
    let mut create =
        acronis::TenantCreate::new(&intent.name, acronis::TenantKind::Customer, PARTNER);
    create.customer_id = Some(intent.customer_id.clone());
    let created = ac
        .create_tenant(&create)
        .await
        .expect("created before the crash");
    world.clear_logs();

    // The next run finds the pending record and finishes that tenant.
    let rerun = world.poll().await;
    assert!(rerun.failed.is_empty(), "{}", notes(&rerun));
    let tenants = world.tenants_of(200);
    assert_eq!(tenants.len(), 1, "exactly one tenant: {tenants:?}");
    assert_eq!(tenants[0]["id"], created.id.as_str());
    let mapping = world
        .store
        .get_mapping_by_company(200)
        .await
        .expect("read")
        .expect("mapped");
    assert_eq!(mapping.tenant_id, created.id);
    assert!(
        world
            .store
            .list_pending_provisioning()
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        world.acronis.activation_emails().len(),
        1,
        "one activation email"
    );
    let log = &world.acronis.core().log;
    assert_eq!(
        log.count(Some("tenants"), Some("create")),
        0,
        "no second create"
    );
    assert_eq!(
        log.count(Some("search"), None),
        1,
        "found by its customer_id"
    );
}

#[tokio::test]
async fn a_lost_create_that_created_nothing_is_created_once_on_rerun() {
    let world = World::start(settings()).await;
    world.sweep().await;
    world.add_company(203, "Lost Co", ("Lou", "Lost", "lou@lost.example"));
    world.add_contract(9903, 203, None);
    world.add_service(9903, WORKSTATIONS, 3);
    world
        .acronis
        .core()
        .faults
        .add(FaultRule::once("/api/2/tenants", "POST", FaultKind::Drop));
    world.poll().await;
    assert!(world.tenants_of(203).is_empty());
    let rerun = world.poll().await;
    assert!(rerun.failed.is_empty(), "{}", notes(&rerun));
    assert_eq!(world.tenants_of(203).len(), 1);
    assert!(
        world
            .store
            .get_mapping_by_company(203)
            .await
            .expect("read")
            .is_some()
    );
}

#[tokio::test]
async fn a_crash_after_the_tenant_id_is_recorded_resumes_by_id() {
    let world = World::start(settings()).await;
    world.sweep().await;
    world.add_company(201, "Halfway Co", ("Hal", "Way", "hal@halfway.example"));
    world.add_contract(9901, 201, None);
    world.add_service(9901, WORKSTATIONS, 3);
    // Setting the offering items fails: the run stops after the tenant id is stored.
    world.acronis.core().faults.add(FaultRule {
        route: "offering_items".into(),
        method: Some("PUT".into()),
        query: None,
        kind: FaultKind::Status {
            status: 400,
            retry_after: None,
            body: None,
        },
        times: Some(1),
    });
    world.poll().await;
    let pending = world.store.list_pending_provisioning().await.expect("list");
    assert_eq!(pending.len(), 1);
    let recorded = pending[0]
        .value
        .tenant_id
        .clone()
        .expect("tenant id recorded");
    // (The first run searched for an earlier tenant of the company before creating.)
    world.clear_logs();

    let rerun = world.poll().await;
    assert!(rerun.failed.is_empty(), "{}", notes(&rerun));
    assert_eq!(world.tenant_of(201)["id"], recorded.as_str());
    assert_eq!(
        world.acronis.core().log.count(Some("search"), None),
        0,
        "the id was known: no search"
    );
    let items = world.enabled_items(&recorded);
    assert!(
        items.iter().any(|(k, _)| k == "pw_base_workstations"),
        "{items:?}"
    );
}

#[tokio::test]
async fn two_pollers_at_once_one_works_and_one_sees_the_lease() {
    let world = World::start(settings()).await;
    world.add_company(202, "Busy Co", ("Bo", "Busy", "bo@busy.example"));
    world.add_contract(9902, 202, None);
    world.add_service(9902, WORKSTATIONS, 3);
    let poll = Trigger::Schedule {
        name: "poll".into(),
    };
    let (a, b) = tokio::join!(
        contract_poller::run(&world.ctx, &poll, false),
        contract_poller::run(&world.ctx, &poll, false)
    );
    let (a, b) = (a.expect("run a"), b.expect("run b"));
    let held = |s: &bridge_jobs::JobSummary| {
        s.skipped
            .iter()
            .any(|n| n.reason.contains("another run holds the lease"))
    };
    assert!(held(&a) != held(&b), "exactly one saw the lease: {a} / {b}");
    let worker = if held(&a) { &b } else { &a };
    assert!(worker.planned > 0, "{worker}");
    assert_eq!(world.tenants_of(202).len(), 1);
    // The lease was released: the next run works.
    let next = world.poll().await;
    assert!(!held(&next), "{next}");
}

#[tokio::test]
async fn a_malformed_contract_page_moves_nothing_and_the_next_poll_catches_up() {
    let world = World::start(settings()).await;
    world.sweep().await;
    world.add_company(201, "Garbled Co", ("Gar", "Bled", "gar@garbled.example"));
    world.add_contract(9901, 201, None);
    world.add_service(9901, WORKSTATIONS, 2);
    let before = world
        .store
        .get_cursor("contract-poller")
        .await
        .expect("read");
    // One answer with a record whose company id is a long string.
    let garbled = serde_json::json!({
        "items": [{"id": 9901, "companyID": "x".repeat(100_000), "status": 1}],
        "pageDetails": {"count": 1, "requestCount": 500, "prevPageUrl": null, "nextPageUrl": null}
    });
    world.autotask.core().faults.add(FaultRule::once(
        "/Contracts/query",
        "POST",
        FaultKind::answer(garbled.to_string()),
    ));
    let err = contract_poller::run(
        &world.ctx,
        &Trigger::Schedule {
            name: "poll".into(),
        },
        false,
    )
    .await
    .expect_err("the page cannot be read");
    let text = err.to_string();
    assert!(
        text.contains("Contracts") && text.contains("companyID"),
        "{text}"
    );
    assert!(text.len() <= 1_500, "{} chars", text.len());
    assert_eq!(
        world
            .store
            .get_cursor("contract-poller")
            .await
            .expect("read"),
        before,
        "the cursor stays where it was"
    );
    assert!(world.tenants_of(201).is_empty(), "nothing provisioned");

    let next = world.poll().await;
    assert!(next.failed.is_empty(), "{}", notes(&next));
    assert_eq!(world.tenants_of(201).len(), 1, "caught up: one tenant");
}

#[tokio::test]
async fn a_tenant_created_by_a_killed_poll_is_adopted_once_and_audited() {
    let world = World::start(settings()).await;
    world.add_company(200, "Killed Co", ("Kim", "Ill", "kim@killed.example"));
    world.add_contract(9900, 200, None);
    world.add_service(9900, WORKSTATIONS, 3);
    // Acronis creates the tenant; the process dies before the answer arrives.
    let acronis = world.acronis.core().clone();
    acronis.faults.add(FaultRule::once(
        "/api/2/tenants",
        "POST",
        FaultKind::Hang { applied: true },
    ));
    let poll = Trigger::Schedule {
        name: "poll".into(),
    };
    acronis
        .kill_when_held(contract_poller::run(&world.ctx, &poll, false))
        .await;
    assert_eq!(world.tenants_of(200).len(), 1, "created before the kill");
    assert!(world.audit("tenant.created").await.is_empty());

    // Past the killed run's lease, the next poll resumes the pending provisioning.
    world.clock.advance(chrono::Duration::minutes(6));
    let resumed = world.poll().await;
    assert!(resumed.failed.is_empty(), "{}", notes(&resumed));
    let tenant = world.tenant_of(200);
    let adopted = world.audit("tenant.adopted").await;
    assert_eq!(adopted.len(), 1, "the tenant is in the audit log once");
    assert_eq!(
        adopted[0].subject,
        format!("tenant:{}", tenant["id"].as_str().unwrap_or_default())
    );
    world.poll().await;
    assert_eq!(world.tenants_of(200).len(), 1);
    assert_eq!(world.audit("tenant.adopted").await.len(), 1, "audited once");
}

#[tokio::test]
async fn an_unreadable_answer_to_a_tenant_creation_keeps_the_provisioning_for_the_next_poll() {
    let world = World::start(settings()).await;
    world.add_company(200, "Garbled Co", ("Gar", "Bled", "gar@garbled.example"));
    world.add_contract(9900, 200, None);
    world.add_service(9900, WORKSTATIONS, 3);
    // A 200 whose body cannot be read: Acronis may well have created the tenant.
    world.acronis.core().faults.add(FaultRule::once(
        "/api/2/tenants",
        "POST",
        FaultKind::MalformedJson,
    ));
    let garbled = world.poll().await;
    assert!(
        notes(&garbled).contains("company:200"),
        "{}",
        notes(&garbled)
    );
    let pending = world.store.list_pending_provisioning().await.expect("list");
    assert_eq!(
        pending.len(),
        1,
        "not taken for a refusal: the intent stays"
    );

    // The next poll (nothing changed in Autotask) finishes it.
    let resumed = world.poll().await;
    assert!(resumed.failed.is_empty(), "{}", notes(&resumed));
    world.tenant_of(200);
    assert!(
        world
            .store
            .get_mapping_by_company(200)
            .await
            .expect("read")
            .is_some()
    );
}
