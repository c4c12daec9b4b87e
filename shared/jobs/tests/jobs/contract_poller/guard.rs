//! The blast-radius guard: a run that would deprovision too many companies at once holds
//! those actions until an operator releases them.

use crate::support::*;
use bridge_core::settings::Deprovisioning;
use bridge_jobs::provisioning::{Release, release};
use serde_json::json;

const COMPANIES: i64 = 12;

/// Twelve companies, each with one contract of 5 workstations, provisioned by a sweep;
/// returns their tenant ids in company order.
async fn twelve_customers(world: &World) -> Vec<String> {
    for i in 0..COMPANIES {
        let company = 300 + i;
        let last = format!("Lee{company}");
        let email = format!("pat{company}@example.com");
        world.add_company(
            company,
            &format!("Customer {company}"),
            ("Pat", &last, &email),
        );
        world.add_contract(9300 + i, company, None);
        world.add_service(9300 + i, WORKSTATIONS, 5);
    }
    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    (0..COMPANIES)
        .map(|i| {
            world.tenant_of(300 + i)["id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect()
}

async fn start() -> (World, Vec<String>) {
    let mut settings = settings();
    settings.deprovisioning = Deprovisioning {
        set_quotas_to_zero: true,
        disable_customer: true,
        disable_after_days: 10,
        ..Deprovisioning::default()
    };
    let world = World::start(settings).await;
    let tenants = twelve_customers(&world).await;
    world.poll().await;
    // Half of the contracts vanish in one poll (limit: the larger of 5 and 10 % of 12).
    for i in 0..6 {
        world
            .autotask
            .patch("Contracts", 9300 + i, json!({"status": 0}));
    }
    (world, tenants)
}

async fn held(world: &World, company: i64) -> bool {
    world
        .store
        .get_mapping_by_company(company)
        .await
        .expect("read")
        .expect("mapped")
        .held
        .is_some_and(|h| !h.is_released())
}

#[tokio::test]
async fn half_of_the_contracts_vanishing_holds_their_deprovisioning_until_released() {
    let (world, tenants) = start().await;
    let run = world.poll().await;
    assert!(run.failed.is_empty(), "{}", notes(&run));
    assert!(
        run.skipped
            .iter()
            .any(|n| n.subject == "deprovisioning guard"
                && n.reason.contains("deprovisioning of 6 companies held")),
        "{}",
        notes(&run)
    );
    assert!(run.plan.iter().any(|l| l.contains("held: set the quotas")));
    for i in 0..6 {
        let company = 300 + i;
        assert_eq!(
            world.workstations_quota(&tenants[i as usize]),
            json!(5),
            "company {company}: no quota zeroed"
        );
        let mapping = world
            .store
            .get_mapping_by_company(company)
            .await
            .expect("read")
            .expect("mapped");
        assert_eq!(mapping.no_services_since, None, "the clock waits too");
        let hold = mapping.held.expect("held");
        assert_eq!(hold.actions.len(), 2, "{:?}", hold.actions);
        assert!(hold.released_at.is_none());
    }
    assert_eq!(world.audit("deprovisioning.held").await.len(), 6);
    assert!(world.audit("tenant.quotas_zeroed").await.is_empty());

    // Days later, still held: nothing disabled, the hold not audited again.
    world.advance_days(11);
    let later = world.sweep().await;
    assert!(later.failed.is_empty(), "{}", notes(&later));
    for tenant in &tenants[..6] {
        assert_eq!(
            world.acronis.tenant(tenant).expect("tenant")["enabled"],
            true
        );
        assert_eq!(world.workstations_quota(tenant), json!(5));
    }
    assert_eq!(world.audit("deprovisioning.held").await.len(), 6);

    // The operator releases one company: the next poll applies it alone.
    let now = {
        use bridge_jobs::Clock;
        world.clock.now()
    };
    let released = release(
        &world.ctx,
        &Release::Companies(vec![300, 999]),
        "operator",
        now,
    )
    .await
    .expect("release");
    assert_eq!(released, vec![300]);
    assert_eq!(world.audit("deprovisioning.released").await.len(), 1);
    let one = world.poll().await;
    assert!(one.failed.is_empty(), "{}", notes(&one));
    assert_eq!(world.workstations_quota(&tenants[0]), json!(0));
    let mapping = world
        .store
        .get_mapping_by_company(300)
        .await
        .expect("read")
        .expect("mapped");
    assert!(mapping.held.is_none(), "the hold is dropped once applied");
    assert_eq!(mapping.no_services_since, Some(now), "the clock starts now");
    for i in 1..6 {
        assert!(
            held(&world, 300 + i).await,
            "company {} stays held",
            300 + i
        );
        assert_eq!(world.workstations_quota(&tenants[i as usize]), json!(5));
    }

    // Then all of them.
    let rest = release(&world.ctx, &Release::All, "operator", now)
        .await
        .expect("release");
    assert_eq!(rest, vec![301, 302, 303, 304, 305]);
    let all = world.poll().await;
    assert!(all.failed.is_empty(), "{}", notes(&all));
    for i in 0..6 {
        assert_eq!(world.workstations_quota(&tenants[i as usize]), json!(0));
        assert!(!held(&world, 300 + i).await);
    }
    assert_eq!(world.audit("tenant.quotas_zeroed").await.len(), 6);
    // The untouched half kept its quotas.
    for tenant in &tenants[6..] {
        assert_eq!(world.workstations_quota(tenant), json!(5));
    }
}

#[tokio::test]
async fn services_returning_to_a_held_company_drop_its_hold() {
    let (world, tenants) = start().await;
    world.poll().await;
    assert!(held(&world, 301).await);
    world
        .autotask
        .patch("Contracts", 9301, json!({"status": 1}));
    let back = world.poll().await;
    assert!(back.failed.is_empty(), "{}", notes(&back));
    let mapping = world
        .store
        .get_mapping_by_company(301)
        .await
        .expect("read")
        .expect("mapped");
    assert!(mapping.held.is_none());
    assert_eq!(mapping.no_services_since, None);
    assert_eq!(world.workstations_quota(&tenants[1]), json!(5));
    assert!(held(&world, 302).await, "the others stay held");
}

#[tokio::test]
async fn a_few_vanishing_contracts_are_deprovisioned_at_once() {
    let mut settings = settings();
    settings.deprovisioning.set_quotas_to_zero = true;
    let world = World::start(settings).await;
    let tenants = twelve_customers(&world).await;
    world.poll().await;
    for i in 0..5 {
        world
            .autotask
            .patch("Contracts", 9300 + i, json!({"status": 0}));
    }
    let run = world.poll().await;
    assert!(run.failed.is_empty(), "{}", notes(&run));
    for tenant in &tenants[..5] {
        assert_eq!(world.workstations_quota(tenant), json!(0));
    }
    assert!(world.audit("deprovisioning.held").await.is_empty());
}

#[tokio::test]
async fn a_dry_run_shows_what_would_be_held_and_records_nothing() {
    let (world, _tenants) = start().await;
    let trigger = bridge_jobs::Trigger::Schedule {
        name: "poll".into(),
    };
    let dry = bridge_jobs::contract_poller::run(&world.ctx, &trigger, true)
        .await
        .expect("dry run");
    assert!(
        dry.plan
            .iter()
            .any(|l| l.starts_with("company 300: held: set the quotas")),
        "{:?}",
        dry.plan
    );
    assert!(!held(&world, 300).await);
    assert!(world.audit("deprovisioning.held").await.is_empty());
}
