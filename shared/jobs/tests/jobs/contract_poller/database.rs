//! The Autotask database identity: credentials that reach another database (whose
//! company ids overlap the first one's) stop every write until the operator goes back
//! or starts over.

use crate::support::*;
use bridge_core::credentials::AutotaskCredentials;
use bridge_core::settings::Deprovisioning;
use bridge_jobs::database::{self, AdoptError};
use bridge_jobs::{JobError, Trigger, contract_poller};
use bridge_store::secrets::SecretSource;
use serde_json::json;
use simulators::autotask::{self, AutotaskSim, DEMO_INTEGRATION_CODE, DEMO_SECRET, DEMO_USER};

/// The sandbox: another database (`ci` 777) with the same catalogue, whose companies
/// 300–302 exist with no contracts at all.
const SANDBOX_CI: i64 = 777;
const SANDBOX_USER: &str = "bridge-api@sandbox.example.com";

async fn sandbox() -> AutotaskSim {
    let seed = autotask::Seed::another_database(SANDBOX_CI, SANDBOX_USER, "sandbox-secret");
    let sim = autotask::start(seed).await.expect("sandbox sim");
    for company in 300..303 {
        sim.insert(
            "Companies",
            json!({"id": company, "companyName": format!("Sandbox {company}"),
                   "companyType": 1, "isActive": true, "ownerResourceID": 1}),
        );
    }
    sim
}

fn credentials(username: &str, secret: &str) -> AutotaskCredentials {
    AutotaskCredentials {
        username: username.into(),
        secret: secret.into(),
        integration_code: DEMO_INTEGRATION_CODE.into(),
        zone_url: None,
        saved_at: None,
    }
}

/// Three customers provisioned from the production database, quotas to zero and
/// disabling on, and a zone lookup that knows both databases.
async fn start() -> (World, AutotaskSim, autotask::ZoneDirectory, Vec<String>) {
    let mut settings = settings();
    settings.deprovisioning = Deprovisioning {
        set_quotas_to_zero: true,
        disable_customer: true,
        disable_after_days: 1,
        ..Deprovisioning::default()
    };
    let mut world = World::start(settings).await;
    let sandbox = sandbox().await;
    let directory = autotask::directory(&[&world.autotask, &sandbox])
        .await
        .expect("zone directory");
    world.use_zone_lookup(directory.zone_lookup_url());
    for company in 300..303 {
        let email = format!("pat{company}@example.com");
        world.add_company(
            company,
            &format!("Customer {company}"),
            ("Pat", &format!("Lee{company}"), &email),
        );
        world.add_contract(9000 + company, company, None);
        world.add_service(9000 + company, WORKSTATIONS, 5);
    }
    let summary = world.sweep().await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    let tenants = (300..303)
        .map(|c| world.tenant_of(c)["id"].as_str().expect("id").to_owned())
        .collect();
    (world, sandbox, directory, tenants)
}

async fn run(world: &World, schedule: &str) -> Result<bridge_jobs::JobSummary, JobError> {
    let trigger = Trigger::Schedule {
        name: schedule.into(),
    };
    contract_poller::run(&world.ctx, &trigger, false).await
}

/// Nothing of the production customers was touched: quotas, tenants, clocks.
async fn untouched(world: &World, tenants: &[String]) {
    for (company, tenant) in (300..303).zip(tenants) {
        assert_eq!(
            world.workstations_quota(tenant),
            json!(5),
            "quota of {tenant}"
        );
        assert_eq!(world.tenant_of(company)["enabled"], json!(true));
        let mapping = world
            .store
            .get_mapping_by_company(company)
            .await
            .expect("read")
            .expect("still mapped");
        assert_eq!(mapping.no_services_since, None, "no clock for {company}");
    }
    assert!(world.audit("tenant.quotas_zeroed").await.is_empty());
    assert!(world.audit("deprovisioning.clock_started").await.is_empty());
}

#[tokio::test]
async fn credentials_of_another_database_stop_every_write_until_the_operator_decides() {
    let (world, _sandbox, _directory, tenants) = start().await;
    let recorded = world
        .store
        .get_database_identity()
        .await
        .expect("read")
        .expect("the first run records the database")
        .value;
    assert_eq!(recorded.ci, 123_456);

    // A typo in the user name, a sandbox: the credentials now reach database 777.
    world
        .secrets
        .put_autotask(&credentials(SANDBOX_USER, "sandbox-secret"))
        .await
        .expect("save");
    for schedule in ["poll", "sweep", "sweep"] {
        world.advance_days(2);
        let err = run(&world, schedule).await.expect_err("stopped");
        let message = err.to_string();
        assert!(matches!(err, JobError::DatabaseChanged(_)), "{message}");
        assert!(
            message.contains("database 777") && message.contains("database 123456"),
            "{message}"
        );
        assert!(message.contains("POST /database/adopt"), "{message}");
    }
    untouched(&world, &tenants).await;
    let changed = world.audit("autotask.database.changed").await;
    assert_eq!(changed.len(), 1, "audited once, not every run");
    let status = world
        .store
        .get_job_status(contract_poller::JOB)
        .await
        .expect("read")
        .expect("recorded");
    let last_error = status.last_error.expect("the error is shown");
    assert!(
        last_error.message.contains("database 777"),
        "{}",
        last_error.message
    );

    // Going back: the old credentials again, and the jobs carry on where they were.
    world
        .secrets
        .put_autotask(&credentials(DEMO_USER, DEMO_SECRET))
        .await
        .expect("save");
    let summary = run(&world, "sweep").await.expect("writes again");
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    untouched(&world, &tenants).await;
    assert_eq!(world.audit("autotask.database.confirmed").await.len(), 1);
    let identity = world
        .store
        .get_database_identity()
        .await
        .expect("store")
        .expect("store")
        .value;
    assert_eq!((identity.ci, identity.mismatch), (123_456, None));
}

#[tokio::test]
async fn starting_over_forgets_the_old_database_and_never_touches_its_tenants() {
    let (world, sandbox, _directory, tenants) = start().await;
    world
        .secrets
        .put_autotask(&credentials(SANDBOX_USER, "sandbox-secret"))
        .await
        .expect("save");
    run(&world, "poll").await.expect_err("stopped");

    // Only the database the credentials reach can be adopted.
    let refused = database::adopt(&world.ctx, 123_456, "ops").await;
    assert!(
        matches!(&refused, Err(AdoptError::Refused(why)) if why.contains("777")),
        "{refused:?}"
    );
    let adopted = database::adopt(&world.ctx, SANDBOX_CI, "ops")
        .await
        .expect("adopted");
    assert_eq!(adopted.identity.ci, SANDBOX_CI);
    assert_eq!(adopted.forgotten.get("customer_mappings"), Some(&3));
    assert_eq!(adopted.forgotten.get("contract_snapshots"), Some(&3));
    assert_eq!(adopted.forgotten.get("cursors"), Some(&1));
    assert!(adopted.cleared.contains(&"service_mappings"));
    assert_eq!(world.audit("autotask.database.adopted").await.len(), 1);
    let settings = world
        .store
        .get_settings()
        .await
        .expect("store")
        .expect("store")
        .value;
    assert!(settings.service_mappings.is_empty());
    assert!(settings.features.billing, "the guide's options stay");

    // The sandbox's companies 300–302 have no contracts; the production tenants that
    // were mapped to companies of those numbers are not theirs, and stay as they are.
    let summary = run(&world, "sweep")
        .await
        .expect("runs on the new database");
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    for tenant in &tenants {
        assert_eq!(world.workstations_quota(tenant), json!(5));
    }
    for company in 300..303 {
        assert!(
            world
                .store
                .get_mapping_by_company(company)
                .await
                .expect("store")
                .is_none()
        );
    }
    assert!(world.audit("tenant.quotas_zeroed").await.is_empty());
    assert!(sandbox.records("Companies").len() >= 3);

    // Adopting again: nothing left to adopt.
    let again = database::adopt(&world.ctx, SANDBOX_CI, "ops").await;
    assert!(matches!(again, Err(AdoptError::Refused(_))), "{again:?}");
}
