//! Automatic and manual provisioning, naming, 2FA, pricing, default storage.

use crate::support::*;
use bridge_core::events::ChangeReason;
use bridge_core::mapping::MappingOrigin;
use bridge_core::settings::{AccountBasis, PricingMode};
use bridge_store::store::ExpectedMapping;
use serde_json::json;

#[tokio::test]
async fn a_new_contract_is_provisioned_by_the_next_poll_after_the_primary_contact() {
    let mut world = World::start(settings()).await;
    world
        .set_settings(|s| s.provisioning.two_factor_authentication = true)
        .await;
    let first = world.poll().await;
    assert!(
        first.read.contains_key("sweep"),
        "the first run is a sweep: {first}"
    );
    assert!(world.tenants_of(175).is_empty());

    // The MSP creates a customer and a recurring-service contract in Autotask.
    world.add_company(
        175,
        "Contoso Ltd",
        ("Carlos", "Grilo", "carlos@contoso.example"),
    );
    world.add_contract(8002, 175, Some("No"));
    world.add_service(8002, WORKSTATIONS, 25);
    world.add_service(8002, STORAGE, 500);
    world.drain_events();

    let summary = world.poll().await;
    assert!(summary.read.contains_key("poll"), "{summary}");
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    let tenant = world.tenant_of(175);
    assert_eq!(
        tenant["name"], "Carlos Grilo",
        "named after the primary contact"
    );
    assert_eq!(tenant["parent_id"], PARTNER);
    assert_eq!(tenant["pricing_mode"], "production");
    assert_eq!(tenant["mfa_status"], "enabled");
    let tenant_id = tenant["id"].as_str().expect("id").to_owned();

    let mails = world.acronis.activation_emails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["email"], "carlos@contoso.example");
    assert_eq!(mails[0]["tenant_id"], json!(tenant_id));
    assert_eq!(mails[0]["login"], "carlos.grilo.175");

    let items = world.enabled_items(&tenant_id);
    assert!(
        items.contains(&("pw_base_workstations".into(), json!(25))),
        "{items:?}"
    );
    let storage = format!("pw_base_storage@{STORAGE_INFRA}");
    assert!(
        items.contains(&(storage, json!(500u64 << 30))),
        "storage quota in binary bytes: {items:?}"
    );

    let mapping = world
        .store
        .get_mapping_by_company(175)
        .await
        .expect("read")
        .expect("mapped");
    assert_eq!(mapping.tenant_id, tenant_id);
    assert_eq!(mapping.origin, MappingOrigin::Automatic);
    assert!(
        world
            .store
            .list_pending_provisioning()
            .await
            .expect("list")
            .is_empty()
    );
    let snapshot = world
        .store
        .get_contract_snapshot(175)
        .await
        .expect("read")
        .expect("stored");
    let events = world.drain_events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].company_id, 175);
    assert_eq!(events[0].snapshot_version, snapshot.version);
    assert_eq!(events[0].reason, ChangeReason::ContractAdded);
    assert_eq!(world.audit("tenant.created").await.len(), 1);
    assert_eq!(world.audit("mapping.created").await.len(), 1);

    // Nothing changed: the next poll creates nothing and announces nothing.
    let again = world.poll().await;
    assert_eq!(world.tenants_of(175).len(), 1);
    assert!(world.drain_events().is_empty(), "{again}");
}

#[tokio::test]
async fn company_name_mode_mails_the_configured_address_in_trial_with_the_default_storage() {
    let mut settings = settings();
    settings.provisioning.create_accounts_based_on = AccountBasis::CompanyName;
    settings.provisioning.activation_email = Some("acronis-admin@msp.example".into());
    settings.provisioning.provision_as = PricingMode::Trial;
    settings.provisioning.default_storage = Some(STORAGE_INFRA.into());
    let world = World::start(settings).await;
    world.add_company(
        176,
        "Fabrikam Inc",
        ("Fiona", "Bauer", "fiona@fabrikam.example"),
    );
    world.add_contract(8003, 176, None);
    world.add_service(8003, SERVERS, 2);

    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    let tenant = world.tenant_of(176);
    assert_eq!(tenant["name"], "Fabrikam Inc", "named after the company");
    assert_eq!(tenant["pricing_mode"], "trial");
    assert_ne!(
        tenant["mfa_status"], "enabled",
        "2FA is off in these settings"
    );
    let mails = world.acronis.activation_emails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["email"], "acronis-admin@msp.example");
    let items = world.enabled_items(tenant["id"].as_str().expect("id"));
    assert!(
        items.contains(&("pw_base_servers".into(), json!(2))),
        "{items:?}"
    );
    assert!(
        items
            .iter()
            .any(|(k, v)| *k == format!("pw_base_storage@{STORAGE_INFRA}") && v.is_null()),
        "no storage in the contract: the default storage is assigned: {items:?}"
    );
}

#[tokio::test]
async fn a_primary_contact_without_email_is_skipped_with_the_reason() {
    let world = World::start(settings()).await;
    world.add_company(180, "Litware", ("Lena", "Ware", ""));
    world.add_contract(8010, 180, None);
    world.add_service(8010, WORKSTATIONS, 1);
    let summary = world.sweep().await;
    assert!(world.tenants_of(180).is_empty());
    assert!(
        notes(&summary).contains("company:180: the primary contact has no email address"),
        "{}",
        notes(&summary)
    );
}

#[tokio::test]
async fn manual_mode_creates_nothing_and_names_the_unmapped_companies() {
    let mut settings = settings();
    settings.provisioning.automatically_create_customers = false;
    let mut world = World::start(settings).await;
    world.add_company(
        177,
        "Tailspin Toys",
        ("Tom", "Spinner", "tom@tailspin.example"),
    );
    world.add_contract(8004, 177, None);
    world.add_service(8004, WORKSTATIONS, 3);
    let summary = world.sweep().await;
    assert!(
        world.tenants_of(177).is_empty(),
        "manual mode creates no tenant"
    );
    assert!(
        world
            .acronis
            .core()
            .log
            .count(Some("tenants"), Some("create"))
            == 0,
        "not even an attempt"
    );
    assert!(
        notes(&summary).contains("1 unmapped companies have active Acronis services"),
        "{}",
        notes(&summary)
    );
    assert!(notes(&summary).contains("177"));
    // The snapshot is still stored and announced: mapping the company later needs it.
    assert!(
        world
            .store
            .get_contract_snapshot(177)
            .await
            .expect("read")
            .is_some()
    );
    assert_eq!(world.drain_events().len(), 1);
}

#[tokio::test]
async fn a_company_whose_mapping_was_removed_gets_its_tenant_back_not_a_second_one() {
    let world = World::start(settings()).await;
    world.add_company(178, "Adatum Corp", ("Ada", "Tum", "ada@adatum.example"));
    world.add_contract(8005, 178, None);
    world.add_service(8005, WORKSTATIONS, 4);
    let first = world.sweep().await;
    assert!(first.failed.is_empty(), "{}", notes(&first));
    let tenant = world.tenant_of(178)["id"].as_str().expect("id").to_owned();
    let customers = || {
        world
            .acronis
            .tenants()
            .into_iter()
            .filter(|t| t["kind"] == "customer")
            .count()
    };
    let before = customers();

    // Later, "Remove mapping" (DELETE /customer-mappings/178) deletes the store's
    // mapping; the company still has its contract and automatic creation is on.
    world.clock.advance(chrono::Duration::hours(1));
    world
        .store
        .delete_mapping(178, &ExpectedMapping::Any)
        .await
        .expect("unmap");
    world.clear_logs();
    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    assert_eq!(customers(), before, "no second tenant");
    let tenants = world.tenants_of(178);
    assert_eq!(tenants.len(), 1, "{tenants:?}");
    assert_eq!(tenants[0]["id"], tenant.as_str(), "the same tenant");
    assert_eq!(
        world
            .acronis
            .core()
            .log
            .count(Some("tenants"), Some("create")),
        0,
        "not even an attempt to create one"
    );
    let mapping = world
        .store
        .get_mapping_by_company(178)
        .await
        .expect("read")
        .expect("mapped again");
    assert_eq!(mapping.tenant_id, tenant);
    assert_eq!(mapping.origin, MappingOrigin::Automatic);
    let adopted = world.audit("tenant.adopted").await;
    assert_eq!(adopted.len(), 1, "{adopted:?}");
    assert_eq!(adopted[0].subject, format!("tenant:{tenant}"));
    assert!(
        adopted[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("mapped again"),
        "{adopted:?}"
    );
    assert_eq!(
        world.audit("tenant.created").await.len(),
        1,
        "only the first"
    );
    assert_eq!(world.audit("mapping.created").await.len(), 2);
    assert!(
        world
            .store
            .list_pending_provisioning()
            .await
            .expect("list")
            .is_empty()
    );
    // The items follow the contract as for a new tenant.
    assert!(
        world
            .enabled_items(&tenant)
            .contains(&("pw_base_workstations".into(), json!(4)))
    );

    // Nothing left to do: the next sweep neither creates nor adopts.
    let again = world.sweep().await;
    assert!(again.failed.is_empty(), "{}", notes(&again));
    assert_eq!(world.audit("tenant.adopted").await.len(), 1);
    assert_eq!(customers(), before);
}

#[tokio::test]
async fn a_sweep_stopped_at_its_deadline_provisions_the_rest_in_the_next_run_once() {
    let world = World::start(settings()).await;
    let companies: Vec<i64> = (301..=304).collect();
    for &company in &companies {
        let (name, last) = (format!("Customer {company}"), format!("Stomer{company}"));
        let email = format!("cy@customer{company}.example");
        world.add_company(company, &name, ("Cy", &last, &email));
        world.add_contract(company, company, Some("No"));
        world.add_service(company, WORKSTATIONS, 5);
    }
    let stopped = bridge_jobs::harness::run(
        bridge_jobs::job::find("contract-poller").expect("job"),
        &world.ctx,
        // The deadline passes after two companies' provisioning has started.
        &bridge_jobs::Invocation::new(
            bridge_jobs::Trigger::Schedule {
                name: "poll".into(),
            },
            false,
        )
        .with_deadline(bridge_jobs::Deadline::after_units(2)),
    )
    .await
    .expect("stopped run");
    assert!(stopped.failed.is_empty(), "{}", notes(&stopped));
    assert!(
        notes(&stopped).contains("2 companies' provisioning left"),
        "{}",
        notes(&stopped)
    );
    let provisioned = |world: &World| {
        companies
            .iter()
            .filter(|&&c| !world.tenants_of(c).is_empty())
            .count()
    };
    assert_eq!(provisioned(&world), 2);

    let next = world.poll().await;
    assert!(
        next.read.contains_key("sweep"),
        "the next run sweeps: {next}"
    );
    assert!(next.failed.is_empty(), "{}", notes(&next));
    for &company in &companies {
        // Exactly one tenant each: none created twice, none skipped.
        world.tenant_of(company);
    }
    let after = world.poll().await;
    assert!(after.read.contains_key("poll"), "then polls again: {after}");
    assert_eq!(after.applied, 0, "{after}");
}
