//! Deprovisioning day counters, services coming back, trial → production, guards.

use crate::support::*;
use bridge_core::mapping::MappedTenantKind;
use bridge_core::provisioning::production_due_on;
use bridge_core::settings::{Deprovisioning, PricingMode};
use chrono::{Duration, Utc};
use serde_json::json;

/// A company provisioned by the poller; returns its tenant id.
async fn provisioned(world: &World, company: i64, contract: i64) -> String {
    world.add_company(
        company,
        &format!("Customer {company}"),
        ("Pat", "Lee", "pat@example.com"),
    );
    world.add_contract(contract, company, None);
    world.add_service(contract, WORKSTATIONS, 5);
    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    world.tenant_of(company)["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

fn deprovisioning() -> Deprovisioning {
    Deprovisioning {
        set_quotas_to_zero: true,
        disable_customer: true,
        disable_after_days: 10,
        delete_customer: true,
        delete_after_days: 30,
        delete_notice_days: 7,
        hold_above: Default::default(),
    }
}

#[tokio::test]
async fn a_company_without_services_is_zeroed_then_disabled_then_deleted_on_its_days() {
    let mut settings = settings();
    settings.deprovisioning = deprovisioning();
    let world = World::start(settings).await;
    let tenant = provisioned(&world, 190, 9001).await;
    world.poll().await;

    // The contract is set inactive in Autotask.
    world
        .autotask
        .patch("Contracts", 9001, json!({"status": 0}));
    let ended = world.poll().await;
    assert!(ended.failed.is_empty(), "{}", notes(&ended));
    let mapping = world
        .store
        .get_mapping_by_company(190)
        .await
        .expect("read")
        .expect("mapped");
    let since = mapping.no_services_since.expect("clock started");
    assert_eq!(since, {
        use bridge_jobs::Clock;
        world.clock.now()
    });
    let quotas: Vec<_> = world
        .acronis
        .offering_items(&tenant)
        .into_iter()
        .filter(|i| i["name"] == "pw_base_workstations")
        .map(|i| i["quota"]["value"].clone())
        .collect();
    assert_eq!(quotas, vec![json!(0)], "quotas to zero at once");
    assert_eq!(world.audit("deprovisioning.clock_started").await.len(), 1);
    assert_eq!(world.audit("tenant.quotas_zeroed").await.len(), 1);

    // Day 9: nothing yet.
    world.set_now(since + Duration::days(9));
    world.sweep().await;
    assert_eq!(
        world.acronis.tenant(&tenant).expect("tenant")["enabled"],
        true
    );
    // Day 10: disabled.
    world.set_now(since + Duration::days(10));
    world.sweep().await;
    assert_eq!(
        world.acronis.tenant(&tenant).expect("tenant")["enabled"],
        false
    );
    assert_eq!(world.audit("tenant.disabled").await.len(), 1);
    // Day 11: the nightly sweep sees it disabled; the deletion notice runs from here.
    world.set_now(since + Duration::days(11));
    world.sweep().await;
    let watch = world
        .store
        .get_mapping_by_company(190)
        .await
        .expect("read")
        .expect("mapped")
        .deletion
        .expect("watched");
    assert_eq!(watch.listed_for, (since + Duration::days(30)).date_naive());
    assert_eq!(watch.listed_since, since + Duration::days(9));
    assert_eq!(watch.disabled_since, Some(since + Duration::days(11)));
    assert_eq!(world.audit("deletion.listed").await.len(), 1);
    // Day 29: still there; the forecast's delete date is day 30.
    world.set_now(since + Duration::days(29));
    world.sweep().await;
    assert!(world.acronis.tenant(&tenant).is_some());
    // Day 30: deleted (it is disabled), and the mapping goes with it.
    world.set_now(since + Duration::days(30));
    let deleted = world.sweep().await;
    assert!(deleted.failed.is_empty(), "{}", notes(&deleted));
    assert!(world.acronis.tenant(&tenant).is_none(), "tenant deleted");
    assert!(
        world
            .store
            .get_mapping_by_company(190)
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(world.audit("tenant.deleted").await.len(), 1);
    assert_eq!(world.audit("mapping.deleted").await.len(), 1);
    assert_eq!(world.audit("deletion.rechecked").await.len(), 1);
    // And no new tenant: the company has no services.
    world.sweep().await;
    assert!(world.tenants_of(190).is_empty());
}

#[tokio::test]
async fn services_coming_back_stop_the_clock_and_re_enable_the_tenant() {
    let mut settings = settings();
    settings.deprovisioning = deprovisioning();
    let world = World::start(settings).await;
    let tenant = provisioned(&world, 191, 9101).await;
    world
        .autotask
        .patch("Contracts", 9101, json!({"status": 0}));
    world.poll().await;
    world.advance_days(12);
    world.sweep().await;
    assert_eq!(
        world.acronis.tenant(&tenant).expect("tenant")["enabled"],
        false
    );

    world
        .autotask
        .patch("Contracts", 9101, json!({"status": 1}));
    let back = world.poll().await;
    assert!(back.failed.is_empty(), "{}", notes(&back));
    assert_eq!(
        world.acronis.tenant(&tenant).expect("tenant")["enabled"],
        true
    );
    let mapping = world
        .store
        .get_mapping_by_company(191)
        .await
        .expect("read")
        .expect("mapped");
    assert_eq!(mapping.no_services_since, None, "clock stopped");
    assert_eq!(world.audit("tenant.enabled").await.len(), 1);
    assert_eq!(world.audit("deprovisioning.clock_stopped").await.len(), 1);
}

#[tokio::test]
async fn a_sub_partner_customer_mapped_by_hand_is_deprovisioned_like_a_direct_one() {
    let mut settings = settings();
    settings.deprovisioning = deprovisioning();
    settings.provisioning.automatically_create_customers = false;
    let world = World::start(settings).await;
    // A reseller (sub-partner) with its own customer, mapped by hand.
    let reseller = world
        .acronis_tenant("Wingtip Reseller", "partner", PARTNER)
        .await;
    let customer = world
        .acronis_tenant("Litware Inc", "customer", &reseller)
        .await;
    world.add_company(192, "Litware Inc", ("Liz", "Ware", "liz@litware.example"));
    world
        .map_by_hand(192, &customer, MappedTenantKind::Customer, Utc::now())
        .await;
    world.sweep().await;
    assert!(
        world
            .store
            .get_mapping_by_company(192)
            .await
            .expect("read")
            .expect("mapped")
            .no_services_since
            .is_some(),
        "no contract at all: the clock starts at the first sweep"
    );
    world.advance_days(10);
    world.sweep().await;
    assert_eq!(
        world.acronis.tenant(&customer).expect("tenant")["enabled"],
        false
    );
}

#[tokio::test]
async fn a_company_mapped_to_a_sub_partner_is_never_deprovisioned() {
    let mut settings = settings();
    settings.deprovisioning = deprovisioning();
    let world = World::start(settings).await;
    let reseller = world
        .acronis_tenant("Wingtip Reseller", "partner", PARTNER)
        .await;
    let customer = world
        .acronis_tenant("Litware Inc", "customer", &reseller)
        .await;
    // The reseller's company has no contract at all, so no Acronis services; one of its
    // customers is mapped to a company of its own, which has none either.
    world.add_company(196, "Wingtip", ("Wanda", "Tip", "wanda@wingtip.example"));
    world.add_company(197, "Litware Inc", ("Liz", "Ware", "liz@litware.example"));
    for (company, tenant, kind) in [
        (196, &reseller, MappedTenantKind::SubPartner),
        (197, &customer, MappedTenantKind::Customer),
    ] {
        world.map_by_hand(company, tenant, kind, Utc::now()).await;
    }
    let items = world.acronis.offering_items(&reseller);

    let first = world.sweep().await;
    assert!(first.failed.is_empty(), "{}", notes(&first));
    assert!(
        notes(&first).contains(
            "company:196: sub-partner tenant: usage is aggregated; quotas, provisioning and deprovisioning apply to its customers' own mappings"
        ),
        "{}",
        notes(&first)
    );
    let clock = |company: i64| {
        let store = world.store.clone();
        async move {
            store
                .get_mapping_by_company(company)
                .await
                .expect("read")
                .expect("still mapped")
                .no_services_since
        }
    };
    assert_eq!(clock(196).await, None, "no deprovisioning clock");
    assert!(clock(197).await.is_some(), "the customer's own clock runs");

    world.advance_days(10);
    world.sweep().await;
    // The next nightly sweep sees the customer disabled: its deletion notice starts.
    world.advance_days(1);
    world.sweep().await;
    world.advance_days(29);
    let last = world.sweep().await;
    assert!(last.failed.is_empty(), "{}", notes(&last));
    let t = world.acronis.tenant(&reseller).expect("never deleted");
    assert_eq!(t["enabled"], true, "never disabled");
    assert_eq!(
        world.acronis.offering_items(&reseller),
        items,
        "never zeroed"
    );
    assert_eq!(clock(196).await, None);
    assert!(
        world.acronis.tenant(&customer).is_none(),
        "the customer mapped on its own is deprovisioned on its own days"
    );
    for kind in ["tenant.quotas_zeroed", "tenant.disabled", "tenant.deleted"] {
        assert!(
            world
                .audit(kind)
                .await
                .iter()
                .all(|a| a.subject != format!("tenant:{reseller}")),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn a_self_service_tenant_is_never_changed_and_the_reason_is_recorded() {
    let mut settings = settings();
    settings.deprovisioning = deprovisioning();
    let world = World::start(settings).await;
    let tenant = provisioned(&world, 193, 9301).await;
    world.poll().await;
    // The customer's own admin switches to self-service.
    world
        .acronis
        .set_tenant_fields(&tenant, json!({"ancestral_access": false}));
    world
        .autotask
        .patch("Contracts", 9301, json!({"status": 0}));
    let summary = world.poll().await;
    assert!(
        notes(&summary).contains("company:193: tenant is in self-service mode"),
        "{}",
        notes(&summary)
    );
    let skipped = world.audit("provisioning.skipped").await;
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("self-service")
    );
    let mapping = world
        .store
        .get_mapping_by_company(193)
        .await
        .expect("read")
        .expect("mapped");
    assert_eq!(
        mapping.no_services_since, None,
        "the clock is not touched either"
    );
    world.advance_days(40);
    world.sweep().await;
    let t = world.acronis.tenant(&tenant).expect("never deleted");
    assert_eq!(t["enabled"], true, "never disabled");
    let workstations: Vec<_> = world
        .acronis
        .offering_items(&tenant)
        .into_iter()
        .filter(|i| i["name"] == "pw_base_workstations")
        .map(|i| i["quota"]["value"].clone())
        .collect();
    assert_eq!(workstations, vec![json!(5)], "quotas untouched");
}

#[tokio::test]
async fn a_trial_becomes_production_after_one_full_month() {
    let mut settings = settings();
    settings.provisioning.provision_as = PricingMode::Trial;
    let world = World::start(settings).await;
    let tenant = provisioned(&world, 194, 9401).await;
    assert_eq!(
        world.acronis.tenant(&tenant).expect("tenant")["pricing_mode"],
        "trial"
    );
    let created = world.acronis.tenant(&tenant).expect("tenant")["created_at"]
        .as_str()
        .expect("created_at")
        .parse::<chrono::DateTime<Utc>>()
        .expect("time");
    let due = production_due_on(created).expect("due date");
    let due_at = due.and_hms_opt(0, 0, 0).expect("midnight").and_utc();

    // The bridge's clock moves; the simulator's does not, so only the bridge can switch.
    world.set_now(due_at - Duration::seconds(1));
    world.sweep().await;
    assert_eq!(
        world.acronis.tenant(&tenant).expect("tenant")["pricing_mode"],
        "trial"
    );
    world.set_now(due_at);
    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    assert_eq!(
        world.acronis.tenant(&tenant).expect("tenant")["pricing_mode"],
        "production"
    );
    assert_eq!(world.audit("tenant.switched_to_production").await.len(), 1);
}

#[tokio::test]
async fn an_old_trial_tenant_mapped_by_hand_gets_a_full_month_from_the_mapping() {
    use bridge_jobs::Clock;
    let mut settings = settings();
    settings.provisioning.automatically_create_customers = false;
    let world = World::start(settings).await;
    // A customer that has sat in trial for three months before the bridge knew it.
    let tenant = world
        .acronis_tenant("Proseware Inc", "customer", PARTNER)
        .await;
    let created = world.clock.now() - Duration::days(90);
    world
        .acronis
        .set_tenant_fields(&tenant, json!({"created_at": created.to_rfc3339()}));
    // (The simulator's own automatic switch counts from here: not within this test.)
    world
        .acronis
        .set_tenant_fields(&tenant, json!({"pricing_mode": "trial"}));
    let pricing =
        |world: &World| world.acronis.tenant(&tenant).expect("tenant")["pricing_mode"].clone();
    assert_eq!(pricing(&world), "trial");
    world.add_company(
        195,
        "Proseware Inc",
        ("Pro", "Ware", "pro@proseware.example"),
    );
    world.add_contract(9501, 195, None);
    world.add_service(9501, WORKSTATIONS, 5);
    let mapped_at = world.clock.now();
    world
        .map_by_hand(195, &tenant, MappedTenantKind::Customer, mapped_at)
        .await;

    let first = world.sweep().await;
    assert!(first.failed.is_empty(), "{}", notes(&first));
    assert_eq!(
        pricing(&world),
        "trial",
        "not switched the moment it is mapped"
    );
    world.advance_days(1);
    world.sweep().await;
    assert_eq!(pricing(&world), "trial");

    let due = production_due_on(mapped_at).expect("due date");
    let due_at = due.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    world.set_now(due_at - Duration::seconds(1));
    world.sweep().await;
    assert_eq!(pricing(&world), "trial", "one full month from the mapping");
    assert!(
        world
            .audit("tenant.switched_to_production")
            .await
            .is_empty()
    );
    world.set_now(due_at);
    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    assert_eq!(pricing(&world), "production");
    assert_eq!(world.audit("tenant.switched_to_production").await.len(), 1);
}

/// A contract that comes back between the snapshot and the deletion: the sweep read no
/// active contract, but the check right before the deletion re-reads Autotask and finds
/// it. Nothing is deleted, the refusal is audited, and the next sweep stops the clock.
#[tokio::test]
async fn a_contract_back_between_the_snapshot_and_the_deletion_saves_the_tenant() {
    use simulators::common::{FaultKind, FaultRule};
    let mut settings = settings();
    settings.deprovisioning = deprovisioning();
    let world = World::start(settings).await;
    let tenant = provisioned(&world, 190, 9001).await;
    world
        .autotask
        .patch("Contracts", 9001, json!({"status": 0}));
    world.poll().await;
    let since = world
        .store
        .get_mapping_by_company(190)
        .await
        .expect("read")
        .expect("mapped")
        .no_services_since
        .expect("clock started");
    for day in [9, 10, 11] {
        world.set_now(since + Duration::days(day));
        world.sweep().await;
    }
    assert_eq!(
        world.acronis.tenant(&tenant).expect("tenant")["enabled"],
        false
    );

    // Day 30: the sweep reads the contracts, then waits on Acronis for the tenant's
    // state; meanwhile the MSP's staff set the contract active again.
    world.set_now(since + Duration::days(30));
    world.acronis.core().faults.add(FaultRule {
        route: "/api/2/tenants".into(),
        method: Some("GET".into()),
        query: Some(tenant.clone()),
        kind: FaultKind::Latency { ms: 1_500 },
        times: Some(1),
    });
    let contract_back = async {
        while world.acronis.core().faults.active() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        world
            .autotask
            .patch("Contracts", 9001, json!({"status": 1}));
    };
    let (summary, ()) = tokio::join!(world.sweep(), contract_back);
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    assert!(world.acronis.tenant(&tenant).is_some(), "not deleted");
    assert!(
        notes(&summary).contains("hold active Acronis services"),
        "{}",
        notes(&summary)
    );
    let refused = world.audit("deletion.refused").await;
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("re-read from Autotask")),
        "{refused:?}"
    );
    assert!(world.audit("tenant.deleted").await.is_empty());

    // The next sweep sees the contract: the tenant is enabled and the clock stops.
    world.set_now(since + Duration::days(31));
    world.sweep().await;
    assert_eq!(
        world.acronis.tenant(&tenant).expect("tenant")["enabled"],
        true
    );
    let mapping = world
        .store
        .get_mapping_by_company(190)
        .await
        .expect("read")
        .expect("still mapped");
    assert_eq!((mapping.no_services_since, mapping.deletion), (None, None));
}
