//! The pause switch end to end: while paused, the contract poller and quota push read
//! and plan but write nothing (not to Autotask, not to Acronis, not to their own state
//! beyond the run record); once resumed, the same runs write.

use crate::support::*;
use bridge_core::mapping::ServiceMapping;
use bridge_core::records::PauseState;
use bridge_core::settings::Settings;
use bridge_jobs::{Clock, JobSummary, Trigger, run_job};
use serde_json::json;

const ACME: i64 = 100;
const CONTRACT: i64 = 10;

fn quota_settings() -> Settings {
    let mut s = settings();
    s.service_mappings.push(ServiceMapping {
        offering_item: "pw_base_o365_mailboxes".into(),
        free: true,
        ..ServiceMapping::default()
    });
    s
}

async fn set_paused(world: &World, paused: bool) {
    let current = world.store.get_pause().await.expect("get pause");
    let state = PauseState {
        paused,
        by: "ops@example.com".into(),
        at: world.clock.now(),
        reason: paused.then(|| "Autotask clean-up".to_owned()),
    };
    world
        .store
        .put_pause(&state, current.map(|c| c.version))
        .await
        .expect("put pause");
}

async fn run(world: &World, job: &str, schedule: &str) -> JobSummary {
    let trigger = Trigger::Schedule {
        name: schedule.into(),
    };
    run_job(job, &world.ctx, &trigger, false)
        .await
        .unwrap_or_else(|e| panic!("{job} failed: {e}"))
}

/// Requests that change something in either simulator, as `"<entity> <verb>"`.
fn writes(world: &World) -> Vec<String> {
    let autotask = world
        .autotask
        .core()
        .log
        .entries()
        .into_iter()
        .filter(|r| matches!(r.verb.as_str(), "create" | "update" | "delete"));
    let acronis = world
        .acronis
        .core()
        .log
        .entries()
        .into_iter()
        .filter(|r| r.method != "GET" && r.entity != "token");
    autotask
        .chain(acronis)
        .map(|r| format!("{} {} {}", r.method, r.entity, r.verb))
        .collect()
}

fn assert_paused_note(summary: &JobSummary) {
    assert!(summary.dry_run, "{summary}");
    assert_eq!(summary.applied, 0, "{summary}");
    assert!(
        summary.skipped.iter().any(|n| n.subject == "pause"
            && n.reason.starts_with("paused by ops@example.com at ")
            && n.reason.ends_with(": Autotask clean-up")),
        "{}",
        notes(summary)
    );
}

async fn last_run_dry(world: &World, job: &str) -> bool {
    world
        .store
        .get_job_status(job)
        .await
        .expect("status")
        .and_then(|s| s.last_run)
        .expect("a recorded run")
        .dry_run
}

#[tokio::test]
async fn a_paused_bridge_reads_and_plans_but_writes_nothing_until_resumed() {
    let mut world = World::start(quota_settings()).await;
    world.add_company(ACME, "Acme", ("Ada", "Lovelace", "ada@acme.example"));
    world.add_contract(CONTRACT, ACME, None);
    world.add_service(CONTRACT, SERVERS, 2);
    world.add_bundle(CONTRACT, PROTECTION_BUNDLE, 5);

    // Paused: the sweep reads Acme's contract and plans its tenant, creates nothing.
    set_paused(&world, true).await;
    world.clear_logs();
    let swept = run(&world, "contract-poller", "sweep").await;
    assert_paused_note(&swept);
    assert!(swept.read.get("contracts") > Some(&0), "{swept}");
    assert!(swept.planned > 0, "{swept}");
    assert!(world.autotask_requests() > 0, "it did read Autotask");
    assert_eq!(writes(&world), Vec::<String>::new());
    assert!(world.tenants_of(ACME).is_empty());
    assert!(
        world
            .store
            .get_contract_snapshot(ACME)
            .await
            .expect("snapshot")
            .is_none(),
        "no snapshot kept"
    );
    assert!(world.drain_events().is_empty(), "no change announced");
    assert!(last_run_dry(&world, "contract-poller").await);

    // Resumed: the same sweep provisions Acme.
    set_paused(&world, false).await;
    let swept = run(&world, "contract-poller", "sweep").await;
    assert!(
        !swept.dry_run && swept.failed.is_empty(),
        "{}",
        notes(&swept)
    );
    assert!(swept.skipped.iter().all(|n| n.subject != "pause"));
    let tenant = world.tenant_of(ACME)["id"]
        .as_str()
        .expect("tenant id")
        .to_owned();
    world.drain_events();
    let servers = |world: &World| {
        world
            .acronis
            .offering_items(&tenant)
            .into_iter()
            .find(|i| i["name"] == "pw_base_servers")
            .map(|i| i["quota"]["value"].clone())
    };
    let first = run(&world, "quota-push", "sweep").await;
    assert!(first.failed.is_empty(), "{}", notes(&first));
    assert_eq!(servers(&world), Some(json!(2)));

    // Staff add a server in Autotask; the (running) poller takes it into its snapshot.
    world
        .adjust_units(CONTRACT, world.contract_service(CONTRACT, SERVERS), 1)
        .await;
    world.poll().await;
    world.drain_events();

    // Paused: quota push plans the new quota, sets nothing.
    set_paused(&world, true).await;
    world.clear_logs();
    let pushed = run(&world, "quota-push", "sweep").await;
    assert_paused_note(&pushed);
    assert!(pushed.planned > 0, "{pushed}");
    assert_eq!(writes(&world), Vec::<String>::new());
    assert_eq!(servers(&world), Some(json!(2)));
    let audited = world.audit("quota.changed").await.len();
    let synced = world.store.get_quota_sync(ACME).await.expect("quota sync");
    assert!(last_run_dry(&world, "quota-push").await);

    // Resumed: the push writes the quotas.
    set_paused(&world, false).await;
    world.clear_logs();
    let pushed = run(&world, "quota-push", "sweep").await;
    assert!(!pushed.dry_run && pushed.applied > 0, "{pushed}");
    assert!(!writes(&world).is_empty());
    assert_eq!(servers(&world), Some(json!(3)));
    assert!(world.audit("quota.changed").await.len() > audited);
    assert_ne!(
        world.store.get_quota_sync(ACME).await.expect("quota sync"),
        synced,
        "the push is recorded once it happens"
    );
    assert!(!last_run_dry(&world, "quota-push").await);
}
